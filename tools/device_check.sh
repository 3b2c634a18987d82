#!/usr/bin/env bash
# The one prepared call for a lent GPU machine (its time is short, so everything goes in
# one script that keeps going past a failed stage):
#   1. renders the refiner's training and held-out scenarios (tools/refiner_setup.sh);
#   2. `drivegen bench`: frames/s per quality, the refiner included, on the GPU;
#   3. `drivegen refine bench --backend wgpu`: train step and 640x384 frame time;
#   4. trains refiners side by side on wgpu until the deadline, with held-out curves:
#      the shipped `quality` recipe (does it keep improving past its CPU length?) and two
#      the CPU cannot afford (the statistics critic with a bigger batch; a bigger network);
#   5. packs each run (curves, losses, last checkpoint, best/) as RESULTS/run-NAME.tar.gz.
# It needs no toolchain: give it a prebuilt binary and the shared data.
# Usage: DRIVEGEN_BIN=BIN DRIVEGEN_SHARED=DIR tools/device_check.sh [SECONDS] [RESULTS]
#   SECONDS (480) bounds the whole script; RESULTS defaults to $OUT, else out/device.
#   DEVICE_SMOKE=1 shrinks every stage, to try the script on a CPU (lavapipe) first.
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/common.sh"
cd "$here/.."
deadline="${1:-480}"
results="${2:-${OUT:-out/device}}"
mkdir -p "$results"
exec > >(tee -a "$results/log.txt") 2>&1
smoke="${DEVICE_SMOKE:-0}"
stage() { echo "== [${SECONDS} s] $*"; }

stage machine
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>/dev/null || echo "no nvidia-smi"
echo "cpus: $(nproc)"
refiner_every=500
[ "$smoke" = 1 ] && refiner_every=2
stage "renders for the refiner"
source "$here/refiner_setup.sh"
set +e
stage "adapter"
RUST_LOG=bevy_render=info "$drivegen" render scenarios/roundabout.ron --frames 1 --out "$work/adapter" -q \
    >"$work/adapter.log" 2>&1
grep -i -m1 "adapterinfo" "$work/adapter.log" || cat "$work/adapter.log"
rm -rf "$work/adapter" "$work/adapter.log"

bench_frames=80 refine_steps=10
[ "$smoke" = 1 ] && bench_frames=3 refine_steps=1
stage "drivegen bench --frames $bench_frames"
"$drivegen" bench --frames "$bench_frames" --out "$work/bench"
stage "drivegen refine bench --backend wgpu"
"$drivegen" refine bench --backend wgpu --steps "$refine_steps" --timeout 120

# The GPU has room for several runs at once; each is one process with its own device.
declare -A runs=(
    [quality]="${refiner_quality_recipe[*]}"
    [critic]="${refiner_quality_recipe[*]} --statistics-critic 1 --batch 16"
    [large]="--width 32 --hidden-layers 2 --dilations 2,4 --context-width 64 --context-scale 4 --self-regularisation 1.0 --statistics-critic 1 --batch 16 --patch 96"
)
# Leave time to pack the runs after training stops.
train_seconds=$((deadline - SECONDS - 30))
stage "training ${!runs[*]} for ${train_seconds} s"
trainers=()
for name in "${!runs[@]}"; do
    # shellcheck disable=SC2086 # the run's options are words on purpose
    timeout "$train_seconds" "$drivegen" refine train "${refiner_train_args[@]}" ${runs[$name]} \
        --out "$work/device-$name" --steps 1000000 --backend wgpu -q >"$results/train-$name.log" 2>&1 &
    trainers+=($!)
done
# Only the trainers: a bare `wait` would also wait for the log's tee.
wait "${trainers[@]}"
stage "packing"
for name in "${!runs[@]}"; do
    run="$work/device-$name"
    tail -n 3 "$results/train-$name.log"
    echo "$name: $(tail -n 1 "$run/losses.csv" 2>/dev/null | cut -d, -f1) steps"
    cat "$run/curves.csv" 2>/dev/null
    tar -czf "$results/run-$name.tar.gz" -C "$work" "device-$name"
done
stage done
