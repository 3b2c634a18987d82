//! One module per subcommand.

pub mod augment;
pub mod bench;
pub mod captions;
pub mod export;
pub mod merge;
pub mod plan;
pub mod progress;
pub mod query;
pub mod refine;
pub mod render;
pub mod report;
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

/// Writes `bytes` to `path` through a temporary file and a rename, so a reader never
/// sees a half-written file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use anyhow::Context;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create directory {}", dir.display()))?;
    }
    let tmp = path.with_extension("partial");
    std::fs::write(&tmp, bytes).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path)
        .with_context(|| format!("cannot move {} into place", path.display()))
}

/// The writer jobs for one engine frame: per camera its images and labels, and the LiDAR
/// sweep when there is one. `dir` is the variant's directory.
pub fn frame_jobs(
    plan: &drivegen_plan::ScenePlan,
    variant: u32,
    frame: drivegen_sim::Frame,
    dir: &Path,
    lut: &std::sync::Arc<Vec<u8>>,
) -> Vec<drivegen_dataset::Job> {
    use drivegen_dataset::{FrameJob, FrameLabels, Job};
    let mut jobs = Vec::new();
    if let Some(points) = frame.lidar {
        jobs.push(Job::Lidar {
            variant,
            frame: frame.index,
            path: dir.join("lidar").join(format!("{:06}.bin", frame.index)),
            points,
        });
    }
    for cam in frame.cameras {
        let caption = captions::caption(plan, frame.time, frame.ego.yaw, &cam);
        let labels = FrameLabels {
            frame: frame.index,
            time: frame.time,
            camera: cam.name.clone(),
            ego_pose: [frame.ego.x, frame.ego.y, frame.ego.yaw],
            ego_speed: frame.ego_speed,
            camera_to_world: cam.camera.world_from_camera.matrix3x4(),
            objects: cam.labels,
            collisions: frame.contacts.clone(),
            caption,
        };
        jobs.push(Job::Camera(Box::new(FrameJob {
            variant,
            dir: dir.join(&cam.name),
            frame: frame.index,
            width: cam.ids.width,
            height: cam.ids.height,
            rgba: cam.rgba,
            refined_rgb: None,
            ids: cam.ids.ids,
            depth: cam.ids.depth,
            semantic_lut: lut.clone(),
            labels,
        })));
    }
    jobs
}
