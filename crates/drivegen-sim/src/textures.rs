//! Procedural textures on the GPU: uploads a plan's [`TextureSet`] (generated Bevy-free in
//! `drivegen_world::textures`) as mip-mapped, repeating images, and builds the textured
//! PBR materials of the surfaces that have them.
//!
//! A set is generated from the plan's `textures` stream the first time an engine needs
//! it and kept for the next engine with the same seed (resume, tests, re-renders), so a
//! seed always renders with the same texels.

use std::sync::{Arc, Mutex};

use bevy::asset::RenderAssetUsages;
use bevy::image::{ImageAddressMode, ImageFilterMode, ImageSampler, ImageSamplerDescriptor};
use bevy::math::Affine2;
use bevy::prelude::*;
use bevy::render::render_resource::{Extent3d, TextureDimension, TextureFormat};
use drivegen_plan::EnvironmentPlan;
use drivegen_world::mesh::Surface;
use drivegen_world::textures::{Maps, Texture, TextureSet, facade_style, plants};

/// The last generated set and its seed.
static CACHE: Mutex<Option<(u64, Arc<TextureSet>)>> = Mutex::new(None);

/// The texture set of a seed, generated once and shared while the seed stays the same.
pub fn texture_set(seed: u64) -> Arc<TextureSet> {
    // A poisoned lock only means another engine panicked mid-generation: regenerate.
    let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((s, set)) = cache.as_ref()
        && *s == seed
    {
        return set.clone();
    }
    let set = Arc::new(TextureSet::generate(seed));
    *cache = Some((seed, set.clone()));
    set
}

fn image(t: &Texture, srgb: bool) -> Image {
    let (levels, data) = t.mip_chain();
    let format = if srgb {
        TextureFormat::Rgba8UnormSrgb
    } else {
        TextureFormat::Rgba8Unorm
    };
    let mut image = Image::new_uninit(
        Extent3d {
            width: t.size,
            height: t.size,
            depth_or_array_layers: 1,
        },
        TextureDimension::D2,
        format,
        RenderAssetUsages::RENDER_WORLD,
    );
    image.data = Some(data);
    image.texture_descriptor.mip_level_count = levels;
    image.sampler = ImageSampler::Descriptor(ImageSamplerDescriptor {
        address_mode_u: ImageAddressMode::Repeat,
        address_mode_v: ImageAddressMode::Repeat,
        mag_filter: ImageFilterMode::Linear,
        min_filter: ImageFilterMode::Linear,
        mipmap_filter: ImageFilterMode::Linear,
        ..default()
    });
    image
}

/// One material's images on the GPU.
#[derive(Clone, Debug)]
pub struct MapHandles {
    base: Handle<Image>,
    roughness: Handle<Image>,
    normal: Option<Handle<Image>>,
    tile_m: [f32; 2],
}

impl MapHandles {
    fn upload(maps: &Maps, images: &mut Assets<Image>) -> MapHandles {
        MapHandles {
            base: images.add(image(&maps.base, true)),
            roughness: images.add(image(&maps.roughness, false)),
            normal: maps.normal.as_ref().map(|n| images.add(image(n, false))),
            tile_m: maps.tile_m,
        }
    }

    /// A material showing these maps; `base` tints (multiplies) the base-colour map and
    /// `roughness` / `metallic` scale the roughness map's channels.
    fn material(&self, base: Color, roughness: f32, metallic: f32) -> StandardMaterial {
        StandardMaterial {
            base_color: base,
            base_color_texture: Some(self.base.clone()),
            perceptual_roughness: roughness,
            metallic,
            metallic_roughness_texture: Some(self.roughness.clone()),
            normal_map_texture: self.normal.clone(),
            uv_transform: Affine2::from_scale(Vec2::new(
                1.0 / self.tile_m[0],
                1.0 / self.tile_m[1],
            )),
            ..default()
        }
    }
}

/// Every textured material's images, uploaded once per engine.
#[derive(Clone, Debug)]
pub struct SceneTextures {
    asphalt: MapHandles,
    sidewalk: MapHandles,
    kerb: MapHandles,
    grass: MapHandles,
    paint: MapHandles,
    brick: MapHandles,
    plaster: MapHandles,
    concrete: MapHandles,
    window: MapHandles,
    foliage: MapHandles,
    bark: MapHandles,
}

impl SceneTextures {
    /// Uploads a set's maps; a `wet` road gets the asphalt with puddles.
    pub fn upload(set: &TextureSet, images: &mut Assets<Image>, wet: bool) -> SceneTextures {
        let mut up = |m: &Maps| MapHandles::upload(m, images);
        SceneTextures {
            asphalt: up(if wet { set.wet_asphalt() } else { &set.asphalt }),
            sidewalk: up(&set.sidewalk),
            kerb: up(&set.kerb),
            grass: up(&set.grass),
            paint: up(&set.paint),
            brick: up(&set.brick),
            plaster: up(&set.plaster),
            concrete: up(&set.concrete),
            window: up(&set.window),
            foliage: up(&set.foliage),
            bark: up(&set.bark),
        }
    }

    fn maps(&self, surface: Surface) -> Option<&MapHandles> {
        use drivegen_world::textures::FacadeStyle;
        Some(match surface {
            Surface::Asphalt => &self.asphalt,
            Surface::Sidewalk => &self.sidewalk,
            Surface::Kerb => &self.kerb,
            Surface::Grass => &self.grass,
            Surface::PaintWhite | Surface::PaintYellow => &self.paint,
            Surface::Facade(c) => match facade_style(c) {
                FacadeStyle::Brick => &self.brick,
                FacadeStyle::Plaster => &self.plaster,
                FacadeStyle::Concrete => &self.concrete,
            },
            Surface::Window => &self.window,
            Surface::Foliage(_) => &self.foliage,
            Surface::Bark => &self.bark,
            _ => return None,
        })
    }

    /// Whether the surface's material has a normal map (its mesh then needs tangents).
    pub fn has_normal_map(&self, surface: Surface) -> bool {
        self.maps(surface).is_some_and(|m| m.normal.is_some())
    }

    /// The textured material of a surface in this environment, if it has textures.
    pub fn material(&self, surface: Surface, env: &EnvironmentPlan) -> Option<StandardMaterial> {
        let maps = self.maps(surface)?;
        let wet = env.wet_road;
        // Wet ground darkens (water fills the pores) and turns glossy.
        let (darken, gloss) = if wet { (0.55, 0.35) } else { (1.0, 1.0) };
        let grey = |k: f32| Color::srgb(k, k, k);
        let ground = |base: Color, roughness: f32| {
            let mut m = maps.material(base, roughness, 1.0);
            if wet {
                m.reflectance =
                    crate::convert::wet_reflectance(env, crate::convert::sky_seen(env, true));
            }
            m
        };
        Some(match surface {
            Surface::Asphalt => ground(grey(darken), gloss),
            Surface::Sidewalk => ground(grey(0.5 + 0.5 * darken), 0.5 + 0.5 * gloss),
            Surface::Kerb | Surface::Grass => maps.material(Color::WHITE, 1.0, 1.0),
            Surface::PaintWhite => ground(Color::srgb(0.88, 0.88, 0.86), gloss),
            Surface::PaintYellow => ground(Color::srgb(0.85, 0.62, 0.08), gloss),
            Surface::Facade(c) => {
                let [r, g, b] = c.map(|v| f32::from(v) / 255.0);
                let tint = match facade_style(c) {
                    // Brick carries its own colour: a light tint keeps buildings apart.
                    drivegen_world::textures::FacadeStyle::Brick => {
                        let m = r.max(g).max(b).max(0.01);
                        Color::srgb(0.7 + 0.3 * r / m, 0.7 + 0.3 * g / m, 0.7 + 0.3 * b / m)
                    }
                    // Plaster and concrete maps are multipliers around 0.9.
                    _ => Color::srgb((r / 0.9).min(1.0), (g / 0.9).min(1.0), (b / 0.9).min(1.0)),
                };
                maps.material(tint, 1.0, 0.0)
            }
            Surface::Window => maps.material(Color::WHITE, 1.0, 1.0),
            Surface::Foliage(c) => {
                // The planner's leaf greens are paint-box bright; real crowns are darker
                // and olive (a leaf's albedo is about a tenth, most of it green).
                let leaf = Color::srgb_u8(c[0], c[1], c[2]).to_linear();
                let luma = 0.2126 * leaf.red + 0.7152 * leaf.green + 0.0722 * leaf.blue;
                let olive = |x: f32| 0.45 * (luma + 0.8 * (x - luma));
                let leaf = Color::linear_rgb(olive(leaf.red), olive(leaf.green), olive(leaf.blue));
                maps.material(tint_keeping_mean(leaf, plants::FOLIAGE_MEAN), 1.0, 0.0)
            }
            Surface::Bark => maps.material(
                tint_keeping_mean(crate::convert::BARK, plants::BARK_MEAN),
                1.0,
                0.0,
            ),
            _ => return None,
        })
    }
}

/// The tint that shows `color` on average through a multiplier map whose texels are
/// `mean` (sRGB) on average: the two multiply in linear light.
fn tint_keeping_mean(color: Color, mean: f32) -> Color {
    let map = Color::srgb(mean, mean, mean).to_linear().red;
    let c = color.to_linear();
    Color::linear_rgb(
        (c.red / map).min(1.0),
        (c.green / map).min(1.0),
        (c.blue / map).min(1.0),
    )
}

/// The sky dome's image, showing `sky` (see `drivegen_world::sky`).
pub fn sky_image(sky: &Texture, images: &mut Assets<Image>) -> Handle<Image> {
    let mut img = image(sky, true);
    // Around the azimuth the texture wraps; from zenith to below the horizon it must not.
    if let ImageSampler::Descriptor(d) = &mut img.sampler {
        d.address_mode_v = ImageAddressMode::ClampToEdge;
    }
    images.add(img)
}

/// The unlit PBR material of the sky dome: no lighting, no fog (the texture paints its
/// own haze), seen from inside.
pub fn sky_material(image: Handle<Image>) -> StandardMaterial {
    StandardMaterial {
        base_color_texture: Some(image),
        unlit: true,
        fog_enabled: false,
        cull_mode: None,
        ..default()
    }
}
