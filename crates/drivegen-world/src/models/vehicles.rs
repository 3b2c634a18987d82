//! Vehicle models: a lower body lofted through rounded sections with wheel arches, a
//! painted cabin (roof and pillars) carrying flat glass panels, rolling wheels with rims,
//! lamps, a grille, plates and mirrors. Every class keeps inside its plan box.

use drivegen_labels::math::{Iso3, M3, V3, v3};
use drivegen_plan::Size3;
use drivegen_scenario::VehicleClass;
use rand_chacha::ChaCha8Rng;

use super::{Limb, LimbModel};
use crate::mesh::{MeshData, Part, PartsBuilder, Surface};
use crate::shapes::Section;

pub(super) fn identity() -> Iso3 {
    Iso3 {
        rotation: M3::IDENTITY,
        translation: v3(0.0, 0.0, 0.0),
    }
}

/// Linear interpolation in a table of (x, value) sorted by x, clamped at its ends.
fn interp(table: &[(f64, f64)], x: f64) -> f64 {
    let Some(&(x0, y0)) = table.first() else {
        return 0.0;
    };
    if x <= x0 {
        return y0;
    }
    for pair in table.windows(2) {
        let ((a, ya), (b, yb)) = (pair[0], pair[1]);
        if x <= b {
            let t = if b > a { (x - a) / (b - a) } else { 1.0 };
            return ya + (yb - ya) * t;
        }
    }
    table.last().map_or(y0, |p| p.1)
}

/// The shape of a car-like body, as fractions of the box (x of the length from the
/// centre, z of the height, half-widths of the width).
struct BodySpec {
    /// Top of the lower body (the bonnet, the belt line and the boot), rear to front.
    top: &'static [(f64, f64)],
    half_width: &'static [(f64, f64)],
    /// The cabin roof line, rear to front; the first and last stations sit on the belt
    /// (the rear window and windscreen slope between them and their neighbours).
    cabin: &'static [(f64, f64)],
    /// Pillars splitting the side windows (x fractions).
    pillars: &'static [f64],
    axles: &'static [f64],
    /// Wheel diameter (m).
    wheel: f64,
}

const CAR: BodySpec = BodySpec {
    top: &[
        (-0.5, 0.46),
        (-0.48, 0.53),
        (-0.42, 0.57),
        (0.18, 0.57),
        (0.36, 0.54),
        (0.47, 0.5),
        (0.5, 0.44),
    ],
    half_width: &[
        (-0.5, 0.43),
        (-0.48, 0.475),
        (-0.42, 0.49),
        (0.4, 0.49),
        (0.48, 0.46),
        (0.5, 0.41),
    ],
    cabin: &[
        (-0.37, 0.0),
        (-0.22, 0.93),
        (-0.14, 0.985),
        (0.02, 0.985),
        (0.1, 0.95),
        (0.27, 0.0),
    ],
    pillars: &[-0.06],
    axles: &[0.31, -0.3],
    wheel: 0.64,
};

const SUV: BodySpec = BodySpec {
    top: &[
        (-0.5, 0.5),
        (-0.48, 0.55),
        (-0.44, 0.56),
        (0.2, 0.56),
        (0.38, 0.54),
        (0.47, 0.51),
        (0.5, 0.46),
    ],
    half_width: CAR.half_width,
    cabin: &[
        (-0.47, 0.0),
        (-0.455, 0.95),
        (-0.42, 0.985),
        (0.06, 0.985),
        (0.13, 0.95),
        (0.29, 0.0),
    ],
    pillars: &[-0.28, -0.05],
    axles: &[0.3, -0.29],
    wheel: 0.74,
};

const VAN: BodySpec = BodySpec {
    top: &[
        (-0.5, 0.47),
        (-0.48, 0.5),
        (0.3, 0.5),
        (0.44, 0.45),
        (0.5, 0.38),
    ],
    half_width: &[(-0.5, 0.45), (-0.48, 0.49), (0.42, 0.49), (0.5, 0.43)],
    cabin: &[
        (-0.49, 0.0),
        (-0.485, 0.97),
        (-0.46, 0.99),
        (0.22, 0.99),
        (0.28, 0.96),
        (0.43, 0.0),
    ],
    pillars: &[-0.15, 0.12],
    axles: &[0.31, -0.3],
    wheel: 0.72,
};

/// Corner radii of the lower body and the cabin (m): (bottom, top).
pub(super) const BODY_RADII: (f64, f64) = (0.06, 0.12);
pub(super) const CABIN_RADII: (f64, f64) = (0.01, 0.1);
/// How far glass, lamps and plates stand off the painted surface (m): enough for the
/// depth buffer at a hundred metres, too little to see.
pub(super) const STANDOFF: f64 = 0.008;

/// The lower body: sections at every profile station plus a run of stations around each
/// wheel arch, where the underside rises over the wheel.
fn lower_body(spec: &BodySpec, size: &Size3, wheel_r: f64, sill: f64) -> Vec<Section> {
    let (l, w, h) = (size.length, size.width, size.height);
    let mut xs: Vec<f64> = spec.top.iter().map(|p| p.0 * l).collect();
    xs.extend(spec.half_width.iter().map(|p| p.0 * l));
    let arch = wheel_r + 0.06;
    for a in spec.axles {
        for k in [-1.02, -0.999, -0.6, 0.0, 0.6, 0.999, 1.02] {
            xs.push(a * l + k * arch);
        }
    }
    xs.retain(|x| x.abs() <= l / 2.0);
    xs.sort_by(f64::total_cmp);
    xs.dedup_by(|a, b| (*a - *b).abs() < 1e-3);
    let (first, last) = (xs.first().copied(), xs.last().copied());
    xs.iter()
        .map(|&x| {
            let mut z0 = sill;
            for a in spec.axles {
                let dx = x - a * l;
                if dx.abs() < arch {
                    z0 = z0.max(wheel_r + (arch * arch - dx * dx).sqrt());
                }
            }
            if Some(x) == first || Some(x) == last {
                z0 += 0.06;
            }
            let z1 = (interp(spec.top, x / l) * h).max(z0 + 0.08);
            let hw = interp(spec.half_width, x / l) * w;
            Section::new(x, z0, z1, hw, hw - 0.03 * w, BODY_RADII)
        })
        .collect()
}

/// The cabin: pillars and roof in paint, sitting on the lower body's belt line.
fn cabin(spec: &BodySpec, size: &Size3) -> Vec<Section> {
    let (l, w, h) = (size.length, size.width, size.height);
    spec.cabin
        .iter()
        .map(|&(fx, fz)| {
            let belt = interp(spec.top, fx) * h;
            let hw = interp(spec.half_width, fx) * w - 0.025 * w;
            Section::new(
                fx * l,
                belt - 0.03,
                (fz * h).max(belt + 0.03),
                hw,
                hw - 0.12 * w,
                CABIN_RADII,
            )
        })
        .collect()
}

/// A point of a section's ring in the actor frame.
fn ring_point(s: &Section, k: usize) -> V3 {
    let ring = s.ring();
    let (y, z) = ring[k % ring.len()];
    v3(s.along, y, z)
}

/// Ring indices of a section's sides: (bottom, top) of the +y side and of the -y side,
/// and the two ends of the roof (+y, -y). See [`Section::ring`]: two points a corner.
const LEFT_SIDE: (usize, usize) = (1, 2);
const RIGHT_SIDE: (usize, usize) = (6, 5);
const ROOF: (usize, usize) = (3, 4);

/// The ring point `k` of the cabin at `x`, interpolated between its stations.
fn cabin_point(sections: &[Section], x: f64, k: usize) -> V3 {
    let i = sections
        .windows(2)
        .position(|p| x <= p[1].along)
        .unwrap_or(sections.len().saturating_sub(2));
    let (a, b) = (&sections[i], &sections[(i + 1).min(sections.len() - 1)]);
    let t = if b.along > a.along {
        ((x - a.along) / (b.along - a.along)).clamp(0.0, 1.0)
    } else {
        0.0
    };
    ring_point(a, k).lerp(ring_point(b, k), t)
}

/// Moves `pts` off the surface along the polygon's own normal, towards `outside`.
fn stand_off(pts: &mut [V3], outside: V3) {
    for p in pts.iter_mut() {
        *p = *p + outside * STANDOFF;
    }
}

fn normalised(v: V3) -> V3 {
    let len = v.length();
    if len > 0.0 { v * (1.0 / len) } else { v }
}

/// Side windows of the cabin between its full-height stations, split at the pillars.
pub(super) fn side_windows(glass: &mut MeshData, sections: &[Section], pillars: &[f64], l: f64) {
    if sections.len() < 4 {
        return;
    }
    let start = sections[1].along + 0.06;
    let end = sections[sections.len() - 2].along - 0.04;
    let mut cuts = vec![start];
    for p in pillars {
        cuts.push(p * l - 0.05);
        cuts.push(p * l + 0.05);
    }
    cuts.push(end);
    cuts.sort_by(f64::total_cmp);
    for pane in cuts.chunks_exact(2) {
        let (x0, x1) = (pane[0], pane[1]);
        if x1 - x0 < 0.15 {
            continue;
        }
        let mut xs = vec![x0];
        xs.extend(
            sections
                .iter()
                .map(|s| s.along)
                .filter(|x| *x > x0 && *x < x1),
        );
        xs.push(x1);
        for (bottom_k, top_k, sign) in [
            (LEFT_SIDE.0, LEFT_SIDE.1, 1.0),
            (RIGHT_SIDE.0, RIGHT_SIDE.1, -1.0),
        ] {
            // The pane's edge at a share of the way up the cabin's side.
            let edge = |up: f64| -> Vec<V3> {
                xs.iter()
                    .map(|&x| {
                        cabin_point(sections, x, bottom_k).lerp(cabin_point(sections, x, top_k), up)
                    })
                    .collect()
            };
            let (lower, upper) = (edge(0.12), edge(0.94));
            let mut pts: Vec<V3> = lower.iter().chain(upper.iter().rev()).copied().collect();
            let side = cabin_point(sections, (x0 + x1) / 2.0, top_k)
                - cabin_point(sections, (x0 + x1) / 2.0, bottom_k);
            let out = normalised(v3(0.0, side.z * sign, -side.y * sign));
            stand_off(&mut pts, out);
            glass.polygon_facing(&pts, out);
        }
    }
}

/// The windscreen and rear window: the roof band between the last full-height station
/// and the belt at each end.
pub(super) fn screens(glass: &mut MeshData, sections: &[Section]) {
    let n = sections.len();
    if n < 4 {
        return;
    }
    for (full, low) in [(n - 2, n - 1), (1, 0)] {
        let (a, b) = (&sections[full], &sections[low]);
        let inset = |p: V3, q: V3| p.lerp(q, 0.06);
        let (a_left, a_right) = (ring_point(a, ROOF.0), ring_point(a, ROOF.1));
        // Both edges on the roof band, so the pane lies in its plane.
        let (b_left, b_right) = (ring_point(b, ROOF.0), ring_point(b, ROOF.1));
        let mut pts = vec![
            inset(a_right, a_left),
            inset(a_left, a_right),
            inset(b_left, b_right).lerp(a_left, 0.08),
            inset(b_right, b_left).lerp(a_right, 0.08),
        ];
        // The pane faces away from the cabin: forwards at the front.
        let away = if low > full { 1.0 } else { -1.0 };
        let mut out = normalised((pts[1] - pts[0]).cross(pts[3] - pts[0]));
        if out.x * away < 0.0 {
            out = out * -1.0;
        }
        stand_off(&mut pts, out);
        glass.polygon_facing(&pts, out);
    }
}

/// A flat rectangle facing +x (front) or -x (back), centred at (x, y, z).
pub(super) fn plate(mesh: &mut MeshData, x: f64, y: f64, z: f64, width: f64, height: f64) {
    let (hw, hh) = (width / 2.0, height / 2.0);
    let pts = [
        v3(x, y - hw, z - hh),
        v3(x, y + hw, z - hh),
        v3(x, y + hw, z + hh),
        v3(x, y - hw, z + hh),
    ];
    mesh.polygon_facing(&pts, v3(x.signum(), 0.0, 0.0));
}

/// Lamps, grille and number plates on the two ends of a body of `size` whose ends have
/// half-widths `ends` (rear, front) and tops `tops` (rear, front).
pub(super) fn fittings(
    p: &mut PartsBuilder,
    size: &Size3,
    night: bool,
    ends: (f64, f64),
    tops: (f64, f64),
    bumper: f64,
) {
    let (l, w) = (size.length, size.width);
    let front = l / 2.0 + STANDOFF;
    let back = -l / 2.0 - STANDOFF;
    let head = if night {
        Surface::Lamp([255, 245, 225], 60.0)
    } else {
        Surface::Lamp([235, 235, 225], 1.5)
    };
    let lamp_z = (tops.1 - 0.17).max(bumper + 0.2);
    let tail_z = (tops.0 - 0.18).max(bumper + 0.2);
    for side in [-1.0, 1.0] {
        let lamp_w = (0.16 * w).min(0.32);
        plate(
            p.mesh(head),
            front,
            side * (ends.1 - lamp_w / 2.0 - 0.06),
            lamp_z,
            lamp_w,
            0.1,
        );
        plate(
            p.mesh(Surface::TailLamp),
            back,
            side * (ends.0 - lamp_w / 2.0 - 0.04),
            tail_z,
            lamp_w,
            0.12,
        );
    }
    plate(
        p.mesh(Surface::DarkMetal),
        front,
        0.0,
        lamp_z - 0.03,
        (ends.1 * 2.0 - 0.7).max(0.3),
        0.14,
    );
    let plate_z = bumper + 0.14;
    let face = Surface::SignFace([228, 228, 218]);
    plate(p.mesh(face), front + 0.002, 0.0, plate_z, 0.52, 0.11);
    plate(p.mesh(face), back - 0.002, 0.0, plate_z, 0.52, 0.11);
}

/// One axle: two tyres with rims (the dark gaps between the spokes show them roll).
pub(super) fn axle(x: f64, track_half: f64, radius: f64, tyre_width: f64) -> LimbModel {
    let mut p = PartsBuilder::default();
    let id = identity();
    for side in [-1.0, 1.0] {
        let (inner, outer) = (side * (track_half - tyre_width), side * track_half);
        p.mesh(Surface::Tyre).tube(
            &id,
            v3(x, inner, radius),
            v3(x, outer, radius),
            (radius, radius),
            10,
        );
        let face = outer + side * 0.004;
        let disc = |r: f64, a0: f64, a1: f64, steps: usize| -> Vec<V3> {
            (0..=steps)
                .map(|k| {
                    let a = a0 + (a1 - a0) * k as f64 / steps as f64;
                    v3(x + r * a.cos(), face, radius + r * a.sin())
                })
                .collect()
        };
        let outwards = v3(0.0, side, 0.0);
        let rim: Vec<V3> = disc(radius * 0.64, 0.0, std::f64::consts::TAU, 8)
            .into_iter()
            .take(8)
            .collect();
        p.mesh(Surface::Metal).polygon_facing(&rim, outwards);
        for k in 0..5 {
            let a = std::f64::consts::TAU * f64::from(k) / 5.0;
            // A convex quad between two spokes (a fan triangulates it correctly).
            let mut gap = disc(radius * 0.28, a + 0.2, a + 0.95, 1);
            gap.extend(disc(radius * 0.56, a + 0.95, a + 0.2, 1));
            let gap: Vec<V3> = gap
                .into_iter()
                .map(|q| q + v3(0.0, side * 0.002, 0.0))
                .collect();
            p.mesh(Surface::DarkMetal).polygon_facing(&gap, outwards);
        }
    }
    LimbModel {
        limb: Limb::Axle { radius },
        pivot: v3(x, 0.0, radius),
        parts: p.finish(),
    }
}

/// A car, SUV or van: lofted body, cabin with glass, mirrors and fittings.
fn car_like(spec: &BodySpec, size: &Size3, color: [u8; 3], night: bool) -> Vec<LimbModel> {
    let (l, w, h) = (size.length, size.width, size.height);
    let radius = spec.wheel / 2.0;
    let sill = radius * 0.75;
    let mut p = PartsBuilder::default();
    let id = identity();
    let body = lower_body(spec, size, radius, sill);
    p.mesh(Surface::Body(color)).loft_x(&id, &body);
    let cab = cabin(spec, size);
    p.mesh(Surface::Body(color)).loft_x(&id, &cab);
    side_windows(p.mesh(Surface::Glass), &cab, spec.pillars, l);
    screens(p.mesh(Surface::Glass), &cab);
    // Mirrors at the foot of the windscreen, inside the box's width.
    if let Some(front) = cab.last() {
        let x = front.along - 0.12 * l;
        let belt = interp(spec.top, x / l) * h;
        for side in [-1.0, 1.0] {
            let y = side * (w / 2.0 - 0.05 * w);
            p.mesh(Surface::Body(color))
                .cuboid(v3(x, y, belt + 0.04), 0.0, 0.1, 0.1 * w, 0.11);
        }
    }
    let ends = (
        interp(spec.half_width, -0.5) * w,
        interp(spec.half_width, 0.5) * w,
    );
    let tops = (interp(spec.top, -0.5) * h, interp(spec.top, 0.5) * h);
    fittings(&mut p, size, night, ends, tops, sill + 0.06);
    let mut limbs = vec![LimbModel {
        limb: Limb::Body,
        pivot: v3(0.0, 0.0, 0.0),
        parts: p.finish(),
    }];
    let tyre_width = if w > 1.9 { 0.24 } else { 0.21 };
    for a in spec.axles {
        limbs.push(axle(a * l, 0.47 * w, radius, tyre_width));
    }
    limbs
}

/// A vehicle's limbs (body and axles) and, for two-wheelers, its rider's parts.
pub(super) fn vehicle(
    class: VehicleClass,
    size: &Size3,
    color: [u8; 3],
    night: bool,
    rng: &mut ChaCha8Rng,
) -> (Vec<LimbModel>, Option<Vec<Part>>) {
    match class {
        VehicleClass::Car => (car_like(&CAR, size, color, night), None),
        VehicleClass::Suv => (car_like(&SUV, size, color, night), None),
        VehicleClass::Van => (car_like(&VAN, size, color, night), None),
        VehicleClass::Truck => (super::heavy::truck(size, color, night), None),
        VehicleClass::Bus => (super::heavy::bus(size, color, night), None),
        VehicleClass::Motorcycle | VehicleClass::Bicycle => {
            let (limbs, rider) = super::two_wheelers::two_wheeler(class, size, color, night, rng);
            (limbs, Some(rider))
        }
    }
}
