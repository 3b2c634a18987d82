//! What in the frames gives them away: the realism test's held-out rendered patches
//! grouped by the semantic class covering most of each (road, sky, vegetation ...), with
//! how often the classifier told each group from the real frames.
//!
//! A scenario's frames are told apart for different reasons in different places (a road
//! too bright and too grainy, a sky too grey); the overall accuracy hides which, and the
//! patches' classes come free with a rendered dataset's semantic labels.

use std::collections::BTreeMap;

use drivegen_labels::classes::CITYSCAPES;
use image::GrayImage;
use serde::Serialize;

/// One class's held-out patches and the share the test told apart.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ClassCatch {
    /// Cityscapes label id.
    pub id: u8,
    pub class: String,
    pub patches: usize,
    /// Share of these patches the classifier called rendered (0.5: a coin toss; the
    /// overall accuracy also counts the real patches it got right).
    pub caught: f64,
}

/// The label covering most of the `s` x `s` patch at (`x0`, `y0`); ties go to the lower id.
pub(super) fn majority(labels: &GrayImage, x0: usize, y0: usize, s: usize) -> u8 {
    let mut counts = [0u32; 256];
    for y in y0..y0 + s {
        for x in x0..x0 + s {
            counts[usize::from(labels.get_pixel(x as u32, y as u32).0[0])] += 1;
        }
    }
    let mut best = 0u8;
    for (id, &c) in counts.iter().enumerate() {
        if c > counts[usize::from(best)] {
            best = id as u8;
        }
    }
    best
}

/// Tallies (class, told apart) pairs; the most frequent classes first.
pub(super) fn tally(patches: impl Iterator<Item = (u8, bool)>) -> Vec<ClassCatch> {
    let mut by: BTreeMap<u8, (usize, usize)> = BTreeMap::new();
    for (class, caught) in patches {
        let e = by.entry(class).or_default();
        e.0 += 1;
        e.1 += usize::from(caught);
    }
    let mut out: Vec<ClassCatch> = by
        .into_iter()
        .map(|(id, (patches, caught))| ClassCatch {
            id,
            class: CITYSCAPES
                .get(usize::from(id))
                .map_or_else(|| format!("label {id}"), |c| c.name.to_string()),
            patches,
            caught: caught as f64 / patches as f64,
        })
        .collect();
    out.sort_by(|a, b| b.patches.cmp(&a.patches).then(a.id.cmp(&b.id)));
    out
}
