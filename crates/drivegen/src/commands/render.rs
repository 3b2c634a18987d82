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
use indicatif::{ProgressBar, ProgressStyle};
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
    #[arg(long)]
    resume: bool,
    /// Render only shard I of N (variants v with v mod N = I) into OUT/shard-I-of-N.
    /// Without it, JOB_COMPLETION_INDEX (Kubernetes Indexed Job, with --shards N) or
    /// SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT select the shard.
    #[arg(long, value_name = "I/N")]
    shard: Option<String>,
    /// Shard count for JOB_COMPLETION_INDEX.
    #[arg(long)]
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<[u32; 2]>,
    /// The --refine checkpoint, when frames are refined.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refiner: Option<String>,
}

/// The shard this process renders, from the flag or the batch system's environment.
fn shard(args: &Args) -> anyhow::Result<Option<(u32, u32)>> {
    let parse = |i: &str, n: &str| -> Option<(u32, u32)> {
        let (i, n) = (i.trim().parse().ok()?, n.trim().parse().ok()?);
        (n > 0 && i < n).then_some((i, n))
    };
    if let Some(s) = &args.shard {
        let (i, n) = s.split_once('/').unwrap_or((s, ""));
        return parse(i, n).map(Some).ok_or_else(|| {
            InputError(format!(
                "--shard `{s}`: expected I/N with 0 <= I < N, e.g. 0/3"
            ))
            .into()
        });
    }
    if let (Ok(i), Ok(n)) = (
        std::env::var("SLURM_ARRAY_TASK_ID"),
        std::env::var("SLURM_ARRAY_TASK_COUNT"),
    ) {
        return Ok(parse(&i, &n));
    }
    if let (Ok(i), Some(n)) = (std::env::var("JOB_COMPLETION_INDEX"), args.shards) {
        return Ok(parse(&i, &n.to_string()));
    }
    Ok(None)
}

/// Writes `manifest.json` from the journal (every file with its checksum, plus seeds, the
/// scenario's hash and the tool's revision) and `captions.jsonl`.
pub fn write_manifest(
    root: &Path,
    run: &RunInfo,
    export: Option<(&str, &str)>,
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
    let loaded = load_scenario(args.scenario.as_deref())?;
    let mut scenario = loaded.scenario.clone();
    if let Some(n) = args.frames {
        if n == 0 {
            return Err(InputError("--frames must be at least 1".into()).into());
        }
        scenario.capture.frames = Some(n);
    }
    for cam in &mut scenario.sensors.cameras {
        cam.width = args.width.unwrap_or(cam.width);
        cam.height = args.height.unwrap_or(cam.height);
        if !(16..=8192).contains(&cam.width) || !(16..=8192).contains(&cam.height) {
            return Err(InputError(format!(
                "image size {}x{} is outside 16..8192 per side",
                cam.width, cam.height
            ))
            .into());
        }
    }
    let export = args
        .export
        .as_deref()
        .map(|f| super::export::options(f, &args.split, None))
        .transpose()?;
    let shard = shard(&args)?;
    let all = args
        .variants
        .unwrap_or(scenario.variants)
        .min(scenario.variants);
    let variants: Vec<u32> = (0..all)
        .filter(|v| shard.is_none_or(|(i, n)| v % n == i))
        .collect();
    let out = match shard {
        Some((i, n)) => args.out.join(format!("shard-{i}-of-{n}")),
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
        shard: shard.map(|(i, n)| [i, n]),
        refiner: args.refine.as_ref().map(|p| p.display().to_string()),
    };
    let run_json = serde_json::to_vec_pretty(&run)?;
    if args.refine.is_some() && args.no_rgb {
        return Err(InputError("--refine needs RGB frames; drop --no-rgb".into()).into());
    }
    let refiner = args
        .refine
        .as_deref()
        .map(|ckpt| super::refine::load_refiner(ckpt, &args.refine_backend, false))
        .transpose()?;

    std::fs::create_dir_all(&out).with_context(|| format!("cannot create {}", out.display()))?;
    let done: BTreeMap<(u32, u32), BTreeSet<String>> = if args.resume {
        let previous = std::fs::read(out.join("run.json")).map_err(|_| {
            InputError(format!(
                "--resume: {} holds no run to continue",
                out.display()
            ))
        })?;
        if previous != run_json {
            return Err(InputError(format!(
                "--resume: {} holds a different run (scenario, frames, cameras or options changed)\n  = hint: rerun with the same arguments, or choose another --out",
                out.display()
            ))
            .into());
        }
        let mut done: BTreeMap<(u32, u32), BTreeSet<String>> = BTreeMap::new();
        for e in Journal::read(&out) {
            done.entry((e.variant, e.frame))
                .or_default()
                .insert(e.sensor);
        }
        done
    } else {
        BTreeMap::new()
    };
    remove_partials(&out);
    write_atomic(&out.join("scenario.ron"), loaded.merged_text.as_bytes())?;
    write_atomic(&out.join("run.json"), &run_json)?;
    let mut sensors: BTreeSet<String> = run.cameras.iter().cloned().collect();
    if run.lidar {
        sensors.insert("lidar".into());
    }
    let complete = |v: u32, f: usize| {
        done.get(&(v, f as u32))
            .is_some_and(|s| s.is_superset(&sensors))
    };

    let cameras = run.cameras.len() as u64;
    let total = variants.len() as u64 * frames_per_variant as u64 * cameras;
    let bar = if quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(total)
    };
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} {msg} [{bar:30}] {pos}/{len} frames, {per_sec}, ETA {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    let started = Instant::now();
    let journal = Arc::new(Journal::open(&out, args.resume)?);
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
