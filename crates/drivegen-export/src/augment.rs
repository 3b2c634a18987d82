//! Label-consistent augmentation: one random similarity transform (flip, scale, small
//! rotation, shift) applied to the image and every label image together, colour jitter
//! and sensor noise on the image only, and 2-D boxes recomputed from the transformed
//! instance mask. Draws come from a ChaCha8 stream per (seed, variant, frame, copy).

use drivegen_dataset::DatasetError;
use std::collections::BTreeMap;
use std::path::Path;

use drivegen_dataset::{Journal, JournalEntry, file_record, write_atomic};
use image::{ImageBuffer, Luma, Rgb, RgbImage};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};

use crate::{ExportError, NativeDataset, png_bytes};

/// What one augmented copy did (stored in its labels as `augmentation`).
#[derive(Clone, Debug, serde::Serialize)]
pub struct Augmentation {
    pub flip: bool,
    pub scale: f64,
    pub rotation_deg: f64,
    pub shift: [f64; 2],
    pub brightness: f64,
    pub contrast: f64,
    pub saturation: f64,
    pub noise_std: f64,
    /// Output pixel = forward * (input pixel, 1); 2x3 row-major.
    pub forward: [[f64; 3]; 2],
}

impl Augmentation {
    pub fn draw(rng: &mut ChaCha8Rng, width: u32, height: u32) -> Augmentation {
        let flip = rng.random_bool(0.5);
        let scale = rng.random_range(0.85..1.2);
        let rotation_deg: f64 = rng.random_range(-5.0..5.0);
        let shift = [
            rng.random_range(-0.08..0.08) * f64::from(width),
            rng.random_range(-0.08..0.08) * f64::from(height),
        ];
        let (cx, cy) = (f64::from(width) / 2.0, f64::from(height) / 2.0);
        let (s, c) = rotation_deg.to_radians().sin_cos();
        let fx = if flip { -1.0 } else { 1.0 };
        // p' = R S F (p - c) + c + shift
        let forward = [
            [
                scale * c * fx,
                -scale * s,
                cx + shift[0] - scale * (c * fx * cx - s * cy),
            ],
            [
                scale * s * fx,
                scale * c,
                cy + shift[1] - scale * (s * fx * cx + c * cy),
            ],
        ];
        Augmentation {
            flip,
            scale,
            rotation_deg,
            shift,
            brightness: rng.random_range(0.8..1.2),
            contrast: rng.random_range(0.8..1.2),
            saturation: rng.random_range(0.8..1.2),
            noise_std: rng.random_range(0.0..4.0),
            forward,
        }
    }

    fn inverse(&self) -> [[f64; 3]; 2] {
        let [[a, b, tx], [c, d, ty]] = self.forward;
        let det = a * d - b * c;
        let (ia, ib, ic, id) = (d / det, -b / det, -c / det, a / det);
        [
            [ia, ib, -(ia * tx + ib * ty)],
            [ic, id, -(ic * tx + id * ty)],
        ]
    }

    /// Source position of an output pixel centre.
    fn source(&self, inv: &[[f64; 3]; 2], x: u32, y: u32) -> (f64, f64) {
        let (px, py) = (f64::from(x) + 0.5, f64::from(y) + 0.5);
        (
            inv[0][0] * px + inv[0][1] * py + inv[0][2],
            inv[1][0] * px + inv[1][1] * py + inv[1][2],
        )
    }

    fn apply(&self, p: (f64, f64)) -> (f64, f64) {
        let f = &self.forward;
        (
            f[0][0] * p.0 + f[0][1] * p.1 + f[0][2],
            f[1][0] * p.0 + f[1][1] * p.1 + f[1][2],
        )
    }
}

fn nearest<P: image::Pixel>(img: &ImageBuffer<P, Vec<P::Subpixel>>, sx: f64, sy: f64) -> Option<P> {
    let (x, y) = (sx.floor(), sy.floor());
    (x >= 0.0 && y >= 0.0 && x < f64::from(img.width()) && y < f64::from(img.height()))
        .then(|| *img.get_pixel(x as u32, y as u32))
}

fn bilinear(img: &RgbImage, sx: f64, sy: f64) -> Option<[f64; 3]> {
    let (w, h) = (f64::from(img.width()), f64::from(img.height()));
    if sx < 0.0 || sy < 0.0 || sx >= w || sy >= h {
        return None;
    }
    let (fx, fy) = (
        (sx - 0.5).clamp(0.0, w - 1.0),
        (sy - 0.5).clamp(0.0, h - 1.0),
    );
    let (x0, y0) = (fx.floor() as u32, fy.floor() as u32);
    let (x1, y1) = (
        (x0 + 1).min(img.width() - 1),
        (y0 + 1).min(img.height() - 1),
    );
    let (tx, ty) = (fx - f64::from(x0), fy - f64::from(y0));
    let mut out = [0.0; 3];
    for (k, o) in out.iter_mut().enumerate() {
        let p = |x, y| f64::from(img.get_pixel(x, y).0[k]);
        *o = (p(x0, y0) * (1.0 - tx) + p(x1, y0) * tx) * (1.0 - ty)
            + (p(x0, y1) * (1.0 - tx) + p(x1, y1) * tx) * ty;
    }
    Some(out)
}

fn open(path: &Path) -> Result<image::DynamicImage, ExportError> {
    Ok(image::open(path).map_err(|e| DatasetError::Format {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?)
}

/// One object's 2-D labels in an augmented copy. The tight box and visible pixels come
/// from the transformed instance mask; truncation from the part of the transformed box
/// left in the frame. The unoccluded silhouette is not in the dataset, so its pixel count
/// is scaled by the share of the box that stays in view (it assumes the silhouette fills
/// its box evenly), which keeps visibility an occlusion measure: a car pushed half out of
/// the frame keeps its visibility, a sliver left at the edge does not become "fully
/// visible". Returns whether any of the object's box is left in the frame.
fn relabel(
    o: &mut serde_json::Value,
    aug: &Augmentation,
    (w, h): (u32, u32),
    stats: &BTreeMap<u16, (u32, [u32; 4])>,
) -> bool {
    let id = o["id"].as_u64().and_then(|v| u16::try_from(v).ok());
    let (visible, tight) = match id.and_then(|id| stats.get(&id)) {
        Some((count, b)) => (*count, serde_json::json!([b[0], b[1], b[2] + 1, b[3] + 1])),
        None => (0, serde_json::Value::Null),
    };
    o["tight_box"] = tight;
    o["visible_pixels"] = serde_json::json!(visible);
    o["visible"] = serde_json::json!(visible > 0);
    let Some(a) = o["amodal_box"].as_array().and_then(|a| {
        let v: Vec<f64> = a.iter().filter_map(serde_json::Value::as_f64).collect();
        <[f64; 4]>::try_from(v).ok()
    }) else {
        return visible > 0;
    };
    let corners = [(a[0], a[1]), (a[2], a[1]), (a[2], a[3]), (a[0], a[3])].map(|p| aug.apply(p));
    let (fw, fh) = (f64::from(w), f64::from(h));
    let in_view = clip_to_frame(&corners, fw, fh);
    let extent = |pts: &[(f64, f64)]| {
        pts.iter().fold(
            [
                f64::INFINITY,
                f64::INFINITY,
                f64::NEG_INFINITY,
                f64::NEG_INFINITY,
            ],
            |b, p| [b[0].min(p.0), b[1].min(p.1), b[2].max(p.0), b[3].max(p.1)],
        )
    };
    let area = polygon_area(&in_view);
    if area <= 0.0 && visible == 0 {
        return false;
    }
    let b = extent(if in_view.is_empty() {
        &corners
    } else {
        &in_view
    });
    o["amodal_box"] = serde_json::json!([
        b[0].clamp(0.0, fw),
        b[1].clamp(0.0, fh),
        b[2].clamp(0.0, fw),
        b[3].clamp(0.0, fh)
    ]);
    let old_area = (a[2] - a[0]).max(0.0) * (a[3] - a[1]).max(0.0);
    let kept = if old_area > 0.0 {
        (area / (aug.scale * aug.scale * old_area)).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let old_truncation = o["truncation"].as_f64().unwrap_or(0.0).clamp(0.0, 1.0);
    o["truncation"] = serde_json::json!(1.0 - (1.0 - old_truncation) * kept);
    let old_unoccluded = o["unoccluded_pixels"].as_f64().unwrap_or(0.0);
    let unoccluded = ((old_unoccluded * aug.scale * aug.scale * kept).round() as u32).max(visible);
    let visibility = if unoccluded == 0 {
        0.0
    } else {
        f64::from(visible) / f64::from(unoccluded)
    };
    o["unoccluded_pixels"] = serde_json::json!(unoccluded);
    o["visibility"] = serde_json::json!(visibility);
    o["occlusion"] = serde_json::json!(drivegen_labels::objects::occlusion_level(
        visibility, visible
    ));
    true
}

/// The part of a convex polygon inside the frame `[0, w] x [0, h]` (Sutherland–Hodgman).
fn clip_to_frame(poly: &[(f64, f64)], w: f64, h: f64) -> Vec<(f64, f64)> {
    let mut pts = poly.to_vec();
    for edge in 0..4 {
        // Signed distance inside the left, right, top and bottom edge.
        let inside = |p: (f64, f64)| match edge {
            0 => p.0,
            1 => w - p.0,
            2 => p.1,
            _ => h - p.1,
        };
        let mut next = Vec::with_capacity(pts.len() + 2);
        for (i, &p) in pts.iter().enumerate() {
            let q = pts[(i + 1) % pts.len()];
            let (dp, dq) = (inside(p), inside(q));
            if dp >= 0.0 {
                next.push(p);
            }
            if (dp >= 0.0) != (dq >= 0.0) {
                let t = dp / (dp - dq);
                next.push((p.0 + t * (q.0 - p.0), p.1 + t * (q.1 - p.1)));
            }
        }
        pts = next;
        if pts.is_empty() {
            break;
        }
    }
    pts
}

fn polygon_area(poly: &[(f64, f64)]) -> f64 {
    let n = poly.len();
    (0..n)
        .map(|i| {
            let (p, q) = (poly[i], poly[(i + 1) % n]);
            p.0 * q.1 - q.0 * p.1
        })
        .sum::<f64>()
        .abs()
        / 2.0
}

/// Writes `copies` augmented copies of every frame of `ds` under `out`, as cameras
/// `<camera>_aug<k>`. Returns the number of samples written.
pub fn augment(
    ds: &NativeDataset,
    out: &Path,
    copies: u32,
    seed: u64,
) -> Result<usize, ExportError> {
    if !ds.run.rgb {
        return Err(ExportError::NoRgb("augment"));
    }
    let journal = Journal::open(out, false)?;
    let mut n = 0;
    for f in &ds.frames {
        let rgb = open(&ds.rgb_path(f))?.into_rgb8();
        let inst = ds.instance(f)?;
        let sem = open(&f.file("semantic", "png"))?.into_luma8();
        let depth = open(&f.file("depth", "png"))?.into_luma16();
        let label_path = f.file("labels", "json");
        let labels: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&label_path).map_err(|source| {
                DatasetError::Read {
                    path: label_path.clone(),
                    source,
                }
            })?)
            .map_err(|e| DatasetError::Format {
                path: label_path.clone(),
                reason: e.to_string(),
            })?;
        let (w, h) = rgb.dimensions();
        for k in 0..copies {
            let key =
                seed ^ (u64::from(f.variant) << 40) ^ (u64::from(f.frame) << 8) ^ u64::from(k);
            let mut rng = ChaCha8Rng::seed_from_u64(key);
            let aug = Augmentation::draw(&mut rng, w, h);
            let inv = aug.inverse();
            let noise =
                Normal::new(0.0, aug.noise_std.max(1e-9)).map_err(|e| DatasetError::Format {
                    path: label_path.clone(),
                    reason: e.to_string(),
                })?;
            let mut out_rgb = RgbImage::new(w, h);
            let mut out_inst: ImageBuffer<Luma<u16>, Vec<u16>> = ImageBuffer::new(w, h);
            let mut out_sem: ImageBuffer<Luma<u8>, Vec<u8>> = ImageBuffer::new(w, h);
            let mut out_depth: ImageBuffer<Luma<u16>, Vec<u16>> = ImageBuffer::new(w, h);
            let mut stats: BTreeMap<u16, (u32, [u32; 4])> = BTreeMap::new();
            for y in 0..h {
                for x in 0..w {
                    let (sx, sy) = aug.source(&inv, x, y);
                    if let Some(c) = bilinear(&rgb, sx, sy) {
                        let grey = (c[0] + c[1] + c[2]) / 3.0;
                        let px = c.map(|v| {
                            let sat = grey + (v - grey) * aug.saturation;
                            let con = (sat - 128.0) * aug.contrast + 128.0;
                            (con * aug.brightness + noise.sample(&mut rng))
                                .round()
                                .clamp(0.0, 255.0) as u8
                        });
                        out_rgb.put_pixel(x, y, Rgb(px));
                    }
                    if let Some(id) = nearest(&inst, sx, sy) {
                        out_inst.put_pixel(x, y, id);
                        let id = id.0[0];
                        if id != 0 {
                            stats
                                .entry(id)
                                .and_modify(|(n, b)| {
                                    *n += 1;
                                    *b = [b[0].min(x), b[1].min(y), b[2].max(x), b[3].max(y)];
                                })
                                .or_insert((1, [x, y, x, y]));
                        }
                    }
                    if let Some(s) = nearest(&sem, sx, sy) {
                        out_sem.put_pixel(x, y, s);
                    }
                    if let Some(d) = nearest(&depth, sx, sy) {
                        out_depth.put_pixel(x, y, d);
                    }
                }
            }
            let mut doc = labels.clone();
            if let Some(objs) = doc["objects"].as_array_mut() {
                // As in a render, an object whose box left the frame is not listed.
                objs.retain_mut(|o| relabel(o, &aug, (w, h), &stats));
            }
            doc["camera"] = serde_json::json!(format!("{}_aug{k}", f.camera));
            doc["augmentation"] = serde_json::json!({
                "of": format!("v{:03}/{}/{:06}", f.variant, f.camera, f.frame),
                "params": aug,
                "note": "3-D boxes, depth values and calibration describe the unaugmented view; \
                         unoccluded_pixels (and so visibility) is estimated from the share of \
                         the object's box that stays in the frame",
            });
            let dir = out
                .join(format!("v{:03}", f.variant))
                .join(format!("{}_aug{k}", f.camera));
            let name = format!("{:06}", f.frame);
            let mut files = Vec::new();
            let mut put = |kind: &str, ext: &str, bytes: Vec<u8>| -> Result<(), ExportError> {
                let path = dir.join(kind).join(format!("{name}.{ext}"));
                write_atomic(&path, &bytes)?;
                files.push(file_record(out, &path, &bytes));
                Ok(())
            };
            put("rgb", "png", png_bytes(&out_rgb, &dir)?)?;
            put("instance", "png", png_bytes(&out_inst, &dir)?)?;
            put("semantic", "png", png_bytes(&out_sem, &dir)?)?;
            put("depth", "png", png_bytes(&out_depth, &dir)?)?;
            put(
                "labels",
                "json",
                serde_json::to_vec_pretty(&doc).unwrap_or_default(),
            )?;
            journal.push(&JournalEntry {
                variant: f.variant,
                frame: f.frame,
                sensor: format!("{}_aug{k}", f.camera),
                files,
            })?;
            n += 1;
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shift_only(dx: f64, scale: f64) -> Augmentation {
        Augmentation {
            flip: false,
            scale,
            rotation_deg: 0.0,
            shift: [dx, 0.0],
            brightness: 1.0,
            contrast: 1.0,
            saturation: 1.0,
            noise_std: 0.0,
            forward: [[scale, 0.0, dx], [0.0, scale, 0.0]],
        }
    }

    fn car(visible_now: u32) -> (serde_json::Value, BTreeMap<u16, (u32, [u32; 4])>) {
        // A 40 x 20 px box whose silhouette covers 600 px, 480 of them visible (0.8).
        let o = serde_json::json!({
            "id": 7, "amodal_box": [100.0, 50.0, 140.0, 70.0],
            "visible_pixels": 480, "unoccluded_pixels": 600, "visibility": 0.8,
            "truncation": 0.0, "occlusion": 0,
        });
        let mut stats = BTreeMap::new();
        if visible_now > 0 {
            stats.insert(7, (visible_now, [0, 50, 19, 69]));
        }
        (o, stats)
    }

    #[test]
    fn half_a_car_pushed_out_of_the_frame_is_half_truncated_and_as_visible_as_before() {
        let (mut o, stats) = car(240);
        // x 100..140 -> -20..20: half the box leaves the frame's left edge.
        assert!(relabel(
            &mut o,
            &shift_only(-120.0, 1.0),
            (320, 200),
            &stats
        ));
        assert!(
            (o["truncation"].as_f64().expect("number") - 0.5).abs() < 1e-9,
            "{o}"
        );
        assert_eq!(o["unoccluded_pixels"], 300);
        assert!(
            (o["visibility"].as_f64().expect("number") - 0.8).abs() < 1e-9,
            "{o}"
        );
        assert_eq!(o["occlusion"], 0);
        assert_eq!(o["amodal_box"], serde_json::json!([0.0, 50.0, 20.0, 70.0]));
    }

    #[test]
    fn a_sliver_left_at_the_edge_keeps_only_its_share_of_the_silhouette() {
        // 1 px of the box's width stays in view and shows 2 px: before, the copy kept the
        // source's 600 unoccluded pixels and called it 0.3 % visible; a sliver's own
        // silhouette is 15 px.
        let (mut o, stats) = car(2);
        relabel(&mut o, &shift_only(-139.0, 1.0), (320, 200), &stats);
        assert_eq!(o["unoccluded_pixels"], 15);
        assert!(
            (o["truncation"].as_f64().expect("number") - 0.975).abs() < 1e-9,
            "{o}"
        );
        assert_eq!(o["occlusion"], 2, "2 of 15 px visible");
    }

    #[test]
    fn scaling_scales_the_silhouette_a_box_out_of_frame_is_dropped_and_a_hidden_one_kept() {
        let (mut o, stats) = car(691);
        relabel(&mut o, &shift_only(0.0, 1.2), (320, 200), &stats);
        assert_eq!(o["unoccluded_pixels"], 864, "600 x 1.2^2");
        assert!((o["truncation"].as_f64().expect("number")).abs() < 1e-9);
        let (mut gone, none) = car(0);
        assert!(
            !relabel(&mut gone, &shift_only(-400.0, 1.0), (320, 200), &none),
            "a box out of the frame is dropped"
        );
        let (mut hidden, none) = car(0);
        assert!(relabel(
            &mut hidden,
            &shift_only(0.0, 1.0),
            (320, 200),
            &none
        ));
        assert_eq!(hidden["visible"], false);
        assert_eq!(hidden["occlusion"], 3);
        assert_eq!(hidden["visibility"], 0.0);
        assert_eq!(hidden["tight_box"], serde_json::Value::Null);
    }

    #[test]
    fn a_rotated_box_is_clipped_as_a_polygon() {
        let square = [(-1.0, -1.0), (1.0, -1.0), (1.0, 1.0), (-1.0, 1.0)];
        assert!((polygon_area(&clip_to_frame(&square, 10.0, 10.0)) - 1.0).abs() < 1e-12);
        let r = std::f64::consts::FRAC_1_SQRT_2 * 2.0;
        let diamond = [
            (5.0, 5.0 - r),
            (5.0 + r, 5.0),
            (5.0, 5.0 + r),
            (5.0 - r, 5.0),
        ];
        assert!((polygon_area(&clip_to_frame(&diamond, 10.0, 10.0)) - 4.0).abs() < 1e-9);
        let half = diamond.map(|p| (p.0 - 5.0, p.1));
        assert!((polygon_area(&clip_to_frame(&half, 10.0, 10.0)) - 2.0).abs() < 1e-9);
    }
}
