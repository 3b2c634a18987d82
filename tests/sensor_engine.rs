//! The camera sensor model in the engine: a camera with a lens delivers its (wider)
//! ideal view's instance, depth and RGB images warped with one and the same map, its object
//! labels are the boxes of the warped masks, the image pipeline develops that RGB, and a
//! rerun (noise included) is byte-identical.

#[path = "common/prerequisite.rs"]
mod prerequisite;

use drivegen_labels::math::v3;
use drivegen_labels::objects::instance_stats;
use drivegen_labels::sensor::Remap;
use drivegen_labels::sensor::optics::Motion;
use drivegen_plan::{ScenePlan, SensorPlan, plan};
use drivegen_sim::{Engine, EngineOptions, Frame};

const BARREL: [f64; 5] = [-0.25, 0.06, 0.001, -0.0007, 0.0];

fn lens_only(lens: [f64; 5]) -> SensorPlan {
    SensorPlan {
        distortion: Some(lens),
        ..SensorPlan::neutral(11)
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

/// Every frame of `plan`; without `sensor`, the ideal view the sensor model starts from.
fn run(plan: ScenePlan, rgb: bool, sensor: bool) -> Vec<Frame> {
    let options = EngineOptions {
        rgb,
        sensor,
        ..EngineOptions::default()
    };
    Engine::new(plan, options)
        .expect("engine")
        .map(|f| f.expect("frame"))
        .collect()
}

#[test]
fn a_lens_warps_the_label_images_and_boxes_follow_the_warped_masks() {
    let plain = run(small_plan(3, None), false, true);
    let ideal = run(small_plan(3, Some(lens_only(BARREL))), false, false);
    let lens = run(small_plan(3, Some(lens_only(BARREL))), false, true);
    assert_eq!(ideal.len(), lens.len());
    let mut labelled = 0;
    for ((p, a), b) in plain.iter().zip(&ideal).zip(&lens) {
        let (p, a, b) = (&p.cameras[0], &a.cameras[0], &b.cameras[0]);
        // The lens's image has the plain camera's calibration; its ideal view is wider.
        assert_eq!(p.camera.lens, None);
        assert_eq!(a.camera.lens, None);
        let lens = b.camera.lens.expect("a lens");
        assert_eq!(lens.distortion, BARREL);
        assert_eq!(b.camera.image_k(), p.camera.k());
        assert_eq!(a.camera.k(), b.camera.k());
        assert!(a.camera.fx < 0.9 * p.camera.fx, "the ideal view is wider");
        let map = Remap::for_camera(&b.camera).expect("a lens");
        assert_eq!(
            map.void_pixels(),
            0,
            "the wider view covers the lens's image"
        );
        assert_ne!(a.ids, b.ids, "the lens moves pixels");
        assert_eq!(b.ids, map.warp_id_depth(&a.ids));
        let stats = instance_stats(&b.ids);
        for lb in &b.labels {
            if let Some(la) = a.labels.iter().find(|l| l.id == lb.id) {
                assert_eq!(la.box3d, lb.box3d, "3-D labels do not depend on the lens");
            }
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
    // The whole sensor: lens, chromatic aberration, defocus, motion blur, auto-exposure,
    // exposure, white balance, vignetting, noise and JPEG.
    let full = SensorPlan {
        exposure_ev: 0.3,
        white_balance: [1.1, 1.0, 0.9],
        vignetting: 0.3,
        iso: 1600.0,
        read_noise: 3.0,
        chromatic_aberration: 1.0,
        defocus: 0.6,
        auto_exposure: 0.18,
        exposure_time: 0.01,
        jpeg_quality: 85.0,
        ..lens_only(BARREL)
    };
    let ideal = run(small_plan(1, Some(full.clone())), true, false);
    let lens = run(small_plan(1, Some(full.clone())), true, true);
    let again = run(small_plan(1, Some(full.clone())), true, true);
    let (a, b, c) = (
        &ideal[0].cameras[0],
        &lens[0].cameras[0],
        &again[0].cameras[0],
    );
    let map = Remap::for_camera(&b.camera).expect("a lens");
    let rgb_a = a.rgba.as_ref().expect("rgb");
    let rgb_b = b.rgba.as_ref().expect("rgb");
    let mut expected = map.warp_rgba(rgb_a);
    // The ego's motion during the exposure, in camera axes, over the warped depth.
    let velocity =
        b.camera
            .ego_from_camera
            .inverse()
            .rotation
            .mul_v(v3(lens[0].ego_speed, 0.0, 0.0));
    assert!(lens[0].ego_speed > 1.0, "the ego moves");
    let motion = Motion {
        depth: &b.ids.depth,
        velocity,
    };
    drivegen_labels::sensor::isp::develop_moving(
        &mut expected,
        &b.camera,
        &full,
        ideal[0].index,
        0,
        Some(motion),
    );
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
    // The wider ideal view covers the lens's image: no black border.
    assert_eq!(map.void_pixels(), 0);
    let black = map
        .warp_rgba(rgb_a)
        .chunks(4)
        .filter(|p| p[..3] == [0, 0, 0])
        .count();
    assert!(black < 10, "{black} black pixels");
    assert_eq!(b.rgba, c.rgba, "same plan, same RGB");
    assert_eq!(b.ids, c.ids);
    assert_eq!(b.labels, c.labels);
}
