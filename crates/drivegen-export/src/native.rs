//! Reading the native layout written by `drivegen render`.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::ExportError;

/// One camera image of one capture.
#[derive(Clone, Debug)]
pub struct NativeFrame {
    pub variant: u32,
    pub frame: u32,
    pub camera: String,
    pub dir: PathBuf,
}

impl NativeFrame {
    pub fn file(&self, kind: &str, ext: &str) -> PathBuf {
        self.dir.join(kind).join(format!("{:06}.{ext}", self.frame))
    }
    pub fn rgb(&self) -> PathBuf {
        self.file("rgb", "png")
    }
    pub fn lidar(&self) -> PathBuf {
        self.dir
            .parent()
            .unwrap_or(&self.dir)
            .join("lidar")
            .join(format!("{:06}.bin", self.frame))
    }
}

#[derive(Clone, Debug, Deserialize)]
pub struct RunInfo {
    pub scenario: String,
    pub seed: u64,
    pub variants: Vec<u32>,
    pub cameras: Vec<String>,
    pub rgb: bool,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Calibration {
    pub name: String,
    pub width: u32,
    pub height: u32,
    pub k: [[f64; 3]; 3],
    pub camera_to_ego: [[f64; 4]; 3],
}

/// A rigid transform as written in the JSON files: 3x4 row-major [R | t].
pub type Matrix3x4 = [[f64; 4]; 3];

#[derive(Clone, Debug, Deserialize)]
struct CalibrationFile {
    cameras: Vec<Calibration>,
    lidar_to_ego: Option<[[f64; 4]; 3]>,
}

/// Object labels as written per frame (the fields exporters need).
#[derive(Clone, Debug, Deserialize)]
pub struct Object {
    pub id: u32,
    pub class: String,
    pub cityscapes_id: u8,
    pub tight_box: Option<[f64; 4]>,
    pub visible_pixels: u32,
    pub visibility: f64,
    pub truncation: f64,
    pub occlusion: u8,
    pub box3d: drivegen_labels::Box3d,
    pub alpha: f64,
}

#[derive(Clone, Debug, Deserialize)]
pub struct FrameLabels {
    pub frame: u32,
    pub objects: Vec<Object>,
}

#[derive(Debug)]
pub struct NativeDataset {
    pub root: PathBuf,
    pub run: RunInfo,
    pub frames: Vec<NativeFrame>,
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, ExportError> {
    let bytes = std::fs::read(path).map_err(|source| ExportError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_slice(&bytes).map_err(|e| ExportError::Format {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}

impl NativeDataset {
    pub fn open(root: &Path) -> Result<NativeDataset, ExportError> {
        let run: RunInfo = read_json(&root.join("run.json"))?;
        let mut frames = Vec::new();
        for variant in &run.variants {
            for camera in &run.cameras {
                let dir = root.join(format!("v{variant:03}")).join(camera);
                let labels = dir.join("labels");
                let entries = std::fs::read_dir(&labels).map_err(|source| ExportError::Read {
                    path: labels.clone(),
                    source,
                })?;
                let mut indices: Vec<u32> = entries
                    .filter_map(Result::ok)
                    .filter_map(|e| {
                        let name = e.file_name().to_string_lossy().into_owned();
                        name.strip_suffix(".json")?.parse().ok()
                    })
                    .collect();
                indices.sort_unstable();
                for frame in indices {
                    frames.push(NativeFrame {
                        variant: *variant,
                        frame,
                        camera: camera.clone(),
                        dir: dir.clone(),
                    });
                }
            }
        }
        Ok(NativeDataset {
            root: root.to_path_buf(),
            run,
            frames,
        })
    }

    pub fn calibration(
        &self,
        variant: u32,
        camera: &str,
    ) -> Result<(Calibration, Option<Matrix3x4>), ExportError> {
        let file: CalibrationFile = read_json(
            &self
                .root
                .join(format!("v{variant:03}"))
                .join("calibration.json"),
        )?;
        let lidar = file.lidar_to_ego;
        file.cameras
            .into_iter()
            .find(|c| c.name == camera)
            .map(|c| (c, lidar))
            .ok_or_else(|| ExportError::Format {
                path: self.root.join(format!("v{variant:03}/calibration.json")),
                reason: format!("no calibration for camera {camera}"),
            })
    }

    pub fn labels(&self, f: &NativeFrame) -> Result<FrameLabels, ExportError> {
        read_json(&f.file("labels", "json"))
    }

    pub fn instance(
        &self,
        f: &NativeFrame,
    ) -> Result<image::ImageBuffer<image::Luma<u16>, Vec<u16>>, ExportError> {
        let path = f.file("instance", "png");
        Ok(image::open(&path)
            .map_err(|e| ExportError::Format {
                path,
                reason: e.to_string(),
            })?
            .into_luma16())
    }
}
