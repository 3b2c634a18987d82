//! A CPU triangle rasterizer for the label passes.
//!
//! The ID/depth pass is drawn here rather than on the GPU so that instance ids are exact
//! (no MSAA, tonemapping or sRGB conversion can touch them), so labels are identical on
//! every machine and backend, and so the same code can draw each object *alone* — the
//! unoccluded silhouette that visibility fractions need. Sampling follows the GPU
//! convention: pixel centres, top-left fill rule, perspective-correct depth.

use crate::camera::{Camera, NEAR};
use crate::math::V3;

pub type Tri = [V3; 3];

/// Instance id and z-depth (m) per pixel, row-major.
#[derive(Clone, Debug, PartialEq)]
pub struct IdDepth {
    pub width: u32,
    pub height: u32,
    /// 0 where nothing was drawn (sky).
    pub ids: Vec<u16>,
    /// `f32::INFINITY` where nothing was drawn.
    pub depth: Vec<f32>,
}

impl IdDepth {
    pub fn new(width: u32, height: u32) -> IdDepth {
        let n = width as usize * height as usize;
        IdDepth {
            width,
            height,
            ids: vec![0; n],
            depth: vec![f32::INFINITY; n],
        }
    }

    /// Draws triangles (world coordinates) with a depth test; on equal depth the
    /// earlier draw wins, so draw order (by id) makes ties deterministic.
    pub fn draw(&mut self, cam: &Camera, tris: &[Tri], id: u16) {
        let w = self.width as usize;
        for tri in tris {
            for_each_fragment(cam, tri, |x, y, z| {
                let i = y as usize * w + x as usize;
                if z < self.depth[i] {
                    self.depth[i] = z;
                    self.ids[i] = id;
                }
            });
        }
    }
}

/// Pixels a mesh covers when drawn alone, within the image.
pub fn silhouette_pixels(cam: &Camera, tris: &[Tri]) -> u32 {
    let mut bounds: Option<(u32, u32, u32, u32)> = None;
    let mut frags = Vec::new();
    for tri in tris {
        for_each_fragment(cam, tri, |x, y, _| {
            frags.push((x, y));
            bounds = Some(match bounds {
                None => (x, y, x, y),
                Some((a, b, c, d)) => (a.min(x), b.min(y), c.max(x), d.max(y)),
            });
        });
    }
    let Some((x0, y0, x1, y1)) = bounds else {
        return 0;
    };
    let bw = (x1 - x0 + 1) as usize;
    let mut covered = vec![false; bw * (y1 - y0 + 1) as usize];
    let mut n = 0;
    for (x, y) in frags {
        let i = (y - y0) as usize * bw + (x - x0) as usize;
        if !covered[i] {
            covered[i] = true;
            n += 1;
        }
    }
    n
}

/// Clips a camera-space triangle against the near plane; returns 0, 3 or 4 vertices.
pub fn clip_near(tri: &[V3; 3]) -> Vec<V3> {
    let mut out = Vec::with_capacity(4);
    for i in 0..3 {
        let a = tri[i];
        let b = tri[(i + 1) % 3];
        let a_in = a.z > NEAR;
        let b_in = b.z > NEAR;
        if a_in {
            out.push(a);
        }
        if a_in != b_in {
            let t = (NEAR - a.z) / (b.z - a.z);
            let mut p = a.lerp(b, t);
            p.z = NEAR;
            out.push(p);
        }
    }
    out
}

fn edge(a: (f64, f64), b: (f64, f64), p: (f64, f64)) -> f64 {
    (b.0 - a.0) * (p.1 - a.1) - (b.1 - a.1) * (p.0 - a.0)
}

/// Top or left edge of a clockwise-in-screen (y down) triangle.
fn top_left(a: (f64, f64), b: (f64, f64)) -> bool {
    (a.1 == b.1 && b.0 < a.0) || b.1 < a.1
}

/// Calls `f(x, y, z)` for every pixel centre inside the triangle (world coordinates)
/// when the camera sees its front: counter-clockwise corners, as the renderer culls back
/// faces, so an open surface seen from behind is missing from the labels as it is from
/// the image.
pub fn for_each_fragment(cam: &Camera, tri: &Tri, mut f: impl FnMut(u32, u32, f32)) {
    let inv = cam.world_from_camera.inverse();
    let c = [inv.apply(tri[0]), inv.apply(tri[1]), inv.apply(tri[2])];
    if c.iter().all(|p| p.z <= NEAR) {
        return;
    }
    // The camera sits at the origin of its frame: a front face's normal points at it.
    let normal = (c[1] - c[0]).cross(c[2] - c[0]);
    if normal.dot(c[0]) >= 0.0 {
        return;
    }
    let poly = clip_near(&c);
    for k in 1..poly.len().saturating_sub(1) {
        raster_screen(cam, [poly[0], poly[k], poly[k + 1]], &mut f);
    }
}

fn raster_screen(cam: &Camera, p: [V3; 3], f: &mut impl FnMut(u32, u32, f32)) {
    let mut s = [
        cam.project_camera(p[0]),
        cam.project_camera(p[1]),
        cam.project_camera(p[2]),
    ];
    let mut invz = [1.0 / p[0].z, 1.0 / p[1].z, 1.0 / p[2].z];
    let mut area = edge(s[0], s[1], s[2]);
    if area == 0.0 || !area.is_finite() {
        return;
    }
    if area < 0.0 {
        s.swap(1, 2);
        invz.swap(1, 2);
        area = -area;
    }
    let (w, h) = (f64::from(cam.width), f64::from(cam.height));
    let min_x = s.iter().map(|v| v.0).fold(f64::INFINITY, f64::min);
    let max_x = s.iter().map(|v| v.0).fold(f64::NEG_INFINITY, f64::max);
    let min_y = s.iter().map(|v| v.1).fold(f64::INFINITY, f64::min);
    let max_y = s.iter().map(|v| v.1).fold(f64::NEG_INFINITY, f64::max);
    let x0 = (min_x - 0.5).ceil().max(0.0);
    let x1 = (max_x - 0.5).floor().min(w - 1.0);
    let y0 = (min_y - 0.5).ceil().max(0.0);
    let y1 = (max_y - 0.5).floor().min(h - 1.0);
    if x0 > x1 || y0 > y1 {
        return;
    }
    let tl = [
        top_left(s[1], s[2]),
        top_left(s[2], s[0]),
        top_left(s[0], s[1]),
    ];
    let mut y = y0;
    while y <= y1 {
        let py = y + 0.5;
        let mut x = x0;
        while x <= x1 {
            let pt = (x + 0.5, py);
            let w0 = edge(s[1], s[2], pt);
            let w1 = edge(s[2], s[0], pt);
            let w2 = edge(s[0], s[1], pt);
            let inside = (w0 > 0.0 || (w0 == 0.0 && tl[0]))
                && (w1 > 0.0 || (w1 == 0.0 && tl[1]))
                && (w2 > 0.0 || (w2 == 0.0 && tl[2]));
            if inside {
                let iz = (w0 * invz[0] + w1 * invz[1] + w2 * invz[2]) / area;
                f(x as u32, y as u32, (1.0 / iz) as f32);
            }
            x += 1.0;
        }
        y += 1.0;
    }
}

/// The 12 triangles of an oriented box: bottom centre `base`, yaw about z, size (l, w, h).
pub fn box_triangles(base: V3, yaw: f64, length: f64, width: f64, height: f64) -> Vec<Tri> {
    let (s, c) = (libm::sin(yaw), libm::cos(yaw));
    let corner = |dx: f64, dy: f64, dz: f64| -> V3 {
        let x = dx * length / 2.0;
        let y = dy * width / 2.0;
        V3 {
            x: base.x + c * x - s * y,
            y: base.y + s * x + c * y,
            z: base.z + dz * height,
        }
    };
    let v = [
        corner(-1.0, -1.0, 0.0),
        corner(1.0, -1.0, 0.0),
        corner(1.0, 1.0, 0.0),
        corner(-1.0, 1.0, 0.0),
        corner(-1.0, -1.0, 1.0),
        corner(1.0, -1.0, 1.0),
        corner(1.0, 1.0, 1.0),
        corner(-1.0, 1.0, 1.0),
    ];
    // Counter-clockwise seen from outside.
    const FACES: [[usize; 4]; 6] = [
        [0, 3, 2, 1],
        [4, 5, 6, 7],
        [0, 1, 5, 4],
        [1, 2, 6, 5],
        [2, 3, 7, 6],
        [3, 0, 4, 7],
    ];
    FACES
        .iter()
        .flat_map(|f| [[v[f[0]], v[f[1]], v[f[2]]], [v[f[0]], v[f[2]], v[f[3]]]])
        .collect()
}
