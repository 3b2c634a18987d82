//! Curved primitives with smooth normals: lofted surfaces through cross-sections,
//! tapered tubes and ellipsoids, for vehicle bodies, wheels, people and trees.
//!
//! Everything is triangles in the same [`MeshData`] the label pass rasterizes; the
//! smooth normals only change shading, so a few rings per shape look round without
//! costing many triangles on a CPU renderer.

use drivegen_labels::math::{Iso3, V3, v3};

use crate::mesh::MeshData;

fn f32x3(v: V3) -> [f32; 3] {
    [v.x as f32, v.y as f32, v.z as f32]
}

fn unit(v: V3) -> Option<V3> {
    let len = v.length();
    (len > 1e-12).then(|| v * (1.0 / len))
}

/// An orthonormal pair perpendicular to `axis` (unit), right-handed with it.
fn basis(axis: V3) -> (V3, V3) {
    let helper = if axis.z.abs() < 0.9 {
        v3(0.0, 0.0, 1.0)
    } else {
        v3(1.0, 0.0, 0.0)
    };
    let u = unit(helper.cross(axis)).unwrap_or(v3(1.0, 0.0, 0.0));
    (u, axis.cross(u))
}

/// A point on an axis-aligned rounded rectangle ring in a cross-section plane.
///
/// The ring runs counter-clockwise in (across, up): from the bottom of the `+across`
/// side, up it, over the top and down the `-across` side. `bottom` and `top` are the
/// half-widths at the two edges (a tapered section), `radii` the corner radii at the
/// bottom and the top, clamped to fit.
#[derive(Clone, Copy, Debug)]
pub struct Section {
    /// Position along the loft axis.
    pub along: f64,
    pub z0: f64,
    pub z1: f64,
    pub bottom: f64,
    pub top: f64,
    pub radii: (f64, f64),
    /// Lateral centre of the section.
    pub centre: f64,
}

impl Section {
    pub fn new(along: f64, z0: f64, z1: f64, bottom: f64, top: f64, radii: (f64, f64)) -> Self {
        Section {
            along,
            z0,
            z1,
            bottom,
            top,
            radii,
            centre: 0.0,
        }
    }

    /// Points of the ring in (across, z), 2 per corner (its ends: the smooth normals
    /// round the chamfer between them).
    pub fn ring(&self) -> Vec<(f64, f64)> {
        let height = (self.z1 - self.z0).max(1e-3);
        // The top corner keeps its radius on low sections (over wheel arches), so the
        // belt line stays straight along the body.
        let rt = self.radii.1.min(height * 0.7).min(self.top * 0.9).max(0.0);
        let rb = self
            .radii
            .0
            .min(height - rt)
            .min(self.bottom * 0.9)
            .max(0.0);
        let corners = [
            (self.bottom - rb, self.z0 + rb, rb, -90.0f64),
            (self.top - rt, self.z1 - rt, rt, 0.0),
            (-self.top + rt, self.z1 - rt, rt, 90.0),
            (-self.bottom + rb, self.z0 + rb, rb, 180.0),
        ];
        let mut out = Vec::with_capacity(8);
        for (cy, cz, r, start) in corners {
            for step in 0..2 {
                let a = (start + 90.0 * f64::from(step)).to_radians();
                out.push((self.centre + cy + r * a.cos(), cz + r * a.sin()));
            }
        }
        out
    }
}

impl MeshData {
    /// A smooth surface through rows of points, every row as long as the first.
    ///
    /// The outside is where (next point in a row - previous) x (next row - previous)
    /// points; normals are those central differences, so shading is round across rows
    /// and along them. Closed rows wrap (and repeat their first point for the seam of
    /// the texture coordinates, which are metres along the rows and across them).
    pub fn smooth_grid(&mut self, rows: &[Vec<V3>], closed: bool) {
        let Some(first) = rows.first() else {
            return;
        };
        let n = first.len();
        if rows.len() < 2 || n < 2 || rows.iter().any(|r| r.len() != n) {
            return;
        }
        let cols = if closed { n + 1 } else { n };
        let at = |i: usize, j: usize| rows[i][j % n];
        let base = self.positions.len() as u32;
        let mut across = vec![0.0f64; cols];
        for i in 0..rows.len() {
            let mut along = 0.0;
            for (j, across) in across.iter_mut().enumerate() {
                if j > 0 {
                    along += (at(i, j) - at(i, j - 1)).length();
                }
                if i > 0 {
                    *across += (at(i, j) - at(i - 1, j)).length();
                }
                let (jp, jn) = if closed {
                    ((j + n - 1) % n, (j + 1) % n)
                } else {
                    (j.saturating_sub(1), (j + 1).min(n - 1))
                };
                let (ip, inext) = (i.saturating_sub(1), (i + 1).min(rows.len() - 1));
                let d_row = at(i, jn) - at(i, jp);
                let d_col = at(inext, j) - at(ip, j);
                // A collapsed row (a pointed end) has no tangent along it.
                let normal = unit(d_row.cross(d_col))
                    .or_else(|| unit(at(i, j) - centroid(&rows[i])))
                    .or_else(|| unit(d_col))
                    .unwrap_or(v3(0.0, 0.0, 1.0));
                self.positions.push(f32x3(at(i, j)));
                self.normals.push(f32x3(normal));
                self.uvs.push([along as f32, -*across as f32]);
            }
        }
        for i in 0..rows.len() as u32 - 1 {
            for j in 0..cols as u32 - 1 {
                let a = base + i * cols as u32 + j;
                let b = a + 1;
                let c = a + cols as u32 + 1;
                let d = a + cols as u32;
                self.indices.extend_from_slice(&[a, b, c, a, c, d]);
            }
        }
    }

    /// A flat convex polygon, counter-clockwise seen from its front, planar texture
    /// coordinates.
    pub fn polygon(&mut self, pts: &[V3]) {
        if pts.len() < 3 {
            return;
        }
        let n = unit(newell(pts)).unwrap_or(v3(0.0, 0.0, 1.0));
        let (u, w) = basis(n);
        let base = self.positions.len() as u32;
        for p in pts {
            self.positions.push(f32x3(*p));
            self.normals.push(f32x3(n));
            self.uvs.push([p.dot(u) as f32, -p.dot(w) as f32]);
        }
        for k in 1..pts.len() as u32 - 1 {
            self.indices
                .extend_from_slice(&[base, base + k, base + k + 1]);
        }
    }

    /// [`MeshData::polygon`] wound so that it faces `facing` (whatever order `pts` run).
    pub fn polygon_facing(&mut self, pts: &[V3], facing: V3) {
        if newell(pts).dot(facing) < 0.0 {
            let reversed: Vec<V3> = pts.iter().rev().copied().collect();
            self.polygon(&reversed);
        } else {
            self.polygon(pts);
        }
    }

    /// A body lofted along the x axis of `frame` through rounded sections, closed by
    /// flat caps at both ends.
    pub fn loft_x(&mut self, frame: &Iso3, sections: &[Section]) {
        let rows: Vec<Vec<V3>> = sections
            .iter()
            .map(|s| {
                s.ring()
                    .into_iter()
                    .map(|(y, z)| frame.apply(v3(s.along, y, z)))
                    .collect()
            })
            .collect();
        if rows.len() < 2 {
            return;
        }
        self.smooth_grid(&rows, true);
        let forward = frame.rotation.mul_v(v3(1.0, 0.0, 0.0));
        self.polygon_facing(&rows[0], forward * -1.0);
        if let Some(front) = rows.last() {
            self.polygon_facing(front, forward);
        }
    }

    /// A tapered round tube from `a` to `b` (in `frame`), radii (r_a, r_b), with end caps.
    pub fn tube(&mut self, frame: &Iso3, a: V3, b: V3, radii: (f64, f64), segments: usize) {
        self.tube_oriented(frame, a, b, radii, 1.0, None, segments);
    }

    /// [`MeshData::tube`] with an elliptic section: `flatten` scales the radius along
    /// the section's second axis; `first_axis` fixes the section's first axis (it is
    /// made perpendicular to the tube).
    #[allow(clippy::too_many_arguments)]
    pub fn tube_oriented(
        &mut self,
        frame: &Iso3,
        a: V3,
        b: V3,
        radii: (f64, f64),
        flatten: f64,
        first_axis: Option<V3>,
        segments: usize,
    ) {
        let Some(axis) = unit(b - a) else {
            return;
        };
        let (u, w) = match first_axis.and_then(|f| unit(f - axis * f.dot(axis))) {
            Some(u) => (u, axis.cross(u)),
            None => basis(axis),
        };
        let segments = segments.max(3);
        let ring = |c: V3, r: f64| -> Vec<V3> {
            (0..segments)
                .map(|k| {
                    let t = std::f64::consts::TAU * k as f64 / segments as f64;
                    frame.apply(c + u * (r * t.cos()) + w * (r * flatten * t.sin()))
                })
                .collect()
        };
        let (ra, rb) = (ring(a, radii.0), ring(b, radii.1));
        // Rows run along the tube so that (around x along) points outwards.
        let rows = vec![ra, rb];
        self.smooth_grid(&rows, true);
        let axis = frame.rotation.mul_v(axis);
        self.polygon_facing(&rows[0], axis * -1.0);
        self.polygon_facing(&rows[1], axis);
    }

    /// An ellipsoid at `centre` with semi-axes `radii` (x, y, z of `frame`), from
    /// latitude `lat0` to `lat1` (degrees; -90 to 90 for a whole one).
    pub fn ellipsoid(
        &mut self,
        frame: &Iso3,
        centre: V3,
        radii: V3,
        (lat0, lat1): (f64, f64),
        (around, up): (usize, usize),
    ) {
        let (around, up) = (around.max(3), up.max(1));
        let rows: Vec<Vec<V3>> = (0..=up)
            .map(|i| {
                let lat = (lat0 + (lat1 - lat0) * i as f64 / up as f64)
                    .clamp(-89.0, 89.0)
                    .to_radians();
                (0..around)
                    .map(|k| {
                        let t = std::f64::consts::TAU * k as f64 / around as f64;
                        frame.apply(
                            centre
                                + v3(
                                    radii.x * lat.cos() * t.cos(),
                                    radii.y * lat.cos() * t.sin(),
                                    radii.z * lat.sin(),
                                ),
                        )
                    })
                    .collect()
            })
            .collect();
        self.smooth_grid(&rows, true);
        let up = frame.rotation.mul_v(v3(0.0, 0.0, 1.0));
        self.polygon_facing(&rows[0], up * -1.0);
        if let Some(top) = rows.last() {
            self.polygon_facing(top, up);
        }
    }
}

/// Newell's normal of a polygon (length twice its area): robust for any planar one.
fn newell(pts: &[V3]) -> V3 {
    let mut n = v3(0.0, 0.0, 0.0);
    for (k, p) in pts.iter().enumerate() {
        let q = pts[(k + 1) % pts.len()];
        n = n + v3(
            (p.y - q.y) * (p.z + q.z),
            (p.z - q.z) * (p.x + q.x),
            (p.x - q.x) * (p.y + q.y),
        );
    }
    n
}

fn centroid(pts: &[V3]) -> V3 {
    let sum = pts.iter().fold(v3(0.0, 0.0, 0.0), |acc, p| acc + *p);
    sum * (1.0 / pts.len().max(1) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use drivegen_labels::math::M3;

    fn identity() -> Iso3 {
        Iso3 {
            rotation: M3::IDENTITY,
            translation: v3(0.0, 0.0, 0.0),
        }
    }

    fn p(m: &MeshData, i: u32) -> V3 {
        let q = m.positions[i as usize];
        v3(f64::from(q[0]), f64::from(q[1]), f64::from(q[2]))
    }

    /// Every non-degenerate triangle winds counter-clockwise around the outward
    /// direction from `inside` (what back-face culling keeps), and every vertex normal
    /// points outwards.
    fn assert_outward(m: &MeshData, inside: V3) {
        let mut checked = 0;
        for t in m.indices.chunks_exact(3) {
            let (a, b, c) = (p(m, t[0]), p(m, t[1]), p(m, t[2]));
            let n = (b - a).cross(c - a);
            if n.length() < 1e-9 {
                continue;
            }
            let centre = (a + b + c) * (1.0 / 3.0);
            assert!(
                n.dot(centre - inside) > 0.0,
                "inward triangle at {centre:?}"
            );
            checked += 1;
        }
        assert!(checked > 10);
        for (q, n) in m.positions.iter().zip(&m.normals) {
            let out = v3(
                f64::from(q[0]) - inside.x,
                f64::from(q[1]) - inside.y,
                f64::from(q[2]) - inside.z,
            );
            let n = v3(f64::from(n[0]), f64::from(n[1]), f64::from(n[2]));
            assert!(n.dot(out) > 0.0, "inward normal at {q:?}");
            assert!((n.length() - 1.0).abs() < 1e-4);
        }
    }

    #[test]
    fn tubes_ellipsoids_and_lofts_face_outwards() {
        let mut tube = MeshData::default();
        tube.tube(
            &identity(),
            v3(0.0, -0.2, 0.3),
            v3(0.0, 0.2, 0.3),
            (0.3, 0.3),
            12,
        );
        assert_outward(&tube, v3(0.0, 0.0, 0.3));

        let mut egg = MeshData::default();
        egg.ellipsoid(
            &identity(),
            v3(1.0, 2.0, 3.0),
            v3(0.5, 0.3, 0.4),
            (-90.0, 90.0),
            (10, 6),
        );
        assert_outward(&egg, v3(1.0, 2.0, 3.0));

        let mut body = MeshData::default();
        let sections: Vec<Section> = [-2.0, -1.9, 0.0, 1.9, 2.0]
            .iter()
            .map(|&x: &f64| {
                let end = f64::from(u8::from(x.abs() > 1.95));
                Section::new(x, 0.3 + 0.05 * end, 0.9, 0.9 - 0.1 * end, 0.8, (0.1, 0.2))
            })
            .collect();
        body.loft_x(&identity(), &sections);
        assert_outward(&body, v3(0.0, 0.0, 0.6));
    }

    #[test]
    fn a_loft_stays_inside_its_sections_bounds() {
        let mut body = MeshData::default();
        let s = [
            Section::new(-2.2, 0.3, 1.0, 0.9, 0.8, (0.1, 0.15)),
            Section::new(2.2, 0.3, 1.0, 0.9, 0.8, (0.1, 0.15)),
        ];
        body.loft_x(&identity(), &s);
        for q in &body.positions {
            assert!(q[0].abs() <= 2.2 + 1e-5 && q[1].abs() <= 0.9 + 1e-5);
            assert!(q[2] >= 0.3 - 1e-5 && q[2] <= 1.0 + 1e-5, "{q:?}");
        }
        // The widest points reach the section's half-widths: the body fills its box.
        let max_y = body.positions.iter().map(|q| q[1]).fold(0.0, f32::max);
        assert!((max_y - 0.9).abs() < 1e-4, "{max_y}");
    }
}
