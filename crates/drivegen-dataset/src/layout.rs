//! Reading the native layout back: `run.json`, calibration, per-frame labels and
//! instance images. The same types the writer serialises are the ones read here, so a
//! field added on one side cannot be missed on the other; export, merge, query, augment
//! and report all read datasets through this module.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::{CameraCalibration, DatasetError, FrameLabels};

/// The name of the native layout in `run.json`.
pub const LAYOUT: &str = "drivegen-native-1";

/// `run.json`: what a directory holds. Shards differ only in `variants` and `shard`.
#[derive(Serialize, Deserialize, PartialEq, Debug, Clone)]
pub struct RunInfo {
    pub tool: String,
    pub version: String,
    pub scenario: String,
    pub seed: u64,
    pub variants: Vec<u32>,
    pub frames_per_variant: usize,
    pub cameras: Vec<String>,
    pub lidar: bool,
    pub rgb: bool,
    pub layout: String,
    /// Image size (width, height) of each camera in `cameras`, after --width/--height.
    #[serde(default)]
    pub image_sizes: Vec<[u32; 2]>,
    /// The render quality (`draft`, `default`, `high`).
    #[serde(default = "default_quality")]
    pub quality: String,
    #[serde(default)]
    pub shadows: bool,
    #[serde(default)]
    pub msaa: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<[u32; 2]>,
    /// In a shard: how many variants the whole (unsharded) run has.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variants_total: Option<u32>,
    /// The --refine checkpoint, when frames are refined.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refiner: Option<String>,
    /// SHA-256 of the checkpoint's `config.json`, which lists the SHA-256 of every
    /// weights file: it names the exact refiner.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refiner_sha256: Option<String>,
    /// How far into a frame the refiner reached: `covered:CLASS,...` (the classes its
    /// real frames show, and their light and weather; datasets written before this was
    /// spelled out say `covered` for the shipped cameras' road, sidewalk, vegetation,
    /// terrain and sky) or `full` (the network's output as it is).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refiner_reach: Option<String>,
    /// A Grid/Sobol `variants` design: the parameters every variant of the whole run
    /// fixed (the same in every shard); absent for i.i.d. variants.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub coverage: Vec<CoverageCell>,
    /// The scenario's `keep_frames_where`, when frames are filtered: rejected frames
    /// have no files and are listed in `rejected.jsonl`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_frames_where: Option<serde_json::Value>,
}

fn default_quality() -> String {
    "default".into()
}

/// The parameters a coverage design fixed for one variant.
#[derive(Serialize, Deserialize, PartialEq, Debug, Clone)]
pub struct CoverageCell {
    pub variant: u32,
    pub values: std::collections::BTreeMap<String, f64>,
}

/// Which RGB images a reader asks for (`--rgb`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RgbChoice {
    /// Refined when the run was rendered with a refiner, else raw.
    #[default]
    Auto,
    Raw,
    Refined,
}

impl RgbChoice {
    pub fn parse(s: &str) -> Option<RgbChoice> {
        match s.trim() {
            "auto" => Some(RgbChoice::Auto),
            "raw" => Some(RgbChoice::Raw),
            "refined" => Some(RgbChoice::Refined),
            _ => None,
        }
    }
}

/// The RGB images a dataset reader serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RgbSource {
    /// `rgb/`: as rendered.
    Raw,
    /// `rgb_refined/`: through the run's refiner.
    Refined,
}

impl RgbSource {
    pub fn folder(self) -> &'static str {
        match self {
            RgbSource::Raw => "rgb",
            RgbSource::Refined => "rgb_refined",
        }
    }
}

impl RunInfo {
    pub const FILE: &str = "run.json";

    /// Reads `root/run.json`.
    pub fn read(root: &Path) -> Result<RunInfo, DatasetError> {
        read_json(&root.join(Self::FILE))
    }

    /// `run.json`'s bytes (pretty JSON; resume compares them byte for byte).
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec_pretty(self).unwrap_or_default()
    }

    /// Writes `root/run.json` atomically.
    pub fn write(&self, root: &Path) -> Result<(), DatasetError> {
        crate::write_atomic(&root.join(Self::FILE), &self.to_json())
    }

    /// Every sensor a complete frame has: the cameras, and `lidar` with a LiDAR.
    pub fn sensors(&self) -> std::collections::BTreeSet<String> {
        let mut all: std::collections::BTreeSet<String> = self.cameras.iter().cloned().collect();
        if self.lidar {
            all.insert("lidar".into());
        }
        all
    }
}

/// LiDAR-to-ego transform, 3x4 row-major.
pub type LidarToEgo = [[f64; 4]; 3];

/// `vNNN/calibration.json`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CalibrationFile {
    pub cameras: Vec<CameraCalibration>,
    /// LiDAR-to-ego, with a LiDAR in the rig.
    pub lidar_to_ego: Option<LidarToEgo>,
}

/// The directory of a variant.
pub fn variant_dir(root: &Path, variant: u32) -> PathBuf {
    root.join(format!("v{variant:03}"))
}

/// One camera image of one capture.
#[derive(Clone, Debug)]
pub struct NativeFrame {
    pub variant: u32,
    pub frame: u32,
    pub camera: String,
    /// `OUT/vNNN/<camera>`.
    pub dir: PathBuf,
}

impl NativeFrame {
    /// `OUT/vNNN/<camera>/<kind>/<frame>.<ext>`.
    pub fn file(&self, kind: &str, ext: &str) -> PathBuf {
        self.dir.join(kind).join(format!("{:06}.{ext}", self.frame))
    }
    pub fn lidar(&self) -> PathBuf {
        self.dir
            .parent()
            .unwrap_or(&self.dir)
            .join("lidar")
            .join(format!("{:06}.bin", self.frame))
    }
}

/// A dataset on disk: its run and every camera frame with labels, in (variant, camera,
/// frame) order, and which RGB images it serves (refined when the run has them, unless
/// [`NativeDataset::with_rgb`] says otherwise).
#[derive(Debug)]
pub struct NativeDataset {
    pub root: PathBuf,
    pub run: RunInfo,
    pub frames: Vec<NativeFrame>,
    pub rgb: RgbSource,
}

pub(crate) fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, DatasetError> {
    let bytes = std::fs::read(path).map_err(|source| DatasetError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_slice(&bytes).map_err(|e| DatasetError::Format {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}

impl NativeDataset {
    pub fn open(root: &Path) -> Result<NativeDataset, DatasetError> {
        let run = RunInfo::read(root)?;
        let mut frames = Vec::new();
        for variant in &run.variants {
            for camera in &run.cameras {
                let dir = variant_dir(root, *variant).join(camera);
                let labels = dir.join("labels");
                let entries = match std::fs::read_dir(&labels) {
                    // A filtered run's variant may have had every capture rejected.
                    Err(e)
                        if e.kind() == std::io::ErrorKind::NotFound
                            && run.keep_frames_where.is_some() =>
                    {
                        continue;
                    }
                    other => other.map_err(|source| DatasetError::Read {
                        path: labels.clone(),
                        source,
                    })?,
                };
                let mut indices: Vec<u32> = entries
                    .filter_map(Result::ok)
                    .filter_map(|e| {
                        let name = e.file_name().to_string_lossy().into_owned();
                        name.strip_suffix(".json")?.parse().ok()
                    })
                    .collect();
                indices.sort_unstable();
                frames.extend(indices.into_iter().map(|frame| NativeFrame {
                    variant: *variant,
                    frame,
                    camera: camera.clone(),
                    dir: dir.clone(),
                }));
            }
        }
        let rgb = if run.refiner.is_some() {
            RgbSource::Refined
        } else {
            RgbSource::Raw
        };
        Ok(NativeDataset {
            root: root.to_path_buf(),
            run,
            frames,
            rgb,
        })
    }

    /// Serves the RGB images `choice` asks for; refined ones only exist when the run was
    /// rendered with `--refine`.
    pub fn with_rgb(mut self, choice: RgbChoice) -> Result<NativeDataset, DatasetError> {
        self.rgb = match choice {
            RgbChoice::Auto => self.rgb,
            RgbChoice::Raw => RgbSource::Raw,
            RgbChoice::Refined if self.run.refiner.is_some() => RgbSource::Refined,
            RgbChoice::Refined => {
                return Err(DatasetError::NoRefined {
                    root: self.root.clone(),
                });
            }
        };
        Ok(self)
    }

    /// The RGB image of a frame this dataset serves.
    pub fn rgb_path(&self, f: &NativeFrame) -> PathBuf {
        f.file(self.rgb.folder(), "png")
    }

    /// A camera's calibration in a variant, and the LiDAR's mount when there is one.
    pub fn calibration(
        &self,
        variant: u32,
        camera: &str,
    ) -> Result<(CameraCalibration, Option<LidarToEgo>), DatasetError> {
        let path = variant_dir(&self.root, variant).join("calibration.json");
        let file: CalibrationFile = read_json(&path)?;
        let lidar = file.lidar_to_ego;
        file.cameras
            .into_iter()
            .find(|c| c.name == camera)
            .map(|c| (c, lidar))
            .ok_or_else(|| DatasetError::Format {
                path,
                reason: format!("no calibration for camera {camera}"),
            })
    }

    pub fn labels(&self, f: &NativeFrame) -> Result<FrameLabels, DatasetError> {
        read_json(&f.file("labels", "json"))
    }

    pub fn instance(
        &self,
        f: &NativeFrame,
    ) -> Result<image::ImageBuffer<image::Luma<u16>, Vec<u16>>, DatasetError> {
        let path = f.file("instance", "png");
        Ok(image::open(&path)
            .map_err(|e| DatasetError::Format {
                path,
                reason: e.to_string(),
            })?
            .into_luma16())
    }
}
