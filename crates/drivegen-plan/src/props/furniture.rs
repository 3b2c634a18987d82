//! Street furniture: litter bins and fire hydrants at the kerb, bus stops (a shelter
//! behind the sidewalk, its stop sign at the kerb) and fences behind the sidewalk, or off
//! the verge where a road has none.
//!
//! Placed after every other roadside prop, from a stream of its own (`furniture`), so
//! asking for more or less of it moves no building, tree or street light. Kerbside
//! furniture shares the kerb strip ([`super::KERB_STRIP`]) with the lights, poles and
//! signs; walkers keep their lines beyond it.

use drivegen_scenario::Roadside;
use rand::RngExt;

use super::{PROP_ATTEMPTS, Placer, Side, count, for_each_side, kerb_offset};
use crate::geom::Pose2;
use crate::types::*;

/// Kerbside furniture and bus stops only on sidewalks at least this wide (m): narrower
/// ones leave walkers no room beside it.
pub const MIN_FURNISHED_SIDEWALK: f64 = 2.0;

/// A fence is decided per stretch of this length of road side (m) ...
const FENCE_LOT: f64 = 20.0;
/// ... and built of straight runs of at most this length (m), chords of the road's curve.
const FENCE_RUN: f64 = 5.0;
/// From the back of the sidewalk to a fence's centre line (m).
const FENCE_BEHIND_SIDEWALK: f64 = 0.75;
/// From the paved edge to a fence's centre line where a road has no sidewalk (m); fast
/// roads (with guard rails) keep theirs further out.
const FENCE_OFF_VERGE: f64 = 2.5;
const FENCE_OFF_FAST_VERGE: f64 = 4.0;
/// Roads at least this fast (m/s) keep their fences [`FENCE_OFF_FAST_VERGE`] out.
const FAST_ROAD: f64 = 22.0;
/// Between two runs of fence (m): a little more than the placement's clearance.
const FENCE_GAP: f64 = 0.35;
/// Each style of fence and the colours it comes in: stained boards, white or cream
/// paling, dark or green steel.
const FENCES: [(FenceStyle, &[[u8; 3]]); 3] = [
    (
        FenceStyle::Boards,
        &[[118, 88, 60], [96, 74, 52], [140, 112, 82]],
    ),
    (FenceStyle::Paling, &[[212, 210, 202], [204, 196, 176]]),
    (
        FenceStyle::Railing,
        &[[58, 60, 62], [70, 92, 72], [44, 48, 52]],
    ),
];

const BIN: Size3 = Size3 {
    length: 0.5,
    width: 0.5,
    height: 0.95,
};
const BIN_COLOURS: [[u8; 3]; 3] = [[40, 66, 48], [62, 64, 66], [30, 44, 80]];
const HYDRANT: Size3 = Size3 {
    length: 0.35,
    width: 0.35,
    height: 0.8,
};
const HYDRANT_COLOURS: [[u8; 3]; 2] = [[176, 30, 24], [214, 170, 30]];
const SHELTER_WIDTH: f64 = 1.5;
const SHELTER_HEIGHT: f64 = 2.6;
/// From the back of the sidewalk to the shelter's centre line (m): the road test takes a
/// footprint piece as the circle round it, so this is that circle's radius, not less.
const SHELTER_BEHIND_SIDEWALK: f64 = 1.35;
const STOP_SIGN: Size3 = Size3 {
    length: 0.1,
    width: 0.45,
    height: 2.8,
};

/// Places bins, hydrants, bus stops and fences along every main road and junction arm,
/// after the other roadside props (`placer` draws from the `furniture` stream by now).
pub(super) fn place_furniture(placer: &mut Placer<'_>, net: &RoadNetwork, roadside: &Roadside) {
    for_each_side(net, |side| {
        if side.road.sidewalk >= MIN_FURNISHED_SIDEWALK {
            for (density, size, colours, kind) in [
                (&roadside.bins, BIN, &BIN_COLOURS[..], PropKind::Bin),
                (
                    &roadside.hydrants,
                    HYDRANT,
                    &HYDRANT_COLOURS[..],
                    PropKind::Hydrant,
                ),
            ] {
                for _ in 0..count(density, side.length, placer.rng) {
                    let colour = colours[placer.rng.random_range(0..colours.len())];
                    for _ in 0..PROP_ATTEMPTS {
                        let s = placer.rng.random_range(0.5..side.length - 0.5);
                        let (pos, t) = side.at(s, side.inner + kerb_offset(size));
                        let pose = Pose2::at(pos, t.angle());
                        if placer.try_add(kind, pose, size, colour, false) {
                            break;
                        }
                    }
                }
            }
            for _ in 0..count(&roadside.bus_stops, side.length, placer.rng) {
                bus_stop(placer, side);
            }
        }
        fences(placer, side, roadside);
    });
}

/// A bus stop: its sign at the kerb and, where there is room behind the sidewalk, a
/// shelter open to the road just upstream of the sign (a bus's front door stops at the
/// sign). Without room for the shelter the sign stands alone, as many stops do.
fn bus_stop(placer: &mut Placer<'_>, side: &Side<'_>) {
    let along = placer.rng.random_range(3.0..4.5);
    if side.length < along + 4.0 {
        return;
    }
    // Traffic on the right of the reference line drives along it, on the left against it.
    let downstream = -side.sign;
    for _ in 0..PROP_ATTEMPTS {
        let s = placer
            .rng
            .random_range(along / 2.0 + 2.0..side.length - along / 2.0 - 2.0);
        let at = s + downstream * (along / 2.0 + 0.5);
        let (pos, t) = side.at(at, side.inner + kerb_offset(STOP_SIGN));
        let yaw = if side.sign < 0.0 {
            (-t).angle()
        } else {
            t.angle()
        };
        let sign = PropKind::Sign(SignKind::BusStop);
        if !placer.try_add(sign, Pose2::at(pos, yaw), STOP_SIGN, [236, 196, 36], false) {
            continue;
        }
        // The shelter's x axis runs along the road and its open -y side faces it.
        let size = Size3 {
            length: along,
            width: SHELTER_WIDTH,
            height: SHELTER_HEIGHT,
        };
        let lateral = side.inner + side.road.sidewalk + SHELTER_BEHIND_SIDEWALK;
        for shift in [0.0, -1.0, -2.0] {
            let (pos, t) = side.at(s + downstream * shift, lateral);
            let pose = Pose2::at(pos, side.facing_road(t) + std::f64::consts::FRAC_PI_2);
            if placer.try_add_long(PropKind::BusShelter, pose, size, [96, 102, 108]) {
                break;
            }
        }
        return;
    }
}

/// Fenced lots along one road side: each [`FENCE_LOT`] is fenced with the scenario's
/// share, in straight runs that skip whatever stands in the way.
fn fences(placer: &mut Placer<'_>, side: &Side<'_>, roadside: &Roadside) {
    let share = roadside.fences.sample(placer.rng).clamp(0.0, 1.0);
    if share <= 0.0 {
        return;
    }
    let road = side.road;
    let lateral = side.inner
        + if road.sidewalk > 0.0 {
            road.sidewalk + FENCE_BEHIND_SIDEWALK
        } else if road.speed_limit >= FAST_ROAD {
            FENCE_OFF_FAST_VERGE
        } else {
            FENCE_OFF_VERGE
        };
    let lots = (side.length / FENCE_LOT).ceil() as usize;
    for lot in 0..lots {
        let fenced = placer.rng.random_bool(share);
        let (style, colours) = FENCES[placer.rng.random_range(0..FENCES.len())];
        let colour = colours[placer.rng.random_range(0..colours.len())];
        let height = placer.rng.random_range(1.0..1.8);
        if !fenced {
            continue;
        }
        let (a, b) = (
            lot as f64 * FENCE_LOT,
            ((lot + 1) as f64 * FENCE_LOT).min(side.length),
        );
        let runs = ((b - a) / FENCE_RUN).ceil().max(1.0) as usize;
        let step = (b - a) / runs as f64;
        for k in 0..runs {
            let (p, _) = side.at(a + step * k as f64, lateral);
            let (q, _) = side.at(a + step * (k as f64 + 1.0), lateral);
            let chord = q - p;
            // A gap between runs: each is a prop of its own, and the placement check
            // keeps footprints its clearance apart.
            let run = chord.length() - FENCE_GAP;
            if run < 1.0 {
                continue;
            }
            let size = Size3 {
                length: run,
                width: 0.12,
                height,
            };
            let pose = Pose2::at(p.lerp(q, 0.5), chord.angle());
            placer.try_add_long(PropKind::Fence(style), pose, size, colour);
        }
    }
}
