//! From the world's z-up f64 geometry to Bevy's y-up f32 meshes, transforms and materials.
//!
//! Everything is spawned under one root entity rotated -90 degrees about x, so children
//! keep the plan's z-up coordinates and the renderer sees Bevy's y-up convention.

use bevy::asset::RenderAssetUsages;
use bevy::math::{Mat3, Quat, Vec3};
use bevy::mesh::{Indices, Mesh, PrimitiveTopology};
use bevy::prelude::*;
use drivegen_labels::math::{Iso3, M3};
use drivegen_plan::{EnvironmentPlan, LampState};
use drivegen_world::mesh::{MeshData, Surface};

/// The root's rotation: world z-up into Bevy y-up.
pub fn root_rotation() -> Quat {
    Quat::from_rotation_x(-std::f32::consts::FRAC_PI_2)
}

pub fn quat(m: &M3) -> Quat {
    let r = &m.rows;
    let col = |j: usize| Vec3::new(r[0][j] as f32, r[1][j] as f32, r[2][j] as f32);
    Quat::from_mat3(&Mat3::from_cols(col(0), col(1), col(2))).normalize()
}

/// A transform in the root's (z-up) space.
pub fn transform(iso: &Iso3) -> Transform {
    let t = iso.translation;
    Transform {
        translation: Vec3::new(t.x as f32, t.y as f32, t.z as f32),
        rotation: quat(&iso.rotation),
        scale: Vec3::ONE,
    }
}

/// A camera transform from an OpenCV-convention camera pose (x right, y down, z forward):
/// Bevy cameras look along -z with y up, so the y and z axes flip.
pub fn camera_transform(world_from_camera: &Iso3) -> Transform {
    let flip = M3 {
        rows: [[1.0, 0.0, 0.0], [0.0, -1.0, 0.0], [0.0, 0.0, -1.0]],
    };
    transform(&Iso3 {
        rotation: world_from_camera.rotation.mul(&flip),
        translation: world_from_camera.translation,
    })
}

/// A Bevy mesh of the same triangles, with texture coordinates, and tangents when its
/// material is normal-mapped.
pub fn mesh(data: &MeshData, tangents: bool) -> Mesh {
    let mesh = Mesh::new(
        PrimitiveTopology::TriangleList,
        RenderAssetUsages::RENDER_WORLD,
    )
    .with_inserted_attribute(Mesh::ATTRIBUTE_POSITION, data.positions.clone())
    .with_inserted_attribute(Mesh::ATTRIBUTE_NORMAL, data.normals.clone())
    .with_inserted_attribute(Mesh::ATTRIBUTE_UV_0, data.uvs.clone())
    .with_inserted_indices(Indices::U32(data.indices.clone()));
    if tangents {
        mesh.with_inserted_attribute(Mesh::ATTRIBUTE_TANGENT, data.tangents())
    } else {
        mesh
    }
}

fn srgb(c: [u8; 3]) -> Color {
    Color::srgb_u8(c[0], c[1], c[2])
}

fn lit(color: Color, roughness: f32, metallic: f32) -> StandardMaterial {
    StandardMaterial {
        base_color: color,
        perceptual_roughness: roughness,
        metallic,
        ..default()
    }
}

fn emissive(c: [u8; 3], nits: f32) -> StandardMaterial {
    let lin = srgb(c).to_linear();
    StandardMaterial {
        base_color: srgb(c),
        emissive: LinearRgba::rgb(lin.red * nits, lin.green * nits, lin.blue * nits),
        ..default()
    }
}

/// A vehicle's tail lamps: glowing at night, brighter while it brakes.
pub fn tail_lamp(night: bool, braking: bool) -> StandardMaterial {
    // Emissive light skips the camera's exposure (StandardMaterial's default exposure
    // weight is 0), so these are display-linear levels: pure reds dim enough that ACES
    // keeps them red instead of bleaching them white.
    match (night, braking) {
        (true, false) => emissive([255, 6, 4], 1.2),
        (true, true) => emissive([255, 10, 6], 3.0),
        (false, false) => emissive([150, 12, 10], 0.3),
        (false, true) => emissive([255, 10, 6], 2.5),
    }
}

/// Lamp colours of a signal head, lit or dark.
pub fn signal_lamp(state: LampState, lit_now: bool) -> StandardMaterial {
    let c = match state {
        LampState::Red => [230, 30, 20],
        LampState::Amber => [250, 160, 0],
        LampState::Green => [40, 230, 90],
    };
    if lit_now {
        emissive(c, 4000.0)
    } else {
        lit(Color::srgb_u8(c[0] / 6, c[1] / 6, c[2] / 6), 0.3, 0.0)
    }
}

/// A flat (draft) ground material after rain, mirroring the plain sky.
fn wet_ground(mut m: StandardMaterial, env: &EnvironmentPlan) -> StandardMaterial {
    m.reflectance = wet_reflectance(env, sky_seen(env, false));
    m
}

/// Bark brown, flat or as the tint of the bark map.
pub const BARK: Color = Color::srgb(0.28, 0.19, 0.11);

/// The material for a surface in this environment.
pub fn material(surface: Surface, env: &EnvironmentPlan) -> StandardMaterial {
    let wet = env.wet_road;
    match surface {
        Surface::Asphalt => {
            if wet {
                wet_ground(lit(Color::srgb(0.09, 0.09, 0.1), 0.25, 0.0), env)
            } else {
                lit(Color::srgb(0.2, 0.2, 0.21), 0.9, 0.0)
            }
        }
        Surface::Sidewalk if wet => wet_ground(lit(Color::srgb(0.42, 0.41, 0.39), 0.45, 0.0), env),
        Surface::Sidewalk => lit(Color::srgb(0.42, 0.41, 0.39), 0.9, 0.0),
        Surface::Kerb => lit(Color::srgb(0.62, 0.62, 0.6), 0.8, 0.0),
        Surface::Grass => lit(Color::srgb(0.22, 0.33, 0.13), 1.0, 0.0),
        // Aerial perspective: distant woods take on the colour of the sky between.
        Surface::Hills => {
            let haze = sky_color(env).to_srgba();
            let wood = [0.09, 0.14, 0.07];
            let mix = |k: usize, h: f32| wood[k] * 0.6 + h * 0.4;
            lit(
                Color::srgb(mix(0, haze.red), mix(1, haze.green), mix(2, haze.blue)),
                1.0,
                0.0,
            )
        }
        Surface::PaintWhite => lit(Color::srgb(0.88, 0.88, 0.86), 0.6, 0.0),
        Surface::PaintYellow => lit(Color::srgb(0.85, 0.62, 0.08), 0.6, 0.0),
        Surface::Body(c) => lit(srgb(c), 0.3, 0.4),
        Surface::Glass => lit(Color::srgb(0.05, 0.07, 0.09), 0.08, 0.6),
        Surface::Tyre => lit(Color::srgb(0.04, 0.04, 0.04), 0.9, 0.0),
        Surface::Lamp(c, strength) => emissive(c, strength * 100.0),
        Surface::DarkMetal => lit(Color::srgb(0.07, 0.07, 0.07), 0.5, 0.3),
        Surface::SignalLamp(state) => signal_lamp(state, false),
        Surface::Metal => lit(Color::srgb(0.42, 0.43, 0.45), 0.45, 0.7),
        Surface::Facade(c) => lit(srgb(c), 0.85, 0.0),
        Surface::Window => lit(Color::srgb(0.1, 0.13, 0.17), 0.12, 0.3),
        Surface::Bark => lit(BARK, 0.95, 0.0),
        Surface::Foliage(c) => lit(srgb(c), 0.9, 0.0),
        Surface::Cloth(c) => lit(srgb(c), 0.95, 0.0),
        Surface::Skin(c) => lit(srgb(c), 0.7, 0.0),
        Surface::TailLamp => tail_lamp(env.vehicle_lights_on(), false),
        Surface::SignFace(c) => lit(srgb(c), 0.4, 0.1),
    }
}

/// Sky colour for the clear colour and fog, from sun elevation and clouds.
pub fn sky_color(env: &EnvironmentPlan) -> Color {
    let day = drivegen_world::sky::daylight(env.sun_elevation_deg) as f32;
    let cloud = env.cloudiness as f32;
    let clear = Vec3::new(0.42, 0.6, 0.86);
    let grey = Vec3::new(0.62, 0.64, 0.67);
    let night = Vec3::new(0.015, 0.02, 0.045);
    let dusk_tint = Vec3::new(0.85, 0.55, 0.4);
    let dusk = (1.0 - (env.sun_elevation_deg as f32 / 12.0).clamp(0.0, 1.0)) * day;
    let daytime = clear
        .lerp(grey, cloud)
        .lerp(dusk_tint, dusk * (1.0 - cloud) * 0.6);
    let c = night.lerp(daytime, day) * (1.0 - 0.35 * env.rain as f32);
    Color::srgb(c.x, c.y, c.z)
}

/// The sky's colour as the frame and the ambient fill see it: with the painted dome, its
/// horizon colour (the colour fog fades to); without it (the draft quality), the plain sky.
pub fn sky_seen(env: &EnvironmentPlan, painted: bool) -> Color {
    if painted {
        let [r, g, b] = drivegen_world::sky::horizon_color(env).map(|c| c as f32);
        Color::srgb(r, g, b)
    } else {
        sky_color(env)
    }
}

/// Sunlight's colour (linear RGB). A camera white-balances for sun and sky together, so
/// direct sun reads warm and skylit shade blue: both real cameras' sunlit road is warmer
/// than their shaded road, real-road-hmb's shade about twice as blue as red. A white sun
/// over a grey-blue fill left the renders' road one neutral grey in sun and shade. The
/// warmth was measured (docs/realism-log.md, "Warm sun, blue shade"): warmer suns, up to
/// this one, lowered the realism test's accuracy against both cameras.
pub const SUNLIGHT: Color = Color::linear_rgb(1.0, 0.82, 0.52);

/// The sun's colour in this environment. Thick cloud scatters it white and hides the blue
/// sky the camera balanced it against, so it turns neutral (at its own luminance) as the
/// sky goes from three-quarters covered to overcast; with more of the sky open the warm
/// sun and blue shade stay. Neutral light from half cover on made partly cloudy scenes
/// easier to tell from both (sunny) real cameras: roundabout, clouds 0.2-0.9, 0.790 ->
/// 0.832 against real-road (docs/realism-log.md, "Overcast light").
pub fn sunlight(env: &EnvironmentPlan) -> Color {
    let warm = SUNLIGHT.to_linear();
    let grey = luminance(SUNLIGHT);
    Color::from(warm.mix(&LinearRgba::rgb(grey, grey, grey), overcast(env)))
}

/// The sun's light through the clouds (lux on a surface facing it), beam and scattered
/// together: dimmed by cloud and rain.
fn sun_through_clouds(env: &EnvironmentPlan) -> f32 {
    12_000.0
        * sun_height_sine(env)
        * (1.0 - 0.75 * env.cloudiness as f32)
        * (1.0 - 0.5 * env.rain as f32)
}

/// The sine of the sun's elevation, 0 once it has set.
fn sun_height_sine(env: &EnvironmentPlan) -> f32 {
    env.sun_elevation_deg.max(0.0).to_radians().sin() as f32
}

/// The sun's direct beam (lux). An overcast sky hides the sun's disc: its light arrives
/// scattered from the whole sky, so the beam fades into the fill as the cover closes,
/// with its shadows and its glint on a wet road (a downpour under a low sun glinted like
/// a clear evening's road in the draft quality, which has no shadows to hide it).
pub fn sun_illuminance(env: &EnvironmentPlan) -> f32 {
    sun_through_clouds(env) * (1.0 - overcast(env))
}

/// The fill (cd/m²) that stands for the sun's light the clouds scattered: as bright on
/// level ground as the beam it replaces (Bevy's fill lights a matte surface at its
/// brightness, a beam at its illuminance over pi times the sine of its elevation).
fn scattered_sun_nits(env: &EnvironmentPlan) -> f32 {
    sun_through_clouds(env) * overcast(env) * sun_height_sine(env) / std::f32::consts::PI
}

/// How overcast the sky is: 0 up to three-quarters cloud cover, rising smoothly to 1 at
/// full cover.
fn overcast(env: &EnvironmentPlan) -> f32 {
    const FROM: f32 = 0.75;
    let t = ((env.cloudiness as f32 - FROM) / (1.0 - FROM)).clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

/// Colour of the clear sky's light (linear RGB), before it is balanced with the sun.
const SKYLIGHT_BLUE: LinearRgba = LinearRgba::rgb(0.45, 0.62, 1.0);

/// The ambient light standing in for skylight and light bounced off facades and road:
/// its colour and brightness (cd/m²) under a sky whose horizon is `sky` (the painted
/// dome's horizon, or the draft quality's plain sky).
pub fn ambient_light(env: &EnvironmentPlan, sky: Color) -> (Color, f32) {
    let nits = skylight_nits(env) + scattered_sun_nits(env);
    (ambient_color(env, sky), nits)
}

/// The fill's brightness (cd/m²) from the sky and bounce light, before any of the sun's
/// light the clouds scattered. 15 % above the fill first measured (docs/realism-log.md,
/// "Warm sun, blue shade"): with less, shadowed road fell far below the real cameras'
/// shadows.
fn skylight_nits(env: &EnvironmentPlan) -> f32 {
    1.15 * (15.0 + 1600.0 * env.ambient) as f32
}

/// Half the sky's horizon colour, balanced towards white so shaded faces keep colour;
/// half the blue of open sky, which lights the shade a camera sees as blue. Thick cloud
/// hides the blue sky and the sun the camera balanced against: under overcast the fill is
/// the grey of the clouds (with the clear sky's blue there, wet roads at noon came out
/// blue-silver).
fn ambient_color(env: &EnvironmentPlan, sky: Color) -> Color {
    let open_sky = 0.5 * (1.0 - overcast(env));
    let c = sky
        .to_linear()
        .mix(&LinearRgba::WHITE, 0.5)
        .mix(&SKYLIGHT_BLUE, open_sky);
    Color::from(c)
}

/// The cameras' exposure (EV at ISO 100): daylight at EV 9.7, night several stops brighter.
pub fn exposure_ev100(env: &EnvironmentPlan) -> f32 {
    (6.8 + 2.9 * env.ambient.clamp(0.0, 1.0)) as f32
}

/// Bevy's `reflectance` for wet ground: how much of the fill a smooth wet surface mirrors.
///
/// At a grazing view wet asphalt mirrors the sky. Bevy's ambient fill stands for all the
/// light in the scene, sky and bounce, and is several times brighter than the painted dome
/// as the frame shows it, so at water's reflectance (0.35-0.5) a wet road by day mirrored
/// a sky brighter than the sky: a silver road under a dark grey one. Bevy scales the grazing
/// reflection by 16.5 F0 (F0 = 0.16 reflectance², Filament's specular occlusion), so by day
/// the reflectance is chosen for the fill's grazing reflection to equal the sky's horizon as
/// the frame shows it. As the daylight goes the lamps' reflections take over, and they need
/// water's own reflectance: it returns to Bevy's default with the headlights.
pub fn wet_reflectance(env: &EnvironmentPlan, sky: Color) -> f32 {
    const DEFAULT: f32 = 0.5;
    let (fill, nits) = ambient_light(env, sky);
    let exposure = bevy::camera::Exposure {
        ev100: exposure_ev100(env),
    }
    .exposure();
    let fill_seen = luminance(fill) * nits * exposure;
    let sky_seen = luminance(sky);
    let day = if fill_seen > 0.0 {
        let f90 = (sky_seen / fill_seen).min(1.0);
        (f90 / (16.5 * 0.16)).sqrt().clamp(0.1, DEFAULT)
    } else {
        DEFAULT
    };
    day + (DEFAULT - day) * headlight_share(env.sun_elevation_deg)
}

/// Relative luminance of a colour in linear light.
fn luminance(c: Color) -> f32 {
    c.to_linear().luminance()
}

/// The ego headlight's share of its night intensity: it switches on with the street
/// lights and reaches full strength at the end of civil dusk (6° below the horizon). A
/// camera exposed for twilight sees the beam on the road only as the daylight goes: at full
/// strength with the sun just above the horizon it painted a blown-out white pool on the
/// dry road ahead.
pub fn headlight_share(sun_elevation_deg: f64) -> f32 {
    const CIVIL_DUSK_DEG: f64 = -6.0;
    let on = drivegen_plan::scene::STREET_LIGHTS_BELOW_SUN_DEG;
    let span = (on - CIVIL_DUSK_DEG) as f32;
    let darkness = ((on as f32 - sun_elevation_deg as f32) / span).clamp(0.0, 1.0);
    darkness * darkness
}

/// The ego headlight's beam: one spot light standing for both lamps.
///
/// A point source at the bumper lights the road just ahead hundreds of times more
/// brightly than the road 20 m on (inverse square, and light grazing the road falls off
/// towards the horizon): aimed at the road with a wide cone it painted a blown-out white
/// pool at the bottom of every dusk frame (860 times the light at 20 m, 2 m ahead). A real
/// low beam sends little light to the road just ahead and most towards the horizon, which
/// Bevy's spot (one round falloff from its axis) cannot draw from the bumper. Its light
/// comes instead from a point `BEHIND_M` behind the bumper and `HEIGHT_M` up, in a narrow
/// cone aimed at the road `AIM_M` ahead: relative to the road 20 m ahead, the road gets
/// 1.5 times the light 1 m ahead of the bumper, 4.5–4.8 times 3–5 m ahead, 2.4 times at
/// 12 m and 0.4 at 30 m, in a fan about 9 m wide at 10 m. Spot lights cast no shadows
/// here, so the ego's own body does not block it.
pub mod headlight {
    /// How far behind the front bumper the light comes from.
    pub const BEHIND_M: f32 = 8.0;
    /// Its height above the road.
    pub const HEIGHT_M: f32 = 2.5;
    /// Where the axis meets the road, ahead of the bumper.
    pub const AIM_M: f32 = 40.0;
    /// Half-angles of the cone: full intensity within the inner, none beyond the outer.
    pub const INNER_ANGLE: f32 = 0.0;
    pub const OUTER_ANGLE: f32 = 0.25;
    /// Luminous power (lm), at the night's full strength. Far above a real pair of lamps'
    /// because the renderer's night exposure (EV100 about 7, `exposure_ev100`) is several
    /// stops darker than a dash camera's at night (about EV 2): at this power the road in
    /// the beam reads as a dash camera shows it, lit, not clipped.
    pub const LUMENS: f32 = 12_000_000.0;
    /// Bevy's range, from the light: the beam fades out about 50 m ahead of the bumper, as
    /// far as a low beam lights the road.
    pub const RANGE_M: f32 = 60.0;
}

/// Sun direction in the z-up world (pointing from the sun towards the ground).
pub fn sun_direction(env: &EnvironmentPlan) -> Vec3 {
    let el = (env.sun_elevation_deg as f32).to_radians().max(0.05);
    // Azimuth clockwise from north (+y).
    let az = (env.sun_azimuth_deg as f32).to_radians();
    -Vec3::new(el.cos() * az.sin(), el.cos() * az.cos(), el.sin())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Blue over red of a colour in linear light.
    fn blueness(c: Color) -> f32 {
        let l = c.to_linear();
        l.blue / l.red
    }

    #[test]
    fn the_headlight_fades_in_as_the_daylight_goes() {
        let at = headlight_share;
        let on = drivegen_plan::scene::STREET_LIGHTS_BELOW_SUN_DEG;
        assert_eq!(at(on), 0.0, "no beam while the street lights are off");
        assert_eq!(at(-6.0), 1.0, "full beam after civil dusk");
        assert_eq!(at(-30.0), 1.0);
        let dusk = [2.0, 0.0, -1.5, -4.5];
        for pair in dusk.windows(2) {
            assert!(at(pair[0]) < at(pair[1]), "darker is brighter: {pair:?}");
        }
        assert!(at(1.65) < 0.15, "downtown jam's low sun: {}", at(1.65));
    }

    /// Road illuminance `ahead_m` in front of the bumper along the axis, up to a constant:
    /// Bevy's spot falloff (Filament's: the square of a linear ramp in the cosine between
    /// the outer and inner cones) times the inverse square and the cosine of incidence.
    fn road_illuminance(ahead_m: f32) -> f32 {
        use headlight::{AIM_M, BEHIND_M, HEIGHT_M, INNER_ANGLE, OUTER_ANGLE};
        let d = ahead_m + BEHIND_M;
        let r = d.hypot(HEIGHT_M);
        let axis = (AIM_M + BEHIND_M).hypot(HEIGHT_M);
        let cos_off_axis = (d * (AIM_M + BEHIND_M) + HEIGHT_M * HEIGHT_M) / (r * axis);
        let scale = 1.0 / (INNER_ANGLE.cos() - OUTER_ANGLE.cos()).max(1e-4);
        let ramp = ((cos_off_axis - OUTER_ANGLE.cos()) * scale).clamp(0.0, 1.0);
        ramp * ramp / (r * r) * (HEIGHT_M / r)
    }

    #[test]
    fn the_headlight_lights_the_road_ahead_not_a_pool_at_the_bumper() {
        let at = road_illuminance;
        let far = at(20.0);
        assert!(far > 0.0);
        assert!(
            at(1.0) < at(5.0),
            "no pool at the bumper: {} against {}",
            at(1.0),
            at(5.0)
        );
        let brightest = (1..80).map(|d| at(d as f32 * 0.5)).fold(0.0f32, f32::max);
        assert!(
            brightest < 6.0 * far,
            "brightest road {brightest}, at 20 m {far}"
        );
        assert!(
            at(10.0) > 2.0 * far && at(30.0) < far,
            "it still falls with distance"
        );
    }

    fn environment(sun_elevation_deg: f64, cloudiness: f64) -> EnvironmentPlan {
        EnvironmentPlan {
            time_of_day: 12.0,
            sun_elevation_deg,
            sun_azimuth_deg: 180.0,
            cloudiness,
            rain: 0.0,
            fog_density: 0.0,
            wet_road: false,
            street_lights_on: false,
            ambient: 1.0,
        }
    }

    #[test]
    fn skylit_shade_is_bluer_than_sunlight_under_clear_grey_and_dusk_skies() {
        let clear = environment(50.0, 0.0);
        let dusk = environment(3.0, 0.0);
        for env in [clear, dusk] {
            for painted in [true, false] {
                let sky = sky_seen(&env, painted);
                let (fill, _) = ambient_light(&env, sky);
                assert!(
                    blueness(fill) > 1.2 * blueness(SUNLIGHT).max(1.0),
                    "fill {fill:?} under {sky:?} (painted: {painted}) against sun {SUNLIGHT:?}"
                );
            }
        }
        assert!(blueness(SUNLIGHT) < 1.0, "the sun is warm: {SUNLIGHT:?}");
    }

    #[test]
    fn overcast_fill_and_sun_are_the_grey_of_the_clouds() {
        let clear = environment(50.0, 0.0);
        let overcast = environment(50.0, 1.0);
        let grey_sun = sunlight(&overcast);
        assert!(
            (blueness(grey_sun) - 1.0).abs() < 1e-3,
            "overcast sun {grey_sun:?}"
        );
        assert!((luminance(grey_sun) - luminance(SUNLIGHT)).abs() < 1e-3);
        for cloud in [0.0, 0.3, 0.5, 0.75] {
            assert_eq!(
                sunlight(&environment(50.0, cloud)),
                SUNLIGHT,
                "cloud {cloud}"
            );
        }
        for painted in [true, false] {
            let fill = |env: &EnvironmentPlan| ambient_light(env, sky_seen(env, painted)).0;
            let grey = fill(&overcast);
            assert!(
                blueness(grey) < 1.2 && blueness(grey) < blueness(fill(&clear)) - 0.2,
                "overcast fill {grey:?} against clear {:?} (painted: {painted})",
                fill(&clear)
            );
        }
    }

    #[test]
    fn the_beam_fades_into_the_fill_as_the_cover_closes() {
        for elevation in [10.0, 40.0] {
            let sun_up = (elevation as f32).to_radians().sin();
            let mut beams = vec![];
            for cloud in [0.5, 0.75, 0.85, 0.95, 1.0] {
                let env = environment(elevation, cloud);
                let beam = sun_illuminance(&env);
                let (_, nits) = ambient_light(&env, sky_seen(&env, true));
                // Level ground gets the light the clouds let through, beam or fill.
                let ground = beam * sun_up / std::f32::consts::PI + nits - skylight_nits(&env);
                let through = sun_through_clouds(&env) * sun_up / std::f32::consts::PI;
                assert!(
                    (ground - through).abs() < 1e-3 * through,
                    "sun {elevation} cloud {cloud}: ground {ground}, through clouds {through}"
                );
                beams.push(beam);
            }
            assert!(beams[0] > 0.0 && beams[1] > 0.0, "{beams:?}");
            assert!(beams.windows(2).all(|w| w[1] < w[0]), "{beams:?}");
            assert_eq!(beams[4], 0.0, "a beam under a full overcast");
        }
    }

    /// Luminance of the fill that smooth ground with this reflectance mirrors at a grazing
    /// view, as the frame shows it (Bevy: F90 = 16.5 F0, F0 = 0.16 reflectance²).
    fn mirrored_fill(env: &EnvironmentPlan, sky: Color, reflectance: f32) -> f32 {
        let (fill, nits) = ambient_light(env, sky);
        let exposure = bevy::camera::Exposure {
            ev100: exposure_ev100(env),
        }
        .exposure();
        let f90 = (16.5 * 0.16 * reflectance * reflectance).min(1.0);
        f90 * luminance(fill) * nits * exposure
    }

    #[test]
    fn wet_ground_by_day_mirrors_the_sky_no_brighter_than_the_sky() {
        for cloud in [0.0, 0.5, 0.95] {
            let mut env = environment(40.0, cloud);
            env.rain = 0.8;
            env.wet_road = true;
            env.ambient = 1.0 - 0.5 * cloud;
            for painted in [true, false] {
                let sky = sky_seen(&env, painted);
                let r = wet_reflectance(&env, sky);
                let mirrored = mirrored_fill(&env, sky, r);
                let sky_lum = luminance(sky);
                assert!(
                    (mirrored - sky_lum).abs() < 0.02 * sky_lum,
                    "cloud {cloud} painted {painted}: mirrors {mirrored} under a sky of {sky_lum} \
                     (reflectance {r})"
                );
                assert!(
                    mirrored_fill(&env, sky, 0.5) > 2.0 * sky_lum,
                    "at Bevy's default reflectance the road outshines the sky"
                );
            }
        }
    }

    #[test]
    fn wet_ground_at_night_keeps_water_reflectance_for_the_lamps() {
        let mut night = environment(-12.0, 0.9);
        night.wet_road = true;
        night.ambient = 0.05;
        assert_eq!(wet_reflectance(&night, sky_seen(&night, true)), 0.5);
        let mut dusk = environment(1.0, 0.9);
        dusk.wet_road = true;
        dusk.ambient = 0.2;
        let mut noon = environment(40.0, 0.9);
        noon.ambient = 0.55;
        let (r_dusk, r_noon) = (
            wet_reflectance(&dusk, sky_seen(&dusk, true)),
            wet_reflectance(&noon, sky_seen(&noon, true)),
        );
        assert!(
            r_noon < r_dusk && r_dusk < 0.5,
            "noon {r_noon}, dusk {r_dusk}"
        );
    }
}
