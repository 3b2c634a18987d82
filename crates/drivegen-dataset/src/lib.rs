//! Dataset output. The native layout, per variant and camera:
//!
//! ```text
//! OUT/run.json                          tool version, scenario, seed, variants written
//! OUT/scenario.ron                      the scenario as loaded (extends merged)
//! OUT/v000/calibration.json             per camera: K, size, camera-to-ego, lens distortion
//! OUT/v000/<camera>/rgb/000000.png      8-bit sRGB
//! OUT/v000/<camera>/instance/000000.png 16-bit instance ids (actor/prop ids; stuff = Cityscapes id)
//! OUT/v000/<camera>/semantic/000000.png 8-bit Cityscapes labelIds
//! OUT/v000/<camera>/depth/000000.png    16-bit z-depth, metres x 256, 0 = invalid/sky
//! OUT/v000/<camera>/labels/000000.json  per-object labels, ego pose, camera pose
//! OUT/v000/lidar/000000.bin             LiDAR returns: 20-byte little-endian records
//!                                       (x, y, z, intensity: f32; instance: u16; class: u8; pad)
//! ```
//!
//! Frames are encoded and written by a pool of threads fed through a bounded channel, so
//! the simulation waits for disk only when the channel is full. Every file is written to
//! a temporary name and renamed: a crash leaves complete files or none. After a job's
//! files are in place, a line with their SHA-256 sums is appended to `OUT/journal.jsonl`;
//! `--resume` trusts exactly the frames the journal lists, and `manifest.json` is built
//! from it.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use crossbeam_channel::{Receiver, Sender};

mod layout;
use drivegen_labels::{CITYSCAPES, Camera, ObjectLabel};
pub use layout::{
    CalibrationFile, CoverageCell, LAYOUT, NativeDataset, NativeFrame, RgbChoice, RgbSource,
    RunInfo, variant_dir,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

#[derive(Debug, thiserror::Error)]
pub enum DatasetError {
    #[error(
        "cannot write {path}: {source}\n  = hint: check free space and permissions of the output directory"
    )]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot encode {path}: {source}")]
    Encode {
        path: PathBuf,
        #[source]
        source: image::ImageError,
    },
    #[error("a writer thread stopped unexpectedly")]
    WriterGone,
    #[error(
        "cannot read {path}: {source}\n  = hint: is this a directory written by `drivegen render`?"
    )]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not what drivegen writes: {reason}")]
    Format { path: PathBuf, reason: String },
    #[error(
        "{} holds no refined frames (rgb_refined/)\n  = hint: render with --refine default (or a checkpoint), or ask for --rgb raw",
        .root.display()
    )]
    NoRefined { root: PathBuf },
}

/// Writes bytes atomically: temporary file in the same directory, then rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), DatasetError> {
    let err = |source| DatasetError::Write {
        path: path.to_path_buf(),
        source,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(err)?;
    }
    let tmp = path.with_extension(format!(
        "{}.partial",
        path.extension().and_then(|e| e.to_str()).unwrap_or("tmp")
    ));
    // A failed write (disk full) leaves neither a partial file nor a torn target.
    let result = std::fs::write(&tmp, bytes).and_then(|()| std::fs::rename(&tmp, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(err)
}

fn png(
    path: &Path,
    width: u32,
    height: u32,
    color: image::ExtendedColorType,
    data: &[u8],
) -> Result<Vec<u8>, DatasetError> {
    let mut out = Vec::new();
    let encoder = image::codecs::png::PngEncoder::new_with_quality(
        &mut out,
        image::codecs::png::CompressionType::Fast,
        image::codecs::png::FilterType::Adaptive,
    );
    image::ImageEncoder::write_image(encoder, data, width, height, color).map_err(|source| {
        DatasetError::Encode {
            path: path.to_path_buf(),
            source,
        }
    })?;
    Ok(out)
}

/// A file a job wrote, relative to the dataset root.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRecord {
    pub path: String,
    pub sha256: String,
    pub bytes: u64,
}

/// One completed job (a camera's outputs or a LiDAR sweep of one capture).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalEntry {
    pub variant: u32,
    pub frame: u32,
    /// Camera name, or `lidar`.
    pub sensor: String,
    pub files: Vec<FileRecord>,
}

/// The append-only record of completed jobs.
#[derive(Debug)]
pub struct Journal {
    root: PathBuf,
    file: Mutex<std::fs::File>,
}

pub const JOURNAL: &str = "journal.jsonl";

impl Journal {
    /// Opens `root/journal.jsonl`, emptied unless `keep` (when resuming).
    pub fn open(root: &Path, keep: bool) -> Result<Journal, DatasetError> {
        let path = root.join(JOURNAL);
        let err = |source| DatasetError::Write {
            path: path.clone(),
            source,
        };
        std::fs::create_dir_all(root).map_err(err)?;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .truncate(false)
            .open(&path)
            .map_err(err)?;
        if !keep {
            file.set_len(0).map_err(err)?;
        }
        Ok(Journal {
            root: root.to_path_buf(),
            file: Mutex::new(file),
        })
    }

    fn append(&self, entry: &JournalEntry) -> Result<(), DatasetError> {
        let mut line = serde_json::to_vec(entry).unwrap_or_default();
        line.push(b'\n');
        let mut file = self.file.lock().map_err(|_| DatasetError::WriterGone)?;
        file.write_all(&line)
            .and_then(|()| file.flush())
            .map_err(|source| DatasetError::Write {
                path: self.root.join(JOURNAL),
                source,
            })
    }

    /// Entries of a journal; a torn last line (from a crash mid-write) is ignored.
    pub fn read(root: &Path) -> Vec<JournalEntry> {
        std::fs::read_to_string(root.join(JOURNAL))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    /// The journal's entries in (variant, frame, sensor) order, one per job.
    pub fn sorted(root: &Path) -> Vec<JournalEntry> {
        latest_per_job(Journal::read(root))
    }

    /// Rewrites a finished run's journal in [`Journal::sorted`] order, atomically.
    /// Writer threads append in completion order, which varies between runs; the
    /// compacted journal is byte-identical for the same seed.
    pub fn compact(root: &Path) -> Result<Vec<JournalEntry>, DatasetError> {
        Journal::write_sorted(root, Journal::read(root))
    }

    /// Writes `root/journal.jsonl` holding `entries` in job order, atomically.
    pub fn write_sorted(
        root: &Path,
        entries: Vec<JournalEntry>,
    ) -> Result<Vec<JournalEntry>, DatasetError> {
        let entries = latest_per_job(entries);
        let mut text = Vec::new();
        for entry in &entries {
            text.extend(serde_json::to_vec(entry).unwrap_or_default());
            text.push(b'\n');
        }
        write_atomic(&root.join(JOURNAL), &text)?;
        Ok(entries)
    }

    fn record(&self, path: &Path, data: &[u8]) -> FileRecord {
        file_record(&self.root, path, data)
    }

    /// Appends a finished entry (for tools that assemble datasets from others).
    pub fn push(&self, entry: &JournalEntry) -> Result<(), DatasetError> {
        self.append(entry)
    }
}

/// One entry per (variant, frame, sensor), in that order. When a job was journalled
/// twice (a resumed run redid it) the later line wins: its files are the ones on disk.
fn latest_per_job(entries: Vec<JournalEntry>) -> Vec<JournalEntry> {
    let mut latest: BTreeMap<(u32, u32, String), JournalEntry> = BTreeMap::new();
    for entry in entries {
        latest.insert((entry.variant, entry.frame, entry.sensor.clone()), entry);
    }
    latest.into_values().collect()
}

/// A file's record for the journal and manifest: path relative to `root`, SHA-256, size.
pub fn file_record(root: &Path, path: &Path, data: &[u8]) -> FileRecord {
    let rel = path.strip_prefix(root).unwrap_or(path);
    let digest = Sha256::digest(data);
    FileRecord {
        path: rel.to_string_lossy().replace('\\', "/"),
        sha256: digest.iter().map(|b| format!("{b:02x}")).collect(),
        bytes: data.len() as u64,
    }
}

/// Everything to write for one camera at one capture.
#[derive(Debug)]
pub struct FrameJob {
    pub variant: u32,
    /// `OUT/v000/<camera>`.
    pub dir: PathBuf,
    pub frame: u32,
    pub width: u32,
    pub height: u32,
    pub rgba: Option<Vec<u8>>,
    /// The refiner's output (RGB), written to `rgb_refined/` beside the raw frame.
    pub refined_rgb: Option<Vec<u8>>,
    pub ids: Vec<u16>,
    pub depth: Vec<f32>,
    /// Instance id -> Cityscapes labelId (65,536 entries).
    pub semantic_lut: Arc<Vec<u8>>,
    pub labels: FrameLabels,
}

/// The per-frame JSON.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FrameLabels {
    pub frame: u32,
    pub time: f64,
    pub camera: String,
    /// Ego pose in the world: x, y (m), yaw (rad).
    pub ego_pose: [f64; 3],
    pub ego_speed: f64,
    /// Camera-to-world, 3x4 row-major.
    pub camera_to_world: [[f64; 4]; 3],
    pub objects: Vec<ObjectLabel>,
    /// Pairs of actor ids in contact.
    pub collisions: Vec<[u32; 2]>,
    /// One sentence describing the scene.
    pub caption: String,
    /// Scripted events under way at this frame, by name (absent when none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<EventLabel>,
}

/// A scripted event under way in a frame: its name, its action and the actor's id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventLabel {
    pub name: String,
    pub action: String,
    pub actor: u32,
}

/// Per-camera calibration for `calibration.json`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CameraCalibration {
    pub name: String,
    pub width: u32,
    pub height: u32,
    pub k: [[f64; 3]; 3],
    /// Camera-to-ego, 3x4 row-major (camera axes x right, y down, z forward).
    pub camera_to_ego: [[f64; 4]; 3],
    /// Lens distortion in OpenCV's order (k1, k2, p1, p2, k3), when the camera has a
    /// sensor model with one; images and labels are in the distorted view.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distortion: Option<[f64; 5]>,
}

impl CameraCalibration {
    pub fn new(name: &str, cam: &Camera) -> CameraCalibration {
        CameraCalibration {
            name: name.to_string(),
            width: cam.width,
            height: cam.height,
            k: cam.image_k(),
            camera_to_ego: cam.ego_from_camera.matrix3x4(),
            distortion: cam.lens.map(|l| l.distortion),
        }
    }
}

/// Encodes depth as KITTI-style uint16: metres x 256, 0 where invalid or beyond 255 m.
pub fn depth_u16(depth: &[f32]) -> Vec<u16> {
    depth
        .iter()
        .map(|d| {
            if d.is_finite() && *d > 0.0 && *d < 255.99 {
                (d * 256.0).round() as u16
            } else {
                0
            }
        })
        .collect()
}

/// 16-bit samples as the PNG encoder takes them: native byte order (it writes big-endian).
fn sample_bytes(v: &[u16]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_ne_bytes()).collect()
}

fn write_frame(job: &FrameJob, journal: &Journal) -> Result<Vec<FileRecord>, DatasetError> {
    let name = format!("{:06}", job.frame);
    let mut records = Vec::new();
    let mut put = |sub: &str, ext: &str, data: Vec<u8>| -> Result<(), DatasetError> {
        let path = job.dir.join(sub).join(format!("{name}.{ext}"));
        write_atomic(&path, &data)?;
        records.push(journal.record(&path, &data));
        Ok(())
    };
    let (w, h) = (job.width, job.height);
    if let Some(rgba) = &job.rgba {
        let rgb: Vec<u8> = rgba
            .chunks_exact(4)
            .flat_map(|p| [p[0], p[1], p[2]])
            .collect();
        put(
            "rgb",
            "png",
            png(&job.dir, w, h, image::ExtendedColorType::Rgb8, &rgb)?,
        )?;
    }
    if let Some(rgb) = &job.refined_rgb {
        put(
            "rgb_refined",
            "png",
            png(&job.dir, w, h, image::ExtendedColorType::Rgb8, rgb)?,
        )?;
    }
    put(
        "instance",
        "png",
        png(
            &job.dir,
            w,
            h,
            image::ExtendedColorType::L16,
            &sample_bytes(&job.ids),
        )?,
    )?;
    let semantic = semantic_of(&job.ids, &job.semantic_lut);
    put(
        "semantic",
        "png",
        png(&job.dir, w, h, image::ExtendedColorType::L8, &semantic)?,
    )?;
    put(
        "depth",
        "png",
        png(
            &job.dir,
            w,
            h,
            image::ExtendedColorType::L16,
            &sample_bytes(&depth_u16(&job.depth)),
        )?,
    )?;
    let json = serde_json::to_vec_pretty(&job.labels).unwrap_or_default();
    put("labels", "json", json)?;
    Ok(records)
}

/// The Cityscapes labelId image of an instance-id image (id 0, nothing hit, is sky).
pub fn semantic_of(ids: &[u16], lut: &[u8]) -> Vec<u8> {
    ids.iter()
        .map(|id| {
            if *id == 0 {
                23
            } else {
                lut.get(usize::from(*id)).copied().unwrap_or(0)
            }
        })
        .collect()
}

/// Colourises a Cityscapes labelId image with the official palette (for previews).
pub fn colorize(semantic: &[u8]) -> Vec<u8> {
    semantic
        .iter()
        .flat_map(|id| {
            CITYSCAPES
                .get(usize::from(*id))
                .map_or([0, 0, 0], |l| l.color)
        })
        .collect()
}

/// Work for the writer pool.
#[derive(Debug)]
pub enum Job {
    Camera(Box<FrameJob>),
    /// A LiDAR sweep written to `path` (see [`drivegen_labels::lidar::encode`]).
    Lidar {
        variant: u32,
        frame: u32,
        path: PathBuf,
        points: Vec<drivegen_labels::lidar::LidarPoint>,
    },
}

fn write_job(job: &Job, journal: &Journal) -> Result<u64, DatasetError> {
    let entry = match job {
        Job::Camera(frame) => JournalEntry {
            variant: frame.variant,
            frame: frame.frame,
            sensor: frame.labels.camera.clone(),
            files: write_frame(frame, journal)?,
        },
        Job::Lidar {
            variant,
            frame,
            path,
            points,
        } => {
            let bytes = drivegen_labels::lidar::encode(points);
            write_atomic(path, &bytes)?;
            JournalEntry {
                variant: *variant,
                frame: *frame,
                sensor: "lidar".into(),
                files: vec![journal.record(path, &bytes)],
            }
        }
    };
    journal.append(&entry)?;
    Ok(entry.files.iter().map(|f| f.bytes).sum())
}

/// A pool of writer threads behind a bounded queue.
#[derive(Debug)]
pub struct DatasetWriter {
    tx: Option<Sender<Job>>,
    workers: Vec<JoinHandle<Result<u64, DatasetError>>>,
}

impl DatasetWriter {
    /// Writer threads appending completed jobs to `journal`.
    pub fn new(threads: usize, queue_depth: usize, journal: Arc<Journal>) -> DatasetWriter {
        let (tx, rx): (Sender<Job>, Receiver<Job>) = crossbeam_channel::bounded(queue_depth.max(1));
        let workers = (0..threads.max(1))
            .map(|_| {
                let rx = rx.clone();
                let journal = journal.clone();
                std::thread::spawn(move || {
                    let mut total = 0;
                    for job in rx {
                        total += write_job(&job, &journal)?;
                    }
                    Ok(total)
                })
            })
            .collect();
        DatasetWriter {
            tx: Some(tx),
            workers,
        }
    }

    /// Queues a frame; blocks only while the queue is full. When a writer has failed (a
    /// full disk), returns that writer's error.
    pub fn submit(&mut self, job: Job) -> Result<(), DatasetError> {
        let sent = self
            .tx
            .as_ref()
            .map(|tx| tx.send(job).is_ok())
            .unwrap_or(false);
        if sent {
            return Ok(());
        }
        self.tx = None;
        for w in self.workers.drain(..) {
            if let Ok(Err(e)) = w.join() {
                return Err(e);
            }
        }
        Err(DatasetError::WriterGone)
    }

    /// Waits for every queued frame; returns bytes written.
    pub fn finish(mut self) -> Result<u64, DatasetError> {
        self.tx = None;
        let mut total = 0;
        for w in self.workers.drain(..) {
            total += w.join().map_err(|_| DatasetError::WriterGone)??;
        }
        Ok(total)
    }
}

/// A lookup table from instance id to Cityscapes labelId.
pub fn semantic_lut(classes: &[(u16, drivegen_labels::Class)]) -> Vec<u8> {
    let mut lut = vec![0u8; 65_536];
    for (id, class) in classes {
        lut[usize::from(*id)] = class.cityscapes_id();
    }
    lut
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(variant: u32, frame: u32, sensor: &str, bytes: u64) -> JournalEntry {
        JournalEntry {
            variant,
            frame,
            sensor: sensor.to_string(),
            files: vec![FileRecord {
                path: format!("v{variant:03}/{sensor}/{frame:06}.png"),
                sha256: String::new(),
                bytes,
            }],
        }
    }

    /// Writer threads finish jobs in any order; the compacted journal does not show it.
    #[test]
    fn compaction_orders_jobs_and_keeps_the_latest_line_of_a_redone_job() {
        let root = std::env::temp_dir().join(format!("drivegen-journal-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let journal = Journal::open(&root, false).expect("opens");
        for e in [
            entry(1, 0, "front", 1),
            entry(0, 2, "lidar", 1),
            entry(0, 2, "front", 1),
            entry(0, 0, "front", 1),
            entry(0, 2, "front", 7),
        ] {
            journal.push(&e).expect("appends");
        }
        let compacted = Journal::compact(&root).expect("compacts");
        let order: Vec<(u32, u32, &str, u64)> = compacted
            .iter()
            .map(|e| (e.variant, e.frame, e.sensor.as_str(), e.files[0].bytes))
            .collect();
        assert_eq!(
            order,
            [
                (0, 0, "front", 1),
                (0, 2, "front", 7),
                (0, 2, "lidar", 1),
                (1, 0, "front", 1)
            ]
        );
        assert_eq!(Journal::read(&root), compacted, "the file holds the same");
        let _ = std::fs::remove_dir_all(&root);
    }
}
