//! Timing of one GAN iteration (one discriminator and one refiner Adam step) per backend,
//! with its FLOP count so the ratio to the machine's limit is visible.

use std::time::Instant;

use burn::prelude::*;
use burn::tensor::Distribution;
use burn::tensor::backend::AutodiffBackend;

use crate::gan::{Gan, GanConfig};
use crate::model::{DiscriminatorConfig, RefinerConfig};

/// The reference configuration from the refiner issue: G 3->32->32->3 (3x3), patch D
/// 6->32->64->1 (4x4 stride 2), 64x64 crops, batch 8.
pub fn reference_config() -> GanConfig {
    GanConfig::new(
        RefinerConfig::new(),
        DiscriminatorConfig::new().with_in_channels(6),
    )
}

#[derive(Clone, Debug, PartialEq)]
pub struct StepTiming {
    /// Milliseconds per iteration after the first (which compiles/allocates).
    pub ms_per_step: f64,
    pub first_step_ms: f64,
    pub gflop_per_step: f64,
    pub gflops: f64,
}

/// Runs `steps` + 1 iterations of the reference configuration on `device`.
pub fn time_steps<B: AutodiffBackend>(
    device: &B::Device,
    steps: usize,
    batch: usize,
    size: usize,
) -> StepTiming {
    B::seed(device, 7);
    let mut gan = Gan::<B>::new(reference_config(), device);
    let sim = Tensor::<B, 4>::random(
        [batch, 3, size, size],
        Distribution::Uniform(0.0, 1.0),
        device,
    );
    let real = Tensor::<B, 4>::random(
        [batch, 3, size, size],
        Distribution::Uniform(0.0, 1.0),
        device,
    );
    let t0 = Instant::now();
    gan.step(sim.clone(), real.clone());
    let first = t0.elapsed().as_secs_f64() * 1e3;
    let t1 = Instant::now();
    for _ in 0..steps {
        gan.step(sim.clone(), real.clone());
    }
    let per = t1.elapsed().as_secs_f64() * 1e3 / steps.max(1) as f64;
    let flop = gan.flops(batch, size, size);
    StepTiming {
        ms_per_step: per,
        first_step_ms: first,
        gflop_per_step: flop / 1e9,
        gflops: flop / 1e9 / (per / 1e3),
    }
}
