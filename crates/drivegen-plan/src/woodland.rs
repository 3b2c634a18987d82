//! Woodland: stands of trees behind the roadside (`map.roadside.woodland`).
//!
//! Real roads outside city centres run past tree lines and thickets, and those fill
//! much of a dash camera's frame; a flat lawn to the horizon is one of the plainest
//! tells of a synthetic scene. Each verge is cut into sections, each section is wooded
//! with the scenario's share as its probability, and a wooded section gets two rows of
//! overlapping stands (a lower front row, a taller one behind) set back from the
//! sidewalk. A stand that would touch a road, a sidewalk, a junction or a prop is left
//! out, so woodland never hides a labelled object's footprint. The stands are stuff
//! (semantic class vegetation, no instance), drawn from their own stream so no other
//! draw moves when a scenario adds woodland.

use drivegen_scenario::Param;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use crate::geom::{Obb, Pose2};
use crate::props::{footprint, prop_footprint};
use crate::spatial::{ArcTable, FootprintGrid};
use crate::surface::Surfaces;
use crate::types::{Prop, RoadKind, RoadNetwork, Size3, TreeStand};

/// Length of road over which one draw decides woodland or open verge (m).
const SECTION: f64 = 40.0;
/// Clearance kept between a stand and roads, sidewalks and props (m).
const CLEARANCE: f64 = 1.0;

/// The ground a stand covers.
pub fn stand_footprint(stand: &TreeStand) -> Obb {
    footprint(&stand.pose, stand.size)
}

/// The stands along every main road and junction arm; none when the share is 0.
pub(crate) fn place_woodland(
    net: &RoadNetwork,
    surfaces: &Surfaces<'_>,
    props: &[Prop],
    share: &Param,
    rng: &mut ChaCha8Rng,
) -> Vec<TreeStand> {
    let share = share.sample(rng).clamp(0.0, 1.0);
    if share <= 0.0 {
        return Vec::new();
    }
    let taken: FootprintGrid = props.iter().map(prop_footprint).collect();
    let mut stands = Vec::new();
    for road in &net.roads {
        if !matches!(road.kind, RoadKind::Main | RoadKind::Arm) {
            continue;
        }
        let length = road.reference.length();
        let arc = ArcTable::new(&road.reference);
        for sign in [-1.0, 1.0] {
            let inner = road.verge_offset(sign);
            let verge = inner + road.sidewalk;
            let mut start = 0.0;
            while start < length {
                let wooded = rng.random::<f64>() < share;
                let setback = rng.random_range(6.0..16.0);
                let end = (start + SECTION).min(length);
                if wooded {
                    for row in 0..2 {
                        let mut s = start + rng.random_range(0.0..3.0);
                        while s < end {
                            let along = rng.random_range(6.0..10.0);
                            let depth = rng.random_range(6.0..11.0);
                            let height = if row == 0 {
                                rng.random_range(5.0..10.0)
                            } else {
                                rng.random_range(9.0..16.0)
                            };
                            let lateral = verge
                                + setback
                                + 6.0 * f64::from(row)
                                + depth / 2.0
                                + rng.random_range(-1.0..1.0);
                            // Darker and more olive than a lone tree's crown: a stand
                            // shades itself, and its mix of species reads duller.
                            let green = [
                                rng.random_range(45..90),
                                rng.random_range(70..120),
                                rng.random_range(30..65),
                            ];
                            let detail = rng.random::<u32>();
                            let mid = (s + along / 2.0).min(length);
                            s += along * rng.random_range(0.65..0.9);
                            let (p, t) = arc.sample(&road.reference, mid);
                            let pose = Pose2::at(p + t.perp() * (sign * lateral), t.angle());
                            let stand = TreeStand {
                                pose,
                                size: Size3 {
                                    length: along,
                                    width: depth,
                                    height,
                                },
                                color: green,
                                detail,
                            };
                            let footprint = stand_footprint(&stand).inflated(CLEARANCE);
                            if !surfaces.blocks_prop(&footprint, true)
                                && !taken.overlaps(&footprint)
                            {
                                stands.push(stand);
                            }
                        }
                    }
                }
                start = end;
            }
        }
    }
    stands
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan as plan_variant;

    fn scenario(woodland: Param) -> drivegen_scenario::Scenario {
        let mut s = drivegen_scenario::load_default()
            .expect("the default scenario is valid")
            .scenario;
        s.map.roadside.woodland = woodland;
        s
    }

    #[test]
    fn no_woodland_by_default_and_some_when_asked() {
        let bare = plan_variant(&scenario(Param::Const(0.0)), 0).expect("plans");
        assert!(bare.woodland.is_empty());
        let wooded = plan_variant(&scenario(Param::Const(1.0)), 0).expect("plans");
        assert!(
            wooded.woodland.len() > 20,
            "a fully wooded default map has many stands, got {}",
            wooded.woodland.len()
        );
        // Everything else is drawn from other streams: adding woodland moves nothing.
        assert_eq!(bare.props, wooded.props);
        assert_eq!(bare.actors, wooded.actors);
    }

    #[test]
    fn stands_keep_clear_of_roads_sidewalks_and_props() {
        let plan = plan_variant(&scenario(Param::Const(1.0)), 3).expect("plans");
        let surfaces = Surfaces::new(&plan.network);
        for stand in &plan.woodland {
            let footprint = stand_footprint(stand);
            assert!(
                !surfaces.blocks_prop(&footprint, true),
                "{stand:?} on a road"
            );
            for p in &plan.props {
                assert!(
                    !prop_footprint(p).overlaps(&footprint),
                    "{stand:?} on {p:?}"
                );
            }
        }
    }

    #[test]
    fn the_share_sets_how_much_verge_is_wooded() {
        let count = |share: f64| {
            (0..4)
                .map(|v| {
                    plan_variant(&scenario(Param::Const(share)), v)
                        .expect("plans")
                        .woodland
                        .len()
                })
                .sum::<usize>()
        };
        let (some, more) = (count(0.3), count(1.0));
        assert!(
            some > 0 && some < more,
            "0.3 -> {some} stands, 1.0 -> {more}"
        );
    }
}
