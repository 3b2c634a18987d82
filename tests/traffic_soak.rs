//! A measurement, not a check: random designer-style maps (every block kind, one to
//! three lanes, parking, signals, lane changes, crowds), each variant simulated for 30 s,
//! and every pair of actors whose footprints overlap reported once with where it
//! happened. `cargo test --release --test traffic_soak -- --ignored --nocapture`
//! (SOAK_MAPS sets how many scenarios of 8 variants each, 25 by default, from seed
//! SOAK_FROM, 0 by default; SOAK_TRACE=seed:variant:id,id follows two actors).

mod events_support;

use std::collections::BTreeMap;

use drivegen_plan::{Role, ScenePlan, plan};
use drivegen_world::traffic::TrafficSim;
use events_support::{designer_map, overlapping_pair};

/// Where a point is: the lanes whose centre line passes within half a lane of it, with
/// the arc length and offset there.
fn place(p: &ScenePlan, at: drivegen_plan::geom::V2) -> String {
    let mut near = Vec::new();
    for l in &p.network.lanes {
        let q = l.center.project(at);
        if q.s > 0.0 && q.s < l.length && q.point.distance(at) < l.width / 2.0 {
            let junction = l
                .junction
                .map_or("road".to_string(), |j| format!("junction {j}"));
            near.push(format!(
                "{:?} lane {} ({junction}) s {:.1}/{:.1} lateral {:.2}",
                l.kind, l.id, q.s, l.length, q.lateral
            ));
        }
    }
    if near.is_empty() {
        "off every lane".into()
    } else {
        near.join(" | ")
    }
}

#[test]
#[ignore = "a measurement, not a check"]
fn random_designer_maps_simulate_without_overlaps() {
    let maps: u32 = std::env::var("SOAK_MAPS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(25);
    let dt = 1.0 / 30.0;
    let (mut variants, mut unplannable) = (0, 0);
    // Distance driven by everyone, and vehicles that moved no more than 1 m in the last
    // 20 s (queues at lights and route ends, and any deadlock a change brings).
    let (mut driven, mut stuck, mut vehicles) = (0.0, 0usize, 0usize);
    // Of those, the ones standing on a junction connector: a queue waits at its stop
    // line, so these are what a deadlock leaves (SOAK_STUCK=1 lists them).
    let mut stuck_in_junction = Vec::new();
    // And the ones whose front is within 6 m of a crosswalk, and so likely wait for it.
    let mut before_crosswalk = 0usize;
    // And the ones standing at the end of their route (a map's edge).
    let mut at_route_end = 0usize;
    let mut by_kind: BTreeMap<String, usize> = BTreeMap::new();
    let from: u32 = std::env::var("SOAK_FROM")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    for seed in from..from + maps {
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
            // SOAK_TRACE=seed:variant:id,id prints those actors every 0.2 s.
            let trace: Vec<u32> = std::env::var("SOAK_TRACE")
                .ok()
                .and_then(|t| {
                    let mut parts = t.split(':');
                    let (s_, v_) = (
                        parts.next()?.parse::<u32>().ok()?,
                        parts.next()?.parse::<u32>().ok()?,
                    );
                    (s_ == seed && v_ == variant).then(|| {
                        parts
                            .next()
                            .unwrap_or("")
                            .split(',')
                            .filter_map(|x| x.parse().ok())
                            .collect()
                    })
                })
                .unwrap_or_default();
            if let Ok(lanes) = std::env::var("SOAK_LANES")
                && !trace.is_empty()
            {
                for id in lanes.split(',').filter_map(|x| x.parse::<u32>().ok()) {
                    let l = p.lane(id).expect("lane");
                    println!(
                        "lane {id} {:?} road {:?} junction {:?} width {} length {:.1} successors {:?} points {:?}",
                        l.kind,
                        l.road,
                        l.junction,
                        l.width,
                        l.length,
                        l.successors,
                        l.center
                            .points
                            .iter()
                            .map(|q| (q.x, q.y))
                            .collect::<Vec<_>>()
                    );
                }
            }
            for id in &trace {
                let a = p.actors.iter().find(|x| x.id == *id).expect("actor");
                println!(
                    "actor {id}: {:?} on lane {:?}, route {:?}",
                    a.class, a.lane, a.route
                );
            }
            let mut at_ten = Vec::new();
            for step in 0..(30.0 / dt) as usize {
                if step == (10.0 / dt) as usize {
                    at_ten = sim.agents().iter().map(|a| a.odometer).collect();
                }
                sim.step(&p, dt);
                if !trace.is_empty() && step % 6 == 0 {
                    for id in &trace {
                        let i = p.actors.iter().position(|x| x.id == *id).expect("actor");
                        let a = &sim.agents()[i];
                        let at = a.pose.pos();
                        println!(
                            "  t {:.2} {id}: {:?} ({:.2}, {:.2}) yaw {:.1} speed {:.2} walkway {} {}",
                            step as f64 * dt,
                            sim.lane_of(i),
                            at.x,
                            at.y,
                            a.pose.yaw.to_degrees(),
                            a.speed,
                            drivegen_plan::surface::on_walkway(&p.network, at),
                            place(&p, at)
                        );
                    }
                }
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
            // Who stands around each traced actor at the end, to see what holds it.
            for id in &trace {
                let i = p.actors.iter().position(|x| x.id == *id).expect("actor");
                let at = sim.agents()[i].pose.pos();
                for (j, b) in sim.agents().iter().enumerate() {
                    if j != i && b.pose.pos().distance(at) < 10.0 {
                        println!(
                            "  near {id} at the end: {} ({:?} {:?}) at ({:.2}, {:.2}) yaw {:.1} speed {:.2} {:?}",
                            p.actors[j].id,
                            p.actors[j].role,
                            p.actors[j].class,
                            b.pose.pos().x,
                            b.pose.pos().y,
                            b.pose.yaw.to_degrees(),
                            b.speed,
                            sim.lane_of(j)
                        );
                    }
                }
            }
            for (i, a) in sim.agents().iter().enumerate() {
                if matches!(p.actors[i].role, Role::Traffic | Role::Ego) {
                    vehicles += 1;
                    driven += a.odometer;
                    if at_ten.get(i).is_some_and(|o| a.odometer - o < 1.0) {
                        stuck += 1;
                        let junction = sim
                            .lane_of(i)
                            .and_then(|(lane, ..)| p.lane(lane))
                            .is_some_and(|l| l.junction.is_some());
                        if junction {
                            stuck_in_junction.push(format!("{seed}:{variant}:{}", p.actors[i].id));
                        }
                        let front = a.pose.pos() + a.pose.dir() * (p.actors[i].size.length / 2.0);
                        let crosswalk_ahead = (0..=12).any(|k| {
                            let q = front + a.pose.dir() * (0.5 * f64::from(k));
                            p.network
                                .crosswalks
                                .iter()
                                .any(|c| drivegen_plan::surface::point_in_polygon(q, &c.corners))
                        });
                        before_crosswalk += usize::from(crosswalk_ahead);
                        let last = p.actors[i].route.last().copied().or(p.actors[i].lane);
                        at_route_end += usize::from(sim.lane_of(i).is_some_and(|(lane, s, _)| {
                            Some(lane) == last
                                && p.lane(lane).is_some_and(|l| {
                                    l.length - s < p.actors[i].size.length / 2.0 + 2.0
                                })
                        }));
                    }
                }
            }
        }
    }
    println!(
        "{variants} variants simulated, {unplannable} unplannable; overlaps: {by_kind:?}; driven {:.1} km, {stuck} of {vehicles} vehicles moved under 1 m in the last 20 s, {} of them in a junction, {before_crosswalk} with a crosswalk within 6 m of their front, {at_route_end} at the end of their route",
        driven / 1000.0,
        stuck_in_junction.len()
    );
    if std::env::var("SOAK_STUCK").is_ok() {
        println!("standing in a junction: {}", stuck_in_junction.join(" "));
    }
}
