//! The refiner (generator) and the patch discriminator.
//!
//! The refiner is fully convolutional with stride 1 and no pooling, so geometry cannot
//! move: it predicts a residual added to the input RGB. The discriminator is a local
//! patch discriminator (PatchGAN / SimGAN's local adversarial loss): one logit per patch.

use burn::nn::PaddingConfig2d;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::prelude::*;
use burn::tensor::activation::{leaky_relu, relu, tanh};

#[derive(Config, Debug)]
pub struct RefinerConfig {
    /// RGB plus optional G-buffer channels (semantic, depth).
    #[config(default = 3)]
    pub in_channels: usize,
    #[config(default = 32)]
    pub width: usize,
    /// 3x3 convolutions between the input and output layers.
    #[config(default = 1)]
    pub hidden_layers: usize,
}

#[derive(Module, Debug)]
pub struct Refiner<B: Backend> {
    input: Conv2d<B>,
    hidden: Vec<Conv2d<B>>,
    output: Conv2d<B>,
}

fn conv3<B: Backend>(cin: usize, cout: usize, device: &B::Device) -> Conv2d<B> {
    Conv2dConfig::new([cin, cout], [3, 3])
        .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
        .init(device)
}

impl RefinerConfig {
    pub fn init<B: Backend>(&self, device: &B::Device) -> Refiner<B> {
        Refiner {
            input: conv3(self.in_channels, self.width, device),
            hidden: (0..self.hidden_layers)
                .map(|_| conv3(self.width, self.width, device))
                .collect(),
            output: conv3(self.width, 3, device),
        }
    }
}

impl<B: Backend> Refiner<B> {
    /// `x`: [batch, in_channels, h, w] with RGB in the first three channels, in [0, 1].
    /// Returns the refined RGB, same size.
    pub fn forward(&self, x: Tensor<B, 4>) -> Tensor<B, 4> {
        let rgb = x.clone().narrow(1, 0, 3);
        let mut h = relu(self.input.forward(x));
        for conv in &self.hidden {
            h = h.clone() + relu(conv.forward(h));
        }
        (rgb + tanh(self.output.forward(h)) * 0.5).clamp(0.0, 1.0)
    }
}

#[derive(Config, Debug)]
pub struct DiscriminatorConfig {
    /// 3 (RGB) for unpaired real data: real images have no G-buffer to condition on, and
    /// conditioning only the fakes would let the discriminator win on the condition alone.
    #[config(default = 3)]
    pub in_channels: usize,
    #[config(default = 32)]
    pub width: usize,
}

#[derive(Module, Debug)]
pub struct Discriminator<B: Backend> {
    a: Conv2d<B>,
    b: Conv2d<B>,
    head: Conv2d<B>,
}

impl DiscriminatorConfig {
    pub fn init<B: Backend>(&self, device: &B::Device) -> Discriminator<B> {
        let down = |cin, cout| {
            Conv2dConfig::new([cin, cout], [4, 4])
                .with_stride([2, 2])
                .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                .init(device)
        };
        Discriminator {
            a: down(self.in_channels, self.width),
            b: down(self.width, self.width * 2),
            head: Conv2dConfig::new([self.width * 2, 1], [1, 1]).init(device),
        }
    }
}

impl<B: Backend> Discriminator<B> {
    /// One realism logit per patch: [batch, 1, h/4, w/4].
    pub fn forward(&self, x: Tensor<B, 4>) -> Tensor<B, 4> {
        let h = leaky_relu(self.a.forward(x), 0.2);
        let h = leaky_relu(self.b.forward(h), 0.2);
        self.head.forward(h)
    }
}

/// Multiply-adds of a convolution forward pass, times 2 for FLOPs.
pub fn conv_flops(
    batch: usize,
    cin: usize,
    cout: usize,
    k: usize,
    out_h: usize,
    out_w: usize,
) -> f64 {
    2.0 * (batch * cin * cout * k * k * out_h * out_w) as f64
}
