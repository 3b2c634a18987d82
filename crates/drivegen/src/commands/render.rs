//! `drivegen render [SCENARIO] [--frames N] [--out DIR] [--width W --height H]`
//!
//! Renders every variant (or this shard's share of them) into the native layout. A
//! journal of finished frames makes a killed run resumable (`--resume`), and
//! `manifest.json` (checksums, seeds, revision) is written from it at the end.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use drivegen_dataset::{
    CameraCalibration, DatasetWriter, Job, Journal, JournalEntry, semantic_lut, write_atomic,
};
use drivegen_sim::{Engine, EngineOptions};
use serde::Serialize;

use super::load_scenario;
use crate::InputError;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Scenario file; the embedded default (urban 4-way intersection) when omitted.
    scenario: Option<PathBuf>,
    /// Captures per variant (overrides the scenario's duration).
    #[arg(long)]
    frames: Option<u32>,
    /// Variants to render: all of the scenario's when omitted.
    #[arg(long)]
    variants: Option<u32>,
    /// Output directory.
    #[arg(long, default_value = "out/dataset")]
    out: PathBuf,
    /// Image width for every camera (overrides the scenario).
    #[arg(long)]
    width: Option<u32>,
    /// Image height for every camera (overrides the scenario).
    #[arg(long)]
    height: Option<u32>,
    /// Skip RGB: labels, instance, semantic and depth only (no GPU or Vulkan needed).
    #[arg(long)]
    no_rgb: bool,
    /// Sun shadows (slower on CPU rendering).
    #[arg(long)]
    shadows: bool,
    /// 4x multisampled RGB.
    #[arg(long)]
    msaa: bool,
    /// Continue a killed run in --out: frames in its journal are not rendered again.
    /// Starts a fresh run when --out holds none yet; refuses a different run.
    #[arg(long)]
    resume: bool,
    /// Render only shard I of N (variants v with v mod N = I) into OUT/shard-I-of-N.
    /// Without it, the batch system's index selects the shard: SLURM_ARRAY_TASK_ID or
    /// JOB_COMPLETION_INDEX (Kubernetes Indexed Job), with --shards N.
    #[arg(long, value_name = "I/N")]
    shard: Option<String>,
    /// Shard count N for SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX. For a Slurm array
    /// it defaults to SLURM_ARRAY_TASK_MAX + 1 when the array starts at 0; it never
    /// comes from SLURM_ARRAY_TASK_COUNT (a resubmitted task sees only its own count).
    #[arg(long, value_name = "N")]
    shards: Option<u32>,
    /// Also export to these formats when done (e.g. coco,kitti; see `drivegen export`).
    #[arg(long)]
    export: Option<String>,
    /// Train, val and test fractions for --export.
    #[arg(long, default_value = "0.8,0.1,0.1")]
    split: String,
    /// Refine every RGB frame with this refiner checkpoint (a folder written by `drivegen
    /// refine train`, or `default` for the shipped one) and write it to rgb_refined/
    /// beside the raw frame. Labels are unchanged: the refiner cannot move geometry.
    #[arg(long, value_name = "CKPT|default")]
    refine: Option<PathBuf>,
    /// Backend for --refine: auto, wgpu, flex or ndarray (see `drivegen refine bench`).
    #[arg(long, default_value = "auto")]
    refine_backend: String,
    /// Encoder/writer threads.
    #[arg(long, default_value_t = 2)]
    writers: usize,
}

/// `run.json`: what a directory holds. Shards differ only in `variants` and `shard`.
#[derive(Serialize, serde::Deserialize, PartialEq, Debug, Clone)]
pub struct RunInfo {
    pub tool: String,
    pub version: String,
    pub scenario: String,
    pub seed: u64,
    pub variants: Vec<u32>,
    pub frames_per_variant: usize,
    pub cameras: Vec<String>,
    pub lidar: bool,
    pub rgb: bool,
    pub layout: String,
    /// Image size (width, height) of each camera in `cameras`, after --width/--height.
    #[serde(default)]
    pub image_sizes: Vec<[u32; 2]>,
    #[serde(default)]
    pub shadows: bool,
    #[serde(default)]
    pub msaa: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<[u32; 2]>,
    /// In a shard: how many variants the whole (unsharded) run has.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variants_total: Option<u32>,
    /// The --refine checkpoint, when frames are refined.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refiner: Option<String>,
}

/// The shard this process renders, from the flag or the batch system's environment
/// (`env` looks a variable up). An index outside `0..N` is an error naming the variable
/// and the fix: rendering everything, or a shard nobody asked for, would be silent.
fn select_shard(
    flag: Option<&str>,
    shards: Option<u32>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<(u32, u32)>, InputError> {
    let err = |m: String| Err(InputError(m));
    if shards == Some(0) {
        return err("--shards must be at least 1".into());
    }
    if let Some(s) = flag {
        let (i, n) = s.split_once('/').unwrap_or((s, ""));
        let parsed = i
            .trim()
            .parse::<u32>()
            .ok()
            .zip(n.trim().parse::<u32>().ok());
        return match parsed {
            Some((i, n)) if n > 0 && i < n && shards.is_none_or(|m| m == n) => Ok(Some((i, n))),
            Some((_, n)) if n > 0 && shards.is_some_and(|m| m != n) => err(format!(
                "--shard `{s}` and --shards {} disagree on the shard count",
                shards.unwrap_or_default()
            )),
            _ => err(format!(
                "--shard `{s}`: expected I/N with 0 <= I < N, e.g. 0/3"
            )),
        };
    }
    let number = |name: &str| -> Result<Option<u32>, InputError> {
        match env(name) {
            None => Ok(None),
            Some(v) => v.trim().parse().map(Some).map_err(|_| {
                InputError(format!("{name} is `{v}`, not a non-negative whole number"))
            }),
        }
    };
    if let Some(i) = number("SLURM_ARRAY_TASK_ID")? {
        let (min, max, count) = (
            number("SLURM_ARRAY_TASK_MIN")?,
            number("SLURM_ARRAY_TASK_MAX")?,
            number("SLURM_ARRAY_TASK_COUNT")?,
        );
        let n = match (shards, min, max) {
            (Some(n), _, Some(max)) if max >= n => {
                return err(format!(
                    "SLURM_ARRAY_TASK_MAX is {max}, but --shards {n} has shard indices 0-{}: \
                     submit the array 0-based with `sbatch --array=0-{}`",
                    n - 1,
                    n - 1
                ));
            }
            (Some(n), _, _) => n,
            (None, Some(0), Some(max)) if count.is_none_or(|c| c == max + 1) => max + 1,
            (None, Some(0), Some(max)) => {
                return err(format!(
                    "SLURM_ARRAY_TASK_COUNT is {} but the array spans 0-{max}: a stepped or \
                     listed --array does not cover every shard; pass --shards N, or submit with \
                     `sbatch --array=0-{max}`",
                    count.unwrap_or_default()
                ));
            }
            (None, Some(min), Some(max)) => {
                return err(format!(
                    "SLURM_ARRAY_TASK_MIN is {min}: shard indices start at 0, so shard 0 would \
                     never be rendered; submit with `sbatch --array=0-{}` (or pass --shards N \
                     when resubmitting some tasks of an N-shard run)",
                    max.saturating_sub(min)
                ));
            }
            (None, _, _) => {
                return err(format!(
                    "SLURM_ARRAY_TASK_ID is {i} but the shard count is unknown: pass --shards N \
                     (SLURM_ARRAY_TASK_COUNT is not used: a resubmitted task sees only its own count)"
                ));
            }
        };
        if i >= n {
            return err(format!(
                "SLURM_ARRAY_TASK_ID is {i}, outside the shard indices 0-{} of --shards {n}: \
                 submit the array 0-based with `sbatch --array=0-{}`",
                n - 1,
                n - 1
            ));
        }
        return Ok(Some((i, n)));
    }
    if let Some(i) = number("JOB_COMPLETION_INDEX")? {
        let Some(n) = shards else {
            return err(format!(
                "JOB_COMPLETION_INDEX is {i} but --shards is missing: pass --shards N, equal to \
                 the Job's `completions`"
            ));
        };
        if i >= n {
            return err(format!(
                "JOB_COMPLETION_INDEX is {i}, outside the shard indices 0-{} of --shards {n}: \
                 set the Job's `completions: {n}` (equal to --shards)",
                n - 1
            ));
        }
        return Ok(Some((i, n)));
    }
    match shards {
        Some(n) => err(format!(
            "--shards {n} needs a shard index: SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX \
             (or use --shard I/{n})"
        )),
        None => Ok(None),
    }
}

/// Shard directories of another split under `out` (`shard-I-of-M`, M != n): a resubmitted
/// task that got its count wrong would otherwise render a shard nobody merges.
fn other_splits(out: &Path, n: u32) -> Vec<String> {
    let mut found: Vec<String> = std::fs::read_dir(out)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str().map(str::to_string))
        .filter(|name| {
            name.strip_prefix("shard-")
                .and_then(|r| r.split_once("-of-"))
                .and_then(|(_, m)| m.parse::<u32>().ok())
                .is_some_and(|m| m != n)
        })
        .collect();
    found.sort();
    found
}

/// Applies --frames, --width and --height, held to the same caps as the scenario file
/// (`drivegen_scenario::validate::check_overrides`).
fn apply_overrides(
    base: &drivegen_scenario::Scenario,
    args: &Args,
) -> Result<drivegen_scenario::Scenario, InputError> {
    if args.variants == Some(0) {
        return Err(InputError("--variants must be at least 1".into()));
    }
    let mut scenario = base.clone();
    drivegen_scenario::validate::Overrides {
        frames: args.frames,
        width: args.width,
        height: args.height,
    }
    .apply(&mut scenario)
    .map_err(|e| InputError(e.to_string()))?;
    Ok(scenario)
}

/// Per frame, the sensors that capture on it (cameras on their ticks, the LiDAR on every
/// frame): a frame is complete when each of them has a journal entry.
pub fn expected_sensors(plan: &drivegen_plan::ScenePlan) -> Vec<BTreeSet<String>> {
    plan.schedule
        .ticks
        .iter()
        .map(|tick| {
            let mut set: BTreeSet<String> = tick
                .cameras
                .iter()
                .filter_map(|&i| plan.sensors.cameras.get(usize::from(i)))
                .map(|c| c.name.clone())
                .collect();
            if plan.sensors.lidar.is_some() {
                set.insert("lidar".into());
            }
            set
        })
        .collect()
}

/// Writes `manifest.json` from the journal (every file with its checksum, plus seeds, the
/// scenario's hash and the tool's revision) and `captions.jsonl`.
pub fn write_manifest(
    root: &Path,
    run: &RunInfo,
    export: Option<(&str, &str)>,
) -> anyhow::Result<()> {
    write_manifest_with(root, run, export, None)
}

/// [`write_manifest`] with `partial` recorded (what a `merge --allow-partial` lacks).
pub fn write_manifest_with(
    root: &Path,
    run: &RunInfo,
    export: Option<(&str, &str)>,
    partial: Option<serde_json::Value>,
) -> anyhow::Result<()> {
    use sha2::{Digest, Sha256};
    let mut entries: Vec<JournalEntry> = Journal::read(root);
    entries.sort_by(|a, b| (a.variant, a.frame, &a.sensor).cmp(&(b.variant, b.frame, &b.sensor)));
    entries.dedup_by(|a, b| (a.variant, a.frame, &a.sensor) == (b.variant, b.frame, &b.sensor));
    let scenario = std::fs::read(root.join("scenario.ron")).unwrap_or_default();
    let hash: String = Sha256::digest(&scenario)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let seeds: Vec<serde_json::Value> = run
        .variants
        .iter()
        .map(|v| serde_json::json!({ "variant": v, "seed": drivegen_plan::streams::variant_seed(run.seed, *v) }))
        .collect();
    let manifest = serde_json::json!({
        "tool": run.tool, "version": run.version, "git_revision": env!("DRIVEGEN_GIT_REV"),
        "scenario": { "name": run.scenario, "file": "scenario.ron", "sha256": hash },
        "seed": run.seed, "variant_seeds": seeds,
        "run": run,
        "export": export.map(|(f, s)| serde_json::json!({ "formats": f, "split": s })),
        "frames": entries,
    });
    let mut manifest = manifest;
    if let Some(partial) = partial {
        manifest["partial"] = partial;
    }
    write_atomic(
        &root.join("manifest.json"),
        &serde_json::to_vec_pretty(&manifest)?,
    )?;
    super::captions::write_captions(root)
}

/// The values a variant sampled from the scenario's distributions (for reports).
fn scene_summary(plan: &drivegen_plan::ScenePlan) -> serde_json::Value {
    use drivegen_plan::{ActorClass, Role};
    let count =
        |f: &dyn Fn(&drivegen_plan::Actor) -> bool| plan.actors.iter().filter(|a| f(a)).count();
    let first = plan.network.roads.first();
    serde_json::json!({
        "variant": plan.variant,
        "variant_seed": plan.variant_seed,
        "environment": plan.environment,
        "vehicles": count(&|a| a.role == Role::Traffic),
        "parked": count(&|a| a.role == Role::Parked),
        "pedestrians": count(&|a| a.class == ActorClass::Pedestrian),
        "lanes_per_direction": first.map(|r| r.lanes_right),
        "lane_width": first.map(|r| r.lane_width),
        "speed_limit": first.map(|r| r.speed_limit),
        "road_length": plan.network.roads.iter().map(|r| r.reference.length()).sum::<f64>(),
        "junctions": plan.network.junctions.len(),
        "signalised_junctions": plan.network.junctions.iter().filter(|j| j.signal.is_some()).count(),
        "props": plan.props.len(),
    })
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

pub fn run(args: Args, quiet: bool) -> anyhow::Result<()> {
    // Everything that can fail on bad input is checked, and every variant planned,
    // before the first file is written.
    let loaded = load_scenario(args.scenario.as_deref())?;
    let scenario = apply_overrides(&loaded.scenario, &args)?;
    let export = args
        .export
        .as_deref()
        .map(|f| super::export::options(f, &args.split, None))
        .transpose()?;
    if args.refine.is_some() && args.no_rgb {
        return Err(InputError("--refine needs RGB frames; drop --no-rgb".into()).into());
    }
    let shard = select_shard(args.shard.as_deref(), args.shards, &|name| {
        std::env::var(name).ok()
    })?;
    let all = args
        .variants
        .unwrap_or(scenario.variants)
        .min(scenario.variants);
    let variants: Vec<u32> = (0..all)
        .filter(|v| shard.is_none_or(|(i, n)| v % n == i))
        .collect();
    let out = match shard {
        Some((i, n)) => {
            let others = other_splits(&args.out, n);
            if !others.is_empty() {
                return Err(InputError(format!(
                    "{} already holds shards of another split ({}), but this is shard {i} of {n}\n  = hint: pass the --shards of the first submission (a resubmitted array task cannot infer it), or choose another --out",
                    args.out.display(),
                    others.join(", ")
                ))
                .into());
            }
            args.out.join(format!("shard-{i}-of-{n}"))
        }
        None => args.out.clone(),
    };
    let options = EngineOptions {
        rgb: !args.no_rgb,
        shadows: args.shadows,
        msaa: args.msaa,
        ..EngineOptions::default()
    };
    let frames_per_variant = scenario.capture.frame_count() as usize;
    let run = RunInfo {
        tool: "drivegen".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        scenario: scenario.name.clone(),
        seed: scenario.seed,
        variants: variants.clone(),
        frames_per_variant,
        cameras: scenario
            .sensors
            .cameras
            .iter()
            .map(|c| c.name.clone())
            .collect(),
        lidar: scenario.sensors.lidar.is_some(),
        rgb: options.rgb,
        layout: "drivegen-native-1".into(),
        image_sizes: scenario
            .sensors
            .cameras
            .iter()
            .map(|c| [c.width, c.height])
            .collect(),
        shadows: options.shadows,
        msaa: options.msaa,
        shard: shard.map(|(i, n)| [i, n]),
        variants_total: shard.map(|_| all),
        refiner: args.refine.as_ref().map(|p| p.display().to_string()),
    };
    let run_json = serde_json::to_vec_pretty(&run)?;
    let refiner = args
        .refine
        .as_deref()
        .map(|ckpt| super::refine::load_refiner(ckpt, &args.refine_backend, false))
        .transpose()?;

    // The run to continue: `None` starts afresh (no --resume, or nothing to resume).
    let done: Option<BTreeMap<(u32, u32), BTreeSet<String>>> = if args.resume {
        match std::fs::read(out.join("run.json")) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if !quiet {
                    eprintln!(
                        "--resume: {} holds no run yet; starting a fresh one",
                        out.display()
                    );
                }
                None
            }
            Err(e) => {
                return Err(anyhow::Error::new(e)
                    .context(format!("cannot read {}", out.join("run.json").display())));
            }
            Ok(previous) if previous != run_json => {
                return Err(InputError(format!(
                    "--resume: {} holds a different run (scenario, frames, cameras or options changed)\n  = hint: rerun with the same arguments, or choose another --out",
                    out.display()
                ))
                .into());
            }
            Ok(_) => {
                let mut done: BTreeMap<(u32, u32), BTreeSet<String>> = BTreeMap::new();
                for e in Journal::read(&out) {
                    done.entry((e.variant, e.frame))
                        .or_default()
                        .insert(e.sensor);
                }
                Some(done)
            }
        }
    } else {
        None
    };
    // Plan every variant first: a planning error must not leave a half-made dataset. The
    // plans are not kept (a big shard's would not fit in memory); planning is
    // deterministic and cheap next to rendering, so each is planned again before use.
    let mut expected: Vec<BTreeSet<String>> = Vec::new();
    for variant in &variants {
        let plan = drivegen_plan::plan(&scenario, *variant)
            .map_err(|e| InputError(format!("cannot plan variant {variant}: {e}")))?;
        if expected.is_empty() {
            expected = expected_sensors(&plan);
        }
    }
    let resuming = done.is_some();
    let done = done.unwrap_or_default();
    let complete = |v: u32, f: usize| {
        done.get(&(v, f as u32))
            .is_some_and(|s| expected.get(f).is_some_and(|e| s.is_superset(e)))
    };

    std::fs::create_dir_all(&out).with_context(|| format!("cannot create {}", out.display()))?;
    remove_partials(&out);
    write_atomic(&out.join("scenario.ron"), loaded.merged_text.as_bytes())?;
    write_atomic(&out.join("run.json"), &run_json)?;

    let cameras = run.cameras.len() as u64;
    let total = variants.len() as u64 * frames_per_variant as u64 * cameras;
    let bar = super::progress::Progress::frames(total, quiet);
    let started = Instant::now();
    let journal = Arc::new(Journal::open(&out, resuming)?);
    let mut writer = DatasetWriter::new(args.writers, 8, journal);
    let mut first_frame_at = None;
    let mut rendered = 0u64;
    let mut times = drivegen_sim::StageTimes::default();
    for variant in &variants {
        bar.set_message(format!("{} v{variant}", scenario.name));
        if (0..frames_per_variant).all(|f| complete(*variant, f)) {
            bar.inc(frames_per_variant as u64 * cameras);
            continue;
        }
        let plan = drivegen_plan::plan(&scenario, *variant)
            .map_err(|e| InputError(format!("cannot plan variant {variant}: {e}")))?;
        write_atomic(
            &out.join(format!("v{variant:03}")).join("scene.json"),
            &serde_json::to_vec_pretty(&scene_summary(&plan))?,
        )?;
        let mut engine = Engine::new(plan, options.clone())?;
        let lut = Arc::new(semantic_lut(&engine.world().instance_classes()));
        let vdir = out.join(format!("v{variant:03}"));
        let mut calibrated = vdir.join("calibration.json").exists();
        loop {
            let index = engine.next_index();
            if index >= frames_per_variant {
                break;
            }
            if complete(*variant, index) {
                engine.skip_to(index + 1);
                bar.inc(cameras);
                continue;
            }
            let Some(frame) = engine.next_frame() else {
                break;
            };
            let frame = frame?;
            first_frame_at.get_or_insert_with(|| started.elapsed());
            if !calibrated {
                let cams: Vec<CameraCalibration> = frame
                    .cameras
                    .iter()
                    .map(|c| CameraCalibration::new(&c.name, &c.camera))
                    .collect();
                let lidar_to_ego = scenario
                    .sensors
                    .lidar
                    .as_ref()
                    .map(|l| drivegen_labels::camera::ego_from_mount(&l.mount).matrix3x4());
                let calib = serde_json::json!({ "cameras": cams, "lidar_to_ego": lidar_to_ego });
                write_atomic(
                    &vdir.join("calibration.json"),
                    &serde_json::to_vec_pretty(&calib)?,
                )?;
                calibrated = true;
            }
            for mut job in super::frame_jobs(engine.plan(), *variant, frame, &vdir, &lut) {
                if let (Some(refiner), Job::Camera(cam)) = (&refiner, &mut job) {
                    cam.refined_rgb = super::refine::refine_rgba(refiner, cam)?;
                }
                if matches!(job, Job::Camera(_)) {
                    bar.inc(1);
                    rendered += 1;
                }
                writer.submit(job)?;
            }
        }
        let t = &engine.times;
        times.startup += t.startup;
        times.simulate += t.simulate;
        times.render += t.render;
        times.label += t.label;
    }
    let bytes = writer.finish()?;
    bar.finish_and_clear();
    write_manifest(
        &out,
        &run,
        args.export.as_deref().map(|f| (f, args.split.as_str())),
    )?;
    if let Some(opts) = &export {
        super::export::export_dataset(&out, &out.join("exports"), opts, quiet)?;
    }
    let secs = started.elapsed().as_secs_f64();
    if !quiet {
        println!(
            "rendered {rendered} of {total} frames of {} ({} variant(s)) to {} in {secs:.1} s: {:.2} frames/s, {:.1} MB",
            scenario.name,
            variants.len(),
            out.display(),
            rendered as f64 / secs,
            bytes as f64 / 1e6
        );
        println!(
            "time: start-up {:.2} s (first frame after {:.2} s), simulate {:.2} s, render+readback {:.2} s, label pass {:.2} s (overlaps render)",
            times.startup,
            first_frame_at.map_or(0.0, |d| d.as_secs_f64()),
            times.simulate,
            times.render,
            times.label
        );
    }
    Ok(())
}
