#!/usr/bin/env bash
# Where every example scenario stands in the realism test (README, "Realism"): renders each
# scenario as its file defines it (all variants, full duration: the frames a user gets),
# grades the renders with each class look in assets/looks/, and prints raw | graded
# against each real camera's held-out block (real-road 80.., real-road-hmb 280..). The
# test splits a dataset's frames into alternating contiguous blocks, so with four
# variants it trains on two of them and is scored on the other two, as it trains and is
# scored on different stretches of road of a real camera. About 14 minutes to render and
# 14 to grade and test on 2 cores. Set DRIVEGEN_SHARED if the shared data is not in ../shared,
# and LOOKS to grade with the looks in another folder (<camera name>.json).
#   tools/realism_table.sh [OUT]     (default: out/realism-table)
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/common.sh"
cd "$here/.."
ensure_system_packages
work="${1:-out/realism-table}"
shared="${DRIVEGEN_SHARED:-../shared}"
looks="${LOOKS:-assets/looks}"
cargo build --quiet --locked -p drivegen
bin="$CARGO_TARGET_DIR/debug/drivegen"
mkdir -p "$work"
scenes=()
for f in scenarios/*.ron; do scenes+=("$(basename "$f" .ron)"); done
for s in "${scenes[@]}"; do
    [ -f "$work/$s/manifest.json" ] || "$bin" --quiet render "scenarios/$s.ron" --out "$work/$s"
done
# camera name, frames folder, held-out block; the look is $looks/<camera name>.json
cameras=("real-road $shared/data/real-road/frames 80.."
    "real-road-hmb $shared/data/real-road-hmb/frames 280..")
for c in "${cameras[@]}"; do
    read -r name frames held <<<"$c"
    raw=() graded=()
    for s in "${scenes[@]}"; do
        # Graded again on every run: the look may have changed since (fit_looks.sh). A
        # graded dataset keeps its relative paths (v000/front/rgb/...): sorted, they stay
        # in variant and time order.
        rm -rf "$work/graded-$name/$s"
        "$bin" --quiet refine apply --ckpt "$looks/$name.json" --in "$work/$s" \
            --out "$work/graded-$name/$s" >/dev/null
        raw+=(--sim "$work/$s")
        graded+=(--sim "$work/graded-$name/$s")
    done
    "$bin" --quiet realism --real "$frames" --real-frames "$held" --rgb raw "${raw[@]}" \
        --out "$work/raw-$name.json"
    "$bin" --quiet realism --real "$frames" --real-frames "$held" "${graded[@]}" \
        --out "$work/graded-$name.json"
done
# The scale: each camera's held-out block against the other camera's training block (two
# real cameras) and against its own training block (one camera, other stretches of road).
for c in "${cameras[@]}"; do
    read -r name frames held <<<"$c"
    for o in "${cameras[@]}"; do
        read -r other other_frames other_held <<<"$o"
        "$bin" --quiet realism --real "$frames" --real-frames "$held" --sim "$other_frames" \
            --sim-frames "0..${other_held%..}" --out "$work/reference-$name-$other.json"
    done
done
python3 - "$work" "${scenes[@]}" <<'PY'
import json, sys
work, scenes = sys.argv[1], sys.argv[2:]
def acc(f):
    return [r["patch_accuracy"]["accuracy"] for r in json.load(open(f))["results"]]
cams = ["real-road", "real-road-hmb"]
cols = {c: (acc(f"{work}/raw-{c}.json"), acc(f"{work}/graded-{c}.json")) for c in cams}
def rgb_frames(s):
    frames = json.load(open(f"{work}/{s}/manifest.json"))["frames"]
    return sum(any("/rgb/" in f["path"] for f in fr["files"]) for fr in frames)
frames = {s: rgb_frames(s) for s in scenes}
print("| scenario | frames | vs real-road 80.. raw \\| graded | vs real-road-hmb 280.. raw \\| graded |")
print("|---|---|---|---|")
for i, s in enumerate(scenes):
    cells = [f"{cols[c][0][i]:.3f} \\| {cols[c][1][i]:.3f}" for c in cams]
    print(f"| {s.replace('_', ' ')} | {frames[s]} | {cells[0]} | {cells[1]} |")
means = [f"{sum(cols[c][0]) / len(scenes):.3f} \\| {sum(cols[c][1]) / len(scenes):.3f}" for c in cams]
print(f"| mean | | {means[0]} | {means[1]} |")
# Reference rows: real frames of a camera's training block in place of renders.
def reference(cam, other):
    return acc(f"{work}/reference-{cam}-{other}.json")[0]
for other in cams:
    cells = [f"{reference(cam, other):.3f}" + (" (same camera)" if cam == other else "") for cam in cams]
    print(f"| real frames: {other}, training block | | {cells[0]} | {cells[1]} |")
PY
