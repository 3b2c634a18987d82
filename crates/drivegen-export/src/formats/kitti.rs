//! KITTI's object and tracking layouts: label lines, calibration files, the object
//! benchmark's training/testing folders and ImageSets, and tracking sequences.

use std::fmt::Write as _;

use drivegen_dataset::{DatasetError, write_atomic};
use drivegen_labels::math::Iso3;
use serde_json::json;

use super::{ExportFrame, Object, Writers, class_of, copy};
use crate::{ExportError, Format, Split};

/// Objects whose visible box is shorter than this (px), or that are less than this
/// visible, are written as KITTI `DontCare` regions.
pub const KITTI_MIN_HEIGHT: f64 = 15.0;
pub const KITTI_MIN_VISIBILITY: f64 = 0.1;

/// One KITTI tracking sequence: an unbroken run of one variant's frames within a split.
/// A variant split into time blocks gives one sequence per block, numbered from frame 0,
/// so a tracker never sees a jump in time inside a sequence.
#[derive(Debug)]
pub(super) struct TrackingSequence {
    variant: u32,
    camera: String,
    first_frame: u32,
    last_order: usize,
    frames: usize,
    labels: String,
}

/// The KITTI object folder of a split: mmdetection3d and OpenPCDet read train and val
/// from `training/` (selected by `ImageSets/`) and test from `testing/`.
fn kitti_folder(split: Split) -> &'static str {
    match split {
        Split::Train | Split::Val => "training",
        Split::Test => "testing",
    }
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

impl Writers<'_> {
    pub(super) fn kitti(&mut self, f: &ExportFrame<'_>) -> Result<(), ExportError> {
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

    pub(super) fn kitti_tracking(&mut self, f: &ExportFrame<'_>) -> Result<(), ExportError> {
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

    /// The object benchmark's ImageSets, and each tracking split's label files, seqmap
    /// and sequences.json.
    pub(super) fn finish_kitti(&self) -> Result<(), ExportError> {
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
