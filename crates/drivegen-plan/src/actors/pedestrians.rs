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
                        let lateral = rng.random_range(-0.5..0.5) * (w.width - 0.8).max(0.0);
                        let (c, t) = w.center.sample(sx);
                        let forward = rng.random_bool(0.5);
                        let pos = c + t.perp() * lateral;
                        let dir = if forward { t } else { -t };
                        let walk = speed * horizon;
                        let end = if forward {
                            (sx + walk).min(lengths[k])
                        } else {
                            (sx - walk).max(0.0)
                        };
                        // The path keeps the walker's own line: walking the centre line
                        // would move it sideways at the first step, onto everyone else's.
                        let mut path = w.center.slice(sx.min(end), sx.max(end)).offset(lateral);
                        if !forward {
                            path = path.reversed();
                        }
                        let (path, crosswalk) = if crosses {
                            crossing_path(net, pos)
                        } else {
                            (path, None)
                        };
                        (Pose2::at(pos, dir.angle()), path, crosswalk)
                    }
                    WalkArea::Crosswalk => {
                        let c = &net.crosswalks[rng.random_range(0..net.crosswalks.len())];
                        let [a, b, cc, d] = c.corners;
                        let u = rng.random_range(0.2..0.8);
                        let v = rng.random_range(0.05..0.95);
                        let near = a.lerp(b, u);
                        let far = d.lerp(cc, u);
                        let pos = near.lerp(far, v);
                        let dir = if rng.random_bool(0.5) {
                            c.across
                        } else {
                            -c.across
                        };
                        let target = if dir.dot(far - near) > 0.0 { far } else { near };
                        let path = Polyline::new(vec![pos, target + dir * 1.0]);
                        (Pose2::at(pos, dir.angle()), path, Some(c.id))
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

/// Walk to the nearest crosswalk, across it, and a little beyond.
fn crossing_path(net: &RoadNetwork, from: V2) -> (Polyline, Option<u32>) {
    let nearest = net.crosswalks.iter().min_by(|a, b| {
        let da = centre(a).distance(from);
        let db = centre(b).distance(from);
        da.total_cmp(&db).then(a.id.cmp(&b.id))
    });
    let Some(c) = nearest else {
        return (Polyline::new(vec![from]), None);
    };
    let [a, b, cc, d] = c.corners;
    let near_mid = a.lerp(b, 0.5);
    let far_mid = d.lerp(cc, 0.5);
    let (entry, exit) = if near_mid.distance(from) <= far_mid.distance(from) {
        (near_mid, far_mid)
    } else {
        (far_mid, near_mid)
    };
    let beyond = exit + (exit - entry).normalized() * 1.5;
    (Polyline::new(vec![from, entry, exit, beyond]), Some(c.id))
}

fn centre(c: &Crosswalk) -> V2 {
    (c.corners[0] + c.corners[2]) * 0.5
}
