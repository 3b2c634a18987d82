//! The camera sensor model against analytic ground truth: OpenCV's Brown–Conrady formula,
//! its inverse, a known 3-D point landing where the model puts it in the RGB and in the
//! instance image, boxes equal to the boxes of the warped masks, void corners, and the
//! identity cases (zero coefficients, no sensor).

use drivegen_labels::camera::Camera;
use drivegen_labels::math::{Iso3, M3, V3, v3};
use drivegen_labels::objects::instance_stats;
use drivegen_labels::sensor::{self, Distortion, Remap, lens_project};
use drivegen_labels::{Class, IdDepth, LabelObject, ObjectLabel, box_triangles, label_objects};
use drivegen_plan::SensorPlan;
use drivegen_scenario::VehicleClass;

const W: u32 = 320;
const H: u32 = 192;
const BARREL: [f64; 5] = [-0.28, 0.07, 0.0012, -0.0008, 0.0];
const PINCUSHION: [f64; 5] = [0.12, 0.02, -0.001, 0.0015, 0.0];

/// A level camera 1.5 m above the origin looking along world +x, through `lens`.
fn camera(lens: Option<[f64; 5]>) -> Camera {
    let rotation = M3::from_cols(v3(0.0, -1.0, 0.0), v3(0.0, 0.0, -1.0), v3(1.0, 0.0, 0.0));
    let cam = Camera::looking(
        W,
        H,
        90.0,
        Iso3 {
            rotation,
            translation: v3(0.0, 0.0, 1.5),
        },
    );
    match lens {
        Some(d) => cam.with_lens(d),
        None => cam,
    }
}

/// A sensor with lens distortion only (the image pipeline left neutral).
fn lens_only(lens: [f64; 5]) -> SensorPlan {
    SensorPlan {
        distortion: Some(lens),
        exposure_ev: 0.0,
        white_balance: [1.0, 1.0, 1.0],
        vignetting: 0.0,
        iso: 0.0,
        read_noise: 0.0,
        chromatic_aberration: 0.0,
        defocus: 0.0,
        auto_exposure: 0.0,
        exposure_time: 0.0,
        jpeg_quality: 0.0,
        noise_seed: 7,
    }
}

struct Obj {
    id: u32,
    base: V3,
    yaw: f64,
    size: (f64, f64, f64),
    tris: Vec<drivegen_labels::Tri>,
}

fn obj(id: u32, base: V3, yaw: f64, size: (f64, f64, f64)) -> Obj {
    Obj {
        id,
        base,
        yaw,
        size,
        tris: box_triangles(base, yaw, size.0, size.1, size.2),
    }
}

/// The ideal (pinhole) raster of the objects and their labels through `cam`'s lens.
fn render(cam: &Camera, objs: &[Obj]) -> (IdDepth, Vec<ObjectLabel>) {
    let mut raster = IdDepth::new(W, H);
    for o in objs {
        raster.draw(cam, &o.tris, o.id as u16);
    }
    let objects: Vec<LabelObject<'_>> = objs
        .iter()
        .map(|o| LabelObject {
            id: o.id,
            class: Class::Vehicle(VehicleClass::Car),
            base: o.base,
            yaw: o.yaw,
            length: o.size.0,
            width: o.size.1,
            height: o.size.2,
            speed: 0.0,
            tris: &o.tris,
        })
        .collect();
    let labels = label_objects(cam, &raster, &objects, 200.0);
    (raster, labels)
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

/// Centroid (pixel centres) of the pixels where `weight` is positive.
fn centroid(weight: impl Fn(usize) -> f64) -> (f64, f64) {
    let (mut sx, mut sy, mut sw) = (0.0, 0.0, 0.0);
    for j in 0..H as usize {
        for i in 0..W as usize {
            let w = weight(j * W as usize + i);
            if w > 0.0 {
                sx += w * (i as f64 + 0.5);
                sy += w * (j as f64 + 0.5);
                sw += w;
            }
        }
    }
    assert!(sw > 0.0, "nothing to take a centroid of");
    (sx / sw, sy / sw)
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
    sensor::apply(&camera(None), None, 3, 0, Some(&mut a), &mut ids);
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
    );
    assert_eq!(ids, raster);
    assert_eq!(a, rgba);
}

/// A flat image of one linear value in every channel.
fn flat(linear: f64) -> Vec<u8> {
    let c = 1.055 * linear.powf(1.0 / 2.4) - 0.055;
    let v = (c * 255.0).round() as u8;
    (0..W * H).flat_map(|_| [v, v, v, 255]).collect()
}

fn to_linear(v: u8) -> f64 {
    let c = f64::from(v) / 255.0;
    if c <= 0.04045 {
        c / 12.92
    } else {
        ((c + 0.055) / 1.055).powf(2.4)
    }
}

fn neutral() -> SensorPlan {
    SensorPlan {
        distortion: None,
        exposure_ev: 0.0,
        white_balance: [1.0, 1.0, 1.0],
        vignetting: 0.0,
        iso: 0.0,
        read_noise: 3.0,
        chromatic_aberration: 0.0,
        defocus: 0.0,
        auto_exposure: 0.0,
        exposure_time: 0.0,
        jpeg_quality: 0.0,
        noise_seed: 99,
    }
}

fn developed(image: &[u8], s: &SensorPlan, frame: u32, index: u32) -> Vec<u8> {
    let mut out = image.to_vec();
    sensor::isp::develop(&mut out, &camera(None), s, frame, index);
    out
}

/// Mean and standard deviation of a channel in linear light.
fn linear_stats(image: &[u8], c: usize) -> (f64, f64) {
    let v: Vec<f64> = image.chunks(4).map(|p| to_linear(p[c])).collect();
    let mean = v.iter().sum::<f64>() / v.len() as f64;
    let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / v.len() as f64;
    (mean, var.sqrt())
}

#[test]
fn a_neutral_pipeline_returns_every_value() {
    let image: Vec<u8> = (0..W * H)
        .flat_map(|i| {
            [
                (i % 256) as u8,
                (i / 7 % 256) as u8,
                (i / 3 % 256) as u8,
                255,
            ]
        })
        .collect();
    assert_eq!(developed(&image, &neutral(), 0, 0), image);
    // Not neutral in name (a vanishing vignette): through linear light and back, still
    // every 8-bit value.
    let s = SensorPlan {
        vignetting: 1e-15,
        ..neutral()
    };
    assert!(!sensor::isp::is_neutral(&s));
    assert_eq!(developed(&image, &s, 0, 0), image);
}

#[test]
fn exposure_and_white_balance_scale_linear_light() {
    let image = flat(0.2);
    let s = SensorPlan {
        exposure_ev: 1.0,
        white_balance: [1.5, 1.0, 0.5],
        ..neutral()
    };
    let out = developed(&image, &s, 0, 0);
    let base = to_linear(image[0]);
    for (c, gain) in [(0, 3.0), (1, 2.0), (2, 1.0)] {
        let (mean, std) = linear_stats(&out, c);
        assert!(std < 1e-9);
        assert!(
            (mean / base - gain).abs() < 0.02,
            "channel {c}: {mean} vs {base} x {gain}"
        );
    }
}

#[test]
fn vignetting_darkens_the_corners_by_its_share() {
    let image = flat(0.5);
    let s = SensorPlan {
        vignetting: 0.4,
        ..neutral()
    };
    let out = developed(&image, &s, 0, 0);
    let base = to_linear(image[0]);
    let at = |i: u32, j: u32| to_linear(out[((j * W + i) * 4) as usize]) / base;
    assert!((at(W / 2, H / 2) - 1.0).abs() < 0.01);
    for (i, j) in [(0, 0), (W - 1, 0), (0, H - 1), (W - 1, H - 1)] {
        assert!(
            (at(i, j) - 0.6).abs() < 0.01,
            "corner ({i}, {j}): {}",
            at(i, j)
        );
    }
    // Halfway out, a quarter of the loss.
    assert!((at(W / 2 + W / 4, H / 2 + H / 4) - 0.9).abs() < 0.01);
}

#[test]
fn noise_follows_shot_and_read_noise_at_the_iso() {
    let level = 0.18;
    let image = flat(level);
    let l = to_linear(image[0]);
    for iso in [1600.0, 6400.0] {
        let s = SensorPlan {
            iso,
            read_noise: 3.0,
            ..neutral()
        };
        let out = developed(&image, &s, 4, 0);
        let electrons = sensor::isp::FULL_WELL * 100.0 / iso;
        let expected = (l * electrons + 9.0).sqrt() / electrons;
        for c in 0..3 {
            let (mean, std) = linear_stats(&out, c);
            assert!((mean - l).abs() < 0.02 * l, "ISO {iso}: mean {mean} vs {l}");
            assert!(
                (std / expected - 1.0).abs() < 0.1,
                "ISO {iso}: noise {std} vs the model's {expected}"
            );
        }
    }
}

#[test]
fn noise_depends_only_on_seed_frame_and_camera() {
    let image = flat(0.3);
    let s = SensorPlan {
        iso: 800.0,
        ..neutral()
    };
    let a = developed(&image, &s, 5, 1);
    assert_eq!(a, developed(&image, &s, 5, 1), "same key, same noise");
    assert_ne!(a, developed(&image, &s, 6, 1), "another frame");
    assert_ne!(a, developed(&image, &s, 5, 0), "another camera");
    let other = SensorPlan {
        noise_seed: 100,
        ..s.clone()
    };
    assert_ne!(a, developed(&image, &other, 5, 1), "another variant's seed");
    // Developed on several threads at once: the same bytes.
    let threads: Vec<Vec<u8>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|_| scope.spawn(|| developed(&image, &s, 5, 1)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .collect()
    });
    assert!(threads.iter().all(|t| *t == a));
}

/// A black image with white squares of `side` pixels at the given top-left corners.
fn spots(corners: &[(u32, u32)], side: u32) -> Vec<u8> {
    let mut image: Vec<u8> = (0..W * H).flat_map(|_| [0, 0, 0, 255]).collect();
    for (x0, y0) in corners {
        for j in *y0..y0 + side {
            for i in *x0..x0 + side {
                let k = ((j * W + i) * 4) as usize;
                image[k..k + 3].copy_from_slice(&[255, 255, 255]);
            }
        }
    }
    image
}

/// Centroid and spread (standard deviation, pixels) of a channel's linear light.
fn spot_stats(image: &[u8], c: usize) -> ((f64, f64), f64) {
    let weight = |p: usize| to_linear(image[p * 4 + c]);
    let (mx, my) = centroid(weight);
    let (mut var, mut total) = (0.0, 0.0);
    for j in 0..H as usize {
        for i in 0..W as usize {
            let w = weight(j * W as usize + i);
            var += w * ((i as f64 + 0.5 - mx).powi(2) + (j as f64 + 0.5 - my).powi(2));
            total += w;
        }
    }
    ((mx, my), (var / total / 2.0).sqrt())
}

#[test]
fn chromatic_aberration_moves_red_out_and_blue_in_by_the_shift_at_the_corner() {
    let shift = 2.0;
    let s = SensorPlan {
        chromatic_aberration: shift,
        ..neutral()
    };
    // A spot three quarters of the way to the bottom-right corner.
    let cam = camera(None);
    let image = spots(&[(276, 164)], 4);
    let out = developed(&image, &s, 0, 0);
    let ((gx, gy), _) = spot_stats(&out, 1);
    let corner = (cam.cx * cam.cx + cam.cy * cam.cy).sqrt();
    let r = ((gx - cam.cx).powi(2) + (gy - cam.cy).powi(2)).sqrt();
    let expected = shift * r / corner;
    assert!(expected > 1.2);
    for (c, sign) in [(0, 1.0), (2, -1.0)] {
        let ((x, y), _) = spot_stats(&out, c);
        let moved = ((x - cam.cx).powi(2) + (y - cam.cy).powi(2)).sqrt() - r;
        assert!(
            (moved - sign * expected).abs() < 0.25,
            "channel {c}: moved {moved:.2} px, expected {:.2}",
            sign * expected
        );
    }
    // Green stays where it was.
    let ((x0, y0), _) = spot_stats(&image, 1);
    assert!((gx - x0).abs() < 1e-9 && (gy - y0).abs() < 1e-9);
}

#[test]
fn defocus_spreads_a_point_by_its_sigma_and_keeps_flat_areas() {
    let sigma = 1.5;
    let s = SensorPlan {
        defocus: sigma,
        ..neutral()
    };
    let image = spots(&[(160, 96)], 1);
    let out = developed(&image, &s, 0, 0);
    let (_, spread) = spot_stats(&out, 1);
    // 8-bit quantisation drops the faintest tail: a little under sigma.
    assert!(
        (spread / sigma - 1.0).abs() < 0.1,
        "spread {spread:.3} px for sigma {sigma}"
    );
    let (_, before) = spot_stats(&image, 1);
    assert!(before < 0.5);
    let flat_image = flat(0.3);
    assert_eq!(developed(&flat_image, &s, 0, 0), flat_image);
}

#[test]
fn auto_exposure_brings_each_frame_to_its_target_level() {
    let s = SensorPlan {
        auto_exposure: 0.18,
        ..neutral()
    };
    for level in [0.02, 0.6] {
        let out = developed(&flat(level), &s, 0, 0);
        let (mean, _) = linear_stats(&out, 1);
        assert!((mean / 0.18 - 1.0).abs() < 0.03, "from {level}: {mean}");
    }
    // Exposure compensation applies on top of it.
    let brighter = SensorPlan {
        exposure_ev: 1.0,
        ..s
    };
    let (mean, _) = linear_stats(&developed(&flat(0.02), &brighter, 0, 0), 1);
    assert!((mean / 0.36 - 1.0).abs() < 0.03, "{mean}");
}

/// Standard deviations (x, y) in pixels of a channel's linear light.
fn spread_xy(image: &[u8], c: usize) -> (f64, f64) {
    let weight = |p: usize| to_linear(image[p * 4 + c]);
    let (mx, my) = centroid(weight);
    let (mut vx, mut vy, mut total) = (0.0, 0.0, 0.0);
    for j in 0..H as usize {
        for i in 0..W as usize {
            let w = weight(j * W as usize + i);
            vx += w * (i as f64 + 0.5 - mx).powi(2);
            vy += w * (j as f64 + 0.5 - my).powi(2);
            total += w;
        }
    }
    ((vx / total).sqrt(), (vy / total).sqrt())
}

#[test]
fn motion_blur_smears_along_the_flow_of_the_depth_and_speed() {
    let cam = camera(None);
    let s = SensorPlan {
        exposure_time: 0.02,
        ..neutral()
    };
    let moving = |image: &[u8], depth: &[f32], velocity: V3| {
        let mut out = image.to_vec();
        let motion = sensor::optics::Motion { depth, velocity };
        sensor::isp::develop_moving(&mut out, &cam, &s, 0, 0, Some(motion));
        out
    };
    let near = vec![10.0f32; (W * H) as usize];
    // Sideways at 10 m/s, 10 m away, 20 ms: 160 px focal x 0.2 m / 10 m = 3.2 px.
    let dot = spots(&[(100, 60)], 1);
    let (sx, sy) = spread_xy(&moving(&dot, &near, v3(10.0, 0.0, 0.0)), 1);
    // A 3.2 px box seen through bilinear sampling (a triangle of variance 1/6).
    let box_std = (3.2f64 * 3.2 / 12.0 + 1.0 / 6.0).sqrt();
    assert!(
        (sx - box_std).abs() < 0.12,
        "x spread {sx:.2} vs {box_std:.2}"
    );
    assert!(sy < 0.1, "y spread {sy:.2}");
    // Twice as far, half the smear.
    let far = vec![20.0f32; (W * H) as usize];
    let (sx_far, _) = spread_xy(&moving(&dot, &far, v3(10.0, 0.0, 0.0)), 1);
    assert!(sx_far < 0.75 * sx, "{sx_far:.2} vs {sx:.2}");
    // Forward: nothing moves at the principal point, the rest streaks outwards.
    let centre = spots(&[(W / 2, H / 2)], 1);
    assert_eq!(
        moving(&centre, &near, v3(0.0, 0.0, 10.0)),
        developed(&centre, &s, 0, 0)
    );
    let (sx, _) = spread_xy(
        &moving(&spots(&[(300, 96)], 1), &near, v3(0.0, 0.0, 10.0)),
        1,
    );
    assert!(sx > 0.6, "{sx:.2}");
    // The sky (no depth) never moves.
    let sky = vec![f32::INFINITY; (W * H) as usize];
    assert_eq!(
        moving(&dot, &sky, v3(10.0, 0.0, 0.0)),
        developed(&dot, &s, 0, 0)
    );
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

/// Mean absolute difference of the RGB bytes of two images.
fn mean_abs_error(a: &[u8], b: &[u8]) -> f64 {
    let (mut sum, mut n) = (0.0, 0.0);
    for (p, q) in a.chunks(4).zip(b.chunks(4)) {
        for c in 0..3 {
            sum += (f64::from(p[c]) - f64::from(q[c])).abs();
            n += 1.0;
        }
    }
    sum / n
}

#[test]
fn jpeg_loses_more_at_lower_quality_and_shows_its_blocks() {
    // Smooth gradients with sharp-edged squares on them.
    let mut image: Vec<u8> = (0..W * H)
        .flat_map(|k| {
            let (i, j) = (k % W, k / W);
            [
                (i * 255 / W) as u8,
                (j * 255 / H) as u8,
                ((i + j) % 256) as u8,
                255,
            ]
        })
        .collect();
    for (x0, y0) in [(37, 21), (150, 90), (251, 133)] {
        for j in y0..y0 + 13 {
            for i in x0..x0 + 19 {
                let k = ((j * W + i) * 4) as usize;
                image[k..k + 3].copy_from_slice(&[250, 240, 20]);
            }
        }
    }
    let at = |quality: f64| {
        let s = SensorPlan {
            jpeg_quality: quality,
            ..neutral()
        };
        developed(&image, &s, 0, 0)
    };
    let errors: Vec<f64> = [95.0, 50.0, 10.0]
        .iter()
        .map(|q| mean_abs_error(&at(*q), &image))
        .collect();
    assert!(errors[0] < 2.0, "{errors:?}");
    assert!(errors[0] < errors[1] && errors[1] < errors[2], "{errors:?}");
    // At low quality, steps across 8x8 block borders exceed those inside blocks.
    let low = at(10.0);
    let (mut border, mut inside, mut nb, mut ni) = (0.0, 0.0, 0.0, 0.0);
    for j in 0..H as usize {
        for i in 1..W as usize {
            let d = (f64::from(low[(j * W as usize + i) * 4 + 1])
                - f64::from(low[(j * W as usize + i - 1) * 4 + 1]))
            .abs();
            if i % 8 == 0 {
                border += d;
                nb += 1.0;
            } else {
                inside += d;
                ni += 1.0;
            }
        }
    }
    assert!(
        border / nb > 1.5 * inside / ni,
        "{} vs {}",
        border / nb,
        inside / ni
    );
    assert_eq!(at(10.0), low, "the same bytes every time");
}
