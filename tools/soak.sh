#!/usr/bin/env bash
# Soak: render N frames (default 2000) of the default scenario at 640x384 with every
# output written, sampling resident memory; reports growth after warm-up.
# Usage: tools/soak.sh [FRAMES]
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/common.sh"
cd "$here/.."
# Sampling tolerates a missing output directory at the start.
set +e +o pipefail
frames="${1:-2000}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
cargo build --locked --quiet -p drivegen || exit 1
"$CARGO_TARGET_DIR/debug/drivegen" render --frames "$frames" --variants 1 --out "$out/ds" --quiet &
pid=$!
samples=()
while kill -0 "$pid" 2>/dev/null; do
    rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null)
    done_frames=$(find "$out/ds/v000/front/labels" -name '*.json' 2>/dev/null | wc -l)
    [ -n "$rss" ] && samples+=("$done_frames $rss") && echo "frames=$done_frames rss_kib=$rss"
    sleep 5
done
wait "$pid"
status=$?
# Warm-up: the first sample after 10% of the frames.
warm=$(printf '%s\n' "${samples[@]}" | awk -v f="$frames" '$1 >= f/10 {print $2; exit}')
last=$(printf '%s\n' "${samples[@]}" | tail -n 1 | awk '{print $2}')
peak=$(printf '%s\n' "${samples[@]}" | awk '$2 > m {m = $2} END {print m}')
echo "soak: $frames frames, exit $status, rss after warm-up ${warm} KiB, at end ${last} KiB, peak ${peak} KiB"
awk -v a="$warm" -v b="$last" 'BEGIN { if (a > 0) printf "soak: growth after warm-up %.1f%%\n", (b - a) * 100 / a }'
exit "$status"
