//! The sensor model reaches the dataset: `calibration.json` carries each variant's lens
//! coefficients in OpenCV's order (drawn per variant from a distribution), the KITTI
//! export's calib adds them as `D_02:` after the seven lines its readers take by
//! position, and a camera without a sensor model writes neither.

#[path = "common/dirs.rs"]
mod dirs;
#[path = "common/prerequisite.rs"]
mod prerequisite;

use std::path::Path;

use drivegen_dataset::NativeDataset;
use drivegen_export::{ExportOptions, Format, SplitBy, SplitFractions, export};
use drivegen_render::{RenderRequest, Silent, render};

const LENS: &str = "sensor: (
            distortion: (k1: Uniform(-0.3, -0.1), k2: 0.05, p1: 0.001, p2: -0.0005),
            vignetting: 0.2,
        ),";

/// A two-variant scenario whose one small camera has `sensor` (RON, or nothing).
fn scenario(sensor: &str) -> String {
    format!(
        r#"Scenario(
    name: "lens",
    seed: 5,
    variants: 2,
    capture: (frames: 4),
    sensors: (cameras: [(
        name: "front",
        width: 160,
        height: 96,
        {sensor}
    )]),
)"#
    )
}

fn render_into(text: &str, out: &Path, rgb: bool) -> NativeDataset {
    let loaded = drivegen_scenario::load_str("lens.ron", text).expect("scenario loads");
    let _ = std::fs::remove_dir_all(out);
    let mut req = RenderRequest::new(loaded.scenario, loaded.merged_text, out.to_path_buf());
    req.engine.rgb = rgb;
    render(&req, &mut Silent).expect("renders");
    NativeDataset::open(out).expect("reads back")
}

#[test]
fn calibration_and_kitti_calib_carry_the_lens() {
    let rgb = prerequisite::prerequisite(
        "a Vulkan adapter",
        drivegen_sim::probe_adapter().is_ok(),
        "apt-get install libvulkan1 mesa-vulkan-drivers (tools/test.sh does)",
    );
    let out = dirs::scratch("lens");
    let ds = render_into(&scenario(LENS), &out, rgb);
    let mut k1s = Vec::new();
    for variant in 0..2 {
        let (calib, _) = ds.calibration(variant, "front").expect("calibration");
        let d = calib.distortion.expect("the lens is in calibration.json");
        assert!(
            (-0.3..-0.1).contains(&d[0]),
            "k1 {} from Uniform(-0.3, -0.1)",
            d[0]
        );
        assert_eq!(&d[1..], &[0.05, 0.001, -0.0005, 0.0]);
        k1s.push(d[0]);
        let text = std::fs::read_to_string(out.join(format!("v{variant:03}/calibration.json")))
            .expect("calibration.json");
        assert!(text.contains("\"distortion\""));
    }
    assert_ne!(k1s[0], k1s[1], "each variant draws its own lens");

    if rgb {
        let exported = out.join("export");
        let opts = ExportOptions {
            formats: vec![Format::Kitti],
            splits: SplitFractions([1.0, 0.0, 0.0]),
            split_by: SplitBy::Auto,
            rgb: drivegen_dataset::RgbChoice::Auto,
            camera: None,
        };
        export(&ds, &exported, &opts).expect("exports");
        let calib_dir = exported.join("kitti/training/calib");
        let mut seen = 0;
        for entry in std::fs::read_dir(&calib_dir).expect("calib folder") {
            let text = std::fs::read_to_string(entry.expect("entry").path()).expect("calib");
            let lines: Vec<&str> = text.lines().collect();
            assert_eq!(lines.len(), 8, "{text}");
            assert!(lines[2].starts_with("P2: "));
            let d: Vec<f64> = lines[7]
                .strip_prefix("D_02: ")
                .expect("the lens after the seven positional lines")
                .split(' ')
                .map(|v| v.parse().expect("a number"))
                .collect();
            // KITTI's calib writes 13 significant digits.
            assert!(
                k1s.iter().any(|k| (k - d[0]).abs() < 1e-11),
                "k1 {} is one variant's",
                d[0]
            );
            assert_eq!(&d[1..], &[0.05, 0.001, -0.0005, 0.0]);
            seen += 1;
        }
        assert!(seen > 0);
    }

    // Without a sensor model: no coefficients anywhere.
    let plain = scenario("");
    let ds = render_into(&plain, &out, false);
    let (calib, _) = ds.calibration(0, "front").expect("calibration");
    assert_eq!(calib.distortion, None);
    let text = std::fs::read_to_string(out.join("v000/calibration.json")).expect("json");
    assert!(!text.contains("distortion"));
    let _ = std::fs::remove_dir_all(&out);
}
