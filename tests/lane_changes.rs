//! Lane changes in the traffic core: MOBIL overtakes a slow vehicle only when the plan
//! enables lane changes, keeps vehicles apart on a busy motorway, and a scripted lane
//! change where the road has no lane on that side is a plan error.

mod events_support;

use drivegen_plan::events::EventPlan;
use drivegen_plan::{Behavior, Role, ScenePlan, plan};
use drivegen_scenario::events::{Action, Side, Trigger};
use drivegen_world::traffic::TrafficSim;
use events_support::{DT, lanes, lateral, named, plan_with, put, scenario_text, two_vehicles};

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
    // A vehicle an event acts on (here one that fires after the run) keeps to its script.
    p.events = plan_with(
        r#"(name: "later", actor: "vehicle:1", trigger: Time(60.0), action: Brake(decel: 3.0))"#,
    )
    .events;
    assert_eq!(p.events[0].actor, p.actors[fast].id);
    assert_eq!(
        run(&p).0,
        None,
        "a scripted vehicle changed lanes on its own"
    );
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

const BESIDE: &str = r#"Scenario(
    name: "lane change beside", seed: 707, variants: 1,
    capture: (duration: 8.0, rate: 10.0, warmup: 0.0),
    map: (blocks: Sequence([Straight(length: 400)]), lanes_per_direction: 2, speed_limit: 16.7),
    traffic: (vehicles: 0), pedestrians: (count: 0), signals: (enabled: false),
    ego: (lane: 1, start_offset: 20, route: Straight),
    actors: [(name: "alongside", class: Vehicle(Suv), place: Right(of: Ego, distance: 3.5, along: 0))],
    events: [
        (name: "lc", actor: "ego", trigger: Time(1.0), action: LaneChange(direction: Right, duration: 3.0)),
        (name: "drop_back", actor: "alongside", trigger: Time(2.0), action: Brake(decel: 3.0)),
    ],
)"#;

/// A lane change onto a lane with a car alongside waits until that car has dropped back,
/// then moves over; the changer never stops dead, never drives sideways, never overlaps
/// the other car. (It once jumped from 12.8 m/s to standstill in one frame and turned
/// 70 degrees on the spot.)
#[test]
fn a_lane_change_waits_for_room_beside() {
    let s = drivegen_scenario::load_str("beside.ron", BESIDE)
        .expect("valid")
        .scenario;
    let p = plan(&s, 0).expect("plans");
    let other = named(&p, "alongside");
    let (ego_lane, right) = (
        p.actors[0].lane.expect("lane"),
        p.actors[other].lane.expect("lane"),
    );
    let mut sim = TrafficSim::new(&p);
    let mut began = None;
    while sim.time < 8.0 {
        let before = sim.agents()[0].clone();
        sim.step(&p, DT);
        let (ego, car) = (&sim.agents()[0], &sim.agents()[other]);
        assert!(
            before.speed - ego.speed <= 9.0 * DT,
            "braked from {:.2} to {:.2} m/s in one step at {:.2} s",
            before.speed,
            ego.speed,
            sim.time
        );
        let heading = p.lane(ego_lane).expect("lane").center.sample(0.0).1.angle();
        assert!(
            (ego.pose.yaw - heading).abs() < 0.5_f64.atan() + 1e-6,
            "yawed {:.2} rad off the road at {:.2} s",
            ego.pose.yaw - heading,
            sim.time
        );
        let footprint =
            |a: &drivegen_world::traffic::AgentState, i: usize| drivegen_plan::geom::Obb {
                center: a.pose.pos(),
                yaw: a.pose.yaw,
                half_length: p.actors[i].size.length / 2.0,
                half_width: p.actors[i].size.width / 2.0,
            };
        assert!(
            !footprint(ego, 0).overlaps(&footprint(car, other)),
            "overlap at {:.2} s",
            sim.time
        );
        if began.is_none() && lateral(&p, ego_lane, ego).abs() > 0.05 {
            began = Some(sim.time);
        }
    }
    let began = began.expect("the lane change happened");
    assert!(
        began > 2.0,
        "it began beside the other car, at {began:.2} s"
    );
    assert!(
        lateral(&p, right, &sim.agents()[0]).abs() < 0.05,
        "the ego ends on the right lane"
    );
    eprintln!("lane change began at {began:.2} s");
}

/// Runs `p` for `secs`, failing at the first step where vehicles `a` and `b` overlap or
/// `b` (the follower) brakes harder than the traffic core's 9 m/s²; returns `b`'s
/// lowest speed.
fn follows_without_contact(p: &ScenePlan, a: usize, b: usize, secs: f64, what: &str) -> f64 {
    let footprint = |s: &drivegen_world::traffic::AgentState, i: usize| drivegen_plan::geom::Obb {
        center: s.pose.pos(),
        yaw: s.pose.yaw,
        half_length: p.actors[i].size.length / 2.0,
        half_width: p.actors[i].size.width / 2.0,
    };
    let mut sim = TrafficSim::new(p);
    let mut slowest = f64::INFINITY;
    while sim.time < secs {
        let before = sim.agents()[b].speed;
        sim.step(p, DT);
        let (lead, follower) = (&sim.agents()[a], &sim.agents()[b]);
        assert!(
            !footprint(lead, a).overlaps(&footprint(follower, b)),
            "{what}: the follower drove into the vehicle ahead at {:.2} s",
            sim.time
        );
        assert!(
            before - follower.speed <= 9.0 * DT + 1e-9,
            "{what}: braked from {before:.2} to {:.2} m/s in one step at {:.2} s",
            follower.speed,
            sim.time
        );
        slowest = slowest.min(follower.speed);
    }
    slowest
}

/// Mid lane change a vehicle's route is already the new lane while its body is still
/// half in the old one: the vehicle behind it in the old lane, and the one changing out
/// from behind a slow one, each kept braking for the body in front of them (both drove
/// through it before). A fast car placed close behind a slow one also starts slow
/// enough to fall back without braking harder than the core's limit.
#[test]
fn a_follower_brakes_for_a_body_still_in_its_lane_mid_lane_change() {
    for (who, what) in [
        (0, "the slow car changes out"),
        (1, "the fast car changes out"),
    ] {
        let mut p = plan_with("");
        let (ego_lane, left) = lanes(&p);
        let (slow, fast) = two_vehicles(&p);
        put(&mut p, 0, left, 5.0, 3.0);
        put(&mut p, slow, ego_lane, 100.0, 4.0);
        put(&mut p, fast, ego_lane, 86.0, 30.0);
        // Set after placing: planning checks a lane change against the drawn lane.
        p.events = vec![EventPlan {
            name: "out".into(),
            actor: p.actors[[slow, fast][who]].id,
            trigger: Trigger::Time(0.5),
            action: Action::LaneChange {
                direction: Side::Left,
                duration: 4.0,
            },
        }];
        let slowest = follows_without_contact(&p, slow, fast, 6.0, what);
        assert!(
            slowest < 6.0,
            "{what}: it never slowed behind the slow car ({slowest:.1} m/s)"
        );
    }
}

/// A named vehicle parked without `lane: Kerb` stands in its lane (a breakdown): traffic
/// stops behind it instead of driving through it.
#[test]
fn traffic_stops_behind_a_vehicle_parked_in_its_lane() {
    let text = scenario_text("").replace(
        "    events: [",
        "    actors: [
        (name: \"broken\", class: Vehicle(Suv), parked: true, place: Ahead(of: Ego, distance: 60)),
        (name: \"behind\", class: Vehicle(Car), place: Ahead(of: Ego, distance: 20)),
    ],
    events: [",
    );
    let s = drivegen_scenario::load_str("events.ron", &text)
        .expect("valid")
        .scenario;
    let p = plan(&s, 0).expect("plans");
    let (broken, behind) = (named(&p, "broken"), named(&p, "behind"));
    assert_eq!(p.actors[broken].role, Role::Parked);
    let slowest = follows_without_contact(&p, broken, behind, 20.0, "parked in the lane");
    assert!(slowest < 0.1, "it never stopped: {slowest:.2} m/s");
}

/// Out to overtake and back: the second lane change starts from the lane the first one
/// reached, so it plans although the actor's own lane is the outermost on that side.
#[test]
fn a_lane_change_back_after_one_out_plans() {
    let text = scenario_text(
        r#"(name: "out", actor: "ego", trigger: Time(0.5), action: LaneChange(direction: Left, duration: 2.0)),
        (name: "back", actor: "ego", trigger: After(event: "out", delay: 3.0), action: LaneChange(direction: Right, duration: 2.0)),"#,
    );
    let s = drivegen_scenario::load_str("events.ron", &text)
        .expect("valid")
        .scenario;
    let p = plan(&s, 0).expect("out and back plans");
    let (ego_lane, left) = lanes(&p);
    let mut sim = TrafficSim::new(&p);
    let mut was_left = false;
    while sim.time < 9.0 {
        sim.step(&p, DT);
        was_left |= lateral(&p, left, &sim.agents()[0]).abs() < 0.05;
    }
    assert!(was_left, "never reached the left lane");
    assert!(
        lateral(&p, ego_lane, &sim.agents()[0]).abs() < 0.05,
        "not back in its lane"
    );
    // Right first from the rightmost lane has nowhere to go, whatever follows.
    let text = scenario_text(
        r#"(name: "out", actor: "ego", trigger: Time(0.5), action: LaneChange(direction: Right, duration: 2.0)),
        (name: "back", actor: "ego", trigger: After(event: "out", delay: 3.0), action: LaneChange(direction: Left, duration: 2.0)),"#,
    );
    let s = drivegen_scenario::load_str("events.ron", &text)
        .expect("valid")
        .scenario;
    let e = plan(&s, 0).expect_err("no lane on the right").to_string();
    assert!(e.contains("event `out`"), "{e}");
}

/// A discretionary lane change at town speed turns the vehicle gently: its heading stays
/// within 8.5 degrees (a slope of 0.15) of the lane's, where a bus at 5 m/s turned 27
/// degrees and swung its corners across the centre line.
#[test]
fn a_slow_mobil_lane_change_keeps_a_gentle_heading() {
    let mut p = plan_with("");
    let (ego_lane, left) = lanes(&p);
    let (slow, fast) = two_vehicles(&p);
    put(&mut p, 0, left, 5.0, 2.0);
    put(&mut p, slow, ego_lane, 100.0, 1.5);
    put(&mut p, fast, ego_lane, 80.0, 6.0);
    if let Behavior::Drive {
        lane_change_eagerness,
        ..
    } = &mut p.actors[fast].behavior
    {
        *lane_change_eagerness = 1.0;
    }
    p.lane_changes = true;
    let heading = p.lane(ego_lane).expect("lane").center.sample(0.0).1.angle();
    let mut sim = TrafficSim::new(&p);
    let mut steepest: f64 = 0.0;
    while sim.time < 30.0 {
        sim.step(&p, DT);
        let a = &sim.agents()[fast];
        steepest = steepest.max((a.pose.yaw - heading).sin().abs());
    }
    assert!(
        lateral(&p, left, &sim.agents()[fast]).abs() < 0.05,
        "it never changed lanes"
    );
    assert!(
        steepest <= (0.15_f64.atan()).sin() + 1e-6,
        "turned {:.1} degrees off the lane",
        steepest.asin().to_degrees()
    );
}
