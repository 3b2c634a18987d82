//! Why a scene could not be planned.

use std::fmt;

use drivegen_scenario::Scenario;
use drivegen_scenario::shape::Seg;

/// A placement rule, named as in the scenario's `rules` section.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Rule {
    VehiclesOnLanes,
    MinVehicleGap,
    NoOverlap,
    KeepJunctionsClear,
    PedestriansOnWalkways,
    /// A named actor's distance runs past the end of the road network (or its start).
    PastRoadEnd,
    /// A named actor's lane relation (`Adjacent`, `Opposite`, `Kerb`, or the lane
    /// ahead/behind) does not exist where its distance lands.
    LaneRelation,
    /// A named actor is outside the camera's image or hidden from it.
    VisibleFrom,
    /// The line from the camera to a named actor misses the actor meant to hide it.
    OccludedBy,
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Rule::VehiclesOnLanes => "vehicles_on_lanes (lane long enough for the vehicle)",
            Rule::MinVehicleGap => "min_vehicle_gap",
            Rule::NoOverlap => "no_overlap (min_clearance)",
            Rule::KeepJunctionsClear => "keep_junctions_clear",
            Rule::PedestriansOnWalkways => "pedestrians_on_walkways",
            Rule::PastRoadEnd => "on the road (the distance ends past the road's end)",
            Rule::LaneRelation => "lane (the lane asked for exists there)",
            Rule::VisibleFrom => "visible_from (in the camera's image, not hidden)",
            Rule::OccludedBy => "occluded_by (the named actor hides its centre)",
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("{}", no_such_variant(*variant, *variants))]
    NoSuchVariant { variant: u32, variants: u32 },
    #[error(
        "map block {block} ({kind}) overlaps the road network in all {attempts} draws (the last one ran into block {} ({}))\n  = hint: {}",
        with.0,
        with.1,
        overlap_hint(*block, kind, *with)
    )]
    MapOverlap {
        block: usize,
        kind: &'static str,
        attempts: usize,
        /// The earlier block (index, kind) the last draw overlapped.
        with: (usize, &'static str),
    },
    #[error("{}", unsatisfiable(&what.to_string(), *attempts, failures))]
    RulesUnsatisfiable {
        what: Subject,
        attempts: u32,
        failures: Vec<(Rule, u32)>,
    },
    #[error("cannot place {what}: {reason}\n  = hint: {hint}")]
    NoRoom {
        what: Subject,
        reason: String,
        hint: String,
    },
    #[error(
        "instance ids out of range: {0}\n  = hint: lower the count; ids must stay in their ranges of the 16-bit instance images"
    )]
    Ids(#[from] crate::types::ids::IdOverflow),
    #[error("cannot write {path}: {source}")]
    Write {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot encode the map image {path}: {source}")]
    Image {
        path: std::path::PathBuf,
        #[source]
        source: image::ImageError,
    },
}

fn no_such_variant(variant: u32, variants: u32) -> String {
    let has = if variants == 1 {
        "one variant, 0".to_string()
    } else {
        format!("{variants} variants, 0 to {}", variants - 1)
    };
    format!("variant {variant} does not exist: the scenario has {has}")
}

fn unsatisfiable(what: &str, attempts: u32, failures: &[(Rule, u32)]) -> String {
    let mut sorted = failures.to_vec();
    sorted.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let list: Vec<String> = sorted
        .iter()
        .map(|(rule, n)| format!("{rule} failed {n} times"))
        .collect();
    // A named actor's own relation failing most is fixed in the relation, not in `rules`.
    let relation = matches!(
        sorted.first(),
        Some((Rule::LaneRelation | Rule::VisibleFrom | Rule::OccludedBy, _))
    );
    let past_end = matches!(sorted.first(), Some((Rule::PastRoadEnd, _)));
    let hint = if past_end {
        "shorten the distance, lengthen the map, or move what it is measured from (the ego's `start_offset`)"
    } else if relation {
        "widen the relation's distance or lateral range, check that the lane or place exists there, or relax visible_from / occluded_by"
    } else {
        "lower the actor count, lengthen the map, or relax the failing rule in `rules`"
    };
    format!(
        "rules cannot be satisfied: could not place {what} in {attempts} attempts: {}\n  = hint: {hint}",
        list.join(", ")
    )
}

/// What could not be placed: named as the message says it, and tied to the scenario
/// field that asked for it, so an error can point at that line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Subject {
    Ego,
    /// The `index`-th (from 1) of `count` traffic vehicles.
    Vehicle {
        index: u32,
        count: u32,
    },
    /// The `index`-th (from 1) of `count` vehicles of `traffic.populations[population]`.
    PopulationVehicle {
        population: usize,
        class: String,
        index: u32,
        count: u32,
    },
    /// The `index`-th (from 1) of `count` parked vehicles.
    Parked {
        index: u32,
        count: u32,
    },
    /// The `index`-th (from 1) of `count` pedestrians.
    Pedestrian {
        index: u32,
        count: u32,
    },
    /// All `count` pedestrians (there is nowhere to put any).
    Pedestrians {
        count: u32,
    },
    /// A named actor (`member` is the group member's name, `name/k`, for a group),
    /// with its relation when the relation is what failed.
    NamedActor {
        name: String,
        member: String,
        relation: Option<String>,
    },
    Event(String),
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Subject::Ego => f.write_str("the ego"),
            Subject::Vehicle { index, count } => write!(f, "vehicle {index} of {count}"),
            Subject::PopulationVehicle {
                population,
                class,
                index,
                count,
            } => write!(
                f,
                "{class} {index} of {count} (traffic.populations[{population}])"
            ),
            Subject::Parked { index, count } => write!(f, "parked vehicle {index} of {count}"),
            Subject::Pedestrian { index, count } => write!(f, "pedestrian {index} of {count}"),
            Subject::Pedestrians { count } => write!(f, "{count} pedestrians"),
            Subject::NamedActor {
                member, relation, ..
            } => match relation {
                Some(r) => write!(f, "named actor `{member}` ({r})"),
                None => write!(f, "named actor `{member}`"),
            },
            Subject::Event(name) => write!(f, "event `{name}`"),
        }
    }
}

impl Subject {
    /// A named actor by the name it carries in the plan (`name`, or `name/k` for the
    /// `k`-th member of a group).
    pub fn named(member: &str, relation: Option<String>) -> Subject {
        let name = match member.rsplit_once('/') {
            Some((base, k)) if !k.is_empty() && k.bytes().all(|b| b.is_ascii_digit()) => base,
            _ => member,
        };
        Subject::NamedActor {
            name: name.to_string(),
            member: member.to_string(),
            relation,
        }
    }

    /// The field of `s` that asked for this subject, as a path into the scenario file.
    pub fn scenario_field(&self, s: &Scenario) -> Vec<Seg> {
        let field = |names: &[&str]| names.iter().map(|n| Seg::field(n)).collect();
        match self {
            Subject::Ego => field(&["ego"]),
            Subject::Vehicle { .. } => field(&["traffic", "vehicles"]),
            Subject::PopulationVehicle { population, .. } => vec![
                Seg::field("traffic"),
                Seg::field("populations"),
                Seg::Index(*population),
                Seg::field("count"),
            ],
            Subject::Parked { .. } => field(&["traffic", "parked"]),
            Subject::Pedestrian { .. } | Subject::Pedestrians { .. } => {
                field(&["pedestrians", "count"])
            }
            Subject::NamedActor { name, .. } => match s.actors.iter().position(|a| a.name == *name)
            {
                Some(i) => vec![Seg::field("actors"), Seg::Index(i)],
                None => field(&["actors"]),
            },
            Subject::Event(name) => match s.events.iter().position(|e| e.name == *name) {
                Some(i) => vec![Seg::field("events"), Seg::Index(i)],
                None => field(&["events"]),
            },
        }
    }
}

impl PlanError {
    /// The scenario field this error is about, as a path into the scenario file (for
    /// `file:line:col`); `None` when it is not about one field (an I/O failure).
    pub fn scenario_field(&self, s: &Scenario) -> Option<Vec<Seg>> {
        match self {
            PlanError::NoSuchVariant { .. } => Some(vec![Seg::field("variants")]),
            PlanError::MapOverlap { block, .. } => Some(match s.map.blocks {
                drivegen_scenario::BlockPlan::Sequence(_) => {
                    vec![Seg::field("map"), Seg::field("blocks"), Seg::Index(*block)]
                }
                drivegen_scenario::BlockPlan::Random { .. } => {
                    vec![Seg::field("map"), Seg::field("blocks")]
                }
            }),
            PlanError::RulesUnsatisfiable { what, .. } | PlanError::NoRoom { what, .. } => {
                Some(what.scenario_field(s))
            }
            PlanError::Ids(_) => None,
            PlanError::Write { .. } | PlanError::Image { .. } => None,
        }
    }

    /// The message and its hint apart (the `Display` form joins them with
    /// `\n  = hint: `), for callers that print the hint under a source excerpt.
    pub fn message_and_hint(&self) -> (String, Option<String>) {
        let text = self.to_string();
        match text.split_once("\n  = hint: ") {
            Some((message, hint)) => (message.to_string(), Some(hint.to_string())),
            None => (text, None),
        }
    }
}

/// What to change when block `block` (a `kind`) overlaps the earlier block `with`.
fn overlap_hint(block: usize, kind: &str, with: (usize, &str)) -> &'static str {
    if with.1 == "OffRamp" && with.0 < block && kind == "OnRamp" {
        "an exit ramp runs on beside the road for 30 m past its block and an entry ramp \
         comes in from 30 m before its own, both 25 m out on the right: put a Straight of \
         70 m or more between them"
    } else if with.1 == "OffRamp" && with.0 < block {
        "an exit ramp runs on beside the road for 30 m past its block and 25 m out: put a \
         Straight of 60 m or more between it and the next junction or turn"
    } else if kind == "OnRamp" {
        "an entry ramp comes in beside the road from 30 m before its block, 25 m out on the \
         right: put a Straight of 60 m or more between the junction, turn or ramp before it \
         and the ramp"
    } else {
        "widen the block's distributions, reorder the blocks, or use fewer blocks"
    }
}
