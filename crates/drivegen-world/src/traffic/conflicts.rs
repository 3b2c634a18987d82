//! Junction right of way: connectors whose paths cross or merge, and who waits for whom.
//!
//! Signals keep crossing streams apart, but a left turn meets the oncoming traffic on the
//! same green, a right and a left turn merge into one exit lane, and a roundabout's entry
//! merges into its ring. Without this, the
//! car following its own lane only sees vehicles already on that lane, and drives through
//! the one on the crossing path (a collision in the labels).
//!
//! Who goes first: a vehicle in the conflict area, or one too close to stop before it;
//! then straight before right before left turns; then whoever reaches the conflict point
//! first (ties by id). A total order, so no two vehicles wait for each other.

use std::collections::BTreeMap;

use drivegen_plan::ScenePlan;

use super::bodies::{Bodies, LONG_BODY, STANDING};
use super::{AgentState, MAX_BRAKE, Motion};

/// Centre lines closer than this conflict (m): two car widths.
const CONFLICT_WIDTH: f64 = 2.5;
/// Closer than this, a turn's centre line conflicts with another connector's for trucks
/// and buses (m): in a tight turn a long body leaves its lane, its front swinging out
/// and its middle cutting in, by over a metre.
const LONG_CONFLICT_WIDTH: f64 = 4.0;
/// A vehicle clears a conflict point this far past its own half length (m).
const CLEAR: f64 = 1.5;
/// Where a yielding vehicle's front stops, short of the conflict point (m).
const WAIT_SHORT: f64 = 2.5;
/// Only vehicles reaching the conflict point within this time are waited for (s).
const WINDOW: f64 = 5.0;
/// The acceleration a standing vehicle is assumed to pull away with (m/s²).
const PULL_AWAY: f64 = 1.5;
/// Lines heading within 30 degrees of each other run side by side (cosine).
const SIDE_BY_SIDE: f64 = 0.87;
/// How far ahead along its route a vehicle looks for its next connector (m).
const REACH: f64 = 60.0;

#[derive(Clone, Debug)]
struct Conflict {
    other: u32,
    /// Arc length of the conflict point on this connector and on the other.
    here: f64,
    there: f64,
    /// Arc length on this connector where the conflict area ends: the last point of the
    /// stretch from `here` on that stays within [`CONFLICT_WIDTH`] of the other's line.
    /// Crossing paths at a shallow angle (a left turn across the oncoming lanes) stay
    /// close for metres: a vehicle that stopped a little past the first point still
    /// stood in the other's way.
    here_end: f64,
    /// Only between centre lines [`LONG_CONFLICT_WIDTH`] apart: a conflict when one of
    /// the two vehicles is a truck or bus (a truck turning right from one approach and a
    /// bus turning right from the next met in the junction, front against swinging tail).
    long_only: bool,
}

impl Conflict {
    /// Whether it is one between agents `i` and `j` of these (length, width)s.
    fn applies(&self, lengths: &[(f64, f64)], i: usize, j: usize) -> bool {
        !self.long_only || lengths[i].0 > LONG_BODY || lengths[j].0 > LONG_BODY
    }
}

/// The traffic a right-of-way question is asked about: its bodies, and who approaches
/// each lane.
#[derive(Clone, Copy)]
pub(super) struct View<'a> {
    pub bodies: Bodies<'a>,
    pub approaching: &'a Approaches,
}

/// Per connector lane: the connectors it conflicts with, and its turn rank.
#[derive(Clone, Debug, Default)]
pub(super) struct Conflicts {
    by_lane: BTreeMap<u32, Vec<Conflict>>,
    /// 0 straight, 1 right, 2 left.
    rank: BTreeMap<u32, u8>,
}

/// Per lane, the driving agents whose route reaches it within reach, each with the
/// distance from its centre to the lane's start. Built once per step, so a conflict
/// looks up who approaches it instead of walking every agent's route.
pub(super) type Approaches = BTreeMap<u32, Vec<(usize, f64)>>;

pub(super) fn approaches(
    plan: &ScenePlan,
    agents: &[AgentState],
    motions: &[Motion],
) -> Approaches {
    let mut out = Approaches::new();
    for (j, (agent, motion)) in agents.iter().zip(motions).enumerate() {
        let Motion::Drive { lanes, .. } = motion else {
            continue;
        };
        let mut acc = -agent.s;
        for &l in lanes.iter().skip(agent.lane_idx) {
            let on = out.entry(l).or_default();
            if !on.iter().any(|(k, _)| *k == j) {
                on.push((j, acc));
            }
            let Some(lane) = plan.lane(l) else { break };
            acc += lane.length;
            if acc > REACH {
                break;
            }
        }
    }
    out
}

/// The first point of `a` whose centre line comes within `width` of `b`'s, and where
/// that stretch ends.
fn first_conflict(
    a: &drivegen_plan::Lane,
    b: &drivegen_plan::Lane,
    width: f64,
) -> Option<Conflict> {
    const STEP: f64 = 0.5;
    let long = width > CONFLICT_WIDTH;
    let near = |s: f64| {
        let (p, dir) = a.center.sample(s);
        let q = b.center.project(p);
        // Side by side the same way (two lanes of one approach, one turning from each),
        // long bodies keep to their lanes.
        let side_by_side = long && dir.dot(q.tangent) > SIDE_BY_SIDE;
        (p.distance(q.point) < width && q.s > 0.0 && q.s < b.length + 1e-6 && !side_by_side)
            .then_some(q.s)
    };
    let mut s = 0.0;
    while s <= a.length {
        if let Some(there) = near(s) {
            let mut end = s;
            while end + STEP <= a.length && near(end + STEP).is_some() {
                end += STEP;
            }
            return Some(Conflict {
                other: b.id,
                here: s,
                there,
                here_end: end,
                long_only: long,
            });
        }
        s += STEP;
    }
    None
}

/// How soon (s) a vehicle at `speed` reaches a point `distance` ahead. One standing on a
/// connector, inside the junction, is timed as pulling away (nothing but the traffic
/// holds it): timed at a crawl, two vehicles standing a few metres from a point, one in
/// the junction and one at its stop line, each put the other more than [`WINDOW`] away,
/// neither waited, and both pulled off into each other. One standing before the junction
/// may be held by a red light, and is timed at a crawl.
fn time_to(distance: f64, speed: f64, in_junction: bool) -> f64 {
    if speed < STANDING && in_junction {
        (2.0 * distance.max(0.0) / PULL_AWAY).sqrt()
    } else {
        distance / speed.max(STANDING)
    }
}

/// Whether a vehicle `to_point` from a conflict point (centre to point, m) can no longer
/// wait short of it: its front is at or past the point, or it is moving and too close to
/// stop where it would wait. A vehicle standing short of the point can always keep
/// standing: counted as committed, one waiting at a stop line close to the point of a
/// left turn went in front of the oncoming traffic.
fn committed(to_point: f64, half_length: f64, speed: f64) -> bool {
    let front = to_point - half_length;
    let stop_at = front - WAIT_SHORT;
    front <= 0.0 || (speed > 0.05 && stop_at < speed * speed / (2.0 * MAX_BRAKE))
}

impl Conflicts {
    pub(super) fn new(plan: &ScenePlan) -> Conflicts {
        let connectors: Vec<_> = plan
            .network
            .lanes
            .iter()
            .filter(|l| l.junction.is_some() && l.length > 0.0)
            .collect();
        let mut out = Conflicts::default();
        for a in &connectors {
            let (start, end) = (a.center.sample(0.0).1, a.center.sample(a.length).1);
            let turn = start.x * end.y - start.y * end.x;
            let straight = start.dot(end) > 0.87; // within 30 degrees
            let rank = if straight {
                0
            } else if turn < 0.0 {
                1
            } else {
                2
            };
            out.rank.insert(a.id, rank);
            for b in &connectors {
                if a.id == b.id || a.junction != b.junction {
                    continue;
                }
                // Connectors from one approach lane part ways; following there is the
                // lane-following model's job.
                if a.center.sample(0.0).0.distance(b.center.sample(0.0).0) < 0.5 {
                    continue;
                }
                if let Some(c) = first_conflict(a, b, CONFLICT_WIDTH) {
                    out.by_lane.entry(a.id).or_default().push(c);
                }
            }
        }
        // Wider apart, for trucks and buses where either connector turns. Side by side
        // straight on (neighbouring lanes, or oncoming ones) long bodies keep to their
        // lanes.
        for a in &connectors {
            for b in &connectors {
                let turns = out.rank.get(&a.id) != Some(&0) || out.rank.get(&b.id) != Some(&0);
                let known = |x: &drivegen_plan::Lane, y: &drivegen_plan::Lane| {
                    out.by_lane
                        .get(&x.id)
                        .is_some_and(|c| c.iter().any(|c| c.other == y.id))
                };
                if a.id == b.id
                    || a.junction != b.junction
                    || !turns
                    || a.center.sample(0.0).0.distance(b.center.sample(0.0).0) < 0.5
                    || known(a, b)
                    || known(b, a)
                {
                    continue;
                }
                // Both ways or neither, so each of the two knows the other's point.
                if let (Some(ab), Some(ba)) = (
                    first_conflict(a, b, LONG_CONFLICT_WIDTH),
                    first_conflict(b, a, LONG_CONFLICT_WIDTH),
                ) {
                    out.by_lane.entry(a.id).or_default().push(ab);
                    out.by_lane.entry(b.id).or_default().push(ba);
                }
            }
        }
        // Lanes that end where they flow into one lane (a roundabout's entry and its ring):
        // the merge is at both ends. The ring, not a connector, ranks as straight.
        let mut into: BTreeMap<u32, Vec<&drivegen_plan::Lane>> = BTreeMap::new();
        for l in &plan.network.lanes {
            for s in &l.successors {
                into.entry(*s).or_default().push(l);
            }
        }
        for merging in into.values() {
            for a in merging {
                for b in merging {
                    let (ea, eb) = (a.center.sample(a.length).0, b.center.sample(b.length).0);
                    let known = out
                        .by_lane
                        .get(&a.id)
                        .is_some_and(|c| c.iter().any(|c| c.other == b.id));
                    if a.id != b.id && ea.distance(eb) < 1.0 && !known {
                        // Where they come together, before the shared end point.
                        let c = first_conflict(a, b, CONFLICT_WIDTH).unwrap_or(Conflict {
                            other: b.id,
                            here: a.length,
                            there: b.length,
                            here_end: a.length,
                            long_only: false,
                        });
                        out.by_lane.entry(a.id).or_default().push(c);
                    }
                }
            }
        }
        out
    }

    /// The conflict points ahead of agent `i` along its route within reach, in route
    /// order, not yet passed: (its lane, the conflict, distance from its centre to it).
    fn ahead<'c>(&'c self, view: &View<'_>, i: usize) -> Vec<(u32, &'c Conflict, f64)> {
        let Bodies {
            plan,
            agents,
            motions,
            lengths,
        } = view.bodies;
        let Motion::Drive { lanes, .. } = &motions[i] else {
            return Vec::new();
        };
        let me = &agents[i];
        let half = lengths[i].0 / 2.0;
        let mut acc = -me.s;
        let mut out = Vec::new();
        for &lane in lanes.iter().skip(me.lane_idx) {
            let Some(l) = plan.lane(lane) else { break };
            for c in self.by_lane.get(&lane).map_or(&[][..], Vec::as_slice) {
                let mine = acc + c.here;
                if mine >= -(half + CLEAR) {
                    out.push((lane, c, mine));
                }
            }
            acc += l.length;
            if acc > REACH {
                break;
            }
        }
        out
    }

    /// How far agent `i`'s front is from where it would wait at the first conflict point
    /// ahead that another vehicle also approaches (`None`: no contested point within
    /// reach). At the start this bounds its speed: placed at speed near a junction, two
    /// vehicles on crossing paths could both be too close to stop, and both went on.
    pub(super) fn contested_ahead(&self, view: &View<'_>, i: usize) -> Option<f64> {
        let (approaching, lengths) = (view.approaching, view.bodies.lengths);
        let half = lengths[i].0 / 2.0;
        self.ahead(view, i)
            .into_iter()
            .find(|(_, c, _)| {
                approaching.get(&c.other).is_some_and(|on| {
                    on.iter().any(|&(j, to_start)| {
                        j != i
                            && c.applies(lengths, i, j)
                            && to_start + c.there >= -(lengths[j].0 / 2.0 + CLEAR)
                    })
                })
            })
            .map(|(_, _, mine)| (mine - half - WAIT_SHORT).max(0.0))
    }

    /// How far agent `i`'s front may still go before it must wait for a vehicle with
    /// the right of way at a conflict point ahead (`None`: nobody to wait for).
    pub(super) fn wait_distance(&self, view: &View<'_>, i: usize) -> Option<f64> {
        let Bodies {
            agents, lengths, ..
        } = view.bodies;
        let approaching = view.approaching;
        let me = &agents[i];
        let half = lengths[i].0 / 2.0;
        let mut wait: Option<f64> = None;
        for (lane, c, mine) in self.ahead(view, i) {
            let my_rank = self.rank.get(&lane).copied().unwrap_or(0);
            let stop_at = mine - half - WAIT_SHORT;
            if committed(mine, half, me.speed) {
                continue; // in it, or too close to stop: go on through
            }
            let my_time = time_to(mine, me.speed, view.bodies.in_junction(i));
            let other_rank = self.rank.get(&c.other).copied().unwrap_or(0);
            let on_other = approaching.get(&c.other).map_or(&[][..], Vec::as_slice);
            // The other's distance to its own conflict point (where its centre line
            // first comes near this one), as it measures it when it asks: with the
            // point it is nearest on the other's line, crossing paths each found
            // themselves first and both went (the points differ by the width).
            // It has passed once its rear is past the end of its conflict area (that end
            // already keeps the conflict width from this line).
            let (theirs, theirs_end) = self
                .by_lane
                .get(&c.other)
                .and_then(|cs| cs.iter().find(|r| r.other == lane))
                .map_or((c.there, c.there + CLEAR), |r| (r.here, r.here_end));
            let first = on_other.iter().any(|&(j, to_start)| {
                if j == i || !c.applies(lengths, i, j) {
                    return false;
                }
                let other = &agents[j];
                let d = to_start + theirs;
                let other_half = lengths[j].0 / 2.0;
                if to_start + theirs_end < -other_half {
                    return false; // passed
                }
                if committed(d, other_half, other.speed) {
                    return true; // in it, or committed
                }
                let time = time_to(d, other.speed, view.bodies.in_junction(j));
                time < WINDOW && (other_rank, time, other.id) < (my_rank, my_time, me.id)
            });
            if first {
                wait = Some(wait.map_or(stop_at, |w: f64| w.min(stop_at)));
            }
        }
        wait.map(|w| w.max(0.0))
    }
}
