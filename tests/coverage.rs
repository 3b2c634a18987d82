//! Coverage designs end to end through the planner (issue 13.4): a `Grid` plans every
//! cell of its cross product with the cell's values in the plan, a `Sobol` design spans
//! its ranges, a covered variant is exactly the base scenario with its cell written in,
//! and `variants: N` plans as it always did.

use std::collections::BTreeSet;

use drivegen_plan::{Role, plan};
use drivegen_scenario::Scenario;

fn load(text: &str) -> Scenario {
    match drivegen_scenario::load_str("coverage.rs", text) {
        Ok(l) => l.scenario,
        Err(e) => panic!("{e}"),
    }
}

const GRID: &str = r#"Scenario(
    name: "weather grid",
    seed: 21,
    variants: Grid(axes: [
        ("environment.time_of_day", [7.0, 12.0, 19.0, 23.0]),
        ("environment.rain", [0.0, 0.8]),
        ("traffic.vehicles", [2, 6]),
    ], repeat: 2),
    capture: (frames: 2),
)"#;

#[test]
fn a_grid_plans_every_cell_of_its_cross_product() {
    let s = load(GRID);
    assert_eq!(s.variants, 32);
    let mut cells = BTreeSet::new();
    for v in 0..s.variants {
        let p = plan(&s, v).expect("plans");
        let names: Vec<&str> = p.coverage.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "environment.time_of_day",
                "environment.rain",
                "traffic.vehicles"
            ]
        );
        let (hour, rain, cars) = (p.coverage[0].1, p.coverage[1].1, p.coverage[2].1);
        // The plan carries the cell's values, not fresh draws.
        assert_eq!(p.environment.time_of_day, hour, "variant {v}");
        assert_eq!(p.environment.rain, rain, "variant {v}");
        let traffic = p.actors.iter().filter(|a| a.role == Role::Traffic).count();
        assert_eq!(traffic as f64, cars, "variant {v}");
        if v < 16 {
            assert!(
                cells.insert((hour.to_bits(), rain.to_bits(), cars.to_bits())),
                "variant {v} repeats a cell before every cell is covered"
            );
        } else {
            assert!(cells.contains(&(hour.to_bits(), rain.to_bits(), cars.to_bits())));
        }
    }
    assert_eq!(cells.len(), 4 * 2 * 2, "every cell covered");
}

#[test]
fn a_covered_variant_is_the_base_scenario_with_its_cell_written_in() {
    let s = load(GRID);
    for v in [0, 5, 17, 31] {
        let cell = s.coverage_cell(v);
        let mut base = s.with_cell(&cell);
        base.coverage = drivegen_scenario::coverage::Variants::Count(s.variants);
        let a = plan(&s, v).expect("plans");
        let mut b = plan(&base, v).expect("plans");
        assert!(b.coverage.is_empty());
        b.coverage = cell;
        assert_eq!(a, b, "variant {v}");
        assert_eq!(a, plan(&s, v).expect("plans"), "deterministic");
    }
    // Repeats of a cell are different draws of everything else.
    let (a, b) = (plan(&s, 1).expect("plans"), plan(&s, 17).expect("plans"));
    assert_eq!(a.coverage, b.coverage);
    assert_ne!(a.variant_seed, b.variant_seed);
    assert_ne!(a.actors, b.actors);
}

#[test]
fn a_count_plans_without_a_coverage_record() {
    let s = load(r#"Scenario(name: "n", seed: 3, variants: 3, capture: (frames: 2))"#);
    let p = plan(&s, 2).expect("plans");
    assert!(p.coverage.is_empty());
    assert!(!drivegen_plan::to_ron(&p).contains("coverage"));
    assert!(plan(&s, 3).is_err(), "no variant 3");
}

#[test]
fn sobol_spans_its_ranges_with_whole_counts() {
    let s = load(
        r#"Scenario(name: "sobol", seed: 4, capture: (frames: 2),
            variants: Sobol(count: 16, axes: [
                ("environment.time_of_day", (6.0, 20.0)),
                ("traffic.vehicles", (0, 15)),
                ("environment.fog_density", (0.0, 0.02)),
            ]))"#,
    );
    let plans: Vec<_> = (0..16).map(|v| plan(&s, v).expect("plans")).collect();
    let mut hours: Vec<usize> = plans
        .iter()
        .map(|p| ((p.environment.time_of_day - 6.0) / 14.0 * 16.0) as usize)
        .collect();
    hours.sort_unstable();
    assert_eq!(hours, (0..16).collect::<Vec<_>>(), "one hour slice each");
    let mut cars: Vec<usize> = plans
        .iter()
        .map(|p| p.actors.iter().filter(|a| a.role == Role::Traffic).count())
        .collect();
    cars.sort_unstable();
    assert_eq!(cars, (0..16).collect::<Vec<_>>(), "every count 0..=15 once");
    for p in &plans {
        assert!((0.0..=0.02).contains(&p.environment.fog_density));
    }
}

/// The first ```ron block after `heading` in scenarios/REFERENCE.md.
fn reference_example(heading: &str) -> String {
    let path =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/REFERENCE.md");
    let text = std::fs::read_to_string(path).expect("REFERENCE.md");
    let section = &text[text.find(heading).expect("heading")..];
    let start = section.find("```ron\n").expect("a ron block") + "```ron\n".len();
    let end = start + section[start..].find("```").expect("closed");
    section[start..end].to_string()
}

#[test]
fn the_reference_examples_load_and_mean_what_they_say() {
    let grid = reference_example("## Coverage: Grid and Sobol variants");
    let s = load(&format!(
        "Scenario(name: \"ref\", seed: 1, capture: (frames: 2), {grid})"
    ));
    assert_eq!(s.variants, 16);
    let cells: Vec<_> = (0..3).map(|v| s.coverage_cell(v)).collect();
    let values = |c: &Vec<(String, f64)>| (c[0].1, c[1].1);
    assert_eq!(
        cells.iter().map(values).collect::<Vec<_>>(),
        [(7.0, 0.0), (7.0, 0.8), (12.0, 0.0)],
        "the documented order"
    );
    let filters = reference_example("## Keeping frames: keep_frames_where");
    let s = load(&format!(
        "Scenario(name: \"ref\", seed: 1, {filters} events: [(name: \"cut_in\", \
         actor: \"vehicle:0\", trigger: Time(2), action: RunRedLight)])"
    ));
    assert_eq!(s.keep_frames_where.len(), 2);
}
