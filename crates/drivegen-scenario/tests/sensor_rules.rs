//! Sensor rig rules from issue 13: LiDAR mount defaults, sensor rates against the
//! simulation step, and mounts inside the ego or under the ground.

use drivegen_scenario::{Mount, load_str};

fn with_sensors(sensors: &str) -> String {
    format!("Scenario(name: \"rig\", seed: 1, sensors: {sensors})")
}

#[test]
fn a_partly_written_lidar_mount_keeps_the_lidar_defaults() {
    let s = load_str(
        "partial.ron",
        &with_sensors("(lidar: (mount: (z: 2.1), channels: 16))"),
    )
    .expect("valid")
    .scenario;
    let m = s.sensors.lidar.expect("lidar").mount;
    assert_eq!(
        m,
        Mount {
            z: 2.1,
            ..Mount::LIDAR
        },
        "omitted mount fields must take the LiDAR defaults (level, over the rear axle)"
    );
    assert_eq!(m.pitch, 0.0);
    assert_eq!(m.x, 0.0);

    // An omitted mount and an empty one agree.
    for text in ["(lidar: (channels: 16))", "(lidar: (mount: ()))"] {
        let s = load_str("lidar.ron", &with_sensors(text))
            .expect("valid")
            .scenario;
        assert_eq!(
            s.sensors.lidar.expect("lidar").mount,
            Mount::LIDAR,
            "{text}"
        );
    }
    // Cameras keep theirs.
    let s = load_str("cam.ron", &with_sensors("(cameras: [(mount: (z: 1.6))])"))
        .expect("valid")
        .scenario;
    assert_eq!(
        s.sensors.cameras[0].mount,
        Mount {
            z: 1.6,
            ..Mount::default()
        }
    );
}

#[test]
fn a_misspelt_lidar_mount_field_is_still_an_error() {
    let e = load_str("typo.ron", &with_sensors("(lidar: (mount: (zz: 2.0)))"))
        .expect_err("unknown field");
    assert!(e.to_string().contains("zz"), "{e}");
}

#[test]
fn a_sensor_inside_the_ego_or_under_the_ground_is_refused() {
    // The default camera mount suits a car but sits inside a bus.
    let e = load_str(
        "bus.ron",
        "Scenario(name: \"b\", seed: 1, ego: (class: Bus))",
    )
    .expect_err("camera inside the bus");
    assert!(e.to_string().contains("inside the Bus ego's body"), "{e}");
    // On the roof it is fine.
    load_str(
        "bus_roof.ron",
        "Scenario(name: \"b\", seed: 1, ego: (class: Bus), \
         sensors: (cameras: [(mount: (x: 5, z: 3.4))], lidar: (mount: (z: 3.6))))",
    )
    .expect("roof mounts are valid");
    // A LiDAR at its default height inside a bus is refused too.
    let e = load_str(
        "bus_lidar.ron",
        "Scenario(name: \"b\", seed: 1, ego: (class: Bus), \
         sensors: (cameras: [(mount: (x: 6.5))], lidar: (channels: 8)))",
    )
    .expect_err("lidar inside the bus");
    assert!(e.to_string().contains("sensors.lidar.mount"), "{e}");
    let e = load_str(
        "under.ron",
        &with_sensors("(cameras: [(mount: (x: 3, z: -0.2))])"),
    )
    .expect_err("under the ground");
    assert!(e.to_string().contains("below the ground"), "{e}");
}

#[test]
fn capture_quality_defaults_to_default_and_reads_every_preset() {
    let s = load_str("q.ron", "Scenario(name: \"q\", seed: 1)")
        .expect("valid")
        .scenario;
    assert_eq!(s.capture.quality, drivegen_scenario::Quality::Default);
    for (text, quality) in [
        ("Draft", drivegen_scenario::Quality::Draft),
        ("High", drivegen_scenario::Quality::High),
    ] {
        let s = load_str(
            "q.ron",
            &format!("Scenario(name: \"q\", seed: 1, capture: (quality: {text}))"),
        )
        .expect("valid")
        .scenario;
        assert_eq!(s.capture.quality, quality);
        assert_eq!(
            drivegen_scenario::Quality::from_name(&text.to_lowercase()),
            Some(quality)
        );
    }
    let Err(e) = load_str(
        "q.ron",
        "Scenario(name: \"q\", seed: 1, capture: (quality: Ultra))",
    ) else {
        panic!("an unknown preset is an error");
    };
    let text = e.to_string();
    assert!(
        text.contains("q.ron:1:") && text.contains("Ultra"),
        "{text}"
    );
}
