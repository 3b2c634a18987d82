//! Parametric actor models: vehicles per class and articulated pedestrians.
//!
//! Models are built in the actor's local frame (origin on the ground at the footprint
//! centre, x forward, y left, z up). A model is a list of limbs; each limb is rigid and
//! posed per frame by [`limb_frame`], so the renderer and the labeler agree on it.

use drivegen_labels::math::{Iso3, M3, V3, v3};
use drivegen_plan::{Actor, ActorClass, Size3};
use drivegen_scenario::VehicleClass;

use crate::mesh::{Part, PartsBuilder, Surface};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limb {
    Body,
    LeftLeg,
    RightLeg,
    LeftArm,
    RightArm,
}

#[derive(Clone, Debug)]
pub struct LimbModel {
    pub limb: Limb,
    /// The joint it swings about, in the actor frame.
    pub pivot: V3,
    pub parts: Vec<Part>,
}

/// Peak swing of legs and arms while walking (radians).
const SWING: f64 = 0.45;

/// The pose of a limb in the actor frame for a walking phase (radians).
pub fn limb_frame(limb: &LimbModel, walk_phase: f64) -> Iso3 {
    let angle = match limb.limb {
        Limb::Body => {
            return Iso3 {
                rotation: M3::IDENTITY,
                translation: v3(0.0, 0.0, 0.0),
            };
        }
        Limb::LeftLeg | Limb::RightArm => SWING * libm::sin(walk_phase),
        Limb::RightLeg | Limb::LeftArm => -SWING * libm::sin(walk_phase),
    };
    // Rotate about the pivot's y axis: p' = R (p - pivot) + pivot.
    let rotation = M3::rot_y(angle);
    Iso3 {
        rotation,
        translation: limb.pivot + rotation.mul_v(limb.pivot) * -1.0,
    }
}

fn wheel_set(parts: &mut PartsBuilder, l: f64, w: f64, d: f64, axles: &[f64]) {
    let tyre = parts.mesh(Surface::Tyre);
    for x in axles {
        for side in [-1.0, 1.0] {
            tyre.cuboid(
                v3(x * l / 2.0, side * (w / 2.0 - 0.14), 0.0),
                0.0,
                d,
                0.26,
                d,
            );
        }
    }
}

fn lamps(parts: &mut PartsBuilder, l: f64, w: f64, z: f64, night: bool) {
    let head = if night {
        Surface::Lamp([255, 245, 225], 60.0)
    } else {
        Surface::Lamp([235, 235, 225], 1.5)
    };
    let tail = if night {
        Surface::Lamp([220, 20, 20], 12.0)
    } else {
        Surface::Lamp([150, 20, 20], 0.5)
    };
    for side in [-1.0, 1.0] {
        parts.mesh(head).cuboid(
            v3(l / 2.0, side * (w / 2.0 - 0.25), z),
            0.0,
            0.04,
            0.3,
            0.12,
        );
        parts.mesh(tail).cuboid(
            v3(-l / 2.0, side * (w / 2.0 - 0.2), z),
            0.0,
            0.04,
            0.25,
            0.12,
        );
    }
}

/// A rider (or a pedestrian's body without legs) sitting at `seat`.
fn rider(parts: &mut PartsBuilder, seat: V3, clothes: [u8; 3]) {
    parts
        .mesh(Surface::Cloth(clothes))
        .cuboid(seat, 0.0, 0.3, 0.42, 0.62);
    parts
        .mesh(Surface::Skin)
        .cuboid(seat + v3(0.0, 0.0, 0.64), 0.0, 0.22, 0.2, 0.24);
    parts.mesh(Surface::Cloth([30, 30, 35])).cuboid(
        seat + v3(0.25, 0.0, -0.35),
        0.0,
        0.5,
        0.36,
        0.35,
    );
}

fn vehicle(
    class: VehicleClass,
    size: &Size3,
    color: [u8; 3],
    night: bool,
) -> (Vec<Part>, Option<Vec<Part>>) {
    let (l, w, h) = (size.length, size.width, size.height);
    let mut p = PartsBuilder::default();
    let body = Surface::Body(color);
    match class {
        VehicleClass::Car | VehicleClass::Suv | VehicleClass::Van => {
            let d = if class == VehicleClass::Car {
                0.62
            } else {
                0.72
            };
            wheel_set(&mut p, l, w, d, &[0.62, -0.62]);
            let sill = d * 0.45;
            let waist = if class == VehicleClass::Van {
                h * 0.5
            } else {
                h * 0.55
            };
            p.mesh(body)
                .cuboid(v3(0.0, 0.0, sill), 0.0, l, w, waist - sill);
            let (cabin_l, cabin_x) = match class {
                VehicleClass::Van => (l * 0.82, -l * 0.07),
                VehicleClass::Suv => (l * 0.62, -l * 0.08),
                _ => (l * 0.5, -l * 0.06),
            };
            p.mesh(Surface::Glass).cuboid(
                v3(cabin_x, 0.0, waist),
                0.0,
                cabin_l,
                w * 0.9,
                (h - waist) * 0.85,
            );
            p.mesh(body).cuboid(
                v3(cabin_x, 0.0, waist + (h - waist) * 0.85),
                0.0,
                cabin_l * 0.96,
                w * 0.88,
                (h - waist) * 0.15,
            );
            lamps(&mut p, l, w, sill + 0.25, night);
            (p.finish(), None)
        }
        VehicleClass::Truck | VehicleClass::Bus => {
            wheel_set(&mut p, l, w, 1.0, &[0.72, -0.55, -0.78]);
            if class == VehicleClass::Truck {
                let cab_l = 2.2;
                let cab_x = l / 2.0 - cab_l / 2.0;
                p.mesh(body)
                    .cuboid(v3(cab_x, 0.0, 0.5), 0.0, cab_l, w, h * 0.55);
                p.mesh(Surface::Glass).cuboid(
                    v3(cab_x + 0.15, 0.0, 0.5 + h * 0.55),
                    0.0,
                    cab_l - 0.3,
                    w * 0.92,
                    h * 0.25,
                );
                // A painted cargo box, not a building facade.
                p.mesh(Surface::Body([225, 225, 220])).cuboid(
                    v3(-cab_l / 2.0 - 0.1, 0.0, 0.5),
                    0.0,
                    l - cab_l - 0.2,
                    w,
                    h - 0.5,
                );
            } else {
                p.mesh(body).cuboid(v3(0.0, 0.0, 0.35), 0.0, l, w, h * 0.45);
                p.mesh(Surface::Glass).cuboid(
                    v3(0.0, 0.0, 0.35 + h * 0.45),
                    0.0,
                    l * 0.98,
                    w * 0.98,
                    h * 0.35,
                );
                p.mesh(body)
                    .cuboid(v3(0.0, 0.0, 0.35 + h * 0.8), 0.0, l, w, h * 0.2 - 0.35);
            }
            lamps(&mut p, l, w, 0.8, night);
            (p.finish(), None)
        }
        VehicleClass::Motorcycle | VehicleClass::Bicycle => {
            let d = if class == VehicleClass::Motorcycle {
                0.6
            } else {
                0.68
            };
            let tyre = p.mesh(Surface::Tyre);
            for x in [l / 2.0 - d / 2.0, -l / 2.0 + d / 2.0] {
                tyre.cuboid(v3(x, 0.0, 0.0), 0.0, d, 0.1, d);
            }
            let frame_h = if class == VehicleClass::Motorcycle {
                0.45
            } else {
                0.08
            };
            p.mesh(body)
                .cuboid(v3(0.0, 0.0, d * 0.55), 0.0, l * 0.6, 0.3, frame_h);
            if class == VehicleClass::Motorcycle {
                lamps(&mut p, l * 0.9, 0.5, d * 0.8, night);
            }
            let mut r = PartsBuilder::default();
            rider(&mut r, v3(-0.1, 0.0, d + 0.15), [50, 60, 90]);
            (p.finish(), Some(r.finish()))
        }
    }
}

fn pedestrian(size: &Size3, clothes: [u8; 3]) -> Vec<LimbModel> {
    let h = size.height;
    let leg_h = h * 0.47;
    let hip = v3(0.0, 0.0, leg_h);
    let shoulder_z = h * 0.8;
    let mut body = PartsBuilder::default();
    body.mesh(Surface::Cloth(clothes))
        .cuboid(hip, 0.0, 0.24, 0.4, shoulder_z - leg_h + 0.02);
    body.mesh(Surface::Skin).cuboid(
        v3(0.0, 0.0, shoulder_z + 0.03),
        0.0,
        0.2,
        0.18,
        h - shoulder_z - 0.03,
    );
    let mut limbs = vec![LimbModel {
        limb: Limb::Body,
        pivot: hip,
        parts: body.finish(),
    }];
    for (limb, y) in [(Limb::LeftLeg, 0.1), (Limb::RightLeg, -0.1)] {
        let mut leg = PartsBuilder::default();
        leg.mesh(Surface::Cloth([35, 35, 45])).cuboid(
            v3(0.0, y, 0.0),
            0.0,
            0.16,
            0.16,
            leg_h + 0.02,
        );
        limbs.push(LimbModel {
            limb,
            pivot: v3(0.0, y, leg_h),
            parts: leg.finish(),
        });
    }
    for (limb, y) in [(Limb::LeftArm, 0.27), (Limb::RightArm, -0.27)] {
        let mut arm = PartsBuilder::default();
        let arm_len = h * 0.36;
        arm.mesh(Surface::Cloth(clothes)).cuboid(
            v3(0.0, y, shoulder_z - arm_len),
            0.0,
            0.12,
            0.12,
            arm_len,
        );
        limbs.push(LimbModel {
            limb,
            pivot: v3(0.0, y, shoulder_z),
            parts: arm.finish(),
        });
    }
    limbs
}

/// An actor's model: limbs for the actor itself, and a rider's limbs for two-wheelers.
#[derive(Clone, Debug)]
pub struct ActorModel {
    pub limbs: Vec<LimbModel>,
    pub rider: Option<Vec<LimbModel>>,
}

pub fn actor_model(actor: &Actor, night: bool) -> ActorModel {
    match actor.class {
        ActorClass::Vehicle(class) => {
            let (parts, rider) = vehicle(class, &actor.size, actor.color, night);
            let body = |parts| {
                vec![LimbModel {
                    limb: Limb::Body,
                    pivot: v3(0.0, 0.0, 0.0),
                    parts,
                }]
            };
            ActorModel {
                limbs: body(parts),
                rider: rider.map(body),
            }
        }
        ActorClass::Pedestrian => ActorModel {
            limbs: pedestrian(&actor.size, actor.color),
            rider: None,
        },
    }
}
