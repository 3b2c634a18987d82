//! One 60 Hz traffic step, after two seconds of warm-up, for the default scenario and for
//! a scenario at the caps (64 random blocks, 1,000 vehicles, 500 parked, 1,000
//! pedestrians). Run: `cargo bench -p drivegen-world`.

use criterion::{Criterion, criterion_group, criterion_main};
use drivegen_plan::ScenePlan;
use drivegen_world::traffic::TrafficSim;

const DT: f64 = 1.0 / 60.0;

const AT_THE_CAPS: &str = r#"Scenario(
    name: "at_the_caps",
    seed: 31,
    map: (blocks: Random(count: 64, weights: [(3, Straight(length: Uniform(50, 300))), (1, Curve(radius: Uniform(33, 200), angle: Uniform(-90, 90))), (1, Intersection(ways: 4)), (1, Roundabout(radius: 20))]), lanes_per_direction: 4, shoulder_width: 2.0),
    traffic: (vehicles: 1000, parked: 500),
    pedestrians: (count: 1000),
)"#;

fn warmed_up(plan: &ScenePlan) -> TrafficSim {
    let mut sim = TrafficSim::new(plan);
    for _ in 0..120 {
        sim.step(plan, DT);
    }
    sim
}

fn traffic_step(c: &mut Criterion) {
    let default = drivegen_scenario::load_default().expect("default").scenario;
    let caps = drivegen_scenario::load_str("at_the_caps.ron", AT_THE_CAPS)
        .expect("valid")
        .scenario;
    let mut group = c.benchmark_group("traffic_step");
    group.sample_size(20);
    for (name, scenario) in [("default", default), ("at_the_caps", caps)] {
        let plan = drivegen_plan::plan(&scenario, 0).expect("plans");
        let sim = warmed_up(&plan);
        group.bench_function(name, |b| {
            b.iter_batched(
                || sim.clone(),
                |mut s| s.step(&plan, DT),
                criterion::BatchSize::LargeInput,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, traffic_step);
criterion_main!(benches);
