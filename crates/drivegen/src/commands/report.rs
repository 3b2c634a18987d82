//! `drivegen report DIR`: `DIR/report/report.html` with PNG figures — a contact sheet of
//! frames with their 2-D boxes over a semantic overlay, class counts, box-size, distance
//! and visibility histograms, the scenario parameters each variant sampled, and refiner
//! losses when a `refiner/losses.csv` is present.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context;
use image::{Rgb, RgbImage};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A directory written by `drivegen render`.
    dataset: PathBuf,
    /// Frames on the contact sheet.
    #[arg(long, default_value_t = 12)]
    sheet: usize,
    /// RGB images to use: auto (refined when the dataset was rendered with --refine),
    /// raw or refined.
    #[arg(long, default_value = "auto", value_name = "auto|raw|refined")]
    rgb: String,
}

fn class_color(cityscapes_id: u8) -> Rgb<u8> {
    let c = drivegen_labels::CITYSCAPES
        .get(usize::from(cityscapes_id))
        .map_or([255, 255, 255], |l| l.color);
    // Boxes drawn in the label colour, brightened so dark classes stay visible.
    Rgb(c.map(|v| v / 2 + 128))
}

fn rect(img: &mut RgbImage, b: [f64; 4], color: Rgb<u8>) {
    let (w, h) = img.dimensions();
    let x0 = (b[0].max(0.0) as u32).min(w - 1);
    let y0 = (b[1].max(0.0) as u32).min(h - 1);
    let x1 = ((b[2] - 1.0).max(0.0) as u32).min(w - 1);
    let y1 = ((b[3] - 1.0).max(0.0) as u32).min(h - 1);
    for x in x0..=x1 {
        img.put_pixel(x, y0, color);
        img.put_pixel(x, y1, color);
    }
    for y in y0..=y1 {
        img.put_pixel(x0, y, color);
        img.put_pixel(x1, y, color);
    }
}

/// A bar chart: one bar per value, height proportional; labels go in the HTML.
fn bars(values: &[f64], color: Rgb<u8>) -> RgbImage {
    let (w, h) = (640u32, 200u32);
    let mut img = RgbImage::from_pixel(w, h, Rgb([250, 250, 250]));
    let max = values.iter().copied().fold(0.0, f64::max).max(1e-9);
    let n = values.len().max(1) as u32;
    let bw = (w - 20) / n;
    for (i, v) in values.iter().enumerate() {
        let bh = ((v / max) * f64::from(h - 20)) as u32;
        let x0 = 10 + i as u32 * bw;
        for x in x0..(x0 + bw.saturating_sub(2)).min(w) {
            for y in (h - 10 - bh)..(h - 10) {
                img.put_pixel(x, y, color);
            }
        }
    }
    for x in 0..w {
        img.put_pixel(x, h - 10, Rgb([60, 60, 60]));
    }
    img
}

fn histogram(values: &[f64], lo: f64, hi: f64, bins: usize) -> Vec<f64> {
    let mut out = vec![0.0; bins];
    for v in values {
        let k = (((v - lo) / (hi - lo)) * bins as f64)
            .floor()
            .clamp(0.0, bins as f64 - 1.0) as usize;
        out[k] += 1.0;
    }
    out
}

fn save(img: &RgbImage, path: &Path) -> anyhow::Result<()> {
    let mut bytes = Vec::new();
    img.write_to(
        &mut std::io::Cursor::new(&mut bytes),
        image::ImageFormat::Png,
    )?;
    drivegen_dataset::write_atomic(path, &bytes)?;
    Ok(())
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

pub fn run(args: Args, quiet: bool) -> anyhow::Result<()> {
    let ds = super::open_dataset(&args.dataset, &args.rgb)?;
    let dir = args.dataset.join("report");
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;

    let mut class_counts: BTreeMap<String, usize> = BTreeMap::new();
    let (mut heights, mut distances, mut visibility) = (Vec::new(), Vec::new(), Vec::new());
    let mut hidden = 0usize;
    for f in &ds.frames {
        let labels: serde_json::Value =
            serde_json::from_slice(&std::fs::read(f.file("labels", "json"))?)?;
        for o in labels["objects"].as_array().into_iter().flatten() {
            *class_counts
                .entry(o["class"].as_str().unwrap_or("?").to_string())
                .or_default() += 1;
            distances.push(o["distance"].as_f64().unwrap_or(0.0));
            visibility.push(o["visibility"].as_f64().unwrap_or(0.0));
            match o["tight_box"].as_array() {
                Some(b) if b.len() == 4 => {
                    heights.push(b[3].as_f64().unwrap_or(0.0) - b[1].as_f64().unwrap_or(0.0))
                }
                _ => hidden += 1,
            }
        }
    }

    // Contact sheet: frames spread over the run, boxes over a 40 % semantic overlay.
    let picks: Vec<&drivegen_export::NativeFrame> = if ds.frames.is_empty() {
        Vec::new()
    } else {
        let step = (ds.frames.len() as f64 / args.sheet.max(1) as f64).max(1.0);
        (0..args.sheet.min(ds.frames.len()))
            .map(|i| &ds.frames[((i as f64 * step) as usize).min(ds.frames.len() - 1)])
            .collect()
    };
    let tile_w = 320u32;
    let mut tiles = Vec::new();
    for f in &picks {
        let sem = image::open(f.file("semantic", "png"))?.into_luma8();
        let color = drivegen_dataset::colorize(sem.as_raw());
        let base = if ds.run.rgb {
            image::open(ds.rgb_path(f))?.into_rgb8()
        } else {
            RgbImage::from_pixel(sem.width(), sem.height(), Rgb([0, 0, 0]))
        };
        let mut img = base.clone();
        for (i, p) in img.pixels_mut().enumerate() {
            for c in 0..3 {
                p.0[c] = ((f64::from(p.0[c]) * 0.6) + f64::from(color[i * 3 + c]) * 0.4) as u8;
            }
        }
        let labels: serde_json::Value =
            serde_json::from_slice(&std::fs::read(f.file("labels", "json"))?)?;
        for o in labels["objects"].as_array().into_iter().flatten() {
            if let Some(b) = o["tight_box"].as_array().filter(|b| b.len() == 4) {
                let b = [0, 1, 2, 3].map(|k| b[k].as_f64().unwrap_or(0.0));
                rect(
                    &mut img,
                    b,
                    class_color(o["cityscapes_id"].as_u64().unwrap_or(0) as u8),
                );
            }
        }
        let tile_h = (f64::from(img.height()) * f64::from(tile_w) / f64::from(img.width())) as u32;
        tiles.push((
            image::imageops::resize(
                &img,
                tile_w,
                tile_h.max(1),
                image::imageops::FilterType::Triangle,
            ),
            f,
        ));
    }
    let cols = 4u32;
    let tile_h = tiles.first().map_or(1, |(t, _)| t.height());
    let rows = (tiles.len() as u32).div_ceil(cols).max(1);
    let mut sheet = RgbImage::from_pixel(cols * tile_w, rows * tile_h, Rgb([20, 20, 20]));
    for (i, (t, _)) in tiles.iter().enumerate() {
        image::imageops::overlay(
            &mut sheet,
            t,
            i64::from((i as u32 % cols) * tile_w),
            i64::from((i as u32 / cols) * tile_h),
        );
    }
    save(&sheet, &dir.join("contact_sheet.png"))?;
    let classes: Vec<(&String, &usize)> = class_counts.iter().collect();
    save(
        &bars(
            &classes.iter().map(|(_, n)| **n as f64).collect::<Vec<_>>(),
            Rgb([60, 90, 160]),
        ),
        &dir.join("classes.png"),
    )?;
    save(
        &bars(&histogram(&heights, 0.0, 200.0, 20), Rgb([80, 140, 80])),
        &dir.join("box_heights.png"),
    )?;
    save(
        &bars(&histogram(&distances, 0.0, 150.0, 15), Rgb([160, 100, 60])),
        &dir.join("distances.png"),
    )?;
    save(
        &bars(&histogram(&visibility, 0.0, 1.0, 10), Rgb([130, 80, 150])),
        &dir.join("visibility.png"),
    )?;

    // Sampled scenario parameters per variant.
    let mut scenes = Vec::new();
    for v in &ds.run.variants {
        if let Ok(bytes) = std::fs::read(args.dataset.join(format!("v{v:03}/scene.json"))) {
            scenes.push(serde_json::from_slice::<serde_json::Value>(&bytes)?);
        }
    }
    // (label, JSON pointer into scene.json)
    let params = [
        ("time of day (h)", "/environment/time_of_day"),
        ("sun elevation (deg)", "/environment/sun_elevation_deg"),
        ("cloudiness", "/environment/cloudiness"),
        ("rain", "/environment/rain"),
        ("fog density (1/m)", "/environment/fog_density"),
        ("moving vehicles", "/vehicles"),
        ("pedestrians", "/pedestrians"),
        ("lane width (m)", "/lane_width"),
        ("road length (m)", "/road_length"),
    ];
    let mut param_rows = String::new();
    for (name, pointer) in params {
        let vals: Vec<f64> = scenes
            .iter()
            .filter_map(|s| s.pointer(pointer).and_then(serde_json::Value::as_f64))
            .collect();
        if vals.is_empty() {
            continue;
        }
        let (lo, hi) = vals
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
                (a.min(*v), b.max(*v))
            });
        let mean = vals.iter().sum::<f64>() / vals.len() as f64;
        let list: Vec<String> = vals.iter().map(|v| format!("{v:.2}")).collect();
        let _ = writeln!(
            param_rows,
            "<tr><td>{name}</td><td>{lo:.2}</td><td>{mean:.2}</td><td>{hi:.2}</td><td>{}</td></tr>",
            list.join(", ")
        );
    }
    let losses = args.dataset.join("refiner/losses.csv");
    let refiner = if losses.exists() {
        format!(
            "<pre>{}</pre>",
            escape(&std::fs::read_to_string(&losses).unwrap_or_default())
        )
    } else {
        "<p>No refiner was used for this dataset.</p>".to_string()
    };
    let class_rows: String = classes
        .iter()
        .map(|(c, n)| format!("<tr><td>{}</td><td>{n}</td></tr>", escape(c)))
        .collect();
    let sheet_rows: String = tiles
        .iter()
        .enumerate()
        .map(|(i, (_, f))| {
            format!(
                "<li>tile {}: variant {}, camera {}, frame {}</li>",
                i + 1,
                f.variant,
                escape(&f.camera),
                f.frame
            )
        })
        .collect();
    let scenario =
        escape(&std::fs::read_to_string(args.dataset.join("scenario.ron")).unwrap_or_default());
    let settings = render_settings(&ds.run);
    let html = format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>drivegen report: {name}</title>
<style>body{{font-family:sans-serif;max-width:1320px;margin:auto;padding:1em;color:#222}}img{{max-width:100%;border:1px solid #ccc}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:2px 8px;text-align:right}}td:first-child{{text-align:left}}pre{{background:#f4f4f4;padding:1em;overflow:auto}}</style></head>
<body>
<h1>drivegen report: {name}</h1>
<p>{frames} camera frames from {variants} variant(s); {objects} labelled objects ({hidden} with no visible pixels).</p>
<h2>Contact sheet</h2><p>Frames with their tight 2-D boxes (outlined in each class's Cityscapes colour) over a 40 % semantic overlay.</p>
<img src="contact_sheet.png" alt="contact sheet"><ol>{sheet_rows}</ol>
<h2>Classes</h2><img src="classes.png" alt="class histogram"><p>Bars in table order:</p><table><tr><th>class</th><th>objects</th></tr>{class_rows}</table>
<h2>Box heights</h2><img src="box_heights.png" alt="box heights"><p>Visible (tight) box height, 0 to 200 px in 10 px bins.</p>
<h2>Distances</h2><img src="distances.png" alt="distances"><p>Camera to object centre, 0 to 150 m in 10 m bins.</p>
<h2>Visibility</h2><img src="visibility.png" alt="visibility"><p>Visible share of each object's unoccluded pixels, 0 to 1 in 0.1 bins.</p>
<h2>Scenario parameters as sampled</h2><table><tr><th>parameter</th><th>min</th><th>mean</th><th>max</th><th>per variant</th></tr>{param_rows}</table>
<h2>How it was rendered</h2><p>The scenario file below, with what the command line set over it:</p><table>{settings}</table>
<details><summary>The scenario file</summary><pre>{scenario}</pre></details>
<h2>Refiner</h2>{refiner}
<script>
window.addEventListener('load', () => {{
  const imgs = Array.from(document.images);
  document.body.dataset.images = imgs.length;
  document.body.dataset.imagesLoaded = imgs.filter(i => i.complete && i.naturalWidth > 0).length;
}});
</script>
</body></html>
"#,
        name = escape(&ds.run.scenario),
        frames = ds.frames.len(),
        variants = ds.run.variants.len(),
        objects = distances.len(),
    );
    drivegen_dataset::write_atomic(&dir.join("report.html"), html.as_bytes())?;
    if !quiet {
        println!("wrote {}", dir.join("report.html").display());
    }
    Ok(())
}

/// What `render` ran with beyond the scenario file (its command-line overrides and
/// choices, as run.json records them), one table row each.
fn render_settings(run: &drivegen_dataset::RunInfo) -> String {
    let cameras: Vec<String> = run
        .cameras
        .iter()
        .enumerate()
        .map(|(i, c)| match run.image_sizes.get(i) {
            Some([w, h]) => format!("{c} {w}x{h}"),
            None => c.clone(),
        })
        .collect();
    let mut rows = vec![
        ("seed", run.seed.to_string()),
        (
            "variants",
            match (run.shard, run.variants_total) {
                (Some([i, n]), Some(total)) => {
                    format!("{} of {total} (shard {i} of {n})", run.variants.len())
                }
                _ => run.variants.len().to_string(),
            },
        ),
        ("captures per variant", run.frames_per_variant.to_string()),
        ("cameras", cameras.join(", ")),
        ("lidar", run.lidar.to_string()),
        ("RGB written", run.rgb.to_string()),
        ("quality", run.quality.clone()),
        ("shadows", run.shadows.to_string()),
        ("MSAA", run.msaa.to_string()),
    ];
    if let Some(refiner) = &run.refiner {
        rows.push(("refiner", refiner.clone()));
    }
    if let Some(reach) = &run.refiner_reach {
        rows.push(("refiner reach", reach.clone()));
    }
    if let Some(keep) = &run.keep_frames_where {
        rows.push(("keep frames where", keep.to_string()));
    }
    rows.iter()
        .map(|(k, v)| format!("<tr><td>{k}</td><td>{}</td></tr>", escape(v)))
        .collect()
}
