//! Standard dataset formats from drivegen's native layout: KITTI object and tracking,
//! COCO instances (compressed RLE masks), YOLO, and Cityscapes-style images, with a
//! deterministic train/val/test split by scene variant.
//!
//! Class mapping lives in one place: [`drivegen_labels::Class`] (Cityscapes id, KITTI
//! type, detection category; YOLO index = category - 1).

pub mod augment;
pub mod formats;
pub mod native;
pub mod rle;
pub mod split;
pub mod subset;

use std::path::{Path, PathBuf};

pub use native::NativeDataset;
pub use split::{Split, SplitFractions};

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(
        "cannot read {path}: {source}\n  = hint: is this a directory written by `drivegen render`?"
    )]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not what drivegen writes: {reason}")]
    Format { path: PathBuf, reason: String },
    #[error(transparent)]
    Write(#[from] drivegen_dataset::DatasetError),
    #[error("the dataset has no RGB images (rendered with --no-rgb); {0} needs them")]
    NoRgb(&'static str),
    #[error(
        "unknown export format `{0}`\n  = hint: choose from kitti, kitti-tracking, coco, yolo, cityscapes"
    )]
    UnknownFormat(String),
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
    .map_err(|e| ExportError::Format {
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
    /// Camera to export; the first camera when `None`.
    pub camera: Option<String>,
}

/// What an export wrote.
#[derive(Clone, Debug, Default)]
pub struct ExportSummary {
    /// Frames per split (train, val, test).
    pub frames: [usize; 3],
    pub objects: usize,
}

/// Writes every requested format under `out/<format>/`.
pub fn export(
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
    let frames: Vec<&native::NativeFrame> =
        ds.frames.iter().filter(|f| f.camera == camera).collect();
    let mut writers = formats::Writers::new(out, &opts.formats, ds);
    let mut summary = ExportSummary::default();
    for f in frames {
        let split = opts.splits.of(ds.run.seed, f.variant);
        let k = Split::ALL.iter().position(|s| *s == split).unwrap_or(0);
        let index = summary.frames[k];
        summary.frames[k] += 1;
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
        summary.objects += frame.labels.objects.len();
        writers.frame(&frame)?;
    }
    writers.finish()?;
    Ok(summary)
}
