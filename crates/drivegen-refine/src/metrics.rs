//! Realism and label-preservation measures.
//!
//! Realism: a kernel distance (KID: unbiased MMD^2 with the cubic polynomial kernel)
//! between patch features of two image sets, with two fixed extractors (a seeded
//! random-init conv net, model-free; and a trained VAE encoder), and colour-statistics
//! distances. Label preservation: mean absolute change, Sobel edge agreement inside each
//! labelled object, and per-class mean colour shift.

use std::collections::BTreeMap;

use burn::prelude::*;
use burn::tensor::module::conv2d;
use burn::tensor::ops::ConvOptions;
use image::RgbImage;
use rand::RngExt;
use serde::Serialize;

/// Unbiased MMD^2 between feature sets with k(x, y) = (x.y / d + 1)^3 (the KID kernel).
/// Needs at least two rows per set; returns 0 otherwise.
pub fn kernel_distance(x: &[Vec<f32>], y: &[Vec<f32>]) -> f64 {
    let (m, n) = (x.len(), y.len());
    if m < 2 || n < 2 {
        return 0.0;
    }
    let d = x[0].len().max(1) as f64;
    let k = |a: &[f32], b: &[f32]| {
        let dot: f64 = a
            .iter()
            .zip(b)
            .map(|(p, q)| f64::from(*p) * f64::from(*q))
            .sum();
        (dot / d + 1.0).powi(3)
    };
    let within = |s: &[Vec<f32>]| {
        let mut sum = 0.0;
        for i in 0..s.len() {
            for j in (i + 1)..s.len() {
                sum += k(&s[i], &s[j]);
            }
        }
        2.0 * sum / (s.len() * (s.len() - 1)) as f64
    };
    let mut cross = 0.0;
    for a in x {
        for b in y {
            cross += k(a, b);
        }
    }
    within(x) + within(y) - 2.0 * cross / (m * n) as f64
}

/// A fixed random-init conv net (3 -> 32 -> 64 -> 128, 4x4 stride 2, ReLU) whose weights
/// come from a seeded ChaCha8 stream, so its features are the same on every machine and
/// backend. Features: per-channel mean and standard deviation of the last layer.
#[derive(Debug)]
pub struct RandomFeatures<B: Backend> {
    layers: Vec<(Tensor<B, 4>, Tensor<B, 1>)>,
}

impl<B: Backend> RandomFeatures<B> {
    pub fn new(seed: u64, device: &B::Device) -> RandomFeatures<B> {
        let mut rng = drivegen_plan::streams::stream(seed, "random-features");
        let mut layers = Vec::new();
        for (cin, cout) in [(3usize, 32usize), (32, 64), (64, 128)] {
            let fan_in = (cin * 16) as f32;
            // He-uniform bound keeps activations at a similar scale through the layers.
            let bound = (6.0 / fan_in).sqrt();
            let w: Vec<f32> = (0..cout * cin * 16)
                .map(|_| rng.random_range(-bound..bound))
                .collect();
            let b = vec![0.0f32; cout];
            layers.push((
                Tensor::from_data(TensorData::new(w, [cout, cin, 4, 4]), device),
                Tensor::from_data(TensorData::new(b, [cout]), device),
            ));
        }
        RandomFeatures { layers }
    }

    /// `x`: [batch, 3, h, w] in [0, 1] -> one feature row per patch.
    pub fn features(&self, x: Tensor<B, 4>) -> Vec<Vec<f32>> {
        let mut h = x * 2.0 - 1.0;
        for (w, b) in &self.layers {
            h = conv2d(
                h,
                w.clone(),
                Some(b.clone()),
                ConvOptions::new([2, 2], [1, 1], [1, 1], 1),
            )
            .clamp_min(0.0);
        }
        let [batch, c, _, _] = h.dims();
        let flat = h.flatten::<3>(2, 3);
        let mean = flat.clone().mean_dim(2);
        let std = flat.var(2).sqrt();
        rows(Tensor::cat(vec![mean, std], 1).reshape([batch, 2 * c]))
    }
}

/// A [rows, cols] tensor as rows of f32.
pub fn rows<B: Backend>(t: Tensor<B, 2>) -> Vec<Vec<f32>> {
    let [_, cols] = t.dims();
    let data = t.into_data().to_vec::<f32>().unwrap_or_default();
    data.chunks(cols.max(1)).map(<[f32]>::to_vec).collect()
}

/// Colour statistics of an image set: per-channel mean and standard deviation (0..1) and
/// a joint 8x8x8 RGB histogram.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ColourStats {
    pub mean: [f64; 3],
    pub std: [f64; 3],
    #[serde(skip)]
    pub histogram: Vec<f64>,
}

pub fn colour_stats<'a>(images: impl IntoIterator<Item = &'a RgbImage>) -> ColourStats {
    let mut sum = [0.0f64; 3];
    let mut sq = [0.0f64; 3];
    let mut hist = vec![0.0f64; 512];
    let mut n = 0.0f64;
    for img in images {
        for p in img.as_raw().chunks_exact(3) {
            for c in 0..3 {
                let v = f64::from(p[c]) / 255.0;
                sum[c] += v;
                sq[c] += v * v;
            }
            let bin =
                usize::from(p[0] >> 5) * 64 + usize::from(p[1] >> 5) * 8 + usize::from(p[2] >> 5);
            hist[bin] += 1.0;
            n += 1.0;
        }
    }
    let n = n.max(1.0);
    let mean = sum.map(|s| s / n);
    let mut std = [0.0; 3];
    for c in 0..3 {
        std[c] = (sq[c] / n - mean[c] * mean[c]).max(0.0).sqrt();
    }
    for h in &mut hist {
        *h /= n;
    }
    ColourStats {
        mean,
        std,
        histogram: hist,
    }
}

impl ColourStats {
    /// Euclidean distance between the (mean, std) vectors, in 0..1 units.
    pub fn moment_distance(&self, other: &ColourStats) -> f64 {
        (0..3)
            .map(|c| (self.mean[c] - other.mean[c]).powi(2) + (self.std[c] - other.std[c]).powi(2))
            .sum::<f64>()
            .sqrt()
    }

    /// Total-variation distance between the joint RGB histograms (0 = same, 1 = disjoint).
    pub fn histogram_distance(&self, other: &ColourStats) -> f64 {
        0.5 * self
            .histogram
            .iter()
            .zip(&other.histogram)
            .map(|(a, b)| (a - b).abs())
            .sum::<f64>()
    }
}

/// Mean |refined - raw| over all channels, in 0..1.
pub fn mean_abs_change(raw: &RgbImage, refined: &RgbImage) -> f64 {
    let n = raw.as_raw().len().max(1) as f64;
    raw.as_raw()
        .iter()
        .zip(refined.as_raw())
        .map(|(a, b)| f64::from(a.abs_diff(*b)))
        .sum::<f64>()
        / n
        / 255.0
}

/// Sobel gradient magnitude of the luma.
pub fn sobel(img: &RgbImage) -> Vec<f32> {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let luma: Vec<f32> = img
        .as_raw()
        .chunks_exact(3)
        .map(|p| 0.299 * f32::from(p[0]) + 0.587 * f32::from(p[1]) + 0.114 * f32::from(p[2]))
        .collect();
    let at = |x: isize, y: isize| {
        let x = x.clamp(0, w as isize - 1) as usize;
        let y = y.clamp(0, h as isize - 1) as usize;
        luma[y * w + x]
    };
    let mut out = vec![0.0f32; w * h];
    for y in 0..h as isize {
        for x in 0..w as isize {
            let gx = at(x + 1, y - 1) + 2.0 * at(x + 1, y) + at(x + 1, y + 1)
                - at(x - 1, y - 1)
                - 2.0 * at(x - 1, y)
                - at(x - 1, y + 1);
            let gy = at(x - 1, y + 1) + 2.0 * at(x, y + 1) + at(x + 1, y + 1)
                - at(x - 1, y - 1)
                - 2.0 * at(x, y - 1)
                - at(x + 1, y - 1);
            out[y as usize * w + x as usize] = (gx * gx + gy * gy).sqrt();
        }
    }
    out
}

fn pearson(a: &[f32], b: &[f32]) -> f64 {
    let n = a.len().max(1) as f64;
    let ma = a.iter().map(|v| f64::from(*v)).sum::<f64>() / n;
    let mb = b.iter().map(|v| f64::from(*v)).sum::<f64>() / n;
    let (mut cov, mut va, mut vb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        let (dx, dy) = (f64::from(*x) - ma, f64::from(*y) - mb);
        cov += dx * dy;
        va += dx * dx;
        vb += dy * dy;
    }
    if va < 1e-9 || vb < 1e-9 {
        // A flat region stays flat: agreement is perfect when both are flat.
        return if va < 1e-9 && vb < 1e-9 { 1.0 } else { 0.0 };
    }
    cov / (va * vb).sqrt()
}

/// Objects smaller than this many pixels are too small for a meaningful edge statistic.
pub const MIN_OBJECT_PIXELS: usize = 100;

/// Per-object Pearson correlation of the Sobel magnitudes of raw and refined inside each
/// instance mask (id != 0, at least [`MIN_OBJECT_PIXELS`]), by instance id.
pub fn edge_agreement(raw: &RgbImage, refined: &RgbImage, instance: &[u16]) -> BTreeMap<u16, f64> {
    let (ea, eb) = (sobel(raw), sobel(refined));
    let mut pixels: BTreeMap<u16, (Vec<f32>, Vec<f32>)> = BTreeMap::new();
    for (i, id) in instance.iter().enumerate() {
        if *id != 0 {
            let e = pixels.entry(*id).or_default();
            e.0.push(ea[i]);
            e.1.push(eb[i]);
        }
    }
    pixels
        .into_iter()
        .filter(|(_, (a, _))| a.len() >= MIN_OBJECT_PIXELS)
        .map(|(id, (a, b))| (id, pearson(&a, &b)))
        .collect()
}

/// Sums of RGB (0..255) per Cityscapes labelId, raw and refined, for the per-class shift.
#[derive(Clone, Debug, Default)]
pub struct ClassColour {
    sums: BTreeMap<u8, ([f64; 3], [f64; 3], u64)>,
}

impl ClassColour {
    pub fn add(&mut self, raw: &RgbImage, refined: &RgbImage, semantic: &[u8]) {
        for ((a, b), class) in raw
            .as_raw()
            .chunks_exact(3)
            .zip(refined.as_raw().chunks_exact(3))
            .zip(semantic)
        {
            let e = self.sums.entry(*class).or_default();
            for c in 0..3 {
                e.0[c] += f64::from(a[c]);
                e.1[c] += f64::from(b[c]);
            }
            e.2 += 1;
        }
    }

    /// Per class: (name, pixels, mean raw RGB, mean refined RGB, Euclidean shift).
    pub fn shifts(&self) -> Vec<ClassShift> {
        self.sums
            .iter()
            .map(|(class, (raw, refined, n))| {
                let n = (*n).max(1) as f64;
                let a = raw.map(|v| v / n);
                let b = refined.map(|v| v / n);
                let shift = (0..3).map(|c| (a[c] - b[c]).powi(2)).sum::<f64>().sqrt();
                ClassShift {
                    class: drivegen_labels::classes::CITYSCAPES
                        .get(usize::from(*class))
                        .map_or("unknown", |l| l.name)
                        .to_string(),
                    label_id: *class,
                    pixels: n as u64,
                    raw_rgb: a,
                    refined_rgb: b,
                    shift,
                }
            })
            .collect()
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ClassShift {
    pub class: String,
    pub label_id: u8,
    pub pixels: u64,
    pub raw_rgb: [f64; 3],
    pub refined_rgb: [f64; 3],
    /// Euclidean distance between the mean colours, 0..255 units.
    pub shift: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_distance_is_near_zero_for_one_distribution_and_grows_with_a_shift() {
        let mut rng = drivegen_plan::streams::stream(1, "kid-test");
        let mut set = |offset: f32| -> Vec<Vec<f32>> {
            (0..200)
                .map(|_| {
                    (0..8)
                        .map(|_| rng.random_range(0.0..1.0f32) + offset)
                        .collect()
                })
                .collect()
        };
        let (a, b, c) = (set(0.0), set(0.0), set(0.5));
        let same = kernel_distance(&a, &b);
        let shifted = kernel_distance(&a, &c);
        assert!(same.abs() < 0.05, "same distribution: {same}");
        assert!(
            shifted > 10.0 * same.abs().max(1e-3),
            "shifted {shifted} vs same {same}"
        );
    }

    #[test]
    fn edge_agreement_is_one_for_a_colour_change_and_low_for_a_blur_of_noise() {
        let mut rng = drivegen_plan::streams::stream(2, "edge-test");
        let raw = RgbImage::from_fn(32, 32, |_, _| {
            let v: u8 = rng.random_range(0..200);
            image::Rgb([v, v, v])
        });
        let brighter = RgbImage::from_fn(32, 32, |x, y| {
            let v = raw.get_pixel(x, y).0[0] + 40;
            image::Rgb([v, v, v])
        });
        let flat = RgbImage::from_pixel(32, 32, image::Rgb([90, 90, 90]));
        let mask = vec![7u16; 32 * 32];
        let keep = edge_agreement(&raw, &brighter, &mask);
        let erase = edge_agreement(&raw, &flat, &mask);
        assert!((keep[&7] - 1.0).abs() < 1e-6, "{keep:?}");
        assert!(erase[&7].abs() < 1e-6, "{erase:?}");
    }
}
