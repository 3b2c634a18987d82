//! Semantic checks on a parsed scenario: ranges, probabilities, counts and caps.
//!
//! Every problem carries the field's path so the loader can point at the exact
//! `line:col`; all problems are collected, not just the first.

use crate::load::Problem;
use crate::model::{Block, BlockPlan, CameraSpec, IdmSpec, LidarSpec, Mount, Scenario};
use crate::param::{Flag, Param, Weighted};
use crate::shape::Seg;

/// Hard limits: a hostile or mistaken file cannot exhaust memory or time.
pub mod caps {
    pub const VARIANTS: u32 = 100_000;
    pub const FRAMES_PER_VARIANT: u32 = 100_000;
    pub const BLOCKS: f64 = 64.0;
    pub const VEHICLES: f64 = 1000.0;
    pub const PARKED: f64 = 500.0;
    pub const PEDESTRIANS: f64 = 1000.0;
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

struct Checker {
    problems: Vec<Problem>,
}

fn path(parts: &[&str]) -> Vec<Seg> {
    parts.iter().map(|p| Seg::field(p)).collect()
}

fn with(mut base: Vec<Seg>, more: &[Seg]) -> Vec<Seg> {
    base.extend_from_slice(more);
    base
}

fn display(path: &[Seg]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            Seg::Field(f) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(f);
            }
            Seg::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

impl Checker {
    fn report(&mut self, at: Vec<Seg>, message: String, hint: Option<String>) {
        self.problems.push(Problem {
            path: at,
            message,
            hint,
        });
    }

    /// A numeric field whose every possible value must lie within `[lo, hi]`.
    fn range(&mut self, at: Vec<Seg>, p: &Param, lo: f64, hi: f64, unit: &str) {
        let name = display(&at);
        if let Err(problem) = p.check() {
            self.report(
                at,
                format!("`{name}`: {problem}"),
                Some(distribution_hint(p)),
            );
            return;
        }
        // An unclamped Normal is judged by its mean: sampling clamps its tails.
        let (min, max) = match p {
            Param::Normal {
                mean, clamp: None, ..
            } => (*mean, *mean),
            _ => p.bounds(),
        };
        if min >= lo && max <= hi {
            return;
        }
        let allowed = format!("[{lo}, {hi}]{unit}");
        let message = match p {
            Param::Const(v) => format!("`{name}` is {v}; it must be within {allowed}"),
            _ => {
                let bad = if min < lo { min } else { max };
                format!(
                    "`{name}` {} can produce {bad}; it must stay within {allowed}",
                    p.kind()
                )
            }
        };
        let hint = if unit == " (probability)" {
            Some("probabilities are fractions between 0 and 1 (30 % is 0.3)".to_string())
        } else {
            None
        };
        self.report(at, message, hint);
    }

    /// A count: never negative, at most `cap`.
    fn count(&mut self, at: Vec<Seg>, p: &Param, cap: f64) {
        let name = display(&at);
        if let Err(problem) = p.check() {
            self.report(
                at,
                format!("`{name}`: {problem}"),
                Some(distribution_hint(p)),
            );
            return;
        }
        let (min, max) = match p {
            Param::Normal {
                mean, clamp: None, ..
            } => (*mean, *mean),
            _ => p.bounds(),
        };
        if min < 0.0 {
            self.report(
                at,
                format!("`{name}` can be {min}; counts cannot be negative"),
                Some("use 0 for none".into()),
            );
        } else if max > cap {
            self.report(
                at,
                format!("`{name}` can reach {max}, above the cap of {cap}"),
                Some(
                    "caps keep one file from exhausting memory; split the scene into variants"
                        .into(),
                ),
            );
        }
    }

    fn probability(&mut self, at: Vec<Seg>, p: &Param) {
        self.range(at, p, 0.0, 1.0, " (probability)");
    }

    fn flag(&mut self, at: Vec<Seg>, f: &Flag) {
        if let Err(problem) = f.check() {
            let name = display(&at);
            self.report(
                at,
                format!("`{name}`: {problem}"),
                Some("probabilities are fractions between 0 and 1 (30 % is 0.3)".into()),
            );
        }
    }

    fn weights<T>(&mut self, at: Vec<Seg>, w: &Weighted<T>) {
        if let Err(problem) = w.check() {
            let name = display(&at);
            self.report(
                at,
                format!("`{name}`: {problem}"),
                Some("write [(weight, value), ...] with at least one positive weight".into()),
            );
        }
    }

    fn constant(&mut self, at: Vec<Seg>, v: f64, lo: f64, hi: f64, unit: &str) {
        if !(v.is_finite() && v >= lo && v <= hi) {
            let name = display(&at);
            self.report(
                at,
                format!("`{name}` is {v}; it must be within [{lo}, {hi}]{unit}"),
                None,
            );
        }
    }

    fn idm(&mut self, at: &[&str], idm: &IdmSpec) {
        self.range(
            path(&[at, &["time_headway"]].concat()),
            &idm.time_headway,
            0.1,
            10.0,
            " s",
        );
        self.range(
            path(&[at, &["min_gap"]].concat()),
            &idm.min_gap,
            0.0,
            50.0,
            " m",
        );
        self.range(
            path(&[at, &["max_accel"]].concat()),
            &idm.max_accel,
            0.1,
            10.0,
            " m/s²",
        );
        self.range(
            path(&[at, &["comfortable_decel"]].concat()),
            &idm.comfortable_decel,
            0.1,
            10.0,
            " m/s²",
        );
    }

    fn mount(&mut self, at: Vec<Seg>, m: &Mount) {
        for (name, v, lo, hi) in [
            ("x", m.x, -20.0, 20.0),
            ("y", m.y, -10.0, 10.0),
            ("z", m.z, -2.0, 10.0),
            ("yaw", m.yaw, -180.0, 180.0),
            ("pitch", m.pitch, -90.0, 90.0),
            ("roll", m.roll, -180.0, 180.0),
        ] {
            self.constant(with(at.clone(), &[Seg::field(name)]), v, lo, hi, "");
        }
    }

    fn block(&mut self, at: Vec<Seg>, block: &Block) {
        let f = |name: &str| with(at.clone(), &[Seg::field(name)]);
        match block {
            Block::Straight { length } => self.range(f("length"), length, 5.0, 2000.0, " m"),
            Block::Curve { radius, angle } => {
                self.range(f("radius"), radius, 10.0, 2000.0, " m");
                self.range(f("angle"), angle, -180.0, 180.0, " degrees");
            }
            Block::Intersection {
                ways, arm_length, ..
            } => {
                if !(*ways == 3 || *ways == 4) {
                    self.report(
                        f("ways"),
                        format!("an intersection has 3 or 4 ways, not {ways}"),
                        Some("use Roundabout for other junctions".into()),
                    );
                }
                self.range(f("arm_length"), arm_length, 10.0, 500.0, " m");
            }
            Block::Roundabout {
                radius,
                exits,
                arm_length,
            } => {
                self.range(f("radius"), radius, 8.0, 60.0, " m");
                if !(*exits == 3 || *exits == 4) {
                    self.report(
                        f("exits"),
                        format!("a roundabout has 3 or 4 exits, not {exits}"),
                        None,
                    );
                }
                self.range(f("arm_length"), arm_length, 10.0, 500.0, " m");
            }
            Block::OnRamp { length } | Block::OffRamp { length } => {
                self.range(f("length"), length, 30.0, 500.0, " m")
            }
        }
    }

    fn camera(&mut self, at: Vec<Seg>, cam: &CameraSpec, capture_rate: f64) {
        let f = |name: &str| with(at.clone(), &[Seg::field(name)]);
        let name_ok = !cam.name.is_empty()
            && cam
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !name_ok {
            self.report(
                f("name"),
                format!(
                    "camera name `{}` must be non-empty ASCII letters, digits, `_` or `-`",
                    cam.name
                ),
                Some("names become folder names in the dataset".into()),
            );
        }
        for (field, v) in [("width", cam.width), ("height", cam.height)] {
            if !(16..=caps::IMAGE_SIDE).contains(&v) {
                self.report(
                    f(field),
                    format!(
                        "camera {field} {v} is outside [16, {}] pixels",
                        caps::IMAGE_SIDE
                    ),
                    Some(
                        "caps keep one file from exhausting memory; 1920x1080 is a common choice"
                            .into(),
                    ),
                );
            }
        }
        let pixels = u64::from(cam.width) * u64::from(cam.height);
        if pixels > caps::IMAGE_PIXELS {
            self.report(
                f("width"),
                format!(
                    "camera resolution {}x{} is {pixels} pixels, above the cap of {}",
                    cam.width,
                    cam.height,
                    caps::IMAGE_PIXELS
                ),
                Some("render at most 16 megapixels per camera".into()),
            );
        }
        self.constant(f("hfov"), cam.hfov, 1.0, 170.0, " degrees");
        if let Some(rate) = cam.rate {
            self.constant(f("rate"), rate, 0.01, 120.0, " Hz");
            if rate > capture_rate * 1.0001 {
                self.report(
                    f("rate"),
                    format!(
                        "camera rate {rate} Hz is faster than the capture rate {capture_rate} Hz"
                    ),
                    Some("raise capture.rate; cameras fire on capture ticks".into()),
                );
            }
        }
        self.mount(f("mount"), &cam.mount);
    }

    fn lidar(&mut self, at: Vec<Seg>, l: &LidarSpec) {
        let f = |name: &str| with(at.clone(), &[Seg::field(name)]);
        if !(1..=caps::LIDAR_CHANNELS).contains(&l.channels) {
            self.report(
                f("channels"),
                format!(
                    "lidar channels {} outside [1, {}]",
                    l.channels,
                    caps::LIDAR_CHANNELS
                ),
                None,
            );
        }
        let (lo, hi) = l.vertical_fov;
        if !(lo.is_finite() && hi.is_finite() && -90.0 <= lo && lo < hi && hi <= 90.0) {
            self.report(
                f("vertical_fov"),
                format!("lidar vertical_fov ({lo}, {hi}) must satisfy -90 <= lo < hi <= 90"),
                None,
            );
        }
        let points = u64::from(l.channels) * u64::from(l.horizontal_resolution);
        if l.horizontal_resolution < 16 || points > caps::LIDAR_POINTS_PER_REV {
            self.report(
                f("horizontal_resolution"),
                format!(
                    "lidar gives {points} points per revolution; allowed are 16 per channel up to {} in all",
                    caps::LIDAR_POINTS_PER_REV
                ),
                None,
            );
        }
        self.constant(f("range"), l.range, 1.0, 500.0, " m");
        self.constant(f("rotation_rate"), l.rotation_rate, 0.1, 50.0, " Hz");
        self.mount(f("mount"), &l.mount);
    }
}

fn distribution_hint(p: &Param) -> String {
    match p {
        Param::Uniform(..) | Param::IntRange(..) => {
            "write the lower bound first: Uniform(lo, hi)".into()
        }
        Param::Normal { .. } => {
            "Normal(mean, std) needs std >= 0; Normal(mean, std, min, max) needs min <= max".into()
        }
        Param::Bernoulli(_) => "probabilities are fractions between 0 and 1 (30 % is 0.3)".into(),
        Param::Choice(_) => {
            "Choice([(weight, value), ...]) needs weights >= 0 with a positive sum".into()
        }
        Param::Poisson(_) => "Poisson(lambda) needs lambda >= 0".into(),
        Param::Const(_) => "write a finite number".into(),
    }
}

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
    if !(1..=caps::VARIANTS).contains(&s.variants) {
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
    c.constant(
        path(&["capture", "rate"]),
        s.capture.rate,
        0.01,
        120.0,
        " Hz",
    );
    c.constant(
        path(&["capture", "warmup"]),
        s.capture.warmup,
        0.0,
        600.0,
        " s",
    );
    match s.capture.frames {
        Some(n) if n == 0 || n > caps::FRAMES_PER_VARIANT => c.report(
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
            if blocks.is_empty() || blocks.len() as f64 > caps::BLOCKS {
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
            for (i, b) in blocks.iter().enumerate() {
                c.block(
                    vec![Seg::field("map"), Seg::field("blocks"), Seg::Index(i)],
                    b,
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
            for (i, (_, b)) in weights.iter().enumerate() {
                c.block(
                    vec![
                        Seg::field("map"),
                        Seg::field("blocks"),
                        Seg::field("weights"),
                        Seg::Index(i),
                        Seg::Index(1),
                    ],
                    b,
                );
            }
        }
    }
    c.range(
        path(&["map", "lanes_per_direction"]),
        &m.lanes_per_direction,
        1.0,
        4.0,
        " lanes",
    );
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
                "parked vehicles need a parking strip: `map.shoulder_width` can be {} m, below {MIN_PARKING_STRIP} m",
                m.shoulder_width.bounds().0
            ),
            Some("widen map.shoulder_width to 2 m or more, or set traffic.parked to 0".into()),
        );
    }
    c.weights(path(&["traffic", "classes"]), &t.classes);
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
        c.camera(at, cam, s.capture.rate);
    }
    if let Some(lidar) = &s.sensors.lidar {
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
    c.problems
}
