//! Scripted events resolved for one scene: each scenario event's actor reference becomes
//! an instance id, and an event that could never happen (a lane change where the road
//! has no lane on that side) is a plan error instead of a silent no-op.
//!
//! Events draw nothing at random, so adding one moves no actor: the planner's streams are
//! untouched and the traffic core alone decides when a trigger holds.

use drivegen_scenario::Scenario;
use drivegen_scenario::events::{Action, ActorRef, Side, Trigger};
use serde::{Deserialize, Serialize};

use crate::error::{PlanError, Subject};
use crate::types::{Actor, LaneKind, RoadNetwork, Role};

/// One event of a plan: `actor` (an instance id) performs `action` once `trigger` holds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EventPlan {
    pub name: String,
    pub actor: u32,
    pub trigger: Trigger,
    pub action: Action,
}

/// The lane beside `lane` on `side` (seen in its direction of travel): same road, index
/// one higher (left) or lower (right), travelling the same way.
pub fn adjacent_lane(network: &RoadNetwork, lane: u32, side: Side) -> Option<u32> {
    let l = network.lanes.get(lane as usize).filter(|l| l.id == lane)?;
    if l.kind != LaneKind::Driving {
        return None;
    }
    let road = l.road?;
    let index = match side {
        Side::Left => l.index.checked_add(1)?,
        Side::Right => l.index.checked_sub(1)?,
    };
    let (mid, dir) = l.center.sample(l.length / 2.0);
    network
        .lanes
        .iter()
        .filter(|o| o.road == Some(road) && o.index == index && o.kind == LaneKind::Driving)
        .find(|o| {
            let p = o.center.project(mid);
            let (_, odir) = o.center.sample(p.s);
            // Same direction, and on the asked side: `lateral` is positive to the left.
            odir.dot(dir) > 0.5
                && match side {
                    Side::Left => p.lateral < 0.0,
                    Side::Right => p.lateral > 0.0,
                }
        })
        .map(|o| o.id)
}

fn resolve(actors: &[Actor], reference: &ActorRef) -> Option<u32> {
    let nth = |role: Role, n: u32| {
        actors
            .iter()
            .filter(|a| a.role == role)
            .nth(n as usize)
            .map(|a| a.id)
    };
    match reference {
        ActorRef::Ego => nth(Role::Ego, 0),
        ActorRef::Vehicle(n) => nth(Role::Traffic, *n),
        ActorRef::Pedestrian(n) => nth(Role::Pedestrian, *n),
        ActorRef::Parked(n) => nth(Role::Parked, *n),
        ActorRef::Named(name) => actors
            .iter()
            .find(|a| a.name.as_deref() == Some(name))
            .map(|a| a.id),
    }
}

fn error(event: &str, reason: String, hint: &str) -> PlanError {
    PlanError::NoRoom {
        what: Subject::Event(event.to_string()),
        reason,
        hint: hint.to_string(),
    }
}

/// The scenario's events for a scene with these actors, in the scenario's order.
pub fn plan_events(
    s: &Scenario,
    network: &RoadNetwork,
    actors: &[Actor],
) -> Result<Vec<EventPlan>, PlanError> {
    let mut out = Vec::with_capacity(s.events.len());
    for e in &s.events {
        let reference = ActorRef::parse(&e.actor).unwrap_or(ActorRef::Named(e.actor.clone()));
        let Some(id) = resolve(actors, &reference) else {
            return Err(error(
                &e.name,
                format!("this scene has no actor `{}`", e.actor),
                "lower the index, or make the count a constant so every variant has the actor",
            ));
        };
        if let Some(actor) = actors.iter().find(|a| a.id == id) {
            check_kind(&e.name, &e.actor, actor, &e.action)?;
            check_cut_in_way(&e.name, &e.actor, actors, actor, &e.action)?;
            check_lanes(&e.name, &e.actor, network, actor, &e.action)?;
        }
        out.push(EventPlan {
            name: e.name.clone(),
            actor: id,
            trigger: e.trigger.clone(),
            action: e.action.clone(),
        });
    }
    Ok(out)
}

/// Pedestrian actions need a pedestrian, the others a moving vehicle, and a cut-in one
/// other than the ego, since it steers towards the ego's lane (a named actor's kind is
/// known only here).
fn check_kind(event: &str, name: &str, actor: &Actor, action: &Action) -> Result<(), PlanError> {
    if matches!(action, Action::CutIn { .. }) && actor.role == Role::Ego {
        return Err(error(
            event,
            "CutIn moves a vehicle into the ego's lane, so the ego cannot cut in".into(),
            "give the CutIn to another vehicle, or use LaneChange(direction: Left | Right) \
             for the ego",
        ));
    }
    let walker = matches!(action, Action::StartCrossing { .. });
    let fits = if walker {
        actor.role == Role::Pedestrian
    } else {
        matches!(actor.role, Role::Ego | Role::Traffic)
    };
    if fits {
        return Ok(());
    }
    let needs = if walker {
        "a pedestrian"
    } else {
        "a moving vehicle"
    };
    Err(error(
        event,
        format!("{} needs {needs}, and `{name}` is not one", action.name()),
        "give the event an actor of that kind",
    ))
}

/// A cut-in moves a vehicle onto the ego's lane from the lane beside it, so the vehicle
/// must travel the ego's way: one on the other carriageway has no lane beside the ego's
/// (its event was listed as under way while the car drove on).
fn check_cut_in_way(
    event: &str,
    name: &str,
    actors: &[Actor],
    actor: &Actor,
    action: &Action,
) -> Result<(), PlanError> {
    let Some(ego) = actors.iter().find(|a| a.role == Role::Ego) else {
        return Ok(());
    };
    if !matches!(action, Action::CutIn { .. }) || actor.pose.dir().dot(ego.pose.dir()) >= 0.0 {
        return Ok(());
    }
    Err(error(
        event,
        format!(
            "CutIn moves a vehicle into the ego's lane from the lane beside it, and `{name}` \
             drives the other way"
        ),
        "place it on the ego's side of the road (e.g. `lane: Adjacent`), ahead of the ego",
    ))
}

/// A lane change needs a lane on that side somewhere along the actor's route.
fn check_lanes(
    event: &str,
    name: &str,
    network: &RoadNetwork,
    actor: &Actor,
    action: &Action,
) -> Result<(), PlanError> {
    let sides: &[Side] = match action {
        Action::LaneChange { direction, .. } => &[*direction][..],
        Action::CutIn { .. } => &[Side::Left, Side::Right][..],
        _ => return Ok(()),
    };
    let lanes = actor.lane.into_iter().chain(actor.route.iter().copied());
    let possible = lanes
        .flat_map(|l| sides.iter().map(move |side| (l, *side)))
        .any(|(l, side)| adjacent_lane(network, l, side).is_some());
    if possible {
        return Ok(());
    }
    // The other way is worth suggesting only where a lane lies on that side.
    let other_side = match action {
        Action::LaneChange { direction, .. } => {
            let other = match direction {
                Side::Left => Side::Right,
                Side::Right => Side::Left,
            };
            actor
                .lane
                .into_iter()
                .chain(actor.route.iter().copied())
                .any(|l| adjacent_lane(network, l, other).is_some())
        }
        _ => false,
    };
    Err(error(
        event,
        format!(
            "{} needs a lane beside `{name}`'s lanes, and its road has none on that side",
            action.name(),
        ),
        if other_side {
            // A lane on the other side: the road has several, and the actor is already in
            // the outermost one on this side.
            "its lane is the outermost one on that side: change lanes the other way, put the \
             actor in a lane with one beside it, or add lanes (map.lanes_per_direction)"
        } else {
            "set map.lanes_per_direction to 2 or more: its road has one lane each way"
        },
    ))
}
