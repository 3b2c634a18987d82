//! Brown–Conrady lens distortion as OpenCV models it, and the remap that carries the
//! renderer's ideal (pinhole) image and the label pass's ID/depth raster into the image
//! the lens delivers, with one and the same map.
//!
//! For every output pixel the map holds the ideal-view position it shows: the model is
//! inverted per pixel (Newton's method on OpenCV's forward formula), once per camera, and
//! cached. RGB is sampled bilinearly there; instance ids and depth take the nearest
//! source pixel, so every label pixel is an id that was drawn. A barrel lens shows more
//! than a pinhole of the same intrinsics, so the ideal view is widened
//! ([`coverage_zoom`], same size, shorter focal length) until it holds everything the
//! image shows; output pixels whose source still lies outside it (a lens needing more
//! than [`MAX_ZOOM`]), or beyond the radius where the model folds back, are void: black
//! RGB, instance 0, depth invalid.

use std::sync::{Arc, Mutex};

use crate::camera::{Camera, Lens};
use crate::math::V3;
use crate::raster::{IdDepth, Tri, for_each_fragment};

/// Brown–Conrady coefficients on normalised image coordinates (x = (u - cx) / fx).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Distortion {
    pub k1: f64,
    pub k2: f64,
    pub p1: f64,
    pub p2: f64,
    pub k3: f64,
}

/// Normalised radius the fold-back search stops at (tan 87 degrees is about 19).
const MAX_RADIUS: f64 = 20.0;

impl Distortion {
    /// From OpenCV's order (k1, k2, p1, p2, k3).
    pub fn from_opencv(c: [f64; 5]) -> Distortion {
        Distortion {
            k1: c[0],
            k2: c[1],
            p1: c[2],
            p2: c[3],
            k3: c[4],
        }
    }

    fn radial(&self, r2: f64) -> f64 {
        1.0 + r2 * (self.k1 + r2 * (self.k2 + r2 * self.k3))
    }

    /// OpenCV's forward model: where an ideal normalised point appears through the lens.
    pub fn distort(&self, x: f64, y: f64) -> (f64, f64) {
        let r2 = x * x + y * y;
        let k = self.radial(r2);
        (
            x * k + 2.0 * self.p1 * x * y + self.p2 * (r2 + 2.0 * x * x),
            y * k + self.p1 * (r2 + 2.0 * y * y) + 2.0 * self.p2 * x * y,
        )
    }

    /// The radius up to which the radial image of a ray still moves outwards
    /// (d/dr of r (1 + k1 r² + k2 r⁴ + k3 r⁶) > 0): beyond it the model folds back and
    /// stops describing a lens.
    pub fn monotone_radius(&self) -> f64 {
        let slope =
            |r2: f64| 1.0 + r2 * (3.0 * self.k1 + r2 * (5.0 * self.k2 + r2 * 7.0 * self.k3));
        let step = 0.001;
        let mut r = step;
        while r < MAX_RADIUS {
            if slope(r * r) <= 0.0 {
                return r - step;
            }
            r += step;
        }
        MAX_RADIUS
    }

    /// The ideal normalised point the lens shows at `(xd, yd)`, or `None` where the model
    /// has no inverse inside the radius `limit` (see [`Distortion::monotone_radius`]).
    pub fn undistort(&self, xd: f64, yd: f64, limit: f64) -> Option<(f64, f64)> {
        let (mut x, mut y) = (xd, yd);
        for _ in 0..40 {
            let r2 = x * x + y * y;
            let k = self.radial(r2);
            // d(radial)/d(r2): the Jacobian of the forward model needs it.
            let dk = self.k1 + r2 * (2.0 * self.k2 + r2 * 3.0 * self.k3);
            let (fx, fy) = self.distort(x, y);
            let (ex, ey) = (fx - xd, fy - yd);
            if ex.abs() < 1e-12 && ey.abs() < 1e-12 {
                break;
            }
            let a = k + 2.0 * x * x * dk + 2.0 * self.p1 * y + 6.0 * self.p2 * x;
            let b = 2.0 * x * y * dk + 2.0 * self.p1 * x + 2.0 * self.p2 * y;
            let c = b;
            let d = k + 2.0 * y * y * dk + 6.0 * self.p1 * y + 2.0 * self.p2 * x;
            let det = a * d - b * c;
            if !det.is_finite() || det.abs() < 1e-15 {
                return None;
            }
            x -= (d * ex - b * ey) / det;
            y -= (a * ey - c * ex) / det;
            if !(x.is_finite() && y.is_finite()) || x * x + y * y > MAX_RADIUS * MAX_RADIUS {
                return None;
            }
        }
        let (fx, fy) = self.distort(x, y);
        let converged = (fx - xd).abs() < 1e-9 && (fy - yd).abs() < 1e-9;
        (converged && x * x + y * y <= limit * limit).then_some((x, y))
    }

    /// The forward model inside `limit`; beyond it the point keeps moving outwards along
    /// its ray (radially, at the rate of the ideal image) instead of folding back, so a
    /// box edge beyond the lens's range still bounds outwards.
    pub fn distort_extended(&self, x: f64, y: f64, limit: f64) -> (f64, f64) {
        let r = libm::sqrt(x * x + y * y);
        if r <= limit {
            return self.distort(x, y);
        }
        let rd_limit = limit * self.radial(limit * limit);
        let scale = (rd_limit + (r - limit) * rd_limit / limit.max(1e-9)) / r;
        (x * scale, y * scale)
    }
}

/// Where a camera-frame point appears in the delivered image through the camera's lens
/// (the ideal view's pinhole projection when it has none).
pub fn lens_project(cam: &Camera, p: V3) -> (f64, f64) {
    let Some(l) = &cam.lens else {
        return cam.project_camera(p);
    };
    let d = Distortion::from_opencv(l.distortion);
    let (x, y) = d.distort_extended(p.x / p.z, p.y / p.z, monotone_radius_of(l));
    (l.fx * x + l.cx, l.fy * y + l.cy)
}

/// [`Distortion::monotone_radius`] of a lens, remembered per thread for the last lens
/// asked about: the search walks up to 20,000 steps (a lens that stays monotone all the
/// way), and labels project every outline sample of every object through it.
fn monotone_radius_of(lens: &Lens) -> f64 {
    thread_local! {
        static LAST: std::cell::Cell<Option<([u64; 5], f64)>> = const { std::cell::Cell::new(None) };
    }
    let key = lens.distortion.map(f64::to_bits);
    LAST.with(|last| match last.get() {
        Some((k, limit)) if k == key => limit,
        _ => {
            let limit = Distortion::from_opencv(lens.distortion).monotone_radius();
            last.set(Some((key, limit)));
            limit
        }
    })
}

/// Largest widening of the ideal view [`coverage_zoom`] allows.
pub const MAX_ZOOM: f64 = 2.0;

/// How much wider (a factor on the focal lengths' inverse) the ideal view must be than
/// the delivered image for every pixel on the image's border, and so every pixel inside
/// it, to show a point of the render: 1 for pincushion lenses (the ideal view already
/// covers them), more for barrel lenses, at most [`MAX_ZOOM`].
pub fn coverage_zoom(lens: &Lens, width: u32, height: u32) -> f64 {
    let d = Distortion::from_opencv(lens.distortion);
    let limit = d.monotone_radius();
    let (w, h) = (f64::from(width), f64::from(height));
    // Half a pixel inside the render's edge, so bilinear sampling stays within it.
    let (left, right) = ((lens.cx - 0.5) / lens.fx, (w - lens.cx - 0.5) / lens.fx);
    let (top, bottom) = ((lens.cy - 0.5) / lens.fy, (h - lens.cy - 0.5) / lens.fy);
    let mut zoom: f64 = 1.0;
    let mut need = |u: f64, v: f64| {
        let xd = (u - lens.cx) / lens.fx;
        let yd = (v - lens.cy) / lens.fy;
        if let Some((x, y)) = d.undistort(xd, yd, limit) {
            let zx = if x > 0.0 { x / right } else { -x / left };
            let zy = if y > 0.0 { y / bottom } else { -y / top };
            zoom = zoom.max(zx).max(zy);
        }
    };
    for i in 0..width {
        let u = f64::from(i) + 0.5;
        need(u, 0.5);
        need(u, h - 0.5);
    }
    for j in 0..height {
        let v = f64::from(j) + 0.5;
        need(0.5, v);
        need(w - 0.5, v);
    }
    // Rounding must not widen a lens that needs no widening (zero coefficients).
    if !zoom.is_finite() {
        MAX_ZOOM
    } else if zoom <= 1.0 + 1e-9 {
        1.0
    } else {
        zoom.min(MAX_ZOOM)
    }
}

/// The points a box's projected outline is bounded by: the polygon's corners for a
/// pinhole camera (straight edges stay straight), points along its edges through a lens
/// (which bends them).
pub fn outline_samples(cam: &Camera, poly: &[V3]) -> Vec<V3> {
    if cam.lens.is_none() {
        return poly.to_vec();
    }
    const STEPS: u32 = 16;
    let mut out = Vec::with_capacity(poly.len() * STEPS as usize);
    for (i, a) in poly.iter().enumerate() {
        let b = poly[(i + 1) % poly.len()];
        for s in 0..STEPS {
            out.push(a.lerp(b, f64::from(s) / f64::from(STEPS)));
        }
    }
    out
}

/// Marks an output pixel whose source is outside the rendered image.
const VOID: u32 = u32::MAX;

/// One camera's distortion map: for every output pixel, the undistorted position it shows.
#[derive(Debug, PartialEq)]
pub struct Remap {
    pub width: u32,
    pub height: u32,
    /// Source position per output pixel in pixel units (pixel centres at + 0.5).
    source: Vec<[f32; 2]>,
    /// The source pixel holding that position, or [`VOID`].
    nearest: Vec<u32>,
    /// How many output pixels take each source pixel: the weight of a source pixel when
    /// counting an object's pixels in the distorted view.
    hits: Vec<u16>,
}

type CacheKey = (u32, u32, [u64; 13]);

/// Maps of the cameras seen lately; a camera's intrinsics are fixed for a variant, so a
/// run builds each map once.
static CACHE: Mutex<Vec<(CacheKey, Arc<Remap>)>> = Mutex::new(Vec::new());
const CACHE_SIZE: usize = 16;

impl Remap {
    /// The map of a camera with a lens (`None` without one), cached.
    pub fn for_camera(cam: &Camera) -> Option<Arc<Remap>> {
        let l = cam.lens?;
        let c = l.distortion;
        let key: CacheKey = (
            cam.width,
            cam.height,
            [
                cam.fx, cam.fy, cam.cx, cam.cy, l.fx, l.fy, l.cx, l.cy, c[0], c[1], c[2], c[3],
                c[4],
            ]
            .map(f64::to_bits),
        );
        let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, m)) = cache.iter().find(|(k, _)| *k == key) {
            return Some(m.clone());
        }
        let map = Arc::new(Remap::new(cam, &l));
        if cache.len() >= CACHE_SIZE {
            cache.remove(0);
        }
        cache.push((key, map.clone()));
        Some(map)
    }

    /// Builds the map from `lens`'s image into `cam`'s ideal view (not cached).
    pub fn new(cam: &Camera, lens: &Lens) -> Remap {
        let d = Distortion::from_opencv(lens.distortion);
        let (w, h) = (cam.width as usize, cam.height as usize);
        let limit = d.monotone_radius();
        let mut source = Vec::with_capacity(w * h);
        let mut nearest = Vec::with_capacity(w * h);
        let mut hits = vec![0u16; w * h];
        for j in 0..h {
            for i in 0..w {
                let xd = (i as f64 + 0.5 - lens.cx) / lens.fx;
                let yd = (j as f64 + 0.5 - lens.cy) / lens.fy;
                let src = d
                    .undistort(xd, yd, limit)
                    .map(|(x, y)| (cam.fx * x + cam.cx, cam.fy * y + cam.cy))
                    .filter(|(u, v)| *u >= 0.0 && *v >= 0.0 && *u < w as f64 && *v < h as f64);
                match src {
                    Some((u, v)) => {
                        let k =
                            (v.floor() as usize).min(h - 1) * w + (u.floor() as usize).min(w - 1);
                        source.push([u as f32, v as f32]);
                        nearest.push(k as u32);
                        hits[k] = hits[k].saturating_add(1);
                    }
                    None => {
                        source.push([f32::NAN, f32::NAN]);
                        nearest.push(VOID);
                    }
                }
            }
        }
        Remap {
            width: cam.width,
            height: cam.height,
            source,
            nearest,
            hits,
        }
    }

    /// Output pixels whose source is outside the render (void in every image).
    pub fn void_pixels(&self) -> usize {
        self.nearest.iter().filter(|k| **k == VOID).count()
    }

    /// The undistorted source position (pixels) output pixel `(i, j)` shows, if any.
    pub fn source_of(&self, i: u32, j: u32) -> Option<(f64, f64)> {
        let k = j as usize * self.width as usize + i as usize;
        (self.nearest.get(k).copied()? != VOID)
            .then(|| (f64::from(self.source[k][0]), f64::from(self.source[k][1])))
    }

    /// Ids and depth of the distorted view: the nearest source pixel's, void where none.
    pub fn warp_id_depth(&self, src: &IdDepth) -> IdDepth {
        let mut out = IdDepth::new(self.width, self.height);
        if src.width != self.width || src.height != self.height {
            return out;
        }
        for (o, k) in self.nearest.iter().enumerate() {
            if *k != VOID {
                out.ids[o] = src.ids[*k as usize];
                out.depth[o] = src.depth[*k as usize];
            }
        }
        out
    }

    /// An RGBA8 image of the distorted view: bilinear between the source's pixel centres
    /// (clamped at its border), opaque black where void.
    pub fn warp_rgba(&self, src: &[u8]) -> Vec<u8> {
        let (w, h) = (self.width as usize, self.height as usize);
        let mut out = vec![0u8; w * h * 4];
        if src.len() != w * h * 4 {
            return out;
        }
        for (o, (s, k)) in self.source.iter().zip(&self.nearest).enumerate() {
            out[o * 4 + 3] = 255;
            if *k == VOID {
                continue;
            }
            let fx = (s[0] - 0.5).clamp(0.0, (w - 1) as f32);
            let fy = (s[1] - 0.5).clamp(0.0, (h - 1) as f32);
            let (x0, y0) = (fx.floor() as usize, fy.floor() as usize);
            let (x1, y1) = ((x0 + 1).min(w - 1), (y0 + 1).min(h - 1));
            let (ax, ay) = (fx - x0 as f32, fy - y0 as f32);
            let at = |x: usize, y: usize, c: usize| f32::from(src[(y * w + x) * 4 + c]);
            for c in 0..3 {
                let top = at(x0, y0, c) * (1.0 - ax) + at(x1, y0, c) * ax;
                let bottom = at(x0, y1, c) * (1.0 - ax) + at(x1, y1, c) * ax;
                let v = top * (1.0 - ay) + bottom * ay;
                out[o * 4 + c] = (v + 0.5).clamp(0.0, 255.0) as u8;
            }
        }
        out
    }

    /// Pixels a mesh drawn alone covers in the distorted view: each source pixel of its
    /// undistorted silhouette counts as many times as output pixels take it.
    pub fn silhouette_pixels(&self, cam: &Camera, tris: &[Tri]) -> u32 {
        let w = self.width as usize;
        let mut covered = vec![false; 0];
        let mut frags: Vec<(u32, u32)> = Vec::new();
        for tri in tris {
            for_each_fragment(cam, tri, |x, y, _| frags.push((x, y)));
        }
        let Some(x0) = frags.iter().map(|f| f.0).min() else {
            return 0;
        };
        let y0 = frags.iter().map(|f| f.1).min().unwrap_or(0);
        let x1 = frags.iter().map(|f| f.0).max().unwrap_or(0);
        let y1 = frags.iter().map(|f| f.1).max().unwrap_or(0);
        let bw = (x1 - x0 + 1) as usize;
        covered.resize(bw * (y1 - y0 + 1) as usize, false);
        let mut n = 0u32;
        for (x, y) in frags {
            let i = (y - y0) as usize * bw + (x - x0) as usize;
            if !covered[i] {
                covered[i] = true;
                n += u32::from(self.hits[y as usize * w + x as usize]);
            }
        }
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lens(k1: f64, k2: f64) -> Lens {
        Lens {
            distortion: [k1, k2, 0.0, 0.0, 0.0],
            fx: 300.0,
            fy: 300.0,
            cx: 160.0,
            cy: 96.0,
        }
    }

    #[test]
    fn the_remembered_monotone_radius_is_each_lens_own() {
        // Alternating lenses: the per-thread memory must not answer for the wrong one.
        let (barrel, strong) = (lens(-0.05, 0.0), lens(-0.28, 0.07));
        for _ in 0..2 {
            for l in [&barrel, &strong] {
                assert_eq!(
                    monotone_radius_of(l),
                    Distortion::from_opencv(l.distortion).monotone_radius()
                );
            }
        }
        // 1 - 0.15 r^2 turns at r = 2.58; the strong lens stays monotone to the search's end.
        assert!((monotone_radius_of(&barrel) - 2.58).abs() < 0.01);
        assert!((monotone_radius_of(&strong) - MAX_RADIUS).abs() < 1e-9);
    }
}
