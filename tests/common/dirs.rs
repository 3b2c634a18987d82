//! Scratch directories and reading back what a run wrote.
//!
//! Included by `tests/common/mod.rs`; a test file of another crate (no `drivegen`
//! binary) includes it alone: `#[path = "common/dirs.rs"] mod dirs;`.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The folder this test process keeps its scratch directories in,
/// `<temp>/drivegen-tests/<pid>/`. The first call removes the folders of earlier test
/// processes that have exited, so repeated runs do not pile up in the temp directory,
/// while the last run's stay for a look at what a failing test wrote.
pub fn scratch_root() -> PathBuf {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| {
        let parent = std::env::temp_dir().join("drivegen-tests");
        remove_exited(&parent);
        parent.join(std::process::id().to_string())
    })
    .clone()
}

/// Removes `parent/<pid>` of every pid without a running process. Only where `/proc`
/// says which processes run (Linux); elsewhere nothing is removed.
fn remove_exited(parent: &Path) {
    let proc = Path::new("/proc");
    if !proc.join("self").exists() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let name = entry.file_name();
        let Some(pid) = name.to_str().filter(|n| n.parse::<u32>().is_ok()) else {
            continue;
        };
        if !proc.join(pid).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// A fresh, empty-to-be directory unique to this test process (not created).
pub fn scratch(name: &str) -> PathBuf {
    let dir = scratch_root().join(name);
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
