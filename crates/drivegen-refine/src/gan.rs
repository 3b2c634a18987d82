//! The hand-written GAN loop: alternating discriminator and refiner Adam steps with the
//! adversarial loss (binary cross-entropy, or least squares), SimGAN's self-regularisation
//! (L1 between refined and input, optionally weighted up on sky pixels so the weather
//! stays) and a history buffer of earlier refined patches.

use burn::module::AutodiffModule;
use burn::optim::{AdamConfig, GradientsParams, Optimizer};
use burn::prelude::*;
use burn::tensor::activation::log_sigmoid;
use burn::tensor::backend::AutodiffBackend;

use crate::data::{CONSTRUCTION_CATEGORY, SKY_CATEGORY};
use crate::model::{Discriminator, DiscriminatorConfig, Refiner, RefinerConfig, ScaleOutput};

#[derive(Config, Debug, Copy, PartialEq, Eq)]
pub enum AdversarialLoss {
    BinaryCrossEntropy,
    LeastSquares,
}

#[derive(Config, Debug)]
pub struct GanConfig {
    pub refiner: RefinerConfig,
    pub discriminator: DiscriminatorConfig,
    #[config(default = "AdversarialLoss::BinaryCrossEntropy")]
    pub loss: AdversarialLoss,
    /// Weight of the L1 self-regularisation that keeps refined close to its input.
    #[config(default = 1.0)]
    pub self_regularisation: f64,
    #[config(default = 2e-4)]
    pub learning_rate: f64,
    /// Discriminator steps per refiner step.
    #[config(default = 1)]
    pub d_steps: usize,
    /// Refined batches kept for the discriminator (SimGAN's history buffer).
    #[config(default = 8)]
    pub history: usize,
    /// Weight of the feature-matching loss: L1 between the per-channel means of the
    /// discriminator's hidden features on real and on refined patches, at every scale.
    #[config(default = 0.0)]
    pub feature_matching: f64,
    /// Weight of the statistics critic's adversarial loss for the refiner (it needs a
    /// discriminator with `statistics`; 0 = off).
    #[config(default = 0.0)]
    pub statistics_critic: f64,
    /// Extra self-regularisation weight on sky pixels (needs semantic conditioning; 0 =
    /// off): the real cameras are mostly clear-sky, so without it a strong refiner paints
    /// overcast skies blue, a change of weather the labels do not record.
    #[config(default = 0.0)]
    pub sky_regularisation: f64,
    /// Extra self-regularisation weight on buildings, walls and fences (needs semantic
    /// conditioning; 0 = off): neither real camera shows any, so nothing real anchors a
    /// facade's colour (the shipped `fast` turns beige facades pale cyan).
    #[config(default = 0.0)]
    pub construction_regularisation: f64,
}

impl GanConfig {
    /// The extra self-regularisation weight per semantic conditioning channel, as
    /// [`self_regularisation`] takes them.
    pub fn category_regularisation(&self) -> [(usize, f64); 2] {
        [
            (SKY_CATEGORY, self.sky_regularisation),
            (CONSTRUCTION_CATEGORY, self.construction_regularisation),
        ]
    }
}

/// The refiner's self-regularisation: the mean L1 change from `sim`'s RGB, each pixel
/// weighted `1 + w` where `sim`'s semantic conditioning puts it in a category given a
/// weight `w` in `category_weights` (channel from the first semantic one, weight; only
/// when it has semantic channels). Returns the loss and the unweighted mean change.
pub fn self_regularisation<B: Backend>(
    refined: Tensor<B, 4>,
    sim: Tensor<B, 4>,
    semantic: bool,
    category_weights: &[(usize, f64)],
) -> (Tensor<B, 1>, Tensor<B, 1>) {
    let change = (refined - sim.clone().narrow(1, 0, 3)).abs();
    let mean_change = change.clone().mean();
    if !semantic {
        return (mean_change.clone(), mean_change);
    }
    // Per pixel: the channels' summed change times its weight, so no tensor is repeated or
    // broadcast (plain element-wise ops have a backward pass on every backend). The
    // categories are one-hot, so their weighted sum is the pixel's own extra weight.
    let extra = category_weights
        .iter()
        .filter(|(_, w)| *w > 0.0)
        .map(|&(c, w)| sim.clone().narrow(1, 3 + c, 1) * w)
        .reduce(|a, b| a + b);
    let Some(extra) = extra else {
        return (mean_change.clone(), mean_change);
    };
    let weighted = (change.sum_dim(1) * (extra + 1.0)).mean() / 3.0;
    (weighted, mean_change)
}

/// The mean adversarial loss over a discriminator's scales.
fn adversarial_scales<B: Backend>(
    kind: AdversarialLoss,
    scales: &[ScaleOutput<B>],
    real: bool,
) -> Tensor<B, 1> {
    let n = scales.len().max(1) as f64;
    scales
        .iter()
        .map(|s| adversarial(kind, s.logits.clone(), real))
        .reduce(|a, b| a + b)
        .map(|t| t / n)
        .unwrap_or_else(|| Tensor::zeros([1], &Default::default()))
}

/// Per-channel means of a feature map: [channels].
fn channel_means<B: Backend>(t: Tensor<B, 4>) -> Tensor<B, 1> {
    let [b, c, h, w] = t.dims();
    t.swap_dims(0, 1)
        .reshape([c, b * h * w])
        .mean_dim(1)
        .reshape([c])
}

/// Loss of a logit tensor against all-real (`real = true`) or all-fake targets.
pub fn adversarial<B: Backend>(
    kind: AdversarialLoss,
    logits: Tensor<B, 4>,
    real: bool,
) -> Tensor<B, 1> {
    match (kind, real) {
        // BCE with logits: -log(sigmoid(x)) for real, -log(1 - sigmoid(x)) = -log(sigmoid(-x)).
        (AdversarialLoss::BinaryCrossEntropy, true) => log_sigmoid(logits).mean().neg(),
        (AdversarialLoss::BinaryCrossEntropy, false) => log_sigmoid(logits.neg()).mean().neg(),
        (AdversarialLoss::LeastSquares, true) => (logits - 1.0).powi_scalar(2).mean(),
        (AdversarialLoss::LeastSquares, false) => logits.powi_scalar(2).mean(),
    }
}

/// Losses of one iteration.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct StepLosses {
    pub discriminator: f64,
    pub adversarial: f64,
    pub self_regularisation: f64,
    /// Mean absolute change refined vs input (a drift signal).
    pub change: f64,
    /// Spread of the refined batch over the spread of its inputs (per-pixel standard
    /// deviation across the batch): near 1 is healthy; falling towards 0 is mode collapse.
    pub diversity: f64,
    /// The feature-matching loss (0 when its weight is 0).
    pub feature_matching: f64,
    /// The refiner's adversarial loss against the statistics critic (0 when off).
    pub statistics: f64,
}

pub struct Gan<B: AutodiffBackend> {
    pub config: GanConfig,
    pub refiner: Refiner<B>,
    pub discriminator: Discriminator<B>,
    pub(crate) g_opt: burn::optim::adaptor::OptimizerAdaptor<burn::optim::Adam, Refiner<B>, B>,
    pub(crate) d_opt:
        burn::optim::adaptor::OptimizerAdaptor<burn::optim::Adam, Discriminator<B>, B>,
    history: Vec<Tensor<B::InnerBackend, 4>>,
    pub(crate) step: usize,
}

impl<B: AutodiffBackend> std::fmt::Debug for Gan<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gan")
            .field("config", &self.config)
            .field("step", &self.step)
            .finish()
    }
}

impl<B: AutodiffBackend> Gan<B> {
    pub fn new(config: GanConfig, device: &B::Device) -> Gan<B> {
        let adam = AdamConfig::new().with_beta_1(0.5);
        Gan {
            refiner: config.refiner.init(device),
            discriminator: config.discriminator.init(device),
            g_opt: adam.init(),
            d_opt: adam.init(),
            history: Vec::new(),
            step: 0,
            config,
        }
    }

    /// The discriminator sees an image with its conditioning channels (here: the sim input
    /// for refined patches, the real image itself for real ones).
    fn d_input(image: Tensor<B, 4>, cond: Tensor<B, 4>, channels: usize) -> Tensor<B, 4> {
        let extra = channels.saturating_sub(3);
        if extra == 0 {
            image
        } else {
            Tensor::cat(vec![image, cond.narrow(1, 0, extra)], 1)
        }
    }

    /// One iteration: `d_steps` discriminator steps, then one refiner step.
    /// `sim`: [b, in_channels, h, w]; `real`: [b, 3, h, w]; values in [0, 1].
    pub fn step(&mut self, sim: Tensor<B, 4>, real: Tensor<B, 4>) -> StepLosses {
        let kind = self.config.loss;
        let lr = self.config.learning_rate;
        let channels = self.config.discriminator.in_channels;
        let mut losses = StepLosses::default();
        for _ in 0..self.config.d_steps.max(1) {
            let refined = self.refiner.valid().forward(sim.clone().inner());
            // Mix the newest refined batch with one from the history buffer.
            let fake_inner = match self.history.get(self.step % self.config.history.max(1)) {
                Some(old) if self.history.len() >= self.config.history => {
                    let b = refined.dims()[0];
                    Tensor::cat(
                        vec![
                            refined.clone().narrow(0, 0, b / 2),
                            old.clone().narrow(0, 0, b - b / 2),
                        ],
                        0,
                    )
                }
                _ => refined.clone(),
            };
            let slot = self.step % self.config.history.max(1);
            if self.history.len() < self.config.history {
                self.history.push(refined);
            } else {
                self.history[slot] = refined;
            }
            let fake = Tensor::<B, 4>::from_inner(fake_inner);
            let statistics_fake = self.discriminator.statistics_logits(fake.clone());
            let d_fake =
                self.discriminator
                    .forward_scales(Self::d_input(fake, sim.clone(), channels));
            let d_real = self.discriminator.forward_scales(Self::d_input(
                real.clone(),
                real.clone(),
                channels,
            ));
            let mut d_loss =
                adversarial_scales(kind, &d_real, true) + adversarial_scales(kind, &d_fake, false);
            if let (Some(f), Some(r)) = (
                statistics_fake,
                self.discriminator.statistics_logits(real.clone()),
            ) {
                d_loss = d_loss + adversarial(kind, r, true) + adversarial(kind, f, false);
            }
            losses.discriminator = d_loss.clone().into_scalar().elem::<f64>();
            let grads = GradientsParams::from_grads(d_loss.backward(), &self.discriminator);
            self.discriminator = self.d_opt.step(lr, self.discriminator.clone(), grads);
        }
        let refined = self.refiner.forward(sim.clone());
        let input_rgb = sim.clone().narrow(1, 0, 3);
        let semantic = self.config.refiner.layout().is_ok_and(|l| l.semantic);
        let (reg, change) = self_regularisation(
            refined.clone(),
            sim.clone(),
            semantic,
            &self.config.category_regularisation(),
        );
        let statistics_weight = self.config.statistics_critic;
        let statistics = (statistics_weight > 0.0)
            .then(|| self.discriminator.statistics_logits(refined.clone()))
            .flatten()
            .map(|logits| adversarial(kind, logits, true));
        let d_out =
            self.discriminator
                .forward_scales(Self::d_input(refined.clone(), sim, channels));
        let adv = adversarial_scales(kind, &d_out, true);
        let fm_weight = self.config.feature_matching;
        let feature_matching = (fm_weight > 0.0).then(|| {
            let d_real =
                self.discriminator
                    .forward_scales(Self::d_input(real.clone(), real, channels));
            d_out
                .iter()
                .zip(&d_real)
                .flat_map(|(f, r)| f.features.iter().zip(&r.features))
                .map(|(f, r)| {
                    (channel_means(f.clone()) - channel_means(r.clone()).detach())
                        .abs()
                        .mean()
                })
                .reduce(|a, b| a + b)
        });
        let spread =
            |t: Tensor<B::InnerBackend, 4>| t.var(0).mean().into_scalar().elem::<f64>().sqrt();
        losses.diversity =
            spread(refined.clone().inner()) / spread(input_rgb.clone().inner()).max(1e-6);
        losses.adversarial = adv.clone().into_scalar().elem::<f64>();
        losses.self_regularisation = reg.clone().into_scalar().elem::<f64>();
        losses.change = change.into_scalar().elem::<f64>();
        let mut g_loss = adv + reg * self.config.self_regularisation;
        if let Some(Some(fm)) = feature_matching {
            losses.feature_matching = fm.clone().into_scalar().elem::<f64>();
            g_loss = g_loss + fm * fm_weight;
        }
        if let Some(statistics) = statistics {
            losses.statistics = statistics.clone().into_scalar().elem::<f64>();
            g_loss = g_loss + statistics * statistics_weight;
        }
        let grads = GradientsParams::from_grads(g_loss.backward(), &self.refiner);
        self.refiner = self.g_opt.step(lr, self.refiner.clone(), grads);
        self.step += 1;
        losses
    }

    /// FLOPs of one iteration at batch `b` and `h x w` patches (forward + backward, about
    /// three forward passes per trained network).
    pub fn flops(&self, b: usize, h: usize, w: usize) -> f64 {
        let g_fwd = b as f64 * self.config.refiner.flops(h, w);
        let d_fwd = self.config.discriminator.flops(b, h, w);
        let d_steps = self.config.d_steps.max(1) as f64;
        let fm = if self.config.feature_matching > 0.0 {
            1.0
        } else {
            0.0
        };
        // D step: G forward (no grad) + 2 D forwards with backward; G step: G fwd+bwd, D
        // fwd+bwd (input grads), plus a D forward on real patches for feature matching.
        d_steps * (g_fwd + 2.0 * 3.0 * d_fwd) + 3.0 * g_fwd + 3.0 * d_fwd + fm * d_fwd
    }
}
