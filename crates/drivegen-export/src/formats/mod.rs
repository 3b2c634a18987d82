//! The per-format writers. Each frame is handed to every requested format in turn; COCO
//! and YOLO's per-split files are written at the end. KITTI (object and tracking) lives
//! in [`kitti`].

mod kitti;

use kitti::TrackingSequence;
pub use kitti::{KITTI_MIN_HEIGHT, KITTI_MIN_VISIBILITY, kitti_line};

use drivegen_dataset::DatasetError;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use drivegen_dataset::write_atomic;
use drivegen_labels::classes::DETECTION_CATEGORIES;
use drivegen_labels::{CITYSCAPES, Class};
use image::{ImageBuffer, Luma};
use serde_json::json;

use crate::{ExportError, Format, Split, rle};
use drivegen_dataset::{CameraCalibration, FrameLabels, NativeDataset, NativeFrame};
use drivegen_labels::ObjectLabel as Object;

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
        self.finish_kitti()?;
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
