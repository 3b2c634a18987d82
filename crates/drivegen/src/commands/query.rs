//! `drivegen query DIR --class pedestrian --min-visibility 0.5 [--format coco] --out SUBSET`

use std::path::PathBuf;

use drivegen_export::subset::{Filter, subset};

use crate::InputError;
use drivegen_dataset::RunInfo;
use drivegen_render::{ManifestExtras, write_manifest};

#[derive(Debug, clap::Args)]
// `--min-visibility -0.5` is a number out of range, not an unknown flag `-0`.
#[command(allow_negative_numbers = true)]
pub struct Args {
    /// A directory written by `drivegen render`.
    dataset: PathBuf,
    /// Classes to keep (repeatable): person/pedestrian, vehicle, car, suv, van, truck,
    /// bus, motorcycle, bicycle, rider, traffic_light, traffic_sign, building, ...
    /// These are the label classes: `car` keeps no SUVs or vans, though COCO and YOLO
    /// exports file all three under `car` (use `vehicle`, or add `--class suv --class van`).
    #[arg(long = "class")]
    classes: Vec<String>,
    /// Keep objects at least this visible (0..1).
    #[arg(long, default_value_t = 0.0)]
    min_visibility: f64,
    /// Also export the subset to these formats (e.g. coco,yolo).
    #[arg(long)]
    format: Option<String>,
    /// Train, val and test fractions for --format.
    #[arg(long, default_value = "0.8,0.1,0.1")]
    split: String,
    /// Where the subset goes (native layout).
    #[arg(long)]
    out: PathBuf,
    /// RGB images to use: auto (refined when the dataset was rendered with --refine),
    /// raw or refined.
    #[arg(long, default_value = "auto", value_name = "auto|raw|refined")]
    rgb: String,
}

pub fn run(args: Args, quiet: bool) -> anyhow::Result<()> {
    if !(0.0..=1.0).contains(&args.min_visibility) {
        return Err(InputError("--min-visibility must be within 0..1".into()).into());
    }
    check_classes(&args.classes)?;
    super::output_apart(&args.out, &args.dataset, "dataset it reads")?;
    let choice = super::rgb_choice(&args.rgb)?;
    let ds = super::open_dataset(&args.dataset, &args.rgb)?;
    if args.format.is_some() && !ds.run.rgb {
        return Err(InputError(format!(
            "--format exports RGB frames with their labels, and {} was rendered with --no-rgb\n  = hint: leave --format out to write the labels-only subset",
            args.dataset.display()
        ))
        .into());
    }
    super::output_folder(&args.out)?;
    drivegen_render::clear_previous_run(&args.out)?;
    let filter = Filter {
        classes: args.classes.clone(),
        min_visibility: args.min_visibility,
    };
    let summary = subset(&ds, &filter, &args.out)?;
    let mut run = RunInfo::read(&args.dataset)?;
    run.variants = summary.variants.clone();
    run.write(&args.out)?;
    write_manifest(
        &args.out,
        &run,
        &ManifestExtras {
            export: args.format.clone().map(|f| (f, args.split.clone())),
            ..ManifestExtras::default()
        },
    )?;
    if !quiet {
        println!(
            "query kept {} objects in {} frames of {} variant(s) -> {}",
            summary.objects,
            summary.frames,
            summary.variants.len(),
            args.out.display()
        );
    }
    if let Some(formats) = &args.format {
        let mut opts = super::export::options(formats, &args.split, None)?;
        opts.rgb = choice;
        // A subset its export refuses (too few frames for the splits) is not left behind
        // as if the query had worked.
        if let Err(e) =
            super::export::export_dataset(&args.out, &args.out.join("exports"), &opts, quiet)
        {
            drivegen_render::remove_run(&args.out)?;
            return Err(e);
        }
    }
    Ok(())
}

/// Every `--class` must name a label class (or `pedestrian`/`vehicle`): a misspelt one
/// kept nothing and exited 0 with an empty subset.
fn check_classes(classes: &[String]) -> Result<(), InputError> {
    let mut known: Vec<String> = drivegen_labels::Class::all()
        .into_iter()
        .map(drivegen_labels::Class::name)
        .collect();
    known.extend(["pedestrian", "pedestrians", "vehicle", "vehicles"].map(String::from));
    let names: Vec<&str> = known.iter().map(String::as_str).collect();
    match classes.iter().find(|c| !known.contains(c)) {
        Some(c) => Err(InputError(format!(
            "--class: unknown class `{c}`\n  = hint: {}",
            drivegen_scenario::did_you_mean(&c.to_lowercase(), &names)
        ))),
        None => Ok(()),
    }
}
