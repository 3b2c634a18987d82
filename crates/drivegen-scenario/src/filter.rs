//! Frame filters: `keep_frames_where`, the conditions a capture must meet to be written.
//!
//! A filter selects frames after they are rendered, from their labels (which objects are
//! visible, how much and how far) and the events active at the capture; every listed
//! condition must hold. The conditions are data here; `drivegen_labels::filter`
//! evaluates them, and the render library counts the frames they reject.

use serde::{Deserialize, Serialize};

use crate::load::Problem;
use crate::model::Scenario;
use crate::shape::Seg;

/// Most conditions one scenario may list, nested ones included.
pub const MAX_CONDITIONS: usize = 64;
/// Deepest nesting of `Any` / `Not`.
pub const MAX_DEPTH: usize = 8;

/// One condition on a capture.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub enum FrameCondition {
    /// Between `at_least` and `at_most` objects of `class` are visible (some pixel of
    /// theirs is in the image), each with its visibility (visible share of its
    /// unoccluded silhouette) and camera distance in range. An object counts once, in
    /// whichever camera (or the named `camera`) it meets the ranges.
    Visible {
        class: ObjectClass,
        #[serde(default = "one")]
        at_least: u32,
        #[serde(default)]
        at_most: Option<u32>,
        /// (lowest, highest) visible fraction, within [0, 1].
        #[serde(default)]
        visibility: Option<(f64, f64)>,
        /// (nearest, farthest) metres from the camera to the object's centre.
        #[serde(default)]
        distance: Option<(f64, f64)>,
        #[serde(default)]
        camera: Option<String>,
    },
    /// The scenario event of this name is active at the capture.
    EventActive(String),
    /// At least one of the conditions holds.
    Any(Vec<FrameCondition>),
    /// The condition does not hold.
    Not(Box<FrameCondition>),
}

fn one() -> u32 {
    1
}

/// Which labelled objects a `Visible` condition counts.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
pub enum ObjectClass {
    Pedestrian,
    /// A person riding a bicycle or motorcycle.
    Rider,
    Car,
    Suv,
    Van,
    Truck,
    Bus,
    Motorcycle,
    Bicycle,
    /// Any vehicle class (the ego is never labelled).
    Vehicle,
    TrafficLight,
    TrafficSign,
    /// Any labelled object.
    Any,
}

impl ObjectClass {
    /// Whether a label of class `name` (the labels' lower-case class names: `person`,
    /// `car`, `traffic_light`, ...) is of this class.
    pub fn matches(self, name: &str) -> bool {
        const VEHICLES: [&str; 7] = ["car", "suv", "van", "truck", "bus", "motorcycle", "bicycle"];
        match self {
            ObjectClass::Pedestrian => name == "person",
            ObjectClass::Rider => name == "rider",
            ObjectClass::Car => name == "car",
            ObjectClass::Suv => name == "suv",
            ObjectClass::Van => name == "van",
            ObjectClass::Truck => name == "truck",
            ObjectClass::Bus => name == "bus",
            ObjectClass::Motorcycle => name == "motorcycle",
            ObjectClass::Bicycle => name == "bicycle",
            ObjectClass::Vehicle => VEHICLES.contains(&name),
            ObjectClass::TrafficLight => name == "traffic_light",
            ObjectClass::TrafficSign => name == "traffic_sign",
            ObjectClass::Any => true,
        }
    }
}

/// Every problem with the scenario's `keep_frames_where`, each at its condition.
pub(crate) fn check(s: &Scenario) -> Vec<Problem> {
    let mut out = Vec::new();
    let mut seen = 0;
    for (i, c) in s.keep_frames_where.iter().enumerate() {
        let path = vec![Seg::field("keep_frames_where"), Seg::Index(i)];
        check_one(s, c, path, 1, &mut seen, &mut out);
    }
    if seen > MAX_CONDITIONS {
        out.push(Problem {
            path: vec![Seg::field("keep_frames_where")],
            message: format!("{seen} frame conditions; at most {MAX_CONDITIONS} are allowed"),
            hint: Some(
                "combine conditions, or filter the dataset later with `drivegen query`".into(),
            ),
            fallback: None,
        });
    }
    out
}

fn report(out: &mut Vec<Problem>, path: Vec<Seg>, message: String, hint: Option<&str>) {
    out.push(Problem {
        path,
        message,
        hint: hint.map(str::to_string),
        fallback: Some(vec![Seg::field("keep_frames_where")]),
    });
}

fn with(path: &[Seg], more: Seg) -> Vec<Seg> {
    let mut p = path.to_vec();
    p.push(more);
    p
}

fn check_one(
    s: &Scenario,
    c: &FrameCondition,
    path: Vec<Seg>,
    depth: usize,
    seen: &mut usize,
    out: &mut Vec<Problem>,
) {
    *seen += 1;
    if depth > MAX_DEPTH {
        report(
            out,
            path,
            format!("conditions are nested deeper than {MAX_DEPTH} levels"),
            Some("flatten the Any/Not nesting"),
        );
        return;
    }
    match c {
        FrameCondition::Visible {
            at_least,
            at_most,
            visibility,
            distance,
            camera,
            ..
        } => {
            if let Some(most) = at_most
                && most < at_least
            {
                report(
                    out,
                    with(&path, Seg::field("at_most")),
                    format!("`at_most` {most} is below `at_least` {at_least}; no frame could pass"),
                    Some(
                        "raise at_most, or lower at_least (at_least: 0 with at_most: 0 asks for none)",
                    ),
                );
            }
            if let Some((lo, hi)) = visibility
                && !(0.0 <= *lo && lo <= hi && *hi <= 1.0)
            {
                report(
                    out,
                    with(&path, Seg::field("visibility")),
                    format!("`visibility` ({lo}, {hi}) must be a range within [0, 1]"),
                    Some("visibility is the visible fraction: (0.3, 0.6) is 30 to 60 % visible"),
                );
            }
            if let Some((lo, hi)) = distance
                && !(lo.is_finite() && hi.is_finite() && 0.0 <= *lo && lo <= hi)
            {
                report(
                    out,
                    with(&path, Seg::field("distance")),
                    format!(
                        "`distance` ({lo}, {hi}) must be a range of metres with 0 <= near <= far"
                    ),
                    Some("e.g. distance: (0, 40) keeps objects within 40 m of the camera"),
                );
            }
            if let Some(name) = camera
                && !s.sensors.cameras.iter().any(|c| &c.name == name)
            {
                let names: Vec<&str> = s.sensors.cameras.iter().map(|c| c.name.as_str()).collect();
                report(
                    out,
                    with(&path, Seg::field("camera")),
                    format!("no camera is named `{name}`"),
                    Some(&format!("the rig's cameras: {}", names.join(", "))),
                );
            }
        }
        FrameCondition::EventActive(name) => {
            if !s.events.iter().any(|e| &e.name == name) {
                let names: Vec<&str> = s.events.iter().map(|e| e.name.as_str()).collect();
                let hint = if names.is_empty() {
                    "the scenario has no `events`; add one with this name".to_string()
                } else {
                    format!("the scenario's events: {}", names.join(", "))
                };
                report(
                    out,
                    path,
                    format!("no event is named `{name}`"),
                    Some(&hint),
                );
            }
        }
        FrameCondition::Any(list) => {
            if list.is_empty() {
                report(
                    out,
                    path.clone(),
                    "`Any([])` lists no condition, so no frame could pass".into(),
                    Some("list at least one condition"),
                );
            }
            for (i, c) in list.iter().enumerate() {
                check_one(s, c, with(&path, Seg::Index(i)), depth + 1, seen, out);
            }
        }
        FrameCondition::Not(inner) => {
            check_one(s, inner, with(&path, Seg::Index(0)), depth + 1, seen, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_parse_with_defaults_and_classes_match_label_names() {
        let s = crate::load_str(
            "f.ron",
            r#"Scenario(name: "f", seed: 1, keep_frames_where: [
                Visible(class: Pedestrian, visibility: (0.3, 0.6), distance: (0, 40)),
                Any([Visible(class: Vehicle, at_least: 3), Not(Visible(class: Bus, at_least: 1))]),
            ])"#,
        )
        .expect("valid")
        .scenario;
        assert_eq!(s.keep_frames_where.len(), 2);
        let FrameCondition::Visible {
            at_least, at_most, ..
        } = &s.keep_frames_where[0]
        else {
            panic!("Visible first");
        };
        assert_eq!((*at_least, *at_most), (1, None));
        assert!(ObjectClass::Pedestrian.matches("person"));
        assert!(ObjectClass::Vehicle.matches("suv"));
        assert!(!ObjectClass::Vehicle.matches("person"));
        assert!(ObjectClass::TrafficLight.matches("traffic_light"));
    }

    #[test]
    fn bad_conditions_are_reported_where_written() {
        let err = crate::load_str(
            "f.ron",
            r#"Scenario(name: "f", seed: 1, keep_frames_where: [
    Visible(class: Car, at_least: 3, at_most: 1, visibility: (0.6, 0.3), camera: "rear"),
    EventActive("cut_in"),
    Any([]),
])"#,
        )
        .expect_err("invalid")
        .to_string();
        assert!(
            err.contains("f.ron:2:47: error: `at_most` 1 is below"),
            "{err}"
        );
        assert!(err.contains("`visibility` (0.6, 0.3)"), "{err}");
        assert!(err.contains("no camera is named `rear`"), "{err}");
        assert!(
            err.contains("f.ron:3:5: error: no event is named `cut_in`"),
            "{err}"
        );
        assert!(err.contains("`Any([])`"), "{err}");
    }
}
