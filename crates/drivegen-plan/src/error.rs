//! Why a scene could not be planned.

use std::fmt;

/// A placement rule, named as in the scenario's `rules` section.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Rule {
    VehiclesOnLanes,
    MinVehicleGap,
    NoOverlap,
    KeepJunctionsClear,
    PedestriansOnWalkways,
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
            Rule::LaneRelation => "lane (the lane asked for exists there)",
            Rule::VisibleFrom => "visible_from (in the camera's image, not hidden)",
            Rule::OccludedBy => "occluded_by (the named actor hides its centre)",
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error(
        "variant {variant} does not exist: the scenario has {variants} variants (0..{variants})"
    )]
    NoSuchVariant { variant: u32, variants: u32 },
    #[error(
        "map block {block} ({kind}) overlaps the road network in all {attempts} draws (the last one ran into block {} ({}))\n  = hint: widen the block's distributions, reorder the blocks, or use fewer blocks",
        with.0,
        with.1
    )]
    MapOverlap {
        block: usize,
        kind: &'static str,
        attempts: usize,
        /// The earlier block (index, kind) the last draw overlapped.
        with: (usize, &'static str),
    },
    #[error("{}", unsatisfiable(what, *attempts, failures))]
    RulesUnsatisfiable {
        what: String,
        attempts: u32,
        failures: Vec<(Rule, u32)>,
    },
    #[error("cannot place {what}: {reason}\n  = hint: {hint}")]
    NoRoom {
        what: String,
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
    let hint = if relation {
        "widen the relation's distance or lateral range, check that the lane or place exists there, or relax visible_from / occluded_by"
    } else {
        "lower the actor count, lengthen the map, or relax the failing rule in `rules`"
    };
    format!(
        "rules cannot be satisfied: could not place {what} in {attempts} attempts: {}\n  = hint: {hint}",
        list.join(", ")
    )
}
