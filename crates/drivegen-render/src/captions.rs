//! One sentence per frame from the labels and the plan: "dusk, light rain; red light
//! ahead; 2 cars, 1 van, nearest a white van 11 m ahead in the ego lane; a pedestrian crossing
//! from the right". Positions are said from the ego (ahead, behind, left, right), for
//! a rear or side camera too.

use std::collections::BTreeMap;
use std::path::Path;

use drivegen_dataset::DatasetError;
use drivegen_plan::geom::V2;
use drivegen_plan::scene::{
    FOG_ABOVE_FOG_DENSITY, HAZE_ABOVE_FOG_DENSITY, HEAVY_RAIN_ABOVE, LIGHT_RAIN_ABOVE,
};
use drivegen_plan::surface::point_in_polygon;
use drivegen_plan::{ActorClass, LampState, PropKind, Role, ScenePlan};
use drivegen_scenario::VehicleClass;
use drivegen_sim::CameraFrame;

fn time_phrase(plan: &ScenePlan) -> &'static str {
    let e = &plan.environment;
    let h = e.time_of_day;
    if e.sun_elevation_deg < -6.0 {
        "night"
    } else if e.sun_elevation_deg < 6.0 {
        if h < 12.0 { "dawn" } else { "dusk" }
    } else if h < 11.0 {
        "morning"
    } else if h < 14.0 {
        "midday"
    } else if h < 17.5 {
        "afternoon"
    } else {
        "evening"
    }
}

fn weather_phrase(plan: &ScenePlan) -> String {
    let e = &plan.environment;
    let mut parts = Vec::new();
    if e.rain > HEAVY_RAIN_ABOVE {
        parts.push("heavy rain");
    } else if e.rain > LIGHT_RAIN_ABOVE {
        parts.push("light rain");
    } else if e.cloudiness > 0.7 {
        parts.push("overcast");
    } else if e.cloudiness < 0.2 {
        parts.push("clear sky");
    } else {
        parts.push("cloudy");
    }
    if e.fog_density > FOG_ABOVE_FOG_DENSITY {
        parts.push("fog");
    } else if e.fog_density > HAZE_ABOVE_FOG_DENSITY {
        parts.push("haze");
    }
    if e.wet_road && e.rain <= LIGHT_RAIN_ABOVE {
        parts.push("wet road");
    }
    parts.join(", ")
}

/// The nearest of a few named colours (the plan stores sRGB bytes).
fn color_name(c: [u8; 3]) -> &'static str {
    const NAMES: [(&str, [u8; 3]); 10] = [
        ("white", [236, 236, 232]),
        ("black", [22, 22, 24]),
        ("silver", [170, 172, 176]),
        ("grey", [105, 107, 110]),
        ("red", [170, 24, 28]),
        ("blue", [28, 58, 150]),
        ("green", [30, 110, 50]),
        ("yellow", [230, 190, 30]),
        ("orange", [225, 110, 20]),
        ("brown", [105, 70, 40]),
    ];
    let d = |a: [u8; 3]| {
        (0..3)
            .map(|i| (i32::from(a[i]) - i32::from(c[i])).pow(2))
            .sum::<i32>()
    };
    NAMES
        .iter()
        .min_by_key(|(_, rgb)| d(*rgb))
        .map_or("grey", |(n, _)| n)
}

fn plural(n: usize, word: &str) -> String {
    let noun = match (word, n) {
        ("person", 1) => "pedestrian".to_string(),
        ("person", _) => "pedestrians".to_string(),
        ("bus", 1) => "bus".to_string(),
        ("bus", _) => "buses".to_string(),
        (w, 1) => w.replace('_', " "),
        (w, _) => format!("{}s", w.replace('_', " ")),
    };
    format!("{n} {noun}")
}

/// Slower than this a pedestrian stands (m/s).
const STANDING: f64 = 0.2;

/// A label's box centre in the ego's frame (x forward, y left, z up): captions say where
/// things are from the vehicle, whichever way the camera looks.
fn in_ego(cam: &CameraFrame, l: &drivegen_labels::ObjectLabel) -> drivegen_labels::math::V3 {
    cam.camera
        .ego_from_camera
        .apply(drivegen_labels::math::v3(l.box3d.x, l.box3d.y, l.box3d.z))
}

/// "12 m ahead in the ego lane", "8 m behind on the left", "alongside on the right".
fn where_from_ego(p: drivegen_labels::math::V3) -> String {
    const LANE_HALF: f64 = 1.6;
    const ALONGSIDE: f64 = 3.0;
    let side = if p.y.abs() < LANE_HALF {
        "in the ego lane"
    } else if p.y > 0.0 {
        "on the left"
    } else {
        "on the right"
    };
    if p.x.abs() < ALONGSIDE && p.y.abs() >= LANE_HALF {
        format!("alongside {side}")
    } else if p.x >= 0.0 {
        format!("{:.0} m ahead {side}", p.x)
    } else {
        format!("{:.0} m behind {side}", -p.x)
    }
}

/// "the ego", "a pedestrian", "a bus": an actor as a collision clause names it.
fn who(plan: &ScenePlan, id: u32) -> String {
    match plan.actors.iter().find(|a| a.id == id) {
        Some(a) if a.role == Role::Ego => "the ego".into(),
        Some(a) => match a.class {
            ActorClass::Pedestrian => "a pedestrian".into(),
            ActorClass::Vehicle(VehicleClass::Suv) => "an SUV".into(),
            ActorClass::Vehicle(c) => format!("a {}", format!("{c:?}").to_lowercase()),
        },
        None => "an object".into(),
    }
}

/// The caption of one camera's view at one capture; `contacts` are the capture's
/// collisions (pairs of actor ids), said whether or not this camera sees them.
pub fn caption(
    plan: &ScenePlan,
    time: f64,
    ego_yaw: f64,
    cam: &CameraFrame,
    contacts: &[[u32; 2]],
) -> String {
    let mut clauses = vec![format!("{}, {}", time_phrase(plan), weather_phrase(plan))];
    // The signal facing the ego: a visible head turned towards us, nearest first.
    let mut signals: Vec<(f64, LampState)> = cam
        .labels
        .iter()
        .filter(|l| l.visible && l.distance < 80.0)
        .filter_map(|l| {
            let prop = plan.props.iter().find(|p| p.id == l.id)?;
            let PropKind::TrafficLight { junction, group } = prop.kind else {
                return None;
            };
            let facing =
                (prop.pose.yaw - ego_yaw - std::f64::consts::PI).rem_euclid(std::f64::consts::TAU);
            let facing = facing.min(std::f64::consts::TAU - facing);
            let state = plan
                .network
                .junctions
                .get(junction as usize)?
                .signal?
                .state(group, time);
            (facing < 0.5 && l.box3d.x > -2.0).then_some((l.distance, state))
        })
        .collect();
    signals.sort_by(|a, b| a.0.total_cmp(&b.0));
    if let Some((_, state)) = signals.first() {
        clauses.push(format!(
            "{} light ahead",
            format!("{state:?}").to_lowercase()
        ));
    }
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    // By the label's own class: Cityscapes files SUVs and vans as cars, and a caption
    // that counted "3 cars" went on to name the nearest of them a van.
    for l in cam.labels.iter().filter(|l| l.visible) {
        let key = match l.class.as_str() {
            "car" => "car",
            "suv" => "SUV",
            "van" => "van",
            "truck" => "truck",
            "bus" => "bus",
            "motorcycle" => "motorcycle",
            "bicycle" => "bicycle",
            "person" => "person",
            _ => continue,
        };
        *counts.entry(key).or_default() += 1;
    }
    let vehicles: Vec<String> = ["car", "SUV", "van", "truck", "bus", "motorcycle", "bicycle"]
        .iter()
        .filter_map(|k| counts.get(k).map(|n| plural(*n, k)))
        .collect();
    let nearest = cam
        .labels
        .iter()
        .filter(|l| l.visible && (26..=33).contains(&l.cityscapes_id) && l.box3d.z > 0.0)
        .min_by(|a, b| a.distance.total_cmp(&b.distance));
    match (vehicles.is_empty(), nearest) {
        (true, _) => clauses.push("no other vehicles in view".into()),
        (false, Some(n)) => {
            let actor = plan.actors.iter().find(|a| a.id == n.id);
            let color = actor.map_or("grey", |a| color_name(a.color));
            let class = if n.class == "suv" { "SUV" } else { &n.class };
            clauses.push(format!(
                "{}, nearest a {color} {class} {}",
                vehicles.join(", "),
                where_from_ego(in_ego(cam, n))
            ));
        }
        (false, None) => clauses.push(vehicles.join(", ")),
    }
    // Each visible person: on a crosswalk (and from which side), elsewhere on a driving
    // lane, or on the sidewalks.
    let (mut crossing, mut waiting, mut in_road, mut aside) = (Vec::new(), 0, 0, 0);
    for l in cam
        .labels
        .iter()
        .filter(|l| l.visible && l.cityscapes_id == 24)
    {
        let p = cam
            .camera
            .world_from_camera
            .apply(drivegen_labels::math::v3(l.box3d.x, l.box3d.y, l.box3d.z));
        let at = V2 { x: p.x, y: p.y };
        let on_crosswalk = plan
            .network
            .crosswalks
            .iter()
            .any(|c| point_in_polygon(at, &c.corners));
        if on_crosswalk && l.speed > STANDING {
            crossing.push(if in_ego(cam, l).y <= 0.0 {
                "from the right"
            } else {
                "from the left"
            });
        } else if on_crosswalk {
            waiting += 1;
        } else if plan.network.lanes.iter().any(|lane| {
            let q = lane.center.project(at);
            q.s > 0.0 && q.s < lane.length && q.lateral.abs() < lane.width / 2.0
        }) {
            in_road += 1;
        } else {
            aside += 1;
        }
    }
    if let Some(side) = crossing.first() {
        clauses.push(if crossing.len() == 1 {
            format!("a pedestrian crossing {side}")
        } else {
            format!("{} pedestrians crossing", crossing.len())
        });
    }
    if waiting > 0 {
        clauses.push(format!(
            "{} standing on a crosswalk",
            plural(waiting, "person")
        ));
    }
    if in_road > 0 {
        clauses.push(format!("{} in the road", plural(in_road, "person")));
    }
    if aside > 0 && crossing.is_empty() {
        clauses.push(format!("{} on the sidewalks", plural(aside, "person")));
    }
    match contacts {
        [] => {}
        [[a, b]] => clauses.push(format!(
            "collision: {} and {}",
            who(plan, *a),
            who(plan, *b)
        )),
        _ => clauses.push(format!("{} collisions", contacts.len())),
    }
    clauses.join("; ")
}

/// Collects the captions stored in every journalled frame's labels into `captions.jsonl`.
pub fn write_captions(root: &Path) -> Result<(), DatasetError> {
    let mut entries = drivegen_dataset::Journal::sorted(root);
    entries.retain(|e| e.sensor != "lidar");
    let mut out = String::new();
    for e in entries {
        let frame = drivegen_dataset::NativeFrame {
            variant: e.variant,
            frame: e.frame,
            camera: e.sensor.clone(),
            dir: drivegen_dataset::variant_dir(root, e.variant).join(&e.sensor),
        };
        let path = frame.file("labels", "json");
        let bytes = std::fs::read(&path).map_err(|source| DatasetError::Read {
            path: path.clone(),
            source,
        })?;
        let labels: serde_json::Value =
            serde_json::from_slice(&bytes).map_err(|e| DatasetError::Format {
                path,
                reason: e.to_string(),
            })?;
        let line = serde_json::json!({ "variant": e.variant, "frame": e.frame, "camera": e.sensor, "caption": labels["caption"] });
        out.push_str(&line.to_string());
        out.push('\n');
    }
    drivegen_dataset::write_atomic(&root.join("captions.jsonl"), out.as_bytes())
}
