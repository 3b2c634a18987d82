//! `render --refine` keeps to what the refiner's real frames show: on a clear day it
//! changes the classes they show as the network does and grades every other class with
//! one colour map; at night it leaves the frame as rendered; `--refine-reach full` gives
//! the network's output everywhere; a checkpoint whose config.json says its real frames
//! show more classes reaches them by default. `run.json` records which.

mod common;

use std::path::Path;

use common::scratch;

/// Cityscapes labelIds of road, sidewalk, vegetation, terrain and sky.
const SHOWN: [u8; 5] = [7, 8, 21, 22, 23];
/// What `covered` comes to with a shipped refiner, as run.json records it.
const SHIPPED_REACH: &str = "covered:road,sidewalk,vegetation,terrain,sky";

fn render(out: &Path, extra: &[&str]) {
    let mut flags = vec!["--quiet", "--refine", "fast", "--refine-backend", "flex"];
    flags.extend_from_slice(extra);
    common::assert_success(&common::render_small(out, 1, &flags));
}

fn json(path: &Path) -> serde_json::Value {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&bytes).expect("json")
}

fn rgb(run: &Path, folder: &str) -> image::RgbImage {
    image::open(run.join("v000/front").join(folder).join("000000.png"))
        .unwrap_or_else(|e| panic!("{} {folder}: {e}", run.display()))
        .to_rgb8()
}

#[test]
fn a_day_frame_is_refined_where_the_real_frames_show_the_class_and_graded_elsewhere() {
    if !common::vulkan() {
        return;
    }
    let (covered, full) = (scratch("reach-covered"), scratch("reach-full"));
    render(&covered, &[]);
    render(&full, &["--refine-reach", "full"]);
    assert_eq!(
        json(&covered.join("run.json"))["refiner_reach"],
        SHIPPED_REACH,
        "run.json names the classes `covered` came to"
    );
    assert_eq!(json(&full.join("run.json"))["refiner_reach"], "full");
    let report = common::drivegen()
        .args(["report", "--quiet"])
        .arg(&covered)
        .output()
        .expect("runs");
    common::assert_success(&report);
    let html = std::fs::read_to_string(covered.join("report/report.html")).expect("report");
    assert!(
        html.contains(&format!("<td>refiner reach</td><td>{SHIPPED_REACH}</td>")),
        "the report names the reach"
    );
    // The premise: the default scenario's variant 0 is a clear, dry day with the sun
    // high enough for the whole change.
    let environment = &json(&covered.join("v000/scene.json"))["environment"];
    let sun = environment["sun_elevation_deg"].as_f64().expect("sun");
    assert!(
        sun >= 10.0,
        "the default scenario's sun is {sun} degrees up"
    );
    assert_eq!(environment["rain"].as_f64(), Some(0.0));
    assert_eq!(environment["fog_density"].as_f64(), Some(0.0));

    let split = Split::of(&covered, &full, &SHOWN);
    assert!(
        split.free > 10_000,
        "{} pixels of road, verges and sky away from objects",
        split.free
    );
    assert!(
        split.held > 1000,
        "{} pixels of buildings, vehicles, poles ...",
        split.held
    );
    assert!(
        split.regraded > split.held / 2,
        "only {} of {} held pixels differ from the network's output",
        split.regraded,
        split.held
    );
}

/// How a reach's refined frame compares with the network's output (`full`), pixel by
/// pixel, given the labelIds it counts as shown.
struct Split {
    /// Shown pixels more than two pixels from any other class (asserted equal), and how
    /// many of them are of each labelId.
    free: usize,
    free_by_class: [usize; 256],
    /// Pixels of the other classes, and how many of them differ.
    held: usize,
    regraded: usize,
}

impl Split {
    fn of(covered: &Path, full: &Path, shown_ids: &[u8]) -> Split {
        let semantic = image::open(covered.join("v000/front/semantic/000000.png"))
            .expect("semantic")
            .to_luma8();
        let (within, everywhere) = (rgb(covered, "rgb_refined"), rgb(full, "rgb_refined"));
        assert_eq!(rgb(covered, "rgb"), rgb(full, "rgb"), "the same raw frame");
        let shown = |x: i64, y: i64| {
            let (x, y) = (
                x.clamp(0, i64::from(semantic.width()) - 1),
                y.clamp(0, i64::from(semantic.height()) - 1),
            );
            shown_ids.contains(&semantic.get_pixel(x as u32, y as u32).0[0])
        };
        let mut split = Split {
            free: 0,
            free_by_class: [0; 256],
            held: 0,
            regraded: 0,
        };
        for (x, y, class) in semantic.enumerate_pixels() {
            let (a, b) = (within.get_pixel(x, y), everywhere.get_pixel(x, y));
            let (x, y) = (i64::from(x), i64::from(y));
            if shown_ids.contains(&class.0[0]) {
                // Within two pixels of another class the change blends across the seam.
                if (-2..=2).all(|dy| (-2..=2).all(|dx| shown(x + dx, y + dy))) {
                    split.free += 1;
                    split.free_by_class[usize::from(class.0[0])] += 1;
                    assert_eq!(
                        a, b,
                        "({x}, {y}), class {}: not the network's output",
                        class.0[0]
                    );
                }
            } else {
                split.held += 1;
                split.regraded += usize::from(a != b);
            }
        }
        split
    }
}

#[test]
fn real_frames_that_show_buildings_let_the_refiner_reach_them() {
    if !common::vulkan() {
        return;
    }
    let city = "covered:road,sidewalk,vegetation,terrain,sky,building";
    let (covered, full) = (scratch("reach-city"), scratch("reach-city-full"));
    render(&covered, &["--refine-reach", city]);
    render(&full, &["--refine-reach", "full"]);
    assert_eq!(
        json(&covered.join("run.json"))["refiner_reach"],
        "covered:road,sidewalk,building,vegetation,terrain,sky"
    );
    // Buildings (labelId 11) now take the network's output away from their outlines.
    let split = Split::of(&covered, &full, &[7, 8, 11, 21, 22, 23]);
    assert!(
        split.free_by_class[11] > 1000,
        "{} building pixels",
        split.free_by_class[11]
    );

    // A checkpoint that says what its real frames show makes that the default reach.
    let ckpt = scratch("reach-city-ckpt").join("refiner");
    let pack = common::drivegen()
        .args(["refine", "pack", "--ckpt", "fast", "--out"])
        .arg(&ckpt)
        .output()
        .expect("runs");
    common::assert_success(&pack);
    let with_shows = |shows: serde_json::Value| {
        let mut config = json(&ckpt.join("config.json"));
        config["shows"] = shows;
        std::fs::write(
            ckpt.join("config.json"),
            serde_json::to_vec_pretty(&config).expect("json"),
        )
        .expect("write config.json");
    };
    with_shows(serde_json::json!([
        "road",
        "sidewalk",
        "vegetation",
        "terrain",
        "sky",
        "building"
    ]));
    let from_checkpoint = scratch("reach-city-from-ckpt");
    let ckpt_flag = ckpt.to_str().expect("utf-8 path");
    common::assert_success(&common::render_small(
        &from_checkpoint,
        1,
        &["--quiet", "--refine", ckpt_flag, "--refine-backend", "flex"],
    ));
    assert_eq!(
        json(&from_checkpoint.join("run.json"))["refiner_reach"],
        "covered:road,sidewalk,building,vegetation,terrain,sky"
    );
    assert!(
        rgb(&from_checkpoint, "rgb_refined") == rgb(&covered, "rgb_refined"),
        "the same weights and the same classes refine alike"
    );
    with_shows(serde_json::json!(["road", "kerbstone"]));
    let bad = common::render_small(
        &scratch("reach-bad-ckpt"),
        1,
        &["--quiet", "--refine", ckpt_flag],
    );
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert_eq!(bad.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("config.json") && stderr.contains("`kerbstone`"),
        "{stderr}"
    );

    let bad = common::render_small(
        &scratch("reach-bad"),
        1,
        &[
            "--quiet",
            "--refine",
            "fast",
            "--refine-reach",
            "covered:road,tarmac",
        ],
    );
    assert_eq!(bad.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(
        stderr.contains("`tarmac`") && stderr.contains("building"),
        "{stderr}"
    );
}

#[test]
fn a_night_frame_is_left_as_rendered_unless_full_reach_is_asked_for() {
    if !common::vulkan() {
        return;
    }
    let night =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/suburban_night_rain.ron");
    let night = night.to_str().expect("utf-8 path");
    let (covered, full) = (scratch("reach-night"), scratch("reach-night-full"));
    render(&covered, &[night]);
    render(&full, &[night, "--refine-reach", "full"]);
    let sun = json(&covered.join("v000/scene.json"))["environment"]["sun_elevation_deg"]
        .as_f64()
        .expect("sun");
    assert!(sun < -6.0, "suburban night rain's sun is {sun} degrees up");
    assert!(
        rgb(&covered, "rgb_refined") == rgb(&covered, "rgb"),
        "a night frame was changed"
    );
    assert!(
        rgb(&full, "rgb_refined") != rgb(&full, "rgb"),
        "the network alone changed nothing"
    );
}
