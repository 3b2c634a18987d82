//! A top-down picture of a plan: roads, markings, crosswalks, props, actors as oriented
//! boxes coloured by class, signal heads and camera frusta. CPU only, milliseconds.

use std::path::Path;

use image::{Rgb, RgbImage};
use imageproc::drawing::{draw_filled_circle_mut, draw_polygon_mut};
use imageproc::point::Point;

use drivegen_scenario::{MarkingStyle, VehicleClass};

use crate::error::PlanError;
use crate::geom::{Obb, V2, arc, v2};
use crate::types::*;

pub const GRASS: Rgb<u8> = Rgb([86, 120, 66]);
pub const ASPHALT: Rgb<u8> = Rgb([62, 62, 66]);
pub const SIDEWALK: Rgb<u8> = Rgb([178, 176, 170]);
const WHITE: Rgb<u8> = Rgb([240, 240, 240]);
const YELLOW: Rgb<u8> = Rgb([235, 190, 40]);
const FRUSTUM: Rgb<u8> = Rgb([255, 220, 0]);

/// Painted and gap length of dashed markings (m).
pub const DASH: (f64, f64) = (3.0, 5.0);

/// Largest side of the picture in pixels.
const MAX_SIDE: f64 = 4096.0;
const PX_PER_M: f64 = 4.0;

/// A rendered map and the world-to-pixel transform it was drawn with.
#[derive(Debug)]
pub struct TopDown {
    pub image: RgbImage,
    /// World coordinates of the image's bottom-left corner.
    pub origin: V2,
    pub px_per_m: f64,
}

impl TopDown {
    /// Pixel coordinates (x right, y down) of a world point.
    pub fn to_px(&self, p: V2) -> (f64, f64) {
        let x = (p.x - self.origin.x) * self.px_per_m;
        let y = f64::from(self.image.height()) - (p.y - self.origin.y) * self.px_per_m;
        (x, y)
    }
}

/// Cityscapes colours, so the map reads like the semantic images.
pub fn class_color(class: ActorClass) -> Rgb<u8> {
    match class {
        ActorClass::Pedestrian => Rgb([220, 20, 60]),
        ActorClass::Vehicle(VehicleClass::Car | VehicleClass::Suv | VehicleClass::Van) => {
            Rgb([0, 0, 142])
        }
        ActorClass::Vehicle(VehicleClass::Truck) => Rgb([0, 0, 70]),
        ActorClass::Vehicle(VehicleClass::Bus) => Rgb([0, 60, 100]),
        ActorClass::Vehicle(VehicleClass::Motorcycle) => Rgb([0, 0, 230]),
        ActorClass::Vehicle(VehicleClass::Bicycle) => Rgb([119, 11, 32]),
    }
}

struct Canvas {
    map: TopDown,
}

impl Canvas {
    fn polygon(&mut self, pts: &[V2], color: Rgb<u8>) {
        let mut px: Vec<Point<i32>> = Vec::with_capacity(pts.len());
        for p in pts {
            let (x, y) = self.map.to_px(*p);
            let q = Point::new(x.round() as i32, y.round() as i32);
            if px.last() != Some(&q) {
                px.push(q);
            }
        }
        while px.len() > 1 && px.first() == px.last() {
            px.pop();
        }
        let distinct = px
            .iter()
            .map(|p| (p.x, p.y))
            .collect::<std::collections::BTreeSet<_>>()
            .len();
        if distinct >= 3 {
            draw_polygon_mut(&mut self.map.image, &px, color);
        }
    }

    fn segment(&mut self, a: V2, b: V2, width: f64, color: Rgb<u8>) {
        // Thinner than a pixel would round away entirely on axis-aligned roads.
        let width = width.max(1.0 / self.map.px_per_m);
        let n = (b - a).normalized().perp() * (width / 2.0);
        self.polygon(&[a + n, b + n, b - n, a - n], color);
    }

    fn line(&mut self, pts: &[V2], width: f64, color: Rgb<u8>, dash: Option<(f64, f64)>) {
        match dash {
            None => {
                for w in pts.windows(2) {
                    self.segment(w[0], w[1], width, color);
                }
            }
            Some((on, off)) => {
                for (a, b) in crate::geom::Polyline::new(pts.to_vec()).dashes(on, off) {
                    self.segment(a, b, width, color);
                }
            }
        }
    }

    fn disc(&mut self, c: V2, radius_m: f64, color: Rgb<u8>) {
        let (x, y) = self.map.to_px(c);
        let r = (radius_m * self.map.px_per_m).round().max(1.0) as i32;
        draw_filled_circle_mut(
            &mut self.map.image,
            (x.round() as i32, y.round() as i32),
            r,
            color,
        );
    }

    fn obb(&mut self, b: &Obb, color: Rgb<u8>) {
        self.polygon(&b.corners(), color);
    }
}

fn bounds(plan: &ScenePlan) -> (V2, V2) {
    let mut lo = v2(f64::INFINITY, f64::INFINITY);
    let mut hi = v2(f64::NEG_INFINITY, f64::NEG_INFINITY);
    let mut add = |p: V2, r: f64| {
        lo = v2(lo.x.min(p.x - r), lo.y.min(p.y - r));
        hi = v2(hi.x.max(p.x + r), hi.y.max(p.y + r));
    };
    for road in &plan.network.roads {
        let r = road.right_width().max(road.left_width()) + road.sidewalk;
        for p in &road.reference.points {
            add(*p, r);
        }
    }
    for j in &plan.network.junctions {
        for p in &j.area {
            add(*p, 0.0);
        }
    }
    for p in &plan.props {
        add(p.pose.pos(), p.size.length.max(p.size.width));
    }
    if !lo.x.is_finite() {
        return (v2(-50.0, -50.0), v2(50.0, 50.0));
    }
    let margin = 10.0;
    (lo - v2(margin, margin), hi + v2(margin, margin))
}

/// Draws the plan as it stands at its first capture.
pub fn render(plan: &ScenePlan) -> TopDown {
    let (lo, hi) = bounds(plan);
    let extent = (hi - lo).x.max((hi - lo).y).max(1.0);
    let px_per_m = PX_PER_M.min(MAX_SIDE / extent);
    let w = (((hi.x - lo.x) * px_per_m).ceil() as u32).clamp(16, MAX_SIDE as u32);
    let h = (((hi.y - lo.y) * px_per_m).ceil() as u32).clamp(16, MAX_SIDE as u32);
    let mut c = Canvas {
        map: TopDown {
            image: RgbImage::from_pixel(w, h, GRASS),
            origin: lo,
            px_per_m,
        },
    };
    let net = &plan.network;
    for walk in &net.walkways {
        if walk.kind == WalkwayKind::Sidewalk {
            c.polygon(&walk.outline, SIDEWALK);
        }
    }
    for road in &net.roads {
        let right = road.reference.offset(-road.right_width());
        let left = road
            .reference
            .offset(
                road.left_width()
                    .max(if road.lanes_left == 0 { 0.3 } else { 0.0 }),
            );
        for i in 0..road.reference.points.len().saturating_sub(1) {
            c.polygon(
                &[
                    left.points[i],
                    right.points[i],
                    right.points[i + 1],
                    left.points[i + 1],
                ],
                ASPHALT,
            );
        }
    }
    for j in &net.junctions {
        c.polygon(&j.area, ASPHALT);
        if let JunctionKind::Roundabout { island_radius, .. } = j.kind {
            c.polygon(
                &arc(j.center, island_radius, 0.0, std::f64::consts::TAU, 1.0),
                GRASS,
            );
        }
    }
    for walk in &net.walkways {
        if walk.kind == WalkwayKind::Corner {
            c.polygon(&walk.outline, SIDEWALK);
        }
    }
    for cw in &net.crosswalks {
        let [a, b, cc, d] = cw.corners;
        let across = d.distance(a);
        let stripes = (across / 0.5).floor() as usize;
        for k in (0..stripes).step_by(2) {
            let t0 = k as f64 / stripes as f64;
            let t1 = (k + 1) as f64 / stripes as f64;
            c.polygon(
                &[a.lerp(d, t0), b.lerp(cc, t0), b.lerp(cc, t1), a.lerp(d, t1)],
                WHITE,
            );
        }
    }
    for m in &net.markings {
        let pts = &m.line.points;
        let width = if m.role == MarkingRole::StopLine {
            0.4
        } else {
            0.15
        };
        match m.style {
            MarkingStyle::None => {}
            MarkingStyle::SolidWhite => c.line(pts, width, WHITE, None),
            MarkingStyle::DashedWhite => c.line(pts, width, WHITE, Some(DASH)),
            MarkingStyle::SolidYellow => c.line(pts, width, YELLOW, None),
            MarkingStyle::DashedYellow => c.line(pts, width, YELLOW, Some(DASH)),
            MarkingStyle::DoubleSolidYellow => {
                c.line(&m.line.offset(0.15).points, width, YELLOW, None);
                c.line(&m.line.offset(-0.15).points, width, YELLOW, None);
            }
        }
    }
    for stand in &plan.woodland {
        let [r, g, b] = stand.color;
        c.obb(
            &crate::woodland::stand_footprint(stand),
            Rgb([r / 2 + 20, g / 2 + 30, b / 2 + 10]),
        );
    }
    let t0 = plan.schedule.ticks.first().map_or(0.0, |t| t.time);
    for p in &plan.props {
        let fp = crate::props::prop_footprint(p);
        match p.kind {
            PropKind::Building => {
                let [r, g, b] = p.color;
                c.obb(&fp, Rgb([r / 2 + 40, g / 2 + 30, b / 2 + 30]));
            }
            PropKind::Tree => c.disc(p.pose.pos(), p.size.width / 2.0, Rgb(p.color)),
            PropKind::Pole => c.disc(p.pose.pos(), 0.3, Rgb([70, 62, 55])),
            PropKind::StreetLight => c.disc(p.pose.pos(), 0.4, Rgb([250, 240, 180])),
            PropKind::Sign(_) => c.disc(p.pose.pos(), 0.4, Rgb([200, 30, 30])),
            PropKind::Bin => c.disc(p.pose.pos(), 0.35, Rgb([60, 90, 60])),
            PropKind::Hydrant => c.disc(p.pose.pos(), 0.3, Rgb([220, 40, 30])),
            PropKind::BusShelter => c.obb(&fp, Rgb([120, 150, 170])),
            PropKind::Fence(_) => c.obb(&fp.inflated(0.1), Rgb([150, 120, 90])),
            PropKind::TrafficLight { junction, group } => {
                let state = net
                    .junctions
                    .get(junction as usize)
                    .and_then(|j| j.signal)
                    .map(|s| s.state(group, t0));
                let color = match state {
                    Some(LampState::Green) => Rgb([40, 220, 60]),
                    Some(LampState::Amber) => Rgb([250, 170, 0]),
                    _ => Rgb([230, 30, 30]),
                };
                c.disc(p.pose.pos(), 0.7, color);
            }
        }
    }
    for a in &plan.actors {
        let fp = a.footprint();
        c.obb(&fp, class_color(a.class));
        if a.role == Role::Ego {
            c.obb(&fp.inflated(-0.25), FRUSTUM);
        }
        // A light nose shows the heading.
        let nose = Obb {
            center: fp.center + a.pose.dir() * (fp.half_length * 0.8),
            half_length: fp.half_length * 0.2,
            ..fp
        };
        c.obb(&nose, Rgb([230, 230, 230]));
    }
    if let Some(ego) = plan.ego() {
        for cam in &plan.sensors.cameras {
            let yaw = ego.pose.yaw + cam.mount.yaw.to_radians();
            let origin =
                ego.pose.pos() + ego.pose.dir() * cam.mount.x + ego.pose.dir().perp() * cam.mount.y;
            let half = cam.hfov_deg.to_radians() / 2.0;
            for side in [-1.0, 1.0] {
                let far = origin + V2::from_angle(yaw + side * half) * 40.0;
                c.line(&[origin, far], 0.2, FRUSTUM, None);
            }
        }
    }
    c.map
}

/// Renders and writes the map as PNG; the file appears complete or not at all.
pub fn write_png(plan: &ScenePlan, path: &Path) -> Result<(), PlanError> {
    let map = render(plan);
    let tmp = path.with_extension("png.partial");
    map.image
        .save_with_format(&tmp, image::ImageFormat::Png)
        .map_err(|source| PlanError::Image {
            path: path.to_path_buf(),
            source,
        })?;
    std::fs::rename(&tmp, path).map_err(|source| PlanError::Write {
        path: path.to_path_buf(),
        source,
    })
}
