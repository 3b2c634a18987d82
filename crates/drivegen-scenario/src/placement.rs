//! Named actors placed relative to something, and per-class traffic populations.
//!
//! Scenic-like relations written as data: an actor (or a group) is placed ahead of,
//! behind, beside or near the ego, an earlier named actor or a place (junction,
//! roundabout, crosswalk, ramp), optionally on the same, adjacent or opposite lane, and
//! optionally required to be visible from a camera or hidden behind another named actor.
//! The planner enforces all of it by rejection sampling; validation
//! (`validate::placement`) checks names and references before anything is planned.

use serde::{Deserialize, Serialize};

use crate::model::{IdmSpec, VehicleClass};
use crate::param::{Categorical, Param, Weighted};

/// Most named-actor entries in one scenario.
pub const MAX_NAMED_ACTORS: usize = 64;
/// Most members of one entry (`count`) or one pedestrian group.
pub const MAX_MEMBERS: u32 = 16;

/// One named actor, or `count` members placed by the same rule (`name/0`, `name/1`, ...).
///
/// RON: `(name: "van", class: Vehicle(Van), parked: true, place: Ahead(of: Ego,
/// distance: Uniform(12, 18), lane: Kerb))`.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct NamedActor {
    /// Referred to by later actors (`Actor("van")`, `occluded_by: "van"`) and kept in
    /// the plan (`Actor::name`).
    pub name: String,
    pub class: ActorKind,
    pub place: Place,
    /// Members placed independently by the same rule.
    #[serde(default = "one")]
    pub count: u32,
    /// Vehicles only: stands still (at the kerb with `lane: Kerb`).
    #[serde(default)]
    pub parked: bool,
    /// Moving vehicles: fraction of the lane's speed limit; omitted means
    /// `traffic.speed_factor`.
    #[serde(default)]
    pub speed_factor: Option<Param>,
    /// Pedestrians: m/s along `heading`; 0 (the default) stands still.
    #[serde(default)]
    pub walking_speed: Param,
    /// Pedestrians: degrees left of the reference's heading (90 faces its left side).
    #[serde(default)]
    pub heading: Param,
    /// The actor must be (at least partly) visible from this camera at the start.
    #[serde(default)]
    pub visible_from: Option<String>,
    /// The line from the camera (`visible_from`'s, else the first) to the actor's centre
    /// must cross this earlier named actor's box.
    #[serde(default)]
    pub occluded_by: Option<String>,
}

fn one() -> u32 {
    1
}

/// What a named actor is.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
pub enum ActorKind {
    Vehicle(VehicleClass),
    Pedestrian(PedestrianKind),
}

/// A pedestrian's build. A child is 1.1 – 1.3 m tall; a group is `n` adults side by
/// side, placed as one unit (named actors only).
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PedestrianKind {
    Adult,
    Child,
    Group(u32),
}

impl PedestrianKind {
    /// Heights (m) a member of this kind is drawn between.
    pub fn height_range(self) -> (f64, f64) {
        match self {
            PedestrianKind::Child => (1.1, 1.3),
            PedestrianKind::Adult | PedestrianKind::Group(_) => (1.55, 1.9),
        }
    }
}

/// Whether `pedestrians.kinds` is the default (adults only), which is not written out.
pub fn adults_only(kinds: &Weighted<PedestrianKind>) -> bool {
    kinds.values().all(|k| *k == PedestrianKind::Adult)
}

impl Categorical for PedestrianKind {
    const KIND: &'static str = "pedestrian kind";
    const NAMES: &'static [&'static str] = &["Adult", "Child", "Group"];
}

/// What a placement is measured from.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
pub enum Anchor {
    /// The ego at its start, facing along its lane.
    Ego,
    /// An actor named earlier in `actors` (its first member).
    Actor(String),
    /// The stop line of the route's approach to the n-th intersection (from 0, in route
    /// order), facing into it.
    Junction(u32),
    /// As `Junction`, for the n-th roundabout.
    Roundabout(u32),
    /// The centre of crosswalk n (plan id), facing along the approach lane it crosses.
    Crosswalk(u32),
    /// The start of the n-th ramp lane, facing along it.
    Ramp(u32),
}

/// Which lane a vehicle placed ahead or behind takes, relative to the reference's lane.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
pub enum LaneRelation {
    Same,
    /// A neighbouring lane in the same direction (drawn when there are two).
    Adjacent,
    /// A lane of the same road in the other direction.
    Opposite,
    /// The lane beside the kerb in the reference's direction; a parked vehicle stands
    /// against the kerb.
    Kerb,
}

/// Where a named actor goes. Distances are between centres, in metres.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub enum Place {
    /// `distance` along the reference's lane (vehicles) or heading (pedestrians).
    Ahead {
        of: Anchor,
        distance: Param,
        /// Vehicles only; omitted means `Same`.
        #[serde(default)]
        lane: Option<LaneRelation>,
        /// Metres to the left of the lane centre (or heading line); parked vehicles and
        /// pedestrians only.
        #[serde(default)]
        lateral: Param,
    },
    Behind {
        of: Anchor,
        distance: Param,
        #[serde(default)]
        lane: Option<LaneRelation>,
        #[serde(default)]
        lateral: Param,
    },
    /// `distance` to the reference's left, `along` its heading; a vehicle takes the
    /// driving lane there.
    Left {
        of: Anchor,
        distance: Param,
        #[serde(default)]
        along: Param,
    },
    Right {
        of: Anchor,
        distance: Param,
        #[serde(default)]
        along: Param,
    },
    /// Anywhere within `within` metres: on a driving lane for vehicles, on a walkway for
    /// pedestrians.
    Near { of: Anchor, within: Param },
}

/// What a [`Place`] asks for, with `Ahead`/`Behind` and `Left`/`Right` folded into one
/// case each and a sign: +1 ahead or to the left, -1 behind or to the right. Validation
/// and the planner read a placement's fields through it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Relation<'a> {
    /// `distance` along the reference (`sign` * `distance`), `lateral` to its left.
    Along {
        sign: f64,
        distance: &'a Param,
        lane: Option<LaneRelation>,
        lateral: &'a Param,
    },
    /// `distance` to the reference's side (`sign` * `distance` to its left), `along` its
    /// heading.
    Beside {
        sign: f64,
        distance: &'a Param,
        along: &'a Param,
    },
    Near {
        within: &'a Param,
    },
}

impl Place {
    pub fn relation(&self) -> Relation<'_> {
        match self {
            Place::Ahead {
                distance,
                lane,
                lateral,
                ..
            } => Relation::Along {
                sign: 1.0,
                distance,
                lane: *lane,
                lateral,
            },
            Place::Behind {
                distance,
                lane,
                lateral,
                ..
            } => Relation::Along {
                sign: -1.0,
                distance,
                lane: *lane,
                lateral,
            },
            Place::Left {
                distance, along, ..
            } => Relation::Beside {
                sign: 1.0,
                distance,
                along,
            },
            Place::Right {
                distance, along, ..
            } => Relation::Beside {
                sign: -1.0,
                distance,
                along,
            },
            Place::Near { within, .. } => Relation::Near { within },
        }
    }

    pub fn anchor(&self) -> &Anchor {
        match self {
            Place::Ahead { of, .. }
            | Place::Behind { of, .. }
            | Place::Left { of, .. }
            | Place::Right { of, .. }
            | Place::Near { of, .. } => of,
        }
    }

    pub fn kind_name(&self) -> &'static str {
        match self {
            Place::Ahead { .. } => "Ahead",
            Place::Behind { .. } => "Behind",
            Place::Left { .. } => "Left",
            Place::Right { .. } => "Right",
            Place::Near { .. } => "Near",
        }
    }
}

/// Exactly `count` extra moving vehicles of one class, with their own behaviour.
///
/// RON: `(class: Bus, count: 2, speed_factor: 0.8, idm: (time_headway: 2.5))`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Population {
    pub class: VehicleClass,
    pub count: Param,
    /// Omitted means `traffic.speed_factor`.
    #[serde(default)]
    pub speed_factor: Option<Param>,
    /// Omitted means `traffic.idm`; a written section's omitted fields take the IDM
    /// defaults.
    #[serde(default)]
    pub idm: Option<IdmSpec>,
    #[serde(default)]
    pub placement: LanePlacement,
}

/// Which driving lanes a population starts on.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
pub enum LanePlacement {
    /// Any driving lane, by length.
    #[default]
    AnyLane,
    /// The lane beside the kerb (the rightmost of each direction): cyclists, buses.
    Kerb,
}

impl NamedActor {
    /// Members a pedestrian group or `count` puts in the plan.
    pub fn members(&self) -> u32 {
        let group = match self.class {
            ActorKind::Pedestrian(PedestrianKind::Group(n)) => n.max(1),
            _ => 1,
        };
        self.count.max(1) * group
    }

    /// The names its members carry in the plan: the name itself for a single actor,
    /// `name/0`, `name/1`, ... for several.
    pub fn member_names(&self) -> Vec<String> {
        match self.members() {
            1 => vec![self.name.clone()],
            n => (0..n).map(|k| format!("{}/{k}", self.name)).collect(),
        }
    }
}

/// Every name a scenario's named actors carry in the plan, in declaration order.
pub fn declared_names(s: &crate::Scenario) -> Vec<String> {
    s.actors.iter().flat_map(NamedActor::member_names).collect()
}

/// The entry a plan name (`van`, or `cyclists/2` for a member) comes from, so other
/// checks (events) can ask whether it is a pedestrian, a moving or a parked vehicle.
pub fn entry_of<'s>(s: &'s crate::Scenario, name: &str) -> Option<&'s NamedActor> {
    s.actors
        .iter()
        .find(|a| a.member_names().iter().any(|n| n == name))
}
