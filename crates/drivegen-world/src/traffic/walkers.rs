//! Pedestrians keeping out of each other's way: a walker waits behind anyone on its line
//! ahead (slower, standing, or coming the other way), and steps aside to its right for
//! anyone coming towards it, further for someone who stands; two walkers meeting head-on
//! both step aside, away from each other, and pass. Nobody walks into a vehicle: a walker
//! whose next step would take it towards one, within reach, waits, except in front of a
//! vehicle that stands still for it, which it passes.

use drivegen_plan::geom::{Obb, V2};

use super::Motion;
use super::bodies::{Bodies, body_of};

/// Slower than this a vehicle counts as standing (m/s).
const MOVING: f64 = 0.2;
/// Beyond a vehicle's side, how far a walker in front of it still counts as in its way
/// (m): as far as traffic looks for a pedestrian an event sends across (half a lane and
/// 0.5 m), and a margin.
const IN_FRONT: f64 = 1.5;
/// How near a walker's centre steps towards a vehicle's body (m): half a body and a
/// little.
const VEHICLE_CLEARANCE: f64 = 0.4;
/// How much further a walker keeps from the body of a truck or bus moving or standing in
/// a junction (m): in a turn its side cuts inside the lane by up to a metre and more, and
/// its tail swings out.
const LONG_BODY_CLEARANCE: f64 = 1.2;
/// How near a walker's centre passes the bumper of a vehicle standing for it (m): half a
/// walker and a little.
const BUMPER_CLEARANCE: f64 = 0.45;
/// Centre distance a walker keeps behind the one it follows (m).
const FOLLOW_GAP: f64 = 0.8;
/// Two walkers closer than this sideways are on the same line (m).
const SAME_LINE: f64 = 0.6;
/// Extra sideways room a walker keeps from someone beside it before stepping that way (m).
const BESIDE_MARGIN: f64 = 0.1;
/// How far ahead a walker sees someone coming, and how far sideways it counts them (m).
const ONCOMING_AHEAD: f64 = 3.0;
const ONCOMING_SIDE: f64 = 1.2;
/// How far a walker steps aside (m), and how fast (m/s).
const SIDESTEP: f64 = 0.35;
const SIDESTEP_SPEED: f64 = 0.6;
/// Someone this near a walker's line, either side, is dead ahead of it (m).
const DEAD_AHEAD: f64 = 0.05;

/// What the walkers around walker `i` leave it this step.
pub(super) struct Way {
    /// How far it may walk along its path (m).
    pub room: f64,
    /// The sideways offset it steps towards (m, positive left).
    pub side: f64,
}

pub(super) fn make_way(bodies: Bodies<'_>, i: usize, step: f64, dt: f64) -> Way {
    let Bodies {
        agents,
        motions,
        lengths,
        ..
    } = bodies;
    let me = &agents[i];
    let heading = V2::from_angle(me.pose.yaw);
    let mut way = Way {
        room: f64::INFINITY,
        side: 0.0,
    };
    let next = me.pose.pos() + heading * step;
    // Vehicle bodies within reach, for the sideways step below.
    let mut near = Vec::new();
    for (j, other) in agents.iter().enumerate() {
        if matches!(motions[j], Motion::Walk { .. }) {
            continue;
        }
        let d = me.pose.pos() - other.pose.pos();
        // Out of reach of its body even after this step (most vehicles, on a big map),
        // whatever clearance it is given: culled before anything is looked up.
        let long = lengths[j].0 > super::bodies::LONG_BODY;
        let reach =
            |clearance: f64| lengths[j].0.hypot(lengths[j].1) / 2.0 + clearance + step + 0.1;
        let widest = reach(VEHICLE_CLEARANCE + if long { LONG_BODY_CLEARANCE } else { 0.0 });
        if d.dot(d) > widest * widest {
            continue;
        }
        // A truck or bus standing in a turn swings its tail out as it moves off: a walker
        // who stepped up beside a bus's tail on a crosswalk and the bus, whose turn would
        // sweep the walker, each waited for the other.
        let clearance = if long && (other.speed >= MOVING || bodies.in_junction(j)) {
            VEHICLE_CLEARANCE + LONG_BODY_CLEARANCE
        } else {
            VEHICLE_CLEARANCE
        };
        if d.dot(d) > reach(clearance) * reach(clearance) {
            continue;
        }
        let body = body_of(agents, lengths, j);
        near.push(body);
        // A vehicle standing with the walker in front of it has stopped for the walker:
        // the walker goes on, so the two never wait for each other.
        let f = V2::from_angle(other.pose.yaw);
        let in_front = d.dot(f) > lengths[j].0 / 2.0 - 0.1
            && d.dot(f.perp()).abs() < lengths[j].1 / 2.0 + IN_FRONT;
        let (now, then) = (
            distance_to_box(&body, me.pose.pos()),
            distance_to_box(&body, next),
        );
        if other.speed < MOVING && in_front {
            // It stopped short of the walker's line; still, a walker whose line runs
            // along its bumper steps away from it as it passes (one brushed a car that
            // stood 0.2 m from its path).
            if then < BUMPER_CLEARANCE && then <= now + 1e-9 {
                let away = if d.dot(heading.perp()) >= 0.0 {
                    1.0
                } else {
                    -1.0
                };
                let target = me.offset + away * SIDESTEP;
                if target.abs() > way.side.abs() {
                    way.side = target;
                }
                // Not on into the bumper while the step away takes effect.
                if then < BUMPER_CLEARANCE - 0.1 {
                    way.room = 0.0;
                }
            }
            continue;
        }
        // Only a step towards the body, within reach of it: walking past a car's front
        // (a crossing in front of a stopped car) goes on.
        if then < clearance && then < now - 1e-9 {
            way.room = 0.0;
        }
    }
    for (j, other) in agents.iter().enumerate() {
        if j == i || !matches!(motions[j], Motion::Walk { .. }) {
            continue;
        }
        let d = other.pose.pos() - me.pose.pos();
        // Farther than anyone it follows, meets or steps beside this step can be.
        let reach = (ONCOMING_AHEAD + SAME_LINE).max(FOLLOW_GAP + step) + 0.1;
        if d.dot(d) > reach * reach {
            continue;
        }
        let ahead = d.dot(heading);
        let left = d.dot(heading.perp());
        let beside = left.abs();
        if ahead > 0.0 && beside < SAME_LINE {
            way.room = way.room.min((ahead - FOLLOW_GAP).max(0.0));
        }
        let standing = other.speed < 0.05;
        let facing = V2::from_angle(other.pose.yaw);
        let oncoming = standing || facing.dot(heading) < 0.0;
        if oncoming && ahead > -SAME_LINE && ahead < ONCOMING_AHEAD && beside < ONCOMING_SIDE {
            let aside = if standing { 2.0 * SIDESTEP } else { SIDESTEP };
            // Away from the other: to the right when it is on the left or dead ahead
            // (both walkers then step to their own right, apart). Both judge the side
            // along one shared axis, the difference of their headings, and "dead ahead"
            // has a width: judged along its own heading, each of two walkers on lines a
            // few degrees apart, or on exactly one line, saw the other to the same
            // side, both stepped the same way, and they stood nose to nose for good.
            let axis = if facing.dot(heading) < 0.0 {
                (heading - facing).normalized()
            } else {
                heading
            };
            let side_of_other = d.dot(axis.perp());
            let mut target = if side_of_other >= -DEAD_AHEAD {
                -aside
            } else {
                aside
            };
            // Never back towards the line while someone is still passing: the other may
            // have stopped or started since the step aside began.
            if me.offset * target > 0.0 && me.offset.abs() > target.abs() {
                target = me.offset;
            }
            if target.abs() > way.side.abs() {
                way.side = target;
            }
        }
    }
    // No sideways step (aside, or back to the line) into someone walking beside.
    let towards = way.side - me.offset;
    let blocked = agents.iter().enumerate().any(|(j, other)| {
        let d = other.pose.pos() - me.pose.pos();
        // How far the other is to the side the step goes (someone straight ahead or
        // behind, on this line, is not in the way of a step aside).
        let that_side = d.dot(heading.perp()) * towards.signum();
        j != i
            && matches!(motions[j], Motion::Walk { .. })
            && d.dot(heading).abs() < FOLLOW_GAP
            && that_side > BESIDE_MARGIN
            && that_side < SAME_LINE + BESIDE_MARGIN
    });
    if blocked {
        way.side = me.offset;
    }
    // Nor a sideways step towards a vehicle's body within reach: a walker stepping aside
    // for someone walked into the parked car beside its path and stood inside it.
    let sideways = toward(me.offset, way.side, dt) - me.offset;
    if sideways != 0.0 {
        let moved = me.pose.pos() + heading.perp() * sideways;
        let towards_body = near.iter().any(|body| {
            let then = distance_to_box(body, moved);
            then < VEHICLE_CLEARANCE && then < distance_to_box(body, me.pose.pos()) - 1e-9
        });
        if towards_body {
            way.side = me.offset;
        }
    }
    way
}

/// How far `p` is from the box (0 inside it).
fn distance_to_box(body: &Obb, p: V2) -> f64 {
    let d = p - body.center;
    let f = V2::from_angle(body.yaw);
    let along = (d.dot(f).abs() - body.half_length).max(0.0);
    let across = (d.dot(f.perp()).abs() - body.half_width).max(0.0);
    along.hypot(across)
}

/// `offset` moved towards `target` at walking-aside speed.
pub(super) fn toward(offset: f64, target: f64, dt: f64) -> f64 {
    let step = SIDESTEP_SPEED * dt;
    offset + (target - offset).clamp(-step, step)
}
