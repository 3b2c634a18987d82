//! An analytic sky: a dome mesh around the ego and its texture, painted from the plan's
//! environment (sun elevation and azimuth, cloudiness, rain, fog) at start-up.
//!
//! The gradient runs from a hazy horizon to a deeper zenith, warms towards the sun at
//! dusk, glows around the sun, and darkens to a night sky lit a little by the city.
//! Clouds are fractal noise on a flat layer overhead (so they shrink and thicken towards
//! the horizon as real ones do), covering the sky in proportion to `cloudiness`, with
//! defined edges: bright where they are thin, grey under their thick middles, darker and
//! greyer in rain. No Bevy here: the sim crate draws the dome unlit and keeps it
//! centred on the ego; the label pass never sees it (the sky is id 0).
//!
//! The texture's u is the azimuth clockwise from north (+y), as the plan's sun azimuth;
//! v runs from the zenith (0) to [`BELOW_HORIZON_DEG`] below the horizon (1).

use drivegen_plan::EnvironmentPlan;

use crate::mesh::MeshData;
use crate::textures::Texture;
use crate::textures::noise;

/// How far below the horizon the dome reaches (degrees): far ground that the scene's
/// meshes do not cover shows the horizon haze, not a gap.
pub const BELOW_HORIZON_DEG: f64 = 12.0;

/// Texels along each side of the sky texture.
pub const SKY_TEXELS: u32 = 1024;

/// The direction (z-up world) of texture coordinate (u, v).
fn direction(u: f64, v: f64) -> [f64; 3] {
    let az = u * std::f64::consts::TAU;
    let el = (90.0 - v * (90.0 + BELOW_HORIZON_DEG)).to_radians();
    let c = libm::cos(el);
    [c * libm::sin(az), c * libm::cos(az), libm::sin(el)]
}

/// The dome: a sphere cap of `radius` (m) around the origin, `segments` around and `rings`
/// from the zenith down, with the texture coordinates of [`direction`].
pub fn dome(radius: f64, segments: u32, rings: u32) -> MeshData {
    let mut m = MeshData::default();
    for j in 0..=rings {
        let v = f64::from(j) / f64::from(rings);
        for i in 0..=segments {
            let u = f64::from(i) / f64::from(segments);
            let d = direction(u, v);
            m.positions.push(d.map(|c| (c * radius) as f32));
            // Facing inwards: the dome is seen from inside.
            m.normals.push(d.map(|c| -c as f32));
            m.uvs.push([u as f32, v as f32]);
        }
    }
    let row = segments + 1;
    for j in 0..rings {
        for i in 0..segments {
            let (a, b) = (j * row + i, j * row + i + 1);
            let (c, d) = (a + row, b + row);
            m.indices.extend_from_slice(&[a, c, b, b, c, d]);
        }
    }
    m
}

fn lerp3(a: [f64; 3], b: [f64; 3], t: f64) -> [f64; 3] {
    let t = t.clamp(0.0, 1.0);
    [0, 1, 2].map(|i| a[i] + (b[i] - a[i]) * t)
}

fn smoothstep(lo: f64, hi: f64, x: f64) -> f64 {
    let t = ((x - lo) / (hi - lo)).clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

/// How far the sky is from night (0) to day (1) at a sun elevation (degrees). It stays a
/// day sky until the sun is nearly down and turns to night through twilight (the sun 3 to
/// 9 degrees below the horizon): a camera exposes for the ground, which the sky itself
/// lights, so at sunset the sky still outshines the ground.
pub fn daylight(sun_elevation_deg: f64) -> f64 {
    smoothstep(-9.0, 3.0, sun_elevation_deg)
}

/// The colours of one environment's sky (display sRGB, 0..1).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SkyLook {
    pub zenith: [f64; 3],
    pub horizon: [f64; 3],
    /// Lit cloud tops and their shadowed bases.
    pub cloud_lit: [f64; 3],
    pub cloud_dark: [f64; 3],
    /// Share of the sky's warmth that gathers towards the sun's azimuth (dusk, dawn).
    pub dusk: f64,
    /// Strength of the glow around the sun.
    pub glow: f64,
    /// How much of the dome (sky, clouds, the sun's glow) the fog hides behind its own
    /// colour, the fogged horizon's: seen up through a fog layer the sky is fog.
    pub veil: f64,
}

/// Depth of the fog layer a camera looks up through (m): with the sky hidden as light
/// through this much fog is, 0.01/m leaves 55 % of the sky, 0.03/m 17 %, 0.2/m none.
const FOG_LAYER: f64 = 60.0;

impl SkyLook {
    pub fn of(env: &EnvironmentPlan) -> SkyLook {
        let sun = env.sun_elevation_deg;
        let day = daylight(sun);
        let cloud = env.cloudiness.clamp(0.0, 1.0);
        let rain = env.rain.clamp(0.0, 1.0);
        let overcast = (cloud * 0.8 + rain * 0.5).min(1.0);
        let dusk = (1.0 - (sun / 14.0).clamp(0.0, 1.0)) * day;
        let clear_zenith = [0.40, 0.58, 0.88];
        let clear_horizon = [0.80, 0.87, 0.95];
        let grey_zenith = [0.52, 0.55, 0.59];
        let grey_horizon = [0.66, 0.68, 0.70];
        let night_zenith = [0.010, 0.014, 0.032];
        let night_horizon = [0.05, 0.05, 0.07];
        let zenith_day = lerp3(clear_zenith, grey_zenith, overcast);
        let horizon_day = lerp3(
            lerp3(clear_horizon, grey_horizon, overcast),
            [0.95, 0.62, 0.42],
            dusk * (1.0 - overcast) * 0.7,
        );
        // Rain and fog dim the whole dome.
        let dim = 1.0 - 0.3 * rain;
        let zenith = lerp3(night_zenith, zenith_day, day).map(|c| c * dim);
        let mut horizon = lerp3(night_horizon, horizon_day, day).map(|c| c * dim);
        if env.fog_density > 0.0 {
            let fog = (env.fog_density * 40.0).clamp(0.0, 0.8);
            horizon = lerp3(horizon, [0.72, 0.74, 0.76].map(|c| c * day.max(0.08)), fog);
        }
        let lit_day = lerp3([0.96, 0.95, 0.93], [0.70, 0.71, 0.73], overcast);
        let cloud_lit = lerp3(
            [0.06, 0.06, 0.075],
            lerp3(lit_day, [0.98, 0.70, 0.52], dusk * 0.6),
            day,
        )
        .map(|c| c * dim);
        let cloud_dark = lerp3(
            [0.03, 0.03, 0.04],
            lerp3([0.66, 0.68, 0.72], [0.38, 0.39, 0.42], overcast),
            day,
        )
        .map(|c| c * dim);
        SkyLook {
            zenith,
            horizon,
            cloud_lit,
            cloud_dark,
            dusk: dusk * (1.0 - overcast),
            glow: day * (1.0 - cloud) * (1.0 - rain),
            veil: 1.0 - libm::exp(-env.fog_density.max(0.0) * FOG_LAYER),
        }
    }
}

/// Encodes a display value 0..1 as a byte.
fn byte(c: f64) -> u8 {
    (c.clamp(0.0, 1.0) * 255.0 + 0.5) as u8
}

/// The sky texture of `env` (sRGB), its clouds from `seed`.
pub fn sky_texture(env: &EnvironmentPlan, seed: u64) -> Texture {
    let look = SkyLook::of(env);
    let n = SKY_TEXELS;
    let sun = direction(
        env.sun_azimuth_deg / 360.0,
        (90.0 - env.sun_elevation_deg) / (90.0 + BELOW_HORIZON_DEG),
    );
    let cover = env
        .cloudiness
        .clamp(0.0, 1.0)
        .max(env.rain.clamp(0.0, 1.0) * 0.8);
    let (shape, shade) = (noise::mix(seed ^ 0x5c1d), noise::mix(seed ^ 0xc10d));
    let mut texels = Vec::with_capacity((n * n) as usize);
    let centre = |k: u32| (f64::from(k) + 0.5) / f64::from(n);
    // Directions factor into an azimuth per column and an elevation per row.
    let columns: Vec<[f64; 3]> = (0..n)
        .map(|i| direction(centre(i), 90.0 / (90.0 + BELOW_HORIZON_DEG)))
        .collect();
    let rows: Vec<[f64; 3]> = (0..n).map(|j| direction(0.0, centre(j))).collect();
    for row in &rows {
        // cos(elevation) and sin(elevation) of this row.
        let (ce, se) = (row[1], row[2]);
        for col in &columns {
            let d = [col[0] * ce, col[1] * ce, se];
            let up = d[2].max(0.0);
            // Gradient: most of the change happens near the horizon.
            let t = libm::pow(up, 0.45);
            let mut c = lerp3(look.horizon, look.zenith, t);
            let cos_sun = d[0] * sun[0] + d[1] * sun[1] + d[2] * sun[2];
            // Dusk warmth gathers on the sun's side, low in the sky.
            let side = 0.5 + 0.5 * cos_sun;
            c = lerp3(
                c,
                [1.0, 0.58, 0.36],
                look.dusk * side * side * (1.0 - t) * 0.8,
            );
            let angle = libm::acos(cos_sun.clamp(-1.0, 1.0));
            let glow =
                look.glow * (0.35 * libm::exp(-angle / 0.12) + 0.12 * libm::exp(-angle / 0.5));
            c = c.map(|x| x + glow);
            if d[2] > 0.0 && cover > 0.0 {
                // The cloud layer: a flat plane overhead, sampled where this ray meets it.
                let reach = 1.0 / d[2].max(0.06);
                let (x, y) = (d[0] * reach * 0.045, d[1] * reach * 0.045);
                let (fu, fv) = ((x - libm::floor(x)) as f32, (y - libm::floor(y)) as f32);
                let density = f64::from(noise::fbm(shape, fu, fv, 6, 6, 5, 0.55));
                let edge = 1.0 - cover;
                // Fair-weather clouds have defined outlines; a wide ramp smeared them into
                // grey haze.
                let amount =
                    smoothstep(edge - 0.05, edge + 0.12, density) * smoothstep(0.0, 0.10, d[2]);
                // Thin edges let the sun through; the thick middles are grey underneath.
                let depth = smoothstep(edge, edge + 0.35, density);
                let body = f64::from(noise::fbm(shade, fu, fv, 12, 12, 3, 0.5));
                let light = (body * 1.2 + 0.25 - 0.55 * depth).clamp(0.0, 1.0);
                let cloud = lerp3(look.cloud_dark, look.cloud_lit, light);
                // Distant clouds fade into the horizon haze.
                let cloud = lerp3(look.horizon, cloud, smoothstep(0.0, 0.25, d[2]));
                c = lerp3(c, cloud, amount);
            }
            c = lerp3(c, look.horizon, look.veil);
            if d[2] < 0.0 {
                c = c.map(|x| x * 0.85);
            }
            texels.push([byte(c[0]), byte(c[1]), byte(c[2]), 255]);
        }
    }
    Texture { size: n, texels }
}

/// The fog colour that matches the sky's horizon (display sRGB, 0..1).
pub fn horizon_color(env: &EnvironmentPlan) -> [f64; 3] {
    SkyLook::of(env).horizon
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(sun: f64, cloud: f64, rain: f64) -> EnvironmentPlan {
        EnvironmentPlan {
            time_of_day: 12.0,
            sun_elevation_deg: sun,
            sun_azimuth_deg: 180.0,
            cloudiness: cloud,
            rain,
            fog_density: 0.0,
            wet_road: rain > 0.0,
            street_lights_on: sun < 0.0,
            ambient: 1.0,
        }
    }

    fn texel(t: &Texture, u: f64, v: f64) -> [u8; 4] {
        let n = f64::from(t.size);
        t.texels[((v * n) as usize).min(t.size as usize - 1) * t.size as usize
            + ((u * n) as usize).min(t.size as usize - 1)]
    }

    fn luma(p: [u8; 4]) -> f64 {
        0.2126 * f64::from(p[0]) + 0.7152 * f64::from(p[1]) + 0.0722 * f64::from(p[2])
    }

    /// Dense fog hid the ground but left a clear blue sky above it, with buildings cut
    /// out grey against it.
    #[test]
    fn dense_fog_hides_the_sky_behind_the_fog_colour() {
        let zenith = |fog: f64| {
            let e = EnvironmentPlan {
                fog_density: fog,
                ..env(50.0, 0.0, 0.0)
            };
            (texel(&sky_texture(&e, 3), 0.3, 0.02), horizon_color(&e))
        };
        let (clear, _) = zenith(0.0);
        assert!(clear[2] > clear[0] + 60, "blue without fog {clear:?}");
        let (dense, fog) = zenith(0.2);
        for k in 0..3 {
            assert!(
                (f64::from(dense[k]) - fog[k] * 255.0).abs() <= 2.0,
                "the zenith {dense:?} is the fog's colour {fog:?}"
            );
        }
        let (light, _) = zenith(0.01);
        let blueness = |p: [u8; 4]| i32::from(p[2]) - i32::from(p[0]);
        assert!(
            blueness(light) > 15 && blueness(light) < blueness(clear),
            "light fog pales the sky {clear:?} without hiding it: {light:?}"
        );
    }

    #[test]
    fn a_clear_day_is_blue_overhead_and_paler_at_the_horizon() {
        let t = sky_texture(&env(45.0, 0.0, 0.0), 1);
        let zenith = texel(&t, 0.0, 0.01);
        let horizon = texel(&t, 0.0, 88.0 / 102.0);
        assert!(zenith[2] > zenith[0] + 60, "blue zenith {zenith:?}");
        assert!(luma(horizon) > luma(zenith), "{horizon:?} vs {zenith:?}");
    }

    #[test]
    fn night_is_dark_and_clouds_follow_cloudiness() {
        let night = sky_texture(&env(-20.0, 0.0, 0.0), 1);
        let mean =
            |t: &Texture| t.texels.iter().map(|p| luma(*p)).sum::<f64>() / t.texels.len() as f64;
        assert!(mean(&night) < 20.0, "night mean {}", mean(&night));
        // Texel-to-texel spread overhead: clouds make the sky patchy, a clear sky is smooth.
        let spread = |t: &Texture| {
            let row: Vec<f64> = (0..t.size)
                .map(|i| luma(t.texels[(t.size as usize / 5) * t.size as usize + i as usize]))
                .collect();
            let m = row.iter().sum::<f64>() / row.len() as f64;
            (row.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / row.len() as f64).sqrt()
        };
        let clear = sky_texture(&env(40.0, 0.0, 0.0), 3);
        let broken = sky_texture(&env(40.0, 0.5, 0.0), 3);
        assert!(
            spread(&broken) > 1.5 * spread(&clear).max(1.0),
            "{} vs {}",
            spread(&broken),
            spread(&clear)
        );
        let rain = sky_texture(&env(40.0, 0.9, 0.8), 3);
        assert!(mean(&rain) < mean(&clear), "rain is darker");
    }

    #[test]
    fn the_sky_stays_bright_at_sunset_and_darkens_through_twilight() {
        let mean = |sun: f64| {
            let t = sky_texture(&env(sun, 0.0, 0.0), 5);
            t.texels.iter().map(|p| luma(*p)).sum::<f64>() / t.texels.len() as f64
        };
        let (noon, sunset, twilight, night) = (mean(50.0), mean(1.5), mean(-5.0), mean(-12.0));
        // The ground at sunset is lit by this sky: it must not be a night sky.
        assert!(sunset > 0.75 * noon, "sunset {sunset} vs noon {noon}");
        assert!(
            night < twilight && twilight < 0.7 * sunset,
            "{sunset} > {twilight} > {night}"
        );
        assert!(night < 20.0, "night {night}");
    }

    #[test]
    fn the_sun_glows_where_the_plan_puts_it_and_textures_are_reproducible() {
        let e = env(20.0, 0.0, 0.0);
        let t = sky_texture(&e, 9);
        assert_eq!(t, sky_texture(&e, 9));
        // Azimuth 180 (south) at 20 degrees up, against the opposite side of the sky.
        let v = (90.0 - 20.0) / (90.0 + BELOW_HORIZON_DEG);
        assert!(luma(texel(&t, 0.5, v)) > luma(texel(&t, 0.0, v)) + 40.0);
    }

    #[test]
    fn the_dome_surrounds_the_origin_and_reaches_below_the_horizon() {
        let m = dome(1000.0, 32, 16);
        assert_eq!(m.positions.len(), 33 * 17);
        assert_eq!(m.indices.len(), 32 * 16 * 6);
        for p in &m.positions {
            let r = (p[0] * p[0] + p[1] * p[1] + p[2] * p[2]).sqrt();
            assert!((r - 1000.0).abs() < 0.5);
        }
        let lowest = m.positions.iter().map(|p| p[2]).fold(f32::MAX, f32::min);
        assert!((lowest + 1000.0 * (BELOW_HORIZON_DEG as f32).to_radians().sin()).abs() < 1.0);
    }
}
