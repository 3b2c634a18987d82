//! Scenario parameters that are either a constant or a distribution.
//!
//! A scenario describes a *family* of scenes, so a numeric field can be `12.5` or
//! `Uniform(10, 15)`; categorical fields are weighted lists. Sampling takes the caller's
//! RNG so that the planner decides which named sub-stream each draw comes from.
//!
//! The Normal and Poisson samplers are written here with `libm` rather than taken from
//! `rand_distr`, whose `exp`/`ln` go through the platform's maths library: a draw, and
//! so a plan, is the same on every machine.

use rand::{Rng, RngExt};
use serde::{Deserialize, Deserializer, Serialize};

/// A numeric scenario field: a constant or one of the supported distributions.
///
/// RON spellings: `12.5`, `Uniform(lo, hi)`, `Normal(mean, std)`, `Normal(mean, std, min, max)`
/// (clamped), `Bernoulli(p)` (0 or 1), `Choice([(weight, value), ...])`, `Poisson(lambda)`,
/// `IntRange(lo, hi)` (inclusive).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum Param {
    Const(f64),
    Uniform(f64, f64),
    Normal {
        mean: f64,
        std: f64,
        clamp: Option<(f64, f64)>,
    },
    Bernoulli(f64),
    Choice(Vec<(f64, f64)>),
    Poisson(f64),
    IntRange(i64, i64),
}

impl Default for Param {
    fn default() -> Self {
        Param::Const(0.0)
    }
}

impl From<f64> for Param {
    fn from(v: f64) -> Self {
        Param::Const(v)
    }
}

impl Param {
    /// Draws one value. Parameters are assumed validated (see [`Param::check`]).
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match self {
            Param::Const(v) => *v,
            Param::Uniform(lo, hi) => {
                if hi > lo {
                    rng.random_range(*lo..*hi)
                } else {
                    *lo
                }
            }
            Param::Normal { mean, std, clamp } => {
                let v = if std.is_finite() && *std > 0.0 {
                    mean + std * standard_normal(rng)
                } else {
                    *mean
                };
                match clamp {
                    Some((lo, hi)) => v.clamp(*lo, *hi),
                    None => v,
                }
            }
            Param::Bernoulli(p) => {
                if rng.random_bool(p.clamp(0.0, 1.0)) {
                    1.0
                } else {
                    0.0
                }
            }
            Param::Choice(options) => pick_weighted(options, rng).copied().unwrap_or(0.0),
            Param::Poisson(lambda) => poisson(*lambda, rng),
            Param::IntRange(lo, hi) => {
                if hi > lo {
                    rng.random_range(*lo..=*hi) as f64
                } else {
                    *lo as f64
                }
            }
        }
    }

    /// Draws a non-negative count (rounded to the nearest integer; negative draws are 0).
    pub fn sample_count<R: Rng + ?Sized>(&self, rng: &mut R) -> u32 {
        let v = self.sample(rng).round();
        if v.is_finite() && v > 0.0 {
            v.min(u32::MAX as f64) as u32
        } else {
            0
        }
    }

    /// Draws a count as [`Param::sample_count`] does, clamped to `cap`: validation judges
    /// an unbounded distribution (an unclamped Normal, a Poisson) by the range
    /// [`Param::bounds`] reports, and this clamp holds the cap for its far tail.
    pub fn sample_count_capped<R: Rng + ?Sized>(&self, rng: &mut R, cap: u32) -> u32 {
        self.sample_count(rng).min(cap)
    }

    /// Whether the file wrote one value here rather than a distribution.
    pub fn is_constant(&self) -> bool {
        matches!(self, Param::Const(_))
    }

    /// The smallest and largest value this parameter can produce (Normal without a clamp
    /// reports mean ± 4 std, which covers all but 1 in 15,000 draws).
    pub fn bounds(&self) -> (f64, f64) {
        match self {
            Param::Const(v) => (*v, *v),
            Param::Uniform(lo, hi) => (*lo, *hi),
            Param::Normal {
                clamp: Some((lo, hi)),
                ..
            } => (*lo, *hi),
            Param::Normal {
                mean,
                std,
                clamp: None,
            } => (mean - 4.0 * std, mean + 4.0 * std),
            Param::Bernoulli(_) => (0.0, 1.0),
            Param::Choice(options) => options
                .iter()
                .map(|(_, v)| *v)
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
                    (lo.min(v), hi.max(v))
                }),
            Param::Poisson(lambda) => (0.0, lambda + 6.0 * lambda.sqrt() + 6.0),
            Param::IntRange(lo, hi) => (*lo as f64, *hi as f64),
        }
    }

    /// The distribution's own consistency problems (`lo > hi`, negative std, ...),
    /// independent of what the field means.
    pub fn check(&self) -> Result<(), ParamProblem> {
        let finite = |v: f64| v.is_finite();
        match self {
            Param::Const(v) if !finite(*v) => Err(ParamProblem::NotFinite),
            Param::Uniform(lo, hi) if !finite(*lo) || !finite(*hi) => Err(ParamProblem::NotFinite),
            Param::Uniform(lo, hi) if lo > hi => Err(ParamProblem::LoAboveHi(*lo, *hi)),
            Param::Normal { mean, std, clamp } => {
                if !finite(*mean) || !finite(*std) {
                    return Err(ParamProblem::NotFinite);
                }
                if *std < 0.0 {
                    return Err(ParamProblem::NegativeStd(*std));
                }
                match clamp {
                    Some((lo, hi)) if lo > hi => Err(ParamProblem::LoAboveHi(*lo, *hi)),
                    _ => Ok(()),
                }
            }
            Param::Bernoulli(p) if !(0.0..=1.0).contains(p) => {
                Err(ParamProblem::ProbabilityOutOfRange(*p))
            }
            Param::Choice(options) => check_weights(options.iter().map(|(w, _)| *w)),
            Param::Poisson(lambda) if !finite(*lambda) || *lambda < 0.0 => {
                Err(ParamProblem::NegativeRate(*lambda))
            }
            Param::IntRange(lo, hi) if lo > hi => {
                Err(ParamProblem::LoAboveHi(*lo as f64, *hi as f64))
            }
            _ => Ok(()),
        }
    }

    /// Short human name of the distribution, for diagnostics and reports.
    pub fn kind(&self) -> &'static str {
        match self {
            Param::Const(_) => "constant",
            Param::Uniform(..) => "Uniform",
            Param::Normal { .. } => "Normal",
            Param::Bernoulli(_) => "Bernoulli",
            Param::Choice(_) => "Choice",
            Param::Poisson(_) => "Poisson",
            Param::IntRange(..) => "IntRange",
        }
    }
}

/// One standard normal draw (Box–Muller, one pair of uniforms per draw), with `libm`.
fn standard_normal<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    // u1 in (0, 1], so its logarithm is finite.
    let u1 = 1.0 - rng.random::<f64>();
    let u2 = rng.random::<f64>();
    libm::sqrt(-2.0 * libm::log(u1)) * libm::cos(std::f64::consts::TAU * u2)
}

/// One Poisson draw with `libm`: Knuth's product of uniforms below rate 10, Hörmann's
/// transformed rejection (PTRS, as in NumPy) above.
fn poisson<R: Rng + ?Sized>(lambda: f64, rng: &mut R) -> f64 {
    if !(lambda.is_finite() && lambda > 0.0) {
        return 0.0;
    }
    if lambda < 10.0 {
        let limit = libm::exp(-lambda);
        let mut product = 1.0;
        let mut k = 0.0;
        loop {
            product *= rng.random::<f64>();
            if product <= limit {
                return k;
            }
            k += 1.0;
        }
    }
    let slam = libm::sqrt(lambda);
    let loglam = libm::log(lambda);
    let b = 0.931 + 2.53 * slam;
    let a = -0.059 + 0.02483 * b;
    let inv_alpha = 1.1239 + 1.1328 / (b - 3.4);
    let vr = 0.9277 - 3.6224 / (b - 2.0);
    loop {
        let u = rng.random::<f64>() - 0.5;
        let v = rng.random::<f64>();
        let us = 0.5 - u.abs();
        let k = libm::floor((2.0 * a / us + b) * u + lambda + 0.43);
        if us >= 0.07 && v <= vr {
            return k;
        }
        if !k.is_finite() || k < 0.0 || (us < 0.013 && v > us) {
            continue;
        }
        let lhs = libm::log(v) + libm::log(inv_alpha) - libm::log(a / (us * us) + b);
        if lhs <= -lambda + k * loglam - libm::lgamma(k + 1.0) {
            return k;
        }
    }
}

/// Why a distribution's own parameters are inconsistent.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ParamProblem {
    #[error("value is not a finite number")]
    NotFinite,
    #[error("lower bound {0} is above upper bound {1}")]
    LoAboveHi(f64, f64),
    #[error("standard deviation {0} is negative")]
    NegativeStd(f64),
    #[error("probability {0} is outside [0, 1]")]
    ProbabilityOutOfRange(f64),
    #[error("rate {0} must be a finite number >= 0")]
    NegativeRate(f64),
    #[error("weights must be finite and >= 0 with a positive sum")]
    BadWeights,
    #[error("the list of choices is empty")]
    EmptyChoice,
}

fn check_weights(weights: impl Iterator<Item = f64>) -> Result<(), ParamProblem> {
    let mut sum = 0.0;
    let mut n = 0;
    for w in weights {
        if !w.is_finite() || w < 0.0 {
            return Err(ParamProblem::BadWeights);
        }
        sum += w;
        n += 1;
    }
    if n == 0 {
        Err(ParamProblem::EmptyChoice)
    } else if sum <= 0.0 {
        Err(ParamProblem::BadWeights)
    } else {
        Ok(())
    }
}

/// Picks one item with probability proportional to its weight (one uniform draw).
pub fn pick_weighted<'a, T, R: Rng + ?Sized>(
    options: &'a [(f64, T)],
    rng: &mut R,
) -> Option<&'a T> {
    let total: f64 = options.iter().map(|(w, _)| w.max(0.0)).sum();
    if options.is_empty() || total <= 0.0 {
        return None;
    }
    let mut x = rng.random_range(0.0..total);
    for (w, item) in options {
        let w = w.max(0.0);
        if x < w {
            return Some(item);
        }
        x -= w;
    }
    options
        .iter()
        .rev()
        .find(|(w, _)| *w > 0.0)
        .map(|(_, item)| item)
}

/// A categorical field: `[(weight, value), ...]`, or a single bare value.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Weighted<T>(pub Vec<(f64, T)>);

impl<T> Weighted<T> {
    pub fn one(value: T) -> Self {
        Weighted(vec![(1.0, value)])
    }

    pub fn pick<R: Rng + ?Sized>(&self, rng: &mut R) -> Option<&T> {
        pick_weighted(&self.0, rng)
    }

    pub fn check(&self) -> Result<(), ParamProblem> {
        check_weights(self.0.iter().map(|(w, _)| *w))
    }

    pub fn values(&self) -> impl Iterator<Item = &T> {
        self.0.iter().map(|(_, v)| v)
    }
}

/// An enum a designer picks by name; its names feed "did you mean" hints.
pub trait Categorical {
    /// What one value is called in messages ("vehicle class").
    const KIND: &'static str;
    /// Every accepted variant name.
    const NAMES: &'static [&'static str];
}

/// Prefix of the error a malformed categorical field produces; the loader turns it into
/// "unknown vehicle class `Lorry`" at the offending name.
pub const CATEGORICAL_ERROR_PREFIX: &str = "expected a categorical value: ";

/// Accepted names for a categorical `KIND`, used by the loader's hints.
pub fn categorical_names(kind: &str) -> Option<&'static [&'static str]> {
    use crate::model::{Color, Turn, VehicleClass, WalkArea};
    [
        (VehicleClass::KIND, VehicleClass::NAMES),
        (Color::KIND, Color::NAMES),
        (Turn::KIND, Turn::NAMES),
        (WalkArea::KIND, WalkArea::NAMES),
        (
            crate::placement::PedestrianKind::KIND,
            crate::placement::PedestrianKind::NAMES,
        ),
    ]
    .into_iter()
    .find(|(k, _)| *k == kind)
    .map(|(_, names)| names)
}

impl<'de, T: Deserialize<'de> + Categorical> Deserialize<'de> for Weighted<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw<T> {
            List(Vec<(f64, T)>),
            One(T),
        }
        match Raw::deserialize(d) {
            Ok(Raw::List(v)) => Ok(Weighted(v)),
            Ok(Raw::One(v)) => Ok(Weighted::one(v)),
            Err(_) => Err(serde::de::Error::custom(format!(
                "{CATEGORICAL_ERROR_PREFIX}{}",
                T::KIND
            ))),
        }
    }
}

/// A yes/no field: `true`, `false` or `Bernoulli(p)`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum Flag {
    Fixed(bool),
    Bernoulli(f64),
}

impl Default for Flag {
    fn default() -> Self {
        Flag::Fixed(false)
    }
}

impl Flag {
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> bool {
        match self {
            Flag::Fixed(b) => *b,
            Flag::Bernoulli(p) => rng.random_bool(p.clamp(0.0, 1.0)),
        }
    }

    pub fn check(&self) -> Result<(), ParamProblem> {
        match self {
            Flag::Bernoulli(p) if !(0.0..=1.0).contains(p) => {
                Err(ParamProblem::ProbabilityOutOfRange(*p))
            }
            _ => Ok(()),
        }
    }
}

impl<'de> Deserialize<'de> for Flag {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged, expecting = "true, false or Bernoulli(p)")]
        enum Raw {
            Fixed(bool),
            Dist(RawFlagDist),
        }
        #[derive(Deserialize)]
        enum RawFlagDist {
            Bernoulli(f64),
        }
        Ok(match Raw::deserialize(d)? {
            Raw::Fixed(b) => Flag::Fixed(b),
            Raw::Dist(RawFlagDist::Bernoulli(p)) => Flag::Bernoulli(p),
        })
    }
}

/// The RON shape of a distribution, before `Normal`'s optional clamp is interpreted.
#[derive(Deserialize)]
enum RawDist {
    Uniform(f64, f64),
    Normal(Vec<f64>),
    Bernoulli(f64),
    Choice(Vec<(f64, f64)>),
    Poisson(f64),
    IntRange(i64, i64),
}

impl<'de> Deserialize<'de> for Param {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(
            untagged,
            expecting = "a number or a distribution: Uniform(lo, hi), Normal(mean, std), \
                         Normal(mean, std, min, max), Bernoulli(p), Choice([(weight, value), ...]), \
                         Poisson(lambda) or IntRange(lo, hi)"
        )]
        enum Raw {
            Int(i64),
            Num(f64),
            Dist(RawDist),
        }
        Ok(match Raw::deserialize(d)? {
            Raw::Int(v) => Param::Const(v as f64),
            Raw::Num(v) => Param::Const(v),
            Raw::Dist(RawDist::Uniform(lo, hi)) => Param::Uniform(lo, hi),
            Raw::Dist(RawDist::Normal(args)) => match args.as_slice() {
                [mean, std] => Param::Normal {
                    mean: *mean,
                    std: *std,
                    clamp: None,
                },
                [mean, std, lo, hi] => Param::Normal {
                    mean: *mean,
                    std: *std,
                    clamp: Some((*lo, *hi)),
                },
                other => {
                    return Err(serde::de::Error::custom(format!(
                        "Normal takes (mean, std) or (mean, std, min, max), found {} numbers",
                        other.len()
                    )));
                }
            },
            Raw::Dist(RawDist::Bernoulli(p)) => Param::Bernoulli(p),
            Raw::Dist(RawDist::Choice(c)) => Param::Choice(c),
            Raw::Dist(RawDist::Poisson(l)) => Param::Poisson(l),
            Raw::Dist(RawDist::IntRange(lo, hi)) => Param::IntRange(lo, hi),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Param, ron::error::SpannedError> {
        ron::from_str(s)
    }

    #[test]
    fn parses_every_spelling() {
        assert_eq!(parse("12").ok(), Some(Param::Const(12.0)));
        assert_eq!(parse("-2.5").ok(), Some(Param::Const(-2.5)));
        assert_eq!(
            parse("Uniform(1, 2.5)").ok(),
            Some(Param::Uniform(1.0, 2.5))
        );
        assert_eq!(
            parse("Normal(13.9, 2)").ok(),
            Some(Param::Normal {
                mean: 13.9,
                std: 2.0,
                clamp: None
            })
        );
        assert_eq!(
            parse("Normal(13.9, 2, 8, 20)").ok(),
            Some(Param::Normal {
                mean: 13.9,
                std: 2.0,
                clamp: Some((8.0, 20.0))
            })
        );
        assert_eq!(parse("Bernoulli(0.3)").ok(), Some(Param::Bernoulli(0.3)));
        assert_eq!(
            parse("Choice([(1, 3.0), (2.5, 4)])").ok(),
            Some(Param::Choice(vec![(1.0, 3.0), (2.5, 4.0)]))
        );
        assert_eq!(parse("Poisson(4)").ok(), Some(Param::Poisson(4.0)));
        assert_eq!(parse("IntRange(2, 9)").ok(), Some(Param::IntRange(2, 9)));
    }

    #[test]
    fn rejects_unknown_distribution_and_bad_arity() {
        let err = parse("Gaussian(1, 2)").err().map(|e| e.code.to_string());
        assert!(err.is_some_and(|m| m.contains("Uniform(lo, hi)")));
        let err = parse("Normal(1, 2, 3)").err().map(|e| e.code.to_string());
        assert!(err.is_some(), "three-argument Normal must be rejected");
    }

    #[test]
    fn flag_and_weighted_spellings() {
        assert_eq!(ron::from_str::<Flag>("true").ok(), Some(Flag::Fixed(true)));
        assert_eq!(
            ron::from_str::<Flag>("Bernoulli(0.25)").ok(),
            Some(Flag::Bernoulli(0.25))
        );
        use crate::model::{Color, Turn};
        let w: Option<Weighted<Turn>> = ron::from_str("[(1, Left), (3, Straight)]").ok();
        assert_eq!(w.map(|w| w.0.len()), Some(2));
        let w: Option<Weighted<Turn>> = ron::from_str("Right").ok();
        assert_eq!(w, Some(Weighted::one(Turn::Right)));
        let w: Option<Weighted<Color>> = ron::from_str("[(1, Rgb(1, 2, 3))]").ok();
        assert_eq!(w, Some(Weighted(vec![(1.0, Color::Rgb(1, 2, 3))])));
        let err = ron::from_str::<Weighted<Turn>>("[(1, Up)]").err();
        assert!(err.is_some_and(|e| e.code.to_string().contains("turn")));
    }

    #[test]
    fn check_reports_inconsistent_parameters() {
        assert!(matches!(
            Param::Uniform(3.0, 1.0).check(),
            Err(ParamProblem::LoAboveHi(..))
        ));
        assert!(matches!(
            Param::Bernoulli(1.5).check(),
            Err(ParamProblem::ProbabilityOutOfRange(_))
        ));
        assert!(matches!(
            Param::Choice(vec![]).check(),
            Err(ParamProblem::EmptyChoice)
        ));
        assert!(
            Param::Normal {
                mean: 0.0,
                std: -1.0,
                clamp: None
            }
            .check()
            .is_err()
        );
        assert!(Param::Poisson(3.0).check().is_ok());
    }
}
