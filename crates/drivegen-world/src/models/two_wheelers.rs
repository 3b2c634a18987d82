//! Two-wheelers: a motorcycle or bicycle frame of tubes on two rolling wheels, with
//! its rider.

use drivegen_labels::math::v3;
use drivegen_plan::Size3;
use drivegen_scenario::VehicleClass;
use rand_chacha::ChaCha8Rng;

use super::vehicles::{STANDOFF, axle, identity, plate};
use super::{Limb, LimbModel, people};
use crate::mesh::{Part, PartsBuilder, Surface};

/// A motorcycle or bicycle with its rider.
pub(super) fn two_wheeler(
    class: VehicleClass,
    size: &Size3,
    color: [u8; 3],
    night: bool,
    rng: &mut ChaCha8Rng,
) -> (Vec<LimbModel>, Vec<Part>) {
    let l = size.length;
    let motor = class == VehicleClass::Motorcycle;
    let d = if motor { 0.62 } else { 0.68 };
    let r = d / 2.0;
    let tyre = if motor { 0.12 } else { 0.045 };
    let (xf, xr) = (l / 2.0 - r, -l / 2.0 + r);
    let mut p = PartsBuilder::default();
    let id = identity();
    let frame = p.mesh(Surface::Body(color));
    let seat = v3(-0.12 * l, 0.0, d + 0.12);
    let head = v3(xf - 0.18, 0.0, d + 0.3);
    let thick = if motor { 0.06 } else { 0.022 };
    frame.tube(&id, v3(xr, 0.0, r), seat, (thick, thick), 6);
    frame.tube(&id, seat, head, (thick, thick), 6);
    frame.tube(
        &id,
        v3(xr, 0.0, r),
        v3(0.0, 0.0, r * 0.9),
        (thick, thick),
        6,
    );
    frame.tube(&id, v3(0.0, 0.0, r * 0.9), head, (thick, thick), 6);
    frame.tube(&id, v3(0.0, 0.0, r * 0.9), seat, (thick, thick), 6);
    p.mesh(Surface::Metal).tube(
        &id,
        v3(xf, 0.0, r),
        head + v3(0.0, 0.0, 0.15),
        (0.025, 0.025),
        6,
    );
    let bar = 0.42 * size.width;
    p.mesh(Surface::DarkMetal).tube(
        &id,
        head + v3(0.0, -bar, 0.15),
        head + v3(0.0, bar, 0.15),
        (0.015, 0.015),
        6,
    );
    if motor {
        p.mesh(Surface::Body(color)).ellipsoid(
            &id,
            v3(0.08, 0.0, d + 0.12),
            v3(0.32, 0.15, 0.12),
            (-60.0, 90.0),
            (10, 4),
        );
        p.mesh(Surface::DarkMetal)
            .cuboid(v3(0.0, 0.0, r * 0.6), 0.0, 0.5, 0.3, 0.35);
        let lamp = if night {
            Surface::Lamp([255, 245, 225], 60.0)
        } else {
            Surface::Lamp([235, 235, 225], 1.5)
        };
        plate(
            p.mesh(lamp),
            head.x + 0.1 + STANDOFF,
            0.0,
            head.z + 0.05,
            0.16,
            0.12,
        );
        plate(
            p.mesh(Surface::TailLamp),
            xr - 0.1,
            0.0,
            seat.z - 0.02,
            0.14,
            0.06,
        );
    }
    p.mesh(Surface::DarkMetal)
        .cuboid(seat + v3(-0.05, 0.0, -0.02), 0.0, 0.35, 0.18, 0.05);
    let mut limbs = vec![LimbModel {
        limb: Limb::Body,
        pivot: v3(0.0, 0.0, 0.0),
        parts: p.finish(),
    }];
    for x in [xf, xr] {
        limbs.push(axle(x, tyre / 2.0, r, tyre));
    }
    let rider = people::rider(
        seat,
        head + v3(0.0, 0.0, 0.15),
        bar * 0.85,
        size.height,
        motor,
        rng,
    );
    (limbs, rider)
}
