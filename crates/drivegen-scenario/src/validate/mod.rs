//! Semantic checks on a parsed scenario: ranges, probabilities, counts and caps.
//!
//! Every problem carries the field's path so the loader can point at the exact
//! `line:col`; all problems are collected, not just the first.

use crate::load::Problem;
use crate::model::{BlockPlan, Scenario, VehicleClass};
use crate::param::Weighted;
use crate::shape::Seg;

mod checker;
mod overrides;
mod placement;

use checker::{Checker, path, with};
pub use overrides::{MIN_IMAGE_SIDE, OverrideError, OverrideProblem, Overrides, check_overrides};

/// Hard limits: a hostile or mistaken file cannot exhaust memory or time.
///
/// Count caps hold for every draw: validation rejects a count distribution that can
/// reach above its cap (an unclamped Normal at mean + 4 std, a Poisson at
/// lambda + 6 sqrt(lambda) + 6, see [`crate::Param::bounds`]), and the planner clamps
/// the far tail beyond that to the cap ([`crate::Param::sample_count_capped`]).
pub mod caps {
    /// The simulation's fixed step rate (Hz): no capture or camera may fire faster, or
    /// consecutive frames would be byte-identical duplicates of one step.
    pub const SIMULATION_RATE: f64 = 60.0;
    pub const VARIANTS: u32 = 100_000;
    pub const FRAMES_PER_VARIANT: u32 = 100_000;
    pub const BLOCKS: u32 = 64;
    pub const VEHICLES: u32 = 1000;
    pub const PARKED: u32 = 500;
    pub const PEDESTRIANS: u32 = 1000;
    pub const CAMERAS: usize = 8;
    pub const IMAGE_SIDE: u32 = 8192;
    pub const IMAGE_PIXELS: u64 = 16 * 1024 * 1024;
    pub const LIDAR_CHANNELS: u32 = 256;
    pub const LIDAR_POINTS_PER_REV: u64 = 2_000_000;
    pub const ROADSIDE_PER_100M: f64 = 50.0;
    pub const MAX_ATTEMPTS: u32 = 100_000;
}

/// Narrowest shoulder parked vehicles fit on without blocking the kerb lane (m).
pub const MIN_PARKING_STRIP: f64 = 1.8;

/// Every semantic problem in `s`, each with the path of the offending field.
pub fn validate(s: &Scenario) -> Vec<Problem> {
    let mut c = Checker {
        problems: Vec::new(),
    };
    if s.name.trim().is_empty() {
        c.report(
            path(&["name"]),
            "`name` is empty".into(),
            Some("name the scenario; it names output folders".into()),
        );
    }
    // A Grid or Sobol design's count is checked with its axes (`coverage::check`).
    if matches!(s.coverage, crate::coverage::Variants::Count(_))
        && !(1..=caps::VARIANTS).contains(&s.variants)
    {
        c.report(
            path(&["variants"]),
            format!(
                "`variants` is {}; it must be within [1, {}]",
                s.variants,
                caps::VARIANTS
            ),
            None,
        );
    }

    // Capture.
    c.rate(path(&["capture", "rate"]), s.capture.rate);
    c.constant(
        path(&["capture", "warmup"]),
        s.capture.warmup,
        0.0,
        600.0,
        " s",
    );
    match s.capture.frames {
        Some(n) if !overrides::frames_ok(n) => c.report(
            path(&["capture", "frames"]),
            format!(
                "`capture.frames` is {n}; it must be within [1, {}]",
                caps::FRAMES_PER_VARIANT
            ),
            None,
        ),
        Some(_) => {}
        None => {
            c.constant(
                path(&["capture", "duration"]),
                s.capture.duration,
                0.001,
                86_400.0,
                " s",
            );
            if s.capture.rate > 0.0
                && s.capture.duration > 0.0
                && s.capture.rate.is_finite()
                && s.capture.duration.is_finite()
                && s.capture.frame_count() == 0
            {
                c.report(
                    path(&["capture", "duration"]),
                    format!(
                        "{} s at {} Hz is less than one frame",
                        s.capture.duration, s.capture.rate
                    ),
                    Some(format!(
                        "lengthen capture.duration to at least {} s, raise capture.rate, or set capture.frames",
                        0.5 / s.capture.rate
                    )),
                );
            }
            if s.capture.rate.is_finite()
                && s.capture.duration.is_finite()
                && s.capture.frame_count() > caps::FRAMES_PER_VARIANT
            {
                c.report(
                    path(&["capture", "duration"]),
                    format!(
                        "{} s at {} Hz is {} frames, above the cap of {} per variant",
                        s.capture.duration,
                        s.capture.rate,
                        s.capture.frame_count(),
                        caps::FRAMES_PER_VARIANT
                    ),
                    None,
                );
            }
        }
    }

    // Map.
    let m = &s.map;
    match &m.blocks {
        BlockPlan::Sequence(blocks) => {
            if blocks.is_empty() || blocks.len() > caps::BLOCKS as usize {
                c.report(
                    path(&["map", "blocks"]),
                    format!(
                        "a map needs 1 to {} blocks, found {}",
                        caps::BLOCKS,
                        blocks.len()
                    ),
                    None,
                );
            }
        }
        BlockPlan::Random { count, weights } => {
            let at = path(&["map", "blocks", "count"]);
            c.count(at.clone(), count, caps::BLOCKS);
            if count.bounds().1 < 1.0 {
                c.report(at, "a random map needs at least 1 block".into(), None);
            }
            let w = Weighted(weights.iter().map(|(w, _)| (*w, ())).collect());
            c.weights(path(&["map", "blocks", "weights"]), &w);
        }
    }
    for (at, b) in blocks_with_paths(&m.blocks) {
        c.block(at, b);
    }
    c.range(
        path(&["map", "lanes_per_direction"]),
        &m.lanes_per_direction,
        1.0,
        4.0,
        " lanes",
    );
    curves_keep_their_inside(&mut c, s);
    c.range(path(&["map", "lane_width"]), &m.lane_width, 2.5, 5.0, " m");
    c.range(
        path(&["map", "shoulder_width"]),
        &m.shoulder_width,
        0.0,
        4.0,
        " m",
    );
    c.range(
        path(&["map", "sidewalk_width"]),
        &m.sidewalk_width,
        0.0,
        8.0,
        " m",
    );
    c.range(
        path(&["map", "speed_limit"]),
        &m.speed_limit,
        1.0,
        40.0,
        " m/s",
    );
    c.flag(path(&["map", "crosswalks"]), &m.crosswalks);
    let r = &m.roadside;
    for (name, p) in [
        ("buildings", &r.buildings),
        ("trees", &r.trees),
        ("poles", &r.poles),
        ("signs", &r.signs),
        ("street_lights", &r.street_lights),
        ("bins", &r.bins),
        ("hydrants", &r.hydrants),
        ("bus_stops", &r.bus_stops),
    ] {
        c.range(
            path(&["map", "roadside", name]),
            p,
            0.0,
            caps::ROADSIDE_PER_100M,
            " per 100 m",
        );
    }
    c.range(
        path(&["map", "roadside", "woodland"]),
        &r.woodland,
        0.0,
        1.0,
        " of the verge",
    );
    c.range(
        path(&["map", "roadside", "fences"]),
        &r.fences,
        0.0,
        1.0,
        " of the road side",
    );
    c.range(
        path(&["map", "roadside", "building_height"]),
        &r.building_height,
        3.0,
        200.0,
        " m",
    );

    // Traffic.
    let t = &s.traffic;
    c.count(path(&["traffic", "vehicles"]), &t.vehicles, caps::VEHICLES);
    c.count(path(&["traffic", "parked"]), &t.parked, caps::PARKED);
    if t.parked.bounds().1 >= 0.5 && m.shoulder_width.bounds().0 < MIN_PARKING_STRIP {
        c.report(
            path(&["traffic", "parked"]),
            format!(
                "parked vehicles need a parking strip: `map.shoulder_width` {} {} m, below {MIN_PARKING_STRIP} m",
                if m.shoulder_width.is_constant() { "is" } else { "can be" },
                m.shoulder_width.bounds().0
            ),
            Some("widen map.shoulder_width to 2 m or more, or set traffic.parked to 0".into()),
        );
    }
    c.weights(path(&["traffic", "classes"]), &t.classes);
    lanes_fit_every_moving_vehicle(&mut c, s);
    curves_fit_long_vehicles(&mut c, s);
    c.weights(path(&["traffic", "colors"]), &t.colors);
    c.range(
        path(&["traffic", "speed_factor"]),
        &t.speed_factor,
        0.05,
        2.0,
        " of the speed limit",
    );
    c.probability(
        path(&["traffic", "lane_change_eagerness"]),
        &t.lane_change_eagerness,
    );
    c.idm(&["traffic", "idm"], &t.idm);

    // Pedestrians.
    let p = &s.pedestrians;
    c.count(path(&["pedestrians", "count"]), &p.count, caps::PEDESTRIANS);
    c.range(
        path(&["pedestrians", "walking_speed"]),
        &p.walking_speed,
        0.1,
        4.0,
        " m/s",
    );
    c.probability(
        path(&["pedestrians", "crossing_probability"]),
        &p.crossing_probability,
    );
    c.weights(path(&["pedestrians", "spawn_on"]), &p.spawn_on);

    // Signals.
    let sg = &s.signals;
    c.flag(path(&["signals", "enabled"]), &sg.enabled);
    c.range(path(&["signals", "green"]), &sg.green, 1.0, 300.0, " s");
    c.range(path(&["signals", "amber"]), &sg.amber, 0.0, 10.0, " s");
    c.range(path(&["signals", "all_red"]), &sg.all_red, 0.0, 10.0, " s");
    if let Some(offset) = &sg.offset {
        c.range(path(&["signals", "offset"]), offset, 0.0, 3600.0, " s");
    }

    // Environment.
    let e = &s.environment;
    c.range(
        path(&["environment", "time_of_day"]),
        &e.time_of_day,
        0.0,
        24.0,
        " h",
    );
    if let Some(el) = &e.sun_elevation {
        c.range(
            path(&["environment", "sun_elevation"]),
            el,
            -90.0,
            90.0,
            " degrees",
        );
    }
    if let Some(az) = &e.sun_azimuth {
        c.range(
            path(&["environment", "sun_azimuth"]),
            az,
            0.0,
            360.0,
            " degrees",
        );
    }
    c.probability(path(&["environment", "cloudiness"]), &e.cloudiness);
    c.probability(path(&["environment", "rain"]), &e.rain);
    c.range(
        path(&["environment", "fog_density"]),
        &e.fog_density,
        0.0,
        0.2,
        " per m",
    );
    if let Some(wet) = &e.wet_road {
        c.flag(path(&["environment", "wet_road"]), wet);
    }

    // Ego.
    let ego = &s.ego;
    c.weights(path(&["ego", "color"]), &ego.color);
    c.weights(path(&["ego", "route"]), &ego.route);
    c.range(
        path(&["ego", "speed_factor"]),
        &ego.speed_factor,
        0.05,
        2.0,
        " of the speed limit",
    );
    c.range(
        path(&["ego", "start_offset"]),
        &ego.start_offset,
        0.0,
        2000.0,
        " m",
    );
    c.range(path(&["ego", "lane"]), &ego.lane, 0.0, 3.0, "");
    // A lane the road never has: the planner would put the ego in the outermost lane
    // without a word. Partly overlapping distributions clamp, as REFERENCE.md says.
    if ego.lane.check().is_ok() && m.lanes_per_direction.check().is_ok() {
        let (lane_lo, _) = ego.lane.bounds();
        let (_, lanes_hi) = m.lanes_per_direction.bounds();
        if lane_lo.round() >= lanes_hi.round() {
            c.report(
                path(&["ego", "lane"]),
                format!(
                    "`ego.lane` is {}{} but the road has {}{} lane(s) each way",
                    if ego.lane.is_constant() {
                        ""
                    } else {
                        "at least "
                    },
                    lane_lo.round(),
                    if m.lanes_per_direction.is_constant() {
                        ""
                    } else {
                        "at most "
                    },
                    lanes_hi.round()
                ),
                Some(format!(
                    "lanes are counted from 0 at the kerb, so the last is {}; or raise \
                     map.lanes_per_direction",
                    (lanes_hi.round() as i64 - 1).max(0)
                )),
            );
        }
    }
    c.idm(&["ego", "idm"], &ego.idm);

    // Sensors.
    let cams = &s.sensors.cameras;
    if cams.is_empty() || cams.len() > caps::CAMERAS {
        c.report(
            path(&["sensors", "cameras"]),
            format!(
                "a rig needs 1 to {} cameras, found {}",
                caps::CAMERAS,
                cams.len()
            ),
            None,
        );
    }
    for (i, cam) in cams.iter().enumerate() {
        let at = vec![Seg::field("sensors"), Seg::field("cameras"), Seg::Index(i)];
        if cams[..i].iter().any(|other| other.name == cam.name) {
            c.report(
                with(at.clone(), &[Seg::field("name")]),
                format!("camera name `{}` is used twice", cam.name),
                Some("every camera needs its own name".into()),
            );
        }
        c.sensor_clear_of_ego(
            with(at.clone(), &[Seg::field("mount")]),
            &cam.mount,
            s.ego.class,
        );
        c.camera(at, cam, s.capture.rate);
    }
    if let Some(lidar) = &s.sensors.lidar {
        c.sensor_clear_of_ego(
            path(&["sensors", "lidar", "mount"]),
            &lidar.mount,
            s.ego.class,
        );
        c.lidar(path(&["sensors", "lidar"]), lidar);
    }

    // Rules.
    let rules = &s.rules;
    if !(1..=caps::MAX_ATTEMPTS).contains(&rules.max_attempts) {
        c.report(
            path(&["rules", "max_attempts"]),
            format!(
                "`rules.max_attempts` is {}; it must be within [1, {}]",
                rules.max_attempts,
                caps::MAX_ATTEMPTS
            ),
            None,
        );
    }
    c.constant(
        path(&["rules", "min_vehicle_gap"]),
        rules.min_vehicle_gap,
        0.0,
        100.0,
        " m",
    );
    c.constant(
        path(&["rules", "min_clearance"]),
        rules.min_clearance,
        0.0,
        20.0,
        " m",
    );
    placement::check(&mut c, s);
    c.problems.extend(crate::events::validate(s));
    c.problems.extend(crate::coverage::check(s));
    c.problems.extend(crate::filter::check(s));
    c.problems
}

/// Every block a map may draw, with the path it is written at: a sequence's blocks, or a
/// random map's weighted kinds.
fn blocks_with_paths(blocks: &BlockPlan) -> Vec<(Vec<Seg>, &crate::model::Block)> {
    match blocks {
        BlockPlan::Sequence(blocks) => blocks
            .iter()
            .enumerate()
            .map(|(i, b)| (with(path(&["map", "blocks"]), &[Seg::Index(i)]), b))
            .collect(),
        BlockPlan::Random { weights, .. } => weights
            .iter()
            .enumerate()
            .map(|(i, (_, b))| {
                let at = path(&["map", "blocks", "weights"]);
                (with(at, &[Seg::Index(i), Seg::Index(1)]), b)
            })
            .collect(),
    }
}

/// A curve's inside edge (its innermost sidewalk's far side) stays this far from the
/// curve's centre at least (m).
const CURVE_INSIDE: f64 = 1.0;

/// How far the widest road the map draws reaches from its centre line: lanes, shoulder
/// and sidewalk (m).
fn road_reach(m: &crate::model::MapSpec) -> f64 {
    m.lanes_per_direction.bounds().1.round().max(1.0) * m.lane_width.bounds().1
        + m.shoulder_width.bounds().1.max(0.0)
        + m.sidewalk_width.bounds().1.max(0.0)
}

/// A curve tighter than the road is wide folds its inside over itself: four 2.7 m lanes
/// round a 10 m radius put the inner lane's centre line 0.55 m from the curve's centre,
/// 0.9 m long, and planning crashed placing the ego on it. Every `Curve` block, in a
/// sequence or among a random map's weights, against the widest road the map can draw.
fn curves_keep_their_inside(c: &mut Checker, s: &Scenario) {
    let m = &s.map;
    let widest = road_reach(m);
    for (at, block) in blocks_with_paths(&m.blocks) {
        let crate::model::Block::Curve { radius, .. } = block else {
            continue;
        };
        let tightest = radius.bounds().0;
        if tightest < widest + CURVE_INSIDE {
            c.report(
                with(at, &[Seg::field("radius")]),
                format!(
                    "a curve {} {tightest} m folds the road's inside over itself: its lanes, \
                     shoulder and sidewalk reach up to {widest} m from the centre line",
                    if radius.is_constant() { "of radius" } else { "as tight as" }
                ),
                Some(format!(
                    "raise the radius to {} m or more, or narrow the road (map.lanes_per_direction, \
                     lane_width, shoulder_width, sidewalk_width)",
                    (widest + CURVE_INSIDE).ceil()
                )),
            );
        }
    }
}

/// A vehicle class that drives, where it is written.
struct Driving {
    class: VehicleClass,
    at: Vec<Seg>,
    /// Whether `traffic.classes` draws it.
    traffic: bool,
    /// How an error names it: the article before the class, and where it comes from
    /// after it.
    named: (String, String),
    /// How to do without it there.
    or_else: String,
}

/// Every vehicle class that drives, in the order the file writes them: each that
/// `traffic.classes` draws (at `map.lane_width`, where its errors read best), each
/// population's, each moving named vehicle's, and the ego's when anything else drives.
fn driving(s: &Scenario) -> Vec<Driving> {
    use crate::placement::ActorKind;
    let t = &s.traffic;
    let mut out = Vec::new();
    if t.vehicles.bounds().1 >= 0.5 {
        for (_, class) in t.classes.0.iter().filter(|(weight, _)| *weight > 0.0) {
            out.push(Driving {
                class: *class,
                at: path(&["map", "lane_width"]),
                traffic: true,
                named: ("a".into(), " that `traffic.classes` draws".into()),
                or_else: format!("take {class:?} out of traffic.classes"),
            });
        }
    }
    for (i, p) in t.populations.iter().enumerate() {
        if p.count.bounds().1 >= 0.5 {
            out.push(Driving {
                class: p.class,
                at: vec![
                    Seg::field("traffic"),
                    Seg::field("populations"),
                    Seg::Index(i),
                    Seg::field("class"),
                ],
                traffic: false,
                named: ("a".into(), format!(" that `traffic.populations[{i}]` adds")),
                or_else: "choose another class".into(),
            });
        }
    }
    for (i, a) in s.actors.iter().enumerate() {
        if let ActorKind::Vehicle(class) = a.class
            && !a.parked
        {
            out.push(Driving {
                class,
                at: vec![Seg::field("actors"), Seg::Index(i), Seg::field("class")],
                traffic: false,
                named: (format!("the named actor \"{}\", a", a.name), String::new()),
                or_else: "choose another class, or park it".into(),
            });
        }
    }
    if !out.is_empty() {
        out.push(Driving {
            class: s.ego.class,
            at: path(&["ego", "class"]),
            traffic: false,
            named: ("the ego, a".into(), String::new()),
            or_else: "choose another ego.class".into(),
        });
    }
    out
}

/// Two vehicles side by side, oncoming or in lanes beside each other, each keep to their
/// lane's centre: a class wider than the narrowest lane the map can draw (its width as
/// drawn, up to [`VehicleClass::SIZE_DRAWN`]'s end times nominal) overlaps its neighbour.
/// Buses met head-on on 2.5 m lanes. Every vehicle that drives is checked where its class
/// is written (`driving`); of `traffic.classes` only the widest.
fn lanes_fit_every_moving_vehicle(c: &mut Checker, s: &Scenario) {
    let narrowest = s.map.lane_width.bounds().0;
    let drivers = driving(s);
    let widest_traffic = drivers
        .iter()
        .filter(|d| d.traffic)
        .max_by(|a, b| {
            a.class
                .nominal_size()
                .1
                .total_cmp(&b.class.nominal_size().1)
        })
        .map(|d| d.class);
    for d in &drivers {
        if d.traffic && Some(d.class) != widest_traffic {
            continue;
        }
        lane_fits(
            c,
            d.at.clone(),
            narrowest,
            d.class,
            (&d.named.0, &d.named.1),
            &d.or_else,
        );
    }
}

/// The lane width two vehicles of `class` (as drawn, at their largest) need side by side
/// on a curve of centre-line `radius` with `lanes` lanes each way `width` wide, on the
/// pair of neighbouring lanes that needs most: the inner one's corners swing out towards
/// the outer one, whose middle cuts in towards it.
fn curve_lane_need(class: VehicleClass, radius: f64, lanes: f64, width: f64) -> f64 {
    let (len, wide, _) = class.nominal_size();
    let (len, wide) = (
        len * VehicleClass::SIZE_DRAWN.end,
        wide * VehicleClass::SIZE_DRAWN.end,
    );
    let mut need: f64 = 0.0;
    let across = (2.0 * lanes) as usize;
    for k in 0..across.saturating_sub(1) {
        let inner = radius + (k as f64 - lanes + 0.5) * width;
        let (_, out) = crate::sweep::curve_swing(len, wide, inner);
        let (cut_in, _) = crate::sweep::curve_swing(len, wide, inner + width);
        need = need.max(wide + out + cut_in);
    }
    need
}

/// On a curve a long vehicle's middle cuts in and its ends swing out (`sweep`), so two
/// of them side by side, oncoming or in lanes beside each other, need wider lanes than on
/// a straight: buses on 2.7 m lanes round a 60 m curve overlapped, and on 3.5 m lanes
/// round a 20 m one. Reported at the radius of each curve too tight for the longest class
/// that does not fit, with the radius and the lane width that would.
fn curves_fit_long_vehicles(c: &mut Checker, s: &Scenario) {
    let m = &s.map;
    let lanes = m.lanes_per_direction.bounds().1.round().max(1.0);
    let width = m.lane_width.bounds().0;
    // The longest first, each class once (with the hint of where it is first written).
    let mut classes: Vec<(VehicleClass, String)> = driving(s)
        .into_iter()
        .map(|d| (d.class, d.or_else))
        .collect();
    classes.sort_by(|a, b| b.0.nominal_size().0.total_cmp(&a.0.nominal_size().0));
    classes.dedup_by_key(|(class, _)| *class);
    for (at, block) in blocks_with_paths(&m.blocks) {
        let crate::model::Block::Curve { radius, .. } = block else {
            continue;
        };
        let tightest = radius.bounds().0;
        if tightest < road_reach(m) + CURVE_INSIDE {
            continue; // folded: `curves_keep_their_inside` says so
        }
        let Some((class, or_else, need)) = classes.iter().find_map(|(class, or_else)| {
            let need = curve_lane_need(*class, tightest, lanes, width);
            (need > width).then_some((class, or_else, need))
        }) else {
            continue;
        };
        let radius_fits = (tightest.ceil() as u32..=2000)
            .map(f64::from)
            .find(|r| curve_lane_need(*class, *r, lanes, width) <= width);
        let width_fits = (0..=25)
            .map(|k| (width * 10.0).ceil() / 10.0 + 0.1 * f64::from(k))
            .find(|w| curve_lane_need(*class, tightest, lanes, *w) <= *w);
        let mut ways = Vec::new();
        if let Some(r) = radius_fits {
            ways.push(format!("raise the radius to {r} m or more"));
        }
        if let Some(w) = width_fits {
            ways.push(format!("widen map.lane_width to {w:.1} m or more"));
        }
        ways.push(or_else.clone());
        c.report(
            with(at, &[Seg::field("radius")]),
            format!(
                "a curve {} {tightest} m is too tight for two vehicles of class {class:?} side by side on lanes \
                 {width} m wide: their middles cut in and their ends swing out, so they need \
                 {need:.2} m lanes there and would overlap whoever drives beside them",
                if radius.is_constant() { "of radius" } else { "as tight as" }
            ),
            Some(ways.join(", or ")),
        );
    }
}

/// Reports at `at` when lanes `narrowest_lane` wide cannot carry `class` as drawn; `what`
/// is the article before the class and where it comes from after it.
fn lane_fits(
    c: &mut Checker,
    at: Vec<Seg>,
    narrowest_lane: f64,
    class: VehicleClass,
    what: (&str, &str),
    or_else: &str,
) {
    let width = class.nominal_size().1;
    let drawn = VehicleClass::SIZE_DRAWN.end * width;
    if narrowest_lane >= drawn {
        return;
    }
    let (article, source) = what;
    c.report(
        at,
        format!(
            "lanes as narrow as {narrowest_lane} m cannot carry {article} {class:?} ({width} m \
             wide, up to {drawn:.2} m as drawn){source}: two side by side, oncoming or in lanes \
             beside each other, would overlap"
        ),
        Some(format!(
            "widen map.lane_width to {:.1} m or more, or {or_else}",
            (drawn * 10.0).ceil() / 10.0
        )),
    );
}
