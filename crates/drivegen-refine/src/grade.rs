//! The refiner's optional colour grade: at every pixel a 3x3 colour matrix (added to the
//! identity) and an offset, applied to the input RGB beside the convolutional residual.
//!
//! A grade changes colour and tone without redrawing anything: inside one region whose
//! coefficients are constant, the refined colour is an affine function of the input
//! colour, so texture and edges survive (scaled, never moved or invented). The
//! coefficients come from the context branch's low-resolution features, which vary
//! smoothly across the frame, and from the semantic one-hot, which changes only at class
//! boundaries: a grade can give the road one tone and the sky another, the way a real
//! camera's response and a scene's light do, where a free residual learned to paint halos
//! and tints across objects (docs/realism-log.md).

use burn::module::Initializer;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::prelude::*;
use burn::tensor::activation::tanh;

use crate::model::SEMANTIC_CATEGORIES;

/// Nine matrix entries (row-major, output channel by input channel) and three offsets.
pub const GRADE_COEFFICIENTS: usize = 12;

/// Each coefficient starts within this of zero, so a new refiner grades almost nothing.
const INITIAL_WEIGHT: f64 = 0.05;

#[derive(Module, Debug)]
pub struct ColourGrade<B: Backend> {
    /// 1x1 from the context branch's features (before upsampling).
    pub(crate) from_context: Option<Conv2d<B>>,
    /// 1x1 from the semantic one-hot, without a bias: exactly one category is set per
    /// pixel, so each category's weights are that class's coefficients.
    pub(crate) from_class: Option<Conv2d<B>>,
    #[module(skip)]
    pub(crate) bound: f64,
}

fn one_by_one<B: Backend>(cin: usize, bias: bool, device: &B::Device) -> Conv2d<B> {
    Conv2dConfig::new([cin, GRADE_COEFFICIENTS], [1, 1])
        .with_bias(bias)
        .with_initializer(Initializer::Uniform {
            min: -INITIAL_WEIGHT,
            max: INITIAL_WEIGHT,
        })
        .init(device)
}

impl<B: Backend> ColourGrade<B> {
    /// A grade from `context_width` context features (0: none) and/or the semantic
    /// one-hot; `None` when it has neither source.
    pub fn new(
        context_width: usize,
        semantic: bool,
        bound: f64,
        device: &B::Device,
    ) -> Option<ColourGrade<B>> {
        let from_context = (context_width > 0).then(|| one_by_one(context_width, true, device));
        let from_class = semantic.then(|| one_by_one(SEMANTIC_CATEGORIES, false, device));
        (from_context.is_some() || from_class.is_some()).then_some(ColourGrade {
            from_context,
            from_class,
            bound,
        })
    }

    /// The grade's coefficients from the context features at low resolution, to be
    /// upsampled with the rest of the context branch's output.
    pub fn low_resolution(&self, context: Tensor<B, 4>) -> Option<Tensor<B, 4>> {
        self.from_context.as_ref().map(|conv| conv.forward(context))
    }

    /// The change the grade makes to `rgb` ([batch, 3, h, w]), given the upsampled
    /// context coefficients (if any) and the semantic one-hot ([batch, 8, h, w], if any).
    pub fn change(
        &self,
        rgb: Tensor<B, 4>,
        context: Option<Tensor<B, 4>>,
        semantic: Option<Tensor<B, 4>>,
    ) -> Tensor<B, 4> {
        let from_class = match (&self.from_class, semantic) {
            (Some(conv), Some(one_hot)) => Some(conv.forward(one_hot)),
            _ => None,
        };
        let coefficients = match (context, from_class) {
            (Some(a), Some(b)) => a + b,
            (Some(a), None) | (None, Some(a)) => a,
            (None, None) => return rgb.zeros_like(),
        };
        graded_change(rgb, coefficients, self.bound)
    }
}

/// Per pixel and output channel `c`: `Σ_k bound·tanh(a_ck)·rgb_k + bound·tanh(b_c)`, where
/// `coefficients` holds the nine `a` then the three `b` ([batch, 12, h, w]).
pub fn graded_change<B: Backend>(
    rgb: Tensor<B, 4>,
    coefficients: Tensor<B, 4>,
    bound: f64,
) -> Tensor<B, 4> {
    let [batch, _, h, w] = rgb.dims();
    let bounded = tanh(coefficients) * bound;
    let matrix = bounded.clone().narrow(1, 0, 9).reshape([batch, 3, 3, h, w]);
    let offset = bounded.narrow(1, 9, 3);
    let mixed = (matrix * rgb.unsqueeze_dim::<5>(1)).sum_dim(2);
    mixed.reshape([batch, 3, h, w]) + offset
}

/// Trainable parameters of a grade (see [`ColourGrade::new`]).
pub fn grade_params(context_width: usize, semantic: bool) -> usize {
    let from_context = if context_width > 0 {
        (context_width + 1) * GRADE_COEFFICIENTS
    } else {
        0
    };
    from_context + usize::from(semantic) * SEMANTIC_CATEGORIES * GRADE_COEFFICIENTS
}

/// FLOPs of grading one `h x w` frame whose context branch runs at `low_h x low_w`.
pub fn grade_flops(
    context_width: usize,
    semantic: bool,
    [h, w]: [usize; 2],
    [low_h, low_w]: [usize; 2],
) -> f64 {
    let pixels = (h * w) as f64;
    let coefficients = GRADE_COEFFICIENTS as f64;
    let mut flops = 0.0;
    if context_width > 0 {
        flops += crate::model::conv_flops(1, context_width, GRADE_COEFFICIENTS, 1, low_h, low_w)
            // Bilinear upsampling, about 8 FLOPs per output value.
            + 8.0 * coefficients * pixels;
    }
    if semantic {
        flops += crate::model::conv_flops(1, SEMANTIC_CATEGORIES, GRADE_COEFFICIENTS, 1, h, w);
    }
    // tanh and bound per coefficient, nine multiply-adds and three offsets per pixel.
    flops + (2.0 * coefficients + 2.0 * 9.0 + 3.0) * pixels
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::backend::Flex;
    use burn::backend::flex::FlexDevice;
    use rand::RngExt;

    /// A 1 x 3 x h x w frame whose left half is grey texture (semantic category 3) and
    /// whose right half is one flat colour (category 6), with its semantic one-hot.
    fn two_class_frame(h: usize, w: usize) -> (Tensor<Flex, 4>, Tensor<Flex, 4>) {
        let mut rng = drivegen_plan::streams::stream(11, "grade-test");
        let mut rgb = vec![0.0f32; 3 * h * w];
        let mut one_hot = vec![0.0f32; SEMANTIC_CATEGORIES * h * w];
        for y in 0..h {
            for x in 0..w {
                let at = y * w + x;
                let (colour, class) = if x < w / 2 {
                    let v: f32 = rng.random_range(0.1..0.9);
                    ([v, v, v], 3)
                } else {
                    ([0.7, 0.4, 0.2], 6)
                };
                for (c, value) in colour.into_iter().enumerate() {
                    rgb[c * h * w + at] = value;
                }
                one_hot[class * h * w + at] = 1.0;
            }
        }
        let device = FlexDevice;
        (
            Tensor::from_data(TensorData::new(rgb, [1, 3, h, w]), &device),
            Tensor::from_data(
                TensorData::new(one_hot, [1, SEMANTIC_CATEGORIES, h, w]),
                &device,
            ),
        )
    }

    #[test]
    fn a_class_grade_keeps_flat_regions_flat_and_texture_affine() {
        let (h, w) = (12, 16);
        let (rgb, one_hot) = two_class_frame(h, w);
        let grade = ColourGrade::<Flex>::new(0, true, 0.5, &FlexDevice).expect("a grade");
        assert_eq!(grade.num_params(), grade_params(0, true));
        let change = grade.change(rgb.clone(), None, Some(one_hot));
        assert_eq!(change.dims(), [1, 3, h, w]);
        let values: Vec<f32> = change.clone().into_data().to_vec().expect("f32");
        let input: Vec<f32> = rgb.into_data().to_vec().expect("f32");
        let largest = values.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        assert!(largest > 1e-3, "the grade changes colour: {largest}");
        for c in 0..3 {
            let plane = &values[c * h * w..(c + 1) * h * w];
            let grey = &input[..h * w];
            // The flat half changes by one amount everywhere.
            let flat: Vec<f32> = (0..h * w)
                .filter(|i| i % w >= w / 2)
                .map(|i| plane[i])
                .collect();
            let spread = flat.iter().fold(f32::MIN, |m, &v| m.max(v))
                - flat.iter().fold(f32::MAX, |m, &v| m.min(v));
            assert!(
                spread < 1e-6,
                "channel {c}: the flat half's change spreads {spread}"
            );
            // The textured half changes on one line through (grey, change): affine, so
            // every edge in it is kept, scaled by the same factor.
            let textured: Vec<usize> = (0..h * w).filter(|i| i % w < w / 2).collect();
            let (lo, hi) = (
                *textured
                    .iter()
                    .min_by(|a, b| grey[**a].total_cmp(&grey[**b]))
                    .expect("pixels"),
                *textured
                    .iter()
                    .max_by(|a, b| grey[**a].total_cmp(&grey[**b]))
                    .expect("pixels"),
            );
            let slope = (plane[hi] - plane[lo]) / (grey[hi] - grey[lo]);
            for &i in &textured {
                let expected = plane[lo] + slope * (grey[i] - grey[lo]);
                assert!(
                    (plane[i] - expected).abs() < 1e-5,
                    "channel {c}, pixel {i}: {} is off the line ({expected})",
                    plane[i]
                );
            }
        }
    }

    #[test]
    fn the_change_is_bounded_and_zero_coefficients_change_nothing() {
        let device = FlexDevice;
        let rgb = Tensor::<Flex, 4>::random(
            [2, 3, 5, 7],
            burn::tensor::Distribution::Uniform(0.0, 1.0),
            &device,
        );
        let none = graded_change(rgb.clone(), Tensor::zeros([2, 12, 5, 7], &device), 0.5);
        assert!(none.abs().max().into_scalar() < 1e-7);
        // Saturated coefficients: every matrix entry and offset at +bound.
        let most = graded_change(
            rgb.clone(),
            Tensor::full([2, 12, 5, 7], 50.0, &device),
            0.25,
        );
        let expected = rgb.sum_dim(1) * 0.25 + 0.25;
        let gap = (most.narrow(1, 1, 1) - expected).abs().max().into_scalar();
        assert!(gap < 1e-5, "{gap}");
        assert!(ColourGrade::<Flex>::new(0, false, 0.5, &device).is_none());
    }

    #[test]
    fn a_refiner_with_a_grade_counts_it_trains_it_and_infers_as_it_trains() {
        use crate::model::{InputLayout, RefinerConfig};
        use burn::backend::Autodiff;
        use burn::module::AutodiffModule;
        let device = FlexDevice;
        let config = RefinerConfig::new()
            .with_width(4)
            .with_hidden_layers(0)
            .with_context_width(6)
            .with_context_scale(4)
            .with_edge_padding(true)
            .with_colour_grade(true)
            .with_grade_bound(0.3)
            .with_layout(InputLayout {
                semantic: true,
                depth: false,
                noise: false,
            });
        config.check().expect("a grade with context and classes");
        let refiner = config.init::<Autodiff<Flex>>(&device);
        assert_eq!(refiner.num_params(), config.params());
        let without = config.clone().with_colour_grade(false);
        assert_eq!(config.params() - without.params(), grade_params(6, true));
        assert!(config.flops(384, 640) > without.flops(384, 640));
        let (h, w) = (13, 18);
        let (rgb, one_hot) = two_class_frame(h, w);
        let x = Tensor::<Autodiff<Flex>, 4>::from_inner(Tensor::cat(vec![rgb, one_hot], 1));
        let trained = refiner.forward(x.clone());
        let grads = trained.clone().mean().backward();
        let grade = refiner.grade.as_ref().expect("the refiner has a grade");
        for (name, conv) in [
            ("context", grade.from_context.as_ref()),
            ("class", grade.from_class.as_ref()),
        ] {
            let gradient = conv
                .expect("both sources")
                .weight
                .grad(&grads)
                .expect("a gradient")
                .abs()
                .sum()
                .into_scalar();
            assert!(gradient > 0.0, "the grade from {name} trains");
        }
        let inferred = refiner.valid().forward(x.inner());
        let gap = (trained.inner() - inferred).abs().max().into_scalar();
        assert!(gap < 1e-5, "{gap}");
        // Nothing to read the coefficients from is a configuration error.
        let e = RefinerConfig::new()
            .with_colour_grade(true)
            .check()
            .expect_err("no context, no classes");
        assert!(e.to_string().contains("colour grade"), "{e}");
    }
}
