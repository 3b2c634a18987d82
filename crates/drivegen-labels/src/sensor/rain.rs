//! Falling rain as a camera records it: drops close to the lens smeared by the exposure
//! into faint, slightly slanted streaks, brighter and longer the nearer they are. RGB
//! only; labels never see rain (a detector must not learn to box it).
//!
//! Nothing is drawn at random: every streak is a hash of (seed, frame, camera, index),
//! so a frame's rain is the same whatever thread or order renders it.

use super::isp::{mix, unit};

/// Streaks in a 640 x 384 image at rain 1.
const STREAKS_AT_FULL_RAIN: f64 = 900.0;

/// Rain of intensity `rain` (0..1) over an sRGB RGBA8 image of `width` x `height`;
/// `light` (0..1) is how bright the air is (daylight 1, night a little), which sets how
/// much a streak lightens what is behind it.
pub fn streaks(
    rgba: &mut [u8],
    (width, height): (u32, u32),
    rain: f64,
    light: f64,
    (seed, frame, camera): (u64, u32, u32),
) {
    let (w, h) = (width as usize, height as usize);
    if rain <= 0.0 || w == 0 || h == 0 || rgba.len() != w * h * 4 {
        return;
    }
    let scale = (w * h) as f64 / (640.0 * 384.0);
    let count = (STREAKS_AT_FULL_RAIN * rain.min(1.0) * scale).round() as u64;
    let key = mix(seed ^ mix((u64::from(frame) << 20) ^ u64::from(camera)));
    // The wind slants the whole frame's rain alike; it changes slowly between frames.
    let slant = 0.18 * (unit(mix(seed ^ 0x5a17)) - 0.5) + 0.04 * (f64::from(frame) * 0.05).sin();
    let size = (w as f64 / 640.0).max(0.25);
    let tone = 150.0 + 90.0 * light.clamp(0.0, 1.0);
    for k in 0..count {
        let r = |salt: u64| unit(mix(key ^ mix(k.wrapping_mul(8).wrapping_add(salt))));
        // Nearness 0 (far, short and faint) to 1 (by the lens): few drops are near.
        let near = r(0).powi(3);
        let length = size * (6.0 + 34.0 * near);
        let alpha = (0.05 + 0.17 * near) * (0.35 + 0.65 * light.clamp(0.0, 1.0));
        let half_width = 0.5 + 0.9 * near * size;
        let (x0, y0) = (r(1) * w as f64, r(2) * (h as f64 + length) - length);
        let steps = length.ceil() as usize;
        for s in 0..=steps {
            let t = s as f64 / steps.max(1) as f64;
            let (cx, cy) = (x0 + slant * length * t, y0 + length * t);
            if cy < 0.0 || cy >= h as f64 {
                continue;
            }
            // Faint at both ends, as a drop enters and leaves the exposure.
            let along = 1.0 - (2.0 * t - 1.0).powi(2);
            let j = cy as usize;
            let lo = (cx - half_width - 1.0).floor().max(0.0) as usize;
            let hi = ((cx + half_width + 1.0).ceil() as usize).min(w);
            for i in lo..hi {
                let d = (i as f64 + 0.5 - cx).abs();
                let cover = (half_width + 0.5 - d).clamp(0.0, 1.0);
                let a = (alpha * along * cover) as f32;
                if a <= 0.0 {
                    continue;
                }
                let p = (j * w + i) * 4;
                for c in 0..3 {
                    let v = f32::from(rgba[p + c]);
                    rgba[p + c] = (v + a * (tone as f32 - v)).round().clamp(0.0, 255.0) as u8;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grey(w: u32, h: u32, v: u8) -> Vec<u8> {
        (0..w * h).flat_map(|_| [v, v, v, 255]).collect()
    }

    #[test]
    fn no_rain_leaves_the_image_and_rain_draws_faint_falling_streaks() {
        let (w, h) = (320u32, 192u32);
        let dark = grey(w, h, 30);
        let mut dry = dark.clone();
        streaks(&mut dry, (w, h), 0.0, 1.0, (7, 0, 0));
        assert_eq!(dry, dark);

        let mut wet = dark.clone();
        streaks(&mut wet, (w, h), 0.8, 1.0, (7, 0, 0));
        let changed: Vec<(f64, f64)> = (0..(w * h) as usize)
            .filter(|p| wet[p * 4] != dark[p * 4])
            .map(|p| ((p % w as usize) as f64, (p / w as usize) as f64))
            .collect();
        // Faint: a small share of the image, each touched pixel only lightened a little.
        let share = changed.len() as f64 / f64::from(w * h);
        assert!(share > 0.01 && share < 0.25, "rain covers {share:.3}");
        assert!(wet.chunks(4).all(|p| p[0] >= 30 && p[0] < 120));
        // Streaks fall: within a streak the pixels run down the image, not across. The
        // lightened pixels of one column pair up with their neighbours below.
        let below = changed
            .iter()
            .filter(|(x, y)| {
                let q = ((*y as u32 + 1) * w + *x as u32) as usize * 4;
                (*y as u32) + 1 < h && wet[q] != dark[q]
            })
            .count();
        let beside = changed
            .iter()
            .filter(|(x, y)| {
                let q = (*y as u32 * w + *x as u32 + 2) as usize * 4;
                (*x as u32) + 2 < w && wet[q] != dark[q]
            })
            .count();
        assert!(below > 2 * beside, "below {below}, two across {beside}");

        // The same seed, frame and camera draw the same rain; the next frame, new drops.
        let mut again = dark.clone();
        streaks(&mut again, (w, h), 0.8, 1.0, (7, 0, 0));
        assert_eq!(again, wet);
        let mut next = dark.clone();
        streaks(&mut next, (w, h), 0.8, 1.0, (7, 1, 0));
        assert_ne!(next, wet);
    }
}
