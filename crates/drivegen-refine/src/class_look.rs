//! A class look: a colour correction per semantic class (road, sky, vegetation ...)
//! fitted to one real camera by minimising the realism test's accuracy, and applied to
//! finished frames through their exact semantic labels.
//!
//! The test tells renders from a camera by what each patch shows as much as by the
//! camera's pipeline (a rendered road is greyer than a real one, a rendered sky bluer than
//! an overexposed one), and a sensor model acts on every pixel alike. A look changes
//! brightness and colour per class and nothing else: within a class every pixel goes
//! through one affine map in opponent colour, so edges inside an object keep their place
//! and direction, and labels stay exact. Class boundaries blend over one pixel so no seam
//! is drawn where there was none.

use image::{GrayImage, RgbImage};
use serde::{Deserialize, Serialize};

use crate::error::RefineError;
use crate::realism::{PatchSet, RealismConfig, clearly_lower, two_sample};

/// Written into every look file; a newer file is refused, not misread.
pub const LOOK_VERSION: u32 = 1;

/// The classes a look grades: those that cover most of a driving frame. Objects (cars,
/// people) keep the renderer's colours.
pub const LOOK_CLASSES: [&str; 6] = [
    "road",
    "sidewalk",
    "building",
    "vegetation",
    "terrain",
    "sky",
];

/// One class's correction in opponent colour (luma, red-green, yellow-blue; sRGB values
/// in 0..1): luma times `luma_gain`, both chroma axes times `chroma_gain`, then the
/// offsets added.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassGrade {
    pub class: String,
    pub luma_gain: f64,
    /// Added to the luma after the gain: with it a grade changes a class's contrast and
    /// its brightness independently.
    #[serde(default)]
    pub luma_offset: f64,
    pub chroma_gain: f64,
    pub red_green: f64,
    pub yellow_blue: f64,
}

impl ClassGrade {
    fn identity(class: &str) -> ClassGrade {
        ClassGrade {
            class: class.to_string(),
            luma_gain: 1.0,
            luma_offset: 0.0,
            chroma_gain: 1.0,
            red_green: 0.0,
            yellow_blue: 0.0,
        }
    }

    fn is_identity(&self) -> bool {
        *self == ClassGrade::identity(&self.class)
    }

    /// The graded opponent colour.
    fn map(&self, [y, a, b]: [f64; 3]) -> [f64; 3] {
        [
            y * self.luma_gain + self.luma_offset,
            a * self.chroma_gain + self.red_green,
            b * self.chroma_gain + self.yellow_blue,
        ]
    }
}

/// A class look file (`look.json`), as `drivegen fit-look` writes it and `--refine` reads it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassLook {
    pub version: u32,
    /// What the look was fitted to, for people reading the file.
    #[serde(default)]
    pub fitted_to: String,
    pub grades: Vec<ClassGrade>,
}

fn to_opponent([r, g, b]: [f64; 3]) -> [f64; 3] {
    [
        0.299 * r + 0.587 * g + 0.114 * b,
        0.5 * (r - g),
        0.25 * (r + g) - 0.5 * b,
    ]
}

fn from_opponent([y, a, b]: [f64; 3]) -> [f64; 3] {
    let g = y - 0.712 * a + 0.228 * b;
    [g + 2.0 * a, g, g + a - 2.0 * b]
}

impl ClassLook {
    /// A look that changes nothing.
    pub fn identity() -> ClassLook {
        ClassLook {
            version: LOOK_VERSION,
            fitted_to: String::new(),
            grades: LOOK_CLASSES
                .iter()
                .map(|c| ClassGrade::identity(c))
                .collect(),
        }
    }

    /// Parses a look file, checking its version and class names.
    pub fn from_json(text: &str) -> Result<ClassLook, RefineError> {
        let look: ClassLook = serde_json::from_str(text)
            .map_err(|e| RefineError::Invalid(format!("not a class look: {e}")))?;
        if look.version > LOOK_VERSION {
            return Err(RefineError::Invalid(format!(
                "class look version {} is newer than this drivegen reads ({LOOK_VERSION})",
                look.version
            )));
        }
        for (i, g) in look.grades.iter().enumerate() {
            // `apply` counts each pixel's neighbours per grade in a fixed array: one grade
            // per look class, at most once.
            if !LOOK_CLASSES.contains(&g.class.as_str()) {
                return Err(RefineError::Invalid(format!(
                    "class look: `{}` is not a class a look grades (classes: {})",
                    g.class,
                    LOOK_CLASSES.join(", ")
                )));
            }
            if look.grades[..i].iter().any(|e| e.class == g.class) {
                return Err(RefineError::Invalid(format!(
                    "class look: `{}` is graded twice",
                    g.class
                )));
            }
            let values = [
                g.luma_gain,
                g.luma_offset,
                g.chroma_gain,
                g.red_green,
                g.yellow_blue,
            ];
            if values.iter().any(|v| !v.is_finite()) || g.luma_gain < 0.0 {
                return Err(RefineError::Invalid(format!(
                    "class look: `{}` has a non-finite or negative value",
                    g.class
                )));
            }
        }
        Ok(look)
    }

    /// Reads a look file; returns it with the SHA-256 of its bytes, which names it in
    /// `run.json` and the manifest as a checkpoint's does.
    pub fn load(path: &std::path::Path) -> Result<(ClassLook, String), RefineError> {
        let bytes = std::fs::read(path).map_err(RefineError::io(path))?;
        let text = String::from_utf8_lossy(&bytes);
        let look = ClassLook::from_json(&text).map_err(|e| {
            RefineError::checkpoint(
                path,
                e.to_string(),
                "a class look is the look.json that `drivegen fit-look` writes",
            )
        })?;
        Ok((look, crate::checkpoint::sha256_hex(&bytes)))
    }

    /// The grades that change something, with their Cityscapes ids.
    fn active(&self) -> Vec<(u8, &ClassGrade)> {
        self.grades
            .iter()
            .filter(|g| !g.is_identity())
            .filter_map(|g| {
                drivegen_labels::classes::Class::from_name(&g.class).map(|c| (c.cityscapes_id(), g))
            })
            .collect()
    }

    /// A loaded frame graded through its own semantic labels; an error naming the frame
    /// when it has none.
    pub fn apply_to_frame(&self, frame: &crate::data::Frame) -> Result<RgbImage, RefineError> {
        let (w, h) = frame.rgb.dimensions();
        let semantic = frame
            .semantic
            .clone()
            .and_then(|s| GrayImage::from_raw(w, h, s))
            .ok_or_else(|| {
                RefineError::Invalid(format!(
                    "{}: a class look needs the frame's semantic image (a `drivegen render` dataset's rgb/ with semantic/ beside it)",
                    frame.path.display()
                ))
            })?;
        self.apply(&frame.rgb, &semantic)
    }

    /// `rgb` graded through `semantic` (Cityscapes ids, the same size). Each pixel takes
    /// the grades of the classes in its 3x3 neighbourhood, weighted by their share.
    pub fn apply(&self, rgb: &RgbImage, semantic: &GrayImage) -> Result<RgbImage, RefineError> {
        if rgb.dimensions() != semantic.dimensions() {
            return Err(RefineError::Invalid(format!(
                "class look: a {}x{} frame with a {}x{} semantic image",
                rgb.width(),
                rgb.height(),
                semantic.width(),
                semantic.height()
            )));
        }
        let active = self.active();
        let mut out = rgb.clone();
        if active.is_empty() {
            return Ok(out);
        }
        let (w, h) = (rgb.width() as i64, rgb.height() as i64);
        let ids = semantic.as_raw();
        for y in 0..h {
            for x in 0..w {
                let mut share = [0u8; LOOK_CLASSES.len()];
                for dy in -1..=1 {
                    for dx in -1..=1 {
                        let (sx, sy) = ((x + dx).clamp(0, w - 1), (y + dy).clamp(0, h - 1));
                        let id = ids[(sy * w + sx) as usize];
                        if let Some(k) = active.iter().position(|(c, _)| *c == id) {
                            share[k] += 1;
                        }
                    }
                }
                if share.iter().all(|s| *s == 0) {
                    continue;
                }
                let p = out.get_pixel_mut(x as u32, y as u32);
                let o = to_opponent(p.0.map(|c| f64::from(c) / 255.0));
                let mut graded = o;
                for ((_, grade), s) in active.iter().zip(share) {
                    if s > 0 {
                        let t = grade.map(o);
                        let weight = f64::from(s) / 9.0;
                        for c in 0..3 {
                            graded[c] += weight * (t[c] - o[c]);
                        }
                    }
                }
                let rgb = from_opponent(graded);
                p.0 = rgb.map(|c| (c.clamp(0.0, 1.0) * 255.0).round() as u8);
            }
        }
        Ok(out)
    }
}

/// One candidate the fit scored.
#[derive(Debug, Clone, Serialize)]
pub struct LookStep {
    pub round: usize,
    pub class: String,
    pub setting: &'static str,
    pub value: f64,
    pub accuracy: f64,
    pub kept: bool,
}

/// A fitted look, its accuracy before and after, and every candidate scored.
#[derive(Debug, Clone, Serialize)]
pub struct LookFit {
    pub look: ClassLook,
    pub start_accuracy: f64,
    pub accuracy: f64,
    pub steps: Vec<LookStep>,
}

/// Rendered frames with their semantic labels, one group per scenario.
pub type FrameGroups = [Vec<(RgbImage, GrayImage)>];

/// The mean over `groups` of the held-out patch accuracy of each group's frames graded by
/// `look` against `real`. Scenarios are tested one at a time, as the realism test is run
/// per scenario: pooled, the classifier would learn a mixture of scenes, and a look
/// fitted to that mixture measurably carries over less to scenes it did not see.
fn score(
    groups: &FrameGroups,
    look: &ClassLook,
    real: &PatchSet,
    config: &RealismConfig,
) -> Result<f64, RefineError> {
    let mut sum = 0.0;
    for frames in groups {
        let graded = frames
            .iter()
            .map(|(rgb, sem)| look.apply(rgb, sem))
            .collect::<Result<Vec<_>, _>>()?;
        let sim = PatchSet::sample("sim", &graded, config, "sim")?;
        sum += two_sample(&sim, real, config).patch_accuracy.accuracy;
    }
    Ok(sum / groups.len().max(1) as f64)
}

/// The settings of one class the search moves, with the steps it tries: gains multiply,
/// offsets add, and each later pass tries half the step.
const SETTINGS: [(&str, bool, &[f64]); 5] = [
    ("luma_gain", true, &[0.8, 0.9, 1.1, 1.25]),
    ("luma_offset", false, &[-0.04, -0.02, 0.02, 0.04]),
    ("chroma_gain", true, &[0.6, 1.5, 2.2]),
    ("red_green", false, &[-0.02, -0.01, 0.01, 0.02]),
    ("yellow_blue", false, &[-0.03, -0.015, 0.015, 0.03]),
];

fn setting<'a>(g: &'a mut ClassGrade, name: &str) -> Option<&'a mut f64> {
    match name {
        "luma_gain" => Some(&mut g.luma_gain),
        "luma_offset" => Some(&mut g.luma_offset),
        "chroma_gain" => Some(&mut g.chroma_gain),
        "red_green" => Some(&mut g.red_green),
        "yellow_blue" => Some(&mut g.yellow_blue),
        _ => None,
    }
}

/// One setting of one class the fit leaves alone (`sidewalk.red_green`): the test may
/// prefer a grade a person sees is wrong, such as concrete tinted teal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrozenSetting {
    pub class: String,
    pub setting: &'static str,
}

impl std::str::FromStr for FrozenSetting {
    type Err = RefineError;

    fn from_str(text: &str) -> Result<FrozenSetting, RefineError> {
        let (class, name) = text.split_once('.').ok_or_else(|| {
            RefineError::Invalid(format!(
                "`{text}`: a frozen setting is CLASS.SETTING, e.g. sidewalk.red_green"
            ))
        })?;
        if !LOOK_CLASSES.contains(&class) {
            return Err(RefineError::Invalid(format!(
                "`{text}`: `{class}` is not a class a look grades (classes: {})",
                LOOK_CLASSES.join(", ")
            )));
        }
        let setting = SETTINGS
            .iter()
            .map(|(n, _, _)| *n)
            .find(|n| *n == name)
            .ok_or_else(|| {
                RefineError::Invalid(format!(
                    "`{text}`: `{name}` is not a setting of a grade (settings: {})",
                    SETTINGS.map(|(n, _, _)| n).join(", ")
                ))
            })?;
        Ok(FrozenSetting {
            class: class.to_string(),
            setting,
        })
    }
}

/// Searches each class's five settings in turn for `rounds` passes, keeping a move only
/// when it lowers the mean held-out accuracy of the groups of `frames` (renders with
/// their semantic labels, one group per scenario) against `real` by more than the test's
/// sampling noise. Settings in `frozen` keep their identity value. `real` must have been
/// sampled with `config`; each scored candidate is passed to `progress`.
pub fn fit_look(
    frames: &FrameGroups,
    real: &PatchSet,
    config: &RealismConfig,
    rounds: usize,
    frozen: &[FrozenSetting],
    mut progress: impl FnMut(&LookStep),
) -> Result<LookFit, RefineError> {
    if frames.is_empty() {
        return Err(RefineError::Invalid(
            "the look fit needs at least one group of rendered frames".into(),
        ));
    }
    let mut best = ClassLook::identity();
    let start_accuracy = score(frames, &best, real, config)?;
    let mut best_accuracy = start_accuracy;
    let mut steps = Vec::new();
    for round in 0..rounds {
        let scale = 0.5f64.powi(round as i32);
        let mut moved = false;
        for k in 0..best.grades.len() {
            for (name, multiplies, deltas) in SETTINGS {
                let class = &best.grades[k].class;
                if frozen
                    .iter()
                    .any(|f| f.class == *class && f.setting == name)
                {
                    continue;
                }
                let Some(current) = setting(&mut best.grades[k], name).map(|v| *v) else {
                    continue;
                };
                for &d in deltas {
                    let value = if multiplies {
                        current * (1.0 + (d - 1.0) * scale)
                    } else {
                        current + d * scale
                    };
                    let mut candidate = best.clone();
                    if let Some(v) = setting(&mut candidate.grades[k], name) {
                        *v = value;
                    }
                    let accuracy = score(frames, &candidate, real, config)?;
                    let kept = clearly_lower(accuracy, best_accuracy);
                    if kept {
                        best = candidate;
                        best_accuracy = accuracy;
                        moved = true;
                    }
                    let step = LookStep {
                        round,
                        class: best.grades[k].class.clone(),
                        setting: name,
                        value,
                        accuracy,
                        kept,
                    };
                    progress(&step);
                    steps.push(step);
                }
            }
        }
        if !moved {
            break;
        }
    }
    Ok(LookFit {
        look: best,
        start_accuracy,
        accuracy: best_accuracy,
        steps,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROAD: u8 = 7;
    const SKY: u8 = 23;

    /// A textured frame: sky above row 20, road below.
    fn frame(k: u32) -> (RgbImage, GrayImage) {
        let rgb = RgbImage::from_fn(64, 48, |x, y| {
            let n = ((x * 7 + y * 13 + k * 5) % 17) as u8;
            if y < 20 {
                image::Rgb([120 + n, 150 + n, 200])
            } else {
                image::Rgb([100 + n, 100 + n, 100 + n])
            }
        });
        let sem = GrayImage::from_fn(64, 48, |_, y| {
            image::Luma([if y < 20 { SKY } else { ROAD }])
        });
        (rgb, sem)
    }

    fn with(class: &str, f: impl Fn(&mut ClassGrade)) -> ClassLook {
        let mut look = ClassLook::identity();
        for g in &mut look.grades {
            if g.class == class {
                f(g);
            }
        }
        look
    }

    fn grade_of<'a>(look: &'a ClassLook, class: &str) -> &'a ClassGrade {
        look.grades
            .iter()
            .find(|g| g.class == class)
            .unwrap_or_else(|| panic!("no {class} grade"))
    }

    #[test]
    fn opponent_colour_round_trips() {
        for rgb in [[0.1, 0.5, 0.9], [1.0, 0.0, 0.3], [0.4, 0.4, 0.4]] {
            let back = from_opponent(to_opponent(rgb));
            for c in 0..3 {
                assert!((back[c] - rgb[c]).abs() < 1e-9, "{rgb:?} -> {back:?}");
            }
        }
    }

    #[test]
    fn the_identity_look_changes_nothing() {
        let (rgb, sem) = frame(0);
        assert_eq!(ClassLook::identity().apply(&rgb, &sem).expect("apply"), rgb);
    }

    #[test]
    fn a_grade_changes_its_class_only_and_keeps_its_edges() {
        let (rgb, sem) = frame(1);
        let darker = with("road", |g| g.luma_gain = 0.5);
        let out = darker.apply(&rgb, &sem).expect("apply");
        for (x, y, p) in out.enumerate_pixels() {
            let before = rgb.get_pixel(x, y);
            if y < 19 {
                assert_eq!(p, before, "sky pixel {x},{y} changed");
            } else if y > 20 {
                // Grey in, grey out: half the luma of the raw pixel.
                let want = (f64::from(before[0]) * 0.5).round();
                assert!(
                    (f64::from(p[0]) - want).abs() <= 1.0,
                    "{x},{y}: {p:?} for {before:?}"
                );
                assert_eq!(p[0], p[1]);
            }
        }
        // Inside the road every horizontal step keeps its sign: edges stay where they were.
        for y in 22..48 {
            for x in 1..64 {
                let d_in =
                    i32::from(rgb.get_pixel(x, y)[0]) - i32::from(rgb.get_pixel(x - 1, y)[0]);
                let d_out =
                    i32::from(out.get_pixel(x, y)[0]) - i32::from(out.get_pixel(x - 1, y)[0]);
                assert!(
                    d_in.signum() == d_out.signum() || d_in.abs() <= 1,
                    "{x},{y}: {d_in} -> {d_out}"
                );
            }
        }
    }

    #[test]
    fn a_look_file_round_trips_and_bad_ones_are_refused() {
        let look = with("sky", |g| g.chroma_gain = 1.5);
        let text = serde_json::to_string(&look).expect("json");
        assert_eq!(ClassLook::from_json(&text).expect("parse"), look);
        let unknown = text.replace("\"sky\"", "\"skies\"");
        let err = ClassLook::from_json(&unknown).expect_err("unknown class");
        assert!(err.to_string().contains("skies"), "{err}");
        let car = text.replace("\"sky\"", "\"car\"");
        assert!(
            ClassLook::from_json(&car).is_err(),
            "cars keep the renderer's colours"
        );
        let twice = text.replace("\"road\"", "\"sky\"");
        let err = ClassLook::from_json(&twice).expect_err("sky twice");
        assert!(err.to_string().contains("twice"), "{err}");
        let newer = text.replace("\"version\":1", "\"version\":9");
        assert!(ClassLook::from_json(&newer).is_err());
        assert!(ClassLook::from_json("{").is_err());
        let (rgb, _) = frame(0);
        assert!(look.apply(&rgb, &GrayImage::new(3, 3)).is_err());
    }

    #[test]
    fn the_example_looks_in_assets_load_and_grade_something() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/looks");
        let mut names = Vec::new();
        for entry in std::fs::read_dir(&dir).expect("assets/looks") {
            let path = entry.expect("entry").path();
            let (look, sha256) = ClassLook::load(&path).expect("a valid look");
            assert_ne!(look, ClassLook::identity(), "{}", path.display());
            assert!(!look.active().is_empty(), "{}", path.display());
            assert_eq!(sha256.len(), 64);
            names.extend(path.file_name().map(|n| n.to_string_lossy().into_owned()));
        }
        names.sort();
        assert_eq!(names, ["real-road-hmb.json", "real-road.json"]);
    }

    #[test]
    fn the_fit_finds_the_brightness_a_camera_gives_the_road() {
        let config = RealismConfig {
            height: 48,
            patch: 16,
            patches: 400,
            kid_patches: 0,
            ..RealismConfig::default()
        };
        let frames: Vec<_> = (0..12).map(frame).collect();
        // The "camera" sees the same scenes with the road at 80 % of the renders' luma.
        let camera = with("road", |g| g.luma_gain = 0.8);
        let real_frames: Vec<RgbImage> = frames
            .iter()
            .map(|(rgb, sem)| camera.apply(rgb, sem).expect("apply"))
            .collect();
        let real = PatchSet::sample("real", &real_frames, &config, "real").expect("real");
        let mut seen = 0;
        let fit = fit_look(
            std::slice::from_ref(&frames),
            &real,
            &config,
            2,
            &[],
            |_| seen += 1,
        )
        .expect("fit");
        assert_eq!(seen, fit.steps.len());
        assert!(fit.start_accuracy > 0.9, "unfitted: {}", fit.start_accuracy);
        assert!(fit.accuracy < 0.75, "fitted: {}", fit.accuracy);
        let road = grade_of(&fit.look, "road");
        assert!((road.luma_gain - 0.8).abs() < 0.06, "{road:?}");

        let frozen = ["road.luma_gain".parse().expect("a setting")];
        let held = fit_look(&[frames], &real, &config, 2, &frozen, |_| {}).expect("fit");
        assert!(
            held.steps
                .iter()
                .all(|s| s.class != "road" || s.setting != "luma_gain")
        );
        let road = grade_of(&held.look, "road");
        assert_eq!(road.luma_gain, 1.0, "{road:?}");
    }

    #[test]
    fn a_frozen_setting_must_name_a_class_and_a_setting() {
        let ok: FrozenSetting = "sidewalk.red_green".parse().expect("valid");
        assert_eq!((ok.class.as_str(), ok.setting), ("sidewalk", "red_green"));
        for (bad, says) in [
            ("sidewalk", "CLASS.SETTING"),
            ("car.red_green", "`car`"),
            ("sidewalk.hue", "`hue`"),
        ] {
            let err = bad.parse::<FrozenSetting>().expect_err(bad).to_string();
            assert!(err.contains(says), "{bad}: {err}");
        }
    }
}
