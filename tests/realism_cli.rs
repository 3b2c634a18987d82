//! `drivegen realism`: the classifier two-sample test end to end on folders of images:
//! clearly different domains are told apart, one domain is not, images of different
//! sizes work, bad input exits 2; and on the two shared real cameras (skipped when
//! ../shared/data is absent, a failure under CI=true).

mod common;

use std::path::{Path, PathBuf};

use common::{drivegen, scratch};

/// `n` frames of a synthetic camera: smooth bands plus pixel noise of `noise` (0..255),
/// tinted by `tint`, alternating between two sizes.
fn write_domain(dir: &Path, n: u32, noise: u32, tint: [i32; 3], first: u32) {
    std::fs::create_dir_all(dir).expect("mkdir");
    let mut state = 0x9e37_79b9_u32.wrapping_mul(first + 1);
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        state
    };
    for i in first..first + n {
        let (w, h) = if i % 2 == 0 { (120, 72) } else { (200, 150) };
        let img = image::RgbImage::from_fn(w, h, |x, y| {
            let base = 128.0 + 60.0 * (f64::from(x + 2 * y) * 0.04 + f64::from(i)).sin();
            let p = [0, 1, 2].map(|c| {
                let jitter = if noise == 0 {
                    0
                } else {
                    (next() % (2 * noise + 1)) as i32 - noise as i32
                };
                (base as i32 + tint[c] + jitter).clamp(0, 255) as u8
            });
            image::Rgb(p)
        });
        img.save(dir.join(format!("frame_{i:03}.png")))
            .expect("png");
    }
}

fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

fn realism(args: &[&str]) -> std::process::Output {
    drivegen().arg("realism").args(args).output().expect("runs")
}

fn report(out: &std::process::Output, json: &Path) -> serde_json::Value {
    common::assert_success(out);
    serde_json::from_slice(&std::fs::read(json).expect("realism.json")).expect("json")
}

fn accuracy(r: &serde_json::Value, which: &str) -> (f64, f64, f64) {
    let a = &r["results"][0][which];
    let f = |k: &str| a[k].as_f64().expect("number");
    (f("accuracy"), f("low"), f("high"))
}

const SMALL: [&str; 6] = ["--height", "48", "--patch", "16", "--patches", "400"];

#[test]
fn different_domains_separate_and_one_domain_does_not() {
    let dir = scratch("realism-synthetic");
    let (clean, noisy, clean2) = (dir.join("clean"), dir.join("noisy"), dir.join("clean2"));
    write_domain(&clean, 40, 2, [0, 0, 0], 0);
    write_domain(&noisy, 40, 40, [25, 0, -25], 100);
    write_domain(&clean2, 40, 2, [0, 0, 0], 40);

    let json = dir.join("diff.json");
    let out = realism(
        &[
            &["--real", path(&clean), "--sim", path(&noisy)][..],
            &SMALL,
            &["--out", path(&json)],
        ]
        .concat(),
    );
    let r = report(&out, &json);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("patch acc"), "{stdout}");
    let (patch, low, _) = accuracy(&r, "patch_accuracy");
    assert!(patch > 0.9 && low > 0.5, "{r:#}");
    assert!(accuracy(&r, "image_accuracy").0 > 0.9, "{r:#}");
    // What tells them apart, per group of statistics: the noisy, tinted camera is caught
    // by its fine detail and its colour, not by its tone; the table says so too.
    let groups = r["results"][0]["groups"].as_array().expect("groups");
    let alone = |name: &str| {
        groups
            .iter()
            .find(|g| g["group"] == name)
            .and_then(|g| g["alone"].as_f64())
            .expect("group")
    };
    assert_eq!(groups.len(), 4, "{r:#}");
    assert!(alone("fine detail and noise") > 0.9, "{r:#}");
    assert!(alone("colour") > 0.9, "{r:#}");
    assert!(alone("tone") < alone("fine detail and noise"), "{r:#}");
    assert!(stdout.contains("told apart by, alone: "), "{stdout}");

    // Two folders of one camera: within the chance interval.
    let json = dir.join("same.json");
    let out = realism(
        &[
            &["--real", path(&clean), "--sim", path(&clean2)][..],
            &SMALL,
            &["--out", path(&json)],
        ]
        .concat(),
    );
    let r = report(&out, &json);
    let (image, low, high) = accuracy(&r, "image_accuracy");
    assert!(low <= 0.5 && 0.5 <= high, "image accuracy {image}: {r:#}");
    assert!(
        (accuracy(&r, "patch_accuracy").0 - 0.5).abs() < 0.15,
        "{r:#}"
    );
    // Images are split, never patches: both halves of each domain hold images.
    let sim = &r["results"][0]["a"];
    assert_eq!(
        sim["train_images"].as_u64().expect("count") + sim["test_images"].as_u64().expect("count"),
        40
    );
    assert!(sim["test_images"].as_u64().expect("count") >= 10, "{sim}");
}

#[test]
fn a_missing_folder_exits_2_with_a_message_and_writes_nothing() {
    let dir = scratch("realism-missing");
    let frames = dir.join("frames");
    write_domain(&frames, 4, 2, [0, 0, 0], 0);
    let json = dir.join("realism.json");
    for (real, sim, says) in [
        (dir.join("nope"), frames.clone(), "--real"),
        (frames.clone(), dir.join("nope"), "--sim"),
    ] {
        let out = realism(&[
            "--real",
            path(&real),
            "--sim",
            path(&sim),
            "--out",
            path(&json),
        ]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains(says) && stderr.contains("no such folder") && stderr.contains("hint"),
            "{stderr}"
        );
        assert!(!json.exists());
    }
    // A frame range that selects nothing is bad input too.
    let out = realism(&[
        "--real",
        path(&frames),
        "--real-frames",
        "10..",
        "--sim",
        path(&frames),
        "--out",
        path(&json),
    ]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn the_two_shared_real_cameras_are_told_apart() {
    let real = std::env::var_os("DRIVEGEN_REAL_ROAD").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/real-road/frames"),
        PathBuf::from,
    );
    let hmb = real.join("../../real-road-hmb/frames");
    let data = common::prerequisite(
        "the shared real-road and real-road-hmb data",
        real.is_dir() && hmb.is_dir(),
        &format!(
            "{} or {} is absent; set DRIVEGEN_REAL_ROAD to the real-road frames (real-road-hmb beside it)",
            real.display(),
            hmb.display()
        ),
    );
    if !data {
        return;
    }
    let dir = scratch("realism-real");
    let json = dir.join("realism.json");
    let out = realism(&[
        "--real",
        path(&real),
        "--sim",
        path(&hmb),
        "--out",
        path(&json),
    ]);
    let r = report(&out, &json);
    let (patch, low, _) = accuracy(&r, "patch_accuracy");
    assert!(low > 0.6, "two cameras, patch accuracy {patch}: {r:#}");
    assert_eq!(r["results"][0]["a"]["images"], 401);
    assert_eq!(r["results"][0]["b"]["images"], 117);
}

#[test]
fn fit_sensor_adds_the_noise_the_real_camera_has_and_writes_a_valid_sensor_block() {
    let dir = scratch("fit-sensor");
    let (real, sim) = (dir.join("real"), dir.join("sim"));
    write_domain(&real, 12, 14, [0, 0, 0], 0);
    write_domain(&sim, 12, 0, [0, 0, 0], 100);
    // One successful fit writing `name`.ron and its report `name`.json.
    let fit_to = |name: &str, extra: &[&str]| -> serde_json::Value {
        let ron = dir.join(format!("{name}.ron"));
        let out = drivegen()
            .args(["fit-sensor", "--real", path(&real), "--sim", path(&sim)])
            .args(["--patches", "400", "--rounds", "1", "--out", path(&ron)])
            .args(extra)
            .output()
            .expect("runs");
        common::assert_success(&out);
        let report = dir.join(format!("{name}.json"));
        serde_json::from_slice(&std::fs::read(&report).expect("report")).expect("json")
    };
    let out_ron = dir.join("sensor.ron");
    let fit = fit_to("sensor", &[]);
    let (start, end) = (
        fit["start_accuracy"].as_f64().expect("number"),
        fit["accuracy"].as_f64().expect("number"),
    );
    assert!(start > 0.8 && end < start - 0.2, "{start} -> {end}");
    assert!(fit["sensor"]["iso"].as_f64().expect("iso") > 0.0, "{fit}");
    // The block drops into a camera as written.
    let block = std::fs::read_to_string(&out_ron).expect("sensor.ron");
    assert!(block.starts_with("// drivegen fit-sensor"), "{block}");
    let body: String = block
        .lines()
        .filter(|l| !l.starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    let scenario = dir.join("fitted.ron");
    std::fs::write(
        &scenario,
        format!(
            "Scenario(name: \"fitted\", seed: 1, sensors: (cameras: [(name: \"front\", {})]))",
            body.trim().trim_end_matches(',')
        ),
    )
    .expect("write");
    let v = drivegen()
        .args(["validate", path(&scenario)])
        .output()
        .expect("runs");
    common::assert_success(&v);

    // Starting from that camera starts where the fit ended (same frames, same noise).
    let refit = fit_to("again", &["--start", path(&scenario)]);
    let restart = refit["start_accuracy"].as_f64().expect("number");
    assert!(
        (restart - end).abs() < 1e-9,
        "{end} vs a restart at {restart}"
    );
    assert!(refit["accuracy"].as_f64().expect("number") <= restart);

    // A scenario whose camera has no sensor gives nothing to start from.
    let plain = dir.join("plain.ron");
    std::fs::write(&plain, "Scenario(name: \"plain\", seed: 1)").expect("write");
    let out = drivegen()
        .args(["fit-sensor", "--real", path(&real), "--sim", path(&sim)])
        .args(["--start", path(&plain), "--out", path(&dir.join("x.ron"))])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--start"));
    assert!(!dir.join("x.ron").exists());

    // A missing real folder is bad input: exit 2, nothing written.
    let other = dir.join("other.ron");
    let out = drivegen()
        .args([
            "fit-sensor",
            "--real",
            path(&dir.join("nope")),
            "--sim",
            path(&sim),
        ])
        .args(["--out", path(&other)])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(!other.exists());
}

#[test]
fn a_rendered_dataset_is_judged_per_class_from_its_semantic_labels() {
    if !common::vulkan() {
        return;
    }
    let dir = scratch("by-class");
    let (sim, real) = (dir.join("render"), dir.join("real"));
    let out = common::render_small(&sim, 8, &["--quiet"]);
    common::assert_success(&out);
    write_domain(&real, 12, 6, [0, 0, 0], 0);
    let json = dir.join("r.json");
    // 320x192 renders at half height, as the test sees 640x384 ones.
    let judge = |sim: &Path, json: &Path| {
        realism(
            &[
                &[
                    "--real",
                    path(&real),
                    "--sim",
                    path(sim),
                    "--out",
                    path(json),
                ][..],
                &["--height", "96", "--patch", "16", "--patches", "400"],
            ]
            .concat(),
        )
    };
    let out = judge(&sim, &json);
    let r = report(&out, &json);
    let row = &r["results"][0];
    let classes = row["caught_by_class"].as_array().expect("caught_by_class");
    let held_out: u64 = classes
        .iter()
        .map(|k| k["patches"].as_u64().expect("count"))
        .sum();
    assert_eq!(held_out, row["a"]["test_patches"].as_u64().expect("count"));
    // A street scene: road and sky are among what the patches show, named as Cityscapes does.
    let names: Vec<&str> = classes
        .iter()
        .map(|k| k["class"].as_str().expect("name"))
        .collect();
    assert!(
        names.contains(&"road") && names.contains(&"sky"),
        "{names:?}"
    );
    assert!(
        classes
            .iter()
            .all(|k| (0.0..=1.0).contains(&k["caught"].as_f64().expect("share")))
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("caught, by what the patch shows"),
        "{stdout}"
    );
    // One variant: both halves of the test are the same scene, and the user is told so.
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("every frame is from one variant"),
        "{stderr}"
    );
    // Two variants: the halves are different scenes, nothing to note.
    let two = dir.join("two-variants");
    let out = drivegen()
        .args(["render", "--quiet", "--variants", "2", "--frames", "3"])
        .args(["--width", "320", "--height", "192", "--out", path(&two)])
        .output()
        .expect("runs");
    common::assert_success(&out);
    let json = dir.join("two.json");
    let out = judge(&two, &json);
    report(&out, &json);
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("one variant"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A folder of images has no labels, so no per-class line, and no variants to count.
    let json = dir.join("folder.json");
    let out = judge(&real, &json);
    let r = report(&out, &json);
    assert!(r["results"][0].get("caught_by_class").is_none(), "{r:#}");
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("one variant"),
        "a folder of images has no variants"
    );
}
