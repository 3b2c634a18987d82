//! The render quality presets: labels are the same at every quality, each quality's RGB
//! is byte-identical on a rerun, and the presets differ where they say they do (a painted
//! sky with a gradient and clouds instead of a flat colour, textured surfaces).

#[path = "common/prerequisite.rs"]
mod prerequisite;

use drivegen_plan::{ScenePlan, plan};
use drivegen_sim::{Engine, EngineOptions, Frame, Quality};

/// The default scenario, small and short, with `cloudiness` overridden.
fn small_plan(cloudiness: f64) -> ScenePlan {
    let mut s = drivegen_scenario::load_default()
        .expect("the default scenario loads")
        .scenario;
    s.capture.frames = Some(3);
    for cam in &mut s.sensors.cameras {
        (cam.width, cam.height) = (320, 192);
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
