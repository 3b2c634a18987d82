//! The camera sensor model applied after rendering: lens distortion (the same map for
//! RGB and every label image, boxes recomputed from the warped masks in
//! [`crate::objects`]) and the image pipeline on RGB only (chromatic aberration,
//! glare, defocus, motion blur, auto-exposure and exposure, white balance, vignetting,
//! shot and read noise, chroma blur, JPEG compression), and the streaks falling rain leaves (`rain.rs`).
//!
//! Nothing here draws at random: the parameters come from the plan, and the noise is a
//! hash of (the plan's per-camera noise seed, frame, camera, pixel), so a frame's RGB is
//! the same whatever thread or order renders it.

pub mod distortion;
pub mod isp;
pub mod jpeg;
pub mod optics;
pub mod rain;
pub mod spray;

use drivegen_plan::SensorPlan;

use crate::camera::Camera;
use crate::raster::IdDepth;

pub use distortion::{Distortion, Remap, lens_project, outline_samples};

/// JFIF YCbCr of 8-bit-scale RGB (luma, then chroma centred on 0), as a camera's
/// processor and a JPEG encoder hold an image; shared by the chroma blur and JPEG.
fn jfif_ycbcr([r, g, b]: [f32; 3]) -> [f32; 3] {
    [
        0.299 * r + 0.587 * g + 0.114 * b,
        -0.168_736 * r - 0.331_264 * g + 0.5 * b,
        0.5 * r - 0.418_688 * g - 0.081_312 * b,
    ]
}

/// The inverse of [`jfif_ycbcr`], rounded and clamped to 8 bits.
fn jfif_rgb8([y, cb, cr]: [f32; 3]) -> [u8; 3] {
    [
        y + 1.402 * cr,
        y - 0.344_136 * cb - 0.714_136 * cr,
        y + 1.772 * cb,
    ]
    .map(|v| (v + 0.5).clamp(0.0, 255.0) as u8)
}

/// Carries one camera's capture into what the sensor delivers: warps `ids` (when it is
/// the camera's size) and `rgba` through the lens, then runs the image pipeline on
/// `rgba`; with an exposure time, the RGB is blurred along each pixel's motion for an ego
/// moving forwards at `ego_speed` (m/s), from the warped depth. A camera without a
/// sensor model is left untouched.
pub fn apply(
    cam: &Camera,
    sensor: Option<&SensorPlan>,
    frame: u32,
    camera: u32,
    rgba: Option<&mut Vec<u8>>,
    ids: &mut IdDepth,
    ego_speed: f64,
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
        // The ego's velocity in camera axes; motion blur needs a depth per pixel.
        let velocity = cam
            .ego_from_camera
            .inverse()
            .rotation
            .mul_v(crate::math::v3(ego_speed, 0.0, 0.0));
        let motion =
            (ids.width == cam.width && ids.height == cam.height && ego_speed != 0.0).then(|| {
                optics::Motion {
                    depth: &ids.depth,
                    velocity,
                }
            });
        isp::develop_moving(rgba, cam, sensor, frame, camera, motion);
    }
}
