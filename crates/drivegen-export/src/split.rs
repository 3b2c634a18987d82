//! Deterministic train/val/test assignment by scene variant: every frame of a variant
//! lands in the same split.

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
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

    /// The split of a variant: a SplitMix64 hash of (seed, variant) mapped to [0, 1).
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
