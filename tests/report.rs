//! `drivegen report` writes an HTML page whose figures all load in headless Chromium.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::drivegen;

fn chromium() -> Option<PathBuf> {
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

#[test]
fn report_renders_with_all_its_images_in_headless_chromium() {
    let dir = common::scratch("report");
    let rgb = common::vulkan();
    let mut render = drivegen();
    render
        .args([
            "render",
            "--quiet",
            "--frames",
            "3",
            "--variants",
            "2",
            "--width",
            "320",
            "--height",
            "192",
            "--out",
        ])
        .arg(&dir);
    if !rgb {
        render.arg("--no-rgb");
    }
    let o = render.output().expect("runs");
    common::assert_success(&o);
    let o = drivegen()
        .args(["report", "--quiet"])
        .arg(&dir)
        .output()
        .expect("runs");
    common::assert_success(&o);
    let report = dir.join("report/report.html");
    let html = std::fs::read_to_string(&report).expect("report.html");
    for fig in [
        "contact_sheet.png",
        "classes.png",
        "box_heights.png",
        "distances.png",
        "visibility.png",
    ] {
        assert!(html.contains(fig), "{fig} is linked");
        let img = image::open(dir.join("report").join(fig))
            .expect("figure decodes")
            .into_rgb8();
        let first = img.get_pixel(0, 0);
        assert!(img.pixels().any(|p| p != first), "{fig} is not blank");
    }
    assert!(
        html.contains("time of day (h)"),
        "sampled parameters are listed"
    );
    assert!(
        html.contains("<td>front 320x192</td>")
            && html.contains("<td>captures per variant</td><td>3</td>"),
        "the command line's overrides are shown beside the scenario file"
    );

    let found = chromium();
    if !common::prerequisite(
        "Chromium",
        found.is_some(),
        "apt-get install chromium (tools/test.sh installs it)",
    ) {
        return;
    }
    let Some(chromium) = found else { return };
    let profile = dir.join("chromium-profile");
    let out = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--allow-file-access-from-files",
            "--virtual-time-budget=5000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", report.display()))
        .output()
        .expect("chromium runs");
    let dom = String::from_utf8_lossy(&out.stdout);
    assert!(
        dom.contains("data-images=\"5\""),
        "chromium saw the page: {}",
        &dom[..dom.len().min(400)]
    );
    assert!(
        dom.contains("data-images-loaded=\"5\""),
        "every image loads in chromium"
    );
}
