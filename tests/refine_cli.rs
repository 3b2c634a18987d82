//! `drivegen refine ...` and `drivegen render --refine` end to end: files on disk, exit
//! codes and messages for bad input, labels untouched by refinement, and the shipped
//! checkpoint on real frames (skipped when ../shared/data/real-road is absent, a
//! failure under CI=true).

mod common;

use std::path::{Path, PathBuf};

use common::{drivegen, scratch};

/// A few synthetic frames: a sky/road backdrop with coloured boxes.
fn write_frames(dir: &Path, n: u32, warm: bool) {
    std::fs::create_dir_all(dir).expect("mkdir");
    for i in 0..n {
        let img = image::RgbImage::from_fn(80, 48, |x, y| {
            let boxed = (x / 16 + y / 12 + i) % 3 == 0 && y > 20;
            let base = if y < 20 {
                [100, 140, 210]
            } else if boxed {
                [(40 * i % 200) as u8 + 30, 60, 150]
            } else {
                [90, 90, 94]
            };
            let p = if warm {
                [
                    base[0].saturating_add(30),
                    base[1],
                    base[2].saturating_sub(30),
                ]
            } else {
                base
            };
            image::Rgb(p)
        });
        img.save(dir.join(format!("frame_{i:03}.png")))
            .expect("png");
    }
}

fn run(args: &[&str]) -> std::process::Output {
    drivegen().args(args).output().expect("runs")
}

fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

fn eval_report(dir: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(dir.join("eval.json")).expect("eval.json")).expect("json")
}

fn ok(out: &std::process::Output) {
    common::assert_success(out);
}

#[test]
fn train_apply_eval_sample_on_folders_and_bad_input_exits_2() {
    let root = scratch("refine-cli");
    let (sim, real, run_dir) = (root.join("sim"), root.join("real"), root.join("run"));
    write_frames(&sim, 6, false);
    write_frames(&real, 6, true);
    // `refine train` on the CPU from `sim` and the real frames into `out`, plus `extra`.
    let train_into = |sim: &Path, out: &Path, extra: &[&str]| {
        let mut args = vec![
            "refine",
            "train",
            "--sim",
            path(sim),
            "--real",
            path(&real),
            "--out",
            path(out),
            "--backend",
            "flex",
        ];
        args.extend_from_slice(extra);
        run(&args)
    };
    let train = |steps: &str| {
        train_into(
            &sim,
            &run_dir,
            &[
                "--steps",
                steps,
                "--batch",
                "2",
                "--patch",
                "32",
                "--checkpoint-every",
                "10",
                "--shows",
                "road,sidewalk,sky",
            ],
        )
    };
    // What the real frames show is checked before any training.
    let out = train_into(&sim, &root.join("bad-shows"), &["--shows", "road,tarmac"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--shows") && stderr.contains("`tarmac`") && stderr.contains("vegetation"),
        "{stderr}"
    );
    assert!(!root.join("bad-shows").exists(), "nothing written");
    ok(&train("20"));
    let csv = std::fs::read_to_string(run_dir.join("losses.csv")).expect("csv");
    assert_eq!(csv.lines().count(), 21, "header + one row per step");
    assert!(image::open(run_dir.join("losses.png")).is_ok());
    let config: serde_json::Value = serde_json::from_slice(
        &std::fs::read(run_dir.join("checkpoint/config.json")).expect("config"),
    )
    .expect("json");
    assert_eq!(config["training"]["step"], 20);
    assert_eq!(
        config["shows"],
        serde_json::json!(["road", "sidewalk", "sky"]),
        "what the real frames show is recorded for --refine-reach covered"
    );
    assert_eq!(config["format"], "drivegen-refiner");
    assert_eq!(
        config["gan"]["refiner"]["edge_padding"], true,
        "new refiners repeat the frame's edge by default"
    );

    // Resume to 30 steps.
    let out = train("30");
    ok(&out);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("resuming from step 20"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let csv = std::fs::read_to_string(run_dir.join("losses.csv")).expect("csv");
    assert_eq!(csv.lines().count(), 31, "the log continues");
    // Resuming with the other border is refused and names the option.
    let out = train_into(
        &sim,
        &run_dir,
        &[
            "--steps", "40", "--batch", "2", "--patch", "32", "--border", "zero",
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--border"), "{stderr}");
    let csv = std::fs::read_to_string(run_dir.join("losses.csv")).expect("csv");
    assert_eq!(csv.lines().count(), 31, "a refused resume writes nothing");

    let apply = |out: &Path| {
        run(&[
            "refine",
            "apply",
            "--ckpt",
            path(&run_dir),
            "--in",
            path(&sim),
            "--out",
            path(out),
            "--backend",
            "flex",
        ])
    };
    let applied = root.join("applied");
    ok(&apply(&applied));
    for i in 0..6 {
        let a = image::open(sim.join(format!("frame_{i:03}.png"))).expect("raw");
        let b = image::open(applied.join(format!("frame_{i:03}.png"))).expect("refined");
        assert_eq!((a.width(), a.height()), (b.width(), b.height()));
    }

    let eval_dir = root.join("eval");
    ok(&run(&[
        "refine",
        "eval",
        "--ckpt",
        path(&run_dir),
        "--sim",
        path(&sim),
        "--real",
        path(&real),
        "--patches",
        "32",
        "--out",
        path(&eval_dir),
        "--backend",
        "flex",
    ]));
    let report = eval_report(&eval_dir);
    for key in [
        "kid_random_conv",
        "kid_vae",
        "colour_moments",
        "vae_negative_elbo",
        "mean_abs_change",
        "ms_per_frame",
    ] {
        assert!(report.get(key).is_some(), "eval.json lacks {key}");
    }
    // The classifier two-sample test of raw and refined frames against the real ones;
    // these synthetic domains (a warm cast, blur and noise) are easy to tell apart raw.
    for which in ["raw", "refined"] {
        let acc = &report["two_sample"][which]["patch_accuracy"];
        let a = acc["accuracy"].as_f64().expect("accuracy");
        assert!(
            (0.0..=1.0).contains(&a) && acc["n"].as_u64() > Some(0),
            "{report}"
        );
    }
    let raw_accuracy = report["two_sample"]["raw"]["patch_accuracy"]["accuracy"].as_f64();
    eprintln!("two-sample raw accuracy {raw_accuracy:?}");
    assert!(raw_accuracy > Some(0.8), "{report}");
    assert!(eval_dir.join("side_by_side_0000.png").is_file());

    let grid = root.join("grid.png");
    ok(&run(&[
        "refine",
        "sample",
        "--ckpt",
        path(&run_dir),
        "--real",
        path(&real),
        "--out",
        path(&grid),
        "--backend",
        "flex",
    ]));
    assert!(image::open(&grid).is_ok());

    // Bad input: exit code 2 and a message naming the file.
    let missing = root.join("no-such-dir");
    let out = train_into(&missing, &root.join("x"), &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no-such-dir"));
    // The sky and facades are found through the semantic conditioning: without it,
    // refused.
    for flag in ["--sky-regularisation", "--construction-regularisation"] {
        let refused = root.join("no-semantic");
        let out = train_into(&sim, &refused, &["--condition", "depth", flag, "5"]);
        assert_eq!(out.status.code(), Some(2), "{flag}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("--condition semantic") && err.contains(flag),
            "{err}"
        );
        assert!(!refused.exists(), "a refused run wrote its folder");
    }
    std::fs::write(run_dir.join("checkpoint/refiner.mpk"), b"garbage").expect("write");
    let out = apply(&root.join("y"));
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("refiner.mpk") && err.contains("corrupt") && err.contains("hint"),
        "{err}"
    );
    assert!(!root.join("y").exists(), "nothing written on error");
}

fn render(out: &Path, extra: &[&str]) -> std::process::Output {
    let mut flags = vec!["--quiet"];
    flags.extend_from_slice(extra);
    common::render_small(out, 2, &flags)
}

fn files_under(dir: &Path, sub: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir.join("v000/front").join(sub))
        .map(|r| r.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    v.sort();
    v
}

#[test]
fn render_with_the_default_refiner_writes_refined_frames_and_keeps_labels() {
    if !common::vulkan() {
        return;
    }
    let (plain, refined) = (scratch("plain"), scratch("refined"));
    ok(&render(&plain, &[]));
    ok(&render(
        &refined,
        &["--refine", "default", "--refine-backend", "flex"],
    ));
    let refined_frames = files_under(&refined, "rgb_refined");
    assert_eq!(refined_frames.len(), 2);
    assert!(files_under(&plain, "rgb_refined").is_empty());
    for sub in ["labels", "instance", "semantic", "depth", "rgb"] {
        let (a, b) = (files_under(&plain, sub), files_under(&refined, sub));
        assert_eq!(a.len(), b.len(), "{sub}");
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(
                std::fs::read(x).expect("read"),
                std::fs::read(y).expect("read"),
                "{sub} changed by --refine: {}",
                y.display()
            );
        }
    }
    let raw = image::open(&files_under(&refined, "rgb")[0])
        .expect("rgb")
        .to_rgb8();
    let out = image::open(&refined_frames[0]).expect("refined").to_rgb8();
    assert_eq!(raw.dimensions(), out.dimensions());
    assert_ne!(raw, out, "the refiner changed nothing");
    let out = render(&scratch("norgb"), &["--refine", "default", "--no-rgb"]);
    assert_eq!(out.status.code(), Some(2));
}

/// What `--refine-reach covered` comes to with a shipped refiner, as recorded.
const SHIPPED_REACH: &str = "covered:road,sidewalk,vegetation,terrain,sky";

#[test]
fn refined_frames_reach_every_export_and_the_checkpoint_is_recorded() {
    if !common::vulkan() {
        return;
    }
    let out = scratch("refined-export");
    ok(&common::render_small(
        &out,
        5,
        &[
            "--quiet",
            "--refine",
            "default",
            "--refine-backend",
            "flex",
            "--export",
            "yolo,coco,kitti,cityscapes",
        ],
    ));
    let run_info: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("run.json")).expect("run.json"))
            .expect("json");
    let sha = run_info["refiner_sha256"]
        .as_str()
        .expect("refiner_sha256")
        .to_string();
    assert_eq!(sha.len(), 64);
    // `default` on the CPU backend is the shipped fast refiner.
    let fast = drivegen_refine::shipped::Shipped::Fast
        .source()
        .sha256()
        .expect("fast sha");
    assert_eq!(
        sha, fast,
        "--refine default on flex is not the fast refiner"
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).expect("manifest"))
            .expect("json");
    assert_eq!(manifest["run"]["refiner_sha256"], sha.as_str());
    assert_eq!(manifest["run"]["refiner_reach"], SHIPPED_REACH);
    // Every exported image is byte-identical to a refined frame (and to no raw one).
    let refined: Vec<Vec<u8>> = files_under(&out, "rgb_refined")
        .iter()
        .map(|p| std::fs::read(p).expect("read"))
        .collect();
    let raw: Vec<Vec<u8>> = files_under(&out, "rgb")
        .iter()
        .map(|p| std::fs::read(p).expect("read"))
        .collect();
    let exported = |e: &Path, folder: &str| -> Vec<Vec<u8>> {
        let mut files = Vec::new();
        let mut stack = vec![e.join(folder)];
        while let Some(d) = stack.pop() {
            for entry in std::fs::read_dir(&d)
                .into_iter()
                .flatten()
                .filter_map(Result::ok)
            {
                let p = entry.path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|x| x == "png")
                    && !p.to_string_lossy().contains("gtFine")
                    && !p.to_string_lossy().contains("/depth/")
                {
                    files.push(std::fs::read(&p).expect("read"));
                }
            }
        }
        files
    };
    let exports = out.join("exports");
    for folder in [
        "yolo/images",
        "coco",
        "kitti/training/image_2",
        "cityscapes/leftImg8bit",
    ] {
        let images = exported(&exports, folder);
        assert!(!images.is_empty(), "{folder}");
        for img in &images {
            assert!(
                refined.contains(img) && !raw.contains(img),
                "{folder} holds a raw frame"
            );
        }
    }
    let export_json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(exports.join("export.json")).expect("export.json"))
            .expect("json");
    assert_eq!(export_json["rgb"]["source"], "refined");
    assert_eq!(export_json["rgb"]["refiner_sha256"], sha.as_str());
    assert_eq!(export_json["rgb"]["refiner_reach"], SHIPPED_REACH);
    let coco: serde_json::Value = serde_json::from_slice(
        &std::fs::read(exports.join("coco/annotations/instances_train.json")).expect("coco"),
    )
    .expect("json");
    assert_eq!(coco["info"]["images"]["refiner_sha256"], sha.as_str());
    assert_eq!(coco["info"]["images"]["refiner_reach"], SHIPPED_REACH);

    // --rgb raw exports the renders as they came out of the renderer.
    let raw_out = scratch("raw-export");
    ok(&run(&[
        "export",
        "--quiet",
        "--format",
        "yolo",
        "--rgb",
        "raw",
        "--out",
        path(&raw_out),
        path(&out),
    ]));
    for img in exported(&raw_out, "yolo/images") {
        assert!(raw.contains(&img), "--rgb raw exported a refined frame");
    }
    // A dataset without refined frames refuses --rgb refined with a hint.
    let plain = scratch("plain-export");
    ok(&render(&plain, &[]));
    let o = run(&[
        "export",
        "--rgb",
        "refined",
        "--out",
        path(&scratch("none")),
        path(&plain),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--refine default"));
    // query and report follow the same choice.
    let subset = scratch("refined-subset");
    ok(&run(&[
        "query",
        "--quiet",
        "--class",
        "car",
        "--out",
        path(&subset),
        path(&out),
    ]));
    assert!(
        !files_under(&subset, "rgb_refined").is_empty(),
        "refined frames travel with a subset"
    );
}

#[test]
fn shipped_refiners_move_unseen_renders_towards_real_frames() {
    let real = std::env::var_os("DRIVEGEN_REAL_ROAD").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/real-road/frames"),
        PathBuf::from,
    );
    let data = common::prerequisite(
        "the shared real-road data",
        real.is_dir(),
        &format!(
            "{} is absent; set DRIVEGEN_REAL_ROAD to the real-road frames",
            real.display()
        ),
    );
    if !data || !common::vulkan() {
        return;
    }
    // The roundabout scenario was not among the default refiner's training renders, and
    // real frames 80.. were held out of its training.
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/roundabout.ron");
    let sim = scratch("unseen");
    let out = drivegen()
        .args([
            "render",
            path(&scenario),
            "--frames",
            "8",
            "--variants",
            "2",
            "--quiet",
            "--out",
            path(&sim),
        ])
        .output()
        .expect("runs");
    ok(&out);
    // Both shipped refiners (`default` is `fast` on this backend).
    for ckpt in ["fast", "quality"] {
        let eval_dir = scratch(&format!("unseen-eval-{ckpt}"));
        ok(&run(&[
            "refine",
            "eval",
            "--ckpt",
            ckpt,
            "--sim",
            path(&sim),
            "--real",
            path(&real),
            "--real-frames",
            "80..",
            "--patches",
            "256",
            "--out",
            path(&eval_dir),
            "--backend",
            "flex",
        ]));
        let r = eval_report(&eval_dir);
        let closer = |key: &str| {
            let (raw, refined) = (
                r[key]["raw"].as_f64().expect("raw"),
                r[key]["refined"].as_f64().expect("refined"),
            );
            eprintln!("{ckpt} {key}: raw {raw:.4} refined {refined:.4}");
            refined < raw
        };
        assert!(closer("kid_random_conv"), "{ckpt}: {r}");
        assert!(closer("kid_vae"), "{ckpt}: {r}");
        assert!(closer("colour_moments"), "{ckpt}: {r}");
        assert!(
            r["edge_agreement"]["mean"].as_f64().expect("edges") > 0.9,
            "{ckpt}: {r}"
        );
        // A render's labels file its patches by class, the same patches raw and refined.
        let classes = |which: &str| -> Vec<(String, u64)> {
            r["two_sample"][which]["caught_by_class"]
                .as_array()
                .unwrap_or_else(|| panic!("{ckpt} {which}: no caught_by_class in {r}"))
                .iter()
                .map(|k| {
                    let name = k["class"].as_str().expect("class").to_string();
                    (name, k["patches"].as_u64().expect("patches"))
                })
                .collect()
        };
        assert_eq!(classes("raw"), classes("refined"), "{ckpt}");
        assert!(
            classes("raw").iter().any(|(c, _)| c == "road"),
            "{ckpt}: {r}"
        );
    }
}

#[test]
fn a_class_look_is_fitted_to_a_camera_and_grades_renders_by_class() {
    use drivegen_refine::class_look::ClassLook;
    use sha2::{Digest, Sha256};
    if !common::vulkan() {
        return;
    }
    let root = scratch("class-look");
    let sim = root.join("render");
    ok(&common::render_small(&sim, 8, &["--quiet"]));
    let str_of = |p: &Path| p.to_str().expect("utf-8 path").to_string();
    // A "camera" that sees the rendered scenes with the road at 80 % of its brightness.
    let camera = root.join("camera.json");
    let mut look = ClassLook::identity();
    for g in &mut look.grades {
        if g.class == "road" {
            g.luma_gain = 0.8;
        }
    }
    std::fs::write(&camera, serde_json::to_vec(&look).expect("json")).expect("write");
    let real = root.join("real");
    ok(&drivegen()
        .args(["refine", "apply", "--ckpt", &str_of(&camera), "--in"])
        .arg(sim.join("v000/front/rgb"))
        .args(["--out", &str_of(&real)])
        .output()
        .expect("runs"));
    assert_eq!(std::fs::read_dir(&real).expect("real").count(), 8);

    let fitted = root.join("look.json");
    let out = drivegen()
        .args(["fit-look", "--real", &str_of(&real), "--sim", &str_of(&sim)])
        .args([
            "--patches",
            "400",
            "--rounds",
            "1",
            "--out",
            &str_of(&fitted),
        ])
        .output()
        .expect("runs");
    ok(&out);
    let (fit, _) = ClassLook::load(&fitted).expect("look.json");
    let road = fit.grades.iter().find(|g| g.class == "road").expect("road");
    assert!(road.luma_gain < 0.95, "{fit:?}");
    let steps: serde_json::Value =
        serde_json::from_slice(&std::fs::read(root.join("look.fit.json")).expect("steps"))
            .expect("json");
    assert!(steps.as_array().is_some_and(|s| s.len() > 20), "{steps}");

    // A frozen setting names a class and one of its settings; anything else is refused
    // before the fit starts (exit 2, nothing written).
    let refused = root.join("refused.json");
    let out = drivegen()
        .args(["fit-look", "--real", &str_of(&real), "--sim", &str_of(&sim)])
        .args(["--freeze", "sidewalk.hue", "--out", &str_of(&refused)])
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("`hue`") && stderr.contains("red_green"),
        "{stderr}"
    );
    assert!(!refused.exists());

    // `refine eval` takes a look like a checkpoint: the camera's own look grades the
    // renders into exactly its frames and touches only the classes it grades; a look has
    // no VAE, so those metrics are null.
    let eval_dir = root.join("eval");
    ok(&drivegen()
        .args([
            "refine",
            "eval",
            "--ckpt",
            &str_of(&camera),
            "--sim",
            &str_of(&sim),
        ])
        .args([
            "--real",
            &str_of(&real),
            "--patches",
            "64",
            "--backend",
            "flex",
        ])
        .args(["--out", &str_of(&eval_dir)])
        .output()
        .expect("runs"));
    let report = eval_report(&eval_dir);
    assert!(report["kid_vae"].is_null() && report["vae_negative_elbo"].is_null());
    let moments = &report["colour_moments"];
    assert!(
        moments["raw"].as_f64().is_some_and(|d| d > 0.0),
        "{moments}"
    );
    assert_eq!(moments["refined"].as_f64(), Some(0.0), "{moments}");
    // Nothing inside an object changes; only its outline's contrast with the regraded
    // road does (a 0.8 road: p05 0.93), so the mean stays near 1.
    let edges = &report["edge_agreement"];
    assert!(edges["objects"].as_u64().is_some_and(|n| n > 0), "{edges}");
    assert!(edges["mean"].as_f64().is_some_and(|a| a >= 0.95), "{edges}");
    let shift = |class: &str| {
        report["class_shift"]
            .as_array()
            .and_then(|c| c.iter().find(|c| c["class"] == class))
            .and_then(|c| c["shift"].as_f64())
    };
    // Cars are not graded; only their rim blends with the road around them.
    let road = shift("road").unwrap_or(0.0);
    assert!(road > 5.0, "{}", report["class_shift"]);
    assert!(
        shift("car").is_none_or(|s| s < road / 4.0),
        "{}",
        report["class_shift"]
    );

    // Rendering with the look writes graded frames, names the look in run.json, and
    // grades exactly as `refine apply` does on the raw frames and their labels.
    let graded = root.join("graded");
    ok(&render(&graded, &["--refine", &str_of(&fitted)]));
    let run_info: serde_json::Value =
        serde_json::from_slice(&std::fs::read(graded.join("run.json")).expect("run.json"))
            .expect("json");
    let sha: String = Sha256::digest(std::fs::read(&fitted).expect("look"))
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(run_info["refiner_sha256"], sha.as_str());
    let again = root.join("again");
    ok(&drivegen()
        .args(["refine", "apply", "--ckpt", &str_of(&fitted), "--in"])
        .arg(graded.join("v000/front/rgb"))
        .args(["--out", &str_of(&again)])
        .output()
        .expect("runs"));
    let refined = files_under(&graded, "rgb_refined");
    assert_eq!(refined.len(), 2);
    for (p, raw) in refined.iter().zip(files_under(&graded, "rgb")) {
        let pixels = |p: &Path| image::open(p).expect("png").to_rgb8();
        let applied = again.join(p.file_name().expect("name"));
        assert_eq!(pixels(p), pixels(&applied), "{}", p.display());
        assert_ne!(pixels(p), pixels(&raw), "the look changed nothing");
    }

    // A broken look file is bad input: exit 2 naming the file, nothing rendered.
    let bad = root.join("bad.json");
    std::fs::write(&bad, "{\"version\": 1, \"grades\": [").expect("write");
    let refused = root.join("refused");
    let out = render(&refused, &["--refine", &str_of(&bad)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad.json"));
    assert!(!refused.join("run.json").exists());
}
