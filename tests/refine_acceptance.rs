//! Acceptance tests of the refiner on a synthetic domain shift with a known answer:
//! source = clean procedural "renders" (coloured boxes with instance masks on a sky/road
//! backdrop), target = new scenes of the same kind with a warm colour cast, a blur and
//! sensor noise. Fixed seeds, no timing.

#[path = "common/dirs.rs"]
mod dirs;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use burn::backend::Flex;
use burn::backend::flex::FlexDevice;
use burn::prelude::*;
use dirs::scratch;
use drivegen_refine::checkpoint::{self, Source};
use drivegen_refine::compute::{Compute, LoadedCheckpoint, run_training};
use drivegen_refine::curves::{CurveOptions, FrameSource};
use drivegen_refine::data::{FrameRange, load_range};
use drivegen_refine::gan::GanConfig;
use drivegen_refine::model::{DiscriminatorConfig, InputLayout, RefinerConfig};
use drivegen_refine::reach::Reach;
use drivegen_refine::train::{StepLog, TrainOptions};
use drivegen_refine::vae::VaeConfig;
use image::{Luma, Rgb, RgbImage};
use rand::RngExt;

const W: u32 = 96;
const H: u32 = 64;

/// A clean scene and its instance mask.
fn scene(seed: u64) -> (RgbImage, Vec<u16>) {
    let mut rng = drivegen_plan::streams::stream(seed, "synthetic-scene");
    let horizon = rng.random_range(20..34u32);
    let mut img = RgbImage::from_fn(W, H, |_, y| {
        if y < horizon {
            Rgb([110, 150, 220])
        } else {
            let v = 70 + (y - horizon) as u8;
            Rgb([v, v, v + 4])
        }
    });
    let mut ids = vec![0u16; (W * H) as usize];
    for id in 1..=4u16 {
        let (w, h) = (rng.random_range(12..28u32), rng.random_range(10..20u32));
        let (x0, y0) = (
            rng.random_range(0..W - w),
            rng.random_range(horizon - 6..H - h),
        );
        let colour = Rgb([
            rng.random_range(30..230u8),
            rng.random_range(30..230u8),
            rng.random_range(30..230u8),
        ]);
        for y in y0..y0 + h {
            for x in x0..x0 + w {
                // A dark window band gives every object an inner edge too.
                let c = if y > y0 + 2 && y < y0 + 5 {
                    Rgb([20, 20, 30])
                } else {
                    colour
                };
                img.put_pixel(x, y, c);
                ids[(y * W + x) as usize] = id;
            }
        }
    }
    (img, ids)
}

/// The target domain: warm cast, 3x3 box blur, Gaussian-ish sensor noise.
fn to_target(img: &RgbImage, seed: u64) -> RgbImage {
    let mut rng = drivegen_plan::streams::stream(seed, "synthetic-noise");
    let blurred = image::imageops::blur(img, 0.8);
    RgbImage::from_fn(W, H, |x, y| {
        let p = blurred.get_pixel(x, y).0;
        let cast = [1.12f32, 0.98, 0.78];
        let mut out = [0u8; 3];
        for c in 0..3 {
            let noise: f32 = (0..3).map(|_| rng.random_range(-4.0..4.0f32)).sum();
            out[c] = (f32::from(p[c]) * cast[c] + 12.0 + noise).clamp(0.0, 255.0) as u8;
        }
        Rgb(out)
    })
}

/// Writes `n` scenes as a drivegen-style dataset (rgb/ + instance/ + semantic/).
fn write_set(dir: &Path, seeds: std::ops::Range<u64>, target: bool) {
    for sub in ["rgb", "instance", "semantic", "depth"] {
        std::fs::create_dir_all(dir.join(sub)).expect("mkdir");
    }
    for seed in seeds {
        let (img, ids) = scene(seed);
        let name = format!("{seed:06}.png");
        let rgb = if target { to_target(&img, seed) } else { img };
        rgb.save(dir.join("rgb").join(&name)).expect("png");
        if !target {
            let inst =
                image::ImageBuffer::<Luma<u16>, _>::from_raw(W, H, ids.clone()).expect("size");
            inst.save(dir.join("instance").join(&name)).expect("png");
            // Cityscapes labelIds: 26 car for objects, 7 road / 23 sky for the backdrop.
            let sem: Vec<u8> = ids
                .iter()
                .enumerate()
                .map(|(i, id)| {
                    if *id != 0 {
                        26
                    } else if (i as u32 / W) < 34 {
                        23
                    } else {
                        7
                    }
                })
                .collect();
            image::GrayImage::from_raw(W, H, sem)
                .expect("size")
                .save(dir.join("semantic").join(&name))
                .expect("png");
            // Depth as the dataset writes it (metres x 256, 0 = sky): nearer lower down.
            let depth: Vec<u16> = (0..W * H)
                .map(|i| {
                    if i / W < 30 {
                        0
                    } else {
                        (256 * (200 - 2 * (i / W))) as u16
                    }
                })
                .collect();
            image::ImageBuffer::<Luma<u16>, _>::from_raw(W, H, depth)
                .expect("size")
                .save(dir.join("depth").join(&name))
                .expect("png");
        }
    }
}

struct Trained {
    root: PathBuf,
    log: Vec<StepLog>,
}

fn source(dir: PathBuf) -> FrameSource {
    FrameSource {
        dir,
        frames: FrameRange::default(),
    }
}

/// The shipped model's architecture at toy size: a dilated full-resolution path, a
/// context branch, a noise input, a two-scale discriminator with the statistics critic,
/// and feature matching.
fn options(root: &Path, steps: usize) -> TrainOptions {
    TrainOptions {
        sim: root.join("sim"),
        sim_frames: FrameRange::default(),
        real: vec![source(root.join("real"))],
        out: root.join("run"),
        steps,
        batch: 4,
        patch: 32,
        seed: 5,
        checkpoint_every: 100,
        gan: GanConfig::new(
            RefinerConfig::new()
                .with_width(8)
                .with_dilations(vec![2])
                .with_context_width(8)
                .with_layout(InputLayout {
                    noise: true,
                    ..InputLayout::default()
                }),
            DiscriminatorConfig::new()
                .with_width(16)
                .with_scales(2)
                .with_statistics(true),
        )
        .with_self_regularisation(0.2)
        .with_feature_matching(0.5)
        .with_statistics_critic(0.5)
        .with_learning_rate(1e-3),
        vae: VaeConfig::new().with_latent(16).with_width(16),
        backend: "flex".into(),
        curves: None,
        shows: None,
    }
}

/// One training run shared by the tests (300 steps, flex backend).
fn trained() -> &'static Trained {
    static RUN: OnceLock<Trained> = OnceLock::new();
    RUN.get_or_init(|| {
        let root = scratch("shift");
        write_set(&root.join("sim"), 0..24, false);
        write_set(&root.join("real"), 100..124, true);
        write_set(&root.join("sim-heldout"), 200..212, false);
        write_set(&root.join("real-heldout"), 300..312, true);
        let log = run_training(Compute::Flex, &options(&root, 300), &mut |_| {}).expect("training");
        Trained { root, log }
    })
}

#[test]
fn refiner_moves_held_out_frames_towards_the_target_domain_and_keeps_edges() {
    let t = trained();
    let ckpt = LoadedCheckpoint::load(&Source::resolve(&t.root.join("run")), Compute::Flex, true)
        .expect("load");
    let sim = load_range(&t.root.join("sim-heldout"), FrameRange::default()).expect("sim");
    let real = load_range(&t.root.join("real-heldout"), FrameRange::default()).expect("real");
    let (r, _) = ckpt
        .evaluate(&sim, &real, Reach::Full, 128, 3, &mut |_| {})
        .expect("eval");
    eprintln!(
        "colour moments {:?}, histogram {:?}, KID random {:?}, KID VAE {:?}, edges {:?}, change {:.4}",
        r.colour_moments,
        r.colour_histogram,
        r.kid_random_conv,
        r.kid_vae,
        r.edge_agreement,
        r.mean_abs_change
    );
    // Where a 300-step GAN ends depends on the CPU's float paths (the flex backend's
    // SIMD width and fused multiply-adds): 0.6x on one machine, 0.65x on another. A
    // third closer is the claim; the kernel distance below is the stronger check.
    assert!(
        r.colour_moments.refined < 0.75 * r.colour_moments.raw,
        "colour distance to the target: {:?}",
        r.colour_moments
    );
    assert!(
        r.kid_random_conv.refined < 0.7 * r.kid_random_conv.raw,
        "kernel distance to the target: {:?}",
        r.kid_random_conv
    );
    assert!(r.edge_agreement.objects >= 40, "{:?}", r.edge_agreement);
    // The target is blurred, so the refiner learns to soften edges a little; objects must
    // keep their edge structure all the same.
    assert!(
        r.edge_agreement.mean > 0.8,
        "edge agreement {:?}",
        r.edge_agreement
    );
    assert!(
        r.edge_agreement.min > 0.5,
        "edge agreement {:?}",
        r.edge_agreement
    );
    let mean_diversity = t
        .log
        .iter()
        .rev()
        .take(50)
        .map(|l| l.gan.diversity)
        .sum::<f64>()
        / 50.0;
    assert!(
        mean_diversity > 0.5,
        "mode collapse: diversity {mean_diversity}"
    );
    // The statistics critic took part: the refiner's loss against it is logged every step.
    assert!(
        t.log.iter().all(|l| l.gan.statistics > 0.0),
        "the statistics critic's loss is missing from the log"
    );
}

#[test]
fn vae_elbo_improves_and_ranks_held_out_real_above_sim() {
    let t = trained();
    let avg =
        |ls: &[StepLog]| ls.iter().map(|l| l.vae.negative_elbo()).sum::<f64>() / ls.len() as f64;
    let (first, last) = (avg(&t.log[..30]), avg(&t.log[t.log.len() - 30..]));
    assert!(last < 0.5 * first, "negative ELBO {first:.1} -> {last:.1}");
    let ckpt = LoadedCheckpoint::load(&Source::resolve(&t.root.join("run")), Compute::Flex, true)
        .expect("load");
    let sim = load_range(&t.root.join("sim-heldout"), FrameRange::default()).expect("sim");
    let real = load_range(&t.root.join("real-heldout"), FrameRange::default()).expect("real");
    let (e_real, e_sim) = (
        ckpt.negative_elbo(&real, 128, 9).expect("elbo"),
        ckpt.negative_elbo(&sim, 128, 9).expect("elbo"),
    );
    eprintln!("held-out negative ELBO: real {e_real:.1}, sim {e_sim:.1}");
    assert!(e_real < e_sim, "real {e_real:.1} vs sim {e_sim:.1}");
}

#[test]
fn checkpoint_round_trip_and_packed_copy_refine_identically() {
    let t = trained();
    let run = Source::resolve(&t.root.join("run"));
    let packed_dir = t.root.join("packed");
    checkpoint::pack(&run, &packed_dir).expect("pack");
    let frame =
        load_range(&t.root.join("sim-heldout"), FrameRange::default()).expect("frames")[0].clone();
    let a = LoadedCheckpoint::load(&run, Compute::Flex, false)
        .expect("load")
        .refine(&frame)
        .expect("refine");
    let b = LoadedCheckpoint::load(&Source::resolve(&packed_dir), Compute::Flex, false)
        .expect("load")
        .refine(&frame)
        .expect("refine");
    assert_eq!(a, b);
    assert_ne!(a, frame.rgb, "the trained refiner changes the frame");
    assert_eq!(a.dimensions(), frame.rgb.dimensions());
}

#[test]
fn module_weights_round_trip_bit_exactly() {
    let device = FlexDevice;
    let config = RefinerConfig::new().with_width(8);
    let refiner = config.init::<Flex>(&device);
    let x = Tensor::<Flex, 4>::random(
        [1, 3, 16, 16],
        burn::tensor::Distribution::Uniform(0.0, 1.0),
        &device,
    );
    // burn initialises parameters lazily, and a clone of an untouched module initialises
    // its own copy: run the module once so the saved weights are the ones it uses.
    let a = refiner.forward(x.clone()).into_data();
    let dir = scratch("roundtrip");
    let training = checkpoint::TrainingState {
        step: 0,
        seed: 0,
        batch: 1,
        patch: 8,
        sim: String::new(),
        real: String::new(),
        backend: "flex".into(),
    };
    let gan = GanConfig::new(config.clone(), DiscriminatorConfig::new());
    let mut cfg = checkpoint::CheckpointConfig::new(gan, VaeConfig::new(), training);
    cfg.files.clear();
    let bytes = checkpoint::encode::<Flex, _>(refiner.clone().into_record()).expect("encode");
    checkpoint::write(&dir, cfg, vec![("refiner.mpk".into(), bytes)]).expect("write");
    let source = Source::resolve(&dir);
    let loaded_cfg = source.config().expect("config");
    let loaded = source
        .module(
            &loaded_cfg,
            "refiner.mpk",
            config.init::<Flex>(&device),
            &device,
        )
        .expect("load");
    let b = loaded.forward(x).into_data();
    assert_eq!(
        a.to_vec::<f32>().expect("f32"),
        b.to_vec::<f32>().expect("f32")
    );
}

fn copy_run(name: &str) -> PathBuf {
    let t = trained();
    let src = Source::resolve(&t.root.join("run"));
    let dst = scratch(name);
    checkpoint::pack(&src, &dst).expect("pack");
    dst
}

fn load_error(dir: &Path) -> String {
    LoadedCheckpoint::load(&Source::resolve(dir), Compute::Flex, true)
        .expect_err("must not load")
        .to_string()
}

#[test]
fn corrupt_and_mismatched_checkpoints_error_clearly() {
    // A flipped byte in the weights.
    let dir = copy_run("flipped");
    let weights = dir.join("refiner.mpk");
    let mut bytes = std::fs::read(&weights).expect("read");
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x40;
    std::fs::write(&weights, &bytes).expect("write");
    let e = load_error(&dir);
    assert!(
        e.contains("refiner.mpk") && e.contains("corrupt") && e.contains("hint:"),
        "{e}"
    );

    // Truncated config.json.
    let dir = copy_run("truncated");
    let config = dir.join("config.json");
    let text = std::fs::read_to_string(&config).expect("read");
    std::fs::write(&config, &text[..text.len() / 2]).expect("write");
    let e = load_error(&dir);
    assert!(
        e.contains("config.json") && e.contains("not valid JSON"),
        "{e}"
    );

    // Another model version.
    let dir = copy_run("version");
    let config = dir.join("config.json");
    let text = std::fs::read_to_string(&config).expect("read");
    let current = format!("\"format_version\": {}", checkpoint::FORMAT_VERSION);
    assert!(text.contains(&current), "{text}");
    std::fs::write(&config, text.replace(&current, "\"format_version\": 99")).expect("write");
    let e = load_error(&dir);
    assert!(
        e.contains("format version 99")
            && e.contains(&format!(
                "reads versions 1 to {}",
                checkpoint::FORMAT_VERSION
            )),
        "{e}"
    );

    // A configuration that does not match the weights (checksums still fine).
    let dir = copy_run("mismatch");
    let config = dir.join("config.json");
    let mut json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&config).expect("read")).expect("json");
    json["gan"]["refiner"]["width"] = serde_json::json!(24);
    std::fs::write(&config, serde_json::to_vec_pretty(&json).expect("json")).expect("write");
    let e = load_error(&dir);
    assert!(
        e.contains("refiner.mpk") && (e.contains("parameters") || e.contains("decode")),
        "{e}"
    );

    // Not a checkpoint at all.
    let e = load_error(&scratch("empty"));
    assert!(e.contains("config.json") && e.contains("hint:"), "{e}");
}

#[test]
fn resume_continues_from_the_checkpoint() {
    let root = scratch("resume");
    for sub in ["sim", "real"] {
        std::fs::create_dir_all(root.join(sub)).expect("mkdir");
    }
    write_set(&root.join("sim"), 0..6, false);
    write_set(&root.join("real"), 100..106, true);
    let mut o = options(&root, 100);
    o.checkpoint_every = 50;
    run_training(Compute::Flex, &o, &mut |_| {}).expect("first");
    let first = Source::resolve(&root.join("run")).config().expect("config");
    assert_eq!(first.training.step, 100);
    o.steps = 150;
    let mut started_at = None;
    let log = run_training(Compute::Flex, &o, &mut |e| {
        if let drivegen_refine::train::TrainEvent::Started { from_step, .. } = e {
            started_at = Some(from_step);
        }
    })
    .expect("resume");
    assert_eq!(started_at, Some(100));
    assert_eq!(log.len(), 150, "the CSV log continues");
    assert_eq!(
        Source::resolve(&root.join("run"))
            .config()
            .expect("config")
            .training
            .step,
        150
    );
    // Different options refuse to resume into the same folder.
    o.seed = 6;
    let e = run_training(Compute::Flex, &o, &mut |_| {}).expect_err("different run");
    assert!(e.to_string().contains("different training run"), "{e}");
}

#[test]
fn semantic_conditioning_trains_and_needs_semantic_frames() {
    let root = scratch("semantic");
    write_set(&root.join("sim"), 0..6, false);
    write_set(&root.join("real"), 100..106, true);
    let mut o = options(&root, 20);
    o.gan.refiner = o.gan.refiner.with_layout(InputLayout {
        semantic: true,
        depth: true,
        noise: true,
    });
    run_training(Compute::Flex, &o, &mut |_| {}).expect("conditioned training");
    let ckpt = LoadedCheckpoint::load(&Source::resolve(&root.join("run")), Compute::Flex, false)
        .expect("load");
    assert_eq!(ckpt.channels(), 3 + 8 + 1 + 1);
    let frame = load_range(&root.join("sim"), FrameRange::default()).expect("frames")[0].clone();
    let refined = ckpt
        .refine(&frame)
        .expect("refine with semantics and depth");
    assert_eq!(refined.dimensions(), frame.rgb.dimensions());
    assert_eq!(
        refined,
        ckpt.refine(&frame).expect("again"),
        "the noise channel is seeded: refining twice gives the same frame"
    );
    let mut no_depth = frame.clone();
    no_depth.depth = None;
    let e = ckpt.refine(&no_depth).expect_err("no depth").to_string();
    assert!(e.contains("no depth image") && e.contains("hint:"), "{e}");
    let mut no_semantic = frame;
    no_semantic.semantic = None;
    let e = ckpt
        .refine(&no_semantic)
        .expect_err("no semantics")
        .to_string();
    assert!(
        e.contains("no semantic image") && e.contains("hint:"),
        "{e}"
    );
    // Real-style folders (no semantic/) cannot train a conditioned refiner.
    o.sim = root.join("real");
    o.out = root.join("run2");
    let e = run_training(Compute::Flex, &o, &mut |_| {})
        .expect_err("no semantics")
        .to_string();
    assert!(e.contains("no semantic image"), "{e}");
}

#[test]
fn training_logs_held_out_realism_curves_from_the_raw_frames_on() {
    let root = scratch("curves");
    write_set(&root.join("sim"), 0..6, false);
    write_set(&root.join("real"), 100..106, true);
    write_set(&root.join("sim-heldout"), 200..206, false);
    write_set(&root.join("real-a"), 300..306, true);
    write_set(&root.join("real-b"), 400..406, true);
    let mut o = options(&root, 40);
    // Two real "cameras", each drawn equally often.
    o.real.push(source(root.join("real-b")));
    o.curves = Some(CurveOptions {
        every: 20,
        sim: source(root.join("sim-heldout")),
        sim_frames: 6,
        real: vec![source(root.join("real-a")), source(root.join("real-b"))],
    });
    let mut reported = Vec::new();
    run_training(Compute::Flex, &o, &mut |e| {
        if let drivegen_refine::train::TrainEvent::Curve(points) = e {
            reported.extend(points.iter().map(|p| (p.step, p.domain.clone())));
        }
    })
    .expect("training with curves");
    let steps: Vec<usize> = reported.iter().map(|r| r.0).collect();
    assert_eq!(steps, vec![0, 0, 20, 20, 40, 40], "{reported:?}");
    let csv = std::fs::read_to_string(root.join("run/curves.csv")).expect("curves.csv");
    let rows: Vec<Vec<&str>> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    assert_eq!(rows.len(), 6, "{csv}");
    for r in &rows {
        assert!(r[1] == "real-a" || r[1] == "real-b", "{csv}");
        let accuracy: f64 = r[2].parse().expect("accuracy");
        assert!((0.0..=1.0).contains(&accuracy), "{csv}");
        let kid: f64 = r[4].parse().expect("kid");
        assert!(kid.is_finite(), "{csv}");
    }
    // Clean renders against blurred, noisy, warm "real" frames: the raw frames are told
    // apart easily.
    let raw: f64 = rows[0][2].parse().expect("accuracy");
    assert!(raw > 0.8, "raw two-sample accuracy {raw}: {csv}");
    let png = image::open(root.join("run/curves.png")).expect("curves.png");
    assert!(png.width() > 100 && png.height() > 100);
    // run/best holds the refiner of the refined step with the lowest mean accuracy.
    let mean_at = |step: &str| {
        let at: Vec<f64> = rows
            .iter()
            .filter(|r| r[0] == step)
            .map(|r| r[2].parse::<f64>().expect("accuracy"))
            .collect();
        at.iter().sum::<f64>() / at.len() as f64
    };
    // Ties keep the earlier step.
    let best_step = if mean_at("40") < mean_at("20") {
        40
    } else {
        20
    };
    let best = Source::resolve(&root.join("run/best"));
    let config = best.config().expect("best/config.json");
    assert_eq!(config.training.step, best_step, "{csv}");
    let refiner = best
        .module(
            &config,
            "refiner.mpk",
            config.gan.refiner.init::<Flex>(&FlexDevice),
            &FlexDevice,
        )
        .expect("the best refiner loads");
    let x = Tensor::<Flex, 4>::zeros([1, config.gan.refiner.in_channels, 16, 16], &FlexDevice);
    assert_eq!(refiner.forward(x).dims(), [1, 3, 16, 16]);
}

/// A version 1 checkpoint (drivegen before the context branch) still refines: its
/// refiner is a version 2 refiner without the optional parts.
#[test]
fn version_1_refiners_load_and_refine() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/refine_fixtures/v1");
    let ckpt = LoadedCheckpoint::load(&Source::resolve(&fixture), Compute::Flex, false)
        .expect("a version 1 checkpoint loads");
    assert_eq!(ckpt.config.format_version, 1);
    let frame = drivegen_refine::data::Frame {
        path: "v1.png".into(),
        rgb: RgbImage::from_fn(64, 48, |x, y| Rgb([(x * 4) as u8, (y * 5) as u8, 90])),
        instance: None,
        semantic: Some(vec![26; 64 * 48]),
        depth: None,
        environment: None,
    };
    let refined = ckpt.refine(&frame).expect("refine");
    assert_eq!(refined.dimensions(), (64, 48));
    assert_ne!(refined, frame.rgb);
}
