//! Scripted events reach the dataset: rendering `scenarios/highway_cut_in.ron` (labels
//! only) writes, in each frame's labels, exactly the events the traffic core has under way
//! at that capture, with the actor's instance id.

#[path = "common/dirs.rs"]
mod dirs;

use std::collections::BTreeMap;
use std::path::Path;

use drivegen_dataset::NativeDataset;
use drivegen_render::{RenderRequest, Silent, render};
use drivegen_world::traffic::TrafficSim;

#[test]
fn every_frame_labels_the_events_under_way() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/highway_cut_in.ron");
    let loaded = drivegen_scenario::load_file(&path).expect("example scenario");
    let mut scenario = loaded.scenario;
    // Long enough for the cut-in (from about frame 20) and the brake after it.
    scenario.capture.frames = Some(60);
    for cam in &mut scenario.sensors.cameras {
        (cam.width, cam.height) = (160, 96);
    }
    let plan = drivegen_plan::plan(&scenario, 0).expect("plans");

    // What the traffic core alone says, capture by capture.
    let mut sim = TrafficSim::new(&plan);
    let dt = 1.0 / plan.schedule.sim_rate;
    let mut step = 0;
    let mut expected = BTreeMap::new();
    for tick in &plan.schedule.ticks {
        while step < tick.step {
            sim.step(&plan, dt);
            step += 1;
        }
        let under_way: Vec<(String, u32)> = sim
            .active_events(&plan)
            .into_iter()
            .map(|e| (e.name, e.actor))
            .collect();
        expected.insert(tick.frame, under_way);
    }
    let names: Vec<&str> = expected
        .values()
        .flatten()
        .map(|(n, _)| n.as_str())
        .collect();
    assert!(
        names.contains(&"cut_in") && names.contains(&"hard_brake"),
        "both events happen within 60 frames: {names:?}"
    );

    let out = dirs::scratch("events");
    let mut req = RenderRequest::new(scenario, loaded.merged_text, out.clone());
    req.variants = vec![0];
    req.variants_total = 1;
    req.engine.rgb = false;
    render(&req, &mut Silent).expect("renders");

    let ds = NativeDataset::open(&out).expect("reads back");
    assert_eq!(ds.frames.len(), 60);
    for f in &ds.frames {
        let labels = ds.labels(f).expect("labels");
        let written: Vec<(String, u32)> = labels
            .events
            .iter()
            .map(|e| (e.name.clone(), e.actor))
            .collect();
        assert_eq!(written, expected[&f.frame], "frame {}", f.frame);
    }
    let _ = std::fs::remove_dir_all(&out);
}
