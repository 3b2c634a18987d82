//! `drivegen render [SCENARIO] [--frames N] [--out DIR] [--width W --height H]`

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use drivegen_dataset::{CameraCalibration, DatasetWriter, Job, semantic_lut, write_atomic};
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
    /// Also export to these formats when done (e.g. coco,kitti; see `drivegen export`).
    #[arg(long)]
    export: Option<String>,
    /// Train, val and test fractions for --export.
    #[arg(long, default_value = "0.8,0.1,0.1")]
    split: String,
    /// Encoder/writer threads.
    #[arg(long, default_value_t = 2)]
    writers: usize,
}

#[derive(Serialize)]
struct RunInfo<'a> {
    tool: &'static str,
    version: &'static str,
    scenario: &'a str,
    seed: u64,
    variants: Vec<u32>,
    frames_per_variant: usize,
    cameras: Vec<String>,
    rgb: bool,
    layout: &'static str,
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
    let variants: Vec<u32> = (0..args
        .variants
        .unwrap_or(scenario.variants)
        .min(scenario.variants))
        .collect();
    let options = EngineOptions {
        rgb: !args.no_rgb,
        shadows: args.shadows,
        msaa: args.msaa,
        ..EngineOptions::default()
    };

    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    write_atomic(
        &args.out.join("scenario.ron"),
        loaded.merged_text.as_bytes(),
    )?;
    let frames_per_variant = scenario.capture.frame_count() as usize;
    let info = RunInfo {
        tool: "drivegen",
        version: env!("CARGO_PKG_VERSION"),
        scenario: &scenario.name,
        seed: scenario.seed,
        variants: variants.clone(),
        frames_per_variant,
        cameras: scenario
            .sensors
            .cameras
            .iter()
            .map(|c| c.name.clone())
            .collect(),
        rgb: options.rgb,
        layout: "drivegen-native-1",
    };
    write_atomic(
        &args.out.join("run.json"),
        &serde_json::to_vec_pretty(&info)?,
    )?;

    let total = (variants.len() * frames_per_variant * scenario.sensors.cameras.len()) as u64;
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
    let writer = DatasetWriter::new(args.writers, 8);
    let mut first_frame_at = None;
    let mut times = drivegen_sim::StageTimes::default();
    for variant in &variants {
        bar.set_message(format!("{} v{variant}", scenario.name));
        let plan = drivegen_plan::plan(&scenario, *variant)
            .map_err(|e| InputError(format!("cannot plan variant {variant}: {e}")))?;
        let mut engine = Engine::new(plan, options.clone())?;
        let lut = Arc::new(semantic_lut(&engine.world().instance_classes()));
        let vdir = args.out.join(format!("v{variant:03}"));
        let mut calibrated = false;
        while let Some(frame) = engine.next_frame() {
            let frame = frame?;
            first_frame_at.get_or_insert_with(|| started.elapsed());
            if !calibrated {
                let cameras: Vec<CameraCalibration> = frame
                    .cameras
                    .iter()
                    .map(|c| CameraCalibration::new(&c.name, &c.camera))
                    .collect();
                let lidar_to_ego = scenario
                    .sensors
                    .lidar
                    .as_ref()
                    .map(|l| drivegen_labels::camera::ego_from_mount(&l.mount).matrix3x4());
                let calib = serde_json::json!({ "cameras": cameras, "lidar_to_ego": lidar_to_ego });
                write_atomic(
                    &vdir.join("calibration.json"),
                    &serde_json::to_vec_pretty(&calib)?,
                )?;
                calibrated = true;
            }
            for job in super::frame_jobs(frame, &vdir, &lut) {
                if matches!(job, Job::Camera(_)) {
                    bar.inc(1);
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
    if let Some(opts) = &export {
        super::export::export_dataset(&args.out, &args.out.join("exports"), opts, quiet)?;
    }
    let secs = started.elapsed().as_secs_f64();
    if !quiet {
        println!(
            "rendered {total} frames of {} ({} variant(s)) to {} in {secs:.1} s: {:.2} frames/s, {:.1} MB",
            scenario.name,
            variants.len(),
            args.out.display(),
            total as f64 / secs,
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
