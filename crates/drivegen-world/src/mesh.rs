//! Triangle meshes built from boxes, strips and quads (curved shapes: `shapes.rs`), shared by the renderer and the
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
    /// The horizon's hills: vegetation seen through hundreds of metres of air.
    Hills,
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
    Skin([u8; 3]),
    /// A vehicle's tail lamps: the renderer brightens them while it brakes.
    TailLamp,
    SignFace([u8; 3]),
}

/// Vertices with flat normals and texture coordinates, indexed triangles.
///
/// Texture coordinates are in metres of the frame the mesh is built in (the world for
/// statics, the actor for models), so textures keep their scale on every face: faces
/// that look up or down get (x, y), walls get (distance along the wall, -height), roads
/// and sidewalks get (distance along, distance across) from [`MeshData::strip_uv`]. They
/// only feed the renderer; the label pass reads positions and indices alone.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MeshData {
    pub positions: Vec<[f32; 3]>,
    pub normals: Vec<[f32; 3]>,
    pub uvs: Vec<[f32; 2]>,
    pub indices: Vec<u32>,
}

/// The planar texture coordinate of `p` on a face with normal `n` (see [`MeshData`]).
fn planar_uv(p: V3, n: V3) -> [f32; 2] {
    if n.z.abs() > 0.7 {
        [p.x as f32, p.y as f32]
    } else {
        let h = (n.x * n.x + n.y * n.y).sqrt();
        let (tx, ty) = if h > 0.0 {
            (-n.y / h, n.x / h)
        } else {
            (1.0, 0.0)
        };
        [(p.x * tx + p.y * ty) as f32, -p.z as f32]
    }
}

fn f32x3(v: V3) -> [f32; 3] {
    [v.x as f32, v.y as f32, v.z as f32]
}

fn quad_normal(a: V3, b: V3, d: V3) -> V3 {
    let n = (b - a).cross(d - a);
    let len = n.length();
    if len > 0.0 {
        n * (1.0 / len)
    } else {
        v3(0.0, 0.0, 1.0)
    }
}

impl MeshData {
    pub fn is_empty(&self) -> bool {
        self.indices.is_empty()
    }

    /// A flat quad a-b-c-d (counter-clockwise seen from the front), planar texture
    /// coordinates.
    pub fn quad(&mut self, a: V3, b: V3, c: V3, d: V3) {
        let n = quad_normal(a, b, d);
        self.quad_uv([a, b, c, d], [a, b, c, d].map(|p| planar_uv(p, n)));
    }

    /// A flat quad with explicit texture coordinates per corner.
    pub fn quad_uv(&mut self, corners: [V3; 4], uvs: [[f32; 2]; 4]) {
        let [a, b, _, d] = corners;
        let n = quad_normal(a, b, d);
        let base = self.positions.len() as u32;
        for (p, uv) in corners.into_iter().zip(uvs) {
            self.positions.push(f32x3(p));
            self.normals.push(f32x3(n));
            self.uvs.push(uv);
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

    /// A ribbon textured along its length: u is the distance along the middle of the
    /// ribbon (metres), v runs from `v_right` on the right edge to `v_left` on the left.
    pub fn strip_uv(&mut self, left: &[V3], right: &[V3], v_left: f32, v_right: f32) {
        let mut along = 0.0;
        for i in 0..left.len().min(right.len()).saturating_sub(1) {
            let mid = |k: usize| (left[k] + right[k]) * 0.5;
            let next = along + (mid(i + 1) - mid(i)).length() as f32;
            self.quad_uv(
                [right[i], right[i + 1], left[i + 1], left[i]],
                [
                    [along, v_right],
                    [next, v_right],
                    [next, v_left],
                    [along, v_left],
                ],
            );
            along = next;
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
            self.uvs.push([p.x as f32, p.y as f32]);
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
        self.uvs.extend_from_slice(&other.uvs);
        self.indices.extend(other.indices.iter().map(|i| i + base));
    }

    /// Per-vertex tangents (xyz along +u, w the handedness of +v), from the texture
    /// coordinates, for normal-mapped materials.
    pub fn tangents(&self) -> Vec<[f32; 4]> {
        let mut t = vec![[0.0f32; 3]; self.positions.len()];
        let mut b = vec![[0.0f32; 3]; self.positions.len()];
        for tri in self.indices.chunks_exact(3) {
            let [i0, i1, i2] = [0, 1, 2].map(|k| tri[k] as usize);
            let (p0, p1, p2) = (self.positions[i0], self.positions[i1], self.positions[i2]);
            let (w0, w1, w2) = (self.uvs[i0], self.uvs[i1], self.uvs[i2]);
            let e1 = [0, 1, 2].map(|k| p1[k] - p0[k]);
            let e2 = [0, 1, 2].map(|k| p2[k] - p0[k]);
            let (du1, dv1, du2, dv2) = (w1[0] - w0[0], w1[1] - w0[1], w2[0] - w0[0], w2[1] - w0[1]);
            let det = du1 * dv2 - du2 * dv1;
            if det.abs() < 1e-12 {
                continue;
            }
            let r = 1.0 / det;
            let tu = [0, 1, 2].map(|k| (e1[k] * dv2 - e2[k] * dv1) * r);
            let tv = [0, 1, 2].map(|k| (e2[k] * du1 - e1[k] * du2) * r);
            for i in [i0, i1, i2] {
                for k in 0..3 {
                    t[i][k] += tu[k];
                    b[i][k] += tv[k];
                }
            }
        }
        self.normals
            .iter()
            .zip(t.iter().zip(&b))
            .map(|(n, (t, b))| {
                // Gram-Schmidt against the normal; any unit tangent where the uvs collapse.
                let d = n[0] * t[0] + n[1] * t[1] + n[2] * t[2];
                let mut o = [t[0] - n[0] * d, t[1] - n[1] * d, t[2] - n[2] * d];
                let len = (o[0] * o[0] + o[1] * o[1] + o[2] * o[2]).sqrt();
                if len > 1e-9 {
                    o = o.map(|x| x / len);
                } else {
                    o = if n[0].abs() < 0.9 {
                        [1.0, 0.0, 0.0]
                    } else {
                        [0.0, 1.0, 0.0]
                    };
                }
                let c = [
                    n[1] * o[2] - n[2] * o[1],
                    n[2] * o[0] - n[0] * o[2],
                    n[0] * o[1] - n[1] * o[0],
                ];
                let w = if c[0] * b[0] + c[1] * b[1] + c[2] * b[2] < 0.0 {
                    -1.0
                } else {
                    1.0
                };
                [o[0], o[1], o[2], w]
            })
            .collect()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texture_coordinates_are_metres_on_every_face() {
        let mut m = MeshData::default();
        m.cuboid(v3(10.0, 20.0, 0.0), 0.3, 4.0, 2.0, 1.5);
        assert_eq!(m.uvs.len(), m.positions.len());
        // On every face, uv distances equal position distances: nothing stretches.
        for q in m.indices.chunks_exact(6) {
            let (a, b, c) = (q[0] as usize, q[1] as usize, q[2] as usize);
            for (i, j) in [(a, b), (b, c), (a, c)] {
                let p = |k: usize| m.positions[k];
                let d = (0..3)
                    .map(|x| (p(i)[x] - p(j)[x]).powi(2))
                    .sum::<f32>()
                    .sqrt();
                let uv = ((m.uvs[i][0] - m.uvs[j][0]).powi(2)
                    + (m.uvs[i][1] - m.uvs[j][1]).powi(2))
                .sqrt();
                assert!((d - uv).abs() < 1e-3, "edge {d} m has uv length {uv}");
            }
        }
    }

    #[test]
    fn strips_are_textured_along_their_length_and_tangents_follow_u() {
        let left = [v3(0.0, 1.0, 0.0), v3(5.0, 1.0, 0.0), v3(9.0, 1.0, 0.0)];
        let right = [v3(0.0, -1.0, 0.0), v3(5.0, -1.0, 0.0), v3(9.0, -1.0, 0.0)];
        let mut m = MeshData::default();
        m.strip_uv(&left, &right, 3.5, -3.5);
        let mut plain = MeshData::default();
        plain.strip(&left, &right);
        // Same triangles as the untextured strip: the label pass sees no difference.
        assert_eq!(m.positions, plain.positions);
        assert_eq!(m.indices, plain.indices);
        let max_u = m.uvs.iter().map(|uv| uv[0]).fold(0.0, f32::max);
        assert!((max_u - 9.0).abs() < 1e-5);
        assert!(m.uvs.iter().all(|uv| uv[1] == 3.5 || uv[1] == -3.5));
        for (t, n) in m.tangents().iter().zip(&m.normals) {
            let dot = t[0] * n[0] + t[1] * n[1] + t[2] * n[2];
            assert!(
                dot.abs() < 1e-5 && (t[0] - 1.0).abs() < 1e-5,
                "tangent {t:?}"
            );
        }
    }
}
