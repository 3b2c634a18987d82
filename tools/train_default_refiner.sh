#!/usr/bin/env bash
# Reproduces a shipped refiner checkpoint (assets/refiner/fast or assets/refiner/quality):
# renders three daytime example scenarios at the default quality, trains against two real
# cameras (real-road frames 0..80 and real-road-hmb frames 0..280; the later blocks stay
# held out), logs held-out realism curves on a scenario it never trains on (roundabout)
# every 250 steps, packs the result and evaluates it against both held-out blocks.
# Usage: tools/train_default_refiner.sh [--no-pack] [fast|quality] [STEPS] [BACKEND]
#   --no-pack trains and evaluates without replacing assets/refiner/<model> (to explore a
#   longer run or another backend).
#   MODEL defaults to quality; STEPS to 1500 for quality and 1000 for fast (10-30 minutes on
#   2 CPU cores; the held-out curves flatten after them, README); BACKEND to flex (CPU),
#   use wgpu on a GPU machine. A run resumes from its checkpoint when STEPS
#   grows. Set DRIVEGEN_SHARED to the shared data folder if it is not ../shared. The
#   self-regularisation weight was chosen by tools/sweep_self_regularisation.sh
#   (docs/realism-log.md, "The self-regularisation sweep").
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/common.sh"
cd "$here/.."
ensure_system_packages
pack=true
if [ "${1:-}" = "--no-pack" ]; then pack=false; shift; fi
model="${1:-quality}"
# fast's held-out curves were best at 1,000 steps on the dash-camera renders (README).
default_steps=1500
[ "$model" = fast ] && default_steps=1000
steps="${2:-$default_steps}"
backend="${3:-flex}"
source "$here/refiner_setup.sh"
case "$model" in
    fast) arch=("${refiner_fast_recipe[@]}") ;;
    quality) arch=("${refiner_quality_recipe[@]}") ;;
    *) echo "drivegen: unknown refiner '$model' (fast or quality; --no-pack goes first)" >&2; exit 2 ;;
esac
run="$work/run-$model"
"$drivegen" refine train "${refiner_train_args[@]}" "${arch[@]}" \
    --out "$run" --steps "$steps" --backend "$backend"
if $pack; then
    "$drivegen" refine pack --ckpt "$run" --out "assets/refiner/$model"
fi
for real in "$road@80.." "$hmb@280.."; do
    name=$(basename "$(dirname "${real%@*}")")
    "$drivegen" refine eval --ckpt "$run" --sim "$work/sim/roundabout" \
        --real "${real%@*}" --real-frames "${real#*@}" --out "$run/eval-$name" --backend "$backend"
done
