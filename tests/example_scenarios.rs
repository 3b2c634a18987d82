//! The scripted example scenarios do what their comments promise, in every variant:
//! each event starts inside the captured window, the cut-in ends in the ego's lane, the
//! child steps out in front of the ego, and the ego overtakes the cyclist. Runs the
//! traffic core alone (no Bevy), capture tick by capture tick, as the engine does.

use std::collections::BTreeMap;
use std::path::Path;

use drivegen_plan::ScenePlan;
use drivegen_plan::geom::V2;
use drivegen_world::traffic::{AgentState, TrafficSim};

struct Run {
    plan: ScenePlan,
    /// Per capture tick: the agents' states and the events under way.
    ticks: Vec<(Vec<AgentState>, Vec<String>)>,
}

fn run(file: &str, variant: u32) -> Run {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../scenarios")
        .join(file);
    let scenario = drivegen_scenario::load_file(&path)
        .unwrap_or_else(|e| panic!("{file}: {e}"))
        .scenario;
    let plan = drivegen_plan::plan(&scenario, variant)
        .unwrap_or_else(|e| panic!("{file} v{variant}: {e}"));
    let mut sim = TrafficSim::new(&plan);
    let dt = 1.0 / plan.schedule.sim_rate;
    let mut step = 0u64;
    let mut ticks = Vec::new();
    for tick in &plan.schedule.ticks {
        while step < tick.step {
            sim.step(&plan, dt);
            step += 1;
        }
        let events = sim
            .active_events(&plan)
            .into_iter()
            .map(|e| e.name)
            .collect();
        ticks.push((sim.agents().to_vec(), events));
    }
    Run { plan, ticks }
}

/// The capture tick at which each event was first under way.
fn first_ticks(run: &Run) -> BTreeMap<String, usize> {
    let mut first = BTreeMap::new();
    for (k, (_, events)) in run.ticks.iter().enumerate() {
        for e in events {
            first.entry(e.clone()).or_insert(k);
        }
    }
    first
}

fn agent<'a>(run: &'a Run, tick: usize, name: &str) -> &'a AgentState {
    let id = run
        .plan
        .actors
        .iter()
        .find(|a| a.name.as_deref() == Some(name))
        .unwrap_or_else(|| panic!("no actor named {name}"))
        .id;
    run.ticks[tick]
        .0
        .iter()
        .find(|a| a.id == id)
        .expect("agent")
}

/// `other`'s position in the ego's frame: (ahead, to the left), metres.
fn from_ego(run: &Run, tick: usize, other: &AgentState) -> (f64, f64) {
    let ego = &run.ticks[tick].0[0];
    let d: V2 = other.pose.pos() - ego.pose.pos();
    let fwd = ego.pose.dir();
    (d.x * fwd.x + d.y * fwd.y, -d.x * fwd.y + d.y * fwd.x)
}

fn every_event_fires(run: &Run, file: &str, variant: u32) -> BTreeMap<String, usize> {
    let first = first_ticks(run);
    for e in &run.plan.events {
        assert!(
            first.contains_key(&e.name),
            "{file} v{variant}: event {} never starts in the captured frames",
            e.name
        );
    }
    first
}

#[test]
fn the_child_steps_out_from_behind_the_van_in_front_of_the_ego() {
    let file = "ncap_pedestrian_step_out.ron";
    for variant in 0..4 {
        let run = run(file, variant);
        let first = every_event_fires(&run, file, variant);
        let (ahead0, left0) = from_ego(&run, 0, agent(&run, 0, "child"));
        assert!(
            left0 < -1.5,
            "v{variant}: child starts at the kerb, right of the ego ({left0:.1} m)"
        );
        assert!(
            ahead0 > 10.0,
            "v{variant}: child starts ahead ({ahead0:.1} m)"
        );
        // Within a second of stepping out the child is closer to the ego's path than
        // where it stood, and still ahead of the ego.
        let k = (first["step_out"] + 10).min(run.ticks.len() - 1);
        let (ahead, left) = from_ego(&run, k, agent(&run, k, "child"));
        assert!(
            left > left0 + 1.0 && ahead > 0.0,
            "v{variant}: child at ({ahead:.1}, {left:.1})"
        );
    }
}

#[test]
fn the_cutter_ends_in_the_ego_lane_and_then_brakes() {
    let file = "highway_cut_in.ron";
    for variant in 0..4 {
        let run = run(file, variant);
        let first = every_event_fires(&run, file, variant);
        let before = first["cut_in"];
        let (_, lateral_before) = from_ego(&run, before, agent(&run, before, "cutter"));
        assert!(
            lateral_before.abs() > 3.0,
            "v{variant}: cutter starts a lane away ({lateral_before:.2} m)"
        );
        // The cut-in takes 2 s: 20 capture ticks at 10 Hz, plus one for rounding.
        let after = (before + 21).min(run.ticks.len() - 1);
        let (ahead, lateral) = from_ego(&run, after, agent(&run, after, "cutter"));
        assert!(
            lateral.abs() < 0.6 && ahead > 0.0,
            "v{variant}: cutter at ({ahead:.1}, {lateral:.2}) after its cut-in"
        );
        assert!(
            first["hard_brake"] > before,
            "v{variant}: the brake follows the cut-in"
        );
    }
}

#[test]
fn the_ego_overtakes_the_cyclist_at_the_kerb() {
    let file = "cyclist_overtake_junction.ron";
    for variant in 0..4 {
        let run = run(file, variant);
        let last = run.ticks.len() - 1;
        let (ahead0, left0) = from_ego(&run, 0, agent(&run, 0, "cyclist"));
        let (ahead1, _) = from_ego(&run, last, agent(&run, last, "cyclist"));
        assert!(
            ahead0 > 0.0 && left0 < -1.5,
            "v{variant}: cyclist starts ahead at the kerb ({ahead0:.1}, {left0:.1})"
        );
        assert!(
            ahead1 < 0.0,
            "v{variant}: the ego has passed the cyclist by the last frame ({ahead1:.1} m)"
        );
    }
}
