//! The binary's contract: exit codes, messages on stderr, files written atomically.

use std::path::PathBuf;
use std::process::Command;

fn drivegen() -> Command {
    Command::new(env!("CARGO_BIN_EXE_drivegen"))
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("drivegen-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

#[test]
fn validate_accepts_every_example_with_exit_zero() {
    let mut cmd = drivegen();
    cmd.arg("validate");
    for entry in std::fs::read_dir(repo().join("scenarios"))
        .expect("scenarios")
        .filter_map(Result::ok)
    {
        if entry.path().extension().is_some_and(|e| e == "ron") {
            cmd.arg(entry.path());
        }
    }
    let out = cmd.output().expect("runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("urban_intersection.ron: ok"));
}

#[test]
fn validate_reports_every_error_with_position_and_exit_two() {
    let bad = repo().join("tests/malformed/29_several_semantic_errors.ron");
    let typo = repo().join("tests/malformed/01_unknown_field_typo.ron");
    let out = drivegen()
        .arg("validate")
        .arg(&bad)
        .arg(&typo)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("29_several_semantic_errors.ron:5:22: error:"),
        "{err}"
    );
    assert!(
        err.contains("29_several_semantic_errors.ron:9:26: error:"),
        "{err}"
    );
    assert!(err.contains("did you mean `vehicles`?"), "{err}");
    assert!(err.contains("2 of 2 files invalid"), "{err}");
}

#[test]
fn missing_file_is_an_input_error() {
    let out = drivegen()
        .args(["validate", "no/such/file.ron"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no/such/file.ron"));
}

#[test]
fn plan_writes_plan_and_map_for_the_default_scenario() {
    let dir = scratch("plan");
    let plan = dir.join("plan.ron");
    let map = dir.join("map.png");
    let out = drivegen()
        .args(["plan", "--variant", "1", "--out"])
        .arg(&plan)
        .arg("--map")
        .arg(&map)
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&plan).expect("plan written");
    assert!(text.contains("scenario: \"urban_intersection\"") && text.contains("variant: 1"));
    let img = std::fs::read(&map).expect("map written");
    assert_eq!(&img[1..4], b"PNG");
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .expect("dir")
        .filter_map(Result::ok)
        .filter(|e| e.path().to_string_lossy().contains("partial"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left behind");
}

#[test]
fn plan_of_a_missing_variant_is_an_input_error() {
    let dir = scratch("variant");
    let out = drivegen()
        .args(["plan", "--variant", "99", "--out"])
        .arg(dir.join("p.ron"))
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("variant 99 does not exist"));
    assert!(
        !dir.join("p.ron").exists(),
        "nothing may be written on error"
    );
}
