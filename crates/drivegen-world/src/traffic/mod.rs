//! The deterministic traffic core: vehicles follow their route's lane centrelines with
//! the Intelligent Driver Model, stop for red and amber lights and for pedestrians on
//! crosswalks ahead; pedestrians walk their paths. Scripted events (`events.rs`) start
//! from this state alone and override a vehicle's acceleration, its lane or a
//! pedestrian's path; lane changes (`lane_change.rs`, scripted or MOBIL when the plan
//! enables them) are a smooth lateral blend onto the adjacent lane's centreline. No
//! random draw and no wall clock: the same plan always gives the same trajectories.

mod events;
mod lane_change;

pub use events::ActiveEvent;

use drivegen_plan::geom::{Obb, Polyline, Pose2, V2};
use drivegen_plan::props::prop_footprint;
use drivegen_plan::spatial::FootprintGrid;
use drivegen_plan::surface::{on_walkway, point_in_polygon};
use drivegen_plan::{Behavior, Idm, LampState, Role, ScenePlan};

/// How far ahead a vehicle looks for leaders, stop lines and crosswalks (m).
/// The least a vehicle leaves to the one ahead when it must stop short of it (IDM's own
/// minimum gap is larger: this only binds for a vehicle that cannot brake in time).
const STANDSTILL_GAP: f64 = 0.5;
const LOOKAHEAD: f64 = 60.0;
/// How far before a junction conflict point a stop line can be and still be that
/// junction's (m): an entry's stop line lies within the box's half size and the
/// crosswalk of it.
const STOP_LINE_REACH: f64 = 20.0;
/// How far a vehicle's position may lie off its lane's centre line (mid lane change).
const LANE_CHANGE_SLACK: f64 = 6.0;
/// Sideways room a vehicle leaves a pedestrian: half a body and a little more (m).
const PEDESTRIAN_CLEARANCE: f64 = 0.45;
/// A walker turns a corner of its path over this distance either side of it (m).
const WALK_TURN_SPAN: f64 = 0.8;

/// A walker this close to a crosswalk along its path (m, about a second's walk) is
/// stepping onto it.
const STEPPING_ON: f64 = 1.5;

/// Half a walker's body front to back and side to side (m), for keeping out of props.
const WALKER_HALF_DEPTH: f64 = 0.15;
const WALKER_HALF_WIDTH: f64 = 0.2;

mod bodies;
mod conflicts;
mod curves;
mod start;
mod walkers;

#[derive(Clone, Debug, PartialEq)]
pub struct AgentState {
    pub id: u32,
    pub pose: Pose2,
    pub speed: f64,
    /// Walking cycle phase (radians) for pedestrians.
    pub walk_phase: f64,
    /// Distance driven (m): turns the wheels.
    pub odometer: f64,
    /// Whether its brake lamps are lit: slowing down harder than coasting, or held at a
    /// standstill.
    pub braking: bool,
    /// Index into the agent's lane sequence (vehicles) or arc length on its path.
    lane_idx: usize,
    s: f64,
    /// Lateral offset from the lane centreline (m, positive left) while a lane change or
    /// a pull-over blends it towards its target.
    offset: f64,
}

#[derive(Clone, Debug)]
enum Motion {
    Drive {
        lanes: Vec<u32>,
        desired: f64,
        idm: Idm,
    },
    Parked,
    Walk {
        path: Polyline,
        speed: f64,
    },
}

#[derive(Clone, Debug)]
pub struct TrafficSim {
    agents: Vec<AgentState>,
    motions: Vec<Motion>,
    lengths: Vec<(f64, f64)>,
    /// Per agent: what events and lane changes do to it.
    controls: Vec<events::Control>,
    /// Who waits for whom where junction connectors cross or merge.
    conflicts: conflicts::Conflicts,
    /// Per agent: a parked vehicle standing in its lane (a named actor parked without
    /// `lane: Kerb`, a breakdown), which traffic stops behind; parked at the kerb, it
    /// stands beside the lane and is passed.
    in_lane: Vec<bool>,
    /// Per lane id: the fastest its tightest curve is driven (`curves.rs`).
    lane_speeds: Vec<f64>,
    /// Per plan event: when it started, and whether its action is over.
    events: Vec<events::EventState>,
    /// The props' footprints: a walker steps aside into none of them.
    props: FootprintGrid,
    steps: u64,
    pub time: f64,
}

/// The hardest braking the traffic core applies (m/s²).
const MAX_BRAKE: f64 = 9.0;

/// Deceleration above which a driver is on the brake pedal rather than coasting (m/s²).
const BRAKE_LAMP_DECEL: f64 = 1.0;

fn idm_accel(idm: &Idm, v: f64, v0: f64, gap: f64, dv: f64) -> f64 {
    let v0 = v0.max(0.1);
    let s_star = idm.min_gap
        + (v * idm.time_headway + v * dv / (2.0 * (idm.max_accel * idm.comfortable_decel).sqrt()))
            .max(0.0);
    let free = 1.0 - (v / v0).powi(4);
    let interaction = (s_star / gap.max(0.1)).powi(2);
    (idm.max_accel * (free - interaction)).max(-MAX_BRAKE)
}

impl AgentState {
    /// An agent standing still at `pose`, before any step (to pose models outside a
    /// simulation: previews and tests).
    pub fn at_rest(id: u32, pose: Pose2) -> AgentState {
        AgentState {
            id,
            pose,
            speed: 0.0,
            walk_phase: 0.0,
            odometer: 0.0,
            braking: false,
            lane_idx: 0,
            s: 0.0,
            offset: 0.0,
        }
    }

    /// Lateral offset from the lane centreline (m, positive left): non-zero during a
    /// lane change or once pulled over to the kerb.
    pub fn lateral_offset(&self) -> f64 {
        self.offset
    }
}

impl TrafficSim {
    /// Distance along a route from `s` on its first lane to the first stop line whose
    /// light is not green at `time`, within the look-ahead.
    fn first_stop_line(plan: &ScenePlan, lanes: &[u32], s: f64, time: f64) -> Option<f64> {
        let mut acc = -s;
        for lane_id in lanes {
            let lane = plan.lane(*lane_id)?;
            if let Some(stop) = lane.stop {
                let red = plan
                    .network
                    .junctions
                    .get(stop.junction as usize)
                    .and_then(|j| j.signal)
                    .is_some_and(|sig| sig.state(stop.group, time) != LampState::Green);
                if red && acc + stop.s > 0.0 {
                    return Some(acc + stop.s);
                }
            }
            acc += lane.length;
            if acc > LOOKAHEAD {
                return None;
            }
        }
        None
    }

    pub fn new(plan: &ScenePlan) -> TrafficSim {
        let mut agents = Vec::new();
        let mut motions = Vec::new();
        let mut lengths = Vec::new();
        for a in &plan.actors {
            let motion = match (&a.behavior, a.lane) {
                (
                    Behavior::Drive {
                        desired_speed, idm, ..
                    },
                    Some(lane),
                ) => {
                    let mut lanes = vec![lane];
                    lanes.extend_from_slice(&a.route);
                    Motion::Drive {
                        lanes,
                        desired: *desired_speed,
                        idm: *idm,
                    }
                }
                (Behavior::Walk { path, speed, .. }, _) => Motion::Walk {
                    path: path.clone(),
                    speed: *speed,
                },
                _ => Motion::Parked,
            };
            let speed = match &motion {
                // Start near the desired speed so the warm-up is short, but never faster
                // than lets the vehicle stop, braking comfortably, at a red line ahead.
                Motion::Drive {
                    desired,
                    idm,
                    lanes,
                } => {
                    let stop = Self::first_stop_line(plan, lanes, a.s, 0.0)
                        .map(|d| d - a.size.length / 2.0)
                        .filter(|d| *d > 0.0);
                    let safe = stop.map_or(f64::INFINITY, |d| {
                        (2.0 * idm.comfortable_decel.max(0.1) * d).sqrt()
                    });
                    (desired * 0.8).min(safe)
                }
                Motion::Walk { speed, .. } => *speed,
                Motion::Parked => 0.0,
            };
            // A driving vehicle stands on its axles from the first frame, as it will
            // after every step (the plan placed its centre on the centre line).
            let pose = match &motion {
                Motion::Drive { lanes, .. } => lane_change::body_pose(
                    plan,
                    lanes,
                    0,
                    a.s,
                    a.size.length * lane_change::HALF_WHEELBASE,
                    0.0,
                    0.0,
                )
                .unwrap_or(a.pose),
                _ => a.pose,
            };
            agents.push(AgentState {
                id: a.id,
                pose,
                speed,
                walk_phase: 0.0,
                odometer: 0.0,
                braking: false,
                lane_idx: 0,
                s: if matches!(motion, Motion::Drive { .. }) {
                    a.s
                } else {
                    0.0
                },
                offset: 0.0,
            });
            motions.push(motion);
            lengths.push((a.size.length, a.size.width));
        }
        let in_lane = plan
            .actors
            .iter()
            .zip(&motions)
            .map(|(a, m)| {
                matches!(m, Motion::Parked)
                    && a.lane.and_then(|l| plan.lane(l)).is_some_and(|lane| {
                        let (p, t) = lane.center.sample(a.s);
                        (a.pose.pos() - p).dot(t.perp()).abs() < lane.width / 2.0
                    })
            })
            .collect();
        let mut sim = TrafficSim {
            in_lane,
            lane_speeds: curves::lane_speeds(plan),
            controls: vec![events::Control::default(); agents.len()],
            events: events::states(plan),
            conflicts: conflicts::Conflicts::new(plan),
            props: plan.props.iter().map(prop_footprint).collect(),
            agents,
            motions,
            lengths,
            steps: 0,
            time: 0.0,
        };
        sim.start_able_to_yield(plan);
        sim.start_able_to_stop_for_crosswalks(plan);
        sim.start_able_to_follow(plan);
        sim.hold_waiting_pedestrians(plan);
        sim
    }

    /// Agents in plan order (ego first, then by id).
    pub fn agents(&self) -> &[AgentState] {
        &self.agents
    }

    /// The lane agent `i` drives now and its arc length and offset on it; `None` for
    /// walkers and parked vehicles.
    pub fn lane_of(&self, i: usize) -> Option<(u32, f64, f64)> {
        let Motion::Drive { lanes, .. } = self.motions.get(i)? else {
            return None;
        };
        let a = self.agents.get(i)?;
        Some((*lanes.get(a.lane_idx)?, a.s, a.offset))
    }

    /// Distance along `lanes` from (idx, s) to (idx2, s2), if s2 lies ahead within reach.
    fn distance_ahead(
        plan: &ScenePlan,
        lanes: &[u32],
        idx: usize,
        s: f64,
        target_lane: u32,
        target_s: f64,
    ) -> Option<f64> {
        let mut acc = -s;
        for (k, lane) in lanes.iter().enumerate().skip(idx) {
            if *lane == target_lane && (k > idx || target_s >= s) {
                return Some(acc + target_s);
            }
            acc += plan.lane(*lane)?.length;
            if acc > LOOKAHEAD {
                return None;
            }
        }
        None
    }

    /// Advances the world by `dt` seconds.
    pub fn step(&mut self, plan: &ScenePlan, dt: f64) {
        // Decisions first, from the state at the start of the step: which events start,
        // and who begins a lane change. Nothing below changes a lane sequence.
        self.start_events(plan);
        if plan.lane_changes {
            self.mobil(plan);
        }
        let snapshot = self.agents.clone();
        // Pedestrians on crosswalks, or stepping onto one, block traffic: a car that
        // waited for the walker to be on the stripes stopped dead in front of them.
        let occupied = occupied_crosswalks(plan, &snapshot, &self.motions, STEPPING_ON);
        // Pedestrians crossing where there is no crosswalk (StartCrossing) block the
        // traffic vehicles whose lane they are on; the ego does what its events say.
        let jaywalkers = self.jaywalkers();
        let approaching = conflicts::approaches(plan, &snapshot, &self.motions);
        // Every walking pedestrian, and whether an event sent it across the road.
        let walking: Vec<(V2, bool)> = snapshot
            .iter()
            .zip(&self.motions)
            .zip(&self.controls)
            .filter(|((_, m), _)| matches!(m, Motion::Walk { .. }))
            .map(|((a, _), c)| (a.pose.pos(), c.crossing))
            .collect();
        for i in 0..self.agents.len() {
            let yields = !jaywalkers.is_empty()
                && plan.actors.get(i).is_some_and(|a| a.role == Role::Traffic);
            match &self.motions[i] {
                Motion::Parked => {}
                Motion::Walk { path, speed } => {
                    let view = bodies::Bodies {
                        plan,
                        agents: &snapshot,
                        motions: &self.motions,
                        lengths: &self.lengths,
                    };
                    let way = walkers::make_way(view, i, speed * dt, dt);
                    let agent = &mut self.agents[i];
                    let length = path.length();
                    if self.controls[i].hold {
                        agent.speed = 0.0; // waits for its StartCrossing event
                    } else if agent.s < length && *speed > 0.0 {
                        // Someone told to stand (walking speed 0) stands: it neither
                        // walks nor steps aside.
                        let step = (speed * dt).min(way.room).min(length - agent.s);
                        let held = agent.offset;
                        agent.offset = walkers::toward(agent.offset, way.side, dt);
                        agent.s += step;
                        let (p, t) = path.sample(agent.s);
                        // Facing, and stepping aside, along the path's direction over a
                        // stride either side: at a corner of the path its direction turns
                        // at once, and a walker standing aside jumped across the corner
                        // (0.9 m in one frame, into the walker beside it).
                        let span = path.sample(agent.s + WALK_TURN_SPAN).0
                            - path.sample(agent.s - WALK_TURN_SPAN).0;
                        let t = if span.length() > 1e-6 {
                            span.normalized()
                        } else {
                            t
                        };
                        let mut pos = p + t.perp() * agent.offset;
                        // A step aside from a line on the walkways, away from it, stays on
                        // them (one stepping aside near a sidewalk's edge stood on the
                        // road) and out of the props (poles, bins in the kerb strip); a
                        // line across the road (a crossing, an event's jaywalker) is
                        // followed as before, and a step back is always taken.
                        let in_prop = |q: V2| {
                            self.props.overlaps(&Obb {
                                center: q,
                                yaw: t.angle(),
                                half_length: WALKER_HALF_DEPTH,
                                half_width: WALKER_HALF_WIDTH,
                            })
                        };
                        if agent.offset.abs() > held.abs()
                            && ((!on_walkway(&plan.network, pos) && on_walkway(&plan.network, p))
                                || (in_prop(pos) && !in_prop(p + t.perp() * held)))
                        {
                            agent.offset = held;
                            pos = p + t.perp() * held;
                        }
                        agent.speed = pos.distance(agent.pose.pos()) / dt;
                        agent.pose = Pose2::at(pos, t.angle());
                        // About one stride (two steps) per 1.4 m.
                        agent.walk_phase += step / 1.4 * std::f64::consts::TAU;
                    } else {
                        agent.speed = 0.0;
                    }
                }
                Motion::Drive {
                    lanes,
                    desired,
                    idm,
                } => {
                    let me = &snapshot[i];
                    let (my_len, _) = self.lengths[i];
                    let mut gap = f64::INFINITY;
                    let mut dv = 0.0;
                    // Leaders: other drivers on my lane sequence ahead.
                    for (j, other) in snapshot.iter().enumerate() {
                        if j == i {
                            continue;
                        }
                        let lane_s = match &self.motions[j] {
                            Motion::Drive { lanes: ol, .. } => Some((ol[other.lane_idx], other.s)),
                            Motion::Parked => {
                                plan.actors.get(j).and_then(|a| a.lane.map(|l| (l, a.s)))
                            }
                            Motion::Walk { .. } => None,
                        };
                        let Some((ol, os)) = lane_s else { continue };
                        if plan.actors.get(j).is_some_and(|a| a.role == Role::Parked)
                            && !self.in_lane[j]
                        {
                            continue; // parked at the kerb, beside the lane
                        }
                        if let Some(d) =
                            Self::distance_ahead(plan, lanes, me.lane_idx, me.s, ol, os)
                        {
                            let g = d - (my_len + self.lengths[j].0) / 2.0;
                            if d > 0.0 && g < gap {
                                gap = g;
                                dv = me.speed - other.speed;
                            }
                        }
                    }
                    let in_view = bodies::Bodies {
                        plan,
                        agents: &snapshot,
                        motions: &self.motions,
                        lengths: &self.lengths,
                    };
                    if let Some((g, closing)) = bodies::nearest_ahead(in_view, i, lanes)
                        && g < gap
                    {
                        gap = g;
                        dv = closing;
                    }
                    let is_ego = plan.actors.get(i).is_some_and(|a| a.role == Role::Ego);
                    if let Some((g, closing)) = bodies::swept_into(in_view, i, lanes, !is_ego)
                        && g < gap
                    {
                        gap = g;
                        dv = closing;
                    }
                    // Bumper to bumper to the vehicle ahead: IDM keeps its distance, but one
                    // placed too close at speed (or cut in on) must still not drive into it.
                    let leader_gap = gap;
                    // Pedestrians near enough to be in its way. The ego drives into one an
                    // event sends across (what a missed-braking test is about); nothing
                    // else drives into anyone on its path.
                    let (_, my_width) = self.lengths[i];
                    let in_reach: Vec<V2> = walking
                        .iter()
                        .filter(|(p, crossing)| {
                            !(is_ego && *crossing) && p.distance(me.pose.pos()) < LOOKAHEAD + my_len
                        })
                        .map(|(p, _)| *p)
                        .collect();
                    // Only crosswalks within the look-ahead can be on its path.
                    let occupied_near: Vec<&[V2; 4]> = occupied
                        .iter()
                        .filter(|c| {
                            let span = c.iter().map(|q| q.distance(c[0])).fold(0.0, f64::max);
                            c[0].distance(me.pose.pos())
                                < LOOKAHEAD + my_len + span + LANE_CHANGE_SLACK
                        })
                        .copied()
                        .collect();
                    let mut walker_gap = f64::INFINITY;
                    // The first stop line ahead it can still stop at, signalised or not.
                    let mut stop_line: Option<f64> = None;
                    // Stop lines with a red or amber light, the end of the route, occupied crosswalks.
                    let mut acc = -me.s;
                    for (k, lane_id) in lanes.iter().enumerate().skip(me.lane_idx) {
                        let Some(lane) = plan.lane(*lane_id) else {
                            break;
                        };
                        if let Some(stop) = lane.stop {
                            let signal = plan
                                .network
                                .junctions
                                .get(stop.junction as usize)
                                .and_then(|j| j.signal);
                            let must_stop = !self.controls[i].run_red
                                && signal.is_some_and(|sig| {
                                    sig.state(stop.group, self.time) != LampState::Green
                                });
                            let d = acc + stop.s - my_len / 2.0;
                            // Already over the line, or too close to stop at all (amber): go
                            // on. A vehicle that can still stop does, however close.
                            let can_stop = d > 0.0 && me.speed * me.speed / (2.0 * MAX_BRAKE) < d;
                            let ahead = !(k == me.lane_idx && stop.s < me.s);
                            if must_stop && can_stop && ahead {
                                gap = gap.min(d);
                                dv = me.speed;
                            }
                            if can_stop && ahead && stop_line.is_none() {
                                stop_line = Some(d);
                            }
                        }
                        let from = if k == me.lane_idx { me.s } else { 0.0 };
                        // A crosswalk first met under its own front is one it is already
                        // over: it drives on across that one.
                        let mut over = vec![false; occupied_near.len()];
                        if !occupied_near.is_empty()
                            && let Some(at) = events::first_along(lane, from, acc, |p, at| {
                                occupied_near.iter().zip(&mut over).any(|(c, over)| {
                                    if *over || !point_in_polygon(p, &c[..]) {
                                        return false;
                                    }
                                    *over = at - my_len / 2.0 - 1.0 <= 0.0;
                                    !*over
                                })
                            })
                        {
                            let d = at - my_len / 2.0 - 1.0;
                            if d > 0.0 && d < gap {
                                gap = d;
                                dv = me.speed;
                            }
                        }
                        // From its front: someone beside the body is passed, not hit.
                        let front = if k == me.lane_idx {
                            me.s + my_len / 2.0
                        } else {
                            0.0
                        };
                        if walker_gap.is_infinite()
                            && let Some(d) = events::first_blocked(
                                lane,
                                front,
                                acc,
                                &in_reach,
                                my_width / 2.0 + PEDESTRIAN_CLEARANCE,
                            )
                        {
                            walker_gap = d - my_len / 2.0;
                            if walker_gap - STANDSTILL_GAP < gap {
                                gap = (walker_gap - STANDSTILL_GAP).max(0.0);
                                dv = me.speed;
                            }
                        }
                        if yields
                            && let Some(d) = events::first_blocked(
                                lane,
                                from,
                                acc,
                                &jaywalkers,
                                lane.width / 2.0 + 0.5,
                            )
                        {
                            let d = d - my_len / 2.0 - 1.0;
                            if d > 0.0 && d < gap {
                                gap = d;
                                dv = me.speed;
                            }
                        }
                        acc += lane.length;
                        // The end of the route is a wall: brake to a stop before it.
                        let to_end = acc - my_len / 2.0;
                        if k + 1 == lanes.len() && to_end < gap {
                            gap = to_end;
                            dv = me.speed;
                        }
                        if acc > LOOKAHEAD {
                            break;
                        }
                    }
                    // Right of way where this vehicle's connector crosses another's. A red
                    // light runner does not look: a test of one needs the conflict.
                    let mut conflict_wall = f64::INFINITY;
                    let wait = if self.controls[i].run_red {
                        None
                    } else {
                        let view = conflicts::View {
                            bodies: in_view,
                            approaching: &approaching,
                        };
                        self.conflicts.wait_distance(&view, i)
                    };
                    // A vehicle giving way waits at its stop line, not at the conflict
                    // point beyond it: standing there it covered the crosswalk, and a
                    // pedestrian crossing waited for it while it waited for traffic that
                    // waited for the pedestrian (the junction stood still for 20 s).
                    let wait = wait.map(|w| match stop_line {
                        Some(line) if line < w && w - line < STOP_LINE_REACH => line,
                        _ => w,
                    });
                    if let Some(w) = wait {
                        conflict_wall = w + STANDSTILL_GAP;
                        if w < gap {
                            gap = w;
                            dv = me.speed;
                        }
                    }
                    let (curve_limit, curve_decel) = curves::slow_for_curves(
                        plan,
                        &self.lane_speeds,
                        lanes,
                        (me.lane_idx, me.s),
                        me.speed,
                        idm.comfortable_decel.max(0.1),
                    );
                    let desired = self.controls[i].desired.unwrap_or(*desired);
                    let mut a = idm_accel(idm, me.speed, desired.min(curve_limit), gap, dv);
                    // IDM eases towards a lower desired speed too gently to meet a curve's.
                    if me.speed > curve_limit {
                        a = a.min(-curve_decel.min(MAX_BRAKE));
                    }
                    let a = self.controls[i].longitudinal(idm, me.speed, a, gap, dv);
                    let agent = &mut self.agents[i];
                    let before = agent.speed;
                    agent.speed = (agent.speed + a * dt).max(0.0);
                    if let Some(cap) = self.controls[i].speed_cap() {
                        agent.speed = agent.speed.min(cap);
                    }
                    let decel = (before - agent.speed) / dt.max(1e-9);
                    agent.braking = decel > BRAKE_LAMP_DECEL || (agent.speed < 0.1 && a <= 0.0);
                    let mut advance = agent.speed * dt;
                    let wall = leader_gap.min(walker_gap).min(conflict_wall);
                    if wall.is_finite() {
                        advance = advance.min((wall - STANDSTILL_GAP).max(0.0));
                    }
                    agent.s += advance;
                    while let Some(lane) = plan.lane(lanes[agent.lane_idx]) {
                        if agent.s <= lane.length {
                            break;
                        }
                        if agent.lane_idx + 1 >= lanes.len() {
                            // The end of the route is a wall.
                            advance -= agent.s - lane.length;
                            agent.s = lane.length;
                            break;
                        }
                        agent.s -= lane.length;
                        agent.lane_idx += 1;
                    }
                    // Labels report the speed the vehicle moved at, not the one it wanted.
                    if advance < agent.speed * dt {
                        agent.speed = advance.max(0.0) / dt.max(1e-9);
                        agent.braking = true;
                    }
                    agent.odometer += advance;
                    let (offset, slope) = self.controls[i].lateral(dt, agent.speed);
                    agent.offset = offset;
                    let half_base = self.lengths[i].0 * lane_change::HALF_WHEELBASE;
                    if let Some(pose) = lane_change::body_pose(
                        plan,
                        lanes,
                        agent.lane_idx,
                        agent.s,
                        half_base,
                        offset,
                        slope,
                    ) {
                        agent.pose = pose;
                    }
                }
            }
        }
        self.time += dt;
        self.steps += 1;
        self.finish_events(plan);
    }
}

/// The corners of every crosswalk a walker is on, or reaches within `ahead` metres of
/// its path.
fn occupied_crosswalks<'a>(
    plan: &'a ScenePlan,
    agents: &[AgentState],
    motions: &[Motion],
    ahead: f64,
) -> Vec<&'a [V2; 4]> {
    // Each walker's position and where its path takes it next, sampled once per step
    // (not once per crosswalk).
    let samples = (ahead / 0.25).ceil() as usize;
    let mut points = Vec::new();
    for (a, m) in agents.iter().zip(motions) {
        let Motion::Walk { path, .. } = m else {
            continue;
        };
        points.push(a.pose.pos());
        let length = path.length();
        points.extend(
            (1..=samples)
                .map(|k| a.s + ahead * k as f64 / samples as f64)
                .take_while(|s| *s <= length)
                .map(|s| path.sample(s).0),
        );
    }
    plan.network
        .crosswalks
        .iter()
        .map(|c| &c.corners)
        .filter(|corners| points.iter().any(|p| point_in_polygon(*p, &corners[..])))
        .collect()
}
