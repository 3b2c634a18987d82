//! The binary's contract: exit codes, messages on stderr, files written atomically.

#[path = "../../../tests/common/dirs.rs"]
mod dirs;

use std::path::PathBuf;
use std::process::Command;

fn drivegen() -> Command {
    Command::new(env!("CARGO_BIN_EXE_drivegen"))
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn scratch(name: &str) -> PathBuf {
    let dir = dirs::scratch(&format!("cli-{name}"));
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

/// A rule that fails only in some scenes (variant 2 of this file samples three vehicles,
/// and the event names the fourth) is found by `validate`, which plans the first 32
/// variants; `--plan-variants 1` checks variant 0 alone.
#[test]
fn validate_plans_more_than_the_first_variant() {
    let dir = scratch("some-variants");
    let file = dir.join("some_variants.ron");
    std::fs::write(
        &file,
        r#"Scenario(
    name: "some_variants",
    seed: 6,
    variants: 8,
    traffic: (vehicles: IntRange(0, 6)),
    events: [(name: "brake", actor: "vehicle:3", trigger: Time(1.0), action: Brake(decel: 3.0))],
)
"#,
    )
    .expect("write");
    let out = drivegen()
        .arg("validate")
        .arg(&file)
        .output()
        .expect("runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("some_variants.ron:6:14: error:") && err.contains("cannot plan variant 2"),
        "{err}"
    );
    let out = drivegen()
        .args(["validate", "--plan-variants", "1"])
        .arg(&file)
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("variants 0..1 plan"));
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
