//! `drivegen merge OUT SHARD_DIRS...`: combines shard outputs into one dataset equal to
//! an unsharded run (variants copied, journals and manifests joined, exports redone so
//! COCO ids are renumbered across shards).

use std::path::{Path, PathBuf};

use anyhow::Context;
use drivegen_dataset::{Journal, write_atomic};

use super::render::{RunInfo, write_manifest};
use crate::InputError;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where the merged dataset goes.
    out: PathBuf,
    /// Shard directories written by `drivegen render --shard I/N`.
    #[arg(required = true)]
    shards: Vec<PathBuf>,
}

fn copy_tree(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(to).with_context(|| format!("cannot create {}", to.display()))?;
    for e in std::fs::read_dir(from).with_context(|| format!("cannot read {}", from.display()))? {
        let p = e?.path();
        let target = to.join(p.file_name().unwrap_or_default());
        if p.is_dir() {
            copy_tree(&p, &target)?;
        } else {
            std::fs::copy(&p, &target)
                .with_context(|| format!("cannot copy {} to {}", p.display(), target.display()))?;
        }
    }
    Ok(())
}

pub fn run(args: Args, quiet: bool) -> anyhow::Result<()> {
    let mut merged: Option<RunInfo> = None;
    let mut entries = Vec::new();
    let mut export: Option<(String, String)> = None;
    for dir in &args.shards {
        let bytes = std::fs::read(dir.join("run.json")).map_err(|_| {
            InputError(format!(
                "{} is not a drivegen output (no run.json)",
                dir.display()
            ))
        })?;
        let run: RunInfo = serde_json::from_slice(&bytes).context("run.json")?;
        let key = |r: &RunInfo| RunInfo {
            variants: Vec::new(),
            shard: None,
            ..r.clone()
        };
        match &mut merged {
            None => {
                merged = Some(RunInfo {
                    shard: None,
                    ..run.clone()
                })
            }
            Some(m) if key(m) == key(&run) => m.variants.extend(run.variants.iter().copied()),
            Some(_) => {
                return Err(InputError(format!(
                    "{} comes from a different run than the other shards",
                    dir.display()
                ))
                .into());
            }
        }
        for v in &run.variants {
            let name = format!("v{v:03}");
            copy_tree(&dir.join(&name), &args.out.join(&name))?;
        }
        entries.extend(Journal::read(dir));
        let manifest: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap_or_default())
                .unwrap_or_default();
        if let (Some(f), Some(s)) = (
            manifest["export"]["formats"].as_str(),
            manifest["export"]["split"].as_str(),
        ) {
            export = Some((f.to_string(), s.to_string()));
        }
        std::fs::copy(dir.join("scenario.ron"), args.out.join("scenario.ron"))
            .context("scenario.ron")?;
    }
    let Some(mut run) = merged else {
        return Err(InputError("no shards given".into()).into());
    };
    run.variants.sort_unstable();
    run.variants.dedup();
    write_atomic(
        &args.out.join("run.json"),
        &serde_json::to_vec_pretty(&run)?,
    )?;
    entries.sort_by(|a, b| (a.variant, a.frame, &a.sensor).cmp(&(b.variant, b.frame, &b.sensor)));
    let mut journal = String::new();
    for e in &entries {
        journal.push_str(&serde_json::to_string(e)?);
        journal.push('\n');
    }
    write_atomic(
        &args.out.join(drivegen_dataset::JOURNAL),
        journal.as_bytes(),
    )?;
    write_manifest(
        &args.out,
        &run,
        export.as_ref().map(|(f, s)| (f.as_str(), s.as_str())),
    )?;
    if let Some((formats, split)) = &export {
        let opts = super::export::options(formats, split, None)?;
        super::export::export_dataset(&args.out, &args.out.join("exports"), &opts, quiet)?;
    }
    if !quiet {
        println!(
            "merged {} shards ({} variants) into {}",
            args.shards.len(),
            run.variants.len(),
            args.out.display()
        );
    }
    Ok(())
}
