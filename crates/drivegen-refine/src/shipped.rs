//! The refiner checkpoints shipped with drivegen, compiled into the binary so they work
//! wherever the binary goes: `fast` (meets the CPU frame budget) and `quality` (more
//! capacity, for a GPU). `--refine default` picks one per backend. Both are reproduced
//! by `tools/train_default_refiner.sh`; the README has their measured effect.

use crate::checkpoint::Source;
use crate::compute::Compute;

macro_rules! shipped_files {
    ($dir:literal) => {
        &[
            (
                "config.json",
                include_bytes!(concat!("../../../assets/refiner/", $dir, "/config.json"))
                    .as_slice(),
            ),
            (
                "refiner.mpk",
                include_bytes!(concat!("../../../assets/refiner/", $dir, "/refiner.mpk"))
                    .as_slice(),
            ),
            (
                "vae.mpk",
                include_bytes!(concat!("../../../assets/refiner/", $dir, "/vae.mpk")).as_slice(),
            ),
        ]
    };
}

const FAST: &[(&str, &[u8])] = shipped_files!("fast");
const QUALITY: &[(&str, &[u8])] = shipped_files!("quality");

/// A refiner shipped in the binary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shipped {
    /// 7.8 k parameters, 0.8 GFLOP per 640x384 frame: the CPU default.
    Fast,
    /// 27 k parameters, 3 GFLOP per 640x384 frame: the GPU default.
    Quality,
}

impl Shipped {
    pub const ALL: [Shipped; 2] = [Shipped::Fast, Shipped::Quality];

    /// The checkpoint a `--refine`/`--ckpt` argument names, if it names a shipped one:
    /// `fast`, `quality`, or `default` (the one for `compute`).
    pub fn named(name: &str, compute: Compute) -> Option<Shipped> {
        match name {
            "default" => Some(Shipped::default_for(compute)),
            "fast" => Some(Shipped::Fast),
            "quality" => Some(Shipped::Quality),
            _ => None,
        }
    }

    /// What `default` means on a backend: the quality model where a GPU runs it, the
    /// fast one on the CPU backends, where the quality model misses the frame budget.
    pub fn default_for(compute: Compute) -> Shipped {
        match compute {
            Compute::Wgpu => Shipped::Quality,
            Compute::Flex | Compute::NdArray => Shipped::Fast,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Shipped::Fast => "fast",
            Shipped::Quality => "quality",
        }
    }

    pub fn source(self) -> Source {
        match self {
            Shipped::Fast => Source::Embedded {
                name: "fast refiner",
                files: FAST,
            },
            Shipped::Quality => Source::Embedded {
                name: "quality refiner",
                files: QUALITY,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_fast_on_the_cpu_and_quality_on_a_gpu() {
        assert_eq!(
            Shipped::named("default", Compute::Flex),
            Some(Shipped::Fast)
        );
        assert_eq!(
            Shipped::named("default", Compute::NdArray),
            Some(Shipped::Fast)
        );
        assert_eq!(
            Shipped::named("default", Compute::Wgpu),
            Some(Shipped::Quality)
        );
        assert_eq!(Shipped::named("./fast", Compute::Flex), None);
    }

    #[test]
    fn both_shipped_checkpoints_load_and_differ_in_cost() {
        let flops = |s: Shipped| {
            let c = s.source().config().expect("shipped config").gan.refiner;
            c.flops(384, 640)
        };
        let (fast, quality) = (flops(Shipped::Fast), flops(Shipped::Quality));
        assert!(
            fast < quality / 2.0,
            "fast {fast:.3e} vs quality {quality:.3e}"
        );
        assert_ne!(
            Shipped::Fast.source().sha256().expect("sha"),
            Shipped::Quality.source().sha256().expect("sha")
        );
    }
}
