//! Scratch directories and reading back what a run wrote.
//!
//! Included by `tests/common/mod.rs`; a test file of another crate (no `drivegen`
//! binary) includes it alone: `#[path = "common/dirs.rs"] mod dirs;`.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

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
