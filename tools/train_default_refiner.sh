#!/usr/bin/env bash
# Reproduces the shipped refiner checkpoint (assets/refiner/default): renders three
# daytime example scenarios at the default quality, trains against two real cameras
# (real-road frames 0..80 and real-road-hmb frames 0..280; the later blocks stay held
# out), logs held-out realism curves on a scenario it never trains on (roundabout) every
# 250 steps, packs the result and evaluates it against both held-out blocks.
# Usage: tools/train_default_refiner.sh [STEPS] [BACKEND]
#   STEPS defaults to 1500 (about 30 minutes on 2 CPU cores); BACKEND to flex (CPU),
#   use wgpu on a GPU machine. Set DRIVEGEN_SHARED to the shared data folder if it is
#   not ../shared.
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/common.sh"
cd "$here/.."
ensure_system_packages
steps="${1:-1500}"
backend="${2:-flex}"
shared="${DRIVEGEN_SHARED:-../shared}"
road="$shared/data/real-road/frames"
hmb="$shared/data/real-road-hmb/frames"
for d in "$road" "$hmb"; do
    [ -d "$d" ] || { echo "train_default_refiner: $d is missing (set DRIVEGEN_SHARED)" >&2; exit 2; }
done
work=out/refiner-default
cargo build --locked --quiet -p drivegen
drivegen="$CARGO_TARGET_DIR/debug/drivegen"
for s in highway_merge urban_intersection downtown_jam roundabout; do
    [ -f "$work/sim/$s/manifest.json" ] ||
        "$drivegen" render "scenarios/$s.ron" --frames 20 --variants 3 --out "$work/sim/$s" -q
done
mkdir -p "$work/train-sim"
for s in highway_merge urban_intersection downtown_jam; do
    ln -sfn "../sim/$s" "$work/train-sim/$s"
done
# Architecture: see the README ("The shipped refiner"); 27 k parameters, 3 GFLOP per
# 640x384 frame.
"$drivegen" refine train --sim "$work/train-sim" \
    --real "$road@0..80" --real "$hmb@0..280" \
    --holdout-sim "$work/sim/roundabout" --holdout-real "$road@80.." --holdout-real "$hmb@280.." \
    --curve-every 250 --out "$work/run" --steps "$steps" --checkpoint-every 250 \
    --condition semantic,depth --noise --width 16 --hidden-layers 1 --dilations 2 \
    --context-width 32 --context-scale 4 --residual-bound 0.3 \
    --discriminator-scales 2 --feature-matching 1.0 --loss ls \
    --self-regularisation 1.0 --learning-rate 2e-4 --backend "$backend"
"$drivegen" refine pack --ckpt "$work/run" --out assets/refiner/default
for real in "$road@80.." "$hmb@280.."; do
    name=$(basename "$(dirname "${real%@*}")")
    "$drivegen" refine eval --ckpt "$work/run" --sim "$work/sim/roundabout" \
        --real "${real%@*}" --real-frames "${real#*@}" --out "$work/eval-$name" --backend "$backend"
done
