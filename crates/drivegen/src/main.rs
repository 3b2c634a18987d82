//! `drivegen`: scenario files in, labeled driving datasets out.
//!
//! The binary is a thin shell over the library crates: it parses arguments, picks
//! defaults, prints, and maps failures to exit codes (2 = bad input, 1 = anything else).

mod commands;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "drivegen",
    version,
    about = "Rule-based driving scenes to labeled perception datasets"
)]
struct Cli {
    /// Print only errors.
    #[arg(short, long, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check scenario files without rendering; every problem is reported with file:line:col.
    Validate(commands::validate::Args),
    /// Plan one scene variant: writes the ScenePlan (RON) and a top-down map PNG.
    Plan(commands::plan::Args),
    /// Render a scenario (the embedded default when none is given) into a labeled dataset.
    Render(commands::render::Args),
    /// Convert a rendered dataset to KITTI, COCO, YOLO or Cityscapes layouts.
    Export(commands::export::Args),
    /// Write an HTML report with figures of a rendered dataset.
    Report(commands::report::Args),
    /// Label-consistent augmentation (flip, scale, rotate, shift, colour, noise) of a dataset.
    Augment(commands::augment::Args),
    /// Pull a filtered subset (classes, minimum visibility) of a dataset, in any format.
    Query(commands::query::Args),
    /// Combine the outputs of `render --shard I/N` runs into one dataset.
    Merge(commands::merge::Args),
    /// The sim-to-real GAN refiner: train, apply, evaluate, sample, pack, benchmark.
    Refine(commands::refine::Args),
    /// How well a classifier tells rendered (raw, refined) from real frames, plus KID.
    Realism(commands::realism::Args),
    /// Fit a camera's image pipeline (exposure, colour, contrast, noise, blur, JPEG) to a
    /// real camera's frames; prints the `sensor: (...)` block for a scenario.
    FitSensor(commands::fit_sensor::Args),
    /// Fit a colour correction per semantic class (road, sky, vegetation ...) to a real
    /// camera's frames; writes the look.json that `render --refine` takes.
    FitLook(commands::fit_look::Args),
    /// Measure frames/s and where the time goes: labels only, RGB, each --quality, 1280x768.
    Bench(commands::bench::Args),
}

/// An error caused by the user's input (exit code 2) rather than by the tool.
#[derive(Debug)]
pub struct InputError(pub String);

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InputError {}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Validate(args) => commands::validate::run(args, cli.quiet),
        Command::Plan(args) => commands::plan::run(args, cli.quiet),
        Command::Render(args) => commands::render::run(args, cli.quiet),
        Command::Bench(args) => commands::bench::run(args),
        Command::Refine(args) => commands::refine::run(args, cli.quiet),
        Command::Realism(args) => commands::realism::run(args, cli.quiet),
        Command::FitSensor(args) => commands::fit_sensor::run(args, cli.quiet),
        Command::FitLook(args) => commands::fit_look::run(args, cli.quiet),
        Command::Export(args) => commands::export::run(args, cli.quiet),
        Command::Merge(args) => commands::merge::run(args, cli.quiet),
        Command::Query(args) => commands::query::run(args, cli.quiet),
        Command::Augment(args) => commands::augment::run(args, cli.quiet),
        Command::Report(args) => commands::report::run(args, cli.quiet),
    }
}

/// Mesa's Vulkan loader wants `XDG_RUNTIME_DIR` and prints an error without it. Setting
/// a variable in a running process is `unsafe` in Rust 2024 (other threads may read the
/// environment), so the binary runs itself again with a private directory instead.
fn rerun_with_runtime_dir() -> Option<ExitCode> {
    if std::env::var_os("XDG_RUNTIME_DIR").is_some() {
        return None;
    }
    use std::os::unix::fs::DirBuilderExt;
    let user = std::env::var("USER").unwrap_or_else(|_| "user".into());
    let dir = std::env::temp_dir().join(format!("drivegen-runtime-{user}"));
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&dir)
        .ok()?;
    let exe = std::env::current_exe().ok()?;
    let status = std::process::Command::new(exe)
        .args(std::env::args_os().skip(1))
        .env("XDG_RUNTIME_DIR", &dir)
        .status()
        .ok()?;
    Some(match status.code() {
        Some(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        None => ExitCode::FAILURE,
    })
}

fn main() -> ExitCode {
    if let Some(code) = rerun_with_runtime_dir() {
        return code;
    }
    let cli = Cli::parse();
    // Bevy warns about a software adapter once per engine; drivegen says it once itself.
    let filter = if cli.quiet {
        "error"
    } else {
        "warn,bevy_render::renderer=error"
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(filter)),
        )
        .with_writer(std::io::stderr)
        .without_time()
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            if let Some(input) = err.downcast_ref::<InputError>() {
                eprintln!("{input}");
                return ExitCode::from(2);
            }
            // Library errors already name their cause; print each cause once.
            let mut message = err.to_string();
            for cause in err.chain().skip(1) {
                let cause = cause.to_string();
                if !message.contains(&cause) {
                    message = format!("{message}: {cause}");
                }
            }
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}
