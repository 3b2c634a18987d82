//! Planner acceptance: determinism, independent streams, and placement rules checked
//! geometrically against the planned road network (not against the planner's own
//! bookkeeping).

use std::path::PathBuf;

use drivegen_plan::geom::V2;
use drivegen_plan::surface::Surfaces;
use drivegen_plan::{ActorClass, LaneKind, PlanError, Role, ScenePlan, plan, to_ron};
use drivegen_scenario::{Param, Scenario, load_file};

fn examples() -> Vec<(String, Scenario)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("scenarios/")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "ron"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|f| {
            let s = load_file(&f)
                .unwrap_or_else(|e| panic!("{}: {e}", f.display()))
                .scenario;
            (
                f.file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                s,
            )
        })
        .collect()
}

fn all_plans() -> Vec<(String, ScenePlan)> {
    let mut out = Vec::new();
    for (name, s) in examples() {
        for v in 0..s.variants.min(3) {
            let p = plan(&s, v).unwrap_or_else(|e| panic!("{name} variant {v}: {e}"));
            out.push((format!("{name}#{v}"), p));
        }
    }
    out
}

#[test]
fn every_example_plans_byte_identically_twice() {
    for (name, s) in examples() {
        for v in 0..s.variants.min(3) {
            let a = to_ron(&plan(&s, v).expect("plans"));
            let b = to_ron(&plan(&s, v).expect("plans"));
            assert!(a == b, "{name} variant {v} differs between two runs");
            assert!(a.len() > 1000, "{name}: plan suspiciously small");
        }
    }
}

#[test]
fn variants_differ_and_plans_round_trip_through_ron() {
    let (_, s) = examples()
        .into_iter()
        .find(|(n, _)| n == "urban_intersection.ron")
        .expect("default example");
    let a = plan(&s, 0).expect("plans");
    let b = plan(&s, 1).expect("plans");
    assert_ne!(a.actors, b.actors, "variants must sample different scenes");
    let text = to_ron(&a);
    let back: ScenePlan = ron::from_str(&text).expect("plan.ron parses back");
    assert_eq!(to_ron(&back), text);
}

#[test]
fn pedestrian_count_does_not_move_vehicles() {
    let (_, mut s) = examples()
        .into_iter()
        .find(|(n, _)| n == "urban_intersection.ron")
        .expect("default");
    let vehicles = |p: &ScenePlan| -> Vec<_> {
        p.actors
            .iter()
            .filter(|a| a.role != Role::Pedestrian)
            .map(|a| (a.id, a.pose, a.size, a.route.clone()))
            .collect()
    };
    s.pedestrians.count = Param::Const(0.0);
    let none = plan(&s, 0).expect("plans");
    s.pedestrians.count = Param::Const(25.0);
    let many = plan(&s, 0).expect("plans");
    assert_eq!(
        many.actors
            .iter()
            .filter(|a| a.role == Role::Pedestrian)
            .count(),
        25
    );
    assert_eq!(vehicles(&none), vehicles(&many));
    assert_eq!(none.props, many.props);
    assert_eq!(none.network, many.network);
}

#[test]
fn no_two_actors_overlap() {
    for (name, p) in all_plans() {
        for (i, a) in p.actors.iter().enumerate() {
            for b in &p.actors[i + 1..] {
                assert!(
                    !a.footprint().overlaps(&b.footprint()),
                    "{name}: actors {} and {} overlap",
                    a.id,
                    b.id
                );
            }
        }
    }
}

#[test]
fn vehicles_sit_on_a_driving_lane_facing_its_direction() {
    for (name, p) in all_plans() {
        for a in p
            .actors
            .iter()
            .filter(|a| matches!(a.class, ActorClass::Vehicle(_)))
        {
            // Search every lane: the actor's own lane field is not trusted here.
            let ok = p
                .network
                .lanes
                .iter()
                .filter(|l| l.kind == LaneKind::Driving)
                .any(|lane| {
                    let proj = lane.center.project(a.pose.pos());
                    let road = lane.road.and_then(|r| p.network.roads.get(r as usize));
                    let allowed = match a.role {
                        // Parked vehicles stand at the kerb: lane plus shoulder.
                        Role::Parked => lane.width / 2.0 + road.map_or(0.0, |r| r.shoulder) + 0.05,
                        _ => 0.05,
                    };
                    let heading = V2::from_angle(a.pose.yaw).dot(proj.tangent);
                    proj.lateral.abs() <= allowed
                        && heading > 0.996
                        && proj.s > 0.0
                        && proj.s < lane.length
                });
            assert!(
                ok,
                "{name}: vehicle {} at ({:.1}, {:.1}) is not on a lane in its direction",
                a.id, a.pose.x, a.pose.y
            );
        }
    }
}

#[test]
fn pedestrians_stand_on_walkable_areas() {
    let mut seen = 0;
    for (name, p) in all_plans() {
        let surfaces = Surfaces::new(&p.network);
        for a in p.actors.iter().filter(|a| a.role == Role::Pedestrian) {
            seen += 1;
            assert!(
                surfaces.on_walkway(a.pose.pos()),
                "{name}: pedestrian {} is off the walkways",
                a.id
            );
            let on_carriageway = p
                .network
                .lanes
                .iter()
                .filter(|l| l.kind == LaneKind::Driving)
                .any(|l| {
                    let proj = l.center.project(a.pose.pos());
                    proj.lateral.abs() < l.width / 2.0 && proj.s > 0.0 && proj.s < l.length
                });
            let on_crosswalk = p
                .network
                .crosswalks
                .iter()
                .any(|c| drivegen_plan::surface::point_in_polygon(a.pose.pos(), &c.corners));
            assert!(
                !on_carriageway || on_crosswalk,
                "{name}: pedestrian {} stands in a lane",
                a.id
            );
        }
    }
    assert!(
        seen > 50,
        "the examples should place pedestrians, saw {seen}"
    );
}

#[test]
fn impossible_density_names_the_failing_rule() {
    let (_, mut s) = examples()
        .into_iter()
        .find(|(n, _)| n == "urban_intersection.ron")
        .expect("default");
    s.traffic.vehicles = Param::Const(900.0);
    s.rules.max_attempts = 50;
    match plan(&s, 0) {
        Err(PlanError::RulesUnsatisfiable {
            what,
            attempts,
            failures,
        }) => {
            assert!(what.starts_with("vehicle "), "{what}");
            assert_eq!(attempts, 50);
            let total: u32 = failures.iter().map(|(_, n)| n).sum();
            assert_eq!(
                total, 50,
                "every attempt is tallied under a rule: {failures:?}"
            );
            let msg = PlanError::RulesUnsatisfiable {
                what,
                attempts,
                failures,
            }
            .to_string();
            assert!(msg.contains("failed") && msg.contains("times"), "{msg}");
        }
        other => panic!("expected an unsatisfiable-rules error, got {other:?}"),
    }
}

#[test]
fn map_png_shows_asphalt_under_lane_centres() {
    use drivegen_plan::topdown::{ASPHALT, render};
    for (name, p) in all_plans() {
        let map = render(&p);
        let (w, h) = map.image.dimensions();
        let mut hits = 0;
        let mut samples = 0;
        for lane in p
            .network
            .lanes
            .iter()
            .filter(|l| l.kind == LaneKind::Driving)
        {
            let mut s = 1.0;
            while s < lane.length - 1.0 {
                let (pt, _) = lane.center.sample(s);
                s += 3.0;
                // Skip points under drawn actors, stop lines and crosswalks.
                let covered = p
                    .actors
                    .iter()
                    .any(|a| a.footprint().inflated(0.6).contains(pt))
                    || lane.stop.is_some_and(|st| (st.s - (s - 3.0)).abs() < 1.0)
                    || p.network
                        .crosswalks
                        .iter()
                        .any(|c| drivegen_plan::surface::point_in_polygon(pt, &c.corners));
                if covered {
                    continue;
                }
                let (x, y) = map.to_px(pt);
                if x < 0.0 || y < 0.0 || x >= f64::from(w) || y >= f64::from(h) {
                    continue;
                }
                samples += 1;
                if *map.image.get_pixel(x as u32, y as u32) == ASPHALT {
                    hits += 1;
                }
            }
        }
        assert!(samples > 20, "{name}: too few lane samples ({samples})");
        let share = f64::from(hits) / f64::from(samples);
        assert!(
            share > 0.95,
            "{name}: only {:.1}% of lane-centre pixels are asphalt",
            share * 100.0
        );
    }
}
