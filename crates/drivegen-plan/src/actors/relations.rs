//! Named actors placed by relations: ahead of, behind, beside or near the ego, an
//! earlier named actor or a place, on a related lane, seen from a camera or hidden
//! behind another actor.
//!
//! Every named actor draws from its own stream (`actor:<name>`) after all unnamed actors
//! and populations are placed, in file order, and takes the next free id of its range
//! (moving vehicles, parked vehicles, pedestrians). Adding one therefore moves nothing
//! else; it is the named actor that avoids the others. Every relation is a rule of the
//! rejection sampler, so an impossible one fails with its tally.

use drivegen_scenario::Scenario;
use drivegen_scenario::placement::{
    ActorKind, Anchor, LaneRelation, NamedActor, PedestrianKind, Place,
};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use super::sight::{Eye, Solid};
use super::{
    CLOTHES, Draw, Placement, carries_rider, idm, pedestrian_height, rejection_sample, route,
    turn_of, vehicle_size,
};
use crate::error::{PlanError, Rule};
use crate::geom::{Obb, Polyline, Pose2, V2};
use crate::streams;
use crate::types::*;

/// Side-by-side spacing of a pedestrian group's members (m).
const GROUP_SPACING: f64 = 0.7;

/// What a placement is measured from.
#[derive(Clone, Debug)]
struct Frame {
    pose: Pose2,
    /// Lane and arc length, for vehicles measured along lanes.
    lane: Option<(u32, f64)>,
    /// Lanes the reference follows after its lane (its route), preferred going ahead.
    chain: Vec<u32>,
}

/// A member's start: pose, and lane and arc length for vehicles on a lane.
type Spot = (Pose2, Option<(u32, f64)>);

pub(super) fn place_named(
    s: &Scenario,
    p: &mut Placement<'_>,
    variant_seed: u64,
    cameras: &[CameraPlan],
    horizon: f64,
) -> Result<(), PlanError> {
    let Some(ego_pose) = p
        .actors
        .iter()
        .find(|a| a.role == Role::Ego)
        .map(|a| a.pose)
    else {
        return Ok(());
    };
    for a in &s.actors {
        let mut rng = streams::stream(variant_seed, &format!("actor:{}", a.name));
        let frame = anchor_frame(p, a.place.anchor(), &a.name)?;
        let camera = match &a.visible_from {
            Some(n) => cameras.iter().find(|c| &c.name == n),
            None => cameras.first(),
        };
        let eye = camera.map(|c| Eye::new(c, &ego_pose));
        let names = a.member_names();
        let group = match a.class {
            ActorKind::Pedestrian(PedestrianKind::Group(n)) => n.max(1) as usize,
            _ => 1,
        };
        for unit in names.chunks(group) {
            let placed = match a.class {
                ActorKind::Vehicle(class) => {
                    vec![vehicle(
                        s,
                        p,
                        a,
                        class,
                        &frame,
                        eye.as_ref(),
                        &mut rng,
                        horizon,
                        &unit[0],
                    )?]
                }
                ActorKind::Pedestrian(kind) => {
                    pedestrians(p, a, kind, &frame, eye.as_ref(), &mut rng, horizon, unit)?
                }
            };
            p.actors.extend(placed);
        }
    }
    Ok(())
}

fn describe(a: &NamedActor, name: &str) -> String {
    let of = match a.place.anchor() {
        Anchor::Ego => "the ego".to_string(),
        Anchor::Actor(n) => format!("`{n}`"),
        other => format!("{other:?}"),
    };
    format!(
        "named actor `{name}` ({} of {of})",
        a.place.kind_name().to_lowercase()
    )
}

fn solid(a: &Actor) -> Solid {
    Solid {
        footprint: a.footprint(),
        height: a.size.height,
    }
}

/// Everything that can hide an actor from a camera: planned actors (the ego too) and
/// props.
fn occluders(p: &Placement<'_>) -> Vec<Solid> {
    p.actors
        .iter()
        .map(solid)
        .chain(p.props.iter().zip(&p.prop_heights).map(|(f, h)| Solid {
            footprint: *f,
            height: *h,
        }))
        .collect()
}

/// The actor `occluded_by` names, as a box.
fn occluder(p: &Placement<'_>, a: &NamedActor) -> Result<Option<Solid>, PlanError> {
    let Some(y) = &a.occluded_by else {
        return Ok(None);
    };
    named(p, y, &a.name).map(|o| Some(solid(o)))
}

fn named<'p>(p: &'p Placement<'_>, name: &str, who: &str) -> Result<&'p Actor, PlanError> {
    p.actors
        .iter()
        .find(|o| o.name.as_deref() == Some(name))
        .ok_or_else(|| PlanError::NoRoom {
            what: format!("named actor `{who}`"),
            reason: format!("no actor named `{name}` is placed before it"),
            hint: "declare the actor it refers to earlier in `actors`".into(),
        })
}

/// The camera rules for a candidate made of `members`: `visible_from` (some point of
/// some member in view, unobstructed) and `occluded_by` (the line to a member's centre
/// crosses the occluder).
fn sight_rule(
    a: &NamedActor,
    eye: Option<&Eye>,
    members: &[Solid],
    others: &[Solid],
    hider: Option<&Solid>,
) -> Option<Rule> {
    let eye = eye?;
    if a.visible_from.is_some() && !members.iter().any(|m| eye.sees(m, others)) {
        return Some(Rule::VisibleFrom);
    }
    if let Some(y) = hider
        && !members.iter().any(|m| eye.hidden_by(m, y))
    {
        return Some(Rule::OccludedBy);
    }
    None
}

#[allow(clippy::too_many_arguments)]
fn vehicle(
    s: &Scenario,
    p: &Placement<'_>,
    a: &NamedActor,
    class: drivegen_scenario::VehicleClass,
    frame: &Frame,
    eye: Option<&Eye>,
    rng: &mut ChaCha8Rng,
    horizon: f64,
    name: &str,
) -> Result<Actor, PlanError> {
    let net = p.net;
    let (range, role) = if a.parked {
        (ids::Range::Parked, Role::Parked)
    } else {
        (ids::Range::Vehicles, Role::Traffic)
    };
    let id = range.nth(p.actors.iter().filter(|o| o.role == role).count() as u32)?;
    if carries_rider(class) {
        ids::rider(id)?;
    }
    let size = vehicle_size(class, rng);
    let color = s
        .traffic
        .colors
        .pick(rng)
        .map_or([200, 200, 200], |c| c.rgb());
    let others = occluders(p);
    let hider = occluder(p, a)?;
    let (pose, lane) = rejection_sample(
        p.max_attempts,
        || describe(a, name),
        || {
            let (pose, lane) = match vehicle_spot(p, a, frame, size, rng) {
                Draw::Accept(x) => x,
                Draw::Reject(r) => return Draw::Reject(r),
                Draw::Exhausted => return Draw::Exhausted,
            };
            let fp = Obb {
                center: pose.pos(),
                yaw: pose.yaw,
                half_length: size.length / 2.0,
                half_width: size.width / 2.0,
            };
            let rule = match lane.map(|(l, sx)| (&net.lanes[l as usize], sx)) {
                Some((l, sx)) if !a.parked => p.check_vehicle(l, sx, &fp),
                _ if p.keep_clear && p.surfaces.in_junction(&fp) => Some(Rule::KeepJunctionsClear),
                _ => p.overlap(&fp),
            };
            let me = Solid {
                footprint: fp,
                height: size.height,
            };
            match rule.or_else(|| sight_rule(a, eye, &[me], &others, hider.as_ref())) {
                Some(rule) => Draw::Reject(rule),
                None => Draw::Accept((pose, lane)),
            }
        },
    )?;
    let (behavior, route) = match lane {
        Some((l, _)) if !a.parked => {
            let lane = &net.lanes[l as usize];
            let factor = a.speed_factor.as_ref().unwrap_or(&s.traffic.speed_factor);
            let desired = factor.sample(rng).max(0.05) * lane.speed_limit;
            let idm = idm(&s.traffic.idm, rng);
            let eagerness = s.traffic.lane_change_eagerness.sample(rng).clamp(0.0, 1.0);
            let route = route(net, l, desired * horizon + 30.0, |succ| {
                succ[rng.random_range(0..succ.len())]
            });
            let drive = Behavior::Drive {
                desired_speed: desired,
                idm,
                lane_change_eagerness: eagerness,
            };
            (drive, route)
        }
        _ => (Behavior::Parked, Vec::new()),
    };
    Ok(Actor {
        id,
        name: Some(name.to_string()),
        role,
        class: ActorClass::Vehicle(class),
        size,
        color,
        pose,
        lane: lane.map(|(l, _)| l),
        s: lane.map_or(0.0, |(_, sx)| sx),
        route,
        behavior,
    })
}

/// One draw of a vehicle's start for `a.place`.
fn vehicle_spot(
    p: &Placement<'_>,
    a: &NamedActor,
    frame: &Frame,
    size: Size3,
    rng: &mut ChaCha8Rng,
) -> Draw<Spot> {
    let net = p.net;
    match &a.place {
        Place::Ahead {
            distance,
            lane,
            lateral,
            ..
        }
        | Place::Behind {
            distance,
            lane,
            lateral,
            ..
        } => {
            let sign = if matches!(a.place, Place::Ahead { .. }) {
                1.0
            } else {
                -1.0
            };
            let d = distance.sample(rng);
            let lat = lateral.sample(rng);
            let Some((l0, s0)) = frame.lane.or_else(|| nearest_lane(net, frame.pose.pos())) else {
                return Draw::Reject(Rule::VehiclesOnLanes);
            };
            let Some((lr, sr)) = walk(net, &frame.chain, l0, s0, sign * d) else {
                return Draw::Reject(Rule::LaneRelation);
            };
            let relation = lane.unwrap_or(LaneRelation::Same);
            let Some((lt, st)) = related(net, lr, sr, relation, rng) else {
                return Draw::Reject(Rule::LaneRelation);
            };
            let target = &net.lanes[lt as usize];
            let (c, t) = target.center.sample(st);
            let offset = if a.parked && relation == LaneRelation::Kerb {
                let shoulder = target
                    .road
                    .and_then(|r| net.roads.get(r as usize))
                    .map_or(0.0, |r| r.shoulder);
                // Against the kerb, as parked traffic stands.
                -(target.width / 2.0 + shoulder - size.width / 2.0 - 0.15).max(0.0) + lat
            } else {
                lat
            };
            Draw::Accept((Pose2::at(c + t.perp() * offset, t.angle()), Some((lt, st))))
        }
        Place::Left { .. } | Place::Right { .. } | Place::Near { .. } => {
            let point = free_point(a, frame, rng);
            let Some((l, sx)) = nearest_lane(net, point) else {
                return Draw::Reject(Rule::VehiclesOnLanes);
            };
            let lane = &net.lanes[l as usize];
            let (c, t) = lane.center.sample(sx);
            let pose = if a.parked {
                Pose2::at(point, t.angle())
            } else {
                Pose2::at(c, t.angle())
            };
            Draw::Accept((pose, Some((l, sx))))
        }
    }
}

/// One draw of the point a beside/near placement asks for.
fn free_point(a: &NamedActor, frame: &Frame, rng: &mut ChaCha8Rng) -> V2 {
    let (dir, left) = (frame.pose.dir(), frame.pose.dir().perp());
    let origin = frame.pose.pos();
    match &a.place {
        Place::Left {
            distance, along, ..
        } => origin + left * distance.sample(rng) + dir * along.sample(rng),
        Place::Right {
            distance, along, ..
        } => origin - left * distance.sample(rng) + dir * along.sample(rng),
        Place::Near { within, .. } => {
            let r = within.sample(rng).max(0.0) * rng.random::<f64>().sqrt();
            let angle = rng.random_range(0.0..std::f64::consts::TAU);
            origin + V2::from_angle(angle) * r
        }
        Place::Ahead {
            distance, lateral, ..
        } => origin + dir * distance.sample(rng) + left * lateral.sample(rng),
        Place::Behind {
            distance, lateral, ..
        } => origin - dir * distance.sample(rng) + left * lateral.sample(rng),
    }
}

#[allow(clippy::too_many_arguments)]
fn pedestrians(
    p: &Placement<'_>,
    a: &NamedActor,
    kind: PedestrianKind,
    frame: &Frame,
    eye: Option<&Eye>,
    rng: &mut ChaCha8Rng,
    horizon: f64,
    names: &[String],
) -> Result<Vec<Actor>, PlanError> {
    let first = p
        .actors
        .iter()
        .filter(|o| o.role == Role::Pedestrian)
        .count() as u32;
    let mut members = Vec::new();
    for (k, name) in names.iter().enumerate() {
        let id = ids::Range::Pedestrians.nth(first + k as u32)?;
        let size = Size3 {
            length: 0.3,
            width: 0.5,
            height: pedestrian_height(kind, rng),
        };
        let color = CLOTHES[rng.random_range(0..CLOTHES.len())];
        members.push((id, name, size, color));
    }
    let speed = a.walking_speed.sample(rng).clamp(0.0, 4.0);
    let turn = a.heading.sample(rng).to_radians();
    let near = matches!(a.place, Place::Near { .. });
    let others = occluders(p);
    let hider = occluder(p, a)?;
    let n = members.len();
    let poses = rejection_sample(
        p.max_attempts,
        || describe(a, &a.name),
        || {
            let centre = free_point(a, frame, rng);
            let yaw = frame.pose.yaw + turn;
            let across = V2::from_angle(yaw).perp();
            let mut poses = Vec::with_capacity(n);
            let mut solids = Vec::with_capacity(n);
            for (k, (_, _, size, _)) in members.iter().enumerate() {
                let offset = (k as f64 - (n as f64 - 1.0) / 2.0) * GROUP_SPACING;
                let pose = Pose2::at(centre + across * offset, yaw);
                if near && !p.surfaces.on_walkway(pose.pos()) {
                    return Draw::Reject(Rule::PedestriansOnWalkways);
                }
                let fp = Obb {
                    center: pose.pos(),
                    yaw,
                    half_length: size.length / 2.0,
                    half_width: size.width / 2.0,
                };
                if let Some(rule) = p.overlap(&fp) {
                    return Draw::Reject(rule);
                }
                poses.push(pose);
                solids.push(Solid {
                    footprint: fp,
                    height: size.height,
                });
            }
            match sight_rule(a, eye, &solids, &others, hider.as_ref()) {
                Some(rule) => Draw::Reject(rule),
                None => Draw::Accept(poses),
            }
        },
    )?;
    Ok(members
        .into_iter()
        .zip(poses)
        .map(|((id, name, size, color), pose)| {
            let walk = (speed * horizon).max(1.0);
            let end = pose.pos() + pose.dir() * walk;
            Actor {
                id,
                name: Some(name.clone()),
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
                    path: Polyline::new(vec![pose.pos(), end]),
                    crosses: None,
                },
            }
        })
        .collect())
}

/// The frame an anchor stands for in this plan.
fn anchor_frame(p: &Placement<'_>, anchor: &Anchor, who: &str) -> Result<Frame, PlanError> {
    let net = p.net;
    let missing = |reason: String, hint: &str| PlanError::NoRoom {
        what: format!("named actor `{who}`"),
        reason,
        hint: hint.into(),
    };
    let of_actor = |a: &Actor| Frame {
        pose: a.pose,
        lane: a.lane.map(|l| (l, a.s)),
        chain: a.lane.into_iter().chain(a.route.iter().copied()).collect(),
    };
    let on_lane = |l: u32, sx: f64| Frame {
        pose: net.lanes[l as usize].center.pose_at(sx),
        lane: Some((l, sx)),
        chain: vec![l],
    };
    match anchor {
        Anchor::Ego => p
            .actors
            .iter()
            .find(|a| a.role == Role::Ego)
            .map(of_actor)
            .ok_or_else(|| missing("the plan has no ego".into(), "check map.blocks")),
        Anchor::Actor(name) => named(p, name, who).map(of_actor),
        Anchor::Junction(n) | Anchor::Roundabout(n) => {
            let roundabout = matches!(anchor, Anchor::Roundabout(_));
            let kind = if roundabout {
                "roundabout"
            } else {
                "intersection"
            };
            let junctions: Vec<&Junction> = net
                .junctions
                .iter()
                .filter(|j| matches!(j.kind, JunctionKind::Roundabout { .. }) == roundabout)
                .collect();
            let j = junctions.get(*n as usize).ok_or_else(|| {
                missing(
                    format!(
                        "the map has {} {kind}s, so there is no {kind} {n}",
                        junctions.len()
                    ),
                    "places count from 0 in the order of map.blocks",
                )
            })?;
            let (l, sx) = approach(net, j.id).ok_or_else(|| {
                missing(format!("no lane leads into {kind} {n}"), "check map.blocks")
            })?;
            Ok(on_lane(l, sx))
        }
        Anchor::Crosswalk(n) => {
            let c = net.crosswalks.iter().find(|c| c.id == *n).ok_or_else(|| {
                missing(
                    format!(
                        "the map has {} crosswalks, so there is no crosswalk {n}",
                        net.crosswalks.len()
                    ),
                    "crosswalks count from 0; map.crosswalks must be on",
                )
            })?;
            let centre = (c.corners[0] + c.corners[2]) * 0.5;
            let (l, sx) = approaches(net, c.junction)
                .into_iter()
                .map(|(l, _)| (l, net.lanes[l as usize].center.project(centre)))
                .min_by(|a, b| {
                    a.1.point
                        .distance(centre)
                        .total_cmp(&b.1.point.distance(centre))
                        .then(a.0.cmp(&b.0))
                })
                .map(|(l, proj)| (l, proj.s))
                .ok_or_else(|| {
                    missing(format!("no lane crosses crosswalk {n}"), "check map.blocks")
                })?;
            let (_, t) = net.lanes[l as usize].center.sample(sx);
            Ok(Frame {
                pose: Pose2::at(centre, t.angle()),
                lane: Some((l, sx)),
                chain: vec![l],
            })
        }
        Anchor::Ramp(n) => {
            let ramps: Vec<&Road> = net
                .roads
                .iter()
                .filter(|r| r.kind == RoadKind::Ramp)
                .collect();
            let lane = ramps.get(*n as usize).and_then(|r| {
                net.lanes
                    .iter()
                    .find(|l| l.road == Some(r.id) && l.kind == LaneKind::Driving)
            });
            let lane = lane.ok_or_else(|| {
                missing(
                    format!("the map has {} ramps, so there is no ramp {n}", ramps.len()),
                    "add an OnRamp or OffRamp block; ramps count from 0",
                )
            })?;
            Ok(on_lane(lane.id, 0.0))
        }
    }
}

/// Lanes leading into junction `j`, with the arc length of their stop (or end), the
/// route's own approach first: main road, earliest road, rightmost lane.
fn approaches(net: &RoadNetwork, j: u32) -> Vec<(u32, f64)> {
    let mut out: Vec<(&Lane, f64)> = net
        .lanes
        .iter()
        .filter(|l| l.kind == LaneKind::Driving)
        .filter_map(|l| match l.stop {
            Some(st) if st.junction == j => Some((l, st.s)),
            _ if l.successors.iter().any(|x| {
                net.lanes
                    .get(*x as usize)
                    .is_some_and(|x| x.junction == Some(j))
            }) =>
            {
                Some((l, l.length))
            }
            _ => None,
        })
        .collect();
    let key = |l: &Lane| {
        let road = l.road.and_then(|r| net.roads.get(r as usize));
        (
            road.is_none_or(|r| r.kind != RoadKind::Main),
            l.road.unwrap_or(u32::MAX),
            l.index,
            l.id,
        )
    };
    out.sort_by_key(|(l, _)| key(l));
    out.into_iter().map(|(l, sx)| (l.id, sx)).collect()
}

fn approach(net: &RoadNetwork, j: u32) -> Option<(u32, f64)> {
    approaches(net, j).into_iter().next()
}

/// The driving lane whose centre is nearest `q`, if `q` lies on it.
fn nearest_lane(net: &RoadNetwork, q: V2) -> Option<(u32, f64)> {
    net.lanes
        .iter()
        .filter(|l| l.kind == LaneKind::Driving)
        .map(|l| (l, l.center.project(q)))
        .filter(|(l, proj)| proj.point.distance(q) <= l.width / 2.0)
        .min_by(|a, b| {
            a.1.point
                .distance(q)
                .total_cmp(&b.1.point.distance(q))
                .then(a.0.id.cmp(&b.0.id))
        })
        .map(|(l, proj)| (l.id, proj.s))
}

/// Moves `d` metres along the lanes from (`lane`, `s`): ahead through the reference's
/// own route where it has one (else straight on), behind through the lane it came from.
fn walk(net: &RoadNetwork, chain: &[u32], lane: u32, s: f64, d: f64) -> Option<(u32, f64)> {
    let (mut lane, mut s) = (lane, s + d);
    for _ in 0..64 {
        let len = net.lanes.get(lane as usize)?.length;
        if s < 0.0 {
            let prev = predecessor(net, lane)?;
            s += net.lanes[prev as usize].length;
            lane = prev;
        } else if s > len {
            let next = chain
                .iter()
                .position(|l| *l == lane)
                .and_then(|k| chain.get(k + 1).copied())
                .or_else(|| successor(net, lane))?;
            s -= len;
            lane = next;
        } else {
            return Some((lane, s));
        }
    }
    None
}

fn straight_on(net: &RoadNetwork, l: u32) -> bool {
    matches!(
        turn_of(net, l),
        None | Some(drivegen_scenario::Turn::Straight)
    )
}

fn successor(net: &RoadNetwork, lane: u32) -> Option<u32> {
    let succ = &net.lanes[lane as usize].successors;
    succ.iter()
        .copied()
        .find(|l| straight_on(net, *l))
        .or_else(|| succ.first().copied())
}

fn predecessor(net: &RoadNetwork, lane: u32) -> Option<u32> {
    let preds: Vec<u32> = net
        .lanes
        .iter()
        .filter(|l| l.successors.contains(&lane))
        .map(|l| l.id)
        .collect();
    preds
        .iter()
        .copied()
        .find(|l| straight_on(net, *l))
        .or_else(|| preds.first().copied())
}

/// The lane in `relation` to lane `l` at arc length `s`, and the arc length there.
fn related(
    net: &RoadNetwork,
    l: u32,
    s: f64,
    relation: LaneRelation,
    rng: &mut ChaCha8Rng,
) -> Option<(u32, f64)> {
    if relation == LaneRelation::Same {
        return Some((l, s));
    }
    let lane = &net.lanes[l as usize];
    let road = lane.road?;
    let (point, dir) = lane.center.sample(s);
    let candidates: Vec<(u32, f64)> = net
        .lanes
        .iter()
        .filter(|o| o.road == Some(road) && o.kind == LaneKind::Driving)
        .filter_map(|o| {
            let proj = o.center.project(point);
            let same_way = proj.tangent.dot(dir) > 0.0;
            let wanted = match relation {
                LaneRelation::Same => o.id == l,
                LaneRelation::Adjacent => same_way && o.index.abs_diff(lane.index) == 1,
                LaneRelation::Opposite => !same_way,
                LaneRelation::Kerb => same_way && o.index == 0,
            };
            wanted.then_some((o.id, proj.s))
        })
        .collect();
    match candidates.len() {
        0 => None,
        1 => Some(candidates[0]),
        n => Some(candidates[rng.random_range(0..n)]),
    }
}
