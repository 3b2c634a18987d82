//! Parametric actor models: vehicles per class and articulated pedestrians.
//!
//! Models are built in the actor's local frame (origin on the ground at the footprint
//! centre, x forward, y left, z up) and stay inside the actor's box. A model is a list of
//! limbs; each limb is rigid and posed per frame by [`limb_frame`] from the agent's
//! state, so the renderer and the labeler agree on it.

mod heavy;
mod people;
mod two_wheelers;
mod vehicles;

use drivegen_labels::math::{Iso3, M3, V3, v3};
use drivegen_plan::{Actor, ActorClass};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use crate::mesh::Part;
use crate::traffic::AgentState;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Limb {
    Body,
    LeftLeg,
    RightLeg,
    LeftArm,
    RightArm,
    /// An axle with its wheels, rolling about the pivot's y axis as the agent drives.
    Axle {
        radius: f64,
    },
}

#[derive(Clone, Debug)]
pub struct LimbModel {
    pub limb: Limb,
    /// The joint it swings or rolls about, in the actor frame.
    pub pivot: V3,
    pub parts: Vec<Part>,
}

impl LimbModel {
    fn rigid(parts: Vec<Part>) -> LimbModel {
        LimbModel {
            limb: Limb::Body,
            pivot: v3(0.0, 0.0, 0.0),
            parts,
        }
    }
}

/// Peak swing of legs and arms while walking (radians).
const SWING: f64 = 0.45;

/// The pose of a limb in the actor frame for the agent's walking phase and distance
/// driven.
pub fn limb_frame(limb: &LimbModel, state: &AgentState) -> Iso3 {
    let angle = match limb.limb {
        Limb::Body => {
            return Iso3 {
                rotation: M3::IDENTITY,
                translation: v3(0.0, 0.0, 0.0),
            };
        }
        Limb::LeftLeg | Limb::RightArm => SWING * libm::sin(state.walk_phase),
        Limb::RightLeg | Limb::LeftArm => -SWING * libm::sin(state.walk_phase),
        // Rolling without slipping; about +y, a positive angle moves the top forward.
        Limb::Axle { radius } => {
            (state.odometer / radius.max(0.05)).rem_euclid(std::f64::consts::TAU)
        }
    };
    // Rotate about the pivot's y axis: p' = R (p - pivot) + pivot.
    let rotation = M3::rot_y(angle);
    Iso3 {
        rotation,
        translation: limb.pivot + rotation.mul_v(limb.pivot) * -1.0,
    }
}

/// An actor's model: limbs for the actor itself, and a rider's limbs for two-wheelers.
#[derive(Clone, Debug)]
pub struct ActorModel {
    pub limbs: Vec<LimbModel>,
    pub rider: Option<Vec<LimbModel>>,
}

/// Looks that the plan leaves open (hair, trouser colour, build), drawn per actor from
/// its own named stream so adding an actor changes no other actor's looks.
pub(crate) fn appearance_stream(variant_seed: u64, actor_id: u32) -> ChaCha8Rng {
    drivegen_plan::streams::stream(variant_seed, &format!("appearance/{actor_id}"))
}

/// One of `palette`, drawn from `rng`.
pub(crate) fn pick<T: Copy>(rng: &mut ChaCha8Rng, palette: &[T]) -> T {
    palette[rng.random_range(0..palette.len())]
}

/// The model of `actor`; `night` lights its lamps, `variant_seed` draws its looks.
pub fn actor_model(actor: &Actor, night: bool, variant_seed: u64) -> ActorModel {
    let mut rng = appearance_stream(variant_seed, actor.id);
    match actor.class {
        ActorClass::Vehicle(class) => {
            let (limbs, rider) =
                vehicles::vehicle(class, &actor.size, actor.color, night, &mut rng);
            ActorModel {
                limbs,
                rider: rider.map(|parts| vec![LimbModel::rigid(parts)]),
            }
        }
        ActorClass::Pedestrian => ActorModel {
            limbs: people::pedestrian(&actor.size, actor.color, &mut rng),
            rider: None,
        },
    }
}

#[cfg(test)]
mod tests;
