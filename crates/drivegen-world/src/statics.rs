//! Static geometry from a plan: ground, roads, sidewalks, markings, crosswalks and props.

use drivegen_labels::Class;
use drivegen_labels::math::{Iso3, M3, V3, v3};
use drivegen_plan::geom::{Polyline, V2};
use drivegen_plan::streams;
use drivegen_plan::topdown::DASH;
use drivegen_plan::{
    JunctionKind, LampState, MarkingRole, PropKind, ScenePlan, SignKind, WalkwayKind,
};
use drivegen_scenario::MarkingStyle;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use crate::furniture::street;
use crate::mesh::{MeshData, PartsBuilder, Surface};
use crate::{BoxDims, WorldObject};

/// Kerb height: sidewalks stand this far above the carriageway (m).
pub const KERB: f64 = 0.15;
const PAINT_Z: f64 = 0.012;
const GROUND_Z: f64 = -0.03;

fn lift(p: V2, z: f64) -> V3 {
    v3(p.x, p.y, z)
}

fn lifted(line: &Polyline, z: f64) -> Vec<V3> {
    line.points.iter().map(|p| lift(*p, z)).collect()
}

fn thick_line(parts: &mut PartsBuilder, surface: Surface, a: V2, b: V2, width: f64) {
    let n = (b - a).normalized().perp() * (width / 2.0);
    parts.mesh(surface).quad(
        lift(a - n, PAINT_Z),
        lift(b - n, PAINT_Z),
        lift(b + n, PAINT_Z),
        lift(a + n, PAINT_Z),
    );
}

/// Ground, carriageways and paint: one object per stuff class (road 7, sidewalk 8, terrain 22).
pub fn stuff(plan: &ScenePlan) -> Vec<WorldObject> {
    let net = &plan.network;
    let mut road = PartsBuilder::default();
    let mut walk = PartsBuilder::default();
    let mut ground = PartsBuilder::default();

    // Terrain: one large quad under everything.
    let (lo, hi) = net.roads.iter().filter_map(|r| r.reference.bounds()).fold(
        (
            V2 {
                x: -100.0,
                y: -100.0,
            },
            V2 { x: 100.0, y: 100.0 },
        ),
        |(lo, hi), (a, b)| {
            (
                V2 {
                    x: lo.x.min(a.x),
                    y: lo.y.min(a.y),
                },
                V2 {
                    x: hi.x.max(b.x),
                    y: hi.y.max(b.y),
                },
            )
        },
    );
    let m = 400.0;
    ground.mesh(Surface::Grass).quad(
        v3(lo.x - m, lo.y - m, GROUND_Z),
        v3(hi.x + m, lo.y - m, GROUND_Z),
        v3(hi.x + m, hi.y + m, GROUND_Z),
        v3(lo.x - m, hi.y + m, GROUND_Z),
    );

    let mut rng = streams::stream(plan.variant_seed, "horizon");
    hills(ground.mesh(Surface::Hills), lo, hi, &mut rng);

    for r in &net.roads {
        let left_w = r
            .left_width()
            .max(if r.lanes_left == 0 { 0.3 } else { 0.0 });
        let left = r.reference.offset(left_w);
        let right = r.reference.offset(-r.right_width());
        // Across the road v counts lanes (3.5 units each), so every lane's wheel tracks
        // fall on the asphalt texture's tracks whatever the lane width.
        let per_lane = (3.5 / r.lane_width.max(0.5)) as f32;
        road.mesh(Surface::Asphalt).strip_uv(
            &lifted(&left, 0.0),
            &lifted(&right, 0.0),
            left_w as f32 * per_lane,
            -r.right_width() as f32 * per_lane,
        );
    }
    for j in &net.junctions {
        let area: Vec<V3> = j.area.iter().map(|p| lift(*p, -0.004)).collect();
        road.mesh(Surface::Asphalt).fan(&area);
        if let JunctionKind::Roundabout { island_radius, .. } = j.kind {
            let ring =
                drivegen_plan::geom::arc(j.center, island_radius, 0.0, std::f64::consts::TAU, 1.5);
            ground
                .mesh(Surface::Grass)
                .fan(&ring.iter().map(|p| lift(*p, KERB)).collect::<Vec<_>>());
        }
    }
    for w in &net.walkways {
        match w.kind {
            WalkwayKind::Sidewalk => {
                let a = w.center.offset(w.width / 2.0);
                let b = w.center.offset(-w.width / 2.0);
                // Slabs run along the walkway, square to the kerb.
                walk.mesh(Surface::Sidewalk).strip_uv(
                    &lifted(&a, KERB),
                    &lifted(&b, KERB),
                    (w.width / 2.0) as f32,
                    (-w.width / 2.0) as f32,
                );
                // A kerb quad faces right of its run (front faces are counter-clockwise):
                // the left edge runs backwards so both face away from the slab.
                for (edge, backwards) in [(&a, true), (&b, false)] {
                    let kerb = walk.mesh(Surface::Kerb);
                    for s in edge.points.windows(2) {
                        let (p, q) = if backwards {
                            (s[1], s[0])
                        } else {
                            (s[0], s[1])
                        };
                        kerb.quad(lift(p, 0.0), lift(q, 0.0), lift(q, KERB), lift(p, KERB));
                    }
                }
            }
            WalkwayKind::Corner => {
                let top: Vec<V3> = w.outline.iter().map(|p| lift(*p, KERB)).collect();
                walk.mesh(Surface::Sidewalk).fan(&top);
                let n = w.outline.len();
                // Outward is right of each edge of a counter-clockwise outline.
                let twice_area: f64 = (0..n)
                    .map(|i| {
                        let (a, b) = (w.outline[i], w.outline[(i + 1) % n]);
                        a.x * b.y - b.x * a.y
                    })
                    .sum();
                for i in 0..n {
                    let (a, b) = (w.outline[i], w.outline[(i + 1) % n]);
                    let (a, b) = if twice_area >= 0.0 { (a, b) } else { (b, a) };
                    walk.mesh(Surface::Kerb).quad(
                        lift(a, 0.0),
                        lift(b, 0.0),
                        lift(b, KERB),
                        lift(a, KERB),
                    );
                }
            }
        }
    }
    for c in &net.crosswalks {
        let [a, b, cc, d] = c.corners;
        let stripes = (d.distance(a) / 0.5).floor() as usize;
        for k in (0..stripes).step_by(2) {
            let t0 = k as f64 / stripes as f64;
            let t1 = (k + 1) as f64 / stripes as f64;
            road.mesh(Surface::PaintWhite).quad(
                lift(a.lerp(d, t0), PAINT_Z),
                lift(b.lerp(cc, t0), PAINT_Z),
                lift(b.lerp(cc, t1), PAINT_Z),
                lift(a.lerp(d, t1), PAINT_Z),
            );
        }
    }
    for mk in &net.markings {
        let width = if mk.role == MarkingRole::StopLine {
            0.4
        } else {
            0.15
        };
        let (surface, dashed, double) = match mk.style {
            MarkingStyle::None => continue,
            MarkingStyle::SolidWhite => (Surface::PaintWhite, false, false),
            MarkingStyle::DashedWhite => (Surface::PaintWhite, true, false),
            MarkingStyle::SolidYellow => (Surface::PaintYellow, false, false),
            MarkingStyle::DashedYellow => (Surface::PaintYellow, true, false),
            MarkingStyle::DoubleSolidYellow => (Surface::PaintYellow, false, true),
        };
        let lines = if double {
            vec![mk.line.offset(0.15), mk.line.offset(-0.15)]
        } else {
            vec![mk.line.clone()]
        };
        for line in lines {
            if dashed {
                for (a, b) in line.dashes(DASH.0, DASH.1) {
                    thick_line(&mut road, surface, a, b, width);
                }
            } else {
                for w in line.points.windows(2) {
                    thick_line(&mut road, surface, w[0], w[1], width);
                }
            }
        }
    }
    let stuff = |id: u16, class: Class, parts: PartsBuilder| WorldObject {
        id,
        class,
        parts: parts.finish(),
        label_box: None,
        signal: None,
    };
    vec![
        stuff(7, Class::Road, road),
        stuff(8, Class::Sidewalk, walk),
        stuff(22, Class::Terrain, ground),
    ]
}

fn sign_color(kind: SignKind) -> [u8; 3] {
    match kind {
        SignKind::Stop | SignKind::NoEntry => [200, 20, 25],
        SignKind::Yield | SignKind::SpeedLimit => [235, 235, 230],
        SignKind::Parking => [20, 60, 170],
        SignKind::BusStop => [236, 196, 36],
    }
}

/// A ring of low hills around the map (`lo`..`hi`), rising from the ground quad's
/// inner part to crests 500 m beyond the map, so the ground meets a horizon instead of
/// running flat into the sky.
fn hills(mesh: &mut MeshData, lo: V2, hi: V2, rng: &mut ChaCha8Rng) {
    const AROUND: usize = 120;
    let centre = v3((lo.x + hi.x) / 2.0, (lo.y + hi.y) / 2.0, 0.0);
    let half = ((hi.x - lo.x) / 2.0, (hi.y - lo.y) / 2.0);
    let waves: Vec<(f64, f64, f64)> = (2..9)
        .map(|k| {
            let amplitude = 22.0 / f64::from(k).powf(0.8) * rng.random_range(0.5..1.0);
            (
                f64::from(k),
                amplitude,
                rng.random_range(0.0..std::f64::consts::TAU),
            )
        })
        .collect();
    let crest = |t: f64| {
        let bumps: f64 = waves
            .iter()
            .map(|(k, a, phase)| a * (k * t + phase).sin())
            .sum();
        (34.0 + bumps).max(6.0)
    };
    // Rows run clockwise seen from above and outwards, so the slopes face the map.
    let ring = |beyond: f64, rise: f64| -> Vec<V3> {
        (0..AROUND)
            .map(|i| {
                let t = -std::f64::consts::TAU * i as f64 / AROUND as f64;
                let (c, s) = (t.cos(), t.sin());
                // A squircle around the map's rectangle.
                let r = |x: f64| x.signum() * x.abs().sqrt();
                let z = if rise > 0.0 {
                    crest(t) * rise
                } else {
                    GROUND_Z
                };
                centre + v3(r(c) * (half.0 + beyond), r(s) * (half.1 + beyond), z)
            })
            .collect()
    };
    let rows = vec![
        ring(300.0, 0.0),
        ring(450.0, 0.45),
        ring(600.0, 0.85),
        ring(750.0, 1.0),
    ];
    mesh.smooth_grid(&rows, true);
}

/// A tree inside its box (`size`: length, width, height): a tapering trunk, a few
/// branches and a crown of overlapping leaf blobs, its shape drawn from `rng`.
fn tree(
    parts: &mut PartsBuilder,
    frame: &Iso3,
    (l, w, h): (f64, f64, f64),
    leaves: [u8; 3],
    rng: &mut ChaCha8Rng,
) {
    let crown_base = h * rng.random_range(0.3..0.42);
    let crown = h - crown_base;
    let trunk_r = (0.08 + 0.012 * h).min(l.min(w) * 0.2);
    let top = v3(0.0, 0.0, crown_base + 0.35 * crown);
    parts
        .mesh(Surface::Bark)
        .tube(frame, v3(0.0, 0.0, 0.0), top, (trunk_r, trunk_r * 0.55), 7);
    let turn = rng.random_range(0.0..std::f64::consts::TAU);
    for k in 0..3 {
        let a = turn + std::f64::consts::TAU * f64::from(k) / 3.0;
        let from = v3(0.0, 0.0, crown_base * 0.85 + 0.25 * f64::from(k));
        let to = v3(
            0.3 * l * a.cos(),
            0.3 * w * a.sin(),
            crown_base + crown * rng.random_range(0.3..0.5),
        );
        parts
            .mesh(Surface::Bark)
            .tube(frame, from, to, (trunk_r * 0.45, trunk_r * 0.2), 5);
    }
    let foliage = parts.mesh(Surface::Foliage(leaves));
    // Keeps a blob inside the box: the label box and the drawn tree agree.
    let mut blob = |c: V3, r: V3| {
        let r = v3(
            r.x.min(l / 2.0 - c.x.abs()).max(0.1),
            r.y.min(w / 2.0 - c.y.abs()).max(0.1),
            r.z.min(h - c.z).min(c.z - crown_base * 0.8).max(0.1),
        );
        foliage.ellipsoid(frame, c, r, (-90.0, 90.0), (7, 4));
    };
    blob(
        v3(0.0, 0.0, crown_base + 0.55 * crown),
        v3(0.4 * l, 0.4 * w, 0.45 * crown),
    );
    for k in 0..4 {
        let a = turn + std::f64::consts::FRAC_PI_2 * f64::from(k) + rng.random_range(-0.5..0.5);
        let c = v3(
            0.2 * l * a.cos(),
            0.2 * w * a.sin(),
            crown_base + crown * rng.random_range(0.35..0.65),
        );
        blob(c, v3(0.3 * l, 0.3 * w, 0.3 * crown));
    }
}

/// One object per prop, with its instance id and label box.
pub fn props(plan: &ScenePlan) -> Vec<WorldObject> {
    let lights_on = plan.environment.street_lights_on;
    plan.props
        .iter()
        .map(|p| {
            let mut parts = PartsBuilder::default();
            let frame = Iso3 {
                rotation: M3::rot_z(p.pose.yaw),
                translation: v3(p.pose.x, p.pose.y, 0.0),
            };
            let (l, w, h) = (p.size.length, p.size.width, p.size.height);
            let mut signal = None;
            let class = match p.kind {
                PropKind::Building => {
                    parts.mesh(Surface::Facade(p.color)).cuboid_posed(
                        &frame,
                        v3(0.0, 0.0, 0.0),
                        l,
                        w,
                        h,
                    );
                    windows(&mut parts, &frame, l, w, h, p.detail);
                    Class::Building
                }
                PropKind::Tree => {
                    let mut rng = streams::stream(plan.variant_seed, &format!("tree/{}", p.id));
                    tree(&mut parts, &frame, (l, w, h), p.color, &mut rng);
                    Class::Vegetation
                }
                PropKind::Pole => {
                    parts
                        .mesh(Surface::Metal)
                        .cuboid_posed(&frame, v3(0.0, 0.0, 0.0), l, w, h);
                    Class::Pole
                }
                PropKind::StreetLight => {
                    parts
                        .mesh(Surface::Metal)
                        .cuboid_posed(&frame, v3(0.0, 0.0, 0.0), l, w, h);
                    parts.mesh(Surface::Metal).cuboid_posed(
                        &frame,
                        v3(0.9, 0.0, h - 0.15),
                        1.8,
                        0.15,
                        0.15,
                    );
                    let lamp = if lights_on {
                        Surface::Lamp([255, 236, 190], 40.0)
                    } else {
                        Surface::DarkMetal
                    };
                    parts
                        .mesh(lamp)
                        .cuboid_posed(&frame, v3(1.6, 0.0, h - 0.3), 0.6, 0.3, 0.15);
                    Class::Pole
                }
                PropKind::Sign(kind) => {
                    parts.mesh(Surface::Metal).cuboid_posed(
                        &frame,
                        v3(0.0, 0.0, 0.0),
                        0.08,
                        0.08,
                        h - 0.7,
                    );
                    parts
                        .mesh(Surface::SignFace(sign_color(kind)))
                        .cuboid_posed(&frame, v3(0.0, 0.0, h - 0.75), l, w, 0.7);
                    Class::TrafficSign
                }
                PropKind::TrafficLight { junction, group } => {
                    parts.mesh(Surface::Metal).cuboid_posed(
                        &frame,
                        v3(0.0, 0.0, 0.0),
                        0.15,
                        0.15,
                        h - 0.9,
                    );
                    parts.mesh(Surface::DarkMetal).cuboid_posed(
                        &frame,
                        v3(0.0, 0.0, h - 0.95),
                        0.3,
                        0.35,
                        0.95,
                    );
                    signal = Some((junction, group));
                    for (k, state) in [LampState::Red, LampState::Amber, LampState::Green]
                        .into_iter()
                        .enumerate()
                    {
                        let z = h - 0.3 - 0.3 * k as f64;
                        parts.mesh(Surface::SignalLamp(state)).cuboid_posed(
                            &frame,
                            v3(0.16, 0.0, z - 0.1),
                            0.04,
                            0.2,
                            0.2,
                        );
                    }
                    Class::TrafficLight
                }
                PropKind::Bin => {
                    street::bin(&mut parts, &frame, (l, w, h), p.color);
                    Class::StreetFurniture
                }
                PropKind::Hydrant => {
                    street::hydrant(&mut parts, &frame, (l, w, h), p.color);
                    Class::StreetFurniture
                }
                // Cityscapes counts a bus shelter as a building.
                PropKind::BusShelter => {
                    street::bus_shelter(&mut parts, &frame, (l, w, h));
                    Class::Building
                }
                PropKind::Fence(style) => {
                    street::fence(&mut parts, &frame, (l, w, h), p.color, style);
                    Class::Fence
                }
            };
            WorldObject {
                id: p.id as u16,
                class,
                parts: parts.finish(),
                label_box: Some(BoxDims {
                    base: v3(p.pose.x, p.pose.y, 0.0),
                    yaw: p.pose.yaw,
                    length: l,
                    width: w,
                    height: h,
                }),
                signal,
            }
        })
        .collect()
}

/// Window quads on the four facades: rows every 3.2 m, columns every 3 m, a few dark.
fn windows(parts: &mut PartsBuilder, frame: &Iso3, l: f64, w: f64, h: f64, detail: u32) {
    let mut bits = detail;
    let mesh = parts.mesh(Surface::Window);
    let floors = ((h - 1.0) / 3.2).floor() as usize;
    for (face_len, depth, rot) in [
        (l, w, 0.0),
        (w, l, std::f64::consts::FRAC_PI_2),
        (l, w, std::f64::consts::PI),
        (w, l, -std::f64::consts::FRAC_PI_2),
    ] {
        let face = Iso3 {
            rotation: frame.rotation.mul(&M3::rot_z(rot)),
            translation: frame.translation,
        };
        let cols = ((face_len - 1.0) / 3.0).floor() as usize;
        for f in 0..floors {
            for c in 0..cols {
                bits = bits.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                if bits >> 29 == 0 {
                    continue;
                }
                let x = -face_len / 2.0 + 1.5 + 3.0 * c as f64 + 0.5;
                let z = 1.0 + 3.2 * f as f64 + 0.9;
                let y = -(depth / 2.0) - 0.03;
                let q = |dx: f64, dz: f64| face.apply(v3(x + dx, y, z + dz));
                // The window texture spans each quad once, top of the image at the top.
                mesh.quad_uv(
                    [q(0.0, 0.0), q(1.4, 0.0), q(1.4, 1.5), q(0.0, 1.5)],
                    [[0.0, 1.0], [1.0, 1.0], [1.0, 0.0], [0.0, 0.0]],
                );
            }
        }
    }
}
