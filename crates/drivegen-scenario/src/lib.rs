//! The drivegen scenario language: RON files that describe a *family* of traffic scenes
//! with rules and distributions, plus validation whose every message names the file,
//! `line:col`, what is wrong and a hint.
//!
//! ```
//! let loaded = drivegen_scenario::load_str("inline.ron", r#"Scenario(name: "demo", seed: 7)"#)
//!     .expect("valid");
//! assert_eq!(loaded.scenario.seed, 7);
//! ```
//!
//! This crate never depends on Bevy or Burn: it is read by the planner, the engine and
//! the dataset tools alike.

pub mod coverage;
pub mod diagnostic;
pub mod events;
pub mod filter;
pub mod load;
pub mod model;
pub mod param;
pub mod placement;
pub mod shape;
pub mod sweep;
pub mod validate;

pub use diagnostic::{Diagnostic, Diagnostics, SourceFile};
pub use load::{LoadedScenario, ScenarioError, did_you_mean, load_file, load_str};
pub use model::*;
pub use param::{Flag, Param, Weighted};

/// The scenario used when no file is given (an urban 4-way intersection).
pub const DEFAULT_SCENARIO: &str = include_str!("../../../scenarios/urban_intersection.ron");
/// Display name of [`DEFAULT_SCENARIO`] in diagnostics.
pub const DEFAULT_SCENARIO_NAME: &str = "<embedded default: scenarios/urban_intersection.ron>";

/// Loads the embedded default scenario.
pub fn load_default() -> Result<LoadedScenario, ScenarioError> {
    load_str(DEFAULT_SCENARIO_NAME, DEFAULT_SCENARIO)
}
