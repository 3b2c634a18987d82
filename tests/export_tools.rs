//! The standard exports load, unmodified and from any working directory, the way the tools
//! their users use load them. `tools/check_exports.py` (run from `/`) applies ultralytics'
//! dataset resolution and label rules, torchvision's CocoDetection, the mmdetection3d /
//! OpenPCDet KITTI layout and cityscapesScripts' file naming and pixel-level evaluation
//! (ground truth as prediction scores mean IoU 1.0), using each real library when it is
//! importable and its documented rules otherwise. A damaged copy must fail every check.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{drivegen, in_ci, prerequisite, scratch, vulkan};

fn python_imports(modules: &str) -> bool {
    Command::new("python3")
        .args(["-c", &format!("import {modules}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

fn check_exports(exports: &Path) -> (Output, String) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tools/check_exports.py")
        .canonicalize()
        .expect("tools/check_exports.py");
    let out = Command::new("python3")
        .arg(script)
        .arg(exports)
        .current_dir("/")
        .output()
        .expect("python3 runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out, text)
}

fn render_and_export(dir: &Path) -> PathBuf {
    let out = drivegen()
        .args(["render", "--quiet", "--frames", "12", "--variants", "4"])
        .args(["--width", "320", "--height", "192", "--out"])
        .arg(dir)
        .output()
        .expect("render runs");
    common::assert_success(&out);
    let out = drivegen()
        .arg("export")
        .arg(dir)
        .args(["--format", "kitti,coco,yolo,cityscapes"])
        .output()
        .expect("export runs");
    common::assert_success(&out);
    dir.join("exports")
}

#[test]
fn every_export_loads_in_its_users_tools_from_any_directory() {
    if !vulkan()
        || !prerequisite(
            "python3 with numpy, pillow and pyyaml",
            python_imports("numpy, PIL, yaml"),
            "source tools/common.sh && ensure_python_packages (tools/test.sh does)",
        )
    {
        return;
    }
    // CI runs the real evaluation script; elsewhere its rules are mirrored if it is absent.
    let real_cityscapes =
        python_imports("cityscapesscripts.evaluation.evalPixelLevelSemanticLabeling");
    assert!(
        real_cityscapes || !in_ci(),
        "cityscapesscripts is missing, and CI=true makes that a failure\n  = hint: source tools/common.sh && ensure_python_packages"
    );
    let dir = scratch("export-tools");
    let exports = render_and_export(&dir);

    let (out, text) = check_exports(&exports);
    assert!(out.status.success(), "{text}");
    for format in ["yolo", "coco", "kitti", "cityscapes"] {
        assert!(
            text.contains(&format!("PASS {format}: ")),
            "{format}:\n{text}"
        );
    }
    assert!(text.lines().any(|l| l == "4 passed, 0 failed"), "{text}");
    assert!(text.contains("mean IoU 1.000"), "{text}");
    if real_cityscapes {
        assert!(
            text.contains("cityscapesscripts getCsFileInfo + evalPixelLevelSemanticLabeling"),
            "{text}"
        );
    }

    // A damaged copy fails every format: a relative `path:` (resolved against the working
    // directory), a missing COCO image, a KITTI frame left out of ImageSets, and a
    // Cityscapes city with an underscore (cityscapesScripts splits names at `_`).
    let yaml = exports.join("yolo/data.yaml");
    let text_yaml = std::fs::read_to_string(&yaml).expect("data.yaml");
    std::fs::write(&yaml, format!("path: yolo\n{text_yaml}")).expect("write");
    std::fs::remove_file(exports.join("coco/val/000000.png")).expect("a val image");
    let val = exports.join("kitti/ImageSets/val.txt");
    let ids = std::fs::read_to_string(&val).expect("val.txt");
    std::fs::write(
        &val,
        ids.lines()
            .skip(1)
            .map(|l| format!("{l}\n"))
            .collect::<String>(),
    )
    .expect("write");
    let gt = std::fs::read_dir(exports.join("cityscapes/gtFine/val"))
        .expect("gtFine/val")
        .filter_map(Result::ok)
        .next()
        .expect("a city")
        .path();
    let label = std::fs::read_dir(&gt)
        .expect("city")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.to_string_lossy().ends_with("_gtFine_labelIds.png"))
        .expect("a labelIds file");
    std::fs::copy(
        &label,
        gt.join("extra_city_000000_000000_gtFine_labelIds.png"),
    )
    .expect("copy");
    let (out, text) = check_exports(&exports);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.lines().any(|l| l == "0 passed, 4 failed"), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}
