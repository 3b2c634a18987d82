# Shared by the tools/ scripts: one persistent build directory outside the clone, so
# CI on this machine builds incrementally, and the system packages drivegen needs.
set -euo pipefail

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/drivegen-target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
# Mesa's Vulkan loader wants a private runtime directory even headless.
if [ -z "${XDG_RUNTIME_DIR:-}" ]; then
    export XDG_RUNTIME_DIR="${TMPDIR:-/tmp}/drivegen-runtime-$(id -u)"
    mkdir -p -m 0700 "$XDG_RUNTIME_DIR"
fi

# Packages: the Vulkan loader and Mesa's software Vulkan (lavapipe), so rendering works
# on machines without a GPU driver; Chromium for the report test. Installed only when missing.
ensure_system_packages() {
    local missing=()
    for pkg in libvulkan1 mesa-vulkan-drivers "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        if ! command -v apt-get >/dev/null; then
            echo "drivegen: please install ${missing[*]} with your package manager" >&2
            return 0
        fi
        echo "drivegen: installing ${missing[*]}" >&2
        local sudo=""
        [ "$(id -u)" -ne 0 ] && sudo="sudo"
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi
}

# Python packages the acceptance tests use to check exports (pycocotools for COCO).
ensure_python_packages() {
    if command -v python3 >/dev/null && ! python3 -c "import pycocotools, PIL, numpy" 2>/dev/null; then
        echo "drivegen: installing pycocotools, pillow, numpy for the export checks" >&2
        python3 -m pip install --quiet --disable-pip-version-check pycocotools pillow numpy >&2 || true
    fi
    # pyyaml and cityscapesScripts' evaluation for tools/check_exports.py. The evaluation
    # needs only numpy, pillow and pyquaternion, so its GUI and plotting deps are skipped.
    if command -v python3 >/dev/null && ! python3 -c "import yaml, cityscapesscripts.evaluation.evalPixelLevelSemanticLabeling" 2>/dev/null; then
        echo "drivegen: installing pyyaml, cityscapesscripts for tools/check_exports.py" >&2
        python3 -m pip install --quiet --disable-pip-version-check pyyaml >&2 || true
        python3 -m pip install --quiet --disable-pip-version-check --no-deps cityscapesscripts pyquaternion >&2 || true
    fi
    # TrackEval for tools/check_kitti_tracking.py.
    if command -v python3 >/dev/null && ! python3 -c "import trackeval" 2>/dev/null; then
        echo "drivegen: installing trackeval for tools/check_kitti_tracking.py" >&2
        python3 -m pip install --quiet --disable-pip-version-check trackeval >&2 || true
    fi
    # pytest for the Python dataset reader's tests (tools/python).
    if command -v python3 >/dev/null && ! python3 -c "import pytest" 2>/dev/null; then
        echo "drivegen: installing pytest for the tools/python tests" >&2
        python3 -m pip install --quiet --disable-pip-version-check pytest >&2 || true
    fi
}
