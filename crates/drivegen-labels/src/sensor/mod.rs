//! The camera sensor model applied after rendering: lens distortion (the same map for
//! RGB and every label image, boxes recomputed from the warped masks in
//! [`crate::objects`]) and the image pipeline on RGB only (chromatic aberration,
//! defocus, exposure, white balance, vignetting, shot and read noise).
//!
//! Nothing here draws at random: the parameters come from the plan, and the noise is a
//! hash of (the plan's per-camera noise seed, frame, camera, pixel), so a frame's RGB is
//! the same whatever thread or order renders it.

pub mod distortion;
pub mod isp;
pub mod optics;

use drivegen_plan::SensorPlan;

use crate::camera::Camera;
use crate::raster::IdDepth;

pub use distortion::{Distortion, Remap, lens_project, outline_samples};

/// Carries one camera's capture into what the sensor delivers: warps `ids` (when it is
/// the camera's size) and `rgba` through the lens, then runs the image pipeline on
/// `rgba`. A camera without a sensor model is left untouched.
pub fn apply(
    cam: &Camera,
    sensor: Option<&SensorPlan>,
    frame: u32,
    camera: u32,
    rgba: Option<&mut Vec<u8>>,
    ids: &mut IdDepth,
) {
    let Some(sensor) = sensor else {
        return;
    };
    let remap = Remap::for_camera(cam);
    if let Some(map) = &remap
        && ids.width == cam.width
        && ids.height == cam.height
    {
        *ids = map.warp_id_depth(ids);
    }
    if let Some(rgba) = rgba {
        if let Some(map) = &remap {
            *rgba = map.warp_rgba(rgba);
        }
        isp::develop(rgba, cam, sensor, frame, camera);
    }
}
