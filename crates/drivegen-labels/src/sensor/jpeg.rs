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
            let c = (j / 2) * cw + i / 2;
            let rgb = super::jfif_rgb8([y[j * w + i], cb[c] - 128.0, cr[c] - 128.0]);
            rgba[(j * w + i) * 4..(j * w + i) * 4 + 3].copy_from_slice(&rgb);
        }
    }
}
