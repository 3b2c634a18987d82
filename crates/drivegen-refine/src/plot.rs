//! A loss plot as PNG, drawn directly: one panel per scale (GAN losses, VAE negative
//! ELBO), a line per series, with the panel's value range written in a 3x5 digit font.

use std::path::Path;

use image::{Rgb, RgbImage};

use crate::error::RefineError;

/// One plotted series: its colour and values (one per step).
#[derive(Clone, Debug)]
pub struct Series {
    pub name: String,
    pub colour: [u8; 3],
    pub values: Vec<f64>,
}

const W: u32 = 800;
const PANEL_H: u32 = 240;
const MARGIN: u32 = 40;

/// Digits, '.', '-' and 'e' as 3x5 bitmaps (row-major, top to bottom).
fn glyph(c: char) -> Option<[u8; 5]> {
    Some(match c {
        '0' => [0b111, 0b101, 0b101, 0b101, 0b111],
        '1' => [0b010, 0b110, 0b010, 0b010, 0b111],
        '2' => [0b111, 0b001, 0b111, 0b100, 0b111],
        '3' => [0b111, 0b001, 0b111, 0b001, 0b111],
        '4' => [0b101, 0b101, 0b111, 0b001, 0b001],
        '5' => [0b111, 0b100, 0b111, 0b001, 0b111],
        '6' => [0b111, 0b100, 0b111, 0b101, 0b111],
        '7' => [0b111, 0b001, 0b010, 0b010, 0b010],
        '8' => [0b111, 0b101, 0b111, 0b101, 0b111],
        '9' => [0b111, 0b101, 0b111, 0b001, 0b111],
        '.' => [0, 0, 0, 0, 0b010],
        '-' => [0, 0, 0b111, 0, 0],
        'e' => [0, 0b111, 0b111, 0b100, 0b111],
        _ => return None,
    })
}

fn text(img: &mut RgbImage, x: u32, y: u32, s: &str, colour: [u8; 3]) {
    let scale = 2;
    for (i, c) in s.chars().enumerate() {
        let Some(rows) = glyph(c) else { continue };
        for (r, bits) in rows.iter().enumerate() {
            for col in 0..3u32 {
                if bits & (0b100 >> col) != 0 {
                    for dy in 0..scale {
                        for dx in 0..scale {
                            let px = x + (i as u32 * 4 + col) * scale + dx;
                            let py = y + r as u32 * scale + dy;
                            if px < img.width() && py < img.height() {
                                img.put_pixel(px, py, Rgb(colour));
                            }
                        }
                    }
                }
            }
        }
    }
}

fn label(v: f64) -> String {
    if v != 0.0 && (v.abs() >= 1e4 || v.abs() < 1e-2) {
        format!("{v:.1e}")
    } else {
        format!("{v:.3}")
    }
}

fn panel(img: &mut RgbImage, top: u32, series: &[Series]) {
    let finite = series
        .iter()
        .flat_map(|s| s.values.iter().copied())
        .filter(|v| v.is_finite());
    let (lo, hi) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
        (a.min(v), b.max(v))
    });
    if !lo.is_finite() {
        return;
    }
    let hi = if hi - lo < 1e-12 { lo + 1.0 } else { hi };
    let (x0, x1) = (MARGIN, W - 10);
    let (y0, y1) = (top + 10, top + PANEL_H - 10);
    let axis = [90, 90, 90];
    for x in x0..=x1 {
        img.put_pixel(x, y1, Rgb(axis));
    }
    for y in y0..=y1 {
        img.put_pixel(x0, y, Rgb(axis));
    }
    text(img, x0 + 4, y0, &label(hi), [40, 40, 40]);
    text(img, x0 + 4, y1 - 12, &label(lo), [40, 40, 40]);
    for s in series {
        let n = s.values.len();
        if n == 0 {
            continue;
        }
        let to_xy = |i: usize, v: f64| {
            let fx = if n > 1 {
                i as f64 / (n - 1) as f64
            } else {
                0.0
            };
            let fy = (v - lo) / (hi - lo);
            (
                f64::from(x0) + fx * f64::from(x1 - x0),
                f64::from(y1) - fy * f64::from(y1 - y0),
            )
        };
        let mut prev: Option<(f64, f64)> = None;
        for (i, v) in s.values.iter().enumerate() {
            if !v.is_finite() {
                prev = None;
                continue;
            }
            let p = to_xy(i, *v);
            if let Some(q) = prev {
                let steps = ((p.0 - q.0).abs().max((p.1 - q.1).abs()).ceil() as usize).max(1);
                for k in 0..=steps {
                    let t = k as f64 / steps as f64;
                    let (x, y) = (q.0 + (p.0 - q.0) * t, q.1 + (p.1 - q.1) * t);
                    img.put_pixel(x.round() as u32, y.round() as u32, Rgb(s.colour));
                }
            }
            prev = Some(p);
        }
    }
}

/// Draws one panel per group of series, stacked, and writes the PNG.
pub fn write_plot(path: &Path, panels: &[Vec<Series>]) -> Result<(), RefineError> {
    let h = PANEL_H * panels.len().max(1) as u32;
    let mut img = RgbImage::from_pixel(W, h, Rgb([255, 255, 255]));
    for (i, p) in panels.iter().enumerate() {
        panel(&mut img, i as u32 * PANEL_H, p);
    }
    img.save(path).map_err(|source| RefineError::Image {
        path: path.to_path_buf(),
        source,
    })
}
