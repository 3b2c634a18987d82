//! The statistics critic: a discriminator head that judges a patch by the low-level
//! statistics a camera's pipeline shapes and the realism test reads (tone, colour and
//! saturation, gradient magnitudes and their histogram, Laplacians, sensor noise, 8x8
//! local contrast, edge orientation), computed differentiably at the test's scale.
//!
//! The convolutional patch discriminator and the realism test look at different things:
//! refiners trained against the first alone drifted in statistics the second reads
//! (saturation above the cameras', measured in docs/realism-log.md), so the refined
//! frames were easier to tell from real ones than the raw frames. This head gives the
//! refiner a gradient towards the real frames' joint distribution of those statistics
//! instead of only their means (a moment-matching loss did not help, docs/realism-log.md).

use burn::nn::{Linear, LinearConfig};
use burn::prelude::*;
use burn::tensor::activation::{leaky_relu, sigmoid};
use burn::tensor::module::avg_pool2d;

use crate::realism::GRADIENT_BIN_EDGES as EDGES;

/// Statistics per tile (the realism test's, less its three luma percentiles, which have
/// no useful gradient).
pub const STATISTICS: usize = 23;
/// Side of a tile after pooling, the realism test's patch.
pub const TILE: usize = 32;
/// Frames are judged at half resolution, as the realism test sees a 640x384 render.
const POOL: usize = 2;
/// Typical value and spread of each statistic on real dash-camera tiles (both shared
/// cameras' training blocks): the critic sees standardised statistics, because Adam moves
/// every weight by about the learning rate a step, and a statistic that varies by 0.01
/// would need weights a hundred times larger than one that varies by 1 to count.
const CENTRE: [f32; STATISTICS] = [
    0.4337, 0.09938, -0.03049, 0.02169, -0.03921, 0.03491, 0.2328, 0.067, -4.147, 0.4152, 0.1417,
    0.1297, 0.1238, 0.0982, 0.09147, -3.795, -5.186, -4.973, -5.929, 1.303, 0.07532, 0.0481,
    0.3337,
];
const SPREAD: [f32; STATISTICS] = [
    0.203, 0.0833, 0.0651, 0.0174, 0.098, 0.028, 0.136, 0.0448, 1.18, 0.352, 0.113, 0.106, 0.121,
    0.104, 0.118, 1.18, 0.927, 0.911, 1.15, 0.262, 0.0696, 0.043, 0.191,
];

#[derive(Config, Debug)]
pub struct StatisticsCriticConfig {
    #[config(default = 32)]
    pub hidden: usize,
}

#[derive(Module, Debug)]
pub struct StatisticsCritic<B: Backend> {
    hidden: Linear<B>,
    head: Linear<B>,
}

impl StatisticsCriticConfig {
    pub fn init<B: Backend>(&self, device: &B::Device) -> StatisticsCritic<B> {
        StatisticsCritic {
            hidden: LinearConfig::new(STATISTICS, self.hidden).init(device),
            head: LinearConfig::new(self.hidden, 1).init(device),
        }
    }
}

impl<B: Backend> StatisticsCritic<B> {
    /// One realism logit per tile of `rgb` ([batch, 3+, h, w], values in [0, 1]):
    /// [tiles, 1, 1, 1], the shape the adversarial losses take.
    pub fn forward(&self, rgb: Tensor<B, 4>) -> Tensor<B, 4> {
        let s = tile_statistics(rgb.narrow(1, 0, 3));
        let [n, _] = s.dims();
        let device = s.device();
        let row = |v: [f32; STATISTICS]| {
            Tensor::<B, 2>::from_data(TensorData::new(v.to_vec(), [1, STATISTICS]), &device)
        };
        let s = (s - row(CENTRE)) / row(SPREAD);
        let h = leaky_relu(self.hidden.forward(s), 0.2);
        self.head.forward(h).reshape([n, 1, 1, 1])
    }
}

/// The interior of `v` ([n, 1, t, t]) shifted by (`dy`, `dx`) in -1..=1: [n, 1, t-2, t-2].
fn shifted<B: Backend>(v: &Tensor<B, 4>, dy: i32, dx: i32) -> Tensor<B, 4> {
    let t = v.dims()[2];
    v.clone()
        .narrow(2, (1 + dy) as usize, t - 2)
        .narrow(3, (1 + dx) as usize, t - 2)
}

/// Mean over everything but the first dimension: [n, 1].
fn mean_of<B: Backend>(v: Tensor<B, 4>) -> Tensor<B, 2> {
    v.flatten::<2>(1, 3).mean_dim(1)
}

fn mean_and_spread<B: Backend>(v: Tensor<B, 4>) -> [Tensor<B, 2>; 2] {
    let flat = v.flatten::<2>(1, 3);
    let mean = flat.clone().mean_dim(1);
    let spread = ((flat - mean.clone()).powi_scalar(2).mean_dim(1) + 1e-8).sqrt();
    [mean, spread]
}

/// Cuts `x` ([b, c, h, w]) into `t x t` tiles: [b * tiles, c, t, t] (edges that do not
/// fill a tile are dropped).
fn tiles<B: Backend>(x: Tensor<B, 4>, t: usize) -> Tensor<B, 4> {
    let [b, c, h, w] = x.dims();
    let (th, tw) = (h / t, w / t);
    x.narrow(2, 0, th * t)
        .narrow(3, 0, tw * t)
        .reshape([b, c, th, t, tw, t])
        .permute([0, 2, 4, 1, 3, 5])
        .reshape([b * th * tw, c, t, t])
}

/// The statistics of every tile of `rgb` ([batch, 3, h, w] in [0, 1]), after pooling by
/// 2: [tiles, STATISTICS].
pub fn tile_statistics<B: Backend>(rgb: Tensor<B, 4>) -> Tensor<B, 2> {
    let pooled = avg_pool2d(rgb, [POOL, POOL], [POOL, POOL], [0, 0], false, true);
    let [_, _, h, w] = pooled.dims();
    let t = TILE.min(h).min(w);
    let x = tiles(pooled, t);
    let channel = |i| x.clone().narrow(1, i, 1);
    let (r, g, b) = (channel(0), channel(1), channel(2));
    let luma = (r.clone() + g.clone() + b.clone()) / 3.0;
    let red_green = r.clone() - g.clone();
    let yellow_blue = (r + g) * 0.5 - b;
    let max = x.clone().max_dim(1);
    let saturation = (max.clone() - x.clone().min_dim(1)) / (max + 1e-3);
    let mut out: Vec<Tensor<B, 2>> = Vec::with_capacity(STATISTICS);
    for v in [&luma, &red_green, &yellow_blue, &saturation] {
        out.extend(mean_and_spread(v.clone()));
    }
    let log = |v: Tensor<B, 2>| (v + 1e-4).log();
    let gx = (shifted(&luma, 0, 1) - shifted(&luma, 0, -1)) * 0.5;
    let gy = (shifted(&luma, 1, 0) - shifted(&luma, -1, 0)) * 0.5;
    let (gx2, gy2) = (gx.powi_scalar(2), gy.powi_scalar(2));
    let magnitude = (gx2.clone() + gy2.clone() + 1e-8).sqrt();
    let gradient = mean_of(magnitude.clone());
    out.push(log(gradient.clone()));
    // Soft bin membership, so the refiner feels which way a bin's share moves.
    let above: Vec<Tensor<B, 2>> = EDGES
        .iter()
        .map(|&e| mean_of(sigmoid((magnitude.clone() - e) / (0.1 * e))))
        .collect();
    out.push(above[0].clone().neg() + 1.0);
    for pair in above.windows(2) {
        out.push(pair[0].clone() - pair[1].clone());
    }
    out.push(above[EDGES.len() - 1].clone());
    let laplacian = |v: &Tensor<B, 4>| {
        mean_of(
            (shifted(v, 0, 1) + shifted(v, 0, -1) + shifted(v, 1, 0) + shifted(v, -1, 0)
                - shifted(v, 0, 0) * 4.0)
                .abs(),
        )
    };
    let luma_laplacian = laplacian(&luma);
    out.push(log(luma_laplacian.clone()));
    out.push(log(laplacian(&red_green)));
    out.push(log(laplacian(&yellow_blue)));
    // Immerkaer's noise estimate: a mask that cancels edges and ramps.
    let corners = shifted(&luma, -1, -1)
        + shifted(&luma, -1, 1)
        + shifted(&luma, 1, -1)
        + shifted(&luma, 1, 1);
    let sides =
        shifted(&luma, -1, 0) + shifted(&luma, 1, 0) + shifted(&luma, 0, -1) + shifted(&luma, 0, 1);
    let noise = mean_of((corners - sides * 2.0 + shifted(&luma, 0, 0) * 4.0).abs());
    out.push(log(noise * ((std::f64::consts::FRAC_PI_2).sqrt() / 6.0)));
    out.push(luma_laplacian / (gradient + 1e-3));
    let cell = 8.min(t);
    let cell_mean = avg_pool2d(
        luma.clone(),
        [cell, cell],
        [cell, cell],
        [0, 0],
        false,
        true,
    );
    let cell_square = avg_pool2d(
        luma.powi_scalar(2),
        [cell, cell],
        [cell, cell],
        [0, 0],
        false,
        true,
    );
    let [_, cell_spread] = mean_and_spread(cell_mean.clone());
    out.push(cell_spread);
    let inner = ((cell_square - cell_mean.powi_scalar(2)).clamp_min(0.0) + 1e-8).sqrt();
    out.push(mean_of(inner));
    let (sx, sy) = (
        gx2.flatten::<2>(1, 3).sum_dim(1),
        gy2.flatten::<2>(1, 3).sum_dim(1),
    );
    out.push(sx.clone() / (sx + sy + 1e-9));
    debug_assert_eq!(out.len(), STATISTICS);
    Tensor::cat(out, 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::backend::Flex;
    use burn::backend::flex::FlexDevice;
    use burn::tensor::TensorData;

    use crate::realism::patch_features;

    /// The realism test's statistics of the same tile, without its percentiles (8..11).
    fn reference(rgb: &[u8], s: usize) -> Vec<f64> {
        let f = patch_features(rgb, s);
        f.iter()
            .enumerate()
            .filter(|(i, _)| !(8..11).contains(i))
            .map(|(_, v)| *v)
            .collect()
    }

    #[test]
    fn the_statistics_are_the_realism_tests_on_a_pooled_tile() {
        // A 64x64 image whose 2x2 blocks are constant: pooling gives the 32x32 tile back.
        let s = TILE;
        let mut tile = vec![0u8; s * s * 3];
        for y in 0..s {
            for x in 0..s {
                let i = (y * s + x) * 3;
                // Smooth ramps, an edge and some per-pixel hash texture.
                let hash = ((x * 7919 + y * 104_729) % 97) as u8;
                tile[i] = 40 + 4 * x as u8 + hash / 8;
                tile[i + 1] = if x > 20 { 180 } else { 60 } + hash / 16;
                tile[i + 2] = 30 + 5 * y as u8;
            }
        }
        let mut planar = vec![0f32; 3 * 4 * s * s];
        for c in 0..3 {
            for y in 0..2 * s {
                for x in 0..2 * s {
                    let v = tile[((y / 2) * s + x / 2) * 3 + c];
                    planar[(c * 2 * s + y) * 2 * s + x] = f32::from(v) / 255.0;
                }
            }
        }
        let device = FlexDevice;
        let x =
            Tensor::<Flex, 4>::from_data(TensorData::new(planar, [1, 3, 2 * s, 2 * s]), &device);
        let got: Vec<f32> = tile_statistics(x)
            .into_data()
            .to_vec()
            .expect("f32 statistics");
        assert_eq!(got.len(), STATISTICS);
        let want = reference(&tile, s);
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            // Soft histogram bins and the epsilon-guarded saturation differ a little.
            let tolerance = if (11..17).contains(&(i + 3)) {
                0.08
            } else {
                0.02
            };
            assert!(
                (f64::from(*g) - w).abs() <= tolerance * (1.0 + w.abs()),
                "statistic {i}: {g} vs the realism test's {w}"
            );
        }
    }

    #[test]
    fn every_tile_gets_its_own_verdict() {
        let device = FlexDevice;
        let critic = StatisticsCriticConfig::new().init::<Flex>(&device);
        let x = Tensor::<Flex, 4>::random(
            [2, 5, 128, 192],
            burn::tensor::Distribution::Uniform(0.0, 1.0),
            &device,
        );
        // 128x192 pools to 64x96: 2 x 3 tiles per image.
        assert_eq!(critic.forward(x).dims(), [12, 1, 1, 1]);
    }
}
