//! Standard dataset formats from drivegen's native layout: KITTI object and tracking,
//! COCO instances (compressed RLE masks), YOLO, and Cityscapes-style images, with a
//! deterministic train/val/test split by scene variant.
//!
//! Class mapping lives in one place: [`drivegen_labels::Class`] (Cityscapes id, KITTI
//! type, detection category; YOLO index = category - 1).

pub mod augment;
pub mod formats;
pub mod rle;
pub mod split;
pub mod subset;

use drivegen_dataset::DatasetError;
use std::path::Path;

pub use drivegen_dataset::{NativeDataset, NativeFrame};
pub use split::{Split, SplitBy, SplitFractions, SplitMode, SplitPlan};

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// Reading the dataset or writing the export (the dataset crate owns both).
    #[error(transparent)]
    Dataset(#[from] DatasetError),
    #[error("the dataset has no RGB images (rendered with --no-rgb); {0} needs them")]
    NoRgb(&'static str),
    #[error(transparent)]
    Split(#[from] split::SplitError),
    #[error(
        "unknown export format `{0}`\n  = hint: choose from kitti, kitti-tracking, coco, yolo, cityscapes"
    )]
    UnknownFormat(String),
    #[error("--camera `{camera}`: the dataset has no such camera\n  = hint: its cameras are {}", .cameras.join(", "))]
    UnknownCamera {
        camera: String,
        cameras: Vec<String>,
    },
}

/// Encodes an image buffer as PNG bytes (the error names `path`).
pub(crate) fn png_bytes<P: image::PixelWithColorType>(
    img: &image::ImageBuffer<P, Vec<P::Subpixel>>,
    path: &Path,
) -> Result<Vec<u8>, ExportError>
where
    [P::Subpixel]: image::EncodableLayout,
{
    let mut bytes = Vec::new();
    img.write_to(
        &mut std::io::Cursor::new(&mut bytes),
        image::ImageFormat::Png,
    )
    .map_err(|e| DatasetError::Format {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    Ok(bytes)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Format {
    Kitti,
    KittiTracking,
    Coco,
    Yolo,
    Cityscapes,
}

impl Format {
    pub fn parse(s: &str) -> Result<Format, ExportError> {
        Ok(match s.trim() {
            "kitti" => Format::Kitti,
            "kitti-tracking" => Format::KittiTracking,
            "coco" => Format::Coco,
            "yolo" => Format::Yolo,
            "cityscapes" => Format::Cityscapes,
            other => return Err(ExportError::UnknownFormat(other.to_string())),
        })
    }

    /// The folder the format is written to under the export directory.
    pub fn folder(self) -> &'static str {
        match self {
            Format::KittiTracking => "kitti_tracking",
            other => other.name(),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Format::Kitti => "kitti",
            Format::KittiTracking => "kitti-tracking",
            Format::Coco => "coco",
            Format::Yolo => "yolo",
            Format::Cityscapes => "cityscapes",
        }
    }
}

#[derive(Clone, Debug)]
pub struct ExportOptions {
    pub formats: Vec<Format>,
    pub splits: SplitFractions,
    pub split_by: SplitBy,
    /// Raw or refined RGB (applied when the dataset is opened for export).
    pub rgb: drivegen_dataset::RgbChoice,
    /// Camera to export; the first camera when `None`.
    pub camera: Option<String>,
}

/// What an export wrote.
#[derive(Clone, Debug)]
pub struct ExportSummary {
    /// Frames per split (train, val, test).
    pub frames: [usize; 3],
    /// Objects with a 2-D box in a detection category: the boxes COCO and YOLO carry
    /// (hidden objects and stuff such as buildings are not counted).
    pub objects: usize,
    /// How frames were split, the frames dropped between blocks, and why the mode
    /// differs from the one asked for.
    pub mode: SplitMode,
    pub dropped: usize,
    pub notice: Option<String>,
    /// A KITTI format was written from `augment`ed frames: their 2-D boxes are augmented,
    /// their 3-D boxes, alpha and calibration describe the unaugmented view.
    pub augmented_3d: bool,
}

/// Writes every requested format under `out/<format>/`, and `out/export.json` saying what
/// was written and how frames were split.
///
/// Formats are written into a staging folder and each replaces its previous folder only
/// when complete: files of an earlier export with another split would otherwise stay
/// behind and be picked up by tools that list folders (ultralytics, FiftyOne). Folders
/// of formats the previous export (its export.json) wrote and this one does not are
/// removed.
pub fn export(
    ds: &NativeDataset,
    out: &Path,
    opts: &ExportOptions,
) -> Result<ExportSummary, ExportError> {
    let staging = out.join(".export.partial");
    let clear = |dir: &Path| match std::fs::remove_dir_all(dir) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(ExportError::Dataset(DatasetError::Write {
                path: dir.to_path_buf(),
                source: e,
            }))
        }
        _ => Ok(()),
    };
    clear(&staging)?;
    let written = export_into(ds, &staging, opts);
    let summary = match written {
        Ok(summary) => summary,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&staging);
            return Err(e);
        }
    };
    // Formats the previous export wrote and this one does not go too: their frames were
    // split by the previous split, and export.json no longer describes them.
    let previous: Vec<Format> = std::fs::read(out.join("export.json"))
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .and_then(|doc| {
            doc["formats"].as_array().map(|names| {
                names
                    .iter()
                    .filter_map(|n| n.as_str().and_then(|n| Format::parse(n).ok()))
                    .collect()
            })
        })
        .unwrap_or_default();
    for stale in previous.iter().filter(|f| !opts.formats.contains(f)) {
        clear(&out.join(stale.folder()))?;
    }
    for format in &opts.formats {
        let (from, to) = (staging.join(format.folder()), out.join(format.folder()));
        clear(&to)?;
        if from.exists() {
            std::fs::rename(&from, &to)
                .map_err(|source| ExportError::Dataset(DatasetError::Write { path: to, source }))?;
        }
    }
    std::fs::rename(staging.join("export.json"), out.join("export.json")).map_err(|source| {
        ExportError::Dataset(DatasetError::Write {
            path: out.join("export.json"),
            source,
        })
    })?;
    clear(&staging)?;
    Ok(summary)
}

fn export_into(
    ds: &NativeDataset,
    out: &Path,
    opts: &ExportOptions,
) -> Result<ExportSummary, ExportError> {
    let camera = opts
        .camera
        .clone()
        .or_else(|| ds.run.cameras.first().cloned())
        .unwrap_or_default();
    if let (false, Some(f)) = (ds.run.rgb, opts.formats.first()) {
        return Err(ExportError::NoRgb(f.name()));
    }
    let frames: Vec<&NativeFrame> = ds.frames.iter().filter(|f| f.camera == camera).collect();
    if frames.is_empty() && opts.camera.is_some() {
        let mut cameras: Vec<String> = Vec::new();
        for f in &ds.frames {
            if !cameras.contains(&f.camera) {
                cameras.push(f.camera.clone());
            }
        }
        return Err(ExportError::UnknownCamera { camera, cameras });
    }
    // One split per instant for the whole rig: planned over every camera's (variant,
    // frame), then narrowed to this camera's. Planned per camera, a 5 Hz side camera's
    // frame 4 went to val while the front camera's went to train, so pooled exports of
    // one rig leaked instants across splits.
    let mut instants: Vec<(u32, u32)> = ds.frames.iter().map(|f| (f.variant, f.frame)).collect();
    instants.sort_unstable();
    instants.dedup();
    let mut plan = split::assign(&opts.splits, opts.split_by, ds.run.seed, &instants)?;
    let mine: std::collections::BTreeSet<(u32, u32)> =
        frames.iter().map(|f| (f.variant, f.frame)).collect();
    plan.assignment.retain(|key, _| mine.contains(key));
    let counts = plan.counts();
    let kitti = opts
        .formats
        .iter()
        .any(|f| matches!(f, Format::Kitti | Format::KittiTracking));
    let augmented_3d = kitti
        && frames.first().is_some_and(|f| {
            std::fs::read(f.file("labels", "json"))
                .ok()
                .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
                .is_some_and(|doc| doc.get("augmentation").is_some())
        });
    let mut writers = formats::Writers::new(out, &opts.formats, ds, counts);
    let mut next = [0usize; 3];
    let mut objects = 0;
    for f in frames {
        let Some(split) = plan.split_of(f.variant, f.frame) else {
            continue;
        };
        let index = next[split.index()];
        next[split.index()] += 1;
        let labels = ds.labels(f)?;
        let instance = ds.instance(f)?;
        let (calib, lidar) = ds.calibration(f.variant, &f.camera)?;
        let frame = formats::ExportFrame {
            native: f,
            split,
            index,
            labels: &labels,
            instance: &instance,
            calib: &calib,
            lidar_to_ego: lidar,
        };
        objects += frame
            .labels
            .objects
            .iter()
            .filter(|o| {
                o.tight_box.is_some()
                    && drivegen_labels::Class::from_name(&o.class)
                        .and_then(drivegen_labels::Class::detection_category)
                        .is_some()
            })
            .count();
        writers.frame(&frame)?;
    }
    writers.finish()?;
    let summary = ExportSummary {
        frames: counts,
        objects,
        mode: plan.mode,
        dropped: plan.dropped(),
        notice: plan.notice.clone(),
        augmented_3d,
    };
    write_export_manifest(ds, out, opts, &camera, &plan, &summary)?;
    Ok(summary)
}

/// `export.json`: formats, camera, the split fractions and mode, and which split every
/// (variant, frame) went to, so a reader can tell which frames are near each other.
fn write_export_manifest(
    ds: &NativeDataset,
    out: &Path,
    opts: &ExportOptions,
    camera: &str,
    plan: &SplitPlan,
    summary: &ExportSummary,
) -> Result<(), ExportError> {
    let mut variants: std::collections::BTreeMap<u32, Vec<serde_json::Value>> =
        std::collections::BTreeMap::new();
    for ((v, f), s) in &plan.assignment {
        variants
            .entry(*v)
            .or_default()
            .push(serde_json::json!([f, s.map_or("dropped", Split::name)]));
    }
    let doc = serde_json::json!({
        "tool": "drivegen",
        "version": env!("CARGO_PKG_VERSION"),
        "dataset": ds.root.display().to_string(),
        "scenario": ds.run.scenario,
        "camera": camera,
        "formats": opts.formats.iter().map(|f| f.name()).collect::<Vec<_>>(),
        "rgb": rgb_record(ds),
        "split": {
            "fractions": opts.splits.0,
            "assignment": plan.mode,
            "frames": { "train": summary.frames[0], "val": summary.frames[1], "test": summary.frames[2] },
            "dropped_between_blocks": summary.dropped,
            "notice": summary.notice,
            "frames_by_variant": variants,
        },
    });
    let bytes = serde_json::to_vec_pretty(&doc).map_err(|e| DatasetError::Format {
        path: out.join("export.json"),
        reason: e.to_string(),
    })?;
    Ok(drivegen_dataset::write_atomic(
        &out.join("export.json"),
        &bytes,
    )?)
}

/// Which images an export carries: raw renders, or refined ones with the refiner that
/// made them (checkpoint and its SHA-256).
pub fn rgb_record(ds: &NativeDataset) -> serde_json::Value {
    let refined = ds.rgb == drivegen_dataset::RgbSource::Refined;
    serde_json::json!({
        "source": ds.rgb,
        "folder": ds.rgb.folder(),
        "refiner": if refined { ds.run.refiner.clone() } else { None },
        "refiner_sha256": if refined { ds.run.refiner_sha256.clone() } else { None },
        "refiner_reach": if refined { ds.run.refiner_reach.clone() } else { None },
    })
}
