//! `drivegen refine ...`: train, apply, evaluate and sample the sim-to-real refiner, and
//! time it per backend. The refiners `render --refine` runs per frame are in `pipeline`.

mod bench;
mod eval;
mod pipeline;
mod train;

use std::path::{Path, PathBuf};

use drivegen_refine::RefineError;
use drivegen_refine::checkpoint::Source;
use drivegen_refine::compute::{Compute, LoadedCheckpoint};
use drivegen_refine::shipped::Shipped;

use crate::InputError;

pub use pipeline::{CheckpointRefiner, frame_refiner};

use bench::BenchArgs;
use eval::{ApplyArgs, EvalArgs, SampleArgs};
use train::TrainArgs;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: RefineCommand,
}

#[derive(Debug, clap::Subcommand)]
enum RefineCommand {
    /// Train the refiner GAN (and the VAE realism critic) on sim vs real frames.
    Train(Box<TrainArgs>),
    /// Refine every image of a folder with a checkpoint.
    Apply(ApplyArgs),
    /// Realism and label-preservation metrics of a checkpoint on held-out frames.
    Eval(EvalArgs),
    /// Write a grid of VAE samples and reconstructions of real patches as PNG.
    Sample(SampleArgs),
    /// Copy a checkpoint's refiner and VAE (verified, without training state) into a
    /// small folder to ship.
    Pack(PackArgs),
    /// Time one GAN iteration (D + G Adam steps) of the reference configuration, and one
    /// refined frame, per backend.
    Bench(BenchArgs),
}

/// Which backend runs the networks.
#[derive(Debug, clap::Args)]
struct BackendArg {
    /// auto (a hardware GPU through wgpu if there is one, else flex), wgpu, flex (CPU,
    /// multi-threaded SIMD) or ndarray (CPU fallback).
    #[arg(long, default_value = "auto")]
    backend: String,
}

/// `--reach` of `refine apply` and `refine eval`.
#[derive(Debug, clap::Args)]
struct ReachArg {
    /// How far a checkpoint reaches into a frame. covered: it changes only the classes
    /// its real frames show (the `shows` of its config.json, else road, sidewalk,
    /// vegetation, terrain, sky; or name them with covered:road,sidewalk,...,building),
    /// gives every other class the colour gain it applied to the whole frame, and fades
    /// out in light and weather its real frames lack (dusk, night, fog, rain), as
    /// `render --refine` does by default; needs a drivegen dataset (its semantic images
    /// and scene.json).
    /// full: the network's output as it is.
    #[arg(long, default_value = "covered", value_name = "covered[:CLASSES]|full")]
    reach: drivegen_refine::reach::Reach,
}

impl BackendArg {
    fn compute(&self) -> anyhow::Result<Compute> {
        compute(&self.backend)
    }
}

/// The backend named on the command line; `auto` picks one for this machine.
fn compute(name: &str) -> anyhow::Result<Compute> {
    if name == "auto" {
        return Ok(auto_backend());
    }
    name.parse().map_err(|e: String| InputError(e).into())
}

/// wgpu when Vulkan offers a hardware GPU; on a CPU-only machine the flex backend is
/// several times faster than wgpu over lavapipe (see `drivegen refine bench`).
fn auto_backend() -> Compute {
    match drivegen_sim::probe_adapter() {
        Ok(name) if !name.contains("Cpu") => Compute::Wgpu,
        _ => Compute::Flex,
    }
}

fn input(e: RefineError) -> anyhow::Error {
    InputError(e.to_string()).into()
}

/// The checkpoint `ckpt` names and the backend it runs on. `fast`, `quality` and
/// `default` (the shipped one for the backend) are compiled into the binary; anything
/// else is a folder (`./fast` for a folder of that name).
fn resolve_checkpoint(ckpt: &Path, backend: &str) -> anyhow::Result<(Source, Compute)> {
    let compute = compute(backend)?;
    let source = match ckpt.to_str().and_then(|name| Shipped::named(name, compute)) {
        Some(shipped) => shipped.source(),
        None => Source::resolve(ckpt),
    };
    Ok((source, compute))
}

/// Loads a checkpoint (a folder or a shipped name) onto the named backend; the VAE
/// critic only when `with_vae`.
pub fn load_refiner(
    ckpt: &Path,
    backend: &str,
    with_vae: bool,
) -> anyhow::Result<LoadedCheckpoint> {
    let (source, compute) = resolve_checkpoint(ckpt, backend)?;
    LoadedCheckpoint::load(&source, compute, with_vae).map_err(input)
}

/// PNG-encodes an image and writes it atomically.
fn write_png(path: &Path, img: &image::RgbImage) -> anyhow::Result<()> {
    let mut png = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)?;
    drivegen_dataset::write_atomic(path, &png).map_err(|e| InputError(e.to_string()).into())
}

#[derive(Debug, clap::Args)]
struct PackArgs {
    #[arg(long)]
    ckpt: PathBuf,
    #[arg(long)]
    out: PathBuf,
}

pub fn run(args: Args, quiet: bool) -> anyhow::Result<()> {
    match args.command {
        RefineCommand::Train(a) => train::train(*a, quiet),
        RefineCommand::Apply(a) => eval::apply(a, quiet),
        RefineCommand::Eval(a) => eval::eval(a, quiet),
        RefineCommand::Sample(a) => eval::sample(a),
        RefineCommand::Pack(a) => {
            // Packing a shipped name extracts it; `default` means the CPU one here.
            let (source, _) = resolve_checkpoint(&a.ckpt, "flex")?;
            drivegen_refine::checkpoint::pack(&source, &a.out).map_err(input)?;
            println!("packed {} into {}", a.ckpt.display(), a.out.display());
            Ok(())
        }
        RefineCommand::Bench(b) => bench::bench(b),
    }
}
