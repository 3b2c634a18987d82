//! `drivegen refine ...`: train, apply, evaluate and sample the sim-to-real refiner, and
//! time it per backend.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use drivegen_refine::RefineError;
use drivegen_refine::checkpoint::Source;
use drivegen_refine::class_look::ClassLook;
use drivegen_refine::compute::{Compute, LoadedCheckpoint, bench_step, run_training};
use drivegen_refine::curves::{CurveOptions, FrameSource};
use drivegen_refine::data::{FrameRange, list_images, load_frame, load_range};
use drivegen_refine::gan::{AdversarialLoss, GanConfig};
use drivegen_refine::model::{DiscriminatorConfig, InputLayout, RefinerConfig};
use drivegen_refine::realism::{self, PatchSet, RealismConfig, RealismReport, two_sample};
use drivegen_refine::shipped::Shipped;
use drivegen_refine::train::{TrainEvent, TrainOptions};
use drivegen_refine::vae::VaeConfig;
use indicatif::{ProgressBar, ProgressStyle};

use crate::InputError;

/// What a new refiner's convolutions see beyond the frame (`--border`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Border {
    Zero,
    Edge,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: RefineCommand,
}

#[derive(Debug, clap::Subcommand)]
enum RefineCommand {
    /// Train the refiner GAN (and the VAE realism critic) on sim vs real frames.
    Train(Box<TrainArgs>),
    /// Refine every image of a folder with a checkpoint.
    Apply(ApplyArgs),
    /// Realism and label-preservation metrics of a checkpoint on held-out frames.
    Eval(EvalArgs),
    /// Write a grid of VAE samples and reconstructions of real patches as PNG.
    Sample(SampleArgs),
    /// Copy a checkpoint's refiner and VAE (verified, without training state) into a
    /// small folder to ship.
    Pack(PackArgs),
    /// Time one GAN iteration (D + G Adam steps) of the reference configuration, and one
    /// refined frame, per backend.
    Bench(BenchArgs),
}

/// Which backend runs the networks.
#[derive(Debug, clap::Args)]
struct BackendArg {
    /// auto (a hardware GPU through wgpu if there is one, else flex), wgpu, flex (CPU,
    /// multi-threaded SIMD) or ndarray (CPU fallback).
    #[arg(long, default_value = "auto")]
    backend: String,
}

impl BackendArg {
    fn compute(&self) -> anyhow::Result<Compute> {
        compute(&self.backend)
    }
}

/// The backend named on the command line; `auto` picks one for this machine.
fn compute(name: &str) -> anyhow::Result<Compute> {
    if name == "auto" {
        return Ok(auto_backend());
    }
    name.parse().map_err(|e: String| InputError(e).into())
}

/// wgpu when Vulkan offers a hardware GPU; on a CPU-only machine the flex backend is
/// several times faster than wgpu over lavapipe (see `drivegen refine bench`).
fn auto_backend() -> Compute {
    match drivegen_sim::probe_adapter() {
        Ok(name) if !name.contains("Cpu") => Compute::Wgpu,
        _ => Compute::Flex,
    }
}

fn input(e: RefineError) -> anyhow::Error {
    InputError(e.to_string()).into()
}

/// The checkpoint `ckpt` names and the backend it runs on. `fast`, `quality` and
/// `default` (the shipped one for the backend) are compiled into the binary; anything
/// else is a folder (`./fast` for a folder of that name).
fn resolve_checkpoint(ckpt: &Path, backend: &str) -> anyhow::Result<(Source, Compute)> {
    let compute = compute(backend)?;
    let source = match ckpt.to_str().and_then(|name| Shipped::named(name, compute)) {
        Some(shipped) => shipped.source(),
        None => Source::resolve(ckpt),
    };
    Ok((source, compute))
}

/// Loads a checkpoint (a folder or a shipped name) onto the named backend; the VAE
/// critic only when `with_vae`.
pub fn load_refiner(
    ckpt: &Path,
    backend: &str,
    with_vae: bool,
) -> anyhow::Result<LoadedCheckpoint> {
    let (source, compute) = resolve_checkpoint(ckpt, backend)?;
    LoadedCheckpoint::load(&source, compute, with_vae).map_err(input)
}

/// The classifier two-sample test (`drivegen realism`) of raw and of refined frames
/// against the real ones.
fn realism_of(
    sim: &[drivegen_refine::data::Frame],
    refined: &[image::RgbImage],
    real: &[drivegen_refine::data::Frame],
) -> anyhow::Result<(RealismReport, RealismReport)> {
    let config = RealismConfig::default();
    let scaled = |images: Vec<&image::RgbImage>| -> Vec<image::RgbImage> {
        images
            .into_iter()
            .map(|i| realism::to_height(i, config.height))
            .collect()
    };
    // The renders' semantic labels, when every frame has them, file each patch under
    // the class it shows (raw and refined frames share them).
    let labels: Option<Vec<image::GrayImage>> = sim
        .iter()
        .map(|f| {
            let sem = f.semantic.clone()?;
            image::GrayImage::from_raw(f.rgb.width(), f.rgb.height(), sem)
        })
        .collect();
    let set = |name: &str,
               images: Vec<image::RgbImage>,
               labels: Option<&[image::GrayImage]>,
               stream: &str| {
        PatchSet::sample_with_classes(name, &images, labels, &config, stream).map_err(input)
    };
    let real = set(
        "real",
        scaled(real.iter().map(|f| &f.rgb).collect()),
        None,
        "real",
    )?;
    let raw = set(
        "raw",
        scaled(sim.iter().map(|f| &f.rgb).collect()),
        labels.as_deref(),
        "sim",
    )?;
    let refined = set(
        "refined",
        scaled(refined.iter().collect()),
        labels.as_deref(),
        "sim",
    )?;
    Ok((
        two_sample(&raw, &real, &config),
        two_sample(&refined, &real, &config),
    ))
}

/// PNG-encodes an image and writes it atomically.
fn write_png(path: &Path, img: &image::RgbImage) -> anyhow::Result<()> {
    let mut png = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)?;
    drivegen_dataset::write_atomic(path, &png).map_err(|e| InputError(e.to_string()).into())
}

/// A loaded checkpoint as the render pipeline's refiner.
#[derive(Debug)]
pub struct CheckpointRefiner {
    loaded: LoadedCheckpoint,
    sha256: String,
}

impl CheckpointRefiner {
    /// Loads a checkpoint (a folder or a shipped name) to refine rendered frames.
    pub fn load(ckpt: &Path, backend: &str) -> anyhow::Result<CheckpointRefiner> {
        let (source, compute) = resolve_checkpoint(ckpt, backend)?;
        Ok(CheckpointRefiner {
            loaded: LoadedCheckpoint::load(&source, compute, false).map_err(input)?,
            sha256: source.sha256().map_err(input)?,
        })
    }
}

impl drivegen_render::FrameRefiner for CheckpointRefiner {
    fn refine(&self, job: &drivegen_dataset::FrameJob) -> Result<Option<Vec<u8>>, String> {
        refine_rgba(&self.loaded, job).map_err(|e| e.to_string())
    }
    fn sha256(&self) -> Option<String> {
        Some(self.sha256.clone())
    }
}

/// A class look (`drivegen fit-look`) as the render pipeline's refiner.
#[derive(Debug)]
pub struct LookRefiner {
    look: ClassLook,
    sha256: String,
}

impl drivegen_render::FrameRefiner for LookRefiner {
    fn refine(&self, job: &drivegen_dataset::FrameJob) -> Result<Option<Vec<u8>>, String> {
        let semantic = drivegen_dataset::semantic_of(&job.ids, &job.semantic_lut);
        let (Some(rgb), Some(semantic)) = (
            job_rgb(job),
            image::GrayImage::from_raw(job.width, job.height, semantic),
        ) else {
            return Ok(None);
        };
        let graded = self
            .look
            .apply(&rgb, &semantic)
            .map_err(|e| e.to_string())?;
        Ok(Some(graded.into_raw()))
    }
    fn sha256(&self) -> Option<String> {
        Some(self.sha256.clone())
    }
}

/// Whether `path` names a class look file rather than a checkpoint folder or a shipped
/// refiner.
fn is_look(path: &Path) -> bool {
    path.is_file() && path.extension().is_some_and(|e| e == "json")
}

/// The refiner `--refine PATH` names: a class look file (`look.json`), a checkpoint
/// folder or a shipped refiner.
pub fn frame_refiner(
    path: &Path,
    backend: &str,
) -> anyhow::Result<Box<dyn drivegen_render::FrameRefiner>> {
    if is_look(path) {
        let (look, sha256) = ClassLook::load(path).map_err(input)?;
        return Ok(Box::new(LookRefiner { look, sha256 }));
    }
    Ok(Box::new(CheckpointRefiner::load(path, backend)?))
}

/// The RGB image of a camera frame job, when it has one.
fn job_rgb(job: &drivegen_dataset::FrameJob) -> Option<image::RgbImage> {
    let rgb: Vec<u8> = job
        .rgba
        .as_ref()?
        .chunks_exact(4)
        .flat_map(|p| [p[0], p[1], p[2]])
        .collect();
    image::RgbImage::from_raw(job.width, job.height, rgb)
}

/// The refined RGB of a camera frame job, when it has an RGB image. The job's instance
/// ids give the semantic image a conditioned refiner needs.
fn refine_rgba(
    refiner: &LoadedCheckpoint,
    job: &drivegen_dataset::FrameJob,
) -> Result<Option<Vec<u8>>, RefineError> {
    let Some(image) = job_rgb(job) else {
        return Ok(None);
    };
    let layout = refiner.layout();
    let frame = drivegen_refine::data::Frame {
        path: job.dir.join("rgb").join(format!("{:06}.png", job.frame)),
        rgb: image,
        instance: None,
        semantic: layout
            .semantic
            .then(|| drivegen_dataset::semantic_of(&job.ids, &job.semantic_lut)),
        depth: layout.depth.then(|| job.depth.clone()),
    };
    Ok(Some(refiner.refine(&frame)?.into_raw()))
}

#[derive(Debug, clap::Args)]
struct TrainArgs {
    /// Rendered frames: a `drivegen render` dataset or any folder of PNG/JPEG images.
    #[arg(long)]
    sim: PathBuf,
    /// Real camera frames, repeatable (one per camera; each is sampled equally often):
    /// DIR, or DIR@START..END for a block of its sorted frames.
    #[arg(long, required = true)]
    real: Vec<FrameSource>,
    /// Output folder: checkpoint/, losses.csv, losses.png, curves.csv, curves.png and,
    /// with curves, best/ (the refiner of the step with the lowest mean held-out
    /// two-sample accuracy; pack it with `refine pack --ckpt OUT/best`). An existing run
    /// resumes.
    #[arg(long)]
    out: PathBuf,
    /// Which of the sorted sim frames to use (START..END).
    #[arg(long, default_value = "..")]
    sim_frames: FrameRange,
    /// Which of the sorted real frames to use (START..END; keep a held-out block), for
    /// every --real without its own @START..END.
    #[arg(long, default_value = "..")]
    real_frames: FrameRange,
    #[arg(long, default_value_t = 800)]
    steps: usize,
    #[arg(long, default_value_t = 8)]
    batch: usize,
    /// Side of the square training crops.
    #[arg(long, default_value_t = 64)]
    patch: usize,
    #[arg(long, default_value_t = 7)]
    seed: u64,
    #[arg(long, default_value_t = 100)]
    checkpoint_every: usize,
    /// Refiner feature channels at full resolution (cost grows with its square).
    #[arg(long, default_value_t = 16)]
    width: usize,
    /// 3x3 residual layers between the refiner's input and output layers.
    #[arg(long, default_value_t = 1)]
    hidden_layers: usize,
    /// Dilation of each hidden layer, comma-separated (e.g. 1,2): a wider view at no cost.
    #[arg(long, value_delimiter = ',')]
    dilations: Vec<usize>,
    /// Channels of the context branch, which sees the frame pooled by --context-scale
    /// (scene-wide tone, haze, colour balance); 0 = none.
    #[arg(long, default_value_t = 0)]
    context_width: usize,
    #[arg(long, default_value_t = 4)]
    context_scale: usize,
    /// Add a seeded noise channel to the refiner's input (grain and texture).
    #[arg(long)]
    noise: bool,
    /// The largest change per colour channel, as a fraction of full scale.
    #[arg(long, default_value_t = 0.5)]
    residual_bound: f64,
    /// Add a colour grade beside the residual: per pixel a bounded 3x3 colour matrix
    /// and offset, read from the context branch and/or the semantic channels, so colour
    /// changes per region and edges inside it are kept (needs --context-width or
    /// --condition semantic).
    #[arg(long)]
    colour_grade: bool,
    /// The largest value of each of the grade's matrix entries and offsets.
    #[arg(long, default_value_t = 0.5)]
    grade_bound: f64,
    /// What the refiner's convolutions see beyond the frame: its edge pixels repeated
    /// (`edge`), or zeros (`zero`, as the shipped refiners were trained), which leave a
    /// seam along the frame's border.
    #[arg(long, value_enum, default_value = "edge")]
    border: Border,
    /// Weight of the L1 self-regularisation (higher keeps refined closer to the input).
    #[arg(long, default_value_t = 1.0)]
    self_regularisation: f64,
    /// Weight of the discriminator feature-matching loss (0 = off).
    #[arg(long, default_value_t = 0.0)]
    feature_matching: f64,
    /// Weight of the statistics critic (0 = off): a discriminator head on each patch's
    /// low-level statistics (tone, colour, gradients, noise, local contrast), which
    /// keeps the refiner from drifting in what the realism test reads.
    #[arg(long, default_value_t = 0.0)]
    statistics_critic: f64,
    /// Extra self-regularisation on sky pixels (0 = off; needs semantic conditioning):
    /// keeps the refiner from changing the weather, e.g. painting an overcast sky blue.
    #[arg(long, default_value_t = 0.0)]
    sky_regularisation: f64,
    /// Extra self-regularisation on buildings, walls and fences (0 = off; needs semantic
    /// conditioning): neither real camera shows a facade, so nothing real anchors their
    /// colour.
    #[arg(long, default_value_t = 0.0)]
    construction_regularisation: f64,
    /// Patch discriminators at 1, 1/2, 1/4 ... resolution.
    #[arg(long, default_value_t = 1)]
    discriminator_scales: usize,
    #[arg(long, default_value_t = 1e-4)]
    learning_rate: f64,
    /// Discriminator steps per refiner step.
    #[arg(long, default_value_t = 1)]
    d_steps: usize,
    /// Condition the refiner on the frame's G-buffer (EPE-style input): none, semantic
    /// (one-hot Cityscapes category), depth (inverse depth), or both as semantic,depth
    /// (needs `drivegen render` datasets).
    #[arg(long, default_value = "none")]
    condition: String,
    /// Adversarial loss: ls (least squares) or bce (binary cross-entropy). On the
    /// real-road frames least squares gave the closest refined frames.
    #[arg(long, default_value = "ls")]
    loss: String,
    /// Held-out renders for the realism curves (a scenario not trained on): DIR or
    /// DIR@START..END. With --holdout-real, every --curve-every steps the refined
    /// frames are tested against each held-out real set (curves.csv, curves.png).
    #[arg(long)]
    holdout_sim: Option<FrameSource>,
    /// Held-out real frames, repeatable (one per camera): DIR@START..END.
    #[arg(long)]
    holdout_real: Vec<FrameSource>,
    #[arg(long, default_value_t = 200)]
    curve_every: usize,
    /// Held-out sim frames refined per curve point (spread over --holdout-sim).
    #[arg(long, default_value_t = 12)]
    curve_frames: usize,
    #[command(flatten)]
    backend: BackendArg,
}

/// The G-buffer channels named by `--condition`.
fn conditioning(name: &str) -> anyhow::Result<(bool, bool)> {
    let (mut semantic, mut depth) = (false, false);
    for part in name.split(',').map(str::trim) {
        match part {
            "none" => {}
            "semantic" => semantic = true,
            "depth" => depth = true,
            other => {
                return Err(InputError(format!(
                    "unknown --condition `{other}`: use none, semantic, depth or semantic,depth"
                ))
                .into());
            }
        }
    }
    Ok((semantic, depth))
}

fn bar(len: u64, unit: &str) -> ProgressBar {
    let bar = if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        ProgressBar::new(len)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template(&format!(
            "{{spinner}} {{msg}} [{{bar:30}}] {{pos}}/{{len}} {unit}, {{per_sec}}, ETA {{eta}}"
        ))
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar
}

/// A status line above the bar, or on stderr when there is no bar (not a terminal):
/// indicatif drops lines printed through a hidden bar.
fn say(bar: &ProgressBar, line: String) {
    if bar.is_hidden() {
        eprintln!("{line}");
    } else {
        bar.println(line);
    }
}

fn train(a: TrainArgs) -> anyhow::Result<()> {
    let compute = a.backend.compute()?;
    let loss = match a.loss.as_str() {
        "bce" => AdversarialLoss::BinaryCrossEntropy,
        "ls" => AdversarialLoss::LeastSquares,
        other => {
            return Err(InputError(format!("unknown --loss `{other}`: use bce or ls")).into());
        }
    };
    let (semantic, depth) = conditioning(&a.condition)?;
    let layout = InputLayout {
        semantic,
        depth,
        noise: a.noise,
    };
    for (flag, bound) in [
        ("--residual-bound", a.residual_bound),
        ("--grade-bound", a.grade_bound),
    ] {
        if !(bound > 0.0 && bound <= 1.0) {
            return Err(InputError(format!("{flag} {bound} is outside (0, 1]")).into());
        }
    }
    for (flag, weight) in [
        ("--statistics-critic", a.statistics_critic),
        ("--sky-regularisation", a.sky_regularisation),
        (
            "--construction-regularisation",
            a.construction_regularisation,
        ),
    ] {
        if !(weight >= 0.0 && weight.is_finite()) {
            return Err(InputError(format!(
                "{flag} {weight} must be a weight of 0 (off) or more"
            ))
            .into());
        }
    }
    for (flag, weight, what) in [
        ("--sky-regularisation", a.sky_regularisation, "the sky"),
        (
            "--construction-regularisation",
            a.construction_regularisation,
            "facades",
        ),
    ] {
        if weight > 0.0 && !layout.semantic {
            return Err(InputError(format!(
                "{flag} needs the semantic conditioning to find {what}\n  = hint: add --condition semantic (or semantic,depth)"
            ))
            .into());
        }
    }
    let gan = GanConfig::new(
        RefinerConfig::new()
            .with_width(a.width)
            .with_hidden_layers(a.hidden_layers)
            .with_dilations(a.dilations)
            .with_context_width(a.context_width)
            .with_context_scale(a.context_scale)
            .with_residual_bound(a.residual_bound)
            .with_edge_padding(a.border == Border::Edge)
            .with_colour_grade(a.colour_grade)
            .with_grade_bound(a.grade_bound)
            .with_layout(layout),
        DiscriminatorConfig::new()
            .with_scales(a.discriminator_scales)
            .with_statistics(a.statistics_critic > 0.0),
    )
    .with_loss(loss)
    .with_self_regularisation(a.self_regularisation)
    .with_feature_matching(a.feature_matching)
    .with_statistics_critic(a.statistics_critic)
    .with_sky_regularisation(a.sky_regularisation)
    .with_construction_regularisation(a.construction_regularisation)
    .with_learning_rate(a.learning_rate)
    .with_d_steps(a.d_steps);
    gan.refiner.check().map_err(|e| {
        InputError(format!(
            "{e}\n  = hint: add --context-width 16 or --condition semantic"
        ))
    })?;
    let with_default = |mut s: FrameSource| {
        if s.frames == FrameRange::default() {
            s.frames = a.real_frames;
        }
        s
    };
    let curves = match (a.holdout_sim, a.holdout_real.is_empty()) {
        (Some(sim), false) => Some(CurveOptions {
            every: a.curve_every.max(1),
            sim,
            sim_frames: a.curve_frames,
            real: a.holdout_real,
        }),
        (None, true) => None,
        _ => {
            return Err(InputError(
                "--holdout-sim and --holdout-real go together (the curves need both)".into(),
            )
            .into());
        }
    };
    println!(
        "refiner: {} parameters, {:.2} GFLOP per 640x384 frame; input {layout}",
        gan.refiner.params(),
        gan.refiner.flops(384, 640) / 1e9
    );
    let options = TrainOptions {
        sim: a.sim,
        sim_frames: a.sim_frames,
        real: a.real.into_iter().map(with_default).collect(),
        out: a.out.clone(),
        steps: a.steps,
        batch: a.batch,
        patch: a.patch,
        seed: a.seed,
        checkpoint_every: a.checkpoint_every,
        gan,
        vae: VaeConfig::new(),
        backend: compute.to_string(),
        curves,
    };
    let progress = bar(a.steps as u64, "steps");
    progress.set_message(format!("training on {compute}"));
    let started = Instant::now();
    let mut first = None;
    let log = run_training(compute, &options, &mut |event| match event {
        TrainEvent::Started {
            from_step,
            sim_frames,
            real_frames,
            ..
        } => {
            progress.set_position(from_step as u64);
            first = Some(from_step);
            if from_step > 0 {
                say(&progress, format!("resuming from step {from_step}"));
            }
            say(
                &progress,
                format!("{sim_frames} sim frames, {real_frames} real frames, backend {compute}"),
            );
        }
        TrainEvent::Step(l) => {
            progress.set_position(l.step as u64);
            progress.set_message(format!(
                "D {:.3} G {:.3} change {:.3} diversity {:.2} VAE {:.0}",
                l.gan.discriminator,
                l.gan.adversarial,
                l.gan.change,
                l.gan.diversity,
                l.vae.negative_elbo()
            ));
        }
        TrainEvent::Checkpoint { step, dir } => {
            say(
                &progress,
                format!("step {step}: checkpoint {}", dir.display()),
            );
        }
        TrainEvent::Curve(points) => {
            for p in points {
                say(
                    &progress,
                    format!(
                        "step {}: vs {} two-sample accuracy {:.3} (per image {:.3}), KID {:.4}",
                        p.step, p.domain, p.patch_accuracy, p.image_accuracy, p.kid
                    ),
                );
            }
        }
    })
    .map_err(input)?;
    progress.finish_and_clear();
    let done = log.last().map_or(0, |l| l.step) - first.unwrap_or(0);
    if done > 0 {
        println!(
            "trained {done} steps in {:.1} s ({:.0} ms/step) on {compute}; losses in {}",
            started.elapsed().as_secs_f64(),
            started.elapsed().as_secs_f64() * 1e3 / done as f64,
            a.out.join("losses.csv").display()
        );
    } else {
        println!("{} is already trained to step {}", a.out.display(), a.steps);
    }
    Ok(())
}

#[derive(Debug, clap::Args)]
struct ApplyArgs {
    /// Checkpoint folder (or a training --out folder), a shipped refiner: `fast`,
    /// `quality`, or `default` (fast on the CPU backends, quality on wgpu), or a class
    /// look file from `drivegen fit-look` (it needs the frames' semantic images).
    #[arg(long)]
    ckpt: PathBuf,
    /// Folder of images (or a drivegen dataset: its rgb/ frames).
    #[arg(long = "in")]
    input: PathBuf,
    /// Output folder; refined images keep their relative paths.
    #[arg(long)]
    out: PathBuf,
    #[command(flatten)]
    backend: BackendArg,
}

/// `refine apply` with a class look: every frame needs its semantic labels.
fn apply_look(a: &ApplyArgs) -> anyhow::Result<()> {
    let (look, _) = ClassLook::load(&a.ckpt).map_err(input)?;
    let paths = list_images(&a.input).map_err(input)?;
    let progress = bar(paths.len() as u64, "frames");
    progress.set_message("grading by class");
    for p in &paths {
        let frame = load_frame(p).map_err(input)?;
        let graded = look.apply_to_frame(&frame).map_err(input)?;
        let rel = p.strip_prefix(&a.input).unwrap_or(p);
        write_png(&a.out.join(rel).with_extension("png"), &graded)?;
        progress.inc(1);
    }
    progress.finish_and_clear();
    println!("graded {} frames into {}", paths.len(), a.out.display());
    Ok(())
}

fn apply(a: ApplyArgs) -> anyhow::Result<()> {
    if is_look(&a.ckpt) {
        return apply_look(&a);
    }
    let loaded = load_refiner(&a.ckpt, &a.backend.backend, false)?;
    let paths = list_images(&a.input).map_err(input)?;
    let progress = bar(paths.len() as u64, "frames");
    progress.set_message(format!("refining on {}", loaded.compute));
    let started = Instant::now();
    for p in &paths {
        let frame = load_frame(p).map_err(input)?;
        let refined = loaded.refine(&frame).map_err(input)?;
        let rel = p.strip_prefix(&a.input).unwrap_or(p);
        let out = a.out.join(rel).with_extension("png");
        write_png(&out, &refined)?;
        progress.inc(1);
    }
    progress.finish_and_clear();
    println!(
        "refined {} frames into {} ({:.0} ms/frame on {})",
        paths.len(),
        a.out.display(),
        started.elapsed().as_secs_f64() * 1e3 / paths.len().max(1) as f64,
        loaded.compute
    );
    Ok(())
}

#[derive(Debug, clap::Args)]
struct EvalArgs {
    /// Checkpoint folder (or a training --out folder), `fast`, `quality`, `default`, or a
    /// class look file from `drivegen fit-look` (the VAE metrics are left out: a look has
    /// no critic).
    #[arg(long)]
    ckpt: PathBuf,
    /// Rendered frames not used in training (a drivegen dataset gives the label metrics).
    #[arg(long)]
    sim: PathBuf,
    #[arg(long, default_value = "..")]
    sim_frames: FrameRange,
    /// Real frames not used in training.
    #[arg(long)]
    real: PathBuf,
    #[arg(long, default_value = "..")]
    real_frames: FrameRange,
    /// Patches per set for the kernel distances and the ELBO.
    #[arg(long, default_value_t = 512)]
    patches: usize,
    #[arg(long, default_value_t = 11)]
    seed: u64,
    /// Where eval.json and the side-by-side PNGs go.
    #[arg(long, default_value = "out/refine-eval")]
    out: PathBuf,
    /// How many raw|refined side-by-side PNGs to write.
    #[arg(long, default_value_t = 6)]
    side_by_side: usize,
    #[command(flatten)]
    backend: BackendArg,
}

fn eval(a: EvalArgs) -> anyhow::Result<()> {
    let sim = load_range(&a.sim, a.sim_frames).map_err(input)?;
    let real = load_range(&a.real, a.real_frames).map_err(input)?;
    let progress = bar(sim.len() as u64, "frames");
    let mut tick = |n: usize| progress.set_position(n as u64);
    let ((report, refined), compute) = if is_look(&a.ckpt) {
        let (look, _) = ClassLook::load(&a.ckpt).map_err(input)?;
        let compute = a.backend.compute()?;
        progress.set_message("grading by class");
        let evaluated = drivegen_refine::compute::evaluate_look(
            compute, &look, &sim, &real, a.patches, a.seed, &mut tick,
        );
        (evaluated.map_err(input)?, compute)
    } else {
        let loaded = load_refiner(&a.ckpt, &a.backend.backend, true)?;
        progress.set_message("refining");
        let evaluated = loaded.evaluate(&sim, &real, a.patches, a.seed, &mut tick);
        (evaluated.map_err(input)?, loaded.compute)
    };
    progress.finish_and_clear();
    let r = &report;
    println!(
        "{} sim frames vs {} real frames, {} patches of {}x{} per set (lower = closer to real)",
        r.sim_frames, r.real_frames, r.patches, r.patch, r.patch
    );
    let row = |name: &str, m: &drivegen_refine::eval::RawRefined| {
        println!(
            "  {name:<26} raw {:>10.4}   refined {:>10.4}   ({:+.1} %)",
            m.raw,
            m.refined,
            -100.0 * m.improvement()
        );
    };
    row("KID (random conv)", &r.kid_random_conv);
    if let Some(kid) = &r.kid_vae {
        row("KID (VAE encoder)", kid);
    }
    row("colour mean/std distance", &r.colour_moments);
    row("colour histogram distance", &r.colour_histogram);
    if let Some(elbo) = &r.vae_negative_elbo {
        println!(
            "  VAE negative ELBO          real {:.1}   raw {:.1}   refined {:.1}",
            elbo.real, elbo.raw, elbo.refined
        );
    }
    println!("  mean |refined - raw|       {:.4}", r.mean_abs_change);
    println!(
        "  edge agreement             mean {:.3}  p05 {:.3}  min {:.3} over {} objects",
        r.edge_agreement.mean, r.edge_agreement.p05, r.edge_agreement.min, r.edge_agreement.objects
    );
    for c in &r.class_shift {
        if c.pixels > 1000 {
            println!(
                "  colour shift {:<14} {:>6.1} (of 255) over {} px",
                c.class, c.shift, c.pixels
            );
        }
    }
    println!("  {:.0} ms per refined frame on {compute}", r.ms_per_frame);
    let two_sample = realism_of(&sim, &refined, &real)?;
    for (name, t) in [("raw", &two_sample.0), ("refined", &two_sample.1)] {
        println!(
            "  two-sample accuracy, {name:<7} per patch {}  per image {} (0.5 = indistinguishable)",
            t.patch_accuracy, t.image_accuracy
        );
    }
    let (raw_caught, refined_caught) =
        (&two_sample.0.caught_by_class, &two_sample.1.caught_by_class);
    // Raw and refined frames share their patches and labels, so the classes line up.
    let caught: Vec<String> = raw_caught
        .iter()
        .zip(refined_caught)
        .filter(|(r, _)| r.patches >= super::realism::MIN_CLASS_PATCHES)
        .map(|(r, f)| format!("{} {:.3} -> {:.3}", r.class, r.caught, f.caught))
        .collect();
    if !caught.is_empty() {
        println!(
            "  caught per class, raw -> refined (share called rendered): {}",
            caught.join(" · ")
        );
    }
    std::fs::create_dir_all(&a.out)?;
    let mut json = serde_json::to_value(&report)?;
    json["two_sample"] = serde_json::json!({ "raw": two_sample.0, "refined": two_sample.1 });
    drivegen_dataset::write_atomic(&a.out.join("eval.json"), &serde_json::to_vec_pretty(&json)?)?;
    let pngs = drivegen_refine::eval::write_side_by_side(&a.out, &sim, &refined, a.side_by_side)
        .map_err(input)?;
    println!(
        "wrote {} and {} side-by-side PNGs (raw | refined)",
        a.out.join("eval.json").display(),
        pngs.len()
    );
    Ok(())
}

#[derive(Debug, clap::Args)]
struct SampleArgs {
    #[arg(long)]
    ckpt: PathBuf,
    /// Real frames whose patches are reconstructed in the lower rows.
    #[arg(long)]
    real: PathBuf,
    #[arg(long, default_value = "out/vae-samples.png")]
    out: PathBuf,
    #[arg(long, default_value_t = 5)]
    seed: u64,
    #[command(flatten)]
    backend: BackendArg,
}

fn sample(a: SampleArgs) -> anyhow::Result<()> {
    let loaded = load_refiner(&a.ckpt, &a.backend.backend, true)?;
    let real = load_range(&a.real, FrameRange::default()).map_err(input)?;
    let grid = loaded.sample_grid(&real, a.seed).map_err(input)?;
    write_png(&a.out, &grid)?;
    println!(
        "wrote {}: rows 1-2 VAE samples, rows 3-6 real patches and their reconstructions",
        a.out.display()
    );
    Ok(())
}

#[derive(Debug, clap::Args)]
struct PackArgs {
    #[arg(long)]
    ckpt: PathBuf,
    #[arg(long)]
    out: PathBuf,
}

#[derive(Debug, clap::Args)]
struct BenchArgs {
    /// flex, ndarray, wgpu, or all (each in its own process, with --timeout).
    #[arg(long, default_value = "all")]
    backend: String,
    /// Timed iterations after the first.
    #[arg(long, default_value_t = 3)]
    steps: usize,
    #[arg(long, default_value_t = 8)]
    batch: usize,
    /// Crop side in pixels.
    #[arg(long, default_value_t = 64)]
    size: usize,
    /// Seconds one backend may take before it is reported as too slow.
    #[arg(long, default_value_t = 300)]
    timeout: u64,
}

fn bench_one(compute: Compute, b: &BenchArgs) {
    let t = bench_step(compute, b.steps, b.batch, b.size);
    println!(
        "{compute:<8} train step {:>9.1} ms   first {:>9.1} ms   {:.2} GFLOP/step   {:.2} GFLOP/s",
        t.ms_per_step, t.first_step_ms, t.gflop_per_step, t.gflops
    );
    for shipped in Shipped::ALL {
        let config = shipped.source().config().map(|c| c.gan.refiner);
        match config.and_then(|c| drivegen_refine::compute::bench_frame(compute, &c, 640, 384)) {
            Ok(f) => println!(
                "{compute:<8} refine 640x384 {:>7.1} ms/frame with the shipped {} refiner{} (width-32 reference: {:.1} ms)",
                f.configured_ms,
                shipped.name(),
                if Shipped::default_for(compute) == shipped {
                    ", the default here"
                } else {
                    ""
                },
                f.reference_ms
            ),
            Err(e) => println!("{compute:<8} refine 640x384: {e}"),
        }
    }
}

fn bench(b: BenchArgs) -> anyhow::Result<()> {
    if b.backend != "all" {
        let compute: Compute = b.backend.parse().map_err(InputError)?;
        bench_one(compute, &b);
        return Ok(());
    }
    let exe = std::env::current_exe()?;
    for backend in ["flex", "ndarray", "wgpu"] {
        let started = Instant::now();
        let mut child = Command::new(&exe)
            .args(["refine", "bench", "--backend", backend, "--steps"])
            .arg(b.steps.to_string())
            .args([
                "--batch",
                &b.batch.to_string(),
                "--size",
                &b.size.to_string(),
            ])
            .spawn()?;
        loop {
            if child.try_wait()?.is_some() {
                break;
            }
            if started.elapsed() > Duration::from_secs(b.timeout) {
                let _ = child.kill();
                let _ = child.wait();
                println!(
                    "{backend:<8} did not finish {} steps in {} s",
                    b.steps + 1,
                    b.timeout
                );
                break;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
    Ok(())
}

pub fn run(args: Args) -> anyhow::Result<()> {
    match args.command {
        RefineCommand::Train(a) => train(*a),
        RefineCommand::Apply(a) => apply(a),
        RefineCommand::Eval(a) => eval(a),
        RefineCommand::Sample(a) => sample(a),
        RefineCommand::Pack(a) => {
            // Packing a shipped name extracts it; `default` means the CPU one here.
            let (source, _) = resolve_checkpoint(&a.ckpt, "flex")?;
            drivegen_refine::checkpoint::pack(&source, &a.out).map_err(input)?;
            println!("packed {} into {}", a.ckpt.display(), a.out.display());
            Ok(())
        }
        RefineCommand::Bench(b) => bench(b),
    }
}
