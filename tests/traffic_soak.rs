//! A measurement, not a check: random designer-style maps (every block kind, one to
//! three lanes, parking, signals, lane changes, crowds), each variant simulated for 30 s,
//! and every pair of actors whose footprints overlap reported once with where it
//! happened. `cargo test --release --test traffic_soak -- --ignored --nocapture`
//! (SOAK_MAPS sets how many scenarios of 8 variants each; 25 by default).

mod events_support;

use std::collections::BTreeMap;

use drivegen_plan::{Role, ScenePlan, plan};
use drivegen_world::traffic::TrafficSim;
use events_support::overlapping_pair;

fn designer_map(seed: u32) -> String {
    let lanes = 1 + seed % 3;
    let signals = seed % 2 == 0;
    let lane_changes = seed % 3 != 0;
    format!(
        r#"Scenario(
    name: "soak {seed}",
    seed: {seed},
    variants: 8,
    capture: (duration: 30, rate: 10, warmup: 0),
    map: (
        blocks: Random(count: IntRange(3, 7), weights: [
            (3, Straight(length: Uniform(20, 200))),
            (2, Curve(radius: Uniform(60, 200), angle: Uniform(-90, 90))),
            (2, Intersection(ways: 4, arm_length: Uniform(30, 80), exit: Straight)),
            (1, Intersection(ways: 3, exit: Left)),
            (1, Intersection(ways: 3, exit: Right)),
            (1, Intersection(ways: 4, exit: Left)),
            (1, Roundabout(radius: Uniform(16, 30), exits: 4)),
            (1, OnRamp(length: Uniform(60, 150))),
            (1, OffRamp(length: Uniform(60, 150))),
        ]),
        lanes_per_direction: {lanes},
        lane_width: 3.5,
        shoulder_width: 2.0,
        crosswalks: true,
    ),
    traffic: (vehicles: IntRange(10, 40), parked: IntRange(0, 8), lane_changes: {lane_changes}),
    pedestrians: (count: IntRange(4, 20), crossing_probability: 0.5),
    signals: (enabled: {signals}),
    ego: (route: Straight),
)"#
    )
}

/// Where a point is: the kind of the nearest lane and whether it is in a junction.
fn place(p: &ScenePlan, at: drivegen_plan::geom::V2) -> String {
    let mut best = (f64::INFINITY, String::new());
    for l in &p.network.lanes {
        let d = l.center.project(at).lateral.abs();
        if d < best.0 {
            let junction = l.junction.map_or("road".to_string(), |j| format!("junction {j}"));
            best = (d, format!("{:?} lane {} ({junction})", l.kind, l.id));
        }
    }
    best.1
}

#[test]
#[ignore = "a measurement, not a check"]
fn random_designer_maps_simulate_without_overlaps() {
    let maps: u32 = std::env::var("SOAK_MAPS").ok().and_then(|s| s.parse().ok()).unwrap_or(25);
    let dt = 1.0 / 30.0;
    let (mut variants, mut unplannable) = (0, 0);
    let mut by_kind: BTreeMap<String, usize> = BTreeMap::new();
    for seed in 0..maps {
        let text = designer_map(seed);
        let s = match drivegen_scenario::load_str("soak.ron", &text) {
            Ok(l) => l.scenario,
            Err(e) => panic!("seed {seed}: {e}"),
        };
        for variant in 0..8 {
            let Ok(p) = plan(&s, variant) else {
                unplannable += 1;
                continue;
            };
            variants += 1;
            let mut sim = TrafficSim::new(&p);
            let everyone: Vec<usize> = (0..p.actors.len()).collect();
            for step in 0..(30.0 / dt) as usize {
                sim.step(&p, dt);
                if let Some((a, b)) = overlapping_pair(&p, sim.agents(), &everyone) {
                    let who = |id: u32| {
                        let i = p.actors.iter().position(|x| x.id == id).expect("actor");
                        (i, p.actors[i].role, format!("{:?}", p.actors[i].class))
                    };
                    let ((ia, ra, ca), (ib, rb, cb)) = (who(a), who(b));
                    let at = sim.agents()[ia].pose.pos();
                    let kind = match (ra, rb) {
                        (Role::Pedestrian, Role::Pedestrian) => "walker-walker",
                        (Role::Pedestrian, _) | (_, Role::Pedestrian) => "walker-vehicle",
                        (Role::Parked, _) | (_, Role::Parked) => "parked-vehicle",
                        _ => "vehicle-vehicle",
                    };
                    *by_kind.entry(kind.into()).or_default() += 1;
                    println!(
                        "seed {seed} variant {variant} at {:.2} s: {a} ({ra:?} {ca}, speed {:.1}) and {b} ({rb:?} {cb}, speed {:.1}) at {} ({:.1}, {:.1})",
                        step as f64 * dt,
                        sim.agents()[ia].speed,
                        sim.agents()[ib].speed,
                        place(&p, at),
                        at.x,
                        at.y
                    );
                    break;
                }
            }
        }
    }
    println!("{variants} variants simulated, {unplannable} unplannable; overlaps: {by_kind:?}");
}
