//! Sim-to-real refinement in burn: a label-preserving refiner (stride 1, residual, so
//! geometry cannot move), a local patch discriminator and the hand-written GAN loop; the
//! VAE realism critic; realism and label-preservation metrics; checkpoints; training,
//! applying and evaluating on folders of frames; and a benchmark per backend.
//!
//! Models and loops are generic over the burn backend. [`compute`] instantiates them for
//! the backends drivegen ships (Flex, NdArray, Wgpu) inside this crate, which is built
//! optimised even in the dev profile: burn's kernels are generic, so they run at the
//! optimisation level of the crate that instantiates them.

pub mod bench;
pub mod checkpoint;
pub mod class_look;
pub mod compute;
pub mod curves;
pub mod data;
pub mod error;
pub mod eval;
pub mod gan;
pub mod grade;
pub mod metrics;
pub mod model;
pub mod plot;
pub mod reach;
pub mod realism;
pub mod sensor_fit;
pub mod shipped;
pub mod statistics;
pub mod train;
pub mod vae;

pub use error::RefineError;
