#!/usr/bin/env bash
# The main job: the embedded default scenario through the pipeline into out/.
# Extra arguments go to `drivegen plan` (e.g. a scenario file, --variant 2).
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/common.sh"
cd "$here/.."
ensure_system_packages
cargo run --locked --quiet -p drivegen -- plan "$@"
