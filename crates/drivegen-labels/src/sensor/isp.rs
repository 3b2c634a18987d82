//! The image pipeline on RGB: what the sensor and its processor do to the light the lens
//! delivers. In linear light: chromatic aberration, defocus and motion blur
//! (`super::optics`); auto-exposure's gain for the frame; then, per pixel, that gain,
//! exposure compensation and vignetting scale the light reaching the sensor,
//! shot noise (Poisson, as a Gaussian of variance equal to the electrons collected) and
//! read noise are added at the sensor's ISO gain, the white-balance gains colour it, the
//! saturation is scaled around the pixel's luma, and the result is clamped, encoded back
//! to sRGB and passed through the contrast curve; then the chroma is blurred (demosaicing
//! and chroma noise reduction) and, last, optionally, the image is JPEG-compressed
//! (`super::jpeg`).
//!
//! The noise is a counter-based hash of (noise seed, frame, camera, pixel, channel):
//! no generator state crosses pixels, so the image is the same whatever order or thread
//! develops it.

use std::sync::OnceLock;

use drivegen_plan::SensorPlan;

use super::optics;
use crate::camera::Camera;

/// Electrons a pixel collects at full scale at ISO 100 (a small automotive pixel).
pub const FULL_WELL: f64 = 6000.0;

/// Steps of the linear-to-sRGB table: fine enough that a neutral pipeline returns every
/// 8-bit value unchanged.
const ENCODE_STEPS: usize = 1 << 16;

fn decode_table() -> &'static [f32; 256] {
    static TABLE: OnceLock<[f32; 256]> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut t = [0.0f32; 256];
        for (i, v) in t.iter_mut().enumerate() {
            let c = i as f64 / 255.0;
            *v = if c <= 0.04045 {
                c / 12.92
            } else {
                libm::pow((c + 0.055) / 1.055, 2.4)
            } as f32;
        }
        t
    })
}

fn encode_table() -> &'static [u8] {
    static TABLE: OnceLock<Vec<u8>> = OnceLock::new();
    TABLE.get_or_init(|| {
        (0..ENCODE_STEPS)
            .map(|i| {
                let l = i as f64 / (ENCODE_STEPS - 1) as f64;
                let c = if l <= 0.003_130_8 {
                    12.92 * l
                } else {
                    1.055 * libm::pow(l, 1.0 / 2.4) - 0.055
                };
                (c * 255.0 + 0.5).clamp(0.0, 255.0) as u8
            })
            .collect()
    })
}

fn encode(l: f32) -> u8 {
    let i = (l.clamp(0.0, 1.0) * (ENCODE_STEPS - 1) as f32 + 0.5) as usize;
    encode_table()[i.min(ENCODE_STEPS - 1)]
}

/// A uniform draw in [0, 1) from 64 hashed bits (the rain's and the spray's).
pub(crate) fn unit(bits: u64) -> f64 {
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

/// SplitMix64's finaliser: a well-spread 64-bit hash.
pub(crate) fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A standard-normal-like draw from 64 hashed bits: the sum of four 16-bit uniforms
/// (Irwin–Hall), centred and scaled to unit variance; cheap and platform-independent.
fn gaussian(bits: u64) -> f32 {
    let u = |k: u32| ((bits >> (16 * k)) & 0xffff) as f32 / 65535.0;
    (u(0) + u(1) + u(2) + u(3) - 2.0) * 3.0f32.sqrt()
}

/// Whether the pipeline leaves an image as it is.
pub fn is_neutral(s: &SensorPlan) -> bool {
    s.exposure_ev == 0.0
        && s.white_balance == [1.0, 1.0, 1.0]
        && s.vignetting == 0.0
        && s.iso <= 0.0
        && s.chromatic_aberration <= 0.0
        && s.defocus <= 0.0
        && s.auto_exposure <= 0.0
        && s.exposure_time <= 0.0
        && s.jpeg_quality <= 0.0
        && s.saturation == 1.0
        && s.contrast == 1.0
        && s.glare <= 0.0
        && s.chroma_blur <= 0.0
}

/// The display-value tone curve for `contrast`: a straight line through mid-grey,
/// clamped to 0..=255 (identity at 1).
fn contrast_table(contrast: f64) -> [u8; 256] {
    let mut t = [0u8; 256];
    for (i, v) in t.iter_mut().enumerate() {
        let c = 127.5 + contrast * (i as f64 - 127.5);
        *v = (c + 0.5).clamp(0.0, 255.0) as u8;
    }
    t
}

/// Blurs the chroma of an sRGB RGBA8 image (JFIF YCbCr, as the camera's processor holds
/// it) with a Gaussian of `sigma` pixels, the luma untouched: a Bayer sensor samples
/// colour at half the resolution of luma, and the processor's chroma noise reduction
/// smooths it further, so real colour edges are soft where luma edges are sharp.
pub fn chroma_blur(rgba: &mut [u8], w: usize, h: usize, sigma: f64) {
    if sigma <= 0.0 || rgba.len() != w * h * 4 {
        return;
    }
    let mut luma = Vec::with_capacity(w * h);
    let mut chroma = Vec::with_capacity(w * h * 2);
    for p in rgba.chunks_exact(4) {
        let [y, cb, cr] = super::jfif_ycbcr([p[0], p[1], p[2]].map(f32::from));
        luma.push(y);
        chroma.extend([cb, cr]);
    }
    optics::gaussian_blur(&mut chroma, w, h, 2, sigma);
    for ((p, y), c) in rgba
        .chunks_exact_mut(4)
        .zip(&luma)
        .zip(chroma.chunks_exact(2))
    {
        p[..3].copy_from_slice(&super::jfif_rgb8([*y, c[0], c[1]]));
    }
}

/// Chromatic aberration, defocus, exposure, vignetting, noise and white balance on an
/// sRGB RGBA8 image of `cam`'s size.
pub fn develop(rgba: &mut [u8], cam: &Camera, s: &SensorPlan, frame: u32, camera: u32) {
    develop_moving(rgba, cam, s, frame, camera, None);
}

/// Auto-exposure keeps a frame's gain within this factor either way of 1.
pub const AUTO_EXPOSURE_RANGE: f32 = 16.0;

/// [`develop`] with the camera's motion during the exposure (motion blur).
pub fn develop_moving(
    rgba: &mut [u8],
    cam: &Camera,
    s: &SensorPlan,
    frame: u32,
    camera: u32,
    motion: Option<optics::Motion<'_>>,
) {
    let (w, h) = (cam.width as usize, cam.height as usize);
    if is_neutral(s) || rgba.len() != w * h * 4 {
        return;
    }
    let decode = decode_table();
    let mut lin: Vec<f32> = rgba
        .chunks_exact(4)
        .flat_map(|p| {
            [
                decode[usize::from(p[0])],
                decode[usize::from(p[1])],
                decode[usize::from(p[2])],
            ]
        })
        .collect();
    // Distances are from the principal point to the farthest corner.
    let corner2 = (cam.cx.max(cam.width as f64 - cam.cx)).powi(2)
        + (cam.cy.max(cam.height as f64 - cam.cy)).powi(2);
    optics::chromatic_aberration(
        &mut lin,
        w,
        h,
        (cam.cx, cam.cy),
        corner2.sqrt(),
        s.chromatic_aberration,
    );
    optics::glare(&mut lin, w, h, s.glare);
    optics::defocus(&mut lin, w, h, s.defocus);
    if let Some(m) = motion {
        optics::motion_blur(&mut lin, cam, &m, s.exposure_time);
    }
    let mut gain = libm::exp2(s.exposure_ev) as f32;
    if s.auto_exposure > 0.0 {
        // The frame's mean level (Rec. 709 luma of linear light) scaled to the target.
        let sum: f64 = lin
            .chunks_exact(3)
            .map(|p| f64::from(0.2126 * p[0] + 0.7152 * p[1] + 0.0722 * p[2]))
            .sum();
        let mean = (sum / (w * h) as f64) as f32;
        let auto = if mean > 0.0 {
            (s.auto_exposure as f32 / mean).clamp(1.0 / AUTO_EXPOSURE_RANGE, AUTO_EXPOSURE_RANGE)
        } else {
            AUTO_EXPOSURE_RANGE
        };
        gain *= auto;
    }
    let wb = s.white_balance.map(|g| g as f32);
    // Electrons per unit of linear light at this ISO; read noise in electrons.
    let noisy = s.iso > 0.0;
    let electrons = (FULL_WELL * 100.0 / s.iso.max(1.0)) as f32;
    let read2 = (s.read_noise * s.read_noise) as f32;
    let key = mix(s.noise_seed ^ mix((u64::from(frame) << 16) ^ u64::from(camera)));
    let saturation = s.saturation as f32;
    let tone = contrast_table(s.contrast);
    for j in 0..h {
        let dy = j as f64 + 0.5 - cam.cy;
        for i in 0..w {
            let dx = i as f64 + 0.5 - cam.cx;
            // Vignetting falls off with the squared distance from the principal point,
            // reaching `vignetting` in the farthest corner.
            let fall = (1.0 - s.vignetting * (dx * dx + dy * dy) / corner2) as f32;
            let p = j * w + i;
            let mut px = [0.0f32; 3];
            for (c, out) in px.iter_mut().enumerate() {
                let mut l = lin[p * 3 + c] * gain * fall;
                if noisy {
                    let e = (l * electrons).max(0.0);
                    let sigma = (e + read2).sqrt() / electrons;
                    l += sigma * gaussian(mix(key ^ ((p as u64) * 3 + c as u64)));
                }
                *out = l * wb[c];
            }
            if saturation != 1.0 {
                let luma = 0.2126 * px[0] + 0.7152 * px[1] + 0.0722 * px[2];
                px = px.map(|v| luma + saturation * (v - luma));
            }
            for (c, v) in px.into_iter().enumerate() {
                rgba[p * 4 + c] = tone[usize::from(encode(v))];
            }
        }
    }
    chroma_blur(rgba, w, h, s.chroma_blur);
    if s.jpeg_quality > 0.0 {
        super::jpeg::roundtrip(rgba, w, h, s.jpeg_quality);
    }
}
