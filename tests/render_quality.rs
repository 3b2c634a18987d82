//! The render quality presets: labels are the same at every quality, each quality's RGB
//! is byte-identical on a rerun, and the presets differ where they say they do (a painted
//! sky with a gradient and clouds instead of a flat colour, textured surfaces).

#[path = "common/prerequisite.rs"]
mod prerequisite;

use drivegen_plan::{ScenePlan, plan};
use drivegen_sim::{Engine, EngineOptions, Frame, Quality, SurfaceLook};

/// The default scenario, small and short, with `cloudiness` overridden.
fn small_plan(cloudiness: f64) -> ScenePlan {
    let mut s = drivegen_scenario::load_default()
        .expect("the default scenario loads")
        .scenario;
    s.capture.frames = Some(3);
    for cam in &mut s.sensors.cameras {
        (cam.width, cam.height) = (320, 192);
        // These tests judge the renderer's image, before a camera's pipeline blurs it.
        cam.sensor = None;
    }
    let mut p = plan(&s, 0).expect("plans");
    p.environment.cloudiness = cloudiness;
    p
}

fn run(plan: ScenePlan, quality: Quality) -> Vec<Frame> {
    Engine::new(plan, EngineOptions::at(quality))
        .expect("engine")
        .map(|f| f.expect("frame"))
        .collect()
}

fn vulkan() -> bool {
    prerequisite::prerequisite(
        "a Vulkan adapter",
        drivegen_sim::probe_adapter().is_ok(),
        "apt-get install libvulkan1 mesa-vulkan-drivers (tools/test.sh does)",
    )
}

/// Luma of the sky pixels (instance id 0) of a frame's first camera.
fn sky_luma(frame: &Frame) -> Vec<f64> {
    let cam = &frame.cameras[0];
    let rgba = cam.rgba.as_ref().expect("rgb");
    cam.ids
        .ids
        .iter()
        .enumerate()
        .filter(|(_, id)| **id == 0)
        .map(|(i, _)| {
            let p = &rgba[i * 4..i * 4 + 3];
            0.2126 * f64::from(p[0]) + 0.7152 * f64::from(p[1]) + 0.0722 * f64::from(p[2])
        })
        .collect()
}

fn spread(v: &[f64]) -> f64 {
    let m = v.iter().sum::<f64>() / v.len().max(1) as f64;
    (v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / v.len().max(1) as f64).sqrt()
}

#[test]
fn labels_are_the_same_and_rgb_reruns_are_identical_at_every_quality() {
    if !vulkan() {
        return;
    }
    let reference = run(small_plan(0.5), Quality::Draft);
    for quality in [Quality::Draft, Quality::Default, Quality::High] {
        let a = run(small_plan(0.5), quality);
        let b = run(small_plan(0.5), quality);
        assert_eq!(a.len(), reference.len());
        for ((fa, fb), fr) in a.iter().zip(&b).zip(&reference) {
            for ((ca, cb), cr) in fa.cameras.iter().zip(&fb.cameras).zip(&fr.cameras) {
                assert_eq!(ca.ids, cr.ids, "{quality:?}: instance and depth images");
                assert_eq!(ca.labels, cr.labels, "{quality:?}: object labels");
                assert!(ca.rgba.is_some());
                assert_eq!(ca.rgba, cb.rgba, "{quality:?}: RGB of a rerun");
            }
        }
    }
}

#[test]
fn the_default_quality_paints_the_sky_and_the_draft_keeps_it_plain() {
    if !vulkan() {
        return;
    }
    let draft = run(small_plan(0.5), Quality::Draft);
    let painted = run(small_plan(0.5), Quality::Default);
    let clear = run(small_plan(0.0), Quality::Default);
    let (d, p, c) = (
        sky_luma(&draft[0]),
        sky_luma(&painted[0]),
        sky_luma(&clear[0]),
    );
    assert!(
        d.len() > 1000,
        "the default view shows sky ({} px)",
        d.len()
    );
    assert!(
        spread(&d) < 1.0,
        "draft sky is one colour: spread {}",
        spread(&d)
    );
    // The painted sky is a gradient (with clouds at cloudiness 0.5), not one colour, and
    // the clouds change it.
    assert!(
        spread(&p) > 3.0 && spread(&c) > 3.0,
        "{} {}",
        spread(&p),
        spread(&c)
    );
    assert_ne!(p, c, "clouds change the sky");
    // Textures: the whole frame differs from the flat-coloured draft beyond the sky.
    let differing = draft[0].cameras[0]
        .rgba
        .as_ref()
        .expect("rgb")
        .chunks(4)
        .zip(painted[0].cameras[0].rgba.as_ref().expect("rgb").chunks(4))
        .zip(&draft[0].cameras[0].ids.ids)
        .filter(|((a, b), id)| **id != 0 && a != b)
        .count();
    assert!(differing > 10_000, "{differing} non-sky pixels differ");
}

/// Mean RGB of each instance (id 0: the sky) with at least `min_pixels` pixels, by id.
fn instance_means(frame: &Frame, min_pixels: usize) -> Vec<(u16, [f64; 3])> {
    let cam = &frame.cameras[0];
    let rgba = cam.rgba.as_ref().expect("rgb");
    let mut sums: std::collections::BTreeMap<u16, ([f64; 3], usize)> = Default::default();
    for (i, id) in cam.ids.ids.iter().enumerate() {
        let e = sums.entry(*id).or_default();
        for (c, sum) in e.0.iter_mut().enumerate() {
            *sum += f64::from(rgba[i * 4 + c]);
        }
        e.1 += 1;
    }
    sums.into_iter()
        .filter(|(_, (_, n))| *n >= min_pixels)
        .map(|(id, (s, n))| (id, s.map(|v| v / n as f64)))
        .collect()
}

/// Renders `plan` at `quality` with the lean shaders and with Bevy's PBR shader, checks
/// which look each used, and that the two images agree within a level or two.
fn assert_lean_shading_matches_pbr(
    name: &str,
    plan: &ScenePlan,
    quality: Quality,
    lean: SurfaceLook,
    pbr: SurfaceLook,
) {
    let with = |lean_shaders| {
        let options = EngineOptions {
            lean_shaders,
            ..EngineOptions::at(quality)
        };
        let engine = Engine::new(plan.clone(), options).expect("engine");
        let look = engine.surface_look();
        (look, engine.map(|f| f.expect("frame")).collect::<Vec<_>>())
    };
    let ((lean_look, lean_frames), (pbr_look, pbr_frames)) = (with(true), with(false));
    assert_eq!(lean_look, lean, "{name}");
    assert_eq!(pbr_look, pbr, "{name}");
    assert_eq!(lean_frames.len(), pbr_frames.len());
    for (d, p) in lean_frames.iter().zip(&pbr_frames) {
        let (cd, cp) = (&d.cameras[0], &p.cameras[0]);
        assert_eq!(cd.ids, cp.ids, "{name}: labels do not depend on shading");
        let (a, b) = (
            cd.rgba.as_ref().expect("rgb"),
            cp.rgba.as_ref().expect("rgb"),
        );
        // Same terms, other instruction order: a level or two apart, a few pixels where
        // a normal grazes the view more, and no holes (the clear colour is ~100 off).
        let diffs: Vec<u8> = a.iter().zip(b).map(|(x, y)| x.abs_diff(*y)).collect();
        let worst = diffs.iter().max().copied().unwrap_or(0);
        let off = diffs.iter().filter(|d| **d > 3).count();
        let mean = diffs.iter().map(|d| f64::from(*d)).sum::<f64>() / diffs.len() as f64;
        assert!(worst <= 16, "{name}: a pixel {worst} levels off");
        assert!(
            off * 2000 < diffs.len(),
            "{name}: {off} channels more than 3 off"
        );
        assert!(mean < 0.1, "{name}: mean difference {mean}");
        let (dm, pm) = (instance_means(d, 150), instance_means(p, 150));
        assert!(dm.len() > 5, "{name}: a frame with objects to compare");
        for ((id, x), (_, y)) in dm.iter().zip(&pm) {
            for c in 0..3 {
                assert!(
                    (x[c] - y[c]).abs() < 0.5,
                    "{name}: instance {id}: {x:?} vs {y:?}"
                );
            }
        }
    }
}

#[test]
fn the_draft_shader_draws_what_flat_pbr_shading_draws() {
    if !vulkan() {
        return;
    }
    let mut wet_fog = small_plan(0.3);
    wet_fog.environment.sun_elevation_deg = 25.0;
    wet_fog.environment.wet_road = true;
    wet_fog.environment.fog_density = 0.02;
    for (name, plan) in [("day", small_plan(0.5)), ("wet and foggy", wet_fog)] {
        assert_lean_shading_matches_pbr(
            name,
            &plan,
            Quality::Draft,
            SurfaceLook::FlatDraftShader,
            SurfaceLook::Flat,
        );
    }
}

#[test]
fn the_lean_pbr_shader_draws_what_the_pbr_shader_draws() {
    if !vulkan() {
        return;
    }
    let mut wet_fog = small_plan(0.3);
    wet_fog.environment.wet_road = true;
    wet_fog.environment.fog_density = 0.02;
    for (name, plan) in [
        ("day with shadows", small_plan(0.5)),
        ("wet and foggy", wet_fog),
    ] {
        assert_lean_shading_matches_pbr(
            name,
            &plan,
            Quality::Default,
            SurfaceLook::TexturedLeanShader,
            SurfaceLook::Textured,
        );
    }
}

#[test]
fn shadows_at_draft_and_night_lights_keep_the_pbr_shader() {
    if !vulkan() {
        return;
    }
    let look = |plan: ScenePlan, shadows: bool| {
        let options = EngineOptions {
            shadows,
            ..EngineOptions::at(Quality::Draft)
        };
        Engine::new(plan, options).expect("engine").surface_look()
    };
    assert_eq!(look(small_plan(0.5), false), SurfaceLook::FlatDraftShader);
    assert_eq!(look(small_plan(0.5), true), SurfaceLook::Flat);
    let mut night = small_plan(0.5);
    night.environment.street_lights_on = true;
    assert_eq!(look(night, false), SurfaceLook::Flat);
    let default = |plan: ScenePlan| {
        Engine::new(plan, EngineOptions::at(Quality::Default))
            .expect("engine")
            .surface_look()
    };
    assert_eq!(default(small_plan(0.5)), SurfaceLook::TexturedLeanShader);
    let mut night = small_plan(0.5);
    night.environment.street_lights_on = true;
    assert_eq!(default(night), SurfaceLook::Textured);
}

/// Mean luma of the road pixels (Cityscapes 7) whose depth is in `depth` (m) and whose
/// bearing from the optical axis is within `bearing` (radians, absolute value).
fn road_luma(frame: &Frame, depth: std::ops::Range<f32>, bearing: std::ops::Range<f64>) -> f64 {
    let cam = &frame.cameras[0];
    let rgba = cam.rgba.as_ref().expect("rgb");
    let w = cam.ids.width as usize;
    let lumas: Vec<f64> = (0..cam.ids.ids.len())
        .filter(|&i| cam.ids.ids[i] == 7 && depth.contains(&cam.ids.depth[i]))
        .filter(|&i| {
            let off = ((i % w) as f64 + 0.5 - cam.camera.cx) / cam.camera.fx;
            bearing.contains(&off.atan().abs())
        })
        .map(|i| {
            let p = &rgba[i * 4..i * 4 + 3];
            0.2126 * f64::from(p[0]) + 0.7152 * f64::from(p[1]) + 0.0722 * f64::from(p[2])
        })
        .collect();
    assert!(
        lumas.len() > 50,
        "{} road pixels at {depth:?} m, {bearing:?}",
        lumas.len()
    );
    lumas.iter().sum::<f64>() / lumas.len() as f64
}

#[test]
fn the_ego_headlight_lights_the_road_ahead_at_night_without_street_lights() {
    if !vulkan() {
        return;
    }
    // A night with no street lights: the headlight is the only light but the night sky's.
    let mut night = small_plan(0.2);
    night.environment.sun_elevation_deg = -20.0;
    night.environment.ambient = 0.05;
    night.environment.street_lights_on = false;
    let frames = run(night, Quality::Draft);
    let frame = frames.last().expect("frames");
    // In the beam (within 6 degrees of the axis), 6-12 m ahead of the camera, against the
    // same distances well outside it.
    let lit = road_luma(frame, 6.0..12.0, 0.0..0.1);
    let dark = road_luma(frame, 6.0..12.0, 0.4..1.0);
    assert!(
        lit > dark + 15.0,
        "road in the beam {lit:.1}, beside it {dark:.1}"
    );
    // No blown-out pool at the bumper: the nearest road is no brighter than the beam's.
    let nearest = road_luma(frame, 0.0..4.5, 0.0..0.1);
    assert!(
        nearest <= lit,
        "road just ahead {nearest:.1}, in the beam {lit:.1}"
    );
    assert!(
        lit < 250.0,
        "the beam's road is not clipped white: {lit:.1}"
    );
}

#[test]
fn under_a_full_overcast_the_sun_casts_no_beam() {
    if !vulkan() {
        return;
    }
    // A wet road under a low sun, seen at the draft quality, which has no shadows to hide
    // a glint: with the sky closed the sun's direction must not show anywhere in the frame.
    let rgb_with_sun_at = |cloudiness: f64, azimuth: f64| {
        let mut p = small_plan(cloudiness);
        p.environment.sun_elevation_deg = 15.0;
        p.environment.sun_azimuth_deg = azimuth;
        p.environment.rain = 1.0;
        p.environment.wet_road = true;
        let frames = run(p, Quality::Draft);
        let frame = frames.last().expect("frames");
        frame.cameras[0].rgba.clone().expect("rgb")
    };
    assert!(
        rgb_with_sun_at(1.0, 0.0) == rgb_with_sun_at(1.0, 180.0),
        "overcast, yet the frame changes with the sun's direction"
    );
    assert!(
        rgb_with_sun_at(0.5, 0.0) != rgb_with_sun_at(0.5, 180.0),
        "half cover, and the sun's direction changes nothing: the test sees no beam"
    );
}
