//! What follows from the final roads: lanes and connectors, walkways and markings.

use super::*;

impl NetworkBuilder {
    /// Derives lanes, connectors, walkways and markings.
    pub fn finish(mut self) -> RoadNetwork {
        if let Some(road) = self.current {
            let len = self.roads[road as usize].reference.length();
            if len < EXIT_STUB {
                let r = &self.roads[road as usize].reference;
                self.cursor = r.pose_at(len);
                self.extend_straight(road, EXIT_STUB - len);
            }
        }
        let mut lanes: Vec<Lane> = Vec::new();
        let mut index = std::collections::BTreeMap::new();
        for road in &self.roads {
            let w = road.lane_width;
            for (right, count) in [(true, road.lanes_right), (false, road.lanes_left)] {
                for i in 0..count {
                    let k = f64::from(count) - 0.5 - f64::from(i);
                    let center = if right {
                        road.reference.offset(-k * w)
                    } else {
                        road.reference.offset(k * w).reversed()
                    };
                    let id = lanes.len() as u32;
                    index.insert((road.id, right, i), id);
                    let length = center.length();
                    lanes.push(Lane {
                        id,
                        kind: LaneKind::Driving,
                        road: Some(road.id),
                        junction: None,
                        index: i,
                        width: w,
                        center,
                        length,
                        speed_limit: road.speed_limit,
                        successors: Vec::new(),
                        merges_into: None,
                        stop: None,
                    });
                }
            }
        }
        let lane_id = |r: LaneRef| index.get(&(r.road, r.right, r.index)).copied();
        let incoming = |e: End, i: u8| LaneRef {
            road: e.road,
            right: e.at_end,
            index: i,
        };
        let outgoing = |e: End, i: u8| LaneRef {
            road: e.road,
            right: !e.at_end,
            index: i,
        };
        for c in &self.connectors {
            for (fi, ti) in &c.pairs {
                let (Some(from), Some(to)) =
                    (lane_id(incoming(c.from, *fi)), lane_id(outgoing(c.to, *ti)))
                else {
                    continue;
                };
                let (a, b) = (&lanes[from as usize].center, &lanes[to as usize].center);
                let (pa, ta) = a.sample(a.length());
                let (pb, tb) = b.sample(0.0);
                let center = Polyline::new(bezier(pa, ta, pb, tb, 12));
                let id = lanes.len() as u32;
                let length = center.length();
                lanes.push(Lane {
                    id,
                    kind: LaneKind::Connector(c.turn),
                    road: None,
                    junction: Some(c.junction),
                    index: *ti,
                    width: self.p.lane_width,
                    center,
                    length,
                    speed_limit: lanes[from as usize]
                        .speed_limit
                        .min(lanes[to as usize].speed_limit),
                    successors: vec![to],
                    merges_into: None,
                    stop: None,
                });
                lanes[from as usize].successors.push(id);
            }
        }
        for (from, to) in &self.links {
            if let (Some(a), Some(b)) = (lane_id(*from), lane_id(*to)) {
                lanes[a as usize].successors.push(b);
            }
        }
        for (ramp, main, s) in &self.merges {
            let from = lane_id(LaneRef {
                road: *ramp,
                right: true,
                index: 0,
            });
            let into = lane_id(LaneRef {
                road: *main,
                right: true,
                index: 0,
            });
            if let (Some(a), Some(b)) = (from, into) {
                lanes[a as usize].merges_into = Some(LaneLink { lane: b, s: *s });
            }
        }
        for stop in &self.stops {
            let road = &self.roads[stop.end.road as usize];
            let count = if stop.end.at_end {
                road.lanes_right
            } else {
                road.lanes_left
            };
            for i in 0..count {
                if let Some(id) = lane_id(incoming(stop.end, i)) {
                    let lane = &mut lanes[id as usize];
                    lane.stop = Some(StopLine {
                        s: (lane.length - stop.from_end).max(0.0),
                        junction: stop.junction,
                        group: stop.group,
                    });
                }
            }
        }
        for lane in &mut lanes {
            lane.successors.sort_unstable();
            lane.successors.dedup();
        }
        let walkways = self.walkways();
        let markings = self.markings(&lanes);
        RoadNetwork {
            roads: self.roads,
            lanes,
            junctions: self.junctions,
            crosswalks: self.crosswalks,
            walkways,
            markings,
        }
    }

    fn walkways(&self) -> Vec<Walkway> {
        let mut out = Vec::new();
        for road in &self.roads {
            if road.sidewalk <= 0.0 || road.reference.length() < 1.0 {
                continue;
            }
            let total = road.reference.length();
            for (sign, inner) in [(-1.0, road.right_width()), (1.0, road.left_width())] {
                // Split around ramp gaps (right side only).
                let mut pieces = vec![(0.0, total)];
                if sign < 0.0 {
                    for (r, a, b) in &self.sidewalk_gaps {
                        if *r != road.id {
                            continue;
                        }
                        pieces = pieces
                            .into_iter()
                            .flat_map(|(x, y)| {
                                let mut v = Vec::new();
                                if *a > x {
                                    v.push((x, a.min(y)));
                                }
                                if *b < y {
                                    v.push((b.max(x), y));
                                }
                                v
                            })
                            .collect();
                    }
                }
                for (a, b) in pieces {
                    if b - a < 1.0 {
                        continue;
                    }
                    let base = road.reference.slice(a, b);
                    let mid = base.offset(sign * (inner + road.sidewalk / 2.0));
                    let near = base.offset(sign * inner);
                    let far = base.offset(sign * (inner + road.sidewalk));
                    let mut outline = near.points.clone();
                    outline.extend(far.points.iter().rev());
                    if sign > 0.0 {
                        outline.reverse();
                    }
                    out.push(Walkway {
                        id: out.len() as u32,
                        kind: WalkwayKind::Sidewalk,
                        center: if sign < 0.0 { mid } else { mid.reversed() },
                        width: road.sidewalk,
                        outline,
                    });
                }
            }
        }
        for corner in &self.corners {
            let c = corner.iter().fold(v2(0.0, 0.0), |acc, p| acc + *p) * 0.25;
            out.push(Walkway {
                id: out.len() as u32,
                kind: WalkwayKind::Corner,
                center: Polyline::new(vec![c]),
                width: corner[0]
                    .distance(corner[1])
                    .min(corner[1].distance(corner[2])),
                outline: corner.clone(),
            });
        }
        out
    }

    fn markings(&self, lanes: &[Lane]) -> Vec<Marking> {
        let mut out = Vec::new();
        let m = &self.p.markings;
        let mut push = |role, style: MarkingStyle, line: Polyline| {
            if style != MarkingStyle::None && line.points.len() >= 2 {
                out.push(Marking { role, style, line });
            }
        };
        for road in &self.roads {
            let w = road.lane_width;
            let two_way = road.lanes_left > 0;
            if two_way {
                push(MarkingRole::Center, m.center, road.reference.clone());
            } else if road.kind == RoadKind::Ring {
                push(MarkingRole::Edge, m.edge, road.reference.clone());
            }
            for (sign, count) in [(-1.0, road.lanes_right), (1.0, road.lanes_left)] {
                for k in 1..count {
                    push(
                        MarkingRole::LaneDivider,
                        m.lane,
                        road.reference.offset(sign * w * f64::from(k)),
                    );
                }
                if count > 0 && road.kind != RoadKind::Ring {
                    push(
                        MarkingRole::Edge,
                        m.edge,
                        road.reference.offset(sign * w * f64::from(count)),
                    );
                }
            }
        }
        for lane in lanes {
            if let Some(stop) = lane.stop {
                let (p, t) = lane.center.sample(stop.s);
                let across = t.perp() * (lane.width / 2.0);
                push(
                    MarkingRole::StopLine,
                    MarkingStyle::SolidWhite,
                    Polyline::new(vec![p - across, p + across]),
                );
            }
        }
        out
    }
}
