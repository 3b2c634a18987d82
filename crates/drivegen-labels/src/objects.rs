//! Per-object labels: tight and amodal 2-D boxes, visibility, truncation, KITTI
//! occlusion level, 3-D box in camera coordinates, alpha, speed and distance.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::camera::Camera;
use crate::classes::Class;
use crate::math::{V3, v3};
use crate::raster::{IdDepth, Tri, box_triangles, clip_near, silhouette_pixels};
use crate::sensor::{Remap, lens_project, outline_samples};

/// An object to label: its 3-D box and the triangles it is drawn with.
#[derive(Clone, Debug)]
pub struct LabelObject<'a> {
    pub id: u32,
    pub class: Class,
    /// Bottom centre of the box, world frame.
    pub base: V3,
    pub yaw: f64,
    pub length: f64,
    pub width: f64,
    pub height: f64,
    pub speed: f64,
    pub tris: &'a [Tri],
}

/// KITTI's 3-D box: dimensions, bottom-centre location in camera coordinates, yaw about
/// the camera's y axis.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Box3d {
    pub h: f64,
    pub w: f64,
    pub l: f64,
    pub x: f64,
    pub y: f64,
    pub z: f64,
    pub rotation_y: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ObjectLabel {
    /// The actor or prop id: equal across frames (a track id) and in the instance image.
    pub id: u32,
    pub class: String,
    pub cityscapes_id: u8,
    /// [left, top, right, bottom] in pixels around the visible pixels; `None` when hidden.
    pub tight_box: Option<[f64; 4]>,
    /// The projected 3-D box, clipped to the image.
    pub amodal_box: [f64; 4],
    pub visible_pixels: u32,
    /// Pixels the object would cover inside the image with nothing in front of it.
    pub unoccluded_pixels: u32,
    /// `visible_pixels / unoccluded_pixels`.
    pub visibility: f64,
    /// Share of the projected box outside the image.
    pub truncation: f64,
    /// KITTI occlusion level: 0 visibility >= 0.8, 1 >= 0.4, 2 > 0, 3 not visible.
    pub occlusion: u8,
    pub box3d: Box3d,
    /// KITTI observation angle.
    pub alpha: f64,
    /// m/s.
    pub speed: f64,
    /// Camera centre to box centre (m).
    pub distance: f64,
    pub visible: bool,
}

/// Visible pixel count and pixel bounds (x0, y0, x1, y1 inclusive) per instance id.
pub fn instance_stats(raster: &IdDepth) -> BTreeMap<u16, (u32, [u32; 4])> {
    let mut out: BTreeMap<u16, (u32, [u32; 4])> = BTreeMap::new();
    let w = raster.width as usize;
    for (i, id) in raster.ids.iter().enumerate() {
        if *id == 0 {
            continue;
        }
        let (x, y) = ((i % w) as u32, (i / w) as u32);
        out.entry(*id)
            .and_modify(|(n, b)| {
                *n += 1;
                b[0] = b[0].min(x);
                b[1] = b[1].min(y);
                b[2] = b[2].max(x);
                b[3] = b[3].max(y);
            })
            .or_insert((1, [x, y, x, y]));
    }
    out
}

pub fn occlusion_level(visibility: f64, visible_pixels: u32) -> u8 {
    if visible_pixels == 0 {
        3
    } else if visibility >= 0.8 {
        0
    } else if visibility >= 0.4 {
        1
    } else {
        2
    }
}

fn wrap(a: f64) -> f64 {
    let mut r = a % std::f64::consts::TAU;
    if r > std::f64::consts::PI {
        r -= std::f64::consts::TAU;
    } else if r <= -std::f64::consts::PI {
        r += std::f64::consts::TAU;
    }
    r
}

/// The projected extent of an object (near-clipped), unclipped by the image: its box's,
/// widened to its triangles' where they reach past the box (a walker's swinging arm, a
/// street light's arm over the road), so the amodal box holds every visible pixel.
fn amodal_extent(cam: &Camera, o: &LabelObject<'_>) -> Option<[f64; 4]> {
    let inv = cam.world_from_camera.inverse();
    let mut b = [
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    ];
    for tri in box_triangles(o.base, o.yaw, o.length, o.width, o.height) {
        let c = [inv.apply(tri[0]), inv.apply(tri[1]), inv.apply(tri[2])];
        for p in outline_samples(cam, &clip_near(&c)) {
            let (u, v) = lens_project(cam, p);
            b = [b[0].min(u), b[1].min(v), b[2].max(u), b[3].max(v)];
        }
    }
    for tri in o.tris {
        let c = [inv.apply(tri[0]), inv.apply(tri[1]), inv.apply(tri[2])];
        let poly = clip_near(&c);
        for (i, a) in poly.iter().enumerate() {
            let next = poly[(i + 1) % poly.len()];
            // Through a lens an edge bends: sampled every few pixels of its length (a
            // pole's long edge bowed 2 px past its corners), where a small triangle's
            // corners alone bound it.
            let steps = match &cam.lens {
                None => 1,
                Some(_) => {
                    let (ua, va) = cam.project_camera(*a);
                    let (ub, vb) = cam.project_camera(next);
                    ((ua - ub).hypot(va - vb) / 4.0).ceil().clamp(1.0, 16.0) as u32
                }
            };
            for k in 0..steps {
                let (u, v) = lens_project(cam, a.lerp(next, f64::from(k) / f64::from(steps)));
                b = [b[0].min(u), b[1].min(v), b[2].max(u), b[3].max(v)];
            }
        }
    }
    b[0].is_finite().then_some(b)
}

/// Labels every object whose projected extent reaches into the image within
/// `max_distance`, and every object with visible pixels at any distance.
/// `raster` is the frame's ID pass; objects are returned in id order.
pub fn label_objects(
    cam: &Camera,
    raster: &IdDepth,
    objects: &[LabelObject<'_>],
    max_distance: f64,
) -> Vec<ObjectLabel> {
    // Through a lens the labels are those of the distorted view: the raster warped
    // with the map the sensor post-process applies to the images.
    let remap = Remap::for_camera(cam);
    let warped = remap.as_ref().map(|m| m.warp_id_depth(raster));
    let stats = instance_stats(warped.as_ref().unwrap_or(raster));
    let (w, h) = (f64::from(cam.width), f64::from(cam.height));
    let mut out = Vec::new();
    for o in objects {
        let center_world = o.base + v3(0.0, 0.0, o.height / 2.0);
        let center_cam = cam.to_camera(center_world);
        let distance = center_cam.length();
        let seen = u16::try_from(o.id).ok().and_then(|id| stats.get(&id));
        // Far objects are labelled when seen: a building 170 m off covers a thousand
        // pixels of the instance image, which must not go without a label.
        if distance > max_distance && seen.is_none() {
            continue;
        }
        let Some(full) = amodal_extent(cam, o) else {
            continue;
        };
        let clipped = [
            full[0].clamp(0.0, w),
            full[1].clamp(0.0, h),
            full[2].clamp(0.0, w),
            full[3].clamp(0.0, h),
        ];
        let area = |b: &[f64; 4]| (b[2] - b[0]).max(0.0) * (b[3] - b[1]).max(0.0);
        if area(&clipped) <= 0.0 {
            continue;
        }
        let truncation = (1.0 - area(&clipped) / area(&full).max(1e-12)).clamp(0.0, 1.0);
        let (visible_pixels, tight_box) = match seen {
            Some((n, b)) => (
                *n,
                Some([
                    f64::from(b[0]),
                    f64::from(b[1]),
                    f64::from(b[2] + 1),
                    f64::from(b[3] + 1),
                ]),
            ),
            None => (0, None),
        };
        let unoccluded_pixels = match &remap {
            Some(m) => m.silhouette_pixels(cam, o.tris),
            None => silhouette_pixels(cam, o.tris),
        }
        .max(visible_pixels);
        let visibility = if unoccluded_pixels == 0 {
            0.0
        } else {
            f64::from(visible_pixels) / f64::from(unoccluded_pixels)
        };
        let bottom = cam.to_camera(o.base);
        let forward_world = v3(libm::cos(o.yaw), libm::sin(o.yaw), 0.0);
        let f = cam
            .world_from_camera
            .inverse()
            .rotation
            .mul_v(forward_world);
        let rotation_y = libm::atan2(-f.z, f.x);
        let alpha = wrap(rotation_y - libm::atan2(bottom.x, bottom.z));
        out.push(ObjectLabel {
            id: o.id,
            class: o.class.name(),
            cityscapes_id: o.class.cityscapes_id(),
            tight_box,
            amodal_box: clipped,
            visible_pixels,
            unoccluded_pixels,
            visibility,
            truncation,
            occlusion: occlusion_level(visibility, visible_pixels),
            box3d: Box3d {
                h: o.height,
                w: o.width,
                l: o.length,
                x: bottom.x,
                y: bottom.y,
                z: bottom.z,
                rotation_y,
            },
            alpha,
            speed: o.speed,
            distance,
            visible: visible_pixels > 0,
        });
    }
    out.sort_by_key(|l| l.id);
    out
}
