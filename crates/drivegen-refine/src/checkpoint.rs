//! Checkpoints: `config.json` beside the weights.
//!
//! A checkpoint is a folder: `config.json` (format name and version, the model and
//! training configuration, the training step, and the SHA-256 of every weights file) and
//! one named-MessagePack file per module or optimiser state. Writing stages the whole
//! folder and swaps it in with renames, so an interrupted save leaves the previous
//! checkpoint whole. Loading checks the format, the version and every checksum before it
//! decodes anything, so a truncated or foreign file is an error that names it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use burn::module::Module;
use burn::prelude::*;
use burn::record::{FullPrecisionSettings, NamedMpkBytesRecorder, Record, Recorder};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::RefineError;
use crate::gan::GanConfig;
use crate::reach::Shown;
use crate::vae::VaeConfig;

pub const FORMAT: &str = "drivegen-refiner";
/// Bumped whenever the model structure or the file layout changes. Version 2 added the
/// refiner's context branch, dilations, depth and noise inputs (all optional) and the
/// multi-scale discriminator.
pub const FORMAT_VERSION: u32 = 2;
/// Versions this drivegen reads: a version 1 refiner is a version 2 refiner without the
/// optional parts (its discriminator, kept only for resuming, is not readable).
pub const READABLE_VERSIONS: std::ops::RangeInclusive<u32> = 1..=FORMAT_VERSION;
pub const CONFIG_FILE: &str = "config.json";
/// The checkpoint folder inside a training output folder.
pub const CHECKPOINT_DIR: &str = "checkpoint";

/// Where the training run stands (what resume needs) and what it was trained on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainingState {
    pub step: usize,
    pub seed: u64,
    pub batch: usize,
    pub patch: usize,
    pub sim: String,
    pub real: String,
    pub backend: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CheckpointConfig {
    pub format: String,
    pub format_version: u32,
    pub drivegen_version: String,
    pub gan: GanConfig,
    pub vae: VaeConfig,
    pub training: TrainingState,
    /// File name -> SHA-256 (hex) of every weights file in the folder.
    pub files: BTreeMap<String, String>,
    /// The drivegen classes the real training frames show (`refine train --shows`, or
    /// written here by hand): what `--refine-reach covered` lets the refiner change.
    /// Absent: the shipped cameras' road, sidewalk, vegetation, terrain and sky.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shows: Option<Vec<String>>,
}

impl CheckpointConfig {
    pub fn new(gan: GanConfig, vae: VaeConfig, training: TrainingState) -> CheckpointConfig {
        CheckpointConfig {
            format: FORMAT.into(),
            format_version: FORMAT_VERSION,
            drivegen_version: env!("CARGO_PKG_VERSION").into(),
            gan,
            vae,
            training,
            files: BTreeMap::new(),
            shows: None,
        }
    }

    /// The classes of [`Self::shows`] (checked when the file is read).
    pub fn shown(&self) -> Option<Shown> {
        self.shows
            .as_deref()
            .and_then(|names| Shown::from_names(names).ok())
    }
}

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A checkpoint to read from: a folder, or files compiled into the binary.
#[derive(Clone, Debug)]
pub enum Source {
    Dir(PathBuf),
    Embedded {
        name: &'static str,
        files: &'static [(&'static str, &'static [u8])],
    },
}

impl Source {
    /// `path` may be the checkpoint folder itself or a training output folder holding one.
    pub fn resolve(path: &Path) -> Source {
        let candidates = [
            path.to_path_buf(),
            path.join(CHECKPOINT_DIR),
            // A save interrupted between its two renames leaves only the previous one.
            path.join(format!("{CHECKPOINT_DIR}.old")),
        ];
        let dir = candidates
            .iter()
            .find(|d| d.join(CONFIG_FILE).is_file())
            .cloned()
            .unwrap_or_else(|| path.to_path_buf());
        Source::Dir(dir)
    }

    fn path_of(&self, name: &str) -> PathBuf {
        match self {
            Source::Dir(d) => d.join(name),
            Source::Embedded { name: n, .. } => PathBuf::from(format!("<{n}>/{name}")),
        }
    }

    fn read(&self, name: &str) -> Result<Vec<u8>, RefineError> {
        match self {
            Source::Dir(d) => {
                let p = d.join(name);
                std::fs::read(&p).map_err(|e| {
                    RefineError::checkpoint(
                        &p,
                        format!("cannot read: {e}"),
                        if name == CONFIG_FILE {
                            "pass the folder written by `drivegen refine train --out` (it holds config.json)"
                        } else {
                            "the checkpoint is incomplete; copy the whole folder or retrain"
                        },
                    )
                })
            }
            Source::Embedded { files, .. } => files
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, b)| b.to_vec())
                .ok_or_else(|| {
                    RefineError::checkpoint(self.path_of(name), "missing", "rebuild drivegen")
                }),
        }
    }

    /// SHA-256 of `config.json`, which lists the SHA-256 of every weights file: one hash
    /// that names the whole checkpoint.
    pub fn sha256(&self) -> Result<String, RefineError> {
        Ok(sha256_hex(&self.read(CONFIG_FILE)?))
    }

    /// Reads and checks `config.json`.
    pub fn config(&self) -> Result<CheckpointConfig, RefineError> {
        let path = self.path_of(CONFIG_FILE);
        let bytes = self.read(CONFIG_FILE)?;
        let value: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| {
            RefineError::checkpoint(
                &path,
                format!(
                    "not valid JSON (line {}, column {}): {e}",
                    e.line(),
                    e.column()
                ),
                "the file is corrupt; retrain or restore the checkpoint folder",
            )
        })?;
        let format = value.get("format").and_then(|v| v.as_str()).unwrap_or("");
        if format != FORMAT {
            return Err(RefineError::checkpoint(
                &path,
                format!("not a drivegen refiner checkpoint (format `{format}`)"),
                "pass the folder written by `drivegen refine train --out`",
            ));
        }
        let version = value
            .get("format_version")
            .and_then(serde_json::Value::as_u64);
        if !version.is_some_and(|v| u32::try_from(v).is_ok_and(|v| READABLE_VERSIONS.contains(&v)))
        {
            let written_by = value
                .get("drivegen_version")
                .and_then(|v| v.as_str())
                .unwrap_or("an unknown version");
            return Err(RefineError::checkpoint(
                &path,
                format!(
                    "checkpoint format version {} (written by drivegen {written_by}); this drivegen {} reads versions {} to {FORMAT_VERSION}",
                    version.map_or("missing".to_string(), |v| v.to_string()),
                    env!("CARGO_PKG_VERSION"),
                    READABLE_VERSIONS.start(),
                ),
                "retrain with this drivegen, or use the drivegen version that wrote it",
            ));
        }
        let config: CheckpointConfig =
            serde_json::from_value(with_defaults(value)).map_err(|e| {
                RefineError::checkpoint(
                    &path,
                    format!("unexpected content: {e}"),
                    "the file was edited or is corrupt; retrain or restore it",
                )
            })?;
        if let Some(names) = &config.shows {
            Shown::from_names(names).map_err(|e| {
                RefineError::checkpoint(
                    &path,
                    format!("`shows`: {e}"),
                    "list drivegen class names the real training frames show, e.g. [\"road\", \"sky\"]",
                )
            })?;
        }
        Ok(config)
    }

    /// Reads, verifies and decodes the record stored as `name`.
    pub fn record<B: Backend, R: Record<B>>(
        &self,
        config: &CheckpointConfig,
        name: &str,
        device: &B::Device,
    ) -> Result<R, RefineError> {
        let path = self.path_of(name);
        let expected = config.files.get(name).ok_or_else(|| {
            RefineError::checkpoint(
                self.path_of(CONFIG_FILE),
                format!("lists no `{name}`"),
                "this checkpoint does not hold that part (the shipped default has only the refiner and the VAE)",
            )
        })?;
        let bytes = self.read(name)?;
        let actual = sha256_hex(&bytes);
        if &actual != expected {
            return Err(RefineError::checkpoint(
                &path,
                format!("corrupt: SHA-256 {actual} does not match {expected} in config.json"),
                "the file was truncated or changed; restore the checkpoint folder or retrain",
            ));
        }
        NamedMpkBytesRecorder::<FullPrecisionSettings>::new()
            .load(bytes, device)
            .map_err(|e| {
                RefineError::checkpoint(
                    &path,
                    format!("cannot decode: {e}"),
                    "the weights do not match this model version; retrain",
                )
            })
    }

    /// Loads a module's weights into `fresh` (built from the checkpoint's configuration).
    pub fn module<B: Backend, M: Module<B>>(
        &self,
        config: &CheckpointConfig,
        name: &str,
        fresh: M,
        device: &B::Device,
    ) -> Result<M, RefineError> {
        let expected = fresh.num_params();
        let loaded = fresh.load_record(self.record::<B, M::Record>(config, name, device)?);
        if loaded.num_params() != expected {
            return Err(RefineError::checkpoint(
                self.path_of(name),
                format!(
                    "holds {} parameters, the configured model has {expected}",
                    loaded.num_params()
                ),
                "config.json and the weights disagree; retrain or restore the folder",
            ));
        }
        Ok(loaded)
    }
}

/// Fills the model settings an older checkpoint predates with their defaults (which
/// reproduce the older model): burn's `Config` has no serde defaults of its own.
fn with_defaults(mut value: serde_json::Value) -> serde_json::Value {
    let defaults = GanConfig::new(
        crate::model::RefinerConfig::new(),
        crate::model::DiscriminatorConfig::new(),
    );
    let Ok(defaults) = serde_json::to_value(defaults) else {
        return value;
    };
    fn fill(target: &mut serde_json::Value, defaults: &serde_json::Value) {
        if let (Some(t), Some(d)) = (target.as_object_mut(), defaults.as_object()) {
            for (k, v) in d {
                match t.get_mut(k) {
                    Some(existing) => fill(existing, v),
                    None => {
                        t.insert(k.clone(), v.clone());
                    }
                }
            }
        }
    }
    if let Some(gan) = value.get_mut("gan") {
        fill(gan, &defaults);
    }
    value
}

/// Encodes a record (module weights or optimiser state) to bytes.
pub fn encode<B: Backend, R: Record<B>>(record: R) -> Result<Vec<u8>, RefineError> {
    Recorder::<B>::record(
        &NamedMpkBytesRecorder::<FullPrecisionSettings>::new(),
        record,
        (),
    )
    .map_err(|e| RefineError::Invalid(format!("cannot encode weights: {e}")))
}

/// Writes `files` and `config.json` (with their checksums) as the checkpoint folder
/// `dir`, replacing any previous one only once the new one is complete.
pub fn write(
    dir: &Path,
    mut config: CheckpointConfig,
    files: Vec<(String, Vec<u8>)>,
) -> Result<(), RefineError> {
    let parent = dir.parent().unwrap_or(Path::new("."));
    let name = dir.file_name().map_or_else(
        || CHECKPOINT_DIR.into(),
        |n| n.to_string_lossy().into_owned(),
    );
    let staging = parent.join(format!("{name}.partial"));
    let old = parent.join(format!("{name}.old"));
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(&staging).map_err(RefineError::io(&staging))?;
    let cleanup = |e: RefineError| {
        let _ = std::fs::remove_dir_all(&staging);
        e
    };
    config.files.clear();
    for (file, bytes) in &files {
        config.files.insert(file.clone(), sha256_hex(bytes));
        let p = staging.join(file);
        std::fs::write(&p, bytes).map_err(|e| cleanup(RefineError::io(&p)(e)))?;
    }
    let json = serde_json::to_vec_pretty(&config).map_err(|e| {
        cleanup(RefineError::Invalid(format!(
            "cannot encode config.json: {e}"
        )))
    })?;
    let p = staging.join(CONFIG_FILE);
    std::fs::write(&p, json).map_err(|e| cleanup(RefineError::io(&p)(e)))?;
    let _ = std::fs::remove_dir_all(&old);
    if dir.exists() {
        std::fs::rename(dir, &old).map_err(|e| cleanup(RefineError::io(dir)(e)))?;
    }
    std::fs::rename(&staging, dir).map_err(RefineError::io(dir))?;
    let _ = std::fs::remove_dir_all(&old);
    Ok(())
}

/// What inference and evaluation need: the refiner and the VAE critic.
pub const INFERENCE_FILES: [&str; 2] = ["refiner.mpk", "vae.mpk"];

/// Copies the verified inference files of `source` into a new checkpoint folder `dst`
/// (no discriminator or optimiser state: a small folder to ship).
pub fn pack(source: &Source, dst: &Path) -> Result<(), RefineError> {
    let config = source.config()?;
    let mut files = Vec::new();
    for name in INFERENCE_FILES {
        let bytes = source.read(name)?;
        let expected = config.files.get(name).cloned().unwrap_or_default();
        if sha256_hex(&bytes) != expected {
            return Err(RefineError::checkpoint(
                source.path_of(name),
                "corrupt: checksum does not match config.json",
                "restore the checkpoint folder or retrain",
            ));
        }
        files.push((name.to_string(), bytes));
    }
    if let Some(parent) = dst.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(RefineError::io(parent))?;
    }
    write(dst, config, files)
}
