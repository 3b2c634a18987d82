//! Every example scenario in `scenarios/` loads and validates.

use std::path::PathBuf;

fn scenario_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scenarios")
}

#[test]
fn every_example_scenario_validates() {
    let mut n = 0;
    let mut entries: Vec<_> = std::fs::read_dir(scenario_dir())
        .expect("scenarios/ exists")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "ron"))
        .collect();
    entries.sort();
    for path in entries {
        match drivegen_scenario::load_file(&path) {
            Ok(_) => n += 1,
            Err(e) => panic!("{} failed:\n{e}", path.display()),
        }
    }
    assert!(n >= 6, "expected at least 6 example scenarios, found {n}");
}

#[test]
fn embedded_default_validates_and_extends_merges_fields() {
    let default = drivegen_scenario::load_default().expect("default is valid");
    assert_eq!(default.scenario.name, "urban_intersection");
    let dusk = drivegen_scenario::load_file(&scenario_dir().join("urban_dusk.ron"))
        .expect("urban_dusk is valid");
    // Overridden in the child:
    assert_eq!(dusk.scenario.name, "urban_dusk");
    assert_eq!(
        dusk.scenario.environment.rain,
        drivegen_scenario::Param::Const(0.2)
    );
    // Kept from the base, including siblings of overridden nested fields:
    assert_eq!(dusk.scenario.seed, default.scenario.seed);
    assert_eq!(
        dusk.scenario.traffic.parked,
        default.scenario.traffic.parked
    );
    assert_eq!(
        dusk.scenario.environment.fog_density,
        default.scenario.environment.fog_density
    );
    assert_eq!(dusk.files.len(), 2);
}
