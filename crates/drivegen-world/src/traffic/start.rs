//! Starting speeds. A vehicle is placed at a speed near its desired one, so the warm-up
//! is short; where that speed would not let it stop behind what it must stop for (a red
//! line, a junction conflict another vehicle approaches, the vehicle ahead) or slow for
//! the curve it is in or comes to, or a crosswalk someone stands on), it starts slower.
//! A scenario may place a fast car a few metres behind a slow truck: started at its
//! desired speed it could only stop short at once, or drive into it.

use drivegen_plan::ScenePlan;
use drivegen_plan::geom::V2;
use drivegen_plan::surface::point_in_polygon;

use super::bodies::Bodies;
use super::{LOOKAHEAD, Motion, TrafficSim, conflicts, curves, events, occupied_crosswalks};

/// A walker placed this close to a crosswalk along its path (m, two seconds' walk) is
/// about to cross it.
const ABOUT_TO_CROSS: f64 = 3.0;

impl TrafficSim {
    /// Caps each driving vehicle's starting speed so it can stop, braking comfortably,
    /// where it would wait at the first junction conflict another vehicle approaches too,
    /// as it is capped for a red line: the right of way then decides who goes first.
    pub(super) fn start_able_to_yield(&mut self, plan: &ScenePlan) {
        let approaching = conflicts::approaches(plan, &self.agents, &self.motions);
        for i in 0..self.agents.len() {
            let Motion::Drive { idm, .. } = &self.motions[i] else {
                continue;
            };
            let decel = idm.comfortable_decel.max(0.1);
            let view = conflicts::View {
                bodies: Bodies {
                    plan,
                    agents: &self.agents,
                    motions: &self.motions,
                    lengths: &self.lengths,
                },
                approaching: &approaching,
            };
            if let Some(d) = self.conflicts.contested_ahead(&view, i) {
                let safe = (2.0 * decel * d).sqrt();
                self.agents[i].speed = self.agents[i].speed.min(safe);
            }
        }
    }

    /// Caps each driving vehicle's starting speed at what its curves allow, and so that,
    /// braking comfortably, it can fall back behind the vehicle ahead on its route
    /// (moving, or parked in the lane):
    /// closing at most `sqrt(2 b (gap - s0))` faster than it. Front to back, so a capped
    /// leader caps its followers: repeated until nothing changes.
    pub(super) fn start_able_to_follow(&mut self, plan: &ScenePlan) {
        for _ in 0..self.agents.len() {
            let mut changed = false;
            for i in 0..self.agents.len() {
                let Motion::Drive { lanes, idm, .. } = &self.motions[i] else {
                    continue;
                };
                let me = &self.agents[i];
                let decel = idm.comfortable_decel.max(0.1);
                let (mut cap, _) = curves::slow_for_curves(
                    plan,
                    &self.lane_speeds,
                    lanes,
                    (me.lane_idx, me.s),
                    me.speed,
                    decel,
                );
                for (j, other) in self.agents.iter().enumerate() {
                    let at = match &self.motions[j] {
                        Motion::Drive { lanes: theirs, .. } if j != i => {
                            Some((theirs[other.lane_idx], other.s))
                        }
                        Motion::Parked if self.in_lane[j] => {
                            plan.actors.get(j).and_then(|a| a.lane.map(|l| (l, a.s)))
                        }
                        _ => None,
                    };
                    let Some((lane, s)) = at else { continue };
                    let Some(d) = Self::distance_ahead(plan, lanes, me.lane_idx, me.s, lane, s)
                    else {
                        continue;
                    };
                    if d <= 0.0 {
                        continue;
                    }
                    let gap = d - (self.lengths[i].0 + self.lengths[j].0) / 2.0;
                    let room = (gap - idm.min_gap).max(0.0);
                    let closing = (2.0 * decel * room).sqrt();
                    cap = cap.min(other.speed + closing);
                }
                if self.agents[i].speed > cap + 1e-9 {
                    self.agents[i].speed = cap;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
    }

    /// Caps each driving vehicle's starting speed so it can stop, braking comfortably,
    /// short of the first crosswalk on its route that a walker is placed on or about to
    /// step onto, as it does for one a walker steps onto: placed at speed a few metres
    /// before one, a car stopped dead within one frame (25 m/s²).
    pub(super) fn start_able_to_stop_for_crosswalks(&mut self, plan: &ScenePlan) {
        // Walkers about to step onto the stripes count: one a few tenths of a second
        // from them made a car placed at speed just before them stop dead.
        let occupied = occupied_crosswalks(plan, &self.agents, &self.motions, ABOUT_TO_CROSS);
        if occupied.is_empty() {
            return;
        }
        for i in 0..self.agents.len() {
            let Motion::Drive { lanes, idm, .. } = &self.motions[i] else {
                continue;
            };
            let me = &self.agents[i];
            let half = self.lengths[i].0 / 2.0;
            let mut acc = -me.s;
            for (k, lane_id) in lanes.iter().enumerate().skip(me.lane_idx) {
                let Some(lane) = plan.lane(*lane_id) else {
                    break;
                };
                let from = if k == me.lane_idx { me.s } else { 0.0 };
                let on_stripes =
                    |p: V2, _: f64| occupied.iter().any(|c| point_in_polygon(p, &c[..]));
                if let Some(at) = events::first_along(lane, from, acc, on_stripes) {
                    // Where traffic stops for it. One placed with its front at the stripes
                    // or over them starts standing, as if it had stopped there: driving on
                    // across at speed it stopped dead for the first walker in its path.
                    let d = at - half - 1.0;
                    let safe = (2.0 * idm.comfortable_decel.max(0.1) * d.max(0.0)).sqrt();
                    self.agents[i].speed = self.agents[i].speed.min(safe);
                    break;
                }
                acc += lane.length;
                if acc > LOOKAHEAD {
                    break;
                }
            }
        }
    }
}
