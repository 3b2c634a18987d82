//! Facade and window textures.
//!
//! A facade tile is one window bay: 3 m along the wall by one 3.2 m storey, the spacing
//! `statics::windows` places window quads at, so the bands between storeys line up with
//! the windows on every building. Wall texture coordinates are (along, -height), so a
//! texel row `y` sits at height `1 - v` (in storeys) above a storey line.
//! Colours of plaster and concrete are multipliers of the building's own colour; brick
//! carries its own colour.

use super::noise::{Canvas, fbm, white};
use super::{Maps, finish};

/// Along the wall, up the wall (metres).
pub const FACADE_TILE: [f32; 2] = [3.0, 3.2];

/// Height above the storey line (metres) of the band between storeys: in the spandrel
/// between one floor's windows (top at 0.2 m past the line) and the next (from 1.9 m).
const BAND: (f32, f32) = (0.4, 0.62);

fn storey_height(v: f32) -> f32 {
    (1.0 - v) * FACADE_TILE[1]
}

pub fn brick(seed: u64) -> Maps {
    let size = 256;
    // Whole courses and bricks per tile so the bond tiles: 43 courses of 7.4 cm,
    // 13 bricks of 23 cm.
    let (courses, bricks) = (43.0f32, 13.0f32);
    let mut c = Canvas::new(size, [0.5, 0.26, 0.2], 0.9);
    c.each(|c, i, u, v| {
        let (x, y) = (i % size, i / size);
        let z = storey_height(v);
        if (BAND.0..BAND.1).contains(&z) {
            // A cast-stone band.
            let g = white(seed ^ 9, x, y) - 0.5;
            c.color[i] = [0.66, 0.63, 0.58];
            c.shade(
                i,
                1.0 + 0.08 * g - if z < BAND.0 + 0.03 { 0.25 } else { 0.0 },
            );
            c.height[i] = 0.5;
            return;
        }
        let row = v * courses;
        let course = row.floor();
        let shift = if course as i64 % 2 == 0 { 0.0 } else { 0.5 };
        let col = u * bricks + shift;
        let (fr, fc) = (row - course, col - col.floor());
        let brick_id = (col.floor() as i64).rem_euclid(bricks as i64) as usize;
        let mortar = fr < 0.14 || fc < 0.045;
        if mortar {
            let g = white(seed ^ 1, x, y) - 0.5;
            c.color[i] = [0.6, 0.58, 0.54];
            c.shade(i, 1.0 + 0.1 * g);
            c.height[i] = -1.0;
            return;
        }
        let h = white(seed ^ 2, brick_id, course as usize);
        let hue = white(seed ^ 3, brick_id, course as usize);
        let base = [
            0.48 + 0.12 * hue,
            0.24 + 0.06 * (1.0 - hue),
            0.18 + 0.04 * h,
        ];
        c.color[i] = base;
        let burnt = if h > 0.9 { 0.65 } else { 1.0 };
        let fine = fbm(seed ^ 4, u, v, 64, 64, 2, 0.5) - 0.5;
        let g = white(seed ^ 5, x, y) - 0.5;
        c.shade(i, (0.85 + 0.3 * h) * burnt + 0.12 * fine + 0.08 * g);
        c.height[i] = 0.3 * g;
    });
    // Heights are kept for a normal map, off for now: mortar relief is below a pixel at
    // the distances facades are seen from, and it would cost every facade tangents.
    finish(&c, FACADE_TILE, 0.0)
}

/// Rendered plaster: stucco grain, rain streaks, a projecting band with a shadow line.
pub fn plaster(seed: u64) -> Maps {
    let size = 256;
    let mut c = Canvas::new(size, [0.88, 0.88, 0.88], 0.92);
    c.each(|c, i, u, v| {
        let (x, y) = (i % size, i / size);
        let z = storey_height(v);
        let stucco = fbm(seed, u, v, 24, 24, 3, 0.55) - 0.5;
        let g = white(seed ^ 1, x, y) - 0.5;
        // Streaks: noise stretched vertically.
        let streak = fbm(seed ^ 2, u, v, 40, 2, 2, 0.5);
        let mut k = 1.0 + 0.07 * stucco + 0.05 * g - 0.1 * ((streak - 0.5) * 3.0).clamp(0.0, 1.0);
        if (BAND.0..BAND.1).contains(&z) {
            k = 1.09 + 0.03 * g;
            c.height[i] = 1.0;
        } else if (BAND.0 - 0.08..BAND.0).contains(&z) {
            k *= 0.72 + 0.28 * (BAND.0 - z) / 0.08;
        }
        c.shade(i, k);
    });
    finish(&c, FACADE_TILE, 0.0)
}

/// Precast concrete panels: one panel per bay with dark joints, form-tie holes and
/// formwork lines.
pub fn concrete(seed: u64) -> Maps {
    let size = 256;
    let mut c = Canvas::new(size, [0.88, 0.88, 0.87], 0.85);
    let px = size as f32 / FACADE_TILE[0];
    c.each(|c, i, u, v| {
        let (x, y) = (i % size, i / size);
        let z = storey_height(v);
        let along = u * FACADE_TILE[0];
        let stain = fbm(seed, u, v, 6, 6, 4, 0.55) - 0.5;
        let g = white(seed ^ 1, x, y) - 0.5;
        let mut k = 1.0 + 0.1 * stain + 0.06 * g;
        // Panel joints at the bay edge and at the band line.
        let jx = along.min(FACADE_TILE[0] - along) * px;
        let jz = (z - BAND.0).abs() * px;
        if jx < 1.2 || jz < 1.2 {
            k *= 0.55;
            c.height[i] = -1.0;
        }
        // Form-tie holes on a 0.6 m grid.
        let (tu, tz) = ((along + 0.3) % 0.6 - 0.3, (z + 0.3) % 0.6 - 0.3);
        if tu * tu + tz * tz < 0.0004 {
            k *= 0.6;
        }
        // Formwork board lines every 0.2 m, faint.
        if ((z * px) as usize).is_multiple_of((0.2 * px) as usize) {
            k *= 0.96;
        }
        c.shade(i, k);
    });
    finish(&c, FACADE_TILE, 0.0)
}

/// A window, stretched over each window quad (u, v in 0..1, v = 0 at the top): frame,
/// a mullion and a transom, glass reflecting a brighter sky at the top.
pub fn window(seed: u64) -> Maps {
    let size = 128;
    let mut c = Canvas::new(size, [0.1, 0.13, 0.17], 0.06);
    c.each(|c, i, u, v| {
        let (x, y) = (i % size, i / size);
        let edge = u.min(1.0 - u).min(v.min(1.0 - v));
        let mullion = (u - 0.5).abs() < 0.022;
        let transom = (v - 0.32).abs() < 0.022;
        if edge < 0.055 || mullion || transom {
            let g = white(seed, x, y) - 0.5;
            c.color[i] = [0.8, 0.8, 0.78];
            c.shade(i, 1.0 + 0.05 * g - if edge < 0.015 { 0.3 } else { 0.0 });
            c.rough[i] = 0.5;
            return;
        }
        let sky = 1.6 - 1.1 * v + 0.25 * ((u + v * 0.6) * 3.0 % 1.0 - 0.5).abs();
        let g = white(seed ^ 1, x, y) - 0.5;
        c.shade(i, sky + 0.04 * g);
        c.metal[i] = 0.3;
    });
    finish(&c, [1.0, 1.0], 0.0)
}
