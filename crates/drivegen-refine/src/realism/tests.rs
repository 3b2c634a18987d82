//! The realism test's unit tests on synthetic "cameras".

use super::*;

/// A synthetic "camera": smooth colour gradients plus noise of a given strength and
/// a blur-free or blurred look.
fn domain(seed: u64, n: usize, noise: f64, tint: [f64; 3], size: (u32, u32)) -> Vec<RgbImage> {
    let mut rng = drivegen_plan::streams::stream(seed, "synthetic");
    (0..n)
        .map(|_| {
            let phase: f64 = rng.random_range(0.0..6.0);
            let freq: f64 = rng.random_range(0.01..0.05);
            let mut img = RgbImage::new(size.0, size.1);
            for (x, y, p) in img.enumerate_pixels_mut() {
                let base = 0.5 + 0.3 * (phase + freq * f64::from(x + y)).sin();
                for (out, t) in p.0.iter_mut().zip(tint) {
                    let v = base * t + noise * rng.random_range(-1.0..1.0);
                    *out = (v.clamp(0.0, 1.0) * 255.0).round() as u8;
                }
            }
            img
        })
        .collect()
}

fn small() -> RealismConfig {
    RealismConfig {
        height: 64,
        patch: 16,
        patches: 400,
        kid_patches: 64,
        ..RealismConfig::default()
    }
}

#[test]
fn clearly_different_domains_separate() {
    let c = small();
    let clean = domain(1, 20, 0.01, [1.0, 1.0, 1.0], (96, 64));
    let noisy = domain(2, 20, 0.12, [1.0, 0.9, 0.8], (96, 64));
    let a = PatchSet::sample("clean", &clean, &c, "a").expect("patches");
    let b = PatchSet::sample("noisy", &noisy, &c, "b").expect("patches");
    let r = two_sample(&a, &b, &c);
    assert!(r.patch_accuracy.accuracy > 0.9, "{r:?}");
    assert!(r.image_accuracy.accuracy > 0.9, "{r:?}");
    assert!(!r.patch_accuracy.includes_chance());
}

#[test]
fn two_halves_of_one_domain_do_not_separate() {
    let c = small();
    let all = domain(3, 40, 0.05, [1.0, 0.95, 0.9], (96, 64));
    let (first, second) = all.split_at(20);
    let a = PatchSet::sample("first", first, &c, "a").expect("patches");
    let b = PatchSet::sample("second", second, &c, "b").expect("patches");
    let r = two_sample(&a, &b, &c);
    assert!(r.image_accuracy.includes_chance(), "{r:?}");
    assert!(
        (r.patch_accuracy.accuracy - 0.5).abs() < 0.1,
        "{:?}",
        r.patch_accuracy
    );
}

#[test]
fn the_split_keeps_each_image_in_one_half_and_both_halves_filled() {
    for n in 2..60 {
        let s = split_halves(n, 4);
        assert!(s.iter().any(|t| *t) && s.iter().any(|t| !*t), "n = {n}");
        // Contiguous: at most `blocks` runs.
        let runs = 1 + s.windows(2).filter(|w| w[0] != w[1]).count();
        assert!(runs <= 4, "n = {n}: {s:?}");
    }
    let c = small();
    let imgs = domain(4, 9, 0.05, [1.0; 3], (80, 64));
    let set = PatchSet::sample("x", &imgs, &c, "a").expect("patches");
    // Every patch carries its image's half; no image has patches in both.
    for i in 0..imgs.len() {
        let halves: std::collections::BTreeSet<bool> = set
            .image
            .iter()
            .filter(|j| **j == i)
            .map(|j| set.train_image[*j])
            .collect();
        assert_eq!(halves.len(), 1, "image {i}");
    }
    assert_eq!(set.features.len(), c.patches);
}

#[test]
fn images_of_different_sizes_work_and_results_are_deterministic() {
    let c = small();
    let mut a_imgs = domain(5, 6, 0.02, [1.0; 3], (200, 120));
    a_imgs.extend(domain(6, 6, 0.02, [1.0; 3], (50, 40)));
    let b_imgs = domain(7, 10, 0.08, [1.0; 3], (640, 480));
    let run = || {
        let a = PatchSet::sample("a", &a_imgs, &c, "a").expect("patches");
        let b = PatchSet::sample("b", &b_imgs, &c, "b").expect("patches");
        two_sample(&a, &b, &c)
    };
    let (r1, r2) = (run(), run());
    assert_eq!(r1, r2);
    assert!(r1.kid_random_conv.is_finite());
    assert!(PatchSet::sample("one", &a_imgs[..1], &c, "a").is_err());
}

#[test]
fn the_feature_groups_cover_every_statistic_once() {
    let mut seen = [0usize; FEATURES];
    for g in &FEATURE_GROUPS {
        for j in g.features {
            seen[*j] += 1;
        }
    }
    assert_eq!(seen, [1; FEATURES]);
    assert!(FEATURE_NAMES.iter().all(|n| !n.is_empty()));
}

#[test]
fn the_group_that_differs_is_the_one_that_tells() {
    let c = small();
    let clean = domain(8, 20, 0.01, [1.0; 3], (96, 64));
    let noisy = domain(9, 20, 0.10, [1.0; 3], (96, 64));
    let tinted = domain(10, 20, 0.01, [1.0, 0.8, 0.6], (96, 64));
    let a = PatchSet::sample("clean", &clean, &c, "a").expect("patches");
    let by = |other: &[RgbImage]| {
        let b = PatchSet::sample("b", other, &c, "b").expect("patches");
        group_accuracies(&a, &b, &c)
    };
    let get = |groups: &[GroupAccuracy], name: &str| {
        groups
            .iter()
            .find(|g| g.group == name)
            .map(|g| g.alone)
            .expect("group")
    };
    let noise = by(&noisy);
    assert!(get(&noise, "fine detail and noise") > 0.9, "{noise:?}");
    assert!(get(&noise, "tone") < 0.75, "{noise:?}");
    let tint = by(&tinted);
    assert!(get(&tint, "colour") > 0.9, "{tint:?}");
    assert!(
        get(&tint, "fine detail and noise") < get(&tint, "colour"),
        "{tint:?}"
    );
}

#[test]
fn wilson_interval_brackets_the_estimate() {
    let a = Accuracy::new(0.5, 40);
    assert!(a.includes_chance() && a.low > 0.3 && a.high < 0.7);
    let b = Accuracy::new(0.98, 1000);
    assert!(!b.includes_chance() && b.low > 0.96);
}

#[test]
fn the_class_that_differs_is_the_one_caught() {
    let c = small();
    // "Renders" whose left half (road, id 7) is grainy and right half (sky, 23) clean,
    // against clean "real" frames.
    let mut rendered = domain(21, 20, 0.01, [1.0, 1.0, 1.0], (96, 64));
    let mut rng = drivegen_plan::streams::stream(9, "grain");
    for img in &mut rendered {
        for (x, _, p) in img.enumerate_pixels_mut() {
            if x < 48 {
                for v in &mut p.0 {
                    let g: f64 = rng.random_range(-30.0..30.0);
                    *v = (f64::from(*v) + g).clamp(0.0, 255.0) as u8;
                }
            }
        }
    }
    let labels: Vec<GrayImage> = (0..rendered.len())
        // Label maps at twice the size: they are resized to the image.
        .map(|_| GrayImage::from_fn(192, 128, |x, _| image::Luma([if x < 96 { 7 } else { 23 }])))
        .collect();
    let real = domain(22, 20, 0.01, [1.0, 1.0, 1.0], (96, 64));
    let a = PatchSet::sample_with_classes("rendered", &rendered, Some(&labels), &c, "a")
        .expect("patches");
    let b = PatchSet::sample("real", &real, &c, "b").expect("patches");
    let r = two_sample(&a, &b, &c);
    let caught = |name: &str| {
        r.caught_by_class
            .iter()
            .find(|k| k.class == name)
            .unwrap_or_else(|| panic!("no {name} in {:?}", r.caught_by_class))
    };
    assert!(caught("road").caught > 0.9, "{:?}", r.caught_by_class);
    assert!(caught("sky").caught < 0.6, "{:?}", r.caught_by_class);
    assert_eq!(caught("road").id, 7);
    let held_out: usize = r.caught_by_class.iter().map(|k| k.patches).sum();
    assert_eq!(held_out, r.a.test_patches);
    // Label maps only annotate: the same patches, the same result.
    let plain = PatchSet::sample("rendered", &rendered, &c, "a").expect("patches");
    let p = two_sample(&plain, &b, &c);
    assert_eq!(p.patch_accuracy, r.patch_accuracy);
    assert!(p.caught_by_class.is_empty());
    // One label map per image.
    assert!(
        PatchSet::sample_with_classes("rendered", &rendered, Some(&labels[..3]), &c, "a").is_err()
    );
}
