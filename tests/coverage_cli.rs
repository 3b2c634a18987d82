//! Coverage and frame filters through the `drivegen` binary (issue 13.4): `plan` prints a
//! grid variant's cell, `render` reports the captures `keep_frames_where` rejected, and
//! the shards of a filtered grid run merge into the unsharded run (labels only).

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{drivegen, scratch};

const SCENARIO: &str = r#"Scenario(
    name: "filtered_grid",
    seed: 7,
    variants: Grid(axes: [
        ("environment.time_of_day", [7.0, 12.0, 19.0, 23.0]),
        ("environment.rain", [0.0, 0.8]),
    ]),
    capture: (frames: 6),
    sensors: (cameras: [(name: "front", width: 320, height: 192)]),
    keep_frames_where: [
        Visible(class: Vehicle, at_least: 2, visibility: (0.3, 1.0), distance: (0, 50)),
    ],
)
"#;

fn run(args: &[&str], dir: &Path) -> String {
    let o = drivegen()
        .args(args)
        .current_dir(dir)
        .output()
        .expect("runs");
    common::assert_success(&o);
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn manifest(dir: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).expect("manifest"))
        .expect("json")
}

/// Every file under `dir` but the journal (merge rewrites it) and the manifest (it names
/// the shards).
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    common::files(dir, &["journal.jsonl", "manifest.json"])
}

#[test]
fn a_filtered_grid_reports_its_cells_and_rejections_and_merges_from_shards() {
    let dir = scratch("coverage-cli");
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::write(dir.join("grid.ron"), SCENARIO).expect("scenario");

    let out = run(
        &["plan", "grid.ron", "--variant", "5", "--out", "p5.ron"],
        &dir,
    );
    assert!(
        out.contains("coverage  environment.time_of_day = 19, environment.rain = 0.8"),
        "{out}"
    );

    let out = run(&["render", "grid.ron", "--no-rgb", "--out", "whole"], &dir);
    let whole = manifest(&dir.join("whole"));
    let rejected = whole["rejected_frames"]["total"].as_u64().expect("a count");
    let written = whole["frames"].as_array().map_or(0, Vec::len) as u64;
    assert_eq!(
        written + rejected,
        8 * 6,
        "every capture written or rejected"
    );
    assert!(rejected > 0 && written > 0, "{out}");
    assert!(
        out.contains(&format!("keep_frames_where rejected {rejected} capture(s)")),
        "{out}"
    );

    for shard in ["0/2", "1/2"] {
        run(
            &[
                "render", "grid.ron", "--no-rgb", "--quiet", "--out", "parts", "--shard", shard,
            ],
            &dir,
        );
    }
    run(
        &[
            "merge",
            "--quiet",
            "merged",
            "parts/shard-0-of-2",
            "parts/shard-1-of-2",
        ],
        &dir,
    );
    let merged = manifest(&dir.join("merged"));
    assert_eq!(merged["rejected_frames"], whole["rejected_frames"]);
    assert_eq!(files(&dir.join("merged")), files(&dir.join("whole")));
    let _ = std::fs::remove_dir_all(&dir);
}
