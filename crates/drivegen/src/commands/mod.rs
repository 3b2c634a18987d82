//! One module per subcommand.

pub mod augment;
pub mod bench;
pub mod export;
pub mod fit_look;
pub mod fit_sensor;
pub mod merge;
pub mod plan;
pub mod progress;
pub mod query;
pub mod realism;
pub mod refine;
pub mod render;
pub mod report;
pub mod shard;
pub mod validate;

use std::path::{Path, PathBuf};

use drivegen_scenario::{LoadedScenario, ScenarioError};

use crate::InputError;

/// Loads a scenario file, or the embedded default when none is given. Invalid input
/// becomes an [`InputError`] carrying every diagnostic.
pub fn load_scenario(path: Option<&Path>) -> anyhow::Result<LoadedScenario> {
    let loaded = match path {
        Some(p) => drivegen_scenario::load_file(p),
        None => drivegen_scenario::load_default(),
    };
    loaded.map_err(|e| match e {
        ScenarioError::Invalid(d) => InputError(d.to_string()).into(),
        other => InputError(other.to_string()).into(),
    })
}

/// A variant the planner could not build, reported at the scenario field that asked for
/// what could not be placed (`file:line:col`, the line, a hint), like a load error.
pub fn plan_failure(
    loaded: &LoadedScenario,
    variant: u32,
    error: &drivegen_plan::PlanError,
    context: &str,
) -> InputError {
    let (message, hint) = error.message_and_hint();
    let message = format!("{context}cannot plan variant {variant}: {message}");
    match error.scenario_field(&loaded.scenario) {
        Some(path) => InputError(
            loaded
                .diagnostic_at(&path, message, hint)
                .to_string()
                .trim_end()
                .to_string(),
        ),
        None => {
            let file = loaded
                .files
                .first()
                .map_or("<scenario>", |f| f.name.as_str());
            InputError(format!("{file}: {}", error_text(&message, hint)))
        }
    }
}

fn error_text(message: &str, hint: Option<String>) -> String {
    match hint {
        Some(h) => format!("{message}\n  = hint: {h}"),
        None => message.to_string(),
    }
}

/// Opens a dataset serving the RGB images `--rgb` asks for (`auto`, `raw`, `refined`).
/// `path` made absolute with `.` and `..` resolved, through the links of the part of it
/// that exists (an output folder usually does not yet).
pub fn resolved(path: &Path) -> PathBuf {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut existing = absolute.as_path();
    let mut rest = Vec::new();
    while !existing.exists() {
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_os_string());
                existing = parent;
            }
            _ => break,
        }
    }
    let mut out = existing
        .canonicalize()
        .unwrap_or_else(|_| existing.to_path_buf());
    for part in rest.iter().rev() {
        match part.to_str() {
            Some("..") => {
                out.pop();
            }
            Some(".") => {}
            _ => out.push(part),
        }
    }
    out
}

/// Refuses an output folder that is an input (`what` names it) or lies inside one:
/// writing a dataset there overwrote the input it was reading (`query --out` its own
/// dataset kept 94 of 1,366 objects; `merge` into one of its shards emptied 52 files).
pub fn output_apart(out: &Path, input: &Path, what: &str) -> Result<(), InputError> {
    let (o, i) = (resolved(out), resolved(input));
    if o == i || o.starts_with(&i) {
        return Err(InputError(format!(
            "the output folder {} is {} {what} ({})\n  = hint: write to a folder outside it",
            out.display(),
            if o == i { "the" } else { "inside the" },
            input.display()
        )));
    }
    Ok(())
}

/// Refuses an output folder that exists as a file.
pub fn output_folder(out: &Path) -> Result<(), InputError> {
    if out.is_file() {
        return Err(InputError(format!(
            "--out {} is a file, and a dataset is a folder\n  = hint: name a folder (it is created if missing)",
            out.display()
        )));
    }
    Ok(())
}

pub fn open_dataset(dir: &Path, rgb: &str) -> anyhow::Result<drivegen_dataset::NativeDataset> {
    let choice = rgb_choice(rgb)?;
    drivegen_dataset::NativeDataset::open(dir)
        .and_then(|d| d.with_rgb(choice))
        .map_err(|e| InputError(e.to_string()).into())
}

pub fn rgb_choice(rgb: &str) -> anyhow::Result<drivegen_dataset::RgbChoice> {
    drivegen_dataset::RgbChoice::parse(rgb)
        .ok_or_else(|| InputError(format!("--rgb `{rgb}`: expected auto, raw or refined")).into())
}

/// A `--quality` name.
pub fn quality(name: &str) -> anyhow::Result<drivegen_scenario::Quality> {
    drivegen_scenario::Quality::from_name(name).ok_or_else(|| {
        InputError(format!(
            "--quality `{name}`: expected one of {}",
            drivegen_scenario::Quality::NAMES.join(", ")
        ))
        .into()
    })
}
