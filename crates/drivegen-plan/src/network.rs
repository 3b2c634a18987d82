//! Block-incremental road network construction.
//!
//! Blocks are attached one after another at the route's current end (the *cursor*):
//! straights and curves extend the current road, junctions end it and start arm roads,
//! ramps add a one-way road beside it. A block that would overlap earlier blocks is
//! redrawn with fresh parameters (MetaDrive's approach) a bounded number of times.
//! Lanes, connectors, sidewalks and markings are derived once every road is final.

use drivegen_scenario::{Block, MarkingStyle, Markings, Turn};
use rand_chacha::ChaCha8Rng;

use crate::error::PlanError;
use crate::geom::{Polyline, Pose2, V2, arc, bezier, v2, wrap_angle};
use crate::types::*;

/// Sample spacing of road reference lines (m).
const STEP: f64 = 2.0;
/// Length of the exit stub a junction gives the road that continues the route.
const EXIT_STUB: f64 = 12.0;
/// Crosswalk span along an arm, from the junction edge (m).
const CROSSWALK: (f64, f64) = (0.5, 3.5);
/// Stop line distance from the junction edge (m).
const STOP_LINE: f64 = 4.5;
/// Redraws of a block that overlaps the network.
const BLOCK_ATTEMPTS: usize = 20;

/// Cross-section of every road in a variant, sampled once from the map section.
#[derive(Clone, Debug)]
pub(crate) struct RoadParams {
    pub lanes: u8,
    pub lane_width: f64,
    pub shoulder: f64,
    pub sidewalk: f64,
    pub speed_limit: f64,
    pub markings: Markings,
}

impl RoadParams {
    /// Half width of the paved carriageway of a two-way road.
    pub fn half_width(&self) -> f64 {
        f64::from(self.lanes) * self.lane_width + self.shoulder
    }
}

/// One end of a road that meets a junction.
#[derive(Clone, Copy, Debug)]
struct End {
    road: u32,
    at_end: bool,
}

#[derive(Clone, Debug)]
struct PendingConnector {
    junction: u32,
    from: End,
    to: End,
    turn: Turn,
    pairs: Vec<(u8, u8)>,
}

/// A lane of a road, addressed before lane ids exist.
#[derive(Clone, Copy, Debug)]
struct LaneRef {
    road: u32,
    right: bool,
    index: u8,
}

#[derive(Clone, Debug)]
struct PendingStop {
    end: End,
    junction: u32,
    from_end: f64,
    group: u8,
}

#[derive(Clone, Debug)]
pub(crate) struct NetworkBuilder {
    p: RoadParams,
    roads: Vec<Road>,
    junctions: Vec<Junction>,
    crosswalks: Vec<Crosswalk>,
    corners: Vec<Vec<V2>>,
    connectors: Vec<PendingConnector>,
    links: Vec<(LaneRef, LaneRef)>,
    merges: Vec<(u32, u32, f64)>,
    stops: Vec<PendingStop>,
    sidewalk_gaps: Vec<(u32, f64, f64)>,
    current: Option<u32>,
    cursor: Pose2,
    /// Samples for overlap tests: point, radius, block index, road (`u32::MAX` for a
    /// junction), arc length on that road.
    occupied: Vec<(V2, f64, usize, u32, f64)>,
    block_index: usize,
}

impl NetworkBuilder {
    pub fn new(p: RoadParams) -> Self {
        NetworkBuilder {
            p,
            roads: Vec::new(),
            junctions: Vec::new(),
            crosswalks: Vec::new(),
            corners: Vec::new(),
            connectors: Vec::new(),
            links: Vec::new(),
            merges: Vec::new(),
            stops: Vec::new(),
            sidewalk_gaps: Vec::new(),
            current: None,
            cursor: Pose2::default(),
            occupied: Vec::new(),
            block_index: 0,
        }
    }

    /// Adds one block, redrawing its parameters while it overlaps earlier blocks.
    pub fn add_block(
        &mut self,
        block: &Block,
        rng: &mut ChaCha8Rng,
        crosswalk_flag: &mut dyn FnMut(&mut ChaCha8Rng) -> bool,
    ) -> Result<(), PlanError> {
        for _ in 0..BLOCK_ATTEMPTS {
            let mut trial = self.clone();
            trial.place(block, rng, crosswalk_flag);
            if !trial.overlaps_earlier() {
                *self = trial;
                self.block_index += 1;
                return Ok(());
            }
        }
        Err(PlanError::MapOverlap {
            block: self.block_index,
            kind: block.kind_name(),
            attempts: BLOCK_ATTEMPTS,
        })
    }

    fn overlaps_earlier(&self) -> bool {
        let (new, old): (Vec<_>, Vec<_>) =
            self.occupied.iter().partition(|o| o.2 == self.block_index);
        new.iter().any(|(p, r, _, road, s)| {
            old.iter()
                .filter(|o| o.2 + 1 < self.block_index)
                // Along one continuous road, nearby samples are neighbours, not overlaps.
                .filter(|o| {
                    !(o.3 == *road && *road != u32::MAX && (o.4 - s).abs() < 3.0 * (r + o.1))
                })
                .any(|(q, rq, ..)| p.distance(*q) < (r + rq) * 0.98)
        })
    }

    fn occupy(&mut self, pts: &[V2], radius: f64, road: u32, s0: f64) {
        let mut s = s0;
        let mut prev: Option<V2> = None;
        for p in pts {
            if let Some(q) = prev {
                s += q.distance(*p);
            }
            prev = Some(*p);
            self.occupied.push((*p, radius, self.block_index, road, s));
        }
    }

    fn new_road(&mut self, kind: RoadKind, start: Pose2, right: u8, left: u8) -> u32 {
        let id = self.roads.len() as u32;
        let (shoulder, sidewalk) = match kind {
            RoadKind::Main | RoadKind::Arm => (self.p.shoulder, self.p.sidewalk),
            RoadKind::Ramp => (0.5, 0.0),
            RoadKind::Ring => (0.0, 0.0),
        };
        self.roads.push(Road {
            id,
            kind,
            reference: Polyline::new(vec![start.pos()]),
            lanes_right: right,
            lanes_left: left,
            lane_width: self.p.lane_width,
            shoulder,
            sidewalk,
            speed_limit: self.p.speed_limit,
        });
        id
    }

    fn road_radius(&self, id: u32) -> f64 {
        let r = &self.roads[id as usize];
        r.right_width().max(r.left_width()) + r.sidewalk
    }

    /// The road the route is on, created at the cursor if there is none.
    fn current_road(&mut self) -> u32 {
        match self.current {
            Some(id) => id,
            None => {
                let n = self.p.lanes;
                let id = self.new_road(RoadKind::Main, self.cursor, n, n);
                self.current = Some(id);
                id
            }
        }
    }

    fn extend_straight(&mut self, road: u32, length: f64) {
        let start = self.cursor;
        let n = ((length / STEP).ceil() as usize).max(1);
        let pts: Vec<V2> = (1..=n)
            .map(|i| start.pos() + start.dir() * (length * i as f64 / n as f64))
            .collect();
        self.push_points(road, &pts);
        self.cursor = Pose2::at(start.pos() + start.dir() * length, start.yaw);
    }

    fn extend_arc(&mut self, road: u32, radius: f64, angle: f64) {
        let start = self.cursor;
        let side = if angle >= 0.0 { 1.0 } else { -1.0 };
        let center = start.pos() + start.dir().perp() * (radius * side);
        let a0 = (start.pos() - center).angle();
        let pts = arc(center, radius, a0, angle, STEP);
        self.push_points(road, &pts[1..]);
        let end = *pts.last().unwrap_or(&start.pos());
        self.cursor = Pose2::at(end, wrap_angle(start.yaw + angle));
    }

    fn push_points(&mut self, road: u32, pts: &[V2]) {
        let reference = &self.roads[road as usize].reference;
        let gap = reference
            .points
            .last()
            .zip(pts.first())
            .map_or(0.0, |(a, b)| a.distance(*b));
        let s0 = reference.length() + gap;
        self.roads[road as usize]
            .reference
            .extend(pts.iter().copied());
        let r = self.road_radius(road);
        self.occupy(pts, r, road, s0);
    }

    fn place(
        &mut self,
        block: &Block,
        rng: &mut ChaCha8Rng,
        crosswalk_flag: &mut dyn FnMut(&mut ChaCha8Rng) -> bool,
    ) {
        match block {
            Block::Straight { length } => {
                let road = self.current_road();
                let len = length.sample(rng).max(1.0);
                self.extend_straight(road, len);
            }
            Block::Curve { radius, angle } => {
                let road = self.current_road();
                let r = radius.sample(rng).max(5.0);
                let a = angle.sample(rng).to_radians();
                if a.abs() < 1e-3 {
                    self.extend_straight(road, r * 0.1);
                } else {
                    self.extend_arc(road, r, a);
                }
            }
            Block::Intersection {
                ways,
                arm_length,
                exit,
            } => {
                let arm = arm_length.sample(rng).max(10.0);
                let crosswalks = crosswalk_flag(rng);
                self.intersection(*ways, arm, *exit, crosswalks);
            }
            Block::Roundabout {
                radius,
                exits,
                arm_length,
            } => {
                let r = radius.sample(rng).max(8.0);
                let arm = arm_length.sample(rng).max(10.0);
                let crosswalks = crosswalk_flag(rng);
                self.roundabout(r, *exits, arm, crosswalks);
            }
            Block::OnRamp { length } => {
                let len = length.sample(rng).max(30.0);
                self.ramp(len, true);
            }
            Block::OffRamp { length } => {
                let len = length.sample(rng).max(30.0);
                self.ramp(len, false);
            }
        }
    }

    /// Makes sure the approach to a junction is long enough for a crosswalk and stop line.
    fn approach(&mut self, min_len: f64) -> u32 {
        let road = self.current_road();
        let len = self.roads[road as usize].reference.length();
        if len < min_len {
            self.extend_straight(road, min_len - len);
        }
        road
    }

    fn intersection(&mut self, ways: u8, arm_length: f64, exit: Turn, crosswalks: bool) {
        let incoming = self.approach(EXIT_STUB.max(arm_length.min(30.0)));
        let n = self.p.lanes;
        let hw = self.p.half_width();
        let h = hw + self.p.sidewalk;
        let dir = self.cursor.dir();
        let center = self.cursor.pos() + dir * h;
        let jid = self.junctions.len() as u32;

        // Arms as (angle relative to the approach heading, turn that reaches them).
        let mut arms: Vec<(f64, Option<Turn>)> = vec![
            (std::f64::consts::PI, None),
            (0.0, Some(Turn::Straight)),
            (std::f64::consts::FRAC_PI_2, Some(Turn::Left)),
            (-std::f64::consts::FRAC_PI_2, Some(Turn::Right)),
        ];
        if ways == 3 {
            // A T: keep the exit and one more arm beside the approach.
            let dropped = if exit == Turn::Straight {
                Turn::Left
            } else {
                Turn::Straight
            };
            arms.retain(|(_, t)| *t != Some(dropped));
        }
        let mut ends: Vec<(End, f64, u8)> = Vec::new(); // (end, outward yaw, phase group)
        let base_yaw = self.cursor.yaw;
        for (rel, turn) in &arms {
            let yaw = wrap_angle(base_yaw + rel);
            let group = if rel.abs() < 1e-6 || turn.is_none() {
                0
            } else {
                1
            };
            match turn {
                None => ends.push((
                    End {
                        road: incoming,
                        at_end: true,
                    },
                    yaw,
                    group,
                )),
                Some(t) => {
                    let out = V2::from_angle(yaw);
                    let start = Pose2::at(center + out * h, yaw);
                    let road = self.junction_arm(start, *t == exit, arm_length);
                    ends.push((
                        End {
                            road,
                            at_end: false,
                        },
                        yaw,
                        group,
                    ));
                }
            }
        }
        let exit_cursor = self
            .current
            .filter(|c| *c != incoming)
            .map(|c| {
                let r = &self.roads[c as usize].reference;
                r.pose_at(r.length())
            })
            .unwrap_or(self.cursor);

        self.connect_junction(jid, &ends, n);
        for (end, yaw, group) in &ends {
            self.stops.push(PendingStop {
                end: *end,
                junction: jid,
                from_end: STOP_LINE,
                group: *group,
            });
            if crosswalks {
                self.crosswalk(jid, center, *yaw, h, hw);
            }
        }
        let square = |a: f64, b: f64, c: f64, d: f64| -> Vec<V2> {
            [v2(a, c), v2(b, c), v2(b, d), v2(a, d)]
                .iter()
                .map(|p| center + dir * p.x + dir.perp() * p.y)
                .collect()
        };
        if self.p.sidewalk > 0.0 {
            for (sx, sy) in [(1.0, 1.0), (-1.0, 1.0), (-1.0, -1.0), (1.0, -1.0)] {
                let (a, b) = ordered(sx * hw, sx * h);
                let (c, d) = ordered(sy * hw, sy * h);
                self.corners.push(square(a, b, c, d));
            }
            // A missing arm leaves a straight sidewalk across its mouth.
            let missing = |rel: f64| !arms.iter().any(|(r, _)| (r - rel).abs() < 1e-6);
            if missing(0.0) {
                self.corners.push(square(hw, h, -h, h));
            }
            if missing(std::f64::consts::FRAC_PI_2) {
                self.corners.push(square(-h, h, hw, h));
            }
            if missing(-std::f64::consts::FRAC_PI_2) {
                self.corners.push(square(-h, h, -h, -hw));
            }
        }
        self.junctions.push(Junction {
            id: jid,
            kind: JunctionKind::Intersection { ways },
            center,
            area: square(-h, h, -h, h),
            signal: None,
        });
        self.occupy(&[center], h * std::f64::consts::SQRT_2, u32::MAX, 0.0);
        self.cursor = exit_cursor;
    }

    /// A two-way arm leaving a junction at `start`. The exit arm becomes the route's road
    /// and the cursor stays at its end; other arms are dead ends of `arm_length`.
    fn junction_arm(&mut self, start: Pose2, is_exit: bool, arm_length: f64) -> u32 {
        let n = self.p.lanes;
        let kind = if is_exit {
            RoadKind::Main
        } else {
            RoadKind::Arm
        };
        let road = self.new_road(kind, start, n, n);
        let saved = self.cursor;
        self.cursor = start;
        self.extend_straight(road, if is_exit { EXIT_STUB } else { arm_length });
        if is_exit {
            self.current = Some(road);
        } else {
            self.cursor = saved;
        }
        road
    }

    /// Connectors between every pair of arms of a junction.
    fn connect_junction(&mut self, jid: u32, ends: &[(End, f64, u8)], n: u8) {
        for (from, from_yaw, _) in ends {
            let inward = wrap_angle(from_yaw + std::f64::consts::PI);
            for (to, to_yaw, _) in ends {
                if std::ptr::eq(from, to) {
                    continue;
                }
                let rel = wrap_angle(to_yaw - inward);
                let (turn, pairs) = if rel.abs() < 0.3 {
                    (Turn::Straight, (0..n).map(|i| (i, i)).collect())
                } else if rel > 0.0 && rel < 2.5 {
                    (Turn::Left, vec![(n - 1, n - 1)])
                } else if rel < 0.0 && rel > -2.5 {
                    (Turn::Right, vec![(0, 0)])
                } else {
                    continue;
                };
                self.connectors.push(PendingConnector {
                    junction: jid,
                    from: *from,
                    to: *to,
                    turn,
                    pairs,
                });
            }
        }
    }

    fn crosswalk(&mut self, jid: u32, center: V2, yaw: f64, h: f64, hw: f64) {
        let out = V2::from_angle(yaw);
        let across = out.perp();
        let a = center + out * (h + CROSSWALK.0);
        let b = center + out * (h + CROSSWALK.1);
        self.crosswalks.push(Crosswalk {
            id: self.crosswalks.len() as u32,
            junction: jid,
            corners: [
                a - across * hw,
                b - across * hw,
                b + across * hw,
                a + across * hw,
            ],
            across,
        });
    }

    fn roundabout(&mut self, radius: f64, exits: u8, arm_length: f64, crosswalks: bool) {
        let incoming = self.approach(EXIT_STUB.max(arm_length.min(30.0)));
        let n = self.p.lanes;
        let w = self.p.lane_width;
        let ring_width = f64::from(n) * w;
        let outer = radius + ring_width / 2.0;
        let gap = 2.0;
        let dir = self.cursor.dir();
        let center = self.cursor.pos() + dir * (outer + gap);
        let jid = self.junctions.len() as u32;
        let exits = exits.clamp(3, 4);
        let spacing = std::f64::consts::TAU / f64::from(exits);
        let exit_index = usize::from(exits / 2);
        let base = wrap_angle(self.cursor.yaw + std::f64::consts::PI);

        // Arms by angle counter-clockwise from the approach arm.
        let mut arm_ends = Vec::new();
        for k in 0..usize::from(exits) {
            let theta = wrap_angle(base + spacing * k as f64);
            if k == 0 {
                arm_ends.push((
                    End {
                        road: incoming,
                        at_end: true,
                    },
                    theta,
                ));
                continue;
            }
            let out = V2::from_angle(theta);
            let start = Pose2::at(center + out * (outer + gap), theta);
            let road = self.junction_arm(start, k == exit_index, arm_length);
            arm_ends.push((
                End {
                    road,
                    at_end: false,
                },
                theta,
            ));
        }
        let exit_cursor = self.cursor;

        // Ring: per arm a short "passing" arc (exit point -> entry point) and a "through"
        // arc to the next arm's exit point; entries join through-arcs at their start.
        let alpha = ((ring_width + 3.0) / radius).min(spacing * 0.3);
        let r_ref = radius - ring_width / 2.0;
        let mut pass = Vec::new();
        let mut through = Vec::new();
        for (k, (_, theta)) in arm_ends.iter().enumerate() {
            let e = theta - alpha;
            let entry = theta + alpha;
            let next_exit = arm_ends[(k + 1) % arm_ends.len()].1 - alpha;
            let sweep_through = (next_exit - entry).rem_euclid(std::f64::consts::TAU);
            for (start_angle, sweep, list) in [
                (e, 2.0 * alpha, &mut pass),
                (entry, sweep_through, &mut through),
            ] {
                let pts = arc(center, r_ref, start_angle, sweep, STEP);
                let yaw0 = start_angle + std::f64::consts::FRAC_PI_2;
                let road = self.new_road(RoadKind::Ring, Pose2::at(pts[0], yaw0), n, 0);
                self.push_points(road, &pts[1..]);
                list.push(road);
            }
        }
        let m = arm_ends.len();
        for k in 0..m {
            for i in 0..n {
                let lane = |road| LaneRef {
                    road,
                    right: true,
                    index: i,
                };
                self.links.push((lane(pass[k]), lane(through[k])));
                self.links.push((lane(through[k]), lane(pass[(k + 1) % m])));
            }
        }
        for (k, (end, theta)) in arm_ends.iter().enumerate() {
            let ring_in = End {
                road: through[k],
                at_end: false,
            };
            let ring_out = End {
                road: through[(k + m - 1) % m],
                at_end: true,
            };
            self.connectors.push(PendingConnector {
                junction: jid,
                from: *end,
                to: ring_in,
                turn: Turn::Right,
                pairs: (0..n).map(|i| (i, i)).collect(),
            });
            self.connectors.push(PendingConnector {
                junction: jid,
                from: ring_out,
                to: *end,
                turn: Turn::Right,
                pairs: vec![(0, 0)],
            });
            self.stops.push(PendingStop {
                end: *end,
                junction: jid,
                from_end: STOP_LINE,
                group: 0,
            });
            if crosswalks {
                let hw = self.p.half_width();
                self.crosswalk(jid, center, *theta, outer + gap + 1.0, hw);
            }
        }
        let disc = arc(center, outer + gap, 0.0, std::f64::consts::TAU, 3.0);
        self.junctions.push(Junction {
            id: jid,
            kind: JunctionKind::Roundabout {
                radius,
                island_radius: (r_ref - 0.5).max(1.0),
            },
            center,
            area: disc,
            signal: None,
        });
        self.occupy(&[center], outer + gap, u32::MAX, 0.0);
        self.cursor = exit_cursor;
    }

    fn ramp(&mut self, length: f64, on: bool) {
        let main = self.current_road();
        let s0 = self.roads[main as usize].reference.length();
        let origin = self.cursor;
        self.extend_straight(main, length);
        let w = self.p.lane_width;
        let adjacent = -(self.p.half_width() + w / 2.0);
        let away = 25.0;
        let dir = origin.dir();
        let side = dir.perp();
        let offset = |s: f64| -> f64 {
            let t = if on {
                1.0 - (s / (0.6 * length)).min(1.0)
            } else {
                ((s - 0.4 * length) / (0.6 * length)).clamp(0.0, 1.0)
            };
            adjacent - away * 0.5 * (1.0 - (std::f64::consts::PI * t).cos())
        };
        let n = ((length / STEP).ceil() as usize).max(2);
        let mut centre: Vec<V2> = (0..=n)
            .map(|i| {
                let s = length * i as f64 / n as f64;
                origin.pos() + dir * s + side * offset(s)
            })
            .collect();
        let lead = 30.0;
        if on {
            centre.insert(0, centre[0] - dir * lead);
        } else if let Some(last) = centre.last().copied() {
            centre.push(last + dir * lead);
        }
        let reference = Polyline::new(centre).offset(w / 2.0);
        let start = reference.pose_at(0.0);
        let road = self.new_road(RoadKind::Ramp, start, 1, 0);
        let pts = reference.points[1..].to_vec();
        self.push_points(road, &pts);
        if on {
            self.merges.push((road, main, s0 + length));
        }
        self.sidewalk_gaps.push((main, s0, s0 + length));
    }

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

fn ordered(a: f64, b: f64) -> (f64, f64) {
    if a <= b { (a, b) } else { (b, a) }
}
