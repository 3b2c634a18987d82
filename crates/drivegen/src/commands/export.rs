//! `drivegen export DIR --format coco,kitti,yolo,cityscapes [--out DIR] [--split 0.8,0.1,0.1]`

use std::path::{Path, PathBuf};

use drivegen_export::{ExportOptions, Format, NativeDataset, SplitBy, SplitFractions, SplitMode};

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
    /// Train, val and test fractions (0 leaves a split out).
    #[arg(long, default_value = "0.8,0.1,0.1")]
    split: String,
    /// variant: every frame of a scene variant in one split; frame-blocks: contiguous
    /// blocks of frames inside each variant with dropped frames between them; auto:
    /// by variant unless a requested split would be empty (small renders), then blocks.
    #[arg(long, default_value = "auto", value_name = "auto|variant|frame-blocks")]
    split_by: String,
    /// Camera to export (default: the first).
    #[arg(long)]
    camera: Option<String>,
    /// RGB images to use: auto (refined when the dataset was rendered with --refine),
    /// raw or refined.
    #[arg(long, default_value = "auto", value_name = "auto|raw|refined")]
    rgb: String,
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
        split_by: SplitBy::Auto,
        rgb: drivegen_dataset::RgbChoice::Auto,
        camera,
    })
}

pub fn export_dataset(
    dataset: &Path,
    out: &Path,
    opts: &ExportOptions,
    quiet: bool,
) -> anyhow::Result<()> {
    let ds = NativeDataset::open(dataset)
        .and_then(|d| d.with_rgb(opts.rgb))
        .map_err(|e| InputError(e.to_string()))?;
    let summary = drivegen_export::export(&ds, out, opts).map_err(|e| match e {
        drivegen_export::ExportError::Split(e) => InputError(e.to_string()).into(),
        e @ drivegen_export::ExportError::UnknownCamera { .. } => InputError(e.to_string()).into(),
        e @ drivegen_export::ExportError::NoRgb(_) => InputError(format!(
            "{e}\n  = hint: render it again without --no-rgb; its label images are under {}/v*/<camera>/",
            dataset.display()
        ))
        .into(),
        other => anyhow::Error::from(other),
    })?;
    // Said even with --quiet: the split is not what the user asked for.
    if let Some(notice) = &summary.notice {
        eprintln!("warning: {notice}");
    }
    if summary.augmented_3d {
        eprintln!(
            "warning: these frames were augmented: KITTI's 2-D boxes follow the augmented image, but its 3-D boxes, alpha and calib (P2) describe the unaugmented view; use coco, yolo or cityscapes for augmented data, or export the source dataset for 3-D"
        );
    }
    if !quiet {
        for (k, name) in ["train", "val", "test"].iter().enumerate() {
            if summary.frames[k] == 0 {
                eprintln!("note: the {name} split is empty (--split gives it 0)");
            }
        }
        if let SplitMode::FrameBlocks { gap } = summary.mode {
            println!(
                "split by contiguous frame blocks, {gap} frame(s) dropped between blocks ({} in all)",
                summary.dropped
            );
        }
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
    let mut opts = options(&args.format, &args.split, args.camera)?;
    opts.rgb = super::rgb_choice(&args.rgb)?;
    opts.split_by = SplitBy::parse(&args.split_by).ok_or_else(|| {
        InputError(format!(
            "--split-by `{}`: expected auto, variant or frame-blocks",
            args.split_by
        ))
    })?;
    let out = args.out.unwrap_or_else(|| args.dataset.join("exports"));
    super::output_folder(&out)?;
    export_dataset(&args.dataset, &out, &opts, quiet)
}
