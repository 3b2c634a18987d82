//! `drivegen export DIR --format coco,kitti,yolo,cityscapes [--out DIR] [--split 0.8,0.1,0.1]`

use std::path::{Path, PathBuf};

use drivegen_export::{ExportOptions, Format, NativeDataset, SplitFractions};

use crate::InputError;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A directory written by `drivegen render`.
    dataset: PathBuf,
    /// Comma-separated: kitti, kitti-tracking, coco, yolo, cityscapes.
    #[arg(long, default_value = "kitti,coco,yolo,cityscapes")]
    format: String,
    /// Output directory (default: DATASET/exports).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Train, val and test fractions; scene variants never straddle splits.
    #[arg(long, default_value = "0.8,0.1,0.1")]
    split: String,
    /// Camera to export (default: the first).
    #[arg(long)]
    camera: Option<String>,
}

/// Parses the format list and split fractions (shared with `render --export`).
pub fn options(
    formats: &str,
    split: &str,
    camera: Option<String>,
) -> anyhow::Result<ExportOptions> {
    let formats = formats
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .map(Format::parse)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| InputError(e.to_string()))?;
    let splits = SplitFractions::parse(split).ok_or_else(|| {
        InputError(format!(
            "--split `{split}`: expected three non-negative numbers like 0.8,0.1,0.1"
        ))
    })?;
    Ok(ExportOptions {
        formats,
        splits,
        camera,
    })
}

pub fn export_dataset(
    dataset: &Path,
    out: &Path,
    opts: &ExportOptions,
    quiet: bool,
) -> anyhow::Result<()> {
    let ds = NativeDataset::open(dataset).map_err(|e| InputError(e.to_string()))?;
    let summary = drivegen_export::export(&ds, out, opts)?;
    if !quiet {
        let names: Vec<&str> = opts.formats.iter().map(|f| f.name()).collect();
        println!(
            "exported {} to {}: {} train, {} val, {} test frames, {} objects",
            names.join(", "),
            out.display(),
            summary.frames[0],
            summary.frames[1],
            summary.frames[2],
            summary.objects
        );
    }
    Ok(())
}

pub fn run(args: Args, quiet: bool) -> anyhow::Result<()> {
    let opts = options(&args.format, &args.split, args.camera)?;
    let out = args.out.unwrap_or_else(|| args.dataset.join("exports"));
    export_dataset(&args.dataset, &out, &opts, quiet)
}
