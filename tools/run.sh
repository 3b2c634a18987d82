#!/usr/bin/env bash
# The main job: the embedded default scenario rendered into a labeled dataset in
# out/dataset/. Extra arguments go to `drivegen render` (a scenario file, --frames N, ...).
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/common.sh"
cd "$here/.."
ensure_system_packages
cargo run --locked --quiet -p drivegen -- render "$@"
