#!/usr/bin/env bash
# Render a scenario as a Slurm job array: each task renders its share of the variants
# (SLURM_ARRAY_TASK_ID of SLURM_ARRAY_TASK_COUNT) into OUT/shard-I-of-N. A requeued or
# preempted task resumes from its journal. Afterwards: drivegen merge MERGED OUT/shard-*
#
#   sbatch --array=0-7 tools/slurm/render-array.sh scenarios/downtown_jam.ron /scratch/out
#
#SBATCH --job-name=drivegen-render
#SBATCH --cpus-per-task=2
#SBATCH --mem=2G
#SBATCH --time=04:00:00
#SBATCH --requeue
set -euo pipefail
scenario="${1:?usage: render-array.sh SCENARIO OUT}"
out="${2:?usage: render-array.sh SCENARIO OUT}"
exec drivegen render "$scenario" --resume --out "$out" --quiet
