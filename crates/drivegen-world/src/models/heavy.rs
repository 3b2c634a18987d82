//! Heavy vehicles: a truck (cab with glass ahead of a cargo box) and a bus (a lofted
//! shell with a band of windows).

use drivegen_labels::math::v3;
use drivegen_plan::Size3;

use super::vehicles::{
    BODY_RADII, CABIN_RADII, STANDOFF, axle, fittings, identity, plate, screens, side_windows,
};
use super::{Limb, LimbModel};
use crate::mesh::{MeshData, PartsBuilder, Surface};
use crate::shapes::Section;

/// A box lofted with small corner radii: cargo bodies and bus shells.
fn boxy(mesh: &mut MeshData, x0: f64, x1: f64, z0: f64, z1: f64, hw: f64, radii: (f64, f64)) {
    let s =
        |x: f64, inset: f64| Section::new(x, z0 + inset, z1 - inset, hw - inset, hw - inset, radii);
    mesh.loft_x(
        &identity(),
        &[
            s(x0, 0.04),
            s(x0 + 0.05, 0.0),
            s(x1 - 0.05, 0.0),
            s(x1, 0.04),
        ],
    );
}

/// A truck: a cab with a windscreen and door windows ahead of a cargo box.
pub(super) fn truck(size: &Size3, color: [u8; 3], night: bool) -> Vec<LimbModel> {
    let (l, w, h) = (size.length, size.width, size.height);
    let radius = 0.5;
    let mut p = PartsBuilder::default();
    let id = identity();
    let cab_len = 2.3;
    let (cab_x0, front) = (l / 2.0 - cab_len, l / 2.0);
    let floor = 0.55;
    let belt = floor + h * 0.36;
    let roof = h * 0.84;
    let hw = w / 2.0 - 0.02;
    let cab_body = [
        Section::new(cab_x0, floor, belt, hw, hw - 0.03, BODY_RADII),
        Section::new(front - 0.08, floor, belt, hw, hw - 0.03, BODY_RADII),
        Section::new(
            front,
            floor + 0.08,
            belt - 0.05,
            hw - 0.08,
            hw - 0.1,
            BODY_RADII,
        ),
    ];
    p.mesh(Surface::Body(color)).loft_x(&id, &cab_body);
    let cab =
        |x: f64, top: f64| Section::new(x, belt - 0.03, top, hw - 0.02, hw - 0.1, CABIN_RADII);
    let cab_top = [
        cab(cab_x0, roof - 0.02),
        cab(cab_x0 + 0.05, roof),
        cab(front - 0.35, roof),
        cab(front - 0.12, belt + 0.03),
    ];
    p.mesh(Surface::Body(color)).loft_x(&id, &cab_top);
    side_windows(p.mesh(Surface::Glass), &cab_top, &[], l);
    screens(p.mesh(Surface::Glass), &cab_top);
    // A painted cargo box, not a building facade.
    boxy(
        p.mesh(Surface::Body([225, 225, 220])),
        -l / 2.0,
        cab_x0 - 0.12,
        0.95,
        h,
        w / 2.0,
        (0.03, 0.06),
    );
    p.mesh(Surface::DarkMetal).cuboid(
        v3(-l / 2.0 + (l - cab_len) / 2.0, 0.0, 0.5),
        0.0,
        l - cab_len,
        w * 0.7,
        0.45,
    );
    fittings(
        &mut p,
        size,
        night,
        (hw - 0.05, hw - 0.1),
        (1.3, belt - 0.05),
        0.6,
    );
    let mut limbs = vec![LimbModel {
        limb: Limb::Body,
        pivot: v3(0.0, 0.0, 0.0),
        parts: p.finish(),
    }];
    for x in [front - 1.1, -l / 2.0 + 2.2, -l / 2.0 + 1.2] {
        limbs.push(axle(x, 0.46 * w, radius, 0.3));
    }
    limbs
}

/// A bus: a lofted shell with a band of windows, a tall windscreen and a rear window.
pub(super) fn bus(size: &Size3, color: [u8; 3], night: bool) -> Vec<LimbModel> {
    let (l, w, h) = (size.length, size.width, size.height);
    let radius = 0.5;
    let mut p = PartsBuilder::default();
    let hw = w / 2.0 - 0.01;
    boxy(
        p.mesh(Surface::Body(color)),
        -l / 2.0,
        l / 2.0,
        0.55,
        h,
        hw,
        (0.08, 0.25),
    );
    let glass = p.mesh(Surface::Glass);
    let (z0, z1) = (h * 0.42, h * 0.82);
    let pane = 1.35;
    let mut x = -l / 2.0 + 0.5;
    while x + pane < l / 2.0 - 1.4 {
        for side in [-1.0, 1.0] {
            let y = side * (hw + STANDOFF);
            let pts = [
                v3(x, y, z0),
                v3(x + pane - 0.12, y, z0),
                v3(x + pane - 0.12, y, z1),
                v3(x, y, z1),
            ];
            glass.polygon_facing(&pts, v3(0.0, side, 0.0));
        }
        x += pane;
    }
    plate(
        glass,
        l / 2.0 + STANDOFF,
        0.0,
        (h * 0.3 + h * 0.9) / 2.0,
        2.0 * hw - 0.3,
        h * 0.6,
    );
    plate(
        glass,
        -l / 2.0 - STANDOFF,
        0.0,
        h * 0.7,
        2.0 * hw - 0.5,
        h * 0.3,
    );
    fittings(
        &mut p,
        size,
        night,
        (hw - 0.05, hw - 0.05),
        (0.95, 0.9),
        0.35,
    );
    let mut limbs = vec![LimbModel {
        limb: Limb::Body,
        pivot: v3(0.0, 0.0, 0.0),
        parts: p.finish(),
    }];
    for x in [l / 2.0 - 2.6, -l / 2.0 + 3.0] {
        limbs.push(axle(x, 0.46 * w, radius, 0.3));
    }
    limbs
}
