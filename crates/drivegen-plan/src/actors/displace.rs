//! Making room for a named actor without redrawing anyone else.
//!
//! Named actors are placed after every unnamed one, so a random car may already stand
//! where "the van 15 m ahead" must go. Rather than fail (or redraw the car and shift
//! every later draw of its stream), the unnamed actors in the way are nudged along their
//! own lane or heading to the nearest free spot, by a fixed search that draws nothing:
//! an actor that was not in the way never moves. "In the way" includes standing in the
//! line of sight a `visible_from` needs; no nudged actor lands in such a line. The ego,
//! props and other named actors are hard obstacles, but for street furniture: a named
//! actor takes the place of a bin or a fence in its way, which leaves the plan.

use super::sight::Solid;
use super::{Placement, footprint};
use crate::error::{PlanError, Rule, Subject};
use crate::geom::{Obb, Pose2};
use crate::types::*;

/// Furthest a nudged actor moves, in steps of [`STEP`] each way.
const STEPS: u32 = 80;
/// Metres per nudge step for vehicles (pedestrians take half).
const STEP: f64 = 1.0;

impl Placement<'_> {
    /// Would a box standing here cross the line of sight a named actor was placed with?
    pub(super) fn blocks_sight(&self, solid: &Solid) -> bool {
        self.sight_lines.iter().any(|(a, b)| solid.blocks(*a, *b))
    }

    /// The rule a named candidate breaks against a hard obstacle, or the ids of the
    /// unnamed actors in its way. `lane` is the candidate's lane and arc length when it
    /// drives (the same-lane gap applies); `vehicle` says whether junctions must be clear.
    pub(super) fn named_conflicts(
        &self,
        lane: Option<(u32, f64)>,
        vehicle: bool,
        fp: &Obb,
    ) -> Result<Vec<u32>, Rule> {
        if vehicle && self.keep_clear && self.surfaces.in_junction(fp) {
            return Err(Rule::KeepJunctionsClear);
        }
        let grown = fp.inflated(self.clearance);
        if self.fixed_prop_grid.overlaps(&grown) {
            return Err(Rule::NoOverlap);
        }
        let mut soft = Vec::new();
        for other in &self.actors {
            let hard = other.role == Role::Ego || other.name.is_some();
            let rule = match lane {
                Some((l, s)) if other.lane == Some(l) => {
                    let gap =
                        (other.s - s).abs() - (other.size.length + fp.half_length * 2.0) / 2.0;
                    (gap < self.min_gap).then_some(Rule::MinVehicleGap)
                }
                _ => None,
            }
            .or_else(|| {
                other
                    .footprint()
                    .overlaps(&grown)
                    .then_some(Rule::NoOverlap)
            });
            match rule {
                Some(rule) if hard => return Err(rule),
                Some(_) => soft.push(other.id),
                None => {}
            }
        }
        Ok(soft)
    }

    /// Nudges each of `ids` out of the way of what is placed now; `who` names the named
    /// actor that needed the room.
    pub(super) fn make_room(&mut self, ids: &[u32], who: &str) -> Result<(), PlanError> {
        for id in ids {
            let Some(k) = self.actors.iter().position(|a| a.id == *id) else {
                continue;
            };
            let actor = self.actors.remove(k);
            let lane_length = actor
                .lane
                .filter(|_| matches!(actor.role, Role::Traffic | Role::Parked))
                .and_then(|l| self.net.lanes.get(l as usize))
                .map(|l| l.length);
            let moved = self.nudged(&actor).ok_or_else(|| PlanError::NoRoom {
                what: Subject::named(who, None),
                reason: match lane_length {
                    // A short lane (an arm, a block before a junction) often has no other
                    // spot, however light the traffic.
                    Some(length) if length < 2.0 * f64::from(STEPS) * STEP => format!(
                        "actor {id} stands where it goes and its lane ({length:.0} m long) has \
                         no free spot for it"
                    ),
                    _ => format!(
                        "actor {id} stands where it goes and has no free spot within {} m \
                         along its way",
                        f64::from(STEPS) * STEP
                    ),
                },
                hint: "let the relation's placement vary (each attempt draws it anew: \
                       `distance: Uniform(8, 20)`, or a wider `within` for Near), or lower the \
                       traffic or pedestrian density"
                    .into(),
            })?;
            self.actors.push(moved);
        }
        Ok(())
    }

    /// The actor moved to the nearest spot, alternately ahead and behind, where it
    /// breaks no rule; `None` when there is none within reach.
    fn nudged(&self, a: &Actor) -> Option<Actor> {
        for k in 1..=STEPS {
            for sign in [1.0, -1.0] {
                let d = sign * f64::from(k) * STEP;
                let moved = match (a.role, a.lane) {
                    (Role::Traffic | Role::Parked, Some(l)) => self.along_lane(a, l, d),
                    (Role::Pedestrian, _) => self.along_heading(a, d / 2.0),
                    _ => None,
                };
                if moved.is_some() {
                    return moved;
                }
            }
        }
        None
    }

    fn along_lane(&self, a: &Actor, l: u32, d: f64) -> Option<Actor> {
        let lane = self.net.lanes.get(l as usize)?;
        let half = a.size.length / 2.0;
        let s = a.s + d;
        if s < half + 0.5 || s > lane.length - half - 0.5 {
            return None;
        }
        // Keep the actor's offset from the lane centre (parked cars stay at the kerb).
        let lateral = lane.center.project(a.pose.pos()).lateral;
        let (c, t) = lane.center.sample(s);
        let pose = Pose2::at(c + t.perp() * lateral, t.angle());
        let fp = footprint(pose, a.size);
        if self.blocks_sight(&Solid {
            footprint: fp,
            height: a.size.height,
        }) {
            return None;
        }
        let rule = if a.role == Role::Traffic {
            self.check_vehicle(lane, s, &fp)
        } else {
            self.check_parked(&fp)
        };
        rule.is_none().then(|| Actor {
            pose,
            s,
            ..a.clone()
        })
    }

    fn along_heading(&self, a: &Actor, d: f64) -> Option<Actor> {
        let shift = a.pose.dir() * d;
        let pos = a.pose.pos() + shift;
        let pose = Pose2::at(pos, a.pose.yaw);
        let fp = footprint(pose, a.size);
        let hides = self.blocks_sight(&Solid {
            footprint: fp,
            height: a.size.height,
        });
        if hides || !self.surfaces.on_walkway(pos) || self.overlap(&fp).is_some() {
            return None;
        }
        let behavior = match &a.behavior {
            Behavior::Walk {
                speed,
                path,
                crosses,
            } => {
                let mut path = path.clone();
                if crosses.is_some() {
                    // The way to the crosswalk starts here; the crossing itself stays.
                    if let Some(first) = path.points.first_mut() {
                        *first = pos;
                    }
                } else {
                    path.points.iter_mut().for_each(|p| *p = *p + shift);
                }
                Behavior::Walk {
                    speed: *speed,
                    path,
                    crosses: *crosses,
                }
            }
            other => other.clone(),
        };
        Some(Actor {
            pose,
            behavior,
            ..a.clone()
        })
    }
}
