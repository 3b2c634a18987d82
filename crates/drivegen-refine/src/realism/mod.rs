//! A classifier two-sample test of realism: can a simple classifier tell patches of one
//! image set (e.g. renders) from patches of another (a real camera)?
//!
//! Every image is resized to one height first, so camera resolution does not give the
//! domain away, and square patches are cut at seeded positions (a named ChaCha8 stream
//! per domain). Each patch becomes a vector of low-level statistics (opponent-colour
//! means and spreads, saturation, luma quantiles, a gradient-magnitude histogram,
//! Laplacian and chroma high-frequency energy, a noise estimate, local contrast, edge
//! orientation balance). An L2-regularised logistic regression (Newton's method, so
//! deterministic) is trained on the patches of half of each domain's images and scored on
//! the other half. Images are split, never patches: a domain's images (in time order) are
//! cut into contiguous blocks that alternate between the halves, so correlated
//! neighbouring frames of a video stay together as far as a block goes.
//!
//! Held-out balanced accuracy near 0.5 means the classifier cannot tell the sets apart
//! (1.0: perfectly separable). Per-patch accuracy has many samples, but patches of one
//! image are correlated, so its interval is too narrow; the per-image accuracy (mean
//! score over an image's patches) is the honest one. The existing KID on the random
//! conv net's features ([`crate::metrics`]) is computed on the same held-out patches.

use std::borrow::Cow;

use burn::backend::Flex;
use burn::prelude::*;
use image::{GrayImage, RgbImage};
use rand::RngExt;
use serde::Serialize;

use crate::error::RefineError;
use crate::metrics::{RandomFeatures, kernel_distance};

mod by_class;
mod features;
mod logistic;

pub use by_class::ClassCatch;

pub use features::{
    FEATURE_GROUPS, FEATURE_NAMES, FEATURES, FeatureGroup, GRADIENT_BIN_EDGES, patch_features,
};
use logistic::fit_logistic;

/// Settings of the test; the defaults are the ones the README's table was measured with.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RealismConfig {
    /// Every image is resized to this height (aspect kept) before patches are cut.
    pub height: u32,
    /// Side of the square patches.
    pub patch: usize,
    /// Patches per domain, spread evenly over its images.
    pub patches: usize,
    /// Contiguous blocks per domain, alternating train / held-out.
    pub blocks: usize,
    /// L2 penalty on the (standardised) logistic-regression weights.
    pub l2: f64,
    /// Held-out patches per domain fed to the KID (its cost grows with the square).
    pub kid_patches: usize,
    pub seed: u64,
}

impl Default for RealismConfig {
    fn default() -> RealismConfig {
        RealismConfig {
            height: 192,
            patch: 32,
            patches: 2048,
            blocks: 4,
            l2: 1e-2,
            kid_patches: 512,
            seed: 7,
        }
    }
}

/// Resizes an image to `height` rows, keeping its aspect ratio.
pub fn to_height(img: &RgbImage, height: u32) -> RgbImage {
    if img.height() == height {
        return img.clone();
    }
    let width = width_at(img.width(), img.height(), height);
    image::imageops::resize(img, width, height, image::imageops::FilterType::Triangle)
}

/// The width of a `width` x `height` image resized to `to_height` rows (aspect kept), as
/// [`to_height`] resizes it; label maps are resized to the same size.
pub fn width_at(width: u32, height: u32, to_height: u32) -> u32 {
    ((f64::from(width) * f64::from(to_height) / f64::from(height)).round() as u32).max(1)
}

/// Which half each of `n` images (in time order) belongs to: `true` = training half.
/// Image `i` is in block `i * blocks / n` (at most `n` blocks); even blocks train, odd
/// blocks are held out.
pub fn split_halves(n: usize, blocks: usize) -> Vec<bool> {
    // Never more blocks than images, so both halves get at least one.
    let blocks = blocks.max(2).min(n.max(1));
    (0..n)
        .map(|i| (i * blocks / n.max(1)).is_multiple_of(2))
        .collect()
}

/// The patches of one domain: features, the image each came from, and which half.
#[derive(Clone, Debug)]
pub struct PatchSet {
    pub name: String,
    pub images: usize,
    /// Per image: in the training half?
    pub train_image: Vec<bool>,
    pub features: Vec<[f64; FEATURES]>,
    /// Index of the image each patch was cut from.
    pub image: Vec<usize>,
    /// The semantic class covering most of each patch, when the set came with label maps.
    pub class: Vec<Option<u8>>,
    /// The held-out patches as planar f32 RGB in [0, 1], for the KID (at most
    /// `kid_patches`).
    kid: Vec<f32>,
}

impl PatchSet {
    /// Cuts patches from `images` (in time order; any sizes) with the named stream
    /// `realism/<stream>` of the config's seed.
    pub fn sample(
        name: &str,
        images: &[RgbImage],
        config: &RealismConfig,
        stream: &str,
    ) -> Result<PatchSet, RefineError> {
        PatchSet::sample_with_classes(name, images, None, config, stream)
    }

    /// [`PatchSet::sample`], also noting the semantic class that covers most of each
    /// patch from `classes` (one label map per image, any size: resized to the image
    /// with nearest-neighbour). The patches and so the test's result are the same with
    /// or without label maps.
    pub fn sample_with_classes(
        name: &str,
        images: &[RgbImage],
        classes: Option<&[GrayImage]>,
        config: &RealismConfig,
        stream: &str,
    ) -> Result<PatchSet, RefineError> {
        let n = images.len();
        if let Some(c) = classes.filter(|c| c.len() != n) {
            return Err(RefineError::Invalid(format!(
                "{name}: {} label maps for {n} images",
                c.len()
            )));
        }
        if n < 2 {
            return Err(RefineError::Invalid(format!(
                "{name}: the realism test needs at least 2 images (one per half), got {n}"
            )));
        }
        let s = config.patch;
        if s < 8 || config.height < s as u32 {
            return Err(RefineError::Invalid(format!(
                "patch {s} must be at least 8 and no larger than the height {}",
                config.height
            )));
        }
        let mut rng = drivegen_plan::streams::stream(config.seed, &format!("realism/{stream}"));
        let train_image = split_halves(n, config.blocks);
        let held_out = train_image.iter().filter(|t| !**t).count().max(1);
        let kid_per_image = config.kid_patches.div_ceil(held_out);
        let mut set = PatchSet {
            name: name.to_string(),
            images: n,
            train_image,
            features: Vec::new(),
            image: Vec::new(),
            class: Vec::new(),
            kid: Vec::new(),
        };
        let mut buf = vec![0u8; s * s * 3];
        for (i, img) in images.iter().enumerate() {
            let img = to_height(img, config.height);
            let (w, h) = (img.width() as usize, img.height() as usize);
            if w < s {
                return Err(RefineError::Invalid(format!(
                    "{name}: image {i} is {w} px wide at height {h}, narrower than a {s} px patch"
                )));
            }
            let count = config.patches / n + usize::from(i < config.patches % n);
            let labels = classes.map(|c| {
                if c[i].dimensions() == (w as u32, h as u32) {
                    Cow::Borrowed(&c[i])
                } else {
                    let nearest = image::imageops::Nearest;
                    Cow::Owned(image::imageops::resize(&c[i], w as u32, h as u32, nearest))
                }
            });
            let raw = img.as_raw();
            for j in 0..count {
                let x0 = rng.random_range(0..=w - s);
                let y0 = rng.random_range(0..=h - s);
                for y in 0..s {
                    let row = ((y0 + y) * w + x0) * 3;
                    buf[y * s * 3..(y + 1) * s * 3].copy_from_slice(&raw[row..row + s * 3]);
                }
                set.features.push(patch_features(&buf, s));
                set.image.push(i);
                set.class
                    .push(labels.as_ref().map(|l| by_class::majority(l, x0, y0, s)));
                if !set.train_image[i]
                    && j < kid_per_image
                    && set.kid.len() < config.kid_patches * 3 * s * s
                {
                    let start = set.kid.len();
                    set.kid.resize(start + 3 * s * s, 0.0);
                    for (p, px) in buf.chunks_exact(3).enumerate() {
                        for (c, v) in px.iter().enumerate() {
                            set.kid[start + c * s * s + p] = f32::from(*v) / 255.0;
                        }
                    }
                }
            }
        }
        Ok(set)
    }

    fn images_in(&self, train: bool) -> usize {
        self.train_image.iter().filter(|t| **t == train).count()
    }
    fn patches_in(&self, train: bool) -> usize {
        self.image
            .iter()
            .filter(|i| self.train_image[**i] == train)
            .count()
    }
}

/// An accuracy with its 95 % Wilson interval over `n` trials.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Accuracy {
    pub accuracy: f64,
    pub low: f64,
    pub high: f64,
    pub n: usize,
}

impl Accuracy {
    pub fn new(accuracy: f64, n: usize) -> Accuracy {
        let z = 1.96f64;
        let nf = n.max(1) as f64;
        let centre = (accuracy + z * z / (2.0 * nf)) / (1.0 + z * z / nf);
        let half = z / (1.0 + z * z / nf)
            * (accuracy * (1.0 - accuracy) / nf + z * z / (4.0 * nf * nf)).sqrt();
        Accuracy {
            accuracy,
            low: (centre - half).max(0.0),
            high: (centre + half).min(1.0),
            n,
        }
    }
    /// Whether chance (0.5) lies inside the interval.
    pub fn includes_chance(&self) -> bool {
        self.low <= 0.5 && 0.5 <= self.high
    }
}

impl std::fmt::Display for Accuracy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:.3} [{:.3}, {:.3}]",
            self.accuracy, self.low, self.high
        )
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DomainSummary {
    pub name: String,
    pub images: usize,
    pub train_images: usize,
    pub test_images: usize,
    pub train_patches: usize,
    pub test_patches: usize,
}

impl DomainSummary {
    fn of(set: &PatchSet) -> DomainSummary {
        DomainSummary {
            name: set.name.clone(),
            images: set.images,
            train_images: set.images_in(true),
            test_images: set.images_in(false),
            train_patches: set.patches_in(true),
            test_patches: set.patches_in(false),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RealismReport {
    pub a: DomainSummary,
    pub b: DomainSummary,
    /// Held-out balanced accuracy per patch (0.5 = indistinguishable).
    pub patch_accuracy: Accuracy,
    /// Held-out balanced accuracy per image (mean score of its patches).
    pub image_accuracy: Accuracy,
    /// Training accuracy per patch (how separable the training half is).
    pub train_patch_accuracy: f64,
    /// KID on the fixed random conv net's features of the held-out patches.
    pub kid_random_conv: f64,
    /// Logistic-regression weights per standardised feature (largest = most telling).
    pub weights: Vec<f64>,
    /// How often `a`'s held-out patches were told apart, by the semantic class each
    /// shows (when `a` came with label maps): what in the frames gives them away.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub caught_by_class: Vec<ClassCatch>,
}

/// Balanced accuracy: the mean of the two classes' accuracies.
fn balanced(correct: [usize; 2], total: [usize; 2]) -> f64 {
    let rate = |i: usize| correct[i] as f64 / total[i].max(1) as f64;
    0.5 * (rate(0) + rate(1))
}

/// One patch in the classifier's table: standardised features, label (from `b`), the
/// image it was cut from, and whether that image is in the training half.
struct Row {
    x: [f64; FEATURES],
    from_b: bool,
    image: usize,
    train: bool,
    class: Option<u8>,
}

/// The patches of both sets, standardised on the training half of both.
fn standardised_rows(a: &PatchSet, b: &PatchSet) -> Vec<Row> {
    let train_rows: Vec<&[f64; FEATURES]> = [a, b]
        .iter()
        .flat_map(|set| {
            set.features
                .iter()
                .zip(&set.image)
                .filter(|(_, i)| set.train_image[**i])
                .map(|(f, _)| f)
        })
        .collect();
    let nf = train_rows.len().max(1) as f64;
    let mut mean = [0.0f64; FEATURES];
    let mut sd = [0.0f64; FEATURES];
    for r in &train_rows {
        for j in 0..FEATURES {
            mean[j] += r[j] / nf;
        }
    }
    for r in &train_rows {
        for j in 0..FEATURES {
            sd[j] += (r[j] - mean[j]).powi(2) / nf;
        }
    }
    let sd = sd.map(|v| v.sqrt().max(1e-9));
    let mut rows = Vec::new();
    for (from_b, set) in [(false, a), (true, b)] {
        for (k, (f, i)) in set.features.iter().zip(&set.image).enumerate() {
            let mut x = [0.0f64; FEATURES];
            for j in 0..FEATURES {
                x[j] = (f[j] - mean[j]) / sd[j];
            }
            rows.push(Row {
                x,
                from_b,
                image: *i,
                train: set.train_image[*i],
                class: set.class.get(k).copied().flatten(),
            });
        }
    }
    rows
}

/// What a classifier fitted on the training rows scores.
struct Classified {
    patch: Accuracy,
    image: Accuracy,
    train_patch: f64,
    weights: [f64; FEATURES],
    /// `a`'s held-out patches told apart, by the class they show.
    caught_by_class: Vec<ClassCatch>,
}

/// Fits the classifier on the training rows, seeing only the features `keep` allows,
/// and scores it per held-out patch and per held-out image.
fn classify(rows: &[Row], keep: impl Fn(usize) -> bool, l2: f64) -> Classified {
    let masked: Vec<[f64; FEATURES]> = rows
        .iter()
        .map(|r| std::array::from_fn(|j| if keep(j) { r.x[j] } else { 0.0 }))
        .collect();
    let (train_x, train_y): (Vec<&[f64; FEATURES]>, Vec<bool>) = rows
        .iter()
        .zip(&masked)
        .filter(|(r, _)| r.train)
        .map(|(r, x)| (x, r.from_b))
        .unzip();
    let (w, bias) = fit_logistic(&train_x, &train_y, l2);
    let score = |x: &[f64; FEATURES]| {
        let z = bias + (0..FEATURES).map(|j| w[j] * x[j]).sum::<f64>();
        1.0 / (1.0 + (-z).exp())
    };

    let (mut correct, mut total) = ([0usize; 2], [0usize; 2]);
    let (mut train_correct, mut train_total) = ([0usize; 2], [0usize; 2]);
    // Per held-out image: (sum of scores, patches), keyed by (label, image).
    let mut per_image = std::collections::BTreeMap::<(bool, usize), (f64, usize)>::new();
    // `a`'s held-out patches with a class: (class, told apart).
    let mut held_out_classes = Vec::new();
    for (r, x) in rows.iter().zip(&masked) {
        let p = score(x);
        let hit = (p > 0.5) == r.from_b;
        let c = usize::from(r.from_b);
        if r.train {
            train_total[c] += 1;
            train_correct[c] += usize::from(hit);
        } else {
            total[c] += 1;
            correct[c] += usize::from(hit);
            if let (false, Some(class)) = (r.from_b, r.class) {
                held_out_classes.push((class, hit));
            }
            let e = per_image.entry((r.from_b, r.image)).or_default();
            e.0 += p;
            e.1 += 1;
        }
    }
    let (mut img_correct, mut img_total) = ([0usize; 2], [0usize; 2]);
    for ((label, _), (sum, count)) in &per_image {
        let c = usize::from(*label);
        img_total[c] += 1;
        img_correct[c] += usize::from((sum / *count as f64 > 0.5) == *label);
    }
    Classified {
        patch: Accuracy::new(balanced(correct, total), total[0] + total[1]),
        image: Accuracy::new(
            balanced(img_correct, img_total),
            img_total[0] + img_total[1],
        ),
        train_patch: balanced(train_correct, train_total),
        weights: w,
        caught_by_class: by_class::tally(held_out_classes.into_iter()),
    }
}

/// Whether a fit's candidate clearly beats the best so far: by more than the test's
/// sampling noise (about half a point) plus a margin, since chasing the noise would make
/// a fit's result arbitrary.
pub fn clearly_lower(accuracy: f64, best: f64) -> bool {
    accuracy < best - 0.002
}

/// The classifier two-sample test of `a` against `b`, plus the KID of their held-out
/// patches.
pub fn two_sample(a: &PatchSet, b: &PatchSet, config: &RealismConfig) -> RealismReport {
    let all = classify(&standardised_rows(a, b), |_| true, config.l2);
    RealismReport {
        a: DomainSummary::of(a),
        b: DomainSummary::of(b),
        patch_accuracy: all.patch,
        image_accuracy: all.image,
        train_patch_accuracy: all.train_patch,
        kid_random_conv: kid(a, b, config),
        weights: all.weights.to_vec(),
        caught_by_class: all.caught_by_class,
    }
}

/// How much one group of statistics gives a set away: the held-out per-patch accuracy
/// of the test seeing only that group, and seeing everything but it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GroupAccuracy {
    pub group: String,
    pub alone: f64,
    pub without: f64,
}

/// The two-sample test repeated per [`FEATURE_GROUPS`] entry: which aspect of the
/// frames (tone, colour, fine detail and noise, structure) tells `a` from `b`.
pub fn group_accuracies(a: &PatchSet, b: &PatchSet, config: &RealismConfig) -> Vec<GroupAccuracy> {
    let rows = standardised_rows(a, b);
    FEATURE_GROUPS
        .iter()
        .map(|g| {
            let inside = |j: usize| g.features.contains(&j);
            GroupAccuracy {
                group: g.name.to_string(),
                alone: classify(&rows, inside, config.l2).patch.accuracy,
                without: classify(&rows, |j| !inside(j), config.l2).patch.accuracy,
            }
        })
        .collect()
}

/// KID between the held-out patches of two sets on the random conv net's features.
/// NaN (`null` in the JSON report) when a set kept no patches for it (`kid_patches: 0`).
fn kid(a: &PatchSet, b: &PatchSet, config: &RealismConfig) -> f64 {
    if a.kid.is_empty() || b.kid.is_empty() {
        return f64::NAN;
    }
    let device = Default::default();
    let net = RandomFeatures::<Flex>::new(config.seed, &device);
    let s = config.patch;
    let features = |set: &PatchSet| -> Vec<Vec<f32>> {
        let per = 3 * s * s;
        let mut out = Vec::new();
        for chunk in set.kid.chunks(per * 64) {
            let n = chunk.len() / per;
            let x = Tensor::<Flex, 4>::from_data(
                TensorData::new(chunk.to_vec(), [n, 3, s, s]),
                &device,
            );
            out.extend(net.features(x));
        }
        out
    };
    kernel_distance(&features(a), &features(b))
}

#[cfg(test)]
mod tests;
