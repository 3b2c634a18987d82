//! Helpers shared by the integration tests that drive the `drivegen` binary.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

pub mod prerequisite;

// Not every test file that includes this module checks a prerequisite itself.
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

/// A fresh, empty-to-be directory unique to this test process.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("drivegen-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Every file under `dir` (relative path -> bytes), except those named in `skip`.
pub fn files(dir: &Path, skip: &[&str]) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("dir").filter_map(Result::ok) {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p
                    .strip_prefix(dir)
                    .expect("inside")
                    .to_string_lossy()
                    .into_owned();
                if !skip.contains(&rel.as_str()) {
                    out.insert(rel, std::fs::read(&p).expect("read"));
                }
            }
        }
    }
    out
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
