//! What a relation is measured from, and how to move along and across lanes.
//!
//! An anchor (the ego, a named actor, a junction, roundabout, crosswalk or ramp) becomes
//! a [`Frame`]: a pose, and for vehicles a lane and arc length from which "20 m ahead"
//! is measured along the lanes the reference will follow.

use drivegen_scenario::placement::{Anchor, LaneRelation};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use super::{Placement, turn_of};
use crate::error::{PlanError, Subject};
use crate::geom::{Pose2, V2};
use crate::types::*;

/// What a placement is measured from.
#[derive(Clone, Debug)]
pub(super) struct Frame {
    pub pose: Pose2,
    /// Lane and arc length, for vehicles measured along lanes.
    pub lane: Option<(u32, f64)>,
    /// Lanes the reference follows after its lane (its route), preferred going ahead.
    pub chain: Vec<u32>,
}

/// The frame an anchor stands for in this plan.
pub(super) fn anchor_frame(
    p: &Placement<'_>,
    anchor: &Anchor,
    who: &str,
) -> Result<Frame, PlanError> {
    let net = p.net;
    let missing = |reason: String, hint: &str| PlanError::NoRoom {
        what: Subject::named(who, None),
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
                        "the map has {}, so there is no {kind} {n}",
                        counted(junctions.len(), kind)
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
                        "the map has {}, so there is no crosswalk {n}",
                        counted(net.crosswalks.len(), "crosswalk")
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
                    format!(
                        "the map has {}, so there is no ramp {n}",
                        counted(ramps.len(), "ramp")
                    ),
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
pub(super) fn nearest_lane(net: &RoadNetwork, q: V2) -> Option<(u32, f64)> {
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
pub(super) fn walk(
    net: &RoadNetwork,
    chain: &[u32],
    lane: u32,
    s: f64,
    d: f64,
) -> Option<(u32, f64)> {
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
pub(super) fn related(
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

/// The actor carrying `name`, placed before the one (`who`) that refers to it.
pub(super) fn named<'p>(
    p: &'p Placement<'_>,
    name: &str,
    who: &str,
) -> Result<&'p Actor, PlanError> {
    // A several-member entry's bare name means its first member.
    let first = format!("{name}/0");
    p.actors
        .iter()
        .find(|o| o.name.as_deref() == Some(name))
        .or_else(|| p.actors.iter().find(|o| o.name.as_deref() == Some(&first)))
        .ok_or_else(|| PlanError::NoRoom {
            what: Subject::named(who, None),
            reason: format!("no actor named `{name}` is placed before it"),
            hint: "declare the actor it refers to earlier in `actors`".into(),
        })
}

/// "1 ramp", "2 ramps", "no ramp".
fn counted(n: usize, what: &str) -> String {
    match n {
        0 => format!("no {what}"),
        1 => format!("1 {what}"),
        _ => format!("{n} {what}s"),
    }
}
