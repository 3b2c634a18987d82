//! Actor placement by rejection sampling: ego, moving and parked vehicles, pedestrians.
//!
//! Each actor is drawn up to `rules.max_attempts` times; every rejected draw is tallied
//! under the rule that rejected it, so an unsatisfiable scene says which rule failed
//! and how often. Each group draws from its own stream, placed in a fixed order (ego,
//! traffic, parked, pedestrians), so adding pedestrians never moves a vehicle.

use drivegen_scenario::validate::caps;
use drivegen_scenario::{IdmSpec, Scenario, Turn, VehicleClass, WalkArea};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use crate::error::{PlanError, Rule};
use crate::geom::{Obb, Polyline, Pose2, V2};
use crate::props::prop_footprint;
use crate::surface::Surfaces;
use crate::types::*;

/// Nominal (length, width, height) per class; each vehicle varies by a few percent.
pub fn class_size(class: VehicleClass) -> (f64, f64, f64) {
    class.nominal_size()
}

const CLOTHES: [[u8; 3]; 8] = [
    [40, 40, 60],
    [150, 30, 30],
    [30, 80, 140],
    [200, 200, 190],
    [60, 90, 50],
    [120, 100, 80],
    [220, 160, 40],
    [25, 25, 25],
];

struct Placement<'a> {
    net: &'a RoadNetwork,
    surfaces: Surfaces<'a>,
    props: Vec<Obb>,
    actors: Vec<Actor>,
    max_attempts: u32,
    clearance: f64,
    min_gap: f64,
    keep_clear: bool,
}

impl Placement<'_> {
    /// First rule a candidate breaks, if any.
    fn check_vehicle(&self, lane: &Lane, s: f64, fp: &Obb) -> Option<Rule> {
        if self.keep_clear && self.surfaces.in_junction(fp) {
            return Some(Rule::KeepJunctionsClear);
        }
        for other in &self.actors {
            if other.lane == Some(lane.id) {
                let gap = (other.s - s).abs() - (other.size.length + fp.half_length * 2.0) / 2.0;
                if gap < self.min_gap {
                    return Some(Rule::MinVehicleGap);
                }
            }
        }
        self.overlap(fp)
    }

    fn overlap(&self, fp: &Obb) -> Option<Rule> {
        let grown = fp.inflated(self.clearance);
        let hit = self.actors.iter().any(|a| a.footprint().overlaps(&grown))
            || self.props.iter().any(|p| p.overlaps(&grown));
        hit.then_some(Rule::NoOverlap)
    }

    fn fail(what: String, attempts: u32, tally: &[(Rule, u32)]) -> PlanError {
        PlanError::RulesUnsatisfiable {
            what,
            attempts,
            failures: tally.iter().filter(|(_, n)| *n > 0).copied().collect(),
        }
    }
}

/// One draw of a candidate placement.
enum Draw<T> {
    Accept(T),
    Reject(Rule),
    /// Nothing left to draw from (no lanes, no walkways).
    Exhausted,
}

/// Draws until a candidate passes every rule, at most `attempts` times; an actor that
/// cannot be placed is an error listing how often each rule rejected it.
fn rejection_sample<T>(
    attempts: u32,
    what: impl FnOnce() -> String,
    mut draw: impl FnMut() -> Draw<T>,
) -> Result<T, PlanError> {
    let mut tally = Vec::new();
    for _ in 0..attempts {
        match draw() {
            Draw::Accept(t) => return Ok(t),
            Draw::Reject(rule) => bump(&mut tally, rule),
            Draw::Exhausted => break,
        }
    }
    Err(Placement::fail(what(), attempts, &tally))
}

fn bump(tally: &mut Vec<(Rule, u32)>, rule: Rule) {
    match tally.iter_mut().find(|(r, _)| *r == rule) {
        Some((_, n)) => *n += 1,
        None => tally.push((rule, 1)),
    }
}

/// Whether a vehicle of `class` carries a rider (who gets an id of its own).
fn carries_rider(class: VehicleClass) -> bool {
    matches!(class, VehicleClass::Bicycle | VehicleClass::Motorcycle)
}

fn jitter(rng: &mut ChaCha8Rng, v: f64) -> f64 {
    v * rng.random_range(0.96..1.04)
}

fn vehicle_size(class: VehicleClass, rng: &mut ChaCha8Rng) -> Size3 {
    let (l, w, h) = class_size(class);
    Size3 {
        length: jitter(rng, l),
        width: jitter(rng, w),
        height: jitter(rng, h),
    }
}

fn idm(spec: &IdmSpec, rng: &mut ChaCha8Rng) -> Idm {
    Idm {
        time_headway: spec.time_headway.sample(rng).max(0.1),
        min_gap: spec.min_gap.sample(rng).max(0.0),
        max_accel: spec.max_accel.sample(rng).max(0.1),
        comfortable_decel: spec.comfortable_decel.sample(rng).max(0.1),
    }
}

/// Follows successors from `lane` for about `distance` metres.
fn route(
    net: &RoadNetwork,
    lane: u32,
    distance: f64,
    mut choose: impl FnMut(&[u32]) -> u32,
) -> Vec<u32> {
    let mut out = Vec::new();
    let mut current = lane;
    let mut covered = 0.0;
    while covered < distance && out.len() < 64 {
        let succ = &net.lanes[current as usize].successors;
        if succ.is_empty() {
            break;
        }
        current = choose(succ);
        covered += net.lanes[current as usize].length;
        out.push(current);
    }
    out
}

fn turn_of(net: &RoadNetwork, lane: u32) -> Option<Turn> {
    match net.lanes[lane as usize].kind {
        LaneKind::Connector(t) => Some(t),
        LaneKind::Driving => None,
    }
}

/// A lane drawn by length and an arc length where a vehicle of `length` fits with
/// `margin` to spare at both ends.
fn lane_position<'a>(
    lanes: &[&'a Lane],
    lengths: &[f64],
    length: f64,
    margin: f64,
    rng: &mut ChaCha8Rng,
) -> Draw<(&'a Lane, f64)> {
    let Some(k) = pick_by_length(lengths, rng) else {
        return Draw::Exhausted;
    };
    let lane = lanes[k];
    if lane.length < length + 2.0 * margin {
        return Draw::Reject(Rule::VehiclesOnLanes);
    }
    let half = length / 2.0;
    Draw::Accept((
        lane,
        rng.random_range(half + margin..lane.length - half - margin),
    ))
}

/// Picks an index by a uniform draw over cumulative lengths.
fn pick_by_length(lengths: &[f64], rng: &mut ChaCha8Rng) -> Option<usize> {
    let total: f64 = lengths.iter().sum();
    if total <= 0.0 {
        return None;
    }
    let mut x = rng.random_range(0.0..total);
    for (i, l) in lengths.iter().enumerate() {
        if x < *l {
            return Some(i);
        }
        x -= l;
    }
    Some(lengths.len() - 1)
}

pub(crate) struct Streams<'r> {
    pub ego: &'r mut ChaCha8Rng,
    pub traffic: &'r mut ChaCha8Rng,
    pub parked: &'r mut ChaCha8Rng,
    pub pedestrians: &'r mut ChaCha8Rng,
}

pub(crate) fn place_actors(
    s: &Scenario,
    net: &RoadNetwork,
    props: &[Prop],
    rng: Streams<'_>,
) -> Result<Vec<Actor>, PlanError> {
    let mut p = Placement {
        net,
        surfaces: Surfaces::new(net),
        props: props.iter().map(prop_footprint).collect(),
        actors: Vec::new(),
        max_attempts: s.rules.max_attempts.max(1),
        clearance: s.rules.min_clearance,
        min_gap: s.rules.min_vehicle_gap,
        keep_clear: s.rules.keep_junctions_clear,
    };
    let horizon = s.capture.warmup + f64::from(s.capture.frame_count()) / s.capture.rate.max(1e-3);
    place_ego(s, &mut p, rng.ego, horizon)?;
    place_traffic(s, &mut p, rng.traffic, horizon)?;
    place_parked(s, &mut p, rng.parked)?;
    place_pedestrians(s, &mut p, rng.pedestrians, horizon)?;
    Ok(p.actors)
}

fn place_ego(
    s: &Scenario,
    p: &mut Placement<'_>,
    rng: &mut ChaCha8Rng,
    horizon: f64,
) -> Result<(), PlanError> {
    let net = p.net;
    let road = net.roads.first().ok_or_else(|| PlanError::NoRoom {
        what: "the ego".into(),
        reason: "the map has no roads".into(),
        hint: "add blocks to map.blocks".into(),
    })?;
    let want = s.ego.lane.sample(rng).round().max(0.0) as u8;
    let index = want.min(road.lanes_right.saturating_sub(1));
    let lane = net
        .lanes
        .iter()
        .find(|l| l.road == Some(road.id) && l.index == index && l.kind == LaneKind::Driving)
        .ok_or_else(|| PlanError::NoRoom {
            what: "the ego".into(),
            reason: "the first road has no lane in the route's direction".into(),
            hint: "start the map with a Straight or Curve block".into(),
        })?;
    if carries_rider(s.ego.class) {
        ids::rider(ids::EGO)?;
    }
    let size = vehicle_size(s.ego.class, rng);
    let offset = s.ego.start_offset.sample(rng);
    let sx = offset.clamp(
        size.length / 2.0 + 0.5,
        (lane.length - size.length / 2.0 - 0.5).max(size.length / 2.0),
    );
    let color = s.ego.color.pick(rng).map_or([170, 172, 176], |c| c.rgb());
    let desired = s.ego.speed_factor.sample(rng).max(0.05) * lane.speed_limit;
    let idm = idm(&s.ego.idm, rng);
    let turns = &s.ego.route;
    let route = route(net, lane.id, desired * horizon + 60.0, |succ| {
        let want = turns.pick(rng).copied().unwrap_or(Turn::Straight);
        succ.iter()
            .copied()
            .find(|l| turn_of(net, *l) == Some(want))
            .or_else(|| {
                succ.iter()
                    .copied()
                    .find(|l| turn_of(net, *l) == Some(Turn::Straight))
            })
            .unwrap_or(succ[0])
    });
    p.actors.push(Actor {
        name: None,
        id: ids::EGO,
        role: Role::Ego,
        class: ActorClass::Vehicle(s.ego.class),
        size,
        color,
        pose: lane.center.pose_at(sx),
        lane: Some(lane.id),
        s: sx,
        route,
        behavior: Behavior::Drive {
            desired_speed: desired,
            idm,
            lane_change_eagerness: 0.0,
        },
    });
    Ok(())
}

fn place_traffic(
    s: &Scenario,
    p: &mut Placement<'_>,
    rng: &mut ChaCha8Rng,
    horizon: f64,
) -> Result<(), PlanError> {
    let net = p.net;
    let lanes: Vec<&Lane> = net
        .lanes
        .iter()
        .filter(|l| l.kind == LaneKind::Driving)
        .collect();
    let lengths: Vec<f64> = lanes.iter().map(|l| l.length).collect();
    let count = s.traffic.vehicles.sample_count_capped(rng, caps::VEHICLES);
    for i in 0..count {
        let id = ids::Range::Vehicles.nth(i)?;
        let class = s
            .traffic
            .classes
            .pick(rng)
            .copied()
            .unwrap_or(VehicleClass::Car);
        if carries_rider(class) {
            ids::rider(id)?;
        }
        let size = vehicle_size(class, rng);
        let color = s
            .traffic
            .colors
            .pick(rng)
            .map_or([200, 200, 200], |c| c.rgb());
        let (lane, sx, pose) = rejection_sample(
            p.max_attempts,
            || format!("vehicle {} of {count}", i + 1),
            || {
                let (lane, sx) = match lane_position(&lanes, &lengths, size.length, 0.5, rng) {
                    Draw::Accept(x) => x,
                    Draw::Reject(r) => return Draw::Reject(r),
                    Draw::Exhausted => return Draw::Exhausted,
                };
                let half = size.length / 2.0;
                let pose = lane.center.pose_at(sx);
                let fp = Obb {
                    center: pose.pos(),
                    yaw: pose.yaw,
                    half_length: half,
                    half_width: size.width / 2.0,
                };
                match p.check_vehicle(lane, sx, &fp) {
                    Some(rule) => Draw::Reject(rule),
                    None => Draw::Accept((lane, sx, pose)),
                }
            },
        )?;
        let desired = s.traffic.speed_factor.sample(rng).max(0.05) * lane.speed_limit;
        let idm = idm(&s.traffic.idm, rng);
        let eagerness = s.traffic.lane_change_eagerness.sample(rng).clamp(0.0, 1.0);
        let route = route(net, lane.id, desired * horizon + 30.0, |succ| {
            succ[rng.random_range(0..succ.len())]
        });
        p.actors.push(Actor {
            name: None,
            id,
            role: Role::Traffic,
            class: ActorClass::Vehicle(class),
            size,
            color,
            pose,
            lane: Some(lane.id),
            s: sx,
            route,
            behavior: Behavior::Drive {
                desired_speed: desired,
                idm,
                lane_change_eagerness: eagerness,
            },
        });
    }
    Ok(())
}

fn place_parked(
    s: &Scenario,
    p: &mut Placement<'_>,
    rng: &mut ChaCha8Rng,
) -> Result<(), PlanError> {
    let net = p.net;
    // The outermost lane of each direction of two-way roads, beside the kerb.
    let kerb_lanes: Vec<&Lane> = net
        .lanes
        .iter()
        .filter(|l| {
            l.kind == LaneKind::Driving
                && l.index == 0
                && l.road
                    .and_then(|r| net.roads.get(r as usize))
                    .is_some_and(|r| {
                        matches!(r.kind, RoadKind::Main | RoadKind::Arm) && r.lanes_left > 0
                    })
        })
        .collect();
    let lengths: Vec<f64> = kerb_lanes.iter().map(|l| l.length).collect();
    let count = s.traffic.parked.sample_count_capped(rng, caps::PARKED);
    for i in 0..count {
        let id = ids::Range::Parked.nth(i)?;
        let class = match rng.random_range(0..10) {
            0..=5 => VehicleClass::Car,
            6..=7 => VehicleClass::Suv,
            _ => VehicleClass::Van,
        };
        let size = vehicle_size(class, rng);
        let color = s
            .traffic
            .colors
            .pick(rng)
            .map_or([200, 200, 200], |c| c.rgb());
        let (lane, sx, pose) = rejection_sample(
            p.max_attempts,
            || format!("parked vehicle {} of {count}", i + 1),
            || {
                // Parked cars keep well away from junction mouths.
                let (lane, sx) = match lane_position(&kerb_lanes, &lengths, size.length, 10.0, rng)
                {
                    Draw::Accept(x) => x,
                    Draw::Reject(r) => return Draw::Reject(r),
                    Draw::Exhausted => return Draw::Exhausted,
                };
                let half = size.length / 2.0;
                let shoulder = lane
                    .road
                    .and_then(|r| net.roads.get(r as usize))
                    .map_or(0.0, |r| r.shoulder);
                let (c, t) = lane.center.sample(sx);
                // Against the kerb, inside the parking strip.
                let lateral = (lane.width / 2.0 + shoulder - size.width / 2.0 - 0.15).max(0.0);
                let pose = Pose2::at(c - t.perp() * lateral, t.angle());
                let fp = Obb {
                    center: pose.pos(),
                    yaw: pose.yaw,
                    half_length: half,
                    half_width: size.width / 2.0,
                };
                let rule = if p.keep_clear && p.surfaces.in_junction(&fp) {
                    Some(Rule::KeepJunctionsClear)
                } else {
                    p.overlap(&fp)
                };
                match rule {
                    Some(rule) => Draw::Reject(rule),
                    None => Draw::Accept((lane, sx, pose)),
                }
            },
        )?;
        p.actors.push(Actor {
            name: None,
            id,
            role: Role::Parked,
            class: ActorClass::Vehicle(class),
            size,
            color,
            pose,
            lane: Some(lane.id),
            s: sx,
            route: Vec::new(),
            behavior: Behavior::Parked,
        });
    }
    Ok(())
}

fn place_pedestrians(
    s: &Scenario,
    p: &mut Placement<'_>,
    rng: &mut ChaCha8Rng,
    horizon: f64,
) -> Result<(), PlanError> {
    let net = p.net;
    let count = s
        .pedestrians
        .count
        .sample_count_capped(rng, caps::PEDESTRIANS);
    if count == 0 {
        return Ok(());
    }
    let sidewalks: Vec<&Walkway> = net
        .walkways
        .iter()
        .filter(|w| w.kind == WalkwayKind::Sidewalk)
        .collect();
    let lengths: Vec<f64> = sidewalks.iter().map(|w| w.center.length()).collect();
    if sidewalks.is_empty() && net.crosswalks.is_empty() {
        return Err(PlanError::NoRoom {
            what: format!("{count} pedestrians"),
            reason: "the map has no sidewalks or crosswalks".into(),
            hint: "set map.sidewalk_width above 0, or pedestrians.count to 0".into(),
        });
    }
    for i in 0..count {
        let id = ids::Range::Pedestrians.nth(i)?;
        let area = s
            .pedestrians
            .spawn_on
            .pick(rng)
            .copied()
            .unwrap_or(WalkArea::Sidewalk);
        let area = match area {
            WalkArea::Crosswalk if net.crosswalks.is_empty() => WalkArea::Sidewalk,
            WalkArea::Sidewalk if sidewalks.is_empty() => WalkArea::Crosswalk,
            a => a,
        };
        let size = Size3 {
            length: 0.3,
            width: 0.5,
            height: rng.random_range(1.55..1.9),
        };
        let color = CLOTHES[rng.random_range(0..CLOTHES.len())];
        let speed = s.pedestrians.walking_speed.sample(rng).clamp(0.1, 4.0);
        let crossing_p = s
            .pedestrians
            .crossing_probability
            .sample(rng)
            .clamp(0.0, 1.0);
        let crosses = rng.random_bool(crossing_p);
        let (pose, path, crosses) = rejection_sample(
            p.max_attempts,
            || format!("pedestrian {} of {count}", i + 1),
            || {
                let (pose, path, crosswalk) = match area {
                    WalkArea::Sidewalk => {
                        let Some(k) = pick_by_length(&lengths, rng) else {
                            return Draw::Exhausted;
                        };
                        let w = sidewalks[k];
                        let sx = rng.random_range(0.0..lengths[k]);
                        let lateral = rng.random_range(-0.5..0.5) * (w.width - 0.8).max(0.0);
                        let (c, t) = w.center.sample(sx);
                        let forward = rng.random_bool(0.5);
                        let pos = c + t.perp() * lateral;
                        let dir = if forward { t } else { -t };
                        let walk = speed * horizon;
                        let end = if forward {
                            (sx + walk).min(lengths[k])
                        } else {
                            (sx - walk).max(0.0)
                        };
                        let mut path = w.center.slice(sx.min(end), sx.max(end));
                        if !forward {
                            path = path.reversed();
                        }
                        let (path, crosswalk) = if crosses {
                            crossing_path(net, pos)
                        } else {
                            (path, None)
                        };
                        (Pose2::at(pos, dir.angle()), path, crosswalk)
                    }
                    WalkArea::Crosswalk => {
                        let c = &net.crosswalks[rng.random_range(0..net.crosswalks.len())];
                        let [a, b, cc, d] = c.corners;
                        let u = rng.random_range(0.2..0.8);
                        let v = rng.random_range(0.05..0.95);
                        let near = a.lerp(b, u);
                        let far = d.lerp(cc, u);
                        let pos = near.lerp(far, v);
                        let dir = if rng.random_bool(0.5) {
                            c.across
                        } else {
                            -c.across
                        };
                        let target = if dir.dot(far - near) > 0.0 { far } else { near };
                        let path = Polyline::new(vec![pos, target + dir * 1.0]);
                        (Pose2::at(pos, dir.angle()), path, Some(c.id))
                    }
                };
                if !p.surfaces.on_walkway(pose.pos()) {
                    return Draw::Reject(Rule::PedestriansOnWalkways);
                }
                let fp = Obb {
                    center: pose.pos(),
                    yaw: pose.yaw,
                    half_length: size.length / 2.0,
                    half_width: size.width / 2.0,
                };
                match p.overlap(&fp) {
                    Some(rule) => Draw::Reject(rule),
                    None => Draw::Accept((pose, path, crosswalk)),
                }
            },
        )?;
        p.actors.push(Actor {
            name: None,
            id,
            role: Role::Pedestrian,
            class: ActorClass::Pedestrian,
            size,
            color,
            pose,
            lane: None,
            s: 0.0,
            route: Vec::new(),
            behavior: Behavior::Walk {
                speed,
                path,
                crosses,
            },
        });
    }
    Ok(())
}

/// Walk to the nearest crosswalk, across it, and a little beyond.
fn crossing_path(net: &RoadNetwork, from: V2) -> (Polyline, Option<u32>) {
    let nearest = net.crosswalks.iter().min_by(|a, b| {
        let da = centre(a).distance(from);
        let db = centre(b).distance(from);
        da.total_cmp(&db).then(a.id.cmp(&b.id))
    });
    let Some(c) = nearest else {
        return (Polyline::new(vec![from]), None);
    };
    let [a, b, cc, d] = c.corners;
    let near_mid = a.lerp(b, 0.5);
    let far_mid = d.lerp(cc, 0.5);
    let (entry, exit) = if near_mid.distance(from) <= far_mid.distance(from) {
        (near_mid, far_mid)
    } else {
        (far_mid, near_mid)
    };
    let beyond = exit + (exit - entry).normalized() * 1.5;
    (Polyline::new(vec![from, entry, exit, beyond]), Some(c.id))
}

fn centre(c: &Crosswalk) -> V2 {
    (c.corners[0] + c.corners[2]) * 0.5
}
