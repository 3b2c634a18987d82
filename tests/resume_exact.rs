//! Exact resume: a run cut off after any frame (its journal truncated and the later
//! frames' files deleted, as a SIGKILL leaves it) and continued with `--resume` equals the
//! uninterrupted run byte for byte, collisions and LiDAR sweeps included.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use common::{drivegen, scratch};

const FRAMES: u32 = 40;

/// The NCAP step-out without the ego's braking, so the ego runs into the child (frames
/// with a collision), with a small LiDAR added.
fn step_out_with_lidar(dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir).expect("scenario dir");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios");
    std::fs::copy(
        root.join("ncap_pedestrian_step_out.ron"),
        dir.join("ncap_pedestrian_step_out.ron"),
    )
    .expect("copy the base scenario");
    let path = dir.join("step_out_lidar.ron");
    std::fs::write(
        &path,
        r#"Scenario(
    extends: "ncap_pedestrian_step_out.ron",
    name: "step_out_lidar",
    events: [(name: "step_out", actor: "child", trigger: EgoTtc(below: 1.2), action: StartCrossing(speed: 1.5))],
    sensors: (lidar: Some((channels: 16, vertical_fov: (-25, 10), horizontal_resolution: 360, range: 80, rotation_rate: 10))),
)
"#,
    )
    .expect("write scenario");
    path
}

fn render(scenario: &Path, out: &Path, resume: bool) {
    let mut cmd = drivegen();
    cmd.arg("render")
        .arg(scenario)
        .args(["--quiet", "--no-rgb", "--width", "160", "--height", "96"])
        .args(["--frames", &FRAMES.to_string(), "--shard", "0/4", "--out"])
        .arg(out);
    if resume {
        cmd.arg("--resume");
    }
    let o = cmd.output().expect("runs");
    common::assert_success(&o);
}

/// The frame number a per-frame file is named after (`.../000012.json` -> 12).
fn frame_of(rel: &str) -> Option<u32> {
    let name = Path::new(rel).file_stem()?.to_str()?;
    (name.len() == 6).then(|| name.parse().ok()).flatten()
}

fn journal_lines(dir: &Path) -> BTreeSet<String> {
    std::fs::read_to_string(dir.join("journal.jsonl"))
        .expect("journal")
        .lines()
        .map(str::to_owned)
        .collect()
}

/// What a kill after frame `k - 1` leaves: journal lines and files of frames before `k`,
/// no manifest or captions (written when a run ends).
fn cut(whole: &Path, to: &Path, k: u32) {
    for (rel, bytes) in common::files(whole, &[]) {
        if rel == "journal.jsonl" || rel == "manifest.json" || rel == "captions.jsonl" {
            continue;
        }
        if frame_of(&rel).is_some_and(|f| f >= k) {
            continue;
        }
        let path = to.join(&rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, bytes).expect("write");
    }
    let kept: String = std::fs::read_to_string(whole.join("journal.jsonl"))
        .expect("journal")
        .lines()
        .filter(|line| {
            let e: serde_json::Value = serde_json::from_str(line).expect("journal line");
            e["frame"].as_u64().expect("frame") < u64::from(k)
        })
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(to.join("journal.jsonl"), kept).expect("journal");
}

#[test]
fn a_run_resumed_after_any_frame_equals_the_uninterrupted_run() {
    let scenario = step_out_with_lidar(&scratch("resume-scenario"));
    let whole_root = scratch("resume-whole");
    render(&scenario, &whole_root, false);
    let whole = whole_root.join("shard-0-of-4");
    let files = common::files(&whole, &["journal.jsonl"]);

    // Frames whose labels report collisions: resuming there is what used to go wrong.
    let mut touching = BTreeSet::new();
    for (rel, bytes) in &files {
        if rel.contains("labels") && rel.ends_with(".json") {
            let v: serde_json::Value = serde_json::from_slice(bytes).expect("labels json");
            if v["collisions"].as_array().is_some_and(|c| !c.is_empty()) {
                touching.insert(frame_of(rel).expect("frame"));
            }
        }
    }
    assert!(
        !touching.is_empty(),
        "the scenario should have collisions in {FRAMES} frames"
    );
    let lidar = files.keys().filter(|k| k.contains("lidar/")).count();
    assert_eq!(lidar, FRAMES as usize, "one sweep per frame");

    // Cut after the first frame, right before and at the first collision, inside a run of
    // collisions, and before the last frame.
    // The first onset after frame 0 (a collision the frame before did not have) is where
    // stale contact state showed; frame 0 has no earlier frame to go wrong from.
    let first = touching
        .iter()
        .copied()
        .find(|k| *k > 0 && !touching.contains(&(k - 1)))
        .or_else(|| touching.iter().next().copied())
        .expect("a collision");
    let cuts: BTreeSet<u32> = [1, first.saturating_sub(1), first, first + 1, FRAMES - 1]
        .into_iter()
        .filter(|k| (1..FRAMES).contains(k))
        .collect();
    for k in cuts {
        let root = scratch(&format!("resume-cut-{k}"));
        let dir = root.join("shard-0-of-4");
        cut(&whole, &dir, k);
        render(&scenario, &root, true);
        let resumed = common::files(&dir, &["journal.jsonl"]);
        assert_eq!(
            files.keys().collect::<Vec<_>>(),
            resumed.keys().collect::<Vec<_>>(),
            "cut at {k}: same files"
        );
        let differ: Vec<&String> = files
            .iter()
            .filter(|(name, bytes)| resumed[*name] != **bytes)
            .map(|(name, _)| name)
            .collect();
        assert!(
            differ.is_empty(),
            "cut at {k}: these files differ from the uninterrupted run: {differ:?}"
        );
        assert_eq!(
            journal_lines(&whole),
            journal_lines(&dir),
            "cut at {k}: journal"
        );
        let _ = std::fs::remove_dir_all(&root);
    }
    let _ = std::fs::remove_dir_all(&whole_root);
    let _ = std::fs::remove_dir_all(scenario.parent().expect("scenario dir"));
}
