//! Triangle meshes built from boxes, strips and quads, shared by the renderer and the
//! label rasterizer so both draw exactly the same geometry.

use drivegen_labels::Tri;
use drivegen_labels::math::{Iso3, M3, V3, v3};

/// What a surface looks like; the renderer maps it to a material, the labeler ignores it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Surface {
    Asphalt,
    Sidewalk,
    Kerb,
    Grass,
    PaintWhite,
    PaintYellow,
    /// Vehicle body paint, sRGB.
    Body([u8; 3]),
    Glass,
    Tyre,
    /// Self-lit (lamps), sRGB and strength.
    Lamp([u8; 3], f32),
    /// Unlit lamp housing.
    DarkMetal,
    /// A traffic-light lamp: lit when its junction shows this state to its group.
    SignalLamp(drivegen_plan::LampState),
    Metal,
    Facade([u8; 3]),
    Window,
    Bark,
    Foliage([u8; 3]),
    Cloth([u8; 3]),
    Skin,
    SignFace([u8; 3]),
}

/// Vertices with flat normals, indexed triangles.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MeshData {
    pub positions: Vec<[f32; 3]>,
    pub normals: Vec<[f32; 3]>,
    pub indices: Vec<u32>,
}

fn f32x3(v: V3) -> [f32; 3] {
    [v.x as f32, v.y as f32, v.z as f32]
}

impl MeshData {
    pub fn is_empty(&self) -> bool {
        self.indices.is_empty()
    }

    /// A flat quad a-b-c-d (counter-clockwise seen from the front).
    pub fn quad(&mut self, a: V3, b: V3, c: V3, d: V3) {
        let n = (b - a).cross(d - a);
        let len = n.length();
        let n = if len > 0.0 {
            n * (1.0 / len)
        } else {
            v3(0.0, 0.0, 1.0)
        };
        let base = self.positions.len() as u32;
        for p in [a, b, c, d] {
            self.positions.push(f32x3(p));
            self.normals.push(f32x3(n));
        }
        self.indices
            .extend_from_slice(&[base, base + 1, base + 2, base, base + 2, base + 3]);
    }

    /// An oriented box: bottom centre, yaw about z, (length along x, width, height).
    pub fn cuboid(&mut self, base: V3, yaw: f64, l: f64, w: f64, h: f64) {
        self.cuboid_posed(
            &Iso3 {
                rotation: M3::rot_z(yaw),
                translation: base,
            },
            v3(0.0, 0.0, 0.0),
            l,
            w,
            h,
        );
    }

    /// A box in a local frame: `offset` is the local bottom centre.
    pub fn cuboid_posed(&mut self, frame: &Iso3, offset: V3, l: f64, w: f64, h: f64) {
        let c = |x: f64, y: f64, z: f64| frame.apply(offset + v3(x * l / 2.0, y * w / 2.0, z * h));
        let (p000, p100, p110, p010) = (
            c(-1.0, -1.0, 0.0),
            c(1.0, -1.0, 0.0),
            c(1.0, 1.0, 0.0),
            c(-1.0, 1.0, 0.0),
        );
        let (p001, p101, p111, p011) = (
            c(-1.0, -1.0, 1.0),
            c(1.0, -1.0, 1.0),
            c(1.0, 1.0, 1.0),
            c(-1.0, 1.0, 1.0),
        );
        self.quad(p001, p101, p111, p011); // top
        self.quad(p010, p110, p100, p000); // bottom
        self.quad(p100, p110, p111, p101); // front (+x)
        self.quad(p010, p000, p001, p011); // back
        self.quad(p110, p010, p011, p111); // left (+y)
        self.quad(p000, p100, p101, p001); // right
    }

    /// A ribbon between two polylines of equal length (left and right edges), facing up.
    pub fn strip(&mut self, left: &[V3], right: &[V3]) {
        for i in 0..left.len().min(right.len()).saturating_sub(1) {
            self.quad(right[i], right[i + 1], left[i + 1], left[i]);
        }
    }

    /// A convex polygon fan, facing up.
    pub fn fan(&mut self, pts: &[V3]) {
        if pts.len() < 3 {
            return;
        }
        let base = self.positions.len() as u32;
        for p in pts {
            self.positions.push(f32x3(*p));
            self.normals.push([0.0, 0.0, 1.0]);
        }
        for k in 1..pts.len() as u32 - 1 {
            self.indices
                .extend_from_slice(&[base, base + k, base + k + 1]);
        }
    }

    pub fn append(&mut self, other: &MeshData) {
        let base = self.positions.len() as u32;
        self.positions.extend_from_slice(&other.positions);
        self.normals.extend_from_slice(&other.normals);
        self.indices.extend(other.indices.iter().map(|i| i + base));
    }

    /// Triangles transformed by `frame`, for the label rasterizer.
    pub fn triangles(&self, frame: &Iso3, out: &mut Vec<Tri>) {
        let p = |i: u32| {
            let q = self.positions[i as usize];
            frame.apply(v3(f64::from(q[0]), f64::from(q[1]), f64::from(q[2])))
        };
        for t in self.indices.chunks_exact(3) {
            out.push([p(t[0]), p(t[1]), p(t[2])]);
        }
    }
}

/// One material's worth of an object's geometry.
#[derive(Clone, Debug, PartialEq)]
pub struct Part {
    pub surface: Surface,
    pub mesh: MeshData,
}

/// Collects parts by surface, merging geometry that shares one.
#[derive(Clone, Debug, Default)]
pub struct PartsBuilder {
    parts: Vec<Part>,
}

impl PartsBuilder {
    pub fn mesh(&mut self, surface: Surface) -> &mut MeshData {
        let idx = match self.parts.iter().position(|p| p.surface == surface) {
            Some(i) => i,
            None => {
                self.parts.push(Part {
                    surface,
                    mesh: MeshData::default(),
                });
                self.parts.len() - 1
            }
        };
        &mut self.parts[idx].mesh
    }

    pub fn finish(self) -> Vec<Part> {
        self.parts
            .into_iter()
            .filter(|p| !p.mesh.is_empty())
            .collect()
    }
}
