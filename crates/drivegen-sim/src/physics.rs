//! Physics through bevy_rapier3d: colliders for every actor and static object, contacts
//! recorded per capture, and LiDAR by ray casting into the same collider set.
//!
//! Static objects (roads with their paint and crosswalks, sidewalks and kerbs, terrain,
//! buildings, props) are triangle-mesh colliders built from the very triangles the cameras
//! and the label pass draw, one collider per object with its instance id and class, so a
//! LiDAR return names what a camera pixel in the same direction names. Actors are
//! kinematic, position-based boxes placed by the traffic core (the traffic model decides
//! motion; physics only detects what touches); their colliders are sensors, so nothing
//! pushes anything. Physics entities live in the plan's z-up frame, apart from the render
//! hierarchy.
//!
//! Everything a capture reports is a function of the poses at that capture alone: contacts
//! are shape-intersection queries of every actor's box against the others at their current
//! poses (not rapier's narrow-phase pairs, which lag a step and remember the previous
//! poses), and LiDAR rays are cast at the current poses. So a run that skips captures
//! (`Engine::skip_to`, resuming) reports exactly what an uninterrupted one does.

use bevy::prelude::*;
use bevy_rapier3d::prelude::*;
use drivegen_labels::Class;
pub use drivegen_labels::lidar::LidarPoint;
use drivegen_labels::math::{Iso3, V3, v3};
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

#[derive(Component, Debug)]
pub struct ActorBody(pub usize);

/// Pairs of instance ids whose colliders intersect at this update's poses.
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

/// A triangle-mesh collider of a static object's world-space geometry (`None` when it has
/// no triangles).
fn static_collider(object: &drivegen_world::WorldObject) -> Option<Collider> {
    let mut vertices: Vec<Vec3> = Vec::new();
    let mut indices: Vec<[u32; 3]> = Vec::new();
    for part in &object.parts {
        let base = vertices.len() as u32;
        vertices.extend(part.mesh.positions.iter().map(|p| Vec3::from_array(*p)));
        indices.extend(
            part.mesh
                .indices
                .chunks_exact(3)
                .map(|t| [base + t[0], base + t[1], base + t[2]]),
        );
    }
    // No pre-processing flags: the triangles stay exactly as drawn.
    Collider::trimesh(vertices, indices).ok()
}

/// Colliders for every static object (its meshes) and every actor (its box).
pub fn spawn_colliders(world: &mut World, scene: &SceneWorld, plan: &drivegen_plan::ScenePlan) {
    for o in &scene.statics {
        let Some(collider) = static_collider(o) else {
            continue;
        };
        world.spawn((
            RigidBody::Fixed,
            collider,
            Transform::IDENTITY,
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

/// Every pair of actors whose boxes intersect at the current poses: each actor's box is
/// tested against the other actors' colliders (which rapier's step has just moved to these
/// poses), so the answer does not depend on any earlier update.
fn collect_contacts(
    context: ReadRapierContext,
    actors: Query<(Entity, &PhysicsTag, &Collider, &Transform), With<ActorBody>>,
    tags: Query<&PhysicsTag, With<ActorBody>>,
    mut contacts: ResMut<Contacts>,
) {
    let Ok(ctx) = context.single() else { return };
    let mut pairs: Vec<[u32; 2]> = Vec::new();
    for (entity, tag, collider, transform) in &actors {
        let filter = QueryFilter::only_kinematic().exclude_collider(entity);
        ctx.intersect_shape(
            transform.translation,
            transform.rotation,
            &*collider.raw,
            filter,
            |other| {
                if let Ok(o) = tags.get(other) {
                    let (x, y) = (u32::from(tag.id), u32::from(o.id));
                    pairs.push([x.min(y), x.max(y)]);
                }
                true
            },
        );
    }
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
    tags: Query<&PhysicsTag>,
    ego: Query<(Entity, &ActorBody)>,
    mut scan: ResMut<LidarScan>,
) {
    scan.0.clear();
    let Some((spec, pose)) = &request.0 else {
        return;
    };
    let Ok(ctx) = context.single() else { return };
    let mut filter = QueryFilter::new();
    if let Some((entity, _)) = ego.iter().find(|(_, b)| b.0 == 0) {
        filter = filter.exclude_collider(entity);
    }
    let origin = pose.translation;
    let origin_v = Vec3::new(origin.x as f32, origin.y as f32, origin.z as f32);
    let channels = spec.channels.max(1);
    let (lo, hi) = spec.vertical_fov;
    let points = &mut scan.0;
    ctx.with_query_pipeline(filter, |pipeline| {
        for c in 0..channels {
            let el = if channels == 1 {
                0.0
            } else {
                lo + (hi - lo) * f64::from(c) / f64::from(channels - 1)
            }
            .to_radians();
            for a in 0..spec.horizontal_resolution {
                let az =
                    std::f64::consts::TAU * f64::from(a) / f64::from(spec.horizontal_resolution);
                let local = v3(el.cos() * az.cos(), el.cos() * az.sin(), el.sin());
                let d = pose.rotation.mul_v(local);
                let dir = Vec3::new(d.x as f32, d.y as f32, d.z as f32);
                let Some((entity, hit)) =
                    pipeline.cast_ray_and_get_normal(origin_v, dir, spec.range as f32, true)
                else {
                    continue;
                };
                // Every collider is tagged: statics by their object, actors by their id.
                let Ok(tag) = tags.get(entity) else { continue };
                let (instance, class) = (tag.id, tag.class.cityscapes_id());
                let cos = hit.normal.dot(-dir).abs();
                let p = local * f64::from(hit.time_of_impact);
                points.push(LidarPoint {
                    x: p.x as f32,
                    y: p.y as f32,
                    z: p.z as f32,
                    intensity: reflectivity(class) * cos,
                    instance,
                    class,
                });
            }
        }
    });
}
