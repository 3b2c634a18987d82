//! Helpers shared by the traffic-core tests: a straight 1 km road with two lanes each
//! way, ways to put actors exactly where a test needs them, and overlap checks.
#![allow(dead_code)]

use drivegen_plan::events::adjacent_lane;
use drivegen_plan::geom::Pose2;
use drivegen_plan::{Behavior, Role, ScenePlan, plan};
use drivegen_scenario::Scenario;
use drivegen_scenario::events::Side;
use drivegen_world::traffic::{AgentState, TrafficSim};

pub const DT: f64 = 1.0 / 60.0;

/// A straight 1 km road with two lanes each way, two vehicles and one pedestrian.
pub fn scenario_text(events: &str) -> String {
    scenario_text_on("Sequence([Straight(length: 1000)])", false, events)
}

/// The same scene on the map of these `blocks`, with or without crosswalks.
pub fn scenario_text_on(blocks: &str, crosswalks: bool, events: &str) -> String {
    format!(
        r#"Scenario(
    name: "events",
    seed: 7,
    capture: (duration: 2, rate: 10, warmup: 0),
    map: (
        blocks: {blocks},
        lanes_per_direction: 2,
        crosswalks: {crosswalks},
    ),
    traffic: (vehicles: 2, parked: 0),
    pedestrians: (count: 1),
    signals: (enabled: false),
    ego: (lane: 0, start_offset: 20, route: Straight),
    events: [{events}],
)"#
    )
}

pub fn plan_with(events: &str) -> ScenePlan {
    plan_text(&scenario_text(events))
}

/// The first variant of this scenario text, planned.
pub fn plan_text(text: &str) -> ScenePlan {
    let s = drivegen_scenario::load_str("events.ron", text)
        .expect("valid scenario")
        .scenario;
    plan(&s, 0).expect("plannable")
}

/// The ego's lane and the lane to its left.
pub fn lanes(p: &ScenePlan) -> (u32, u32) {
    let ego = p.actors[0].lane.expect("ego on a lane");
    let left = adjacent_lane(&p.network, ego, Side::Left).expect("a second lane");
    (ego, left)
}

/// Puts actor `i` on `lane` at arc length `s`, wanting `speed` m/s.
pub fn put(p: &mut ScenePlan, i: usize, lane: u32, s: f64, speed: f64) {
    let pose = p.lane(lane).expect("lane").center.pose_at(s);
    let a = &mut p.actors[i];
    a.lane = Some(lane);
    a.s = s;
    a.pose = pose;
    a.route.clear();
    if let Behavior::Drive { desired_speed, .. } = &mut a.behavior {
        *desired_speed = speed;
    }
}

/// The index of the named actor `name`.
pub fn named(p: &ScenePlan, name: &str) -> usize {
    p.actors
        .iter()
        .position(|a| a.name.as_deref() == Some(name))
        .unwrap_or_else(|| panic!("no actor named {name}"))
}

pub fn index_of(p: &ScenePlan, role: Role, n: usize) -> usize {
    p.actors
        .iter()
        .enumerate()
        .filter(|(_, a)| a.role == role)
        .nth(n)
        .map(|(i, _)| i)
        .expect("actor")
}

pub fn lateral(p: &ScenePlan, lane: u32, a: &AgentState) -> f64 {
    p.lane(lane)
        .expect("lane")
        .center
        .project(a.pose.pos())
        .lateral
}

/// The indices of the first two moving vehicles besides the ego.
pub fn two_vehicles(p: &ScenePlan) -> (usize, usize) {
    (index_of(p, Role::Traffic, 0), index_of(p, Role::Traffic, 1))
}

/// Stands the first pedestrian 1 m beyond the kerb to the right of `lane`, at arc length
/// `s`, facing along it; returns its index.
pub fn at_kerb(p: &mut ScenePlan, lane: u32, s: f64) -> usize {
    let ped = index_of(p, Role::Pedestrian, 0);
    let l = p.lane(lane).expect("lane");
    let road = &p.network.roads[l.road.expect("road") as usize];
    let (at, tangent) = l.center.sample(s);
    let kerb = l.width / 2.0 + road.shoulder + 1.0;
    p.actors[ped].pose = Pose2::at(at - tangent.perp() * kerb, tangent.angle());
    ped
}

/// The ids of the first two of plan actors `who` whose ground footprints overlap.
pub fn overlapping_pair(p: &ScenePlan, agents: &[AgentState], who: &[usize]) -> Option<(u32, u32)> {
    let footprint = |i: usize| drivegen_plan::geom::Obb {
        center: agents[i].pose.pos(),
        yaw: agents[i].pose.yaw,
        half_length: p.actors[i].size.length / 2.0,
        half_width: p.actors[i].size.width / 2.0,
    };
    who.iter().enumerate().find_map(|(k, &i)| {
        who[k + 1..]
            .iter()
            .find(|&&j| footprint(i).overlaps(&footprint(j)))
            .map(|&j| (p.actors[i].id, p.actors[j].id))
    })
}

/// Simulates `variant` of `s` for `seconds`, failing at the first step where two actors'
/// footprints overlap.
pub fn nobody_overlaps(s: &Scenario, variant: u32, seconds: f64, dt: f64, what: &str) {
    let p = plan(s, variant).expect("plans");
    let mut sim = TrafficSim::new(&p);
    let everyone: Vec<usize> = (0..p.actors.len()).collect();
    for step in 0..(seconds / dt) as usize {
        sim.step(&p, dt);
        if let Some((a, b)) = overlapping_pair(&p, sim.agents(), &everyone) {
            panic!(
                "{what} variant {variant} at {:.2} s: {a} and {b} overlap",
                step as f64 * dt
            );
        }
    }
}

/// The scenario of a test's RON `text` (named `name` in messages), valid or the test fails.
pub fn scenario(name: &str, text: &str) -> Scenario {
    drivegen_scenario::load_str(name, text)
        .expect("valid")
        .scenario
}

/// The plan indices of the pedestrians.
pub fn pedestrians(p: &ScenePlan) -> Vec<usize> {
    (0..p.actors.len())
        .filter(|&i| p.actors[i].role == Role::Pedestrian)
        .collect()
}

/// The embedded default scenario and every example scenario in `scenarios/`, by name, in
/// file-name order.
pub fn example_scenarios() -> Vec<(String, Scenario)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios");
    let mut files: Vec<_> = std::fs::read_dir(&root)
        .expect("scenarios folder")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "ron"))
        .collect();
    files.sort();
    assert!(files.len() >= 12, "example scenarios: {files:?}");
    let mut scenes = vec![(
        "default".to_string(),
        drivegen_scenario::load_default().expect("default").scenario,
    )];
    for f in &files {
        let s = drivegen_scenario::load_file(f).expect("valid").scenario;
        scenes.push((f.display().to_string(), s));
    }
    scenes
}

/// Variant 3 of the cyclist scene, the index of its 12 m bus (which turns left), and the
/// bus's route.
pub fn turning_bus() -> (ScenePlan, usize, Vec<u32>) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../scenarios/cyclist_overtake_junction.ron");
    let s = drivegen_scenario::load_file(&path).expect("valid").scenario;
    let p = plan(&s, 3).expect("plans");
    let bus = p
        .actors
        .iter()
        .position(|a| a.name.as_deref() == Some("bus"))
        .expect("the bus");
    let actor = &p.actors[bus];
    let route = std::iter::once(actor.lane.expect("a lane"))
        .chain(actor.route.iter().copied())
        .collect();
    (p, bus, route)
}

/// How far `q` is from the nearest centre line of `route`.
pub fn off_route(p: &ScenePlan, route: &[u32], q: drivegen_plan::geom::V2) -> f64 {
    route
        .iter()
        .filter_map(|l| p.lane(*l))
        .map(|l| l.center.project(q).point.distance(q))
        .fold(f64::INFINITY, f64::min)
}

/// A random designer-style map (every block kind, one to three lanes, parking, signals,
/// lane changes, crowds), 8 variants of 30 s: what `traffic_soak` simulates by the
/// hundred and the overlap tests replay where one was found.
pub fn designer_map(seed: u32) -> String {
    let lanes = 1 + seed % 3;
    let signals = seed.is_multiple_of(2);
    let lane_changes = !seed.is_multiple_of(3);
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
