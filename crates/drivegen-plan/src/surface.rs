//! Where things are in a road network: carriageways, walkways, junction areas.
//!
//! The rules (vehicles on lanes, pedestrians on walkways, props off the road) and the
//! tests that check them use these same queries.

use crate::geom::{Obb, V2};
use crate::spatial::SegmentIndex;
use crate::types::*;

#[derive(Debug)]
pub struct Surfaces<'a> {
    net: &'a RoadNetwork,
    /// Per road: bounding box inflated by the road's full width.
    road_boxes: Vec<(V2, V2)>,
    /// Per road: its reference line's segments, for projections near the road.
    road_segments: Vec<SegmentIndex>,
}

/// Is a point on a sidewalk, a junction corner, or a crosswalk of `net`? Needs no
/// [`Surfaces`] (the traffic core asks it every step without building one).
pub fn on_walkway(net: &RoadNetwork, p: V2) -> bool {
    net.walkways.iter().any(|w| point_in_polygon(p, &w.outline))
        || net
            .crosswalks
            .iter()
            .any(|c| point_in_polygon(p, &c.corners))
}

pub fn point_in_polygon(p: V2, poly: &[V2]) -> bool {
    let mut inside = false;
    let n = poly.len();
    for i in 0..n {
        let (a, b) = (poly[i], poly[(i + n - 1) % n]);
        if (a.y > p.y) != (b.y > p.y) {
            let x = a.x + (p.y - a.y) * (b.x - a.x) / (b.y - a.y);
            if p.x < x {
                inside = !inside;
            }
        }
    }
    inside
}

/// A crosswalk's mouth reaches this far onto the kerb beyond each end of the stripes (m)
/// ...
const MOUTH_DEPTH: f64 = 3.0;
/// ... and this far either side of them: walkers heading for the stripes along the
/// sidewalk leave their line 3 m before them (`actors::pedestrians`).
pub const MOUTH_SIDE: f64 = 4.0;

fn crosswalk_obb(c: &Crosswalk) -> Obb {
    let [a, b, cc, _] = c.corners;
    let center = (a + cc) * 0.5;
    let along = b - a;
    Obb {
        center,
        yaw: along.angle(),
        half_length: along.length() / 2.0,
        half_width: (cc - b).length() / 2.0,
    }
}

impl<'a> Surfaces<'a> {
    pub fn new(net: &'a RoadNetwork) -> Self {
        let road_boxes = net
            .roads
            .iter()
            .map(|r| {
                let pad = r.right_width().max(r.left_width()) + r.sidewalk + 1.0;
                let (lo, hi) = r.reference.bounds().unwrap_or_default();
                (lo - V2 { x: pad, y: pad }, hi + V2 { x: pad, y: pad })
            })
            .collect();
        let road_segments = net
            .roads
            .iter()
            .map(|r| SegmentIndex::new(&r.reference))
            .collect();
        Surfaces {
            net,
            road_boxes,
            road_segments,
        }
    }

    /// Does a footprint touch a carriageway (or, with `with_sidewalks`, a sidewalk) or a
    /// junction area?
    pub fn blocks_prop(&self, footprint: &Obb, with_sidewalks: bool) -> bool {
        let radius = libm::hypot(footprint.half_length, footprint.half_width);
        let c = footprint.center;
        for ((road, (lo, hi)), segments) in self
            .net
            .roads
            .iter()
            .zip(&self.road_boxes)
            .zip(&self.road_segments)
        {
            if c.x < lo.x - radius
                || c.y < lo.y - radius
                || c.x > hi.x + radius
                || c.y > hi.y + radius
            {
                continue;
            }
            let extra = if with_sidewalks { road.sidewalk } else { 0.0 };
            let right = road.right_width() + extra;
            let left = road
                .left_width()
                .max(if road.lanes_left == 0 { 0.5 } else { 0.0 })
                + extra;
            let Some(proj) = segments.project_within(&road.reference, c, right.max(left) + radius)
            else {
                continue;
            };
            let width = if proj.lateral < 0.0 { right } else { left };
            if proj.point.distance(c) < width + radius {
                return true;
            }
        }
        self.in_junction(footprint)
    }

    /// Does a footprint reach into a junction area or onto a crosswalk?
    pub fn in_junction(&self, footprint: &Obb) -> bool {
        let corners = footprint.corners();
        let hits_area = |area: &[V2]| {
            corners
                .iter()
                .chain(std::iter::once(&footprint.center))
                .any(|p| point_in_polygon(*p, area))
                || area.iter().any(|p| footprint.contains(*p))
        };
        self.net.junctions.iter().any(|j| hits_area(&j.area))
            || self
                .net
                .crosswalks
                .iter()
                .any(|c| crosswalk_obb(c).overlaps(footprint))
    }

    /// Does a footprint stand in a crosswalk's mouth: on the kerbs at either end of the
    /// stripes, where walkers step between them and the sidewalk?
    pub fn at_crosswalk_mouth(&self, footprint: &Obb) -> bool {
        self.net.crosswalks.iter().any(|c| {
            let stripes = crosswalk_obb(c);
            Obb {
                half_length: stripes.half_length + MOUTH_SIDE,
                half_width: stripes.half_width + MOUTH_DEPTH,
                ..stripes
            }
            .overlaps(footprint)
        })
    }

    /// Is a point on a sidewalk, a junction corner, or a crosswalk?
    pub fn on_walkway(&self, p: V2) -> bool {
        on_walkway(self.net, p)
    }

    /// Is a point on a sidewalk or a junction corner (off the carriageway)?
    pub fn on_footway(&self, p: V2) -> bool {
        self.net
            .walkways
            .iter()
            .any(|w| point_in_polygon(p, &w.outline))
    }
}
