//! `drivegen augment DIR --out AUGMENTED [--copies N] [--seed S]`

use std::path::PathBuf;

use crate::InputError;
use drivegen_dataset::RunInfo;
use drivegen_render::{ManifestExtras, write_manifest};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A directory written by `drivegen render`.
    dataset: PathBuf,
    /// Augmented copies per frame.
    #[arg(long, default_value_t = 2)]
    copies: u32,
    /// Seed of the augmentation draws.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Where the augmented dataset goes (native layout; cameras become <camera>_aug<k>).
    #[arg(long)]
    out: PathBuf,
    /// RGB images to use: auto (refined when the dataset was rendered with --refine),
    /// raw or refined.
    #[arg(long, default_value = "auto", value_name = "auto|raw|refined")]
    rgb: String,
}

pub fn run(args: Args, quiet: bool) -> anyhow::Result<()> {
    if args.copies == 0 || args.copies > 100 {
        return Err(InputError("--copies must be within 1..100".into()).into());
    }
    super::output_apart(&args.out, &args.dataset, "dataset it reads")?;
    let ds = super::open_dataset(&args.dataset, &args.rgb)?;
    super::output_folder(&args.out)?;
    drivegen_render::clear_previous_run(&args.out)?;
    let n = drivegen_export::augment::augment(&ds, &args.out, args.copies, args.seed)?;
    let mut run = RunInfo::read(&args.dataset)?;
    let cameras: Vec<String> = run
        .cameras
        .iter()
        .flat_map(|c| (0..args.copies).map(move |k| format!("{c}_aug{k}")))
        .collect();
    run.cameras = cameras;
    run.lidar = false;
    // The augmented rgb/ holds copies of whichever images were chosen; the manifest
    // says which (and which refiner made them).
    run.refiner = None;
    run.refiner_sha256 = None;
    run.refiner_reach = None;
    run.write(&args.out)?;
    drivegen_dataset::write_atomic(
        &args.out.join("scenario.ron"),
        &std::fs::read(args.dataset.join("scenario.ron"))?,
    )?;
    for v in &run.variants {
        let path = args.dataset.join(format!("v{v:03}/calibration.json"));
        let mut calib: serde_json::Value = serde_json::from_slice(&std::fs::read(&path)?)?;
        let renamed: Vec<serde_json::Value> = calib["cameras"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .flat_map(|c| {
                (0..args.copies).map(move |k| {
                    let mut c = c.clone();
                    c["name"] = serde_json::json!(format!(
                        "{}_aug{k}",
                        c["name"].as_str().unwrap_or("camera")
                    ));
                    c
                })
            })
            .collect();
        calib["cameras"] = serde_json::Value::Array(renamed);
        drivegen_dataset::write_atomic(
            &args.out.join(format!("v{v:03}/calibration.json")),
            &serde_json::to_vec_pretty(&calib)?,
        )?;
    }
    write_manifest(
        &args.out,
        &run,
        &ManifestExtras {
            rgb_source: Some(drivegen_export::rgb_record(&ds)),
            ..ManifestExtras::default()
        },
    )?;
    if !quiet {
        println!("wrote {n} augmented samples to {}", args.out.display());
    }
    Ok(())
}
