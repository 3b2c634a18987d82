#!/usr/bin/env bash
# The test suite: formatting, lints (clippy, warnings are errors), then every test in the
# workspace and every benchmark once.
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/common.sh"
cd "$here/.."
ensure_system_packages chromium
ensure_python_packages
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked "$@"
# Every benchmark the README lists, run once in criterion's test mode, so none can rot (the
# traffic step's scenario at the caps failed validation once a curve rule came in).
cargo test --locked -p drivegen-plan -p drivegen-world --bench scenario_plan --bench traffic_step
# The Python dataset reader, against datasets rendered by the drivegen binary just built.
python3 -m pytest -q -p no:cacheprovider tools/python
