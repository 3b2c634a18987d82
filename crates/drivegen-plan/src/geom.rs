//! 2-D geometry for the planner: points, poses, polylines, oriented boxes.
//!
//! Trigonometry goes through `libm` (a pure-Rust libm) rather than the platform's, so a
//! plan is bit-identical on every machine, not just on the one that made it.

use serde::{Deserialize, Serialize};

/// A point or direction in the ground plane: x east, y north, metres.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct V2 {
    pub x: f64,
    pub y: f64,
}

pub const fn v2(x: f64, y: f64) -> V2 {
    V2 { x, y }
}

impl V2 {
    pub fn from_angle(a: f64) -> V2 {
        v2(cos(a), sin(a))
    }
    pub fn dot(self, o: V2) -> f64 {
        self.x * o.x + self.y * o.y
    }
    pub fn cross(self, o: V2) -> f64 {
        self.x * o.y - self.y * o.x
    }
    pub fn length(self) -> f64 {
        libm::sqrt(self.dot(self))
    }
    pub fn distance(self, o: V2) -> f64 {
        (self - o).length()
    }
    pub fn normalized(self) -> V2 {
        let l = self.length();
        if l > 0.0 {
            self * (1.0 / l)
        } else {
            v2(1.0, 0.0)
        }
    }
    /// Rotated 90 degrees counter-clockwise (the left normal of a direction).
    pub fn perp(self) -> V2 {
        v2(-self.y, self.x)
    }
    pub fn angle(self) -> f64 {
        atan2(self.y, self.x)
    }
    pub fn lerp(self, o: V2, t: f64) -> V2 {
        self + (o - self) * t
    }
}

impl std::ops::Add for V2 {
    type Output = V2;
    fn add(self, o: V2) -> V2 {
        v2(self.x + o.x, self.y + o.y)
    }
}
impl std::ops::Sub for V2 {
    type Output = V2;
    fn sub(self, o: V2) -> V2 {
        v2(self.x - o.x, self.y - o.y)
    }
}
impl std::ops::Mul<f64> for V2 {
    type Output = V2;
    fn mul(self, k: f64) -> V2 {
        v2(self.x * k, self.y * k)
    }
}
impl std::ops::Neg for V2 {
    type Output = V2;
    fn neg(self) -> V2 {
        v2(-self.x, -self.y)
    }
}

pub fn sin(a: f64) -> f64 {
    libm::sin(a)
}
pub fn cos(a: f64) -> f64 {
    libm::cos(a)
}
pub fn atan2(y: f64, x: f64) -> f64 {
    libm::atan2(y, x)
}
pub fn tan(a: f64) -> f64 {
    libm::tan(a)
}

/// Wraps an angle to (-pi, pi].
pub fn wrap_angle(a: f64) -> f64 {
    let two_pi = std::f64::consts::TAU;
    let mut r = a % two_pi;
    if r <= -std::f64::consts::PI {
        r += two_pi;
    } else if r > std::f64::consts::PI {
        r -= two_pi;
    }
    r
}

/// A position and heading (radians counter-clockwise from +x).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Pose2 {
    pub x: f64,
    pub y: f64,
    pub yaw: f64,
}

impl Pose2 {
    pub fn pos(&self) -> V2 {
        v2(self.x, self.y)
    }
    pub fn dir(&self) -> V2 {
        V2::from_angle(self.yaw)
    }
    pub fn at(p: V2, yaw: f64) -> Pose2 {
        Pose2 {
            x: p.x,
            y: p.y,
            yaw,
        }
    }
}

/// A sampled curve with cumulative arc length.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Polyline {
    pub points: Vec<V2>,
}

/// The nearest point of a polyline to a query.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Projection {
    /// Arc length along the polyline.
    pub s: f64,
    /// Signed lateral offset, positive to the left of the direction of travel.
    pub lateral: f64,
    /// Unit tangent at the projection.
    pub tangent: V2,
    pub point: V2,
}

/// The axis-aligned bounding box (lowest, highest corner) of some points; `None` for none.
pub fn bounds_of(points: impl IntoIterator<Item = V2>) -> Option<(V2, V2)> {
    let mut points = points.into_iter();
    let first = points.next()?;
    Some(points.fold((first, first), |(lo, hi), p| {
        (
            v2(lo.x.min(p.x), lo.y.min(p.y)),
            v2(hi.x.max(p.x), hi.y.max(p.y)),
        )
    }))
}

impl Polyline {
    pub fn new(points: Vec<V2>) -> Polyline {
        Polyline { points }
    }

    pub fn length(&self) -> f64 {
        self.points.windows(2).map(|w| w[0].distance(w[1])).sum()
    }

    /// Point and unit tangent at arc length `s` (clamped to the ends).
    pub fn sample(&self, s: f64) -> (V2, V2) {
        let pts = &self.points;
        if pts.len() < 2 {
            return (pts.first().copied().unwrap_or_default(), v2(1.0, 0.0));
        }
        let mut remaining = s.max(0.0);
        for w in pts.windows(2) {
            let seg = w[0].distance(w[1]);
            if remaining <= seg {
                let t = if seg > 0.0 {
                    (remaining / seg).min(1.0)
                } else {
                    0.0
                };
                return (w[0].lerp(w[1], t), (w[1] - w[0]).normalized());
            }
            remaining -= seg;
        }
        let n = pts.len();
        (pts[n - 1], (pts[n - 1] - pts[n - 2]).normalized())
    }

    pub fn pose_at(&self, s: f64) -> Pose2 {
        let (p, t) = self.sample(s);
        Pose2::at(p, t.angle())
    }

    /// Offset sideways by `d` metres (positive = left), using per-vertex normals.
    ///
    /// An end vertex takes the tangent the curve has there, not its last chord's: on a
    /// sampled arc the chord is half a segment's turn off, and a roundabout's outer lane,
    /// 12 m off its ring's reference, ended 1.9 m from where the next ring piece's lane
    /// began (traffic jumped across the gap and its entry missed the ring lane's merge).
    pub fn offset(&self, d: f64) -> Polyline {
        let pts = &self.points;
        let n = pts.len();
        if n < 2 {
            return self.clone();
        }
        let out = (0..n)
            .map(|i| {
                let t = match i {
                    0 if n > 2 => end_tangent(pts[1] - pts[0], pts[2] - pts[0]),
                    _ if i + 1 == n && n > 2 => {
                        end_tangent(pts[n - 1] - pts[n - 2], pts[n - 1] - pts[n - 3])
                    }
                    _ => {
                        let prev = if i == 0 { pts[0] } else { pts[i - 1] };
                        let next = if i + 1 == n { pts[n - 1] } else { pts[i + 1] };
                        (next - prev).normalized()
                    }
                };
                pts[i] + t.perp() * d
            })
            .collect();
        Polyline::new(out)
    }

    pub fn reversed(&self) -> Polyline {
        let mut p = self.points.clone();
        p.reverse();
        Polyline::new(p)
    }

    pub fn project(&self, q: V2) -> Projection {
        let mut nearest = crate::spatial::Nearest::new(self);
        nearest.scan(self, q, 0..self.points.len().saturating_sub(1), 0.0);
        nearest.projection
    }

    /// The sub-curve between arc lengths `a` and `b`.
    pub fn slice(&self, a: f64, b: f64) -> Polyline {
        let mut out = vec![self.sample(a).0];
        let mut s0 = 0.0;
        for w in self.points.windows(2) {
            let s1 = s0 + w[0].distance(w[1]);
            if s1 > a && s1 < b {
                out.push(w[1]);
            }
            s0 = s1;
        }
        out.push(self.sample(b).0);
        Polyline::new(out)
    }

    /// The painted pieces of a dashed line: `on` metres drawn, `off` metres skipped.
    pub fn dashes(&self, on: f64, off: f64) -> Vec<(V2, V2)> {
        let mut out = Vec::new();
        let period = on + off;
        let mut s = 0.0;
        for w in self.points.windows(2) {
            let len = w[0].distance(w[1]);
            let mut t = 0.0;
            while t < len {
                let phase = (s + t) % period;
                let step = if phase < on {
                    on - phase
                } else {
                    period - phase
                };
                let end = (t + step).min(len);
                if phase < on && len > 0.0 {
                    out.push((w[0].lerp(w[1], t / len), w[0].lerp(w[1], end / len)));
                }
                t = end + 1e-9;
            }
            s += len;
        }
        out
    }

    /// Smallest and largest corner of the axis-aligned box around the points.
    pub fn bounds(&self) -> Option<(V2, V2)> {
        bounds_of(self.points.iter().copied())
    }

    /// Appends points, skipping a duplicate of the current end.
    pub fn extend(&mut self, pts: impl IntoIterator<Item = V2>) {
        for p in pts {
            if self.points.last().is_none_or(|l| l.distance(p) > 1e-9) {
                self.points.push(p);
            }
        }
    }
}

/// An oriented rectangle in the ground plane.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Obb {
    pub center: V2,
    pub yaw: f64,
    pub half_length: f64,
    pub half_width: f64,
}

impl Obb {
    pub fn corners(&self) -> [V2; 4] {
        let f = V2::from_angle(self.yaw) * self.half_length;
        let l = V2::from_angle(self.yaw).perp() * self.half_width;
        let c = self.center;
        [c + f + l, c - f + l, c - f - l, c + f - l]
    }

    pub fn inflated(&self, margin: f64) -> Obb {
        Obb {
            half_length: self.half_length + margin,
            half_width: self.half_width + margin,
            ..*self
        }
    }

    /// Separating-axis test.
    pub fn overlaps(&self, o: &Obb) -> bool {
        let a = self.corners();
        let b = o.corners();
        let axes = [
            V2::from_angle(self.yaw),
            V2::from_angle(self.yaw).perp(),
            V2::from_angle(o.yaw),
            V2::from_angle(o.yaw).perp(),
        ];
        for axis in axes {
            let (amin, amax) = extent(&a, axis);
            let (bmin, bmax) = extent(&b, axis);
            if amax < bmin || bmax < amin {
                return false;
            }
        }
        true
    }

    pub fn contains(&self, p: V2) -> bool {
        let d = p - self.center;
        let f = V2::from_angle(self.yaw);
        d.dot(f).abs() <= self.half_length && d.dot(f.perp()).abs() <= self.half_width
    }
}

fn extent(pts: &[V2; 4], axis: V2) -> (f64, f64) {
    pts.iter()
        .map(|p| p.dot(axis))
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        })
}

/// Points of a cubic Bézier between two poses, `n` segments.
pub fn bezier(a: V2, a_dir: V2, b: V2, b_dir: V2, n: usize) -> Vec<V2> {
    let k = a.distance(b) * 0.4;
    let (p0, p1, p2, p3) = (a, a + a_dir * k, b - b_dir * k, b);
    (0..=n)
        .map(|i| {
            let t = i as f64 / n as f64;
            let u = 1.0 - t;
            p0 * (u * u * u) + p1 * (3.0 * u * u * t) + p2 * (3.0 * u * t * t) + p3 * (t * t * t)
        })
        .collect()
}

/// The tangent at a polyline's end vertex, from its end chord and the central tangent of
/// the vertex next to it (both pointing along the line): the central tangent mirrored about
/// the chord, exact for evenly sampled arcs and straight lines alike. A sharp corner next to
/// the end (no arc) keeps the chord.
fn end_tangent(chord: V2, across_next: V2) -> V2 {
    const ARC_TURN: f64 = 0.5;
    // Below this a line is straight: mirroring would only add rounding to its offset.
    const STRAIGHT: f64 = 1e-9;
    let (c, t) = (chord.normalized(), across_next.normalized());
    let turn = c.cross(t).abs();
    if turn < STRAIGHT || turn > libm::sin(ARC_TURN) || c.dot(t) <= 0.0 {
        return c;
    }
    c * (2.0 * c.dot(t)) - t
}

/// Points of a circular arc around `center` from angle `a0` through `sweep` radians.
pub fn arc(center: V2, radius: f64, a0: f64, sweep: f64, step: f64) -> Vec<V2> {
    let n = ((sweep.abs() * radius / step).ceil() as usize).max(2);
    (0..=n)
        .map(|i| center + V2::from_angle(a0 + sweep * i as f64 / n as f64) * radius)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn projection_signs_and_arc_length() {
        let line = Polyline::new(vec![v2(0.0, 0.0), v2(10.0, 0.0), v2(10.0, 10.0)]);
        assert!((line.length() - 20.0).abs() < 1e-12);
        let p = line.project(v2(4.0, 1.5));
        assert!((p.s - 4.0).abs() < 1e-12 && (p.lateral - 1.5).abs() < 1e-12);
        let p = line.project(v2(11.0, 5.0));
        assert!((p.s - 15.0).abs() < 1e-12 && (p.lateral + 1.0).abs() < 1e-12);
        let (pt, t) = line.sample(12.0);
        assert!(pt.distance(v2(10.0, 2.0)) < 1e-12 && t.distance(v2(0.0, 1.0)) < 1e-12);
    }

    #[test]
    fn obb_overlap_matches_geometry() {
        let a = Obb {
            center: v2(0.0, 0.0),
            yaw: 0.0,
            half_length: 2.0,
            half_width: 1.0,
        };
        let touching = Obb {
            center: v2(3.9, 0.0),
            ..a
        };
        let apart = Obb {
            center: v2(4.1, 0.0),
            ..a
        };
        let rotated = Obb {
            center: v2(0.0, 2.5),
            yaw: std::f64::consts::FRAC_PI_2,
            ..a
        };
        assert!(a.overlaps(&touching));
        assert!(!a.overlaps(&apart));
        assert!(a.overlaps(&rotated));
        assert!(!a.overlaps(&Obb {
            center: v2(0.0, 3.1),
            ..rotated
        }));
    }

    #[test]
    fn an_offset_arc_ends_where_the_offset_circle_does() {
        // Two pieces of one ring, sampled coarsely (18 degrees a segment) as a small
        // roundabout's are: offset 12 m outwards, the first must end where the second
        // begins, on the circle of radius 17.6.
        let center = v2(3.0, -2.0);
        let first = Polyline::new(arc(center, 5.6, 0.4, 0.9, 2.0));
        let second = Polyline::new(arc(center, 5.6, 1.3, 0.5, 2.0));
        let (a, b) = (first.offset(-12.0), second.offset(-12.0));
        let (end, start) = (a.points[a.points.len() - 1], b.points[0]);
        assert!(end.distance(start) < 1e-9, "{end:?} vs {start:?}");
        for p in a.points.iter().chain(&b.points) {
            assert!((p.distance(center) - 17.6).abs() < 1e-9);
        }
        let expected = center + V2::from_angle(1.3) * 17.6;
        assert!(start.distance(expected) < 1e-9);
        // A corner next to the end is no arc: the end keeps its chord's normal.
        let corner = Polyline::new(vec![v2(0.0, 0.0), v2(5.0, 0.0), v2(5.0, 5.0)]);
        assert!(corner.offset(1.0).points[0].distance(v2(0.0, 1.0)) < 1e-12);
    }

    #[test]
    fn offset_of_a_straight_line_is_parallel() {
        let line = Polyline::new(vec![v2(0.0, 0.0), v2(5.0, 0.0), v2(10.0, 0.0)]);
        let left = line.offset(2.0);
        assert!(left.points.iter().all(|p| (p.y - 2.0).abs() < 1e-12));
    }
}
