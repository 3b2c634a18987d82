#!/usr/bin/env bash
# Renders every example scenario with the shipped refiner, writes a raw | refined contact
# sheet per scenario to assets/readme/refined/<scenario>.png, and runs the realism test
# of raw and refined frames against the held-out blocks of both real cameras
# (real-road 80.., real-road-hmb 280..: the shipped refiner never trained on them),
# printing one table row per scenario. Set DRIVEGEN_SHARED if the shared data is not in
# ../shared.
#   tools/refine_sheets.sh [FRAMES] [OUT]     (defaults: 20 frames, out/refine-sheets)
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/common.sh"
cd "$here/.."
ensure_system_packages
ensure_python_packages
frames="${1:-20}"
work="${2:-out/refine-sheets}"
shared="${DRIVEGEN_SHARED:-../shared}"
road="$shared/data/real-road/frames"
hmb="$shared/data/real-road-hmb/frames"
cargo build --quiet --locked -p drivegen
bin="$CARGO_TARGET_DIR/debug/drivegen"
mkdir -p "$work" assets/readme/refined
scenes=()
for f in scenarios/*.ron; do scenes+=("$(basename "$f" .ron)"); done
for s in "${scenes[@]}"; do
    [ -f "$work/$s/manifest.json" ] ||
        "$bin" --quiet render "scenarios/$s.ron" --variants 1 --frames "$frames" \
            --refine default --out "$work/$s"
    for real in "$road@80.." "$hmb@280.."; do
        name=$(basename "$(dirname "${real%@*}")")
        [ -f "$work/$s-$name.json" ] ||
            "$bin" --quiet realism --real "${real%@*}" --real-frames "${real#*@}" \
                --sim "$work/$s" --rgb both --out "$work/$s-$name.json" >/dev/null
    done
done
python3 - "$work" "$frames" "${scenes[@]}" <<'EOF'
import json, sys
from PIL import Image, ImageDraw
work, frames, scenes = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
w, h = 320, 192
picks = [frames // 4, frames // 2, frames - 1]
print("| scenario | vs real-road 80.. raw | refined | vs real-road-hmb 280.. raw | refined |")
print("|---|---|---|---|---|")
for s in scenes:
    sheet = Image.new("RGB", (2 * w, len(picks) * h), "white")
    draw = ImageDraw.Draw(sheet)
    for r, f in enumerate(picks):
        for c, folder in enumerate(("rgb", "rgb_refined")):
            im = Image.open(f"{work}/{s}/v000/front/{folder}/{f:06d}.png").convert("RGB")
            sheet.paste(im.resize((w, h), Image.LANCZOS), (c * w, r * h))
            draw.text((c * w + 6, r * h + 4), f"{s} #{f} {'raw' if c == 0 else 'refined'}",
                      fill=(255, 255, 0))
    sheet.save(f"assets/readme/refined/{s}.png", optimize=True)
    cells = []
    for real in ("real-road", "real-road-hmb"):
        report = json.load(open(f"{work}/{s}-{real}.json"))
        acc = {r["rgb"]: r["patch_accuracy"]["accuracy"] for r in report["results"]}
        cells += [f"{acc.get('raw', float('nan')):.3f}", f"{acc.get('refined', float('nan')):.3f}"]
    print(f"| {s.replace('_', ' ')} | " + " | ".join(cells) + " |")
EOF
