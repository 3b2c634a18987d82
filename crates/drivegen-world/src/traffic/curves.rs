//! Speeds for curves: a driver slows before a turn to keep its sideways acceleration
//! comfortable, where the traffic core drove every curve at the vehicle's desired speed
//! (a right turn at a junction at 50 km/h is two g; a car on a small roundabout's inner
//! ring lapped it in under two seconds). Each lane gets the speed its tightest stretch
//! allows, and a vehicle approaching it brakes comfortably down to that speed.

use drivegen_plan::ScenePlan;
#[cfg(test)]
use drivegen_plan::geom::v2;
use drivegen_plan::geom::{Polyline, V2};

use super::LOOKAHEAD;

/// The sideways acceleration drivers keep to in a curve (m/s²; 2–4 in everyday driving).
const COMFORT_LATERAL: f64 = 3.0;
/// Half the chord a lane's radius is measured over (m): the small kinks where the pieces
/// of a lane's centre line join are not curves.
const HALF_CHORD: f64 = 3.0;
/// How often along a lane its radius is measured (m).
const STEP: f64 = 1.0;

/// Per lane id, the fastest a vehicle drives along it: infinite on a straight lane.
pub(super) fn lane_speeds(plan: &ScenePlan) -> Vec<f64> {
    let size = plan
        .network
        .lanes
        .iter()
        .map(|l| l.id as usize + 1)
        .max()
        .unwrap_or(0);
    let mut out = vec![f64::INFINITY; size];
    for lane in &plan.network.lanes {
        out[lane.id as usize] = (COMFORT_LATERAL * tightest_radius(&lane.center)).sqrt();
    }
    out
}

/// The smallest radius of `line` measured over chords of twice [`HALF_CHORD`].
fn tightest_radius(line: &Polyline) -> f64 {
    let length = line.length();
    let mut tightest = f64::INFINITY;
    let mut s = HALF_CHORD;
    while s <= length - HALF_CHORD {
        let at = |s: f64| line.sample(s).0;
        tightest = tightest.min(circumradius(at(s - HALF_CHORD), at(s), at(s + HALF_CHORD)));
        s += STEP;
    }
    tightest
}

/// The radius of the circle through three points (infinite when they are in line).
fn circumradius(a: V2, b: V2, c: V2) -> f64 {
    let twice_area = (b - a).cross(c - a).abs();
    if twice_area < 1e-9 {
        return f64::INFINITY;
    }
    a.distance(b) * b.distance(c) * c.distance(a) / (2.0 * twice_area)
}

/// How a vehicle at arc length `s` on `lanes[idx]`, driving at `speed`, slows for the
/// curves ahead: the fastest it may drive now (its lane's speed, and each later lane's
/// within the look-ahead raised by what braking at `decel` sheds before it gets there),
/// and the deceleration that brings it to each curve's speed where that curve begins,
/// the hardest of them (0 when it is slow enough for all).
pub(super) fn slow_for_curves(
    plan: &ScenePlan,
    speeds: &[f64],
    lanes: &[u32],
    (idx, s): (usize, f64),
    speed: f64,
    decel: f64,
) -> (f64, f64) {
    let mut limit = f64::INFINITY;
    let mut need: f64 = 0.0;
    let mut before = -s;
    for id in lanes.iter().skip(idx) {
        let cap = speeds.get(*id as usize).copied().unwrap_or(f64::INFINITY);
        if cap.is_finite() {
            let d = before.max(0.0);
            limit = limit.min((cap * cap + 2.0 * decel * d).sqrt());
            // Within a metre of the curve (or in it) the speed is shed over that metre.
            need = need.max((speed * speed - cap * cap) / (2.0 * d.max(1.0)));
        }
        before += plan.lane(*id).map_or(f64::INFINITY, |l| l.length);
        if before > LOOKAHEAD {
            break;
        }
    }
    (limit, need)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_circle_has_its_radius_and_a_line_none() {
        let circle: Vec<V2> = (0..=90)
            .map(|k| {
                let a = f64::from(k).to_radians();
                v2(20.0 * a.cos(), 20.0 * a.sin())
            })
            .collect();
        let r = tightest_radius(&Polyline::new(circle));
        assert!((r - 20.0).abs() < 0.1, "{r}");
        let line = Polyline::new(vec![v2(0.0, 0.0), v2(50.0, 0.0)]);
        assert!(tightest_radius(&line).is_infinite());
    }
}
