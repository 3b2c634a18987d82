//! What a run writes besides frames: `manifest.json` (every journalled file with its
//! checksum, seeds, the scenario's hash, the tool's revision), `captions.jsonl`, and each
//! variant's `scene.json`.

use std::collections::BTreeSet;
use std::path::Path;

use drivegen_dataset::{DatasetError, Journal, JournalEntry, RunInfo, write_atomic};
use sha2::{Digest, Sha256};

/// The git revision this library was built from.
pub const GIT_REVISION: &str = env!("DRIVEGEN_GIT_REV");

/// What a manifest records besides the run: the export settings asked for at render
/// time, and what a `merge --allow-partial` lacks.
#[derive(Clone, Debug, Default)]
pub struct ManifestExtras {
    /// (formats, split) of `render --export`.
    pub export: Option<(String, String)>,
    pub partial: Option<serde_json::Value>,
    /// Which images `rgb/` was made from, when it was derived (augmentation).
    pub rgb_source: Option<serde_json::Value>,
}

fn json_bytes(path: &Path, value: &serde_json::Value) -> Result<Vec<u8>, DatasetError> {
    serde_json::to_vec_pretty(value).map_err(|e| DatasetError::Format {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}

/// Writes `manifest.json` from the journal and `captions.jsonl`.
pub fn write_manifest(
    root: &Path,
    run: &RunInfo,
    extras: &ManifestExtras,
) -> Result<(), DatasetError> {
    let entries: Vec<JournalEntry> = Journal::compact(root)?;
    let scenario = std::fs::read(root.join("scenario.ron")).unwrap_or_default();
    let hash: String = Sha256::digest(&scenario)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let seeds: Vec<serde_json::Value> = run
        .variants
        .iter()
        .map(|v| serde_json::json!({ "variant": v, "seed": drivegen_plan::streams::variant_seed(run.seed, *v) }))
        .collect();
    let mut manifest = serde_json::json!({
        "tool": run.tool, "version": run.version, "git_revision": GIT_REVISION,
        "scenario": { "name": run.scenario, "file": "scenario.ron", "sha256": hash },
        "seed": run.seed, "variant_seeds": seeds,
        "run": run,
        "export": extras.export.as_ref().map(|(f, s)| serde_json::json!({ "formats": f, "split": s })),
        "frames": entries,
    });
    if run.keep_frames_where.is_some() {
        let counts = crate::rejected::compact(root)?.unwrap_or_default();
        manifest["rejected_frames"] = crate::rejected::summary(&counts);
    }
    if let Some(partial) = &extras.partial {
        manifest["partial"] = partial.clone();
    }
    if let Some(source) = &extras.rgb_source {
        manifest["rgb_source"] = source.clone();
    }
    let path = root.join("manifest.json");
    write_atomic(&path, &json_bytes(&path, &manifest)?)?;
    crate::captions::write_captions(root)
}

/// Per frame, the sensors that capture on it (cameras on their ticks, the LiDAR on every
/// frame): a frame is complete when each of them has a journal entry.
pub fn expected_sensors(plan: &drivegen_plan::ScenePlan) -> Vec<BTreeSet<String>> {
    plan.schedule
        .ticks
        .iter()
        .map(|tick| {
            let mut set: BTreeSet<String> = tick
                .cameras
                .iter()
                .filter_map(|&i| plan.sensors.cameras.get(usize::from(i)))
                .map(|c| c.name.clone())
                .collect();
            if plan.sensors.lidar.is_some() {
                set.insert("lidar".into());
            }
            set
        })
        .collect()
}

/// `vNNN/scene.json`: the values a variant sampled from the scenario's distributions.
pub fn write_scene_summary(
    root: &Path,
    plan: &drivegen_plan::ScenePlan,
) -> Result<(), DatasetError> {
    use drivegen_plan::{ActorClass, Role};
    let count =
        |f: &dyn Fn(&drivegen_plan::Actor) -> bool| plan.actors.iter().filter(|a| f(a)).count();
    let first = plan.network.roads.first();
    let mut summary = serde_json::json!({
        "variant": plan.variant,
        "variant_seed": plan.variant_seed,
        "environment": plan.environment,
        "vehicles": count(&|a| a.role == Role::Traffic),
        "parked": count(&|a| a.role == Role::Parked),
        "pedestrians": count(&|a| a.class == ActorClass::Pedestrian),
        "lanes_per_direction": first.map(|r| r.lanes_right),
        "lane_width": first.map(|r| r.lane_width),
        "speed_limit": first.map(|r| r.speed_limit),
        "road_length": plan.network.roads.iter().map(|r| r.reference.length()).sum::<f64>(),
        "junctions": plan.network.junctions.len(),
        "signalised_junctions": plan.network.junctions.iter().filter(|j| j.signal.is_some()).count(),
        "props": plan.props.len(),
    });
    if !plan.coverage.is_empty() {
        // The coverage cell this variant is (Grid/Sobol `variants`).
        summary["coverage"] = serde_json::json!(
            plan.coverage
                .iter()
                .map(|(name, v)| (name.clone(), serde_json::json!(v)))
                .collect::<serde_json::Map<_, _>>()
        );
    }
    let path = drivegen_dataset::variant_dir(root, plan.variant).join("scene.json");
    write_atomic(&path, &json_bytes(&path, &summary)?)
}
