//! From an engine frame to the dataset writer's jobs.

use std::path::Path;
use std::sync::Arc;

use drivegen_dataset::{FrameJob, FrameLabels, Job};

use crate::captions;

/// The writer jobs for one engine frame: per camera its images and labels, and the LiDAR
/// sweep when there is one. `dir` is the variant's directory.
pub fn frame_jobs(
    plan: &drivegen_plan::ScenePlan,
    variant: u32,
    frame: drivegen_sim::Frame,
    dir: &Path,
    lut: &Arc<Vec<u8>>,
) -> Vec<Job> {
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
        let caption = captions::caption(plan, frame.time, frame.ego.yaw, &cam, &frame.contacts);
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
            events: frame
                .events
                .iter()
                .map(|e| drivegen_dataset::EventLabel {
                    name: e.name.clone(),
                    action: e.action.to_string(),
                    actor: e.actor,
                })
                .collect(),
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
