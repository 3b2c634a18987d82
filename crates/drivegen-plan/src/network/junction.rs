//! Junctions: 3- and 4-way intersections and roundabouts, their arms, connectors and
//! crosswalks.

use drivegen_scenario::Turn;

use super::*;

/// The smallest island a roundabout keeps inside its ring (m).
const MIN_ISLAND: f64 = 4.0;
/// The tightest radius a vehicle turns on from the ring's outer lane out onto an arm (m).
const EXIT_TURN: f64 = 5.0;
/// The largest angle between an arm and its ring exit, as a share of the angle between
/// arms: the ring keeps an arc between one arm's entry and the next arm's exit.
const MAX_EXIT_ANGLE: f64 = 0.3;

/// The angle from an arm's axis to where it leaves the ring's outer lane (radius
/// `outer_lane`) so that a vehicle turning out on an [`EXIT_TURN`] arc ends on the arm's
/// outermost lane, `arm_lane` off the axis. Turning right from the ring's direction at
/// angle `a` to the arm's, it comes `EXIT_TURN` x (1 - sin a) closer to the axis. With three
/// lanes on a ring of radius 9 m the exit was 5.8 m off the axis and the arm's lane 8.75 m:
/// the exit swung out and hooked back, and vehicles crawling round the hook were run into
/// by the ring's traffic behind them.
fn exit_angle(outer_lane: f64, arm_lane: f64) -> f64 {
    libm::asin(((arm_lane + EXIT_TURN) / (outer_lane + EXIT_TURN)).min(1.0))
}

impl NetworkBuilder {
    pub(super) fn intersection(&mut self, ways: u8, arm_length: f64, exit: Turn, crosswalks: bool) {
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

    pub(super) fn roundabout(&mut self, radius: f64, exits: u8, arm_length: f64, crosswalks: bool) {
        let incoming = self.approach(EXIT_STUB.max(arm_length.min(30.0)));
        let n = self.p.lanes;
        let w = self.p.lane_width;
        let ring_width = f64::from(n) * w;
        let exits = exits.clamp(3, 4);
        let spacing = std::f64::consts::TAU / f64::from(exits);
        // The ring's lanes need an island inside them: four 5 m lanes on a radius of 8 m
        // left none, and the arms missed the ring. And its outer lane needs room to turn
        // out onto each arm's outermost lane (see `exit_angle`).
        let arm_lane = ring_width - w / 2.0;
        let outer_lane_for_exits =
            (arm_lane + EXIT_TURN) / libm::sin(MAX_EXIT_ANGLE * spacing) - EXIT_TURN;
        let radius = radius
            .max(ring_width / 2.0 + MIN_ISLAND)
            .max(outer_lane_for_exits - ring_width / 2.0 + w / 2.0);
        let outer = radius + ring_width / 2.0;
        let gap = 2.0;
        let dir = self.cursor.dir();
        let center = self.cursor.pos() + dir * (outer + gap);
        let jid = self.junctions.len() as u32;
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
        let alpha = ((ring_width + 3.0) / radius)
            .min(spacing * MAX_EXIT_ANGLE)
            .max(exit_angle(radius + ring_width / 2.0 - w / 2.0, arm_lane));
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
            // Every entry lane joins the outer ring lane, the only one with exits: an inner
            // ring lane leads only round again, and vehicles that entered it lapped the
            // ring for as long as the scene ran.
            self.connectors.push(PendingConnector {
                junction: jid,
                from: *end,
                to: ring_in,
                turn: Turn::Right,
                pairs: (0..n).map(|i| (i, 0)).collect(),
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
}
