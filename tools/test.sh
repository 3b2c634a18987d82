#!/usr/bin/env bash
# The test suite: formatting, lints (clippy, warnings are errors), then every test in the workspace.
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/common.sh"
cd "$here/.."
ensure_system_packages chromium
ensure_python_packages
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked "$@"
# The Python dataset reader, against datasets rendered by the drivegen binary just built.
python3 -m pytest -q -p no:cacheprovider tools/python
