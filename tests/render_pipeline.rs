//! `drivegen render` end to end: the native layout on disk, byte-identical reruns, files
//! consistent with each other, RGB when a Vulkan adapter exists, and a clear error when
//! none does.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{drivegen, scratch};

fn render(out: &Path, extra: &[&str]) -> std::process::Output {
    common::render_small(out, 3, extra)
}

fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    common::files(dir, &[])
}

#[test]
fn labels_only_render_is_reproducible_and_self_consistent() {
    let (a, b) = (scratch("a"), scratch("b"));
    for dir in [&a, &b] {
        let out = render(dir, &["--no-rgb", "--quiet"]);
        common::assert_success(&out);
    }
    let fa = files(&a);
    let fb = files(&b);
    assert_eq!(fa.keys().collect::<Vec<_>>(), fb.keys().collect::<Vec<_>>());
    for (name, bytes) in &fa {
        assert!(
            fb[name] == *bytes,
            "{name} differs between two runs of the same seed"
        );
    }
    for kind in ["instance", "semantic", "depth", "labels"] {
        assert!(
            fa.keys().any(|k| k.contains(&format!("/{kind}/000002"))),
            "missing {kind} output"
        );
    }
    assert!(
        fa.contains_key("v000/calibration.json")
            && fa.contains_key("run.json")
            && fa.contains_key("scenario.ron")
    );

    let captions = String::from_utf8(fa["captions.jsonl"].clone()).expect("utf8");
    assert_eq!(captions.lines().count(), 3, "one caption per frame");
    for line in captions.lines() {
        let c: serde_json::Value = serde_json::from_str(line).expect("json");
        let text = c["caption"].as_str().expect("caption");
        assert!(
            ["morning", "midday", "afternoon"]
                .iter()
                .any(|t| text.starts_with(t)),
            "{text}"
        );
        // The vehicles it counts are the frame's visible labels, by their own class
        // (Cityscapes' "car" id covers SUVs and vans too).
        let frame = c["frame"].as_u64().expect("frame");
        let labels: serde_json::Value =
            serde_json::from_slice(&fa[&format!("v000/front/labels/{frame:06}.json")])
                .expect("labels");
        for (class, one, many) in [
            ("car", "car", "cars"),
            ("suv", "SUV", "SUVs"),
            ("van", "van", "vans"),
        ] {
            let n = labels["objects"]
                .as_array()
                .expect("objects")
                .iter()
                .filter(|o| o["class"] == class && o["visible"] == true)
                .count();
            let said = match n {
                0 => None,
                1 => Some(format!("1 {one}")),
                n => Some(format!("{n} {many}")),
            };
            if let Some(said) = said {
                assert!(
                    [",", ";", ""]
                        .iter()
                        .any(|end| text.contains(&format!(" {said}{end}"))
                            && (!end.is_empty() || text.ends_with(&said))),
                    "{text}: {n} visible {class} label(s)"
                );
            }
        }
        assert!(
            text.contains("car")
                || text.contains("SUV")
                || text.contains("van")
                || text.contains("no other vehicles"),
            "{text}"
        );
    }
    let manifest: serde_json::Value =
        serde_json::from_slice(&fa["manifest.json"]).expect("manifest");
    assert_eq!(manifest["frames"].as_array().map(Vec::len), Some(3));
    assert_eq!(
        manifest["scenario"]["sha256"].as_str().map(str::len),
        Some(64)
    );

    let cam = a.join("v000/front");
    for frame in 0..3 {
        let name = format!("{frame:06}");
        let inst = image::open(cam.join(format!("instance/{name}.png")))
            .expect("instance png")
            .into_luma16();
        let sem = image::open(cam.join(format!("semantic/{name}.png")))
            .expect("semantic png")
            .into_luma8();
        let depth = image::open(cam.join(format!("depth/{name}.png")))
            .expect("depth png")
            .into_luma16();
        let labels: serde_json::Value = serde_json::from_slice(
            &std::fs::read(cam.join(format!("labels/{name}.json"))).expect("labels"),
        )
        .expect("json");
        assert_eq!(inst.dimensions(), (320, 192));
        let mut counts: BTreeMap<u16, u32> = BTreeMap::new();
        for ((i, s), d) in inst.pixels().zip(sem.pixels()).zip(depth.pixels()) {
            *counts.entry(i.0[0]).or_default() += 1;
            if i.0[0] == 0 {
                assert_eq!(
                    (s.0[0], d.0[0]),
                    (23, 0),
                    "sky is labelId 23 with invalid depth"
                );
            } else if i.0[0] >= 100 {
                // Objects are within the label range; only far terrain exceeds 255 m.
                assert!(d.0[0] > 0, "object pixels have a depth");
            }
        }
        assert!(
            counts.contains_key(&7) && counts.contains_key(&0),
            "road and sky in view"
        );
        let objects = labels["objects"].as_array().expect("objects");
        assert!(!objects.is_empty());
        for o in objects {
            let id = o["id"].as_u64().expect("id") as u16;
            let visible = o["visible_pixels"].as_u64().expect("count") as u32;
            assert_eq!(
                counts.get(&id).copied().unwrap_or(0),
                visible,
                "object {id} pixel count"
            );
            let want = o["cityscapes_id"].as_u64().expect("class") as u8;
            for (i, s) in inst.pixels().zip(sem.pixels()) {
                if i.0[0] == id {
                    assert_eq!(
                        s.0[0], want,
                        "pixel of instance {id} has the wrong semantic class"
                    );
                }
            }
        }
    }
}

#[test]
fn rgb_render_reproduces_on_this_machine() {
    if !common::vulkan() {
        return;
    }
    let (a, b) = (scratch("rgb-a"), scratch("rgb-b"));
    for dir in [&a, &b] {
        let out = render(dir, &["--quiet"]);
        common::assert_success(&out);
    }
    let rgb = a.join("v000/front/rgb/000001.png");
    let img = image::open(&rgb).expect("rgb png").into_rgb8();
    assert_eq!(img.dimensions(), (320, 192));
    let inst = image::open(a.join("v000/front/instance/000001.png"))
        .expect("instance")
        .into_luma16();
    // Sky pixels (per the label pass) are blue-ish; road pixels are grey and darker.
    let mut sky = [0f64; 3];
    let mut road = [0f64; 3];
    let (mut ns, mut nr) = (0f64, 0f64);
    for (p, i) in img.pixels().zip(inst.pixels()) {
        let target = match i.0[0] {
            0 => {
                ns += 1.0;
                &mut sky
            }
            7 => {
                nr += 1.0;
                &mut road
            }
            _ => continue,
        };
        for (t, v) in target.iter_mut().zip(p.0) {
            *t += f64::from(v);
        }
    }
    assert!(ns > 100.0 && nr > 100.0);
    let (sky, road) = (sky.map(|v| v / ns), road.map(|v| v / nr));
    assert!(sky[2] > sky[0] + 20.0, "sky should be blue: {sky:?}");
    assert!(
        road.iter().sum::<f64>() < sky.iter().sum::<f64>(),
        "road darker than sky: {road:?} vs {sky:?}"
    );
    assert_eq!(
        std::fs::read(&rgb).expect("a"),
        std::fs::read(b.join("v000/front/rgb/000001.png")).expect("b")
    );
}

#[test]
fn missing_vulkan_driver_is_a_clear_error() {
    let dir = scratch("novk");
    let out = drivegen()
        .env("VK_ICD_FILENAMES", "/nonexistent/icd.json")
        .env("VK_DRIVER_FILES", "/nonexistent/icd.json")
        .args(["render", "--frames", "1", "--variants", "1", "--out"])
        .arg(&dir)
        .output()
        .expect("runs");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("mesa-vulkan-drivers"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

/// A first run talks once and plainly: no loader error without `XDG_RUNTIME_DIR` (the
/// binary gives itself a private one), one drivegen line about a software renderer
/// however many engines start (Bevy's own warning, once per engine, is filtered), and
/// no colour codes when stderr is not a terminal.
#[test]
fn a_render_without_a_runtime_dir_prints_one_plain_adapter_line() {
    if !common::vulkan() {
        return;
    }
    let out = scratch("talk");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_drivegen"))
        .env_remove("XDG_RUNTIME_DIR")
        .args([
            "render",
            "--frames",
            "1",
            "--variants",
            "3",
            "--width",
            "64",
            "--height",
            "32",
            "--out",
        ])
        .arg(&out)
        .output()
        .expect("runs");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(!err.contains("XDG_RUNTIME_DIR"), "{err}");
    assert!(!err.contains('\u{1b}'), "colour codes in a pipe: {err}");
    let adapter_lines = err
        .lines()
        .filter(|l| l.contains("Vulkan renderer"))
        .count();
    let software = drivegen_sim::probe_adapter().is_ok_and(|a| a.contains("Cpu"));
    assert_eq!(adapter_lines, usize::from(software), "{err}");
    assert!(
        !err.contains("software rendering"),
        "Bevy's own warning: {err}"
    );
    assert!(String::from_utf8_lossy(&o.stdout).contains("rendered 3 of 3 frames"));
}

/// `validate` plans a file's first variant: a file that parses and is in range but whose
/// rules cannot be met fails there, with the planner's reason and a hint that fits.
#[test]
fn validate_fails_a_file_whose_first_variant_cannot_be_planned() {
    let dir = scratch("validate-plan");
    std::fs::create_dir_all(&dir).expect("scratch dir");
    let file = dir.join("one_lane_change.ron");
    std::fs::write(
        &file,
        r#"Scenario(
    name: "one lane change", seed: 1,
    map: (lanes_per_direction: 1),
    events: [(name: "lc", actor: "vehicle:0", trigger: Time(1.0), action: LaneChange(direction: Left, duration: 3.0))],
)"#,
    )
    .expect("writes");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_drivegen"))
        .arg("validate")
        .arg(&file)
        .output()
        .expect("runs");
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("cannot plan variant 0") && err.contains("event `lc`"),
        "{err}"
    );
    // At the event's line and column in the file, like a load error.
    assert!(err.contains("one_lane_change.ron:4:14: error:"), "{err}");
    // One lane each way: neither side has a lane, so "the other way" is no advice.
    assert!(
        err.contains("one lane each way") && !err.contains("the other way"),
        "{err}"
    );
    assert!(!String::from_utf8_lossy(&o.stdout).contains(": ok"));
}

/// Writes `text` as `name` in a scratch folder and renders it labels-only (plus `extra`
/// arguments) into `out` beside it: the command's output and that folder.
fn render_text(
    name: &str,
    text: &str,
    extra: &[&str],
) -> (std::process::Output, std::path::PathBuf) {
    let dir = scratch(name);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    let file = dir.join(format!("{name}.ron"));
    std::fs::write(&file, text).expect("writes");
    let out = dir.join("out");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_drivegen"))
        .args(["render", "--no-rgb", "--out"])
        .arg(&out)
        .args(extra)
        .arg(&file)
        .output()
        .expect("runs");
    common::assert_success(&o);
    (o, out)
}

/// A pedestrian a relation puts on the carriageway (an AEB target) is captioned as in
/// the road, not on the sidewalks.
#[test]
fn a_pedestrian_in_the_road_is_captioned_so() {
    let (_, out) = render_text(
        "caption-road",
        r#"Scenario(
    name: "in the road", seed: 8,
    capture: (duration: 0.2, rate: 10.0, warmup: 0.0),
    map: (blocks: Sequence([Straight(length: 200)]), lanes_per_direction: 1, crosswalks: false),
    traffic: (vehicles: 0), pedestrians: (count: 0),
    ego: (route: Straight, start_offset: 30),
    actors: [(name: "walker", class: Pedestrian(Adult), place: Left(of: Ego, distance: 3.5, along: 30), visible_from: "front")],
    sensors: (cameras: [(name: "front", width: 320, height: 192)]),
)"#,
        &["--quiet"],
    );
    let captions = std::fs::read_to_string(out.join("captions.jsonl")).expect("captions");
    for line in captions.lines() {
        let c: serde_json::Value = serde_json::from_str(line).expect("json");
        let text = c["caption"].as_str().expect("caption");
        assert!(
            text.contains("1 pedestrian in the road") && !text.contains("sidewalks"),
            "{text}"
        );
    }
}

/// Captions say where things are from the ego, whichever way a camera looks: the rear
/// camera's nearest car is behind the ego (it said "ahead", and left and right swapped).
#[test]
fn a_rear_camera_captions_what_is_behind_the_ego() {
    let (_, out) = render_text(
        "caption-rear",
        r#"Scenario(
    name: "rear", seed: 8,
    capture: (duration: 0.1, rate: 10.0, warmup: 0.0),
    map: (blocks: Sequence([Straight(length: 300)]), lanes_per_direction: 1, crosswalks: false),
    traffic: (vehicles: 0, parked: 0), pedestrians: (count: 0),
    ego: (route: Straight, start_offset: 60),
    actors: [
        (name: "lead", class: Vehicle(Car), place: Ahead(of: Ego, distance: 30)),
        (name: "follower", class: Vehicle(Van), place: Behind(of: Ego, distance: 15)),
    ],
    sensors: (cameras: [
        (name: "front", width: 320, height: 192),
        (name: "rear", mount: (x: -2.0, z: 1.5, yaw: 180), width: 320, height: 192),
    ]),
)"#,
        &["--quiet"],
    );
    let captions = std::fs::read_to_string(out.join("captions.jsonl")).expect("captions");
    let by_camera: BTreeMap<String, String> = captions
        .lines()
        .map(|line| {
            let c: serde_json::Value = serde_json::from_str(line).expect("json");
            (
                c["camera"].as_str().expect("camera").to_string(),
                c["caption"].as_str().expect("caption").to_string(),
            )
        })
        .collect();
    let rear = &by_camera["rear"];
    assert!(
        rear.contains("van 1") && rear.contains("m behind in the ego lane"),
        "{rear}"
    );
    let front = &by_camera["front"];
    assert!(front.contains("m ahead in the ego lane"), "{front}");
}

/// An event whose trigger never holds during the capture (a time in milliseconds, say)
/// is named in the render's summary with the variants it missed; one that fires is not.
#[test]
fn the_render_names_events_that_never_fired() {
    let (o, _) = render_text(
        "never-fired",
        r#"Scenario(
    name: "late", seed: 8, variants: 2,
    capture: (duration: 0.5, rate: 10.0, warmup: 0.0),
    map: (blocks: Sequence([Straight(length: 200)])),
    traffic: (vehicles: 0, parked: 0), pedestrians: (count: 0),
    events: [
        (name: "in_ms", actor: "ego", trigger: Time(1500), action: Brake(decel: 3.0)),
        (name: "on_time", actor: "ego", trigger: Time(0.2), action: Brake(decel: 1.0)),
    ],
    sensors: (cameras: [(name: "front", width: 160, height: 96)]),
)"#,
        &[],
    );
    let said = String::from_utf8_lossy(&o.stdout);
    assert!(
        said.contains("event `in_ms` never fired in variant(s) 0, 1"),
        "{said}"
    );
    assert!(!said.contains("`on_time`"), "{said}");
}

/// A capture whose labels list a collision says so in its caption: a missed-braking test
/// (a child dashes out at a time to collision of 1.2 s, the ego does not brake).
#[test]
fn a_collision_is_captioned() {
    let (_, out) = render_text(
        "caption-collision",
        r#"Scenario(
    name: "hit", seed: 808,
    capture: (duration: 5.0, rate: 10.0, warmup: 0.0),
    map: (blocks: Sequence([Straight(length: 200)]), lanes_per_direction: 1, speed_limit: 11.1, crosswalks: false),
    traffic: (vehicles: 0, parked: 0), pedestrians: (count: 0), signals: (enabled: false),
    ego: (route: Straight, start_offset: 10),
    actors: [(name: "kid", class: Pedestrian(Child), place: Ahead(of: Ego, distance: 30, lateral: -3.0), heading: 90)],
    events: [(name: "dash", actor: "kid", trigger: EgoTtc(below: 1.2), action: StartCrossing(speed: 3.0))],
    sensors: (cameras: [(name: "front", width: 160, height: 96)]),
)"#,
        &["--quiet"],
    );
    let mut hits = 0;
    for frame in 0..50 {
        let path = out.join(format!("v000/front/labels/{frame:06}.json"));
        let labels: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).expect("labels")).expect("json");
        let collided = labels["collisions"]
            .as_array()
            .is_some_and(|c| !c.is_empty());
        let said = labels["caption"]
            .as_str()
            .expect("caption")
            .contains("collision: the ego and a pedestrian");
        assert_eq!(collided, said, "frame {frame}: {}", labels["caption"]);
        hits += usize::from(collided);
    }
    assert!(hits > 0, "the ego hit the child");
}
