//! Deterministic train/val/test assignment.
//!
//! By default every frame of a scene variant lands in the same split (variants are
//! independent scenes, frames of one variant are near-duplicates). A small render has too
//! few variants for that: four variants at 0.8/0.1/0.1 leave val and test empty, and
//! training tools refuse a missing validation split. Then the assignment falls back to
//! contiguous blocks of frames inside each variant, separated by a gap of dropped frames
//! so no split holds a near-copy of a frame in another ([`SplitBy::Auto`]), or refuses
//! with a hint ([`SplitBy::Variant`]).

use std::collections::BTreeMap;

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Split {
    Train,
    Val,
    Test,
}

impl Split {
    pub const ALL: [Split; 3] = [Split::Train, Split::Val, Split::Test];
    pub fn name(self) -> &'static str {
        match self {
            Split::Train => "train",
            Split::Val => "val",
            Split::Test => "test",
        }
    }
    pub fn index(self) -> usize {
        self as usize
    }
}

/// Train/val/test fractions (normalised on use).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SplitFractions(pub [f64; 3]);

impl Default for SplitFractions {
    fn default() -> Self {
        SplitFractions([0.8, 0.1, 0.1])
    }
}

impl SplitFractions {
    /// Parses `0.8,0.1,0.1`.
    pub fn parse(s: &str) -> Option<SplitFractions> {
        let v: Vec<f64> = s
            .split(',')
            .map(|x| x.trim().parse().ok())
            .collect::<Option<_>>()?;
        let [a, b, c] = v.as_slice() else { return None };
        let ok = [a, b, c].iter().all(|x| x.is_finite() && **x >= 0.0) && a + b + c > 0.0;
        ok.then_some(SplitFractions([*a, *b, *c]))
    }

    /// The splits asked for (fraction above zero), in train, val, test order.
    pub fn requested(&self) -> Vec<Split> {
        Split::ALL
            .into_iter()
            .filter(|s| self.0[s.index()] > 0.0)
            .collect()
    }

    /// The split of a variant: a SplitMix64 hash of (seed, variant) mapped to [0, 1), so a
    /// variant's split does not change when more variants are rendered.
    pub fn of(&self, seed: u64, variant: u32) -> Split {
        let mut z = seed ^ u64::from(variant).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        let u = (z >> 11) as f64 / (1u64 << 53) as f64;
        let total: f64 = self.0.iter().sum();
        let [a, b, _] = self.0.map(|x| x / total);
        if u < a {
            Split::Train
        } else if u < a + b {
            Split::Val
        } else {
            Split::Test
        }
    }
}

/// How the user wants frames split (`--split-by`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SplitBy {
    /// By variant when every requested split gets one, else by frame blocks (with a warning).
    #[default]
    Auto,
    /// By variant only: an empty requested split is an error.
    Variant,
    /// Contiguous frame blocks inside every variant.
    FrameBlocks,
}

impl SplitBy {
    pub fn parse(s: &str) -> Option<SplitBy> {
        match s.trim() {
            "auto" => Some(SplitBy::Auto),
            "variant" => Some(SplitBy::Variant),
            "frame-blocks" => Some(SplitBy::FrameBlocks),
            _ => None,
        }
    }
}

/// How frames were actually assigned (recorded in the export manifest).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "mode", rename_all = "kebab-case")]
pub enum SplitMode {
    /// Every frame of a variant in one split.
    Variant,
    /// Per variant: a train block, `gap` dropped frames, a val block, `gap`, a test block.
    FrameBlocks { gap: u32 },
}

/// The split of every frame, or `None` for frames dropped in a gap.
#[derive(Clone, Debug)]
pub struct SplitPlan {
    pub mode: SplitMode,
    pub assignment: BTreeMap<(u32, u32), Option<Split>>,
    /// Why the mode differs from the one asked for, for the user.
    pub notice: Option<String>,
}

impl SplitPlan {
    pub fn split_of(&self, variant: u32, frame: u32) -> Option<Split> {
        self.assignment.get(&(variant, frame)).copied().flatten()
    }
    pub fn counts(&self) -> [usize; 3] {
        let mut n = [0; 3];
        for s in self.assignment.values().flatten() {
            n[s.index()] += 1;
        }
        n
    }
    pub fn dropped(&self) -> usize {
        self.assignment.values().filter(|s| s.is_none()).count()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SplitError {
    #[error(
        "--split {fractions} asks for a {split} split, but none of the {variants} variant(s) falls in it\n  = hint: render more variants (--variants 10 or more), use --split-by frame-blocks, or drop the split (e.g. --split 1,0,0)"
    )]
    EmptyByVariant {
        fractions: String,
        split: &'static str,
        variants: usize,
    },
    #[error(
        "variant {variant} has {frames} frame(s), too few for {splits} splits separated by a gap\n  = hint: render more frames per variant (--frames {needed} or more), or ask for fewer splits (e.g. --split 1,0,0)"
    )]
    TooFewFrames {
        variant: u32,
        frames: usize,
        splits: usize,
        needed: usize,
    },
}

/// Assigns `frames` ((variant, frame) pairs) to splits.
pub fn assign(
    fractions: &SplitFractions,
    by: SplitBy,
    seed: u64,
    frames: &[(u32, u32)],
) -> Result<SplitPlan, SplitError> {
    let mut per_variant: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    for (v, f) in frames {
        per_variant.entry(*v).or_default().push(*f);
    }
    let requested = fractions.requested();
    if by != SplitBy::FrameBlocks {
        let by_variant: BTreeMap<u32, Split> = per_variant
            .keys()
            .map(|v| (*v, fractions.of(seed, *v)))
            .collect();
        let empty = requested
            .iter()
            .find(|s| !by_variant.values().any(|x| x == *s));
        match (empty, by) {
            (None, _) => {
                let assignment = frames
                    .iter()
                    .map(|(v, f)| ((*v, *f), by_variant.get(v).copied()))
                    .collect();
                return Ok(SplitPlan {
                    mode: SplitMode::Variant,
                    assignment,
                    notice: None,
                });
            }
            (Some(split), SplitBy::Variant) => {
                return Err(SplitError::EmptyByVariant {
                    fractions: format!("{},{},{}", fractions.0[0], fractions.0[1], fractions.0[2]),
                    split: split.name(),
                    variants: per_variant.len(),
                });
            }
            (Some(_), _) => {}
        }
    }
    let shortest = per_variant.values().map(Vec::len).min().unwrap_or(0);
    let gap = gap_for(shortest, requested.len());
    let mut assignment = BTreeMap::new();
    for (variant, list) in &mut per_variant {
        list.sort_unstable();
        let sizes = block_sizes(fractions, &requested, list.len(), gap).ok_or_else(|| {
            let k = requested.len();
            SplitError::TooFewFrames {
                variant: *variant,
                frames: list.len(),
                splits: k,
                needed: k + (k - 1) * gap.max(1) as usize,
            }
        })?;
        let mut frames = list.iter();
        for (i, (split, size)) in requested.iter().zip(sizes).enumerate() {
            if i > 0 {
                for f in frames.by_ref().take(gap as usize) {
                    assignment.insert((*variant, *f), None);
                }
            }
            for f in frames.by_ref().take(size) {
                assignment.insert((*variant, *f), Some(*split));
            }
        }
    }
    let notice = (by == SplitBy::Auto).then(|| {
        format!(
            "only {} scene variant(s): splitting by variant would leave a requested split empty, so every variant is cut into contiguous frame blocks ({}) with {gap} frame(s) dropped between blocks; render 10 or more variants to split by variant",
            per_variant.len(),
            requested
                .iter()
                .map(|s| s.name())
                .collect::<Vec<_>>()
                .join(", "),
        )
    });
    Ok(SplitPlan {
        mode: SplitMode::FrameBlocks { gap },
        assignment,
        notice,
    })
}

/// Frames dropped between blocks: a tenth of a variant's frames, at least one, and never
/// so many that a requested split gets no frame.
fn gap_for(frames: usize, splits: usize) -> u32 {
    if splits < 2 {
        return 0;
    }
    let wanted = (frames / 10).max(1);
    let most = frames.saturating_sub(splits) / (splits - 1);
    wanted.min(most).max(1) as u32
}

/// Block sizes per requested split (largest remainder, at least one frame each).
fn block_sizes(
    fractions: &SplitFractions,
    requested: &[Split],
    frames: usize,
    gap: u32,
) -> Option<Vec<usize>> {
    let k = requested.len();
    let usable = frames.checked_sub(k.saturating_sub(1) * gap as usize)?;
    if usable < k {
        return None;
    }
    let total: f64 = requested.iter().map(|s| fractions.0[s.index()]).sum();
    // One frame each first, the rest by fraction.
    let spare = usable - k;
    let exact: Vec<f64> = requested
        .iter()
        .map(|s| fractions.0[s.index()] / total * spare as f64)
        .collect();
    let mut sizes: Vec<usize> = exact.iter().map(|x| 1 + x.floor() as usize).collect();
    let mut order: Vec<usize> = (0..k).collect();
    order.sort_by(|a, b| {
        (exact[*b] - exact[*b].floor())
            .total_cmp(&(exact[*a] - exact[*a].floor()))
            .then(a.cmp(b))
    });
    let mut left = usable - sizes.iter().sum::<usize>();
    for i in order.into_iter().cycle().take(left.max(1) * k) {
        if left == 0 {
            break;
        }
        sizes[i] += 1;
        left -= 1;
    }
    Some(sizes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(variants: u32, per: u32) -> Vec<(u32, u32)> {
        (0..variants)
            .flat_map(|v| (0..per).map(move |f| (v, f)))
            .collect()
    }

    #[test]
    fn fractions_hold_over_many_variants_and_parse_rejects_garbage() {
        let f = SplitFractions([0.7, 0.2, 0.1]);
        let n = 20_000;
        let train = (0..n).filter(|v| f.of(42, *v) == Split::Train).count() as f64 / f64::from(n);
        assert!((train - 0.7).abs() < 0.02, "{train}");
        assert_eq!(f.of(42, 7), f.of(42, 7));
        assert!(SplitFractions::parse("0.8,0.1").is_none());
        assert!(SplitFractions::parse("a,b,c").is_none());
        assert_eq!(
            SplitFractions::parse("8,1,1"),
            Some(SplitFractions([8.0, 1.0, 1.0]))
        );
    }

    #[test]
    fn many_variants_split_by_variant() {
        let all = frames(40, 5);
        let plan = assign(&SplitFractions::default(), SplitBy::Auto, 1, &all).expect("plan");
        assert_eq!(plan.mode, SplitMode::Variant);
        assert!(plan.notice.is_none());
        assert_eq!(plan.dropped(), 0);
        assert!(plan.counts().iter().all(|n| *n > 0), "{:?}", plan.counts());
        for v in 0..40 {
            let first = plan.split_of(v, 0);
            assert!((1..5).all(|f| plan.split_of(v, f) == first));
        }
    }

    #[test]
    fn few_variants_fall_back_to_gapped_blocks_that_never_touch() {
        let all = frames(4, 60);
        let plan = assign(&SplitFractions::default(), SplitBy::Auto, 0, &all).expect("plan");
        assert_eq!(plan.mode, SplitMode::FrameBlocks { gap: 6 });
        assert!(
            plan.notice
                .as_deref()
                .is_some_and(|n| n.contains("4 scene"))
        );
        let [train, val, test] = plan.counts();
        assert_eq!(train + val + test + plan.dropped(), 240);
        assert_eq!(plan.dropped(), 4 * 2 * 6);
        assert!(
            val > 0 && test > 0 && train > 4 * val,
            "{train} {val} {test}"
        );
        // Blocks are contiguous and ordered; frames of different splits are more than the
        // gap apart.
        for v in 0..4 {
            let seq: Vec<Option<Split>> = (0..60).map(|f| plan.split_of(v, f)).collect();
            for a in 0..60 {
                for b in 0..60 {
                    if let (Some(x), Some(y)) = (seq[a], seq[b])
                        && x != y
                    {
                        assert!(a.abs_diff(b) > 6, "frames {a} and {b}");
                    }
                }
            }
        }
    }

    #[test]
    fn variant_only_refuses_an_empty_split_and_tiny_variants_refuse_blocks() {
        let all = frames(2, 30);
        let err =
            assign(&SplitFractions::default(), SplitBy::Variant, 0, &all).expect_err("empty split");
        assert!(err.to_string().contains("--variants 10"), "{err}");
        let one_split = assign(&SplitFractions([1.0, 0.0, 0.0]), SplitBy::Variant, 0, &all)
            .expect("train only");
        assert_eq!(one_split.counts(), [60, 0, 0]);
        let err = assign(
            &SplitFractions::default(),
            SplitBy::FrameBlocks,
            0,
            &frames(1, 4),
        )
        .expect_err("too few");
        assert!(err.to_string().contains("--frames 5"), "{err}");
        let tight = assign(
            &SplitFractions::default(),
            SplitBy::FrameBlocks,
            0,
            &frames(1, 5),
        )
        .expect("five frames");
        assert_eq!(tight.counts(), [1, 1, 1]);
    }
}
