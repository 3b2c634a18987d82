//! Batch operation: a run split into shards and merged equals the unsharded run, and a run
//! killed with SIGKILL and resumed equals an uninterrupted one. RGB is included when a
//! Vulkan adapter exists; otherwise the label images (instance, semantic, depth) are compared.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::{drivegen, scratch};

fn rgb_flag() -> Option<&'static str> {
    if drivegen_sim::probe_adapter().is_ok() {
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
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
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
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_same(&whole, &merged);
}

#[test]
fn slurm_array_environment_selects_the_shard() {
    let out = scratch("slurm");
    let mut cmd = drivegen();
    cmd.env("SLURM_ARRAY_TASK_ID", "1")
        .env("SLURM_ARRAY_TASK_COUNT", "2");
    cmd.args([
        "render",
        "--quiet",
        "--no-rgb",
        "--frames",
        "1",
        "--variants",
        "4",
        "--width",
        "64",
        "--height",
        "48",
        "--out",
    ])
    .arg(&out);
    let o = cmd.output().expect("runs");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let run: serde_json::Value = serde_json::from_slice(
        &std::fs::read(out.join("shard-1-of-2/run.json")).expect("run.json"),
    )
    .expect("json");
    assert_eq!(run["variants"], serde_json::json!([1, 3]));
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
    assert!(o.status.success());
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
    let Some(disk) = tiny_disk("full", "400k") else {
        eprintln!("skipping: cannot mount a tmpfs here");
        return;
    };
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
