//! The headless engine: a Bevy app built from a `ScenePlan`, stepped manually at the
//! plan's fixed rate, rendering each sensor camera into an image that is copied back,
//! with labels from the CPU label pass over the same geometry.
//!
//! ```no_run
//! let scenario = drivegen_scenario::load_default().expect("valid").scenario;
//! let plan = drivegen_plan::plan(&scenario, 0).expect("plannable");
//! let mut engine = drivegen_sim::Engine::new(plan, drivegen_sim::EngineOptions::default()).expect("renderer");
//! for frame in &mut engine {
//!     let frame = frame.expect("frame");
//!     println!("frame {} has {} labels", frame.index, frame.cameras[0].labels.len());
//! }
//! ```

mod app;
pub mod capture;
pub mod convert;
pub mod lean;
pub mod physics;
pub mod scene;
pub mod textures;

use std::time::{Duration, Instant};

use bevy::prelude::*;
use drivegen_labels::{Camera as LabelCamera, IdDepth, ObjectLabel};
use drivegen_plan::ScenePlan;
use drivegen_plan::geom::Pose2;
pub use drivegen_scenario::model::Quality;
use drivegen_world::traffic::TrafficSim;
use drivegen_world::{World as SceneWorld, advance_to};

use capture::{CaptureReceiver, CaptureTag, Captured};
use physics::{Contacts, LidarPoint, LidarRequest, LidarScan};
use scene::FrameInput;
pub use scene::SurfaceLook;

/// Updates allowed for shader compilation before the first capture.
const WARM_UP_LIMIT: u64 = 2000;

/// Quality and output knobs.
#[derive(Clone, Debug)]
pub struct EngineOptions {
    /// Render RGB with Bevy. Without it only the CPU label pass runs (no GPU needed).
    pub rgb: bool,
    /// Run the label pass (instance, depth, object labels).
    pub labels: bool,
    /// What the RGB image shows (textures, sky); labels are the same at every quality.
    pub quality: Quality,
    /// Sun shadows (about a third slower on a CPU renderer); on at the default quality.
    pub shadows: bool,
    /// 4x multisampling of the RGB image; on at the high quality.
    pub msaa: bool,
    /// Lean shaders instead of Bevy's full PBR shader where a scene needs no local lights
    /// (see [`SurfaceLook`]): the draft shader for flat colours, the lean PBR shader for
    /// textures; the same images within a level or two, faster on a software renderer.
    /// On by default; at night, and with shadows at the draft quality, PBR anyway.
    pub lean_shaders: bool,
    /// How long to wait for one readback before giving up.
    pub readback_timeout: Duration,
    /// Apply the cameras' sensor models (lens, image pipeline). Off, a camera with a lens
    /// delivers the wider ideal view its lens image is warped from, labelled as a
    /// pinhole camera (tests, debugging).
    pub sensor: bool,
}

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions::at(Quality::Default)
    }
}

impl EngineOptions {
    /// The options of a quality preset: shadows from the default quality up, MSAA at high.
    pub fn at(quality: Quality) -> EngineOptions {
        EngineOptions {
            rgb: true,
            labels: true,
            quality,
            shadows: quality >= Quality::Default,
            msaa: quality >= Quality::High,
            lean_shaders: true,
            readback_timeout: Duration::from_secs(60),
            sensor: true,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(
        "no Vulkan adapter found: {0}\n  = hint: install a GPU driver, or Mesa's software Vulkan (`apt-get install mesa-vulkan-drivers libvulkan1`); `--no-rgb` renders labels without a GPU"
    )]
    NoAdapter(String),
    #[error("the renderer failed: {0}")]
    Renderer(String),
    #[error("the renderer delivered no image for frame {frame} within {seconds} s")]
    ReadbackTimeout { frame: u32, seconds: u64 },
}

/// One camera's view of one capture.
#[derive(Clone, Debug)]
pub struct CameraFrame {
    pub name: String,
    pub camera: LabelCamera,
    /// sRGB RGBA8, row-major, when RGB rendering is on.
    pub rgba: Option<Vec<u8>>,
    /// Instance ids and depth (m) from the label pass.
    pub ids: IdDepth,
    pub labels: Vec<ObjectLabel>,
}

#[derive(Clone, Debug)]
pub struct Frame {
    pub index: u32,
    pub step: u64,
    /// Simulation time (s).
    pub time: f64,
    pub ego: Pose2,
    pub ego_speed: f64,
    pub cameras: Vec<CameraFrame>,
    /// Pairs of actor ids whose colliders intersect at this capture (rapier).
    pub contacts: Vec<[u32; 2]>,
    /// The LiDAR sweep, when the rig has one.
    pub lidar: Option<Vec<LidarPoint>>,
    /// Scripted events under way at this capture, by name.
    pub events: Vec<drivegen_world::traffic::ActiveEvent>,
}

/// Where the time of a run went, in seconds.
#[derive(Clone, Debug, Default)]
pub struct StageTimes {
    pub startup: f64,
    pub simulate: f64,
    /// Render and readback (overlapping the label pass).
    pub render: f64,
    pub label: f64,
}

pub struct Engine {
    plan: ScenePlan,
    world: SceneWorld,
    sim: TrafficSim,
    app: App,
    next_tick: usize,
    options: EngineOptions,
    pub times: StageTimes,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("scenario", &self.plan.scenario)
            .field("next_tick", &self.next_tick)
            .finish()
    }
}

/// Fails with a clear error when no Vulkan adapter exists (instead of Bevy's panic).
pub fn probe_adapter() -> Result<String, EngineError> {
    let mut desc = wgpu::InstanceDescriptor::new_without_display_handle_from_env();
    desc.backends = wgpu::Backends::VULKAN;
    let instance = wgpu::Instance::new(desc);
    let adapter = futures_lite::future::block_on(
        instance.request_adapter(&wgpu::RequestAdapterOptions::default()),
    )
    .map_err(|e| EngineError::NoAdapter(e.to_string()))?;
    let info = adapter.get_info();
    if info.device_type == wgpu::DeviceType::Cpu {
        // Once per process, in drivegen's words (Bevy's own warning is filtered out).
        static SAID: std::sync::Once = std::sync::Once::new();
        SAID.call_once(|| {
            bevy::log::warn!(
                "rendering on {}, {}: a CPU (software) Vulkan renderer, expect 5–7 frames/s at 640x384 and the default quality on two cores (11–15 at draft, all outputs written); install your GPU's Vulkan driver and drivegen uses the GPU",
                info.name,
                info.driver_info
            );
        });
    }
    Ok(format!("{} ({:?})", info.name, info.device_type))
}

impl Engine {
    pub fn new(plan: ScenePlan, options: EngineOptions) -> Result<Engine, EngineError> {
        let started = Instant::now();
        let world = SceneWorld::build(&plan);
        let sim = TrafficSim::new(&plan);
        let app = app::build_app(&plan, &world, &options)?;
        let mut engine = Engine {
            plan,
            world,
            sim,
            app,
            next_tick: 0,
            options,
            times: StageTimes::default(),
        };
        engine.warm_up()?;
        engine.times.startup = started.elapsed().as_secs_f64();
        Ok(engine)
    }

    /// How this engine draws surfaces: PBR or lean shaders, textured or flat.
    pub fn surface_look(&self) -> SurfaceLook {
        app::surface_look(&self.options, &self.plan.environment)
    }

    pub fn plan(&self) -> &ScenePlan {
        &self.plan
    }

    /// The plan's events whose trigger has not held so far, by name, in plan order (after
    /// the last capture: the events that never happened in the run).
    pub fn events_not_started(&self) -> Vec<String> {
        self.plan
            .events
            .iter()
            .filter(|e| self.sim.event_started(&self.plan, &e.name).is_none())
            .map(|e| e.name.clone())
            .collect()
    }

    pub fn world(&self) -> &SceneWorld {
        &self.world
    }

    /// Captures in the run.
    pub fn frame_count(&self) -> usize {
        self.plan.schedule.ticks.len()
    }

    /// The ego's current pose (the origin before the first actor exists).
    fn ego_pose(&self) -> Pose2 {
        self.sim
            .agents()
            .first()
            .map(|a| a.pose)
            .unwrap_or_default()
    }

    fn camera_poses(&self) -> Vec<LabelCamera> {
        let ego = self.ego_pose();
        self.plan
            .sensors
            .cameras
            .iter()
            .map(|c| {
                let mut cam = LabelCamera::new(c, &ego);
                if !self.options.sensor {
                    cam.lens = None;
                }
                cam
            })
            .collect()
    }

    fn set_input(&mut self) {
        let cameras: Vec<_> = self
            .camera_poses()
            .iter()
            .map(|c| c.world_from_camera)
            .collect();
        let input = FrameInput {
            time: self.sim.time,
            agents: self.sim.agents().to_vec(),
            cameras,
        };
        let ego = self.ego_pose();
        let lidar = self.plan.sensors.lidar.clone().map(|spec| {
            let pose = drivegen_labels::camera::world_from_ego(&ego)
                .then(&drivegen_labels::camera::ego_from_mount(&spec.mount));
            (spec, pose)
        });
        self.app.world_mut().insert_resource(input);
        self.app.world_mut().insert_resource(LidarRequest(lidar));
    }

    /// Renders the first capture until every render pipeline is compiled (Bevy compiles
    /// them in the background and skips what is not ready) and two images in a row agree.
    fn warm_up(&mut self) -> Result<(), EngineError> {
        let Some(first) = self.plan.schedule.ticks.first().map(|t| t.step) else {
            return Ok(());
        };
        advance_to(
            &mut self.sim,
            &self.plan,
            first,
            self.plan.schedule.sim_rate,
        );
        self.set_input();
        let mut previous: Option<Vec<Vec<u8>>> = None;
        for n in 0..WARM_UP_LIMIT {
            let images = self.render(u64::MAX - n)?;
            if !self.options.rgb {
                return Ok(());
            }
            let cache = self
                .app
                .get_sub_app(bevy::render::RenderApp)
                .and_then(|render| {
                    render
                        .world()
                        .get_resource::<bevy::render::render_resource::PipelineCache>()
                });
            // A shader that fails to compile is skipped by Bevy: its meshes would be
            // missing from every frame while the labels still show them.
            if let Some(error) = cache.and_then(|c| {
                c.pipelines().find_map(|p| match &p.state {
                    bevy::render::render_resource::CachedPipelineState::Err(e) => {
                        Some(e.to_string())
                    }
                    _ => None,
                })
            }) {
                return Err(EngineError::Renderer(format!(
                    "a render pipeline failed to compile: {error}"
                )));
            }
            let waiting = cache.map_or(0, |cache| cache.waiting_pipelines().count());
            if waiting == 0 && previous.as_ref() == Some(&images) {
                return Ok(());
            }
            previous = Some(images);
        }
        Err(EngineError::Renderer(format!(
            "render pipelines were still compiling after {WARM_UP_LIMIT} frames"
        )))
    }

    fn render(&mut self, tag: u64) -> Result<Vec<Vec<u8>>, EngineError> {
        let frame = self
            .plan
            .schedule
            .ticks
            .get(self.next_tick)
            .map_or(0, |t| t.frame);
        render(
            &mut self.app,
            self.options.rgb,
            self.plan.sensors.cameras.len(),
            self.options.readback_timeout,
            tag,
            frame,
        )
    }

    /// Index of the capture [`Engine::next_frame`] produces next.
    pub fn next_index(&self) -> usize {
        self.next_tick
    }

    /// Advances the traffic core to capture `index` without rendering or labelling the
    /// captures before it (used to resume a run). Nothing a frame reports keeps history:
    /// rendering and labels depend on the current poses only, and so do contacts and
    /// LiDAR returns (queries against the colliders at this capture's poses, not rapier's
    /// narrow-phase state), so the frames that follow are byte for byte those of an
    /// uninterrupted run.
    pub fn skip_to(&mut self, index: usize) {
        let index = index.min(self.plan.schedule.ticks.len());
        if index <= self.next_tick {
            return;
        }
        if let Some(tick) = self.plan.schedule.ticks.get(index) {
            advance_to(
                &mut self.sim,
                &self.plan,
                tick.step,
                self.plan.schedule.sim_rate,
            );
        }
        self.next_tick = index;
    }

    /// Simulates to the next capture, renders and labels it.
    pub fn next_frame(&mut self) -> Option<Result<Frame, EngineError>> {
        let tick = self.plan.schedule.ticks.get(self.next_tick)?.clone();
        let t0 = Instant::now();
        advance_to(
            &mut self.sim,
            &self.plan,
            tick.step,
            self.plan.schedule.sim_rate,
        );
        self.set_input();
        let t1 = Instant::now();
        self.times.simulate += (t1 - t0).as_secs_f64();

        let cameras = self.camera_poses();
        let firing: Vec<usize> = tick.cameras.iter().map(|c| usize::from(*c)).collect();
        // The label pass runs on another thread while Bevy renders.
        let (world, plan, agents) = (&self.world, &self.plan, self.sim.agents().to_vec());
        let (app, timeout, do_labels, rgb) = (
            &mut self.app,
            self.options.readback_timeout,
            self.options.labels,
            self.options.rgb,
        );
        let cams = &cameras;
        let (rendered, labelled) = std::thread::scope(|s| {
            let labels = s.spawn(move || {
                let start = Instant::now();
                let out: Vec<_> = firing
                    .iter()
                    .map(|&i| {
                        if do_labels {
                            (i, world.label_frame(plan, &agents, &cams[i]))
                        } else {
                            (i, (IdDepth::new(0, 0), Vec::new()))
                        }
                    })
                    .collect();
                (out, start.elapsed().as_secs_f64())
            });
            let start = Instant::now();
            let rendered = render(
                app,
                rgb,
                plan.sensors.cameras.len(),
                timeout,
                u64::from(tick.frame),
                tick.frame,
            );
            let render_time = start.elapsed().as_secs_f64();
            (rendered.map(|r| (r, render_time)), labels.join())
        });
        let (images, render_time) = match rendered {
            Ok(r) => r,
            Err(e) => return Some(Err(e)),
        };
        let Ok((labels, label_time)) = labelled else {
            return Some(Err(EngineError::Renderer("the label pass panicked".into())));
        };
        self.times.render += render_time;
        self.times.label += label_time;

        let mut frames = Vec::new();
        let ego_speed = self.sim.agents().first().map_or(0.0, |a| a.speed);
        for (i, (mut ids, object_labels)) in labels {
            let c = &self.plan.sensors.cameras[i];
            let mut rgba = images.get(i).filter(|img| !img.is_empty()).cloned();
            // Rain streaks before the sensor, so its lens, blur and noise act on them too.
            let env = &self.plan.environment;
            if let Some(img) = rgba.as_mut()
                && self.options.quality >= Quality::Default
            {
                drivegen_labels::sensor::rain::streaks(
                    img,
                    (cameras[i].width, cameras[i].height),
                    env.rain,
                    env.ambient,
                    (
                        drivegen_world::named_seed(&self.plan, "rain"),
                        tick.frame,
                        i as u32,
                    ),
                );
                // Spray from the wheels of vehicles at speed on a wet road, behind
                // whatever is nearer (before the sensor too).
                if env.wet_road {
                    drivegen_labels::sensor::spray::spray(
                        img,
                        &ids,
                        &object_labels,
                        env.rain,
                        env.ambient,
                        (
                            drivegen_world::named_seed(&self.plan, "spray"),
                            tick.frame,
                            i as u32,
                        ),
                    );
                }
            }
            // The sensor model: the lens warps RGB and the ID/depth raster with one map
            // (the object labels already describe the warped view), then the image
            // pipeline develops the RGB.
            drivegen_labels::sensor::apply(
                &cameras[i],
                c.sensor.as_ref().filter(|_| self.options.sensor),
                tick.frame,
                i as u32,
                rgba.as_mut(),
                &mut ids,
                ego_speed,
            );
            frames.push(CameraFrame {
                name: c.name.clone(),
                camera: cameras[i].clone(),
                rgba,
                ids,
                labels: object_labels,
            });
        }
        let ego = self
            .sim
            .agents()
            .first()
            .map(|a| (a.pose, a.speed))
            .unwrap_or_default();
        self.next_tick += 1;
        Some(Ok(Frame {
            index: tick.frame,
            step: tick.step,
            time: tick.time,
            ego: ego.0,
            ego_speed: ego.1,
            cameras: frames,
            contacts: self.app.world().resource::<Contacts>().0.clone(),
            events: self.sim.active_events(&self.plan),
            lidar: self
                .plan
                .sensors
                .lidar
                .as_ref()
                .map(|_| self.app.world().resource::<LidarScan>().0.clone()),
        }))
    }
}

impl Iterator for Engine {
    type Item = Result<Frame, EngineError>;
    fn next(&mut self) -> Option<Self::Item> {
        self.next_frame()
    }
}

/// One update with a capture tag; returns each camera's RGBA (empty without RGB).
fn render(
    app: &mut App,
    rgb: bool,
    cameras: usize,
    timeout: Duration,
    tag: u64,
    frame: u32,
) -> Result<Vec<Vec<u8>>, EngineError> {
    if !rgb {
        app.update();
        return Ok(vec![Vec::new(); cameras]);
    }
    app.world_mut().insert_resource(CaptureTag(Some(tag)));
    app.update();
    let receiver = app.world().resource::<CaptureReceiver>().0.clone();
    let mut out: Vec<Option<Vec<u8>>> = vec![None; cameras];
    let deadline = Instant::now() + timeout;
    while out.iter().any(Option::is_none) {
        let left = deadline.saturating_duration_since(Instant::now());
        match receiver.recv_timeout(left) {
            Ok(Ok(Captured {
                tag: t,
                camera,
                rgba,
                ..
            })) if t == tag => {
                if let Some(slot) = out.get_mut(usize::from(camera)) {
                    *slot = Some(rgba);
                }
            }
            Ok(Ok(_)) => {}
            Ok(Err(e)) => return Err(EngineError::Renderer(e)),
            Err(_) => {
                return Err(EngineError::ReadbackTimeout {
                    frame,
                    seconds: timeout.as_secs(),
                });
            }
        }
    }
    Ok(out.into_iter().map(Option::unwrap_or_default).collect())
}
