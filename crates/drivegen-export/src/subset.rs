//! Filtered subsets of a native dataset: the frames showing a class at a minimum
//! visibility, with only the matching objects in their labels.

use drivegen_dataset::DatasetError;
use std::collections::BTreeSet;
use std::path::Path;

use drivegen_dataset::{FileRecord, Journal, JournalEntry, file_record, write_atomic};

use crate::{ExportError, NativeDataset};

/// Which objects a query keeps.
#[derive(Clone, Debug)]
pub struct Filter {
    /// Class names as in the labels (`person`, `car`, `suv`, `traffic_light`, ...);
    /// `pedestrian` means `person`, `vehicle` every vehicle class. Empty = any class.
    pub classes: Vec<String>,
    pub min_visibility: f64,
}

impl Filter {
    fn expand(&self) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        for c in &self.classes {
            match c.as_str() {
                "pedestrian" | "pedestrians" | "person" => {
                    out.insert("person".to_string());
                }
                "vehicle" | "vehicles" => {
                    for v in ["car", "suv", "van", "truck", "bus", "motorcycle", "bicycle"] {
                        out.insert(v.to_string());
                    }
                }
                other => {
                    out.insert(other.to_string());
                }
            }
        }
        out
    }

    pub fn matches(&self, object: &serde_json::Value) -> bool {
        let classes = self.expand();
        let class_ok = classes.is_empty()
            || object["class"]
                .as_str()
                .is_some_and(|c| classes.contains(c));
        class_ok && object["visibility"].as_f64().unwrap_or(0.0) >= self.min_visibility
    }
}

#[derive(Clone, Debug, Default)]
pub struct SubsetSummary {
    pub frames: usize,
    pub objects: usize,
    pub variants: Vec<u32>,
}

fn copy_recorded(
    from: &Path,
    to: &Path,
    root: &Path,
    files: &mut Vec<FileRecord>,
) -> Result<(), ExportError> {
    let bytes = std::fs::read(from).map_err(|source| DatasetError::Read {
        path: from.to_path_buf(),
        source,
    })?;
    write_atomic(to, &bytes)?;
    files.push(file_record(root, to, &bytes));
    Ok(())
}

/// Writes the frames of `ds` with at least one object passing `filter` to `out` in the
/// native layout (labels keep only the matching objects), with a fresh journal.
pub fn subset(
    ds: &NativeDataset,
    filter: &Filter,
    out: &Path,
) -> Result<SubsetSummary, ExportError> {
    let journal = Journal::open(out, false)?;
    let mut summary = SubsetSummary::default();
    let mut variants = BTreeSet::new();
    for f in &ds.frames {
        let path = f.file("labels", "json");
        let bytes = std::fs::read(&path).map_err(|source| DatasetError::Read {
            path: path.clone(),
            source,
        })?;
        let mut labels: serde_json::Value =
            serde_json::from_slice(&bytes).map_err(|e| DatasetError::Format {
                path: path.clone(),
                reason: e.to_string(),
            })?;
        let kept: Vec<serde_json::Value> = labels["objects"]
            .as_array()
            .map(|objs| objs.iter().filter(|o| filter.matches(o)).cloned().collect())
            .unwrap_or_default();
        if kept.is_empty() {
            continue;
        }
        summary.objects += kept.len();
        summary.frames += 1;
        variants.insert(f.variant);
        labels["objects"] = serde_json::Value::Array(kept);
        let rel = f.dir.strip_prefix(&ds.root).unwrap_or(&f.dir);
        let dir = out.join(rel);
        let mut files = Vec::new();
        // The subset is a dataset like its source: refined frames travel too.
        let kinds: &[&str] = match (ds.run.rgb, ds.run.refiner.is_some()) {
            (true, true) => &["rgb", "rgb_refined", "instance", "semantic", "depth"],
            (true, false) => &["rgb", "instance", "semantic", "depth"],
            (false, _) => &["instance", "semantic", "depth"],
        };
        for kind in kinds {
            let name = format!("{:06}.png", f.frame);
            copy_recorded(
                &f.dir.join(kind).join(&name),
                &dir.join(kind).join(&name),
                out,
                &mut files,
            )?;
        }
        let json = serde_json::to_vec_pretty(&labels).unwrap_or_default();
        let label_path = dir.join("labels").join(format!("{:06}.json", f.frame));
        write_atomic(&label_path, &json)?;
        files.push(file_record(out, &label_path, &json));
        journal.push(&JournalEntry {
            variant: f.variant,
            frame: f.frame,
            sensor: f.camera.clone(),
            files,
        })?;
    }
    for v in &variants {
        let name = format!("v{v:03}/calibration.json");
        let mut ignored = Vec::new();
        copy_recorded(&ds.root.join(&name), &out.join(&name), out, &mut ignored)?;
    }
    let mut ignored = Vec::new();
    copy_recorded(
        &ds.root.join("scenario.ron"),
        &out.join("scenario.ron"),
        out,
        &mut ignored,
    )?;
    summary.variants = variants.into_iter().collect();
    Ok(summary)
}
