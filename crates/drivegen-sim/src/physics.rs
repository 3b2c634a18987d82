//! Physics through bevy_rapier3d: colliders for every actor and static object, contacts
//! recorded per capture, and LiDAR by ray casting into the same collider set.
//!
//! Actors are kinematic, position-based bodies placed by the traffic core (the traffic
//! model decides motion; physics only detects what touches). Their colliders are sensors,
//! so kinematic pairs report intersections without any contact forces. Physics entities
//! live in the plan's z-up frame, apart from the render hierarchy.

use bevy::prelude::*;
use bevy_rapier3d::prelude::*;
use drivegen_labels::Class;
pub use drivegen_labels::lidar::LidarPoint;
use drivegen_labels::math::{Iso3, V3, v3};
use drivegen_plan::geom::{Obb, V2};
use drivegen_plan::surface::Surfaces;
use drivegen_scenario::LidarSpec;
use drivegen_world::World as SceneWorld;
use drivegen_world::actor_frame;

use crate::convert;
use crate::scene::{FrameInput, SceneModels};

/// The instance id (and class) a collider stands for.
#[derive(Component, Debug, Clone, Copy)]
pub struct PhysicsTag {
    pub id: u16,
    pub class: Class,
}

/// The ground plane: classified per hit point (road, sidewalk or terrain).
#[derive(Component, Debug)]
pub struct Ground;

#[derive(Component, Debug)]
pub struct ActorBody(pub usize);

/// Pairs of instance ids whose colliders intersect after this update's step.
#[derive(Resource, Debug, Default, Clone)]
pub struct Contacts(pub Vec<[u32; 2]>);

/// The LiDAR to scan this update (`None`: no scan).
#[derive(Resource, Debug, Default, Clone)]
pub struct LidarRequest(pub Option<(LidarSpec, Iso3)>);

#[derive(Resource, Debug, Default, Clone)]
pub struct LidarScan(pub Vec<LidarPoint>);

/// System sets of the physics layer.
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PhysicsSet {
    /// Kinematic bodies follow the traffic core (before rapier's step).
    SyncBodies,
    /// Contacts and LiDAR read after the step.
    Sense,
}

#[derive(Debug)]
pub struct PhysicsPlugin;

impl Plugin for PhysicsPlugin {
    fn build(&self, app: &mut App) {
        app.add_plugins(RapierPhysicsPlugin::<NoUserData>::default())
            .insert_resource(TimestepMode::Fixed {
                dt: 1.0 / 60.0,
                substeps: 1,
            })
            .init_resource::<Contacts>()
            .init_resource::<LidarRequest>()
            .init_resource::<LidarScan>()
            .add_systems(Update, sync_bodies.in_set(PhysicsSet::SyncBodies))
            .add_systems(
                Last,
                (collect_contacts, scan_lidar).in_set(PhysicsSet::Sense),
            );
    }
}

fn tag_transform(base: V3, yaw: f64, height: f64) -> Transform {
    Transform::from_xyz(base.x as f32, base.y as f32, (base.z + height / 2.0) as f32)
        .with_rotation(Quat::from_rotation_z(yaw as f32))
}

/// Colliders for the ground, every prop and every actor.
pub fn spawn_colliders(world: &mut World, scene: &SceneWorld, plan: &drivegen_plan::ScenePlan) {
    world.spawn((
        RigidBody::Fixed,
        Collider::cuboid(5000.0, 5000.0, 0.05),
        Transform::from_xyz(0.0, 0.0, -0.05),
        Ground,
    ));
    for o in &scene.statics {
        let Some(b) = o.label_box else { continue };
        world.spawn((
            RigidBody::Fixed,
            Collider::cuboid(
                (b.length / 2.0) as f32,
                (b.width / 2.0) as f32,
                (b.height / 2.0) as f32,
            ),
            tag_transform(b.base, b.yaw, b.height),
            PhysicsTag {
                id: o.id,
                class: o.class,
            },
        ));
    }
    for (i, (entry, actor)) in scene.actors.iter().zip(&plan.actors).enumerate() {
        let s = actor.size;
        world.spawn((
            RigidBody::KinematicPositionBased,
            Collider::cuboid(
                (s.length / 2.0) as f32,
                (s.width / 2.0) as f32,
                (s.height / 2.0) as f32,
            ),
            Sensor,
            ActiveCollisionTypes::default()
                | ActiveCollisionTypes::KINEMATIC_KINEMATIC
                | ActiveCollisionTypes::KINEMATIC_STATIC,
            ActiveEvents::COLLISION_EVENTS,
            tag_transform(
                v3(actor.pose.x, actor.pose.y, 0.0),
                actor.pose.yaw,
                s.height,
            ),
            PhysicsTag {
                id: entry.id,
                class: entry.class,
            },
            ActorBody(i),
        ));
    }
}

fn sync_bodies(
    input: Res<FrameInput>,
    models: Res<SceneModels>,
    mut bodies: Query<(&ActorBody, &mut Transform)>,
) {
    for (body, mut transform) in &mut bodies {
        let (Some(state), Some(actor)) = (input.agents.get(body.0), models.plan.actors.get(body.0))
        else {
            continue;
        };
        let frame = actor_frame(state);
        let mut t = convert::transform(&frame);
        t.translation.z += (actor.size.height / 2.0) as f32;
        *transform = t;
    }
}

fn collect_contacts(
    context: ReadRapierContext,
    tags: Query<&PhysicsTag, With<ActorBody>>,
    mut contacts: ResMut<Contacts>,
) {
    let Ok(ctx) = context.single() else { return };
    let mut pairs: Vec<[u32; 2]> = ctx
        .simulation
        .intersection_pairs(ctx.colliders)
        .filter(|(_, _, touching)| *touching)
        .filter_map(|(a, b, _)| {
            let (ta, tb) = (tags.get(a).ok()?, tags.get(b).ok()?);
            let (x, y) = (u32::from(ta.id), u32::from(tb.id));
            Some([x.min(y), x.max(y)])
        })
        .collect();
    pairs.sort_unstable();
    pairs.dedup();
    contacts.0 = pairs;
}

/// Fraction of energy returned per class (a plausible stand-in for material reflectance).
fn reflectivity(class: u8) -> f32 {
    match class {
        7 => 0.12,
        8 => 0.25,
        22 => 0.35,
        21 => 0.45,
        11 => 0.4,
        26..=33 => 0.6,
        24 | 25 => 0.3,
        _ => 0.5,
    }
}

fn scan_lidar(
    context: ReadRapierContext,
    request: Res<LidarRequest>,
    models: Res<SceneModels>,
    tags: Query<&PhysicsTag>,
    ego: Query<(Entity, &ActorBody)>,
    mut scan: ResMut<LidarScan>,
) {
    scan.0.clear();
    let Some((spec, pose)) = &request.0 else {
        return;
    };
    let Ok(ctx) = context.single() else { return };
    let surfaces = Surfaces::new(&models.plan.network);
    let mut filter = QueryFilter::new();
    if let Some((entity, _)) = ego.iter().find(|(_, b)| b.0 == 0) {
        filter = filter.exclude_collider(entity);
    }
    let origin = pose.translation;
    let origin_v = Vec3::new(origin.x as f32, origin.y as f32, origin.z as f32);
    let channels = spec.channels.max(1);
    let (lo, hi) = spec.vertical_fov;
    for c in 0..channels {
        let el = if channels == 1 {
            0.0
        } else {
            lo + (hi - lo) * f64::from(c) / f64::from(channels - 1)
        }
        .to_radians();
        for a in 0..spec.horizontal_resolution {
            let az = std::f64::consts::TAU * f64::from(a) / f64::from(spec.horizontal_resolution);
            let local = v3(el.cos() * az.cos(), el.cos() * az.sin(), el.sin());
            let d = pose.rotation.mul_v(local);
            let dir = Vec3::new(d.x as f32, d.y as f32, d.z as f32);
            let Some((entity, hit)) =
                ctx.cast_ray_and_get_normal(origin_v, dir, spec.range as f32, true, filter)
            else {
                continue;
            };
            let t = hit.time_of_impact;
            let (instance, class) = match tags.get(entity) {
                Ok(tag) => (tag.id, tag.class.cityscapes_id()),
                Err(_) => {
                    let p = origin_v + dir * t;
                    let ground = V2 {
                        x: f64::from(p.x),
                        y: f64::from(p.y),
                    };
                    let probe = Obb {
                        center: ground,
                        yaw: 0.0,
                        half_length: 0.01,
                        half_width: 0.01,
                    };
                    if surfaces.on_walkway(ground) {
                        (8, 8)
                    } else if surfaces.blocks_prop(&probe, false) {
                        (7, 7)
                    } else {
                        (22, 22)
                    }
                }
            };
            let cos = hit.normal.dot(-dir).abs();
            let p = local * f64::from(t);
            scan.0.push(LidarPoint {
                x: p.x as f32,
                y: p.y as f32,
                z: p.z as f32,
                intensity: reflectivity(class) * cos,
                instance,
                class,
            });
        }
    }
}
