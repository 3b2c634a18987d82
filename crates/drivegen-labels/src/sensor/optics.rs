//! The optics between the lens's geometry and the sensor, on planes of linear light:
//! lateral chromatic aberration (red and blue imaged at slightly different
//! magnifications than green) and slight defocus (a Gaussian blur). RGB only.

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

/// A separable Gaussian blur of standard deviation `sigma` pixels on interleaved linear
/// RGB, the border extended; the kernel is normalised, so flat areas keep their level.
pub fn defocus(lin: &mut [f32], w: usize, h: usize, sigma: f64) {
    if sigma <= 0.0 {
        return;
    }
    let radius = (3.0 * sigma).ceil() as i64;
    let mut kernel: Vec<f32> = (-radius..=radius)
        .map(|d| libm::exp(-((d * d) as f64) / (2.0 * sigma * sigma)) as f32)
        .collect();
    let total: f32 = kernel.iter().sum();
    kernel.iter_mut().for_each(|k| *k /= total);
    let mut tmp = vec![0.0f32; lin.len()];
    // Rows, then columns.
    for j in 0..h {
        for i in 0..w {
            let mut acc = [0.0f32; 3];
            for (t, k) in kernel.iter().enumerate() {
                let x = (i as i64 + t as i64 - radius).clamp(0, w as i64 - 1) as usize;
                for (c, a) in acc.iter_mut().enumerate() {
                    *a += k * lin[(j * w + x) * 3 + c];
                }
            }
            tmp[(j * w + i) * 3..(j * w + i) * 3 + 3].copy_from_slice(&acc);
        }
    }
    for j in 0..h {
        for i in 0..w {
            let mut acc = [0.0f32; 3];
            for (t, k) in kernel.iter().enumerate() {
                let y = (j as i64 + t as i64 - radius).clamp(0, h as i64 - 1) as usize;
                for (c, a) in acc.iter_mut().enumerate() {
                    *a += k * tmp[(y * w + i) * 3 + c];
                }
            }
            lin[(j * w + i) * 3..(j * w + i) * 3 + 3].copy_from_slice(&acc);
        }
    }
}
