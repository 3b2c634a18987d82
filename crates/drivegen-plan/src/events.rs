//! Scripted events resolved for one scene: each scenario event's actor reference becomes
//! an instance id, and an event that could never happen (a lane change where the road
//! has no lane on that side) is a plan error instead of a silent no-op.
//!
//! Events draw nothing at random, so adding one moves no actor: the planner's streams are
//! untouched and the traffic core alone decides when a trigger holds.

use drivegen_scenario::Scenario;
use drivegen_scenario::events::{Action, ActorRef, EventSpec, Side, Trigger};
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
            // The actor's earlier lane changes may first take it where this one has room
            // (out to overtake, then back).
            let earlier = earlier_actions(&s.events, e);
            check_lanes(&e.name, &e.actor, network, actor, &e.action, &earlier)?;
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

/// The actions of `e`'s actor that surely start before `e`: those of the events its
/// `After` chain waits for and, for a `Time` trigger, those of its `Time` events at
/// earlier times.
fn earlier_actions<'a>(events: &'a [EventSpec], e: &EventSpec) -> Vec<&'a Action> {
    let mut out = Vec::new();
    if let Trigger::Time(t) = e.trigger {
        out.extend(
            events
                .iter()
                .filter(|o| o.actor == e.actor && matches!(o.trigger, Trigger::Time(u) if u < t))
                .map(|o| &o.action),
        );
    }
    let mut at = e;
    // Bounded: validation rejects a cycle of After triggers, but planning must not hang.
    for _ in 0..events.len() {
        let Trigger::After { event, .. } = &at.trigger else {
            break;
        };
        let Some(before) = events.iter().find(|o| o.name == *event) else {
            break;
        };
        if before.actor == e.actor {
            out.push(&before.action);
        }
        at = before;
    }
    out
}

/// The sides a lane-changing action may move a vehicle to (a cut-in: towards the ego,
/// either side).
fn sides_of(action: &Action) -> &'static [Side] {
    match action {
        Action::LaneChange {
            direction: Side::Left,
            ..
        } => &[Side::Left],
        Action::LaneChange {
            direction: Side::Right,
            ..
        } => &[Side::Right],
        Action::CutIn { .. } => &[Side::Left, Side::Right],
        _ => &[],
    }
}

/// A lane change needs a lane on that side somewhere along the actor's route, or beside
/// a lane the actor's `other` lane changes can take it to.
fn check_lanes(
    event: &str,
    name: &str,
    network: &RoadNetwork,
    actor: &Actor,
    action: &Action,
    other: &[&Action],
) -> Result<(), PlanError> {
    let sides = sides_of(action);
    if sides.is_empty() {
        return Ok(());
    }
    let mut lanes: Vec<u32> = actor
        .lane
        .into_iter()
        .chain(actor.route.iter().copied())
        .collect();
    for _ in other {
        let moved: Vec<u32> = lanes
            .iter()
            .flat_map(|l| {
                other
                    .iter()
                    .flat_map(|a| sides_of(a))
                    .map(move |side| (*l, *side))
            })
            .filter_map(|(l, side)| adjacent_lane(network, l, side))
            .filter(|l| !lanes.contains(l))
            .collect();
        if moved.is_empty() {
            break;
        }
        lanes.extend(moved);
        lanes.sort_unstable();
        lanes.dedup();
    }
    let possible = lanes
        .iter()
        .flat_map(|l| sides.iter().map(move |side| (*l, *side)))
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
