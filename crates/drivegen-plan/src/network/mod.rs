//! Block-incremental road network construction.
//!
//! Blocks are attached one after another at the route's current end (the *cursor*):
//! straights and curves extend the current road, junctions end it and start arm roads,
//! ramps add a one-way road beside it. A block that would overlap earlier blocks is
//! redrawn with fresh parameters (MetaDrive's approach) a bounded number of times.
//! Lanes, connectors, sidewalks and markings are derived once every road is final.

use drivegen_scenario::{Block, MarkingStyle, Markings, Turn};
use rand_chacha::ChaCha8Rng;

mod derive;
mod junction;

use crate::error::PlanError;
use crate::geom::{Polyline, Pose2, V2, arc, bezier, bounds_of, v2, wrap_angle};
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
    /// Per placed block: its kind and how far it moved the cursor (straight line).
    blocks: Vec<(&'static str, f64)>,
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
            blocks: Vec::new(),
        }
    }

    /// Adds one block, redrawing its parameters while it overlaps earlier blocks.
    pub fn add_block(
        &mut self,
        block: &Block,
        rng: &mut ChaCha8Rng,
        crosswalk_flag: &mut dyn FnMut(&mut ChaCha8Rng) -> bool,
    ) -> Result<(), PlanError> {
        let start = self.cursor.pos();
        let attach = self.current;
        let mut hit = None;
        for _ in 0..BLOCK_ATTEMPTS {
            let mut trial = self.clone();
            trial.place(block, rng, crosswalk_flag);
            match trial.first_overlap(attach, start) {
                None => {
                    let advance = start.distance(trial.cursor.pos());
                    *self = trial;
                    self.blocks.push((block.kind_name(), advance));
                    self.block_index += 1;
                    return Ok(());
                }
                Some(b) => hit = Some(b),
            }
        }
        Err(PlanError::MapOverlap {
            block: self.block_index,
            kind: block.kind_name(),
            attempts: BLOCK_ATTEMPTS,
            with: hit
                .and_then(|b| self.blocks.get(b).map(|(kind, _)| (b, *kind)))
                .unwrap_or((0, "?")),
        })
    }

    /// The earliest block the block being placed overlaps, if any. The block just
    /// before it touches it by construction, and so may blocks before that when the
    /// blocks in between are short (a 5 m straight before a roundabout): samples of a
    /// block whose end lies, along the route, closer to the new block than the two
    /// samples' radii are neighbours, not overlaps.
    ///
    /// The block just before touches the new one on the road they share (`attach`), and
    /// a ramp runs alongside the road up to where the new block starts (`start`): further
    /// from there, a ramp is tested whichever block built it (an intersection right
    /// after an exit ramp, or 5 m after it, laid its side arm across the ramp) and
    /// against whichever block it passes (an entry ramp right after an intersection came
    /// in across its side arm).
    fn first_overlap(&self, attach: Option<u32>, start: V2) -> Option<usize> {
        type Sample<'a> = &'a (V2, f64, usize, u32, f64);
        let (new, old): (Vec<Sample>, Vec<Sample>) =
            self.occupied.iter().partition(|o| o.2 == self.block_index);
        // Route distance (at least) from the end of block b to the new block's start.
        let mut gaps = vec![0.0; self.block_index];
        let mut gap = 0.0;
        for b in (0..self.block_index).rev() {
            gaps[b] = gap;
            gap += self.blocks.get(b).map_or(0.0, |(_, advance)| *advance);
        }
        // Only old samples within reach of the new block's box can overlap it; on a long
        // network that skips nearly all of them before the pairwise test.
        let reach = new.iter().map(|n| n.1).fold(0.0, f64::max);
        let (lo, hi) = bounds_of(new.iter().map(|n| n.0))?;
        let near: Vec<_> = old
            .into_iter()
            .filter(|(q, rq, ..)| {
                let pad = reach + rq;
                q.x >= lo.x - pad && q.x <= hi.x + pad && q.y >= lo.y - pad && q.y <= hi.y + pad
            })
            .collect();
        let is_ramp = |road: u32| {
            road != u32::MAX
                && Some(road) != attach
                && self
                    .roads
                    .get(road as usize)
                    .is_some_and(|road| road.kind == RoadKind::Ramp)
        };
        let is_arm = |road: u32| {
            self.roads
                .get(road as usize)
                .is_some_and(|road| road.kind == RoadKind::Arm)
        };
        let mut first: Option<usize> = None;
        for (p, r, _, road, s) in &new {
            for (q, rq, b, oroad, os) in &near {
                // A ramp runs on beside the road it left or joins: the blocks right
                // after an exit ramp are near it along the route but may not cross it,
                // and an entry ramp comes in beside the blocks right before it (a
                // junction's side arm) and may not cross them. Near where the blocks meet
                // the two may touch, but a junction's side arm leaves the road sideways:
                // only a ramp's samples on the road itself (an entry ramp's merged end)
                // may touch the arm. On a wide road an arm right after an exit ramp
                // crossed the ramp's end, and a van parked on the arm stood on the ramp.
                let clear_of_start = 2.0 * (r + rq);
                let (q_out, p_out) = (q.distance(start), p.distance(start));
                let ramp = (is_ramp(*oroad)
                    && (q_out > clear_of_start || is_arm(*road) && q_out > *r))
                    || (is_ramp(*road)
                        && (p_out > clear_of_start || is_arm(*oroad) && p_out > *rq));
                if !ramp && (*b + 1 >= self.block_index || gaps[*b] < r + rq) {
                    continue;
                }
                // Along one continuous road, nearby samples are neighbours, not overlaps.
                if oroad == road && *road != u32::MAX && (os - s).abs() < 3.0 * (r + rq) {
                    continue;
                }
                if p.distance(*q) < (r + rq) * 0.98 && first.is_none_or(|f| *b < f) {
                    first = Some(*b);
                }
            }
        }
        first
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
            adjacent - away * 0.5 * (1.0 - libm::cos(std::f64::consts::PI * t))
        };
        let n = ((length / STEP).ceil() as usize).max(2);
        let mut centre: Vec<V2> = (0..=n)
            .map(|i| {
                let s = length * i as f64 / n as f64;
                origin.pos() + dir * s + side * offset(s)
            })
            .collect();
        // The stretch beside the road before an entry ramp merges or after an exit ramp
        // leaves, sampled as finely as the rest: as one 30 m segment its occupancy was
        // its two ends, and a junction's side arm laid between them went unnoticed.
        let lead = 30.0;
        let k = ((lead / STEP).ceil() as usize).max(1);
        let leads = |from: V2, towards: V2| {
            (1..=k).map(move |i| from + towards * (lead * i as f64 / k as f64))
        };
        if on {
            let before: Vec<V2> = leads(centre[0], -dir).collect();
            centre.splice(0..0, before.into_iter().rev());
        } else if let Some(last) = centre.last().copied() {
            centre.extend(leads(last, dir));
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
}

fn ordered(a: f64, b: f64) -> (f64, f64) {
    if a <= b { (a, b) } else { (b, a) }
}
