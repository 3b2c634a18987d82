//! `rejected.jsonl`: the frames a scenario's `keep_frames_where` turned away.
//!
//! A rejected frame writes no files and no journal line, so without this record a
//! resumed run could not tell it from a frame not rendered yet and would render it
//! again. A line is appended the moment a frame is rejected (the decision needs no
//! writer thread to finish), and a finished run's file is rewritten in (variant, frame)
//! order so it is byte-identical for a seed. The file exists only for filtered runs.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};

use drivegen_dataset::{DatasetError, write_atomic};

/// The file's name in a run's directory.
pub const FILE: &str = "rejected.jsonl";

/// One line: a capture the frame filter rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Rejected {
    pub variant: u32,
    pub frame: u32,
}

impl Rejected {
    fn line(self) -> String {
        format!(
            "{{\"variant\":{},\"frame\":{}}}\n",
            self.variant, self.frame
        )
    }

    fn parse(line: &str) -> Option<Rejected> {
        let v: serde_json::Value = serde_json::from_str(line).ok()?;
        let field = |k: &str| v.get(k)?.as_u64().and_then(|n| u32::try_from(n).ok());
        Some(Rejected {
            variant: field("variant")?,
            frame: field("frame")?,
        })
    }
}

/// The open record of a filtered run.
#[derive(Debug)]
pub struct RejectLog {
    path: PathBuf,
    file: std::fs::File,
}

impl RejectLog {
    /// Opens `root/rejected.jsonl`, emptied unless `keep` (when resuming).
    pub fn open(root: &Path, keep: bool) -> Result<RejectLog, DatasetError> {
        let path = root.join(FILE);
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(keep)
            .write(true)
            .truncate(!keep)
            .open(&path)
            .map_err(|source| DatasetError::Write {
                path: path.clone(),
                source,
            })?;
        Ok(RejectLog { path, file })
    }

    /// Appends one rejected frame.
    pub fn record(&mut self, variant: u32, frame: u32) -> Result<(), DatasetError> {
        let line = Rejected { variant, frame }.line();
        self.file
            .write_all(line.as_bytes())
            .and_then(|()| self.file.flush())
            .map_err(|source| DatasetError::Write {
                path: self.path.clone(),
                source,
            })
    }
}

/// Every frame `root/rejected.jsonl` lists (none when there is no file); a line torn by
/// a crash is skipped, so that frame is simply rendered and judged again.
pub fn read(root: &Path) -> BTreeSet<Rejected> {
    std::fs::read_to_string(root.join(FILE))
        .unwrap_or_default()
        .lines()
        .filter_map(Rejected::parse)
        .collect()
}

/// Rewrites `root/rejected.jsonl` sorted and without duplicates, and returns how many
/// frames each variant rejected (`None` when the run has no record).
pub fn compact(root: &Path) -> Result<Option<BTreeMap<u32, u64>>, DatasetError> {
    if !root.join(FILE).exists() {
        return Ok(None);
    }
    let all = read(root);
    let mut counts = BTreeMap::new();
    for r in &all {
        *counts.entry(r.variant).or_insert(0) += 1;
    }
    write(root, &all)?;
    Ok(Some(counts))
}

/// Writes `root/rejected.jsonl` listing `frames` in order (a merge joins its shards').
pub fn write(root: &Path, frames: &BTreeSet<Rejected>) -> Result<(), DatasetError> {
    let text: String = frames.iter().map(|r| r.line()).collect();
    write_atomic(&root.join(FILE), text.as_bytes())
}

/// The manifest's record of rejected frames: the total and the count per variant.
pub fn summary(counts: &BTreeMap<u32, u64>) -> serde_json::Value {
    serde_json::json!({
        "total": counts.values().sum::<u64>(),
        "by_variant": counts
            .iter()
            .map(|(v, n)| (format!("v{v:03}"), serde_json::Value::from(*n)))
            .collect::<serde_json::Map<_, _>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_log_survives_a_torn_line_and_compacts_in_order() {
        let dir = std::env::temp_dir().join(format!("drivegen-rejected-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        assert_eq!(compact(&dir).expect("no file"), None);
        let mut log = RejectLog::open(&dir, false).expect("opens");
        log.record(1, 4).expect("writes");
        log.record(0, 2).expect("writes");
        drop(log);
        let mut log = RejectLog::open(&dir, true).expect("reopens");
        log.record(0, 2).expect("writes");
        drop(log);
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(dir.join(FILE))
            .expect("file");
        f.write_all(b"{\"variant\": 3, \"fra").expect("torn");
        drop(f);
        let frames = read(&dir);
        assert_eq!(frames.len(), 2, "{frames:?}");
        let counts = compact(&dir).expect("compacts").expect("a record");
        assert_eq!(counts, BTreeMap::from([(0, 1), (1, 1)]));
        assert_eq!(
            std::fs::read_to_string(dir.join(FILE)).expect("file"),
            "{\"variant\":0,\"frame\":2}\n{\"variant\":1,\"frame\":4}\n"
        );
        assert_eq!(summary(&counts)["total"], 2);
        // A fresh run empties it.
        drop(RejectLog::open(&dir, false).expect("opens"));
        assert!(read(&dir).is_empty());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
