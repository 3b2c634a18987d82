//! The render pipeline as a library, called by the `drivegen` binary and by embedders:
//! plan every variant → engine (simulation, rendering, label pass) → optional
//! refinement → writer pool, journal, resume, manifest and captions.
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let loaded = drivegen_scenario::load_default()?;
//! let request = drivegen_render::RenderRequest::new(
//!     loaded.scenario,
//!     loaded.merged_text,
//!     "out/dataset".into(),
//! );
//! let summary = drivegen_render::render(&request, &mut drivegen_render::Silent)?;
//! println!("{} frames", summary.rendered);
//! # Ok(())
//! # }
//! ```
//!
//! Refinement is injected ([`FrameRefiner`]) so that this crate, like the engine, never
//! depends on burn; the binary wraps `drivegen-refine`.

pub mod captions;
mod jobs;
pub mod manifest;
pub mod rejected;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use drivegen_dataset::{
    CalibrationFile, CameraCalibration, DatasetError, DatasetWriter, FrameJob, Job, Journal,
    RunInfo, semantic_lut, variant_dir, write_atomic,
};
use drivegen_scenario::Scenario;
use drivegen_sim::{Engine, EngineOptions, StageTimes};

pub use jobs::frame_jobs;
pub use manifest::{ManifestExtras, expected_sensors, write_manifest};

/// Refines a camera frame's RGB (the binary wraps `drivegen-refine`'s checkpoints).
pub trait FrameRefiner {
    /// The refined RGB (3 bytes per pixel) of `job`, rendered in `environment`, or
    /// `None` when it has no RGB.
    fn refine(
        &self,
        job: &FrameJob,
        environment: &drivegen_plan::EnvironmentPlan,
    ) -> Result<Option<Vec<u8>>, String>;
    /// A checksum naming the exact refiner (its weights), recorded in `run.json`.
    fn sha256(&self) -> Option<String> {
        None
    }
    /// How far into a frame the refiner reaches (`covered`, `covered:CLASS,...` or
    /// `full`), recorded in `run.json`; `None` where the notion does not apply.
    fn reach(&self) -> Option<String> {
        None
    }
}

/// Hears how a render goes (for progress bars and messages); every method has a no-op
/// default.
pub trait Observer {
    /// Before the first frame: camera frames to render in all (finished ones included).
    fn started(&mut self, _total_frames: u64) {}
    /// `--resume` found no run in the output directory and starts a fresh one.
    fn fresh_start(&mut self, _dir: &Path) {}
    fn variant(&mut self, _scenario: &str, _variant: u32) {}
    /// Camera frames rendered or found finished.
    fn frames_done(&mut self, _frames: u64) {}
}

/// An [`Observer`] that ignores everything.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;
impl Observer for Silent {}

/// What to render, and where.
pub struct RenderRequest<'a> {
    /// The scenario with any overrides applied.
    pub scenario: Scenario,
    /// The scenario file as loaded (extends merged), kept as `scenario.ron`.
    pub scenario_text: String,
    /// The variants to render (a shard's share, or all).
    pub variants: Vec<u32>,
    /// Variants of the whole run, and this directory's shard of it, when sharded.
    pub shard: Option<(u32, u32)>,
    pub variants_total: u32,
    /// The directory to write (the shard's own directory when sharded).
    pub out: PathBuf,
    pub engine: EngineOptions,
    /// Continue the run in `out` (frames in its journal are not rendered again).
    pub resume: bool,
    /// Encoder/writer threads.
    pub writers: usize,
    /// The refiner and the name recorded for it in `run.json`.
    pub refiner: Option<(&'a dyn FrameRefiner, String)>,
    pub manifest: ManifestExtras,
}

impl std::fmt::Debug for RenderRequest<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RenderRequest")
            .field("scenario", &self.scenario.name)
            .field("variants", &self.variants)
            .field("out", &self.out)
            .field("refiner", &self.refiner.as_ref().map(|(_, name)| name))
            .finish_non_exhaustive()
    }
}

impl RenderRequest<'_> {
    /// Every variant of `scenario` with the default engine options into `out`.
    pub fn new(scenario: Scenario, scenario_text: String, out: PathBuf) -> RenderRequest<'static> {
        RenderRequest {
            variants: (0..scenario.variants).collect(),
            variants_total: scenario.variants,
            scenario,
            scenario_text,
            shard: None,
            out,
            engine: EngineOptions::default(),
            resume: false,
            writers: 2,
            refiner: None,
            manifest: ManifestExtras::default(),
        }
    }

    /// `run.json` for this request.
    pub fn run_info(&self) -> RunInfo {
        let cameras = &self.scenario.sensors.cameras;
        RunInfo {
            tool: "drivegen".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            scenario: self.scenario.name.clone(),
            seed: self.scenario.seed,
            variants: self.variants.clone(),
            frames_per_variant: self.scenario.capture.frame_count() as usize,
            cameras: cameras.iter().map(|c| c.name.clone()).collect(),
            lidar: self.scenario.sensors.lidar.is_some(),
            rgb: self.engine.rgb,
            layout: drivegen_dataset::LAYOUT.into(),
            image_sizes: cameras.iter().map(|c| [c.width, c.height]).collect(),
            quality: self.engine.quality.name().into(),
            shadows: self.engine.shadows,
            msaa: self.engine.msaa,
            shard: self.shard.map(|(i, n)| [i, n]),
            variants_total: self.shard.map(|_| self.variants_total),
            refiner: self.refiner.as_ref().map(|(_, name)| name.clone()),
            refiner_sha256: self.refiner.as_ref().and_then(|(r, _)| r.sha256()),
            refiner_reach: self.refiner.as_ref().and_then(|(r, _)| r.reach()),
            // Every variant of the whole run, so shards agree and a merge keeps them all.
            coverage: (0..self.variants_total)
                .map(|variant| drivegen_dataset::CoverageCell {
                    variant,
                    values: self.scenario.coverage_cell(variant).into_iter().collect(),
                })
                .filter(|c| !c.values.is_empty())
                .collect(),
            keep_frames_where: (!self.scenario.keep_frames_where.is_empty())
                .then(|| serde_json::to_value(&self.scenario.keep_frames_where).ok())
                .flatten(),
        }
    }
}

/// What a render did.
#[derive(Debug, Clone)]
pub struct RenderSummary {
    pub run: RunInfo,
    /// Camera frames rendered now, and in the whole run (finished ones included).
    pub rendered: u64,
    pub total: u64,
    /// Bytes the writers wrote.
    pub bytes: u64,
    pub times: StageTimes,
    pub first_frame: Option<Duration>,
    pub elapsed: Duration,
    /// Captures `keep_frames_where` rejected, per variant, in the whole run (resumed
    /// runs included); empty when the scenario filters nothing.
    pub rejected: BTreeMap<u32, u64>,
    /// Scripted events whose trigger never held during the capture, with the variants
    /// (simulated in this run) where it did not.
    pub never_fired: BTreeMap<String, Vec<u32>>,
}

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("cannot plan variant {variant}: {source}")]
    Plan {
        variant: u32,
        #[source]
        source: drivegen_plan::PlanError,
    },
    #[error(
        "--resume: {} holds a different run (scenario, frames, cameras or options changed)\n  = hint: rerun with the same arguments, or choose another --out",
        .dir.display()
    )]
    DifferentRun { dir: PathBuf },
    #[error("--refine needs RGB frames; drop --no-rgb")]
    RefineWithoutRgb,
    #[error("cannot refine frame {frame} of variant {variant}: {reason}")]
    Refine {
        variant: u32,
        frame: u32,
        reason: String,
    },
    #[error(transparent)]
    Engine(#[from] drivegen_sim::EngineError),
    #[error(transparent)]
    Dataset(#[from] DatasetError),
}

impl RenderError {
    /// Whether the user's input caused it (the binary exits with 2).
    pub fn is_input(&self) -> bool {
        matches!(
            self,
            RenderError::Plan { .. }
                | RenderError::DifferentRun { .. }
                | RenderError::RefineWithoutRgb
        )
    }
}

/// Frames already finished: sensors journalled per (variant, frame).
type Finished = BTreeMap<(u32, u32), BTreeSet<String>>;

/// The run to continue: `None` starts afresh (no resume, or nothing to resume).
fn previous_run(
    req: &RenderRequest<'_>,
    run_json: &[u8],
    observer: &mut dyn Observer,
) -> Result<Option<Finished>, RenderError> {
    if !req.resume {
        return Ok(None);
    }
    let path = req.out.join(RunInfo::FILE);
    match std::fs::read(&path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            observer.fresh_start(&req.out);
            Ok(None)
        }
        Err(source) => Err(DatasetError::Read { path, source }.into()),
        Ok(previous) if previous != run_json => Err(RenderError::DifferentRun {
            dir: req.out.clone(),
        }),
        Ok(_) => {
            let mut done = Finished::new();
            for e in Journal::read(&req.out) {
                done.entry((e.variant, e.frame))
                    .or_default()
                    .insert(e.sensor);
            }
            Ok(Some(done))
        }
    }
}

/// A fresh run (render, query, augment, merge) into a folder that holds an earlier run
/// (its `run.json`) replaces it: the
/// earlier variant folders, exports, journal, manifest and captions go first. A shorter
/// run left the earlier run's other variants and later frames beside its own, outside
/// its manifest. Nothing else in the folder is touched.
pub fn clear_previous_run(out: &Path) -> Result<(), DatasetError> {
    if !out.join(RunInfo::FILE).is_file() {
        return Ok(());
    }
    let entries = std::fs::read_dir(out).map_err(|source| DatasetError::Read {
        path: out.to_path_buf(),
        source,
    })?;
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        let variant = name.len() > 1
            && name.starts_with('v')
            && name[1..].bytes().all(|b| b.is_ascii_digit());
        let gone = if path.is_dir() && (variant || name == "exports") {
            std::fs::remove_dir_all(&path)
        } else if matches!(
            name.as_str(),
            "manifest.json" | "captions.jsonl" | drivegen_dataset::JOURNAL | rejected::FILE
        ) {
            std::fs::remove_file(&path)
        } else {
            Ok(())
        };
        gone.map_err(|source| DatasetError::Write { path, source })?;
    }
    Ok(())
}

/// Removes a run entirely: what [`clear_previous_run`] removes, its `run.json` and
/// `scenario.ron`, and the folder itself when nothing else is left in it.
pub fn remove_run(out: &Path) -> Result<(), DatasetError> {
    clear_previous_run(out)?;
    for file in [RunInfo::FILE, "scenario.ron"] {
        remove_file(&out.join(file))?;
    }
    let _ = std::fs::remove_dir(out); // only when empty
    Ok(())
}

fn remove_partials(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.filter_map(Result::ok) {
        let p = e.path();
        if p.is_dir() {
            remove_partials(&p);
        } else if p.extension().is_some_and(|x| x == "partial") {
            let _ = std::fs::remove_file(&p);
        }
    }
}

fn plan(scenario: &Scenario, variant: u32) -> Result<drivegen_plan::ScenePlan, RenderError> {
    drivegen_plan::plan(scenario, variant).map_err(|source| RenderError::Plan { variant, source })
}

/// Renders `req` into `req.out` and writes its manifest. Every input problem (planning,
/// a different run to resume) is found before the first file is written.
pub fn render(
    req: &RenderRequest<'_>,
    observer: &mut dyn Observer,
) -> Result<RenderSummary, RenderError> {
    if req.refiner.is_some() && !req.engine.rgb {
        return Err(RenderError::RefineWithoutRgb);
    }
    let run = req.run_info();
    let run_json = run.to_json();
    let done = previous_run(req, &run_json, observer)?;
    // Plans are not kept (a big shard's would not fit in memory); planning is
    // deterministic and cheap next to rendering, so each is planned again before use.
    let mut expected: Vec<BTreeSet<String>> = Vec::new();
    let mut cameras_at: Vec<u64> = Vec::new();
    for variant in &req.variants {
        let plan = plan(&req.scenario, *variant)?;
        if expected.is_empty() {
            expected = expected_sensors(&plan);
            cameras_at = camera_frames_per_tick(&plan);
        }
    }
    let resuming = done.is_some();
    let done = done.unwrap_or_default();
    // Frames the filter rejected before: done, though they have no files.
    let turned_away = if resuming {
        rejected::read(&req.out)
    } else {
        BTreeSet::new()
    };
    let complete = |v: u32, f: usize| {
        turned_away.contains(&rejected::Rejected {
            variant: v,
            frame: f as u32,
        }) || done
            .get(&(v, f as u32))
            .is_some_and(|s| expected.get(f).is_some_and(|e| s.is_superset(e)))
    };

    let out = &req.out;
    if !resuming {
        clear_previous_run(out)?;
    }
    std::fs::create_dir_all(out).map_err(|source| DatasetError::Write {
        path: out.clone(),
        source,
    })?;
    remove_partials(out);
    write_atomic(&out.join("scenario.ron"), req.scenario_text.as_bytes())?;
    write_atomic(&out.join(RunInfo::FILE), &run_json)?;
    let filters = &req.scenario.keep_frames_where;
    let mut reject_log = if filters.is_empty() {
        remove_file(&out.join(rejected::FILE))?;
        None
    } else {
        Some(rejected::RejectLog::open(out, resuming)?)
    };

    let frames_per_variant = run.frames_per_variant;
    // Camera frames each tick writes: a camera with a lower rate skips ticks.
    let cameras = |f: usize| cameras_at.get(f).copied().unwrap_or(0);
    let per_variant: u64 = (0..frames_per_variant).map(cameras).sum();
    let total = req.variants.len() as u64 * per_variant;
    observer.started(total);
    let started = Instant::now();
    let journal = Arc::new(Journal::open(out, resuming)?);
    let mut writer = DatasetWriter::new(req.writers, 8, journal);
    let mut first_frame = None;
    let mut rendered = 0u64;
    let mut times = StageTimes::default();
    let mut never_fired: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    for variant in &req.variants {
        observer.variant(&req.scenario.name, *variant);
        if (0..frames_per_variant).all(|f| complete(*variant, f)) {
            observer.frames_done(per_variant);
            continue;
        }
        let plan = plan(&req.scenario, *variant)?;
        manifest::write_scene_summary(out, &plan)?;
        let mut engine = Engine::new(plan, req.engine.clone())?;
        let lut = Arc::new(semantic_lut(&engine.world().instance_classes()));
        let vdir = variant_dir(out, *variant);
        let mut calibrated = vdir.join("calibration.json").exists();
        loop {
            let index = engine.next_index();
            if index >= frames_per_variant {
                break;
            }
            if complete(*variant, index) {
                engine.skip_to(index + 1);
                observer.frames_done(cameras(index));
                continue;
            }
            let Some(frame) = engine.next_frame() else {
                break;
            };
            let frame = frame?;
            first_frame.get_or_insert_with(|| started.elapsed());
            if !calibrated {
                write_calibration(&vdir, &req.scenario, &frame)?;
                calibrated = true;
            }
            if let Some(log) = &mut reject_log
                && !keeps(filters, &frame)
            {
                log.record(*variant, frame.index)?;
                observer.frames_done(cameras(index));
                continue;
            }
            for mut job in frame_jobs(engine.plan(), *variant, frame, &vdir, &lut) {
                if let (Some((refiner, _)), Job::Camera(cam)) = (&req.refiner, &mut job) {
                    cam.refined_rgb =
                        refiner
                            .refine(cam, &engine.plan().environment)
                            .map_err(|reason| RenderError::Refine {
                                variant: *variant,
                                frame: cam.frame,
                                reason,
                            })?;
                }
                if matches!(job, Job::Camera(_)) {
                    observer.frames_done(1);
                    rendered += 1;
                }
                writer.submit(job)?;
            }
        }
        for name in engine.events_not_started() {
            never_fired.entry(name).or_default().push(*variant);
        }
        let t = &engine.times;
        times.startup += t.startup;
        times.simulate += t.simulate;
        times.render += t.render;
        times.label += t.label;
    }
    let bytes = writer.finish()?;
    drop(reject_log);
    let rejected = rejected::compact(out)?.unwrap_or_default();
    write_manifest(out, &run, &req.manifest)?;
    Ok(RenderSummary {
        run,
        rendered,
        total,
        bytes,
        times,
        first_frame,
        elapsed: started.elapsed(),
        rejected,
        never_fired,
    })
}

/// Whether a capture meets the scenario's `keep_frames_where` (its cameras' labels and
/// the events active at it).
fn keeps(
    filters: &[drivegen_scenario::filter::FrameCondition],
    frame: &drivegen_sim::Frame,
) -> bool {
    let cameras: Vec<(&str, &[drivegen_labels::ObjectLabel])> = frame
        .cameras
        .iter()
        .map(|c| (c.name.as_str(), c.labels.as_slice()))
        .collect();
    let events: Vec<String> = frame.events.iter().map(|e| e.name.clone()).collect();
    drivegen_labels::filter::keep(
        filters,
        &drivegen_labels::filter::Capture {
            cameras: &cameras,
            events: &events,
        },
    )
}

/// Removes a file left by an earlier run, if any.
fn remove_file(path: &Path) -> Result<(), DatasetError> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(DatasetError::Write {
            path: path.to_path_buf(),
            source: e,
        }),
        _ => Ok(()),
    }
}

/// Camera images each capture tick of a plan writes (cameras with a lower rate than
/// the capture's fire on fewer ticks); their sum is what a variant's render writes.
pub fn camera_frames_per_tick(plan: &drivegen_plan::ScenePlan) -> Vec<u64> {
    plan.schedule
        .ticks
        .iter()
        .map(|t| t.cameras.len() as u64)
        .collect()
}

/// `vNNN/calibration.json` from the first frame's cameras and the LiDAR's mount.
fn write_calibration(
    vdir: &Path,
    scenario: &Scenario,
    frame: &drivegen_sim::Frame,
) -> Result<(), DatasetError> {
    let calib = CalibrationFile {
        cameras: frame
            .cameras
            .iter()
            .map(|c| CameraCalibration::new(&c.name, &c.camera))
            .collect(),
        lidar_to_ego: scenario
            .sensors
            .lidar
            .as_ref()
            .map(|l| drivegen_labels::camera::ego_from_mount(&l.mount).matrix3x4()),
    };
    let path = vdir.join("calibration.json");
    let bytes = serde_json::to_vec_pretty(&calib).map_err(|e| DatasetError::Format {
        path: path.clone(),
        reason: e.to_string(),
    })?;
    write_atomic(&path, &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 13: a camera at half the capture rate writes half the frames, and the
    /// summary's total counts what is written, not frames x cameras.
    #[test]
    fn a_slower_camera_counts_only_the_frames_it_writes() {
        let text = r#"Scenario(name: "rates", seed: 1,
            capture: (rate: 10, frames: 12),
            sensors: (cameras: [(name: "front"), (name: "side", rate: 5, mount: (x: 1.5, y: 0, z: 1.6, yaw: 90))]))"#;
        let s = drivegen_scenario::load_str("rates.ron", text)
            .expect("valid")
            .scenario;
        let plan = drivegen_plan::plan(&s, 0).expect("plans");
        let per_tick = camera_frames_per_tick(&plan);
        assert_eq!(per_tick.len(), 12);
        assert_eq!(per_tick.iter().sum::<u64>(), 12 + 6);
        // The same as the sensors each frame's journal line must hold.
        let expected: u64 = expected_sensors(&plan)
            .iter()
            .map(|set| set.len() as u64)
            .sum();
        assert_eq!(expected, 18);
    }
}
