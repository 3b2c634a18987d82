//! The refiner checkpoint shipped with drivegen (`--refine default`), compiled into the
//! binary so it works wherever the binary goes. `tools/train_default_refiner.sh`
//! reproduces it; the README has its measured effect.

use crate::checkpoint::Source;

macro_rules! shipped_file {
    ($name:literal) => {
        (
            $name,
            include_bytes!(concat!("../../../assets/refiner/default/", $name)).as_slice(),
        )
    };
}

const FILES: &[(&str, &[u8])] = &[
    shipped_file!("config.json"),
    shipped_file!("refiner.mpk"),
    shipped_file!("vae.mpk"),
];

pub fn default_checkpoint() -> Source {
    Source::Embedded {
        name: "default refiner",
        files: FILES,
    }
}
