//! Coverage designs for `variants`: besides a count of i.i.d. draws, a scenario may ask
//! that its variants *cover* named parameters, as a full grid (`Grid`) or a Sobol
//! low-discrepancy sequence (`Sobol`).
//!
//! A covered variant is the base scenario with a few named parameters set to constants
//! (the variant's *cell*); everything else is still drawn from the variant's own seeded
//! streams, so the planner needs no new randomness and a `variants: N` scenario plans
//! exactly as before. Values are held to the same caps as the fields they replace: a
//! grid value is checked by validating the scenario with that value written in.

use serde::ser::SerializeStructVariant;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::model::Scenario;
use crate::param::{Flag, Param};

mod check;
mod sobol;

pub(crate) use check::check;
pub use sobol::sobol;

/// Most axes a design may have (the Sobol generator's dimensions).
pub const MAX_AXES: usize = 8;
/// Most values one grid axis may list.
pub const MAX_GRID_VALUES: usize = 1000;

/// `variants`: how many scenes to sample, and how.
#[derive(Clone, Debug, PartialEq)]
pub enum Variants {
    /// `variants: 8`: eight i.i.d. draws of the whole family.
    Count(u32),
    /// Every combination of the axes' values (last axis fastest), `repeat` times over.
    Grid {
        axes: Vec<(String, Vec<f64>)>,
        repeat: u32,
    },
    /// `count` points of a Sobol sequence over the axes' `(lo, hi)` ranges.
    Sobol {
        count: u32,
        axes: Vec<(String, (f64, f64))>,
    },
}

impl Default for Variants {
    fn default() -> Self {
        Variants::Count(1)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
enum RawDesign {
    Grid {
        axes: Vec<(String, Vec<f64>)>,
        #[serde(default = "one")]
        repeat: u32,
    },
    Sobol {
        count: u32,
        axes: Vec<(String, (f64, f64))>,
    },
}

fn one() -> u32 {
    1
}

impl<'de> Deserialize<'de> for Variants {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(
            untagged,
            expecting = "`variants` must be a count (e.g. 8), Grid(axes: [(\"parameter\", \
                         [values]), ...], repeat: n) or Sobol(count: n, axes: [(\"parameter\", \
                         (lo, hi)), ...]); see scenarios/REFERENCE.md"
        )]
        enum Raw {
            Count(u32),
            Design(RawDesign),
        }
        Ok(match Raw::deserialize(d)? {
            Raw::Count(n) => Variants::Count(n),
            Raw::Design(RawDesign::Grid { axes, repeat }) => Variants::Grid { axes, repeat },
            Raw::Design(RawDesign::Sobol { count, axes }) => Variants::Sobol { count, axes },
        })
    }
}

/// Written as it is read: a count as a plain number, a design by its name.
impl Serialize for Variants {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Variants::Count(n) => s.serialize_u32(*n),
            Variants::Grid { axes, repeat } => {
                let mut v = s.serialize_struct_variant("Variants", 1, "Grid", 2)?;
                v.serialize_field("axes", axes)?;
                v.serialize_field("repeat", repeat)?;
                v.end()
            }
            Variants::Sobol { count, axes } => {
                let mut v = s.serialize_struct_variant("Variants", 2, "Sobol", 2)?;
                v.serialize_field("count", count)?;
                v.serialize_field("axes", axes)?;
                v.end()
            }
        }
    }
}

impl Variants {
    /// How many variants the design has (saturating at `u32::MAX`; validation caps it).
    pub fn count(&self) -> u32 {
        match self {
            Variants::Count(n) => *n,
            Variants::Grid { axes, repeat } => {
                u32::try_from(grid_cells(axes).saturating_mul(u64::from(*repeat)))
                    .unwrap_or(u32::MAX)
            }
            Variants::Sobol { count, .. } => *count,
        }
    }

    /// The named parameters variant `variant` fixes, in axis order (empty for a count).
    pub fn cell(&self, variant: u32) -> Vec<(String, f64)> {
        match self {
            Variants::Count(_) => Vec::new(),
            Variants::Grid { axes, .. } => {
                let cells = axes.iter().map(|(_, v)| v.len() as u64).product::<u64>();
                if cells == 0 {
                    return Vec::new();
                }
                // Every cell once before any repeats, so a partial render still covers.
                let mut rest = u64::from(variant) % cells;
                let mut out: Vec<(String, f64)> = Vec::with_capacity(axes.len());
                for (name, values) in axes.iter().rev() {
                    let n = values.len() as u64;
                    out.push((name.clone(), values[(rest % n) as usize]));
                    rest /= n;
                }
                out.reverse();
                out
            }
            Variants::Sobol { count, axes } => {
                // Midpoints of the sequence's strata: the first 2^k points put one value
                // in each of 2^k equal slices of every axis, centred, so the ends are
                // approached from inside rather than `lo` hit by the all-zero point.
                let strata = f64::from(count.next_power_of_two().max(1));
                axes.iter()
                    .enumerate()
                    .map(|(dim, (name, (lo, hi)))| {
                        let u = sobol(variant, dim) + 0.5 / strata;
                        let v = if is_integer(name) {
                            (lo + u * (hi - lo + 1.0)).floor().min(*hi)
                        } else {
                            lo + u * (hi - lo)
                        };
                        (name.clone(), v)
                    })
                    .collect()
            }
        }
    }

    fn axis_names(&self) -> Vec<&str> {
        match self {
            Variants::Count(_) => Vec::new(),
            Variants::Grid { axes, .. } => axes.iter().map(|(n, _)| n.as_str()).collect(),
            Variants::Sobol { axes, .. } => axes.iter().map(|(n, _)| n.as_str()).collect(),
        }
    }
}

/// How many cells a grid's axes make (saturating at `u64::MAX`).
fn grid_cells(axes: &[(String, Vec<f64>)]) -> u64 {
    axes.iter()
        .fold(1u64, |acc, (_, v)| acc.saturating_mul(v.len() as u64))
}

impl Scenario {
    /// How many variants the scenario has (the `variants` design's count).
    pub fn variant_count(&self) -> u32 {
        self.coverage.count()
    }

    /// The named parameters `variant` fixes (its coverage cell; empty for i.i.d. draws).
    pub fn coverage_cell(&self, variant: u32) -> Vec<(String, f64)> {
        self.coverage.cell(variant)
    }

    /// The scenario variant `variant` is planned from: this one with its coverage cell
    /// written in as constants. Names are checked by validation; an unknown one (only
    /// possible on an unvalidated scenario) is left out.
    pub fn with_cell(&self, cell: &[(String, f64)]) -> Scenario {
        let mut s = self.clone();
        for (name, value) in cell {
            let _ = set_parameter(&mut s, name, *value);
        }
        s
    }
}

/// Sets `s.variants` from its design (the loader calls it after parsing).
pub(crate) fn derive_count(s: &mut Scenario) {
    s.variants = s.coverage.count();
}

/// The numeric parameters a coverage design may fix, by their path in the file.
pub const PARAMETERS: &[&str] = &[
    "map.lanes_per_direction",
    "map.lane_width",
    "map.shoulder_width",
    "map.sidewalk_width",
    "map.speed_limit",
    "map.crosswalks",
    "map.roadside.buildings",
    "map.roadside.building_height",
    "map.roadside.trees",
    "map.roadside.poles",
    "map.roadside.signs",
    "map.roadside.street_lights",
    "map.roadside.woodland",
    "map.roadside.bins",
    "map.roadside.hydrants",
    "map.roadside.bus_stops",
    "map.roadside.fences",
    "traffic.vehicles",
    "traffic.parked",
    "traffic.speed_factor",
    "traffic.lane_change_eagerness",
    "traffic.idm.time_headway",
    "traffic.idm.min_gap",
    "traffic.idm.max_accel",
    "traffic.idm.comfortable_decel",
    "pedestrians.count",
    "pedestrians.walking_speed",
    "pedestrians.crossing_probability",
    "signals.enabled",
    "signals.green",
    "signals.amber",
    "signals.all_red",
    "signals.offset",
    "environment.time_of_day",
    "environment.sun_elevation",
    "environment.sun_azimuth",
    "environment.cloudiness",
    "environment.rain",
    "environment.fog_density",
    "environment.wet_road",
    "ego.speed_factor",
    "ego.start_offset",
    "ego.lane",
];

/// Parameters whose values are whole numbers: counts, lane indices and yes/no flags
/// (0 = false, 1 = true).
fn is_integer(name: &str) -> bool {
    matches!(
        name,
        "map.lanes_per_direction"
            | "traffic.vehicles"
            | "traffic.parked"
            | "pedestrians.count"
            | "ego.lane"
    ) || is_flag(name)
}

fn is_flag(name: &str) -> bool {
    matches!(
        name,
        "map.crosswalks" | "signals.enabled" | "environment.wet_road"
    )
}

/// Why a named parameter cannot be set.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ParameterError {
    #[error("`{0}` is not a parameter a coverage design can set")]
    Unknown(String),
    #[error("`{name}` is a yes/no flag: use 0 (false) or 1 (true), not {value}")]
    NotAFlag { name: String, value: f64 },
    #[error("`{name}` takes whole numbers; {value} is not one")]
    NotWhole { name: String, value: f64 },
}

/// Writes `value` into the named parameter of `s` as a constant.
pub fn set_parameter(s: &mut Scenario, name: &str, value: f64) -> Result<(), ParameterError> {
    let flag = |v: f64| -> Result<Flag, ParameterError> {
        if v == 0.0 || v == 1.0 {
            Ok(Flag::Fixed(v == 1.0))
        } else {
            Err(ParameterError::NotAFlag {
                name: name.into(),
                value: v,
            })
        }
    };
    if is_integer(name) && !is_flag(name) && value.fract() != 0.0 {
        return Err(ParameterError::NotWhole {
            name: name.into(),
            value,
        });
    }
    let c = Param::Const(value);
    let (m, t, p, e, ego) = (
        &mut s.map,
        &mut s.traffic,
        &mut s.pedestrians,
        &mut s.environment,
        &mut s.ego,
    );
    let slot: &mut Param = match name {
        "map.crosswalks" => {
            m.crosswalks = flag(value)?;
            return Ok(());
        }
        "signals.enabled" => {
            s.signals.enabled = flag(value)?;
            return Ok(());
        }
        "environment.wet_road" => {
            e.wet_road = Some(flag(value)?);
            return Ok(());
        }
        "signals.offset" => s.signals.offset.insert(c.clone()),
        "environment.sun_elevation" => e.sun_elevation.insert(c.clone()),
        "environment.sun_azimuth" => e.sun_azimuth.insert(c.clone()),
        "map.lanes_per_direction" => &mut m.lanes_per_direction,
        "map.lane_width" => &mut m.lane_width,
        "map.shoulder_width" => &mut m.shoulder_width,
        "map.sidewalk_width" => &mut m.sidewalk_width,
        "map.speed_limit" => &mut m.speed_limit,
        "map.roadside.buildings" => &mut m.roadside.buildings,
        "map.roadside.building_height" => &mut m.roadside.building_height,
        "map.roadside.trees" => &mut m.roadside.trees,
        "map.roadside.poles" => &mut m.roadside.poles,
        "map.roadside.signs" => &mut m.roadside.signs,
        "map.roadside.street_lights" => &mut m.roadside.street_lights,
        "map.roadside.woodland" => &mut m.roadside.woodland,
        "map.roadside.bins" => &mut m.roadside.bins,
        "map.roadside.hydrants" => &mut m.roadside.hydrants,
        "map.roadside.bus_stops" => &mut m.roadside.bus_stops,
        "map.roadside.fences" => &mut m.roadside.fences,
        "traffic.vehicles" => &mut t.vehicles,
        "traffic.parked" => &mut t.parked,
        "traffic.speed_factor" => &mut t.speed_factor,
        "traffic.lane_change_eagerness" => &mut t.lane_change_eagerness,
        "traffic.idm.time_headway" => &mut t.idm.time_headway,
        "traffic.idm.min_gap" => &mut t.idm.min_gap,
        "traffic.idm.max_accel" => &mut t.idm.max_accel,
        "traffic.idm.comfortable_decel" => &mut t.idm.comfortable_decel,
        "pedestrians.count" => &mut p.count,
        "pedestrians.walking_speed" => &mut p.walking_speed,
        "pedestrians.crossing_probability" => &mut p.crossing_probability,
        "signals.green" => &mut s.signals.green,
        "signals.amber" => &mut s.signals.amber,
        "signals.all_red" => &mut s.signals.all_red,
        "environment.time_of_day" => &mut e.time_of_day,
        "environment.cloudiness" => &mut e.cloudiness,
        "environment.rain" => &mut e.rain,
        "environment.fog_density" => &mut e.fog_density,
        "ego.speed_factor" => &mut ego.speed_factor,
        "ego.start_offset" => &mut ego.start_offset,
        "ego.lane" => &mut ego.lane,
        _ => return Err(ParameterError::Unknown(name.into())),
    };
    *slot = c;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The scenario `text` loads to, or the loader's message (shared with `check`'s tests).
    pub(super) fn load(text: &str) -> Result<Scenario, String> {
        crate::load_str("cov.ron", text)
            .map(|l| l.scenario)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn a_count_still_parses_and_has_no_cells() {
        let s = load(r#"Scenario(name: "n", seed: 1, variants: 5)"#).expect("valid");
        assert_eq!((s.variants, s.variant_count()), (5, 5));
        assert!(s.coverage_cell(3).is_empty());
        let s = load(r#"Scenario(name: "n", seed: 1)"#).expect("valid");
        assert_eq!(s.variants, 1);
    }

    #[test]
    fn a_grid_covers_every_cell_in_order_then_repeats() {
        let s = load(
            r#"Scenario(name: "g", seed: 1, variants: Grid(axes: [
                ("environment.time_of_day", [7.0, 12.0, 19.0, 23.0]),
                ("environment.rain", [0.0, 0.8])], repeat: 2))"#,
        )
        .expect("valid");
        assert_eq!(s.variants, 16);
        let cells: Vec<Vec<(String, f64)>> = (0..16).map(|v| s.coverage_cell(v)).collect();
        assert_eq!(
            cells[1],
            vec![
                ("environment.time_of_day".to_string(), 7.0),
                ("environment.rain".to_string(), 0.8)
            ],
            "last axis fastest"
        );
        let mut seen: Vec<(u64, u64)> = cells[..8]
            .iter()
            .map(|c| (c[0].1.to_bits(), c[1].1.to_bits()))
            .collect();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(
            seen.len(),
            8,
            "the first 8 variants are the 8 distinct cells"
        );
        assert_eq!(cells[8..], cells[..8], "the repeat covers the same cells");
        let v = s.with_cell(&cells[5]);
        assert_eq!(v.environment.time_of_day, Param::Const(19.0));
        assert_eq!(v.environment.rain, Param::Const(0.8));
    }

    #[test]
    fn sobol_variants_span_their_ranges_and_counts_are_whole() {
        let s = load(
            r#"Scenario(name: "s", seed: 1, variants: Sobol(count: 16, axes: [
                ("environment.time_of_day", (6.0, 20.0)), ("traffic.vehicles", (4, 19))]))"#,
        )
        .expect("valid");
        assert_eq!(s.variants, 16);
        let mut hours: Vec<f64> = (0..16).map(|v| s.coverage_cell(v)[0].1).collect();
        hours.sort_by(f64::total_cmp);
        for (i, h) in hours.iter().enumerate() {
            let want = 6.0 + 14.0 * (i as f64 + 0.5) / 16.0;
            assert!((h - want).abs() < 1e-9, "{h} vs {want}");
        }
        let mut cars: Vec<f64> = (0..16).map(|v| s.coverage_cell(v)[1].1).collect();
        cars.sort_by(f64::total_cmp);
        assert_eq!(cars, (4..20).map(f64::from).collect::<Vec<_>>());
    }

    #[test]
    fn a_design_is_written_as_it_is_read() {
        for text in [
            "8",
            r#"Grid(axes: [("environment.rain", [0.0, 0.5])], repeat: 2)"#,
            r#"Sobol(count: 4, axes: [("traffic.vehicles", (1.0, 9.0))])"#,
        ] {
            let v: Variants = ron::from_str(text).expect("parses");
            let again: Variants =
                ron::from_str(&ron::to_string(&v).expect("writes")).expect("reads back");
            assert_eq!(again, v, "{text}");
        }
        assert_eq!(
            ron::to_string(&Variants::Count(8)).ok().as_deref(),
            Some("8")
        );
    }

    #[test]
    fn every_listed_parameter_can_be_set() {
        let mut s = load(r#"Scenario(name: "n", seed: 1)"#).expect("valid");
        for name in PARAMETERS {
            let v = if is_integer(name) { 1.0 } else { 0.5 };
            assert_eq!(set_parameter(&mut s, name, v), Ok(()), "{name}");
        }
        assert!(set_parameter(&mut s, "map.crosswalks", 0.5).is_err());
        assert!(set_parameter(&mut s, "nope", 1.0).is_err());
    }
}
