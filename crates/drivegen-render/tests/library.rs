//! The render pipeline called as a library, as an embedder would: it writes a dataset the
//! layout reader opens whole, reports progress, refuses a different run on resume without
//! touching the directory, and finds planning errors before writing anything.

#[path = "../../../tests/common/dirs.rs"]
mod dirs;

use std::path::PathBuf;

use drivegen_dataset::{Journal, NativeDataset};
use drivegen_render::{Observer, RenderError, RenderRequest, render};

#[derive(Default)]
struct Counting {
    total: u64,
    done: u64,
    variants: Vec<u32>,
}

impl Observer for Counting {
    fn started(&mut self, total_frames: u64) {
        self.total = total_frames;
    }
    fn variant(&mut self, _scenario: &str, variant: u32) {
        self.variants.push(variant);
    }
    fn frames_done(&mut self, frames: u64) {
        self.done += frames;
    }
}

fn scratch(name: &str) -> PathBuf {
    dirs::scratch(&format!("render-{name}"))
}

/// Labels only (no GPU needed): 2 variants x 3 frames of the default scenario.
fn request(out: PathBuf) -> RenderRequest<'static> {
    let loaded = drivegen_scenario::load_default().expect("default scenario");
    let mut scenario = loaded.scenario;
    scenario.capture.frames = Some(3);
    let mut req = RenderRequest::new(scenario, loaded.merged_text, out);
    req.variants = vec![0, 1];
    req.engine.rgb = false;
    req
}

#[test]
fn a_library_render_reads_back_whole_and_resume_refuses_another_run() {
    let out = scratch("lib");
    let req = request(out.clone());
    let mut seen = Counting::default();
    let summary = render(&req, &mut seen).expect("renders");
    assert_eq!(seen.total, 6);
    assert_eq!(seen.done, 6);
    assert_eq!(seen.variants, vec![0, 1]);
    assert_eq!(summary.rendered, 6);

    let ds = NativeDataset::open(&out).expect("reads back");
    assert_eq!(ds.run, req.run_info());
    assert_eq!(ds.frames.len(), 6);
    for f in &ds.frames {
        let labels = ds.labels(f).expect("labels");
        assert_eq!(labels.frame, f.frame);
        assert_eq!(
            ds.instance(f).expect("instance").width(),
            ds.calibration(f.variant, &f.camera)
                .expect("calibration")
                .0
                .width
        );
    }
    let journal = Journal::read(&out);
    assert_eq!(journal.len(), 6);
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).expect("manifest"))
            .expect("json");
    assert_eq!(manifest["frames"].as_array().map(Vec::len), Some(6));

    // Resuming a finished run renders nothing; resuming with other settings is refused
    // and leaves the directory as it was.
    let mut again = request(out.clone());
    again.resume = true;
    assert_eq!(
        render(&again, &mut Counting::default())
            .expect("resumes")
            .rendered,
        0
    );
    let before = std::fs::read(out.join("run.json")).expect("run.json");
    let mut other = request(out.clone());
    other.resume = true;
    other.scenario.capture.frames = Some(4);
    let err = render(&other, &mut Counting::default()).expect_err("a different run");
    assert!(
        matches!(err, RenderError::DifferentRun { .. }) && err.is_input(),
        "{err}"
    );
    assert_eq!(
        std::fs::read(out.join("run.json")).expect("run.json"),
        before
    );
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn refining_without_rgb_is_refused_before_anything_is_written() {
    struct Never;
    impl drivegen_render::FrameRefiner for Never {
        fn refine(
            &self,
            _: &drivegen_dataset::FrameJob,
            _: &drivegen_plan::EnvironmentPlan,
        ) -> Result<Option<Vec<u8>>, String> {
            Err("never called".into())
        }
    }
    let out = scratch("refine");
    let mut req = request(out.clone());
    req.refiner = Some((&Never, "never".into()));
    let err = render(&req, &mut Counting::default()).expect_err("no RGB to refine");
    assert!(matches!(err, RenderError::RefineWithoutRgb), "{err}");
    assert!(!out.exists(), "nothing written");
}
