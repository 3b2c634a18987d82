//! The training run behind `drivegen refine train`: the GAN refiner and the VAE critic
//! on patches of two folders, losses to CSV and PNG, periodic checkpoints, resume.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use burn::module::AutodiffModule;
use burn::optim::Optimizer;
use burn::prelude::*;
use burn::tensor::backend::AutodiffBackend;

use crate::checkpoint::{self, CHECKPOINT_DIR, CheckpointConfig, Source, TrainingState};
use crate::curves::{
    CurveOptions, CurvePoint, CurveProbe, FrameSource, read_curves, read_rows, write_curves,
};
use crate::data::{FrameRange, PatchBatch, PatchSampler, load_range};
use crate::error::RefineError;
use crate::gan::{Gan, GanConfig, StepLosses};
use crate::plot::{Series, write_plot};
use crate::vae::{VaeConfig, VaeLosses, VaeTrainer};

#[derive(Clone, Debug)]
pub struct TrainOptions {
    pub sim: PathBuf,
    pub sim_frames: FrameRange,
    /// Real frames, one source per camera; each is sampled equally often.
    pub real: Vec<FrameSource>,
    pub out: PathBuf,
    pub steps: usize,
    pub batch: usize,
    /// Side of the square training crops.
    pub patch: usize,
    pub seed: u64,
    pub checkpoint_every: usize,
    pub gan: GanConfig,
    pub vae: VaeConfig,
    /// Name of the backend, recorded in the checkpoint.
    pub backend: String,
    /// Held-out realism curves every K steps, when set.
    pub curves: Option<CurveOptions>,
    /// The drivegen classes the real frames show, recorded in `config.json` as `shows`
    /// (what `--refine-reach covered` lets the refiner change).
    pub shows: Option<Vec<String>>,
}

/// One logged iteration.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct StepLog {
    pub step: usize,
    pub gan: StepLosses,
    pub vae: VaeLosses,
}

const CSV_HEADER: &str = "step,discriminator,adversarial,self_regularisation,change,diversity,vae_reconstruction,vae_kl,feature_matching,statistics";
pub const LOSSES_CSV: &str = "losses.csv";
pub const LOSSES_PNG: &str = "losses.png";
/// The inference files of the step whose held-out realism was best so far (with curves).
pub const BEST_DIR: &str = "best";

impl StepLog {
    fn csv(&self) -> String {
        let g = &self.gan;
        format!(
            "{},{:.6},{:.6},{:.6},{:.6},{:.6},{:.4},{:.4},{:.6},{:.6}",
            self.step,
            g.discriminator,
            g.adversarial,
            g.self_regularisation,
            g.change,
            g.diversity,
            self.vae.reconstruction,
            self.vae.kl,
            g.feature_matching,
            g.statistics
        )
    }

    fn parse(line: &str) -> Option<StepLog> {
        let v: Vec<f64> = line
            .split(',')
            .map(|f| f.parse().ok())
            .collect::<Option<_>>()?;
        // Logs of drivegen before feature matching have 8 columns, before the statistics
        // critic 9.
        if !(8..=10).contains(&v.len()) {
            return None;
        }
        Some(StepLog {
            step: v[0] as usize,
            gan: StepLosses {
                discriminator: v[1],
                adversarial: v[2],
                self_regularisation: v[3],
                change: v[4],
                diversity: v[5],
                feature_matching: v.get(8).copied().unwrap_or(0.0),
                statistics: v.get(9).copied().unwrap_or(0.0),
            },
            vae: VaeLosses {
                reconstruction: v[6],
                kl: v[7],
            },
        })
    }
}

/// What the run reports as it goes.
#[derive(Debug)]
pub enum TrainEvent<'a> {
    Started {
        from_step: usize,
        steps: usize,
        sim_frames: usize,
        real_frames: usize,
    },
    Step(&'a StepLog),
    Checkpoint {
        step: usize,
        dir: &'a Path,
    },
    /// Held-out realism at a step (step 0: the raw frames), one point per real domain.
    Curve(&'a [CurvePoint]),
}

pub fn to_tensor<B: Backend>(p: PatchBatch, device: &B::Device) -> Tensor<B, 4> {
    Tensor::from_data(
        TensorData::new(p.data, [p.batch, p.channels, p.size, p.size]),
        device,
    )
}

/// The `config.json` of a checkpoint written at `step`.
fn checkpoint_config(o: &TrainOptions, step: usize) -> CheckpointConfig {
    CheckpointConfig {
        shows: o.shows.clone(),
        ..CheckpointConfig::new(o.gan.clone(), o.vae.clone(), state(o, step))
    }
}

fn state(o: &TrainOptions, step: usize) -> TrainingState {
    TrainingState {
        step,
        seed: o.seed,
        batch: o.batch,
        patch: o.patch,
        sim: format!("{} [{}]", o.sim.display(), o.sim_frames),
        real: o
            .real
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(" + "),
        backend: o.backend.clone(),
    }
}

/// A run may resume only the run that wrote the checkpoint: same data, seed and models.
fn same_run(a: &CheckpointConfig, o: &TrainOptions) -> Result<(), String> {
    let want = state(o, a.training.step);
    let t = &a.training;
    let mut diffs = Vec::new();
    if (t.seed, t.batch, t.patch) != (want.seed, want.batch, want.patch) {
        diffs.push("seed/batch/patch");
    }
    if (&t.sim, &t.real) != (&want.sim, &want.real) {
        diffs.push("--sim/--real");
    }
    // Named apart: a run from before `--border` existed used zeros, the old behaviour.
    if a.gan.refiner.edge_padding != o.gan.refiner.edge_padding {
        diffs.push("--border (runs from before the option used zero)");
    }
    let mut wanted = o.gan.clone();
    wanted.refiner.edge_padding = a.gan.refiner.edge_padding;
    let json = |v: serde_json::Result<String>| v.unwrap_or_default();
    if json(serde_json::to_string(&a.gan)) != json(serde_json::to_string(&wanted))
        || json(serde_json::to_string(&a.vae)) != json(serde_json::to_string(&o.vae))
    {
        diffs.push("model settings");
    }
    if diffs.is_empty() {
        Ok(())
    } else {
        Err(diffs.join(", "))
    }
}

fn save<B: AutodiffBackend>(
    o: &TrainOptions,
    gan: &Gan<B>,
    vae: &VaeTrainer<B>,
    step: usize,
    log: &[StepLog],
) -> Result<PathBuf, RefineError> {
    let mut files = inference_files(gan, vae)?;
    files.extend([
        (
            "discriminator.mpk".to_string(),
            checkpoint::encode::<B, _>(gan.discriminator.clone().into_record())?,
        ),
        (
            "refiner_adam.mpk".to_string(),
            checkpoint::encode::<B, _>(gan.g_opt.to_record())?,
        ),
        (
            "discriminator_adam.mpk".to_string(),
            checkpoint::encode::<B, _>(gan.d_opt.to_record())?,
        ),
        (
            "vae_adam.mpk".to_string(),
            checkpoint::encode::<B, _>(vae.opt.to_record())?,
        ),
    ]);
    let dir = o.out.join(CHECKPOINT_DIR);
    let config = checkpoint_config(o, step);
    checkpoint::write(&dir, config, files)?;
    write_losses(&o.out, log)?;
    Ok(dir)
}

/// Mean held-out two-sample accuracy over the domains measured at `step`.
fn mean_accuracy_at(curves: &[CurvePoint], step: usize) -> f64 {
    let at: Vec<f64> = curves
        .iter()
        .filter(|c| c.step == step)
        .map(|c| c.patch_accuracy)
        .collect();
    if at.is_empty() {
        f64::INFINITY
    } else {
        at.iter().sum::<f64>() / at.len() as f64
    }
}

/// The lowest mean accuracy of any refined curve point (step 0 is the raw frames).
fn best_refined_accuracy(curves: &[CurvePoint]) -> f64 {
    curves
        .iter()
        .filter(|c| c.step > 0)
        .map(|c| mean_accuracy_at(curves, c.step))
        .fold(f64::INFINITY, f64::min)
}

/// Writes the inference files of the refiner as it is now to `out/best` (what `refine
/// pack --ckpt RUN/best` ships); its config records the step.
fn save_best<B: AutodiffBackend>(
    o: &TrainOptions,
    gan: &Gan<B>,
    vae: &VaeTrainer<B>,
    step: usize,
) -> Result<(), RefineError> {
    let config = checkpoint_config(o, step);
    checkpoint::write(&o.out.join(BEST_DIR), config, inference_files(gan, vae)?)
}

/// The encoded refiner and VAE weights ([`checkpoint::INFERENCE_FILES`]).
fn inference_files<B: AutodiffBackend>(
    gan: &Gan<B>,
    vae: &VaeTrainer<B>,
) -> Result<Vec<(String, Vec<u8>)>, RefineError> {
    Ok(vec![
        (
            "refiner.mpk".to_string(),
            checkpoint::encode::<B, _>(gan.refiner.clone().into_record())?,
        ),
        (
            "vae.mpk".to_string(),
            checkpoint::encode::<B, _>(vae.vae.clone().into_record())?,
        ),
    ])
}

fn write_losses(out: &Path, log: &[StepLog]) -> Result<(), RefineError> {
    let mut csv = String::from(CSV_HEADER);
    csv.push('\n');
    for l in log {
        let _ = writeln!(csv, "{}", l.csv());
    }
    let path = out.join(LOSSES_CSV);
    std::fs::write(&path, csv).map_err(RefineError::io(&path))?;
    let series = |name: &str, colour, f: fn(&StepLog) -> f64| Series {
        name: name.to_string(),
        colour,
        values: log.iter().map(f).collect(),
    };
    write_plot(
        &out.join(LOSSES_PNG),
        &[
            vec![
                series("discriminator", [200, 40, 40], |l| l.gan.discriminator),
                series("adversarial", [40, 90, 200], |l| l.gan.adversarial),
                series("diversity", [40, 160, 60], |l| l.gan.diversity),
                series("change x10", [150, 90, 20], |l| l.gan.change * 10.0),
                series("statistics critic", [190, 60, 190], |l| l.gan.statistics),
            ],
            vec![series("vae negative elbo", [120, 40, 160], |l| {
                l.vae.negative_elbo()
            })],
        ],
    )
}

fn read_losses(out: &Path, up_to: usize) -> Vec<StepLog> {
    let mut log = read_rows(&out.join(LOSSES_CSV), StepLog::parse);
    log.retain(|l| l.step <= up_to);
    log
}

/// Trains (or resumes) the refiner and the VAE; returns the step log.
pub fn train<B: AutodiffBackend>(
    o: &TrainOptions,
    device: &B::Device,
    progress: &mut dyn FnMut(TrainEvent<'_>),
) -> Result<Vec<StepLog>, RefineError> {
    if o.batch == 0 || o.patch < 8 || o.steps == 0 {
        return Err(RefineError::Invalid(
            "--steps and --batch must be at least 1 and --patch at least 8".into(),
        ));
    }
    if !o.vae.patch.is_multiple_of(8) || o.vae.patch == 0 {
        return Err(RefineError::Invalid(
            "the VAE patch must be a multiple of 8".into(),
        ));
    }
    let sim = load_range(&o.sim, o.sim_frames)?;
    if o.real.is_empty() {
        return Err(RefineError::Invalid(
            "training needs at least one folder of real frames".into(),
        ));
    }
    let real = o
        .real
        .iter()
        .map(FrameSource::load)
        .collect::<Result<Vec<_>, _>>()?;
    let probe = o.curves.as_ref().map(CurveProbe::load).transpose()?;
    std::fs::create_dir_all(&o.out).map_err(RefineError::io(&o.out))?;
    B::seed(device, o.seed);
    let mut gan = Gan::<B>::new(o.gan.clone(), device);
    let mut vae = VaeTrainer::<B>::new(o.vae.clone(), device);
    let mut start = 0;
    let ckpt_dir = o.out.join(CHECKPOINT_DIR);
    let source = Source::resolve(&o.out);
    if ckpt_dir.exists() || o.out.join(format!("{CHECKPOINT_DIR}.old")).exists() {
        let config = source.config()?;
        same_run(&config, o).map_err(|what| {
            RefineError::checkpoint(
                ckpt_dir.clone(),
                format!("holds a different training run ({what} differ)"),
                "resume with the same options, or pass another --out",
            )
        })?;
        gan.refiner = source.module(&config, "refiner.mpk", gan.refiner, device)?;
        gan.discriminator =
            source.module(&config, "discriminator.mpk", gan.discriminator, device)?;
        vae.vae = source.module(&config, "vae.mpk", vae.vae, device)?;
        gan.g_opt =
            gan.g_opt
                .load_record(source.record::<B, _>(&config, "refiner_adam.mpk", device)?);
        gan.d_opt = gan.d_opt.load_record(source.record::<B, _>(
            &config,
            "discriminator_adam.mpk",
            device,
        )?);
        vae.opt = vae
            .opt
            .load_record(source.record::<B, _>(&config, "vae_adam.mpk", device)?);
        start = config.training.step;
        gan.step = start;
    }
    let layout = o.gan.refiner.layout()?;
    let mut sim_patches =
        PatchSampler::new(sim, o.patch, o.seed, "sim-patches", true)?.with_layout(layout)?;
    let sim_count = sim_patches.frames().len();
    let real_count = real.iter().map(Vec::len).sum();
    let mut real_patches =
        PatchSampler::grouped(real.clone(), o.patch, o.seed, "real-patches", true)?;
    let mut vae_patches = PatchSampler::grouped(real, o.vae.patch, o.seed, "vae-patches", true)?;
    // Resume draws the same patches an uninterrupted run would have drawn next.
    for _ in 0..start {
        sim_patches.sample(o.batch);
        real_patches.sample(o.batch);
        vae_patches.sample(o.batch);
    }
    let mut log = read_losses(&o.out, start);
    progress(TrainEvent::Started {
        from_step: start,
        steps: o.steps,
        sim_frames: sim_count,
        real_frames: real_count,
    });
    let mut curves = read_curves(&o.out, start);
    if let Some(probe) = &probe
        && curves.is_empty()
    {
        let raw = probe.raw()?;
        progress(TrainEvent::Curve(&raw));
        curves.extend(raw);
        write_curves(&o.out, &curves)?;
    }
    let every = o.checkpoint_every.max(1);
    for step in start..o.steps {
        let s = to_tensor::<B>(sim_patches.sample(o.batch), device);
        let r = to_tensor::<B>(real_patches.sample(o.batch), device);
        let v = to_tensor::<B>(vae_patches.sample(o.batch), device);
        let entry = StepLog {
            step: step + 1,
            gan: gan.step(s, r),
            vae: vae.step(v),
        };
        log.push(entry);
        progress(TrainEvent::Step(&entry));
        if let (Some(probe), Some(c)) = (&probe, &o.curves)
            && ((step + 1) % c.every.max(1) == 0 || step + 1 == o.steps)
        {
            let refiner = gan.refiner.valid();
            let points = probe.refined(step + 1, &refiner, layout, o.seed, device)?;
            progress(TrainEvent::Curve(&points));
            let earlier_best = best_refined_accuracy(&curves);
            curves.extend(points);
            write_curves(&o.out, &curves)?;
            // A GAN's held-out realism swings from one curve point to the next; keep the
            // best refiner seen rather than only the last.
            if mean_accuracy_at(&curves, step + 1) < earlier_best {
                save_best(o, &gan, &vae, step + 1)?;
            }
        }
        if (step + 1) % every == 0 || step + 1 == o.steps {
            let dir = save(o, &gan, &vae, step + 1, &log)?;
            progress(TrainEvent::Checkpoint {
                step: step + 1,
                dir: &dir,
            });
        }
    }
    Ok(log)
}
