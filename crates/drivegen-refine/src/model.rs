//! The refiner (generator) and the patch discriminator.
//!
//! The refiner's image path is fully convolutional with stride 1 and no pooling, so
//! geometry cannot move: it predicts a bounded residual added to the input RGB. An
//! optional context branch sees the input pooled by `context_scale` (scene-wide tone,
//! haze, colour balance) and adds its upsampled features to the full-resolution ones; its
//! output is smooth, so it shifts colour over regions without redrawing edges. Dilated
//! full-resolution layers widen the receptive field at no extra cost, and an optional
//! noise channel lets the refiner paint sensor grain and texture. An optional colour
//! grade (`grade.rs`) changes colour per region without touching edges.
//!
//! The discriminator is a local patch discriminator (PatchGAN / SimGAN's local
//! adversarial loss, one logit per patch), optionally at several scales (each a copy on
//! the input pooled by a further factor 2), and exposes its features for feature matching.

use burn::nn::PaddingConfig2d;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::prelude::*;
use burn::tensor::activation::{leaky_relu, relu, tanh};
use burn::tensor::module::{avg_pool2d, interpolate};
use burn::tensor::ops::{InterpolateMode, InterpolateOptions, PadMode};

use crate::error::RefineError;
use crate::grade::{ColourGrade, GRADE_COEFFICIENTS, grade_flops, grade_params};
use crate::statistics::{StatisticsCritic, StatisticsCriticConfig};

/// The eight Cityscapes categories of the semantic conditioning channels.
pub const SEMANTIC_CATEGORIES: usize = 8;

#[derive(Config, Debug)]
pub struct RefinerConfig {
    /// RGB plus the G-buffer and noise channels of [`InputLayout`].
    #[config(default = 3)]
    pub in_channels: usize,
    #[config(default = 32)]
    pub width: usize,
    /// 3x3 convolutions between the input and output layers.
    #[config(default = 1)]
    pub hidden_layers: usize,
    /// Dilation of each hidden layer (missing entries: 1).
    #[config(default = "Vec::new()")]
    pub dilations: Vec<usize>,
    /// Channels of the context branch; 0 = no branch.
    #[config(default = 0)]
    pub context_width: usize,
    /// The context branch sees the input average-pooled by this factor.
    #[config(default = 4)]
    pub context_scale: usize,
    /// 3x3 layers of the context branch after its input layer (dilations 1, 2, 4, ...).
    #[config(default = 2)]
    pub context_layers: usize,
    /// A depth channel (inverse depth, 0 for sky) follows RGB and the semantic channels.
    #[config(default = false)]
    pub depth: bool,
    /// A noise channel (uniform in [0, 1], seeded per frame) comes last.
    #[config(default = false)]
    pub noise: bool,
    /// The largest change per colour channel (the residual is `bound * tanh(.)`).
    #[config(default = 0.5)]
    pub residual_bound: f64,
    /// Convolutions see the frame's edge pixels repeated beyond its border instead of
    /// zeros: with zeros the outermost rows and columns come out brighter or darker than
    /// the interior, a seam along the frame (off in configurations saved before it).
    #[config(default = false)]
    pub edge_padding: bool,
    /// A colour grade beside the residual (`grade.rs`), from the context branch and/or
    /// the semantic channels (off in configurations saved before it).
    #[config(default = false)]
    pub colour_grade: bool,
    /// The largest value of each of the grade's matrix entries and offsets.
    #[config(default = 0.5)]
    pub grade_bound: f64,
}

/// Which channels follow RGB in the refiner's input, in this order: the semantic one-hot
/// (8 Cityscapes categories), inverse depth, noise.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InputLayout {
    pub semantic: bool,
    pub depth: bool,
    pub noise: bool,
}

impl InputLayout {
    pub fn channels(&self) -> usize {
        3 + usize::from(self.semantic) * SEMANTIC_CATEGORIES
            + usize::from(self.depth)
            + usize::from(self.noise)
    }
    /// Index of the depth channel, when there is one.
    pub fn depth_channel(&self) -> Option<usize> {
        self.depth
            .then_some(3 + usize::from(self.semantic) * SEMANTIC_CATEGORIES)
    }
    /// Index of the noise channel, when there is one.
    pub fn noise_channel(&self) -> Option<usize> {
        self.noise.then(|| self.channels() - 1)
    }
}

impl std::fmt::Display for InputLayout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut parts = vec!["rgb"];
        if self.semantic {
            parts.push("semantic");
        }
        if self.depth {
            parts.push("depth");
        }
        if self.noise {
            parts.push("noise");
        }
        f.write_str(&parts.join("+"))
    }
}

#[derive(Module, Debug)]
pub struct ContextBranch<B: Backend> {
    input: Conv2d<B>,
    layers: Vec<Conv2d<B>>,
    project: Conv2d<B>,
    #[module(skip)]
    scale: usize,
}

#[derive(Module, Debug)]
pub struct Refiner<B: Backend> {
    input: Conv2d<B>,
    hidden: Vec<Conv2d<B>>,
    output: Conv2d<B>,
    context: Option<ContextBranch<B>>,
    /// `None` in checkpoints saved before the grade existed.
    pub(crate) grade: Option<ColourGrade<B>>,
    #[module(skip)]
    bound: f64,
}

/// A 3x3 convolution that keeps the size: it pads by its dilation itself (zeros), or,
/// with `edge_padding`, not at all, and [`conv3_forward`] repeats the edge pixels.
fn conv3<B: Backend>(
    cin: usize,
    cout: usize,
    dilation: usize,
    edge_padding: bool,
    device: &B::Device,
) -> Conv2d<B> {
    let d = dilation.max(1);
    let padding = if edge_padding {
        PaddingConfig2d::Valid
    } else {
        PaddingConfig2d::Explicit(d, d, d, d)
    };
    Conv2dConfig::new([cin, cout], [3, 3])
        .with_dilation([d, d])
        .with_padding(padding)
        .init(device)
}

/// Applies a [`conv3`] layer, first repeating `x`'s edge pixels outwards when the layer
/// was built for edge padding (the pad is built from slices, so every backend derives it).
fn conv3_forward<B: Backend>(conv: &Conv2d<B>, x: Tensor<B, 4>) -> Tensor<B, 4> {
    if conv.padding == PaddingConfig2d::Valid {
        let d = conv.dilation[0];
        conv.forward(x.pad((d, d, d, d), PadMode::Edge))
    } else {
        conv.forward(x)
    }
}

impl RefinerConfig {
    /// The input channels after RGB; errors when `in_channels` does not match them.
    pub fn layout(&self) -> Result<InputLayout, RefineError> {
        let extra = usize::from(self.depth) + usize::from(self.noise);
        let semantic = match self.in_channels.checked_sub(3 + extra) {
            Some(0) => false,
            Some(SEMANTIC_CATEGORIES) => true,
            _ => {
                return Err(RefineError::Invalid(format!(
                    "a refiner input of {} channels is not RGB (3), optionally + semantic categories (8){}{}",
                    self.in_channels,
                    if self.depth { " + depth (1)" } else { "" },
                    if self.noise { " + noise (1)" } else { "" },
                )));
            }
        };
        Ok(InputLayout {
            semantic,
            depth: self.depth,
            noise: self.noise,
        })
    }

    /// A configuration whose `in_channels` matches `layout`.
    pub fn with_layout(self, layout: InputLayout) -> RefinerConfig {
        self.with_in_channels(layout.channels())
            .with_depth(layout.depth)
            .with_noise(layout.noise)
    }

    /// Errors when the configuration cannot be built (a grade with nothing to read).
    pub fn check(&self) -> Result<(), RefineError> {
        let layout = self.layout()?;
        if self.colour_grade && self.context_width == 0 && !layout.semantic {
            return Err(RefineError::Invalid(
                "a colour grade reads its coefficients from the context branch or the semantic channels, and this refiner has neither".into(),
            ));
        }
        Ok(())
    }

    /// Whether the semantic one-hot follows RGB (a configuration that has no layout
    /// has no semantic channels to read).
    fn semantic(&self) -> bool {
        self.layout().is_ok_and(|layout| layout.semantic)
    }

    fn dilation(&self, layer: usize) -> usize {
        self.dilations.get(layer).copied().unwrap_or(1).max(1)
    }

    pub fn init<B: Backend>(&self, device: &B::Device) -> Refiner<B> {
        let edge = self.edge_padding;
        let context = (self.context_width > 0).then(|| {
            let cw = self.context_width;
            ContextBranch {
                input: conv3(self.in_channels, cw, 1, edge, device),
                layers: (0..self.context_layers)
                    .map(|i| conv3(cw, cw, 1 << i.min(4), edge, device))
                    .collect(),
                project: Conv2dConfig::new([cw, self.width], [1, 1]).init(device),
                scale: self.context_scale.max(1),
            }
        });
        Refiner {
            input: conv3(self.in_channels, self.width, 1, edge, device),
            hidden: (0..self.hidden_layers)
                .map(|i| conv3(self.width, self.width, self.dilation(i), edge, device))
                .collect(),
            output: conv3(self.width, 3, 1, edge, device),
            context,
            grade: self
                .colour_grade
                .then(|| {
                    ColourGrade::new(
                        self.context_width,
                        self.semantic(),
                        self.grade_bound,
                        device,
                    )
                })
                .flatten(),
            bound: self.residual_bound,
        }
    }

    /// Trainable parameters.
    pub fn params(&self) -> usize {
        let conv = |cin: usize, cout: usize, k: usize| cin * cout * k * k + cout;
        let (c, w) = (self.in_channels, self.width);
        let mut n = conv(c, w, 3) + self.hidden_layers * conv(w, w, 3) + conv(w, 3, 3);
        if self.context_width > 0 {
            let cw = self.context_width;
            n += conv(c, cw, 3) + self.context_layers * conv(cw, cw, 3) + conv(cw, w, 1);
        }
        if self.colour_grade {
            n += grade_params(self.context_width, self.semantic());
        }
        n
    }

    /// FLOPs (2 per multiply-add) of refining one `h x w` frame.
    pub fn flops(&self, h: usize, w: usize) -> f64 {
        let (c, wd) = (self.in_channels, self.width);
        let mut f = conv_flops(1, c, wd, 3, h, w)
            + self.hidden_layers as f64 * conv_flops(1, wd, wd, 3, h, w)
            + conv_flops(1, wd, 3, 3, h, w);
        if self.context_width > 0 {
            let s = self.context_scale.max(1);
            let (ch, cw_) = (h.div_ceil(s), w.div_ceil(s));
            let cw = self.context_width;
            f += conv_flops(1, c, cw, 3, ch, cw_)
                + self.context_layers as f64 * conv_flops(1, cw, cw, 3, ch, cw_)
                + conv_flops(1, cw, wd, 1, ch, cw_)
                // The bilinear upsampling: about 8 FLOPs per output value.
                + 8.0 * (wd * h * w) as f64;
        }
        if self.colour_grade {
            let s = self.context_scale.max(1);
            f += grade_flops(
                self.context_width,
                self.semantic(),
                [h, w],
                [h.div_ceil(s), w.div_ceil(s)],
            );
        }
        f
    }
}

impl<B: Backend> ContextBranch<B> {
    /// The branch's features at low resolution, from the input pooled by `scale`.
    fn features(&self, x: Tensor<B, 4>) -> Tensor<B, 4> {
        let s = self.scale;
        let pooled = avg_pool2d(x, [s, s], [s, s], [0, 0], false, true);
        let mut c = relu(conv3_forward(&self.input, pooled));
        for conv in &self.layers {
            c = c.clone() + relu(conv3_forward(conv, c));
        }
        c
    }
}

/// Bilinear upsampling of `x` to `size`, the same function in training and inference.
fn upsample<B: Backend>(x: Tensor<B, 4>, size: [usize; 2]) -> Tensor<B, 4> {
    if B::ad_enabled(&x.device()) {
        // The GPU backends have no backward pass for bilinear interpolation: training
        // takes the same function as two matrix products, which every backend derives.
        upsample_bilinear_by_matrices(x, size)
    } else {
        interpolate(
            x,
            size,
            InterpolateOptions {
                mode: InterpolateMode::Bilinear,
                align_corners: false,
            },
        )
    }
}

/// Weights of half-pixel-centred (`align_corners: false`) linear resampling from `from`
/// samples to `to`: row `o` holds the two taps of output `o`, edges clamped, as burn's
/// and PyTorch's bilinear interpolation compute them.
fn linear_resampling_weights(from: usize, to: usize) -> Vec<f32> {
    let mut weights = vec![0.0f32; to * from];
    let ratio = from as f64 / to as f64;
    for o in 0..to {
        let at = (o as f64 + 0.5) * ratio - 0.5;
        let low = at.floor().max(0.0) as usize;
        let high = (low + 1).min(from - 1);
        let t = (at - low as f64).max(0.0) as f32;
        weights[o * from + low] += 1.0 - t;
        weights[o * from + high] += t;
    }
    weights
}

/// Bilinear upsampling of `x` ([batch, channels, h, w]) to `size` as `Wy · x · Wxᵀ`.
fn upsample_bilinear_by_matrices<B: Backend>(x: Tensor<B, 4>, size: [usize; 2]) -> Tensor<B, 4> {
    let [batch, channels, h, w] = x.dims();
    let [out_h, out_w] = size;
    let device = x.device();
    let rows = Tensor::<B, 2>::from_data(
        TensorData::new(linear_resampling_weights(h, out_h), [out_h, h]),
        &device,
    );
    let columns = Tensor::<B, 2>::from_data(
        TensorData::new(linear_resampling_weights(w, out_w), [out_w, w]),
        &device,
    )
    .transpose();
    let n = batch * channels;
    let x = x.reshape([n, h, w]);
    let tall = rows.unsqueeze::<3>().expand([n, out_h, h]).matmul(x);
    tall.matmul(columns.unsqueeze::<3>().expand([n, w, out_w]))
        .reshape([batch, channels, out_h, out_w])
}

impl<B: Backend> Refiner<B> {
    /// `x`: [batch, in_channels, h, w] with RGB in the first three channels, in [0, 1].
    /// Returns the refined RGB, same size.
    pub fn forward(&self, x: Tensor<B, 4>) -> Tensor<B, 4> {
        let [_, _, h, w] = x.dims();
        let rgb = x.clone().narrow(1, 0, 3);
        let mut pre = conv3_forward(&self.input, x.clone());
        let mut graded_by_context = None;
        if let Some(context) = &self.context {
            let low = context.features(x.clone());
            let projected = context.project.forward(low.clone());
            let width = projected.dims()[1];
            // One upsampling for the projection and the grade's coefficients together.
            let low = match self.grade.as_ref().and_then(|g| g.low_resolution(low)) {
                Some(coefficients) => Tensor::cat(vec![projected, coefficients], 1),
                None => projected,
            };
            let up = upsample(low, [h, w]);
            if up.dims()[1] > width {
                graded_by_context = Some(up.clone().narrow(1, width, GRADE_COEFFICIENTS));
            }
            pre = pre + up.narrow(1, 0, width);
        }
        let mut hidden = relu(pre);
        for conv in &self.hidden {
            hidden = hidden.clone() + relu(conv3_forward(conv, hidden));
        }
        let mut out = rgb.clone() + tanh(conv3_forward(&self.output, hidden)) * self.bound;
        if let Some(grade) = &self.grade {
            let semantic = grade
                .from_class
                .is_some()
                .then(|| x.narrow(1, 3, SEMANTIC_CATEGORIES));
            out = out + grade.change(rgb, graded_by_context, semantic);
        }
        out.clamp(0.0, 1.0)
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
    /// Patch discriminators, each on the input pooled by a further factor of 2.
    #[config(default = 1)]
    pub scales: usize,
    /// Add the statistics critic (`statistics.rs`): a head on each tile's low-level
    /// statistics.
    #[config(default = false)]
    pub statistics: bool,
}

#[derive(Module, Debug)]
pub struct PatchDiscriminator<B: Backend> {
    a: Conv2d<B>,
    b: Conv2d<B>,
    head: Conv2d<B>,
}

#[derive(Module, Debug)]
pub struct Discriminator<B: Backend> {
    scales: Vec<PatchDiscriminator<B>>,
    statistics: Option<StatisticsCritic<B>>,
}

/// A discriminator's verdict at one scale: logits and the two hidden feature maps.
#[derive(Debug)]
pub struct ScaleOutput<B: Backend> {
    pub logits: Tensor<B, 4>,
    pub features: [Tensor<B, 4>; 2],
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
            scales: (0..self.scales.max(1))
                .map(|_| PatchDiscriminator {
                    a: down(self.in_channels, self.width),
                    b: down(self.width, self.width * 2),
                    head: Conv2dConfig::new([self.width * 2, 1], [1, 1]).init(device),
                })
                .collect(),
            statistics: self
                .statistics
                .then(|| StatisticsCriticConfig::new().init(device)),
        }
    }

    /// FLOPs of one forward pass over a batch of `b` `h x w` inputs, every scale.
    pub fn flops(&self, b: usize, h: usize, w: usize) -> f64 {
        (0..self.scales.max(1))
            .map(|i| {
                let (h, w) = (h >> i, w >> i);
                conv_flops(b, self.in_channels, self.width, 4, h / 2, w / 2)
                    + conv_flops(b, self.width, self.width * 2, 4, h / 4, w / 4)
                    + conv_flops(b, self.width * 2, 1, 1, h / 4, w / 4)
            })
            .sum()
    }
}

impl<B: Backend> PatchDiscriminator<B> {
    fn forward(&self, x: Tensor<B, 4>) -> ScaleOutput<B> {
        let a = leaky_relu(self.a.forward(x), 0.2);
        let b = leaky_relu(self.b.forward(a.clone()), 0.2);
        ScaleOutput {
            logits: self.head.forward(b.clone()),
            features: [a, b],
        }
    }
}

impl<B: Backend> Discriminator<B> {
    /// Every scale's logits and features; scale `i` sees the input pooled by `2^i`.
    pub fn forward_scales(&self, x: Tensor<B, 4>) -> Vec<ScaleOutput<B>> {
        let mut input = x;
        let mut out = Vec::with_capacity(self.scales.len());
        for (i, d) in self.scales.iter().enumerate() {
            if i > 0 {
                input = avg_pool2d(input, [2, 2], [2, 2], [0, 0], false, true);
            }
            out.push(d.forward(input.clone()));
        }
        out
    }

    /// The statistics critic's logits, one per tile ([`StatisticsCritic::forward`]), when
    /// the discriminator has one.
    pub fn statistics_logits(&self, x: Tensor<B, 4>) -> Option<Tensor<B, 4>> {
        self.statistics.as_ref().map(|critic| critic.forward(x))
    }

    /// The finest scale's realism logits, one per patch: [batch, 1, h/4, w/4].
    pub fn forward(&self, x: Tensor<B, 4>) -> Tensor<B, 4> {
        let mut scales = self.forward_scales(x);
        scales.swap_remove(0).logits
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

#[cfg(test)]
mod tests {
    use super::*;
    use burn::backend::Flex;
    use burn::backend::flex::FlexDevice;

    #[test]
    fn layouts_are_read_from_the_channel_count() {
        let semantic_depth = RefinerConfig::new().with_layout(InputLayout {
            semantic: true,
            depth: true,
            noise: false,
        });
        assert_eq!(semantic_depth.in_channels, 12);
        assert_eq!(
            semantic_depth.layout().expect("layout"),
            InputLayout {
                semantic: true,
                depth: true,
                noise: false
            }
        );
        let e = RefinerConfig::new()
            .with_in_channels(7)
            .with_noise(true)
            .layout()
            .expect_err("7 channels are no layout");
        assert!(e.to_string().contains("7 channels"), "{e}");
    }

    #[test]
    fn the_context_branch_keeps_any_frame_size_and_its_parameters_are_counted() {
        let config = RefinerConfig::new()
            .with_width(8)
            .with_hidden_layers(2)
            .with_dilations(vec![1, 2])
            .with_context_width(6)
            .with_context_scale(4)
            .with_residual_bound(0.25);
        let device = FlexDevice;
        let refiner = config.init::<Flex>(&device);
        assert_eq!(refiner.num_params(), config.params());
        // Odd sizes, not multiples of the context scale.
        let x = Tensor::<Flex, 4>::random(
            [2, 3, 37, 53],
            burn::tensor::Distribution::Uniform(0.0, 1.0),
            &device,
        );
        let y = refiner.forward(x.clone());
        assert_eq!(y.dims(), [2, 3, 37, 53]);
        let change = (y - x).abs().max().into_scalar();
        assert!(change <= 0.25 + 1e-6, "the residual is bounded: {change}");
        assert!(config.flops(384, 640) > RefinerConfig::new().with_width(8).flops(384, 640));
    }

    #[test]
    fn training_upsamples_the_context_exactly_as_inference_does() {
        use burn::backend::Autodiff;
        use burn::module::AutodiffModule;
        let device = FlexDevice;
        // Odd sizes, not multiples of the scale, so the clamped edges are exercised.
        for (h, w, out) in [(5, 7, [17, 27]), (16, 16, [64, 64]), (1, 3, [4, 9])] {
            let x = Tensor::<Flex, 4>::random(
                [2, 3, h, w],
                burn::tensor::Distribution::Uniform(-1.0, 1.0),
                &device,
            );
            let by_matrices = upsample_bilinear_by_matrices(x.clone(), out);
            let interpolated = interpolate(
                x,
                out,
                InterpolateOptions {
                    mode: InterpolateMode::Bilinear,
                    align_corners: false,
                },
            );
            let gap = (by_matrices - interpolated).abs().max().into_scalar();
            assert!(gap < 1e-5, "{h}x{w} -> {out:?}: {gap}");
        }
        // The refiner takes the matrix path under autodiff and interpolation without.
        let config = RefinerConfig::new()
            .with_width(4)
            .with_context_width(4)
            .with_context_scale(4);
        let refiner = config.init::<Autodiff<Flex>>(&device);
        let x = Tensor::<Autodiff<Flex>, 4>::random(
            [1, 3, 37, 53],
            burn::tensor::Distribution::Uniform(0.0, 1.0),
            &device,
        );
        let trained = refiner.forward(x.clone()).inner();
        let inferred = refiner.valid().forward(x.inner());
        let gap = (trained - inferred).abs().max().into_scalar();
        assert!(gap < 1e-5, "{gap}");
    }

    #[test]
    fn edge_padding_refines_the_border_as_the_interior_and_trains() {
        use burn::backend::Autodiff;
        let device = FlexDevice;
        let config = |edge| {
            RefinerConfig::new()
                .with_width(6)
                .with_hidden_layers(1)
                .with_dilations(vec![2])
                .with_context_width(4)
                .with_context_scale(4)
                .with_edge_padding(edge)
        };
        // A frame of one colour: every pixel sees the same neighbourhood when the border
        // repeats the edge, so the refined frame is one colour too; zeros beyond the
        // border make the rim differ from the interior.
        let x = Tensor::<Flex, 4>::full([1, 3, 21, 30], 0.4, &device);
        let spread = |edge: bool| {
            let y = config(edge).init::<Flex>(&device).forward(x.clone());
            assert_eq!(y.dims(), [1, 3, 21, 30]);
            // Per channel, the brightest pixel less the darkest.
            let high = y.clone().max_dim(2).max_dim(3);
            let low = y.min_dim(2).min_dim(3);
            (high - low).max().into_scalar()
        };
        assert!(spread(true) < 1e-6, "edge padding: {}", spread(true));
        assert!(spread(false) > 1e-4, "zero padding: {}", spread(false));
        // The padding is made of slices, so training derives it.
        let refiner = config(true).init::<Autodiff<Flex>>(&device);
        let x = Tensor::<Autodiff<Flex>, 4>::random(
            [2, 3, 16, 16],
            burn::tensor::Distribution::Uniform(0.0, 1.0),
            &device,
        );
        let grads = refiner.forward(x).mean().backward();
        let weight = refiner
            .input
            .weight
            .grad(&grads)
            .expect("the input layer has a gradient");
        assert!(weight.abs().sum().into_scalar() > 0.0);
    }

    #[test]
    fn a_multi_scale_discriminator_judges_every_scale() {
        let device = FlexDevice;
        let d = DiscriminatorConfig::new()
            .with_width(4)
            .with_scales(3)
            .init::<Flex>(&device);
        let x = Tensor::<Flex, 4>::zeros([1, 3, 64, 64], &device);
        let scales = d.forward_scales(x);
        let sides: Vec<usize> = scales.iter().map(|s| s.logits.dims()[2]).collect();
        assert_eq!(sides, vec![16, 8, 4]);
        assert_eq!(scales[0].features[1].dims(), [1, 8, 16, 16]);
    }
}
