//! Scripted events in the traffic core: a cut-in completes within its stated window, a
//! braking lead vehicle brakes at the stated deceleration, a jaywalker steps out at the
//! stated time to collision; triggers are exact and deterministic, and adding an event
//! moves no unrelated actor.

mod events_support;

use drivegen_plan::events::EventPlan;
use drivegen_plan::geom::Pose2;
use drivegen_plan::{Behavior, LampState, Role, ScenePlan, SignalTiming, plan};
use drivegen_scenario::events::{Action, Target, Trigger};
use drivegen_world::traffic::{AgentState, TrafficSim};
use events_support::{
    DT, at_kerb, index_of, lanes, lateral, named, plan_text, plan_with, put, scenario_text,
    scenario_text_on, two_vehicles,
};

#[test]
fn a_cut_in_changes_lanes_within_its_window() {
    let mut p = plan_with(
        r#"(name: "cut_in", actor: "vehicle:0", trigger: EgoDistance(below: 25.0), action: CutIn(duration: 2.0))"#,
    );
    let (ego_lane, left) = lanes(&p);
    let (cutter, other) = two_vehicles(&p);
    put(&mut p, 0, ego_lane, 20.0, 15.0);
    put(&mut p, cutter, left, 60.0, 10.0);
    put(&mut p, other, left, 300.0, 10.0);
    let width = p.lane(ego_lane).expect("lane").width;
    let mut sim = TrafficSim::new(&p);
    let mut start = None;
    let mut done_at = None;
    let mut last_lateral = f64::INFINITY;
    while sim.time < 15.0 {
        let before = sim.agents()[0]
            .pose
            .pos()
            .distance(sim.agents()[cutter].pose.pos());
        let before_lateral = lateral(&p, left, &sim.agents()[cutter]);
        sim.step(&p, DT);
        let lat = lateral(&p, ego_lane, &sim.agents()[cutter]);
        match (start, sim.event_started(&p, "cut_in")) {
            (None, Some(t)) => {
                // Fired on the first step the ego came within 25 m, from its own lane.
                assert!(before < 25.0, "fired at {before:.3} m");
                assert!(before_lateral.abs() < 1e-9, "left its lane early");
                start = Some((t, before));
            }
            (None, None) => {
                assert!(before >= 25.0);
                assert!(lateral(&p, left, &sim.agents()[cutter]).abs() < 1e-9);
            }
            _ => {}
        }
        if let Some((t0, _)) = start {
            let active = sim.active_events(&p).iter().any(|e| e.name == "cut_in");
            assert!(lat <= last_lateral + 1e-9, "the cut-in turned back");
            last_lateral = lat;
            if sim.time <= t0 + 2.0 - 1e-6 {
                assert!(active, "active during its window at {:.3} s", sim.time);
            } else {
                assert!(!active, "still active at {:.3} s", sim.time);
                assert!(lat.abs() < 1e-6, "not in the ego lane: {lat:.3} m");
                done_at.get_or_insert(sim.time - t0);
            }
            if (sim.time - (t0 + 1.0)).abs() < DT / 2.0 {
                assert!(
                    (lat - width / 2.0).abs() < 0.1,
                    "halfway after half the time, at {lat:.3} m"
                );
            }
        }
    }
    let (t0, at) = start.expect("the cut-in happened");
    let took = done_at.expect("completed");
    assert!(took <= 2.0 + DT + 1e-9, "took {took:.3} s");
    eprintln!(
        "cut-in fired at t = {t0:.3} s, {at:.2} m from the ego; in the ego lane after {took:.3} s"
    );
}

/// Lead vehicle ahead of the ego on its lane; braking at `Time(3.0)` then `then`.
fn braking_plan(then: &str) -> (ScenePlan, usize) {
    let mut p = plan_with(&format!(
        r#"(name: "brake", actor: "vehicle:0", trigger: Time(3.0), action: Brake(decel: 6.0)), {then}"#
    ));
    let (ego_lane, left) = lanes(&p);
    let (lead, other) = two_vehicles(&p);
    put(&mut p, 0, ego_lane, 20.0, 12.0);
    put(&mut p, lead, ego_lane, 80.0, 12.0);
    put(&mut p, other, left, 300.0, 10.0);
    (p, lead)
}

#[test]
fn a_braking_lead_vehicle_reaches_the_stated_deceleration_and_stops() {
    let (p, lead) = braking_plan("");
    let mut sim = TrafficSim::new(&p);
    let mut decels = Vec::new();
    let mut stopped_at = None;
    let mut listed_early = 0;
    while sim.time < 12.0 {
        let v0 = sim.agents()[lead].speed;
        sim.step(&p, DT);
        let v1 = sim.agents()[lead].speed;
        let braking = sim.event_started(&p, "brake").is_some();
        if braking && v1 > 0.0 {
            decels.push((v0 - v1) / DT);
        }
        if braking && v1 == 0.0 {
            stopped_at.get_or_insert(sim.time);
        }
        let active = sim.active_events(&p).iter().any(|e| e.name == "brake");
        if braking {
            assert_eq!(active, v1 > 0.0, "active while braking at {:.3}", sim.time);
        } else if active {
            // The instant its trigger is met, the step before it starts.
            listed_early += 1;
        }
        // The ego follows without touching it.
        let gap = sim.agents()[0]
            .pose
            .pos()
            .distance(sim.agents()[lead].pose.pos());
        assert!(gap > 5.0, "ego ran into the braking lead ({gap:.2} m)");
    }
    let t = sim.event_started(&p, "brake").expect("braked");
    assert!((3.0 - 1e-9..3.0 + DT).contains(&t), "started at {t}");
    assert_eq!(
        listed_early, 1,
        "listed once before it started, at its trigger"
    );
    assert!(decels.len() > 30, "braked for {} steps", decels.len());
    for d in &decels {
        assert!((d - 6.0).abs() < 1e-6, "deceleration {d} m/s²");
    }
    let stopped = stopped_at.expect("came to a stop");
    assert_eq!(sim.agents()[lead].speed, 0.0, "stays stopped");
    eprintln!(
        "brake: {} steps at {:.6} m/s², standing after {:.3} s",
        decels.len(),
        decels[0],
        stopped - t
    );
}

#[test]
fn an_after_trigger_starts_its_delay_after_the_other_event() {
    let (p, lead) = braking_plan(
        r#"(name: "go", actor: "vehicle:0", trigger: After(event: "brake", delay: 1.0), action: Accelerate(accel: 2.0, speed: 14.0))"#,
    );
    let mut sim = TrafficSim::new(&p);
    let mut accels = Vec::new();
    let mut reached = false;
    while sim.time < 12.0 {
        let v0 = sim.agents()[lead].speed;
        sim.step(&p, DT);
        let v1 = sim.agents()[lead].speed;
        reached |= v1 >= 14.0;
        if sim.event_started(&p, "go").is_some() && !reached {
            accels.push((v1 - v0) / DT);
        }
    }
    let brake = sim.event_started(&p, "brake").expect("braked");
    let go = sim.event_started(&p, "go").expect("went");
    assert!(
        (go - brake - 1.0).abs() < DT / 2.0,
        "go {go}, brake {brake}"
    );
    assert!(accels.len() > 30);
    // The stated acceleration, less the little that the end of the road ~800 m ahead
    // already asks for (IDM's interaction term): within 1 %.
    for a in &accels {
        assert!(*a <= 2.0 && *a > 1.98, "acceleration {a} m/s²");
    }
    let v = sim.agents()[lead].speed;
    assert!(
        reached && (v - 14.0).abs() < 0.2,
        "reached and keeps 14 m/s: {v}"
    );
    assert!(sim.active_events(&p).is_empty(), "both over");
}

/// The ego's time to reach the pedestrian along its heading, as NCAP counts it.
fn ttc(p: &ScenePlan, ego: &AgentState, ped: &AgentState, i: usize) -> f64 {
    let dir = ego.pose.dir();
    let ahead = (ped.pose.pos() - ego.pose.pos()).dot(dir);
    let gap = ahead - (p.actors[0].size.length + p.actors[i].size.length) / 2.0;
    gap / (ego.speed - ped.speed * ped.pose.dir().dot(dir))
}

#[test]
fn a_jaywalker_steps_out_at_the_stated_time_to_collision() {
    let mut p = plan_with(
        r#"(name: "jaywalk", actor: "pedestrian:0", trigger: EgoTtc(below: 3.0), action: StartCrossing(speed: 1.5))"#,
    );
    let (ego_lane, left) = lanes(&p);
    put(&mut p, 0, ego_lane, 20.0, 12.0);
    for n in 0..2 {
        let i = index_of(&p, Role::Traffic, n);
        put(&mut p, i, left, 250.0 + 20.0 * f64::from(n as u32), 10.0);
    }
    let ped = at_kerb(&mut p, ego_lane, 110.0);
    let lane = p.lane(ego_lane).expect("lane").clone();
    let road = &p.network.roads[lane.road.expect("road") as usize];
    let standing = p.actors[ped].pose;
    let mut sim = TrafficSim::new(&p);
    let mut last_ttc = f64::INFINITY;
    let mut stepped_out = None;
    let mut entered = None;
    while sim.time < 14.0 {
        let now = ttc(&p, &sim.agents()[0], &sim.agents()[ped], ped);
        sim.step(&p, DT);
        if stepped_out.is_none() {
            if sim.event_started(&p, "jaywalk").is_some() {
                assert!(now < 3.0 && last_ttc >= 3.0, "fired at TTC {now:.3} s");
                stepped_out = Some(now);
            } else {
                assert_eq!(sim.agents()[ped].pose, standing, "waits at the kerb");
            }
        }
        last_ttc = now;
        let lat = lateral(&p, ego_lane, &sim.agents()[ped]);
        if entered.is_none() && lat.abs() < lane.width / 2.0 {
            entered = Some(ttc(&p, &sim.agents()[0], &sim.agents()[ped], ped));
        }
    }
    let fired = stepped_out.expect("stepped out");
    let entered = entered.expect("entered the ego lane");
    assert!(fired > 3.0 - 12.0 * DT, "fired late, at TTC {fired:.3}");
    assert!(entered > 0.0, "entered the lane before the ego got there");
    // It crossed the whole carriageway.
    let end = lateral(&p, ego_lane, &sim.agents()[ped]);
    assert!(
        end > road.left_width(),
        "stopped {end:.2} m left of the ego lane"
    );
    eprintln!("jaywalker: stepped out at TTC {fired:.3} s, in the ego lane at TTC {entered:.3} s");
}

#[test]
fn adding_an_event_moves_no_unrelated_actor() {
    let plain = plan_with("");
    let scripted = plan_with(
        r#"(name: "brake", actor: "vehicle:1", trigger: Time(1.0), action: Brake(decel: 4.0))"#,
    );
    assert_eq!(plain.actors, scripted.actors, "the plan's actors");
    assert_eq!(plain.network, scripted.network);
    assert_eq!(plain.props, scripted.props);
    assert!(plain.events.is_empty() && scripted.events.len() == 1);
    let (ego_lane, left) = lanes(&plain);
    let setup = |mut p: ScenePlan| {
        put(&mut p, 0, ego_lane, 20.0, 12.0);
        let (a, b) = two_vehicles(&p);
        put(&mut p, a, ego_lane, 80.0, 12.0);
        put(&mut p, b, left, 150.0, 12.0);
        (p, b)
    };
    let (plain, braker) = setup(plain);
    let (scripted, _) = setup(scripted);
    let (mut a, mut b) = (TrafficSim::new(&plain), TrafficSim::new(&scripted));
    let mut replay = None;
    for step in 0..600 {
        a.step(&plain, DT);
        b.step(&scripted, DT);
        if step == 200 {
            replay = Some(b.clone());
        }
    }
    for (i, (x, y)) in a.agents().iter().zip(b.agents()).enumerate() {
        if i == braker {
            assert!(y.speed < x.speed, "the braking vehicle braked");
        } else {
            assert_eq!(x, y, "actor {i} moved");
        }
    }
    // Resuming from a copy replays exactly.
    let mut c = replay.expect("copied");
    while c.time < b.time - DT / 2.0 {
        c.step(&scripted, DT);
    }
    assert_eq!(c.agents(), b.agents());
    assert_eq!(c.active_events(&scripted), b.active_events(&scripted));
}

#[test]
fn a_red_light_runner_goes_through_and_the_others_wait() {
    let s = drivegen_scenario::load_default().expect("default").scenario;
    let mut p = plan(&s, 0).expect("plans");
    for j in &mut p.network.junctions {
        if j.signal.is_some() {
            j.signal = Some(SignalTiming {
                green: [1.0, 1000.0],
                amber: 0.0,
                all_red: 0.0,
                offset: 2.0,
            });
        }
    }
    // The vehicle nearest a red stop line it approaches.
    let (runner, to_line) = p
        .actors
        .iter()
        .enumerate()
        .filter(|(_, a)| a.role == Role::Traffic)
        .filter_map(|(i, a)| {
            let stop = p.lane(a.lane?)?.stop?;
            let red = p.network.junctions[stop.junction as usize]
                .signal
                .is_some_and(|s| s.state(stop.group, 0.0) == LampState::Red);
            let d = stop.s - a.s - a.size.length / 2.0;
            (red && d > 0.0).then_some((i, d))
        })
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .expect("a vehicle approaching a red light");
    p.events.push(EventPlan {
        name: "run".into(),
        actor: p.actors[runner].id,
        trigger: Trigger::Time(0.0),
        action: Action::RunRedLight,
    });
    let start = p.actors[runner].pose.pos();
    let mut sim = TrafficSim::new(&p);
    for _ in 0..(20 * 60) {
        sim.step(&p, DT);
    }
    let moved = sim.agents()[runner].pose.pos().distance(start);
    assert!(
        moved > to_line + 10.0,
        "moved {moved:.1} m, the line was {to_line:.1} m away"
    );
    assert_eq!(sim.active_events(&p).len(), 1, "running a red light lasts");
}

#[test]
fn stop_at_kerb_pulls_over_and_stands() {
    let mut p = plan_with(
        r#"(name: "pull_over", actor: "vehicle:0", trigger: Time(1.0), action: StopAtKerb(decel: 3.0))"#,
    );
    let (ego_lane, left) = lanes(&p);
    let (v, other) = two_vehicles(&p);
    put(&mut p, 0, left, 20.0, 12.0);
    put(&mut p, v, ego_lane, 60.0, 12.0);
    put(&mut p, other, left, 300.0, 10.0);
    let mut sim = TrafficSim::new(&p);
    while sim.time < 12.0 {
        sim.step(&p, DT);
    }
    let lat = lateral(&p, ego_lane, &sim.agents()[v]);
    assert_eq!(sim.agents()[v].speed, 0.0);
    assert!(lat < -0.3, "pulled over by {lat:.2} m");
    assert!(sim.active_events(&p).is_empty());
}

/// With a car parked by the kerb where it would pull over, a vehicle told to stop at the
/// kerb stops in its lane: it pulled over into the parked cars.
#[test]
fn stop_at_kerb_stops_in_lane_beside_a_parked_car() {
    let mut p = plan_with(
        r#"(name: "pull_over", actor: "vehicle:0", trigger: Time(1.0), action: StopAtKerb(decel: 3.0))"#,
    );
    let (ego_lane, left) = lanes(&p);
    let (v, parked) = two_vehicles(&p);
    put(&mut p, 0, left, 20.0, 12.0);
    put(&mut p, v, ego_lane, 60.0, 12.0);
    // Beside where it would stop, by the lane's edge: clear of the lane, not of a car
    // pulled over to the kerb.
    let l = p.lane(ego_lane).expect("lane").clone();
    let (at, tangent) = l.center.sample(87.0);
    let a = &mut p.actors[parked];
    a.pose = Pose2::at(at - tangent.perp() * (l.width / 2.0 + 0.5), tangent.angle());
    a.lane = None;
    a.route.clear();
    a.behavior = Behavior::Parked;
    let mut sim = TrafficSim::new(&p);
    let mut closest = f64::INFINITY;
    while sim.time < 12.0 {
        sim.step(&p, DT);
        let (me, there) = (&sim.agents()[v], &sim.agents()[parked]);
        closest = closest.min(me.pose.pos().distance(there.pose.pos()));
    }
    let lat = lateral(&p, ego_lane, &sim.agents()[v]);
    assert_eq!(sim.agents()[v].speed, 0.0);
    assert!(lat.abs() < 0.05, "stopped in its lane, not {lat:.2} m over");
    assert!(
        closest > 2.0,
        "kept clear of the parked car: {closest:.2} m"
    );
    assert!(sim.active_events(&p).is_empty());
}

/// `to: Crosswalk` measures to the crosswalk's line across the road: to its centre (the
/// road's middle), an ego a lane to the side never came within 5 m and the event never
/// fired (a designer's scene).
#[test]
fn a_crosswalk_trigger_fires_before_the_stripes_in_the_ego_lane() {
    let s = drivegen_scenario::load_default().expect("default").scenario;
    let mut p = plan(&s, 0).expect("plans");
    assert!(
        !p.network.crosswalks.is_empty(),
        "the default map has crosswalks"
    );
    p.events.push(EventPlan {
        name: "near_crossing".into(),
        actor: p.actors[0].id,
        // Less than the ego lane's offset from the road's middle (1.75 m).
        trigger: Trigger::EgoDistance {
            below: 1.5,
            to: Target::Crosswalk,
        },
        action: Action::Brake { decel: 3.0 },
    });
    // Distance from a point to the nearest crosswalk's centre line across the road.
    let to_stripes = |at: drivegen_plan::geom::V2| {
        p.network
            .crosswalks
            .iter()
            .map(|c| {
                let centre = c.centre();
                let reach = c.reach(c.across).max(c.reach(-c.across));
                let along = (at - centre).dot(c.across).clamp(-reach, reach);
                at.distance(centre + c.across * along)
            })
            .fold(f64::INFINITY, f64::min)
    };
    let mut sim = TrafficSim::new(&p);
    let mut fired_at = None;
    while sim.time < 60.0 && fired_at.is_none() {
        let d = to_stripes(sim.agents()[0].pose.pos());
        sim.step(&p, DT);
        if sim.event_started(&p, "near_crossing").is_some() {
            fired_at = Some(d);
        }
    }
    let d = fired_at.expect("the ego reached a crosswalk");
    // Measured the step before the trigger is seen: up to one step (0.2 m) further out.
    assert!(
        d < 1.7 && d > 1.0,
        "fired {d:.2} m from the stripes' centre line"
    );
}

#[test]
fn a_place_trigger_fires_at_the_stated_distance_from_the_junction() {
    let s = drivegen_scenario::load_default().expect("default").scenario;
    let mut p = plan(&s, 0).expect("plans");
    p.events.push(EventPlan {
        name: "slow_down".into(),
        actor: p.actors[0].id,
        trigger: Trigger::EgoDistance {
            below: 30.0,
            to: Target::Junction,
        },
        action: Action::Brake { decel: 3.0 },
    });
    let junction = p.network.junctions[0].center;
    let mut sim = TrafficSim::new(&p);
    let mut fired_at = None;
    while sim.time < 20.0 && fired_at.is_none() {
        let d = sim.agents()[0].pose.pos().distance(junction);
        sim.step(&p, DT);
        if sim.event_started(&p, "slow_down").is_some() {
            fired_at = Some(d);
        } else {
            assert!(d >= 30.0, "not fired at {d:.2} m");
        }
    }
    let d = fired_at.expect("the ego reached the junction");
    assert!(d < 30.0 && d > 29.0, "fired at {d:.2} m");
}

#[test]
fn every_documented_trigger_and_action_plans_and_round_trips() {
    // A junction with crosswalks: triggers measured to them never fire on a map without.
    let text = scenario_text_on(
        "Sequence([Straight(length: 400), Intersection(ways: 4), Straight(length: 400)])",
        true,
        r#"
        (name: "cut_in", actor: "cutter", trigger: EgoDistance(below: 25.0), action: CutIn(duration: 1.5)),
        (name: "brake", actor: "vehicle:1", trigger: Time(3.0), action: Brake(decel: 6.0)),
        (name: "go", actor: "vehicle:1", trigger: After(event: "brake", delay: 1.0), action: Accelerate(accel: 2.0, speed: 14.0)),
        (name: "jaywalk", actor: "pedestrian:0", trigger: EgoTtc(below: 3.0), action: StartCrossing(speed: 1.5)),
        (name: "left", actor: "ego", trigger: EgoDistance(below: 40.0, to: Junction), action: LaneChange(direction: Left, duration: 4.0)),
        (name: "red", actor: "ego", trigger: EgoTtc(below: 2.0, to: Crosswalk), action: RunRedLight),
        (name: "kerb", actor: "vehicle:1", trigger: After(event: "go", delay: 3.0), action: StopAtKerb(decel: 3.0)),
    "#,
    )
    .replace(
        "    events: [",
        "    actors: [(name: \"cutter\", class: Vehicle(Car), place: Ahead(of: Ego, distance: 30, lane: Adjacent))],\n    events: [",
    );
    let p = plan_text(&text);
    assert_eq!(p.events.len(), 7);
    let cutter = p
        .actors
        .iter()
        .find(|a| a.name.as_deref() == Some("cutter"));
    assert_eq!(Some(p.events[0].actor), cutter.map(|a| a.id));
    assert_eq!(
        p.events[3].actor,
        p.actors[index_of(&p, Role::Pedestrian, 0)].id
    );
    assert_eq!(p.events[5].actor, drivegen_plan::ids::EGO);
    let text = drivegen_plan::to_ron(&p);
    let back: ScenePlan = drivegen_scenario::load::parse_options()
        .from_str(&text)
        .expect("the plan reads back");
    assert_eq!(back, p);
    // Without events the plan's text has no `events` key at all (golden hashes hold).
    assert!(!drivegen_plan::to_ron(&plan_with("")).contains("events:"));
    assert!(text.contains("events:"));
    let mut sim = TrafficSim::new(&p);
    while sim.time < 10.0 {
        sim.step(&p, DT);
    }
    assert!(sim.event_started(&p, "go").is_some());
}

#[test]
fn a_named_actor_of_the_wrong_kind_is_a_validation_error() {
    let text = scenario_text(
        r#"(name: "walk", actor: "car", trigger: Time(1.0), action: StartCrossing(speed: 1.5))"#,
    )
    .replace(
        "    events: [",
        "    actors: [(name: \"car\", class: Vehicle(Car), place: Ahead(of: Ego, distance: 30))],\n    events: [",
    );
    let e = match drivegen_scenario::load_str("events.ron", &text) {
        Err(e) => e.to_string(),
        Ok(_) => panic!("validated: a car cannot cross"),
    };
    assert!(
        e.contains("StartCrossing is for pedestrians, and `car` is a moving vehicle"),
        "{e}"
    );
}

/// A cut-in steers towards the ego's lane: given to the ego it would do nothing while
/// the labels list it as under way, so planning refuses it.
#[test]
fn a_cut_in_by_the_ego_is_a_plan_error() {
    let text = scenario_text(
        r#"(name: "x", actor: "ego", trigger: Time(1.0), action: CutIn(duration: 2.0))"#,
    );
    let s = drivegen_scenario::load_str("events.ron", &text)
        .expect("valid")
        .scenario;
    let e = plan(&s, 0).expect_err("the ego cannot cut in").to_string();
    assert!(
        e.contains("the ego cannot cut in") && e.contains("LaneChange"),
        "{e}"
    );
}

/// An oncoming car has no lane beside the ego's to cut in from: a plan error naming it,
/// in every variant (its event was listed as under way while it drove on).
#[test]
fn a_cut_in_by_an_oncoming_car_is_a_plan_error() {
    let text = r#"Scenario(
    name: "oncoming cut-in", seed: 909, variants: 2,
    capture: (duration: 5.0, rate: 10.0, warmup: 0.0),
    map: (blocks: Sequence([Straight(length: 200)]), lanes_per_direction: 2),
    traffic: (vehicles: 2, parked: 0), pedestrians: (count: 0),
    ego: (route: Straight, start_offset: 10),
    actors: [(name: "onc", class: Vehicle(Car), place: Ahead(of: Ego, distance: 60, lane: Opposite))],
    events: [(name: "swerve", actor: "onc", trigger: EgoDistance(below: 40.0), action: CutIn(duration: 1.5))],
)"#;
    let s = drivegen_scenario::load_str("events.ron", text)
        .expect("valid")
        .scenario;
    for variant in 0..s.variants {
        let e = plan(&s, variant)
            .expect_err("an oncoming car cannot cut in")
            .to_string();
        assert!(
            e.contains("`onc` drives the other way") && e.contains("lane: Adjacent"),
            "variant {variant}: {e}"
        );
    }
}

#[test]
fn traffic_yields_to_a_jaywalker_and_then_drives_on() {
    let mut p = plan_with(
        r#"(name: "jaywalk", actor: "pedestrian:0", trigger: EgoTtc(below: 3.0), action: StartCrossing(speed: 1.5))"#,
    );
    let (ego_lane, left) = lanes(&p);
    let (car, other) = two_vehicles(&p);
    put(&mut p, 0, ego_lane, 20.0, 12.0);
    put(&mut p, car, left, 5.0, 12.0);
    put(&mut p, other, left, 400.0, 12.0);
    let ped = at_kerb(&mut p, ego_lane, 110.0);
    let mut sim = TrafficSim::new(&p);
    let mut slowest = f64::INFINITY;
    while sim.time < 25.0 {
        sim.step(&p, DT);
        let (c, w) = (&sim.agents()[car], &sim.agents()[ped]);
        if sim.event_started(&p, "jaywalk").is_some() {
            slowest = slowest.min(c.speed);
        }
        let footprint = drivegen_plan::geom::Obb {
            center: c.pose.pos(),
            yaw: c.pose.yaw,
            half_length: p.actors[car].size.length / 2.0,
            half_width: p.actors[car].size.width / 2.0,
        };
        assert!(
            !footprint.inflated(0.3).contains(w.pose.pos()),
            "the car hit the pedestrian at {:.2} s",
            sim.time
        );
    }
    assert!(
        slowest < 1.0,
        "the car stopped for the pedestrian ({slowest:.2} m/s)"
    );
    let s_end = p
        .lane(left)
        .expect("lane")
        .center
        .project(sim.agents()[car].pose.pos())
        .s;
    assert!(
        s_end > 130.0,
        "and drove on past the crossing point: at {s_end:.1} m"
    );
}

/// A trigger met exactly at a capture is listed in that capture's labels: the event is
/// under way from that instant, though its motion changes from the next step.
#[test]
fn an_event_triggered_at_a_capture_is_listed_at_it() {
    let p = plan_with(
        r#"(name: "b", actor: "vehicle:0", trigger: Time(1.0), action: Brake(decel: 6.0))"#,
    );
    let mut sim = TrafficSim::new(&p);
    let dt = 1.0 / p.schedule.sim_rate;
    let listed = |sim: &TrafficSim| sim.active_events(&p).iter().any(|e| e.name == "b");
    for _ in 0..(p.schedule.sim_rate as usize - 1) {
        sim.step(&p, dt);
        assert!(!listed(&sim), "listed before 1 s, at {:.3} s", sim.time);
    }
    sim.step(&p, dt);
    assert!(listed(&sim), "not listed at {:.3} s", sim.time);
    assert_eq!(
        sim.event_started(&p, "b"),
        None,
        "it starts at the next step"
    );
    sim.step(&p, dt);
    assert!(listed(&sim) && sim.event_started(&p, "b").is_some());
}

/// A pedestrian waiting at a crosswalk's end walks its stripes to the other end. At a
/// roundabout the nearest road was measured past road ends, and pedestrians placed
/// `Near(of: Crosswalk(0))` walked off the kerb onto the verge, or into the lane and
/// stood there.
#[test]
fn start_crossing_at_a_crosswalk_walks_its_stripes() {
    for seed in 1..=6 {
        let text = scenario_text_on(
            "Sequence([Straight(length: 60), Roundabout(radius: 25, exits: 4), Straight(length: 60)])",
            true,
            r#"(name: "go", actor: "walker", trigger: Time(0.5), action: StartCrossing(speed: 1.5)),"#,
        )
        .replace("seed: 7", &format!("seed: {seed}"))
        .replace(
            "    events: [",
            "    actors: [(name: \"walker\", class: Pedestrian(Adult), place: Near(of: Crosswalk(0), within: 4))],\n    events: [",
        );
        let p = plan_text(&text);
        let walker = named(&p, "walker");
        let c = &p.network.crosswalks[0];
        let centre = c.centre();
        let reach = c.reach(c.across).max(c.reach(-c.across));
        let along = |a: &AgentState| (a.pose.pos() - centre).dot(c.across);
        let beside = |a: &AgentState| (a.pose.pos() - centre).dot(c.across.perp()).abs();
        let mut sim = TrafficSim::new(&p);
        let start = along(&sim.agents()[walker]);
        let start_beside = beside(&sim.agents()[walker]);
        while sim.time < 2.0 * reach / 1.5 + 4.0 {
            sim.step(&p, DT);
        }
        let end = &sim.agents()[walker];
        assert!(
            along(end) * start < 0.0 && along(end).abs() > reach,
            "seed {seed}: from {start:.1} to {:.1} m along a crosswalk reaching {reach:.1} m",
            along(end)
        );
        // On the stripes, however far beside them it waited.
        let half_width = c.reach(c.across.perp());
        assert!(
            beside(end) <= half_width - 0.3,
            "seed {seed}: crossed {:.1} m from the stripes' middle (waited {start_beside:.1} \
             m from it; they are {half_width:.1} m to a side)",
            beside(end)
        );
    }
}
