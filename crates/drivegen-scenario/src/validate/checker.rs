//! The per-field checks validation is made of: ranges, counts, probabilities, weights,
//! and the compound checks for blocks, cameras and LiDARs. Each records the field's path.

use super::caps;
use super::overrides::{MIN_IMAGE_SIDE, PIXELS_HINT, SIDE_HINT, pixels_ok, side_ok};
use crate::load::Problem;
use crate::model::{Block, CameraSensorSpec, CameraSpec, IdmSpec, LidarSpec, Mount, VehicleClass};
use crate::param::{Flag, Param, Weighted};
use crate::shape::Seg;

pub(super) struct Checker {
    pub(super) problems: Vec<Problem>,
}

pub(super) fn path(parts: &[&str]) -> Vec<Seg> {
    parts.iter().map(|p| Seg::field(p)).collect()
}

pub(super) fn with(mut base: Vec<Seg>, more: &[Seg]) -> Vec<Seg> {
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
    pub(super) fn report(&mut self, at: Vec<Seg>, message: String, hint: Option<String>) {
        self.problems.push(Problem {
            path: at,
            message,
            hint,
            fallback: None,
        });
    }

    /// The range a parameter is judged by, or `None` after reporting a distribution
    /// that is inconsistent in itself. An unclamped Normal is judged by its mean:
    /// sampling clamps its tails.
    fn judged_bounds(&mut self, at: &[Seg], p: &Param) -> Option<(f64, f64)> {
        if let Err(problem) = p.check() {
            let name = display(at);
            self.report(
                at.to_vec(),
                format!("`{name}`: {problem}"),
                Some(distribution_hint(p)),
            );
            return None;
        }
        Some(match p {
            Param::Normal {
                mean, clamp: None, ..
            } => (*mean, *mean),
            _ => p.bounds(),
        })
    }

    /// A numeric field whose every possible value must lie within `[lo, hi]`.
    pub(super) fn range(&mut self, at: Vec<Seg>, p: &Param, lo: f64, hi: f64, unit: &str) {
        let name = display(&at);
        let Some((min, max)) = self.judged_bounds(&at, p) else {
            return;
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

    /// A count: never negative, and no draw above `cap`. The upper end is judged by the
    /// distribution's own bound ([`Param::bounds`]), not its mean: an unclamped Normal
    /// reaches mean + 4 std, a Poisson lambda + 6 sqrt(lambda) + 6 (the planner clamps
    /// the rarer draws beyond to the cap). Below zero an unclamped Normal is judged by its
    /// mean, as a range is: negative draws count as none.
    pub(super) fn count(&mut self, at: Vec<Seg>, p: &Param, cap: u32) {
        let name = display(&at);
        let Some((min, _)) = self.judged_bounds(&at, p) else {
            return;
        };
        let max = p.bounds().1;
        if min < 0.0 {
            self.report(
                at,
                format!(
                    "`{name}` {} {min}; counts cannot be negative",
                    if p.is_constant() { "is" } else { "can be" }
                ),
                Some("use 0 for none".into()),
            );
        } else if max > f64::from(cap) {
            let (message, hint) = cap_problem(&name, p, max, cap);
            self.report(at, message, Some(hint));
        }
    }

    pub(super) fn probability(&mut self, at: Vec<Seg>, p: &Param) {
        self.range(at, p, 0.0, 1.0, " (probability)");
    }

    pub(super) fn flag(&mut self, at: Vec<Seg>, f: &Flag) {
        if let Err(problem) = f.check() {
            let name = display(&at);
            self.report(
                at,
                format!("`{name}`: {problem}"),
                Some("probabilities are fractions between 0 and 1 (30 % is 0.3)".into()),
            );
        }
    }

    pub(super) fn weights<T>(&mut self, at: Vec<Seg>, w: &Weighted<T>) {
        if let Err(problem) = w.check() {
            let name = display(&at);
            self.report(
                at,
                format!("`{name}`: {problem}"),
                Some("write [(weight, value), ...] with at least one positive weight".into()),
            );
        }
    }

    pub(super) fn constant(&mut self, at: Vec<Seg>, v: f64, lo: f64, hi: f64, unit: &str) {
        if !(v.is_finite() && v >= lo && v <= hi) {
            let name = display(&at);
            self.report(
                at,
                format!("`{name}` is {v}; it must be within [{lo}, {hi}]{unit}"),
                None,
            );
        }
    }

    /// A capture or camera rate: 0.01 Hz up to the simulation rate.
    pub(super) fn rate(&mut self, at: Vec<Seg>, v: f64) {
        let sim = caps::SIMULATION_RATE;
        if v.is_finite() && v > sim {
            let name = display(&at);
            self.report(
                at,
                format!(
                    "`{name}` is {v} Hz, faster than the {sim} Hz simulation step: \
                     consecutive frames would be identical duplicates"
                ),
                Some(format!(
                    "use at most {sim} Hz; a divisor of {sim} (60, 30, 20, 15, 10, ...) \
                     keeps the frames evenly spaced"
                )),
            );
        } else {
            self.constant(at, v, 0.01, sim, " Hz");
        }
    }

    /// A sensor must not sit below the ground or inside the ego's (nominal) box: the
    /// RGB would see through the body while the labels show nothing but the ego.
    pub(super) fn sensor_clear_of_ego(&mut self, at: Vec<Seg>, m: &Mount, class: VehicleClass) {
        let name = display(&at);
        if m.z < 0.0 {
            self.report(
                at,
                format!("`{name}` is {} m below the ground (z {})", -m.z, m.z),
                Some("mount heights are from the ground under the ego; use z > 0".into()),
            );
            return;
        }
        let (length, width, height) = class.nominal_size();
        let inside = m.x.abs() < length / 2.0 && m.y.abs() < width / 2.0 && m.z < height;
        if inside {
            self.problems.push(Problem {
                path: at,
                fallback: Some(vec![Seg::field("ego"), Seg::field("class")]),
                message: format!(
                    "`{name}` (x {}, y {}, z {}) is inside the {class:?} ego's body \
                     ({length} x {width} x {height} m, centred on x = 0, y = 0)",
                    m.x, m.y, m.z
                ),
                hint: Some(format!(
                    "mount it on the roof (z {:.2} or more) or ahead of the front (x {:.2} \
                     or more); the sensor would see through the body while its labels \
                     show only the ego",
                    height + 0.1,
                    length / 2.0 + 0.1
                )),
            });
        }
    }

    pub(super) fn idm(&mut self, at: &[&str], idm: &IdmSpec) {
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

    pub(super) fn mount(&mut self, at: Vec<Seg>, m: &Mount) {
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

    pub(super) fn block(&mut self, at: Vec<Seg>, block: &Block) {
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
                        Some(
                            "the route leaves through the arm opposite the one it came in by; \
                              for more arms, chain blocks"
                                .into(),
                        ),
                    );
                }
                self.range(f("arm_length"), arm_length, 10.0, 500.0, " m");
            }
            Block::OnRamp { length } | Block::OffRamp { length } => {
                self.range(f("length"), length, 30.0, 500.0, " m")
            }
        }
    }

    pub(super) fn camera(&mut self, at: Vec<Seg>, cam: &CameraSpec, capture_rate: f64) {
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
            if !side_ok(v) {
                self.report(
                    f(field),
                    format!(
                        "camera {field} {v} is outside [{MIN_IMAGE_SIDE}, {}] pixels",
                        caps::IMAGE_SIDE
                    ),
                    Some(SIDE_HINT.into()),
                );
            }
        }
        if !pixels_ok(cam.width, cam.height) {
            self.report(
                f("width"),
                format!(
                    "camera resolution {}x{} is {} pixels, above the cap of {}",
                    cam.width,
                    cam.height,
                    u64::from(cam.width) * u64::from(cam.height),
                    caps::IMAGE_PIXELS
                ),
                Some(PIXELS_HINT.into()),
            );
        }
        self.constant(f("hfov"), cam.hfov, 1.0, 170.0, " degrees");
        if let Some(rate) = cam.rate {
            self.rate(f("rate"), rate);
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
        if let Some(sensor) = &cam.sensor {
            self.camera_sensor(f("sensor"), sensor);
        }
    }

    /// A camera's sensor model: every field within the range a real camera reaches.
    pub(super) fn camera_sensor(&mut self, at: Vec<Seg>, s: &CameraSensorSpec) {
        let f = |name: &str| with(at.clone(), &[Seg::field(name)]);
        if let Some(d) = &s.distortion {
            let g = |name: &str| with(f("distortion"), &[Seg::field(name)]);
            self.range(g("k1"), &d.k1, -1.0, 1.0, "");
            self.range(g("k2"), &d.k2, -1.0, 1.0, "");
            self.range(g("p1"), &d.p1, -0.1, 0.1, "");
            self.range(g("p2"), &d.p2, -0.1, 0.1, "");
            self.range(g("k3"), &d.k3, -1.0, 1.0, "");
        }
        self.range(f("exposure"), &s.exposure, -4.0, 4.0, " EV");
        self.range(f("red_gain"), &s.red_gain, 0.25, 4.0, "");
        self.range(f("blue_gain"), &s.blue_gain, 0.25, 4.0, "");
        self.range(f("vignetting"), &s.vignetting, 0.0, 0.9, "");
        self.range(f("iso"), &s.iso, 0.0, 25600.0, "");
        self.range(f("read_noise"), &s.read_noise, 0.0, 50.0, " electrons");
        self.range(
            f("chromatic_aberration"),
            &s.chromatic_aberration,
            0.0,
            5.0,
            " pixels",
        );
        self.range(f("defocus"), &s.defocus, 0.0, 5.0, " pixels");
        self.range(f("auto_exposure"), &s.auto_exposure, 0.0, 0.5, "");
        self.range(f("exposure_time"), &s.exposure_time, 0.0, 0.1, " s");
        self.range(f("jpeg_quality"), &s.jpeg_quality, 0.0, 100.0, "");
        self.range(f("saturation"), &s.saturation, 0.0, 2.0, "");
        self.range(f("contrast"), &s.contrast, 0.25, 2.0, "");
        self.range(f("glare"), &s.glare, 0.0, 1.0, "");
        self.range(f("chroma_blur"), &s.chroma_blur, 0.0, 8.0, " pixels");
    }

    pub(super) fn lidar(&mut self, at: Vec<Seg>, l: &LidarSpec) {
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

/// The message and hint for a count distribution that can reach `max`, above `cap`.
fn cap_problem(name: &str, p: &Param, max: f64, cap: u32) -> (String, String) {
    const WHY: &str = "caps keep one file from exhausting memory";
    match p {
        Param::Normal {
            mean,
            std,
            clamp: None,
        } => (
            format!(
                "`{name}` Normal({mean}, {std}) can reach {max} (mean + 4 std), above the cap of {cap}"
            ),
            format!(
                "give the Normal bounds, e.g. Normal({mean}, {std}, 0, {cap}), or a smaller std; {WHY}"
            ),
        ),
        Param::Poisson(lambda) => (
            format!(
                "`{name}` Poisson({lambda}) can reach {} (lambda + 6 sqrt(lambda) + 6), above the cap of {cap}",
                max.floor()
            ),
            format!("lower lambda, or use IntRange(lo, hi) with hi <= {cap}; {WHY}"),
        ),
        _ => (
            format!("`{name}` can reach {max}, above the cap of {cap}"),
            format!("{WHY}; split the scene into variants"),
        ),
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
