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

use std::path::Path;

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
