//! Actor placement by rejection sampling: ego, moving and parked vehicles, pedestrians,
//! per-class populations and named actors placed by relations.
//!
//! Each actor is drawn up to `rules.max_attempts` times; every rejected draw is tallied
//! under the rule that rejected it, so an unsatisfiable scene says which rule failed
//! and how often. Each group draws from its own stream, placed in a fixed order (ego,
//! traffic, parked, pedestrians, then each population and each named actor), so adding
//! pedestrians never moves a vehicle, and adding a population or a named actor moves
//! nothing placed before it: the later groups avoid the earlier ones, never the reverse.

mod anchors;
mod displace;
mod pedestrians;
mod populations;
mod relations;
pub mod sight;

use drivegen_scenario::placement::PedestrianKind;
use drivegen_scenario::validate::caps;
use drivegen_scenario::{Color, IdmSpec, Param, Scenario, Turn, VehicleClass, Weighted};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use crate::error::{PlanError, Rule, Subject};
use crate::geom::{Obb, Pose2};
use crate::props::prop_footprint;
use crate::spatial::FootprintGrid;
use crate::surface::Surfaces;
use crate::types::*;

/// Nominal (length, width, height) per class; each vehicle varies by a few percent.
pub fn class_size(class: VehicleClass) -> (f64, f64, f64) {
    class.nominal_size()
}

pub(super) const CLOTHES: [[u8; 3]; 8] = [
    [40, 40, 60],
    [150, 30, 30],
    [30, 80, 140],
    [200, 200, 190],
    [60, 90, 50],
    [120, 100, 80],
    [220, 160, 40],
    [25, 25, 25],
];

pub(super) struct Placement<'a> {
    net: &'a RoadNetwork,
    surfaces: Surfaces<'a>,
    props: Vec<Obb>,
    /// The same footprints, filed by place for overlap tests.
    prop_grid: FootprintGrid,
    /// The props a named actor cannot take the place of (all but street furniture).
    fixed_prop_grid: FootprintGrid,
    /// Per prop, its height (what hides an actor from a camera).
    prop_heights: Vec<f64>,
    /// Camera-to-point lines of named actors' `visible_from` that nothing placed or
    /// nudged later may cross.
    sight_lines: Vec<(sight::P3, sight::P3)>,
    actors: Vec<Actor>,
    max_attempts: u32,
    clearance: f64,
    min_gap: f64,
    keep_clear: bool,
}

impl Placement<'_> {
    /// First rule a candidate breaks, if any.
    pub(super) fn check_vehicle(&self, lane: &Lane, s: f64, fp: &Obb) -> Option<Rule> {
        if self.keep_clear && self.surfaces.in_junction(fp) {
            return Some(Rule::KeepJunctionsClear);
        }
        for other in &self.actors {
            if other.lane == Some(lane.id) {
                let gap = (other.s - s).abs() - (other.size.length + fp.half_length * 2.0) / 2.0;
                if gap < self.min_gap {
                    return Some(Rule::MinVehicleGap);
                }
            }
        }
        self.overlap(fp)
    }

    /// First rule a parked vehicle's box breaks, if any.
    pub(super) fn check_parked(&self, fp: &Obb) -> Option<Rule> {
        if self.keep_clear && self.surfaces.in_junction(fp) {
            Some(Rule::KeepJunctionsClear)
        } else {
            self.overlap(fp)
        }
    }

    pub(super) fn overlap(&self, fp: &Obb) -> Option<Rule> {
        let grown = fp.inflated(self.clearance);
        let hit = self.actors.iter().any(|a| a.footprint().overlaps(&grown))
            || self.prop_grid.overlaps(&grown);
        hit.then_some(Rule::NoOverlap)
    }

    pub(super) fn fail(what: Subject, attempts: u32, tally: &[(Rule, u32)]) -> PlanError {
        PlanError::RulesUnsatisfiable {
            what,
            attempts,
            failures: tally.iter().filter(|(_, n)| *n > 0).copied().collect(),
        }
    }
}

/// Building the plan's actors: [`Actor::new`] stands one still, off the lanes; the
/// methods name it, put it on a lane and set it moving.
impl Actor {
    fn new(
        id: u32,
        role: Role,
        class: ActorClass,
        size: Size3,
        color: [u8; 3],
        pose: Pose2,
    ) -> Actor {
        Actor {
            id,
            name: None,
            role,
            class,
            size,
            color,
            pose,
            lane: None,
            s: 0.0,
            route: Vec::new(),
            behavior: Behavior::Parked,
        }
    }

    fn named(self, name: &str) -> Actor {
        Actor {
            name: Some(name.to_string()),
            ..self
        }
    }

    /// At arc length `s` of `lane` (when `at` is some).
    fn on_lane(self, at: Option<(u32, f64)>) -> Actor {
        Actor {
            lane: at.map(|(l, _)| l),
            s: at.map_or(0.0, |(_, s)| s),
            ..self
        }
    }

    fn moving(self, behavior: Behavior, route: Vec<u32>) -> Actor {
        Actor {
            behavior,
            route,
            ..self
        }
    }
}

/// One draw of a candidate placement.
pub(super) enum Draw<T> {
    Accept(T),
    Reject(Rule),
    /// Nothing left to draw from (no lanes, no walkways).
    Exhausted,
}

/// An accepted value, or the rule that rejected it.
impl<T> From<Result<T, Rule>> for Draw<T> {
    fn from(checked: Result<T, Rule>) -> Draw<T> {
        match checked {
            Ok(t) => Draw::Accept(t),
            Err(rule) => Draw::Reject(rule),
        }
    }
}

impl<T> Draw<T> {
    /// `value`, unless `rule` rejected it.
    pub(super) fn unless(rule: Option<Rule>, value: T) -> Draw<T> {
        Draw::from(rule.map_or(Ok(value), Err))
    }

    /// The rest of a draw, from an accepted first part; a rejection or exhaustion passes.
    pub(super) fn and_then<U>(self, rest: impl FnOnce(T) -> Draw<U>) -> Draw<U> {
        match self {
            Draw::Accept(t) => rest(t),
            Draw::Reject(rule) => Draw::Reject(rule),
            Draw::Exhausted => Draw::Exhausted,
        }
    }
}

/// Draws until a candidate passes every rule, at most `attempts` times; an actor that
/// cannot be placed is an error listing how often each rule rejected it.
pub(super) fn rejection_sample<T>(
    attempts: u32,
    what: impl FnOnce() -> Subject,
    mut draw: impl FnMut() -> Draw<T>,
) -> Result<T, PlanError> {
    let mut tally = Vec::new();
    for _ in 0..attempts {
        match draw() {
            Draw::Accept(t) => return Ok(t),
            Draw::Reject(rule) => bump(&mut tally, rule),
            Draw::Exhausted => break,
        }
    }
    Err(Placement::fail(what(), attempts, &tally))
}

pub(super) fn bump(tally: &mut Vec<(Rule, u32)>, rule: Rule) {
    match tally.iter_mut().find(|(r, _)| *r == rule) {
        Some((_, n)) => *n += 1,
        None => tally.push((rule, 1)),
    }
}

/// The kind of the next pedestrian: drawn only when `kinds` holds more than one kind,
/// so the default (adults only) draws exactly what it always did.
pub(super) fn pedestrian_kind(
    kinds: &Weighted<PedestrianKind>,
    rng: &mut ChaCha8Rng,
) -> PedestrianKind {
    let mut values = kinds.values();
    let first = values.next().copied().unwrap_or(PedestrianKind::Adult);
    if values.all(|k| *k == first) {
        first
    } else {
        kinds.pick(rng).copied().unwrap_or(PedestrianKind::Adult)
    }
}

/// A pedestrian's height (m), drawn within its kind's range.
fn pedestrian_height(kind: PedestrianKind, rng: &mut ChaCha8Rng) -> f64 {
    let (lo, hi) = kind.height_range();
    rng.random_range(lo..hi)
}

/// A pedestrian's box (its height drawn within its kind's range) and clothes colour.
pub(super) fn pedestrian_body(kind: PedestrianKind, rng: &mut ChaCha8Rng) -> (Size3, [u8; 3]) {
    let size = Size3 {
        length: 0.3,
        width: 0.5,
        height: pedestrian_height(kind, rng),
    };
    (size, CLOTHES[rng.random_range(0..CLOTHES.len())])
}

/// The ground box of something of `size` standing at `pose`.
pub(super) fn footprint(pose: Pose2, size: Size3) -> Obb {
    Obb {
        center: pose.pos(),
        yaw: pose.yaw,
        half_length: size.length / 2.0,
        half_width: size.width / 2.0,
    }
}

/// How far right of `lane`'s centre a parked vehicle `width` wide stands: against the
/// kerb, inside the parking strip (sticking out into the lane where the strip is narrower,
/// as a named vehicle parked on a road without one does).
pub(super) fn kerb_offset(net: &RoadNetwork, lane: &Lane, width: f64) -> f64 {
    let shoulder = lane
        .road
        .and_then(|r| net.roads.get(r as usize))
        .map_or(0.0, |r| r.shoulder);
    (lane.width / 2.0 + shoulder - width / 2.0 - 0.15).max(0.0)
}

/// Where parked traffic stands in its parking strip (at least 1.8 m wide): against the
/// kerb, but never nearer the lane's centre than [`PASSING_HALF_WIDTH`] (a little up on
/// the kerb instead, as a van parks in a narrow street): in a 1.8 m strip beside a 2.5 m
/// lane a van stood 0.15 m into the lane, in a passing truck's way.
fn parking_offset(net: &RoadNetwork, lane: &Lane, width: f64) -> f64 {
    kerb_offset(net, lane, width).max(PASSING_HALF_WIDTH + width / 2.0)
}

/// Half the width the widest vehicle class (a bus, 2.55 m) needs to pass, with a little room.
const PASSING_HALF_WIDTH: f64 = 1.3;

/// A vehicle's colour drawn from `colors` (grey when the list is empty).
pub(super) fn paint(colors: &Weighted<Color>, rng: &mut ChaCha8Rng) -> [u8; 3] {
    colors.pick(rng).map_or([200, 200, 200], |c| c.rgb())
}

/// Whether a vehicle of `class` carries a rider (who gets an id of its own).
pub(super) fn carries_rider(class: VehicleClass) -> bool {
    matches!(class, VehicleClass::Bicycle | VehicleClass::Motorcycle)
}

fn jitter(rng: &mut ChaCha8Rng, v: f64) -> f64 {
    v * rng.random_range(VehicleClass::SIZE_DRAWN)
}

pub(super) fn vehicle_size(class: VehicleClass, rng: &mut ChaCha8Rng) -> Size3 {
    let (l, w, h) = class_size(class);
    Size3 {
        length: jitter(rng, l),
        width: jitter(rng, w),
        height: jitter(rng, h),
    }
}

pub(super) fn idm(spec: &IdmSpec, rng: &mut ChaCha8Rng) -> Idm {
    Idm {
        time_headway: spec.time_headway.sample(rng).max(0.1),
        min_gap: spec.min_gap.sample(rng).max(0.0),
        max_accel: spec.max_accel.sample(rng).max(0.1),
        comfortable_decel: spec.comfortable_decel.sample(rng).max(0.1),
    }
}

/// Follows successors from `lane` for about `distance` metres.
pub(super) fn route(
    net: &RoadNetwork,
    lane: u32,
    distance: f64,
    mut choose: impl FnMut(&[u32]) -> u32,
) -> Vec<u32> {
    let mut out = Vec::new();
    let mut current = lane;
    let mut covered = 0.0;
    while covered < distance && out.len() < 64 {
        let succ = &net.lanes[current as usize].successors;
        if succ.is_empty() {
            break;
        }
        current = choose(succ);
        covered += net.lanes[current as usize].length;
        out.push(current);
    }
    out
}

pub(super) fn turn_of(net: &RoadNetwork, lane: u32) -> Option<Turn> {
    match net.lanes[lane as usize].kind {
        LaneKind::Connector(t) => Some(t),
        LaneKind::Driving => None,
    }
}

/// A lane drawn by length and an arc length where a vehicle of `length` fits with
/// `margin` to spare at both ends.
pub(super) fn lane_position<'a>(
    lanes: &[&'a Lane],
    lengths: &[f64],
    length: f64,
    margin: f64,
    rng: &mut ChaCha8Rng,
) -> Draw<(&'a Lane, f64)> {
    let Some(k) = pick_by_length(lengths, rng) else {
        return Draw::Exhausted;
    };
    let lane = lanes[k];
    if lane.length < length + 2.0 * margin {
        return Draw::Reject(Rule::VehiclesOnLanes);
    }
    let half = length / 2.0;
    Draw::Accept((
        lane,
        rng.random_range(half + margin..lane.length - half - margin),
    ))
}

/// Picks an index by a uniform draw over cumulative lengths.
pub(super) fn pick_by_length(lengths: &[f64], rng: &mut ChaCha8Rng) -> Option<usize> {
    let total: f64 = lengths.iter().sum();
    if total <= 0.0 {
        return None;
    }
    let mut x = rng.random_range(0.0..total);
    for (i, l) in lengths.iter().enumerate() {
        if x < *l {
            return Some(i);
        }
        x -= l;
    }
    Some(lengths.len() - 1)
}

pub(crate) struct Streams<'r> {
    pub ego: &'r mut ChaCha8Rng,
    pub traffic: &'r mut ChaCha8Rng,
    pub parked: &'r mut ChaCha8Rng,
    pub pedestrians: &'r mut ChaCha8Rng,
    /// Populations and named actors each open a stream of their own from this seed
    /// (`population:<index>`, `actor:<name>`).
    pub variant_seed: u64,
}

/// Places every actor; also returns the ids of the street furniture that named actors
/// took the place of, which leaves the plan.
pub(crate) fn place_actors(
    s: &Scenario,
    net: &RoadNetwork,
    props: &[Prop],
    cameras: &[CameraPlan],
    rng: Streams<'_>,
) -> Result<(Vec<Actor>, Vec<u32>), PlanError> {
    let mut p = Placement {
        net,
        surfaces: Surfaces::new(net),
        props: props.iter().map(prop_footprint).collect(),
        prop_grid: props.iter().map(prop_footprint).collect(),
        fixed_prop_grid: props
            .iter()
            .filter(|q| !q.kind.is_street_furniture())
            .map(prop_footprint)
            .collect(),
        prop_heights: props.iter().map(|q| q.size.height).collect(),
        sight_lines: Vec::new(),
        actors: Vec::new(),
        max_attempts: s.rules.max_attempts.max(1),
        clearance: s.rules.min_clearance,
        min_gap: s.rules.min_vehicle_gap,
        keep_clear: s.rules.keep_junctions_clear,
    };
    let horizon = s.capture.warmup + f64::from(s.capture.frame_count()) / s.capture.rate.max(1e-3);
    place_ego(s, &mut p, rng.ego, horizon)?;
    place_traffic(s, &mut p, rng.traffic, horizon)?;
    place_parked(s, &mut p, rng.parked)?;
    pedestrians::place_pedestrians(s, &mut p, rng.pedestrians, horizon)?;
    populations::place_populations(s, &mut p, rng.variant_seed, horizon)?;
    relations::place_named(s, &mut p, rng.variant_seed, cameras, horizon)?;
    // Later groups take ids after the earlier ones of their range: the plan keeps the
    // ego first and the rest in id order.
    p.actors.sort_by_key(|a| a.id);
    let cleared = props
        .iter()
        .filter(|q| q.kind.is_street_furniture())
        .filter(|q| {
            let fp = prop_footprint(q);
            p.actors
                .iter()
                .any(|a| a.name.is_some() && a.footprint().inflated(p.clearance).overlaps(&fp))
        })
        .map(|q| q.id)
        .collect();
    Ok((p.actors, cleared))
}

fn place_ego(
    s: &Scenario,
    p: &mut Placement<'_>,
    rng: &mut ChaCha8Rng,
    horizon: f64,
) -> Result<(), PlanError> {
    let net = p.net;
    let road = net.roads.first().ok_or_else(|| PlanError::NoRoom {
        what: Subject::Ego,
        reason: "the map has no roads".into(),
        hint: "add blocks to map.blocks".into(),
    })?;
    let want = s.ego.lane.sample(rng).round().max(0.0) as u8;
    let index = want.min(road.lanes_right.saturating_sub(1));
    let lane = net
        .lanes
        .iter()
        .find(|l| l.road == Some(road.id) && l.index == index && l.kind == LaneKind::Driving)
        .ok_or_else(|| PlanError::NoRoom {
            what: Subject::Ego,
            reason: "the first road has no lane in the route's direction".into(),
            hint: "start the map with a Straight or Curve block".into(),
        })?;
    if carries_rider(s.ego.class) {
        ids::rider(ids::EGO)?;
    }
    let size = vehicle_size(s.ego.class, rng);
    let offset = s.ego.start_offset.sample(rng);
    // Its bumpers half a metre inside the lane's ends.
    let (first, last) = (
        size.length / 2.0 + 0.5,
        lane.length - size.length / 2.0 - 0.5,
    );
    if last < first {
        return Err(PlanError::NoRoom {
            what: Subject::Ego,
            reason: format!(
                "its lane on the first road is {:.1} m long, too short for a {:.1} m {:?}",
                lane.length, size.length, s.ego.class
            ),
            hint: "start map.blocks with a Straight of 20 m or more".into(),
        });
    }
    let sx = offset.clamp(first, last);
    let color = s.ego.color.pick(rng).map_or([170, 172, 176], |c| c.rgb());
    let desired = s.ego.speed_factor.sample(rng).max(0.05) * lane.speed_limit;
    let idm = idm(&s.ego.idm, rng);
    let turns = &s.ego.route;
    // A junction connector that leads back onto the map's own road (the block's `exit`),
    // not into a dead-end arm.
    let onto_main = |l: u32| {
        turn_of(net, l).is_some()
            && net.lanes[l as usize]
                .successors
                .first()
                .and_then(|next| net.lanes[*next as usize].road)
                .and_then(|r| net.roads.get(r as usize))
                .is_some_and(|r| r.kind == RoadKind::Main)
    };
    let route = route(net, lane.id, desired * horizon + 60.0, |succ| {
        let want = turns.pick(rng).copied().unwrap_or(Turn::Straight);
        // A turn the junction lacks (Straight at a T) follows the map: it took the first
        // exit, a dead-end arm, where the ego stood for the rest of the run.
        succ.iter()
            .copied()
            .find(|l| turn_of(net, *l) == Some(want))
            .or_else(|| succ.iter().copied().find(|l| onto_main(*l)))
            .or_else(|| {
                succ.iter()
                    .copied()
                    .find(|l| turn_of(net, *l) == Some(Turn::Straight))
            })
            .unwrap_or(succ[0])
    });
    let behavior = Behavior::Drive {
        desired_speed: desired,
        idm,
        lane_change_eagerness: 0.0,
    };
    let class = ActorClass::Vehicle(s.ego.class);
    let pose = lane.center.pose_at(sx);
    p.actors.push(
        Actor::new(ids::EGO, Role::Ego, class, size, color, pose)
            .on_lane(Some((lane.id, sx)))
            .moving(behavior, route),
    );
    Ok(())
}

fn place_traffic(
    s: &Scenario,
    p: &mut Placement<'_>,
    rng: &mut ChaCha8Rng,
    horizon: f64,
) -> Result<(), PlanError> {
    let lanes: Vec<&Lane> = p
        .net
        .lanes
        .iter()
        .filter(|l| l.kind == LaneKind::Driving)
        .collect();
    let count = s.traffic.vehicles.sample_count_capped(rng, caps::VEHICLES);
    let driver = Driver {
        speed_factor: &s.traffic.speed_factor,
        idm: &s.traffic.idm,
        eagerness: &s.traffic.lane_change_eagerness,
        colors: &s.traffic.colors,
        horizon,
    };
    for i in 0..count {
        let id = ids::Range::Vehicles.nth(i)?;
        let class = s
            .traffic
            .classes
            .pick(rng)
            .copied()
            .unwrap_or(VehicleClass::Car);
        let actor = driver.place(p, rng, &lanes, id, class, || Subject::Vehicle {
            index: i + 1,
            count,
        })?;
        p.actors.push(actor);
    }
    Ok(())
}

/// How a moving vehicle of traffic or of a population behaves.
pub(super) struct Driver<'s> {
    pub speed_factor: &'s Param,
    pub idm: &'s IdmSpec,
    pub eagerness: &'s Param,
    pub colors: &'s Weighted<Color>,
    pub horizon: f64,
}

impl Driver<'_> {
    /// One moving vehicle of `class` on one of `lanes` (drawn by length), rejection
    /// sampled against the vehicle rules; draws size, colour, position, speed, IDM,
    /// eagerness and route, in that order.
    pub(super) fn place(
        &self,
        p: &Placement<'_>,
        rng: &mut ChaCha8Rng,
        lanes: &[&Lane],
        id: u32,
        class: VehicleClass,
        what: impl FnOnce() -> Subject,
    ) -> Result<Actor, PlanError> {
        let lengths: Vec<f64> = lanes.iter().map(|l| l.length).collect();
        if carries_rider(class) {
            ids::rider(id)?;
        }
        let size = vehicle_size(class, rng);
        let color = paint(self.colors, rng);
        let (lane, sx, pose) = rejection_sample(p.max_attempts, what, || {
            lane_position(lanes, &lengths, size.length, 0.5, rng).and_then(|(lane, sx)| {
                let pose = lane.center.pose_at(sx);
                let fp = footprint(pose, size);
                Draw::unless(p.check_vehicle(lane, sx, &fp), (lane, sx, pose))
            })
        })?;
        let (behavior, route) = self.motion(p.net, lane, Vec::new(), rng);
        let class = ActorClass::Vehicle(class);
        Ok(Actor::new(id, Role::Traffic, class, size, color, pose)
            .on_lane(Some((lane.id, sx)))
            .moving(behavior, route))
    }

    /// Speed, IDM, eagerness and route, drawn in that order, of a vehicle starting on
    /// `lane`: the route follows `way` first, then successors at random.
    pub(super) fn motion(
        &self,
        net: &RoadNetwork,
        lane: &Lane,
        mut way: Vec<u32>,
        rng: &mut ChaCha8Rng,
    ) -> (Behavior, Vec<u32>) {
        let desired = self.speed_factor.sample(rng).max(0.05) * lane.speed_limit;
        let idm = idm(self.idm, rng);
        let eagerness = self.eagerness.sample(rng).clamp(0.0, 1.0);
        let last = way.last().copied().unwrap_or(lane.id);
        way.extend(route(net, last, desired * self.horizon + 30.0, |succ| {
            succ[rng.random_range(0..succ.len())]
        }));
        let drive = Behavior::Drive {
            desired_speed: desired,
            idm,
            lane_change_eagerness: eagerness,
        };
        (drive, way)
    }
}

fn place_parked(
    s: &Scenario,
    p: &mut Placement<'_>,
    rng: &mut ChaCha8Rng,
) -> Result<(), PlanError> {
    let net = p.net;
    // The outermost lane of each direction of two-way roads, beside the kerb.
    let kerb_lanes: Vec<&Lane> = net
        .lanes
        .iter()
        .filter(|l| {
            l.kind == LaneKind::Driving
                && l.index == 0
                && l.road
                    .and_then(|r| net.roads.get(r as usize))
                    .is_some_and(|r| {
                        matches!(r.kind, RoadKind::Main | RoadKind::Arm) && r.lanes_left > 0
                    })
        })
        .collect();
    let lengths: Vec<f64> = kerb_lanes.iter().map(|l| l.length).collect();
    let count = s.traffic.parked.sample_count_capped(rng, caps::PARKED);
    for i in 0..count {
        let id = ids::Range::Parked.nth(i)?;
        let class = match rng.random_range(0..10) {
            0..=5 => VehicleClass::Car,
            6..=7 => VehicleClass::Suv,
            _ => VehicleClass::Van,
        };
        let size = vehicle_size(class, rng);
        let color = paint(&s.traffic.colors, rng);
        let (lane, sx, pose) = rejection_sample(
            p.max_attempts,
            || Subject::Parked {
                index: i + 1,
                count,
            },
            || {
                // Parked cars keep well away from junction mouths.
                lane_position(&kerb_lanes, &lengths, size.length, 10.0, rng).and_then(
                    |(lane, sx)| {
                        let (c, t) = lane.center.sample(sx);
                        let lateral = parking_offset(net, lane, size.width);
                        let pose = Pose2::at(c - t.perp() * lateral, t.angle());
                        let fp = footprint(pose, size);
                        Draw::unless(p.check_parked(&fp), (lane, sx, pose))
                    },
                )
            },
        )?;
        let class = ActorClass::Vehicle(class);
        p.actors.push(
            Actor::new(id, Role::Parked, class, size, color, pose).on_lane(Some((lane.id, sx))),
        );
    }
    Ok(())
}
