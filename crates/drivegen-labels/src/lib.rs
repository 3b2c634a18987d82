//! Labels that are right: the camera model shared with the renderer, a CPU ID/depth pass,
//! the Cityscapes classes, and per-object labels (tight and amodal boxes, visibility,
//! truncation, KITTI occlusion, 3-D boxes), and the camera sensor model applied after
//! rendering (lens distortion of RGB and labels alike, noise and the image pipeline).
//!
//! This crate never depends on Bevy: labels are computed from geometry, so they are exact,
//! identical on every machine, and testable against analytic ground truth.

pub mod camera;
pub mod classes;
pub mod filter;
pub mod lidar;
pub mod math;
pub mod objects;
pub mod raster;
pub mod sensor;

pub use camera::{Camera, Lens};
pub use classes::{CITYSCAPES, CityscapesLabel, Class};
pub use objects::{Box3d, LabelObject, ObjectLabel, label_objects};
pub use raster::{IdDepth, Tri, box_triangles};
