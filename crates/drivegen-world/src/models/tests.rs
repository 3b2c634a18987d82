//! Models stay inside their plan boxes, roll their wheels, and look the same for the
//! same seed.

use super::*;
use crate::mesh::Surface;
use drivegen_labels::math::Iso3;
use drivegen_plan::geom::Pose2;
use drivegen_plan::{Behavior, Role, Size3};
use drivegen_scenario::VehicleClass;

fn actor(id: u32, class: ActorClass, size: Size3) -> Actor {
    Actor {
        id,
        name: None,
        class,
        role: Role::Traffic,
        pose: Pose2 {
            x: 0.0,
            y: 0.0,
            yaw: 0.0,
        },
        size,
        color: [120, 20, 30],
        lane: None,
        s: 0.0,
        route: Vec::new(),
        behavior: Behavior::Parked,
    }
}

fn state(odometer: f64, walk_phase: f64) -> AgentState {
    let mut s = AgentState::at_rest(
        0,
        Pose2 {
            x: 0.0,
            y: 0.0,
            yaw: 0.0,
        },
    );
    s.odometer = odometer;
    s.walk_phase = walk_phase;
    s
}

/// Every vertex of the posed model, in the actor frame.
fn posed_points(limbs: &[LimbModel], st: &AgentState) -> Vec<V3> {
    let mut out = Vec::new();
    for limb in limbs {
        let f: Iso3 = limb_frame(limb, st);
        for part in &limb.parts {
            for q in &part.mesh.positions {
                out.push(f.apply(v3(f64::from(q[0]), f64::from(q[1]), f64::from(q[2]))));
            }
        }
    }
    out
}

#[test]
fn every_vehicle_class_fills_its_box_without_leaving_it() {
    for class in VehicleClass::ALL {
        let (l, w, h) = class.nominal_size();
        let a = actor(
            3,
            ActorClass::Vehicle(class),
            Size3 {
                length: l,
                width: w,
                height: h,
            },
        );
        let model = actor_model(&a, false, 7);
        for odometer in [0.0, 0.77, 5.3] {
            let mut pts = posed_points(&model.limbs, &state(odometer, 0.0));
            if let Some(rider) = &model.rider {
                pts.extend(posed_points(rider, &state(odometer, 0.0)));
            }
            // Lamps and plates stand off the body by under two centimetres.
            let slack = 0.02;
            for p in &pts {
                assert!(
                    p.x.abs() <= l / 2.0 + slack && p.y.abs() <= w / 2.0 + slack,
                    "{class:?} point {p:?} outside {l} x {w}"
                );
                assert!(
                    p.z >= -1e-6 && p.z <= h + 1e-6,
                    "{class:?} point {p:?} above {h}"
                );
            }
            let extent = |f: fn(&V3) -> f64| {
                pts.iter().map(f).fold(f64::MIN, f64::max)
                    - pts.iter().map(f).fold(f64::MAX, f64::min)
            };
            // Cars fill their boxes: a detector's box and the model agree.
            assert!(
                extent(|p| p.x) > 0.95 * l,
                "{class:?} length {}",
                extent(|p| p.x)
            );
            assert!(
                extent(|p| p.y) > 0.75 * w,
                "{class:?} width {}",
                extent(|p| p.y)
            );
            assert!(
                extent(|p| p.z) > 0.9 * h,
                "{class:?} height {}",
                extent(|p| p.z)
            );
        }
        if !matches!(class, VehicleClass::Motorcycle | VehicleClass::Bicycle) {
            let surfaces: Vec<Surface> = model.limbs[0].parts.iter().map(|p| p.surface).collect();
            for s in [Surface::Glass, Surface::TailLamp, Surface::DarkMetal] {
                assert!(surfaces.contains(&s), "{class:?} has no {s:?}");
            }
        }
    }
}

#[test]
fn wheels_roll_with_the_distance_driven() {
    let (l, w, h) = VehicleClass::Car.nominal_size();
    let a = actor(
        1,
        ActorClass::Vehicle(VehicleClass::Car),
        Size3 {
            length: l,
            width: w,
            height: h,
        },
    );
    let model = actor_model(&a, false, 7);
    let axles: Vec<&LimbModel> = model
        .limbs
        .iter()
        .filter(|m| matches!(m.limb, Limb::Axle { .. }))
        .collect();
    assert_eq!(axles.len(), 2);
    let Limb::Axle { radius } = axles[0].limb else {
        unreachable!("filtered to axles");
    };
    assert!(
        (axles[0].pivot.z - radius).abs() < 1e-9,
        "axle at wheel height"
    );
    // A quarter turn of the wheel after a quarter of its circumference: the point at
    // the top of the wheel has moved forward to the front.
    let top = axles[0].pivot + v3(0.0, 0.0, radius);
    let quarter = radius * std::f64::consts::FRAC_PI_2;
    let moved = limb_frame(axles[0], &state(quarter, 0.0)).apply(top);
    let front = axles[0].pivot + v3(radius, 0.0, 0.0);
    assert!((moved - front).length() < 1e-9, "{moved:?} vs {front:?}");
    // The body does not move with the wheels.
    let body = limb_frame(&model.limbs[0], &state(quarter, 0.0));
    assert_eq!(body.apply(top), top);
}

#[test]
fn pedestrians_stand_in_their_box_and_look_different_per_person() {
    let size = Size3 {
        length: 0.3,
        width: 0.5,
        height: 1.72,
    };
    let models: Vec<ActorModel> = (10..30)
        .map(|id| actor_model(&actor(id, ActorClass::Pedestrian, size), false, 99))
        .collect();
    for m in &models {
        let pts = posed_points(&m.limbs, &state(0.0, 0.0));
        let top = pts.iter().map(|p| p.z).fold(f64::MIN, f64::max);
        assert!(top <= 1.72 + 1e-6 && top > 1.65, "head top at {top}");
        assert!(pts.iter().all(|p| p.y.abs() <= 0.25 + 1e-6 && p.z >= -1e-6));
    }
    let looks = |m: &ActorModel| -> Vec<Surface> {
        m.limbs
            .iter()
            .flat_map(|l| l.parts.iter().map(|p| p.surface))
            .collect()
    };
    let distinct = models
        .iter()
        .map(looks)
        .fold(Vec::<Vec<Surface>>::new(), |mut acc, x| {
            if !acc.contains(&x) {
                acc.push(x);
            }
            acc
        });
    assert!(
        distinct.len() >= 10,
        "only {} distinct looks of 20",
        distinct.len()
    );
    // Same seed, same person; another seed, (almost surely) another.
    let again = actor_model(&actor(10, ActorClass::Pedestrian, size), false, 99);
    assert_eq!(looks(&again), looks(&models[0]));
}
