//! The variational autoencoder: a convolutional encoder to (mu, log sigma^2), the
//! reparameterisation trick, and a decoder; loss = KL + reconstruction (MSE).
//!
//! Trained on real patches it becomes a realism critic: the negative ELBO of a patch is
//! low for patches that look like its training domain. Its encoder means are also a
//! learned feature space for the kernel distance.

use burn::nn::conv::{Conv2d, Conv2dConfig, ConvTranspose2d, ConvTranspose2dConfig};
use burn::nn::{Linear, LinearConfig, PaddingConfig2d};
use burn::optim::{AdamConfig, GradientsParams, Optimizer};
use burn::prelude::*;
use burn::tensor::Distribution;
use burn::tensor::activation::{leaky_relu, relu, sigmoid};
use burn::tensor::backend::AutodiffBackend;

#[derive(Config, Debug)]
pub struct VaeConfig {
    /// Patch side; must be a multiple of 8 (three stride-2 stages).
    #[config(default = 32)]
    pub patch: usize,
    #[config(default = 32)]
    pub latent: usize,
    #[config(default = 32)]
    pub width: usize,
    /// 1 / (2 sigma^2) of the Gaussian decoder: the weight of the summed squared error
    /// against the KL term (50 = a pixel noise sigma of 0.1).
    #[config(default = 50.0)]
    pub reconstruction_weight: f64,
    #[config(default = 1e-3)]
    pub learning_rate: f64,
}

#[derive(Module, Debug)]
pub struct Vae<B: Backend> {
    enc1: Conv2d<B>,
    enc2: Conv2d<B>,
    enc3: Conv2d<B>,
    mu: Linear<B>,
    log_var: Linear<B>,
    dec_in: Linear<B>,
    dec1: ConvTranspose2d<B>,
    dec2: ConvTranspose2d<B>,
    dec3: ConvTranspose2d<B>,
}

impl VaeConfig {
    fn bottleneck(&self) -> (usize, usize) {
        (self.width * 2, self.patch / 8)
    }

    pub fn init<B: Backend>(&self, device: &B::Device) -> Vae<B> {
        let down = |cin, cout| {
            Conv2dConfig::new([cin, cout], [4, 4])
                .with_stride([2, 2])
                .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                .init(device)
        };
        let up = |cin, cout| {
            ConvTranspose2dConfig::new([cin, cout], [4, 4])
                .with_stride([2, 2])
                .with_padding([1, 1])
                .init(device)
        };
        let w = self.width;
        let (c, s) = self.bottleneck();
        let flat = c * s * s;
        Vae {
            enc1: down(3, w),
            enc2: down(w, c),
            enc3: down(c, c),
            mu: LinearConfig::new(flat, self.latent).init(device),
            log_var: LinearConfig::new(flat, self.latent).init(device),
            dec_in: LinearConfig::new(self.latent, flat).init(device),
            dec1: up(c, c),
            dec2: up(c, w),
            dec3: up(w, 3),
        }
    }
}

/// Per-patch terms of the negative ELBO.
#[derive(Clone, Debug)]
pub struct VaeTerms<B: Backend> {
    /// Weighted summed squared error per patch: [batch].
    pub reconstruction: Tensor<B, 1>,
    /// KL(q(z|x) || N(0, I)) per patch: [batch].
    pub kl: Tensor<B, 1>,
    pub reconstructed: Tensor<B, 4>,
}

impl<B: Backend> Vae<B> {
    /// (mu, log sigma^2), each [batch, latent].
    pub fn encode(&self, x: Tensor<B, 4>) -> (Tensor<B, 2>, Tensor<B, 2>) {
        let h = leaky_relu(self.enc1.forward(x), 0.2);
        let h = leaky_relu(self.enc2.forward(h), 0.2);
        let h = leaky_relu(self.enc3.forward(h), 0.2);
        let h = h.flatten::<2>(1, 3);
        // Bounded log-variance keeps exp() finite on out-of-domain inputs.
        let log_var = self.log_var.forward(h.clone()).clamp(-10.0, 10.0);
        (self.mu.forward(h), log_var)
    }

    pub fn decode(&self, z: Tensor<B, 2>, config: &VaeConfig) -> Tensor<B, 4> {
        let (c, s) = config.bottleneck();
        let b = z.dims()[0];
        let h = relu(self.dec_in.forward(z)).reshape([b, c, s, s]);
        let h = relu(self.dec1.forward(h));
        let h = relu(self.dec2.forward(h));
        sigmoid(self.dec3.forward(h))
    }

    /// The negative ELBO terms with one reparameterised sample (`sample = false` decodes
    /// the mean: deterministic, for evaluation).
    pub fn terms(&self, x: Tensor<B, 4>, config: &VaeConfig, sample: bool) -> VaeTerms<B> {
        let (mu, log_var) = self.encode(x.clone());
        let z = if sample {
            let eps = Tensor::random(mu.shape(), Distribution::Normal(0.0, 1.0), &mu.device());
            mu.clone() + (log_var.clone() * 0.5).exp() * eps
        } else {
            mu.clone()
        };
        let reconstructed = self.decode(z, config);
        let reconstruction = (reconstructed.clone() - x)
            .powi_scalar(2)
            .flatten::<2>(1, 3)
            .sum_dim(1)
            .squeeze::<1>()
            * config.reconstruction_weight;
        let kl = (mu.powi_scalar(2) + log_var.clone().exp() - log_var - 1.0)
            .sum_dim(1)
            .squeeze::<1>()
            * 0.5;
        VaeTerms {
            reconstruction,
            kl,
            reconstructed,
        }
    }

    /// Negative ELBO per patch in nats (up to the Gaussian's constant), deterministic.
    pub fn negative_elbo(&self, x: Tensor<B, 4>, config: &VaeConfig) -> Vec<f32> {
        let t = self.terms(x, config, false);
        (t.reconstruction + t.kl)
            .into_data()
            .to_vec::<f32>()
            .unwrap_or_default()
    }

    /// Decodes `n` draws from the prior.
    pub fn sample(&self, n: usize, config: &VaeConfig, device: &B::Device) -> Tensor<B, 4> {
        let z = Tensor::random([n, config.latent], Distribution::Normal(0.0, 1.0), device);
        self.decode(z, config)
    }
}

/// Losses of one VAE step, averaged per patch.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct VaeLosses {
    pub reconstruction: f64,
    pub kl: f64,
}

impl VaeLosses {
    pub fn negative_elbo(&self) -> f64 {
        self.reconstruction + self.kl
    }
}

/// A VAE with its Adam state.
pub struct VaeTrainer<B: AutodiffBackend> {
    pub config: VaeConfig,
    pub vae: Vae<B>,
    pub(crate) opt: burn::optim::adaptor::OptimizerAdaptor<burn::optim::Adam, Vae<B>, B>,
}

impl<B: AutodiffBackend> std::fmt::Debug for VaeTrainer<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VaeTrainer")
            .field("config", &self.config)
            .finish()
    }
}

impl<B: AutodiffBackend> VaeTrainer<B> {
    pub fn new(config: VaeConfig, device: &B::Device) -> VaeTrainer<B> {
        VaeTrainer {
            vae: config.init(device),
            opt: AdamConfig::new().init(),
            config,
        }
    }

    /// One Adam step on a batch of patches in [0, 1].
    pub fn step(&mut self, x: Tensor<B, 4>) -> VaeLosses {
        let t = self.vae.terms(x, &self.config, true);
        let reconstruction = t.reconstruction.mean();
        let kl = t.kl.mean();
        let losses = VaeLosses {
            reconstruction: reconstruction.clone().into_scalar().elem::<f64>(),
            kl: kl.clone().into_scalar().elem::<f64>(),
        };
        let grads = GradientsParams::from_grads((reconstruction + kl).backward(), &self.vae);
        self.vae = self
            .opt
            .step(self.config.learning_rate, self.vae.clone(), grads);
        losses
    }
}
