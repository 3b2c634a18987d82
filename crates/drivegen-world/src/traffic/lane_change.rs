//! Lane changes: a vehicle moves onto the adjacent lane of the same road by a smooth
//! lateral blend from where it is to the new centreline, and its route continues on the
//! new lane. Scripted ones come from events; discretionary ones from MOBIL (Kesting,
//! Treiber and Helbing 2007) when the plan enables them, with politeness and threshold
//! derived from each vehicle's `lane_change_eagerness`. No random draw: every decision
//! follows from the state at the start of a step.

use std::collections::BTreeMap;

use drivegen_plan::events::adjacent_lane;
use drivegen_plan::geom::{Pose2, V2, atan2};
use drivegen_plan::{Behavior, Role, ScenePlan};
use drivegen_scenario::events::Side;

use super::bodies::body_of;
use super::events::{Blend, MAX_SLOPE, PendingLaneChange};
use super::{Motion, TrafficSim, idm_accel};

/// MOBIL decides once per this many steps per vehicle (0.5 s at 60 Hz), staggered.
const MOBIL_PERIOD: u64 = 30;
/// The steepest a discretionary lane change runs: sideways metres per metre forward
/// (8.5 degrees; scripted ones keep the duration the scenario gives them).
const MOBIL_SLOPE: f64 = 0.15;
/// Seconds a vehicle keeps its lane after beginning a lane change.
const COOLDOWN: f64 = 6.0;
/// Lane left before its end needed to change lanes (m): not into or at a junction.
const MIN_ROOM: f64 = 30.0;
/// The hardest braking a lane change may impose on the new follower (m/s²).
const SAFE_DECEL: f64 = 4.0;
/// Bumper-to-bumper room a scripted lane change waits for on the new lane (m).
const ROOM_BESIDE: f64 = 2.0;
/// What a lane-changing vehicle's swinging corners keep from a parked vehicle (m).
const PARKED_CLEARANCE: f64 = 0.2;

/// Half a vehicle's wheelbase, as a share of its length: validation's curve rule assumes
/// the same.
pub(super) use drivegen_scenario::sweep::HALF_WHEELBASE;

/// The body pose of a vehicle at arc length `s` on `lanes[idx]`, with its axles
/// `half_base` behind and ahead of `s` along its route, both on the centre line: in a
/// turn a long vehicle cuts the inside as a real one does, where a rigid box pivoting on
/// one point of the curve swept both its ends across the next lane (a 12 m bus turning
/// from the lane beside a car drove through it). Then `offset` metres to its left,
/// turned by the lateral `slope` (metres sideways per metre forward). `None` when the
/// route names a lane the plan lacks.
pub(super) fn body_pose(
    plan: &ScenePlan,
    lanes: &[u32],
    idx: usize,
    s: f64,
    half_base: f64,
    offset: f64,
    slope: f64,
) -> Option<Pose2> {
    let front = route_point(plan, lanes, idx, s + half_base)?;
    let rear = route_point(plan, lanes, idx, s - half_base)?;
    let axis = front - rear;
    let yaw = if axis.dot(axis) > 1e-18 {
        axis.angle()
    } else {
        plan.lane(lanes[idx])?.center.sample(s).1.angle()
    };
    let centre = (front + rear) * 0.5;
    let left = V2::from_angle(yaw).perp();
    Some(Pose2::at(centre + left * offset, yaw + atan2(slope, 1.0)))
}

/// The centre-line point at arc length `s` of `lanes[idx]`, carried onto the next or
/// previous lanes of the route past its ends, and straight on past the route's ends.
fn route_point(plan: &ScenePlan, lanes: &[u32], mut idx: usize, mut s: f64) -> Option<V2> {
    let mut lane = plan.lane(*lanes.get(idx)?)?;
    while s > lane.length && idx + 1 < lanes.len() {
        s -= lane.length;
        idx += 1;
        lane = plan.lane(lanes[idx])?;
    }
    while s < 0.0 && idx > 0 {
        idx -= 1;
        lane = plan.lane(lanes[idx])?;
        s += lane.length;
    }
    let on = s.clamp(0.0, lane.length);
    let (p, t) = lane.center.sample(on);
    Some(p + t * (s - on))
}

/// The lanes after `from` that best continue a route that went on through `template`:
/// the same lane when it is a successor, else one of the same road or the same turn of
/// the same junction, else the successor ending nearest the template's lane.
fn follow(plan: &ScenePlan, from: u32, template: &[u32]) -> Vec<u32> {
    let mut out = Vec::with_capacity(template.len());
    let mut cur = from;
    for t in template {
        let (Some(lane), Some(want)) = (plan.lane(cur), plan.lane(*t)) else {
            break;
        };
        let end = |id: &u32| {
            plan.lane(*id).map_or(f64::INFINITY, |l| {
                l.center
                    .sample(l.length)
                    .0
                    .distance(want.center.sample(want.length).0)
            })
        };
        let same_way = |id: &&u32| {
            plan.lane(**id).is_some_and(|l| {
                (l.road.is_some() && l.road == want.road)
                    || (l.junction.is_some() && l.junction == want.junction && l.kind == want.kind)
            })
        };
        let next = if lane.successors.contains(t) {
            Some(*t)
        } else if let Some(n) = lane.successors.iter().find(same_way) {
            Some(*n)
        } else {
            lane.successors
                .iter()
                .min_by(|a, b| end(a).total_cmp(&end(b)))
                .copied()
        };
        let Some(next) = next else { break };
        out.push(next);
        cur = next;
    }
    out
}

impl TrafficSim {
    /// Begins a pending lane change when the vehicle's lane has a neighbour on the asked
    /// side (towards the ego's lane for a cut-in); otherwise it stays pending.
    pub(super) fn try_lane_change(&mut self, plan: &ScenePlan, i: usize, p: PendingLaneChange) {
        let Motion::Drive { lanes, .. } = &self.motions[i] else {
            self.controls[i].pending = None;
            return;
        };
        let cur = lanes[self.agents[i].lane_idx];
        let side = match p.side {
            Some(side) => side,
            None => match self.side_towards_ego(plan, cur) {
                Some(side) => side,
                None => return,
            },
        };
        if let Some(target) = adjacent_lane(&plan.network, cur, side) {
            // A lane change (not a cut-in, which is meant to be tight) waits for room
            // beside it, as a driver waits for a gap: moving onto a lane whose vehicle is
            // alongside stopped the changer dead and turned it on the spot.
            if p.side.is_some() && !self.room_beside(plan, i, target) {
                return;
            }
            self.controls[i].pending = None;
            self.begin_lane_change(plan, i, target, p.duration, MAX_SLOPE);
        }
    }

    /// Is the stretch of `target` beside vehicle `i` free of other vehicles, with
    /// [`ROOM_BESIDE`] to spare ahead and behind?
    fn room_beside(&self, plan: &ScenePlan, i: usize, target: u32) -> bool {
        let Some(lane) = plan.lane(target) else {
            return false;
        };
        let at = self.agents[i].pose.pos();
        let me = lane.center.project(at);
        self.agents.iter().enumerate().all(|(j, other)| {
            // Only vehicles near enough to be beside it are projected onto the lane.
            let near =
                (self.lengths[i].0 + self.lengths[j].0) / 2.0 + ROOM_BESIDE + 2.0 * lane.width;
            if j == i
                || matches!(self.motions[j], Motion::Walk { .. })
                || other.pose.pos().distance(at) > near
            {
                return true;
            }
            let there = lane.center.project(other.pose.pos());
            let on_lane = there.lateral.abs() < lane.width / 2.0;
            let apart = (there.s - me.s).abs() - (self.lengths[i].0 + self.lengths[j].0) / 2.0;
            !on_lane || apart > ROOM_BESIDE
        })
    }

    /// Does vehicle `i`, changing lanes over `distance` metres from arc length `s` of
    /// `lane` (the lane it leaves or the one it takes), keep clear of every parked vehicle
    /// beside that stretch of it? While it turns, its corners swing out by half its length
    /// times the slope, the front on the side it moves to and the tail on the other: a bus
    /// moving over beside a van parked at the kerb struck it with its front corner, and
    /// one pulling out from beside a parked SUV with its tail, though either passes with
    /// room when straight.
    fn clear_of_parked(
        &self,
        plan: &ScenePlan,
        i: usize,
        lane: u32,
        s: f64,
        distance: f64,
    ) -> bool {
        let Some(lane) = plan.lane(lane) else {
            return false;
        };
        let (length, width) = self.lengths[i];
        let reach = width / 2.0 + length / 2.0 * MOBIL_SLOPE + PARKED_CLEARANCE;
        let at = self.agents[i].pose.pos();
        self.motions.iter().enumerate().all(|(j, m)| {
            if !matches!(m, Motion::Parked) {
                return true;
            }
            let other = &self.agents[j];
            if other.pose.pos().distance(at)
                > distance + length + self.lengths[j].0 + 2.0 * lane.width
            {
                return true;
            }
            let body = body_of(&self.agents, &self.lengths, j);
            let corners = body.corners().map(|c| lane.center.project(c));
            let (lo, hi) = corners
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), q| {
                    (lo.min(q.s), hi.max(q.s))
                });
            let beside = hi > s - length && lo < s + distance + length;
            let (left, right) = corners
                .iter()
                .fold((f64::NEG_INFINITY, f64::INFINITY), |(l, r), q| {
                    (l.max(q.lateral), r.min(q.lateral))
                });
            let nearest = if right < 0.0 && left > 0.0 {
                0.0
            } else {
                right.abs().min(left.abs())
            };
            !beside || nearest > reach
        })
    }

    /// The side of lane `cur` the ego's lane lies on: its neighbour when it is one, else
    /// the side of the ego's position.
    fn side_towards_ego(&self, plan: &ScenePlan, cur: u32) -> Option<Side> {
        let Motion::Drive { lanes, .. } = self.motions.first()? else {
            return None;
        };
        let ego_lane = lanes.get(self.agents[0].lane_idx).copied()?;
        for side in [Side::Left, Side::Right] {
            if adjacent_lane(&plan.network, cur, side) == Some(ego_lane) {
                return Some(side);
            }
        }
        let lateral = plan
            .lane(cur)?
            .center
            .project(self.agents[0].pose.pos())
            .lateral;
        Some(if lateral > 0.0 {
            Side::Left
        } else {
            Side::Right
        })
    }

    /// Moves vehicle `i` onto `target` at its current position, offset by where it is,
    /// and blends the offset to zero over `duration`.
    pub(super) fn begin_lane_change(
        &mut self,
        plan: &ScenePlan,
        i: usize,
        target: u32,
        duration: f64,
        max_slope: f64,
    ) {
        let Some(lane) = plan.lane(target) else {
            return;
        };
        let Motion::Drive { lanes, .. } = &mut self.motions[i] else {
            return;
        };
        let agent = &mut self.agents[i];
        let rest: Vec<u32> = lanes[agent.lane_idx + 1..].to_vec();
        let proj = lane.center.project(agent.pose.pos());
        let mut new_lanes = vec![target];
        new_lanes.extend(follow(plan, target, &rest));
        *lanes = new_lanes;
        agent.lane_idx = 0;
        agent.s = proj.s.clamp(0.0, lane.length);
        agent.offset = proj.lateral;
        let c = &mut self.controls[i];
        c.blend = Some(Blend {
            from: proj.lateral,
            to: 0.0,
            elapsed: 0.0,
            duration,
            max_slope,
        });
        c.rest = 0.0;
        c.last_change = Some(self.time);
    }

    /// Driving vehicles by their current lane, each list sorted by arc length.
    fn occupancy(&self) -> BTreeMap<u32, Vec<(usize, f64)>> {
        let mut map: BTreeMap<u32, Vec<(usize, f64)>> = BTreeMap::new();
        for (j, (a, m)) in self.agents.iter().zip(&self.motions).enumerate() {
            if let Motion::Drive { lanes, .. } = m {
                map.entry(lanes[a.lane_idx]).or_default().push((j, a.s));
            }
        }
        for list in map.values_mut() {
            list.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
        }
        map
    }

    /// Vehicle `k`'s car-following acceleration at `s_k` behind `leader` (index and arc
    /// length on the same lane), or on a free road.
    fn accel_behind(&self, k: usize, s_k: f64, leader: Option<(usize, f64)>) -> f64 {
        let Motion::Drive { desired, idm, .. } = &self.motions[k] else {
            return 0.0;
        };
        let desired = self.controls[k].desired.unwrap_or(*desired);
        let v = self.agents[k].speed;
        let (gap, dv) = match leader {
            Some((l, s_l)) => (
                s_l - s_k - (self.lengths[k].0 + self.lengths[l].0) / 2.0,
                v - self.agents[l].speed,
            ),
            None => (f64::INFINITY, 0.0),
        };
        idm_accel(idm, v, desired, gap, dv)
    }

    /// MOBIL for every traffic vehicle whose turn it is: change to the side whose gain
    /// (own acceleration plus politeness times the followers' change) beats the
    /// threshold, if the new follower need not brake harder than [`SAFE_DECEL`].
    pub(super) fn mobil(&mut self, plan: &ScenePlan) {
        let occupancy = self.occupancy();
        let neighbours = |lane: u32, s: f64, me: usize| {
            let list = occupancy.get(&lane).map(Vec::as_slice).unwrap_or(&[]);
            let lead = list.iter().find(|(j, sj)| *j != me && *sj >= s).copied();
            let back = list
                .iter()
                .rev()
                .find(|(j, sj)| *j != me && *sj < s)
                .copied();
            (lead, back)
        };
        // A vehicle an event acts on keeps to its script: a braking lead that changed
        // lanes on its own left the ego with nothing to brake for.
        let scripted: Vec<u32> = plan.events.iter().map(|e| e.actor).collect();
        let mut starts = Vec::new();
        for i in 0..self.agents.len() {
            if !(self.steps + i as u64).is_multiple_of(MOBIL_PERIOD) {
                continue;
            }
            let Some(actor) = plan.actors.get(i) else {
                continue;
            };
            let Behavior::Drive {
                lane_change_eagerness: eager,
                ..
            } = actor.behavior
            else {
                continue;
            };
            let c = &self.controls[i];
            if actor.role != Role::Traffic
                || scripted.contains(&actor.id)
                || eager <= 0.0
                || c.blend.is_some()
                || c.pending.is_some()
                || c.long != Default::default()
                || c.rest != 0.0
                || c.last_change.is_some_and(|t| self.time - t < COOLDOWN)
            {
                continue;
            }
            let Motion::Drive { lanes, .. } = &self.motions[i] else {
                continue;
            };
            let me = &self.agents[i];
            let cur = lanes[me.lane_idx];
            let Some(lane) = plan.lane(cur) else { continue };
            if lane.length - me.s < MIN_ROOM {
                continue;
            }
            // Eager drivers are selfish and change for small gains.
            let politeness = 0.5 * (1.0 - eager);
            let threshold = 0.1 + 0.9 * (1.0 - eager);
            let (lead_c, back_c) = neighbours(cur, me.s, i);
            let a_c = self.accel_behind(i, me.s, lead_c);
            let (a_o, a_o2) = back_c.map_or((0.0, 0.0), |(o, so)| {
                (
                    self.accel_behind(o, so, Some((i, me.s))),
                    self.accel_behind(o, so, lead_c),
                )
            });
            let mut best: Option<(f64, u32, f64)> = None;
            for side in [Side::Left, Side::Right] {
                let Some(target) = adjacent_lane(&plan.network, cur, side) else {
                    continue;
                };
                let Some(tl) = plan.lane(target) else {
                    continue;
                };
                let s = tl.center.project(me.pose.pos()).s;
                if tl.length - s < MIN_ROOM {
                    continue;
                }
                let (lead_t, back_t) = neighbours(target, s, i);
                let fits = |j: usize, sj: f64| {
                    (sj - s).abs() - (self.lengths[i].0 + self.lengths[j].0) / 2.0 > 1.0
                };
                if lead_t.is_some_and(|(j, sj)| !fits(j, sj))
                    || back_t.is_some_and(|(j, sj)| !fits(j, sj))
                {
                    continue;
                }
                // Slow enough for its speed that the heading never turns more than
                // MOBIL_SLOPE off the lane (a smoothstep's peak is 1.875 times its mean):
                // at a bus's 5 m/s a 2 s change turned it 27 degrees and swung its
                // corners across the centre line.
                let change =
                    (4.0 - 2.0 * eager).max(1.875 * tl.width / (MOBIL_SLOPE * me.speed.max(1.0)));
                let distance = change * me.speed;
                if !self.clear_of_parked(plan, i, target, s, distance)
                    || !self.clear_of_parked(plan, i, cur, me.s, distance)
                {
                    continue;
                }
                let a_c2 = self.accel_behind(i, s, lead_t);
                let (a_n, a_n2) = back_t.map_or((0.0, 0.0), |(n, sn)| {
                    (
                        self.accel_behind(n, sn, lead_t),
                        self.accel_behind(n, sn, Some((i, s))),
                    )
                });
                if a_n2 < -SAFE_DECEL {
                    continue;
                }
                let gain = a_c2 - a_c + politeness * ((a_n2 - a_n) + (a_o2 - a_o));
                if gain > threshold && best.is_none_or(|(g, ..)| gain > g) {
                    best = Some((gain, target, change));
                }
            }
            if let Some((_, target, change)) = best {
                starts.push((i, target, change));
            }
        }
        for (i, target, duration) in starts {
            self.begin_lane_change(plan, i, target, duration, MOBIL_SLOPE);
        }
    }
}
