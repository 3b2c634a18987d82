//! The per-format writers. Each frame is handed to every requested format in turn; COCO
//! and YOLO's per-split files are written at the end.

use drivegen_dataset::DatasetError;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use drivegen_dataset::write_atomic;
use drivegen_labels::classes::DETECTION_CATEGORIES;
use drivegen_labels::math::Iso3;
use drivegen_labels::{CITYSCAPES, Class};
use image::{ImageBuffer, Luma};
use serde_json::json;

use crate::{ExportError, Format, Split, rle};
use drivegen_dataset::{CameraCalibration, FrameLabels, NativeDataset, NativeFrame};
use drivegen_labels::ObjectLabel as Object;

/// Objects whose visible box is shorter than this (px), or that are less than this
/// visible, are written as KITTI `DontCare` regions.
pub const KITTI_MIN_HEIGHT: f64 = 15.0;
pub const KITTI_MIN_VISIBILITY: f64 = 0.1;

#[derive(Debug)]
pub struct ExportFrame<'a> {
    pub native: &'a NativeFrame,
    pub split: Split,
    /// Index of this frame within its split.
    pub index: usize,
    pub labels: &'a FrameLabels,
    pub instance: &'a ImageBuffer<Luma<u16>, Vec<u16>>,
    pub calib: &'a CameraCalibration,
    pub lidar_to_ego: Option<[[f64; 4]; 3]>,
}

#[derive(Debug, Default)]
struct CocoSplit {
    images: Vec<serde_json::Value>,
    annotations: Vec<serde_json::Value>,
}

/// One KITTI tracking sequence: an unbroken run of one variant's frames within a split.
/// A variant split into time blocks gives one sequence per block, numbered from frame 0,
/// so a tracker never sees a jump in time inside a sequence.
#[derive(Debug)]
struct TrackingSequence {
    variant: u32,
    camera: String,
    first_frame: u32,
    last_order: usize,
    frames: usize,
    labels: String,
}

#[derive(Debug)]
pub struct Writers<'a> {
    out: PathBuf,
    formats: Vec<Format>,
    ds: &'a NativeDataset,
    coco: BTreeMap<Split, CocoSplit>,
    /// KITTI tracking: the sequences of each split, in order.
    tracking: BTreeMap<Split, Vec<TrackingSequence>>,
    /// Each frame's place among its camera's frames of its variant, (camera, variant,
    /// frame) -> index: a tracking sequence runs while frames follow one another.
    frame_order: BTreeMap<(String, u32, u32), usize>,
    /// KITTI object: the next frame id in `training/` (train and val) and `testing/`, and
    /// the ids of each split for `ImageSets/`.
    kitti_next: [usize; 2],
    image_sets: BTreeMap<Split, Vec<String>>,
    /// Frames per split, known before the first frame (YOLO lists only filled splits).
    counts: [usize; 3],
}

/// The KITTI object folder of a split: mmdetection3d and OpenPCDet read train and val
/// from `training/` (selected by `ImageSets/`) and test from `testing/`.
fn kitti_folder(split: Split) -> &'static str {
    match split {
        Split::Train | Split::Val => "training",
        Split::Test => "testing",
    }
}

/// A Cityscapes city name: cityscapesScripts splits file names at `_`
/// (`city_sequence_frame_type.png`), so the city may not contain one.
pub fn cityscapes_city(scenario: &str) -> String {
    let city: String = scenario
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    if city.is_empty() {
        "drivegen".into()
    } else {
        city
    }
}

fn copy(from: &Path, to: &Path) -> Result<(), ExportError> {
    let bytes = std::fs::read(from).map_err(|source| DatasetError::Read {
        path: from.to_path_buf(),
        source,
    })?;
    Ok(write_atomic(to, &bytes)?)
}

fn png16(path: &Path, img: &ImageBuffer<Luma<u16>, Vec<u16>>) -> Result<(), ExportError> {
    Ok(write_atomic(path, &crate::png_bytes(img, path)?)?)
}

fn class_of(o: &Object) -> Option<Class> {
    Class::from_name(&o.class)
}

fn matrix_line(name: &str, values: impl IntoIterator<Item = f64>) -> String {
    let v: Vec<String> = values.into_iter().map(|x| format!("{x:.12e}")).collect();
    format!("{name} {}\n", v.join(" "))
}

fn flat(m: &[[f64; 4]; 3]) -> Vec<f64> {
    m.iter().flat_map(|r| r.iter().copied()).collect()
}

/// KITTI's 15 label fields for one object, or a DontCare region (small, mostly hidden, or
/// centred behind the camera), or nothing.
pub fn kitti_line(o: &Object) -> Option<String> {
    let class = class_of(o)?;
    let kind = class.kitti_type();
    let b = o.tight_box?;
    if kind == "DontCare" {
        return None;
    }
    // A car alongside the ego can show in the image with its centre behind the camera
    // plane; KITTI's labels and readers assume z > 0 (depth sorts, the devkit's
    // projection), so such an object is a region to ignore.
    if b[3] - b[1] < KITTI_MIN_HEIGHT || o.visibility < KITTI_MIN_VISIBILITY || o.box3d.z <= 0.0 {
        return Some(format!(
            "DontCare -1 -1 -10 {:.2} {:.2} {:.2} {:.2} -1 -1 -1 -1000 -1000 -1000 -10",
            b[0], b[1], b[2], b[3]
        ));
    }
    let d = &o.box3d;
    Some(format!(
        "{kind} {:.2} {} {:.2} {:.2} {:.2} {:.2} {:.2} {:.2} {:.2} {:.2} {:.2} {:.2} {:.2} {:.2}",
        o.truncation,
        o.occlusion,
        o.alpha,
        b[0],
        b[1],
        b[2],
        b[3],
        d.h,
        d.w,
        d.l,
        d.x,
        d.y,
        d.z,
        d.rotation_y
    ))
}

/// How a KITTI calibration file names its matrices: the object benchmark's
/// `R0_rect:`/`Tr_velo_to_cam:`, or the tracking benchmark's `R_rect`/`Tr_velo_cam`
/// (no colon), as each devkit's reader expects.
#[derive(Clone, Copy, Debug, PartialEq)]
enum CalibKeys {
    Object,
    Tracking,
}

/// A frame's KITTI calibration. Labels are in the (already rectified) camera frame:
/// P = [K | 0], R0 = I.
fn kitti_calib(f: &ExportFrame<'_>, keys: CalibKeys) -> String {
    let line = |object: &str, tracking: &str, values: &[f64]| match keys {
        CalibKeys::Object => matrix_line(&format!("{object}:"), values.iter().copied()),
        CalibKeys::Tracking => matrix_line(tracking, values.iter().copied()),
    };
    let k = &f.calib.k;
    let p = [
        k[0][0], 0.0, k[0][2], 0.0, 0.0, k[1][1], k[1][2], 0.0, 0.0, 0.0, 1.0, 0.0,
    ];
    let mut calib = String::new();
    for i in 0..4 {
        calib.push_str(&matrix_line(&format!("P{i}:"), p));
    }
    calib.push_str(&line(
        "R0_rect",
        "R_rect",
        &[1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0],
    ));
    let cam_to_ego = Iso3::from_matrix3x4(&f.calib.camera_to_ego);
    let velo_to_ego = f
        .lidar_to_ego
        .map(|m| Iso3::from_matrix3x4(&m))
        .unwrap_or(cam_to_ego);
    let velo_to_cam = cam_to_ego.inverse().then(&velo_to_ego);
    calib.push_str(&line(
        "Tr_velo_to_cam",
        "Tr_velo_cam",
        &flat(&velo_to_cam.matrix3x4()),
    ));
    // KITTI's IMU is the vehicle frame: drivegen's ego frame.
    calib.push_str(&line(
        "Tr_imu_to_velo",
        "Tr_imu_velo",
        &flat(&velo_to_ego.inverse().matrix3x4()),
    ));
    // A lens's coefficients follow, as KITTI's raw calibration writes them (D_02:
    // k1 k2 p1 p2 k3, OpenCV's order): the readers take the first seven lines by
    // position, so an eighth is safe.
    if let Some(d) = f.calib.distortion {
        calib.push_str(&matrix_line("D_02:", d));
    }
    calib
}

impl<'a> Writers<'a> {
    pub fn new(
        out: &Path,
        formats: &[Format],
        ds: &'a NativeDataset,
        counts: [usize; 3],
    ) -> Writers<'a> {
        let mut frame_order: BTreeMap<(String, u32, u32), usize> = BTreeMap::new();
        let mut by_run: BTreeMap<(&str, u32), Vec<u32>> = BTreeMap::new();
        for f in &ds.frames {
            by_run
                .entry((&f.camera, f.variant))
                .or_default()
                .push(f.frame);
        }
        for ((camera, variant), mut frames) in by_run {
            frames.sort_unstable();
            for (i, frame) in frames.into_iter().enumerate() {
                frame_order.insert((camera.to_string(), variant, frame), i);
            }
        }
        Writers {
            out: out.to_path_buf(),
            formats: formats.to_vec(),
            ds,
            coco: BTreeMap::new(),
            tracking: BTreeMap::new(),
            frame_order,
            kitti_next: [0; 2],
            image_sets: BTreeMap::new(),
            counts,
        }
    }

    pub fn frame(&mut self, f: &ExportFrame<'_>) -> Result<(), ExportError> {
        for format in self.formats.clone() {
            match format {
                Format::Kitti => self.kitti(f)?,
                Format::KittiTracking => self.kitti_tracking(f)?,
                Format::Coco => self.coco(f)?,
                Format::Yolo => self.yolo(f)?,
                Format::Cityscapes => self.cityscapes(f)?,
            }
        }
        Ok(())
    }

    fn kitti(&mut self, f: &ExportFrame<'_>) -> Result<(), ExportError> {
        let folder = kitti_folder(f.split);
        let dir = self.out.join("kitti").join(folder);
        let slot = usize::from(folder == "testing");
        let name = format!("{:06}", self.kitti_next[slot]);
        self.kitti_next[slot] += 1;
        self.image_sets
            .entry(f.split)
            .or_default()
            .push(name.clone());
        copy(
            &self.ds.rgb_path(f.native),
            &dir.join("image_2").join(format!("{name}.png")),
        )?;
        let mut text = String::new();
        for o in &f.labels.objects {
            if let Some(line) = kitti_line(o) {
                text.push_str(&line);
                text.push('\n');
            }
        }
        write_atomic(
            &dir.join("label_2").join(format!("{name}.txt")),
            text.as_bytes(),
        )?;
        let calib = kitti_calib(f, CalibKeys::Object);
        write_atomic(
            &dir.join("calib").join(format!("{name}.txt")),
            calib.as_bytes(),
        )?;
        // Without a LiDAR in the rig the scan is empty: mmdetection3d's and OpenPCDet's
        // KITTI preparation require a velodyne file for every frame, even for camera
        // models.
        let lidar = f.native.lidar();
        let mut velo = Vec::new();
        if lidar.exists() {
            let bytes = std::fs::read(&lidar).map_err(|source| DatasetError::Read {
                path: lidar.clone(),
                source,
            })?;
            for p in drivegen_labels::lidar::decode(&bytes) {
                for v in [p.x, p.y, p.z, p.intensity] {
                    velo.extend_from_slice(&v.to_le_bytes());
                }
            }
        }
        write_atomic(&dir.join("velodyne").join(format!("{name}.bin")), &velo)?;
        Ok(())
    }

    fn kitti_tracking(&mut self, f: &ExportFrame<'_>) -> Result<(), ExportError> {
        let order = self
            .frame_order
            .get(&(f.native.camera.clone(), f.native.variant, f.native.frame))
            .copied()
            .unwrap_or(usize::MAX);
        let sequences = self.tracking.entry(f.split).or_default();
        let follows = sequences.last().is_some_and(|s| {
            s.variant == f.native.variant && s.last_order.checked_add(1) == Some(order)
        });
        if !follows {
            sequences.push(TrackingSequence {
                variant: f.native.variant,
                camera: f.native.camera.clone(),
                first_frame: f.native.frame,
                last_order: order,
                frames: 0,
                labels: String::new(),
            });
        }
        let seq_index = sequences.len() - 1;
        let Some(seq) = sequences.last_mut() else {
            return Ok(());
        };
        let frame = seq.frames;
        seq.frames += 1;
        seq.last_order = order;
        let dir = self.out.join("kitti_tracking").join(f.split.name());
        let seq_name = format!("{seq_index:04}");
        copy(
            &self.ds.rgb_path(f.native),
            &dir.join("image_02")
                .join(&seq_name)
                .join(format!("{frame:06}.png")),
        )?;
        if frame == 0 {
            write_atomic(
                &dir.join("calib").join(format!("{seq_name}.txt")),
                kitti_calib(f, CalibKeys::Tracking).as_bytes(),
            )?;
        }
        for o in &f.labels.objects {
            let Some(line) = kitti_line(o) else { continue };
            let mut fields = line.split(' ');
            let kind = fields.next().unwrap_or("DontCare");
            let rest: Vec<&str> = fields.collect();
            let track = if kind == "DontCare" {
                -1
            } else {
                i64::from(o.id)
            };
            // Tracking labels carry truncation as 0/1/2 levels.
            let trunc = if kind == "DontCare" {
                -1
            } else if o.truncation < 0.15 {
                0
            } else if o.truncation < 0.5 {
                1
            } else {
                2
            };
            let _ = writeln!(
                seq.labels,
                "{frame} {track} {kind} {trunc} {}",
                rest[1..].join(" ")
            );
        }
        Ok(())
    }

    fn coco(&mut self, f: &ExportFrame<'_>) -> Result<(), ExportError> {
        let file_name = format!("{}/{:06}.png", f.split.name(), f.index);
        copy(
            &self.ds.rgb_path(f.native),
            &self.out.join("coco").join(&file_name),
        )?;
        let (w, h) = f.instance.dimensions();
        let split = self.coco.entry(f.split).or_default();
        let image_id = split.images.len() + 1;
        split.images.push(json!({
            "id": image_id, "file_name": file_name, "width": w, "height": h,
            "variant": f.native.variant, "frame": f.native.frame,
        }));
        let runs = rle::runs_by_id(f.instance.as_raw(), w as usize, h as usize);
        for o in &f.labels.objects {
            let (Some(class), Some(b)) = (class_of(o), o.tight_box) else {
                continue;
            };
            let Some((category, _)) = class.detection_category() else {
                continue;
            };
            let Some(counts) = u16::try_from(o.id).ok().and_then(|id| runs.get(&id)) else {
                continue;
            };
            split.annotations.push(json!({
                "id": 0, "image_id": image_id, "category_id": category,
                "bbox": [b[0], b[1], b[2] - b[0], b[3] - b[1]],
                "area": o.visible_pixels,
                "segmentation": { "size": [h, w], "counts": rle::to_string(counts) },
                "iscrowd": 0, "track_id": o.id,
            }));
        }
        Ok(())
    }

    fn yolo(&mut self, f: &ExportFrame<'_>) -> Result<(), ExportError> {
        let dir = self.out.join("yolo");
        let name = format!("{:06}", f.index);
        copy(
            &self.ds.rgb_path(f.native),
            &dir.join("images")
                .join(f.split.name())
                .join(format!("{name}.png")),
        )?;
        let (w, h) = f.instance.dimensions();
        let (w, h) = (f64::from(w), f64::from(h));
        let mut text = String::new();
        for o in &f.labels.objects {
            let (Some(class), Some(b)) = (class_of(o), o.tight_box) else {
                continue;
            };
            let Some((category, _)) = class.detection_category() else {
                continue;
            };
            let _ = writeln!(
                text,
                "{} {:.6} {:.6} {:.6} {:.6}",
                category - 1,
                (b[0] + b[2]) / 2.0 / w,
                (b[1] + b[3]) / 2.0 / h,
                (b[2] - b[0]) / w,
                (b[3] - b[1]) / h
            );
        }
        write_atomic(
            &dir.join("labels")
                .join(f.split.name())
                .join(format!("{name}.txt")),
            text.as_bytes(),
        )?;
        Ok(())
    }

    fn cityscapes(&mut self, f: &ExportFrame<'_>) -> Result<(), ExportError> {
        let city = &cityscapes_city(&self.ds.run.scenario);
        // cityscapesScripts' names: city_sequence_frame, sequence and frame six digits.
        let stem = format!("{city}_{:06}_{:06}", f.native.variant, f.native.frame);
        let img_dir = self
            .out
            .join("cityscapes/leftImg8bit")
            .join(f.split.name())
            .join(city);
        let gt_dir = self
            .out
            .join("cityscapes/gtFine")
            .join(f.split.name())
            .join(city);
        copy(
            &self.ds.rgb_path(f.native),
            &img_dir.join(format!("{stem}_leftImg8bit.png")),
        )?;
        copy(
            &f.native.file("semantic", "png"),
            &gt_dir.join(format!("{stem}_gtFine_labelIds.png")),
        )?;
        // Depth is not a Cityscapes annotation: it sits beside gtFine, like `disparity/`.
        copy(
            &f.native.file("depth", "png"),
            &self
                .out
                .join("cityscapes/depth")
                .join(f.split.name())
                .join(city)
                .join(format!("{stem}_depth.png")),
        )?;
        let sem_path = f.native.file("semantic", "png");
        let sem = image::open(&sem_path)
            .map_err(|e| DatasetError::Format {
                path: sem_path,
                reason: e.to_string(),
            })?
            .into_luma8();
        let color = image::RgbImage::from_raw(
            sem.width(),
            sem.height(),
            drivegen_dataset::colorize(sem.as_raw()),
        )
        .ok_or_else(|| DatasetError::Format {
            path: gt_dir.clone(),
            reason: "size mismatch".into(),
        })?;
        let color_path = gt_dir.join(format!("{stem}_gtFine_color.png"));
        write_atomic(&color_path, &crate::png_bytes(&color, &color_path)?)?;
        // Things: labelId * 1000 + index of the instance among its class in this image.
        let mut next: BTreeMap<u8, u32> = BTreeMap::new();
        let mut value: BTreeMap<u16, u16> = BTreeMap::new();
        let mut objects: Vec<&Object> = f
            .labels
            .objects
            .iter()
            .filter(|o| o.visible_pixels > 0)
            .collect();
        objects.sort_by_key(|o| o.id);
        for o in objects {
            let label = o.cityscapes_id;
            let has = CITYSCAPES
                .get(usize::from(label))
                .is_some_and(|l| l.has_instances);
            let v = if has {
                let n = next.entry(label).or_default();
                *n += 1;
                u32::from(label) * 1000 + *n - 1
            } else {
                u32::from(label)
            };
            value.insert(o.id as u16, v as u16);
        }
        let ids = ImageBuffer::from_fn(sem.width(), sem.height(), |x, y| {
            let id = f.instance.get_pixel(x, y).0[0];
            Luma([value
                .get(&id)
                .copied()
                .unwrap_or(u16::from(sem.get_pixel(x, y).0[0]))])
        });
        png16(&gt_dir.join(format!("{stem}_gtFine_instanceIds.png")), &ids)
    }

    /// Writes the per-split files (COCO JSON, YOLO data.yaml, tracking label files).
    pub fn finish(self) -> Result<(), ExportError> {
        let categories: Vec<serde_json::Value> = DETECTION_CATEGORIES
            .iter()
            .enumerate()
            .map(|(i, name)| json!({ "id": i + 1, "name": name, "supercategory": if i < 2 { "human" } else if i < 7 { "vehicle" } else { "object" } }))
            .collect();
        if self.formats.contains(&Format::Coco) {
            let mut next_id = 1;
            for split in Split::ALL {
                let mut data = self
                    .coco
                    .get(&split)
                    .map(|c| (c.images.clone(), c.annotations.clone()))
                    .unwrap_or_default();
                for a in &mut data.1 {
                    a["id"] = json!(next_id);
                    next_id += 1;
                }
                let doc = json!({
                    "info": { "description": format!("drivegen {}", self.ds.run.scenario), "version": env!("CARGO_PKG_VERSION"), "images": crate::rgb_record(self.ds) },
                    "images": data.0, "annotations": data.1, "categories": categories,
                });
                let path = self
                    .out
                    .join("coco/annotations")
                    .join(format!("instances_{}.json", split.name()));
                write_atomic(&path, &serde_json::to_vec(&doc).unwrap_or_default())?;
            }
        }
        if self.formats.contains(&Format::Yolo) {
            write_atomic(
                &self.out.join("yolo/data.yaml"),
                yolo_yaml(self.counts).as_bytes(),
            )?;
        }
        if self.formats.contains(&Format::Kitti) {
            for split in Split::ALL {
                let mut list = self.image_sets.get(&split).cloned().unwrap_or_default();
                list.push(String::new());
                write_atomic(
                    &self
                        .out
                        .join("kitti/ImageSets")
                        .join(format!("{}.txt", split.name())),
                    list.join("\n").as_bytes(),
                )?;
            }
        }
        for (split, sequences) in &self.tracking {
            let dir = self.out.join("kitti_tracking").join(split.name());
            // TrackEval's seqmap (`<seq> empty <first> <last + 1>`) and where each
            // sequence came from in the native dataset.
            let mut seqmap = String::new();
            let mut origin = Vec::new();
            for (i, seq) in sequences.iter().enumerate() {
                write_atomic(
                    &dir.join("label_02").join(format!("{i:04}.txt")),
                    seq.labels.as_bytes(),
                )?;
                let _ = writeln!(seqmap, "{i:04} empty 000000 {:06}", seq.frames);
                origin.push(json!({
                    "sequence": format!("{i:04}"), "variant": seq.variant, "camera": seq.camera,
                    "first_frame": seq.first_frame, "frames": seq.frames,
                }));
            }
            write_atomic(&dir.join("seqmap.txt"), seqmap.as_bytes())?;
            write_atomic(
                &dir.join("sequences.json"),
                &serde_json::to_vec_pretty(&origin).unwrap_or_default(),
            )?;
        }
        Ok(())
    }
}

/// YOLO's `data.yaml`. No `path:` key: ultralytics then resolves the split folders
/// against the yaml's own directory (a relative `path` would be taken from the current
/// directory). Only filled splits are listed, as ultralytics rejects a missing folder;
/// it needs `val`, so a run without one validates on train.
pub fn yolo_yaml(counts: [usize; 3]) -> String {
    let filled: Vec<&str> = Split::ALL
        .into_iter()
        .filter(|s| counts[s.index()] > 0)
        .map(Split::name)
        .collect();
    let train = if counts[0] > 0 {
        "train"
    } else {
        filled.first().copied().unwrap_or("train")
    };
    let mut yaml =
        String::from("# drivegen YOLO export; split folders are relative to this file\n");
    let _ = writeln!(yaml, "train: images/{train}");
    if counts[1] > 0 {
        yaml.push_str("val: images/val\n");
    } else {
        let _ = writeln!(yaml, "val: images/{train} # no val split was exported");
    }
    if counts[2] > 0 {
        yaml.push_str("test: images/test\n");
    }
    let _ = writeln!(yaml, "nc: {}", DETECTION_CATEGORIES.len());
    yaml.push_str("names:\n");
    for (i, name) in DETECTION_CATEGORIES.iter().enumerate() {
        let _ = writeln!(yaml, "  {i}: {name}");
    }
    yaml
}

#[cfg(test)]
mod tests {
    use super::*;
    use drivegen_labels::objects::Box3d;

    fn car(z: f64) -> Object {
        Object {
            id: 7,
            class: "car".into(),
            cityscapes_id: 26,
            tight_box: Some([500.0, 200.0, 640.0, 384.0]),
            amodal_box: [500.0, 200.0, 640.0, 384.0],
            visible_pixels: 20_000,
            unoccluded_pixels: 20_000,
            visibility: 1.0,
            truncation: 0.4,
            occlusion: 0,
            box3d: Box3d {
                h: 1.5,
                w: 1.8,
                l: 4.5,
                x: 2.5,
                y: 1.5,
                z,
                rotation_y: -1.57,
            },
            alpha: 2.9,
            speed: 5.0,
            distance: 3.0,
            visible: true,
        }
    }

    #[test]
    fn an_object_centred_behind_the_camera_is_dont_care() {
        let line = kitti_line(&car(-0.45)).expect("a line");
        assert!(line.starts_with("DontCare "), "{line}");
        assert!(line.contains("-1000 -1000 -1000"));
        let line = kitti_line(&car(0.8)).expect("a line");
        assert!(line.starts_with("Car "), "{line}");
    }
}
