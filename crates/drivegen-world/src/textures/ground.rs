//! Ground textures: asphalt (one lane across, with wheel tracks, patches, cracks and
//! stains), sidewalk slabs with joints, kerb concrete, grass with soil, worn paint.

use super::noise::{Canvas, Rng, fbm, white};
use super::{Maps, finish};

/// One asphalt tile: 20 m along the road by two lanes across (road strips carry v in
/// lanes of 3.5 units, so the tracks sit where wheels run on any lane width). Two lanes
/// of different patches and cracks keep neighbouring lanes from repeating each other.
pub const ASPHALT_TILE: [f32; 2] = [20.0, 7.0];

/// Lattice cells along (u, v) for features about `m` metres across on a tile of `tile` metres.
fn cells(tile: [f32; 2], m: f32) -> (u32, u32) {
    let c = |t: f32| ((t / m).round() as u32).max(1);
    (c(tile[0]), c(tile[1]))
}

/// Wraps a tile coordinate difference into [-0.5, 0.5).
fn wrap(d: f32) -> f32 {
    d - (d + 0.5).floor()
}

/// Strength of the asphalt's colour variation (relative change per unit of noise).
const ASPHALT_TINT: f32 = 0.2;

pub fn asphalt(seed: u64) -> Maps {
    let size = 1024;
    let t = ASPHALT_TILE;
    // Weathered asphalt (albedo about 0.1): fresh black asphalt left the roads of the
    // realism test's clear-day scenes at half the real cameras' road brightness.
    let mut c = Canvas::new(size, [0.33, 0.33, 0.335], 0.88);
    let (lu, lv) = cells(t, 2.5);
    let (mu, mv) = cells(t, 0.12);
    let (su, sv) = cells(t, 0.9);
    let (tu, tv) = cells(t, 0.6);
    c.each(|c, i, u, v| {
        let x = i % size;
        let y = i / size;
        let large = fbm(seed, u, v, lu, lv, 3, 0.5) - 0.5;
        let binder = fbm(seed ^ 1, u, v, mu, mv, 2, 0.5) - 0.5;
        // Texels are ~3x longer along u than across v: grains span three rows so the
        // aggregate is round on the road, not streaked along it.
        let grain = white(seed ^ 2, x, y / 3);
        let stone = if grain > 0.965 { 0.32 } else { 0.0 };
        // Wheel tracks: about 0.85 m either side of the lane centre, polished and darker.
        let track = [0.125f32, 0.375, 0.625, 0.875]
            .iter()
            .map(|centre| {
                let d = (v - centre) / 0.0375;
                (1.0 - d * d).max(0.0).powi(2)
            })
            .sum::<f32>();
        let track = track * (0.75 + 0.5 * fbm(seed ^ 3, u, v, su, 1, 2, 0.5));
        let k = 1.0 + 0.14 * large + 0.12 * binder + 0.22 * (grain - 0.5) + stone - 0.11 * track;
        c.shade(i, k);
        // Aggregate is slightly warmer than the binder.
        c.color[i][0] *= 1.0 + 0.03 * (grain - 0.5);
        c.color[i][2] *= 1.0 - 0.03 * (grain - 0.5) + 0.02 * large;
        // Warmer (brown) and cooler (blue-grey) stone and binder, over tens of centimetres:
        // a road of one grey, decoded as libjpeg decodes, had almost none of the colour
        // variation the cameras' roads show in every patch.
        let warm = fbm(seed ^ 6, u, v, tu, tv, 2, 0.6) - 0.5;
        c.color[i][0] *= 1.0 + ASPHALT_TINT * warm;
        c.color[i][1] *= 1.0 + 0.3 * ASPHALT_TINT * warm;
        c.color[i][2] *= 1.0 - ASPHALT_TINT * warm;
        c.rough[i] = 0.9 - 0.06 * track + 0.05 * (grain - 0.5);
        c.height[i] = 0.55 * grain + 0.8 * binder + stone;
        // Oil drips down the lane centre.
        let drip = fbm(seed ^ 4, u, v, su * 2, sv * 2, 3, 0.55);
        let lane = v * 2.0 - (v * 2.0).floor();
        let centre = (1.0 - ((lane - 0.5) / 0.12).powi(2)).max(0.0);
        let oil = ((drip - 0.62) * 6.0).clamp(0.0, 1.0) * centre;
        if oil > 0.0 {
            c.shade(i, 1.0 - 0.35 * oil);
            c.rough[i] -= 0.15 * oil;
        }
    });
    let mut rng = Rng::new(seed ^ 5);
    // Patches: rectangles of newer, darker asphalt with a sealed edge.
    for _ in 0..2 {
        let (u0, v0) = (rng.unit(), rng.unit());
        let (du, dv) = (rng.range(0.06, 0.16), rng.range(0.1, 0.25));
        let tone = rng.range(0.88, 0.95);
        c.each(|c, i, u, v| {
            let (a, b) = (wrap(u - u0 - du / 2.0).abs(), wrap(v - v0 - dv / 2.0).abs());
            let (eu, ev) = (du / 2.0 - a, dv / 2.0 - b);
            if eu >= 0.0 && ev >= 0.0 {
                let edge = (eu * t[0]).min(ev * t[1]);
                c.shade(i, if edge < 0.02 { 0.7 } else { tone });
                c.rough[i] = if edge < 0.02 { 0.5 } else { 0.8 };
                c.height[i] = c.height[i] * 0.6 + 0.1;
            }
        });
    }
    // Cracks: wandering dark lines, some sealed with wide glossy tar.
    for k in 0..7 {
        let sealed = k % 3 == 0;
        let (mut x, mut y) = (rng.range(0.0, size as f32), rng.range(0.0, size as f32));
        let mut dir: f32 = if rng.unit() < 0.6 { 0.0 } else { 1.3 };
        let steps = rng.range(200.0, 700.0) as usize;
        for _ in 0..steps {
            dir += rng.range(-0.35, 0.35);
            dir = dir.clamp(-1.6, 1.6);
            // Texels are ~3x longer along u than across v: walk in texel space accordingly.
            x += (1.0 - dir * dir / 2.6).max(0.05);
            y += dir * 1.2;
            let w = if sealed { 2 } else { 0 };
            for dy in -w..=w {
                let j = c.at(x as i64, y as i64 + dy);
                if sealed {
                    c.blend(j, [0.08, 0.08, 0.085], 0.7);
                    c.rough[j] = 0.35;
                    c.height[j] += 0.2;
                } else {
                    c.shade(j, 0.55);
                    c.height[j] -= 1.2;
                }
            }
        }
    }
    // A gentle relief: stronger normals glitter like foil on a wet road.
    finish(&c, t, 0.4)
}

/// Roughness of standing water (perceptual): a dark mirror, rippled by the rain.
pub(super) const WATER_ROUGHNESS: f32 = 0.15;
/// Share of a puddle's dry albedo left under the water (the pores fill, the stone
/// darkens).
const UNDER_WATER: f32 = 0.6;
/// The puddle mask: its noise above this ...
const PUDDLE_LEVEL: f32 = 0.65;
/// ... over this much more turns from wet asphalt to standing water (the shore).
const PUDDLE_SHORE: f32 = 0.05;

/// The asphalt after rain, from its dry maps: puddles, a metre or two across, where
/// water collects (dips of the surface, the ruts of the wheel tracks), dark and smooth
/// as a mirror and flat; the rest of the road keeps its texture (the renderer darkens
/// and glosses all of it for a wet road). Returns the maps and the share of texels
/// under water.
pub fn puddled(dry: &Maps, seed: u64) -> (Maps, f32) {
    let size = dry.base.size as usize;
    let t = dry.tile_m;
    let (pu, pv) = cells(t, 1.6);
    let (eu, ev) = cells(t, 0.3);
    let mut wet = dry.clone();
    let mut covered = 0.0f32;
    for i in 0..size * size {
        let (x, y) = (i % size, i / size);
        let (u, v) = (
            (x as f32 + 0.5) / size as f32,
            (y as f32 + 0.5) / size as f32,
        );
        let track = [0.125f32, 0.375, 0.625, 0.875]
            .iter()
            .map(|centre| (1.0 - ((v - centre) / 0.05).powi(2)).max(0.0))
            .sum::<f32>();
        let dip = fbm(seed, u, v, pu, pv, 3, 0.5)
            + 0.15 * (fbm(seed ^ 1, u, v, eu, ev, 2, 0.5) - 0.5)
            + 0.08 * track;
        let water = ((dip - PUDDLE_LEVEL) / PUDDLE_SHORE).clamp(0.0, 1.0);
        if water <= 0.0 {
            continue;
        }
        covered += water;
        let mix = |a: u8, b: f32| (f32::from(a) + (b - f32::from(a)) * water).round() as u8;
        for channel in wet.base.texels[i].iter_mut().take(3) {
            *channel = mix(*channel, f32::from(*channel) * UNDER_WATER);
        }
        let rough = &mut wet.roughness.texels[i];
        rough[1] = mix(rough[1], WATER_ROUGHNESS * 255.0);
        if let Some(normal) = wet.normal.as_mut() {
            let n = &mut normal.texels[i];
            for (k, flat) in [128.0, 128.0, 255.0].into_iter().enumerate() {
                n[k] = mix(n[k], flat);
            }
        }
    }
    (wet, covered / (size * size) as f32)
}

pub fn sidewalk(seed: u64) -> Maps {
    let size = 512;
    let t = [4.0, 4.0];
    let slab = size / 4;
    let mut c = Canvas::new(size, [0.45, 0.44, 0.42], 0.88);
    let (fu, fv) = cells(t, 0.15);
    let (lu, lv) = cells(t, 1.3);
    c.each(|c, i, u, v| {
        let (x, y) = (i % size, i / size);
        let (sx, sy) = (x / slab, y / slab);
        let tone = white(seed, sx + 17, sy + 31);
        // Distance in texels to the nearest joint line.
        let jx = (x % slab).min(slab - 1 - x % slab) as f32;
        let jy = (y % slab).min(slab - 1 - y % slab) as f32;
        let j = jx.min(jy);
        let fine = fbm(seed ^ 1, u, v, fu, fv, 2, 0.5) - 0.5;
        let stain = fbm(seed ^ 2, u, v, lu, lv, 3, 0.5);
        let grain = white(seed ^ 3, x, y) - 0.5;
        let mut k = 1.0 + 0.1 * (tone - 0.5) + 0.12 * fine + 0.1 * grain
            - 0.14 * ((stain - 0.55) * 3.0).clamp(0.0, 1.0);
        if j < 1.5 {
            k *= 0.45;
            c.height[i] = -1.0;
        } else if j < 6.0 {
            k *= 0.93 + 0.07 * (j - 1.5) / 4.5;
        }
        // Chewing-gum spots.
        if white(seed ^ 4, x / 3, y / 3) > 0.9985 {
            k *= 0.6;
        }
        c.shade(i, k);
        c.rough[i] = 0.86 + 0.08 * grain;
    });
    finish(&c, t, 0.0)
}

pub fn kerb(seed: u64) -> Maps {
    let size = 256;
    let t = [2.0, 2.0];
    let mut c = Canvas::new(size, [0.63, 0.63, 0.61], 0.8);
    let (fu, fv) = cells(t, 0.1);
    c.each(|c, i, u, v| {
        let (x, y) = (i % size, i / size);
        let fine = fbm(seed, u, v, fu, fv, 3, 0.5) - 0.5;
        let grain = white(seed ^ 1, x, y) - 0.5;
        let mut k = 1.0 + 0.12 * fine + 0.08 * grain;
        if white(seed ^ 2, x, y) > 0.993 {
            k *= 0.6; // air pits
        }
        // Joints between kerb stones every metre.
        let jx = (x % (size / 2)).min(size / 2 - 1 - x % (size / 2));
        if jx < 1 {
            k *= 0.5;
        }
        // Road grime at the foot: height above the kerb base is (1 - v) tiles, measured
        // both ways from the base line so the tile edge stays seamless.
        let z = ((1.0 - v) * t[1]).min(v * t[1]);
        if z < 0.08 {
            k *= 0.72 + 0.28 * z / 0.08;
        }
        c.shade(i, k);
    });
    finish(&c, t, 0.0)
}

pub fn grass(seed: u64) -> Maps {
    let size = 512;
    let t = [8.0, 8.0];
    let mut c = Canvas::new(size, [0.22, 0.33, 0.13], 0.95);
    let (lu, lv) = cells(t, 2.0);
    let (mu, mv) = cells(t, 0.3);
    c.each(|c, i, u, v| {
        let (x, y) = (i % size, i / size);
        let patch = fbm(seed, u, v, lu, lv, 4, 0.55);
        let tuft = fbm(seed ^ 1, u, v, mu, mv, 2, 0.5);
        let blade = white(seed ^ 2, x, y) - 0.5;
        let dry = ((patch - 0.45) * 3.0).clamp(0.0, 1.0);
        let green = [0.2, 0.32, 0.11];
        let yellow = [0.36, 0.38, 0.17];
        let soil = [0.3, 0.24, 0.17];
        let mut col = [0.0f32; 3];
        for (k, o) in col.iter_mut().enumerate() {
            *o = green[k] + (yellow[k] - green[k]) * dry;
        }
        c.color[i] = col;
        let bare = ((0.28 - patch * 0.7 - 0.2 * tuft + 0.2) * 8.0).clamp(0.0, 1.0);
        c.blend(i, soil, bare * 0.85);
        c.shade(i, 1.0 + 0.45 * blade + 0.2 * (tuft - 0.5));
    });
    finish(&c, t, 0.0)
}

/// Worn road paint as a multiplier: mostly 1, dull where tyres wore it to the asphalt.
pub fn paint(seed: u64) -> Maps {
    let size = 256;
    let t = [3.0, 3.0];
    let mut c = Canvas::new(size, [1.0, 1.0, 1.0], 0.6);
    let (wu, wv) = cells(t, 0.25);
    c.each(|c, i, u, v| {
        let (x, y) = (i % size, i / size);
        let wear = fbm(seed, u, v, wu, wv, 4, 0.55);
        let worn = ((wear - 0.56) * 5.0).clamp(0.0, 1.0);
        let grain = white(seed ^ 1, x, y) - 0.5;
        let dull = 1.0 - 0.62 * worn + 0.1 * grain;
        c.shade(i, dull);
        c.rough[i] = 0.6 + 0.3 * worn;
    });
    finish(&c, t, 0.0)
}
