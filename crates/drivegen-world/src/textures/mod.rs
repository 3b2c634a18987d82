//! Procedural surface textures, generated in memory at start-up from one seed (no files,
//! no downloaded assets): asphalt, sidewalk slabs, kerb concrete, grass, worn paint,
//! facade styles and windows, leaf clumps and bark, each as tiling base-colour, roughness and (where it pays)
//! normal maps with a full mip chain.
//!
//! No Bevy here: the sim crate uploads [`Texture`]s as images and sets the tile size from
//! [`Maps::tile_m`]. Texture coordinates are in metres (see [`crate::mesh::MeshData`]), so
//! a texel covers the same ground everywhere and nothing stretches.

mod facade;
mod ground;
pub mod noise;
pub mod plants;

use noise::Canvas;

/// A square RGBA8 image, row-major, row 0 at the top (texture v = 0).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Texture {
    pub size: u32,
    pub texels: Vec<[u8; 4]>,
}

impl Texture {
    /// The image and its mip levels down to 1x1, each level the 2x2 box average of the
    /// last (in the stored encoding), concatenated level by level as the GPU upload wants.
    pub fn mip_chain(&self) -> (u32, Vec<u8>) {
        let mut out: Vec<u8> = self.texels.iter().flatten().copied().collect();
        let mut level = self.texels.clone();
        let mut size = self.size as usize;
        let mut levels = 1;
        while size > 1 {
            let half = size / 2;
            let mut next = Vec::with_capacity(half * half);
            for y in 0..half {
                for x in 0..half {
                    let mut sum = [0u32; 4];
                    for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
                        let t = level[(2 * y + dy) * size + 2 * x + dx];
                        for c in 0..4 {
                            sum[c] += u32::from(t[c]);
                        }
                    }
                    next.push(sum.map(|s| ((s + 2) / 4) as u8));
                }
            }
            out.extend(next.iter().flatten());
            level = next;
            size = half;
            levels += 1;
        }
        (levels, out)
    }
}

/// The maps of one material and how many metres one tile covers along (u, v).
#[derive(Clone, Debug)]
pub struct Maps {
    /// sRGB colour.
    pub base: Texture,
    /// Linear: green = perceptual roughness, blue = metalness (glTF packing).
    pub roughness: Texture,
    /// Linear tangent-space normals (x, y, z mapped to 0..255), when the surface has relief.
    pub normal: Option<Texture>,
    pub tile_m: [f32; 2],
}

/// Facade looks, picked per building colour by [`facade_style`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FacadeStyle {
    Brick,
    Plaster,
    Concrete,
}

/// Which facade style a building of this colour gets: reddish ones are brick, the rest
/// split between rendered plaster and precast concrete by a fixed hash of the colour.
pub fn facade_style(c: [u8; 3]) -> FacadeStyle {
    let (r, g, b) = (i32::from(c[0]), i32::from(c[1]), i32::from(c[2]));
    if r - b > 25 && r - g > 10 {
        return FacadeStyle::Brick;
    }
    if noise::mix(u64::from(c[0]) << 16 | u64::from(c[1]) << 8 | u64::from(c[2])).is_multiple_of(2)
    {
        FacadeStyle::Plaster
    } else {
        FacadeStyle::Concrete
    }
}

/// Every texture a scene uses, generated once per engine from the plan's `textures` stream.
#[derive(Clone, Debug)]
pub struct TextureSet {
    pub asphalt: Maps,
    pub sidewalk: Maps,
    pub kerb: Maps,
    pub grass: Maps,
    pub paint: Maps,
    pub brick: Maps,
    pub plaster: Maps,
    pub concrete: Maps,
    pub window: Maps,
    pub foliage: Maps,
    pub bark: Maps,
    /// The asphalt after rain, made from `asphalt` the first time a wet scene asks
    /// ([`TextureSet::wet_asphalt`]).
    wet_asphalt: std::sync::OnceLock<Maps>,
    puddle_seed: u64,
}

/// The seed of a plan's textures: the variant's `textures` stream, so textures vary
/// between variants and never move another concern's draws.
pub fn seed(plan: &drivegen_plan::ScenePlan) -> u64 {
    crate::named_seed(plan, "textures")
}

impl TextureSet {
    pub fn generate(seed: u64) -> TextureSet {
        let s = |k: u64| noise::mix(seed ^ k.wrapping_mul(0x5851_f42d_4c95_7f2d));
        // The asphalt is half the work: generate it alongside the rest (each map depends
        // only on its own seed, so threads cannot change a texel).
        let (
            asphalt,
            [
                sidewalk,
                kerb,
                grass,
                paint,
                brick,
                plaster,
                concrete,
                window,
                foliage,
                bark,
            ],
        ) = std::thread::scope(|scope| {
            let asphalt = scope.spawn(|| ground::asphalt(s(1)));
            let rest = [
                ground::sidewalk(s(2)),
                ground::kerb(s(3)),
                ground::grass(s(4)),
                ground::paint(s(5)),
                facade::brick(s(6)),
                facade::plaster(s(7)),
                facade::concrete(s(8)),
                facade::window(s(9)),
                plants::foliage(s(10)),
                plants::bark(s(11)),
            ];
            (asphalt.join(), rest)
        });
        let asphalt = match asphalt {
            Ok(a) => a,
            Err(panic) => std::panic::resume_unwind(panic),
        };
        TextureSet {
            asphalt,
            sidewalk,
            kerb,
            grass,
            paint,
            brick,
            plaster,
            concrete,
            window,
            foliage,
            bark,
            wet_asphalt: std::sync::OnceLock::new(),
            puddle_seed: s(12),
        }
    }

    /// The asphalt of a wet road: puddles where water collects ([`ground::puddled`]),
    /// made once per set, the first time a wet scene asks.
    pub fn wet_asphalt(&self) -> &Maps {
        self.wet_asphalt
            .get_or_init(|| ground::puddled(&self.asphalt, self.puddle_seed).0)
    }

    pub fn facade(&self, style: FacadeStyle) -> &Maps {
        match style {
            FacadeStyle::Brick => &self.brick,
            FacadeStyle::Plaster => &self.plaster,
            FacadeStyle::Concrete => &self.concrete,
        }
    }

    /// Every map set, for tests and statistics.
    pub fn all(&self) -> [&Maps; 11] {
        [
            &self.asphalt,
            &self.sidewalk,
            &self.kerb,
            &self.grass,
            &self.paint,
            &self.brick,
            &self.plaster,
            &self.concrete,
            &self.window,
            &self.foliage,
            &self.bark,
        ]
    }
}

fn byte(x: f32) -> u8 {
    (x.clamp(0.0, 1.0) * 255.0 + 0.5) as u8
}

/// Turns a painted canvas into maps; `bump` scales heights into normals (0 = no normal map).
fn finish(c: &Canvas, tile_m: [f32; 2], bump: f32) -> Maps {
    let size = c.size as u32;
    let base = Texture {
        size,
        texels: c
            .color
            .iter()
            .map(|p| [byte(p[0]), byte(p[1]), byte(p[2]), 255])
            .collect(),
    };
    let roughness = Texture {
        size,
        texels: c
            .rough
            .iter()
            .zip(&c.metal)
            .map(|(r, m)| [255, byte(*r), byte(*m), 255])
            .collect(),
    };
    let normal = (bump > 0.0).then(|| {
        let mut texels = Vec::with_capacity(c.height.len());
        let s = c.size as i64;
        for y in 0..s {
            for x in 0..s {
                // Central differences, wrapping: the normal map tiles like the heights.
                let dx = c.height[c.at(x + 1, y)] - c.height[c.at(x - 1, y)];
                let dy = c.height[c.at(x, y + 1)] - c.height[c.at(x, y - 1)];
                let n = [-dx * bump, -dy * bump, 1.0];
                let len = (n[0] * n[0] + n[1] * n[1] + n[2] * n[2]).sqrt();
                let e = |v: f32| byte(v / len * 0.5 + 0.5);
                texels.push([e(n[0]), e(n[1]), e(n[2]), 255]);
            }
        }
        Texture { size, texels }
    });
    Maps {
        base,
        roughness,
        normal,
        tile_m,
    }
}

#[cfg(test)]
mod tests;
