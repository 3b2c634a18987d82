//! The pinhole camera shared by the renderer and the labeler.
//!
//! Frames: world x east, y north, z up; ego x forward, y left, z up (origin on the
//! ground under the rear axle); camera x right, y down, z forward (OpenCV/KITTI).
//! Pixel (i, j) covers [i, i+1) x [j, j+1); its centre is at (i + 0.5, j + 0.5).

use drivegen_plan::CameraPlan;
use drivegen_plan::geom::Pose2;
use drivegen_scenario::Mount;
use serde::{Deserialize, Serialize};

use crate::math::{Iso3, M3, V3, v3};

/// Nearest depth the rasterizer draws (m).
pub const NEAR: f64 = 0.05;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Camera {
    pub width: u32,
    pub height: u32,
    /// The intrinsics of the ideal (pinhole) view the renderer and the rasterizer draw;
    /// through a lens, a wider view than the delivered image's (see [`Lens`]).
    pub fx: f64,
    pub fy: f64,
    pub cx: f64,
    pub cy: f64,
    /// Camera-to-world.
    pub world_from_camera: Iso3,
    /// Camera-to-ego.
    pub ego_from_camera: Iso3,
    /// The lens, when the camera has one: the sensor post-process (`crate::sensor`) warps
    /// the ideal view's images and labels into the image the lens delivers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lens: Option<Lens>,
}

/// A lens with Brown–Conrady distortion and the intrinsics of the image it delivers (the
/// camera's calibration).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Lens {
    /// (k1, k2, p1, p2, k3), OpenCV's order.
    pub distortion: [f64; 5],
    pub fx: f64,
    pub fy: f64,
    pub cx: f64,
    pub cy: f64,
}

/// Camera axes expressed in ego axes for a camera looking along ego +x.
fn ego_from_optical() -> M3 {
    M3::from_cols(v3(0.0, -1.0, 0.0), v3(0.0, 0.0, -1.0), v3(1.0, 0.0, 0.0))
}

/// The mount's pose on the ego: yaw left-positive, pitch down-positive, roll right-positive.
pub fn ego_from_mount(m: &Mount) -> Iso3 {
    let rotation = M3::rot_z(m.yaw.to_radians())
        .mul(&M3::rot_y(m.pitch.to_radians()))
        .mul(&M3::rot_x(m.roll.to_radians()));
    Iso3 {
        rotation,
        translation: v3(m.x, m.y, m.z),
    }
}

/// The ego's pose in the world (on the ground plane).
pub fn world_from_ego(pose: &Pose2) -> Iso3 {
    Iso3 {
        rotation: M3::rot_z(pose.yaw),
        translation: v3(pose.x, pose.y, 0.0),
    }
}

impl Camera {
    pub fn new(plan: &CameraPlan, ego: &Pose2) -> Camera {
        let mount = ego_from_mount(&plan.mount);
        let ego_from_camera = Iso3 {
            rotation: mount.rotation.mul(&ego_from_optical()),
            translation: mount.translation,
        };
        let camera = Camera {
            width: plan.width,
            height: plan.height,
            fx: plan.fx,
            fy: plan.fy,
            cx: plan.cx,
            cy: plan.cy,
            world_from_camera: world_from_ego(ego).then(&ego_from_camera),
            ego_from_camera,
            lens: None,
        };
        match plan.sensor.as_ref().and_then(|s| s.distortion) {
            Some(d) => camera.with_lens(d),
            None => camera,
        }
    }

    /// This camera (its intrinsics those of the delivered image) behind a lens with
    /// `distortion`: the ideal view widens, by the same factor on both axes, until it
    /// holds every point the lens shows in the image (up to twice the field; a stronger
    /// lens leaves void corners), so the delivered image has no holes.
    pub fn with_lens(mut self, distortion: [f64; 5]) -> Camera {
        let lens = Lens {
            distortion,
            fx: self.fx,
            fy: self.fy,
            cx: self.cx,
            cy: self.cy,
        };
        let zoom = crate::sensor::distortion::coverage_zoom(&lens, self.width, self.height);
        self.fx = lens.fx / zoom;
        self.fy = lens.fy / zoom;
        self.lens = Some(lens);
        self
    }

    /// The intrinsic matrix of the delivered image (the lens's, else [`Camera::k`]).
    pub fn image_k(&self) -> [[f64; 3]; 3] {
        match &self.lens {
            Some(l) => [[l.fx, 0.0, l.cx], [0.0, l.fy, l.cy], [0.0, 0.0, 1.0]],
            None => self.k(),
        }
    }

    /// A camera at an explicit pose (tests, tools).
    pub fn looking(width: u32, height: u32, hfov_deg: f64, world_from_camera: Iso3) -> Camera {
        let fx = (f64::from(width) / 2.0) / libm::tan(hfov_deg.to_radians() / 2.0);
        Camera {
            width,
            height,
            fx,
            fy: fx,
            cx: f64::from(width) / 2.0,
            cy: f64::from(height) / 2.0,
            world_from_camera,
            ego_from_camera: Iso3 {
                rotation: M3::IDENTITY,
                translation: v3(0.0, 0.0, 0.0),
            },
            lens: None,
        }
    }

    pub fn to_camera(&self, world: V3) -> V3 {
        let inv = self.world_from_camera.inverse();
        inv.apply(world)
    }

    /// Pixel coordinates of a camera-frame point (z must be positive).
    pub fn project_camera(&self, p: V3) -> (f64, f64) {
        (self.fx * p.x / p.z + self.cx, self.fy * p.y / p.z + self.cy)
    }

    /// Pixel coordinates and depth of a world point, `None` behind the near plane.
    pub fn project(&self, world: V3) -> Option<(f64, f64, f64)> {
        let p = self.to_camera(world);
        (p.z > NEAR).then(|| {
            let (u, v) = self.project_camera(p);
            (u, v, p.z)
        })
    }

    /// The intrinsic matrix K of the ideal view.
    pub fn k(&self) -> [[f64; 3]; 3] {
        [
            [self.fx, 0.0, self.cx],
            [0.0, self.fy, self.cy],
            [0.0, 0.0, 1.0],
        ]
    }
}
