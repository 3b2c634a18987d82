//! `drivegen refine ...`: the sim-to-real refiner (in progress: `bench`).

use std::process::Command;
use std::time::{Duration, Instant};

use burn::backend::ndarray::NdArrayDevice;
use burn::backend::wgpu::WgpuDevice;
use burn::backend::{Autodiff, NdArray, Wgpu};
use drivegen_refine::bench::{StepTiming, time_steps};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: RefineCommand,
}

#[derive(Debug, clap::Subcommand)]
enum RefineCommand {
    /// Time one GAN iteration (D + G Adam steps) of the reference configuration per backend.
    Bench(BenchArgs),
}

#[derive(Debug, clap::Args)]
struct BenchArgs {
    /// ndarray, wgpu, or all (each in its own process, with --timeout).
    #[arg(long, default_value = "all")]
    backend: String,
    /// Timed iterations after the first.
    #[arg(long, default_value_t = 3)]
    steps: usize,
    #[arg(long, default_value_t = 8)]
    batch: usize,
    /// Crop side in pixels.
    #[arg(long, default_value_t = 64)]
    size: usize,
    /// Seconds one backend may take before it is reported as too slow.
    #[arg(long, default_value_t = 300)]
    timeout: u64,
}

fn print(name: &str, t: &StepTiming) {
    println!(
        "{name:<10} {:>10.1} ms/step   first step {:>9.1} ms   {:.2} GFLOP/step   {:.2} GFLOP/s",
        t.ms_per_step, t.first_step_ms, t.gflop_per_step, t.gflops
    );
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let RefineCommand::Bench(b) = args.command;
    match b.backend.as_str() {
        "ndarray" => print(
            "ndarray",
            &time_steps::<Autodiff<NdArray>>(&NdArrayDevice::Cpu, b.steps, b.batch, b.size),
        ),
        "wgpu" => print(
            "wgpu",
            &time_steps::<Autodiff<Wgpu>>(&WgpuDevice::default(), b.steps, b.batch, b.size),
        ),
        "all" => {
            let exe = std::env::current_exe()?;
            for backend in ["ndarray", "wgpu"] {
                let started = Instant::now();
                let mut child = Command::new(&exe)
                    .args(["refine", "bench", "--backend", backend, "--steps"])
                    .arg(b.steps.to_string())
                    .args([
                        "--batch",
                        &b.batch.to_string(),
                        "--size",
                        &b.size.to_string(),
                    ])
                    .spawn()?;
                loop {
                    if child.try_wait()?.is_some() {
                        break;
                    }
                    if started.elapsed() > Duration::from_secs(b.timeout) {
                        let _ = child.kill();
                        let _ = child.wait();
                        println!(
                            "{backend:<10} did not finish {} steps in {} s",
                            b.steps + 1,
                            b.timeout
                        );
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(200));
                }
            }
        }
        other => anyhow::bail!(crate::InputError(format!(
            "unknown backend `{other}`: use ndarray, wgpu or all"
        ))),
    }
    Ok(())
}
