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
    ActorKind, Anchor, LaneRelation, NamedActor, PedestrianKind, Place, Relation,
};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use super::anchors::{Frame, anchor_frame, named, nearest_lane, related, walk};
use super::sight::{Eye, P3, Solid};
use super::{
    Draw, Driver, Placement, carries_rider, footprint, kerb_offset, paint, pedestrian_body,
    rejection_sample, vehicle_size,
};
use crate::error::{PlanError, Rule, Subject};
use crate::geom::{Obb, Polyline, Pose2, V2};
use crate::streams;
use crate::types::*;

/// Side-by-side spacing of a pedestrian group's members (m).
const GROUP_SPACING: f64 = 0.7;

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
            let (placed, in_the_way) = match a.class {
                ActorKind::Vehicle(class) => {
                    let (actor, in_the_way) = vehicle(
                        s,
                        p,
                        a,
                        class,
                        &frame,
                        eye.as_ref(),
                        &mut rng,
                        horizon,
                        &unit[0],
                    )?;
                    (vec![actor], in_the_way)
                }
                ActorKind::Pedestrian(kind) => {
                    pedestrians(p, a, kind, &frame, eye.as_ref(), &mut rng, horizon, unit)?
                }
            };
            p.actors.extend(placed);
            // The line of sight is kept clear from now on, by nudged actors too.
            p.sight_lines.extend(in_the_way.line);
            let mut ids = in_the_way.ids;
            ids.sort_unstable();
            ids.dedup();
            p.make_room(&ids, &unit[0])?;
        }
    }
    Ok(())
}

fn describe(a: &NamedActor, name: &str) -> Subject {
    let of = match a.place.anchor() {
        Anchor::Ego => "the ego".to_string(),
        Anchor::Actor(n) => format!("`{n}`"),
        other => format!("{other:?}"),
    };
    let relation = match a.place {
        Place::Ahead { .. } => "ahead of",
        Place::Behind { .. } => "behind",
        Place::Left { .. } => "left of",
        Place::Right { .. } => "right of",
        Place::Near { .. } => "near",
    };
    Subject::named(name, Some(format!("{relation} {of}")))
}

fn solid(a: &Actor) -> Solid {
    Solid {
        footprint: a.footprint(),
        height: a.size.height,
    }
}

/// Everything that can hide an actor from a camera. Props and named actors are fixed;
/// unnamed actors in the line of sight can be nudged out of it. Not the ego: the camera
/// is mounted on it (validation keeps mounts outside its nominal body), and its
/// jittered box can reach a few centimetres above a roof camera.
struct Occluders {
    fixed: Vec<Solid>,
    movable: Vec<(u32, Solid)>,
}

fn occluders(p: &Placement<'_>) -> Occluders {
    let mut fixed: Vec<Solid> = p
        .props
        .iter()
        .zip(&p.prop_heights)
        .map(|(f, h)| Solid {
            footprint: *f,
            height: *h,
        })
        .collect();
    let mut movable = Vec::new();
    for a in p.actors.iter().filter(|a| a.role != Role::Ego) {
        if a.name.is_some() {
            fixed.push(solid(a));
        } else {
            movable.push((a.id, solid(a)));
        }
    }
    Occluders { fixed, movable }
}

/// What a named candidate needs done once accepted: unnamed actors to nudge away, and
/// the line of sight to keep clear for `visible_from`.
#[derive(Default)]
struct Room {
    ids: Vec<u32>,
    line: Option<(P3, P3)>,
}

/// The actor `occluded_by` names, as a box.
fn occluder(p: &Placement<'_>, a: &NamedActor) -> Result<Option<Solid>, PlanError> {
    let Some(y) = &a.occluded_by else {
        return Ok(None);
    };
    named(p, y, &a.name).map(|o| Some(solid(o)))
}

/// A named candidate's box against the hard obstacles and the lines of sight kept so
/// far: the unnamed actors in its way, and the box as a solid; or the rule it breaks.
/// `lane` and `vehicle` as for [`Placement::named_conflicts`].
fn candidate(
    p: &Placement<'_>,
    lane: Option<(u32, f64)>,
    vehicle: bool,
    fp: Obb,
    height: f64,
) -> Result<(Vec<u32>, Solid), Rule> {
    let in_the_way = p.named_conflicts(lane, vehicle, &fp)?;
    let me = Solid {
        footprint: fp,
        height,
    };
    if p.blocks_sight(&me) {
        return Err(Rule::VisibleFrom);
    }
    Ok((in_the_way, me))
}

/// The camera rules for a candidate made of `members`: `visible_from` (some point of
/// some member in view and hidden by nothing fixed; the unnamed actors in front of the
/// least blocked such point are to be nudged away) and `occluded_by` (the line to a
/// member's centre crosses the occluder). The room needed includes `in_the_way`.
fn sight_rule(
    a: &NamedActor,
    eye: Option<&Eye>,
    members: &[Solid],
    others: &Occluders,
    hider: Option<&Solid>,
    in_the_way: Vec<u32>,
) -> Result<Room, Rule> {
    let Some(eye) = eye else {
        return Ok(Room {
            ids: in_the_way,
            line: None,
        });
    };
    let mut room = Room::default();
    if a.visible_from.is_some() {
        let mut best: Option<(P3, Vec<u32>)> = None;
        let points = members.iter().flat_map(Solid::sample_points);
        for point in points.filter(|q| eye.in_view(*q)) {
            if others.fixed.iter().any(|o| o.blocks(eye.pos, point)) {
                continue;
            }
            let blockers: Vec<u32> = others
                .movable
                .iter()
                .filter(|(_, o)| o.blocks(eye.pos, point))
                .map(|(id, _)| *id)
                .collect();
            if best.as_ref().is_none_or(|(_, b)| blockers.len() < b.len()) {
                let clear = blockers.is_empty();
                best = Some((point, blockers));
                if clear {
                    break;
                }
            }
        }
        let (point, blockers) = best.ok_or(Rule::VisibleFrom)?;
        room = Room {
            ids: blockers,
            line: Some((eye.pos, point)),
        };
    }
    if let Some(y) = hider
        && !members.iter().any(|m| eye.hidden_by(m, y))
    {
        return Err(Rule::OccludedBy);
    }
    room.ids.extend(in_the_way);
    Ok(room)
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
) -> Result<(Actor, Room), PlanError> {
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
    let color = paint(&s.traffic.colors, rng);
    let others = occluders(p);
    let hider = occluder(p, a)?;
    let (pose, lane, in_the_way) = rejection_sample(
        p.max_attempts,
        || describe(a, name),
        || {
            vehicle_spot(p, a, frame, size, rng).and_then(|(pose, lane)| {
                let driving = lane.filter(|_| !a.parked);
                let sighted = candidate(p, driving, true, footprint(pose, size), size.height)
                    .and_then(|(in_the_way, me)| {
                        sight_rule(a, eye, &[me], &others, hider.as_ref(), in_the_way)
                    });
                Draw::from(sighted.map(|room| (pose, lane, room)))
            })
        },
    )?;
    let (behavior, route) = match lane {
        Some((l, _)) if !a.parked => {
            let driver = Driver {
                speed_factor: a.speed_factor.as_ref().unwrap_or(&s.traffic.speed_factor),
                idm: &s.traffic.idm,
                eagerness: &s.traffic.lane_change_eagerness,
                colors: &s.traffic.colors,
                horizon,
            };
            // On the reference's own way (a lead car ahead of the ego), keep following
            // it, so the relation lasts through junctions; then drive on at random.
            let way: Vec<u32> = match frame.chain.iter().position(|c| *c == l) {
                Some(k) => frame.chain[k + 1..].to_vec(),
                None => Vec::new(),
            };
            driver.motion(net, &net.lanes[l as usize], way, rng)
        }
        _ => (Behavior::Parked, Vec::new()),
    };
    let class = ActorClass::Vehicle(class);
    let actor = Actor::new(id, role, class, size, color, pose)
        .named(name)
        .on_lane(lane)
        .moving(behavior, route);
    Ok((actor, in_the_way))
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
    match a.place.relation() {
        Relation::Along {
            sign,
            distance,
            lane,
            lateral,
        } => {
            let d = distance.sample(rng);
            let lat = lateral.sample(rng);
            let Some((l0, s0)) = frame.lane.or_else(|| nearest_lane(net, frame.pose.pos())) else {
                return Draw::Reject(Rule::VehiclesOnLanes);
            };
            let Some((lr, sr)) = walk(net, &frame.chain, l0, s0, sign * d) else {
                return Draw::Reject(Rule::PastRoadEnd);
            };
            let relation = lane.unwrap_or(LaneRelation::Same);
            let Some((lt, st)) = related(net, lr, sr, relation, rng) else {
                return Draw::Reject(Rule::LaneRelation);
            };
            let target = &net.lanes[lt as usize];
            let (c, t) = target.center.sample(st);
            let offset = if a.parked && relation == LaneRelation::Kerb {
                // Against the kerb, as parked traffic stands.
                -kerb_offset(net, target, size.width) + lat
            } else {
                lat
            };
            Draw::Accept((Pose2::at(c + t.perp() * offset, t.angle()), Some((lt, st))))
        }
        Relation::Beside { .. } | Relation::Near { .. } => {
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
    // `distance` (signed) along one axis of the reference's frame, `offset` along the other.
    let (sign, distance, offset, axis, across) = match a.place.relation() {
        Relation::Beside {
            sign,
            distance,
            along,
        } => (sign, distance, along, left, dir),
        Relation::Along {
            sign,
            distance,
            lateral,
            ..
        } => (sign, distance, lateral, dir, left),
        Relation::Near { within } => {
            let r = within.sample(rng).max(0.0) * rng.random::<f64>().sqrt();
            let angle = rng.random_range(0.0..std::f64::consts::TAU);
            return origin + V2::from_angle(angle) * r;
        }
    };
    let d = distance.sample(rng);
    origin + axis * (sign * d) + across * offset.sample(rng)
}

/// The two ends of crosswalk `n`, at the kerbs.
fn crosswalk_kerbs(net: &RoadNetwork, n: u32) -> Option<[V2; 2]> {
    let c = net.crosswalks.iter().find(|c| c.id == n)?;
    let centre = (c.corners[0] + c.corners[2]) * 0.5;
    let half = c
        .corners
        .iter()
        .map(|q| (*q - centre).dot(c.across).abs())
        .fold(0.0, f64::max);
    Some([centre - c.across * half, centre + c.across * half])
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
) -> Result<(Vec<Actor>, Room), PlanError> {
    let first = p
        .actors
        .iter()
        .filter(|o| o.role == Role::Pedestrian)
        .count() as u32;
    let mut members = Vec::new();
    for (k, name) in names.iter().enumerate() {
        let id = ids::Range::Pedestrians.nth(first + k as u32)?;
        let (size, color) = pedestrian_body(kind, rng);
        members.push((id, name, size, color));
    }
    let speed = a.walking_speed.sample(rng).clamp(0.0, 4.0);
    let turn = a.heading.sample(rng).to_radians();
    let near = matches!(a.place, Place::Near { .. });
    let kerbs = match a.place.anchor() {
        Anchor::Crosswalk(n) if near => crosswalk_kerbs(p.net, *n),
        _ => None,
    };
    let others = occluders(p);
    let hider = occluder(p, a)?;
    let n = members.len();
    let (poses, in_the_way) = rejection_sample(
        p.max_attempts,
        || describe(a, &a.name),
        || {
            // Near a crosswalk is measured from one of its kerbs, where people wait: its
            // middle lies on the carriageway, farther than a few metres from any sidewalk.
            let centre = match kerbs {
                Some(ends) => {
                    let end = ends[usize::from(rng.random::<bool>())];
                    let at_kerb = Frame {
                        pose: Pose2::at(end, frame.pose.yaw),
                        ..frame.clone()
                    };
                    free_point(a, &at_kerb, rng)
                }
                None => free_point(a, frame, rng),
            };
            let yaw = frame.pose.yaw + turn;
            let across = V2::from_angle(yaw).perp();
            let mut poses = Vec::with_capacity(n);
            let mut solids = Vec::with_capacity(n);
            let mut in_the_way = Vec::new();
            for (k, (_, _, size, _)) in members.iter().enumerate() {
                let offset = (k as f64 - (n as f64 - 1.0) / 2.0) * GROUP_SPACING;
                let pose = Pose2::at(centre + across * offset, yaw);
                // Near a place, a pedestrian waits off the carriageway: standing on a
                // crosswalk it stood in the ego's lane for the whole scene.
                if near && !p.surfaces.on_footway(pose.pos()) {
                    return Draw::Reject(Rule::PedestriansOnWalkways);
                }
                match candidate(p, None, false, footprint(pose, *size), size.height) {
                    Ok((ids, me)) => {
                        in_the_way.extend(ids);
                        solids.push(me);
                    }
                    Err(rule) => return Draw::Reject(rule),
                }
                poses.push(pose);
            }
            let sighted = sight_rule(a, eye, &solids, &others, hider.as_ref(), in_the_way);
            Draw::from(sighted.map(|room| (poses, room)))
        },
    )?;
    let placed = members
        .into_iter()
        .zip(poses)
        .map(|((id, name, size, color), pose)| {
            let walk = (speed * horizon).max(1.0);
            let end = pose.pos() + pose.dir() * walk;
            let behavior = Behavior::Walk {
                speed,
                path: Polyline::new(vec![pose.pos(), end]),
                crosses: None,
            };
            let class = ActorClass::Pedestrian;
            Actor::new(id, Role::Pedestrian, class, size, color, pose)
                .named(name)
                .moving(behavior, Vec::new())
        })
        .collect();
    Ok((placed, in_the_way))
}
