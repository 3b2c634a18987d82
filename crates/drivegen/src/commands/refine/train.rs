//! `drivegen refine train`: the refiner GAN and the VAE critic, with held-out curves.

use std::path::PathBuf;
use std::time::Instant;

use drivegen_refine::compute::run_training;
use drivegen_refine::curves::{CurveOptions, FrameSource};
use drivegen_refine::data::FrameRange;
use drivegen_refine::gan::{AdversarialLoss, GanConfig};
use drivegen_refine::model::{DiscriminatorConfig, InputLayout, RefinerConfig};
use drivegen_refine::reach::Shown;
use drivegen_refine::train::{TrainEvent, TrainOptions};
use drivegen_refine::vae::VaeConfig;

use super::{BackendArg, input};
use crate::InputError;
use crate::commands::progress::Progress;

/// What a new refiner's convolutions see beyond the frame (`--border`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Border {
    Zero,
    Edge,
}

#[derive(Debug, clap::Args)]
pub(super) struct TrainArgs {
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
    /// The drivegen classes your real frames show, recorded in the checkpoint's
    /// config.json: `--refine-reach covered` (the default) then lets the refiner change
    /// these (e.g. road,sidewalk,vegetation,terrain,sky,building for a city camera);
    /// without it, road, sidewalk, vegetation, terrain and sky, as the shipped cameras.
    #[arg(long, value_delimiter = ',', value_name = "CLASS,...")]
    shows: Vec<String>,
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

pub(super) fn train(a: TrainArgs, quiet: bool) -> anyhow::Result<()> {
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
    let shows = (!a.shows.is_empty()).then_some(a.shows);
    if let Some(names) = &shows {
        Shown::from_names(names).map_err(|e| InputError(format!("--shows: {e}")))?;
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
        shows,
    };
    let progress = Progress::new(a.steps as u64, "steps", quiet);
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
                progress.println(format!("resuming from step {from_step}"));
            }
            progress.println(format!(
                "{sim_frames} sim frames, {real_frames} real frames, backend {compute}"
            ));
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
            progress.println(format!("step {step}: checkpoint {}", dir.display()));
        }
        TrainEvent::Curve(points) => {
            for p in points {
                progress.println(format!(
                    "step {}: vs {} two-sample accuracy {:.3} (per image {:.3}), KID {:.4}",
                    p.step, p.domain, p.patch_accuracy, p.image_accuracy, p.kid
                ));
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
