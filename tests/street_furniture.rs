//! Street furniture in the plan: bins and hydrants in the kerb strip, bus shelters and
//! fences behind the sidewalk, nothing in a crosswalk's mouth, walkers' lines clear of
//! every prop, and furniture drawn from its own stream so it moves no other prop.

use drivegen_plan::geom::{Obb, V2};
use drivegen_plan::props::{KERB_STRIP, prop_footprint};
use drivegen_plan::surface::Surfaces;
use drivegen_plan::{Behavior, Prop, PropKind, Role, ScenePlan, SignKind, plan};
use drivegen_scenario::{Scenario, load_str};

/// A furnished town: a signalised 4-way junction and a roundabout-free straight, wide
/// sidewalks, plenty of everything, walkers on sidewalks and crosswalks.
const TOWN: &str = r#"Scenario(
    name: "furnished town",
    seed: 41,
    variants: 6,
    capture: (duration: 4, rate: 10),
    map: (
        blocks: Sequence([
            Straight(length: 80),
            Intersection(ways: 4, arm_length: 50, exit: Straight),
            Straight(length: 80),
        ]),
        lanes_per_direction: 1,
        shoulder_width: 2.0,
        sidewalk_width: Uniform(2.0, 4.0),
        crosswalks: true,
        roadside: (buildings: 4, trees: 4, poles: 3, signs: 2, street_lights: 3,
                   bins: 6, hydrants: 4, bus_stops: 2, fences: 0.6),
    ),
    traffic: (vehicles: 4, parked: 2),
    pedestrians: (count: 40, crossing_probability: 0.4),
)"#;

fn town() -> Scenario {
    load_str("town.ron", TOWN)
        .unwrap_or_else(|e| panic!("{e}"))
        .scenario
}

fn plans(s: &Scenario) -> Vec<ScenePlan> {
    (0..s.variants)
        .map(|v| plan(s, v).unwrap_or_else(|e| panic!("variant {v}: {e}")))
        .collect()
}

fn is_kerbside(kind: PropKind) -> bool {
    matches!(
        kind,
        PropKind::Bin
            | PropKind::Hydrant
            | PropKind::Pole
            | PropKind::StreetLight
            | PropKind::Sign(_)
    )
}

/// The footprint in pieces of at most a metre along its length: the road test takes a
/// footprint as the circle round it, too coarse for a 5 m fence.
fn pieces(p: &Prop) -> Vec<Obb> {
    let fp = prop_footprint(p);
    let n = (2.0 * fp.half_length).ceil().max(1.0) as usize;
    let piece = 2.0 * fp.half_length / n as f64;
    (0..n)
        .map(|k| Obb {
            center: fp.center + p.pose.dir() * ((k as f64 + 0.5) * piece - fp.half_length),
            half_length: piece / 2.0,
            ..fp
        })
        .collect()
}

/// How far a point lies outside the nearest carriageway's edge (m).
fn from_carriageway(p: &ScenePlan, q: V2) -> f64 {
    p.network
        .roads
        .iter()
        .map(|r| {
            let at = r.reference.project(q);
            let side = if at.lateral < 0.0 { -1.0 } else { 1.0 };
            at.point.distance(q) - r.verge_offset(side)
        })
        .fold(f64::INFINITY, f64::min)
}

#[test]
fn furniture_stands_where_it_belongs() {
    let s = town();
    let mut placed = [0usize; 5];
    for (v, p) in plans(&s).iter().enumerate() {
        let surfaces = Surfaces::new(&p.network);
        for x in &p.props {
            let fp = prop_footprint(x);
            match x.kind {
                PropKind::Bin | PropKind::Hydrant => {
                    placed[usize::from(x.kind == PropKind::Hydrant)] += 1;
                    assert!(!surfaces.blocks_prop(&fp, false), "#{v}: {x:?} on a road");
                    assert!(
                        surfaces.on_walkway(fp.center),
                        "#{v}: {x:?} off the walkways"
                    );
                }
                PropKind::BusShelter | PropKind::Fence(_) => {
                    placed[if x.kind == PropKind::BusShelter { 2 } else { 3 }] += 1;
                    for piece in pieces(x) {
                        assert!(
                            !surfaces.blocks_prop(&piece, true),
                            "#{v}: {x:?} on a road or sidewalk"
                        );
                    }
                }
                PropKind::Sign(SignKind::BusStop) => placed[4] += 1,
                _ => {}
            }
            // Kerbside props stand in the kerb strip, and out of crosswalks' mouths.
            if is_kerbside(x.kind) {
                for q in fp.corners() {
                    let out = from_carriageway(p, q);
                    assert!(
                        (0.0..=KERB_STRIP + 1e-9).contains(&out),
                        "#{v}: {x:?} has a corner {out:.3} m from the carriageway"
                    );
                }
                assert!(
                    !surfaces.at_crosswalk_mouth(&fp),
                    "#{v}: {x:?} stands in a crosswalk's mouth"
                );
            }
        }
        // Every shelter has its stop sign beside it.
        for shelter in p.props.iter().filter(|x| x.kind == PropKind::BusShelter) {
            let near = p.props.iter().any(|x| {
                x.kind == PropKind::Sign(SignKind::BusStop)
                    && x.pose.pos().distance(shelter.pose.pos()) < shelter.size.length / 2.0 + 5.0
            });
            assert!(near, "#{v}: shelter {} without its stop sign", shelter.id);
        }
    }
    let [bins, hydrants, shelters, fences, stop_signs] = placed;
    assert!(
        bins > 20 && hydrants > 10 && shelters > 2 && fences > 10 && stop_signs > 2,
        "too little furniture placed: {placed:?} (bins, hydrants, shelters, fences, stop signs)"
    );
}

/// A walker's body (about 0.5 m across) never meets a prop along its walk: walkers' lines
/// keep out of the kerb strip, and the kerb strip's props out of crosswalks' mouths.
#[test]
fn walkers_walk_clear_of_every_prop() {
    let s = town();
    let mut walks = 0;
    for (v, p) in plans(&s).iter().enumerate() {
        let grid: drivegen_plan::spatial::FootprintGrid =
            p.props.iter().map(prop_footprint).collect();
        for a in p.actors.iter().filter(|a| a.role == Role::Pedestrian) {
            let Behavior::Walk { path, .. } = &a.behavior else {
                continue;
            };
            walks += 1;
            let length = path.length();
            let steps = (length / 0.2).ceil() as usize;
            for k in 0..=steps {
                let (q, t) = path.sample(length * k as f64 / steps.max(1) as f64);
                let body = Obb {
                    center: q,
                    yaw: t.angle(),
                    half_length: 0.15,
                    half_width: 0.2,
                };
                assert!(
                    !grid.overlaps(&body),
                    "#{v}: walker {} walks through a prop at ({:.2}, {:.2})",
                    a.id,
                    q.x,
                    q.y
                );
            }
        }
    }
    assert!(walks > 100, "only {walks} walks checked");
}

/// Furniture comes from its own stream: asking for none leaves every building, tree,
/// pole, light and sign where it was.
#[test]
fn furniture_moves_no_other_prop() {
    let with = town();
    let without = load_str(
        "bare.ron",
        &TOWN.replace(
            "bins: 6, hydrants: 4, bus_stops: 2, fences: 0.6",
            "bins: 0, hydrants: 0, bus_stops: 0, fences: 0",
        ),
    )
    .unwrap_or_else(|e| panic!("{e}"))
    .scenario;
    let others = |p: &ScenePlan| -> Vec<(PropKind, V2, [u8; 3], u32)> {
        p.props
            .iter()
            .filter(|x| {
                !matches!(
                    x.kind,
                    PropKind::Bin
                        | PropKind::Hydrant
                        | PropKind::BusShelter
                        | PropKind::Fence(_)
                        | PropKind::Sign(SignKind::BusStop)
                        | PropKind::TrafficLight { .. }
                )
            })
            .map(|x| (x.kind, x.pose.pos(), x.color, x.detail))
            .collect()
    };
    let (a, b) = (plans(&with), plans(&without));
    let mut furniture = 0;
    for (v, (pa, pb)) in a.iter().zip(&b).enumerate() {
        assert_eq!(others(pa), others(pb), "#{v}: furniture moved other props");
        furniture += pa.props.len() - pb.props.len();
    }
    assert!(furniture > 0, "the furnished town has no furniture");
}
