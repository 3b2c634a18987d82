//! The camera sensor model's lens against analytic ground truth: OpenCV's Brown–Conrady
//! formula, its inverse, a known 3-D point landing where the model puts it in the RGB and
//! in the instance image, boxes equal to the boxes of the warped masks, the widened
//! render, void corners, the identity cases (zero coefficients, no sensor), and the
//! planner's per-variant draws. The image pipeline is tested in `sensor_pipeline.rs`.

use drivegen_labels::IdDepth;
use drivegen_labels::camera::Camera;
use drivegen_labels::math::v3;
use drivegen_labels::objects::instance_stats;
use drivegen_labels::sensor::{self, Distortion, Remap, lens_project};
use drivegen_plan::SensorPlan;

mod label_fixtures;
use label_fixtures::{level_camera, obj, render};

const W: u32 = 320;
const H: u32 = 192;
const BARREL: [f64; 5] = [-0.28, 0.07, 0.0012, -0.0008, 0.0];
const PINCUSHION: [f64; 5] = [0.12, 0.02, -0.001, 0.0015, 0.0];

/// A level camera 1.5 m above the origin looking along world +x, through `lens`.
fn camera(lens: Option<[f64; 5]>) -> Camera {
    let cam = level_camera(W, H);
    match lens {
        Some(d) => cam.with_lens(d),
        None => cam,
    }
}

/// A sensor with lens distortion only (the image pipeline left neutral).
fn lens_only(lens: [f64; 5]) -> SensorPlan {
    SensorPlan {
        distortion: Some(lens),
        ..SensorPlan::neutral(7)
    }
}

/// An RGB image of the raster: the object `id` white, everything else mid grey.
fn paint(raster: &IdDepth, id: u16) -> Vec<u8> {
    raster
        .ids
        .iter()
        .flat_map(|i| {
            let v = if *i == id { 255 } else { 60 };
            [v, v, v, 255]
        })
        .collect()
}

fn centroid(weight: impl Fn(usize) -> f64) -> (f64, f64) {
    label_fixtures::centroid(W, H, weight)
}

#[test]
fn the_forward_model_is_opencvs_formula() {
    // Worked by hand from OpenCV's documented model (calib3d, "Detailed description").
    let d = Distortion::from_opencv([-0.3, 0.1, 0.001, -0.002, 0.01]);
    let (x, y) = d.distort(0.5, -0.25);
    assert!((x - 0.456_285_400_39).abs() < 1e-10, "x {x}");
    assert!((y + 0.228_142_700_2).abs() < 1e-9, "y {y}");
    assert_eq!(d.distort(0.0, 0.0), (0.0, 0.0));
}

#[test]
fn the_inverse_undoes_the_model_across_the_image() {
    for lens in [BARREL, PINCUSHION] {
        let d = Distortion::from_opencv(lens);
        let limit = d.monotone_radius();
        for j in -10..=10 {
            for i in -10..=10 {
                let (x, y) = (f64::from(i) * 0.09, f64::from(j) * 0.055);
                let (xd, yd) = d.distort(x, y);
                let (xu, yu) = d
                    .undistort(xd, yd, limit)
                    .expect("invertible inside the view");
                assert!(
                    (xu - x).abs() < 1e-9 && (yu - y).abs() < 1e-9,
                    "{lens:?}: ({x}, {y}) came back as ({xu}, {yu})"
                );
            }
        }
    }
}

#[test]
fn a_known_point_lands_where_the_model_puts_it_in_rgb_and_instance() {
    for lens in [BARREL, PINCUSHION] {
        let cam = camera(Some(lens));
        // Small cubes at the centre, off-axis and out towards the corners, where the
        // distortion moves points by many pixels.
        for (k, target) in [
            v3(10.0, 0.0, 1.5),
            v3(10.0, 5.0, 3.5),
            v3(8.0, -6.0, -0.8),
            v3(9.0, 7.0, 0.0),
            v3(12.0, -9.5, 3.6),
        ]
        .into_iter()
        .enumerate()
        {
            let side = 0.16;
            let o = obj(
                100,
                target - v3(0.0, 0.0, side / 2.0),
                0.0,
                (side, side, side),
            );
            let (raster, labels) = render(&cam, std::slice::from_ref(&o));
            let pin = cam.project(target).expect("in front");
            let expected = lens_project(&cam, cam.to_camera(target));
            let moved = ((expected.0 - pin.0).powi(2) + (expected.1 - pin.1).powi(2)).sqrt();
            if k > 0 {
                assert!(moved > 3.0, "{lens:?}: point {k} moves only {moved} px");
            }
            let mut rgba = paint(&raster, 100);
            let mut ids = raster.clone();
            sensor::apply(
                &cam,
                Some(&lens_only(lens)),
                0,
                0,
                Some(&mut rgba),
                &mut ids,
                0.0,
            );
            let inst = centroid(|p| f64::from(u8::from(ids.ids[p] == 100)));
            let rgb = centroid(|p| (f64::from(rgba[p * 4]) - 60.0).max(0.0));
            for (what, (u, v)) in [("instance", inst), ("rgb", rgb)] {
                let err = ((u - expected.0).powi(2) + (v - expected.1).powi(2)).sqrt();
                assert!(
                    err < 1.0,
                    "{lens:?}, point {k}: {what} at ({u:.2}, {v:.2}), model ({:.2}, {:.2}), {err:.2} px off",
                    expected.0,
                    expected.1
                );
            }
            // The label's box is the warped mask's box and holds the point.
            let b = labels[0].tight_box.expect("visible");
            assert!(b[0] <= expected.0 && expected.0 <= b[2]);
            assert!(b[1] <= expected.1 && expected.1 <= b[3]);
        }
    }
}

#[test]
fn boxes_equal_the_boxes_of_the_warped_masks() {
    for lens in [BARREL, PINCUSHION] {
        let cam = camera(Some(lens));
        let objs = [
            obj(100, v3(14.0, 0.0, 0.0), 0.3, (4.5, 1.8, 1.45)),
            obj(101, v3(22.0, 1.9, 0.0), 0.0, (4.5, 1.8, 1.45)),
            obj(102, v3(9.0, 6.5, 0.0), 1.2, (4.2, 1.8, 1.5)),
            obj(103, v3(11.0, -8.0, 0.0), -0.4, (0.6, 0.6, 1.75)),
            obj(104, v3(6.0, 6.0, 0.0), 0.0, (4.5, 1.8, 1.45)),
        ];
        let (raster, labels) = render(&cam, &objs);
        let map = Remap::for_camera(&cam).expect("a lens");
        let stats = instance_stats(&map.warp_id_depth(&raster));
        assert_eq!(labels.len(), objs.len());
        for l in &labels {
            let (n, b) = stats[&(l.id as u16)];
            assert_eq!(l.visible_pixels, n, "{lens:?} id {}", l.id);
            let expected = [
                f64::from(b[0]),
                f64::from(b[1]),
                f64::from(b[2] + 1),
                f64::from(b[3] + 1),
            ];
            assert_eq!(l.tight_box, Some(expected), "{lens:?} id {}", l.id);
            assert!(l.unoccluded_pixels >= l.visible_pixels);
            assert!(l.amodal_box[0] <= expected[0] + 1.0 && l.amodal_box[2] >= expected[2] - 1.0);
        }
        // 101 stands behind 100: partly hidden. 100 is in front of everything: whole.
        let front = labels.iter().find(|l| l.id == 100).expect("100");
        assert_eq!(front.visible_pixels, front.unoccluded_pixels, "{lens:?}");
        assert_eq!(front.occlusion, 0);
        let behind = labels.iter().find(|l| l.id == 101).expect("101");
        assert!(behind.visibility < 0.8, "{lens:?}: {}", behind.visibility);
        // The lens moves the off-axis car's box well away from the pinhole one.
        let pinhole = render(&camera(None), &objs).1;
        let (a, b) = (
            pinhole[2].tight_box.expect("visible"),
            labels[2].tight_box.expect("visible"),
        );
        assert!(
            (0..4).map(|k| (a[k] - b[k]).abs()).fold(0.0, f64::max) >= 2.0,
            "{lens:?}: {a:?} vs {b:?}"
        );
    }
}

#[test]
fn an_unoccluded_box_matches_its_distorted_outline() {
    let cam = camera(Some(BARREL));
    let o = obj(100, v3(12.0, 3.0, 0.0), 0.5, (4.5, 1.8, 1.45));
    let (_, labels) = render(&cam, std::slice::from_ref(&o));
    // Dense points on the box's 12 edges through the model.
    let mut b = [
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    ];
    for t in &o.tris {
        for e in 0..3 {
            for s in 0..=200 {
                let p = t[e].lerp(t[(e + 1) % 3], f64::from(s) / 200.0);
                let (u, v) = lens_project(&cam, cam.to_camera(p));
                b = [b[0].min(u), b[1].min(v), b[2].max(u), b[3].max(v)];
            }
        }
    }
    let tight = labels[0].tight_box.expect("visible");
    for k in 0..4 {
        assert!(
            (tight[k] - b[k]).abs() <= 1.0,
            "tight {tight:?} vs model {b:?}"
        );
        assert!(
            (labels[0].amodal_box[k] - b[k]).abs() <= 0.5,
            "amodal {:?} vs model {b:?}",
            labels[0].amodal_box
        );
    }
    assert!(labels[0].visibility > 0.999 && labels[0].truncation < 1e-9);
}

#[test]
fn a_barrel_lens_widens_the_render_and_leaves_no_hole() {
    let cam = camera(Some(BARREL));
    let lens = cam.lens.expect("a lens");
    // The ideal view is wider (a shorter focal length) and the calibration is the lens's.
    let zoom = lens.fx / cam.fx;
    assert!(zoom > 1.2 && zoom < 2.0, "zoom {zoom}");
    assert_eq!(cam.image_k()[0][0], camera(None).fx);
    assert_eq!(Remap::for_camera(&cam).expect("a lens").void_pixels(), 0);
    // A pincushion lens needs no widening.
    assert_eq!(camera(Some(PINCUSHION)).fx, camera(None).fx);
    let objs = [obj(100, v3(1.0, 0.0, 0.0), 0.0, (1.0, 30.0, 10.0))];
    let (raster, _) = render(&cam, &objs);
    let mut rgba = paint(&raster, 100);
    let mut ids = raster.clone();
    sensor::apply(
        &cam,
        Some(&lens_only(BARREL)),
        0,
        0,
        Some(&mut rgba),
        &mut ids,
        0.0,
    );
    assert!(
        ids.ids.iter().all(|i| *i == 100),
        "the wall fills the lens's image"
    );
    assert!(rgba.chunks(4).all(|p| p[0] == 255));
}

#[test]
fn a_lens_beyond_the_widening_leaves_void_corners_in_every_image() {
    // This lens folds back at radius 1 (image radius 0.6): the corners show nothing.
    let strong = [-0.5, 0.1, 0.0, 0.0, 0.0];
    let cam = camera(Some(strong));
    let objs = [obj(100, v3(1.0, 0.0, 0.0), 0.0, (1.0, 30.0, 10.0))];
    let (raster, _) = render(&cam, &objs);
    assert!(
        raster.ids.iter().all(|i| *i == 100),
        "the wall fills the ideal view"
    );
    let mut rgba = paint(&raster, 100);
    let mut ids = raster.clone();
    sensor::apply(
        &cam,
        Some(&lens_only(strong)),
        0,
        0,
        Some(&mut rgba),
        &mut ids,
        0.0,
    );
    let map = Remap::for_camera(&cam).expect("a lens");
    let void = map.void_pixels();
    assert!(void > 0, "the corners are beyond the lens's range");
    assert_eq!(ids.ids.iter().filter(|i| **i == 0).count(), void);
    for corner in [0, W as usize - 1, (H as usize - 1) * W as usize] {
        assert_eq!(ids.ids[corner], 0);
        assert!(ids.depth[corner].is_infinite());
        assert_eq!(&rgba[corner * 4..corner * 4 + 4], &[0, 0, 0, 255]);
    }
    let centre = (H as usize / 2) * W as usize + W as usize / 2;
    assert_eq!(ids.ids[centre], 100);
    assert_eq!(rgba[centre * 4], 255);
}

#[test]
fn zero_coefficients_and_no_sensor_change_nothing() {
    let objs = [
        obj(100, v3(14.0, 0.0, 0.0), 0.3, (4.5, 1.8, 1.45)),
        obj(102, v3(9.0, 6.5, 0.0), 1.2, (4.2, 1.8, 1.5)),
    ];
    let (raster, pinhole) = render(&camera(None), &objs);
    let rgba = paint(&raster, 100);
    // No sensor: untouched.
    let (mut a, mut ids) = (rgba.clone(), raster.clone());
    sensor::apply(&camera(None), None, 3, 0, Some(&mut a), &mut ids, 0.0);
    assert_eq!((a, ids), (rgba.clone(), raster.clone()));
    // A lens with zero coefficients: every image and label as the pinhole's.
    let zero = camera(Some([0.0; 5]));
    let (_, labels) = render(&zero, &objs);
    assert_eq!(labels.len(), pinhole.len());
    for (mut a, b) in labels.into_iter().zip(pinhole) {
        // The outline is sampled along its edges through a lens: equal up to rounding.
        for k in 0..4 {
            assert!((a.amodal_box[k] - b.amodal_box[k]).abs() < 1e-9);
        }
        a.amodal_box = b.amodal_box;
        assert_eq!(a, b);
    }
    let (mut a, mut ids) = (rgba.clone(), raster.clone());
    sensor::apply(
        &zero,
        Some(&lens_only([0.0; 5])),
        3,
        0,
        Some(&mut a),
        &mut ids,
        0.0,
    );
    assert_eq!(ids, raster);
    assert_eq!(a, rgba);
}

#[test]
fn the_planner_draws_each_variants_sensor_from_its_own_stream() {
    let text = r#"Scenario(
        name: "sensor plan",
        seed: 3,
        variants: 3,
        sensors: (cameras: [(
            name: "front",
            sensor: (
                distortion: (k1: Uniform(-0.3, -0.1), p1: Normal(0.0, 0.001, -0.003, 0.003)),
                iso: Choice([(1, 100), (1, 3200)]),
                defocus: Uniform(0.0, 1.0),
            ),
        )]),
    )"#;
    let with = drivegen_scenario::load_str("sensor.ron", text)
        .expect("loads")
        .scenario;
    let mut without = with.clone();
    without.sensors.cameras[0].sensor = None;
    let mut drawn = Vec::new();
    for variant in 0..3 {
        let a = drivegen_plan::plan(&with, variant).expect("plans");
        let mut b = drivegen_plan::plan(&without, variant).expect("plans");
        // The same variant plans the same sensor every time.
        assert_eq!(a, drivegen_plan::plan(&with, variant).expect("plans"));
        let sensor = a.sensors.cameras[0].sensor.clone().expect("a sensor");
        let d = sensor.distortion.expect("a lens");
        assert!((-0.3..-0.1).contains(&d[0]) && d[2].abs() <= 0.003);
        assert_eq!([d[1], d[3], d[4]], [0.0, 0.0, 0.0]);
        assert!(sensor.iso == 100.0 || sensor.iso == 3200.0);
        assert!((0.0..1.0).contains(&sensor.defocus));
        // Nothing else in the scene moves: the sensor has a stream of its own.
        b.sensors.cameras[0].sensor = Some(sensor.clone());
        assert_eq!(a, b, "variant {variant}");
        drawn.push((d[0], sensor.noise_seed));
    }
    assert!(drawn[0] != drawn[1] && drawn[1] != drawn[2], "{drawn:?}");
}
