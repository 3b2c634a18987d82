//! The backends drivegen ships, instantiated here (an optimised crate) behind a plain
//! enum, so the binary picks one at run time without compiling burn's generic kernels
//! at its own optimisation level.
//!
//! - `flex`: burn's multi-threaded SIMD CPU backend (im2col + gemm); the fast CPU path.
//! - `ndarray`: burn's older CPU backend, kept as a fallback and for comparison.
//! - `wgpu`: Vulkan/Metal/DX12 compute; a real GPU, or lavapipe on a CPU-only machine.

use burn::backend::flex::FlexDevice;
use burn::backend::ndarray::NdArrayDevice;
use burn::backend::wgpu::WgpuDevice;
use burn::backend::{Autodiff, Flex, NdArray, Wgpu};
use burn::prelude::*;
use image::RgbImage;

use crate::bench::{StepTiming, time_steps};
use crate::checkpoint::{CheckpointConfig, Source};
use crate::class_look::ClassLook;
use crate::data::{Frame, PatchSampler, interleaved};
use crate::error::RefineError;
use crate::eval::{Compared, EvalReport, Frames, compare, evaluate, refine_all, refine_frame};
use crate::model::{InputLayout, Refiner, RefinerConfig};
use crate::reach::{Reach, Shown};
use crate::train::{StepLog, TrainEvent, TrainOptions, to_tensor, train};
use crate::vae::{Vae, VaeConfig};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compute {
    Flex,
    NdArray,
    Wgpu,
}

impl std::str::FromStr for Compute {
    type Err = String;
    fn from_str(s: &str) -> Result<Compute, String> {
        match s {
            "flex" | "cpu" => Ok(Compute::Flex),
            "ndarray" => Ok(Compute::NdArray),
            "wgpu" => Ok(Compute::Wgpu),
            other => Err(format!(
                "unknown backend `{other}`: use wgpu, flex (CPU) or ndarray (CPU)"
            )),
        }
    }
}

impl std::fmt::Display for Compute {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Compute::Flex => "flex",
            Compute::NdArray => "ndarray",
            Compute::Wgpu => "wgpu",
        })
    }
}

/// Runs `$body` with `B` bound to the chosen backend and `device` to its device.
macro_rules! with_backend {
    ($compute:expr, |$b:ident, $device:ident| $body:expr) => {
        match $compute {
            Compute::Flex => {
                type $b = Flex;
                let $device = FlexDevice;
                $body
            }
            Compute::NdArray => {
                type $b = NdArray;
                let $device = NdArrayDevice::Cpu;
                $body
            }
            Compute::Wgpu => {
                type $b = Wgpu;
                let $device = WgpuDevice::default();
                $body
            }
        }
    };
}

/// Trains (or resumes) on the chosen backend.
pub fn run_training(
    compute: Compute,
    options: &TrainOptions,
    progress: &mut dyn FnMut(TrainEvent<'_>),
) -> Result<Vec<StepLog>, RefineError> {
    with_backend!(compute, |B, device| train::<Autodiff<B>>(
        options, &device, progress
    ))
}

/// Times GAN iterations of the reference configuration.
pub fn bench_step(compute: Compute, steps: usize, batch: usize, size: usize) -> StepTiming {
    with_backend!(compute, |B, device| time_steps::<Autodiff<B>>(
        &device, steps, batch, size
    ))
}

/// `refine eval` of a class look: grades every `sim` frame through its semantic labels,
/// then measures as for a checkpoint (without the VAE metrics: a look has no critic).
pub fn evaluate_look(
    compute: Compute,
    look: &ClassLook,
    sim: &[Frame],
    real: &[Frame],
    patches: usize,
    seed: u64,
    progress: &mut dyn FnMut(usize),
) -> Result<(EvalReport, Vec<RgbImage>), RefineError> {
    let (graded, ms_per_frame) = refine_all(sim, progress, |f| look.apply_to_frame(f))?;
    let frames = Compared {
        sim,
        refined: &graded,
        real,
        ms_per_frame,
    };
    let report = with_backend!(compute, |B, device| compare::<B>(
        &frames, None, patches, seed, &device
    ))?;
    Ok((report, graded))
}

struct Models<B: Backend> {
    refiner: Refiner<B>,
    vae: Option<Vae<B>>,
    device: B::Device,
}

// Boxed: a wgpu module is much larger than a CPU one.
enum Loaded {
    Flex(Box<Models<Flex>>),
    NdArray(Box<Models<NdArray>>),
    Wgpu(Box<Models<Wgpu>>),
}

/// A checkpoint loaded onto a backend, ready to refine frames.
pub struct LoadedCheckpoint {
    pub config: CheckpointConfig,
    pub compute: Compute,
    layout: InputLayout,
    /// The classes `config.shows` names, read once: [`Self::reach`] runs per frame.
    shows: Option<Shown>,
    loaded: Loaded,
}

impl std::fmt::Debug for LoadedCheckpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedCheckpoint")
            .field("compute", &self.compute)
            .field("step", &self.config.training.step)
            .finish()
    }
}

fn load_models<B: Backend>(
    source: &Source,
    config: &CheckpointConfig,
    with_vae: bool,
    device: B::Device,
) -> Result<Models<B>, RefineError> {
    let refiner = source.module(
        config,
        "refiner.mpk",
        config.gan.refiner.init::<B>(&device),
        &device,
    )?;
    let vae = if with_vae {
        Some(source.module(config, "vae.mpk", config.vae.init::<B>(&device), &device)?)
    } else {
        None
    };
    Ok(Models {
        refiner,
        vae,
        device,
    })
}

/// Runs `$body` with `$m` bound to the loaded models, whatever the backend.
macro_rules! with_models {
    ($loaded:expr, |$m:ident| $body:expr) => {
        match $loaded {
            Loaded::Flex($m) => $body,
            Loaded::NdArray($m) => $body,
            Loaded::Wgpu($m) => $body,
        }
    };
}

impl LoadedCheckpoint {
    /// Loads the refiner (and the VAE when `with_vae`) of a checkpoint.
    pub fn load(
        source: &Source,
        compute: Compute,
        with_vae: bool,
    ) -> Result<LoadedCheckpoint, RefineError> {
        let config = source.config()?;
        let layout = config.gan.refiner.layout()?;
        let loaded = match compute {
            Compute::Flex => Loaded::Flex(Box::new(load_models(
                source, &config, with_vae, FlexDevice,
            )?)),
            Compute::NdArray => Loaded::NdArray(Box::new(load_models(
                source,
                &config,
                with_vae,
                NdArrayDevice::Cpu,
            )?)),
            Compute::Wgpu => Loaded::Wgpu(Box::new(load_models(
                source,
                &config,
                with_vae,
                WgpuDevice::default(),
            )?)),
        };
        Ok(LoadedCheckpoint {
            shows: config.shown(),
            config,
            compute,
            layout,
            loaded,
        })
    }

    /// Refiner input channels: RGB plus the conditioning of [`Self::layout`].
    pub fn channels(&self) -> usize {
        self.config.gan.refiner.in_channels
    }

    /// What the refiner is conditioned on (checked against `in_channels` on load).
    pub fn layout(&self) -> InputLayout {
        self.layout
    }

    /// Refines one frame; the output has the input's size. A refiner conditioned on
    /// semantics or depth needs the frame's semantic or depth image. The noise channel,
    /// if any, is seeded by the training seed and the frame's file name.
    pub fn refine(&self, frame: &Frame) -> Result<RgbImage, RefineError> {
        let (layout, seed) = (self.layout, self.config.training.seed);
        with_models!(&self.loaded, |m| refine_frame(
            &m.refiner, layout, seed, frame, &m.device
        ))
    }

    /// `reach` as this checkpoint takes it: `covered` becomes the classes its
    /// `config.json` says its real frames show.
    pub fn reach(&self, reach: Reach) -> Reach {
        reach.for_checkpoint(self.shows)
    }

    /// [`Self::refine`], then confined to `reach` ([`crate::reach`], as [`Self::reach`]
    /// resolves it): what `render --refine` and `refine apply` write.
    pub fn refine_within(&self, frame: &Frame, reach: Reach) -> Result<RgbImage, RefineError> {
        Ok(self.reach(reach).apply(frame, self.refine(frame)?))
    }

    fn vae_missing() -> RefineError {
        RefineError::Invalid("this checkpoint was loaded without its VAE".into())
    }

    /// Realism and label-preservation metrics of `sim` frames refined within `reach`
    /// against `real`.
    pub fn evaluate(
        &self,
        sim: &[Frame],
        real: &[Frame],
        reach: Reach,
        patches: usize,
        seed: u64,
        progress: &mut dyn FnMut(usize),
    ) -> Result<(EvalReport, Vec<RgbImage>), RefineError> {
        let vae_config = &self.config.vae;
        let (layout, reach) = (self.layout, self.reach(reach));
        with_models!(&self.loaded, |m| {
            let vae = m.vae.as_ref().ok_or_else(Self::vae_missing)?;
            let frames = Frames { sim, real, reach };
            evaluate(
                &m.refiner, layout, vae, vae_config, frames, patches, seed, &m.device, progress,
            )
        })
    }

    /// Mean negative ELBO per patch of `frames` under the VAE.
    pub fn negative_elbo(
        &self,
        frames: &[Frame],
        patches: usize,
        seed: u64,
    ) -> Result<f64, RefineError> {
        let vae_config = &self.config.vae;
        with_models!(&self.loaded, |m| {
            let vae = m.vae.as_ref().ok_or_else(Self::vae_missing)?;
            let mut sampler = PatchSampler::new(
                frames.to_vec(),
                vae_config.patch,
                seed,
                "elbo-patches",
                false,
            )?;
            let x = to_tensor(sampler.sample(patches), &m.device);
            let v = vae.negative_elbo(x, vae_config);
            Ok(v.iter().map(|e| f64::from(*e)).sum::<f64>() / v.len().max(1) as f64)
        })
    }

    /// A PNG-ready grid: two rows of VAE prior samples, then rows of real patches, each
    /// followed by its reconstruction.
    pub fn sample_grid(&self, real: &[Frame], seed: u64) -> Result<RgbImage, RefineError> {
        let vae_config = &self.config.vae;
        with_models!(&self.loaded, |m| {
            let vae = m.vae.as_ref().ok_or_else(Self::vae_missing)?;
            sample_grid(vae, vae_config, real, seed, &m.device)
        })
    }
}

const GRID_COLUMNS: usize = 8;
const GRID_SCALE: u32 = 4;

fn sample_grid<B: Backend>(
    vae: &Vae<B>,
    config: &VaeConfig,
    real: &[Frame],
    seed: u64,
    device: &B::Device,
) -> Result<RgbImage, RefineError> {
    B::seed(device, seed);
    let p = config.patch;
    let samples = vae.sample(2 * GRID_COLUMNS, config, device);
    let mut sampler = PatchSampler::new(real.to_vec(), p, seed, "grid-patches", false)?;
    let originals = to_tensor::<B>(sampler.sample(2 * GRID_COLUMNS), device);
    let recon = vae.terms(originals.clone(), config, false).reconstructed;
    let rows: Vec<Tensor<B, 4>> = vec![
        samples.clone().narrow(0, 0, GRID_COLUMNS),
        samples.narrow(0, GRID_COLUMNS, GRID_COLUMNS),
        originals.clone().narrow(0, 0, GRID_COLUMNS),
        recon.clone().narrow(0, 0, GRID_COLUMNS),
        originals.narrow(0, GRID_COLUMNS, GRID_COLUMNS),
        recon.narrow(0, GRID_COLUMNS, GRID_COLUMNS),
    ];
    let cell = p as u32 * GRID_SCALE + 4;
    let mut grid = RgbImage::from_pixel(
        cell * GRID_COLUMNS as u32,
        cell * rows.len() as u32,
        image::Rgb([255, 255, 255]),
    );
    for (r, row) in rows.into_iter().enumerate() {
        let data = row.into_data().to_vec::<f32>().unwrap_or_default();
        for c in 0..GRID_COLUMNS {
            let one = &data[c * 3 * p * p..(c + 1) * 3 * p * p];
            let img = interleaved(one, p, p);
            let big = image::imageops::resize(
                &img,
                p as u32 * GRID_SCALE,
                p as u32 * GRID_SCALE,
                image::imageops::FilterType::Nearest,
            );
            image::imageops::replace(
                &mut grid,
                &big,
                i64::from(c as u32 * cell + 2),
                i64::from(r as u32 * cell + 2),
            );
        }
    }
    Ok(grid)
}

/// Milliseconds to refine one frame with a freshly initialised refiner.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FrameTiming {
    /// The reference refiner (width 32).
    pub reference_ms: f64,
    /// A refiner of the given configuration (e.g. the shipped one's).
    pub configured_ms: f64,
}

fn time_frames<B: Backend>(
    config: &RefinerConfig,
    w: u32,
    h: u32,
    device: &B::Device,
) -> Result<f64, RefineError> {
    let layout = config.layout()?;
    let refiner = config.init::<B>(device);
    let n = (w * h) as usize;
    let frame = Frame {
        path: "bench.png".into(),
        rgb: RgbImage::from_fn(w, h, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, 128])
        }),
        instance: None,
        semantic: layout.semantic.then(|| vec![7u8; n]),
        depth: layout.depth.then(|| vec![10.0f32; n]),
        environment: None,
    };
    refine_frame(&refiner, layout, 0, &frame, device)?;
    let runs = 3;
    let started = std::time::Instant::now();
    for _ in 0..runs {
        refine_frame(&refiner, layout, 0, &frame, device)?;
    }
    Ok(started.elapsed().as_secs_f64() * 1e3 / f64::from(runs))
}

/// Times refining a `w x h` frame (after one warm-up frame) with the reference refiner
/// and with `config`.
pub fn bench_frame(
    compute: Compute,
    config: &RefinerConfig,
    w: u32,
    h: u32,
) -> Result<FrameTiming, RefineError> {
    with_backend!(compute, |B, device| Ok(FrameTiming {
        reference_ms: time_frames::<B>(&RefinerConfig::new().with_width(32), w, h, &device)?,
        configured_ms: time_frames::<B>(config, w, h, &device)?,
    }))
}
