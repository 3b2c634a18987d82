//! One GAN iteration of the reference configuration, timed per backend, in whatever
//! profile this example is built with (e.g. `cargo run --release -p drivegen-refine
//! --example step_bench -- flex 3`).

use burn::backend::flex::FlexDevice;
use burn::backend::ndarray::NdArrayDevice;
use burn::backend::wgpu::WgpuDevice;
use burn::backend::{Autodiff, Flex, NdArray, Wgpu};
use drivegen_refine::bench::time_steps;

fn main() {
    let mut args = std::env::args().skip(1);
    let backend = args.next().unwrap_or_else(|| "flex".into());
    let steps: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(3);
    let t = match backend.as_str() {
        "wgpu" => time_steps::<Autodiff<Wgpu>>(&WgpuDevice::default(), steps, 8, 64),
        "ndarray" => time_steps::<Autodiff<NdArray>>(&NdArrayDevice::Cpu, steps, 8, 64),
        _ => time_steps::<Autodiff<Flex>>(&FlexDevice, steps, 8, 64),
    };
    println!(
        "{backend} ({}): {:.1} ms/step, first step {:.1} ms, {:.2} GFLOP/step, {:.2} GFLOP/s",
        if cfg!(debug_assertions) {
            "dev"
        } else {
            "release"
        },
        t.ms_per_step,
        t.first_step_ms,
        t.gflop_per_step,
        t.gflops
    );
}
