//! Held-out realism curves during training: every K steps the refiner refines a fixed
//! set of held-out sim frames, and the classifier two-sample test and the KID compare
//! them with each held-out real domain. Step 0 is the raw frames, the baseline a run must
//! beat. Written as `curves.csv` and `curves.png`, so a run shows when it stops improving.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use burn::prelude::*;
use image::RgbImage;

use crate::data::{Frame, FrameRange, load_range};
use crate::error::RefineError;
use crate::eval::refine_frame;
use crate::model::{InputLayout, Refiner};
use crate::plot::{Series, write_plot};
use crate::realism::{PatchSet, RealismConfig, to_height, two_sample};

pub const CURVES_CSV: &str = "curves.csv";
pub const CURVES_PNG: &str = "curves.png";
const CSV_HEADER: &str = "step,domain,patch_accuracy,image_accuracy,kid";

/// A folder of frames and which of them (sorted) to take.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FrameSource {
    pub dir: PathBuf,
    pub frames: FrameRange,
}

impl std::fmt::Display for FrameSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} [{}]", self.dir.display(), self.frames)
    }
}

impl std::str::FromStr for FrameSource {
    type Err = String;
    /// `DIR` (all frames) or `DIR@START..END`.
    fn from_str(s: &str) -> Result<FrameSource, String> {
        if let Some((dir, range)) = s.rsplit_once('@')
            && range.contains("..")
        {
            return Ok(FrameSource {
                dir: PathBuf::from(dir),
                frames: range.parse()?,
            });
        }
        Ok(FrameSource {
            dir: PathBuf::from(s),
            frames: FrameRange::default(),
        })
    }
}

impl FrameSource {
    pub fn load(&self) -> Result<Vec<Frame>, RefineError> {
        load_range(&self.dir, self.frames)
    }

    /// A short name for plots and tables: the folder's name (its parent's when the
    /// folder is called `frames`).
    pub fn short_name(&self) -> String {
        let mut p = self.dir.as_path();
        if p.file_name().is_some_and(|n| n == "frames") {
            p = p.parent().unwrap_or(p);
        }
        p.file_name()
            .map_or_else(|| p.display().to_string(), |n| n.to_string_lossy().into())
    }
}

/// What the curves are measured on.
#[derive(Clone, Debug)]
pub struct CurveOptions {
    pub every: usize,
    /// Held-out renders (a scenario the refiner does not train on).
    pub sim: FrameSource,
    /// At most this many sim frames, spread evenly over the source.
    pub sim_frames: usize,
    /// Held-out real frames, one source per domain.
    pub real: Vec<FrameSource>,
}

/// One point of one curve.
#[derive(Clone, Debug, PartialEq)]
pub struct CurvePoint {
    pub step: usize,
    pub domain: String,
    pub patch_accuracy: f64,
    pub image_accuracy: f64,
    pub kid: f64,
}

impl CurvePoint {
    fn csv(&self) -> String {
        format!(
            "{},{},{:.4},{:.4},{:.6}",
            self.step, self.domain, self.patch_accuracy, self.image_accuracy, self.kid
        )
    }
    fn parse(line: &str) -> Option<CurvePoint> {
        let f: Vec<&str> = line.split(',').collect();
        if f.len() != 5 {
            return None;
        }
        Some(CurvePoint {
            step: f[0].parse().ok()?,
            domain: f[1].to_string(),
            patch_accuracy: f[2].parse().ok()?,
            image_accuracy: f[3].parse().ok()?,
            kid: f[4].parse().ok()?,
        })
    }
}

/// The loaded held-out data: sim frames, and each real domain's patches, cut once.
#[derive(Debug)]
pub struct CurveProbe {
    sim: Vec<Frame>,
    real: Vec<(String, PatchSet)>,
    config: RealismConfig,
}

/// Cheaper than the README's realism test (fewer patches), as it runs many times.
fn curve_config() -> RealismConfig {
    RealismConfig {
        patches: 1024,
        kid_patches: 256,
        ..RealismConfig::default()
    }
}

impl CurveProbe {
    pub fn load(o: &CurveOptions) -> Result<CurveProbe, RefineError> {
        let config = curve_config();
        let all = o.sim.load()?;
        let take = o.sim_frames.max(2).min(all.len());
        let sim: Vec<Frame> = (0..take)
            .map(|i| all[i * all.len() / take].clone())
            .collect();
        let mut real = Vec::new();
        for (i, source) in o.real.iter().enumerate() {
            let images: Vec<RgbImage> = source
                .load()?
                .iter()
                .map(|f| to_height(&f.rgb, config.height))
                .collect();
            let name = source.short_name();
            let set = PatchSet::sample(&name, &images, &config, &format!("real-{i}"))?;
            real.push((name, set));
        }
        Ok(CurveProbe { sim, real, config })
    }

    /// The raw frames' points (step 0).
    pub fn raw(&self) -> Result<Vec<CurvePoint>, RefineError> {
        let images: Vec<RgbImage> = self.sim.iter().map(|f| f.rgb.clone()).collect();
        self.measure(0, &images)
    }

    /// Refines the held-out sim frames and measures them against every real domain.
    pub fn refined<B: Backend>(
        &self,
        step: usize,
        refiner: &Refiner<B>,
        layout: InputLayout,
        noise_seed: u64,
        device: &B::Device,
    ) -> Result<Vec<CurvePoint>, RefineError> {
        let images = self
            .sim
            .iter()
            .map(|f| refine_frame(refiner, layout, noise_seed, f, device))
            .collect::<Result<Vec<_>, _>>()?;
        self.measure(step, &images)
    }

    fn measure(&self, step: usize, images: &[RgbImage]) -> Result<Vec<CurvePoint>, RefineError> {
        let scaled: Vec<RgbImage> = images
            .iter()
            .map(|i| to_height(i, self.config.height))
            .collect();
        let sim = PatchSet::sample("sim", &scaled, &self.config, "sim")?;
        Ok(self
            .real
            .iter()
            .map(|(name, real)| {
                let r = two_sample(&sim, real, &self.config);
                CurvePoint {
                    step,
                    domain: name.clone(),
                    patch_accuracy: r.patch_accuracy.accuracy,
                    image_accuracy: r.image_accuracy.accuracy,
                    kid: r.kid_random_conv,
                }
            })
            .collect())
    }
}

/// The rows of a training log CSV (header skipped) that `parse` reads; none when the
/// file is absent (a fresh run).
pub(crate) fn read_rows<T>(path: &Path, parse: fn(&str) -> Option<T>) -> Vec<T> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .skip(1)
        .filter_map(parse)
        .collect()
}

/// The points of an earlier run up to `up_to` (for resume).
pub fn read_curves(out: &Path, up_to: usize) -> Vec<CurvePoint> {
    let mut points = read_rows(&out.join(CURVES_CSV), CurvePoint::parse);
    points.retain(|p| p.step <= up_to);
    points
}

const COLOURS: [[u8; 3]; 4] = [[200, 40, 40], [40, 90, 200], [40, 160, 60], [150, 90, 20]];

/// Writes `curves.csv` and `curves.png` (top: two-sample accuracy per domain; bottom:
/// KID per domain; one value per evaluation, step 0 first).
pub fn write_curves(out: &Path, points: &[CurvePoint]) -> Result<(), RefineError> {
    let mut csv = String::from(CSV_HEADER);
    csv.push('\n');
    for p in points {
        let _ = writeln!(csv, "{}", p.csv());
    }
    let path = out.join(CURVES_CSV);
    std::fs::write(&path, csv).map_err(RefineError::io(&path))?;
    let mut domains: Vec<&str> = points.iter().map(|p| p.domain.as_str()).collect();
    domains.sort_unstable();
    domains.dedup();
    let series = |f: fn(&CurvePoint) -> f64, what: &str| -> Vec<Series> {
        domains
            .iter()
            .enumerate()
            .map(|(i, d)| Series {
                name: format!("{what} {d}"),
                colour: COLOURS[i % COLOURS.len()],
                values: points.iter().filter(|p| p.domain == *d).map(f).collect(),
            })
            .collect()
    };
    write_plot(
        &out.join(CURVES_PNG),
        &[
            series(|p| p.patch_accuracy, "two-sample accuracy"),
            series(|p| p.kid, "kid"),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn curve_points_round_trip_through_csv() {
        let p = CurvePoint {
            step: 200,
            domain: "real-road-hmb".into(),
            patch_accuracy: 0.8125,
            image_accuracy: 0.75,
            kid: 0.012_345,
        };
        assert_eq!(CurvePoint::parse(&p.csv()), Some(p));
        assert_eq!(CurvePoint::parse("step,domain"), None);
    }

    #[test]
    fn frame_sources_parse_an_optional_range() {
        let s: FrameSource = "../real/frames@80..".parse().expect("parses");
        assert_eq!(s.dir, PathBuf::from("../real/frames"));
        assert_eq!(s.frames.start, 80);
        assert_eq!(s.frames.end, None);
        let plain: FrameSource = "a@b/frames".parse().expect("parses");
        assert_eq!(plain.dir, PathBuf::from("a@b/frames"));
        assert!("x@5..2".parse::<FrameSource>().is_err());
    }

    #[test]
    fn short_names_skip_a_frames_folder() {
        let s = FrameSource {
            dir: PathBuf::from("../shared/data/real-road-hmb/frames"),
            frames: FrameRange::default(),
        };
        assert_eq!(s.short_name(), "real-road-hmb");
    }
}
