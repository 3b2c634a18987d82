//! `drivegen render [SCENARIO] [--frames N] [--out DIR] [--width W --height H]`
//!
//! Renders every variant (or this shard's share of them) into the native layout. A
//! journal of finished frames makes a killed run resumable (`--resume`), and
//! `manifest.json` (checksums, seeds, revision) is written from it at the end.

use std::path::{Path, PathBuf};

use drivegen_sim::EngineOptions;

use super::load_scenario;
use super::shard::{other_splits, select_shard};
use crate::InputError;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Scenario file; the embedded default (urban 4-way intersection) when omitted.
    scenario: Option<PathBuf>,
    /// Captures per variant (overrides the scenario's duration).
    #[arg(long)]
    frames: Option<u32>,
    /// Render the first N variants (0 .. N-1; at most the scenario's): all of them when
    /// omitted. `--shard` picks variants across machines.
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
    /// RGB quality: draft (flat colours, plain sky, no shadows: fastest), default
    /// (textures, painted sky, sun shadows) or high (+ 4x MSAA, finer shadows). The
    /// scenario's `capture.quality` when omitted. Labels are the same at every quality.
    #[arg(long, value_name = "draft|default|high")]
    quality: Option<String>,
    /// Sun shadows at any quality (slower on CPU rendering).
    #[arg(long)]
    shadows: bool,
    /// 4x multisampled RGB at any quality.
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
    /// refine train`, or a shipped one: `fast`, `quality`, or `default`, which is fast on
    /// the CPU backends and quality on wgpu), or with a class look file from `drivegen
    /// fit-look` (look.json), and write it to rgb_refined/ beside the raw frame. Labels
    /// are unchanged: neither can move geometry.
    #[arg(long, value_name = "CKPT|LOOK.json|default|fast|quality")]
    refine: Option<PathBuf>,
    /// Backend for --refine: auto, wgpu, flex or ndarray (see `drivegen refine bench`).
    #[arg(long, default_value = "auto")]
    refine_backend: String,
    /// How far --refine reaches into a frame. covered: a checkpoint changes only the
    /// classes its real frames show (the `shows` of its config.json, else road,
    /// sidewalk, vegetation, terrain, sky; or name them with
    /// covered:road,sidewalk,...,building), gives every other class the colour gain it
    /// applied to the whole frame, and fades out in light and weather its real frames
    /// lack (dusk, night, fog, rain). full: the network's output as it is. Class looks
    /// are not affected.
    #[arg(long, default_value = "covered", value_name = "covered[:CLASSES]|full")]
    refine_reach: drivegen_refine::reach::Reach,
    /// Encoder/writer threads.
    #[arg(long, default_value_t = 2)]
    writers: usize,
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

/// Reports progress on stderr: a bar on a terminal, plain lines otherwise.
struct Reporter {
    quiet: bool,
    progress: Option<super::progress::Progress>,
}

impl drivegen_render::Observer for Reporter {
    fn started(&mut self, total_frames: u64) {
        self.progress = Some(super::progress::Progress::frames(total_frames, self.quiet));
    }
    fn fresh_start(&mut self, dir: &Path) {
        if !self.quiet {
            eprintln!(
                "--resume: {} holds no run yet; starting a fresh one",
                dir.display()
            );
        }
    }
    fn variant(&mut self, scenario: &str, variant: u32) {
        if let Some(p) = &self.progress {
            p.set_message(format!("{scenario} v{variant}"));
        }
    }
    fn frames_done(&mut self, frames: u64) {
        if let Some(p) = &self.progress {
            p.inc(frames);
        }
    }
}

pub fn run(args: Args, quiet: bool) -> anyhow::Result<()> {
    // Everything that can fail on bad input is checked, and every variant planned (in
    // the library), before the first file is written.
    let loaded = load_scenario(args.scenario.as_deref())?;
    let scenario = apply_overrides(&loaded.scenario, &args)?;
    let quality = match args.quality.as_deref() {
        Some(name) => super::quality(name)?,
        None => scenario.capture.quality,
    };
    if args.no_rgb && args.export.is_some() {
        return Err(InputError(
            "--export writes the RGB frames with their labels, and --no-rgb renders none\n  = hint: drop --no-rgb, or export nothing (the label images are under OUT/v*/<camera>/)"
                .into(),
        )
        .into());
    }
    super::output_folder(&args.out)?;
    let export = args
        .export
        .as_deref()
        .map(|f| super::export::options(f, &args.split, None))
        .transpose()?;
    let shard = select_shard(args.shard.as_deref(), args.shards, &|name| {
        std::env::var(name).ok()
    })?;
    if let Some(asked) = args.variants
        && asked > scenario.variants
    {
        return Err(InputError(format!(
            "--variants {asked} asks for more variants than {} has ({})\n  = hint: --variants \
             renders the first N of the scenario's variants; raise `variants` in the file for more",
            args.scenario
                .as_deref()
                .map_or("the default scenario".into(), |p| p.display().to_string()),
            scenario.variants
        ))
        .into());
    }
    let all = args.variants.unwrap_or(scenario.variants);
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
    let refiner = match &args.refine {
        Some(_) if args.no_rgb => {
            return Err(InputError("--refine needs RGB frames; drop --no-rgb".into()).into());
        }
        Some(ckpt) => Some(super::refine::frame_refiner(
            ckpt,
            &args.refine_backend,
            args.refine_reach,
        )?),
        None => None,
    };
    let request = drivegen_render::RenderRequest {
        variants: (0..all)
            .filter(|v| shard.is_none_or(|(i, n)| v % n == i))
            .collect(),
        variants_total: all,
        shard,
        out,
        engine: {
            let preset = EngineOptions::at(quality);
            EngineOptions {
                rgb: !args.no_rgb,
                shadows: preset.shadows || args.shadows,
                msaa: preset.msaa || args.msaa,
                ..preset
            }
        },
        resume: args.resume,
        writers: args.writers,
        refiner: refiner
            .as_deref()
            .zip(args.refine.as_ref())
            .map(|(r, p)| (r, p.display().to_string())),
        manifest: drivegen_render::ManifestExtras {
            export: args.export.clone().map(|f| (f, args.split.clone())),
            ..drivegen_render::ManifestExtras::default()
        },
        ..drivegen_render::RenderRequest::new(scenario, loaded.merged_text.clone(), PathBuf::new())
    };
    let mut reporter = Reporter {
        quiet,
        progress: None,
    };
    let summary = drivegen_render::render(&request, &mut reporter).map_err(|e| {
        if let drivegen_render::RenderError::Plan { variant, source } = &e {
            super::plan_failure(&loaded, *variant, source, "").into()
        } else if e.is_input() {
            InputError(e.to_string()).into()
        } else {
            anyhow::Error::from(e)
        }
    })?;
    if let Some(p) = &reporter.progress {
        p.finish_and_clear();
    }
    if let Some(opts) = &export {
        super::export::export_dataset(&request.out, &request.out.join("exports"), opts, quiet)?;
    }
    if !quiet {
        let secs = summary.elapsed.as_secs_f64();
        let t = &summary.times;
        if args.resume && summary.rendered == 0 {
            println!(
                "nothing left to render: the run of {} ({} variant(s), {} frames) in {} is complete",
                request.scenario.name,
                request.variants.len(),
                summary.total,
                request.out.display(),
            );
        } else {
            println!(
                "rendered {} of {} frames of {} ({} variant(s)) to {} in {secs:.1} s: {:.2} frames/s, {:.1} MB",
                summary.rendered,
                summary.total,
                request.scenario.name,
                request.variants.len(),
                request.out.display(),
                summary.rendered as f64 / secs,
                summary.bytes as f64 / 1e6
            );
        }
        if !request.scenario.keep_frames_where.is_empty() {
            let by_variant: Vec<String> = summary
                .rejected
                .iter()
                .map(|(v, n)| format!("v{v:03} {n}"))
                .collect();
            let detail = if by_variant.is_empty() {
                String::new()
            } else {
                format!(" ({})", by_variant.join(", "))
            };
            println!(
                "keep_frames_where rejected {} capture(s), not written{detail}; recorded in manifest.json",
                summary.rejected.values().sum::<u64>(),
            );
        }
        for (event, variants) in &summary.never_fired {
            let list: Vec<String> = variants.iter().map(ToString::to_string).collect();
            println!(
                "event `{event}` never fired in variant(s) {}: its trigger did not hold during the capture",
                list.join(", ")
            );
        }
        println!(
            "time: start-up {:.2} s (first frame after {:.2} s), simulate {:.2} s, render+readback {:.2} s, label pass {:.2} s (overlaps render)",
            t.startup,
            summary.first_frame.map_or(0.0, |d| d.as_secs_f64()),
            t.simulate,
            t.render,
            t.label
        );
    }
    Ok(())
}
