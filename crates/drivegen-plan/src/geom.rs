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

/// The arc length at each point of a polyline, for sampling one long line many times:
/// [`Polyline::sample`] walks the line from its start on every call.
#[derive(Clone, Debug)]
pub struct ArcTable {
    cumulative: Vec<f64>,
}

impl ArcTable {
    pub fn new(line: &Polyline) -> ArcTable {
        let mut s = 0.0;
        let mut cumulative = Vec::with_capacity(line.points.len());
        for (i, p) in line.points.iter().enumerate() {
            if i > 0 {
                s += line.points[i - 1].distance(*p);
            }
            cumulative.push(s);
        }
        ArcTable { cumulative }
    }

    /// [`Polyline::sample`] of `line` (the polyline this table was built from), equal
    /// up to rounding: the point and unit tangent at arc length `s`, clamped to the ends.
    pub fn sample(&self, line: &Polyline, s: f64) -> (V2, V2) {
        let pts = &line.points;
        if pts.len() < 2 || self.cumulative.len() != pts.len() {
            return line.sample(s);
        }
        let s = s.max(0.0);
        // The first segment that ends at or beyond `s`.
        let i = self.cumulative[1..].partition_point(|&end| end < s);
        if i + 1 >= pts.len() {
            let n = pts.len();
            return (pts[n - 1], (pts[n - 1] - pts[n - 2]).normalized());
        }
        let seg = self.cumulative[i + 1] - self.cumulative[i];
        let t = if seg > 0.0 {
            ((s - self.cumulative[i]) / seg).min(1.0)
        } else {
            0.0
        };
        (
            pts[i].lerp(pts[i + 1], t),
            (pts[i + 1] - pts[i]).normalized(),
        )
    }
}

/// The running nearest segment of a projection: segments scanned in increasing order
/// keep the first of equally near ones, so any scan that visits every segment that could
/// be nearest, in order, finds what a scan of all of them finds.
struct Nearest {
    d2: f64,
    projection: Projection,
}

impl Nearest {
    fn new(line: &Polyline) -> Nearest {
        Nearest {
            d2: f64::INFINITY,
            projection: Projection {
                s: 0.0,
                lateral: f64::INFINITY,
                tangent: v2(1.0, 0.0),
                point: line.points.first().copied().unwrap_or_default(),
            },
        }
    }

    /// Scans segments `segments` (segment i runs from point i to i + 1), the first of
    /// which starts at arc length `s0`.
    fn scan(&mut self, line: &Polyline, q: V2, segments: std::ops::Range<usize>, mut s0: f64) {
        for w in line.points[segments.start..(segments.end + 1).min(line.points.len())].windows(2) {
            let seg = w[1] - w[0];
            let len2 = seg.dot(seg);
            let t = if len2 > 0.0 {
                ((q - w[0]).dot(seg) / len2).clamp(0.0, 1.0)
            } else {
                0.0
            };
            let p = w[0] + seg * t;
            let d2 = (q - p).dot(q - p);
            let len = libm::sqrt(len2);
            if d2 < self.d2 {
                self.d2 = d2;
                let tangent = seg.normalized();
                self.projection = Projection {
                    s: s0 + t * len,
                    lateral: tangent.cross(q - p),
                    tangent,
                    point: p,
                };
            }
            s0 += len;
        }
    }
}

/// A polyline's segments in runs, each with its bounding box and the arc length where it
/// starts, so a projection that only matters within some distance skips the runs
/// farther away: planning a long road would otherwise project every prop onto every
/// segment of it.
#[derive(Clone, Debug)]
pub struct SegmentIndex {
    runs: Vec<SegmentRun>,
}

#[derive(Clone, Debug)]
struct SegmentRun {
    segments: std::ops::Range<usize>,
    s0: f64,
    lo: V2,
    hi: V2,
}

impl SegmentIndex {
    /// Segments per run: long enough that a query tests few boxes, short enough that a
    /// run near the query holds few segments far from it.
    const RUN: usize = 16;

    pub fn new(line: &Polyline) -> SegmentIndex {
        let segments = line.points.len().saturating_sub(1);
        let mut runs = Vec::with_capacity(segments.div_ceil(Self::RUN));
        let mut s0 = 0.0;
        for first in (0..segments).step_by(Self::RUN) {
            let end = (first + Self::RUN).min(segments);
            let (lo, hi) = Polyline::new(line.points[first..=end].to_vec())
                .bounds()
                .unwrap_or_default();
            runs.push(SegmentRun {
                segments: first..end,
                s0,
                lo,
                hi,
            });
            // The same sums, in the same order, as a scan of the whole line.
            for w in line.points[first..=end].windows(2) {
                let seg = w[1] - w[0];
                s0 += libm::sqrt(seg.dot(seg));
            }
        }
        SegmentIndex { runs }
    }

    /// [`Polyline::project`] of `q` onto `line` (the polyline this index was built
    /// from), bit for bit, when its nearest point is within `reach`; otherwise the
    /// nearest point of the runs within `reach`, or `None` when there are none. Either
    /// way, a caller that only acts on points nearer than `reach` acts as it would on
    /// the full projection.
    pub fn project_within(&self, line: &Polyline, q: V2, reach: f64) -> Option<Projection> {
        let mut nearest = Nearest::new(line);
        let mut any = false;
        for run in &self.runs {
            let dx = (run.lo.x - q.x).max(q.x - run.hi.x).max(0.0);
            let dy = (run.lo.y - q.y).max(q.y - run.hi.y).max(0.0);
            if dx * dx + dy * dy <= reach * reach {
                nearest.scan(line, q, run.segments.clone(), run.s0);
                any = true;
            }
        }
        any.then_some(nearest.projection)
    }
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
    pub fn offset(&self, d: f64) -> Polyline {
        let pts = &self.points;
        let n = pts.len();
        if n < 2 {
            return self.clone();
        }
        let out = (0..n)
            .map(|i| {
                let prev = if i == 0 { pts[0] } else { pts[i - 1] };
                let next = if i + 1 == n { pts[n - 1] } else { pts[i + 1] };
                let t = (next - prev).normalized();
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
        let mut nearest = Nearest::new(self);
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
        let first = *self.points.first()?;
        Some(self.points.iter().fold((first, first), |(lo, hi), p| {
            (
                v2(lo.x.min(p.x), lo.y.min(p.y)),
                v2(hi.x.max(p.x), hi.y.max(p.y)),
            )
        }))
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

/// Footprints filed under the grid cells their bounding boxes cover, so an overlap test
/// looks only at the footprints nearby: placing thousands of props along a long road
/// would otherwise test each against all placed before it.
#[derive(Clone, Debug, Default)]
pub struct FootprintGrid {
    footprints: Vec<Obb>,
    cells: std::collections::BTreeMap<(i64, i64), Vec<usize>>,
}

impl FootprintGrid {
    /// Cell side in metres: most footprints (props, vehicles) fit in one or a few cells.
    const CELL: f64 = 8.0;

    fn cell_range(fp: &Obb) -> ((i64, i64), (i64, i64)) {
        let corners = fp.corners();
        let (lo, hi) = Polyline::new(corners.to_vec())
            .bounds()
            .unwrap_or((fp.center, fp.center));
        let cell = |v: f64| (v / Self::CELL).floor() as i64;
        ((cell(lo.x), cell(lo.y)), (cell(hi.x), cell(hi.y)))
    }

    pub fn insert(&mut self, fp: Obb) {
        let index = self.footprints.len();
        let ((x0, y0), (x1, y1)) = Self::cell_range(&fp);
        for x in x0..=x1 {
            for y in y0..=y1 {
                self.cells.entry((x, y)).or_default().push(index);
            }
        }
        self.footprints.push(fp);
    }

    /// Does any filed footprint overlap `fp`?
    pub fn overlaps(&self, fp: &Obb) -> bool {
        let ((x0, y0), (x1, y1)) = Self::cell_range(fp);
        (x0..=x1).any(|x| {
            self.cells
                .range((x, y0)..=(x, y1))
                .any(|(_, filed)| filed.iter().any(|&i| self.footprints[i].overlaps(fp)))
        })
    }
}

impl FromIterator<Obb> for FootprintGrid {
    fn from_iter<I: IntoIterator<Item = Obb>>(footprints: I) -> FootprintGrid {
        let mut grid = FootprintGrid::default();
        for fp in footprints {
            grid.insert(fp);
        }
        grid
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
    fn arc_table_samples_as_the_polyline_does() {
        let line = Polyline::new(
            (0..200)
                .map(|i| {
                    let a = f64::from(i) * 0.05;
                    v2(
                        f64::from(i) * 1.7 + libm::sin(a) * 3.0,
                        libm::cos(a * 1.3) * 5.0,
                    )
                })
                .collect(),
        );
        let table = ArcTable::new(&line);
        let length = line.length();
        for k in 0..=1000 {
            let s = -2.0 + (length + 4.0) * f64::from(k) / 1000.0;
            let (p, t) = line.sample(s);
            let (q, u) = table.sample(&line, s);
            assert!(p.distance(q) < 1e-9 && t.distance(u) < 1e-12, "at s = {s}");
        }
    }

    #[test]
    fn segment_index_projects_as_the_polyline_does_within_reach() {
        let line = Polyline::new(
            (0..300)
                .map(|i| {
                    let a = f64::from(i) * 0.03;
                    v2(libm::cos(a) * 80.0, libm::sin(a * 2.0) * 40.0)
                })
                .collect(),
        );
        let index = SegmentIndex::new(&line);
        let reach = 6.0;
        for k in 0..2000 {
            let q = v2(
                -90.0 + f64::from(k % 50) * 3.7,
                -50.0 + f64::from(k / 50) * 2.6,
            );
            let full = line.project(q);
            let near = index.project_within(&line, q, reach);
            if full.point.distance(q) < reach {
                assert_eq!(near, Some(full), "at {q:?}");
            } else if let Some(near) = near {
                assert!(near.point.distance(q) >= full.point.distance(q));
            }
        }
    }

    #[test]
    fn footprint_grid_finds_what_a_scan_finds() {
        let boxes: Vec<Obb> = (0..60)
            .map(|i| Obb {
                center: v2(f64::from(i % 10) * 7.3, f64::from(i / 10) * 9.1),
                yaw: f64::from(i) * 0.4,
                half_length: 1.0 + f64::from(i % 4) * 3.0,
                half_width: 0.5 + f64::from(i % 3),
            })
            .collect();
        let grid: FootprintGrid = boxes.iter().copied().collect();
        for k in 0..400 {
            let probe = Obb {
                center: v2(
                    -5.0 + f64::from(k % 20) * 4.1,
                    -5.0 + f64::from(k / 20) * 3.7,
                ),
                yaw: f64::from(k) * 0.7,
                half_length: 2.0,
                half_width: 0.8,
            };
            assert_eq!(
                grid.overlaps(&probe),
                boxes.iter().any(|b| b.overlaps(&probe)),
                "probe {k}"
            );
        }
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
    fn offset_of_a_straight_line_is_parallel() {
        let line = Polyline::new(vec![v2(0.0, 0.0), v2(5.0, 0.0), v2(10.0, 0.0)]);
        let left = line.offset(2.0);
        assert!(left.points.iter().all(|p| (p.y - 2.0).abs() < 1e-12));
    }
}
