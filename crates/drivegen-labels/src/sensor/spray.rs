//! Spray thrown up by vehicles on a wet road: a pale, churning haze low around and behind
//! a moving vehicle's wheels, denser the faster it goes and the harder it rains. RGB only
//! (labels never see spray, so a detector does not learn to box it); whatever stands
//! nearer the camera hides it (the depth raster). Its churn is a hash of (seed, frame,
//! camera, object), so a frame's spray is the same whatever thread renders it.

use super::isp::{mix, unit};
use crate::{IdDepth, ObjectLabel};

/// Cityscapes ids of what throws spray: car, truck, bus, motorcycle.
const THROWS_SPRAY: [u8; 4] = [26, 27, 28, 32];
/// No spray below this speed (m/s) ...
const SPRAY_FROM: f64 = 4.0;
/// ... and all of it from this one on.
const FULL_SPRAY: f64 = 20.0;
/// Opacity of the densest spray, in the heaviest rain at full speed.
const MAX_OPACITY: f64 = 0.5;

/// Smooth value noise on a lattice of `cell` pixels, from `key`.
fn churn(key: u64, x: f64, y: f64, cell: f64) -> f64 {
    let (u, v) = (x / cell, y / cell);
    let (i, j) = (u.floor(), v.floor());
    let (fu, fv) = (u - i, v - j);
    let at = |a: f64, b: f64| {
        unit(mix(key
            ^ mix(
                (a as i64 as u64).wrapping_mul(0x9e37_79b9) ^ (b as i64 as u64)
            )))
    };
    let s = |t: f64| t * t * (3.0 - 2.0 * t);
    let top = at(i, j) + (at(i + 1.0, j) - at(i, j)) * s(fu);
    let bottom = at(i, j + 1.0) + (at(i + 1.0, j + 1.0) - at(i, j + 1.0)) * s(fu);
    top + (bottom - top) * s(fv)
}

/// Spray over an sRGB RGBA8 image (the size of `raster`) for the `objects` of its frame:
/// `rain` (0..1) sets how much water there is to throw, `light` (0..1) how bright the air
/// is (daylight 1), which sets how pale the spray looks.
pub fn spray(
    rgba: &mut [u8],
    raster: &IdDepth,
    objects: &[ObjectLabel],
    rain: f64,
    light: f64,
    (seed, frame, camera): (u64, u32, u32),
) {
    let (w, h) = (raster.width as usize, raster.height as usize);
    if rain <= 0.0 || rgba.len() != w * h * 4 {
        return;
    }
    let tone = (140.0 + 90.0 * light.clamp(0.0, 1.0)) as f32;
    for o in objects {
        let fast = ((o.speed - SPRAY_FROM) / (FULL_SPRAY - SPRAY_FROM)).clamp(0.0, 1.0);
        if !THROWS_SPRAY.contains(&o.cityscapes_id) || fast <= 0.0 || o.box3d.z <= 0.5 {
            continue;
        }
        let strength = MAX_OPACITY * rain.min(1.0).sqrt() * fast;
        let [x0, y0, x1, y1] = o.amodal_box;
        let (bw, bh) = (x1 - x0, y1 - y0);
        if bw < 2.0 || bh < 2.0 {
            continue;
        }
        // Low around the wheels: from a little below the box's middle to just under its
        // bottom, and a little wider than the body, where the tyres throw it.
        let (left, right) = (x0 - 0.15 * bw, x1 + 0.15 * bw);
        let (top, bottom) = (y0 + 0.5 * bh, y1 + 0.06 * bh);
        // Nearer than the vehicle's own front, something else hides the spray.
        let near = (o.box3d.z - o.box3d.l.max(o.box3d.w) / 2.0 - 0.5) as f32;
        let key =
            mix(seed ^ mix((u64::from(frame) << 40) ^ (u64::from(camera) << 32) ^ u64::from(o.id)));
        let cell = (bw / 6.0).max(2.0);
        let (ya, yb) = (
            top.floor().max(0.0) as usize,
            (bottom.ceil().max(0.0) as usize).min(h),
        );
        let (xa, xb) = (
            left.floor().max(0.0) as usize,
            (right.ceil().max(0.0) as usize).min(w),
        );
        for y in ya..yb {
            let fy = (y as f64 + 0.5 - top) / (bottom - top);
            // Densest at the road, thinning upwards.
            let rise = fy.clamp(0.0, 1.0).powf(1.5);
            for x in xa..xb {
                let p = y * w + x;
                if raster.depth[p] < near {
                    continue;
                }
                let fx = (x as f64 + 0.5 - left) / (right - left);
                // Soft at the sides.
                let across = (1.0 - (2.0 * fx - 1.0).powi(4)).max(0.0);
                let a =
                    strength * rise * across * (0.35 + 0.65 * churn(key, x as f64, y as f64, cell));
                if a <= 0.0 {
                    continue;
                }
                for c in 0..3 {
                    let v = f32::from(rgba[p * 4 + c]);
                    rgba[p * 4 + c] = (v + a as f32 * (tone - v)).round().clamp(0.0, 255.0) as u8;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Box3d;

    fn car(speed: f64) -> ObjectLabel {
        ObjectLabel {
            id: 101,
            class: "car".into(),
            cityscapes_id: 26,
            tight_box: Some([40.0, 20.0, 80.0, 50.0]),
            amodal_box: [40.0, 20.0, 80.0, 50.0],
            visible_pixels: 1200,
            unoccluded_pixels: 1200,
            visibility: 1.0,
            truncation: 0.0,
            occlusion: 0,
            box3d: Box3d {
                h: 1.5,
                w: 1.8,
                l: 4.5,
                x: 0.0,
                y: 1.5,
                z: 15.0,
                rotation_y: 0.0,
            },
            alpha: 0.0,
            speed,
            distance: 15.0,
            visible: true,
        }
    }

    fn scene() -> (Vec<u8>, IdDepth) {
        let (w, h) = (120u32, 64u32);
        let mut raster = IdDepth::new(w, h);
        for d in raster.depth.iter_mut() {
            *d = 30.0;
        }
        (vec![60; (w * h * 4) as usize], raster)
    }

    fn luma_at(rgba: &[u8], w: usize, x: usize, y: usize) -> u8 {
        rgba[(y * w + x) * 4]
    }

    #[test]
    fn a_fast_car_in_the_rain_throws_spray_low_behind_its_wheels_and_nothing_else_does() {
        let (grey, mut raster) = scene();
        // Something 5 m from the camera covers the car's lower left corner.
        for y in 40..64 {
            for x in 30..50 {
                raster.depth[y * 120 + x] = 5.0;
            }
        }
        let key = (7, 3, 0);
        let mut wet = grey.clone();
        spray(&mut wet, &raster, &[car(25.0)], 1.0, 1.0, key);
        // Paler low around the wheels, untouched above the box's middle and wherever the
        // nearer thing stands.
        assert!(luma_at(&wet, 120, 70, 48) > 75, "spray at the wheels");
        assert_eq!(luma_at(&wet, 120, 60, 25), 60, "nothing above");
        assert_eq!(
            luma_at(&wet, 120, 42, 48),
            60,
            "nothing over a nearer object"
        );
        let changed = wet.iter().zip(&grey).filter(|(a, b)| a != b).count();
        assert!(changed > 300, "{changed} channels changed");
        // The same frame again is the same; no rain, a slow car or a walker throw none.
        let mut again = grey.clone();
        spray(&mut again, &raster, &[car(25.0)], 1.0, 1.0, key);
        assert_eq!(again, wet);
        for (rain, speed, id) in [(0.0, 25.0, 26), (1.0, 2.0, 26), (1.0, 25.0, 24)] {
            let mut img = grey.clone();
            let mut o = car(speed);
            o.cityscapes_id = id;
            spray(&mut img, &raster, &[o], rain, 1.0, key);
            assert_eq!(img, grey, "rain {rain}, speed {speed}, class {id}");
        }
    }
}
