//! Woodland meshes: each planned [`TreeStand`] becomes a clump of leaf crowns, a low
//! skirt of undergrowth under three to five taller crowns, all in one stuff object of
//! class vegetation (Cityscapes id 21).
//!
//! Every crown stays inside its stand's footprint and height, so what the planner kept
//! clear of roads and props stays clear in the picture too.

use drivegen_labels::Class;
use drivegen_labels::math::{Iso3, M3, V3, v3};
use drivegen_plan::{ScenePlan, TreeStand, streams};
use rand::RngExt;

use crate::WorldObject;
use crate::mesh::{PartsBuilder, Surface};

/// The Cityscapes id of vegetation, the stuff id of the woodland object.
pub const WOODLAND_ID: u16 = 21;

/// The plan's woodland as one object; `None` when the plan has none.
pub fn woodland(plan: &ScenePlan) -> Option<WorldObject> {
    if plan.woodland.is_empty() {
        return None;
    }
    let mut parts = PartsBuilder::default();
    for stand in &plan.woodland {
        clump(&mut parts, stand);
    }
    Some(WorldObject {
        id: WOODLAND_ID,
        class: Class::Vegetation,
        parts: parts.finish(),
        label_box: None,
        signal: None,
    })
}

fn clump(parts: &mut PartsBuilder, stand: &TreeStand) {
    let frame = Iso3 {
        rotation: M3::rot_z(stand.pose.yaw),
        translation: v3(stand.pose.x, stand.pose.y, 0.0),
    };
    let (l, w, h) = (stand.size.length, stand.size.width, stand.size.height);
    let mut rng = streams::stream(u64::from(stand.detail), "woodland/stand");
    let foliage = parts.mesh(Surface::Foliage(stand.color));
    // Keeps a crown inside the footprint and under the stand's height.
    let mut crown = |c: V3, r: V3, segments: (usize, usize)| {
        let r = v3(
            r.x.min(l / 2.0 - c.x.abs()).max(0.3),
            r.y.min(w / 2.0 - c.y.abs()).max(0.3),
            r.z.min(h - c.z).max(0.3),
        );
        foliage.ellipsoid(&frame, c, r, (-90.0, 90.0), segments);
    };
    // Undergrowth: sinks a little into the ground so no gap shows under the crowns.
    crown(
        v3(0.0, 0.0, 0.22 * h),
        v3(0.5 * l, 0.5 * w, 0.3 * h),
        (6, 3),
    );
    let crowns = rng.random_range(3..6);
    for _ in 0..crowns {
        let c = v3(
            rng.random_range(-0.3..0.3) * l,
            rng.random_range(-0.25..0.25) * w,
            rng.random_range(0.5..0.72) * h,
        );
        let r = v3(
            rng.random_range(0.22..0.38) * l,
            rng.random_range(0.22..0.38) * w,
            rng.random_range(0.3..0.45) * h,
        );
        crown(c, r, (7, 4));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::World;
    use drivegen_plan::geom::V2;
    use drivegen_plan::props::footprint;

    fn rural_fog(variant: u32) -> ScenePlan {
        let path = format!(
            "{}/../../scenarios/rural_fog.ron",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = std::fs::read_to_string(&path).expect("example scenario");
        let s = drivegen_scenario::load_str(&path, &text)
            .expect("loads")
            .scenario;
        drivegen_plan::plan(&s, variant).expect("plans")
    }

    #[test]
    fn every_crown_stays_inside_a_stand_and_under_its_height() {
        let plan = rural_fog(0);
        assert!(!plan.woodland.is_empty(), "rural fog plants woodland");
        let object = woodland(&plan).expect("a woodland object");
        assert_eq!((object.id, object.class), (WOODLAND_ID, Class::Vegetation));
        let inside = |q: &[f32; 3]| {
            let (ground, z) = (
                V2 {
                    x: f64::from(q[0]),
                    y: f64::from(q[1]),
                },
                f64::from(q[2]),
            );
            plan.woodland.iter().any(|stand| {
                let h = stand.size.height;
                footprint(&stand.pose, stand.size)
                    .inflated(1e-3)
                    .contains(ground)
                    && (-0.1 * h - 1e-3..=h + 1e-3).contains(&z)
            })
        };
        let mut vertices = 0;
        for part in &object.parts {
            for q in &part.mesh.positions {
                assert!(inside(q), "vertex {q:?} outside every stand");
                vertices += 1;
            }
        }
        assert!(vertices > 100 * plan.woodland.len());
    }

    #[test]
    fn the_world_carries_the_woodland_only_when_planned() {
        let plan = rural_fog(1);
        let count = |p: &ScenePlan| {
            World::build(p)
                .statics
                .iter()
                .filter(|o| o.id == WOODLAND_ID && o.class == Class::Vegetation)
                .count()
        };
        assert_eq!(count(&plan), 1);
        let mut bare = plan.clone();
        bare.woodland.clear();
        assert_eq!(count(&bare), 0);
    }
}
