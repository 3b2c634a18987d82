//! Which shard of a run this process renders: `--shard I/N`, or a batch system's
//! environment (Slurm job arrays, Kubernetes Indexed Jobs), checked so that a 1-based
//! array or a wrong count is an error naming the variable and the fix, never a silent
//! render of everything or of a shard nobody merges.

use std::path::Path;

use crate::InputError;

/// The shard this process renders, from the flag or the batch system's environment
/// (`env` looks a variable up). An index outside `0..N` is an error naming the variable
/// and the fix: rendering everything, or a shard nobody asked for, would be silent.
pub fn select_shard(
    flag: Option<&str>,
    shards: Option<u32>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<(u32, u32)>, InputError> {
    let err = |m: String| Err(InputError(m));
    if shards == Some(0) {
        return err("--shards must be at least 1".into());
    }
    if let Some(s) = flag {
        let (i, n) = s.split_once('/').unwrap_or((s, ""));
        let parsed = i
            .trim()
            .parse::<u32>()
            .ok()
            .zip(n.trim().parse::<u32>().ok());
        return match parsed {
            Some((i, n)) if n > 0 && i < n && shards.is_none_or(|m| m == n) => Ok(Some((i, n))),
            Some((_, n)) if n > 0 && shards.is_some_and(|m| m != n) => err(format!(
                "--shard `{s}` and --shards {} disagree on the shard count",
                shards.unwrap_or_default()
            )),
            _ => err(format!(
                "--shard `{s}`: expected I/N with 0 <= I < N, e.g. 0/3"
            )),
        };
    }
    let number = |name: &str| -> Result<Option<u32>, InputError> {
        match env(name) {
            None => Ok(None),
            Some(v) => v.trim().parse().map(Some).map_err(|_| {
                InputError(format!("{name} is `{v}`, not a non-negative whole number"))
            }),
        }
    };
    if let Some(i) = number("SLURM_ARRAY_TASK_ID")? {
        let (min, max, count) = (
            number("SLURM_ARRAY_TASK_MIN")?,
            number("SLURM_ARRAY_TASK_MAX")?,
            number("SLURM_ARRAY_TASK_COUNT")?,
        );
        let n = match (shards, min, max) {
            (Some(n), _, Some(max)) if max >= n => {
                return err(format!(
                    "SLURM_ARRAY_TASK_MAX is {max}, but --shards {n} has shard indices 0-{}: \
                     submit the array 0-based with `sbatch --array=0-{}`",
                    n - 1,
                    n - 1
                ));
            }
            (Some(n), _, _) => n,
            (None, Some(0), Some(max)) if count.is_none_or(|c| c == max + 1) => max + 1,
            (None, Some(0), Some(max)) => {
                return err(format!(
                    "SLURM_ARRAY_TASK_COUNT is {} but the array spans 0-{max}: a stepped or \
                     listed --array does not cover every shard; pass --shards N, or submit with \
                     `sbatch --array=0-{max}`",
                    count.unwrap_or_default()
                ));
            }
            (None, Some(min), Some(max)) => {
                return err(format!(
                    "SLURM_ARRAY_TASK_MIN is {min}: shard indices start at 0, so shard 0 would \
                     never be rendered; submit with `sbatch --array=0-{}` (or pass --shards N \
                     when resubmitting some tasks of an N-shard run)",
                    max.saturating_sub(min)
                ));
            }
            (None, _, _) => {
                return err(format!(
                    "SLURM_ARRAY_TASK_ID is {i} but the shard count is unknown: pass --shards N \
                     (SLURM_ARRAY_TASK_COUNT is not used: a resubmitted task sees only its own count)"
                ));
            }
        };
        if i >= n {
            return err(format!(
                "SLURM_ARRAY_TASK_ID is {i}, outside the shard indices 0-{} of --shards {n}: \
                 submit the array 0-based with `sbatch --array=0-{}`",
                n - 1,
                n - 1
            ));
        }
        return Ok(Some((i, n)));
    }
    if let Some(i) = number("JOB_COMPLETION_INDEX")? {
        let Some(n) = shards else {
            return err(format!(
                "JOB_COMPLETION_INDEX is {i} but --shards is missing: pass --shards N, equal to \
                 the Job's `completions`"
            ));
        };
        if i >= n {
            return err(format!(
                "JOB_COMPLETION_INDEX is {i}, outside the shard indices 0-{} of --shards {n}: \
                 set the Job's `completions: {n}` (equal to --shards)",
                n - 1
            ));
        }
        return Ok(Some((i, n)));
    }
    match shards {
        Some(n) => err(format!(
            "--shards {n} needs a shard index: SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX \
             (or use --shard I/{n})"
        )),
        None => Ok(None),
    }
}

/// Shard directories of another split under `out` (`shard-I-of-M`, M != n): a resubmitted
/// task that got its count wrong would otherwise render a shard nobody merges.
pub fn other_splits(out: &Path, n: u32) -> Vec<String> {
    let mut found: Vec<String> = std::fs::read_dir(out)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str().map(str::to_string))
        .filter(|name| {
            name.strip_prefix("shard-")
                .and_then(|r| r.split_once("-of-"))
                .and_then(|(_, m)| m.parse::<u32>().ok())
                .is_some_and(|m| m != n)
        })
        .collect();
    found.sort();
    found
}
