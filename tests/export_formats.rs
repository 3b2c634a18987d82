//! Exporters against their specs: KITTI labels round-trip through a parser written from
//! the devkit description and their 3-D boxes project into their 2-D boxes; COCO passes
//! pycocotools (AP = 1.0 with the ground truth as detections, RLE == instance masks);
//! YOLO passes a loader check; Cityscapes ids and colours match the official table;
//! a small render (4 variants) is split into gapped frame blocks, recorded in export.json.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use drivegen_labels::CITYSCAPES;

mod common;

fn dataset() -> Option<&'static PathBuf> {
    static DIR: OnceLock<Option<PathBuf>> = OnceLock::new();
    DIR.get_or_init(|| {
        if !common::vulkan() {
            return None;
        }
        let dir = common::scratch("export");
        let out = Command::new(env!("CARGO_BIN_EXE_drivegen"))
            .env("XDG_RUNTIME_DIR", std::env::temp_dir())
            .args([
                "render",
                "--quiet",
                "--frames",
                "6",
                "--variants",
                "4",
                "--width",
                "320",
                "--height",
                "192",
            ])
            .args([
                "--export",
                "kitti,kitti-tracking,coco,yolo,cityscapes",
                "--out",
            ])
            .arg(&dir)
            .output()
            .expect("runs");
        common::assert_success(&out);
        Some(dir)
    })
    .as_ref()
}

fn files_in(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == ext))
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// One line of a KITTI object label, per the devkit's readme.
#[derive(Debug, PartialEq)]
struct KittiObject {
    kind: String,
    truncated: f64,
    occluded: i32,
    alpha: f64,
    bbox: [f64; 4],
    dims: [f64; 3],
    location: [f64; 3],
    rotation_y: f64,
}

fn parse_kitti(line: &str) -> KittiObject {
    let f: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(f.len(), 15, "KITTI label lines have 15 fields: {line}");
    let n = |i: usize| {
        f[i].parse::<f64>()
            .unwrap_or_else(|_| panic!("field {i} of `{line}` is not a number"))
    };
    KittiObject {
        kind: f[0].to_string(),
        truncated: n(1),
        occluded: f[2].parse().expect("occluded is an integer"),
        alpha: n(3),
        bbox: [n(4), n(5), n(6), n(7)],
        dims: [n(8), n(9), n(10)],
        location: [n(11), n(12), n(13)],
        rotation_y: n(14),
    }
}

fn format_kitti(o: &KittiObject) -> String {
    if o.kind == "DontCare" {
        return format!(
            "DontCare -1 -1 -10 {:.2} {:.2} {:.2} {:.2} -1 -1 -1 -1000 -1000 -1000 -10",
            o.bbox[0], o.bbox[1], o.bbox[2], o.bbox[3]
        );
    }
    format!(
        "{} {:.2} {} {:.2} {:.2} {:.2} {:.2} {:.2} {:.2} {:.2} {:.2} {:.2} {:.2} {:.2} {:.2}",
        o.kind,
        o.truncated,
        o.occluded,
        o.alpha,
        o.bbox[0],
        o.bbox[1],
        o.bbox[2],
        o.bbox[3],
        o.dims[0],
        o.dims[1],
        o.dims[2],
        o.location[0],
        o.location[1],
        o.location[2],
        o.rotation_y
    )
}

fn p2(calib: &str) -> [f64; 12] {
    let line = calib
        .lines()
        .find(|l| l.starts_with("P2:"))
        .expect("P2 line");
    let v: Vec<f64> = line[3..]
        .split_whitespace()
        .map(|x| x.parse().expect("number"))
        .collect();
    v.try_into().expect("12 values")
}

#[test]
fn kitti_labels_round_trip_and_3d_boxes_project_into_2d_boxes() {
    let Some(dir) = dataset() else { return };
    let mut checked = 0;
    let kitti = dir.join("exports/kitti");
    // mmdetection3d / OpenPCDet: train and val in training/, test in testing/, each split
    // listed in ImageSets/.
    let mut listed = BTreeSet::new();
    for (split, folder) in [
        ("train", "training"),
        ("val", "training"),
        ("test", "testing"),
    ] {
        let set = std::fs::read_to_string(kitti.join("ImageSets").join(format!("{split}.txt")))
            .expect("ImageSets");
        assert!(!set.trim().is_empty(), "{split} is listed");
        for id in set.lines() {
            assert!(listed.insert((folder, id.to_string())), "{id} listed twice");
            assert!(
                kitti
                    .join(folder)
                    .join("image_2")
                    .join(format!("{id}.png"))
                    .exists()
            );
            // No LiDAR in this rig: an empty scan, which the preparation scripts accept.
            let velo = kitti
                .join(folder)
                .join("velodyne")
                .join(format!("{id}.bin"));
            assert_eq!(
                std::fs::metadata(&velo).map(|m| m.len()).ok(),
                Some(0),
                "{velo:?}"
            );
        }
    }
    for folder in ["training", "testing"] {
        let root = kitti.join(folder);
        let labels = files_in(&root.join("label_2"), "txt");
        assert_eq!(
            labels.len(),
            listed.iter().filter(|(f, _)| *f == folder).count(),
            "every {folder} frame is in ImageSets"
        );
        for label in labels {
            let name = label
                .file_stem()
                .expect("stem")
                .to_string_lossy()
                .into_owned();
            assert!(root.join("image_2").join(format!("{name}.png")).exists());
            let calib = std::fs::read_to_string(root.join("calib").join(format!("{name}.txt")))
                .expect("calib");
            for key in [
                "P0:",
                "P1:",
                "P2:",
                "P3:",
                "R0_rect:",
                "Tr_velo_to_cam:",
                "Tr_imu_to_velo:",
            ] {
                assert!(calib.contains(key), "calib lacks {key}");
            }
            let p = p2(&calib);
            for line in std::fs::read_to_string(&label).expect("label").lines() {
                let o = parse_kitti(line);
                assert_eq!(format_kitti(&o), line, "round trip");
                assert!(
                    [
                        "Car",
                        "Van",
                        "Truck",
                        "Pedestrian",
                        "Person_sitting",
                        "Cyclist",
                        "Tram",
                        "Misc",
                        "DontCare"
                    ]
                    .contains(&o.kind.as_str())
                );
                if o.kind == "DontCare" {
                    continue;
                }
                assert!((0.0..=1.0).contains(&o.truncated) && (0..=3).contains(&o.occluded));
                // KITTI evaluates objects truncated at most 50 %; beyond that the box centre
                // may legitimately lie outside the image.
                if o.truncated > 0.5 {
                    continue;
                }
                // Tolerance: the projected centre of the 3-D box lies in the 2-D (visible)
                // box grown by half its size plus 10 px (occluders can cut the visible box).
                let [h, _, _] = o.dims;
                let (x, y, z) = (o.location[0], o.location[1] - h / 2.0, o.location[2]);
                let u = (p[0] * x + p[1] * y + p[2] * z + p[3])
                    / (p[8] * x + p[9] * y + p[10] * z + p[11]);
                let v = (p[4] * x + p[5] * y + p[6] * z + p[7])
                    / (p[8] * x + p[9] * y + p[10] * z + p[11]);
                let [l, t, r, b] = o.bbox;
                let (gw, gh) = ((r - l) / 2.0 + 10.0, (b - t) / 2.0 + 10.0);
                assert!(
                    u > l - gw && u < r + gw && v > t - gh && v < b + gh,
                    "{line}: centre projects to ({u:.1}, {v:.1})"
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 3, "checked {checked} KITTI objects");
}

#[test]
fn kitti_tracking_keeps_track_ids_per_sequence() {
    let Some(dir) = dataset() else { return };
    let mut lines = 0;
    for split in ["train", "val", "test"] {
        for seq in files_in(
            &dir.join("exports/kitti_tracking")
                .join(split)
                .join("label_02"),
            "txt",
        ) {
            let mut classes: BTreeMap<i64, String> = BTreeMap::new();
            for line in std::fs::read_to_string(&seq).expect("read").lines() {
                let f: Vec<&str> = line.split_whitespace().collect();
                assert_eq!(f.len(), 17, "tracking lines have 17 fields: {line}");
                let track: i64 = f[1].parse().expect("track id");
                if track >= 0 {
                    let kind = classes.entry(track).or_insert_with(|| f[2].to_string());
                    assert_eq!(kind, f[2], "a track keeps its type");
                }
                lines += 1;
            }
        }
    }
    assert!(lines > 0);
}

/// Frame blocks split a variant with gaps between them: each unbroken run of a split's
/// frames becomes one tracking sequence, numbered from frame 0 (the devkit and TrackEval
/// read frames 0..length of every sequence in the seqmap).
#[test]
fn kitti_tracking_sequences_are_unbroken_runs_numbered_from_zero() {
    let Some(dir) = dataset() else { return };
    let exports = dir.join("exports");
    let doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(exports.join("export.json")).expect("export.json"))
            .expect("json");
    let mut sequences = 0;
    for split in ["train", "val", "test"] {
        // The runs export.json implies: frames of one variant in this split, cut where a
        // frame of the variant went elsewhere.
        let mut runs: Vec<(u64, u64, usize)> = Vec::new();
        for (variant, frames) in doc["split"]["frames_by_variant"]
            .as_object()
            .expect("variants")
        {
            let mut prev_here = false;
            for pair in frames.as_array().expect("frames") {
                let here = pair[1] == split;
                if here && prev_here {
                    if let Some(run) = runs.last_mut() {
                        run.2 += 1;
                    }
                } else if here {
                    runs.push((
                        variant.parse().expect("variant"),
                        pair[0].as_u64().expect("frame"),
                        1,
                    ));
                }
                prev_here = here;
            }
        }
        let root = exports.join("kitti_tracking").join(split);
        let seqmap = std::fs::read_to_string(root.join("seqmap.txt")).expect("seqmap");
        let origin: serde_json::Value =
            serde_json::from_slice(&std::fs::read(root.join("sequences.json")).expect("origin"))
                .expect("json");
        let written: Vec<(u64, u64, usize)> = origin
            .as_array()
            .expect("sequences")
            .iter()
            .map(|s| {
                (
                    s["variant"].as_u64().expect("variant"),
                    s["first_frame"].as_u64().expect("first"),
                    s["frames"].as_u64().expect("frames") as usize,
                )
            })
            .collect();
        let mut expected = runs.clone();
        expected.sort_unstable();
        assert_eq!(
            written, expected,
            "{split}: sequences are the unbroken runs"
        );
        sequences += written.len();
        for (i, line) in seqmap.lines().enumerate() {
            let f: Vec<&str> = line.split_whitespace().collect();
            assert_eq!(f[0], format!("{i:04}"));
            let length: usize = f[3].parse().expect("length");
            assert_eq!(length, written[i].2);
            let images = files_in(&root.join("image_02").join(f[0]), "png");
            let names: Vec<String> = images
                .iter()
                .map(|p| p.file_name().expect("name").to_string_lossy().into_owned())
                .collect();
            let consecutive: Vec<String> = (0..length).map(|k| format!("{k:06}.png")).collect();
            assert_eq!(names, consecutive, "sequence {}", f[0]);
            for label in
                std::fs::read_to_string(root.join("label_02").join(format!("{}.txt", f[0])))
                    .expect("labels")
                    .lines()
            {
                let frame: usize = label.split(' ').next().expect("frame").parse().expect("n");
                assert!(frame < length, "{label}");
            }
            let calib = std::fs::read_to_string(root.join("calib").join(format!("{}.txt", f[0])))
                .expect("calib");
            let keys: Vec<&str> = calib.lines().filter_map(|l| l.split(' ').next()).collect();
            assert_eq!(
                &keys[..7],
                [
                    "P0:",
                    "P1:",
                    "P2:",
                    "P3:",
                    "R_rect",
                    "Tr_velo_cam",
                    "Tr_imu_velo"
                ]
            );
        }
    }
    assert!(
        sequences > 4,
        "4 variants cut into blocks: {sequences} sequences"
    );
}

/// The tracking export loads in TrackEval (the KITTI tracking benchmark's evaluator):
/// the ground truth submitted as a tracker scores HOTA = MOTA = 1 with no identity switch.
#[test]
fn kitti_tracking_passes_trackeval() {
    let Some(dir) = dataset() else { return };
    let has = Command::new("python3")
        .args(["-c", "import trackeval"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !common::prerequisite(
        "trackeval",
        has,
        "pip install trackeval (tools/test.sh does)",
    ) {
        return;
    }
    let text = run_checker(
        "check_kitti_tracking.py",
        &[&dir.join("exports/kitti_tracking")],
    );
    assert_eq!(text.matches(": ok: ").count(), 3, "{text}");
}

/// Runs one of `tools/`' Python checkers on `args`; its stdout, once it exited 0.
fn run_checker(script: &str, args: &[&Path]) -> String {
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tools")
        .join(script);
    let out = Command::new("python3")
        .arg(script)
        .args(args)
        .output()
        .expect("python runs");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

#[test]
fn coco_passes_pycocotools() {
    let Some(dir) = dataset() else { return };
    let python = |args: &[&str]| Command::new("python3").args(args).output();
    let has = |m: &str| python(&["-c", &format!("import {m}")]).is_ok_and(|o| o.status.success());
    if !has("pycocotools") {
        let _ = python(&[
            "-m",
            "pip",
            "install",
            "--quiet",
            "pycocotools",
            "numpy",
            "pillow",
        ]);
    }
    if !common::prerequisite(
        "pycocotools and pillow",
        has("pycocotools") && has("PIL"),
        "pip install pycocotools pillow numpy (tools/test.sh does)",
    ) {
        return;
    }
    let text = run_checker("check_coco.py", &[dir, &dir.join("exports/coco")]);
    assert!(
        text.contains("AP bbox 1.0000, AP segm 1.0000, mask mismatches 0"),
        "{text}"
    );
}

#[test]
fn yolo_passes_a_loader_check() {
    let Some(dir) = dataset() else { return };
    let root = dir.join("exports/yolo");
    let yaml = std::fs::read_to_string(root.join("data.yaml")).expect("data.yaml");
    let names: Vec<&str> = yaml
        .lines()
        .filter(|l| l.starts_with("  ") && l.contains(':'))
        .collect();
    assert_eq!(names.len(), 9);
    // ultralytics resolves a relative `path:` against the current directory and the split
    // folders against the yaml's own folder only when `path` is absent.
    assert!(!yaml.lines().any(|l| l.starts_with("path:")), "{yaml}");
    for key in [
        "train: images/train",
        "val: images/val",
        "test: images/test",
    ] {
        assert!(yaml.contains(key));
        let folder = root.join(key.split(": ").nth(1).expect("folder"));
        assert!(!files_in(&folder, "png").is_empty(), "{key} has images");
    }
    let mut boxes = 0;
    for split in ["train", "val", "test"] {
        for label in files_in(&root.join("labels").join(split), "txt") {
            let stem = label
                .file_stem()
                .expect("stem")
                .to_string_lossy()
                .into_owned();
            assert!(
                root.join("images")
                    .join(split)
                    .join(format!("{stem}.png"))
                    .exists(),
                "image for {stem}"
            );
            for line in std::fs::read_to_string(&label).expect("read").lines() {
                let f: Vec<f64> = line
                    .split_whitespace()
                    .map(|x| x.parse().expect("number"))
                    .collect();
                assert_eq!(f.len(), 5);
                assert!(f[0].fract() == 0.0 && f[0] >= 0.0 && f[0] < 9.0);
                assert!(
                    f[1..].iter().all(|v| (0.0..=1.0).contains(v)) && f[3] > 0.0 && f[4] > 0.0,
                    "{line}"
                );
                boxes += 1;
            }
        }
    }
    assert!(boxes > 10);
}

#[test]
fn cityscapes_ids_and_colours_match_the_official_table() {
    let Some(dir) = dataset() else { return };
    let gt = dir.join("exports/cityscapes/gtFine");
    let mut seen = BTreeSet::new();
    for split in ["train", "val", "test"] {
        // cityscapesScripts splits names at `_`: the city has none.
        let city = gt.join(split).join("urban-intersection");
        for ids in files_in(&city, "png")
            .into_iter()
            .filter(|p| p.to_string_lossy().ends_with("_gtFine_labelIds.png"))
        {
            let stem = ids.to_string_lossy().replace("_gtFine_labelIds.png", "");
            let label = image::open(&ids).expect("labelIds").into_luma8();
            let color = image::open(format!("{stem}_gtFine_color.png"))
                .expect("color")
                .into_rgb8();
            let inst = image::open(format!("{stem}_gtFine_instanceIds.png"))
                .expect("instanceIds")
                .into_luma16();
            for ((l, c), i) in label.pixels().zip(color.pixels()).zip(inst.pixels()) {
                let row = &CITYSCAPES[usize::from(l.0[0])];
                assert_eq!(c.0, row.color, "colour of {}", row.name);
                let v = i.0[0];
                if row.has_instances {
                    assert_eq!(v / 1000, u16::from(row.id), "instance id of a {}", row.name);
                } else {
                    assert_eq!(v, u16::from(row.id));
                }
                seen.insert(row.id);
            }
        }
    }
    for id in [7u8, 8, 11, 23, 26] {
        assert!(seen.contains(&id), "label {id} should appear");
    }
}

#[test]
fn small_renders_split_into_gapped_frame_blocks_recorded_in_export_json() {
    let Some(dir) = dataset() else { return };
    let doc: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.join("exports/export.json")).expect("export.json"),
    )
    .expect("json");
    let split = &doc["split"];
    assert_eq!(split["assignment"]["mode"], "frame-blocks", "{split}");
    let gap = split["assignment"]["gap"].as_u64().expect("gap");
    assert!(gap >= 1);
    for name in ["train", "val", "test"] {
        assert!(
            split["frames"][name].as_u64().expect("count") > 0,
            "{name} is filled"
        );
    }
    // Frames of different splits in one variant are more than the gap apart, and what
    // export.json says matches the COCO images actually written.
    let mut recorded: BTreeMap<(u64, u64), String> = BTreeMap::new();
    for (variant, frames) in split["frames_by_variant"].as_object().expect("variants") {
        let v: u64 = variant.parse().expect("variant");
        for pair in frames.as_array().expect("frames") {
            let f = pair[0].as_u64().expect("frame");
            recorded.insert((v, f), pair[1].as_str().expect("split").to_string());
        }
    }
    assert_eq!(recorded.len(), 4 * 6);
    for ((v1, f1), s1) in &recorded {
        for ((v2, f2), s2) in &recorded {
            if v1 == v2 && s1 != s2 && s1 != "dropped" && s2 != "dropped" {
                assert!(
                    f1.abs_diff(*f2) > gap,
                    "v{v1}: frames {f1} ({s1}) and {f2} ({s2})"
                );
            }
        }
    }
    for name in ["train", "val", "test"] {
        let coco: serde_json::Value = serde_json::from_slice(
            &std::fs::read(
                dir.join("exports/coco/annotations")
                    .join(format!("instances_{name}.json")),
            )
            .expect("coco"),
        )
        .expect("json");
        for im in coco["images"].as_array().expect("images") {
            let key = (
                im["variant"].as_u64().expect("variant"),
                im["frame"].as_u64().expect("frame"),
            );
            assert_eq!(recorded.get(&key).map(String::as_str), Some(name));
        }
    }
}

#[test]
fn splitting_by_variant_only_refuses_an_empty_split_with_a_hint() {
    let Some(dir) = dataset() else { return };
    let out = dir.with_extension("by-variant");
    let o = Command::new(env!("CARGO_BIN_EXE_drivegen"))
        .args([
            "export",
            "--format",
            "yolo",
            "--split-by",
            "variant",
            "--split",
            "1,1,1",
            "--out",
        ])
        .arg(&out)
        .arg(dir)
        .output()
        .expect("runs");
    let err = String::from_utf8_lossy(&o.stderr);
    let run: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("run.json")).expect("run.json"))
            .expect("json");
    let seed = run["seed"].as_u64().expect("seed");
    let thirds = drivegen_export::SplitFractions([1.0, 1.0, 1.0]);
    let filled: BTreeSet<_> = (0..4).map(|v| thirds.of(seed, v)).collect();
    if filled.len() == 3 {
        assert!(o.status.success(), "{err}");
    } else {
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(
            err.contains("--variants 10") && err.contains("frame-blocks"),
            "{err}"
        );
        assert!(!out.join("yolo/data.yaml").exists(), "nothing written");
    }
    // With 40 variants' worth of hashes the same fractions fill every split: the refusal
    // is about this small render, not about the fractions.
    assert_eq!(
        (0..40)
            .map(|v| thirds.of(seed, v))
            .collect::<BTreeSet<_>>()
            .len(),
        3
    );
}

#[test]
fn exporting_again_replaces_every_format_folder_whole() {
    let Some(dir) = dataset() else { return };
    let out = dir.with_extension("again");
    let _ = std::fs::remove_dir_all(&out);
    let export_as = |formats: &str, split: &str| {
        let o = Command::new(env!("CARGO_BIN_EXE_drivegen"))
            .args(["export", "--quiet", "--format", formats])
            .args(["--split", split, "--out"])
            .arg(&out)
            .arg(dir)
            .output()
            .expect("runs");
        common::assert_success(&o);
    };
    let export = |split: &str| export_as("yolo,kitti,coco,cityscapes", split);
    export("0.8,0.1,0.1");
    export("1,0,0");
    let count = |p: &str| files_in(&out.join(p), "png").len();
    assert_eq!(
        count("yolo/images/train"),
        4 * 6,
        "every frame in train, once"
    );
    for stale in [
        "yolo/images/val",
        "yolo/images/test",
        "coco/val",
        "kitti/testing",
    ] {
        assert!(
            !out.join(stale).exists(),
            "{stale} left from the first export"
        );
    }
    assert_eq!(count("kitti/training/image_2"), 4 * 6);
    assert!(!out.join(".export.partial").exists());
    export("0.8,0.1,0.1");
    assert!(count("yolo/images/train") < 4 * 6 && count("yolo/images/val") > 0);
    // A format dropped from the next export goes with it; a folder drivegen did not
    // write stays.
    std::fs::create_dir_all(out.join("notes")).expect("mkdir");
    export_as("coco", "0.8,0.1,0.1");
    for gone in ["yolo", "kitti", "cityscapes"] {
        assert!(
            !out.join(gone).exists(),
            "{gone} left from the previous export"
        );
    }
    assert!(out.join("coco").exists() && out.join("notes").exists());
    // The summary counts the boxes the export carries.
    let o = Command::new(env!("CARGO_BIN_EXE_drivegen"))
        .args(["export", "--format", "coco", "--out"])
        .arg(&out)
        .arg(dir)
        .output()
        .expect("runs");
    common::assert_success(&o);
    let said = String::from_utf8_lossy(&o.stdout).into_owned();
    let boxes: usize = ["train", "val", "test"]
        .iter()
        .map(|split| {
            let doc: serde_json::Value = serde_json::from_slice(
                &std::fs::read(out.join(format!("coco/annotations/instances_{split}.json")))
                    .expect("coco"),
            )
            .expect("json");
            doc["annotations"].as_array().expect("annotations").len()
        })
        .sum();
    assert!(said.contains(&format!(", {boxes} objects")), "{said}");
}

#[test]
fn query_keeps_only_matching_objects_and_their_frames() {
    let Some(dir) = dataset() else { return };
    let out = dir.with_extension("query");
    let _ = std::fs::remove_dir_all(&out);
    let o = Command::new(env!("CARGO_BIN_EXE_drivegen"))
        .args([
            "query",
            "--quiet",
            "--class",
            "vehicle",
            "--min-visibility",
            "0.3",
            "--out",
        ])
        .arg(&out)
        .arg(dir)
        .output()
        .expect("runs");
    common::assert_success(&o);
    let vehicles = ["car", "suv", "van", "truck", "bus", "motorcycle", "bicycle"];
    let mut frames = 0;
    for v in 0..4 {
        let labels = out.join(format!("v{v:03}/front/labels"));
        for f in files_in(&labels, "json") {
            let doc: serde_json::Value =
                serde_json::from_slice(&std::fs::read(&f).expect("read")).expect("json");
            let objs = doc["objects"].as_array().expect("objects");
            assert!(!objs.is_empty(), "a kept frame has a matching object");
            for obj in objs {
                assert!(vehicles.contains(&obj["class"].as_str().expect("class")));
                assert!(obj["visibility"].as_f64().expect("visibility") >= 0.3);
            }
            let stem = f.file_stem().expect("stem").to_string_lossy().into_owned();
            assert!(
                out.join(format!("v{v:03}/front/instance/{stem}.png"))
                    .exists()
            );
            frames += 1;
        }
    }
    assert!(frames > 0);
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).expect("manifest"))
            .expect("json");
    assert_eq!(manifest["frames"].as_array().map(Vec::len), Some(frames));
}

/// A misspelt class for `query`, or a camera the dataset lacks for `export`, is an input
/// error (exit 2) with a hint, and writes nothing: both once exited 0 with an empty subset.
#[test]
fn unknown_query_classes_and_export_cameras_are_input_errors() {
    let Some(dir) = dataset() else { return };
    let out = dir.with_extension("unknown");
    let _ = std::fs::remove_dir_all(&out);
    for (args, wanted) in [
        (
            &["query", "--class", "pedestrain", "--out"][..],
            "unknown class `pedestrain`\n  = hint: did you mean `pedestrian`?",
        ),
        (
            &["export", "--format", "coco", "--camera", "rear", "--out"][..],
            "--camera `rear`: the dataset has no such camera\n  = hint: its cameras are front",
        ),
    ] {
        let o = Command::new(env!("CARGO_BIN_EXE_drivegen"))
            .args(args)
            .arg(&out)
            .arg(dir)
            .output()
            .expect("runs");
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(err.contains(wanted), "{err}");
        assert!(!out.join("manifest.json").exists() && !out.join("export.json").exists());
    }
}

/// Cameras at different rates share one split per instant: the side camera (5 Hz) puts
/// each of its frames in the split the front camera (10 Hz) puts the same frame in.
#[test]
fn every_camera_of_a_rig_shares_one_split_per_instant() {
    if !common::vulkan() {
        return;
    }
    let dir = common::scratch("rig");
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join("rig.ron");
    std::fs::write(
        &file,
        r#"Scenario(
    name: "rig", seed: 3, variants: 2,
    capture: (duration: 1.0, rate: 10.0, warmup: 0.0),
    map: (blocks: Sequence([Straight(length: 120)])),
    traffic: (vehicles: 2), pedestrians: (count: 2),
    sensors: (cameras: [
        (name: "front", width: 96, height: 64),
        (name: "side", mount: (x: 0.5, y: 0.9, z: 1.5, yaw: 90), width: 96, height: 64, rate: 5.0),
    ]),
)"#,
    )
    .expect("write");
    let out = dir.join("ds");
    let o = Command::new(env!("CARGO_BIN_EXE_drivegen"))
        .env("XDG_RUNTIME_DIR", std::env::temp_dir())
        .args(["render", "--quiet", "--quality", "draft", "--out"])
        .arg(&out)
        .arg(&file)
        .output()
        .expect("runs");
    common::assert_success(&o);
    let split_of = |camera: &str| {
        let to = dir.join(format!("export-{camera}"));
        let o = Command::new(env!("CARGO_BIN_EXE_drivegen"))
            .args([
                "export", "--quiet", "--format", "coco", "--camera", camera, "--out",
            ])
            .arg(&to)
            .arg(&out)
            .output()
            .expect("runs");
        common::assert_success(&o);
        let doc: serde_json::Value =
            serde_json::from_slice(&std::fs::read(to.join("export.json")).expect("export.json"))
                .expect("json");
        let mut out = BTreeMap::new();
        for (v, frames) in doc["split"]["frames_by_variant"]
            .as_object()
            .expect("by variant")
        {
            for pair in frames.as_array().expect("frames") {
                let f = pair[0].as_u64().expect("frame");
                out.insert((v.clone(), f), pair[1].as_str().expect("split").to_string());
            }
        }
        out
    };
    let (front, side) = (split_of("front"), split_of("side"));
    assert!(!side.is_empty() && side.len() < front.len(), "{side:?}");
    for (key, split) in &side {
        assert_eq!(
            front.get(key),
            Some(split),
            "{key:?}: front {front:?}, side {side:?}"
        );
    }
}

#[test]
fn augmented_boxes_equal_the_boxes_of_their_transformed_masks() {
    let Some(dir) = dataset() else { return };
    let out = dir.with_extension("augmented");
    let _ = std::fs::remove_dir_all(&out);
    let o = Command::new(env!("CARGO_BIN_EXE_drivegen"))
        .args([
            "augment", "--quiet", "--copies", "2", "--seed", "5", "--out",
        ])
        .arg(&out)
        .arg(dir)
        .output()
        .expect("runs");
    common::assert_success(&o);
    let mut samples = 0;
    let mut flipped = 0;
    for v in 0..4 {
        for k in 0..2 {
            let cam = out.join(format!("v{v:03}/front_aug{k}"));
            for label in files_in(&cam.join("labels"), "json") {
                let stem = label
                    .file_stem()
                    .expect("stem")
                    .to_string_lossy()
                    .into_owned();
                let inst = image::open(cam.join(format!("instance/{stem}.png")))
                    .expect("instance")
                    .into_luma16();
                let doc: serde_json::Value =
                    serde_json::from_slice(&std::fs::read(&label).expect("read")).expect("json");
                let mut boxes: BTreeMap<u16, [u32; 4]> = BTreeMap::new();
                for (x, y, p) in inst.enumerate_pixels() {
                    let b = boxes.entry(p.0[0]).or_insert([x, y, x, y]);
                    *b = [b[0].min(x), b[1].min(y), b[2].max(x), b[3].max(y)];
                }
                for o in doc["objects"].as_array().expect("objects") {
                    let id = o["id"].as_u64().expect("id") as u16;
                    match boxes.get(&id) {
                        Some(b) => {
                            let stored: Vec<u64> = o["tight_box"]
                                .as_array()
                                .expect("box")
                                .iter()
                                .map(|v| v.as_f64().expect("n") as u64)
                                .collect();
                            assert_eq!(
                                stored,
                                vec![
                                    u64::from(b[0]),
                                    u64::from(b[1]),
                                    u64::from(b[2] + 1),
                                    u64::from(b[3] + 1)
                                ],
                                "object {id}"
                            );
                        }
                        None => assert!(
                            o["tight_box"].is_null(),
                            "object {id} left the image but kept a box"
                        ),
                    }
                    let visible = o["visible_pixels"].as_u64().expect("visible");
                    let unoccluded = o["unoccluded_pixels"].as_u64().expect("unoccluded");
                    let visibility = o["visibility"].as_f64().expect("visibility");
                    assert!(visible <= unoccluded, "object {id}: {o}");
                    if unoccluded > 0 {
                        assert!(
                            (visibility - visible as f64 / unoccluded as f64).abs() < 1e-9,
                            "object {id}: visibility is that of the copy: {o}"
                        );
                    }
                    let truncation = o["truncation"].as_f64().expect("truncation");
                    assert!((0.0..=1.0).contains(&truncation), "object {id}: {o}");
                }
                flipped += usize::from(
                    doc["augmentation"]["params"]["flip"]
                        .as_bool()
                        .expect("flip"),
                );
                samples += 1;
            }
        }
    }
    assert_eq!(samples, 2 * 4 * 6, "2 copies of 4 variants x 6 frames");
    assert!(
        flipped > 0 && flipped < samples,
        "flips are random: {flipped} of {samples}"
    );
    // KITTI from augmented frames warns that its 3-D labels describe the source view;
    // from the source dataset it does not.
    for (from, warned) in [(&out, true), (dir, false)] {
        let o = Command::new(env!("CARGO_BIN_EXE_drivegen"))
            .args(["export", "--format", "kitti", "--out"])
            .arg(from.with_extension("kitti-check"))
            .arg(from)
            .output()
            .expect("runs");
        common::assert_success(&o);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(
            err.contains("describe the unaugmented view"),
            warned,
            "{err}"
        );
    }
}

/// A query whose export refuses its subset (too few frames left in a variant for three
/// splits) fails with exit 2 and leaves nothing behind: the subset had stayed on disk as
/// if the query had worked.
#[test]
fn a_query_its_export_refuses_leaves_nothing() {
    let Some(dir) = dataset() else { return };
    let mut refused = 0;
    for class in ["truck", "bus", "motorcycle", "bicycle", "van", "suv"] {
        let out = dir.with_extension(format!("refused-{class}"));
        let _ = std::fs::remove_dir_all(&out);
        let o = Command::new(env!("CARGO_BIN_EXE_drivegen"))
            .args([
                "query", "--quiet", "--class", class, "--format", "coco", "--out",
            ])
            .arg(&out)
            .arg(dir)
            .output()
            .expect("runs");
        let err = String::from_utf8_lossy(&o.stderr);
        if err.contains("too few for 3 splits") {
            refused += 1;
            assert_eq!(o.status.code(), Some(2), "{class}: {err}");
            assert!(
                !out.exists(),
                "{class}: the refused subset is left in {}",
                out.display()
            );
        } else {
            common::assert_success(&o);
        }
    }
    eprintln!("{refused} of 6 classes left too few frames for three splits");
}
