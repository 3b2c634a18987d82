//! Labels against analytic ground truth: a box at a known pose projects to the pinhole
//! box, depth matches geometry, hidden and half-hidden objects get the visibility
//! geometry says, and a box cut by the border gets the right truncation.

use drivegen_labels::camera::Camera;
use drivegen_labels::math::v3;
use drivegen_labels::raster::{for_each_fragment, silhouette_pixels};

mod label_fixtures;
use label_fixtures::{Obj, level_camera, obj, render};

const W: u32 = 640;
const H: u32 = 384;

fn camera() -> Camera {
    level_camera(W, H)
}

/// The 8 corners of a box projected (all assumed in front of the camera).
fn projected_corners(cam: &Camera, o: &Obj) -> Vec<(f64, f64)> {
    let mut pts = Vec::new();
    for t in &o.tris {
        for p in t {
            let (u, v, _) = cam.project(*p).expect("in front");
            pts.push((u, v));
        }
    }
    pts
}

fn analytic_box(pts: &[(f64, f64)]) -> [f64; 4] {
    pts.iter().fold(
        [
            f64::INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NEG_INFINITY,
        ],
        |b, (u, v)| [b[0].min(*u), b[1].min(*v), b[2].max(*u), b[3].max(*v)],
    )
}

#[test]
fn boxes_project_to_the_analytic_pinhole_box_within_one_pixel() {
    let cam = camera();
    let poses = [
        (v3(22.0, 0.0, 0.0), 0.0),
        (v3(15.0, 3.0, 0.0), 0.4),
        (v3(30.0, -4.0, 0.0), -1.1),
        (v3(9.0, 1.5, 0.0), 2.5),
        (v3(45.0, 8.0, 0.0), 1.57),
    ];
    for (base, yaw) in poses {
        let o = obj(100, base, yaw, (4.5, 1.8, 1.45));
        let expected = analytic_box(&projected_corners(&cam, &o));
        let (_, labels) = render(&cam, std::slice::from_ref(&o));
        let label = &labels[0];
        let tight = label.tight_box.expect("visible");
        for k in 0..4 {
            assert!(
                (tight[k] - expected[k]).abs() <= 1.0,
                "pose {base:?}/{yaw}: tight {tight:?} vs analytic {expected:?}"
            );
            assert!(
                (label.amodal_box[k] - expected[k]).abs() < 1e-6,
                "amodal {:?} vs {expected:?}",
                label.amodal_box
            );
        }
        assert!(label.visibility > 0.999 && label.occlusion == 0);
        assert!(label.truncation < 1e-9);
    }
}

#[test]
fn depth_at_the_box_centre_matches_the_distance() {
    let cam = camera();
    // Front face at x = 20 m, facing the camera.
    let o = obj(100, v3(22.25, 0.0, 0.0), 0.0, (4.5, 1.8, 1.45));
    let (raster, labels) = render(&cam, std::slice::from_ref(&o));
    let b = labels[0].tight_box.expect("visible");
    let (cx, cy) = (
        ((b[0] + b[2]) / 2.0) as usize,
        ((b[1] + b[3]) / 2.0) as usize,
    );
    let d = f64::from(raster.depth[cy * W as usize + cx]);
    assert!((d - 20.0).abs() / 20.0 < 0.01, "depth {d} vs 20 m");
    assert_eq!(raster.ids[cy * W as usize + cx], 100);
    // The label's 3-D box sits where the object is, in KITTI camera coordinates.
    let b3 = labels[0].box3d;
    assert!(
        (b3.z - 22.25).abs() < 1e-9 && b3.x.abs() < 1e-9 && (b3.y - 1.5).abs() < 1e-9,
        "{b3:?}"
    );
    // Facing away from the camera along its optical axis: rotation_y = -pi/2 in KITTI.
    assert!(
        (b3.rotation_y + std::f64::consts::FRAC_PI_2).abs() < 1e-9,
        "{}",
        b3.rotation_y
    );
}

#[test]
fn a_car_behind_a_truck_is_fully_hidden_but_still_listed() {
    let cam = camera();
    let truck = obj(101, v3(15.0, 0.0, 0.0), 0.0, (8.5, 2.5, 3.4));
    let car = obj(102, v3(32.0, 0.0, 0.0), 0.0, (4.5, 1.8, 1.45));
    let (_, labels) = render(&cam, &[truck, car]);
    let car = labels
        .iter()
        .find(|l| l.id == 102)
        .expect("hidden car stays in the 3-D list");
    assert_eq!(car.visible_pixels, 0);
    assert_eq!(car.visibility, 0.0);
    assert!(car.tight_box.is_none());
    assert_eq!(car.occlusion, 3);
    assert!(!car.visible);
    assert!(car.unoccluded_pixels > 100, "it would be visible alone");
}

/// Area of a convex polygon (shoelace).
fn area(poly: &[(f64, f64)]) -> f64 {
    let n = poly.len();
    (0..n)
        .map(|i| poly[i].0 * poly[(i + 1) % n].1 - poly[(i + 1) % n].0 * poly[i].1)
        .sum::<f64>()
        .abs()
        / 2.0
}

fn convex_hull(mut pts: Vec<(f64, f64)>) -> Vec<(f64, f64)> {
    pts.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    let cross = |o: (f64, f64), a: (f64, f64), b: (f64, f64)| {
        (a.0 - o.0) * (b.1 - o.1) - (a.1 - o.1) * (b.0 - o.0)
    };
    let mut lower: Vec<(f64, f64)> = Vec::new();
    for p in &pts {
        while lower.len() >= 2 && cross(lower[lower.len() - 2], lower[lower.len() - 1], *p) <= 0.0 {
            lower.pop();
        }
        lower.push(*p);
    }
    let mut upper: Vec<(f64, f64)> = Vec::new();
    for p in pts.iter().rev() {
        while upper.len() >= 2 && cross(upper[upper.len() - 2], upper[upper.len() - 1], *p) <= 0.0 {
            upper.pop();
        }
        upper.push(*p);
    }
    lower.pop();
    upper.pop();
    lower.extend(upper);
    lower
}

/// Keeps the part of a convex polygon with u >= u0.
fn clip_right_of(poly: &[(f64, f64)], u0: f64) -> Vec<(f64, f64)> {
    let mut out = Vec::new();
    for i in 0..poly.len() {
        let (a, b) = (poly[i], poly[(i + 1) % poly.len()]);
        if a.0 >= u0 {
            out.push(a);
        }
        if (a.0 >= u0) != (b.0 >= u0) {
            let t = (u0 - a.0) / (b.0 - a.0);
            out.push((u0, a.1 + t * (b.1 - a.1)));
        }
    }
    out
}

#[test]
fn a_half_hidden_car_has_the_geometric_visibility() {
    let cam = camera();
    let car = obj(102, v3(30.0, 0.5, 0.0), 0.3, (4.5, 1.8, 1.45));
    // A wide wall at 12 m whose right edge (world y = 0.4) projects to a vertical line.
    let wall_edge_y = 0.4;
    let wall = obj(103, v3(12.0, wall_edge_y + 5.0, 0.0), 0.0, (0.2, 10.0, 6.0));
    let u0 = cam.project(v3(11.9, wall_edge_y, 1.0)).expect("in front").0;
    let hull = convex_hull(projected_corners(&cam, &car));
    let expected = area(&clip_right_of(&hull, u0)) / area(&hull);
    assert!(
        expected > 0.2 && expected < 0.8,
        "the set-up should hide part of the car: {expected}"
    );
    let (_, labels) = render(&cam, &[wall, car]);
    let label = labels.iter().find(|l| l.id == 102).expect("car labelled");
    assert!(
        (label.visibility - expected).abs() <= 0.05,
        "visibility {} vs geometric {expected}",
        label.visibility
    );
    assert!(label.tight_box.expect("partly visible")[0] >= u0.floor());
    assert_eq!(
        label.occlusion,
        if expected >= 0.8 {
            0
        } else if expected >= 0.4 {
            1
        } else {
            2
        }
    );
}

#[test]
fn a_car_cut_by_the_image_border_has_the_right_truncation() {
    let cam = camera();
    // At 12 m and 11 m to the right, the box straddles the right border.
    let car = obj(104, v3(12.0, -11.5, 0.0), 0.0, (4.5, 1.8, 1.45));
    let full = analytic_box(&projected_corners(&cam, &car));
    assert!(
        full[0] < f64::from(W) && full[2] > f64::from(W),
        "set-up must straddle the border: {full:?}"
    );
    let clipped_w = f64::from(W) - full[0];
    let expected = 1.0 - clipped_w / (full[2] - full[0]);
    let (_, labels) = render(&cam, std::slice::from_ref(&car));
    let label = &labels[0];
    assert!(
        (label.truncation - expected).abs() < 1e-9,
        "truncation {} vs {expected}",
        label.truncation
    );
    assert_eq!(label.amodal_box[2], f64::from(W));
    // Visibility counts only in-image pixels: a truncated but unoccluded car is fully visible.
    assert!(label.visibility > 0.999);
}

#[test]
fn rasterization_is_watertight_and_never_double_covers() {
    let cam = camera();
    // A quad (two triangles sharing a diagonal) filling part of the view.
    let a = v3(10.0, 3.0, 0.0);
    let b = v3(10.0, -3.0, 0.0);
    let c = v3(10.0, -3.0, 3.0);
    let d = v3(10.0, 3.0, 3.0);
    let tris = [[a, b, c], [a, c, d]];
    let mut fragments = 0u32;
    for t in &tris {
        for_each_fragment(&cam, t, |_, _, _| fragments += 1);
    }
    assert_eq!(
        fragments,
        silhouette_pixels(&cam, &tris),
        "shared edges must not be drawn twice"
    );
    // Analytic area of the quad: 6 m x 3 m at 10 m with fx = 320 -> 192 x 96 pixels.
    assert!(
        (f64::from(fragments) - 192.0 * 96.0).abs() <= 192.0 + 96.0,
        "{fragments}"
    );
}

#[test]
fn objects_behind_the_camera_are_not_labelled_and_near_clipping_works() {
    let cam = camera();
    let behind = obj(105, v3(-10.0, 0.0, 0.0), 0.0, (4.5, 1.8, 1.45));
    // Straddling the camera plane: clipped, not inverted.
    let beside = obj(106, v3(0.5, -3.0, 0.0), 0.0, (6.0, 1.8, 1.45));
    let (raster, labels) = render(&cam, &[behind, beside]);
    assert!(labels.iter().all(|l| l.id != 105));
    assert!(raster.ids.iter().all(|id| *id != 105));
    if let Some(l) = labels.iter().find(|l| l.id == 106) {
        assert!(l.truncation > 0.0 && l.truncation <= 1.0);
    }
}

/// A body whose triangles reach past its 3-D box (a walker's arm, a street light's arm
/// over the road): the amodal box is the extent of all of it, so it holds every visible
/// pixel, and the object is labelled when only the part outside its box is in view. The
/// amodal box was the box's alone: a walker's tight box lay up to 25 px outside it, and
/// one whose box was just out of view went unlabelled with 180 pixels in the image.
#[test]
fn the_amodal_box_holds_what_reaches_past_the_3d_box() {
    let cam = camera();
    let with_arm = |id: u32, base: drivegen_labels::math::V3| {
        let mut o = obj(id, base, 0.0, (0.6, 0.6, 1.7));
        // An arm 0.8 m out to the left (+y) at shoulder height, 10 cm thick.
        let (x, y, z) = (base.x, base.y + 0.3, base.z + 1.3);
        o.tris
            .push([v3(x, y, z), v3(x, y + 0.8, z), v3(x, y, z + 0.1)]);
        o.tris.push([
            v3(x, y + 0.8, z),
            v3(x, y + 0.8, z + 0.1),
            v3(x, y, z + 0.1),
        ]);
        o
    };
    let o = with_arm(100, v3(12.0, 0.0, 0.0));
    let expected = analytic_box(&projected_corners(&cam, &o));
    let (_, labels) = render(&cam, std::slice::from_ref(&o));
    let label = &labels[0];
    for k in 0..4 {
        assert!(
            (label.amodal_box[k] - expected[k]).abs() < 1e-6,
            "amodal {:?} vs the arm's reach {expected:?}",
            label.amodal_box
        );
    }
    let tight = label.tight_box.expect("visible");
    assert!(
        tight[0] >= label.amodal_box[0] - 1e-9 && tight[2] <= label.amodal_box[2] + 1e-9,
        "tight {tight:?} outside amodal {:?}",
        label.amodal_box
    );
    // Its box just past the image's left edge (45° off the axis: y = x), an arm 1.5 m
    // long reaching back into view.
    let mut o = obj(101, v3(12.0, 13.0, 0.0), 0.0, (0.6, 0.6, 1.7));
    assert!(
        o.tris.iter().flatten().all(|p| p.y > p.x),
        "the box is out of view"
    );
    let (x, y, z) = (12.0, 12.7, 1.3);
    o.tris
        .push([v3(x, y, z), v3(x, y - 1.5, z), v3(x, y, z + 0.1)]);
    o.tris.push([
        v3(x, y - 1.5, z),
        v3(x, y - 1.5, z + 0.1),
        v3(x, y, z + 0.1),
    ]);
    let (raster, labels) = render(&cam, std::slice::from_ref(&o));
    let seen = raster.ids.iter().filter(|i| **i == 101).count();
    assert!(seen > 0, "the arm is in view");
    let label = labels
        .iter()
        .find(|l| l.id == 101)
        .expect("labelled by its arm");
    assert_eq!(label.visible_pixels as usize, seen);
}
