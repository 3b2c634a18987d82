//! Vehicles in the way that are not on the route. Car following finds leaders by lane:
//! whoever's current lane lies on this vehicle's route ahead. A body can be where its
//! lane is not: mid lane change a vehicle's route is already the new lane while half of
//! it is still in the old one (and the one changing still has its nose in the lane it
//! leaves), and inside a junction the vehicle ahead may have taken another connector
//! from the same entry while its tail still covers this one's path. Both drove through
//! the vehicle ahead before. Here such bodies are found by geometry: projected onto this
//! vehicle's own lanes, ahead of it and overlapping its path sideways.

use drivegen_plan::ScenePlan;
use drivegen_plan::geom::Obb;

use super::lane_change::{HALF_WHEELBASE, body_pose};
use super::{AgentState, Motion};

/// How far off its centre line a vehicle counts as between lanes (m).
const OFF_CENTRE: f64 = 0.05;
/// The farthest (centre to centre) a body in the way is looked for (m): further off a
/// vehicle is either on the route, where car following sees it, or not in the way yet.
const REACH: f64 = 40.0;
/// A moving body heading more than this far from the lane's direction is crossing
/// traffic, which the junction's right of way handles (cosine of 60°).
const SAME_WAY: f64 = 0.5;
/// Below this speed (m/s) a body across the path is in the way whatever its heading: a
/// car stopped half-way through a turn was driven through by the car behind it.
pub(super) const STANDING: f64 = 0.5;

/// The traffic as it stands at the start of a step: every agent with its motion and its
/// (length, width).
#[derive(Clone, Copy)]
pub(super) struct Bodies<'a> {
    pub plan: &'a ScenePlan,
    pub agents: &'a [AgentState],
    pub motions: &'a [Motion],
    pub lengths: &'a [(f64, f64)],
}

impl Bodies<'_> {
    /// Whether `lane` is a junction connector.
    fn on_junction(&self, lane: u32) -> bool {
        self.plan.lane(lane).is_some_and(|l| l.junction.is_some())
    }

    /// Whether agent `j` drives on a junction connector now.
    pub(super) fn in_junction(&self, j: usize) -> bool {
        match &self.motions[j] {
            Motion::Drive { lanes, .. } => lanes
                .get(self.agents[j].lane_idx)
                .is_some_and(|l| self.on_junction(*l)),
            _ => false,
        }
    }
}

/// The lane a vehicle driving `lanes` is on (at `lane_idx`) and the next one: a slice, as
/// this runs for every vehicle every step.
fn this_and_next(lanes: &[u32], lane_idx: usize) -> &[u32] {
    lanes
        .get(lane_idx..lanes.len().min(lane_idx + 2))
        .unwrap_or(&[])
}

/// The bumper-to-bumper gap to the nearest such body ahead of vehicle `i` driving
/// `lanes`, and how fast it closes on it. Only pairs where one of the two is between
/// lanes or on a junction connector are looked at: elsewhere a body is where its lane is,
/// and car following already sees it.
pub(super) fn nearest_ahead(bodies: Bodies<'_>, i: usize, lanes: &[u32]) -> Option<(f64, f64)> {
    let Bodies {
        plan,
        agents,
        motions,
        lengths,
    } = bodies;
    let me = &agents[i];
    let (my_len, my_width) = lengths[i];
    let on_junction = |lane: u32| bodies.on_junction(lane);
    let mine = this_and_next(lanes, me.lane_idx);
    let me_special = me.offset.abs() > OFF_CENTRE || mine.iter().any(|l| on_junction(*l));
    let mut nearest: Option<(f64, f64)> = None;
    for (j, other) in agents.iter().enumerate() {
        let Motion::Drive { lanes: theirs, .. } = &motions[j] else {
            continue;
        };
        if j == i || other.pose.pos().distance(me.pose.pos()) > REACH {
            continue;
        }
        let their_lane = theirs[other.lane_idx];
        if !(me_special || other.offset.abs() > OFF_CENTRE || on_junction(their_lane)) {
            continue;
        }
        let (their_len, their_width) = lengths[j];
        let mut before = -me.s;
        for (k, id) in mine.iter().enumerate() {
            let Some(lane) = plan.lane(*id) else { break };
            let p = lane.center.project(other.pose.pos());
            // Past either end of this lane the projection is the end point, not a place
            // beside the body: the next lane (or none) answers for it.
            let inside = p.s > 1e-6 && p.s < lane.length - 1e-6;
            let ahead = before + p.s;
            let cos = other.pose.dir().dot(p.tangent);
            let sin = other.pose.dir().cross(p.tangent);
            // Its half extents along this lane and across it, however it is turned.
            let along = (cos.abs() * their_len + sin.abs() * their_width) / 2.0;
            let across = (sin.abs() * their_len + cos.abs() * their_width) / 2.0;
            // Off its centre line (mid lane change, pulling over) it may cross anything
            // between where it is and the centre line: all of that is in its path (a car
            // changing lanes behind a truck that stood half out of that lane drove into
            // the truck's corner).
            let (right, left) = (me.offset.min(0.0), me.offset.max(0.0));
            let beside = (p.lateral - p.lateral.clamp(right, left)).abs();
            if inside
                && ahead > 0.0
                && (cos > SAME_WAY || other.speed < STANDING)
                && beside < my_width / 2.0 + across
            {
                let gap = ahead - my_len / 2.0 - along;
                if nearest.is_none_or(|(g, _)| gap < g) {
                    nearest = Some((gap, me.speed - other.speed));
                }
                break;
            }
            if k == 0 {
                before += lane.length;
            }
        }
    }
    nearest
}

/// Step of the swept-footprint look-ahead (m).
const SWEEP_STEP: f64 = 0.5;
/// The farthest a sweep looks ahead (m).
const MAX_SWEEP: f64 = 15.0;
/// Clearance kept around both bodies in the swept-footprint test (m).
const SWEEP_MARGIN: f64 = 0.15;
/// Vehicles longer than this (m) sweep their path for everyone: trucks and buses. A car's
/// or a van's body stays within its lane through a junction's turns, where lanes,
/// conflicts and the walkers' check keep it apart from everyone moving; it sweeps only
/// for vehicles standing in a turn.
pub(super) const LONG_BODY: f64 = 6.5;

/// The body of agent `j` as it stands, of its (length, width).
pub(super) fn body_of(agents: &[AgentState], lengths: &[(f64, f64)], j: usize) -> Obb {
    Obb {
        center: agents[j].pose.pos(),
        yaw: agents[j].pose.yaw,
        half_length: lengths[j].0 / 2.0,
        half_width: lengths[j].1 / 2.0,
    }
}

/// The footprint of agent `j` as it stands, with the sweep's clearance.
fn footprint(agents: &[AgentState], lengths: &[(f64, f64)], j: usize) -> Obb {
    body_of(agents, lengths, j).inflated(SWEEP_MARGIN)
}

/// A long vehicle's sweep: how far it looks ahead, and its footprints every
/// [`SWEEP_STEP`] along `lanes` up to there, standing on its axles as it will.
struct Sweep {
    reach: f64,
    bodies: Vec<Obb>,
}

impl Sweep {
    /// `None` for vehicles neither on nor next to a junction connector (on a road a body
    /// is where its lane is).
    fn of(bodies: Bodies<'_>, i: usize, lanes: &[u32]) -> Option<Sweep> {
        let Bodies {
            plan,
            agents,
            lengths,
            ..
        } = bodies;
        let me = &agents[i];
        let (len, width) = lengths[i];
        let near = this_and_next(lanes, me.lane_idx);
        if !near.iter().any(|l| bodies.on_junction(*l)) {
            return None;
        }
        // Its stopping distance braking gently (1 m/s²) and 3 m more, at most 15 m.
        let reach = (me.speed * me.speed / 2.0 + 3.0).min(MAX_SWEEP);
        let steps = (reach / SWEEP_STEP) as usize;
        let bodies = (1..=steps)
            .map_while(|k| {
                let d = k as f64 * SWEEP_STEP;
                let pose = body_pose(
                    plan,
                    lanes,
                    me.lane_idx,
                    me.s + d,
                    len * HALF_WHEELBASE,
                    me.offset,
                    0.0,
                )?;
                Some(
                    Obb {
                        center: pose.pos(),
                        yaw: pose.yaw,
                        half_length: len / 2.0,
                        half_width: width / 2.0,
                    }
                    .inflated(SWEEP_MARGIN),
                )
            })
            .collect();
        Some(Sweep { reach, bodies })
    }

    /// How far (m) the vehicle can drive before its body first touches `theirs`.
    fn hits(&self, theirs: &Obb) -> Option<f64> {
        self.bodies
            .iter()
            .position(|b| b.overlaps(theirs))
            .map(|k| k as f64 * SWEEP_STEP)
    }
}

/// The distance vehicle `i` may still drive along `lanes` through or towards a junction
/// before its body, swept along its path, touches someone standing or moving beside it
/// (a truck or bus), or a vehicle standing in a turn or a truck or bus turning (a car or
/// van), and how fast it closes on them. Lanes and centre lines keep vehicles apart on
/// roads, but in a turn a long body leaves its lane: a 12 m bus turning right swung its
/// front into a van going straight on in the lane beside. `walkers`: whether pedestrians
/// count (the ego drives into the one an event sends across). Two long vehicles whose
/// sweeps touch each other: the lower id goes.
pub(super) fn swept_into(
    bodies: Bodies<'_>,
    i: usize,
    lanes: &[u32],
    walkers: bool,
) -> Option<(f64, f64)> {
    let Bodies {
        agents,
        motions,
        lengths,
        ..
    } = bodies;
    let me = &agents[i];
    let long = lengths[i].0 > LONG_BODY;
    // A car or van looks out only for a vehicle standing in a turn, whose body reaches
    // across lanes the car's own path never meets (a van turning left drove into the
    // side of a bus that stood mid right turn, a car into the tail of one that stood
    // early in its right turn from the same lane), and always waits for it.
    // So does it for a truck or bus turning, however slowly: its tail swings across the
    // next connector from the same entry (an SUV turning right drove into the tail of a
    // bus creeping through its left turn).
    let in_a_turn = |j: usize| {
        let (turning, long_body) = (bodies.in_junction(j), lengths[j].0 > LONG_BODY);
        matches!(motions[j], Motion::Drive { .. })
            && ((agents[j].speed < STANDING && (long_body || turning)) || (long_body && turning))
    };
    let in_view = |j: usize| {
        let walking = matches!(motions[j], Motion::Walk { .. });
        j != i && (!walking || walkers) && (long || in_a_turn(j))
    };
    // Before a car's sweep is built: anyone it would look out for within its longest reach.
    let within_reach = |j: usize| {
        let apart = (lengths[i].0 + lengths[j].0) / 2.0 + MAX_SWEEP + 2.0 * SWEEP_MARGIN;
        agents[j].pose.pos().distance(me.pose.pos()) < apart
    };
    if !long && !(0..agents.len()).any(|j| in_view(j) && within_reach(j)) {
        return None;
    }
    let sweep = Sweep::of(bodies, i, lanes)?;
    let mine_now = footprint(agents, lengths, i);
    let mut nearest: Option<(f64, f64)> = None;
    for (j, other) in agents.iter().enumerate() {
        if !in_view(j) {
            continue;
        }
        let apart = (lengths[i].0 + lengths[j].0) / 2.0 + sweep.reach + 2.0 * SWEEP_MARGIN;
        if other.pose.pos().distance(me.pose.pos()) > apart {
            continue;
        }
        let theirs = footprint(agents, lengths, j);
        // Touching already: nothing a stop can mend. Bodies only within the clearance of
        // each other are not touching: a walker stood 0.24 m beside a bus, the bus
        // skipped it and turned its side into it.
        if mine_now
            .inflated(-SWEEP_MARGIN)
            .overlaps(&theirs.inflated(-SWEEP_MARGIN))
        {
            continue;
        }
        let Some(d) = sweep.hits(&theirs) else {
            continue;
        };
        if let Motion::Drive {
            lanes: their_lanes, ..
        } = &motions[j]
            && long
            && lengths[j].0 > LONG_BODY
            && other.id < me.id
            && Sweep::of(bodies, j, their_lanes).is_some_and(|s| s.hits(&mine_now).is_some())
        {
            continue; // each in the other's way: the lower id goes first
        }
        // A car in the way of a moving truck or bus that already waits for it goes on.
        if let Motion::Drive {
            lanes: their_lanes, ..
        } = &motions[j]
            && !long
            && other.speed >= STANDING
            && Sweep::of(bodies, j, their_lanes).is_some_and(|s| s.hits(&mine_now).is_some())
        {
            continue;
        }
        let along = other.pose.dir().dot(me.pose.dir()) * other.speed;
        if nearest.is_none_or(|(g, _)| d < g) {
            nearest = Some((d, me.speed - along));
        }
    }
    nearest
}
