//! The world a plan describes, without an engine: procedural meshes for every object,
//! the traffic simulation core, and the label pass over the same geometry.
//!
//! The Bevy layer (`drivegen-sim`) turns these meshes into entities and syncs poses from
//! [`traffic::TrafficSim`]; the labeler rasterizes the very same triangles, so labels and
//! pixels come from one source of truth.

pub mod furniture;
pub mod mesh;
pub mod models;
pub mod shapes;
pub mod sky;
pub mod statics;
pub mod textures;
pub mod traffic;
pub mod woodland;

use drivegen_labels::math::{Iso3, M3, V3, v3};
use drivegen_labels::{Camera, Class, IdDepth, LabelObject, ObjectLabel, Tri, label_objects};
use drivegen_plan::{ActorClass, Role, ScenePlan, ids};

use mesh::Part;
use models::{ActorModel, limb_frame};
use traffic::{AgentState, TrafficSim};

/// A labelled box: bottom centre (world), yaw, dimensions.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BoxDims {
    pub base: V3,
    pub yaw: f64,
    pub length: f64,
    pub width: f64,
    pub height: f64,
}

/// A static object: stuff (road, sidewalk, terrain) or a prop.
#[derive(Clone, Debug)]
pub struct WorldObject {
    /// Instance id (the Cityscapes id for stuff).
    pub id: u16,
    pub class: Class,
    /// World-space geometry.
    pub parts: Vec<Part>,
    /// Props are labelled with this box; stuff is not.
    pub label_box: Option<BoxDims>,
    /// Traffic lights: (junction, phase group).
    pub signal: Option<(u32, u8)>,
}

#[derive(Clone, Debug)]
pub struct ActorEntry {
    pub id: u16,
    pub class: Class,
    pub model: ActorModel,
    pub rider_id: Option<u16>,
}

/// Labels are produced for objects up to this far from the camera (m).
pub const LABEL_RANGE: f64 = 150.0;

#[derive(Clone, Debug)]
pub struct World {
    pub statics: Vec<WorldObject>,
    /// In plan order.
    pub actors: Vec<ActorEntry>,
    static_tris: Vec<Vec<Tri>>,
}

/// The actor frame (ground point, yaw) in the world.
pub fn actor_frame(state: &AgentState) -> Iso3 {
    Iso3 {
        rotation: M3::rot_z(state.pose.yaw),
        translation: v3(state.pose.x, state.pose.y, 0.0),
    }
}

impl World {
    pub fn build(plan: &ScenePlan) -> World {
        let mut statics = statics::stuff(plan);
        statics.extend(woodland::woodland(plan));
        statics.extend(furniture::guard_rails(plan));
        statics.extend(statics::props(plan));
        let night = plan.environment.vehicle_lights_on();
        let actors = plan
            .actors
            .iter()
            .map(|a| {
                let model = models::actor_model(a, night, plan.variant_seed);
                let class = if a.role == Role::Ego {
                    Class::EgoVehicle
                } else {
                    Class::from_actor(a.class)
                };
                let rider_id = model.rider.as_ref().map(|_| (ids::RIDERS + a.id) as u16);
                ActorEntry {
                    id: a.id as u16,
                    class,
                    model,
                    rider_id,
                }
            })
            .collect();
        let identity = Iso3 {
            rotation: M3::IDENTITY,
            translation: v3(0.0, 0.0, 0.0),
        };
        let static_tris = statics
            .iter()
            .map(|o| {
                let mut tris = Vec::new();
                for p in &o.parts {
                    p.mesh.triangles(&identity, &mut tris);
                }
                tris
            })
            .collect();
        World {
            statics,
            actors,
            static_tris,
        }
    }

    /// Draws every object into the ID/depth pass and labels what the camera sees.
    pub fn label_frame(
        &self,
        plan: &ScenePlan,
        agents: &[AgentState],
        cam: &Camera,
    ) -> (IdDepth, Vec<ObjectLabel>) {
        let mut raster = IdDepth::new(cam.width, cam.height);
        for (o, tris) in self.statics.iter().zip(&self.static_tris) {
            raster.draw(cam, tris, o.id);
        }
        let mut actor_tris: Vec<(usize, Vec<Tri>, Option<Vec<Tri>>)> = Vec::new();
        for (k, (entry, state)) in self.actors.iter().zip(agents).enumerate() {
            let frame = actor_frame(state);
            let posed = |limbs: &[models::LimbModel]| {
                let mut tris = Vec::new();
                for limb in limbs {
                    let f = frame.then(&limb_frame(limb, state));
                    for p in &limb.parts {
                        p.mesh.triangles(&f, &mut tris);
                    }
                }
                tris
            };
            let body = posed(&entry.model.limbs);
            let rider = entry.model.rider.as_deref().map(posed);
            raster.draw(cam, &body, entry.id);
            if let (Some(r), Some(id)) = (&rider, entry.rider_id) {
                raster.draw(cam, r, id);
            }
            actor_tris.push((k, body, rider));
        }
        let mut objects = Vec::new();
        for (o, tris) in self.statics.iter().zip(&self.static_tris) {
            if let Some(b) = o.label_box {
                objects.push(LabelObject {
                    id: u32::from(o.id),
                    class: o.class,
                    base: b.base,
                    yaw: b.yaw,
                    length: b.length,
                    width: b.width,
                    height: b.height,
                    speed: 0.0,
                    tris,
                });
            }
        }
        for (k, body, rider) in &actor_tris {
            let entry = &self.actors[*k];
            if entry.class == Class::EgoVehicle {
                continue;
            }
            let state = &agents[*k];
            let actor = &plan.actors[*k];
            let base = v3(state.pose.x, state.pose.y, 0.0);
            objects.push(LabelObject {
                id: u32::from(entry.id),
                class: entry.class,
                base,
                yaw: state.pose.yaw,
                length: actor.size.length,
                width: actor.size.width,
                height: actor.size.height,
                speed: state.speed,
                tris: body,
            });
            if let (Some(r), Some(id), ActorClass::Vehicle(_)) =
                (rider, entry.rider_id, actor.class)
            {
                objects.push(LabelObject {
                    id: u32::from(id),
                    class: Class::Rider,
                    base,
                    yaw: state.pose.yaw,
                    length: 0.7,
                    width: 0.5,
                    height: actor.size.height,
                    speed: state.speed,
                    tris: r,
                });
            }
        }
        let labels = label_objects(cam, &raster, &objects, LABEL_RANGE);
        (raster, labels)
    }

    /// Class of every instance id drawn by this world (for the semantic image).
    pub fn instance_classes(&self) -> Vec<(u16, Class)> {
        let mut out: Vec<(u16, Class)> = self.statics.iter().map(|o| (o.id, o.class)).collect();
        for a in &self.actors {
            out.push((a.id, a.class));
            if let Some(r) = a.rider_id {
                out.push((r, Class::Rider));
            }
        }
        out.sort_by_key(|(id, _)| *id);
        out
    }
}

/// A seed from the plan's named stream `name` (rain streaks and other per-frame looks
/// that hash from a seed rather than draw in sequence).
pub fn named_seed(plan: &ScenePlan, name: &str) -> u64 {
    use rand::Rng;
    drivegen_plan::streams::stream(plan.variant_seed, name).next_u64()
}

/// Runs the traffic core to `time` in fixed steps of `1 / rate`.
pub fn advance_to(sim: &mut TrafficSim, plan: &ScenePlan, step: u64, rate: f64) {
    let target = step as f64 / rate;
    while sim.time + 0.5 / rate < target {
        sim.step(plan, 1.0 / rate);
    }
}
