//! The optics between the lens's geometry and the sensor, on planes of linear light:
//! lateral chromatic aberration (red and blue imaged at slightly different
//! magnifications than green), slight defocus (a Gaussian blur) and motion blur. RGB
//! only.

use crate::camera::Camera;
use crate::math::V3;

/// Resamples one plane magnified by `scale` about `(cx, cy)` (pixels): the output at `p`
/// takes the input at `c + (p - c) / scale`, bilinearly, clamped at the border.
fn magnify(plane: &[f32], w: usize, h: usize, cx: f64, cy: f64, scale: f64) -> Vec<f32> {
    let mut out = vec![0.0f32; w * h];
    for j in 0..h {
        let sy = (cy + (j as f64 + 0.5 - cy) / scale - 0.5).clamp(0.0, (h - 1) as f64);
        let (y0, ay) = (sy.floor() as usize, (sy - sy.floor()) as f32);
        let y1 = (y0 + 1).min(h - 1);
        for i in 0..w {
            let sx = (cx + (i as f64 + 0.5 - cx) / scale - 0.5).clamp(0.0, (w - 1) as f64);
            let (x0, ax) = (sx.floor() as usize, (sx - sx.floor()) as f32);
            let x1 = (x0 + 1).min(w - 1);
            let top = plane[y0 * w + x0] * (1.0 - ax) + plane[y0 * w + x1] * ax;
            let bottom = plane[y1 * w + x0] * (1.0 - ax) + plane[y1 * w + x1] * ax;
            out[j * w + i] = top * (1.0 - ay) + bottom * ay;
        }
    }
    out
}

/// Lateral chromatic aberration on interleaved linear RGB (`lin`, 3 per pixel): red
/// magnified so it lands `shift` pixels outwards of green at distance `corner` from the
/// principal point, blue as far inwards.
pub fn chromatic_aberration(
    lin: &mut [f32],
    w: usize,
    h: usize,
    (cx, cy): (f64, f64),
    corner: f64,
    shift: f64,
) {
    if shift <= 0.0 || corner <= 0.0 {
        return;
    }
    for (c, sign) in [(0usize, 1.0), (2usize, -1.0)] {
        let plane: Vec<f32> = lin.iter().skip(c).step_by(3).copied().collect();
        let moved = magnify(&plane, w, h, cx, cy, 1.0 + sign * shift / corner);
        for (k, v) in moved.into_iter().enumerate() {
            lin[k * 3 + c] = v;
        }
    }
}

/// One 1-D pass of a separable blur along rows over `channels` interleaved values per
/// pixel, the border extended. Each tap adds its share of a shifted copy of the row, so
/// the loops run over contiguous slices (the compiler vectorises them); per value the
/// taps are summed in order, as a per-pixel loop would.
fn blur_rows(src: &[f32], dst: &mut [f32], w: usize, channels: usize, kernel: &[f32]) {
    let radius = kernel.len() / 2;
    let row_len = w * channels;
    let mut padded = vec![0.0f32; (w + 2 * radius) * channels];
    for (row, out) in src.chunks_exact(row_len).zip(dst.chunks_exact_mut(row_len)) {
        let (first, last) = (&row[..channels], &row[row_len - channels..]);
        for p in 0..radius {
            padded[p * channels..(p + 1) * channels].copy_from_slice(first);
            let q = radius + w + p;
            padded[q * channels..(q + 1) * channels].copy_from_slice(last);
        }
        padded[radius * channels..(radius + w) * channels].copy_from_slice(row);
        out.fill(0.0);
        for (t, k) in kernel.iter().enumerate() {
            let shifted = &padded[t * channels..t * channels + row_len];
            for (o, v) in out.iter_mut().zip(shifted) {
                *o += k * v;
            }
        }
    }
}

/// The pass along columns: each output row sums the kernel's rows above and below it
/// (clamped at the border), whole rows at a time.
fn blur_columns(src: &[f32], dst: &mut [f32], w: usize, h: usize, channels: usize, kernel: &[f32]) {
    let radius = kernel.len() as i64 / 2;
    let row_len = w * channels;
    for (j, out) in dst.chunks_exact_mut(row_len).enumerate() {
        out.fill(0.0);
        for (t, k) in kernel.iter().enumerate() {
            let y = (j as i64 + t as i64 - radius).clamp(0, h as i64 - 1) as usize;
            for (o, v) in out.iter_mut().zip(&src[y * row_len..(y + 1) * row_len]) {
                *o += k * v;
            }
        }
    }
}

/// The normalised Gaussian kernel of standard deviation `sigma`, 3 sigma either side.
fn gaussian_kernel(sigma: f64) -> Vec<f32> {
    let radius = (3.0 * sigma).ceil() as i64;
    let mut kernel: Vec<f32> = (-radius..=radius)
        .map(|d| libm::exp(-((d * d) as f64) / (2.0 * sigma * sigma)) as f32)
        .collect();
    let total: f32 = kernel.iter().sum();
    kernel.iter_mut().for_each(|k| *k /= total);
    kernel
}

/// Slight defocus: a Gaussian blur of `sigma` pixels on interleaved linear RGB.
pub fn defocus(lin: &mut [f32], w: usize, h: usize, sigma: f64) {
    gaussian_blur(lin, w, h, 3, sigma);
}

/// A separable Gaussian blur of standard deviation `sigma` pixels on `channels`
/// interleaved values per pixel, the border extended; the kernel is normalised, so flat
/// areas keep their level.
pub fn gaussian_blur(data: &mut [f32], w: usize, h: usize, channels: usize, sigma: f64) {
    if sigma <= 0.0 || w == 0 || h == 0 || channels == 0 || data.len() != w * h * channels {
        return;
    }
    let kernel = gaussian_kernel(sigma);
    let mut tmp = vec![0.0f32; data.len()];
    // Rows, then columns.
    blur_rows(data, &mut tmp, w, channels, &kernel);
    blur_columns(&tmp, data, w, h, channels, &kernel);
}

/// The camera's motion during the exposure: the depth (z, m) of each output pixel and
/// the camera's velocity (m/s) in its own axes (x right, y down, z forward).
#[derive(Clone, Copy, Debug)]
pub struct Motion<'a> {
    pub depth: &'a [f32],
    pub velocity: V3,
}

/// Most samples one pixel's blur averages.
const MOTION_SAMPLES: usize = 16;

/// Motion blur on interleaved linear RGB: each pixel averages the image along the path
/// its static scene point sweeps while the shutter is open for `exposure_time` seconds
/// (the translational flow of a point at the pixel's depth; rotation and other actors'
/// motion are left out). Pixels without depth (sky) do not move.
pub fn motion_blur(lin: &mut [f32], cam: &Camera, m: &Motion<'_>, exposure_time: f64) {
    let (w, h) = (cam.width as usize, cam.height as usize);
    if exposure_time <= 0.0 || m.depth.len() != w * h || lin.len() != w * h * 3 {
        return;
    }
    let (fx, fy, cx, cy) = match &cam.lens {
        Some(l) => (l.fx, l.fy, l.cx, l.cy),
        None => (cam.fx, cam.fy, cam.cx, cam.cy),
    };
    let v = m.velocity;
    let src = lin.to_vec();
    // Bilinear RGB at a position (pixel centres at + 0.5), clamped at the border.
    let sample = |x: f64, y: f64| -> [f32; 3] {
        let x = (x - 0.5).clamp(0.0, (w - 1) as f64);
        let y = (y - 0.5).clamp(0.0, (h - 1) as f64);
        let (x0, y0) = (x.floor() as usize, y.floor() as usize);
        let (x1, y1) = ((x0 + 1).min(w - 1), (y0 + 1).min(h - 1));
        let (ax, ay) = ((x - x0 as f64) as f32, (y - y0 as f64) as f32);
        let weights = [
            (y0 * w + x0, (1.0 - ax) * (1.0 - ay)),
            (y0 * w + x1, ax * (1.0 - ay)),
            (y1 * w + x0, (1.0 - ax) * ay),
            (y1 * w + x1, ax * ay),
        ];
        let mut out = [0.0f32; 3];
        for (k, wt) in weights {
            for (c, o) in out.iter_mut().enumerate() {
                *o += src[k * 3 + c] * wt;
            }
        }
        out
    };
    for j in 0..h {
        for i in 0..w {
            let z = f64::from(m.depth[j * w + i]);
            if !(z.is_finite() && z > 0.0) {
                continue;
            }
            let (u, vv) = (i as f64 + 0.5, j as f64 + 0.5);
            // The image motion of a static point while the camera moves by v t.
            let du = exposure_time * ((u - cx) * v.z - fx * v.x) / z;
            let dv = exposure_time * ((vv - cy) * v.z - fy * v.y) / z;
            let length = (du * du + dv * dv).sqrt();
            if length < 0.5 {
                continue;
            }
            let n = (length.ceil() as usize + 1).min(MOTION_SAMPLES);
            let p = j * w + i;
            let mut acc = [0.0f32; 3];
            for k in 0..n {
                // Midpoints of n equal parts of the shutter time.
                let t = (k as f64 + 0.5) / n as f64 - 0.5;
                let v = sample(u + t * du, vv + t * dv);
                for (a, x) in acc.iter_mut().zip(v) {
                    *a += x;
                }
            }
            for (c, a) in acc.iter().enumerate() {
                lin[p * 3 + c] = a / n as f32;
            }
        }
    }
}

/// Linear light above which a pixel counts as a highlight the lens scatters.
const GLARE_KNEE: f32 = 0.6;
/// Highlights are gathered and blurred at this fraction of the resolution.
const GLARE_STEP: usize = 4;
/// A clipped highlight stands for much more light than its 8-bit value: what it really
/// sends into the halo, relative to its clipped excess.
const GLARE_GAIN: f32 = 6.0;

/// Veiling glare (bloom) on interleaved linear RGB: the light of highlights (lamps at
/// night, sun glints) scattered by the lens into a soft halo around them, `strength` of
/// it added back. Images without highlights are unchanged.
pub fn glare(lin: &mut [f32], w: usize, h: usize, strength: f64) {
    if strength <= 0.0 || w < GLARE_STEP || h < GLARE_STEP {
        return;
    }
    let (sw, sh) = (w.div_ceil(GLARE_STEP), h.div_ceil(GLARE_STEP));
    let mut small = vec![0.0f32; sw * sh * 3];
    let mut any = false;
    let cell = 1.0 / (GLARE_STEP * GLARE_STEP) as f32;
    for j in 0..h {
        for i in 0..w {
            let p = &lin[(j * w + i) * 3..(j * w + i) * 3 + 3];
            let luma = 0.2126 * p[0] + 0.7152 * p[1] + 0.0722 * p[2];
            if luma <= GLARE_KNEE {
                continue;
            }
            any = true;
            let share = (luma - GLARE_KNEE) / luma * cell;
            let q = ((j / GLARE_STEP) * sw + i / GLARE_STEP) * 3;
            for c in 0..3 {
                small[q + c] += p[c] * share;
            }
        }
    }
    if !any {
        return;
    }
    // A tight and a wide halo, as a lens's scatter has both.
    let mut wide = small.clone();
    gaussian_blur(&mut small, sw, sh, 3, 1.5);
    gaussian_blur(&mut wide, sw, sh, 3, 6.0);
    let k = strength as f32 * GLARE_GAIN;
    for j in 0..h {
        let y = ((j as f32 + 0.5) / GLARE_STEP as f32 - 0.5).clamp(0.0, (sh - 1) as f32);
        let (y0, fy) = (y.floor() as usize, y.fract());
        let y1 = (y0 + 1).min(sh - 1);
        for i in 0..w {
            let x = ((i as f32 + 0.5) / GLARE_STEP as f32 - 0.5).clamp(0.0, (sw - 1) as f32);
            let (x0, fx) = (x.floor() as usize, x.fract());
            let x1 = (x0 + 1).min(sw - 1);
            for c in 0..3 {
                let at = |xx: usize, yy: usize| {
                    let q = (yy * sw + xx) * 3 + c;
                    0.6 * small[q] + 0.4 * wide[q]
                };
                let top = at(x0, y0) * (1.0 - fx) + at(x1, y0) * fx;
                let bottom = at(x0, y1) * (1.0 - fx) + at(x1, y1) * fx;
                lin[(j * w + i) * 3 + c] += k * (top * (1.0 - fy) + bottom * fy);
            }
        }
    }
}
