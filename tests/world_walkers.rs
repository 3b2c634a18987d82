//! Pedestrians among pedestrians: walkers who meet on a crosswalk or a sidewalk get past
//! each other instead of standing nose to nose for good.

use drivegen_plan::geom::V2;
use drivegen_plan::{Behavior, Role, plan};
use drivegen_world::traffic::TrafficSim;

mod events_support;
use events_support::{example_scenarios, nobody_overlaps, overlapping_pair, pedestrians, scenario};

const BUSY_CROSSWALKS: &str = r#"Scenario(
    name: "busy crosswalks", seed: 9, variants: 6,
    capture: (duration: 30.0, rate: 10.0, warmup: 0.0),
    map: (blocks: Sequence([Straight(length: 30), Intersection(ways: 4), Straight(length: 30)]),
          crosswalks: true, sidewalk_width: 3.0),
    traffic: (vehicles: 4, parked: 0),
    pedestrians: (count: 60, crossing_probability: 0.9),
    signals: (enabled: false),
)"#;

/// How long two walkers may stand facing each other within arm's reach before the test
/// calls it a deadlock (s): a walker waits for someone to step aside, not for ever.
const STAND_OFF: f64 = 5.0;

/// Dense unsignalised crosswalks, groups crossing from both kerbs: no two walkers stand
/// facing each other, close, for longer than `STAND_OFF` (a designer's dense junction
/// had two stand on one line for the rest of the scene after both side-stepped).
#[test]
fn walkers_meeting_head_on_get_past_each_other() {
    let s = scenario("crosswalks.ron", BUSY_CROSSWALKS);
    let dt = 1.0 / 30.0;
    let mut meetings = 0;
    for variant in 0..s.variants {
        let p = plan(&s, variant).expect("plans");
        let mut sim = TrafficSim::new(&p);
        let walkers = pedestrians(&p);
        let path_end = |i: usize| match &p.actors[i].behavior {
            Behavior::Walk { path, .. } => path.points.last().copied(),
            _ => None,
        };
        let mut standing_off = vec![0.0_f64; walkers.len() * walkers.len()];
        for step in 0..(30.0 / dt) as usize {
            let before = sim.agents().to_vec();
            sim.step(&p, dt);
            let agents = sim.agents();
            // Nobody jumps: a walker moves at most about its walking speed plus its
            // speed stepping aside (0.6 m/s), and a little more while turning a corner
            // of its path with a step aside (one standing aside jumped 0.9 m in a frame
            // at such a corner).
            for &i in &walkers {
                let Behavior::Walk { speed, .. } = &p.actors[i].behavior else {
                    continue;
                };
                let moved = agents[i].pose.pos().distance(before[i].pose.pos());
                assert!(
                    moved <= 2.0 * (speed + 0.6) * dt,
                    "variant {variant} at {:.2} s: pedestrian {} moved {moved:.2} m in one step",
                    step as f64 * dt,
                    p.actors[i].id
                );
            }
            for (a, &i) in walkers.iter().enumerate() {
                for (b, &j) in walkers.iter().enumerate().skip(a + 1) {
                    let (me, other) = (&agents[i], &agents[j]);
                    let d = other.pose.pos() - me.pose.pos();
                    let (hi, hj) = (V2::from_angle(me.pose.yaw), V2::from_angle(other.pose.yaw));
                    // Arrived walkers stand where their path ends, whoever is near.
                    let arrived = |k: usize| {
                        path_end(k).is_some_and(|e| e.distance(agents[k].pose.pos()) < 0.3)
                    };
                    let facing = d.length() < 1.2
                        && hi.dot(hj) < 0.0
                        && d.dot(hi) > 0.0
                        && d.dot(hj) < 0.0
                        && me.speed < 0.05
                        && other.speed < 0.05
                        && !arrived(i)
                        && !arrived(j);
                    let t = &mut standing_off[a * walkers.len() + b];
                    if facing {
                        if *t == 0.0 {
                            meetings += 1;
                        }
                        *t += dt;
                        assert!(
                            *t <= STAND_OFF,
                            "variant {variant} at {:.1} s: pedestrians {} and {} have stood \
                             facing each other {:.2} m apart for {STAND_OFF} s",
                            step as f64 * dt,
                            p.actors[i].id,
                            p.actors[j].id,
                            d.length()
                        );
                    } else {
                        *t = 0.0;
                    }
                }
            }
        }
    }
    eprintln!("{meetings} stand-offs, all resolved");
}

const CROWDED_SIDEWALK: &str = r#"Scenario(
    name: "crowded sidewalk",
    seed: 11,
    variants: 12,
    map: (blocks: Sequence([Straight(length: 60)]), sidewalk_width: 2.5),
    traffic: (vehicles: 0, parked: 0),
    pedestrians: (count: 24, crossing_probability: 0, walking_speed: Uniform(0.6, 2.0)),
)"#;

/// Pedestrians on one sidewalk, at different speeds both ways: nobody walks through
/// anybody (they wait behind, or step aside and pass), nobody steps aside off the
/// sidewalk, and a label's speed is the speed the walker moves at.
#[test]
fn pedestrians_keep_out_of_each_others_way() {
    let s = scenario("crowd.ron", CROWDED_SIDEWALK);
    let dt = 1.0 / 30.0;
    let mut walked = 0.0;
    for variant in 0..s.variants {
        let p = plan(&s, variant).expect("plans");
        let surfaces = drivegen_plan::surface::Surfaces::new(&p.network);
        let mut sim = TrafficSim::new(&p);
        let walkers = pedestrians(&p);
        assert!(walkers.len() >= 20, "{} walkers", walkers.len());
        for step in 0..(15.0 / dt) as usize {
            let before = sim.agents().to_vec();
            sim.step(&p, dt);
            let after = sim.agents();
            for &i in &walkers {
                let moved = after[i].pose.pos().distance(before[i].pose.pos());
                walked += moved;
                // On the sidewalk, or on its very edge (a walk ends on the map's edge).
                let q = after[i].pose.pos();
                let on = [
                    (0.0, 0.0),
                    (0.05, 0.0),
                    (-0.05, 0.0),
                    (0.0, 0.05),
                    (0.0, -0.05),
                ]
                .iter()
                .any(|(dx, dy)| surfaces.on_walkway(q + V2 { x: *dx, y: *dy }));
                assert!(
                    on,
                    "variant {variant} step {step}: pedestrian {} stepped off the sidewalk",
                    p.actors[i].id
                );
                assert!(
                    (moved - after[i].speed * dt).abs() < 1e-6,
                    "variant {variant} step {step}: pedestrian {} reports {:.3} m/s but moved {moved:.4} m",
                    p.actors[i].id,
                    after[i].speed
                );
            }
            if let Some((a, b)) = overlapping_pair(&p, after, &walkers) {
                panic!("variant {variant} step {step}: pedestrians {a} and {b} overlap");
            }
        }
    }
    // Waiting is allowed, standing still for good is not what a crowd does.
    assert!(
        walked > 3.0 * 24.0 * 0.6 * 5.0,
        "the crowd walked only {walked:.0} m"
    );
}

const GROUP_CROSSING: &str = r#"Scenario(
    name: "group crossing", seed: 11,
    capture: (duration: 6.0, rate: 10.0, warmup: 0.0),
    map: (blocks: Sequence([Straight(length: 120), Intersection(ways: 4), Straight(length: 60)]), lanes_per_direction: 2),
    traffic: (vehicles: 0), pedestrians: (count: 0),
    ego: (route: Straight, start_offset: 5, lane: 1, speed_factor: 0.3),
    actors: [(name: "grp", class: Pedestrian(Group(3)), place: Right(of: Ego, distance: 7, along: 25))],
    events: [(name: "go", actor: "grp/1", trigger: Time(0.5), action: StartCrossing(speed: 1.2))],
)"#;

/// The middle one of a group of three standing side by side crosses the road: it steps
/// around the one in its way and walks at its crossing speed; the two told to stand
/// (walking speed 0) do not move.
#[test]
fn a_group_member_crosses_past_the_ones_standing() {
    let s = scenario("group.ron", GROUP_CROSSING);
    let p = plan(&s, 0).expect("plans");
    let member = |n: &str| {
        p.actors
            .iter()
            .position(|a| a.name.as_deref() == Some(n))
            .expect("member")
    };
    let (first, crosser, last) = (member("grp/0"), member("grp/1"), member("grp/2"));
    let mut sim = TrafficSim::new(&p);
    let start = sim.agents().to_vec();
    let dt = 1.0 / 60.0;
    for _ in 0..(5.5 / dt) as usize {
        sim.step(&p, dt);
        let everyone = [first, crosser, last];
        assert_eq!(overlapping_pair(&p, sim.agents(), &everyone), None);
    }
    let now = sim.agents();
    for standing in [first, last] {
        assert_eq!(now[standing].pose, start[standing].pose, "{standing} moved");
    }
    // 5 s of crossing at 1.2 m/s, less the way round.
    let crossed = now[crosser].pose.pos().distance(start[crosser].pose.pos());
    assert!(crossed > 4.5, "the crosser got {crossed:.1} m in 5 s");
}

const BUSY_RANDOM_TOWN: &str = r#"Scenario(
    name: "busy random town", seed: 606, variants: 3,
    capture: (duration: 4.0, rate: 10.0, warmup: 1.0),
    map: (
        blocks: Random(count: IntRange(3, 6), weights: [(3, Straight(length: Uniform(40, 90))), (1, Curve(radius: Uniform(30, 80), angle: Uniform(-60, 60))), (1, Intersection(ways: 4)), (1, Intersection(ways: 3, exit: Right)), (1, Roundabout(radius: Uniform(15, 25)))]),
        lanes_per_direction: IntRange(1, 2), shoulder_width: 2.0, sidewalk_width: 3.5, crosswalks: Bernoulli(0.7),
    ),
    traffic: (vehicles: Poisson(10), parked: IntRange(5, 12),
              populations: [(class: Truck, count: 1), (class: Bicycle, count: 3, placement: Kerb, speed_factor: Uniform(0.3, 0.45))]),
    pedestrians: (count: 60, kinds: [(3, Adult), (1, Child)], crossing_probability: 0.4),
    signals: (enabled: Bernoulli(0.5)),
)"#;

/// A designer's busy town (random blocks, 60 pedestrians, parked cars at the kerb):
/// nobody overlaps anybody. A walker stepping aside for someone coming the other way once
/// stepped into the parked car beside its path and stood inside it for 37 frames.
#[test]
fn walkers_do_not_step_aside_into_parked_cars() {
    let s = scenario("town.ron", BUSY_RANDOM_TOWN);
    for variant in 0..s.variants {
        nobody_overlaps(&s, variant, 6.0, 1.0 / 60.0, "busy random town");
    }
}

const STANDING_CAR: &str = r#"Scenario(
    name: "standing car", seed: 3,
    capture: (duration: 4.0, rate: 10.0, warmup: 0.0),
    map: (blocks: Sequence([Straight(length: 300)]), crosswalks: false),
    traffic: (vehicles: 1, parked: 0), pedestrians: (count: 1), signals: (enabled: false),
    ego: (start_offset: 10),
)"#;

/// A walker whose line across the road runs 0.2 m past the bumper of a car standing for
/// it steps away as it passes: it walked through the bumper (a collision in a
/// designer's labels, the ego standing at a crossing).
#[test]
fn a_walker_passing_a_standing_car_keeps_off_its_bumper() {
    let s = scenario("standing.ron", STANDING_CAR);
    let mut p = plan(&s, 0).expect("plans");
    let car = p
        .actors
        .iter()
        .position(|a| a.role == Role::Traffic)
        .expect("a car");
    let walker = p
        .actors
        .iter()
        .position(|a| a.role == Role::Pedestrian)
        .expect("a walker");
    let lane = p
        .lane(p.actors[0].lane.expect("ego lane"))
        .expect("lane")
        .clone();
    let at = 150.0;
    let a = &mut p.actors[car];
    a.lane = Some(lane.id);
    a.s = at;
    a.pose = lane.center.pose_at(at);
    a.route.clear();
    if let Behavior::Drive { desired_speed, .. } = &mut a.behavior {
        *desired_speed = 0.0;
    }
    let bumper = at + a.size.length / 2.0;
    // The walker's centre line crosses 0.2 m beyond the bumper, from the kerb over both
    // lanes.
    let (c, t) = lane.center.sample(bumper + 0.2);
    let from = c - t.perp() * 4.0;
    let path = drivegen_plan::geom::Polyline::new(vec![from, c + t.perp() * 6.0]);
    let w = &mut p.actors[walker];
    w.pose = drivegen_plan::geom::Pose2::at(from, t.perp().angle());
    w.behavior = Behavior::Walk {
        speed: 1.5,
        path,
        crosses: None,
    };
    let mut sim = TrafficSim::new(&p);
    let dt = 1.0 / 60.0;
    for step in 0..(7.0 / dt) as usize {
        sim.step(&p, dt);
        assert_eq!(
            overlapping_pair(&p, sim.agents(), &[car, walker]),
            None,
            "at {:.2} s",
            step as f64 * dt
        );
    }
    let crossed = sim.agents()[walker].pose.pos().distance(from);
    assert!(crossed > 8.0, "the walker crossed: {crossed:.1} m");
}

const CROSSWALKS_IN_TRAFFIC: &str = r#"Scenario(
    name: "crosswalks in traffic", seed: 21, variants: 6,
    map: (blocks: Sequence([Straight(length: 60), Intersection(ways: 4), Straight(length: 60)]),
          crosswalks: true),
    traffic: (vehicles: 12, parked: 0),
    pedestrians: (count: 40, crossing_probability: 0.9, spawn_on: [(1, Crosswalk), (2, Sidewalk)]),
    signals: (enabled: false),
)"#;

/// No vehicle brakes harder than its brakes can (9 m/s²) for a walker ahead, from the
/// first step on: one placed at speed a few metres before a crosswalk a walker was
/// placed on stopped dead within a frame (25 m/s² in a perception round's labels).
/// Vehicles at the end of the map's roads stop as at a wall with nobody ahead, so the
/// test looks only at hard stops with a walker in front.
#[test]
fn no_vehicle_stops_dead_for_a_walker() {
    let s = scenario("traffic.ron", CROSSWALKS_IN_TRAFFIC);
    let dt = 1.0 / 30.0;
    let mut walls = Vec::new();
    for variant in 0..s.variants {
        let p = plan(&s, variant).expect("plans");
        let mut sim = TrafficSim::new(&p);
        let walkers = pedestrians(&p);
        for step in 0..(10.0 / dt) as usize {
            let before = sim.agents().to_vec();
            sim.step(&p, dt);
            let after = sim.agents();
            for (i, a) in p.actors.iter().enumerate() {
                if !matches!(a.role, Role::Traffic | Role::Ego) {
                    continue;
                }
                let braking = (before[i].speed - after[i].speed) / dt;
                let heading = V2::from_angle(after[i].pose.yaw);
                let walker_ahead = walkers.iter().any(|&w| {
                    let d = after[w].pose.pos() - after[i].pose.pos();
                    d.dot(heading) > 0.0 && d.length() < 10.0 && d.dot(heading.perp()).abs() < 3.0
                });
                if braking > 9.0 + 1e-6 && walker_ahead {
                    walls.push(format!(
                        "variant {variant} at {:.2} s: vehicle {} braked at {braking:.0} m/s²",
                        step as f64 * dt,
                        a.id
                    ));
                }
            }
        }
    }
    assert!(
        walls.is_empty(),
        "{} hard stops for walkers: {walls:?}",
        walls.len()
    );
}

/// A walker along a sidewalk walks for the whole capture: one facing the end of the map's
/// road sooner turns the other way (18 of the 201 sidewalk walks of the example scenarios
/// and the default stopped at a road's end and stood there for the rest of the scene).
#[test]
fn sidewalk_walkers_walk_to_the_end_of_the_capture() {
    let mut walks = 0;
    for (_, s) in example_scenarios() {
        let horizon = s.capture.warmup + s.capture.duration;
        for variant in 0..s.variants {
            let p = plan(&s, variant).expect("plans");
            for a in &p.actors {
                let Behavior::Walk {
                    speed,
                    path,
                    crosses: None,
                } = &a.behavior
                else {
                    continue;
                };
                walks += 1;
                assert!(
                    path.length() + 0.5 >= speed * horizon,
                    "{} variant {variant}: walker {} walks {:.1} m of {:.1}",
                    s.name,
                    a.id,
                    path.length(),
                    speed * horizon
                );
            }
        }
    }
    assert!(walks > 150, "{walks} sidewalk walks");
}
