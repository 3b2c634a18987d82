//! The camera sensor model in the engine: a camera with a lens delivers the ideal
//! camera's instance, depth and RGB images warped with one and the same map, its object
//! labels are the boxes of the warped masks, the image pipeline develops that RGB, and a
//! rerun (noise included) is byte-identical.

#[path = "common/prerequisite.rs"]
mod prerequisite;

use drivegen_labels::objects::instance_stats;
use drivegen_labels::sensor::Remap;
use drivegen_plan::{ScenePlan, SensorPlan, plan};
use drivegen_sim::{Engine, EngineOptions, Frame};

const BARREL: [f64; 5] = [-0.25, 0.06, 0.001, -0.0007, 0.0];

fn lens_only(lens: [f64; 5]) -> SensorPlan {
    SensorPlan {
        distortion: Some(lens),
        exposure_ev: 0.0,
        white_balance: [1.0, 1.0, 1.0],
        vignetting: 0.0,
        iso: 0.0,
        read_noise: 0.0,
        noise_seed: 11,
    }
}

/// The default scenario, small and short, with `sensor` on its camera.
fn small_plan(frames: u32, sensor: Option<SensorPlan>) -> ScenePlan {
    let mut s = drivegen_scenario::load_default()
        .expect("the default scenario loads")
        .scenario;
    s.capture.frames = Some(frames);
    for cam in &mut s.sensors.cameras {
        (cam.width, cam.height) = (320, 192);
    }
    let mut p = plan(&s, 0).expect("plans");
    for cam in &mut p.sensors.cameras {
        cam.sensor = sensor.clone();
    }
    p
}

fn run(plan: ScenePlan, rgb: bool) -> Vec<Frame> {
    let options = EngineOptions {
        rgb,
        ..EngineOptions::default()
    };
    Engine::new(plan, options)
        .expect("engine")
        .map(|f| f.expect("frame"))
        .collect()
}

#[test]
fn a_lens_warps_the_label_images_and_boxes_follow_the_warped_masks() {
    let ideal = run(small_plan(3, None), false);
    let lens = run(small_plan(3, Some(lens_only(BARREL))), false);
    assert_eq!(ideal.len(), lens.len());
    let mut labelled = 0;
    for (a, b) in ideal.iter().zip(&lens) {
        let (a, b) = (&a.cameras[0], &b.cameras[0]);
        assert_eq!(a.camera.distortion, None);
        assert_eq!(b.camera.distortion, Some(BARREL));
        let map = Remap::for_camera(&b.camera).expect("a lens");
        assert!(map.void_pixels() > 0);
        assert_ne!(a.ids, b.ids, "the lens moves pixels");
        assert_eq!(b.ids, map.warp_id_depth(&a.ids));
        let stats = instance_stats(&b.ids);
        // A barrel lens sees a little beyond the ideal view: objects there are labelled,
        // but nothing of them was rendered, so they have no pixels.
        for lb in &b.labels {
            if !a.labels.iter().any(|l| l.id == lb.id) {
                assert_eq!(lb.visible_pixels, 0, "id {}", lb.id);
            }
        }
        for la in &a.labels {
            let lb = b
                .labels
                .iter()
                .find(|l| l.id == la.id)
                .expect("still labelled");
            assert_eq!(la.box3d, lb.box3d, "3-D labels do not depend on the lens");
            match stats.get(&(lb.id as u16)) {
                Some((n, bb)) => {
                    labelled += 1;
                    assert_eq!(lb.visible_pixels, *n);
                    let expected = [bb[0], bb[1], bb[2] + 1, bb[3] + 1].map(f64::from);
                    assert_eq!(lb.tight_box, Some(expected), "id {}", lb.id);
                    assert!(lb.unoccluded_pixels >= lb.visible_pixels);
                }
                None => assert!(!lb.visible && lb.tight_box.is_none()),
            }
        }
    }
    assert!(labelled > 0, "some object is in view");
}

#[test]
fn the_sensor_warps_and_develops_rgb_and_reruns_are_identical() {
    let vulkan = drivegen_sim::probe_adapter().is_ok();
    if !prerequisite::prerequisite(
        "a Vulkan adapter",
        vulkan,
        "apt-get install libvulkan1 mesa-vulkan-drivers (tools/test.sh does)",
    ) {
        return;
    }
    // The whole sensor: lens, exposure, white balance, vignetting and noise.
    let full = SensorPlan {
        exposure_ev: 0.3,
        white_balance: [1.1, 1.0, 0.9],
        vignetting: 0.3,
        iso: 1600.0,
        read_noise: 3.0,
        ..lens_only(BARREL)
    };
    let ideal = run(small_plan(1, None), true);
    let lens = run(small_plan(1, Some(full.clone())), true);
    let again = run(small_plan(1, Some(full.clone())), true);
    let (a, b, c) = (
        &ideal[0].cameras[0],
        &lens[0].cameras[0],
        &again[0].cameras[0],
    );
    let map = Remap::for_camera(&b.camera).expect("a lens");
    let rgb_a = a.rgba.as_ref().expect("rgb");
    let rgb_b = b.rgba.as_ref().expect("rgb");
    let mut expected = map.warp_rgba(rgb_a);
    drivegen_labels::sensor::isp::develop(&mut expected, &b.camera, &full, ideal[0].index, 0);
    assert_eq!(
        rgb_b, &expected,
        "RGB is the ideal RGB warped, then developed"
    );
    assert_ne!(
        rgb_b,
        &map.warp_rgba(rgb_a),
        "the pipeline changed the image"
    );
    assert_eq!(b.ids, map.warp_id_depth(&a.ids));
    // Where the lens sees beyond the render, the instance image is void and the lens's
    // RGB black (before the sensor adds its noise).
    let warped = map.warp_rgba(rgb_a);
    let mut void = 0;
    for k in 0..b.ids.ids.len() {
        if map.source_of((k % 320) as u32, (k / 320) as u32).is_none() {
            void += 1;
            assert_eq!(b.ids.ids[k], 0);
            assert_eq!(&warped[k * 4..k * 4 + 3], &[0, 0, 0]);
        }
    }
    assert!(void > 0);
    assert_eq!(b.rgba, c.rgba, "same plan, same RGB");
    assert_eq!(b.ids, c.ids);
    assert_eq!(b.labels, c.labels);
}
