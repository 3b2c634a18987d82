//! `drivegen merge OUT SHARD_DIRS...`: combines shard outputs into one dataset equal to
//! an unsharded run (variants copied, journals and manifests joined, exports redone so
//! COCO ids are renumbered across shards).
//!
//! Before anything is written the shards are checked: all of 0..N present, once each,
//! from the same run (scenario file, seed, settings), and complete (every frame of each
//! shard's run.json journalled, with its files in place). `--allow-partial` merges what is
//! there and records what is missing in the manifest.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::Context;
use drivegen_dataset::{Journal, JournalEntry, RunInfo, write_atomic};
use drivegen_render::{ManifestExtras, expected_sensors, write_manifest};

use crate::InputError;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where the merged dataset goes.
    out: PathBuf,
    /// Shard directories written by `drivegen render --shard I/N` (all N of them).
    #[arg(required = true)]
    shards: Vec<PathBuf>,
    /// Merge even when shards are missing or unfinished; `manifest.json` then lists what
    /// is missing under `partial`.
    #[arg(long)]
    allow_partial: bool,
}

/// One shard directory, read but not yet copied.
struct Shard {
    dir: PathBuf,
    run: RunInfo,
    index: u32,
    count: u32,
    scenario: Vec<u8>,
    /// Journal entries whose files are all in place.
    entries: Vec<JournalEntry>,
}

impl Shard {
    fn name(&self) -> String {
        format!(
            "shard-{}-of-{} ({})",
            self.index,
            self.count,
            self.dir.display()
        )
    }
}

fn read_shard(dir: &Path) -> Result<Shard, InputError> {
    let run = RunInfo::read(dir).map_err(|e| match e {
        drivegen_dataset::DatasetError::Read { .. } => InputError(format!(
            "{} is not a drivegen output (no run.json)",
            dir.display()
        )),
        other => InputError(other.to_string()),
    })?;
    let Some([index, count]) = run.shard else {
        return Err(InputError(format!(
            "{} was rendered without a shard (no --shard, SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX); merge combines the shards of one run",
            dir.display()
        )));
    };
    let scenario = std::fs::read(dir.join("scenario.ron"))
        .map_err(|_| InputError(format!("{} has no scenario.ron", dir.display())))?;
    Ok(Shard {
        dir: dir.to_path_buf(),
        index,
        count,
        scenario,
        entries: Journal::read(dir)
            .into_iter()
            .filter(|e| intact(dir, e))
            .collect(),
        run,
    })
}

/// Whether every file of a journal entry is in place with its journalled size.
fn intact(dir: &Path, e: &JournalEntry) -> bool {
    e.files
        .iter()
        .all(|f| std::fs::metadata(dir.join(&f.path)).is_ok_and(|m| m.len() == f.bytes))
}

/// The fields of `run.json` in which two shards differ (all but the shard's own).
fn differences(a: &Shard, b: &Shard) -> Vec<String> {
    let key = |s: &Shard| {
        serde_json::to_value(RunInfo {
            variants: Vec::new(),
            shard: None,
            ..s.run.clone()
        })
        .unwrap_or_default()
    };
    let (ka, kb) = (key(a), key(b));
    let mut out: Vec<String> = match (ka.as_object(), kb.as_object()) {
        (Some(ma), Some(mb)) => ma
            .keys()
            .chain(mb.keys())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .filter(|k| ma.get(*k) != mb.get(*k))
            .map(|k| format!("{k} ({} vs {})", show(ma.get(k)), show(mb.get(k))))
            .collect(),
        _ => Vec::new(),
    };
    if a.count != b.count {
        out.push(format!("shard count ({} vs {})", a.count, b.count));
    }
    if a.scenario != b.scenario {
        out.push("scenario.ron".into());
    }
    out
}

fn show(v: Option<&serde_json::Value>) -> String {
    v.map_or_else(|| "absent".into(), |v| v.to_string())
}

/// `0-3, 7, 9-12`.
fn ranges(values: &[u32]) -> String {
    let mut parts = Vec::new();
    let mut i = 0;
    while i < values.len() {
        let mut j = i;
        while j + 1 < values.len() && values[j + 1] == values[j] + 1 {
            j += 1;
        }
        parts.push(if i == j {
            values[i].to_string()
        } else {
            format!("{}-{}", values[i], values[j])
        });
        i = j + 1;
    }
    parts.join(", ")
}

/// Per frame, the sensors the run captures, from the shard's own scenario (cameras with a
/// slower rate skip ticks). Falls back to every sensor on every frame.
fn schedule(shard: &Shard) -> Vec<BTreeSet<String>> {
    let planned = std::str::from_utf8(&shard.scenario)
        .ok()
        .and_then(|text| drivegen_scenario::load_str("scenario.ron", text).ok())
        .and_then(|loaded| {
            let mut scenario = loaded.scenario;
            scenario.capture.frames = Some(shard.run.frames_per_variant as u32);
            let variant = shard.run.variants.first().copied().unwrap_or(0);
            drivegen_plan::plan(&scenario, variant).ok()
        })
        .map(|plan| expected_sensors(&plan))
        .filter(|e| e.len() == shard.run.frames_per_variant);
    planned.unwrap_or_else(|| vec![shard.run.sensors(); shard.run.frames_per_variant])
}

/// What a shard lacks: per variant, the frames without a complete journal entry (the
/// shard's entries are those whose files are in place).
fn missing_frames(shard: &Shard, expected: &[BTreeSet<String>]) -> BTreeMap<u32, Vec<u32>> {
    let mut have: BTreeMap<(u32, u32), BTreeSet<&str>> = BTreeMap::new();
    for e in &shard.entries {
        have.entry((e.variant, e.frame))
            .or_default()
            .insert(e.sensor.as_str());
    }
    // Captures `keep_frames_where` rejected have no files, and are not missing.
    let rejected = drivegen_render::rejected::read(&shard.dir);
    let mut missing = BTreeMap::new();
    for &v in &shard.run.variants {
        let frames: Vec<u32> = (0..shard.run.frames_per_variant as u32)
            .filter(|&f| {
                let turned_away = drivegen_render::rejected::Rejected {
                    variant: v,
                    frame: f,
                };
                if rejected.contains(&turned_away) {
                    return false;
                }
                let got = have.get(&(v, f));
                !expected[f as usize]
                    .iter()
                    .all(|s| got.is_some_and(|g| g.contains(s.as_str())))
            })
            .collect();
        if !frames.is_empty() {
            missing.insert(v, frames);
        }
    }
    missing
}

fn copy_tree(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(to).with_context(|| format!("cannot create {}", to.display()))?;
    for e in std::fs::read_dir(from).with_context(|| format!("cannot read {}", from.display()))? {
        let p = e?.path();
        let target = to.join(p.file_name().unwrap_or_default());
        if p.is_dir() {
            copy_tree(&p, &target)?;
        } else if p.extension().is_none_or(|x| x != "partial") {
            std::fs::copy(&p, &target)
                .with_context(|| format!("cannot copy {} to {}", p.display(), target.display()))?;
        }
    }
    Ok(())
}

pub fn run(args: Args, quiet: bool) -> anyhow::Result<()> {
    // Read and check everything first: a refused merge writes nothing.
    super::output_folder(&args.out)?;
    for shard in &args.shards {
        super::output_apart(&args.out, shard, "shard")?;
        if !shard.exists() {
            return Err(
                InputError(format!("shard folder {} does not exist", shard.display())).into(),
            );
        }
    }
    let shards = args
        .shards
        .iter()
        .map(|d| read_shard(d))
        .collect::<Result<Vec<_>, _>>()?;
    let Some(first) = shards.first() else {
        return Err(InputError("no shards given".into()).into());
    };
    let count = first.count;

    // One run: the same scenario file, seed and settings in every shard.
    let mut problems = Vec::new();
    for s in &shards[1..] {
        let diff = differences(first, s);
        if !diff.is_empty() {
            problems.push(format!(
                "{} comes from a different run than {}: {} differ",
                s.name(),
                first.name(),
                diff.join(", ")
            ));
        }
    }
    let mut by_index: BTreeMap<u32, &Shard> = BTreeMap::new();
    for s in &shards {
        if let Some(other) = by_index.insert(s.index, s) {
            problems.push(format!(
                "shard {} of {count} is given twice: {} and {}",
                s.index,
                other.dir.display(),
                s.dir.display()
            ));
        }
        if let Some(total) = s.run.variants_total {
            let want: Vec<u32> = (0..total).filter(|v| v % s.count == s.index).collect();
            if s.run.variants != want {
                problems.push(format!(
                    "{} holds variants [{}], but shard {} of a {total}-variant run has [{}]",
                    s.name(),
                    ranges(&s.run.variants),
                    s.index,
                    ranges(&want)
                ));
            }
        }
    }
    if !problems.is_empty() {
        return Err(InputError(format!(
            "merge: the shards do not belong together:\n  {}",
            problems.join("\n  ")
        ))
        .into());
    }

    // Complete: every shard present, every frame journalled.
    let expected = schedule(first);
    let total = first.run.variants_total;
    let missing_shards: Vec<u32> = (0..count).filter(|i| !by_index.contains_key(i)).collect();
    let mut lines = Vec::new();
    for &i in &missing_shards {
        let variants = total.map(|t| (0..t).filter(|v| v % count == i).collect::<Vec<_>>());
        lines.push(format!(
            "shard-{i}-of-{count} is missing{}",
            variants.map_or_else(String::new, |v| format!(" (variants {})", ranges(&v)))
        ));
    }
    let mut incomplete = Vec::new();
    for s in by_index.values() {
        let missing = missing_frames(s, &expected);
        if missing.is_empty() {
            continue;
        }
        let lacking: usize = missing.values().map(Vec::len).sum();
        let all = s.run.variants.len() * s.run.frames_per_variant;
        let mut detail: Vec<String> = missing
            .iter()
            .take(6)
            .map(|(v, frames)| format!("v{v:03} frames {}", ranges(frames)))
            .collect();
        if missing.len() > 6 {
            detail.push(format!("and {} more variants", missing.len() - 6));
        }
        lines.push(format!(
            "{} is unfinished: {lacking} of {all} frames not journalled ({})",
            s.name(),
            detail.join("; ")
        ));
        incomplete.push(serde_json::json!({
            "shard": [s.index, count],
            "frames_missing": lacking,
            "frames": missing
                .iter()
                .map(|(v, f)| (format!("v{v:03}"), serde_json::Value::from(ranges(f))))
                .collect::<serde_json::Map<_, _>>(),
        }));
    }
    if !lines.is_empty() && !args.allow_partial {
        return Err(InputError(format!(
            "merge: the run is not complete, nothing was merged:\n  {}\n  = hint: render what is missing (requeue those array tasks, or `drivegen render --resume --shard I/{count} ...` with the run's arguments), or pass --allow-partial to merge what is there",
            lines.join("\n  ")
        ))
        .into());
    }
    let partial = (!lines.is_empty()).then(|| {
        serde_json::json!({
            "merged_with": "--allow-partial",
            "missing_shards": missing_shards
                .iter()
                .map(|i| format!("shard-{i}-of-{count}"))
                .collect::<Vec<_>>(),
            "unfinished_shards": incomplete,
        })
    });
    if let (Some(_), false) = (&partial, quiet) {
        eprintln!(
            "merge --allow-partial: merging an incomplete run (recorded in manifest.json):\n  {}",
            lines.join("\n  ")
        );
    }

    // Write, replacing an earlier dataset in the output folder.
    drivegen_render::clear_previous_run(&args.out)?;
    let mut run = RunInfo {
        shard: None,
        variants_total: None,
        variants: Vec::new(),
        ..first.run.clone()
    };
    let mut entries = Vec::new();
    let mut export: Option<(String, String)> = None;
    for s in by_index.values() {
        for v in &s.run.variants {
            let name = format!("v{v:03}");
            let from = s.dir.join(&name);
            if from.is_dir() {
                copy_tree(&from, &args.out.join(&name))?;
            }
        }
        run.variants.extend(s.run.variants.iter().copied());
        entries.extend(s.entries.iter().cloned());
        let manifest: serde_json::Value =
            serde_json::from_slice(&std::fs::read(s.dir.join("manifest.json")).unwrap_or_default())
                .unwrap_or_default();
        if let (Some(f), Some(sp)) = (
            manifest["export"]["formats"].as_str(),
            manifest["export"]["split"].as_str(),
        ) {
            export = Some((f.to_string(), sp.to_string()));
        }
    }
    write_atomic(&args.out.join("scenario.ron"), &first.scenario)?;
    run.variants.sort_unstable();
    run.variants.dedup();
    run.write(&args.out)?;
    Journal::write_sorted(&args.out, entries)?;
    if run.keep_frames_where.is_some() {
        let rejected: BTreeSet<_> = by_index
            .values()
            .flat_map(|s| drivegen_render::rejected::read(&s.dir))
            .collect();
        drivegen_render::rejected::write(&args.out, &rejected)?;
    }
    write_manifest(
        &args.out,
        &run,
        &ManifestExtras {
            export: export.clone(),
            partial,
            ..ManifestExtras::default()
        },
    )?;
    if let Some((formats, split)) = &export {
        let opts = super::export::options(formats, split, None)?;
        super::export::export_dataset(&args.out, &args.out.join("exports"), &opts, quiet)?;
    }
    if !quiet {
        println!(
            "merged {} shards ({} variants) into {}",
            by_index.len(),
            run.variants.len(),
            args.out.display()
        );
    }
    Ok(())
}
