//! Shared by the analytic label tests: a level camera, and boxes at known poses
//! rasterised and labelled exactly as the label pass does it.
#![allow(dead_code)]

use drivegen_labels::camera::Camera;
use drivegen_labels::math::{Iso3, M3, V3, v3};
use drivegen_labels::{
    Class, IdDepth, LabelObject, ObjectLabel, Tri, box_triangles, label_objects,
};
use drivegen_scenario::VehicleClass;

/// A level pinhole camera 1.5 m above the origin looking along world +x, 90° across.
pub fn level_camera(width: u32, height: u32) -> Camera {
    let rotation = M3::from_cols(v3(0.0, -1.0, 0.0), v3(0.0, 0.0, -1.0), v3(1.0, 0.0, 0.0));
    Camera::looking(
        width,
        height,
        90.0,
        Iso3 {
            rotation,
            translation: v3(0.0, 0.0, 1.5),
        },
    )
}

/// A car-classed box standing on the ground.
pub struct Obj {
    pub id: u32,
    pub base: V3,
    pub yaw: f64,
    /// Length, width, height (m).
    pub size: (f64, f64, f64),
    pub tris: Vec<Tri>,
}

pub fn obj(id: u32, base: V3, yaw: f64, size: (f64, f64, f64)) -> Obj {
    Obj {
        id,
        base,
        yaw,
        size,
        tris: box_triangles(base, yaw, size.0, size.1, size.2),
    }
}

/// The instance/depth raster of `objs` seen by `cam` and their labels.
pub fn render(cam: &Camera, objs: &[Obj]) -> (IdDepth, Vec<ObjectLabel>) {
    let mut raster = IdDepth::new(cam.width, cam.height);
    for o in objs {
        raster.draw(cam, &o.tris, o.id as u16);
    }
    let objects: Vec<LabelObject<'_>> = objs
        .iter()
        .map(|o| LabelObject {
            id: o.id,
            class: Class::Vehicle(VehicleClass::Car),
            base: o.base,
            yaw: o.yaw,
            length: o.size.0,
            width: o.size.1,
            height: o.size.2,
            speed: 0.0,
            tris: &o.tris,
        })
        .collect();
    let labels = label_objects(cam, &raster, &objects, 200.0);
    (raster, labels)
}

/// Centroid (pixel centres) of the pixels of a `width` x `height` image where `weight`
/// (by pixel index) is positive.
pub fn centroid(width: u32, height: u32, weight: impl Fn(usize) -> f64) -> (f64, f64) {
    let (w, h) = (width as usize, height as usize);
    let (mut sx, mut sy, mut sw) = (0.0, 0.0, 0.0);
    for j in 0..h {
        for i in 0..w {
            let wt = weight(j * w + i);
            if wt > 0.0 {
                sx += wt * (i as f64 + 0.5);
                sy += wt * (j as f64 + 0.5);
                sw += wt;
            }
        }
    }
    assert!(sw > 0.0, "nothing to take a centroid of");
    (sx / sw, sy / sw)
}
