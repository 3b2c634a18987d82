#!/usr/bin/env bash
# The main job: the embedded default scenario rendered into a labeled dataset in
# out/dataset/. Extra arguments go to `drivegen render` (a scenario file, --frames N, ...).
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/common.sh"
cd "$here/.."
ensure_system_packages
bin="$CARGO_TARGET_DIR/debug/drivegen"
if [ ! -x "$bin" ]; then
    echo "drivegen: first build: compiling Bevy, rapier and burn takes about 20 minutes on 2 cores" >&2
    echo "drivegen: (later builds take seconds; build output goes to $CARGO_TARGET_DIR)" >&2
fi
# Not --quiet: cargo prints one line per crate it compiles (and its bar on a terminal).
cargo build --locked -p drivegen
exec "$bin" render "$@"
