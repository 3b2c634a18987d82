//! The image pipeline on RGB (filled in with the photometric sensor model).

use drivegen_plan::SensorPlan;

use crate::camera::Camera;

/// Exposure, vignetting, noise and white balance on an sRGB RGBA8 image.
pub fn develop(_rgba: &mut [u8], _cam: &Camera, _sensor: &SensorPlan, _frame: u32, _camera: u32) {}
