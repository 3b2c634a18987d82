#!/usr/bin/env bash
# Reproduces the shipped refiner checkpoint (assets/refiner/default): renders three
# daytime example scenarios at the default quality, trains against two real cameras
# (real-road frames 0..80 and real-road-hmb frames 0..280; the later blocks stay held
# out), logs held-out realism curves on a scenario it never trains on (roundabout) every
# 250 steps, packs the result and evaluates it against both held-out blocks.
# Usage: tools/train_default_refiner.sh [STEPS] [BACKEND]
#   STEPS defaults to 1500 (about 30 minutes on 2 CPU cores); BACKEND to flex (CPU),
#   use wgpu on a GPU machine. Set DRIVEGEN_SHARED to the shared data folder if it is
#   not ../shared. The self-regularisation weight was chosen by
#   tools/sweep_self_regularisation.sh (README, "The shipped refiner").
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/common.sh"
cd "$here/.."
ensure_system_packages
steps="${1:-1500}"
backend="${2:-flex}"
source "$here/refiner_setup.sh"
"$drivegen" refine train "${refiner_train_args[@]}" --self-regularisation 1.0 \
    --out "$work/run" --steps "$steps" --backend "$backend"
"$drivegen" refine pack --ckpt "$work/run" --out assets/refiner/default
for real in "$road@80.." "$hmb@280.."; do
    name=$(basename "$(dirname "${real%@*}")")
    "$drivegen" refine eval --ckpt "$work/run" --sim "$work/sim/roundabout" \
        --real "${real%@*}" --real-frames "${real#*@}" --out "$work/eval-$name" --backend "$backend"
done
