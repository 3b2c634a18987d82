//! Command-line overrides of a loaded scenario (`--frames`, `--width`, `--height`),
//! held to the same caps as the file: one rule per cap, shared with the file checks.

use super::caps;
use crate::model::Scenario;

/// Smallest image side a camera renders (pixels).
pub const MIN_IMAGE_SIDE: u32 = 16;

/// The hint for an image side outside `[MIN_IMAGE_SIDE, caps::IMAGE_SIDE]`.
pub(super) const SIDE_HINT: &str =
    "caps keep one file from exhausting memory; 1920x1080 is a common choice";
/// The hint for an image above `caps::IMAGE_PIXELS`.
pub(super) const PIXELS_HINT: &str = "render at most 16 megapixels per camera";

/// Whether one image side is within `[MIN_IMAGE_SIDE, caps::IMAGE_SIDE]`.
pub(super) fn side_ok(v: u32) -> bool {
    (MIN_IMAGE_SIDE..=caps::IMAGE_SIDE).contains(&v)
}

/// Whether `width x height` is within `caps::IMAGE_PIXELS`.
pub(super) fn pixels_ok(width: u32, height: u32) -> bool {
    u64::from(width) * u64::from(height) <= caps::IMAGE_PIXELS
}

/// Whether a frame count per variant is within `[1, caps::FRAMES_PER_VARIANT]`.
pub(super) fn frames_ok(n: u32) -> bool {
    (1..=caps::FRAMES_PER_VARIANT).contains(&n)
}

/// What the command line may change in a loaded scenario: frames per variant, and the
/// image size of every camera. `None` keeps the scenario's value.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Overrides {
    /// `--frames`: captures per variant (replaces `capture.frames` / `duration`).
    pub frames: Option<u32>,
    /// `--width`: image width of every camera.
    pub width: Option<u32>,
    /// `--height`: image height of every camera.
    pub height: Option<u32>,
}

/// One override outside its cap: the flag, what is wrong, and a hint.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{flag}: {message}\n  = hint: {hint}")]
pub struct OverrideProblem {
    /// The flag as typed, e.g. `--width`.
    pub flag: &'static str,
    pub message: String,
    pub hint: String,
}

/// Every override that breaks a cap (at least one), one per line with its hint.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}", lines(.0))]
pub struct OverrideError(pub Vec<OverrideProblem>);

fn lines(problems: &[OverrideProblem]) -> String {
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

/// Checks command-line overrides against the caps a scenario file is held to
/// ([`caps::FRAMES_PER_VARIANT`], [`caps::IMAGE_SIDE`], [`caps::IMAGE_PIXELS`]).
/// A lone `--width` or `--height` is judged with each camera's other side.
pub fn check_overrides(s: &Scenario, o: &Overrides) -> Result<(), OverrideError> {
    let mut problems = Vec::new();
    if let Some(n) = o.frames
        && !frames_ok(n)
    {
        problems.push(OverrideProblem {
            flag: "--frames",
            message: format!(
                "{n} frames per variant is outside [1, {}]",
                caps::FRAMES_PER_VARIANT
            ),
            hint: if n == 0 {
                "a variant needs at least one frame; `--frames 1` renders one picture per variant"
            } else {
                "render more variants for a larger dataset"
            }
            .into(),
        });
    }
    for (flag, value) in [("--width", o.width), ("--height", o.height)] {
        if let Some(v) = value
            && !side_ok(v)
        {
            problems.push(OverrideProblem {
                flag,
                message: format!(
                    "{v} pixels is outside [{MIN_IMAGE_SIDE}, {}] pixels per side",
                    caps::IMAGE_SIDE
                ),
                hint: SIDE_HINT.into(),
            });
        }
    }
    if o.width.is_some() || o.height.is_some() {
        let mut seen = Vec::new();
        for cam in &s.sensors.cameras {
            let (w, h) = (o.width.unwrap_or(cam.width), o.height.unwrap_or(cam.height));
            if pixels_ok(w, h) || seen.contains(&(w, h)) {
                continue;
            }
            seen.push((w, h));
            let (flag, whose) = match (o.width, o.height) {
                (Some(_), Some(_)) => ("--width", String::new()),
                (Some(_), None) => ("--width", format!(" (camera `{}`'s height)", cam.name)),
                _ => ("--height", format!(" (camera `{}`'s width)", cam.name)),
            };
            problems.push(OverrideProblem {
                flag,
                message: format!(
                    "{w}x{h}{whose} is {} pixels, above the cap of {}",
                    u64::from(w) * u64::from(h),
                    caps::IMAGE_PIXELS
                ),
                hint: PIXELS_HINT.into(),
            });
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(OverrideError(problems))
    }
}

impl Overrides {
    /// Checks the overrides ([`check_overrides`]) and, when all hold, writes them into
    /// `s`; on error `s` is unchanged.
    pub fn apply(&self, s: &mut Scenario) -> Result<(), OverrideError> {
        check_overrides(s, self)?;
        if let Some(n) = self.frames {
            s.capture.frames = Some(n);
        }
        for cam in &mut s.sensors.cameras {
            cam.width = self.width.unwrap_or(cam.width);
            cam.height = self.height.unwrap_or(cam.height);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario() -> Scenario {
        crate::load_default().expect("default loads").scenario
    }

    #[test]
    fn overrides_within_the_caps_apply() {
        let mut s = scenario();
        let o = Overrides {
            frames: Some(5),
            width: Some(320),
            height: Some(192),
        };
        assert_eq!(o.apply(&mut s), Ok(()));
        assert_eq!(s.capture.frame_count(), 5);
        assert!(
            s.sensors
                .cameras
                .iter()
                .all(|c| (c.width, c.height) == (320, 192))
        );
        assert_eq!(check_overrides(&s, &Overrides::default()), Ok(()));
    }

    #[test]
    fn every_cap_is_held_and_nothing_is_applied() {
        let mut s = scenario();
        let before = format!("{s:?}");
        let o = Overrides {
            frames: Some(0),
            width: Some(8192),
            height: Some(8192),
        };
        let err = o.apply(&mut s).expect_err("above the caps");
        assert_eq!(format!("{s:?}"), before, "nothing applied");
        let flags: Vec<_> = err.0.iter().map(|p| p.flag).collect();
        assert_eq!(flags, ["--frames", "--width"], "{err}");
        assert!(err.0[0].hint.contains("at least one frame"), "{err}");
        assert!(
            err.to_string()
                .contains("67108864 pixels, above the cap of 16777216")
        );
        assert!(
            err.to_string()
                .contains("= hint: render at most 16 megapixels")
        );

        let err = check_overrides(
            &s,
            &Overrides {
                frames: Some(caps::FRAMES_PER_VARIANT + 1),
                width: Some(15),
                height: Some(8193),
            },
        )
        .expect_err("out of range");
        let flags: Vec<_> = err.0.iter().map(|p| p.flag).collect();
        assert_eq!(flags, ["--frames", "--width", "--height"], "{err}");
    }

    #[test]
    fn a_lone_side_is_judged_with_each_cameras_other_side() {
        let mut s = scenario();
        s.sensors.cameras[0].height = 4096;
        let o = Overrides {
            width: Some(8000),
            ..Overrides::default()
        };
        let err = check_overrides(&s, &o).expect_err("8000x4096 is 32 MP");
        assert!(
            err.to_string()
                .contains("8000x4096 (camera `front`'s height) is 32768000 pixels"),
            "{err}"
        );
        s.sensors.cameras[0].height = 1000;
        assert_eq!(check_overrides(&s, &o), Ok(()));
    }
}
