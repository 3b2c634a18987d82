//! Engine physics without a GPU: rapier contacts reach frame metadata, LiDAR returns lie on
//! the geometry the cameras and the label pass draw and name it as they do, and skipping
//! captures (resuming) changes neither.

use std::collections::BTreeSet;

use drivegen_labels::camera::{ego_from_mount, world_from_ego};
use drivegen_labels::math::{Iso3, M3, V3, v3};
use drivegen_labels::{Camera, IdDepth, Tri};
use drivegen_plan::{PropKind, Role, ScenePlan, plan};
use drivegen_scenario::LidarSpec;
use drivegen_sim::physics::LidarPoint;
use drivegen_sim::{Engine, EngineOptions, Frame};

fn labels_only() -> EngineOptions {
    EngineOptions {
        rgb: false,
        ..EngineOptions::default()
    }
}

fn scenario(name: &str) -> drivegen_scenario::Scenario {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../scenarios")
        .join(name);
    drivegen_scenario::load_file(&path)
        .expect("scenario")
        .scenario
}

/// The highway rig's LiDAR (32 x 1024 rays, 120 m).
fn highway_lidar() -> LidarSpec {
    scenario("highway_merge.ron")
        .sensors
        .lidar
        .expect("the highway rig has a lidar")
}

/// Variant `variant` of the downtown jam (buildings, crosswalks, dense traffic) with a LiDAR.
fn jam_with_lidar(variant: u32, spec: LidarSpec) -> ScenePlan {
    let mut p = plan(&scenario("downtown_jam.ron"), variant).expect("plans");
    p.sensors.lidar = Some(spec);
    p
}

/// The NCAP step-out without the ego's braking: the ego runs into the child (captures
/// with a contact), with a LiDAR.
fn step_out_without_braking(variant: u32, spec: LidarSpec) -> ScenePlan {
    let mut s = scenario("ncap_pedestrian_step_out.ron");
    s.events.retain(|e| e.name == "step_out");
    for e in &mut s.events {
        e.trigger = drivegen_scenario::events::Trigger::EgoTtc {
            below: 1.2,
            to: drivegen_scenario::events::Target::Actor,
        };
    }
    let mut p = plan(&s, variant).expect("plans");
    p.sensors.lidar = Some(spec);
    p
}

fn normalized(v: V3) -> V3 {
    v * (1.0 / v.length())
}

/// Where a return lies: the sensor's origin, the unit ray direction and the point (world).
fn ray_of(sensor: &Iso3, pt: &LidarPoint) -> (V3, V3, V3, f64) {
    let local = v3(f64::from(pt.x), f64::from(pt.y), f64::from(pt.z));
    let r = local.length();
    let dir = sensor.rotation.mul_v(normalized(local));
    (sensor.translation, dir, sensor.apply(local), r)
}

fn sensor_pose(frame: &Frame, spec: &LidarSpec) -> Iso3 {
    world_from_ego(&frame.ego).then(&ego_from_mount(&spec.mount))
}

/// Every static object's triangles with its instance id, as the label pass draws them.
fn static_triangles(engine: &Engine) -> Vec<(u16, Vec<Tri>)> {
    let identity = Iso3 {
        rotation: M3::IDENTITY,
        translation: v3(0.0, 0.0, 0.0),
    };
    engine
        .world()
        .statics
        .iter()
        .map(|o| {
            let mut tris = Vec::new();
            for p in &o.parts {
                p.mesh.triangles(&identity, &mut tris);
            }
            (o.id, tris)
        })
        .collect()
}

/// What the label pass (instance id and depth) sees at the centre of a one-pixel camera at
/// `origin` looking along `dir`: the id a camera pixel on that ray would carry.
fn label_pass_along(statics: &[(u16, Vec<Tri>)], origin: V3, dir: V3) -> (u16, f32) {
    let up = if dir.z.abs() > 0.99 {
        v3(1.0, 0.0, 0.0)
    } else {
        v3(0.0, 0.0, 1.0)
    };
    let right = normalized(dir.cross(up));
    let down = dir.cross(right);
    let cam = Camera::looking(
        1,
        1,
        0.01,
        Iso3 {
            rotation: M3::from_cols(right, down, dir),
            translation: origin,
        },
    );
    let mut raster = IdDepth::new(1, 1);
    for (id, tris) in statics {
        raster.draw(&cam, tris, *id);
    }
    (raster.ids[0], raster.depth[0])
}

/// Ids of every actor and rider (the returns the static-mesh checks skip).
fn actor_ids(engine: &Engine) -> BTreeSet<u16> {
    engine
        .world()
        .actors
        .iter()
        .flat_map(|a| [Some(a.id), a.rider_id])
        .flatten()
        .collect()
}

fn cityscapes_of(engine: &Engine, id: u16) -> Option<u8> {
    engine
        .world()
        .instance_classes()
        .iter()
        .find(|(i, _)| *i == id)
        .map(|(_, c)| c.cityscapes_id())
}

#[test]
fn overlapping_actors_are_reported_as_contacts() {
    let mut s = drivegen_scenario::load_default().expect("default").scenario;
    // Captured at once: traffic never drives further into a vehicle it overlaps, so over
    // a warm-up the two would come apart.
    s.capture.warmup = 0.0;
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
    let spec = highway_lidar();
    let p = plan(&scenario("highway_merge.ron"), 0).expect("plans");
    let mut engine = Engine::new(p.clone(), labels_only()).expect("engine");
    let frame = engine.next_frame().expect("a frame").expect("ok");
    let sensor = sensor_pose(&frame, &spec);
    let points = frame.lidar.expect("lidar sweep");
    assert!(points.len() > 5_000, "{} returns", points.len());
    let mut road = 0;
    let mut on_vehicle = 0;
    for pt in &points {
        let (_, _, world, r) = ray_of(&sensor, pt);
        assert!(r <= spec.range + 1e-3, "return beyond range: {r}");
        if let Some(actor) = p.actors.iter().find(|a| a.id == u32::from(pt.instance)) {
            on_vehicle += 1;
            assert!(
                world.z > -0.05 && world.z < actor.size.height + 0.05,
                "vehicle return at z = {}",
                world.z
            );
        } else if pt.class == 7 {
            road += 1;
            // The carriageway at 0, junction areas 4 mm below, paint 12 mm above.
            assert!(
                (-0.006..0.014).contains(&world.z),
                "road return off the road surface: z = {}",
                world.z
            );
        }
    }
    assert!(road > 1000, "road returns: {road}");
    assert!(on_vehicle > 10, "vehicle returns: {on_vehicle}");
}

#[test]
fn lidar_returns_match_the_label_pass_along_each_ray() {
    let spec = highway_lidar();
    let mut engine = Engine::new(jam_with_lidar(0, spec.clone()), labels_only()).expect("engine");
    let frame = engine.next_frame().expect("a frame").expect("ok");
    let sensor = sensor_pose(&frame, &spec);
    let statics = static_triangles(&engine);
    let actors = actor_ids(&engine);
    let points = frame.lidar.as_ref().expect("lidar sweep");
    let mut classes = std::collections::BTreeMap::new();
    let (mut probed, mut agree) = (0, 0);
    let mut disagreements = Vec::new();
    for (k, pt) in points.iter().enumerate() {
        if actors.contains(&pt.instance) {
            continue;
        }
        let (origin, dir, world, r) = ray_of(&sensor, pt);
        // Stuff carries its Cityscapes id as its instance id; every return names its class.
        assert_eq!(
            cityscapes_of(&engine, pt.instance),
            Some(pt.class),
            "return on instance {} has class {}",
            pt.instance,
            pt.class
        );
        *classes.entry(pt.class).or_insert(0) += 1;
        // Ground returns sit on their surfaces: road at 0 (junctions -4 mm, paint +12 mm),
        // sidewalks on the 15 cm kerb, terrain at -3 cm.
        let z_range = match pt.class {
            7 => -0.006..0.014,
            8 => -0.002..0.152,
            22 => -0.032..0.152,
            _ => f64::NEG_INFINITY..f64::INFINITY,
        };
        assert!(
            z_range.contains(&world.z),
            "class {} return at z = {}",
            pt.class,
            world.z
        );
        if k % 37 == 0 {
            probed += 1;
            let (id, depth) = label_pass_along(&statics, origin, dir);
            if id == pt.instance && (f64::from(depth) - r).abs() < 0.03 {
                agree += 1;
            } else {
                disagreements.push((pt.instance, r, id, depth));
            }
        }
    }
    for class in [7, 8, 11, 22] {
        assert!(
            classes.get(&class).copied().unwrap_or(0) > 100,
            "returns per class: {classes:?}"
        );
    }
    assert!(probed > 300, "{probed} rays compared");
    assert!(
        agree * 100 >= probed * 99,
        "the label pass agrees on {agree} of {probed} rays: (lidar id, range, label id, depth) {disagreements:?}"
    );
}

/// Distances along a ray to where it enters and leaves an oriented box (slab test).
fn ray_box(origin: V3, dir: V3, base: V3, yaw: f64, half: V3, height: f64) -> Option<(f64, f64)> {
    let to_box = M3::rot_z(-yaw);
    let o = to_box.mul_v(origin - base);
    let d = to_box.mul_v(dir);
    let (mut t0, mut t1) = (f64::NEG_INFINITY, f64::INFINITY);
    for (o, d, lo, hi) in [
        (o.x, d.x, -half.x, half.x),
        (o.y, d.y, -half.y, half.y),
        (o.z, d.z, 0.0, height),
    ] {
        if d.abs() < 1e-12 {
            if o < lo || o > hi {
                return None;
            }
            continue;
        }
        let (a, b) = ((lo - o) / d, (hi - o) / d);
        t0 = t0.max(a.min(b));
        t1 = t1.min(a.max(b));
    }
    (t0 <= t1 && t1 > 0.0).then_some((t0, t1))
}

#[test]
fn lidar_hits_buildings_at_their_analytic_distance() {
    let spec = highway_lidar();
    let p = jam_with_lidar(0, spec.clone());
    let mut engine = Engine::new(p.clone(), labels_only()).expect("engine");
    let frame = engine.next_frame().expect("a frame").expect("ok");
    let sensor = sensor_pose(&frame, &spec);
    let mut hits = 0;
    for pt in frame.lidar.as_ref().expect("lidar sweep") {
        let Some(prop) = p.props.iter().find(|q| q.id == u32::from(pt.instance)) else {
            continue;
        };
        if !matches!(prop.kind, PropKind::Building) {
            continue;
        }
        assert_eq!(pt.class, 11, "a building return is class building");
        let (origin, dir, _, r) = ray_of(&sensor, pt);
        let base = v3(prop.pose.x, prop.pose.y, 0.0);
        let half = v3(prop.size.length / 2.0, prop.size.width / 2.0, 0.0);
        // The facade, and the window panes 3 cm in front of it.
        let (facade, _) = ray_box(origin, dir, base, prop.pose.yaw, half, prop.size.height)
            .expect("the ray meets the building's box");
        let panes = v3(half.x + 0.031, half.y + 0.031, 0.0);
        let (front, _) = ray_box(origin, dir, base, prop.pose.yaw, panes, prop.size.height)
            .expect("the ray meets the panes' box");
        assert!(
            r > front - 0.01 && r < facade + 0.01,
            "building {} return at {r:.3} m, its facade at {facade:.3} m (panes from {front:.3} m)",
            prop.id
        );
        hits += 1;
    }
    assert!(hits > 200, "{hits} building returns");
}

#[test]
fn crosswalk_returns_are_road_as_in_the_semantic_image() {
    // A LiDAR 6 m above the first crosswalk, looking down at it.
    let probe = plan(&scenario("downtown_jam.ron"), 0).expect("plans");
    let crosswalk = probe.network.crosswalks[0].clone();
    let ego = probe
        .actors
        .iter()
        .find(|a| a.role == Role::Ego)
        .expect("ego")
        .pose;
    let c = crosswalk.corners;
    let centre = v3(
        (c[0].x + c[1].x + c[2].x + c[3].x) / 4.0,
        (c[0].y + c[1].y + c[2].y + c[3].y) / 4.0,
        0.0,
    );
    let local = M3::rot_z(-ego.yaw).mul_v(centre - v3(ego.x, ego.y, 0.0));
    let mut spec = LidarSpec {
        channels: 16,
        vertical_fov: (-89.0, -55.0),
        horizontal_resolution: 180,
        ..LidarSpec::default()
    };
    spec.mount.x = local.x;
    spec.mount.y = local.y;
    spec.mount.z = 6.0;
    let mut engine = Engine::new(jam_with_lidar(0, spec.clone()), labels_only()).expect("engine");
    let frame = engine.next_frame().expect("a frame").expect("ok");
    let sensor = sensor_pose(&frame, &spec);
    let statics = static_triangles(&engine);
    let actors = actor_ids(&engine);
    // Crosswalk coordinates: along the arm (0..3 m) and across the road.
    let along = normalized(v3(c[1].x - c[0].x, c[1].y - c[0].y, 0.0));
    let across = v3(crosswalk.across.x, crosswalk.across.y, 0.0);
    let half_road = v3(c[3].x - c[0].x, c[3].y - c[0].y, 0.0).length() / 2.0;
    let (mut paint, mut asphalt) = (0, 0);
    for pt in frame.lidar.as_ref().expect("lidar sweep") {
        if actors.contains(&pt.instance) {
            continue;
        }
        let (origin, dir, world, _) = ray_of(&sensor, pt);
        let rel = v3(world.x - centre.x, world.y - centre.y, 0.0);
        if rel.dot(along).abs() > 1.3 || rel.dot(across).abs() > half_road - 0.3 {
            continue;
        }
        let (id, _) = label_pass_along(&statics, origin, dir);
        let semantic = cityscapes_of(&engine, id).expect("a drawn id");
        assert_eq!(
            (pt.instance, pt.class),
            (id, semantic),
            "a crosswalk return at ({:.2}, {:.2}, {:.3}) names what the label pass draws",
            world.x,
            world.y,
            world.z
        );
        assert_eq!(pt.class, 7, "crosswalks are road");
        if world.z > 0.008 {
            paint += 1;
        } else {
            asphalt += 1;
        }
    }
    assert!(
        paint > 20 && asphalt > 20,
        "returns on stripes {paint}, between stripes {asphalt}"
    );
}

/// Contacts and LiDAR of every capture after `skip_to` equal those of a run that rendered
/// every capture: nothing a frame reports remembers the captures before it.
#[test]
fn skipping_captures_changes_no_contact_or_lidar_return() {
    let spec = LidarSpec {
        horizontal_resolution: 256,
        channels: 16,
        ..LidarSpec::default()
    };
    let p = step_out_without_braking(0, spec);
    let options = EngineOptions {
        labels: false,
        ..labels_only()
    };
    let frames = 45; // of the scenario's 50
    let mut engine = Engine::new(p.clone(), options.clone()).expect("engine");
    let whole: Vec<Frame> = engine
        .by_ref()
        .take(frames)
        .map(|f| f.expect("ok"))
        .collect();
    let touching: Vec<usize> = (0..frames)
        .filter(|&k| !whole[k].contacts.is_empty())
        .collect();
    assert!(
        !touching.is_empty(),
        "the ego should hit the child in {frames} frames"
    );
    // The first onset after frame 0: where stale contact state showed.
    let first = touching
        .iter()
        .copied()
        .find(|k| *k > 0 && !touching.contains(&(k - 1)))
        .unwrap_or(touching[0]);
    let cuts: BTreeSet<usize> = [1, first.saturating_sub(1), first, first + 1, frames - 1]
        .into_iter()
        .filter(|k| (1..frames).contains(k))
        .collect();
    for k in cuts {
        let mut resumed = Engine::new(p.clone(), options.clone()).expect("engine");
        resumed.skip_to(k);
        let frame = resumed.next_frame().expect("a frame").expect("ok");
        assert_eq!(frame.index, whole[k].index);
        assert_eq!(
            frame.contacts, whole[k].contacts,
            "contacts after skipping to {k}"
        );
        assert!(
            frame.lidar == whole[k].lidar,
            "LiDAR after skipping to {k} differs"
        );
    }
}

/// Prints the LiDAR's cost per frame (the same run with and without it; labels off):
/// `cargo test -p drivegen-sim --test engine_physics lidar_scan_time -- --ignored --nocapture`.
#[test]
#[ignore = "a measurement, not a check"]
fn lidar_scan_time() {
    let spec = highway_lidar();
    for name in ["highway_merge.ron", "downtown_jam.ron"] {
        let mut p = plan(&scenario(name), 0).expect("plans");
        let frames = 20;
        let mut per_frame = [0.0; 2];
        for (k, lidar) in [None, Some(spec.clone())].into_iter().enumerate() {
            p.sensors.lidar = lidar;
            let options = EngineOptions {
                labels: false,
                ..labels_only()
            };
            let mut engine = Engine::new(p.clone(), options).expect("engine");
            let start = std::time::Instant::now();
            let mut returns = 0;
            for frame in engine.by_ref().take(frames) {
                returns += frame.expect("ok").lidar.map_or(0, |l| l.len());
            }
            per_frame[k] = start.elapsed().as_secs_f64() * 1e3 / frames as f64;
            if k == 1 {
                println!(
                    "{name}: {:.1} ms per frame without LiDAR, {:.1} ms with ({} rays, {} returns per sweep): LiDAR {:.1} ms",
                    per_frame[0],
                    per_frame[1],
                    spec.channels * spec.horizontal_resolution,
                    returns / frames,
                    per_frame[1] - per_frame[0]
                );
            }
        }
    }
}
