//! `keep_frames_where` end to end through the render library (labels only, no GPU):
//! exactly the captures whose labels satisfy the conditions are written, byte-identical
//! to an unfiltered render's; the rest are counted in the summary and manifest and
//! listed in `rejected.jsonl`, so a resumed run neither renders them again nor differs
//! from an uninterrupted one (issue 13.4).

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

#[path = "common/dirs.rs"]
mod dirs;

use dirs::{files, scratch};
use drivegen_dataset::{Journal, NativeDataset};
use drivegen_labels::filter::{Capture, keep};
use drivegen_render::{RenderRequest, Silent, render};
use drivegen_scenario::filter::{FrameCondition, ObjectClass};

/// 2 variants x 10 captures of the default scenario at 320x192, labels only.
fn request(out: PathBuf, conditions: Vec<FrameCondition>) -> RenderRequest<'static> {
    let loaded = drivegen_scenario::load_default().expect("default scenario");
    let mut scenario = loaded.scenario;
    scenario.capture.frames = Some(10);
    for cam in &mut scenario.sensors.cameras {
        (cam.width, cam.height) = (320, 192);
    }
    scenario.keep_frames_where = conditions;
    let mut req = RenderRequest::new(scenario, loaded.merged_text, out);
    req.variants = vec![0, 1];
    req.variants_total = 2;
    req.engine.rgb = false;
    req
}

fn vehicles(class_at_least: u32) -> FrameCondition {
    FrameCondition::Visible {
        class: ObjectClass::Vehicle,
        at_least: class_at_least,
        at_most: None,
        visibility: Some((0.2, 1.0)),
        distance: Some((0.0, 60.0)),
        camera: None,
    }
}

#[test]
fn only_satisfying_frames_are_written_and_resume_knows_the_rejected_ones() {
    // An unfiltered render says what every capture shows.
    let all = scratch("all");
    render(&request(all.clone(), Vec::new()), &mut Silent).expect("renders");
    let ds = NativeDataset::open(&all).expect("reads back");
    assert_eq!(ds.frames.len(), 20);
    assert!(!all.join(drivegen_render::rejected::FILE).exists());
    let count = |c: &FrameCondition, labels: &drivegen_dataset::FrameLabels| {
        let cameras = [(labels.camera.as_str(), labels.objects.as_slice())];
        let events: Vec<String> = labels.events.iter().map(|e| e.name.clone()).collect();
        keep(
            std::slice::from_ref(c),
            &Capture {
                cameras: &cameras,
                events: &events,
            },
        )
    };
    // A threshold that splits the captures: the fewest vehicles any capture shows, + 1.
    let labels: BTreeMap<(u32, u32), _> = ds
        .frames
        .iter()
        .map(|f| ((f.variant, f.frame), ds.labels(f).expect("labels")))
        .collect();
    let shown = |l: &drivegen_dataset::FrameLabels| {
        (0..=64)
            .take_while(|n| count(&vehicles(*n), l))
            .last()
            .unwrap_or(0)
    };
    let fewest = labels.values().map(shown).min().expect("frames");
    let condition = vehicles(fewest + 1);
    let kept: BTreeSet<(u32, u32)> = labels
        .iter()
        .filter(|(_, l)| count(&condition, l))
        .map(|(k, _)| *k)
        .collect();
    let turned_away: BTreeSet<(u32, u32)> = labels
        .keys()
        .filter(|k| !kept.contains(k))
        .copied()
        .collect();
    assert!(
        !kept.is_empty() && !turned_away.is_empty(),
        "the threshold {} must split the 20 captures",
        fewest + 1
    );

    eprintln!(
        "at least {} vehicles: {} of 20 captures kept, {} rejected",
        fewest + 1,
        kept.len(),
        turned_away.len()
    );
    // The filtered render writes exactly the kept captures, as the unfiltered one did.
    let out = scratch("filtered");
    let req = request(out.clone(), vec![condition.clone()]);
    let summary = render(&req, &mut Silent).expect("renders");
    assert_eq!(summary.rendered as usize, kept.len());
    let journalled: BTreeSet<(u32, u32)> = Journal::read(&out)
        .iter()
        .map(|e| (e.variant, e.frame))
        .collect();
    assert_eq!(journalled, kept);
    let (fa, ff) = (files(&all, &[]), files(&out, &[]));
    for (name, bytes) in &ff {
        if name.contains("/labels/") || name.contains("/instance/") {
            assert_eq!(
                fa.get(name),
                Some(bytes),
                "{name} differs from the unfiltered run"
            );
        }
    }
    let written: BTreeSet<&String> = ff.keys().filter(|n| n.contains("/labels/")).collect();
    assert_eq!(written.len(), kept.len(), "no files for rejected captures");

    let mut by_variant = BTreeMap::new();
    for (v, _) in &turned_away {
        *by_variant.entry(*v).or_insert(0u64) += 1;
    }
    assert_eq!(summary.rejected, by_variant);
    let listed: String = turned_away
        .iter()
        .map(|(v, f)| format!("{{\"variant\":{v},\"frame\":{f}}}\n"))
        .collect();
    assert_eq!(
        String::from_utf8_lossy(&ff[drivegen_render::rejected::FILE]),
        listed
    );
    let manifest: serde_json::Value = serde_json::from_slice(&ff["manifest.json"]).expect("json");
    assert_eq!(manifest["rejected_frames"]["total"], turned_away.len());
    assert_eq!(
        manifest["frames"].as_array().map(Vec::len),
        Some(kept.len())
    );
    assert!(ds.run.keep_frames_where.is_none());
    assert!(
        NativeDataset::open(&out)
            .expect("reads")
            .run
            .keep_frames_where
            .is_some()
    );

    // Resuming the finished run starts no engine: rejected captures count as done.
    let mut again = request(out.clone(), vec![condition.clone()]);
    again.resume = true;
    let resumed = render(&again, &mut Silent).expect("resumes");
    assert_eq!(resumed.rendered, 0);
    assert!(resumed.first_frame.is_none(), "no capture rendered again");
    assert_eq!(resumed.rejected, by_variant);
    assert_eq!(files(&out, &[]), ff);

    // Interrupted after capture 4 of variant 1: the resumed run equals the whole one.
    let cut = |v: u32, f: u32| v == 1 && f >= 4;
    let journal = std::fs::read_to_string(out.join("journal.jsonl")).expect("journal");
    let head: String = journal
        .lines()
        .filter(|l| {
            let e: serde_json::Value = serde_json::from_str(l).expect("json");
            !cut(
                e["variant"].as_u64().unwrap_or(0) as u32,
                e["frame"].as_u64().unwrap_or(0) as u32,
            )
        })
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(out.join("journal.jsonl"), head).expect("cut journal");
    let rejected: String = turned_away
        .iter()
        .filter(|(v, f)| !cut(*v, *f))
        .map(|(v, f)| format!("{{\"variant\":{v},\"frame\":{f}}}\n"))
        .collect();
    std::fs::write(out.join(drivegen_render::rejected::FILE), rejected).expect("cut record");
    std::fs::remove_file(out.join("manifest.json")).expect("manifest");
    let resumed = render(&again, &mut Silent).expect("resumes");
    let redone = kept.iter().filter(|(v, f)| cut(*v, *f)).count();
    assert_eq!(resumed.rendered as usize, redone);
    assert_eq!(
        files(&out, &[]),
        ff,
        "a resumed filtered run equals an uninterrupted one"
    );

    // A fresh, unfiltered run in the same directory drops the old record.
    render(&request(out.clone(), Vec::new()), &mut Silent).expect("renders");
    assert!(!out.join(drivegen_render::rejected::FILE).exists());
    for dir in [&all, &out] {
        let _ = std::fs::remove_dir_all(dir);
    }
}

#[test]
fn a_run_that_rejects_every_capture_still_reads_back() {
    let out = scratch("none");
    let never = FrameCondition::Visible {
        class: ObjectClass::Bus,
        at_least: 500,
        at_most: None,
        visibility: None,
        distance: None,
        camera: None,
    };
    let summary = render(&request(out.clone(), vec![never]), &mut Silent).expect("renders");
    assert_eq!(summary.rendered, 0);
    assert_eq!(summary.rejected, BTreeMap::from([(0, 10), (1, 10)]));
    assert!(!out.join("v000/front/labels").exists(), "no labels written");
    assert!(
        out.join("v000/calibration.json").exists(),
        "calibration still written"
    );
    let ds = NativeDataset::open(&out).expect("a filtered run with no frames opens");
    assert!(ds.frames.is_empty());
    let _ = std::fs::remove_dir_all(&out);
}
