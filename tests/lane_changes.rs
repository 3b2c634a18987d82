//! Lane changes in the traffic core: MOBIL overtakes a slow vehicle only when the plan
//! enables lane changes, keeps vehicles apart on a busy motorway, and a scripted lane
//! change where the road has no lane on that side is a plan error.

mod events_support;

use drivegen_plan::{Behavior, Role, ScenePlan, plan};
use drivegen_world::traffic::TrafficSim;
use events_support::{DT, lanes, lateral, plan_with, put, scenario_text, two_vehicles};

#[test]
fn mobil_overtakes_a_slow_vehicle_only_when_lane_changes_are_on() {
    let mut p = plan_with("");
    let (ego_lane, left) = lanes(&p);
    let (slow, fast) = two_vehicles(&p);
    put(&mut p, 0, left, 5.0, 5.0);
    put(&mut p, slow, ego_lane, 100.0, 5.0);
    put(&mut p, fast, ego_lane, 60.0, 15.0);
    if let Behavior::Drive {
        lane_change_eagerness,
        ..
    } = &mut p.actors[fast].behavior
    {
        *lane_change_eagerness = 0.8;
    }
    let run = |p: &ScenePlan| {
        let mut sim = TrafficSim::new(p);
        let mut changed = None;
        while sim.time < 12.0 {
            sim.step(p, DT);
            if changed.is_none() && lateral(p, left, &sim.agents()[fast]).abs() < 0.05 {
                changed = Some(sim.time);
            }
        }
        (changed, sim.agents().to_vec())
    };
    let (off, _) = run(&p);
    assert_eq!(off, None, "no lane changes unless the plan enables them");
    p.lane_changes = true;
    let (on, end) = run(&p);
    let t = on.expect("overtook the slow vehicle");
    assert!(
        end[fast].speed > 10.0,
        "got past: {:.1} m/s",
        end[fast].speed
    );
    assert_eq!(run(&p), (on, end), "deterministic");
    eprintln!("MOBIL: in the left lane after {t:.2} s");
}

#[test]
fn a_lane_change_where_there_is_no_lane_is_a_plan_error() {
    let text = scenario_text(
        r#"(name: "swerve", actor: "vehicle:0", trigger: Time(1.0), action: LaneChange(direction: Right, duration: 2.0))"#,
    )
    .replace("lanes_per_direction: 2", "lanes_per_direction: 1");
    let s = drivegen_scenario::load_str("events.ron", &text)
        .expect("valid")
        .scenario;
    let e = plan(&s, 0).expect_err("no lane to the right").to_string();
    assert!(
        e.contains("event `swerve`") && e.contains("lanes_per_direction"),
        "{e}"
    );
}

/// Closest approach between two vehicles' centres over `secs` of `p`, and how many lane
/// changes began.
fn closest_and_changes(p: &ScenePlan, secs: f64) -> (f64, usize) {
    let mut sim = TrafficSim::new(p);
    let driving: Vec<usize> = (0..p.actors.len())
        .filter(|i| matches!(p.actors[*i].role, Role::Traffic | Role::Ego))
        .collect();
    let mut closest = f64::INFINITY;
    let mut changes = 0;
    let mut offsets = vec![0.0; p.actors.len()];
    while sim.time < secs {
        sim.step(p, DT);
        let a = sim.agents();
        for (n, &i) in driving.iter().enumerate() {
            let off = a[i].lateral_offset();
            if off.abs() > 1.0 && offsets[i] == 0.0 {
                changes += 1;
            }
            offsets[i] = off;
            for &j in &driving[n + 1..] {
                closest = closest.min(a[i].pose.pos().distance(a[j].pose.pos()));
            }
        }
    }
    (closest, changes)
}

#[test]
fn mobil_on_a_busy_motorway_changes_lanes_without_driving_into_anyone() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../scenarios/highway_merge.ron"
    );
    let s = drivegen_scenario::load_file(std::path::Path::new(path))
        .expect("example")
        .scenario;
    let mut p = plan(&s, 0).expect("plans");
    let (closest_off, none) = closest_and_changes(&p, 20.0);
    assert_eq!(none, 0);
    p.lane_changes = true;
    let (closest_on, changes) = closest_and_changes(&p, 20.0);
    eprintln!(
        "motorway: {changes} MOBIL lane changes in 20 s; closest centres {closest_on:.2} m (without: {closest_off:.2} m)"
    );
    assert!(changes > 0, "someone overtakes in 20 s of motorway traffic");
    assert!(closest_on > 3.0, "vehicles came within {closest_on:.2} m");
}
