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
                for o in objs.iter_mut() {
                    let id = o["id"].as_u64().unwrap_or(0) as u16;
                    match stats.get(&id) {
                        Some((count, b)) => {
                            o["tight_box"] = serde_json::json!([b[0], b[1], b[2] + 1, b[3] + 1]);
                            o["visible_pixels"] = serde_json::json!(count);
                            o["visible"] = serde_json::json!(true);
                        }
                        None => {
                            o["tight_box"] = serde_json::Value::Null;
                            o["visible_pixels"] = serde_json::json!(0);
                            o["visible"] = serde_json::json!(false);
                        }
                    }
                    if let Some(a) = o["amodal_box"].as_array().and_then(|a| {
                        let v: Vec<f64> = a.iter().filter_map(serde_json::Value::as_f64).collect();
                        <[f64; 4]>::try_from(v).ok()
                    }) {
                        let corners = [(a[0], a[1]), (a[2], a[1]), (a[2], a[3]), (a[0], a[3])]
                            .map(|p| aug.apply(p));
                        let (fw, fh) = (f64::from(w), f64::from(h));
                        let lo = |i: usize| {
                            corners
                                .iter()
                                .map(|p| if i == 0 { p.0 } else { p.1 })
                                .fold(f64::INFINITY, f64::min)
                        };
                        let hi = |i: usize| {
                            corners
                                .iter()
                                .map(|p| if i == 0 { p.0 } else { p.1 })
                                .fold(f64::NEG_INFINITY, f64::max)
                        };
                        o["amodal_box"] = serde_json::json!([
                            lo(0).clamp(0.0, fw),
                            lo(1).clamp(0.0, fh),
                            hi(0).clamp(0.0, fw),
                            hi(1).clamp(0.0, fh)
                        ]);
                    }
                }
            }
            doc["camera"] = serde_json::json!(format!("{}_aug{k}", f.camera));
            doc["augmentation"] = serde_json::json!({
                "of": format!("v{:03}/{}/{:06}", f.variant, f.camera, f.frame),
                "params": aug,
                "note": "3-D boxes, depth values and calibration describe the unaugmented view",
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
