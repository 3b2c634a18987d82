use drivegen_plan::surface::point_in_polygon;
use drivegen_plan::{ScenePlan, plan};

use super::*;

fn scenario_plan(file: &str, variant: u32) -> ScenePlan {
    let path = format!("{}/../../scenarios/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).expect("example scenario");
    let s = drivegen_scenario::load_str(&path, &text)
        .expect("loads")
        .scenario;
    plan(&s, variant).expect("plans")
}

fn vertices(o: &WorldObject) -> Vec<V2> {
    o.parts
        .iter()
        .flat_map(|p| p.mesh.positions.iter())
        .map(|q| V2 {
            x: f64::from(q[0]),
            y: f64::from(q[1]),
        })
        .collect()
}

#[test]
fn motorways_get_rails_that_stay_off_every_carriageway_and_open_at_ramps() {
    for variant in 0..2 {
        let p = scenario_plan("highway_merge.ron", variant);
        let rails = guard_rails(&p).expect("a motorway has guard rails");
        assert_eq!(rails.class, Class::GuardRail);
        let verts = vertices(&rails);
        // Rails run along most of the motorway's right edge (all but the ramp openings).
        let mut along = 0;
        let mut covered = 0;
        for road in p.network.roads.iter().filter(|r| r.kind == RoadKind::Main) {
            let edge = road.reference.offset(-(road.right_width() + POST_SETBACK));
            let n = (edge.length() / 5.0) as usize;
            for k in 0..n {
                let (q, _) = edge.sample(k as f64 * 5.0);
                along += 1;
                covered += usize::from(verts.iter().any(|v| v.distance(q) < 1.5));
            }
        }
        assert!(
            covered * 10 > along * 7,
            "rails along {covered} of {along} stations of the right edge"
        );
        assert!(covered < along, "the rail opens where the ramps join");
        for v in &verts {
            for road in &p.network.roads {
                let proj = road.reference.project(*v);
                let paved = if proj.lateral < 0.0 {
                    road.right_width()
                } else {
                    road.left_width()
                        .max(if road.lanes_left == 0 { 0.3 } else { 0.0 })
                };
                // Only where the projection is not clamped to an end of the road.
                let inside_span = proj.s > 0.0 && proj.s < road.reference.length();
                assert!(
                    !inside_span || proj.point.distance(*v) > paved + 0.05,
                    "rail vertex {v:?} on road {} ({:?}): {:.2} m from its reference, paved to {paved:.2}",
                    road.id,
                    road.kind,
                    proj.point.distance(*v)
                );
            }
            for j in &p.network.junctions {
                assert!(
                    !point_in_polygon(*v, &j.area),
                    "rail inside junction {}",
                    j.id
                );
            }
        }
        // The on-ramp joins the motorway: the rail on that side opens for it.
        let ramps: Vec<_> = p
            .network
            .roads
            .iter()
            .filter(|r| r.kind == RoadKind::Ramp)
            .collect();
        assert!(!ramps.is_empty(), "highway merge has ramps");
    }
}

#[test]
fn streets_with_sidewalks_get_no_rails() {
    let p = scenario_plan("urban_intersection.ron", 0);
    assert!(p.network.roads.iter().all(|r| !has_guard_rails(r)));
    assert!(guard_rails(&p).is_none());
}

#[test]
fn every_rail_face_faces_outwards() {
    // A straight 10 m rail: 6 posts, 5 beam segments, 2 caps.
    let net = drivegen_plan::RoadNetwork::default();
    let surfaces = Surfaces::new(&net);
    let line = Polyline::new(vec![V2 { x: 0.0, y: 0.0 }, V2 { x: 10.0, y: 0.0 }]);
    let mut mesh = MeshData::default();
    rail_along(&mut mesh, &line, 1.0, &surfaces);
    let pos = |i: u32| {
        let q = mesh.positions[i as usize];
        v3(f64::from(q[0]), f64::from(q[1]), f64::from(q[2]))
    };
    // Winding and stored normals agree...
    let mut volume = 0.0;
    for tri in mesh.indices.chunks_exact(3) {
        let [a, b, c] = [pos(tri[0]), pos(tri[1]), pos(tri[2])];
        let n = (b - a).cross(c - a);
        volume += a.dot((b - a).cross(c - a)) / 6.0;
        if n.length() < 1e-12 {
            continue;
        }
        let stored = mesh.normals[tri[0] as usize];
        let stored = v3(
            f64::from(stored[0]),
            f64::from(stored[1]),
            f64::from(stored[2]),
        );
        assert!(n.dot(stored) > 0.0, "winding and normal disagree");
    }
    // ...and the signed volume is the solid's (the posts stand open on z = 0, which
    // adds nothing about an origin on that plane): any inward face would lower it.
    let section: f64 = (0..BEAM.len())
        .map(|k| {
            let ((x0, y0), (x1, y1)) = (BEAM[k], BEAM[(k + 1) % BEAM.len()]);
            x0 * y1 - x1 * y0
        })
        .sum::<f64>()
        .abs()
        / 2.0;
    let expected = 6.0 * 0.1 * 0.15 * 0.75 + 10.0 * section;
    assert!(
        (volume - expected).abs() < 0.01 * expected,
        "signed volume {volume:.5} m3, the solid's {expected:.5} m3"
    );
}

/// The default scenario with a lot of furniture: every piece's mesh stays inside its
/// prop's box (its label box), and each kind carries its class.
#[test]
fn street_furniture_stays_inside_its_label_boxes() {
    use drivegen_plan::PropKind;
    let path = format!(
        "{}/../../scenarios/urban_intersection.ron",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path)
        .expect("example scenario")
        .replace(
            "woodland: 0.3,",
            "woodland: 0.3, bins: 6, hydrants: 4, bus_stops: 2, fences: 0.8,",
        );
    let s = drivegen_scenario::load_str(&path, &text)
        .expect("loads")
        .scenario;
    let mut seen = std::collections::BTreeMap::new();
    for variant in 0..2 {
        let p = plan(&s, variant).expect("plans");
        let objects = crate::statics::props(&p);
        for (prop, o) in p.props.iter().zip(&objects) {
            let class = match prop.kind {
                PropKind::Bin | PropKind::Hydrant => Class::StreetFurniture,
                PropKind::BusShelter => Class::Building,
                PropKind::Fence(_) => Class::Fence,
                _ => continue,
            };
            *seen.entry(format!("{:?}", prop.kind)).or_insert(0) += 1;
            assert_eq!(o.class, class, "{:?}", prop.kind);
            let b = o.label_box.expect("props are labelled");
            let (c, s) = (b.yaw.cos(), b.yaw.sin());
            for q in o.parts.iter().flat_map(|part| part.mesh.positions.iter()) {
                let (dx, dy) = (f64::from(q[0]) - b.base.x, f64::from(q[1]) - b.base.y);
                let (along, across) = (dx * c + dy * s, -dx * s + dy * c);
                let eps = 1e-4;
                assert!(
                    along.abs() <= b.length / 2.0 + eps
                        && across.abs() <= b.width / 2.0 + eps
                        && (-eps..=b.height + eps).contains(&f64::from(q[2])),
                    "{:?} {}: vertex ({along:.3}, {across:.3}, {:.3}) outside its {:.2} x {:.2} x {:.2} box",
                    prop.kind,
                    prop.id,
                    q[2],
                    b.length,
                    b.width,
                    b.height
                );
            }
        }
    }
    assert_eq!(
        seen.len(),
        6,
        "every kind (and fence style) placed: {seen:?}"
    );
}
