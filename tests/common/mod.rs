//! Helpers shared by the integration tests that drive the `drivegen` binary.
#![allow(dead_code)]

use std::path::Path;
use std::process::Command;

pub mod dirs;
pub mod prerequisite;

// Not every test file that includes this module checks a prerequisite itself.
#[allow(unused_imports)]
pub use dirs::{files, scratch};
#[allow(unused_imports)]
pub use prerequisite::{in_ci, prerequisite};

/// Whether a Vulkan adapter exists, through [`prerequisite`]: under CI its absence fails.
pub fn vulkan() -> bool {
    prerequisite(
        "a Vulkan adapter",
        drivegen_sim::probe_adapter().is_ok(),
        "install the Vulkan loader and Mesa's software Vulkan: \
         apt-get install libvulkan1 mesa-vulkan-drivers (tools/test.sh does)",
    )
}

/// The binary, with the runtime directory Mesa's loader wants.
pub fn drivegen() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_drivegen"));
    c.env("XDG_RUNTIME_DIR", std::env::temp_dir())
        .env_remove("SLURM_ARRAY_TASK_ID")
        .env_remove("JOB_COMPLETION_INDEX");
    c
}

/// `drivegen render` of the default scenario's first variant at 320x192 for `frames`
/// captures into `out`, with `extra` flags.
pub fn render_small(out: &Path, frames: u32, extra: &[&str]) -> std::process::Output {
    drivegen()
        .args([
            "render",
            "--variants",
            "1",
            "--width",
            "320",
            "--height",
            "192",
        ])
        .args(["--frames", &frames.to_string(), "--out"])
        .arg(out)
        .args(extra)
        .output()
        .expect("runs")
}

/// Asserts a command exited 0, showing its stdout and stderr when it did not.
pub fn assert_success(out: &std::process::Output) {
    assert!(
        out.status.success(),
        "failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
