#!/usr/bin/env bash
# Reproduces the shipped refiner checkpoint (assets/refiner/default): renders three
# daytime example scenarios, trains against the first 80 real-road frames (frames 80..
# stay held out), evaluates on a scenario it never saw, and packs the result.
# Usage: tools/train_default_refiner.sh [REAL_FRAMES_DIR]   (about 5 minutes on 2 cores)
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/common.sh"
cd "$here/.."
ensure_system_packages
real="${1:-../shared/data/real-road/frames}"
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
"$drivegen" refine train --sim "$work/train-sim" --real "$real" --real-frames 0..80 \
    --out "$work/run" --steps 800 --checkpoint-every 200 --condition semantic --loss ls \
    --self-regularisation 1.0 --learning-rate 1e-4 --backend flex
"$drivegen" refine pack --ckpt "$work/run" --out assets/refiner/default
"$drivegen" refine eval --ckpt "$work/run" --sim "$work/sim/roundabout" \
    --real "$real" --real-frames 80.. --out "$work/eval" --backend flex
"$drivegen" refine sample --ckpt "$work/run" --real "$real" --out "$work/vae-samples.png" --backend flex
