//! Indexes that keep placement linear in the size of the map: overlap tests against
//! nearby footprints only, projections onto the road segments within reach, and
//! sampling a long line by arc length without walking it from its start.

use crate::geom::{Obb, Polyline, Projection, V2, bounds_of, v2};

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
pub(crate) struct Nearest {
    d2: f64,
    pub(crate) projection: Projection,
}

impl Nearest {
    pub(crate) fn new(line: &Polyline) -> Nearest {
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
    pub(crate) fn scan(
        &mut self,
        line: &Polyline,
        q: V2,
        segments: std::ops::Range<usize>,
        mut s0: f64,
    ) {
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
            let (lo, hi) = bounds_of(line.points[first..=end].iter().copied()).unwrap_or_default();
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
        let (lo, hi) = bounds_of(corners).unwrap_or((fp.center, fp.center));
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
