//! Meshes of the street furniture the planner places (`drivegen_plan::props`): litter
//! bins, fire hydrants, bus shelters and fences. Each is built in its prop's frame (x
//! along the prop's heading, z up, origin at the footprint's centre on the ground) and
//! stays inside the prop's box, which is its label box.

use drivegen_labels::math::{Iso3, v3};
use drivegen_plan::FenceStyle;

use crate::mesh::{PartsBuilder, Surface};

/// A street litter bin: a slightly flared drum on a dark foot, with a dark lid.
pub fn bin(parts: &mut PartsBuilder, frame: &Iso3, (l, w, h): (f64, f64, f64), paint: [u8; 3]) {
    let r = 0.49 * l.min(w);
    let dark = parts.mesh(Surface::DarkMetal);
    dark.tube(
        frame,
        v3(0.0, 0.0, 0.0),
        v3(0.0, 0.0, 0.06 * h),
        (0.75 * r, 0.75 * r),
        10,
    );
    dark.tube(
        frame,
        v3(0.0, 0.0, 0.9 * h),
        v3(0.0, 0.0, 0.97 * h),
        (r, 0.9 * r),
        10,
    );
    parts.mesh(Surface::Body(paint)).tube(
        frame,
        v3(0.0, 0.0, 0.06 * h),
        v3(0.0, 0.0, 0.9 * h),
        (0.85 * r, 0.97 * r),
        10,
    );
}

/// A fire hydrant: a flange, a barrel, a domed bonnet with its operating nut, two hose
/// outlets to the sides and the pumper outlet to the front (the road).
pub fn hydrant(parts: &mut PartsBuilder, frame: &Iso3, (l, w, h): (f64, f64, f64), paint: [u8; 3]) {
    let half = l.min(w) / 2.0;
    let body = parts.mesh(Surface::Body(paint));
    body.tube(
        frame,
        v3(0.0, 0.0, 0.0),
        v3(0.0, 0.0, 0.07 * h),
        (0.75 * half, 0.7 * half),
        10,
    );
    body.tube(
        frame,
        v3(0.0, 0.0, 0.07 * h),
        v3(0.0, 0.0, 0.68 * h),
        (0.52 * half, 0.5 * half),
        10,
    );
    body.ellipsoid(
        frame,
        v3(0.0, 0.0, 0.68 * h),
        v3(0.58 * half, 0.58 * half, 0.17 * h),
        (0.0, 90.0),
        (10, 3),
    );
    for side in [-1.0, 1.0] {
        body.tube(
            frame,
            v3(0.0, 0.0, 0.52 * h),
            v3(0.0, side * 0.9 * half, 0.52 * h),
            (0.22 * half, 0.22 * half),
            8,
        );
    }
    body.tube(
        frame,
        v3(0.0, 0.0, 0.45 * h),
        v3(0.9 * half, 0.0, 0.45 * h),
        (0.3 * half, 0.3 * half),
        8,
    );
    parts.mesh(Surface::DarkMetal).tube(
        frame,
        v3(0.0, 0.0, 0.84 * h),
        v3(0.0, 0.0, 0.93 * h),
        (0.14 * half, 0.14 * half),
        6,
    );
}

/// A bus shelter open to the road on its -y side: four posts, a roof, a glass back wall,
/// half-depth glass ends (one of them a lit-looking advertising box) and a bench.
pub fn bus_shelter(parts: &mut PartsBuilder, frame: &Iso3, (l, w, h): (f64, f64, f64)) {
    let post = 0.08;
    let roof = 0.12;
    let (x, y) = (l / 2.0 - post / 2.0 - 0.02, w / 2.0 - post / 2.0 - 0.02);
    let metal = parts.mesh(Surface::Metal);
    for (sx, sy) in [(-1.0, -1.0), (1.0, -1.0), (1.0, 1.0), (-1.0, 1.0)] {
        metal.cuboid_posed(frame, v3(sx * x, sy * y, 0.0), post, post, h - roof);
    }
    parts
        .mesh(Surface::Body([62, 66, 72]))
        .cuboid_posed(frame, v3(0.0, 0.0, h - roof), l, w, roof);
    let pane = h - roof - 0.35;
    // Drawn opaque, the shelter's glass would be a black wall: a pale, glossy grey-blue
    // reads as glass that shows the bright street behind it.
    let glass = parts.mesh(Surface::Body([150, 164, 172]));
    glass.cuboid_posed(frame, v3(0.0, y, 0.15), 2.0 * x - post, 0.03, pane);
    // One end is glass, the other an advertising box, both from the back wall to halfway.
    glass.cuboid_posed(frame, v3(-x, y / 2.0, 0.15), 0.03, y - post / 2.0, pane);
    parts.mesh(Surface::SignFace([206, 210, 218])).cuboid_posed(
        frame,
        v3(x, y / 2.0, 0.15),
        0.06,
        y - post / 2.0,
        pane,
    );
    let bench = parts.mesh(Surface::Cloth([112, 84, 58]));
    bench.cuboid_posed(frame, v3(0.0, y - 0.25, 0.42), 0.6 * l, 0.38, 0.05);
    for sx in [-1.0, 1.0] {
        parts.mesh(Surface::DarkMetal).cuboid_posed(
            frame,
            v3(sx * 0.25 * l, y - 0.25, 0.0),
            0.05,
            0.3,
            0.42,
        );
    }
}

/// A straight run of fence along x: posts at both ends and at most 2.5 m apart, and
/// close boards, a row of slats or a steel railing between them.
pub fn fence(
    parts: &mut PartsBuilder,
    frame: &Iso3,
    (l, w, h): (f64, f64, f64),
    paint: [u8; 3],
    style: FenceStyle,
) {
    let post = w.min(0.1);
    let bays = (l / 2.5).ceil().max(1.0) as usize;
    let span = (l - post) / bays as f64;
    let post_surface = if style == FenceStyle::Railing {
        Surface::Body(paint)
    } else {
        Surface::Cloth(shade(paint, 0.8))
    };
    let posts = parts.mesh(post_surface);
    for k in 0..=bays {
        let px = -l / 2.0 + post / 2.0 + span * k as f64;
        posts.cuboid_posed(frame, v3(px, 0.0, 0.0), post, post, h);
    }
    let inner = l - post;
    match style {
        FenceStyle::Boards => {
            // Close boards on the road side of the posts.
            parts.mesh(Surface::Cloth(paint)).cuboid_posed(
                frame,
                v3(0.0, -w / 2.0 + 0.015, 0.05),
                inner,
                0.03,
                h - 0.12,
            );
        }
        FenceStyle::Paling => {
            let slats = parts.mesh(Surface::Cloth(paint));
            let count = (inner / 0.14).floor().max(1.0) as usize;
            let pitch = inner / count as f64;
            for k in 0..count {
                let sx = -inner / 2.0 + pitch * (k as f64 + 0.5);
                slats.cuboid_posed(frame, v3(sx, -w / 2.0 + 0.015, 0.08), 0.08, 0.03, h - 0.1);
            }
            let rails = parts.mesh(Surface::Cloth(shade(paint, 0.85)));
            for z in [0.25 * h, 0.75 * h] {
                rails.cuboid_posed(frame, v3(0.0, 0.02, z), inner, 0.04, 0.07);
            }
        }
        FenceStyle::Railing => {
            let steel = parts.mesh(Surface::Body(paint));
            for z in [0.1, h - 0.06] {
                steel.cuboid_posed(frame, v3(0.0, 0.0, z), inner, 0.04, 0.04);
            }
            let count = (inner / 0.13).floor().max(1.0) as usize;
            let pitch = inner / count as f64;
            for k in 0..count {
                let sx = -inner / 2.0 + pitch * (k as f64 + 0.5);
                steel.cuboid_posed(frame, v3(sx, 0.0, 0.1), 0.02, 0.02, h - 0.16);
            }
        }
    }
}

fn shade([r, g, b]: [u8; 3], f: f64) -> [u8; 3] {
    [r, g, b].map(|c| (f64::from(c) * f).round().clamp(0.0, 255.0) as u8)
}
