//! Scripted events: what a designer may ask to *happen* in a scene (a cut-in, a lead
//! vehicle braking hard, a jaywalker stepping out), each an action by one actor started
//! by a trigger, and the checks that keep them meaningful.
//!
//! Events are data, evaluated by the traffic core each simulation step from its own
//! state (no wall clock, no random draw), so a replay or a resumed run is exact.
//!
//! ```ron
//! events: [
//!     (name: "cut_in", actor: "vehicle:0", trigger: EgoDistance(below: 25.0),
//!      action: CutIn(duration: 2.0)),
//!     (name: "brake", actor: "vehicle:1", trigger: Time(3.0), action: Brake(decel: 6.0)),
//!     (name: "go", actor: "vehicle:1", trigger: After(event: "brake", delay: 1.0),
//!      action: Accelerate(accel: 2.0, speed: 12.0)),
//!     (name: "jaywalk", actor: "pedestrian:0", trigger: EgoTtc(below: 3.0),
//!      action: StartCrossing(speed: 1.5)),
//! ]
//! ```

use serde::{Deserialize, Serialize};

use crate::load::Problem;
use crate::model::{Block, BlockPlan, Scenario};
use crate::param::Flag;
use crate::placement::ActorKind;
use crate::shape::Seg;

/// Most events one scenario may script.
pub const MAX_EVENTS: usize = 64;

/// One scripted event: `actor` performs `action` once `trigger` holds.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct EventSpec {
    /// Unique; labels and `After` triggers refer to it.
    pub name: String,
    /// `"ego"`, `"vehicle:N"`, `"pedestrian:N"`, `"parked:N"` (the N-th, from 0, in id
    /// order) or the name of a named actor.
    pub actor: String,
    pub trigger: Trigger,
    pub action: Action,
}

/// When an event starts. Evaluated every simulation step; an event starts once.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub enum Trigger {
    /// At this simulation time (s, counted from the start of the warm-up).
    Time(f64),
    /// When the ego's centre comes within `below` metres of the actor's centre (or of
    /// the nearest place of kind `to` ahead of it).
    EgoDistance {
        below: f64,
        #[serde(default)]
        to: Target,
    },
    /// When the ego would reach the actor's position (or the nearest place of kind
    /// `to` ahead) along its heading within `below` seconds: longitudinal gap over
    /// closing speed, lateral offset ignored, as in NCAP's time to collision with a
    /// crossing pedestrian.
    EgoTtc {
        below: f64,
        #[serde(default)]
        to: Target,
    },
    /// `delay` seconds after another event started.
    After {
        event: String,
        #[serde(default)]
        delay: f64,
    },
}

/// What a distance or time-to-collision trigger measures the ego against.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
pub enum Target {
    /// The event's actor.
    #[default]
    Actor,
    /// The centre of the nearest junction (intersection or roundabout) ahead.
    Junction,
    /// The centre of the nearest crosswalk ahead.
    Crosswalk,
}

/// Left or right, seen in the actor's direction of travel.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
pub enum Side {
    Left,
    Right,
}

/// What the actor does once its event starts.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub enum Action {
    /// Move to the adjacent lane of the same road on `direction` over `duration` s.
    LaneChange { direction: Side, duration: f64 },
    /// Change into the ego's lane (whichever side it is on) over `duration` s.
    CutIn { duration: f64 },
    /// Brake at `decel` m/s² until standing, then stay.
    Brake { decel: f64 },
    /// Accelerate at `accel` m/s² up to `speed` m/s, then keep that speed.
    Accelerate { accel: f64, speed: f64 },
    /// A pedestrian (standing until then) walks straight across the nearest road.
    StartCrossing { speed: f64 },
    /// Ignore red and amber lights from now on.
    RunRedLight,
    /// Pull over to the kerb and brake to a stop at `decel` m/s².
    StopAtKerb { decel: f64 },
}

impl Action {
    pub fn name(&self) -> &'static str {
        match self {
            Action::LaneChange { .. } => "LaneChange",
            Action::CutIn { .. } => "CutIn",
            Action::Brake { .. } => "Brake",
            Action::Accelerate { .. } => "Accelerate",
            Action::StartCrossing { .. } => "StartCrossing",
            Action::RunRedLight => "RunRedLight",
            Action::StopAtKerb { .. } => "StopAtKerb",
        }
    }

    fn for_pedestrians(&self) -> bool {
        matches!(self, Action::StartCrossing { .. })
    }
}

/// Who an event's `actor` string refers to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ActorRef {
    Ego,
    /// The N-th moving vehicle besides the ego, in id order.
    Vehicle(u32),
    Pedestrian(u32),
    Parked(u32),
    Named(String),
}

impl ActorRef {
    /// Parses `"ego"`, `"vehicle:N"`, `"pedestrian:N"`, `"parked:N"`; anything else is a
    /// name. `None` for a role with a bad index.
    pub fn parse(text: &str) -> Option<ActorRef> {
        if text == "ego" {
            return Some(ActorRef::Ego);
        }
        let Some((role, n)) = text.split_once(':') else {
            return Some(ActorRef::Named(text.to_string()));
        };
        let index = n.trim().parse::<u32>().ok();
        match role {
            "vehicle" => index.map(ActorRef::Vehicle),
            "pedestrian" => index.map(ActorRef::Pedestrian),
            "parked" => index.map(ActorRef::Parked),
            _ => Some(ActorRef::Named(text.to_string())),
        }
    }

    fn is_vehicle(&self) -> bool {
        matches!(self, ActorRef::Ego | ActorRef::Vehicle(_))
    }
}

/// Names of the scenario's named actors (events may refer to them).
///
/// A single named actor is its name; `count` members and groups are `name/0`, ...
pub fn declared_actor_names(s: &Scenario) -> Vec<String> {
    crate::placement::declared_names(s)
}

const ACTOR_HINT: &str = "use \"ego\", \"vehicle:N\", \"pedestrian:N\", \"parked:N\" (the N-th from 0) or the name of a named actor";

fn at(i: usize, more: &[&str]) -> Vec<Seg> {
    let mut path = vec![Seg::field("events"), Seg::Index(i)];
    path.extend(more.iter().map(|m| Seg::field(m)));
    path
}

fn problem(path: Vec<Seg>, message: String, hint: &str) -> Problem {
    Problem {
        path,
        message,
        hint: Some(hint.to_string()),
        fallback: None,
    }
}

/// A number that must lie in `[lo, hi]`.
fn bounded(
    out: &mut Vec<Problem>,
    path: Vec<Seg>,
    what: &str,
    v: f64,
    range: (f64, f64),
    hint: &str,
) {
    let (lo, hi) = range;
    if !(v.is_finite() && v >= lo && v <= hi) {
        out.push(problem(
            path,
            format!("{what} is {v}; it must be within [{lo}, {hi}]"),
            hint,
        ));
    }
}

/// Every problem in the scenario's `events`, each with the path of the offending field.
pub fn validate(s: &Scenario) -> Vec<Problem> {
    let mut out = Vec::new();
    let events = &s.events;
    if events.len() > MAX_EVENTS {
        out.push(problem(
            vec![Seg::field("events")],
            format!("{} events; at most {MAX_EVENTS} are allowed", events.len()),
            "split the scenario into several",
        ));
    }
    let names = declared_actor_names(s);
    for (i, e) in events.iter().enumerate() {
        if e.name.trim().is_empty() {
            out.push(problem(
                at(i, &["name"]),
                "an event's `name` is empty".into(),
                "name it; labels and After triggers refer to events by name",
            ));
        } else if events[..i].iter().any(|o| o.name == e.name) {
            out.push(problem(
                at(i, &["name"]),
                format!("event name `{}` is used twice", e.name),
                "every event needs its own name",
            ));
        }
        check_actor(&mut out, s, &names, i, e);
        check_trigger(&mut out, events, i, e);
        check_target(&mut out, s, i, e);
        check_action(&mut out, i, &e.action);
    }
    check_cycles(&mut out, events);
    out
}

fn check_actor(out: &mut Vec<Problem>, s: &Scenario, names: &[String], i: usize, e: &EventSpec) {
    let path = at(i, &["actor"]);
    let Some(actor) = ActorRef::parse(&e.actor) else {
        out.push(problem(
            path,
            format!("actor `{}` has no valid index", e.actor),
            ACTOR_HINT,
        ));
        return;
    };
    let (count, role) = match &actor {
        ActorRef::Vehicle(n) => (
            Some((*n, s.traffic.vehicles.bounds().1)),
            "traffic.vehicles",
        ),
        ActorRef::Pedestrian(n) => (
            Some((*n, s.pedestrians.count.bounds().1)),
            "pedestrians.count",
        ),
        ActorRef::Parked(n) => (Some((*n, s.traffic.parked.bounds().1)), "traffic.parked"),
        _ => (None, ""),
    };
    if let Some((n, max)) = count
        && f64::from(n) + 1.0 > max.round()
    {
        out.push(problem(
            path.clone(),
            format!(
                "actor `{}` cannot exist: `{role}` is at most {}",
                e.actor,
                max.round()
            ),
            &if max.round() < 1.0 {
                format!("the scene has none: raise `{role}` above 0, or name another actor")
            } else {
                format!(
                    "actors are counted from 0: the last possible one is `{}:{}`",
                    e.actor.split(':').next().unwrap_or(""),
                    max.round() - 1.0
                )
            },
        ));
    }
    if let ActorRef::Named(name) = &actor
        && !names.contains(name)
    {
        // A group or counted entry names its members `name/0`, `name/1`, ...
        let group = s.actors.iter().find(|a| a.name == *name && a.members() > 1);
        match group {
            Some(a) => out.push(problem(
                path.clone(),
                format!(
                    "`{name}` names {} actors, and an event acts on one",
                    a.members()
                ),
                &format!(
                    "name one member: \"{name}/0\" to \"{name}/{}\"",
                    a.members() - 1
                ),
            )),
            None => {
                // `fam/3` of a group of three: say which members there are.
                let (base, _) = name.split_once('/').unwrap_or((name, ""));
                let members = s
                    .actors
                    .iter()
                    .find(|a| a.name == base && a.members() > 1)
                    .map(|a| a.members());
                let hint = match members {
                    Some(n) => format!(
                        "`{base}` has {n} members, \"{base}/0\" to \"{base}/{}\"",
                        n - 1
                    ),
                    None => ACTOR_HINT.to_string(),
                };
                out.push(problem(
                    path.clone(),
                    format!("no actor is named `{name}`"),
                    &hint,
                ))
            }
        }
    }
    // A named actor's kind is written in `actors` (a group's member is `name/k`).
    if let ActorRef::Named(name) = &actor {
        let base = name.split_once('/').map_or(name.as_str(), |(b, _)| b);
        if let Some(named) = s.actors.iter().find(|a| a.name == base) {
            let (fits, is) = match named.class {
                ActorKind::Pedestrian(_) => (e.action.for_pedestrians(), "a pedestrian"),
                ActorKind::Vehicle(_) if named.parked => (false, "a parked vehicle"),
                ActorKind::Vehicle(_) => (!e.action.for_pedestrians(), "a moving vehicle"),
            };
            if !fits {
                let needs = if e.action.for_pedestrians() {
                    "pedestrians"
                } else {
                    "moving vehicles"
                };
                out.push(problem(
                    path.clone(),
                    format!("{} is for {needs}, and `{name}` is {is}", e.action.name()),
                    "give the event an actor of that kind, or change the action",
                ));
            }
        }
    }
    let pedestrian = matches!(actor, ActorRef::Pedestrian(_));
    if e.action.for_pedestrians() && !pedestrian && !matches!(actor, ActorRef::Named(_)) {
        out.push(problem(
            path.clone(),
            format!(
                "{} is for pedestrians, `{}` is not one",
                e.action.name(),
                e.actor
            ),
            "use \"pedestrian:N\" or a named pedestrian",
        ));
    }
    if !e.action.for_pedestrians() && !actor.is_vehicle() && !matches!(actor, ActorRef::Named(_)) {
        out.push(problem(
            path.clone(),
            format!(
                "{} is for moving vehicles, `{}` is not one",
                e.action.name(),
                e.actor
            ),
            "use \"ego\", \"vehicle:N\" or a named moving vehicle",
        ));
    }
    if actor == ActorRef::Ego
        && matches!(
            e.trigger,
            Trigger::EgoDistance {
                to: Target::Actor,
                ..
            } | Trigger::EgoTtc {
                to: Target::Actor,
                ..
            }
        )
    {
        out.push(problem(
            at(i, &["trigger"]),
            "the ego's distance or time to collision to itself is always 0".into(),
            "measure to a place (`to: Junction`, `to: Crosswalk`), or use Time or After",
        ));
    }
}

fn check_trigger(out: &mut Vec<Problem>, events: &[EventSpec], i: usize, e: &EventSpec) {
    match &e.trigger {
        Trigger::Time(t) => bounded(
            out,
            at(i, &["trigger"]),
            "`Time`",
            *t,
            (0.0, 86_400.0),
            "seconds of simulation from the start of the warm-up",
        ),
        Trigger::EgoDistance { below, .. } => bounded(
            out,
            at(i, &["trigger", "below"]),
            "`EgoDistance.below` (m)",
            *below,
            (0.1, 1000.0),
            "the distance between the ego's centre and the actor's, in metres",
        ),
        Trigger::EgoTtc { below, .. } => bounded(
            out,
            at(i, &["trigger", "below"]),
            "`EgoTtc.below` (s)",
            *below,
            (0.1, 60.0),
            "seconds until the ego reaches the actor; Euro NCAP's pedestrian tests use 1 to 4",
        ),
        Trigger::After { event, delay } => {
            bounded(
                out,
                at(i, &["trigger", "delay"]),
                "`After.delay` (s)",
                *delay,
                (0.0, 86_400.0),
                "seconds after the other event started; 0 starts on the same step",
            );
            if *event == e.name {
                out.push(problem(
                    at(i, &["trigger", "event"]),
                    format!("event `{event}` waits for itself"),
                    "name another event",
                ));
            } else if !events.iter().any(|o| o.name == *event) {
                // Each once, in file order (a duplicate name is reported on its own).
                let mut names: Vec<&str> = Vec::new();
                for o in events {
                    if !names.contains(&o.name.as_str()) {
                        names.push(&o.name);
                    }
                }
                out.push(problem(
                    at(i, &["trigger", "event"]),
                    format!("no event is named `{event}`"),
                    &format!("events are: {}", names.join(", ")),
                ));
            }
        }
    }
}

/// A trigger measured to a junction or crosswalk never fires on a map that has none:
/// blocks (in sequence, or drawn at random) without an intersection or roundabout, or
/// crosswalks turned off (`false`, `Bernoulli(0)`).
fn check_target(out: &mut Vec<Problem>, s: &Scenario, i: usize, e: &EventSpec) {
    let (Trigger::EgoDistance { to, .. } | Trigger::EgoTtc { to, .. }) = &e.trigger else {
        return;
    };
    let junction = |b: &Block| matches!(b, Block::Intersection { .. } | Block::Roundabout { .. });
    let junctions = match &s.map.blocks {
        BlockPlan::Sequence(blocks) => blocks.iter().any(junction),
        BlockPlan::Random { weights, .. } => weights.iter().any(|(w, b)| *w > 0.0 && junction(b)),
    };
    let no_crosswalks = matches!(s.map.crosswalks, Flag::Fixed(false))
        || matches!(s.map.crosswalks, Flag::Bernoulli(p) if p <= 0.0);
    let (what, hint) = match to {
        Target::Actor => return,
        Target::Junction if !junctions => (
            "a junction",
            "add an Intersection or Roundabout to map.blocks, or measure to the actor",
        ),
        Target::Crosswalk if !junctions => (
            "a crosswalk",
            "crosswalks are drawn at junctions: add an Intersection or Roundabout to \
             map.blocks, or measure to the actor",
        ),
        Target::Crosswalk if no_crosswalks => (
            "a crosswalk",
            "set map.crosswalks: true, or measure to the actor",
        ),
        _ => return,
    };
    out.push(problem(
        at(i, &["trigger", "to"]),
        format!("this trigger measures to {what}, and the map never has one, so it never fires"),
        hint,
    ));
}

fn check_action(out: &mut Vec<Problem>, i: usize, action: &Action) {
    let p = |field: &str| at(i, &["action", field]);
    match action {
        Action::LaneChange { duration, .. } | Action::CutIn { duration } => bounded(
            out,
            p("duration"),
            "the lane change's `duration` (s)",
            *duration,
            (0.5, 20.0),
            "a brisk cut-in takes about 1.5 s, a relaxed lane change 4 to 6 s",
        ),
        Action::Brake { decel } | Action::StopAtKerb { decel } => bounded(
            out,
            p("decel"),
            "`decel` (m/s²)",
            *decel,
            (0.1, 12.0),
            "comfortable braking is 2 to 3 m/s², an emergency stop 6 to 9 m/s² (12 is the most tyres give)",
        ),
        Action::Accelerate { accel, speed } => {
            bounded(
                out,
                p("accel"),
                "`accel` (m/s²)",
                *accel,
                (0.1, 8.0),
                "brisk cars accelerate at 2 to 4 m/s²",
            );
            bounded(
                out,
                p("speed"),
                "`speed` (m/s)",
                *speed,
                (0.0, 60.0),
                "the speed to reach, in metres per second (50 km/h is 13.9)",
            );
        }
        Action::StartCrossing { speed } => {
            bounded(
                out,
                p("speed"),
                "the crossing `speed` (m/s)",
                *speed,
                (0.1, 4.0),
                "people walk at 1.2 to 1.5 m/s and run at about 3",
            );
        }
        Action::RunRedLight => {}
    }
}

/// `After` chains that loop never start; report each event on a loop once.
fn check_cycles(out: &mut Vec<Problem>, events: &[EventSpec]) {
    let parent = |i: usize| match &events[i].trigger {
        Trigger::After { event, .. } => events.iter().position(|o| o.name == *event),
        _ => None,
    };
    for start in 0..events.len() {
        let mut chain = vec![start];
        let mut cur = start;
        while let Some(next) = parent(cur) {
            if next == start {
                if chain.len() > 1 && chain.iter().all(|c| *c >= start) {
                    let names: Vec<&str> = chain.iter().map(|c| events[*c].name.as_str()).collect();
                    out.push(problem(
                        at(start, &["trigger"]),
                        format!(
                            "After triggers form a loop: {} -> {}",
                            names.join(" -> "),
                            events[start].name
                        ),
                        "start one event of the loop with Time, EgoDistance or EgoTtc",
                    ));
                }
                break;
            }
            if chain.contains(&next) || chain.len() > events.len() {
                break;
            }
            chain.push(next);
            cur = next;
        }
    }
}
