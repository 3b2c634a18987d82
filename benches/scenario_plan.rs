//! Parse+validate each example scenario, and plan a 2 km network with 200 vehicles and
//! 100 pedestrians. Run: `cargo bench -p drivegen-plan`.

use std::path::PathBuf;

use criterion::{Criterion, criterion_group, criterion_main};
use drivegen_scenario::{Block, BlockPlan, Param, Turn};

fn examples() -> Vec<(String, String)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scenarios");
    let mut out: Vec<(String, String)> = std::fs::read_dir(&dir)
        .expect("scenarios/")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "ron"))
        .filter_map(|p| {
            let text = std::fs::read_to_string(&p).ok()?;
            // extends needs the file system; the bench measures parsing and validation.
            let name = p.file_stem()?.to_string_lossy().into_owned();
            (!text.contains("extends")).then_some((name, text))
        })
        .collect();
    out.sort();
    out
}

fn parse_validate(c: &mut Criterion) {
    let mut group = c.benchmark_group("parse_validate");
    for (name, text) in examples() {
        group.bench_function(&name, |b| {
            b.iter(|| {
                drivegen_scenario::load_str(&name, std::hint::black_box(&text)).expect("valid")
            })
        });
    }
    group.finish();
}

/// A 2 km route: straights, curves and four 4-way junctions (plus their arms).
fn big_scenario() -> drivegen_scenario::Scenario {
    let mut s = drivegen_scenario::load_default().expect("default").scenario;
    let straight = |l: f64| Block::Straight {
        length: Param::Const(l),
    };
    let junction = || Block::Intersection {
        ways: 4,
        arm_length: Param::Const(60.0),
        exit: Turn::Straight,
    };
    s.map.blocks = BlockPlan::Sequence(vec![
        straight(250.0),
        junction(),
        straight(250.0),
        Block::Curve {
            radius: Param::Const(200.0),
            angle: Param::Const(30.0),
        },
        straight(200.0),
        junction(),
        straight(250.0),
        Block::Curve {
            radius: Param::Const(200.0),
            angle: Param::Const(-30.0),
        },
        straight(200.0),
        junction(),
        straight(200.0),
        junction(),
        straight(150.0),
    ]);
    s.traffic.vehicles = Param::Const(200.0);
    s.traffic.parked = Param::Const(20.0);
    s.pedestrians.count = Param::Const(100.0);
    s
}

fn plan_big(c: &mut Criterion) {
    let s = big_scenario();
    let plan = drivegen_plan::plan(&s, 0).expect("plannable");
    let km: f64 = plan
        .network
        .roads
        .iter()
        .map(|r| r.reference.length())
        .sum::<f64>()
        / 1000.0;
    eprintln!(
        "big scenario: {km:.2} km of road, {} actors, {} props, {} lanes",
        plan.actors.len(),
        plan.props.len(),
        plan.network.lanes.len()
    );
    c.bench_function("plan_2km_200veh_100ped", |b| {
        b.iter(|| drivegen_plan::plan(std::hint::black_box(&s), 0).expect("plannable"))
    });
    c.bench_function("topdown_map_default", |b| {
        let p = drivegen_plan::plan(
            &drivegen_scenario::load_default().expect("default").scenario,
            0,
        )
        .expect("plans");
        b.iter(|| drivegen_plan::topdown::render(std::hint::black_box(&p)))
    });
}

/// Planning time against road length: 4, 16 and 32 km of four lanes each way with the
/// default roadside (thousands of props). Linear since the overlap and carriageway tests
/// look only at what is near; it had grown with the square of the length.
fn plan_long_roads(c: &mut Criterion) {
    let mut group = c.benchmark_group("plan_long_road");
    group.sample_size(10);
    for km in [4usize, 16, 32] {
        let mut s = drivegen_scenario::load_default().expect("default").scenario;
        s.map.blocks = BlockPlan::Sequence(
            (0..km / 2)
                .map(|_| Block::Straight {
                    length: Param::Const(2000.0),
                })
                .collect(),
        );
        s.map.lanes_per_direction = Param::Const(4.0);
        s.traffic.vehicles = Param::Const(0.0);
        s.pedestrians.count = Param::Const(0.0);
        group.bench_function(format!("{km}km"), |b| {
            b.iter(|| drivegen_plan::plan(std::hint::black_box(&s), 0).expect("plannable"))
        });
    }
    group.finish();
}

criterion_group!(benches, parse_validate, plan_big, plan_long_roads);
criterion_main!(benches);
