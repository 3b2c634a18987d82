//! The camera sensor model's image pipeline on RGB against its definitions: a neutral
//! pipeline returns every value, exposure and white balance scale linear light, vignetting
//! takes its share from the corners, noise follows shot and read noise at the ISO and is
//! keyed only by seed, frame and camera, chromatic aberration, defocus, glare,
//! auto-exposure, motion blur, chroma blur and JPEG do what their fields say.

use drivegen_labels::camera::Camera;
use drivegen_labels::math::{V3, v3};
use drivegen_labels::sensor;
use drivegen_plan::SensorPlan;

mod label_fixtures;
use label_fixtures::level_camera;

const W: u32 = 320;
const H: u32 = 192;

fn camera() -> Camera {
    level_camera(W, H)
}

fn centroid(weight: impl Fn(usize) -> f64) -> (f64, f64) {
    label_fixtures::centroid(W, H, weight)
}

/// A flat image of one linear value in every channel.
fn flat(linear: f64) -> Vec<u8> {
    let c = 1.055 * linear.powf(1.0 / 2.4) - 0.055;
    let v = (c * 255.0).round() as u8;
    (0..W * H).flat_map(|_| [v, v, v, 255]).collect()
}

fn to_linear(v: u8) -> f64 {
    let c = f64::from(v) / 255.0;
    if c <= 0.04045 {
        c / 12.92
    } else {
        ((c + 0.055) / 1.055).powf(2.4)
    }
}

fn neutral() -> SensorPlan {
    SensorPlan {
        read_noise: 3.0,
        ..SensorPlan::neutral(99)
    }
}

fn developed(image: &[u8], s: &SensorPlan, frame: u32, index: u32) -> Vec<u8> {
    let mut out = image.to_vec();
    sensor::isp::develop(&mut out, &camera(), s, frame, index);
    out
}

/// Mean and standard deviation of a channel in linear light.
fn linear_stats(image: &[u8], c: usize) -> (f64, f64) {
    let v: Vec<f64> = image.chunks(4).map(|p| to_linear(p[c])).collect();
    let mean = v.iter().sum::<f64>() / v.len() as f64;
    let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / v.len() as f64;
    (mean, var.sqrt())
}

#[test]
fn a_neutral_pipeline_returns_every_value() {
    let image: Vec<u8> = (0..W * H)
        .flat_map(|i| {
            [
                (i % 256) as u8,
                (i / 7 % 256) as u8,
                (i / 3 % 256) as u8,
                255,
            ]
        })
        .collect();
    assert_eq!(developed(&image, &neutral(), 0, 0), image);
    // Not neutral in name (a vanishing vignette): through linear light and back, still
    // every 8-bit value.
    let s = SensorPlan {
        vignetting: 1e-15,
        ..neutral()
    };
    assert!(!sensor::isp::is_neutral(&s));
    assert_eq!(developed(&image, &s, 0, 0), image);
}

#[test]
fn exposure_and_white_balance_scale_linear_light() {
    let image = flat(0.2);
    let s = SensorPlan {
        exposure_ev: 1.0,
        white_balance: [1.5, 1.0, 0.5],
        ..neutral()
    };
    let out = developed(&image, &s, 0, 0);
    let base = to_linear(image[0]);
    for (c, gain) in [(0, 3.0), (1, 2.0), (2, 1.0)] {
        let (mean, std) = linear_stats(&out, c);
        assert!(std < 1e-9);
        assert!(
            (mean / base - gain).abs() < 0.02,
            "channel {c}: {mean} vs {base} x {gain}"
        );
    }
}

#[test]
fn saturation_scales_colour_around_luma_and_contrast_pivots_on_mid_grey() {
    // A reddish flat image: (0.4, 0.2, 0.1) in linear light.
    let px = |l: f64| {
        let c = 1.055 * l.powf(1.0 / 2.4) - 0.055;
        (c * 255.0).round() as u8
    };
    let image: Vec<u8> = (0..W * H)
        .flat_map(|_| [px(0.4), px(0.2), px(0.1), 255])
        .collect();
    let grey = developed(
        &image,
        &SensorPlan {
            saturation: 0.0,
            ..neutral()
        },
        0,
        0,
    );
    let luma =
        0.2126 * to_linear(image[0]) + 0.7152 * to_linear(image[1]) + 0.0722 * to_linear(image[2]);
    for c in 0..3 {
        let (mean, _) = linear_stats(&grey, c);
        assert!(
            (mean - luma).abs() < 0.004,
            "channel {c}: {mean} vs luma {luma}"
        );
    }
    let vivid = developed(
        &image,
        &SensorPlan {
            saturation: 1.5,
            ..neutral()
        },
        0,
        0,
    );
    assert!(vivid[0] > image[0] && vivid[2] < image[2], "more saturated");

    // Contrast 0.5 halves every display value's distance from mid-grey.
    let ramp: Vec<u8> = (0..W * H)
        .flat_map(|i| {
            let v = (i % 256) as u8;
            [v, v, v, 255]
        })
        .collect();
    let soft = developed(
        &ramp,
        &SensorPlan {
            contrast: 0.5,
            ..neutral()
        },
        0,
        0,
    );
    for (a, b) in ramp.chunks(4).zip(soft.chunks(4)).take(256) {
        let expected = 127.5 + 0.5 * (f64::from(a[0]) - 127.5);
        assert!(
            (f64::from(b[0]) - expected).abs() <= 1.0,
            "{} -> {} (expected {expected})",
            a[0],
            b[0]
        );
    }
    assert_eq!(soft[0], 64, "black lifted to a quarter");
}

#[test]
fn vignetting_darkens_the_corners_by_its_share() {
    let image = flat(0.5);
    let s = SensorPlan {
        vignetting: 0.4,
        ..neutral()
    };
    let out = developed(&image, &s, 0, 0);
    let base = to_linear(image[0]);
    let at = |i: u32, j: u32| to_linear(out[((j * W + i) * 4) as usize]) / base;
    assert!((at(W / 2, H / 2) - 1.0).abs() < 0.01);
    for (i, j) in [(0, 0), (W - 1, 0), (0, H - 1), (W - 1, H - 1)] {
        assert!(
            (at(i, j) - 0.6).abs() < 0.01,
            "corner ({i}, {j}): {}",
            at(i, j)
        );
    }
    // Halfway out, a quarter of the loss.
    assert!((at(W / 2 + W / 4, H / 2 + H / 4) - 0.9).abs() < 0.01);
}

#[test]
fn noise_follows_shot_and_read_noise_at_the_iso() {
    let level = 0.18;
    let image = flat(level);
    let l = to_linear(image[0]);
    for iso in [1600.0, 6400.0] {
        let s = SensorPlan {
            iso,
            read_noise: 3.0,
            ..neutral()
        };
        let out = developed(&image, &s, 4, 0);
        let electrons = sensor::isp::FULL_WELL * 100.0 / iso;
        let expected = (l * electrons + 9.0).sqrt() / electrons;
        for c in 0..3 {
            let (mean, std) = linear_stats(&out, c);
            assert!((mean - l).abs() < 0.02 * l, "ISO {iso}: mean {mean} vs {l}");
            assert!(
                (std / expected - 1.0).abs() < 0.1,
                "ISO {iso}: noise {std} vs the model's {expected}"
            );
        }
    }
}

#[test]
fn noise_depends_only_on_seed_frame_and_camera() {
    let image = flat(0.3);
    let s = SensorPlan {
        iso: 800.0,
        ..neutral()
    };
    let a = developed(&image, &s, 5, 1);
    assert_eq!(a, developed(&image, &s, 5, 1), "same key, same noise");
    assert_ne!(a, developed(&image, &s, 6, 1), "another frame");
    assert_ne!(a, developed(&image, &s, 5, 0), "another camera");
    let other = SensorPlan {
        noise_seed: 100,
        ..s.clone()
    };
    assert_ne!(a, developed(&image, &other, 5, 1), "another variant's seed");
    // Developed on several threads at once: the same bytes.
    let threads: Vec<Vec<u8>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|_| scope.spawn(|| developed(&image, &s, 5, 1)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .collect()
    });
    assert!(threads.iter().all(|t| *t == a));
}

/// A black image with white squares of `side` pixels at the given top-left corners.
fn spots(corners: &[(u32, u32)], side: u32) -> Vec<u8> {
    let mut image: Vec<u8> = (0..W * H).flat_map(|_| [0, 0, 0, 255]).collect();
    for (x0, y0) in corners {
        for j in *y0..y0 + side {
            for i in *x0..x0 + side {
                let k = ((j * W + i) * 4) as usize;
                image[k..k + 3].copy_from_slice(&[255, 255, 255]);
            }
        }
    }
    image
}

/// Centroid and spread (standard deviation, pixels) of a channel's linear light.
fn spot_stats(image: &[u8], c: usize) -> ((f64, f64), f64) {
    let weight = |p: usize| to_linear(image[p * 4 + c]);
    let (mx, my) = centroid(weight);
    let (mut var, mut total) = (0.0, 0.0);
    for j in 0..H as usize {
        for i in 0..W as usize {
            let w = weight(j * W as usize + i);
            var += w * ((i as f64 + 0.5 - mx).powi(2) + (j as f64 + 0.5 - my).powi(2));
            total += w;
        }
    }
    ((mx, my), (var / total / 2.0).sqrt())
}

#[test]
fn chromatic_aberration_moves_red_out_and_blue_in_by_the_shift_at_the_corner() {
    let shift = 2.0;
    let s = SensorPlan {
        chromatic_aberration: shift,
        ..neutral()
    };
    // A spot three quarters of the way to the bottom-right corner.
    let cam = camera();
    let image = spots(&[(276, 164)], 4);
    let out = developed(&image, &s, 0, 0);
    let ((gx, gy), _) = spot_stats(&out, 1);
    let corner = (cam.cx * cam.cx + cam.cy * cam.cy).sqrt();
    let r = ((gx - cam.cx).powi(2) + (gy - cam.cy).powi(2)).sqrt();
    let expected = shift * r / corner;
    assert!(expected > 1.2);
    for (c, sign) in [(0, 1.0), (2, -1.0)] {
        let ((x, y), _) = spot_stats(&out, c);
        let moved = ((x - cam.cx).powi(2) + (y - cam.cy).powi(2)).sqrt() - r;
        assert!(
            (moved - sign * expected).abs() < 0.25,
            "channel {c}: moved {moved:.2} px, expected {:.2}",
            sign * expected
        );
    }
    // Green stays where it was.
    let ((x0, y0), _) = spot_stats(&image, 1);
    assert!((gx - x0).abs() < 1e-9 && (gy - y0).abs() < 1e-9);
}

#[test]
fn defocus_spreads_a_point_by_its_sigma_and_keeps_flat_areas() {
    let sigma = 1.5;
    let s = SensorPlan {
        defocus: sigma,
        ..neutral()
    };
    let image = spots(&[(160, 96)], 1);
    let out = developed(&image, &s, 0, 0);
    let (_, spread) = spot_stats(&out, 1);
    // 8-bit quantisation drops the faintest tail: a little under sigma.
    assert!(
        (spread / sigma - 1.0).abs() < 0.1,
        "spread {spread:.3} px for sigma {sigma}"
    );
    let (_, before) = spot_stats(&image, 1);
    assert!(before < 0.5);
    let flat_image = flat(0.3);
    assert_eq!(developed(&flat_image, &s, 0, 0), flat_image);
}

/// JFIF chroma (Cb, Cr) and luma of an sRGB pixel.
fn ycbcr(p: &[u8]) -> [f64; 3] {
    let [r, g, b] = [p[0], p[1], p[2]].map(f64::from);
    [
        0.299 * r + 0.587 * g + 0.114 * b,
        -0.168_736 * r - 0.331_264 * g + 0.5 * b,
        0.5 * r - 0.418_688 * g - 0.081_312 * b,
    ]
}

/// The standard normal distribution function (Abramowitz & Stegun 7.1.26 for erf).
fn normal_cdf(x: f64) -> f64 {
    let z = x.abs() / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.327_591_1 * z);
    let poly = t
        * (0.254_829_592
            + t * (-0.284_496_736
                + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
    let erf = 1.0 - poly * (-z * z).exp();
    0.5 * (1.0 + erf.copysign(x))
}

#[test]
fn chroma_blur_softens_colour_edges_as_a_gaussian_and_keeps_luma_and_greys() {
    let sigma = 2.0;
    let s = SensorPlan {
        chroma_blur: sigma,
        ..neutral()
    };
    assert!(!sensor::isp::is_neutral(&s));
    // Red on the left, blue on the right of column 160.
    let edge = 160u32;
    let image: Vec<u8> = (0..W * H)
        .flat_map(|i| {
            if i % W < edge {
                [200, 60, 60, 255]
            } else {
                [60, 60, 200, 255]
            }
        })
        .collect();
    let out = developed(&image, &s, 0, 0);
    let at = |img: &[u8], x: u32| ycbcr(&img[((96 * W + x) * 4) as usize..][..3]);
    let (left, right) = (at(&image, 0), at(&image, W - 1));
    for x in 0..W {
        let (before, after) = (at(&image, x), at(&out, x));
        // The luma of every pixel is kept (to 8-bit rounding).
        assert!(
            (after[0] - before[0]).abs() < 1.0,
            "luma at {x}: {before:?} -> {after:?}"
        );
        // Chroma follows the step blurred by a Gaussian: its distribution function.
        let share = normal_cdf((f64::from(x) + 0.5 - f64::from(edge)) / sigma);
        for c in [1, 2] {
            let expected = left[c] + share * (right[c] - left[c]);
            assert!(
                (after[c] - expected).abs() < 1.5,
                "chroma {c} at {x}: {:.2}, expected {expected:.2}",
                after[c]
            );
        }
    }
    // Next to the edge the colours have visibly mixed; a grey image with sharp luma
    // edges keeps every value.
    assert!(at(&out, edge - 1)[2] < left[2] - 20.0);
    let stripes: Vec<u8> = (0..W * H)
        .flat_map(|i| {
            let v = if (i % W / 3).is_multiple_of(2) {
                30
            } else {
                220
            };
            [v, v, v, 255]
        })
        .collect();
    assert_eq!(developed(&stripes, &s, 0, 0), stripes);
}

#[test]
fn glare_puts_a_fading_halo_around_highlights_only() {
    let s = SensorPlan {
        glare: 0.4,
        ..neutral()
    };
    assert!(!sensor::isp::is_neutral(&s));
    let image = spots(&[(160, 96)], 4);
    let out = developed(&image, &s, 0, 0);
    let green = |x: u32, y: u32| to_linear(out[((y * W + x) * 4 + 1) as usize]);
    // Around the lamp, light falls off with distance; far away it is dark again.
    let (near, mid, far) = (green(168, 98), green(178, 98), green(300, 20));
    assert!(
        near > mid && mid > 0.0,
        "halo {near:.4} at 6 px, {mid:.4} at 16 px"
    );
    assert_eq!(far, 0.0);
    // The lamp itself stays saturated.
    assert_eq!(out[((97 * W + 161) * 4) as usize], 255);
    // Nothing bright, nothing scattered: a mid-grey image keeps every value.
    let grey = flat(0.3);
    assert_eq!(developed(&grey, &s, 0, 0), grey);
}

#[test]
fn auto_exposure_brings_each_frame_to_its_target_level() {
    let s = SensorPlan {
        auto_exposure: 0.18,
        ..neutral()
    };
    for level in [0.02, 0.6] {
        let out = developed(&flat(level), &s, 0, 0);
        let (mean, _) = linear_stats(&out, 1);
        assert!((mean / 0.18 - 1.0).abs() < 0.03, "from {level}: {mean}");
    }
    // Exposure compensation applies on top of it.
    let brighter = SensorPlan {
        exposure_ev: 1.0,
        ..s
    };
    let (mean, _) = linear_stats(&developed(&flat(0.02), &brighter, 0, 0), 1);
    assert!((mean / 0.36 - 1.0).abs() < 0.03, "{mean}");
}

/// Standard deviations (x, y) in pixels of a channel's linear light.
fn spread_xy(image: &[u8], c: usize) -> (f64, f64) {
    let weight = |p: usize| to_linear(image[p * 4 + c]);
    let (mx, my) = centroid(weight);
    let (mut vx, mut vy, mut total) = (0.0, 0.0, 0.0);
    for j in 0..H as usize {
        for i in 0..W as usize {
            let w = weight(j * W as usize + i);
            vx += w * (i as f64 + 0.5 - mx).powi(2);
            vy += w * (j as f64 + 0.5 - my).powi(2);
            total += w;
        }
    }
    ((vx / total).sqrt(), (vy / total).sqrt())
}

#[test]
fn motion_blur_smears_along_the_flow_of_the_depth_and_speed() {
    let cam = camera();
    let s = SensorPlan {
        exposure_time: 0.02,
        ..neutral()
    };
    let moving = |image: &[u8], depth: &[f32], velocity: V3| {
        let mut out = image.to_vec();
        let motion = sensor::optics::Motion { depth, velocity };
        sensor::isp::develop_moving(&mut out, &cam, &s, 0, 0, Some(motion));
        out
    };
    let near = vec![10.0f32; (W * H) as usize];
    // Sideways at 10 m/s, 10 m away, 20 ms: 160 px focal x 0.2 m / 10 m = 3.2 px.
    let dot = spots(&[(100, 60)], 1);
    let (sx, sy) = spread_xy(&moving(&dot, &near, v3(10.0, 0.0, 0.0)), 1);
    // A 3.2 px box seen through bilinear sampling (a triangle of variance 1/6).
    let box_std = (3.2f64 * 3.2 / 12.0 + 1.0 / 6.0).sqrt();
    assert!(
        (sx - box_std).abs() < 0.12,
        "x spread {sx:.2} vs {box_std:.2}"
    );
    assert!(sy < 0.1, "y spread {sy:.2}");
    // Twice as far, half the smear.
    let far = vec![20.0f32; (W * H) as usize];
    let (sx_far, _) = spread_xy(&moving(&dot, &far, v3(10.0, 0.0, 0.0)), 1);
    assert!(sx_far < 0.75 * sx, "{sx_far:.2} vs {sx:.2}");
    // Forward: nothing moves at the principal point, the rest streaks outwards.
    let centre = spots(&[(W / 2, H / 2)], 1);
    assert_eq!(
        moving(&centre, &near, v3(0.0, 0.0, 10.0)),
        developed(&centre, &s, 0, 0)
    );
    let (sx, _) = spread_xy(
        &moving(&spots(&[(300, 96)], 1), &near, v3(0.0, 0.0, 10.0)),
        1,
    );
    assert!(sx > 0.6, "{sx:.2}");
    // The sky (no depth) never moves.
    let sky = vec![f32::INFINITY; (W * H) as usize];
    assert_eq!(
        moving(&dot, &sky, v3(10.0, 0.0, 0.0)),
        developed(&dot, &s, 0, 0)
    );
}

/// Mean absolute difference of the RGB bytes of two images.
fn mean_abs_error(a: &[u8], b: &[u8]) -> f64 {
    let (mut sum, mut n) = (0.0, 0.0);
    for (p, q) in a.chunks(4).zip(b.chunks(4)) {
        for c in 0..3 {
            sum += (f64::from(p[c]) - f64::from(q[c])).abs();
            n += 1.0;
        }
    }
    sum / n
}

#[test]
fn jpeg_loses_more_at_lower_quality_and_shows_its_blocks() {
    // Smooth gradients with sharp-edged squares on them.
    let mut image: Vec<u8> = (0..W * H)
        .flat_map(|k| {
            let (i, j) = (k % W, k / W);
            [
                (i * 255 / W) as u8,
                (j * 255 / H) as u8,
                ((i + j) % 256) as u8,
                255,
            ]
        })
        .collect();
    for (x0, y0) in [(37, 21), (150, 90), (251, 133)] {
        for j in y0..y0 + 13 {
            for i in x0..x0 + 19 {
                let k = ((j * W + i) * 4) as usize;
                image[k..k + 3].copy_from_slice(&[250, 240, 20]);
            }
        }
    }
    let at = |quality: f64| {
        let s = SensorPlan {
            jpeg_quality: quality,
            ..neutral()
        };
        developed(&image, &s, 0, 0)
    };
    let errors: Vec<f64> = [95.0, 50.0, 10.0]
        .iter()
        .map(|q| mean_abs_error(&at(*q), &image))
        .collect();
    assert!(errors[0] < 2.0, "{errors:?}");
    assert!(errors[0] < errors[1] && errors[1] < errors[2], "{errors:?}");
    // At low quality, steps across 8x8 block borders exceed those inside blocks.
    let low = at(10.0);
    let (mut border, mut inside, mut nb, mut ni) = (0.0, 0.0, 0.0, 0.0);
    for j in 0..H as usize {
        for i in 1..W as usize {
            let d = (f64::from(low[(j * W as usize + i) * 4 + 1])
                - f64::from(low[(j * W as usize + i - 1) * 4 + 1]))
            .abs();
            if i % 8 == 0 {
                border += d;
                nb += 1.0;
            } else {
                inside += d;
                ni += 1.0;
            }
        }
    }
    assert!(
        border / nb > 1.5 * inside / ni,
        "{} vs {}",
        border / nb,
        inside / ni
    );
    assert_eq!(at(10.0), low, "the same bytes every time");
}
