//! Sim-to-real refinement in burn (in progress): a label-preserving refiner (stride 1,
//! residual, so geometry cannot move), a local patch discriminator, the hand-written GAN
//! loop, and a benchmark of one training iteration per backend.
//!
//! Models are generic over the burn backend; the binary chooses it.

pub mod bench;
pub mod gan;
pub mod model;
