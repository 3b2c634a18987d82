#!/usr/bin/env bash
# The README's quality sheet: one frame of each lighting and weather example at
# --quality draft (left) and default (right), written to assets/readme/quality_presets.png.
#   tools/quality_sheet.sh [FRAME]
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/common.sh"
cd "$here/.."
set -euo pipefail
ensure_system_packages
ensure_python_packages
frame="${1:-15}"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
cargo build --quiet -p drivegen
bin="$CARGO_TARGET_DIR/debug/drivegen"
scenes=(urban_intersection urban_dusk suburban_night_rain rural_fog highway_merge)
for s in "${scenes[@]}"; do
    for q in draft default; do
        "$bin" --quiet render "scenarios/$s.ron" --quality "$q" --variants 1 \
            --frames "$((frame + 1))" --out "$scratch/$s-$q"
    done
done
python3 - "$scratch" "$frame" "${scenes[@]}" <<'EOF'
import sys
from PIL import Image, ImageDraw
scratch, frame, scenes = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
tiles = []
for s in scenes:
    row = [Image.open(f"{scratch}/{s}-{q}/v000/front/rgb/{frame:06d}.png").convert("RGB")
           for q in ("draft", "default")]
    tiles.append(row)
w, h = 400, 240
sheet = Image.new("RGB", (2 * w, len(scenes) * h), "white")
draw = ImageDraw.Draw(sheet)
for r, (s, row) in enumerate(zip(scenes, tiles)):
    for c, (q, im) in enumerate(zip(("draft", "default"), row)):
        sheet.paste(im.resize((w, h), Image.LANCZOS), (c * w, r * h))
        draw.text((c * w + 6, r * h + 4), f"{s}  --quality {q}", fill=(255, 255, 0))
sheet.save("assets/readme/quality_presets.png", optimize=True)
print("wrote assets/readme/quality_presets.png")
EOF
