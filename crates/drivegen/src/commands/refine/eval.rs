//! `drivegen refine apply | eval | sample`: a checkpoint or a class look on frames, its
//! realism and label-preservation metrics, and the VAE critic's samples.

use std::path::PathBuf;
use std::time::Instant;

use drivegen_refine::class_look::ClassLook;
use drivegen_refine::data::{FrameRange, list_images, load_frame, load_range};
use drivegen_refine::realism::{self, PatchSet, RealismConfig, RealismReport, two_sample};

use super::pipeline::is_look;
use super::{BackendArg, ReachArg, input, load_refiner, write_png};
use crate::commands::progress::Progress;

/// The classifier two-sample test (`drivegen realism`) of raw and of refined frames
/// against the real ones.
fn realism_of(
    sim: &[drivegen_refine::data::Frame],
    refined: &[image::RgbImage],
    real: &[drivegen_refine::data::Frame],
) -> anyhow::Result<(RealismReport, RealismReport)> {
    let config = RealismConfig::default();
    let scaled = |images: Vec<&image::RgbImage>| -> Vec<image::RgbImage> {
        images
            .into_iter()
            .map(|i| realism::to_height(i, config.height))
            .collect()
    };
    // The renders' semantic labels, when every frame has them, file each patch under
    // the class it shows (raw and refined frames share them).
    let labels: Option<Vec<image::GrayImage>> = sim
        .iter()
        .map(|f| {
            let sem = f.semantic.clone()?;
            image::GrayImage::from_raw(f.rgb.width(), f.rgb.height(), sem)
        })
        .collect();
    let set = |name: &str,
               images: Vec<image::RgbImage>,
               labels: Option<&[image::GrayImage]>,
               stream: &str| {
        PatchSet::sample_with_classes(name, &images, labels, &config, stream).map_err(input)
    };
    let real = set(
        "real",
        scaled(real.iter().map(|f| &f.rgb).collect()),
        None,
        "real",
    )?;
    let raw = set(
        "raw",
        scaled(sim.iter().map(|f| &f.rgb).collect()),
        labels.as_deref(),
        "sim",
    )?;
    let refined = set(
        "refined",
        scaled(refined.iter().collect()),
        labels.as_deref(),
        "sim",
    )?;
    Ok((
        two_sample(&raw, &real, &config),
        two_sample(&refined, &real, &config),
    ))
}

#[derive(Debug, clap::Args)]
pub(super) struct ApplyArgs {
    /// Checkpoint folder (or a training --out folder), a shipped refiner: `fast`,
    /// `quality`, or `default` (fast on the CPU backends, quality on wgpu), or a class
    /// look file from `drivegen fit-look` (it needs the frames' semantic images).
    #[arg(long)]
    ckpt: PathBuf,
    /// Folder of images (or a drivegen dataset: its rgb/ frames).
    #[arg(long = "in")]
    input: PathBuf,
    /// Output folder; refined images keep their relative paths.
    #[arg(long)]
    out: PathBuf,
    #[command(flatten)]
    backend: BackendArg,
    #[command(flatten)]
    reach: ReachArg,
}

/// `refine apply` with a class look: every frame needs its semantic labels.
fn apply_look(a: &ApplyArgs, quiet: bool) -> anyhow::Result<()> {
    let (look, _) = ClassLook::load(&a.ckpt).map_err(input)?;
    let paths = list_images(&a.input).map_err(input)?;
    let progress = Progress::frames(paths.len() as u64, quiet);
    progress.set_message("grading by class");
    for p in &paths {
        let frame = load_frame(p).map_err(input)?;
        let graded = look.apply_to_frame(&frame).map_err(input)?;
        let rel = p.strip_prefix(&a.input).unwrap_or(p);
        write_png(&a.out.join(rel).with_extension("png"), &graded)?;
        progress.inc(1);
    }
    progress.finish_and_clear();
    println!("graded {} frames into {}", paths.len(), a.out.display());
    Ok(())
}

pub(super) fn apply(a: ApplyArgs, quiet: bool) -> anyhow::Result<()> {
    if is_look(&a.ckpt) {
        return apply_look(&a, quiet);
    }
    let loaded = load_refiner(&a.ckpt, &a.backend.backend, false)?;
    let paths = list_images(&a.input).map_err(input)?;
    let progress = Progress::frames(paths.len() as u64, quiet);
    progress.set_message(format!("refining on {}", loaded.compute));
    let started = Instant::now();
    for p in &paths {
        let frame = load_frame(p).map_err(input)?;
        let refined = loaded.refine_within(&frame, a.reach.reach).map_err(input)?;
        let rel = p.strip_prefix(&a.input).unwrap_or(p);
        let out = a.out.join(rel).with_extension("png");
        write_png(&out, &refined)?;
        progress.inc(1);
    }
    progress.finish_and_clear();
    println!(
        "refined {} frames into {} ({:.0} ms/frame on {})",
        paths.len(),
        a.out.display(),
        started.elapsed().as_secs_f64() * 1e3 / paths.len().max(1) as f64,
        loaded.compute
    );
    Ok(())
}

#[derive(Debug, clap::Args)]
pub(super) struct EvalArgs {
    /// Checkpoint folder (or a training --out folder), `fast`, `quality`, `default`, or a
    /// class look file from `drivegen fit-look` (the VAE metrics are left out: a look has
    /// no critic).
    #[arg(long)]
    ckpt: PathBuf,
    /// Rendered frames not used in training (a drivegen dataset gives the label metrics).
    #[arg(long)]
    sim: PathBuf,
    #[arg(long, default_value = "..")]
    sim_frames: FrameRange,
    /// Real frames not used in training.
    #[arg(long)]
    real: PathBuf,
    #[arg(long, default_value = "..")]
    real_frames: FrameRange,
    /// Patches per set for the kernel distances and the ELBO.
    #[arg(long, default_value_t = 512)]
    patches: usize,
    #[arg(long, default_value_t = 11)]
    seed: u64,
    /// Where eval.json and the side-by-side PNGs go.
    #[arg(long, default_value = "out/refine-eval")]
    out: PathBuf,
    /// How many raw|refined side-by-side PNGs to write.
    #[arg(long, default_value_t = 6)]
    side_by_side: usize,
    #[command(flatten)]
    backend: BackendArg,
    #[command(flatten)]
    reach: ReachArg,
}

pub(super) fn eval(a: EvalArgs, quiet: bool) -> anyhow::Result<()> {
    let sim = load_range(&a.sim, a.sim_frames).map_err(input)?;
    let real = load_range(&a.real, a.real_frames).map_err(input)?;
    let progress = Progress::frames(sim.len() as u64, quiet);
    let mut tick = |n: usize| progress.set_position(n as u64);
    let ((report, refined), compute) = if is_look(&a.ckpt) {
        let (look, _) = ClassLook::load(&a.ckpt).map_err(input)?;
        let compute = a.backend.compute()?;
        progress.set_message("grading by class");
        let evaluated = drivegen_refine::compute::evaluate_look(
            compute, &look, &sim, &real, a.patches, a.seed, &mut tick,
        );
        (evaluated.map_err(input)?, compute)
    } else {
        let loaded = load_refiner(&a.ckpt, &a.backend.backend, true)?;
        progress.set_message("refining");
        let evaluated = loaded.evaluate(&sim, &real, a.reach.reach, a.patches, a.seed, &mut tick);
        (evaluated.map_err(input)?, loaded.compute)
    };
    progress.finish_and_clear();
    let r = &report;
    println!(
        "{} sim frames vs {} real frames, {} patches of {}x{} per set (lower = closer to real)",
        r.sim_frames, r.real_frames, r.patches, r.patch, r.patch
    );
    let row = |name: &str, m: &drivegen_refine::eval::RawRefined| {
        println!(
            "  {name:<26} raw {:>10.4}   refined {:>10.4}   ({:+.1} %)",
            m.raw,
            m.refined,
            -100.0 * m.improvement()
        );
    };
    row("KID (random conv)", &r.kid_random_conv);
    if let Some(kid) = &r.kid_vae {
        row("KID (VAE encoder)", kid);
    }
    row("colour mean/std distance", &r.colour_moments);
    row("colour histogram distance", &r.colour_histogram);
    if let Some(elbo) = &r.vae_negative_elbo {
        println!(
            "  VAE negative ELBO          real {:.1}   raw {:.1}   refined {:.1}",
            elbo.real, elbo.raw, elbo.refined
        );
    }
    println!("  mean |refined - raw|       {:.4}", r.mean_abs_change);
    println!(
        "  edge agreement             mean {:.3}  p05 {:.3}  min {:.3} over {} objects",
        r.edge_agreement.mean, r.edge_agreement.p05, r.edge_agreement.min, r.edge_agreement.objects
    );
    for c in &r.class_shift {
        if c.pixels > 1000 {
            println!(
                "  colour shift {:<14} {:>6.1} (of 255) over {} px",
                c.class, c.shift, c.pixels
            );
        }
    }
    println!("  {:.0} ms per refined frame on {compute}", r.ms_per_frame);
    let two_sample = realism_of(&sim, &refined, &real)?;
    for (name, t) in [("raw", &two_sample.0), ("refined", &two_sample.1)] {
        println!(
            "  two-sample accuracy, {name:<7} per patch {}  per image {} (0.5 = indistinguishable)",
            t.patch_accuracy, t.image_accuracy
        );
    }
    let (raw_caught, refined_caught) =
        (&two_sample.0.caught_by_class, &two_sample.1.caught_by_class);
    // Raw and refined frames share their patches and labels, so the classes line up.
    let caught: Vec<String> = raw_caught
        .iter()
        .zip(refined_caught)
        .filter(|(r, _)| r.patches >= crate::commands::realism::MIN_CLASS_PATCHES)
        .map(|(r, f)| format!("{} {:.3} -> {:.3}", r.class, r.caught, f.caught))
        .collect();
    if !caught.is_empty() {
        println!(
            "  caught per class, raw -> refined (share called rendered): {}",
            caught.join(" · ")
        );
    }
    std::fs::create_dir_all(&a.out)?;
    let mut json = serde_json::to_value(&report)?;
    json["two_sample"] = serde_json::json!({ "raw": two_sample.0, "refined": two_sample.1 });
    drivegen_dataset::write_atomic(&a.out.join("eval.json"), &serde_json::to_vec_pretty(&json)?)?;
    let pngs = drivegen_refine::eval::write_side_by_side(&a.out, &sim, &refined, a.side_by_side)
        .map_err(input)?;
    println!(
        "wrote {} and {} side-by-side PNGs (raw | refined)",
        a.out.join("eval.json").display(),
        pngs.len()
    );
    Ok(())
}

#[derive(Debug, clap::Args)]
pub(super) struct SampleArgs {
    #[arg(long)]
    ckpt: PathBuf,
    /// Real frames whose patches are reconstructed in the lower rows.
    #[arg(long)]
    real: PathBuf,
    #[arg(long, default_value = "out/vae-samples.png")]
    out: PathBuf,
    #[arg(long, default_value_t = 5)]
    seed: u64,
    #[command(flatten)]
    backend: BackendArg,
}

pub(super) fn sample(a: SampleArgs) -> anyhow::Result<()> {
    let loaded = load_refiner(&a.ckpt, &a.backend.backend, true)?;
    let real = load_range(&a.real, FrameRange::default()).map_err(input)?;
    let grid = loaded.sample_grid(&real, a.seed).map_err(input)?;
    write_png(&a.out, &grid)?;
    println!(
        "wrote {}: rows 1-2 VAE samples, rows 3-6 real patches and their reconstructions",
        a.out.display()
    );
    Ok(())
}
