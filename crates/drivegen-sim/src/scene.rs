//! The scene plugin: spawns a world's meshes and keeps actor limbs, signal lamps and
//! sensor cameras in step with the traffic core. Systems run in [`SceneSet`] order.

use bevy::prelude::*;
use drivegen_labels::math::Iso3;
use drivegen_plan::{LampState, ScenePlan};
use drivegen_world::mesh::Surface;
use drivegen_world::models::{LimbModel, limb_frame};
use drivegen_world::traffic::AgentState;
use drivegen_world::{World as SceneWorld, actor_frame};

use crate::convert;
use crate::lean::{self, DraftMaterial, LeanLighting, LeanPbrMaterial, SkyMaterial};
use crate::textures::{self, SceneTextures};

/// Public system sets, in the order they run each update.
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SceneSet {
    /// Actor and limb transforms from the traffic state.
    ApplyPoses,
    /// Signal lamps from the junction timings.
    ApplySignals,
    /// Sensor cameras from the ego pose.
    ApplyCameras,
}

/// What the next update should show: written by the engine before each `update()`.
#[derive(Resource, Default, Clone, Debug)]
pub struct FrameInput {
    pub time: f64,
    pub agents: Vec<AgentState>,
    /// Camera-to-world per sensor camera.
    pub cameras: Vec<Iso3>,
}

/// Signal timings and limb models the systems need.
#[derive(Resource, Debug)]
pub struct SceneModels {
    pub plan: ScenePlan,
    /// Per actor: its limbs, then its rider's limbs.
    pub limbs: Vec<(Vec<LimbModel>, Vec<LimbModel>)>,
}

#[derive(Component, Debug)]
pub struct ActorLimb {
    pub agent: usize,
    pub limb: usize,
    pub rider: bool,
}

#[derive(Component, Debug)]
pub struct SignalLampPart {
    pub junction: u32,
    pub group: u8,
    pub state: LampState,
    pub on: Handle<StandardMaterial>,
    pub off: Handle<StandardMaterial>,
}

/// A vehicle's tail lamps, switched to `on` while the agent brakes.
#[derive(Component, Debug)]
pub struct BrakeLampPart {
    pub agent: usize,
    pub on: Handle<StandardMaterial>,
    pub off: Handle<StandardMaterial>,
}

#[derive(Component, Debug)]
pub struct SensorCamera(pub usize);

/// The root every drivegen entity hangs from (z-up world to y-up Bevy).
#[derive(Component, Debug)]
pub struct SceneRoot;

#[derive(Debug)]
pub struct ScenePlugin;

impl Plugin for ScenePlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<FrameInput>()
            .configure_sets(
                Update,
                (
                    SceneSet::ApplyPoses,
                    SceneSet::ApplySignals,
                    SceneSet::ApplyCameras,
                )
                    .chain(),
            )
            .add_systems(Update, apply_poses.in_set(SceneSet::ApplyPoses))
            .add_systems(
                Update,
                (apply_signals, apply_brake_lamps).in_set(SceneSet::ApplySignals),
            )
            .add_systems(Update, apply_cameras.in_set(SceneSet::ApplyCameras));
    }
}

fn apply_poses(
    input: Res<FrameInput>,
    models: Res<SceneModels>,
    mut limbs: Query<(&ActorLimb, &mut Transform)>,
) {
    for (limb, mut transform) in &mut limbs {
        let (Some(state), Some((body, rider))) =
            (input.agents.get(limb.agent), models.limbs.get(limb.agent))
        else {
            continue;
        };
        let list = if limb.rider { rider } else { body };
        if let Some(model) = list.get(limb.limb) {
            *transform = convert::transform(&actor_frame(state).then(&limb_frame(model, state)));
        }
    }
}

fn apply_signals(
    input: Res<FrameInput>,
    models: Res<SceneModels>,
    mut lamps: Query<(&SignalLampPart, &mut MeshMaterial3d<StandardMaterial>)>,
) {
    for (lamp, mut material) in &mut lamps {
        let shown = models
            .plan
            .network
            .junctions
            .get(lamp.junction as usize)
            .and_then(|j| j.signal)
            .map(|s| s.state(lamp.group, input.time));
        let handle = if shown == Some(lamp.state) {
            &lamp.on
        } else {
            &lamp.off
        };
        if material.0 != *handle {
            material.0 = handle.clone();
        }
    }
}

fn apply_brake_lamps(
    input: Res<FrameInput>,
    mut lamps: Query<(&BrakeLampPart, &mut MeshMaterial3d<StandardMaterial>)>,
) {
    for (lamp, mut material) in &mut lamps {
        let braking = input.agents.get(lamp.agent).is_some_and(|a| a.braking);
        let handle = if braking { &lamp.on } else { &lamp.off };
        if material.0 != *handle {
            material.0 = handle.clone();
        }
    }
}

type NotLampOrSky = (Without<EgoHeadlight>, Without<SkyDome>);

fn apply_cameras(
    input: Res<FrameInput>,
    models: Res<SceneModels>,
    mut cameras: Query<(&SensorCamera, &mut Transform), NotLampOrSky>,
    mut headlights: Query<&mut Transform, (With<EgoHeadlight>, Without<SkyDome>)>,
    mut domes: Query<&mut Transform, (With<SkyDome>, Without<SensorCamera>)>,
) {
    for (cam, mut transform) in &mut cameras {
        if let Some(pose) = input.cameras.get(cam.0) {
            *transform = convert::camera_transform(pose);
        }
    }
    if let Some(ego) = input.agents.first() {
        // The sky stays centred on the ego, so it is always as far away.
        let p = ego.pose.pos();
        for mut t in &mut domes {
            t.translation = Vec3::new(p.x as f32, p.y as f32, 0.0);
        }
    }
    if let (Some(ego), Some(actor)) = (input.agents.first(), models.plan.actors.first()) {
        use convert::headlight::{AIM_M, BEHIND_M, HEIGHT_M};
        let front = ego.pose.pos() + ego.pose.dir() * (actor.size.length / 2.0);
        let source = front - ego.pose.dir() * f64::from(BEHIND_M);
        let aim = front + ego.pose.dir() * f64::from(AIM_M);
        for mut t in &mut headlights {
            *t = Transform::from_xyz(source.x as f32, source.y as f32, HEIGHT_M)
                .looking_at(Vec3::new(aim.x as f32, aim.y as f32, 0.0), Vec3::Z);
        }
    }
}

/// How the scene's surfaces are drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SurfaceLook {
    /// Procedural PBR textures (the default quality and up).
    Textured,
    /// Flat colours, PBR shader (the draft quality where shadows or night lights need it).
    Flat,
    /// Flat colours, the draft shader ([`DraftMaterial`]): the draft quality otherwise.
    FlatDraftShader,
    /// Procedural PBR textures drawn by the lean PBR shader ([`LeanPbrMaterial`]): the
    /// default quality and up where no night lights need the clustered lights.
    TexturedLeanShader,
}

/// A surface's material handle, of whichever material type draws it.
#[derive(Clone, Debug)]
enum SurfaceMaterial {
    Pbr(Handle<StandardMaterial>),
    Draft(Handle<DraftMaterial>),
    Lean(Handle<LeanPbrMaterial>),
    Sky(Handle<SkyMaterial>),
}

impl SurfaceMaterial {
    fn insert_into(&self, entity: &mut EntityWorldMut) {
        match self {
            SurfaceMaterial::Pbr(h) => entity.insert(MeshMaterial3d(h.clone())),
            SurfaceMaterial::Draft(h) => entity.insert(MeshMaterial3d(h.clone())),
            SurfaceMaterial::Lean(h) => entity.insert(MeshMaterial3d(h.clone())),
            SurfaceMaterial::Sky(h) => entity.insert(MeshMaterial3d(h.clone())),
        };
    }
}

/// Spawns the world under a new root: static parts merged per surface (few draw calls),
/// actors as one entity per limb part, signal lamps with lit and dark materials.
pub fn spawn_world(
    world: &mut World,
    scene: &SceneWorld,
    plan: &ScenePlan,
    look: SurfaceLook,
) -> Entity {
    let root = world
        .spawn((
            SceneRoot,
            Transform::from_rotation(convert::root_rotation()),
            Visibility::default(),
        ))
        .id();
    let env = plan.environment.clone();
    let textured = matches!(
        look,
        SurfaceLook::Textured | SurfaceLook::TexturedLeanShader
    );
    let textures = textured.then(|| {
        let set = textures::texture_set(drivegen_world::textures::seed(plan));
        SceneTextures::upload(
            &set,
            &mut world.resource_mut::<Assets<Image>>(),
            env.wet_road,
        )
    });
    let mut material_cache: Vec<(Surface, SurfaceMaterial)> = Vec::new();
    let mut material = |world: &mut World, surface: Surface| -> SurfaceMaterial {
        if let Some((_, h)) = material_cache.iter().find(|(s, _)| *s == surface) {
            return h.clone();
        }
        let m = textures
            .as_ref()
            .and_then(|t| t.material(surface, &env))
            .unwrap_or_else(|| convert::material(surface, &env));
        let h = match look {
            SurfaceLook::FlatDraftShader => DraftMaterial::from_standard(&m).map(|d| {
                SurfaceMaterial::Draft(world.resource_mut::<Assets<DraftMaterial>>().add(d))
            }),
            SurfaceLook::TexturedLeanShader if lean::shadable(&m) => {
                let lean = LeanPbrMaterial {
                    base: m.clone(),
                    extension: LeanLighting {},
                };
                Some(SurfaceMaterial::Lean(
                    world.resource_mut::<Assets<LeanPbrMaterial>>().add(lean),
                ))
            }
            _ => None,
        }
        .unwrap_or_else(|| {
            SurfaceMaterial::Pbr(world.resource_mut::<Assets<StandardMaterial>>().add(m))
        });
        material_cache.push((surface, h.clone()));
        h
    };

    // Static geometry, merged per surface; lamps of traffic lights stay separate.
    let mut merged: Vec<(Surface, drivegen_world::mesh::MeshData)> = Vec::new();
    for object in &scene.statics {
        for part in &object.parts {
            if let (Surface::SignalLamp(state), Some((junction, group))) =
                (part.surface, object.signal)
            {
                let mesh = world
                    .resource_mut::<Assets<Mesh>>()
                    .add(convert::mesh(&part.mesh, false));
                let (on, off) = {
                    let mut mats = world.resource_mut::<Assets<StandardMaterial>>();
                    (
                        mats.add(convert::signal_lamp(state, true)),
                        mats.add(convert::signal_lamp(state, false)),
                    )
                };
                world.spawn((
                    Mesh3d(mesh),
                    MeshMaterial3d(off.clone()),
                    Transform::IDENTITY,
                    SignalLampPart {
                        junction,
                        group,
                        state,
                        on,
                        off,
                    },
                    ChildOf(root),
                ));
                continue;
            }
            match merged.iter_mut().find(|(s, _)| *s == part.surface) {
                Some((_, m)) => m.append(&part.mesh),
                None => merged.push((part.surface, part.mesh.clone())),
            }
        }
    }
    let tangents = |surface: Surface| textures.as_ref().is_some_and(|t| t.has_normal_map(surface));
    for (surface, data) in merged {
        let mesh = world
            .resource_mut::<Assets<Mesh>>()
            .add(convert::mesh(&data, tangents(surface)));
        let mat = material(world, surface);
        let mut entity = world.spawn((Mesh3d(mesh), Transform::IDENTITY, ChildOf(root)));
        mat.insert_into(&mut entity);
    }

    // Actors: one entity per part of each limb, posed every update.
    let brake_on = world
        .resource_mut::<Assets<StandardMaterial>>()
        .add(convert::tail_lamp(env.vehicle_lights_on(), true));
    let no_rider = Vec::new();
    for (agent, entry) in scene.actors.iter().enumerate() {
        let groups = [
            (false, &entry.model.limbs),
            (true, entry.model.rider.as_ref().unwrap_or(&no_rider)),
        ];
        for (rider, limbs) in groups {
            for (li, limb) in limbs.iter().enumerate() {
                for part in &limb.parts {
                    let mesh = world
                        .resource_mut::<Assets<Mesh>>()
                        .add(convert::mesh(&part.mesh, tangents(part.surface)));
                    let mat = material(world, part.surface);
                    let mut entity = world.spawn((
                        Mesh3d(mesh),
                        Transform::IDENTITY,
                        ActorLimb {
                            agent,
                            limb: li,
                            rider,
                        },
                        ChildOf(root),
                    ));
                    mat.insert_into(&mut entity);
                    // Tail lamps are emissive, so always PBR.
                    if let (Surface::TailLamp, SurfaceMaterial::Pbr(off)) = (part.surface, &mat) {
                        entity.insert(BrakeLampPart {
                            agent,
                            on: brake_on.clone(),
                            off: off.clone(),
                        });
                    }
                }
            }
        }
    }
    root
}

/// The sky dome: unlit, centred on the ego, inside the cameras' far plane.
#[derive(Component, Debug)]
pub struct SkyDome;

/// Radius of the sky dome (m): beyond every scene mesh, inside the far plane (3 km).
const SKY_RADIUS: f64 = 2500.0;

/// Spawns the painted sky of the plan's environment under `root`.
/// With `lean`, the dome's lean material ([`SkyMaterial`]); else an unlit PBR one.
pub fn spawn_sky(world: &mut World, root: Entity, plan: &ScenePlan, lean: bool) {
    let seed = drivegen_world::textures::seed(plan) ^ 0x5c1e_d0e5;
    let texture = drivegen_world::sky::sky_texture(&plan.environment, seed);
    let mesh = convert::mesh(&drivegen_world::sky::dome(SKY_RADIUS, 96, 48), false);
    let mesh = world.resource_mut::<Assets<Mesh>>().add(mesh);
    let image = textures::sky_image(&texture, &mut world.resource_mut::<Assets<Image>>());
    let material = if lean {
        let sky = SkyMaterial { texture: image };
        SurfaceMaterial::Sky(world.resource_mut::<Assets<SkyMaterial>>().add(sky))
    } else {
        let pbr = textures::sky_material(image);
        SurfaceMaterial::Pbr(world.resource_mut::<Assets<StandardMaterial>>().add(pbr))
    };
    let mut entity = world.spawn((
        Mesh3d(mesh),
        Transform::IDENTITY,
        SkyDome,
        bevy::light::NotShadowCaster,
        bevy::light::NotShadowReceiver,
        ChildOf(root),
    ));
    material.insert_into(&mut entity);
}

/// Street lights nearest the ego's start get real point lights (each one costs every
/// pixel a light evaluation on a CPU renderer).
const LIT_STREET_LIGHTS: usize = 10;

/// Lit street lights at the high quality.
const LIT_STREET_LIGHTS_HIGH: usize = 20;

#[derive(Component, Debug)]
pub struct EgoHeadlight;

pub fn spawn_street_lights(world: &mut World, root: Entity, plan: &ScenePlan, high: bool) {
    let Some(ego) = plan.actors.first() else {
        return;
    };
    let mut lamps: Vec<(f64, &drivegen_plan::Prop)> = plan
        .props
        .iter()
        .filter(|p| p.kind == drivegen_plan::PropKind::StreetLight)
        .map(|p| (p.pose.pos().distance(ego.pose.pos()), p))
        .collect();
    lamps.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.id.cmp(&b.1.id)));
    let lit = if high {
        LIT_STREET_LIGHTS_HIGH
    } else {
        LIT_STREET_LIGHTS
    };
    for (_, p) in lamps.into_iter().take(lit) {
        let head = p.pose.pos() + p.pose.dir() * 1.6;
        world.spawn((
            PointLight {
                color: Color::srgb(1.0, 0.85, 0.6),
                intensity: 250_000.0,
                range: 30.0,
                radius: 0.2,
                ..default()
            },
            Transform::from_xyz(head.x as f32, head.y as f32, (p.size.height - 0.4) as f32),
            ChildOf(root),
        ));
    }
}

/// The ego's headlight ([`convert::headlight`]), placed each frame by `apply_cameras`.
pub fn spawn_headlight(world: &mut World, root: Entity, plan: &ScenePlan) {
    world.spawn((
        SpotLight {
            color: Color::srgb(1.0, 0.95, 0.85),
            intensity: convert::headlight::LUMENS
                * convert::headlight_share(plan.environment.sun_elevation_deg),
            range: convert::headlight::RANGE_M,
            outer_angle: convert::headlight::OUTER_ANGLE,
            inner_angle: convert::headlight::INNER_ANGLE,
            ..default()
        },
        Transform::IDENTITY,
        EgoHeadlight,
        ChildOf(root),
    ));
}
