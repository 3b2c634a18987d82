#!/usr/bin/env bash
# Render a dataset as a Slurm job array: task I renders shard I of N (the variants v with
# v mod N = I) into OUT/shard-I-of-N. Every argument goes to `drivegen render`; with no
# scenario file the embedded default is rendered. Submit the array 0-based:
#
#   sbatch --array=0-7 tools/slurm/render-array.sh --out /scratch/out scenarios/downtown_jam.ron
#   sbatch --array=0-3 tools/slurm/render-array.sh --out /scratch/out --frames 20 --no-rgb
#
# The shard count N is `--shards N` when given, else SLURM_ARRAY_TASK_MAX + 1 of a
# 0-based array, never SLURM_ARRAY_TASK_COUNT. To resubmit some tasks of a run, give N:
#
#   sbatch --array=2,5 tools/slurm/render-array.sh --shards 8 --out /scratch/out ...
#
# Tasks always pass --resume: the first submission starts fresh, and a requeued,
# preempted or resubmitted task continues from its journal. When all tasks are done:
#
#   drivegen merge /scratch/merged /scratch/out/shard-*-of-8
#
# drivegen is taken from $DRIVEGEN, else from PATH. A 1-based array, an index beyond N or
# a second split in the same --out is refused with exit 2 before anything is written.
#
#SBATCH --job-name=drivegen-render
#SBATCH --cpus-per-task=2
#SBATCH --mem=2G
#SBATCH --time=04:00:00
#SBATCH --requeue
#SBATCH --open-mode=append
set -euo pipefail

drivegen="${DRIVEGEN:-drivegen}"
if [ -z "${SLURM_ARRAY_TASK_ID:-}" ]; then
    echo "render-array.sh: not a job array task; submit with sbatch --array=0-<N-1>" >&2
    exit 2
fi

args=("$@")
have_shards=false
for a in "$@"; do
    case "$a" in --shards | --shards=*) have_shards=true ;; esac
done
# A full 0-based array gives N; anything else (1-based, stepped, a resubmission of some
# tasks) is left to drivegen, which names the problem and the fix.
if ! $have_shards && [ "${SLURM_ARRAY_TASK_MIN:-}" = 0 ] && [ -n "${SLURM_ARRAY_TASK_MAX:-}" ] &&
    [ "${SLURM_ARRAY_TASK_COUNT:-}" = "$((SLURM_ARRAY_TASK_MAX + 1))" ]; then
    args+=(--shards "$((SLURM_ARRAY_TASK_MAX + 1))")
fi

echo "render-array.sh: job ${SLURM_ARRAY_JOB_ID:-?} task $SLURM_ARRAY_TASK_ID on $(hostname) (restart ${SLURM_RESTART_COUNT:-0}): $drivegen render --resume ${args[*]}" >&2
exec "$drivegen" render --resume "${args[@]}"
