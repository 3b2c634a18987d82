//! Batch operation: a run split into shards and merged equals the unsharded run, and a run
//! killed with SIGKILL and resumed equals an uninterrupted one. RGB is included when a
//! Vulkan adapter exists; otherwise the label images (instance, semantic, depth) are compared.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::{drivegen, scratch};

/// RGB is compared when Vulkan is there; under CI its absence fails (`common::vulkan`).
fn rgb_flag() -> Option<&'static str> {
    static RGB: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    if *RGB.get_or_init(common::vulkan) {
        None
    } else {
        Some("--no-rgb")
    }
}

fn render(out: &Path, extra: &[&str]) {
    let mut cmd = drivegen();
    cmd.args([
        "render", "--quiet", "--width", "320", "--height", "192", "--out",
    ])
    .arg(out)
    .args(extra);
    if let Some(f) = rgb_flag() {
        cmd.arg(f);
    }
    let o = cmd.output().expect("runs");
    common::assert_success(&o);
}

/// Every file under `dir` except the journal (its line order follows completion order).
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    common::files(dir, &["journal.jsonl"])
}

fn assert_same(a: &Path, b: &Path) {
    let (fa, fb) = (files(a), files(b));
    assert_eq!(
        fa.keys().collect::<Vec<_>>(),
        fb.keys().collect::<Vec<_>>(),
        "same files"
    );
    for (name, bytes) in &fa {
        assert!(fb[name] == *bytes, "{name} differs");
    }
    assert!(
        fa.keys().any(|k| k.ends_with("labels/000002.json")) && fa.contains_key("manifest.json")
    );
}

#[test]
fn three_shards_merged_equal_the_unsharded_run() {
    let (whole, parts, merged) = (scratch("whole"), scratch("parts"), scratch("merged"));
    render(&whole, &["--frames", "3", "--variants", "3"]);
    for i in 0..3 {
        render(
            &parts,
            &[
                "--frames",
                "3",
                "--variants",
                "3",
                "--shard",
                &format!("{i}/3"),
            ],
        );
    }
    let shard_dirs: Vec<PathBuf> = (0..3)
        .map(|i| parts.join(format!("shard-{i}-of-3")))
        .collect();
    for (i, d) in shard_dirs.iter().enumerate() {
        let run: serde_json::Value =
            serde_json::from_slice(&std::fs::read(d.join("run.json")).expect("run.json"))
                .expect("json");
        assert_eq!(
            run["variants"],
            serde_json::json!([i]),
            "shard {i} renders only its variant"
        );
    }
    let o = drivegen()
        .arg("merge")
        .arg("--quiet")
        .arg(&merged)
        .args(&shard_dirs)
        .output()
        .expect("runs");
    common::assert_success(&o);
    assert_same(&whole, &merged);
}

/// `drivegen render` of a tiny labels-only run (64x48, `frames` captures) into `out`, with
/// the batch system's variables `env` (every other array variable removed) and `extra`.
fn render_tiny(
    out: &Path,
    frames: u32,
    env: &[(&str, &str)],
    extra: &[&str],
) -> std::process::Output {
    let mut cmd = drivegen();
    for var in [
        "SLURM_ARRAY_TASK_ID",
        "SLURM_ARRAY_TASK_MIN",
        "SLURM_ARRAY_TASK_MAX",
        "SLURM_ARRAY_TASK_COUNT",
        "SLURM_ARRAY_TASK_STEP",
        "JOB_COMPLETION_INDEX",
    ] {
        cmd.env_remove(var);
    }
    cmd.envs(env.iter().copied())
        .args(["render", "--no-rgb", "--width", "64", "--height", "48"])
        .args(["--frames", &frames.to_string(), "--out"])
        .arg(out)
        .args(extra);
    cmd.output().expect("runs")
}

fn run_json(dir: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(dir.join("run.json")).expect("run.json")).expect("json")
}

#[test]
fn slurm_array_environment_selects_the_shard() {
    // A 0-based array gives the count (SLURM_ARRAY_TASK_MAX + 1)...
    let out = scratch("slurm");
    let array = [
        ("SLURM_ARRAY_TASK_ID", "1"),
        ("SLURM_ARRAY_TASK_MIN", "0"),
        ("SLURM_ARRAY_TASK_MAX", "1"),
        ("SLURM_ARRAY_TASK_COUNT", "2"),
    ];
    let o = render_tiny(&out, 1, &array, &["--quiet", "--variants", "4"]);
    common::assert_success(&o);
    assert_eq!(
        run_json(&out.join("shard-1-of-2"))["variants"],
        serde_json::json!([1, 3])
    );
    // ...and a task resubmitted alone (its COUNT is 1) is told the count with --shards.
    let out = scratch("slurm-resubmitted");
    let alone = [
        ("SLURM_ARRAY_TASK_ID", "1"),
        ("SLURM_ARRAY_TASK_MIN", "1"),
        ("SLURM_ARRAY_TASK_MAX", "1"),
        ("SLURM_ARRAY_TASK_COUNT", "1"),
    ];
    let o = render_tiny(
        &out,
        1,
        &alone,
        &["--quiet", "--variants", "4", "--shards", "2"],
    );
    common::assert_success(&o);
    assert_eq!(
        run_json(&out.join("shard-1-of-2"))["variants"],
        serde_json::json!([1, 3])
    );
}

/// A shard index outside 0..N (a 1-based array, more completions than shards, a guessed
/// count) is refused with exit 2, naming the variable and the fix, before anything is
/// written: rendering everything, or a shard nobody merges, would be silent.
#[test]
fn a_shard_index_outside_the_count_is_an_error_naming_the_variable_and_the_fix() {
    type Case<'a> = (&'a [(&'a str, &'a str)], &'a [&'a str], &'a [&'a str]);
    let cases: &[Case] = &[
        // sbatch --array=1-4: every task refuses, not only task 4.
        (
            &[
                ("SLURM_ARRAY_TASK_ID", "4"),
                ("SLURM_ARRAY_TASK_MIN", "1"),
                ("SLURM_ARRAY_TASK_MAX", "4"),
                ("SLURM_ARRAY_TASK_COUNT", "4"),
            ],
            &[],
            &["SLURM_ARRAY_TASK_MIN is 1", "--array=0-3"],
        ),
        (
            &[
                ("SLURM_ARRAY_TASK_ID", "1"),
                ("SLURM_ARRAY_TASK_MIN", "1"),
                ("SLURM_ARRAY_TASK_MAX", "4"),
                ("SLURM_ARRAY_TASK_COUNT", "4"),
            ],
            &["--shards", "4"],
            &["SLURM_ARRAY_TASK_MAX is 4", "--array=0-3"],
        ),
        (
            &[
                ("SLURM_ARRAY_TASK_ID", "4"),
                ("SLURM_ARRAY_TASK_COUNT", "4"),
            ],
            &["--shards", "4"],
            &["SLURM_ARRAY_TASK_ID is 4", "--array=0-3"],
        ),
        // The count never comes from SLURM_ARRAY_TASK_COUNT.
        (
            &[
                ("SLURM_ARRAY_TASK_ID", "4"),
                ("SLURM_ARRAY_TASK_COUNT", "4"),
            ],
            &[],
            &["SLURM_ARRAY_TASK_ID is 4", "--shards N"],
        ),
        // sbatch --array=2 resubmitted alone.
        (
            &[
                ("SLURM_ARRAY_TASK_ID", "2"),
                ("SLURM_ARRAY_TASK_MIN", "2"),
                ("SLURM_ARRAY_TASK_MAX", "2"),
                ("SLURM_ARRAY_TASK_COUNT", "1"),
            ],
            &[],
            &["SLURM_ARRAY_TASK_MIN is 2", "--shards N"],
        ),
        // sbatch --array=0-6:2 covers shards 0, 2, 4, 6 only.
        (
            &[
                ("SLURM_ARRAY_TASK_ID", "2"),
                ("SLURM_ARRAY_TASK_MIN", "0"),
                ("SLURM_ARRAY_TASK_MAX", "6"),
                ("SLURM_ARRAY_TASK_COUNT", "4"),
            ],
            &[],
            &["SLURM_ARRAY_TASK_COUNT is 4", "--shards N"],
        ),
        (
            &[("JOB_COMPLETION_INDEX", "5")],
            &["--shards", "4"],
            &["JOB_COMPLETION_INDEX is 5", "completions: 4"],
        ),
        (
            &[("JOB_COMPLETION_INDEX", "1")],
            &[],
            &["JOB_COMPLETION_INDEX is 1", "--shards N"],
        ),
        (&[], &["--shards", "4"], &["--shards 4 needs a shard index"]),
        (&[], &["--shard", "4/4"], &["--shard `4/4`", "0/3"]),
    ];
    for (i, (env, extra, wanted)) in cases.iter().enumerate() {
        let out = scratch(&format!("bad-shard-{i}"));
        let o = render_tiny(&out, 1, env, extra);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{env:?} {extra:?}: {err}");
        for w in *wanted {
            assert!(err.contains(w), "{env:?} {extra:?}: `{w}` not in: {err}");
        }
        assert!(!out.exists(), "{env:?} {extra:?} wrote {}", out.display());
    }
}

#[test]
fn a_resubmitted_task_with_another_count_is_refused() {
    let out = scratch("two-splits");
    let o = render_tiny(&out, 1, &[], &["--quiet", "--shard", "0/2"]);
    common::assert_success(&o);
    // sbatch --array=0 alone: a full 0-based array of one task, so the count would be 1.
    let alone = [
        ("SLURM_ARRAY_TASK_ID", "0"),
        ("SLURM_ARRAY_TASK_MIN", "0"),
        ("SLURM_ARRAY_TASK_MAX", "0"),
        ("SLURM_ARRAY_TASK_COUNT", "1"),
    ];
    let o = render_tiny(&out, 1, &alone, &["--resume"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("shard-0-of-2") && err.contains("--shards"),
        "{err}"
    );
    assert!(!out.join("shard-0-of-1").exists());
}

#[test]
fn resume_starts_a_fresh_run_when_there_is_none() {
    let (fresh, plain) = (scratch("resume-fresh"), scratch("resume-plain"));
    let o = render_tiny(&fresh, 2, &[], &["--resume"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains("holds no run yet; starting a fresh one"),
        "{err}"
    );
    let o = render_tiny(&plain, 2, &[], &["--quiet"]);
    common::assert_success(&o);
    let (a, b) = (files(&fresh), files(&plain));
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    assert!(a.iter().all(|(k, v)| b[k] == *v), "same dataset");
    // The same again continues the (finished) run; a different one is refused below.
    let o = render_tiny(&fresh, 2, &[], &["--resume"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success() && !err.contains("fresh"), "{err}");
    let said = String::from_utf8_lossy(&o.stdout);
    assert!(
        said.contains("nothing left to render") && said.contains("is complete"),
        "{said}"
    );
}

#[test]
fn overrides_go_through_the_scenario_caps_and_write_nothing() {
    for (extra, wanted) in [
        (&["--frames", "100001"][..], "--frames: 100001 frames"),
        (&["--frames", "0"][..], "--frames: 0 frames"),
        (&["--width", "8193"][..], "--width: 8193 pixels"),
        (&["--height", "8"][..], "--height: 8 pixels"),
        // Each side within bounds, the pixel count above the cap.
        (
            &["--width", "8192", "--height", "8192"][..],
            "8192x8192 is 67108864 pixels, above the cap",
        ),
        (&["--variants", "0"][..], "--variants"),
        // The default scenario has 4.
        (
            &["--variants", "5"][..],
            "--variants 5 asks for more variants than the default scenario has (4)",
        ),
    ] {
        let out = scratch("caps");
        let mut cmd = drivegen();
        cmd.args(["render", "--no-rgb", "--out"])
            .arg(&out)
            .args(extra);
        let o = cmd.output().expect("runs");
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{extra:?}: {err}");
        assert!(err.contains(wanted), "{extra:?}: {err}");
        assert!(!out.exists(), "{extra:?} wrote {}", out.display());
    }
}

#[test]
fn a_planning_error_writes_nothing() {
    let dir = scratch("unplannable");
    std::fs::create_dir_all(&dir).expect("dir");
    let text = drivegen_scenario::DEFAULT_SCENARIO
        .replace("vehicles: Poisson(14)", "vehicles: 900")
        .replace("max_attempts: 300", "max_attempts: 20");
    assert_ne!(text, drivegen_scenario::DEFAULT_SCENARIO);
    let file = dir.join("crowded.ron");
    std::fs::write(&file, &text).expect("write");
    let out = dir.join("out");
    let o = drivegen()
        .args(["render", "--no-rgb", "--frames", "1", "--out"])
        .arg(&out)
        .arg(&file)
        .output()
        .expect("runs");
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("cannot plan variant"), "{err}");
    // At the field that asked for the vehicles.
    let line = 1 + text
        .lines()
        .position(|l| l.contains("vehicles: 900"))
        .expect("the count's line");
    assert!(err.contains(&format!("crowded.ron:{line}:")), "{err}");
    assert!(!out.exists(), "wrote {}", out.display());
}

/// Three tiny shards of a 3-variant run in `parts`, and the unsharded run in `whole`.
fn tiny_shards(parts: &Path, whole: Option<&Path>) -> Vec<PathBuf> {
    let extra = ["--quiet", "--variants", "3"];
    if let Some(whole) = whole {
        let o = render_tiny(whole, 3, &[], &extra);
        common::assert_success(&o);
    }
    (0..3)
        .map(|i| {
            let shard = format!("{i}/3");
            let o = render_tiny(parts, 3, &[], &[&extra[..], &["--shard", &shard]].concat());
            common::assert_success(&o);
            parts.join(format!("shard-{i}-of-3"))
        })
        .collect()
}

fn merge(out: &Path, shards: &[PathBuf], extra: &[&str]) -> std::process::Output {
    drivegen()
        .args(["merge", "--quiet"])
        .args(extra)
        .arg(out)
        .args(shards)
        .output()
        .expect("runs")
}

/// Exit 2, every `wanted` in the message, and nothing written.
fn assert_refused(o: &std::process::Output, out: &Path, wanted: &[&str]) {
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    for w in wanted {
        assert!(err.contains(w), "`{w}` not in: {err}");
    }
    assert!(!out.exists(), "a refused merge wrote {}", out.display());
}

#[test]
fn merge_refuses_a_missing_shard_and_allow_partial_records_it() {
    let (whole, parts) = (scratch("m-whole"), scratch("m-parts"));
    let shards = tiny_shards(&parts, Some(&whole));
    let out = scratch("m-missing");
    let o = merge(&out, &[shards[0].clone(), shards[2].clone()], &[]);
    assert_refused(
        &o,
        &out,
        &["shard-1-of-3 is missing (variants 1)", "--allow-partial"],
    );
    let o = merge(
        &out,
        &[shards[0].clone(), shards[2].clone()],
        &["--allow-partial"],
    );
    common::assert_success(&o);
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).expect("manifest"))
            .expect("json");
    assert_eq!(
        manifest["partial"]["missing_shards"],
        serde_json::json!(["shard-1-of-3"])
    );
    assert_eq!(run_json(&out)["variants"], serde_json::json!([0, 2]));
    // All three: equal to the unsharded run, with no `partial` in the manifest.
    let complete = scratch("m-complete");
    let o = merge(&complete, &shards, &["--allow-partial"]);
    common::assert_success(&o);
    let (a, b) = (files(&whole), files(&complete));
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    assert!(a.iter().all(|(k, v)| b[k] == *v), "merged = unsharded");
}

#[test]
fn merge_refuses_a_half_finished_shard() {
    let parts = scratch("h-parts");
    let shards = tiny_shards(&parts, None);
    // Shard 1 as a killed task leaves it: the journal stops after its first frame.
    let journal = shards[1].join("journal.jsonl");
    let text = std::fs::read_to_string(&journal).expect("journal");
    let first: String = text.lines().take(1).map(|l| format!("{l}\n")).collect();
    std::fs::write(&journal, first).expect("truncate");
    let _ = std::fs::remove_file(shards[1].join("manifest.json"));
    let out = scratch("h-merged");
    let o = merge(&out, &shards, &[]);
    assert_refused(
        &o,
        &out,
        &[
            "shard-1-of-3",
            "unfinished: 2 of 3 frames not journalled",
            "v001 frames 1-2",
        ],
    );
    // A journalled file that is gone counts as missing too.
    std::fs::write(&journal, text).expect("restore");
    let label = shards[1].join("v001/front/labels/000002.json");
    std::fs::remove_file(&label).expect("remove a label file");
    let o = merge(&out, &shards, &[]);
    assert_refused(&o, &out, &["v001 frames 2"]);
    let o = merge(&out, &shards, &["--allow-partial"]);
    common::assert_success(&o);
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).expect("manifest"))
            .expect("json");
    assert_eq!(
        manifest["partial"]["unfinished_shards"][0]["frames"]["v001"],
        "2"
    );
}

#[test]
fn merge_refuses_shards_of_different_runs() {
    let parts = scratch("d-parts");
    let mut shards = tiny_shards(&parts, None);
    let other = scratch("d-other");
    let o = render_tiny(
        &other,
        4,
        &[],
        &["--quiet", "--variants", "3", "--shard", "1/3"],
    );
    common::assert_success(&o);
    shards[1] = other.join("shard-1-of-3");
    let out = scratch("d-merged");
    for extra in [&[][..], &["--allow-partial"][..]] {
        let o = merge(&out, &shards, extra);
        assert_refused(&o, &out, &["different run", "frames_per_variant (3 vs 4)"]);
    }
    // The same shard twice, and a shard of another split.
    let o = merge(&out, &[&shards[..], &shards[..1]].concat(), &[]);
    assert_refused(&o, &out, &["shard 0 of 3 is given twice"]);
}

#[test]
fn a_killed_run_resumes_to_the_same_dataset() {
    let (whole, killed) = (scratch("uninterrupted"), scratch("killed"));
    let args = ["--frames", "12", "--variants", "2"];
    render(&whole, &args);
    let mut cmd = drivegen();
    cmd.args([
        "render", "--quiet", "--width", "320", "--height", "192", "--out",
    ])
    .arg(&killed)
    .args(args);
    if let Some(f) = rgb_flag() {
        cmd.arg(f);
    }
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawns");
    // Kill once some, but not all, frames are journalled.
    let journal = killed.join("journal.jsonl");
    let killed_mid_run = loop {
        let lines = std::fs::read_to_string(&journal)
            .map(|s| s.lines().count())
            .unwrap_or(0);
        if lines >= 4 {
            let _ = child.kill(); // SIGKILL on Unix
            break true;
        }
        if child.try_wait().expect("wait").is_some() {
            break false;
        }
        std::thread::yield_now();
    };
    let _ = child.wait();
    let journalled = std::fs::read_to_string(&journal)
        .map(|s| s.lines().count())
        .unwrap_or(0);
    if killed_mid_run {
        assert!(
            journalled < 24,
            "the run was interrupted before finishing ({journalled} of 24)"
        );
    }
    render(&killed, &["--frames", "12", "--variants", "2", "--resume"]);
    assert_same(&whole, &killed);
}

#[test]
fn resume_refuses_a_different_run() {
    let out = scratch("different");
    let o = drivegen()
        .args([
            "render",
            "--quiet",
            "--no-rgb",
            "--frames",
            "1",
            "--variants",
            "1",
            "--width",
            "64",
            "--height",
            "48",
            "--out",
        ])
        .arg(&out)
        .output()
        .expect("runs");
    common::assert_success(&o);
    let o = drivegen()
        .args([
            "render",
            "--quiet",
            "--no-rgb",
            "--frames",
            "2",
            "--variants",
            "1",
            "--width",
            "64",
            "--height",
            "48",
            "--resume",
            "--out",
        ])
        .arg(&out)
        .output()
        .expect("runs");
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("different run"));
}

/// Mounts a tiny tmpfs (needs root, as on the CI machine); `None` where that is refused.
fn tiny_disk(name: &str, size: &str) -> Option<PathBuf> {
    let dir = scratch(name);
    std::fs::create_dir_all(&dir).ok()?;
    let ok = Command::new("mount")
        .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
        .arg(&dir)
        .status()
        .ok()?
        .success();
    ok.then_some(dir)
}

#[test]
fn a_full_disk_is_a_clear_error_and_leaves_a_consistent_dataset() {
    let disk = tiny_disk("full", "400k");
    if !common::prerequisite(
        "a tmpfs to fill",
        disk.is_some(),
        "run as root (CI does) so the test can mount a small tmpfs",
    ) {
        return;
    }
    let Some(disk) = disk else { return };
    let out = disk.join("ds");
    let o = common::render_small(&out, 200, &["--quiet", "--no-rgb"]);
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    let journal = std::fs::read_to_string(out.join("journal.jsonl")).unwrap_or_default();
    let mut partials = Vec::new();
    let mut stack = vec![out.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d)
            .into_iter()
            .flatten()
            .filter_map(Result::ok)
        {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.to_string_lossy().ends_with(".partial") {
                partials.push(p);
            }
        }
    }
    // Every journalled frame is complete: its files exist with the journalled sizes.
    let mut incomplete = Vec::new();
    for line in journal.lines().filter(|l| !l.trim().is_empty()) {
        let e: serde_json::Value = serde_json::from_str(line).expect("journal line");
        for f in e["files"].as_array().expect("files") {
            let path = out.join(f["path"].as_str().expect("path"));
            let size = std::fs::metadata(&path).map(|m| m.len()).ok();
            if size != f["bytes"].as_u64() {
                incomplete.push(path);
            }
        }
    }
    let _ = Command::new("umount").arg(&disk).status();
    assert!(
        incomplete.is_empty(),
        "journalled files missing or torn: {incomplete:?}"
    );
    assert!(!o.status.success(), "200 frames cannot fit in 400 KiB");
    assert!(
        err.contains("No space left") || err.contains("space"),
        "{err}"
    );
    assert!(err.contains("hint"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(partials.is_empty(), "partial files left: {partials:?}");
    assert!(
        journal.lines().count() > 0,
        "some frames completed before the disk filled"
    );
}

/// The default scenario rendered labels only into `out` (3 frames unless `extra` says).
fn labels_only(out: &Path, extra: &[&str]) {
    let frames: &[&str] = if extra.contains(&"--frames") {
        &[]
    } else {
        &["--frames", "3"]
    };
    let o = drivegen()
        .args(["render", "--quiet", "--no-rgb", "--out"])
        .arg(out)
        .args(frames)
        .args(extra)
        .output()
        .expect("runs");
    common::assert_success(&o);
}

/// Commands that write a dataset refuse to write it over, or inside, the dataset they
/// read (`query` into its own dataset kept 94 of its 1,366 objects, `merge` into one of
/// its shards emptied 52 of the shard's files), with exit 2 and the input untouched; a
/// fresh render into a folder holding a longer run replaces that run instead of leaving
/// its other variants and later frames beside the new ones; `plan` will not write its
/// map over its plan.
#[test]
fn outputs_never_overwrite_their_inputs_and_a_fresh_run_replaces_the_last() {
    let dir = scratch("overwrite");
    let ds = dir.join("ds");
    labels_only(&ds, &[]);
    let before = files(&ds);
    let refused = |args: &[&str], wanted: &str| {
        let o = drivegen().args(args).output().expect("runs");
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(wanted), "{args:?}: {err}");
    };
    let d = ds.to_str().expect("utf-8 path");
    let inside = ds.join("v000").join("subset");
    let dotted = format!("{d}/../ds");
    refused(
        &["query", d, "--class", "person", "--out", d],
        "is the dataset it reads",
    );
    refused(
        &["query", d, "--class", "person", "--out", &dotted],
        "is the dataset it reads",
    );
    refused(
        &["augment", d, "--out", inside.to_str().expect("utf-8")],
        "is inside the dataset it reads",
    );
    assert!(
        files(&ds) == before,
        "a refused command changed the dataset"
    );
    assert!(!inside.exists());

    let sharded = dir.join("sharded");
    for shard in ["0/2", "1/2"] {
        labels_only(&sharded, &["--shard", shard]);
    }
    let first = sharded.join("shard-0-of-2");
    let shard_before = files(&first);
    let (a, b) = (first.to_str().expect("utf-8"), sharded.join("shard-1-of-2"));
    refused(&["merge", a, a, b.to_str().expect("utf-8")], "is the shard");
    assert!(files(&first) == shard_before, "merge changed its shard");

    // Four variants of three frames, then one variant of two into the same folder.
    labels_only(&ds, &["--variants", "1", "--frames", "2"]);
    let after = files(&ds);
    assert!(
        after
            .keys()
            .all(|k| !k.starts_with("v001") && !k.contains("000002.")),
        "the earlier run is left beside the new one: {:?}",
        after
            .keys()
            .filter(|k| k.starts_with("v001") || k.contains("000002."))
            .take(3)
            .collect::<Vec<_>>()
    );
    assert!(after.keys().any(|k| k.ends_with("labels/000001.json")));

    let plan = dir.join("p.ron");
    let p = plan.to_str().expect("utf-8");
    refused(
        &["plan", "--out", p, "--map", p],
        "--map and --out are the same file",
    );
    assert!(!plan.exists());
}

/// What cannot work is refused before anything is rendered or written, with exit 2:
/// exporting a labels-only run (it rendered everything, then failed with exit 1), an
/// output that is a file, a shard folder that is not there, a binary scenario file, and a
/// negative number after a flag (clap read `-0.5` as a flag).
#[test]
fn impossible_requests_are_refused_up_front() {
    let dir = scratch("up-front");
    let ds = dir.join("ds");
    labels_only(&ds, &["--frames", "2", "--variants", "1"]);
    let file = dir.join("a-file");
    std::fs::write(&file, "x").expect("write");
    let binary = dir.join("binary.ron");
    std::fs::write(&binary, [0xff_u8, 0xfe, 0x00, 0x81]).expect("write");
    let (d, f, b) = (
        ds.to_str().expect("utf-8"),
        file.to_str().expect("utf-8"),
        binary.to_str().expect("utf-8"),
    );
    let out = dir.join("out");
    let o_ = out.to_str().expect("utf-8");
    for (args, wanted) in [
        (
            &["render", "--no-rgb", "--export", "coco", "--out", o_][..],
            "--no-rgb renders none",
        ),
        (
            &["export", d, "--format", "coco", "--out", o_][..],
            "no RGB images",
        ),
        (
            &[
                "query", d, "--class", "car", "--format", "coco", "--out", o_,
            ][..],
            "rendered with --no-rgb",
        ),
        (&["render", "--no-rgb", "--out", f][..], "is a file"),
        (&["merge", o_, "no-such-shard"][..], "does not exist"),
        (&["validate", b][..], "not a text file"),
        (
            &["query", d, "--min-visibility", "-0.5", "--out", o_][..],
            "--min-visibility must be within 0..1",
        ),
    ] {
        let o = drivegen().args(args).output().expect("runs");
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(wanted), "{args:?}: {err}");
        assert!(!out.exists(), "{args:?} wrote {}", out.display());
    }
    assert_eq!(std::fs::read(&file).expect("read"), b"x");
}
