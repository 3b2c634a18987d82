//! `drivegen fit-look`: fits a colour correction per semantic class (a class look) to a
//! real camera's frames by minimising the realism test's held-out accuracy, and writes
//! the `look.json` that `render --refine` and `refine apply --ckpt` take.

use std::path::{Path, PathBuf};

use drivegen_refine::class_look::{FrozenSetting, LookFit, LookStep, fit_look};
use drivegen_refine::data::{FrameRange, load_frame};
use image::{GrayImage, RgbImage};

use super::realism::{FitSearch, RealFrames, input, sim_sets};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    real: RealFrames,
    /// `drivegen render` datasets (their raw `rgb/` and `semantic/`), repeatable: fit on
    /// several scenarios so the look is not one scene's. Each is tested on its own and
    /// the fit lowers their mean accuracy.
    #[arg(long, required = true)]
    sim: Vec<PathBuf>,
    /// Which of each dataset's sorted rendered frames to use (START..END).
    #[arg(long, default_value = "..")]
    sim_frames: FrameRange,
    #[command(flatten)]
    search: FitSearch,
    /// A setting the fit leaves unchanged, as CLASS.SETTING (repeatable), e.g.
    /// `--freeze sidewalk.red_green` when the fitted grade looks wrong to a person.
    #[arg(long, value_name = "CLASS.SETTING")]
    freeze: Vec<String>,
    /// Where the look goes (every candidate scored goes beside it, as `<out>.fit.json`).
    #[arg(long, default_value = "look.json")]
    out: PathBuf,
}

/// Every frame of `dir` with its semantic labels, which a look needs.
fn frames_with_labels(dir: &Path, range: FrameRange) -> anyhow::Result<Vec<(RgbImage, GrayImage)>> {
    let mut frames = Vec::new();
    for set in sim_sets(dir, "raw", range)? {
        for p in set.paths {
            let frame = load_frame(&p).map_err(input)?;
            let (w, h) = frame.rgb.dimensions();
            let semantic = frame
                .semantic
                .and_then(|s| GrayImage::from_raw(w, h, s))
                .ok_or_else(|| {
                    input(format!(
                        "{}: no semantic image beside it\n  = hint: --sim takes a `drivegen render` dataset rendered with labels (not --no-labels)",
                        p.display()
                    ))
                })?;
            frames.push((frame.rgb, semantic));
        }
    }
    Ok(frames)
}

fn steps_path(out: &Path) -> PathBuf {
    out.with_extension("fit.json")
}

pub fn run(a: Args, quiet: bool) -> anyhow::Result<()> {
    let config = a.search.config()?;
    let frozen = a
        .freeze
        .iter()
        .map(|f| f.parse::<FrozenSetting>().map_err(input))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let real = a.real.patches(&config)?;
    let frames = a
        .sim
        .iter()
        .map(|dir| frames_with_labels(dir, a.sim_frames))
        .collect::<anyhow::Result<Vec<_>>>()?;
    if !quiet {
        println!(
            "fitting a class look to {} real frames on {} rendered frames of {} scenarios ({} patches per set; up to {} passes)",
            real.images,
            frames.iter().map(Vec::len).sum::<usize>(),
            frames.len(),
            config.patches,
            a.search.rounds
        );
    }
    let show = |s: &LookStep| {
        if !quiet && s.kept {
            println!(
                "  pass {} {:<10} {:<12} {:>7.3} -> accuracy {:.4}",
                s.round + 1,
                s.class,
                s.setting,
                s.value,
                s.accuracy
            );
        }
    };
    let LookFit {
        mut look,
        start_accuracy,
        accuracy,
        steps,
    } = fit_look(&frames, &real, &config, a.search.rounds, &frozen, show).map_err(input)?;
    let frozen_note = if a.freeze.is_empty() {
        String::new()
    } else {
        format!("; frozen: {}", a.freeze.join(", "))
    };
    look.fitted_to = format!(
        "--real {} [{}]; held-out patch accuracy {start_accuracy:.4} -> {accuracy:.4} on the fitting renders{frozen_note}",
        a.real.real.display(),
        a.real.real_frames
    );
    let write = |path: &Path, bytes: &[u8]| {
        drivegen_dataset::write_atomic(path, bytes).map_err(|e| anyhow::anyhow!("{e}"))
    };
    write(&a.out, &serde_json::to_vec_pretty(&look)?)?;
    write(&steps_path(&a.out), &serde_json::to_vec_pretty(&steps)?)?;
    if !quiet {
        println!(
            "accuracy {start_accuracy:.4} -> {accuracy:.4}; wrote {} and {}",
            a.out.display(),
            steps_path(&a.out).display()
        );
    }
    Ok(())
}
