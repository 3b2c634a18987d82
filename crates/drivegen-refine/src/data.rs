//! Image folders and seeded patch sampling.
//!
//! A folder is either a drivegen dataset (only its `rgb/` frames are taken, paired with
//! the `instance/` and `semantic/` images beside them for the label-preservation
//! metrics) or any folder of PNG/JPEG images. Files are listed in sorted order and every
//! crop position and flip comes from a named ChaCha8 sub-stream, so a seed fixes the
//! training data order.

use std::path::{Path, PathBuf};

use image::RgbImage;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use crate::error::RefineError;
use crate::model::InputLayout;

/// One frame in memory: RGB, and for drivegen renders the label images.
#[derive(Clone, Debug)]
pub struct Frame {
    pub path: PathBuf,
    pub rgb: RgbImage,
    /// Instance id per pixel (0 = background), when the frame has one.
    pub instance: Option<Vec<u16>>,
    /// Cityscapes labelId per pixel, when the frame has one.
    pub semantic: Option<Vec<u8>>,
    /// Z-depth in metres per pixel (0 = sky or invalid), when the frame has one.
    pub depth: Option<Vec<f32>>,
    /// The light and weather the frame was rendered in (its variant's `scene.json`), when
    /// known: how far a refiner reaches into it ([`crate::reach`]).
    pub environment: Option<drivegen_plan::EnvironmentPlan>,
}

impl Frame {
    pub fn width(&self) -> usize {
        self.rgb.width() as usize
    }
    pub fn height(&self) -> usize {
        self.rgb.height() as usize
    }
}

fn is_image(p: &Path) -> bool {
    matches!(
        p.extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref(),
        Some("png" | "jpg" | "jpeg")
    )
}

/// The image files under `dir`, sorted. Inside a drivegen dataset (any `rgb/` folder
/// below `dir`) only the frames in `rgb/` folders count: label images are not photos.
pub fn list_images(dir: &Path) -> Result<Vec<PathBuf>, RefineError> {
    if !dir.is_dir() {
        return Err(RefineError::NoImages {
            dir: dir.to_path_buf(),
            hint:
                "the folder does not exist; pass a folder of PNG/JPEG frames or a drivegen dataset"
                    .into(),
        });
    }
    let mut all = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).map_err(RefineError::io(&d))? {
            let p = entry.map_err(RefineError::io(&d))?.path();
            if p.is_dir() {
                stack.push(p);
            } else if is_image(&p) {
                all.push(p);
            }
        }
    }
    let in_rgb = |p: &PathBuf| {
        p.parent()
            .and_then(Path::file_name)
            .is_some_and(|n| n == "rgb")
    };
    if all.iter().any(in_rgb) {
        all.retain(in_rgb);
    }
    all.sort();
    if all.is_empty() {
        return Err(RefineError::NoImages {
            dir: dir.to_path_buf(),
            hint: "expected .png/.jpg files, or a dataset written by `drivegen render`".into(),
        });
    }
    Ok(all)
}

/// Reads one image as RGB, with its label images when it sits in a dataset's `rgb/`.
pub fn load_frame(path: &Path) -> Result<Frame, RefineError> {
    let decode = |p: &Path| {
        image::open(p).map_err(|source| RefineError::Image {
            path: p.to_path_buf(),
            source,
        })
    };
    let rgb = decode(path)?.to_rgb8();
    let sibling = |folder: &str| -> Option<PathBuf> {
        let dir = path.parent()?;
        if dir.file_name()? != "rgb" {
            return None;
        }
        let p = dir.parent()?.join(folder).join(path.file_name()?);
        p.is_file().then_some(p)
    };
    let same_size = |w: u32, h: u32| w == rgb.width() && h == rgb.height();
    let mut instance = None;
    if let Some(p) = sibling("instance") {
        let img = decode(&p)?.to_luma16();
        if same_size(img.width(), img.height()) {
            instance = Some(img.into_raw());
        }
    }
    let mut semantic = None;
    if let Some(p) = sibling("semantic") {
        let img = decode(&p)?.to_luma8();
        if same_size(img.width(), img.height()) {
            semantic = Some(img.into_raw());
        }
    }
    let mut depth = None;
    if let Some(p) = sibling("depth") {
        let img = decode(&p)?.to_luma16();
        if same_size(img.width(), img.height()) {
            // The dataset's depth PNG holds metres x 256.
            depth = Some(img.as_raw().iter().map(|d| f32::from(*d) / 256.0).collect());
        }
    }
    Ok(Frame {
        path: path.to_path_buf(),
        rgb,
        instance,
        semantic,
        depth,
        environment: scene_environment(path)?,
    })
}

/// The environment in `scene.json` of the variant a dataset frame
/// (`vNNN/<camera>/rgb/<frame>.png`) belongs to; `None` for a frame outside a dataset.
fn scene_environment(frame: &Path) -> Result<Option<drivegen_plan::EnvironmentPlan>, RefineError> {
    let Some(scene) = frame
        .parent()
        .filter(|dir| dir.file_name().is_some_and(|n| n == "rgb"))
        .and_then(Path::parent)
        .and_then(Path::parent)
        .map(|variant| variant.join("scene.json"))
        .filter(|p| p.is_file())
    else {
        return Ok(None);
    };
    #[derive(serde::Deserialize)]
    struct Scene {
        environment: drivegen_plan::EnvironmentPlan,
    }
    let text = std::fs::read_to_string(&scene).map_err(RefineError::io(&scene))?;
    let parsed: Scene = serde_json::from_str(&text).map_err(|e| {
        RefineError::Invalid(format!(
            "{}:{}:{}: not a drivegen scene.json ({e})\n  hint: render the variant again",
            scene.display(),
            e.line(),
            e.column()
        ))
    })?;
    Ok(Some(parsed.environment))
}

/// The depth conditioning value of a z-depth in metres: inverse depth scaled so 8 m is
/// 0.5, and 0 for sky or invalid pixels (as far as can be).
pub fn depth_feature(z: f32) -> f32 {
    if z.is_finite() && z > 0.0 {
        8.0 / (8.0 + z)
    } else {
        0.0
    }
}

/// The eight Cityscapes categories, in the order of the refiner's conditioning channels.
pub const CATEGORIES: [&str; 8] = [
    "void",
    "flat",
    "construction",
    "object",
    "nature",
    "sky",
    "human",
    "vehicle",
];

const _: () = assert!(CATEGORIES.len() == crate::model::SEMANTIC_CATEGORIES);

/// The sky's conditioning channel, counted from the first semantic channel.
pub const SKY_CATEGORY: usize = 5;
const _: () = assert!(matches!(CATEGORIES[SKY_CATEGORY].as_bytes(), b"sky"));

/// The channel of buildings, walls and fences, counted from the first semantic channel.
pub const CONSTRUCTION_CATEGORY: usize = 2;
const _: () = assert!(matches!(
    CATEGORIES[CONSTRUCTION_CATEGORY].as_bytes(),
    b"construction"
));

/// The conditioning channel of each Cityscapes labelId (0..=255), built once.
static CATEGORY_OF_LABEL: std::sync::LazyLock<[u8; 256]> = std::sync::LazyLock::new(|| {
    let mut lut = [0u8; 256];
    for label in drivegen_labels::classes::CITYSCAPES {
        let c = CATEGORIES
            .iter()
            .position(|c| *c == label.category)
            .unwrap_or(0);
        lut[usize::from(label.id)] = c as u8;
    }
    lut
});

/// A batch of patches as planar f32 in [0, 1]: `[batch, channels, size, size]`
/// row-major; channels 0..3 are RGB, any further ones those of the [`InputLayout`].
#[derive(Clone, Debug, PartialEq)]
pub struct PatchBatch {
    pub data: Vec<f32>,
    pub batch: usize,
    pub channels: usize,
    pub size: usize,
}

/// Draws random square crops (and horizontal flips) from a set of frames. Frames may
/// come in groups (e.g. two real cameras): a group is drawn uniformly first, then a frame
/// of it, so a small group weighs as much as a large one.
#[derive(Debug)]
pub struct PatchSampler {
    frames: Vec<Frame>,
    /// Start index of each group in `frames` (the first is 0).
    groups: Vec<usize>,
    size: usize,
    rng: ChaCha8Rng,
    flip: bool,
    layout: InputLayout,
}

impl PatchSampler {
    /// `stream` names the random sub-stream (e.g. "sim-patches"), so two samplers with
    /// one seed draw independently.
    pub fn new(
        frames: Vec<Frame>,
        size: usize,
        seed: u64,
        stream: &str,
        flip: bool,
    ) -> Result<PatchSampler, RefineError> {
        if let Some(f) = frames
            .iter()
            .find(|f| f.width() < size || f.height() < size)
        {
            return Err(RefineError::TooSmall {
                path: f.path.clone(),
                width: f.rgb.width(),
                height: f.rgb.height(),
                patch: size as u32,
            });
        }
        if frames.is_empty() {
            return Err(RefineError::Invalid(
                "no frames to sample patches from".into(),
            ));
        }
        Ok(PatchSampler {
            frames,
            groups: vec![0],
            size,
            rng: drivegen_plan::streams::stream(seed, stream),
            flip,
            layout: InputLayout::default(),
        })
    }

    /// A sampler over several groups of frames, each drawn equally often.
    pub fn grouped(
        groups: Vec<Vec<Frame>>,
        size: usize,
        seed: u64,
        stream: &str,
        flip: bool,
    ) -> Result<PatchSampler, RefineError> {
        if groups.iter().any(Vec::is_empty) {
            return Err(RefineError::Invalid(
                "a group of frames to sample patches from is empty".into(),
            ));
        }
        let mut starts = Vec::with_capacity(groups.len());
        let mut frames = Vec::new();
        for g in groups {
            starts.push(frames.len());
            frames.extend(g);
        }
        let mut sampler = PatchSampler::new(frames, size, seed, stream, flip)?;
        sampler.groups = starts;
        Ok(sampler)
    }

    /// Adds the layout's conditioning channels (semantic one-hot, depth, noise) to every
    /// patch; every frame must have the label images they need (frames of a `drivegen
    /// render` dataset do).
    pub fn with_layout(mut self, layout: InputLayout) -> Result<PatchSampler, RefineError> {
        for f in &self.frames {
            check_conditioning(f, layout)?;
        }
        self.layout = layout;
        Ok(self)
    }

    fn pick_frame(&mut self) -> usize {
        let g = self.rng.random_range(0..self.groups.len());
        let start = self.groups[g];
        let end = self.groups.get(g + 1).copied().unwrap_or(self.frames.len());
        self.rng.random_range(start..end)
    }

    pub fn frames(&self) -> &[Frame] {
        &self.frames
    }

    pub fn sample(&mut self, batch: usize) -> PatchBatch {
        let s = self.size;
        let layout = self.layout;
        let channels = layout.channels();
        let per = channels * s * s;
        let mut data = vec![0.0f32; batch * per];
        let lut = &*CATEGORY_OF_LABEL;
        for b in 0..batch {
            let index = self.pick_frame();
            let f = &self.frames[index];
            let x0 = self.rng.random_range(0..=f.width() - s);
            let y0 = self.rng.random_range(0..=f.height() - s);
            let flip = self.flip && self.rng.random::<bool>();
            let out = &mut data[b * per..(b + 1) * per];
            let w = f.width();
            let raw = f.rgb.as_raw();
            for y in 0..s {
                for x in 0..s {
                    let sx = if flip { x0 + s - 1 - x } else { x0 + x };
                    let i = (y0 + y) * w + sx;
                    let o = y * s + x;
                    for c in 0..3 {
                        out[c * s * s + o] = f32::from(raw[i * 3 + c]) / 255.0;
                    }
                    if let (true, Some(sem)) = (layout.semantic, &f.semantic) {
                        let c = 3 + usize::from(lut[usize::from(sem[i])]);
                        out[c * s * s + o] = 1.0;
                    }
                    if let (Some(c), Some(depth)) = (layout.depth_channel(), &f.depth) {
                        out[c * s * s + o] = depth_feature(depth[i]);
                    }
                }
            }
            if let Some(c) = layout.noise_channel() {
                for v in &mut out[c * s * s..(c + 1) * s * s] {
                    *v = self.rng.random::<f32>();
                }
            }
        }
        PatchBatch {
            data,
            batch,
            channels,
            size: s,
        }
    }
}

fn missing_conditioning(path: &Path, what: &str) -> RefineError {
    RefineError::Invalid(format!(
        "{}: the refiner is conditioned on {what}, but this frame has no {what} image\n  hint: use frames of a `drivegen render` dataset (rgb/ beside {what}/), or a checkpoint trained without --condition {what}",
        path.display()
    ))
}

/// Whether `frame` has the label images `layout` conditions on.
fn check_conditioning(frame: &Frame, layout: InputLayout) -> Result<(), RefineError> {
    let n = frame.width() * frame.height();
    if layout.semantic && frame.semantic.as_ref().is_none_or(|s| s.len() != n) {
        return Err(missing_conditioning(&frame.path, "semantic"));
    }
    if layout.depth && frame.depth.as_ref().is_none_or(|d| d.len() != n) {
        return Err(missing_conditioning(&frame.path, "depth"));
    }
    Ok(())
}

/// A whole frame as planar f32 `[channels, h, w]`: RGB, plus the conditioning channels
/// of `layout`. The noise channel is seeded by `noise_seed` and the frame's file name, so
/// refining a frame twice gives the same result.
pub fn planar(
    frame: &Frame,
    layout: InputLayout,
    noise_seed: u64,
) -> Result<Vec<f32>, RefineError> {
    check_conditioning(frame, layout)?;
    let (w, h) = (frame.width(), frame.height());
    let n = w * h;
    let mut out = vec![0.0f32; layout.channels() * n];
    for (i, p) in frame.rgb.as_raw().chunks_exact(3).enumerate() {
        for c in 0..3 {
            out[c * n + i] = f32::from(p[c]) / 255.0;
        }
    }
    if let (true, Some(sem)) = (layout.semantic, &frame.semantic) {
        let lut = &*CATEGORY_OF_LABEL;
        for (i, label) in sem.iter().enumerate() {
            let c = 3 + usize::from(lut[usize::from(*label)]);
            out[c * n + i] = 1.0;
        }
    }
    if let (Some(c), Some(depth)) = (layout.depth_channel(), &frame.depth) {
        for (o, z) in out[c * n..(c + 1) * n].iter_mut().zip(depth) {
            *o = depth_feature(*z);
        }
    }
    if let Some(c) = layout.noise_channel() {
        let name = frame
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut rng = drivegen_plan::streams::stream(noise_seed, &format!("refiner-noise/{name}"));
        for v in &mut out[c * n..(c + 1) * n] {
            *v = rng.random::<f32>();
        }
    }
    Ok(out)
}

/// Planar f32 `[3, h, w]` in [0, 1] back to an RGB image.
pub fn interleaved(planar: &[f32], width: usize, height: usize) -> RgbImage {
    let n = width * height;
    let mut raw = vec![0u8; 3 * n];
    for i in 0..n {
        for c in 0..3 {
            raw[i * 3 + c] = (planar[c * n + i].clamp(0.0, 1.0) * 255.0).round() as u8;
        }
    }
    RgbImage::from_raw(width as u32, height as u32, raw).unwrap_or_default()
}

/// A range of indices into a folder's sorted frame list: `a..b`, `a..`, `..b` or `..`.
/// Real dash-camera frames are strongly correlated in time, so train and held-out sets
/// are contiguous blocks of the sorted list, not random picks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FrameRange {
    pub start: usize,
    pub end: Option<usize>,
}

impl std::str::FromStr for FrameRange {
    type Err = String;
    fn from_str(s: &str) -> Result<FrameRange, String> {
        let bad = || {
            format!(
                "`{s}` is not a frame range: use START..END, START.. or ..END (0-based, END exclusive)"
            )
        };
        let (a, b) = s.split_once("..").ok_or_else(bad)?;
        let start = if a.is_empty() {
            0
        } else {
            a.parse().map_err(|_| bad())?
        };
        let end = if b.is_empty() {
            None
        } else {
            Some(b.parse().map_err(|_| bad())?)
        };
        if end.is_some_and(|e| e <= start) {
            return Err(format!("`{s}` is an empty frame range"));
        }
        Ok(FrameRange { start, end })
    }
}

impl std::fmt::Display for FrameRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.end {
            Some(e) => write!(f, "{}..{e}", self.start),
            None => write!(f, "{}..", self.start),
        }
    }
}

/// Loads the frames of `dir` selected by `range`.
pub fn load_range(dir: &Path, range: FrameRange) -> Result<Vec<Frame>, RefineError> {
    let paths = list_images(dir)?;
    let total = paths.len();
    let end = range.end.unwrap_or(total).min(total);
    if range.start >= end {
        return Err(RefineError::NoImages {
            dir: dir.to_path_buf(),
            hint: format!("the frame range {range} selects nothing of the {total} frames"),
        });
    }
    paths[range.start..end]
        .iter()
        .map(|p| load_frame(p))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(name: &str, value: u8, w: u32, h: u32) -> Frame {
        let n = (w * h) as usize;
        Frame {
            path: PathBuf::from(name),
            rgb: RgbImage::from_pixel(w, h, image::Rgb([value; 3])),
            instance: None,
            semantic: Some(vec![26; n]),
            depth: Some(vec![8.0; n]),
            environment: None,
        }
    }

    #[test]
    fn grouped_sampling_draws_each_group_equally_often() {
        // One frame of value 10 against nine of value 200: uniform over frames would
        // draw the small group a tenth of the time, grouped sampling half the time.
        let small = vec![frame("a.png", 10, 16, 16)];
        let large: Vec<Frame> = (0..9)
            .map(|i| frame(&format!("b{i}.png"), 200, 16, 16))
            .collect();
        let mut sampler =
            PatchSampler::grouped(vec![small, large], 8, 3, "test", false).expect("sampler");
        let batch = sampler.sample(400);
        let per = 3 * 8 * 8;
        let dark = (0..400).filter(|b| batch.data[b * per] < 0.5).count();
        assert!(
            (160..240).contains(&dark),
            "{dark} of 400 patches from the small group"
        );
        assert!(PatchSampler::grouped(vec![vec![]], 8, 3, "test", false).is_err());
    }

    #[test]
    fn conditioning_channels_follow_the_layout() {
        let f = frame("c.png", 128, 12, 10);
        let layout = InputLayout {
            semantic: true,
            depth: true,
            noise: true,
        };
        let n = 12 * 10;
        let x = planar(&f, layout, 1).expect("planar");
        assert_eq!(x.len(), layout.channels() * n);
        // labelId 26 (car) is the vehicle category, the last of the one-hot block.
        let vehicle = 3 + CATEGORIES
            .iter()
            .position(|c| *c == "vehicle")
            .expect("vehicle");
        assert!(x[vehicle * n..(vehicle + 1) * n].iter().all(|v| *v == 1.0));
        let depth = layout.depth_channel().expect("depth");
        assert!(
            x[depth * n..(depth + 1) * n]
                .iter()
                .all(|v| (*v - 0.5).abs() < 1e-6)
        );
        let noise = &x[layout.noise_channel().expect("noise") * n..];
        assert!(noise.iter().all(|v| (0.0..1.0).contains(v)));
        assert!(noise.windows(2).any(|w| w[0] != w[1]), "noise varies");
        assert_eq!(planar(&f, layout, 1).expect("again"), x, "seeded per frame");
        assert_ne!(planar(&f, layout, 2).expect("other seed"), x);
        let mut bare = f;
        bare.depth = None;
        let e = planar(&bare, layout, 1).expect_err("no depth").to_string();
        assert!(e.contains("no depth image"), "{e}");
    }
}
