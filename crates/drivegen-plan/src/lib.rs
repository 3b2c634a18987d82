//! The deterministic scene planner: (scenario, variant) → [`ScenePlan`].
//!
//! Every random choice draws from a named sub-stream (see [`streams`]), every collection
//! is ordered by a stable id, and every transcendental function is `libm`'s (pure Rust,
//! not the platform's maths library): the same inputs give a byte-identical plan on any
//! machine, which `tests/plan_rules.rs` pins with a hash. Sampled counts never exceed
//! their caps, and every id is checked against its range ([`ids`]).
//! This crate never depends on Bevy or Burn.
//!
//! ```
//! let scenario = drivegen_scenario::load_default().expect("valid").scenario;
//! let plan = drivegen_plan::plan(&scenario, 0).expect("plannable");
//! assert_eq!(plan.actors[0].id, drivegen_plan::ids::EGO);
//! ```

pub mod actors;
pub mod error;
pub mod events;
pub mod geom;
mod network;
pub mod props;
pub mod scene;
pub mod spatial;
pub mod streams;
pub mod surface;
pub mod topdown;
pub mod types;
mod woodland;

use drivegen_scenario::validate::caps;
use drivegen_scenario::{BlockPlan, Scenario};

pub use error::{PlanError, Rule, Subject};
pub use types::*;

use network::{NetworkBuilder, RoadParams};

/// How often a random map draws a block's kind before the variant fails to plan.
const KIND_DRAWS: usize = 8;

/// Plans variant `variant` of a validated scenario.
pub fn plan(s: &Scenario, variant: u32) -> Result<ScenePlan, PlanError> {
    if variant >= s.variants {
        return Err(PlanError::NoSuchVariant {
            variant,
            variants: s.variants,
        });
    }
    // A coverage design's variant is the scenario with its cell's parameters fixed.
    let coverage = s.coverage_cell(variant);
    let covered;
    let s = if coverage.is_empty() {
        s
    } else {
        covered = s.with_cell(&coverage);
        &covered
    };
    let vseed = streams::variant_seed(s.seed, variant);

    let mut map_rng = streams::stream(vseed, "map");
    let params = RoadParams {
        lanes: s
            .map
            .lanes_per_direction
            .sample(&mut map_rng)
            .round()
            .clamp(1.0, 4.0) as u8,
        lane_width: s.map.lane_width.sample(&mut map_rng).clamp(2.5, 5.0),
        shoulder: s.map.shoulder_width.sample(&mut map_rng).clamp(0.0, 4.0),
        sidewalk: s.map.sidewalk_width.sample(&mut map_rng).clamp(0.0, 8.0),
        speed_limit: s.map.speed_limit.sample(&mut map_rng).clamp(1.0, 40.0),
        markings: s.map.markings.clone(),
    };
    let crosswalks = s.map.crosswalks.clone();
    let mut crosswalk_flag = move |rng: &mut rand_chacha::ChaCha8Rng| crosswalks.sample(rng);
    let mut builder = NetworkBuilder::new(params);
    match &s.map.blocks {
        BlockPlan::Sequence(blocks) => {
            for block in blocks {
                builder.add_block(block, &mut map_rng, &mut crosswalk_flag)?;
            }
        }
        BlockPlan::Random { count, weights } => {
            let n = count.sample_count_capped(&mut map_rng, caps::BLOCKS).max(1);
            for _ in 0..n {
                // A block that overlaps the map however its parameters are redrawn is
                // drawn again, kind and all: with constant parameters (`OnRamp(length:
                // 100)`) every redraw was the same block, and the variant failed.
                let mut placed = Ok(());
                for _ in 0..KIND_DRAWS {
                    let Some(block) =
                        drivegen_scenario::param::pick_weighted(weights, &mut map_rng)
                    else {
                        break;
                    };
                    placed = builder.add_block(block, &mut map_rng, &mut crosswalk_flag);
                    if placed.is_ok() {
                        break;
                    }
                }
                placed?;
            }
        }
    }
    let mut network = builder.finish();

    scene::plan_signals(s, &mut network, &mut streams::stream(vseed, "signals"));
    let surfaces = surface::Surfaces::new(&network);
    let mut props = props::place_props(
        &network,
        &surfaces,
        &s.map.roadside,
        &mut streams::stream(vseed, "props"),
        &mut streams::stream(vseed, "furniture"),
    );
    props::place_traffic_lights(
        &network,
        &mut props,
        &mut streams::stream(vseed, "signals-heads"),
    )?;

    let woodland = woodland::place_woodland(
        &network,
        &surfaces,
        &props,
        &s.map.roadside.woodland,
        &mut streams::stream(vseed, "woodland"),
    );

    let (actors, cleared) = actors::place_actors(
        s,
        &network,
        &props,
        &scene::plan_sensors(s).cameras,
        actors::Streams {
            ego: &mut streams::stream(vseed, "ego"),
            traffic: &mut streams::stream(vseed, "traffic"),
            parked: &mut streams::stream(vseed, "parked"),
            pedestrians: &mut streams::stream(vseed, "pedestrians"),
            variant_seed: vseed,
        },
    )?;
    props.retain(|q| !cleared.contains(&q.id));
    let events = events::plan_events(s, &network, &actors)?;
    let environment = scene::plan_environment(s, &mut streams::stream(vseed, "environment"));
    let sensors = scene::plan_sensors_drawn(s, &mut streams::stream(vseed, "camera-sensor"));
    let schedule = scene::plan_schedule(s, &sensors);
    Ok(ScenePlan {
        format_version: PLAN_FORMAT_VERSION,
        scenario: s.name.clone(),
        scenario_seed: s.seed,
        variant,
        variant_seed: vseed,
        network,
        props,
        actors,
        environment,
        sensors,
        schedule,
        events,
        lane_changes: s.traffic.lane_changes,
        coverage,
        woodland,
    })
}

/// The plan as pretty RON (the `plan.ron` file format).
pub fn to_ron(plan: &ScenePlan) -> String {
    let config = ron::ser::PrettyConfig::new()
        .depth_limit(4)
        .indentor(" ".to_string());
    ron::ser::to_string_pretty(plan, config)
        .unwrap_or_else(|e| format!("// serialisation failed: {e}"))
}
