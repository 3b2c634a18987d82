//! What a refiner may change in a frame, and how much.
//!
//! The shipped refiners learnt from two dash cameras that filmed dry, clear days and show
//! road, verges, trees and sky. A GAN trained so recolours whatever those frames never
//! show, because nothing real anchors its colour: beige facades turn pale cyan, red brick
//! grey, fog sepia and a night sky navy. Confined to its reach, a refined frame keeps the
//! network's output only on the classes the real data shows; every other class gets the
//! one colour map the network applied to the frame as a whole (what a camera does to
//! every surface alike, so a facade keeps its colour relative to the street); and the
//! whole change fades out as a frame's light and weather leave the real data's (dusk,
//! night, fog, rain), where the refiner has nothing real to move towards.

use std::str::FromStr;

use drivegen_labels::classes::Class;
use drivegen_plan::EnvironmentPlan;
use drivegen_plan::scene::{
    FOG_ABOVE_FOG_DENSITY, HAZE_ABOVE_FOG_DENSITY, HEAVY_RAIN_ABOVE, LIGHT_RAIN_ABOVE,
};
use image::RgbImage;

use crate::data::Frame;

/// A set of Cityscapes labelIds (all below 64): the classes a refiner's real frames show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shown(u64);

impl Shown {
    /// What both shipped cameras show: road, sidewalk, vegetation, terrain and sky.
    pub const SHIPPED_CAMERAS: Shown = Shown::of(&[7, 8, 21, 22, 23]);

    pub const fn of(ids: &[u8]) -> Shown {
        let mut bits = 0u64;
        let mut i = 0;
        while i < ids.len() {
            bits |= 1 << (ids[i] % 64);
            i += 1;
        }
        Shown(bits)
    }

    pub fn contains(self, label_id: u8) -> bool {
        label_id < 64 && (self.0 >> label_id) & 1 == 1
    }

    /// The set of drivegen class names (`road`, `building`, ...; several classes may
    /// share a labelId, as car, suv and van do); an unknown name is an error that lists
    /// the known ones.
    pub fn from_names<S: AsRef<str>>(names: &[S]) -> Result<Shown, String> {
        let mut ids = Vec::new();
        for name in names
            .iter()
            .map(|n| n.as_ref().trim())
            .filter(|n| !n.is_empty())
        {
            let class = Class::from_name(name).ok_or_else(|| {
                let known: Vec<String> = Class::all().into_iter().map(Class::name).collect();
                format!(
                    "unknown class `{name}`: the classes are {}",
                    known.join(", ")
                )
            })?;
            ids.push(class.cityscapes_id());
        }
        if ids.is_empty() {
            return Err("no class named: e.g. road,sidewalk,vegetation,terrain,sky".into());
        }
        Ok(Shown::of(&ids))
    }

    /// The drivegen class names in the set, in labelId order (car, suv and van share
    /// one labelId: `car` names it).
    fn names(self) -> Vec<String> {
        (0..64u8)
            .filter(|id| self.contains(*id))
            .filter_map(|id| {
                Class::all()
                    .into_iter()
                    .find(|c| c.cityscapes_id() == id)
                    .map(Class::name)
            })
            .collect()
    }
}

/// How far a refiner's output reaches into a frame.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Reach {
    /// `covered`: the classes the checkpoint says its real frames show (`shows` in its
    /// `config.json`, else the shipped cameras' classes), as [`Reach::Covered`]; the
    /// default. [`Reach::for_checkpoint`] resolves it.
    #[default]
    CoveredByCheckpoint,
    /// The classes the real frames show and the light and weather they were filmed in;
    /// elsewhere the frame-wide colour gain, or nothing.
    Covered(Shown),
    /// The network's output as it is, everywhere.
    Full,
}

impl Reach {
    /// This reach for a checkpoint whose real frames show `shows` (`None`: it does not
    /// say, so the shipped cameras' classes).
    pub fn for_checkpoint(self, shows: Option<Shown>) -> Reach {
        match self {
            Reach::CoveredByCheckpoint => Reach::Covered(shows.unwrap_or(Shown::SHIPPED_CAMERAS)),
            other => other,
        }
    }

    /// `refined`, the network's output for `frame`, within this reach (the frame's
    /// semantic image and environment decide, where it has them).
    /// [`Reach::CoveredByCheckpoint`] is taken as the shipped cameras' classes: resolve
    /// it first with [`Reach::for_checkpoint`].
    pub fn apply(self, frame: &Frame, refined: RgbImage) -> RgbImage {
        match self.for_checkpoint(None) {
            Reach::Covered(shown) => confine(
                &frame.rgb,
                &refined,
                frame.semantic.as_deref().map(|s| (s, shown)),
                frame.environment.as_ref(),
            ),
            _ => refined,
        }
    }

    /// Whether applying this reach reads the frame's semantic image.
    pub fn needs_semantic(self) -> bool {
        self != Reach::Full
    }
}

/// `covered`, `covered:CLASS,CLASS,...` (drivegen class names, e.g.
/// `covered:road,sidewalk,vegetation,terrain,sky,building` for real frames that show
/// buildings) or `full`.
impl FromStr for Reach {
    type Err = String;
    fn from_str(s: &str) -> Result<Reach, String> {
        match s.split_once(':') {
            None if s == "covered" => Ok(Reach::CoveredByCheckpoint),
            None if s == "full" => Ok(Reach::Full),
            Some(("covered", list)) => {
                let names: Vec<&str> = list.split(',').collect();
                Shown::from_names(&names)
                    .map(Reach::Covered)
                    .map_err(|e| format!("{e} (in `{s}`)"))
            }
            _ => Err(format!(
                "unknown reach `{s}`: choose covered, covered:CLASS,... or full"
            )),
        }
    }
}

impl std::fmt::Display for Reach {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reach::Full => f.write_str("full"),
            Reach::CoveredByCheckpoint => f.write_str("covered"),
            // Always the list: `covered` alone means what a checkpoint says it shows.
            Reach::Covered(shown) => write!(f, "covered:{}", shown.names().join(",")),
        }
    }
}

fn smoothstep(from: f64, to: f64, x: f64) -> f64 {
    let t = ((x - from) / (to - from)).clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

/// How much of the refiner's change a frame in `environment` keeps, 0..=1: all of it in
/// full daylight (the sun 10 degrees up or more), dry and clear; none at night, in fog
/// (the captions' "fog", density 0.01) or heavy rain (0.6).
pub fn condition_strength(environment: &EnvironmentPlan) -> f64 {
    let daylight = smoothstep(0.0, 10.0, environment.sun_elevation_deg);
    let clear = 1.0
        - smoothstep(
            HAZE_ABOVE_FOG_DENSITY,
            FOG_ABOVE_FOG_DENSITY,
            environment.fog_density,
        );
    let dry = 1.0 - smoothstep(LIGHT_RAIN_ABOVE, HEAVY_RAIN_ABOVE, environment.rain);
    daylight * clear * dry
}

/// A gain per colour channel on values in 0..=1: what a camera's white balance and
/// exposure do to every surface alike. (Measured on the roundabout's frames: a full 3x4
/// colour matrix, fitted on the few colours of road, verges and sky, mixed channels so
/// that a red hydrant came out black; a gain and an offset compressed contrast and
/// shifted dark objects by more than the network did.)
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ColourMap {
    pub gain: [f64; 3],
}

impl ColourMap {
    fn apply(&self, rgb: [f64; 3]) -> [f64; 3] {
        [0, 1, 2].map(|c| self.gain[c] * rgb[c])
    }
}

fn unit(p: &image::Rgb<u8>) -> [f64; 3] {
    p.0.map(|c| f64::from(c) / 255.0)
}

/// The per-channel gain that best takes `raw` to `refined` (least squares) over the
/// pixels `counts` keeps, pulled gently towards 1 (which decides alone when no pixel
/// counts).
pub fn fit_colour_map(
    raw: &RgbImage,
    refined: &RgbImage,
    counts: impl Fn(usize) -> bool,
) -> ColourMap {
    // Per channel: n, sum of x^2, sum of xy. Every 3rd pixel each way is plenty.
    let (w, h) = (raw.width() as usize, raw.height() as usize);
    let mut sums = [[0.0f64; 3]; 3];
    for y in (0..h).step_by(3) {
        for x in (0..w).step_by(3) {
            if !counts(y * w + x) {
                continue;
            }
            let (r, o) = (
                unit(raw.get_pixel(x as u32, y as u32)),
                unit(refined.get_pixel(x as u32, y as u32)),
            );
            for ((s, a), b) in sums.iter_mut().zip(r).zip(o) {
                *s = [s[0] + 1.0, s[1] + a * a, s[2] + a * b];
            }
        }
    }
    ColourMap {
        gain: sums.map(|[n, xx, xy]| {
            let pull = 1e-4 * n + 1e-6;
            (xy + pull) / (xx + pull)
        }),
    }
}

/// Over how many pixels a free pixel beside a held one blends from the held class's
/// colour map to the network's output. A hard seam changes the contrast of every edge
/// between the classes (the edge agreement inside objects, p05, fell from 0.966 to 0.935
/// on the roundabout's frames); two pixels keep it (0.983) and leave no visible halo.
pub const SEAM_PX: f64 = 2.0;

/// For each pixel, how much of the network's change it keeps before the condition
/// strength: 0 on held classes, ramping from 0 to 1 over [`SEAM_PX`] on the free
/// pixels beside them, 1 elsewhere.
fn network_weights(width: usize, height: usize, held: &[bool]) -> Vec<f64> {
    let reach = SEAM_PX.ceil() as isize;
    (0..width * height)
        .map(|i| {
            if held[i] {
                return 0.0;
            }
            let (x, y) = ((i % width) as isize, (i / width) as isize);
            let mut nearest = f64::INFINITY;
            for dy in -reach..=reach {
                for dx in -reach..=reach {
                    let (nx, ny) = (x + dx, y + dy);
                    if nx < 0 || ny < 0 || nx >= width as isize || ny >= height as isize {
                        continue;
                    }
                    if held[ny as usize * width + nx as usize] {
                        nearest = nearest.min(((dx * dx + dy * dy) as f64).sqrt());
                    }
                }
            }
            ((nearest - 0.5) / SEAM_PX).clamp(0.0, 1.0)
        })
        .collect()
}

/// `refined` confined to the reach of [`Reach::Covered`]: on pixels of the classes the
/// real data shows, the refined colour; on every other class (when `semantic`, labelIds
/// per pixel with the set of shown classes, is given), `raw` through the per-channel
/// gain the refiner applied to the shown classes, blended into the refined colour over [`SEAM_PX`] beside them; then only
/// `condition_strength(environment)` of the change from `raw` (all of it when the
/// environment is unknown).
pub fn confine(
    raw: &RgbImage,
    refined: &RgbImage,
    semantic: Option<(&[u8], Shown)>,
    environment: Option<&EnvironmentPlan>,
) -> RgbImage {
    let strength = environment.map_or(1.0, condition_strength);
    let (width, height) = (raw.width() as usize, raw.height() as usize);
    if strength <= 0.0 || refined.dimensions() != raw.dimensions() {
        return raw.clone();
    }
    let semantic = semantic.filter(|(s, _)| s.len() == width * height);
    // Looked up once per pixel: the seam weights visit every pixel's neighbours.
    let held: Option<Vec<bool>> =
        semantic.map(|(s, shown)| s.iter().map(|c| !shown.contains(*c)).collect());
    let map = fit_colour_map(raw, refined, |i| held.as_ref().is_none_or(|h| !h[i]));
    let weights = held.as_ref().map(|h| network_weights(width, height, h));
    RgbImage::from_fn(raw.width(), raw.height(), |x, y| {
        let i = y as usize * width + x as usize;
        let before = raw.get_pixel(x, y);
        let network = refined.get_pixel(x, y).0.map(f64::from);
        let target = match &weights {
            Some(weights) if weights[i] < 1.0 => {
                let graded = map.apply(unit(before)).map(|v| v * 255.0);
                [0, 1, 2].map(|c| graded[c] + weights[i] * (network[c] - graded[c]))
            }
            _ => network,
        };
        image::Rgb([0, 1, 2].map(|c| {
            let from = f64::from(before.0[c]);
            (from + strength * (target[c] - from))
                .round()
                .clamp(0.0, 255.0) as u8
        }))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn environment(sun: f64, fog: f64, rain: f64) -> EnvironmentPlan {
        EnvironmentPlan {
            time_of_day: 12.0,
            sun_elevation_deg: sun,
            sun_azimuth_deg: 180.0,
            cloudiness: 0.2,
            rain,
            fog_density: fog,
            wet_road: rain > 0.0,
            street_lights_on: sun < 0.0,
            ambient: 0.8,
        }
    }

    #[test]
    fn conditions_outside_the_real_data_keep_less_of_the_change() {
        assert_eq!(condition_strength(&environment(40.0, 0.0, 0.0)), 1.0);
        assert_eq!(condition_strength(&environment(-10.0, 0.0, 0.0)), 0.0);
        assert_eq!(condition_strength(&environment(40.0, 0.02, 0.0)), 0.0);
        assert_eq!(condition_strength(&environment(40.0, 0.0, 0.8)), 0.0);
        let dusk = condition_strength(&environment(4.0, 0.0, 0.0));
        assert!(dusk > 0.1 && dusk < 0.5, "{dusk}");
        let drizzle = condition_strength(&environment(40.0, 0.0, 0.2));
        assert!(drizzle > 0.5 && drizzle < 1.0, "{drizzle}");
    }

    /// A frame of two halves: road (labelId 7) on the left, a building (11) on the right,
    /// with colours varying across it so that a colour map is determined.
    fn road_and_building() -> (RgbImage, Vec<u8>) {
        let (w, h) = (48u32, 24u32);
        let raw = RgbImage::from_fn(w, h, |x, y| {
            image::Rgb([
                (40 + x * 3) as u8,
                (60 + y * 5) as u8,
                (90 + (x * 7 + y * 3) % 80) as u8,
            ])
        });
        let semantic = (0..h)
            .flat_map(|_| (0..w).map(|x| if x < w / 2 { 7 } else { 11 }))
            .collect();
        (raw, semantic)
    }

    #[test]
    fn a_class_the_real_data_lacks_gets_the_frame_wide_colour_gain_only() {
        let (raw, semantic) = road_and_building();
        // Everywhere a warm grade; on the building, a cyan cast on top of it.
        let grade = |p: [u8; 3]| {
            [
                (f64::from(p[0]) * 1.1).round() as u8,
                (f64::from(p[1]) * 0.95).round() as u8,
                (f64::from(p[2]) * 0.8).round() as u8,
            ]
        };
        let refined = RgbImage::from_fn(raw.width(), raw.height(), |x, y| {
            let g = grade(raw.get_pixel(x, y).0);
            if x < raw.width() / 2 {
                image::Rgb(g)
            } else {
                image::Rgb([g[0].saturating_sub(40), g[1] + 20, g[2] + 30])
            }
        });
        let out = confine(
            &raw,
            &refined,
            Some((&semantic, Shown::SHIPPED_CAMERAS)),
            None,
        );
        for (x, y, p) in out.enumerate_pixels() {
            if x + 2 < raw.width() / 2 {
                assert_eq!(
                    p,
                    refined.get_pixel(x, y),
                    "road pixels keep the refined colour"
                );
            } else if x < raw.width() / 2 {
                // The two road pixels beside the building blend towards its grade, which
                // here is the road's own.
                for (got, want) in p.0.into_iter().zip(refined.get_pixel(x, y).0) {
                    assert!(
                        (i16::from(got) - i16::from(want)).abs() <= 1,
                        "seam ({x}, {y})"
                    );
                }
            } else {
                let want = grade(raw.get_pixel(x, y).0);
                for (got, want) in p.0.into_iter().zip(want) {
                    assert!(
                        (i16::from(got) - i16::from(want)).abs() <= 1,
                        "building ({x}, {y}): {got} for {want}"
                    );
                }
            }
        }
        // Without labels there is nothing to tell the classes apart by.
        assert!(confine(&raw, &refined, None, None) == refined);
    }

    #[test]
    fn a_saturated_colour_keeps_its_hue_when_the_map_was_fitted_on_greys() {
        // Grey road (the free class) graded cooler and darker; a red hydrant (held).
        let (w, h) = (32u32, 16u32);
        let raw = RgbImage::from_fn(w, h, |x, y| {
            if x < 24 {
                let v = (60 + x * 4 + y * 2) as u8;
                image::Rgb([v, v, v.saturating_add(4)])
            } else {
                image::Rgb([200, 30, 25])
            }
        });
        let semantic: Vec<u8> = (0..h)
            .flat_map(|_| (0..w).map(|x| if x < 24 { 7 } else { 4 }))
            .collect();
        let refined = RgbImage::from_fn(w, h, |x, y| {
            let p = raw.get_pixel(x, y).0;
            image::Rgb([p[0] - 10, p[1] - 6, p[2].saturating_add(3)])
        });
        let out = confine(
            &raw,
            &refined,
            Some((&semantic, Shown::SHIPPED_CAMERAS)),
            None,
        );
        let hydrant = out.get_pixel(28, 8).0;
        assert!(
            hydrant[0] >= 180 && hydrant[1] <= 40 && hydrant[2] <= 40,
            "{hydrant:?}"
        );
    }

    #[test]
    fn the_network_s_change_ramps_up_over_the_seam_beside_a_held_class() {
        // Column 3 is held; distances 1, 2 and 3 px to its right.
        let held: Vec<bool> = (0..8).map(|i| i == 3).collect();
        let w = network_weights(8, 1, &held);
        assert_eq!(w[3], 0.0);
        assert!(
            (w[4] - 0.25).abs() < 1e-9 && (w[5] - 0.75).abs() < 1e-9,
            "{w:?}"
        );
        assert_eq!(w[6], 1.0);
        assert_eq!(w[0], 1.0);
    }

    #[test]
    fn the_change_fades_with_the_conditions() {
        let (raw, semantic) = road_and_building();
        let refined = RgbImage::from_fn(raw.width(), raw.height(), |x, y| {
            image::Rgb(raw.get_pixel(x, y).0.map(|c| c.saturating_add(40)))
        });
        let night = environment(-12.0, 0.0, 0.0);
        assert!(
            confine(
                &raw,
                &refined,
                Some((&semantic, Shown::SHIPPED_CAMERAS)),
                Some(&night)
            ) == raw
        );
        let noon = environment(50.0, 0.0, 0.0);
        assert!(confine(&raw, &refined, None, Some(&noon)) == refined);
        let dusk = environment(5.0, 0.0, 0.0);
        let s = condition_strength(&dusk);
        let half = confine(
            &raw,
            &refined,
            Some((&semantic, Shown::SHIPPED_CAMERAS)),
            Some(&dusk),
        );
        let (before, after) = (raw.get_pixel(3, 3).0[0], half.get_pixel(3, 3).0[0]);
        let want = f64::from(before) + s * 40.0;
        assert!((f64::from(after) - want).abs() <= 0.5, "{after} for {want}");
    }

    #[test]
    fn a_colour_map_is_recovered_and_defaults_to_the_identity() {
        let (raw, _) = road_and_building();
        let m = ColourMap {
            gain: [0.8, 0.9, 1.1],
        };
        let refined = RgbImage::from_fn(raw.width(), raw.height(), |x, y| {
            image::Rgb(
                m.apply(unit(raw.get_pixel(x, y)))
                    .map(|v| (v * 255.0).round() as u8),
            )
        });
        let fitted = fit_colour_map(&raw, &refined, |_| true);
        for c in 0..3 {
            assert!(
                (fitted.gain[c] - m.gain[c]).abs() < 0.01,
                "{fitted:?} for {m:?}"
            );
        }
        let none = fit_colour_map(&raw, &refined, |_| false);
        assert!(none.gain.iter().all(|g| (g - 1.0).abs() < 1e-9), "{none:?}");
    }

    #[test]
    fn a_reach_is_named_on_the_command_line_and_in_run_json() {
        assert_eq!("full".parse(), Ok(Reach::Full));
        assert_eq!("covered".parse(), Ok(Reach::default()));
        let city: Reach = "covered:road,sidewalk,vegetation,terrain,sky,building"
            .parse()
            .expect("parses");
        let Reach::Covered(shown) = city else {
            panic!("{city:?}")
        };
        assert!(shown.contains(11) && shown.contains(7) && !shown.contains(26));
        assert_eq!(
            city.to_string(),
            "covered:road,sidewalk,building,vegetation,terrain,sky"
        );
        assert_eq!(city.to_string().parse(), Ok(city));
        assert_eq!(Reach::default().to_string(), "covered");
        let e = "covered:road,tarmac"
            .parse::<Reach>()
            .expect_err("unknown class");
        assert!(e.contains("`tarmac`") && e.contains("vegetation"), "{e}");
        assert!("covered:".parse::<Reach>().is_err());
        assert!("all".parse::<Reach>().is_err());
    }

    #[test]
    fn covered_means_what_the_checkpoint_says_its_real_frames_show() {
        let city = Shown::from_names(&["road", "sky", "building"]).expect("known classes");
        let covered = Reach::default();
        assert_eq!(
            covered.for_checkpoint(None),
            Reach::Covered(Shown::SHIPPED_CAMERAS),
            "a checkpoint that does not say is taken to show what the shipped cameras show"
        );
        assert_eq!(covered.for_checkpoint(Some(city)), Reach::Covered(city));
        assert_eq!(
            covered.for_checkpoint(None).to_string(),
            "covered:road,sidewalk,vegetation,terrain,sky"
        );
        assert_eq!(
            covered.for_checkpoint(Some(city)).to_string(),
            "covered:road,building,sky",
            "run.json names the classes a checkpoint's `covered` came to"
        );
        // A reach named on the command line stands whatever the checkpoint says.
        for asked in [Reach::Full, Reach::Covered(Shown::SHIPPED_CAMERAS)] {
            assert_eq!(asked.for_checkpoint(Some(city)), asked);
        }
        assert!(Shown::from_names(&["road", "kerbstone"]).is_err());
        assert!(Shown::from_names::<&str>(&[]).is_err());
    }
}
