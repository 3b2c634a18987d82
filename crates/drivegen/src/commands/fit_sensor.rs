//! `drivegen fit-sensor`: fits a camera's image pipeline to a real camera's frames by
//! minimising the realism test's held-out accuracy, and writes the scenario's
//! `sensor: (...)` block.

use std::path::{Path, PathBuf};

use drivegen_plan::SensorPlan;
use drivegen_refine::data::FrameRange;
use drivegen_refine::sensor_fit::{FitStep, fit_sensor};
use image::RgbImage;

use super::realism::{FitSearch, RealFrames, input, sim_sets};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    real: RealFrames,
    /// Renders *without* a sensor model: a `drivegen render` dataset (its raw `rgb/`) or a
    /// folder of images.
    #[arg(long)]
    sim: PathBuf,
    /// Which of the sorted rendered frames to use (START..END).
    #[arg(long, default_value = "..")]
    sim_frames: FrameRange,
    /// Start the search from the sensor of this scenario's first camera (variant 0), e.g.
    /// an example scenario's dash camera, instead of an ideal camera. The search moves one
    /// setting at a time, so it refines a camera that is already close better than it
    /// finds one from nothing.
    #[arg(long, value_name = "SCENARIO")]
    start: Option<PathBuf>,
    #[command(flatten)]
    search: FitSearch,
    /// Where the `sensor: (...)` block goes (the search's steps go beside it as JSON).
    #[arg(long, default_value = "sensor.ron")]
    out: PathBuf,
}

/// Rendered frames at their own resolution: the sensor acts on the image it delivers.
fn load_full(paths: &[PathBuf]) -> anyhow::Result<Vec<RgbImage>> {
    paths
        .iter()
        .map(|p| {
            Ok(image::open(p)
                .map_err(|e| input(format!("{}: {e}", p.display())))?
                .to_rgb8())
        })
        .collect()
}

/// The sensor the scenario's first camera draws in variant 0.
fn starting_sensor(path: &Path) -> anyhow::Result<SensorPlan> {
    let loaded = super::load_scenario(Some(path))?;
    let plan = drivegen_plan::plan(&loaded.scenario, 0)
        .map_err(|e| input(format!("--start {}: {e}", path.display())))?;
    plan.sensors
        .cameras
        .into_iter()
        .next()
        .and_then(|c| c.sensor)
        .ok_or_else(|| {
            input(format!(
                "--start {}: its first camera has no `sensor` block to start from",
                path.display()
            ))
        })
}

fn json_path(out: &Path) -> PathBuf {
    out.with_extension("json")
}

pub fn run(a: Args, quiet: bool) -> anyhow::Result<()> {
    let config = a.search.config()?;
    let real = a.real.patches(&config)?;
    let Some(sim) = sim_sets(&a.sim, "raw", a.sim_frames)?.into_iter().next() else {
        return Err(input(format!("--sim {}: no frames", a.sim.display())));
    };
    let frames = load_full(&sim.paths)?;
    if !quiet {
        println!(
            "fitting the sensor of {} rendered frames to {} real frames ({} patches each; up to {} passes)",
            frames.len(),
            real.images,
            config.patches,
            a.search.rounds
        );
    }
    let show = |s: &FitStep| {
        if !quiet {
            println!(
                "  pass {} {:<22} {:>8} -> accuracy {:.4}{}",
                s.round + 1,
                s.setting,
                s.value,
                s.accuracy,
                if s.kept { "  kept" } else { "" }
            );
        }
    };
    let start = match &a.start {
        Some(path) => Some(starting_sensor(path)?),
        None => None,
    };
    let fit =
        fit_sensor(&frames, &real, &config, a.search.rounds, start, 0, show).map_err(input)?;
    let text = format!(
        "// drivegen fit-sensor: --real {} [{}], --sim {} [{}]{}\n// held-out patch accuracy {:.4} at the start, {:.4} with this one (0.5 = indistinguishable)\n{}",
        a.real.real.display(),
        a.real.real_frames,
        a.sim.display(),
        a.sim_frames,
        a.start
            .as_ref()
            .map(|p| format!(", --start {}", p.display()))
            .unwrap_or_default(),
        fit.start_accuracy,
        fit.accuracy,
        fit.to_ron()
    );
    drivegen_dataset::write_atomic(&a.out, text.as_bytes()).map_err(|e| anyhow::anyhow!("{e}"))?;
    drivegen_dataset::write_atomic(&json_path(&a.out), &serde_json::to_vec_pretty(&fit)?)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    if !quiet {
        print!("{}", fit.to_ron());
        println!(
            "accuracy {:.4} -> {:.4}; wrote {} and {}",
            fit.start_accuracy,
            fit.accuracy,
            a.out.display(),
            json_path(&a.out).display()
        );
    }
    Ok(())
}
