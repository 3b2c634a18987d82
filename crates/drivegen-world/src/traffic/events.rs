//! Scripted events in the traffic core: triggers are evaluated at the start of every
//! step from the simulation's own state (time, poses, speeds, other events), so a
//! resumed or replayed run starts every event on the same step; actions become per-agent
//! controls that override acceleration, lane or path until they are done.

use drivegen_plan::geom::{Polyline, V2};
use drivegen_plan::{Idm, Lane, ScenePlan};
use drivegen_scenario::events::{Action, Side, Target, Trigger};

use super::{AgentState, LOOKAHEAD, MAX_BRAKE, Motion, TrafficSim, idm_accel};

/// How long a pull-over to the kerb takes (s).
const PULL_OVER: f64 = 2.5;
/// Distance kept between a pulled-over vehicle's side and the paved edge (m).
const KERB_MARGIN: f64 = 0.3;

/// An event whose action is under way, as recorded in a frame's labels.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActiveEvent {
    pub name: String,
    /// The action's name (`CutIn`, `Brake`, ...).
    pub action: &'static str,
    /// Instance id of the actor performing it.
    pub actor: u32,
}

#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(super) struct EventState {
    /// Index of the event's actor among the agents.
    pub(super) actor: Option<usize>,
    pub(super) started: Option<f64>,
    pub(super) done: bool,
}

/// The initial state of every plan event.
pub(super) fn states(plan: &ScenePlan) -> Vec<EventState> {
    plan.events
        .iter()
        .map(|e| EventState {
            actor: plan.actors.iter().position(|a| a.id == e.actor),
            started: None,
            done: false,
        })
        .collect()
}

/// What overrides the car-following acceleration.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(super) enum Longitudinal {
    #[default]
    Free,
    /// Brake at `decel` until standing, then stay.
    Brake {
        decel: f64,
    },
    Accelerate {
        accel: f64,
        speed: f64,
    },
}

/// A lateral offset blended from `from` to `to` over `duration` seconds (quintic
/// smoothstep: zero lateral speed and acceleration at both ends).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Blend {
    pub(super) from: f64,
    pub(super) to: f64,
    pub(super) elapsed: f64,
    pub(super) duration: f64,
    /// The steepest it may run (sideways metres per metre forward).
    pub(super) max_slope: f64,
}

/// A lane change asked for but not begun: the side (`None`: towards the ego's lane).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct PendingLaneChange {
    pub(super) side: Option<Side>,
    pub(super) duration: f64,
}

/// Per agent: everything events and lane changes do to it.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct Control {
    /// A pedestrian standing until its StartCrossing event.
    pub(super) hold: bool,
    /// A pedestrian crossing the road by a StartCrossing event.
    pub(super) crossing: bool,
    pub(super) run_red: bool,
    /// Desired speed replacing the plan's (after an Accelerate).
    pub(super) desired: Option<f64>,
    pub(super) long: Longitudinal,
    /// The event driving `long`, until its action is over.
    pub(super) long_event: Option<usize>,
    pub(super) blend: Option<Blend>,
    /// Lateral offset kept once a blend is over (a vehicle pulled over to the kerb).
    pub(super) rest: f64,
    pub(super) pending: Option<PendingLaneChange>,
    /// The event driving the lateral motion, until its blend is over.
    pub(super) lane_event: Option<usize>,
    /// When the last lane change began (MOBIL waits a while before the next).
    pub(super) last_change: Option<f64>,
}

/// The steepest a scripted lateral blend runs: sideways metres per metre forward (27
/// degrees; a brisk cut-in at town speed runs at about 0.3).
pub(super) const MAX_SLOPE: f64 = 0.5;

fn smoothstep(u: f64) -> (f64, f64) {
    let u = u.clamp(0.0, 1.0);
    let value = u * u * u * (10.0 + u * (-15.0 + 6.0 * u));
    let slope = 30.0 * u * u * (1.0 - u) * (1.0 - u);
    (value, slope)
}

impl Control {
    /// The acceleration after this control's override of the car-following one, `a`.
    pub(super) fn longitudinal(&self, idm: &Idm, v: f64, a: f64, gap: f64, dv: f64) -> f64 {
        match self.long {
            Longitudinal::Free => a,
            Longitudinal::Brake { decel } => (-decel).min(a),
            Longitudinal::Accelerate { accel, speed } => {
                if v >= speed {
                    return a.min(0.0);
                }
                // The stated acceleration, less what the leader's interaction demands.
                let interaction = idm_accel(idm, v, f64::INFINITY, gap, dv) - idm.max_accel;
                (accel + interaction).max(-MAX_BRAKE)
            }
        }
    }

    /// The target speed an Accelerate must not overshoot.
    pub(super) fn speed_cap(&self) -> Option<f64> {
        match self.long {
            Longitudinal::Accelerate { speed, .. } => Some(speed),
            _ => None,
        }
    }

    /// Advances the blend by `dt`: the lateral offset now and its slope (lateral metres
    /// per metre travelled at `speed`, for the yaw). A vehicle moves sideways only as it
    /// moves forward: the blend slows so that its slope stays under its `max_slope`, and
    /// stands still while the vehicle does (it crabbed sideways and turned on the spot).
    pub(super) fn lateral(&mut self, dt: f64, speed: f64) -> (f64, f64) {
        let Some(mut b) = self.blend else {
            return (self.rest, 0.0);
        };
        let (_, rate_now) = smoothstep(b.elapsed / b.duration.max(1e-6));
        let nominal = (b.to - b.from).abs() * rate_now / b.duration.max(1e-6);
        let allowed = speed * b.max_slope;
        b.elapsed += if nominal > allowed {
            dt * allowed / nominal
        } else {
            dt
        };
        let u = b.elapsed / b.duration.max(1e-6);
        // Steps of 1/60 s summed to the duration land a hair short of it.
        if u >= 1.0 - 1e-9 {
            self.blend = None;
            self.rest = b.to;
            if self.pending.is_none() {
                self.lane_event = None;
            }
            return (b.to, 0.0);
        }
        self.blend = Some(b);
        let (value, rate) = smoothstep(u);
        let lateral_speed = (b.to - b.from) * rate / b.duration.max(1e-6);
        let slope = (lateral_speed / speed.max(0.5)).clamp(-b.max_slope, b.max_slope);
        (b.from + (b.to - b.from) * value, slope)
    }
}

/// Ego's time to reach `other` along its heading (s): the gap from its front to the
/// other's near edge over the closing speed; infinite when not closing or behind.
pub(super) fn ego_ttc(ego: &AgentState, ego_len: f64, other: &AgentState, other_len: f64) -> f64 {
    let dir = ego.pose.dir();
    let ahead = (other.pose.pos() - ego.pose.pos()).dot(dir);
    if ahead <= 0.0 {
        return f64::INFINITY;
    }
    let gap = (ahead - (ego_len + other_len) / 2.0).max(0.0);
    let closing = ego.speed - other.speed * other.pose.dir().dot(dir);
    if closing <= 1e-9 {
        f64::INFINITY
    } else {
        gap / closing
    }
}

/// Distance along the route (`acc` before `lane`'s start) to the first point of
/// `lane` from arc length `from` where one of `walkers` stands within `reach` of its
/// centre line, within the look-ahead.
pub(super) fn first_blocked(
    lane: &Lane,
    from: f64,
    acc: f64,
    walkers: &[V2],
    reach: f64,
) -> Option<f64> {
    if walkers.is_empty() {
        return None;
    }
    first_along(lane, from, acc, |p, _| {
        walkers.iter().any(|w| (*w - p).dot(*w - p) < reach * reach)
    })
}

/// Distance along the route (`acc` before `lane`'s start) to the first point of `lane`,
/// sampled every metre from arc length `from` within the look-ahead, where `hit` (given
/// the point and its distance along the route) holds.
/// Walks the polyline once: this runs for every vehicle at every step, and sampling
/// each point from the lane's start made a step quadratic in the lane's length.
pub(super) fn first_along(
    lane: &Lane,
    from: f64,
    acc: f64,
    mut hit: impl FnMut(V2, f64) -> bool,
) -> Option<f64> {
    let pts = &lane.center.points;
    if pts.len() < 2 {
        return None;
    }
    let (mut k, mut seg_start) = (0, 0.0);
    let mut s = from;
    while s < lane.length && acc + s < LOOKAHEAD {
        let mut seg = pts[k].distance(pts[k + 1]);
        while k + 2 < pts.len() && seg_start + seg < s {
            seg_start += seg;
            k += 1;
            seg = pts[k].distance(pts[k + 1]);
        }
        let t = if seg > 0.0 {
            ((s - seg_start) / seg).clamp(0.0, 1.0)
        } else {
            0.0
        };
        if hit(pts[k].lerp(pts[k + 1], t), acc + s) {
            return Some(acc + s);
        }
        s += 1.0;
    }
    None
}

/// The nearest place of kind `to` whose centre lies ahead of the ego, as the point of it
/// the ego's distance is measured to: a junction's centre, or the nearest point of a
/// crosswalk's centre line across the road (its centre is the road's middle, which the
/// ego, a lane to the side, never came nearer than half a road: `below: 5` never fired).
fn place_ahead(plan: &ScenePlan, ego: &AgentState, to: Target) -> Option<V2> {
    let at = ego.pose.pos();
    let places: Vec<(V2, V2)> = match to {
        Target::Actor => return None,
        Target::Junction => plan
            .network
            .junctions
            .iter()
            .map(|j| (j.center, j.center))
            .collect(),
        Target::Crosswalk => plan
            .network
            .crosswalks
            .iter()
            .map(|c| {
                let centre = c.centre();
                let along = (at - centre)
                    .dot(c.across)
                    .clamp(-c.reach(-c.across), c.reach(c.across));
                (centre, centre + c.across * along)
            })
            .collect(),
    };
    places
        .into_iter()
        .filter(|(centre, _)| (*centre - at).dot(ego.pose.dir()) > 0.0)
        .map(|(_, point)| point)
        .min_by(|a, b| a.distance(at).total_cmp(&b.distance(at)))
}

/// How far beyond a crosswalk's stripes a pedestrian still waits at it (m): one placed
/// `Near(of: Crosswalk(n), within: 4)` stands on the kerb at its end.
const AT_CROSSWALK: f64 = 4.0;

/// A straight walk from `from` across the crosswalk it waits at, else across the nearest
/// road, to 1 m beyond the far edge.
fn crossing_path(plan: &ScenePlan, from: V2) -> Option<Polyline> {
    if let Some(path) = across_crosswalk(plan, from) {
        return Some(path);
    }
    // Only roads beside `from`: past a road's end the projection is its end point, and a
    // pedestrian by a roundabout's arm was sent along the wrong road, off the kerb.
    let road = plan
        .network
        .roads
        .iter()
        .map(|r| (r.reference.project(from), r))
        .filter(|(p, r)| p.s > 1e-6 && p.s < r.reference.length() - 1e-6)
        .min_by(|(a, _), (b, _)| a.lateral.abs().total_cmp(&b.lateral.abs()))?;
    let (proj, road) = road;
    let (_, tangent) = road.reference.sample(proj.s);
    // `lateral` is positive left of the reference: walk towards it and on past it.
    let (dir, far) = if proj.lateral < 0.0 {
        (tangent.perp(), road.left_width().max(road.lane_width))
    } else {
        (-tangent.perp(), road.right_width())
    };
    let length = proj.lateral.abs() + far + 1.0;
    Some(Polyline::new(vec![from, from + dir * length]))
}

/// Along the stripes of the nearest crosswalk whose end `from` stands at, to 1 m past
/// its far end.
fn across_crosswalk(plan: &ScenePlan, from: V2) -> Option<Polyline> {
    plan.network
        .crosswalks
        .iter()
        .filter_map(|c| {
            let centre = c.centre();
            let (reach, half_width) = (c.reach(c.across), c.reach(c.across.perp()));
            let along = (from - centre).dot(c.across);
            let beside = (from - centre).dot(c.across.perp());
            let outside = (along.abs() - reach).max(0.0) + (beside.abs() - half_width).max(0.0);
            (outside <= AT_CROSSWALK).then_some((outside, c, along, beside, half_width))
        })
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c, along, beside, half_width)| {
            // From the end it stands at towards the other, on the stripes: one waiting
            // beside them first steps onto them (it walked alongside, 0.4 m off).
            let dir = if along > 0.0 { -c.across } else { c.across };
            let onto = beside.clamp(-(half_width - 0.4).max(0.0), (half_width - 0.4).max(0.0));
            let side = c.across.perp();
            let on_stripes = from + side * (onto - beside);
            let end = c.centre() + side * onto + dir * (c.reach(dir) + 1.0);
            let mut points = vec![from];
            if on_stripes.distance(from) > 0.05 {
                points.push(on_stripes);
            }
            points.push(end);
            Polyline::new(points)
        })
}

impl TrafficSim {
    /// Where the pedestrians crossing by an event are, while they cross.
    pub(super) fn jaywalkers(&self) -> Vec<V2> {
        self.agents
            .iter()
            .zip(&self.motions)
            .zip(&self.controls)
            .filter(|((a, m), c)| {
                c.crossing && matches!(m, Motion::Walk { path, .. } if a.s < path.length())
            })
            .map(|((a, _), _)| a.pose.pos())
            .collect()
    }

    /// Pedestrians with a StartCrossing event stand still until it starts.
    pub(super) fn hold_waiting_pedestrians(&mut self, plan: &ScenePlan) {
        for e in &plan.events {
            if matches!(e.action, Action::StartCrossing { .. })
                && let Some(i) = plan.actors.iter().position(|a| a.id == e.actor)
                && let Some(c) = self.controls.get_mut(i)
            {
                c.hold = true;
                self.agents[i].speed = 0.0;
            }
        }
    }

    /// Events under way, by name: started and not done, or starting at this very instant
    /// (a trigger met by the last step starts at the next, but a capture now shows it).
    pub fn active_events(&self, plan: &ScenePlan) -> Vec<ActiveEvent> {
        let mut out: Vec<ActiveEvent> = plan
            .events
            .iter()
            .zip(&self.events)
            .enumerate()
            .filter(|(k, (_, st))| {
                (st.started.is_some() && !st.done)
                    || (st.started.is_none()
                        && st
                            .actor
                            .is_some_and(|i| i < self.agents.len() && self.holds(plan, *k, i)))
            })
            .map(|(_, pair)| pair)
            .map(|(e, _)| ActiveEvent {
                name: e.name.clone(),
                action: e.action.name(),
                actor: e.actor,
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        out
    }

    /// When event `name` started (simulation time), if it has.
    pub fn event_started(&self, plan: &ScenePlan, name: &str) -> Option<f64> {
        let k = plan.events.iter().position(|e| e.name == name)?;
        self.events.get(k)?.started
    }

    fn holds(&self, plan: &ScenePlan, k: usize, i: usize) -> bool {
        let e = &plan.events[k];
        let ego = &self.agents[0];
        let me = &self.agents[i];
        match &e.trigger {
            Trigger::Time(t) => self.time >= *t - 1e-9,
            Trigger::EgoDistance {
                below,
                to: Target::Actor,
            } => ego.pose.pos().distance(me.pose.pos()) < *below,
            Trigger::EgoTtc {
                below,
                to: Target::Actor,
            } => ego_ttc(ego, self.lengths[0].0, me, self.lengths[i].0) < *below,
            Trigger::EgoDistance { below, to } => {
                place_ahead(plan, ego, *to).is_some_and(|p| ego.pose.pos().distance(p) < *below)
            }
            Trigger::EgoTtc { below, to } => place_ahead(plan, ego, *to).is_some_and(|p| {
                let gap = (p - ego.pose.pos()).dot(ego.pose.dir()) - self.lengths[0].0 / 2.0;
                ego.speed > 1e-9 && gap.max(0.0) / ego.speed < *below
            }),
            Trigger::After { event, delay } => plan
                .events
                .iter()
                .position(|o| o.name == *event)
                .and_then(|j| self.events[j].started)
                .is_some_and(|t| self.time >= t + delay - 1e-9),
        }
    }

    /// Starts every event whose trigger holds now (in the plan's order, so an `After`
    /// with no delay on an earlier event starts on the same step), then begins pending
    /// lane changes that have become possible.
    pub(super) fn start_events(&mut self, plan: &ScenePlan) {
        for k in 0..plan.events.len().min(self.events.len()) {
            if self.events[k].started.is_some() {
                continue;
            }
            let Some(i) = self.events[k].actor else {
                continue;
            };
            if i >= self.agents.len() || !self.holds(plan, k, i) {
                continue;
            }
            self.events[k].started = Some(self.time);
            self.apply(plan, k, i);
        }
        for i in 0..self.agents.len() {
            if let Some(p) = self.controls[i].pending
                && self.controls[i].blend.is_none()
            {
                self.try_lane_change(plan, i, p);
            }
        }
    }

    fn apply(&mut self, plan: &ScenePlan, k: usize, i: usize) {
        let c = &mut self.controls[i];
        match plan.events[k].action {
            Action::LaneChange {
                direction,
                duration,
            } => {
                c.pending = Some(PendingLaneChange {
                    side: Some(direction),
                    duration,
                });
                c.lane_event = Some(k);
            }
            Action::CutIn { duration } => {
                c.pending = Some(PendingLaneChange {
                    side: None,
                    duration,
                });
                c.lane_event = Some(k);
            }
            Action::Brake { decel } => {
                c.long = Longitudinal::Brake { decel };
                c.long_event = Some(k);
            }
            Action::Accelerate { accel, speed } => {
                c.long = Longitudinal::Accelerate { accel, speed };
                c.long_event = Some(k);
            }
            Action::RunRedLight => c.run_red = true,
            Action::StopAtKerb { decel } => {
                c.long = Longitudinal::Brake { decel };
                c.long_event = Some(k);
                let target = self.kerb_offset(plan, i, decel);
                let c = &mut self.controls[i];
                c.blend = Some(Blend {
                    from: self.agents[i].offset,
                    to: target,
                    elapsed: 0.0,
                    duration: PULL_OVER,
                    max_slope: MAX_SLOPE,
                });
                c.lane_event = Some(k);
            }
            Action::StartCrossing { speed } => {
                c.hold = false;
                c.crossing = true;
                if let Some(path) = crossing_path(plan, self.agents[i].pose.pos()) {
                    self.motions[i] = Motion::Walk { path, speed };
                    self.agents[i].s = 0.0;
                }
            }
        }
    }

    /// The offset (negative: right) that puts a vehicle beside the kerb of its lane's
    /// road, or 0 when its lane is not the rightmost or something stands by the kerb
    /// where it would pull over (a parked car: it pulled over into them).
    fn kerb_offset(&self, plan: &ScenePlan, i: usize, decel: f64) -> f64 {
        let Motion::Drive { lanes, .. } = &self.motions[i] else {
            return 0.0;
        };
        let Some(lane) = lanes
            .get(self.agents[i].lane_idx)
            .and_then(|l| plan.lane(*l))
        else {
            return 0.0;
        };
        let shoulder = lane
            .road
            .and_then(|r| plan.network.roads.iter().find(|road| road.id == r))
            .map_or(0.0, |r| r.shoulder);
        if lane.index != 0 {
            return 0.0;
        }
        let half = self.lengths[i].1 / 2.0;
        let target = -(lane.width / 2.0 + shoulder - half - KERB_MARGIN).max(0.0);
        // From its tail now to its nose where it stops, and the band its body sweeps
        // between its lane position and the kerb.
        let me = lane.center.project(self.agents[i].pose.pos());
        let speed = self.agents[i].speed.max(0.0);
        let reach = speed * (speed / (2.0 * decel.max(0.1)) + 0.5);
        let (from, to) = (
            me.s - self.lengths[i].0 / 2.0,
            me.s + reach + self.lengths[i].0 / 2.0 + KERB_MARGIN,
        );
        let (right, left) = (target - half - KERB_MARGIN, me.lateral.min(0.0) + half);
        let taken = self.agents.iter().enumerate().any(|(j, other)| {
            if j == i
                || matches!(self.motions[j], Motion::Walk { .. })
                || other.pose.pos().distance(self.agents[i].pose.pos()) > to - from + 20.0
            {
                return false;
            }
            let there = lane.center.project(other.pose.pos());
            let (l, w) = (self.lengths[j].0 / 2.0, self.lengths[j].1 / 2.0);
            there.s + l > from
                && there.s - l < to
                && there.lateral + w > right
                && there.lateral - w < left
                && there.lateral < me.lateral - half
        });
        if taken { 0.0 } else { target }
    }

    /// After a step: controls whose action is over let go, and events whose action is
    /// over are done (RunRedLight lasts to the end).
    pub(super) fn finish_events(&mut self, plan: &ScenePlan) {
        for (c, a) in self.controls.iter_mut().zip(&self.agents) {
            match c.long {
                Longitudinal::Brake { .. } if a.speed <= 0.0 => c.long_event = None,
                Longitudinal::Accelerate { speed, .. } if a.speed >= speed - 1e-9 => {
                    c.long = Longitudinal::Free;
                    c.desired = Some(speed);
                    c.long_event = None;
                }
                _ => {}
            }
        }
        for (k, e) in plan.events.iter().enumerate() {
            let Some(state) = self.events.get(k) else {
                break;
            };
            if state.started.is_none() || state.done {
                continue;
            }
            let Some(i) = state.actor else { continue };
            let c = &self.controls[i];
            let done = match e.action {
                Action::LaneChange { .. } | Action::CutIn { .. } => c.lane_event != Some(k),
                Action::Brake { .. } | Action::Accelerate { .. } => c.long_event != Some(k),
                Action::StopAtKerb { .. } => c.long_event != Some(k) && c.lane_event != Some(k),
                Action::StartCrossing { .. } => match &self.motions[i] {
                    Motion::Walk { path, .. } => self.agents[i].s >= path.length(),
                    _ => true,
                },
                Action::RunRedLight => false,
            };
            self.events[k].done = done;
        }
    }
}
