# Shared by train_default_refiner.sh and sweep_self_regularisation.sh: the real cameras,
# the renders the shipped refiner trains on (highway merge, urban intersection, downtown
# jam at the default quality) and the scenario its curves are measured on (roundabout,
# never trained on), and the training options every run of the shipped design shares.
# Expects common.sh sourced and the repository root as the working directory.
shared="${DRIVEGEN_SHARED:-../shared}"
road="$shared/data/real-road/frames"
hmb="$shared/data/real-road-hmb/frames"
for d in "$road" "$hmb"; do
    [ -d "$d" ] || { echo "drivegen: $d is missing (set DRIVEGEN_SHARED)" >&2; exit 2; }
done
work=out/refiner-default
# DRIVEGEN_BIN: a prebuilt binary, for machines without the toolchain (tools/device_check.sh).
if [ -n "${DRIVEGEN_BIN:-}" ]; then
    drivegen="$DRIVEGEN_BIN"
else
    cargo build --locked --quiet -p drivegen
    drivegen="$CARGO_TARGET_DIR/debug/drivegen"
fi
for s in highway_merge urban_intersection downtown_jam roundabout; do
    [ -f "$work/sim/$s/manifest.json" ] ||
        "$drivegen" render "scenarios/$s.ron" --frames 20 --variants 3 --out "$work/sim/$s" -q
done
mkdir -p "$work/train-sim"
for s in highway_merge urban_intersection downtown_jam; do
    ln -sfn "../sim/$s" "$work/train-sim/$s"
done
# Options every shipped refiner shares: data, held-out curves against the later block of
# each camera, conditioning, discriminator and loss. Curves and checkpoints every
# ${refiner_every:-250} steps (longer GPU runs space them out).
refiner_train_args=(
    --sim "$work/train-sim" --real "$road@0..80" --real "$hmb@0..280"
    --holdout-sim "$work/sim/roundabout" --holdout-real "$road@80.." --holdout-real "$hmb@280.."
    --curve-every "${refiner_every:-250}" --checkpoint-every "${refiner_every:-250}"
    --condition semantic,depth --residual-bound 0.3
    --discriminator-scales 2 --feature-matching 1.0 --loss ls --learning-rate 2e-4
)
# The two shipped architectures (README, "The shipped refiners"): `quality` has 27 k
# parameters and 3 GFLOP per 640x384 frame, `fast` 7.8 k parameters and 0.8 GFLOP.
# No noise channel: with one, `fast` learned pixel grain that the realism test caught
# (500 steps: 0.956 against real-road with noise, 0.895 without; docs/realism-log.md).
# Both were trained before `--border edge` existed, with zeros beyond the frame.
refiner_quality_args=(--width 16 --hidden-layers 1 --dilations 2 --context-width 32 --context-scale 4 --border zero)
refiner_fast_args=(--width 8 --hidden-layers 0 --context-width 16 --context-scale 4 --border zero)
# The shipped recipes: architecture plus self-regularisation. 0.1 won the sweep
# (tools/sweep_self_regularisation.sh) and fast was trained with it; quality at 0.1 traded
# two-sample accuracy and colour fidelity for KID (docs/realism-log.md), so it stays at 1.0.
refiner_fast_recipe=("${refiner_fast_args[@]}" --self-regularisation 0.1)
refiner_quality_recipe=("${refiner_quality_args[@]}" --self-regularisation 1.0)
