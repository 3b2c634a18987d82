//! `drivegen refine eval`: how much closer to the real domain refined frames are, and
//! how well they keep the labels.

use std::path::{Path, PathBuf};
use std::time::Instant;

use burn::prelude::*;
use image::RgbImage;
use serde::Serialize;

use crate::data::{Frame, PatchSampler, interleaved, planar};
use crate::error::RefineError;
use crate::metrics::{
    ClassColour, ClassShift, ColourStats, RandomFeatures, colour_stats, edge_agreement,
    kernel_distance, mean_abs_change, rows,
};
use crate::model::{InputLayout, Refiner};
use crate::reach::Reach;
use crate::train::to_tensor;
use crate::vae::{Vae, VaeConfig};

/// Refines one frame (any size): RGB (with the label images the refiner is conditioned
/// on) in, RGB out. `noise_seed` seeds the noise channel, if the layout has one.
pub fn refine_frame<B: Backend>(
    refiner: &Refiner<B>,
    layout: InputLayout,
    noise_seed: u64,
    frame: &Frame,
    device: &B::Device,
) -> Result<RgbImage, RefineError> {
    let (w, h) = (frame.width(), frame.height());
    let x = Tensor::<B, 4>::from_data(
        TensorData::new(
            planar(frame, layout, noise_seed)?,
            [1, layout.channels(), h, w],
        ),
        device,
    );
    let out = refiner
        .forward(x)
        .into_data()
        .to_vec::<f32>()
        .unwrap_or_default();
    Ok(interleaved(&out, w, h))
}

/// A metric for raw and refined sim frames against the real set (lower = closer).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct RawRefined {
    pub raw: f64,
    pub refined: f64,
}

impl RawRefined {
    /// Relative improvement, (raw - refined) / raw: positive when refined is closer.
    pub fn improvement(&self) -> f64 {
        if self.raw.abs() < 1e-12 {
            0.0
        } else {
            (self.raw - self.refined) / self.raw
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct EdgeAgreement {
    /// Objects (instance masks of at least 100 pixels) measured.
    pub objects: usize,
    pub mean: f64,
    /// 5th percentile over objects.
    pub p05: f64,
    pub min: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EvalReport {
    pub sim_frames: usize,
    pub real_frames: usize,
    pub patches: usize,
    pub patch: usize,
    /// KID on the fixed random conv net's features.
    pub kid_random_conv: RawRefined,
    /// KID on the VAE encoder means; none for a refiner without a VAE critic (a class
    /// look).
    pub kid_vae: Option<RawRefined>,
    /// Distance of the per-channel colour mean and standard deviation.
    pub colour_moments: RawRefined,
    /// Total-variation distance of the joint 8x8x8 RGB histograms.
    pub colour_histogram: RawRefined,
    /// Mean negative ELBO per patch under the VAE trained on real patches; none without
    /// a VAE critic.
    pub vae_negative_elbo: Option<VaeElbo>,
    pub colour_real: ColourStats,
    pub colour_raw: ColourStats,
    pub colour_refined: ColourStats,
    /// Mean |refined - raw|, 0..1.
    pub mean_abs_change: f64,
    pub edge_agreement: EdgeAgreement,
    pub class_shift: Vec<ClassShift>,
    /// Milliseconds to refine one frame (mean over the sim frames).
    pub ms_per_frame: f64,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct VaeElbo {
    pub real: f64,
    pub raw: f64,
    pub refined: f64,
}

/// The features of every patch: the VAE means and negative ELBOs (empty without a VAE
/// critic) and the random conv net's features.
struct PatchFeatures {
    vae: Vec<Vec<f32>>,
    random: Vec<Vec<f32>>,
    elbo: Vec<f32>,
}

fn features<B: Backend>(
    patches: &[crate::data::PatchBatch],
    critic: Option<(&Vae<B>, &VaeConfig)>,
    random: &RandomFeatures<B>,
    device: &B::Device,
) -> PatchFeatures {
    let mut f = PatchFeatures {
        vae: Vec::new(),
        random: Vec::new(),
        elbo: Vec::new(),
    };
    for p in patches {
        let x = to_tensor::<B>(p.clone(), device);
        if let Some((vae, config)) = critic {
            f.vae.extend(rows(vae.encode(x.clone()).0));
            f.elbo.extend(vae.negative_elbo(x.clone(), config));
        }
        f.random.extend(random.features(x));
    }
    f
}

fn mean(v: &[f32]) -> f64 {
    v.iter().map(|x| f64::from(*x)).sum::<f64>() / v.len().max(1) as f64
}

/// Patches at seeded positions; the same seed on same-sized frame sets gives the same
/// positions, so raw and refined patches pair up.
fn patch_batches(
    frames: Vec<Frame>,
    patch: usize,
    count: usize,
    seed: u64,
) -> Result<Vec<crate::data::PatchBatch>, RefineError> {
    let mut sampler = PatchSampler::new(frames, patch, seed, "eval-patches", false)?;
    let chunk = 64;
    Ok((0..count.div_ceil(chunk))
        .map(|i| sampler.sample(chunk.min(count - i * chunk)))
        .collect())
}

/// Evaluates `refiner` on `sim` frames against `real` frames.
/// What [`evaluate`] refines and compares: rendered frames (refined within `reach`) and
/// real ones.
#[derive(Clone, Copy, Debug)]
pub struct Frames<'a> {
    pub sim: &'a [Frame],
    pub real: &'a [Frame],
    pub reach: Reach,
}

#[allow(clippy::too_many_arguments)]
pub fn evaluate<B: Backend>(
    refiner: &Refiner<B>,
    layout: InputLayout,
    vae: &Vae<B>,
    vae_config: &VaeConfig,
    frames: Frames<'_>,
    patches: usize,
    seed: u64,
    device: &B::Device,
    progress: &mut dyn FnMut(usize),
) -> Result<(EvalReport, Vec<RgbImage>), RefineError> {
    let Frames { sim, real, reach } = frames;
    let (refined_frames, ms_per_frame) = refine_all(sim, progress, |f| {
        Ok(reach.apply(f, refine_frame(refiner, layout, seed, f, device)?))
    })?;
    let compared = Compared {
        sim,
        refined: &refined_frames,
        real,
        ms_per_frame,
    };
    let report = compare(&compared, Some((vae, vae_config)), patches, seed, device)?;
    Ok((report, refined_frames))
}

/// Every `sim` frame through `refine` (a checkpoint, a class look), with the mean time
/// per frame in milliseconds; `progress` gets the count done.
pub fn refine_all(
    sim: &[Frame],
    progress: &mut dyn FnMut(usize),
    mut refine: impl FnMut(&Frame) -> Result<RgbImage, RefineError>,
) -> Result<(Vec<RgbImage>, f64), RefineError> {
    let started = Instant::now();
    let mut refined = Vec::with_capacity(sim.len());
    for (i, f) in sim.iter().enumerate() {
        refined.push(refine(f)?);
        progress(i + 1);
    }
    Ok((
        refined,
        started.elapsed().as_secs_f64() * 1e3 / sim.len().max(1) as f64,
    ))
}

/// Raw frames, the same frames refined (by any refiner) and real frames: what
/// [`compare`] measures.
#[derive(Clone, Copy, Debug)]
pub struct Compared<'a> {
    pub sim: &'a [Frame],
    pub refined: &'a [RgbImage],
    pub real: &'a [Frame],
    /// Milliseconds it took to refine one frame.
    pub ms_per_frame: f64,
}

/// The realism and label-preservation metrics of already refined frames. `critic` is the
/// checkpoint's VAE, whose patch size the kernel distances use; without one they use
/// the default VAE's patch size and the VAE metrics are left out.
pub fn compare<B: Backend>(
    frames: &Compared<'_>,
    critic: Option<(&Vae<B>, &VaeConfig)>,
    patches: usize,
    seed: u64,
    device: &B::Device,
) -> Result<EvalReport, RefineError> {
    let Compared {
        sim,
        refined: refined_frames,
        real,
        ms_per_frame,
    } = *frames;
    if refined_frames.len() != sim.len() {
        return Err(RefineError::Invalid(format!(
            "{} refined frames for {} rendered ones",
            refined_frames.len(),
            sim.len()
        )));
    }
    let refined: Vec<Frame> = sim
        .iter()
        .zip(refined_frames)
        .map(|(f, r)| Frame {
            rgb: r.clone(),
            ..f.clone()
        })
        .collect();
    let p = critic.map_or_else(|| VaeConfig::new().patch, |(_, c)| c.patch);
    let random = RandomFeatures::<B>::new(seed, device);
    let of = |frames: Vec<Frame>| -> Result<PatchFeatures, RefineError> {
        Ok(features(
            &patch_batches(frames, p, patches, seed)?,
            critic,
            &random,
            device,
        ))
    };
    let (real_f, raw_f, ref_f) = (of(real.to_vec())?, of(sim.to_vec())?, of(refined)?);

    let colour_real = colour_stats(real.iter().map(|f| &f.rgb));
    let colour_raw = colour_stats(sim.iter().map(|f| &f.rgb));
    let colour_refined = colour_stats(refined_frames.iter());

    let mut change = 0.0;
    let mut edges = Vec::new();
    let mut classes = ClassColour::default();
    for (f, r) in sim.iter().zip(refined_frames) {
        change += mean_abs_change(&f.rgb, r);
        if let Some(ids) = &f.instance {
            edges.extend(edge_agreement(&f.rgb, r, ids).into_values());
        }
        if let Some(sem) = &f.semantic {
            classes.add(&f.rgb, r, sem);
        }
    }
    edges.sort_by(f64::total_cmp);
    let edge = EdgeAgreement {
        objects: edges.len(),
        mean: edges.iter().sum::<f64>() / edges.len().max(1) as f64,
        p05: edges.get(edges.len() / 20).copied().unwrap_or(0.0),
        min: edges.first().copied().unwrap_or(0.0),
    };
    Ok(EvalReport {
        sim_frames: sim.len(),
        real_frames: real.len(),
        patches,
        patch: p,
        kid_random_conv: RawRefined {
            raw: kernel_distance(&raw_f.random, &real_f.random),
            refined: kernel_distance(&ref_f.random, &real_f.random),
        },
        kid_vae: critic.map(|_| RawRefined {
            raw: kernel_distance(&raw_f.vae, &real_f.vae),
            refined: kernel_distance(&ref_f.vae, &real_f.vae),
        }),
        colour_moments: RawRefined {
            raw: colour_raw.moment_distance(&colour_real),
            refined: colour_refined.moment_distance(&colour_real),
        },
        colour_histogram: RawRefined {
            raw: colour_raw.histogram_distance(&colour_real),
            refined: colour_refined.histogram_distance(&colour_real),
        },
        vae_negative_elbo: critic.map(|_| VaeElbo {
            real: mean(&real_f.elbo),
            raw: mean(&raw_f.elbo),
            refined: mean(&ref_f.elbo),
        }),
        colour_real,
        colour_raw,
        colour_refined,
        mean_abs_change: change / sim.len().max(1) as f64,
        edge_agreement: edge,
        class_shift: classes.shifts(),
        ms_per_frame,
    })
}

/// Writes raw | refined side by side for a visual check.
pub fn write_side_by_side(
    dir: &Path,
    sim: &[Frame],
    refined: &[RgbImage],
    count: usize,
) -> Result<Vec<PathBuf>, RefineError> {
    std::fs::create_dir_all(dir).map_err(RefineError::io(dir))?;
    let mut written = Vec::new();
    let step = (sim.len() / count.max(1)).max(1);
    for (i, (f, r)) in sim
        .iter()
        .zip(refined)
        .enumerate()
        .step_by(step)
        .take(count)
    {
        let (w, h) = (f.rgb.width(), f.rgb.height());
        let mut img = RgbImage::new(w * 2 + 8, h);
        image::imageops::replace(&mut img, &f.rgb, 0, 0);
        image::imageops::replace(&mut img, r, i64::from(w) + 8, 0);
        let path = dir.join(format!("side_by_side_{i:04}.png"));
        img.save(&path).map_err(|source| RefineError::Image {
            path: path.clone(),
            source,
        })?;
        written.push(path);
    }
    Ok(written)
}
