//! `drivegen refine bench`: one GAN training step and one refined frame, timed per
//! backend, each backend in its own process so a slow one can be cut off.

use std::process::Command;
use std::time::{Duration, Instant};

use drivegen_refine::compute::{Compute, bench_step};
use drivegen_refine::shipped::Shipped;

use crate::InputError;

#[derive(Debug, clap::Args)]
pub(super) struct BenchArgs {
    /// flex, ndarray, wgpu, or all (each in its own process, with --timeout).
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

fn bench_one(compute: Compute, b: &BenchArgs) {
    let t = bench_step(compute, b.steps, b.batch, b.size);
    println!(
        "{compute:<8} train step {:>9.1} ms   first {:>9.1} ms   {:.2} GFLOP/step   {:.2} GFLOP/s",
        t.ms_per_step, t.first_step_ms, t.gflop_per_step, t.gflops
    );
    for shipped in Shipped::ALL {
        let config = shipped.source().config().map(|c| c.gan.refiner);
        match config.and_then(|c| drivegen_refine::compute::bench_frame(compute, &c, 640, 384)) {
            Ok(f) => println!(
                "{compute:<8} refine 640x384 {:>7.1} ms/frame with the shipped {} refiner{} (width-32 reference: {:.1} ms)",
                f.configured_ms,
                shipped.name(),
                if Shipped::default_for(compute) == shipped {
                    ", the default here"
                } else {
                    ""
                },
                f.reference_ms
            ),
            Err(e) => println!("{compute:<8} refine 640x384: {e}"),
        }
    }
}

pub(super) fn bench(b: BenchArgs) -> anyhow::Result<()> {
    if b.backend != "all" {
        let compute: Compute = b.backend.parse().map_err(InputError)?;
        bench_one(compute, &b);
        return Ok(());
    }
    let exe = std::env::current_exe()?;
    for backend in ["flex", "ndarray", "wgpu"] {
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
                    "{backend:<8} did not finish {} steps in {} s",
                    b.steps + 1,
                    b.timeout
                );
                break;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
    Ok(())
}
