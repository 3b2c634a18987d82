//! `drivegen bench`: frames/s of the default scenario at 640x384 for each quality
//! preset (draft, default, high), labels only, and with the shipped refiner, with the time
//! per stage. Speed is measured here, never asserted in tests.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use drivegen_dataset::{DatasetWriter, semantic_lut};
use drivegen_render::FrameRefiner;
use drivegen_sim::{Engine, EngineOptions, Quality};

use super::load_scenario;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Scenario file; the embedded default when omitted.
    scenario: Option<PathBuf>,
    /// Frames per configuration.
    #[arg(long, default_value_t = 40)]
    frames: u32,
    /// Where the "written" configurations write (deleted afterwards).
    #[arg(long, default_value = "out/bench")]
    out: PathBuf,
}

struct Config {
    name: &'static str,
    options: EngineOptions,
    write: bool,
    size: (u32, u32),
    /// Refine every frame with the shipped `default` refiner on the auto backend.
    refine: bool,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let loaded = load_scenario(args.scenario.as_deref())?;
    let base = EngineOptions::default();
    let all = |quality| Config {
        name: match quality {
            Quality::Draft => "all outputs written, --quality draft",
            Quality::Default => "all outputs written, --quality default",
            Quality::High => "all outputs written, --quality high",
        },
        options: EngineOptions::at(quality),
        write: true,
        size: (640, 384),
        refine: false,
    };
    let configs = [
        Config {
            name: "labels only (no GPU)",
            options: EngineOptions {
                rgb: false,
                ..base.clone()
            },
            write: true,
            size: (640, 384),
            refine: false,
        },
        Config {
            name: "rgb only, --quality default",
            options: EngineOptions {
                labels: false,
                ..base.clone()
            },
            write: false,
            size: (640, 384),
            refine: false,
        },
        all(Quality::Draft),
        all(Quality::Default),
        all(Quality::High),
        Config {
            name: "  default at 1280x768",
            options: base.clone(),
            write: true,
            size: (1280, 768),
            refine: false,
        },
        Config {
            name: "  default + --refine default",
            options: base.clone(),
            write: true,
            size: (640, 384),
            refine: true,
        },
    ];
    let refiner = super::refine::CheckpointRefiner::load(
        std::path::Path::new("default"),
        "auto",
        drivegen_refine::reach::Reach::default(),
    )?;
    println!(
        "{:<46} {:>8} {:>9} {:>9} {:>9} {:>9} {:>9}",
        "configuration", "frames/s", "start s", "sim ms", "render ms", "label ms", "drain ms"
    );
    for config in configs {
        let mut scenario = loaded.scenario.clone();
        scenario.capture.frames = Some(args.frames);
        for cam in &mut scenario.sensors.cameras {
            (cam.width, cam.height) = config.size;
        }
        let plan = drivegen_plan::plan(&scenario, 0)?;
        let mut engine = Engine::new(plan, config.options.clone())?;
        let lut = Arc::new(semantic_lut(&engine.world().instance_classes()));
        let journal = Arc::new(drivegen_dataset::Journal::open(&args.out, false)?);
        let mut writer = DatasetWriter::new(2, 8, journal);
        let started = Instant::now();
        let mut n = 0u32;
        while let Some(frame) = engine.next_frame() {
            let frame = frame?;
            n += 1;
            if !config.write {
                continue;
            }
            for mut job in drivegen_render::frame_jobs(engine.plan(), 0, frame, &args.out, &lut) {
                if let (true, drivegen_dataset::Job::Camera(cam)) = (config.refine, &mut job) {
                    cam.refined_rgb = refiner
                        .refine(cam, &engine.plan().environment)
                        .map_err(anyhow::Error::msg)?;
                }
                writer.submit(job)?;
            }
        }
        let before_drain = started.elapsed().as_secs_f64();
        writer.finish()?;
        let secs = started.elapsed().as_secs_f64();
        let t = &engine.times;
        let per = |v: f64| v / f64::from(n.max(1)) * 1e3;
        println!(
            "{:<46} {:>8.2} {:>9.2} {:>9.1} {:>9.1} {:>9.1} {:>9.1}",
            config.name,
            f64::from(n) / secs,
            t.startup,
            per(t.simulate),
            per(t.render),
            per(t.label),
            (secs - before_drain) * 1e3
        );
    }
    let _ = std::fs::remove_dir_all(&args.out);
    println!(
        "render ms = update + GPU readback (the label pass runs alongside it); drain = waiting for writers at the end"
    );
    Ok(())
}
