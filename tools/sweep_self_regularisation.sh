#!/usr/bin/env bash
# Measures the self-regularisation weight of the shipped refiner design (the quality
# architecture): trains one run per weight from scratch (same renders, real frames, seed
# and options as train_default_refiner.sh, so the chosen run can be moved to
# out/refiner-default/run-quality and resumed by it), then prints each run's held-out realism (two-sample accuracy and KID
# against both cameras' held-out blocks, on the roundabout renders) and label
# preservation (refine eval: Sobel-edge agreement inside object masks).
# Usage: tools/sweep_self_regularisation.sh [STEPS] [WEIGHT ...]
#   defaults: 500 steps (about 10 minutes per weight on 2 CPU cores), weights 0.1 0.3 1.0.
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/common.sh"
cd "$here/.."
ensure_system_packages
steps="${1:-500}"
shift || true
weights=("$@")
[ ${#weights[@]} -gt 0 ] || weights=(0.1 0.3 1.0)
source "$here/refiner_setup.sh"
for w in "${weights[@]}"; do
    run="$work/sweep/reg-$w"
    "$drivegen" refine train "${refiner_train_args[@]}" "${refiner_quality_args[@]}" --self-regularisation "$w" \
        --out "$run" --steps "$steps" -q
    [ -f "$run/eval-real-road/eval.json" ] ||
        "$drivegen" -q refine eval --ckpt "$run" --sim "$work/sim/roundabout" \
            --real "$road" --real-frames 80.. --out "$run/eval-real-road" >/dev/null
done
python3 - "$work/sweep" "$steps" "${weights[@]}" <<'PY'
import csv, json, sys
sweep, steps, weights = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
print(f"| self-regularisation | two-sample vs real-road 80.. | KID | vs real-road-hmb 280.. | KID "
      f"| mean change | edge agreement p05 |")
print("|---|---|---|---|---|---|---|")
for w in weights:
    rows = list(csv.DictReader(open(f"{sweep}/reg-{w}/curves.csv")))
    last = max(int(r["step"]) for r in rows)
    cells = []
    for r in sorted((r for r in rows if int(r["step"]) == last), key=lambda r: r["domain"]):
        cells += [f"{float(r['patch_accuracy']):.3f}", f"{float(r['kid']):.4f}"]
    ev = json.load(open(f"{sweep}/reg-{w}/eval-real-road/eval.json"))
    print(f"| {w} (step {last}) | " + " | ".join(cells) +
          f" | {ev['mean_abs_change']:.4f} | {ev['edge_agreement']['p05']:.3f} |")
PY
