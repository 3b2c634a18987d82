//! Vehicles in the way that are not on the route. Car following finds leaders by lane:
//! whoever's current lane lies on this vehicle's route ahead. A body can be where its
//! lane is not: mid lane change a vehicle's route is already the new lane while half of
//! it is still in the old one (and the one changing still has its nose in the lane it
//! leaves), and inside a junction the vehicle ahead may have taken another connector
//! from the same entry while its tail still covers this one's path. Both drove through
//! the vehicle ahead before. Here such bodies are found by geometry: projected onto this
//! vehicle's own lanes, ahead of it and overlapping its path sideways.

use drivegen_plan::ScenePlan;

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
const STANDING: f64 = 0.5;

/// The bumper-to-bumper gap to the nearest such body ahead of vehicle `i` driving
/// `lanes`, and how fast it closes on it. Only pairs where one of the two is between
/// lanes or on a junction connector are looked at: elsewhere a body is where its lane is,
/// and car following already sees it.
pub(super) fn nearest_ahead(
    plan: &ScenePlan,
    agents: &[AgentState],
    motions: &[Motion],
    lengths: &[(f64, f64)],
    i: usize,
    lanes: &[u32],
) -> Option<(f64, f64)> {
    let me = &agents[i];
    let (my_len, my_width) = lengths[i];
    let on_junction = |lane: u32| plan.lane(lane).is_some_and(|l| l.junction.is_some());
    // Its lane and the next: a slice, as this runs for every vehicle every step.
    let mine = lanes
        .get(me.lane_idx..lanes.len().min(me.lane_idx + 2))
        .unwrap_or(&[]);
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
            if inside
                && ahead > 0.0
                && (cos > SAME_WAY || other.speed < STANDING)
                && (p.lateral - me.offset).abs() < my_width / 2.0 + across
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
