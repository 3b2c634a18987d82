//! Pedestrians on sidewalks and crosswalks, by rejection sampling from their own stream.

use drivegen_scenario::validate::caps;
use drivegen_scenario::{Scenario, WalkArea};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use super::{
    Draw, Placement, footprint, pedestrian_body, pedestrian_kind, pick_by_length, rejection_sample,
};
use crate::error::{PlanError, Rule, Subject};
use crate::geom::{Polyline, Pose2, V2};
use crate::props::KERB_STRIP;
use crate::types::*;

pub(super) fn place_pedestrians(
    s: &Scenario,
    p: &mut Placement<'_>,
    rng: &mut ChaCha8Rng,
    horizon: f64,
) -> Result<(), PlanError> {
    let net = p.net;
    let count = s
        .pedestrians
        .count
        .sample_count_capped(rng, caps::PEDESTRIANS);
    if count == 0 {
        return Ok(());
    }
    let sidewalks: Vec<&Walkway> = net
        .walkways
        .iter()
        .filter(|w| w.kind == WalkwayKind::Sidewalk)
        .collect();
    let lengths: Vec<f64> = sidewalks.iter().map(|w| w.center.length()).collect();
    if sidewalks.is_empty() && net.crosswalks.is_empty() {
        return Err(PlanError::NoRoom {
            what: Subject::Pedestrians { count },
            reason: "the map has no sidewalks or crosswalks".into(),
            hint: "set map.sidewalk_width above 0, or pedestrians.count to 0".into(),
        });
    }
    for i in 0..count {
        let id = ids::Range::Pedestrians.nth(i)?;
        let area = s
            .pedestrians
            .spawn_on
            .pick(rng)
            .copied()
            .unwrap_or(WalkArea::Sidewalk);
        let area = match area {
            WalkArea::Crosswalk if net.crosswalks.is_empty() => WalkArea::Sidewalk,
            WalkArea::Sidewalk if sidewalks.is_empty() => WalkArea::Crosswalk,
            a => a,
        };
        let kind = pedestrian_kind(&s.pedestrians.kinds, rng);
        let (size, color) = pedestrian_body(kind, rng);
        let speed = s.pedestrians.walking_speed.sample(rng).clamp(0.1, 4.0);
        let crossing_p = s
            .pedestrians
            .crossing_probability
            .sample(rng)
            .clamp(0.0, 1.0);
        let crosses = rng.random_bool(crossing_p);
        let (pose, path, crosses) = rejection_sample(
            p.max_attempts,
            || Subject::Pedestrian {
                index: i + 1,
                count,
            },
            || {
                let (pose, path, crosswalk) = match area {
                    WalkArea::Sidewalk => {
                        let Some(k) = pick_by_length(&lengths, rng) else {
                            return Draw::Exhausted;
                        };
                        let w = sidewalks[k];
                        let sx = rng.random_range(0.0..lengths[k]);
                        let (back, kerb) = walking_band(w.width);
                        let lateral = back + rng.random_range(0.0..1.0) * (kerb - back);
                        let (c, t) = w.center.sample(sx);
                        let mut forward = rng.random_bool(0.5);
                        let pos = c + t.perp() * lateral;
                        let walk = speed * horizon;
                        let crossing = crosses
                            .then(|| {
                                crossing_path(net, &sidewalks, pos, walk, &w.center.offset(lateral))
                            })
                            .flatten();
                        let (path, crosswalk) = if let Some((path, c)) = crossing {
                            (path, Some(c))
                        } else {
                            let on = |q: V2| p.surfaces.on_walkway(q);
                            let along = |forward| {
                                along_sidewalk(&sidewalks, k, sx, lateral, walk, forward, on)
                            };
                            let mut path = along(forward);
                            // Facing a dead end (the map's edge) sooner than the walk
                            // ends, it walks the other way if that way is longer: walkers
                            // stopped at the end of the map's roads and stood there.
                            if path.length() + 0.5 < walk {
                                let other = along(!forward);
                                if other.length() > path.length() {
                                    (path, forward) = (other, !forward);
                                }
                            }
                            (path, None)
                        };
                        let dir = if forward { t } else { -t };
                        // It stands where its path starts: on a junction corner's walkway
                        // the line it walks could start half a metre from `pos`, and it
                        // jumped there, into its neighbour, at the first step. (Rounding
                        // apart: a plan does not change for a micrometre.)
                        let start = path
                            .points
                            .first()
                            .copied()
                            .filter(|q| q.distance(pos) > START_TOLERANCE)
                            .unwrap_or(pos);
                        (Pose2::at(start, dir.angle()), path, crosswalk)
                    }
                    WalkArea::Crosswalk => {
                        let c = &net.crosswalks[rng.random_range(0..net.crosswalks.len())];
                        let [a, b, cc, d] = c.corners;
                        let u = rng.random_range(0.2..0.8);
                        let v = rng.random_range(0.05..0.95);
                        let dir = if rng.random_bool(0.5) {
                            c.across
                        } else {
                            -c.across
                        };
                        let u = keep_right((u - 0.2) / 0.6, b - a, dir);
                        let near = a.lerp(b, u);
                        let far = d.lerp(cc, u);
                        let pos = near.lerp(far, v);
                        let target = if dir.dot(far - near) > 0.0 { far } else { near };
                        let mut points = vec![pos, target + dir * 1.0];
                        let left = speed * horizon - pos.distance(points[1]);
                        points.extend(onward(net, &sidewalks, c, points[1], left));
                        (
                            Pose2::at(pos, dir.angle()),
                            Polyline::new(points),
                            Some(c.id),
                        )
                    }
                };
                if !p.surfaces.on_walkway(pose.pos()) {
                    return Draw::Reject(Rule::PedestriansOnWalkways);
                }
                let fp = footprint(pose, size);
                Draw::unless(p.overlap(&fp), (pose, path, crosswalk))
            },
        )?;
        let walk = Behavior::Walk {
            speed,
            path,
            crosses,
        };
        let class = ActorClass::Pedestrian;
        p.actors.push(
            Actor::new(id, Role::Pedestrian, class, size, color, pose).moving(walk, Vec::new()),
        );
    }
    Ok(())
}

/// Walk along `own` (the walker's line on its sidewalk) to the nearest crosswalk that
/// meets that sidewalk, across it, and on along the sidewalk there for what is left of
/// `walk` metres. `None` when no crosswalk meets it: a walker once made straight for the
/// nearest crosswalk wherever it was, across carriageways, verges and junctions.
fn crossing_path(
    net: &RoadNetwork,
    sidewalks: &[&Walkway],
    from: V2,
    walk: f64,
    own: &Polyline,
) -> Option<(Polyline, u32)> {
    let mut by_distance: Vec<&Crosswalk> = net.crosswalks.iter().collect();
    by_distance.sort_by(|a, b| {
        let da = a.centre().distance(from);
        let db = b.centre().distance(from);
        da.total_cmp(&db).then(a.id.cmp(&b.id))
    });
    let (c, (stretch, entry, exit)) = by_distance
        .into_iter()
        .find_map(|c| approach(c, from, own).map(|way| (c, way)))?;
    let dir = (exit - entry).normalized();
    let beyond = exit + dir * (1.5 + STRIPES_INSET);
    let mut points = vec![from];
    for q in stretch.points {
        if points.last().is_some_and(|last| last.distance(q) > 0.05) {
            points.push(q);
        }
    }
    points.extend([entry, exit, beyond]);
    let left = walk - Polyline::new(points.clone()).length();
    points.extend(onward(net, sidewalks, c, beyond, left));
    Some((Polyline::new(points), c.id))
}

/// Where a walker at `from` enters and leaves crosswalk `c`'s stripes, just inside them,
/// coming from its near end (`from_near`) or its far one, heading `across`: straight
/// across on the right half of the stripes, where in it from where the walker comes.
/// Everyone once made for the middle of the kerb, and walkers from both kerbs met there
/// head-on, seven to a line at a busy crossing.
fn stripes_ends(c: &Crosswalk, from: V2, from_near: bool, across: V2) -> (V2, V2) {
    let [a, b, cc, d] = c.corners;
    let u = ((from - a).dot((b - a).normalized()) / a.distance(b).max(1e-9)).clamp(0.0, 1.0);
    let u = keep_right(u, b - a, across);
    let (entry, exit) = if from_near {
        (a.lerp(b, u), d.lerp(cc, u))
    } else {
        (d.lerp(cc, u), a.lerp(b, u))
    };
    // On their very edge a point is on both the stripes and whatever meets them, or on
    // neither.
    let dir = (exit - entry).normalized();
    (entry + dir * STRIPES_INSET, exit - dir * STRIPES_INSET)
}

/// How a walker on line `own` at `from` crosses crosswalk `c`, if the crosswalk meets its
/// sidewalk: the stretch of its line it walks first, and where it enters and leaves the
/// stripes. The stretch ends a few metres short of the stripes, from where it goes
/// straight to them through the crosswalk's mouth, which the kerb strip's props keep clear
/// of (cutting across to the stripes from afar walked through the poles and bins in the
/// strip). It enters from its own side of the street, the end nearer its line: the end
/// nearer as the crow flies can be the far one, round the outside of a bend.
fn approach(c: &Crosswalk, from: V2, own: &Polyline) -> Option<(Polyline, V2, V2)> {
    let [a, b, cc, d] = c.corners;
    let (near_mid, far_mid) = (a.lerp(b, 0.5), d.lerp(cc, 0.5));
    let off_own = |q: V2| own.project(q).point.distance(q);
    let (near_off, far_off) = (off_own(near_mid), off_own(far_mid));
    let from_near = if (near_off - far_off).abs() > 1.0 {
        near_off < far_off
    } else {
        near_mid.distance(from) <= far_mid.distance(from)
    };
    let across = if from_near {
        far_mid - near_mid
    } else {
        near_mid - far_mid
    };
    let (entry, exit) = stripes_ends(c, from, from_near, across);
    let (here, there) = (own.project(from), own.project(entry));
    if there.point.distance(entry) > ALONGSIDE {
        return None;
    }
    let lead = APPROACH_LEAD.min((there.s - here.s).abs());
    let stretch = if here.s <= there.s {
        own.slice(here.s, there.s - lead)
    } else {
        own.slice(there.s + lead, here.s).reversed()
    };
    Some((stretch, entry, exit))
}

/// Where a walker reaching the end of sidewalk `from` at `end` goes on: across the
/// junction corner there onto the sidewalk that starts or ends within a few metres, all
/// the way on walkways, and along it for up to `length` metres. Walkers whose walk was
/// longer than their piece of sidewalk stopped where it met the corner and stood there,
/// in everyone's way, for the rest of the scene. Empty when no sidewalk continues there
/// (a dead end, a roundabout's ring without a footway).
fn round_the_corner(
    sidewalks: &[&Walkway],
    from: usize,
    end: V2,
    length: f64,
    on_walkway: impl Fn(V2) -> bool,
) -> Vec<V2> {
    let reach = sidewalks[from].width * 1.5 + 0.5;
    let next = sidewalks
        .iter()
        .enumerate()
        .filter(|(j, _)| *j != from)
        .flat_map(|(j, w)| {
            let first = w.center.points.first().copied();
            let last = w.center.points.last().copied();
            [(j, first, true), (j, last, false)]
        })
        .filter_map(|(j, q, at_start)| q.map(|q| (j, q, at_start)))
        .filter(|(_, q, _)| {
            let d = q.distance(end);
            // Samples every half metre along the way over: on walkways all of it.
            d < reach
                && (0..=(d / 0.5).ceil() as usize)
                    .all(|i| on_walkway(end.lerp(*q, (i as f64 * 0.5 / d.max(1e-9)).min(1.0))))
        })
        .min_by(|a, b| {
            a.1.distance(end)
                .total_cmp(&b.1.distance(end))
                .then(a.0.cmp(&b.0))
        });
    let Some((j, _, at_start)) = next else {
        return Vec::new();
    };
    let (back, kerb) = walking_band(sidewalks[j].width);
    let w = sidewalks[j].center.offset((back + kerb) / 2.0);
    let from = if at_start { 0.0 } else { w.length() };
    walk_along(&w, from, length, at_start).points
}

/// A walk of `walk` metres along sidewalk `k` from arc length `sx`, on the walker's own
/// line `lateral` off its centre line, `forward` or back, and round the corner onto the
/// next sidewalk where that one ends at a junction.
fn along_sidewalk(
    sidewalks: &[&Walkway],
    k: usize,
    sx: f64,
    lateral: f64,
    walk: f64,
    forward: bool,
    on_walkway: impl Fn(V2) -> bool,
) -> Polyline {
    let w = sidewalks[k];
    let length = w.center.length();
    // A walk that reaches the sidewalk's end stops just inside it: on its very edge a
    // point is on no walkway.
    let margin = SIDEWALK_END_MARGIN.min(length / 2.0);
    let end = if forward {
        (sx + walk).min(length - margin).max(sx)
    } else {
        (sx - walk).max(margin).min(sx)
    };
    // The path keeps the walker's own line: walking the centre line would move it
    // sideways at the first step, onto everyone else's.
    let mut path = w.center.slice(sx.min(end), sx.max(end)).offset(lateral);
    if !forward {
        path = path.reversed();
    }
    let short = walk - (end - sx).abs();
    if short > 0.5
        && let Some(last) = path.points.last().copied()
    {
        path.points
            .extend(round_the_corner(sidewalks, k, last, short, on_walkway));
    }
    path
}

/// The stretch of `line` a walker covers from arc length `from`, `length` metres
/// forward or backward (up to the line's end), in walking order.
fn walk_along(line: &Polyline, from: f64, length: f64, forward: bool) -> Polyline {
    if forward {
        line.slice(from, (from + length).min(line.length()))
    } else {
        line.slice((from - length).max(0.0), from).reversed()
    }
}

/// Where across the stripes (0 at the corner the kerb edge `along` starts from, 1 at its
/// end) a walker crossing in direction `across` walks, given where it would like to
/// (`u`): in the half on its right, so the two directions pass apart.
fn keep_right(u: f64, along: V2, across: V2) -> f64 {
    let right_is_up = along.dot(-across.perp()) > 0.0;
    if right_is_up {
        0.6 + 0.25 * u
    } else {
        0.15 + 0.25 * u
    }
}

/// Walkers' lines keep this far beyond the kerb strip's props (m): half a body and a
/// little air.
const CLEAR_OF_KERB_PROPS: f64 = 0.35;

/// The offsets from a sidewalk's centre line (positive towards the kerb, which is on its
/// left) that walkers' lines keep within: 0.4 m from the back edge, and clear of the
/// props in the kerb strip (lights, poles, signs, bins, hydrants), where people do not
/// walk (walkers once walked through poles there). A sidewalk too narrow for both has
/// its whole width but 0.4 m a side.
pub(crate) fn walking_band(width: f64) -> (f64, f64) {
    let edge = (width / 2.0 - 0.4).max(0.0);
    let kerb = width / 2.0 - (KERB_STRIP + CLEAR_OF_KERB_PROPS);
    if kerb + edge >= 0.1 {
        (-edge, kerb)
    } else {
        (-edge, edge)
    }
}

/// A walker heading for a crosswalk along its sidewalk leaves its line this far before
/// the stripes (m), inside the crosswalk's mouth (`surface::MOUTH_SIDE`).
const APPROACH_LEAD: f64 = 3.0;

/// A crosswalk meets a walker's sidewalk when its end is this close to the walker's line
/// (m): the widest sidewalk, less the margin walkers keep from its back.
const ALONGSIDE: f64 = 7.6;

/// How far before a sidewalk's end a walk along it stops (m).
const SIDEWALK_END_MARGIN: f64 = 0.5;

/// How far inside the stripes a crossing starts and ends (m).
const STRIPES_INSET: f64 = 0.2;

/// How far a sidewalk walker may stand from its path's first point (m).
const START_TOLERANCE: f64 = 0.01;

/// At least this far along the sidewalk after a crossing (m).
const ONWARD_MIN: f64 = 10.0;

/// Where a walker goes after crossing at `c` and stepping onto the kerb at `kerb`: along
/// the sidewalk there, away from the junction, on its own line, for `length` metres (at
/// least `ONWARD_MIN`, at most to the sidewalk's end). Everyone who crossed used to stop
/// 1.5 m past the stripes, and the ones standing there walled in the crosswalk's mouth
/// for whoever came next (a dense junction's walkers stood nose to nose for the rest of
/// the scene). Empty when no sidewalk meets the crosswalk there.
fn onward(
    net: &RoadNetwork,
    sidewalks: &[&Walkway],
    c: &Crosswalk,
    kerb: V2,
    length: f64,
) -> Vec<V2> {
    let beside = sidewalks
        .iter()
        .map(|w| (w, w.center.project(kerb)))
        .filter(|(w, at)| at.point.distance(kerb) <= w.width / 2.0 + 0.5)
        .min_by(|(_, a), (_, b)| a.point.distance(kerb).total_cmp(&b.point.distance(kerb)));
    let Some((w, at)) = beside else {
        return Vec::new();
    };
    let junction = net
        .junctions
        .get(c.junction as usize)
        .map_or(c.centre(), |j| j.center);
    let total = w.center.length();
    let ahead = w.center.sample((at.s + 1.0).min(total)).0;
    let behind = w.center.sample((at.s - 1.0).max(0.0)).0;
    let (back, front) = walking_band(w.width);
    let lateral = at.lateral.clamp(back, front);
    let away = ahead.distance(junction) >= behind.distance(junction);
    let stretch = walk_along(
        &w.center.offset(lateral),
        at.s,
        length.max(ONWARD_MIN),
        away,
    );
    // The stretch starts at the kerb point's own projection: skip it, and anything
    // shorter than a step.
    stretch
        .points
        .into_iter()
        .skip(1)
        .filter(|p| p.distance(kerb) > 0.3)
        .collect()
}
