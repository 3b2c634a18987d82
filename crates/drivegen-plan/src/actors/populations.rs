//! Per-class populations: exactly `count` extra moving vehicles of one class, with their
//! own speed factor and IDM parameters, on any lane or on the lane beside the kerb.
//!
//! Each population draws from its own stream (`population:<index>`) after every
//! unnamed group has been placed, and takes the moving-vehicle ids after them, so adding
//! a population moves no other actor.

use drivegen_scenario::Scenario;
use drivegen_scenario::placement::LanePlacement;
use drivegen_scenario::validate::caps;

use super::{Driver, Placement};
use crate::error::{PlanError, Subject};
use crate::streams;
use crate::types::*;

pub(super) fn place_populations(
    s: &Scenario,
    p: &mut Placement<'_>,
    variant_seed: u64,
    horizon: f64,
) -> Result<(), PlanError> {
    for (k, pop) in s.traffic.populations.iter().enumerate() {
        let mut rng = streams::stream(variant_seed, &format!("population:{k}"));
        let lanes: Vec<&Lane> = p
            .net
            .lanes
            .iter()
            .filter(|l| l.kind == LaneKind::Driving)
            .filter(|l| pop.placement == LanePlacement::AnyLane || l.index == 0)
            .collect();
        let driver = Driver {
            speed_factor: pop.speed_factor.as_ref().unwrap_or(&s.traffic.speed_factor),
            idm: pop.idm.as_ref().unwrap_or(&s.traffic.idm),
            eagerness: &s.traffic.lane_change_eagerness,
            colors: &s.traffic.colors,
            horizon,
        };
        let count = pop.count.sample_count_capped(&mut rng, caps::VEHICLES);
        for i in 0..count {
            let moving = p.actors.iter().filter(|a| a.role == Role::Traffic).count();
            let id = ids::Range::Vehicles.nth(moving as u32)?;
            let actor = driver.place(p, &mut rng, &lanes, id, pop.class, || {
                Subject::PopulationVehicle {
                    population: k,
                    class: format!("{:?}", pop.class),
                    index: i + 1,
                    count,
                }
            })?;
            p.actors.push(actor);
        }
    }
    Ok(())
}
