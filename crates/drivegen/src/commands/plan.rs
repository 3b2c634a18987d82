//! `drivegen plan [FILE] [--variant N] [--out plan.ron] [--map map.png]`

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use drivegen_plan::{ActorClass, Role};

use drivegen_dataset::write_atomic;

use super::load_scenario;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Scenario file; the embedded default (urban 4-way intersection) when omitted.
    scenario: Option<PathBuf>,
    /// Which variant (scene sample) of the scenario to plan.
    #[arg(long, default_value_t = 0)]
    variant: u32,
    /// Where to write the plan (RON). Default: out/plan/<scenario>-v<variant>.ron
    #[arg(long)]
    out: Option<PathBuf>,
    /// Where to write the top-down map (PNG). Default: beside the plan, .png
    #[arg(long)]
    map: Option<PathBuf>,
}

pub fn run(args: Args, quiet: bool) -> anyhow::Result<()> {
    let started = Instant::now();
    let loaded = load_scenario(args.scenario.as_deref())?;
    let scenario = &loaded.scenario;
    let plan = drivegen_plan::plan(scenario, args.variant)
        .map_err(|e| super::plan_failure(&loaded, args.variant, &e, ""))?;
    let planned = started.elapsed();
    let out = args.out.unwrap_or_else(|| {
        PathBuf::from(format!("out/plan/{}-v{}.ron", scenario.name, args.variant))
    });
    let map = args.map.unwrap_or_else(|| out.with_extension("png"));
    if super::resolved(&map) == super::resolved(&out) {
        return Err(crate::InputError(format!(
            "--map and --out are the same file ({}): the map would overwrite the plan\n  = hint: give the map a .png name of its own, or leave --map out",
            out.display()
        ))
        .into());
    }
    write_atomic(&out, drivegen_plan::to_ron(&plan).as_bytes())?;
    if let Some(dir) = map.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    drivegen_plan::topdown::write_png(&plan, &map)?;
    if !quiet {
        let count =
            |f: &dyn Fn(&drivegen_plan::Actor) -> bool| plan.actors.iter().filter(|a| f(a)).count();
        let net = &plan.network;
        println!(
            "scenario  {} (seed {}, variant {} of {})",
            scenario.name, scenario.seed, args.variant, scenario.variants
        );
        println!(
            "network   {} roads, {} lanes, {} junctions, {} crosswalks, {:.0} m of road",
            net.roads.len(),
            net.lanes.len(),
            net.junctions.len(),
            net.crosswalks.len(),
            net.roads.iter().map(|r| r.reference.length()).sum::<f64>()
        );
        println!(
            "actors    ego + {} moving, {} parked, {} pedestrians ({} vehicles by class: {})",
            count(&|a| a.role == Role::Traffic),
            count(&|a| a.role == Role::Parked),
            count(&|a| a.role == Role::Pedestrian),
            count(&|a| matches!(a.class, ActorClass::Vehicle(_))),
            class_summary(&plan)
        );
        println!("props     {}", plan.props.len());
        if !plan.coverage.is_empty() {
            let cell: Vec<String> = plan
                .coverage
                .iter()
                .map(|(name, v)| format!("{name} = {v}"))
                .collect();
            println!("coverage  {}", cell.join(", "));
        }
        let env = &plan.environment;
        println!(
            "scene     {:.1} h, sun {:.0}° up, clouds {:.2}, rain {:.2}, fog {:.3}/m",
            env.time_of_day, env.sun_elevation_deg, env.cloudiness, env.rain, env.fog_density
        );
        println!(
            "captures  {} frames, {} camera(s)",
            plan.schedule.ticks.len(),
            plan.sensors.cameras.len()
        );
        println!(
            "wrote     {} and {} (planned in {:.1} ms)",
            out.display(),
            map.display(),
            planned.as_secs_f64() * 1e3
        );
    }
    Ok(())
}

fn class_summary(plan: &drivegen_plan::ScenePlan) -> String {
    let mut counts = std::collections::BTreeMap::new();
    for a in &plan.actors {
        if let ActorClass::Vehicle(c) = a.class {
            *counts.entry(format!("{c:?}").to_lowercase()).or_insert(0) += 1;
        }
    }
    counts
        .iter()
        .map(|(k, v)| format!("{v} {k}"))
        .collect::<Vec<_>>()
        .join(", ")
}
