#!/usr/bin/env bash
# Reproduces the two class looks in assets/looks/ (README, "Fitting a look per class"):
# fits one look per real camera on 20 frames each of urban intersection, highway merge
# and downtown jam against the camera's training block (real-road 0..80, real-road-hmb
# 0..280), both fits at once (9 minutes on 2 cores, plus the renders), then scores raw and graded
# renders of every example scenario against the held-out blocks (80.., 280..) and prints
# one row per scenario. Set DRIVEGEN_SHARED if the shared data is not in ../shared.
#   tools/fit_looks.sh [OUT]     (default: out/looks; writes assets/looks/*.json)
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/common.sh"
cd "$here/.."
ensure_system_packages
work="${1:-out/looks}"
shared="${DRIVEGEN_SHARED:-../shared}"
cargo build --quiet --locked -p drivegen
bin="$CARGO_TARGET_DIR/debug/drivegen"
mkdir -p "$work" assets/looks
scenes=()
for f in scenarios/*.ron; do scenes+=("$(basename "$f" .ron)"); done
for s in "${scenes[@]}"; do
    [ -f "$work/$s/manifest.json" ] ||
        "$bin" --quiet render "scenarios/$s.ron" --variants 1 --frames 20 --out "$work/$s"
done
fit=(--sim "$work/urban_intersection" --sim "$work/highway_merge" --sim "$work/downtown_jam")
# camera name, frames folder, training block, held-out block
cameras=("real-road $shared/data/real-road/frames 0..80 80.."
    "real-road-hmb $shared/data/real-road-hmb/frames 0..280 280..")
for c in "${cameras[@]}"; do
    read -r name frames train _ <<<"$c"
    "$bin" --quiet fit-look --real "$frames" --real-frames "$train" "${fit[@]}" \
        --out "$work/$name.json" &
done
wait
for c in "${cameras[@]}"; do
    read -r name frames _ held <<<"$c"
    cp "$work/$name.json" "assets/looks/$name.json"
    raw=() graded=()
    for s in "${scenes[@]}"; do
        "$bin" --quiet refine apply --ckpt "$work/$name.json" --in "$work/$s/v000/front/rgb" \
            --out "$work/graded-$name/$s" >/dev/null
        raw+=(--sim "$work/$s/v000/front/rgb")
        graded+=(--sim "$work/graded-$name/$s")
    done
    "$bin" --quiet realism --real "$frames" --real-frames "$held" "${raw[@]}" --out "$work/raw-$name.json"
    "$bin" --quiet realism --real "$frames" --real-frames "$held" "${graded[@]}" --out "$work/graded-$name.json"
done
python3 - "$work" "${scenes[@]}" <<'PY'
import json, sys
work, scenes = sys.argv[1], sys.argv[2:]
def acc(f):
    return [r["patch_accuracy"]["accuracy"] for r in json.load(open(f))["results"]]
cams = ["real-road", "real-road-hmb"]
cols = {c: (acc(f"{work}/raw-{c}.json"), acc(f"{work}/graded-{c}.json")) for c in cams}
print("| scenario | vs real-road 80.. raw \\| graded | vs real-road-hmb 280.. raw \\| graded |")
print("|---|---|---|")
for i, s in enumerate(scenes):
    cells = [f"{cols[c][0][i]:.3f} \\| {cols[c][1][i]:.3f}" for c in cams]
    print(f"| {s.replace('_', ' ')} | {cells[0]} | {cells[1]} |")
PY
