//! JPEG compression artefacts without a codec: the image goes through what a baseline
//! JPEG encoder and decoder do to it (JFIF YCbCr, 4:2:0 chroma, 8x8 DCT, the standard
//! quantisation tables scaled by quality as libjpeg scales them) and comes back as RGB.
//! Written here rather than taken from a codec so the arithmetic is fixed: the same bytes
//! on every machine.

use std::sync::OnceLock;

/// The JPEG standard's (Annex K) luminance and chrominance tables, row-major.
const LUMA: [u16; 64] = [
    16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56,
    14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113,
    92, 49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
];
const CHROMA: [u16; 64] = [
    17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99, 24, 26, 56, 99, 99, 99, 99, 99,
    47, 66, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
    99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
];

/// The orthonormal 8-point DCT-II basis: `basis()[k][n]`.
fn basis() -> &'static [[f32; 8]; 8] {
    static B: OnceLock<[[f32; 8]; 8]> = OnceLock::new();
    B.get_or_init(|| {
        let mut b = [[0.0f32; 8]; 8];
        for (k, row) in b.iter_mut().enumerate() {
            let scale = if k == 0 {
                libm::sqrt(1.0 / 8.0)
            } else {
                libm::sqrt(2.0 / 8.0)
            };
            for (n, v) in row.iter_mut().enumerate() {
                let angle = std::f64::consts::PI * (2 * n + 1) as f64 * k as f64 / 16.0;
                *v = (scale * libm::cos(angle)) as f32;
            }
        }
        b
    })
}

/// libjpeg's quality scaling of a table (quality 1-100).
fn scaled(table: &[u16; 64], quality: f64) -> [f32; 64] {
    let q = quality.clamp(1.0, 100.0);
    let scale = if q < 50.0 {
        5000.0 / q
    } else {
        200.0 - 2.0 * q
    };
    table.map(|t| {
        ((f64::from(t) * scale + 50.0) / 100.0)
            .floor()
            .clamp(1.0, 255.0) as f32
    })
}

/// One plane (values 0-255) through DCT, quantisation and the inverse, block by block;
/// blocks past the edge repeat the last row and column, as encoders pad.
// 8x8 matrix products read best with their indices.
#[allow(clippy::needless_range_loop)]
fn roundtrip_plane(plane: &mut [f32], w: usize, h: usize, table: &[f32; 64]) {
    let b = basis();
    for by in (0..h).step_by(8) {
        for bx in (0..w).step_by(8) {
            let mut block = [[0.0f32; 8]; 8];
            for (y, row) in block.iter_mut().enumerate() {
                for (x, v) in row.iter_mut().enumerate() {
                    let (sx, sy) = ((bx + x).min(w - 1), (by + y).min(h - 1));
                    *v = plane[sy * w + sx] - 128.0;
                }
            }
            // Rows, then columns; quantise; back.
            let mut tmp = [[0.0f32; 8]; 8];
            for y in 0..8 {
                for k in 0..8 {
                    tmp[y][k] = (0..8).map(|n| b[k][n] * block[y][n]).sum();
                }
            }
            let mut coef = [[0.0f32; 8]; 8];
            for k in 0..8 {
                for x in 0..8 {
                    let c: f32 = (0..8).map(|n| b[k][n] * tmp[n][x]).sum();
                    let q = table[k * 8 + x];
                    coef[k][x] = (c / q).round() * q;
                }
            }
            for y in 0..8 {
                for x in 0..8 {
                    tmp[y][x] = (0..8).map(|k| b[k][y] * coef[k][x]).sum();
                }
            }
            for y in 0..8 {
                for x in 0..8 {
                    let v: f32 = (0..8).map(|k| b[k][x] * tmp[y][k]).sum();
                    let (px, py) = (bx + x, by + y);
                    if px < w && py < h {
                        plane[py * w + px] = v + 128.0;
                    }
                }
            }
        }
    }
}

/// An sRGB RGBA8 image through a baseline JPEG encoder and decoder at `quality` (1-100).
pub fn roundtrip(rgba: &mut [u8], w: usize, h: usize, quality: f64) {
    if w == 0 || h == 0 || rgba.len() != w * h * 4 {
        return;
    }
    let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
    let mut y = vec![0.0f32; w * h];
    let mut cb = vec![0.0f32; cw * ch];
    let mut cr = vec![0.0f32; cw * ch];
    let mut count = vec![0.0f32; cw * ch];
    for j in 0..h {
        for i in 0..w {
            let p = &rgba[(j * w + i) * 4..(j * w + i) * 4 + 3];
            let [luma, b, r] = super::jfif_ycbcr([p[0], p[1], p[2]].map(f32::from));
            y[j * w + i] = luma;
            // 4:2:0: the mean of each 2x2 block; stored as JPEG does, offset by 128.
            let c = (j / 2) * cw + i / 2;
            cb[c] += 128.0 + b;
            cr[c] += 128.0 + r;
            count[c] += 1.0;
        }
    }
    for ((b, r), n) in cb.iter_mut().zip(cr.iter_mut()).zip(&count) {
        *b /= n;
        *r /= n;
    }
    roundtrip_plane(&mut y, w, h, &scaled(&LUMA, quality));
    let chroma = scaled(&CHROMA, quality);
    roundtrip_plane(&mut cb, cw, ch, &chroma);
    roundtrip_plane(&mut cr, cw, ch, &chroma);
    for j in 0..h {
        for i in 0..w {
            let taps = fancy_taps(cw, ch, i, j);
            let rgb = decoded_rgb8(y[j * w + i], upsampled(&cb, taps), upsampled(&cr, taps));
            rgba[(j * w + i) * 4..(j * w + i) * 4 + 3].copy_from_slice(&rgb);
        }
    }
}

/// One decoded pixel as libjpeg's integer path makes it: luma and chroma are whole
/// numbers, and each channel is that luma plus an offset of the chroma alone, so a pixel's
/// colour differences (R - G, B - G) depend on its chroma only. Rounding each channel of
/// `y + offset` separately instead turns every luma gradient into colour noise, a pattern
/// of fine chroma detail the cameras' frames do not have.
fn decoded_rgb8(y: f32, cb: f32, cr: f32) -> [u8; 3] {
    let y = y.round().clamp(0.0, 255.0);
    let (cb, cr) = (cb.round() - 128.0, cr.round() - 128.0);
    [1.402 * cr, -0.344_136 * cb - 0.714_136 * cr, 1.772 * cb]
        .map(|offset| (y + offset.round()).clamp(0.0, 255.0) as u8)
}

/// The four chroma samples behind full-resolution pixel `(i, j)` of a 4:2:0 plane
/// (`cw` x `ch`), nearest first, as libjpeg's default "fancy" upsampling (and the decoders
/// that read the real cameras' frames) weighs them 9, 3, 3, 1: the triangle filter.
/// Repeating each sample over its 2x2 block instead leaves chroma steps that a real
/// decoder never shows. Both chroma planes share the taps.
fn fancy_taps(cw: usize, ch: usize, i: usize, j: usize) -> [usize; 4] {
    let (cx, cy) = (i / 2, j / 2);
    let toward = |c: usize, even: bool, n: usize| {
        if even {
            c.saturating_sub(1)
        } else {
            (c + 1).min(n - 1)
        }
    };
    let nx = toward(cx, i.is_multiple_of(2), cw);
    let ny = toward(cy, j.is_multiple_of(2), ch);
    [cy * cw + cx, cy * cw + nx, ny * cw + cx, ny * cw + nx]
}

/// A chroma plane's value at the pixel whose [`fancy_taps`] are `taps`.
fn upsampled(plane: &[f32], taps: [usize; 4]) -> f32 {
    (9.0 * plane[taps[0]] + 3.0 * plane[taps[1]] + 3.0 * plane[taps[2]] + plane[taps[3]]) / 16.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoded_chroma_follows_a_ramp_without_two_pixel_steps() {
        // Red rising and blue falling across the frame: Cr rises steadily.
        let (w, h) = (64, 16);
        let mut rgba: Vec<u8> = (0..w * h)
            .flat_map(|k| {
                let i = (k % w) as u8;
                [40 + 3 * i, 128, 230 - 3 * i, 255]
            })
            .collect();
        roundtrip(&mut rgba, w, h, 100.0);
        let cr = |i: usize| {
            let p = &rgba[(8 * w + i) * 4..(8 * w + i) * 4 + 3];
            super::super::jfif_ycbcr([p[0], p[1], p[2]].map(f32::from))[2]
        };
        let steps: Vec<f32> = (8..w - 9).map(|i| cr(i + 1) - cr(i)).collect();
        let mean = steps.iter().sum::<f32>() / steps.len() as f32;
        assert!(mean > 0.5, "Cr rises: {steps:?}");
        // Repeating each chroma sample over its 2x2 block would make every other step 0
        // and the rest twice the slope.
        for s in &steps {
            assert!(
                (s - mean).abs() < 0.6 * mean,
                "{s} against a mean step of {mean}: {steps:?}"
            );
        }
    }

    #[test]
    fn luma_texture_under_one_colour_decodes_without_colour_noise() {
        // A bluish grey with fine, strong luma texture (a road's aggregate): one chroma.
        let (w, h) = (48, 32);
        let mut rgba: Vec<u8> = (0..w * h)
            .flat_map(|k| {
                let grain = ((k * 37 + k / w * 11) % 23) as u8 * 3;
                [80 + grain, 84 + grain, 96 + grain, 255]
            })
            .collect();
        roundtrip(&mut rgba, w, h, 85.0);
        let differences = |p: &[u8]| {
            [
                i16::from(p[0]) - i16::from(p[1]),
                i16::from(p[2]) - i16::from(p[1]),
            ]
        };
        let mut seen: Vec<[i16; 2]> = rgba
            .chunks_exact(4)
            .filter(|p| p[..3].iter().all(|&v| v > 0 && v < 255))
            .map(differences)
            .collect();
        let total = seen.len();
        seen.sort_unstable();
        seen.dedup();
        // One colour in, one colour out, however the luma varies under it (rounding
        // each channel on its own gives three here).
        assert!(total > w * h / 2);
        assert_eq!(seen.len(), 1, "colour differences: {seen:?}");
    }
}
