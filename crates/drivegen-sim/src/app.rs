//! Builds the Bevy app for one scene: the headless render plugins (or none, for labels
//! only), physics, the scene's meshes, its lights (sun, fill, street lights, the ego's
//! headlight) and one render-target camera per sensor camera.

use bevy::core_pipeline::tonemapping::Tonemapping;
use bevy::pbr::{DistanceFog, FogFalloff};
use bevy::prelude::*;
use bevy::render::pipelined_rendering::PipelinedRenderingPlugin;
use bevy::render::render_resource::{TextureFormat, TextureUsages};
use bevy::window::ExitCondition;
use drivegen_labels::Camera as LabelCamera;
use drivegen_plan::ScenePlan;
use drivegen_plan::geom::Pose2;
use drivegen_world::World as SceneWorld;

use crate::capture::{CapturePlugin, CaptureTarget};
use crate::physics::PhysicsPlugin;
use crate::scene::{SceneModels, ScenePlugin, SensorCamera, SurfaceLook};
use crate::{EngineError, EngineOptions, Quality, convert, lean, physics, probe_adapter, scene};

/// The vertical field (radians) the renderer draws for a camera: through a lens, the
/// wider ideal view the sensor model warps the delivered image from.
fn render_vfov(c: &drivegen_plan::CameraPlan) -> f64 {
    let ideal = LabelCamera::new(c, &Pose2::default());
    if ideal.lens.is_some() {
        2.0 * (ideal.cy / ideal.fy).atan()
    } else {
        c.vfov_deg.to_radians()
    }
}

/// How the options draw the plan's surfaces. The lean shaders have no local lights and
/// the draft shader no shadows: where those are wanted, PBR.
pub(crate) fn surface_look(
    options: &EngineOptions,
    env: &drivegen_plan::EnvironmentPlan,
) -> SurfaceLook {
    let night = env.street_lights_on || env.vehicle_lights_on();
    if options.quality >= Quality::Default {
        if options.lean_shaders && !night {
            SurfaceLook::TexturedLeanShader
        } else {
            SurfaceLook::Textured
        }
    } else if options.lean_shaders && !options.shadows && !night {
        SurfaceLook::FlatDraftShader
    } else {
        SurfaceLook::Flat
    }
}

pub(crate) fn build_app(
    plan: &ScenePlan,
    world: &SceneWorld,
    options: &EngineOptions,
) -> Result<App, EngineError> {
    let mut app = App::new();
    if options.rgb {
        probe_adapter()?;
        app.add_plugins(
            DefaultPlugins
                .set(WindowPlugin {
                    primary_window: None,
                    exit_condition: ExitCondition::DontExit,
                    close_when_requested: false,
                    ..default()
                })
                .set(bevy::render::RenderPlugin {
                    // Vulkan only (as the adapter probe requires): no GL/EGL probing noise.
                    render_creation: bevy::render::settings::RenderCreation::Automatic(Box::new(
                        bevy::render::settings::WgpuSettings {
                            backends: Some(bevy::render::settings::Backends::VULKAN),
                            ..default()
                        },
                    )),
                    // Pipelines ready before the first frame rather than skipped while compiling.
                    synchronous_pipeline_compilation: true,
                    ..default()
                })
                .disable::<PipelinedRenderingPlugin>()
                .disable::<bevy::log::LogPlugin>(),
        )
        .add_plugins((CapturePlugin, lean::LeanShadersPlugin));
    } else {
        // Physics and pose sync only: no renderer, no GPU.
        app.add_plugins((MinimalPlugins, TransformPlugin));
    }
    app.add_plugins((ScenePlugin, PhysicsPlugin));
    app.finish();
    app.cleanup();
    let limbs = world
        .actors
        .iter()
        .map(|a| {
            (
                a.model.limbs.clone(),
                a.model.rider.clone().unwrap_or_default(),
            )
        })
        .collect();
    app.insert_resource(SceneModels {
        plan: plan.clone(),
        limbs,
    });
    physics::spawn_colliders(app.world_mut(), world, plan);
    if !options.rgb {
        return Ok(app);
    }

    let env = &plan.environment;
    let painted_sky = options.quality >= Quality::Default;
    let sky = convert::sky_seen(env, painted_sky);
    app.insert_resource(ClearColor(sky));
    let (ambient_color, ambient_nits) = convert::ambient_light(env, sky);
    app.insert_resource(GlobalAmbientLight {
        color: ambient_color,
        brightness: ambient_nits,
        ..default()
    });
    let ev100 = convert::exposure_ev100(env);

    let w = app.world_mut();
    let root = scene::spawn_world(w, world, plan, surface_look(options, env));
    if painted_sky {
        scene::spawn_sky(w, root, plan, options.lean_shaders);
    }
    let high = options.quality >= Quality::High;
    w.insert_resource(bevy::light::DirectionalLightShadowMap {
        size: if high { 2048 } else { 1024 },
    });
    let illuminance = convert::sun_illuminance(env);
    let sun = convert::sun_direction(env);
    // Shadows where a camera resolves them (to 150 m), the first cascade ending where a
    // car still fills many pixels.
    let cascades = bevy::light::CascadeShadowConfigBuilder {
        num_cascades: if high { 4 } else { 2 },
        minimum_distance: 0.1,
        first_cascade_far_bound: if high { 15.0 } else { 25.0 },
        maximum_distance: 150.0,
        overlap_proportion: 0.2,
    }
    .build();
    w.spawn((
        DirectionalLight {
            illuminance,
            color: convert::sunlight(env),
            // Under a full overcast the beam is gone: no shadows to draw.
            shadow_maps_enabled: options.shadows && illuminance > 0.0,
            ..default()
        },
        cascades,
        Transform::default().looking_to(sun, Vec3::Z),
        ChildOf(root),
    ));
    if env.street_lights_on {
        scene::spawn_street_lights(w, root, plan, high);
    }
    if env.vehicle_lights_on() {
        scene::spawn_headlight(w, root, plan);
    }
    for (i, c) in plan.sensors.cameras.iter().enumerate() {
        let mut image =
            Image::new_target_texture(c.width, c.height, TextureFormat::Rgba8UnormSrgb, None);
        image.texture_descriptor.usage |= TextureUsages::COPY_SRC;
        let handle = w.resource_mut::<Assets<Image>>().add(image);
        let mut cam = w.spawn((
            Camera3d::default(),
            Camera {
                order: i as isize,
                clear_color: ClearColorConfig::Custom(sky),
                ..default()
            },
            bevy::camera::RenderTarget::Image(handle.clone().into()),
            Projection::Perspective(PerspectiveProjection {
                fov: render_vfov(c) as f32,
                aspect_ratio: c.width as f32 / c.height as f32,
                near: 0.1,
                far: 3000.0,
                ..default()
            }),
            Tonemapping::AcesFitted,
            bevy::camera::Exposure { ev100 },
            if options.msaa {
                Msaa::Sample4
            } else {
                Msaa::Off
            },
            // Depth first, so the main pass shades each pixel once: on a CPU renderer
            // overdraw costs about a fifth of the frame, the image stays byte-identical.
            bevy::core_pipeline::prepass::DepthPrepass,
            Transform::IDENTITY,
            SensorCamera(i),
            CaptureTarget {
                camera: i as u8,
                image: handle,
            },
            ChildOf(root),
        ));
        if i == 0 {
            // Shadow detail for point and spot lights is centred on the first camera.
            cam.insert(bevy::camera::ShadowLodOrigin);
        }
        if env.fog_density > 0.0 {
            cam.insert(DistanceFog {
                color: sky,
                falloff: FogFalloff::Exponential {
                    density: env.fog_density as f32,
                },
                ..default()
            });
        }
    }
    Ok(app)
}
