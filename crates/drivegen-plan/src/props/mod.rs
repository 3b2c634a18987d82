//! Roadside objects: buildings, trees, poles, street lights, signs, traffic lights, and
//! street furniture ([`furniture`]).
//!
//! Densities are targets, not rules: a prop that cannot be placed clear of the roads
//! and of other props after a few draws is skipped, and roadside props stop when the
//! prop id range is full, less the ids the traffic lights need.
//!
//! Kerbside props (street lights, poles, signs) stand on the sidewalk just clear of the
//! carriageway: their offset from the road edge is derived from the very footprint the
//! overlap check tests ([`kerb_offset`]), so they can never be rejected for touching
//! the road they line. They also keep clear of the traffic-light heads, whose spots
//! are reserved before any roadside prop is placed, and out of crosswalks' mouths, where
//! walkers step between the sidewalk and the stripes.

mod furniture;

pub use furniture::MIN_FURNISHED_SIDEWALK;

use drivegen_scenario::{Param, Roadside};
use rand::RngExt;

use rand_chacha::ChaCha8Rng;

use crate::error::PlanError;
use crate::geom::{Obb, Pose2, V2};
use crate::spatial::{ArcTable, FootprintGrid};
use crate::surface::Surfaces;
use crate::types::*;

const PROP_ATTEMPTS: usize = 6;

/// Kerbside props (lights, poles, signs, bins, hydrants) stand within this distance of
/// the carriageway's edge (m): the sidewalk's kerb strip. Walkers keep their lines out
/// of it (`actors::pedestrians`).
pub const KERB_STRIP: f64 = 1.15;

/// A long footprint is checked against the roads in pieces at most this long (m).
const LONG_PIECE: f64 = 0.5;

/// Clearance kept around every prop footprint (the placement check inflates by it).
const PROP_CLEARANCE: f64 = 0.3;

/// Gap between a kerbside prop's (inflated, circumscribed) footprint and the road edge.
const KERB_GAP: f64 = 0.05;

/// Distance from the road edge to the centre of a kerbside prop of `size`: the radius
/// of its inflated footprint's circumscribed circle (what [`Surfaces::blocks_prop`]
/// tests against the carriageway) plus a small gap.
pub fn kerb_offset(size: Size3) -> f64 {
    libm::hypot(
        size.length / 2.0 + PROP_CLEARANCE,
        size.width / 2.0 + PROP_CLEARANCE,
    ) + KERB_GAP
}

const FACADES: [[u8; 3]; 8] = [
    [168, 150, 130],
    [190, 178, 160],
    [130, 110, 100],
    [150, 155, 160],
    [200, 190, 170],
    [120, 72, 60],
    [175, 165, 140],
    [95, 100, 110],
];

pub(crate) struct Placer<'a> {
    surfaces: &'a Surfaces<'a>,
    props: Vec<Prop>,
    /// The footprints of `props`.
    placed: FootprintGrid,
    /// Footprints reserved for the traffic-light heads (placed after the roadside props).
    reserved: Vec<Obb>,
    /// Most roadside props (ids left over for the traffic lights).
    limit: u32,
    rng: &'a mut ChaCha8Rng,
}

impl Placer<'_> {
    fn try_add(
        &mut self,
        kind: PropKind,
        pose: Pose2,
        size: Size3,
        color: [u8; 3],
        clear_of_sidewalks: bool,
    ) -> bool {
        let footprint = footprint(&pose, size).inflated(PROP_CLEARANCE);
        if self.surfaces.blocks_prop(&footprint, clear_of_sidewalks) {
            return false;
        }
        self.add_if_clear(kind, pose, size, color, &footprint, !clear_of_sidewalks)
    }

    /// [`Placer::try_add`] for a long prop clear of the sidewalks (a fence, a shelter):
    /// the road test takes a footprint as the circle round it, so a 5 m fence would
    /// have to keep 2.5 m from every sidewalk; it is tested in pieces instead.
    fn try_add_long(&mut self, kind: PropKind, pose: Pose2, size: Size3, color: [u8; 3]) -> bool {
        let pieces = (size.length / LONG_PIECE).ceil().max(1.0) as usize;
        let piece = size.length / pieces as f64;
        let blocked = (0..pieces).any(|k| {
            let along = (k as f64 + 0.5) * piece - size.length / 2.0;
            let part = Obb {
                center: pose.pos() + pose.dir() * along,
                yaw: pose.yaw,
                half_length: piece / 2.0,
                half_width: size.width / 2.0,
            };
            self.surfaces
                .blocks_prop(&part.inflated(PROP_CLEARANCE), true)
        });
        if blocked {
            return false;
        }
        let whole = footprint(&pose, size).inflated(PROP_CLEARANCE);
        self.add_if_clear(kind, pose, size, color, &whole, false)
    }

    /// Adds the prop unless the id range is full or its (inflated) `footprint` meets a
    /// reserved spot, another prop or, for a kerbside prop, a crosswalk's mouth.
    fn add_if_clear(
        &mut self,
        kind: PropKind,
        pose: Pose2,
        size: Size3,
        color: [u8; 3],
        footprint: &Obb,
        kerbside: bool,
    ) -> bool {
        let index = self.props.len() as u32;
        if index >= self.limit {
            return false;
        }
        let Ok(id) = ids::Range::Props.nth(index) else {
            return false;
        };
        if kerbside && self.surfaces.at_crosswalk_mouth(footprint) {
            return false;
        }
        if self.reserved.iter().any(|r| r.overlaps(footprint)) {
            return false;
        }
        if self.placed.overlaps(footprint) {
            return false;
        }
        let detail = self.rng.random::<u32>();
        let prop = Prop {
            id,
            kind,
            pose,
            size,
            color,
            detail,
        };
        self.placed.insert(prop_footprint(&prop));
        self.props.push(prop);
        true
    }
}

/// The ground an object of `size` covers at `pose` (its centre and heading).
pub fn footprint(pose: &Pose2, size: Size3) -> Obb {
    Obb {
        center: pose.pos(),
        yaw: pose.yaw,
        half_length: size.length / 2.0,
        half_width: size.width / 2.0,
    }
}

pub fn prop_footprint(p: &Prop) -> Obb {
    footprint(&p.pose, p.size)
}

fn count(density: &Param, length: f64, rng: &mut ChaCha8Rng) -> usize {
    let per_100 = density.sample(rng).max(0.0);
    (per_100 * length / 100.0).round() as usize
}

/// One side of a main road or junction arm: the roads that are lined with props.
pub(super) struct Side<'a> {
    pub road: &'a Road,
    arc: &'a ArcTable,
    /// -1 right of the reference line, 1 left.
    pub sign: f64,
    /// From the reference line to the paved edge (m).
    pub inner: f64,
    pub length: f64,
}

impl Side<'_> {
    /// The point `lateral` metres out from the reference line at arc length `s`, and the
    /// road's direction there.
    pub fn at(&self, s: f64, lateral: f64) -> (V2, V2) {
        let (p, t) = self.arc.sample(&self.road.reference, s);
        (p + t.perp() * (self.sign * lateral), t)
    }

    /// The heading of something on this side facing the carriageway.
    pub fn facing_road(&self, t: V2) -> f64 {
        (t.perp() * (-self.sign)).angle()
    }
}

/// Calls `f` with each side of every main road and junction arm long enough to line,
/// road by road, right side first.
fn for_each_side(net: &RoadNetwork, mut f: impl FnMut(&Side<'_>)) {
    for road in &net.roads {
        if !matches!(road.kind, RoadKind::Main | RoadKind::Arm) {
            continue;
        }
        let length = road.reference.length();
        if length < 4.0 {
            continue;
        }
        let arc = ArcTable::new(&road.reference);
        for sign in [-1.0, 1.0] {
            f(&Side {
                road,
                arc: &arc,
                sign,
                inner: road.verge_offset(sign),
                length,
            });
        }
    }
}

/// Places roadside props along every main road and junction arm, then the street
/// furniture, drawn from `furniture_rng`.
pub(crate) fn place_props(
    net: &RoadNetwork,
    surfaces: &Surfaces<'_>,
    roadside: &Roadside,
    rng: &mut ChaCha8Rng,
    furniture_rng: &mut ChaCha8Rng,
) -> Vec<Prop> {
    let reserved: Vec<Obb> = traffic_light_lanes(net)
        .map(|(lane, stop)| prop_footprint(&traffic_light_head(net, lane, stop, 0)))
        .collect();
    let lights = reserved.len() as u32;
    let mut placer = Placer {
        surfaces,
        props: Vec::new(),
        placed: FootprintGrid::default(),
        reserved,
        limit: ids::MAX_PROPS.saturating_sub(lights),
        rng,
    };
    for_each_side(net, |side| {
        let (inner, walk, length, sign) = (side.inner, side.road.sidewalk, side.length, side.sign);
        let at = |s: f64, lateral: f64| side.at(s, lateral);
        // Lights face the carriageway.
        let facing_road = |t: V2| side.facing_road(t);

        // Street lights, evenly spaced with jitter.
        let n = count(&roadside.street_lights, length, placer.rng);
        for k in 0..n {
            let jitter: f64 = placer.rng.random_range(-0.3..0.3);
            let s = ((k as f64 + 0.5 + jitter) * length / n as f64).clamp(0.5, length - 0.5);
            let size = Size3 {
                length: 0.3,
                width: 0.3,
                height: 8.0,
            };
            let (pos, t) = at(s, inner + kerb_offset(size));
            let pose = Pose2::at(pos, facing_road(t));
            placer.try_add(PropKind::StreetLight, pose, size, [90, 92, 96], false);
        }
        for _ in 0..count(&roadside.poles, length, placer.rng) {
            for _ in 0..PROP_ATTEMPTS {
                let s = placer.rng.random_range(0.5..length - 0.5);
                let size = Size3 {
                    length: 0.25,
                    width: 0.25,
                    height: placer.rng.random_range(6.0..9.0),
                };
                let (pos, t) = at(s, inner + kerb_offset(size));
                if placer.try_add(
                    PropKind::Pole,
                    Pose2::at(pos, t.angle()),
                    size,
                    [70, 62, 55],
                    false,
                ) {
                    break;
                }
            }
        }
        for _ in 0..count(&roadside.signs, length, placer.rng) {
            let kinds = [
                SignKind::SpeedLimit,
                SignKind::Yield,
                SignKind::NoEntry,
                SignKind::Parking,
                SignKind::Stop,
            ];
            let kind = kinds[placer.rng.random_range(0..kinds.len())];
            for _ in 0..PROP_ATTEMPTS {
                let s = placer.rng.random_range(0.5..length - 0.5);
                let size = Size3 {
                    length: 0.1,
                    width: 0.7,
                    height: 2.6,
                };
                let (pos, t) = at(s, inner + kerb_offset(size));
                // Signs face the traffic that drives on their side.
                let yaw = if sign < 0.0 { (-t).angle() } else { t.angle() };
                if placer.try_add(
                    PropKind::Sign(kind),
                    Pose2::at(pos, yaw),
                    size,
                    [200, 200, 200],
                    false,
                ) {
                    break;
                }
            }
        }
        for _ in 0..count(&roadside.trees, length, placer.rng) {
            for _ in 0..PROP_ATTEMPTS {
                let s = placer.rng.random_range(0.5..length - 0.5);
                let lateral = inner + walk + 1.5 + placer.rng.random_range(0.0..2.0);
                let (pos, _) = at(s, lateral);
                let crown = placer.rng.random_range(1.5..3.0);
                let size = Size3 {
                    length: crown * 2.0,
                    width: crown * 2.0,
                    height: placer.rng.random_range(5.0..10.0),
                };
                let green = [
                    placer.rng.random_range(60..110),
                    placer.rng.random_range(120..175),
                    placer.rng.random_range(40..90),
                ];
                if placer.try_add(PropKind::Tree, Pose2::at(pos, 0.0), size, green, true) {
                    break;
                }
            }
        }
        // Buildings in a row along the road.
        let target = count(&roadside.buildings, length, placer.rng);
        let mut s = placer.rng.random_range(0.0..6.0);
        let mut placed = 0;
        while placed < target && s < length {
            let along = placer.rng.random_range(10.0..25.0);
            let depth = placer.rng.random_range(8.0..18.0);
            let setback = placer.rng.random_range(3.0..8.0);
            let mid = s + along / 2.0;
            if mid > length {
                break;
            }
            let (pos, t) = at(mid, inner + walk + setback + depth / 2.0);
            let size = Size3 {
                length: along,
                width: depth,
                height: roadside.building_height.sample(placer.rng).max(3.0),
            };
            let color = FACADES[placer.rng.random_range(0..FACADES.len())];
            if placer.try_add(
                PropKind::Building,
                Pose2::at(pos, t.angle()),
                size,
                color,
                true,
            ) {
                placed += 1;
            }
            s += along + placer.rng.random_range(1.0..6.0);
        }
    });
    placer.rng = furniture_rng;
    furniture::place_furniture(&mut placer, net, roadside);
    placer.props
}

/// The rightmost driving lane of every approach of signalised junctions, with its stop.
fn traffic_light_lanes(net: &RoadNetwork) -> impl Iterator<Item = (&Lane, StopLine)> {
    net.lanes.iter().filter_map(|lane| {
        let (Some(stop), 0) = (lane.stop, lane.index) else {
            return None;
        };
        let signalised = net
            .junctions
            .get(stop.junction as usize)
            .is_some_and(|j| j.signal.is_some());
        (signalised && lane.kind == LaneKind::Driving).then_some((lane, stop))
    })
}

/// Adds a traffic-light head on the right of every approach of signalised junctions.
pub(crate) fn place_traffic_lights(
    net: &RoadNetwork,
    props: &mut Vec<Prop>,
    rng: &mut ChaCha8Rng,
) -> Result<(), PlanError> {
    for (lane, stop) in traffic_light_lanes(net) {
        let id = ids::Range::Props.nth(props.len() as u32)?;
        let mut head = traffic_light_head(net, lane, stop, id);
        head.detail = rng.random::<u32>();
        props.push(head);
    }
    Ok(())
}

/// The traffic-light head of one approach (detail left 0).
fn traffic_light_head(net: &RoadNetwork, lane: &Lane, stop: StopLine, id: u32) -> Prop {
    let shoulder = lane
        .road
        .and_then(|r| net.roads.get(r as usize))
        .map_or(0.0, |r| r.shoulder);
    let (p, t) = lane.center.sample(stop.s);
    let pos = p - t.perp() * (lane.width / 2.0 + shoulder + 0.8);
    Prop {
        id,
        kind: PropKind::TrafficLight {
            junction: stop.junction,
            group: stop.group,
        },
        pose: Pose2::at(pos, (-t).angle()),
        size: Size3 {
            length: 0.4,
            width: 0.4,
            height: 4.2,
        },
        color: [40, 40, 40],
        detail: 0,
    }
}
