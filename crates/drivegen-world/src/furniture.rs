//! Street furniture derived from the road network: steel guard rails along fast roads
//! that have no sidewalk (motorways, rural highways). The meshes of the furniture the
//! planner places as props (bins, hydrants, bus shelters, fences) are in [`street`].
//!
//! Rails follow the paved edge and open wherever another carriageway or a junction comes
//! close (on-ramps, off-ramps, crossings), using the same surface queries that keep props
//! off the road, so a vehicle never drives through one. Everything is a function of the
//! plan: no random draws, so adding rails moves nothing else.

use drivegen_labels::Class;
use drivegen_labels::math::{V3, v3};
use drivegen_plan::geom::{Obb, Polyline, V2};
use drivegen_plan::surface::Surfaces;
use drivegen_plan::{Road, RoadKind, ScenePlan};

use crate::WorldObject;
use crate::mesh::{MeshData, PartsBuilder, Surface};

/// Roads at least this fast (m/s, about 80 km/h) and without a sidewalk get rails.
pub const RAIL_MIN_SPEED: f64 = 22.0;

/// Distance between rail posts along the road (m).
const POST_SPACING: f64 = 2.0;

/// From the paved edge to the posts' centre line (m): the beam's face stays clear of
/// the carriageway and the posts clear of kerbside props (see `drivegen_plan::props`).
const POST_SETBACK: f64 = 0.3;

/// Instance id of the rails: the Cityscapes id, as for the other stuff classes.
pub const GUARD_RAIL_ID: u16 = 14;

/// The W-beam's cross-section, (towards the road from the post line, height) in metres:
/// the corrugated face, then the flat back, a closed loop.
const BEAM: [(f64, f64); 7] = [
    (0.10, 0.50),
    (0.16, 0.58),
    (0.11, 0.67),
    (0.16, 0.76),
    (0.10, 0.84),
    (0.07, 0.84),
    (0.07, 0.50),
];

/// Whether `road` gets rails on its outer edges.
pub fn has_guard_rails(road: &Road) -> bool {
    matches!(road.kind, RoadKind::Main | RoadKind::Ramp)
        && road.sidewalk <= 0.0
        && road.speed_limit >= RAIL_MIN_SPEED
}

/// The guard rails of a plan, one stuff object (empty when no road qualifies).
pub fn guard_rails(plan: &ScenePlan) -> Option<WorldObject> {
    let surfaces = Surfaces::new(&plan.network);
    let mut parts = PartsBuilder::default();
    for road in plan.network.roads.iter().filter(|r| has_guard_rails(r)) {
        // The left edge of a one-way road is as wide as the asphalt drawn there.
        let left = road
            .left_width()
            .max(if road.lanes_left == 0 { 0.3 } else { 0.0 });
        for (edge, towards_road) in [
            (
                road.reference.offset(-(road.right_width() + POST_SETBACK)),
                1.0,
            ),
            (road.reference.offset(left + POST_SETBACK), -1.0),
        ] {
            rail_along(parts.mesh(Surface::Metal), &edge, towards_road, &surfaces);
        }
    }
    let parts = parts.finish();
    (!parts.is_empty()).then_some(WorldObject {
        id: GUARD_RAIL_ID,
        class: Class::GuardRail,
        parts,
        label_box: None,
        signal: None,
    })
}

/// Posts and beam runs along `line`; `towards_road` is the side (+1 left of the line's
/// direction) the beam faces.
fn rail_along(mesh: &mut MeshData, line: &Polyline, towards_road: f64, surfaces: &Surfaces) {
    let length = line.length();
    let posts = (length / POST_SPACING).floor() as usize;
    // Stations with their point and unit direction towards the road; a run of free
    // stations becomes one beam.
    let mut run: Vec<(V2, V2)> = Vec::new();
    for k in 0..=posts {
        let s = (k as f64 * POST_SPACING).min(length);
        let (p, t) = line.sample(s);
        let footprint = Obb {
            center: p,
            yaw: t.angle(),
            half_length: 0.1,
            half_width: 0.2,
        };
        if surfaces.blocks_prop(&footprint, false) {
            beam(mesh, &run);
            run.clear();
            continue;
        }
        let n = t.perp() * towards_road;
        post(mesh, p, t, n);
        run.push((p, n));
    }
    beam(mesh, &run);
}

fn post(mesh: &mut MeshData, p: V2, t: V2, n: V2) {
    let (hl, hw, h) = (0.05, 0.075, 0.75);
    let at = |a: f64, b: f64, z: f64| {
        let q = p + t * a + n * b;
        v3(q.x, q.y, z)
    };
    let centre = at(0.0, 0.0, h / 2.0);
    let corners = [(-hl, -hw), (hl, -hw), (hl, hw), (-hl, hw)];
    for i in 0..4 {
        let (a, b) = (corners[i], corners[(i + 1) % 4]);
        quad_facing(
            mesh,
            [
                at(a.0, a.1, 0.0),
                at(b.0, b.1, 0.0),
                at(b.0, b.1, h),
                at(a.0, a.1, h),
            ],
            centre,
        );
    }
    let top = corners.map(|(a, b)| at(a, b, h));
    quad_facing(mesh, top, centre);
}

/// A closed W-beam through the stations of a run, capped at both ends.
fn beam(mesh: &mut MeshData, run: &[(V2, V2)]) {
    if run.len() < 2 {
        return;
    }
    let section = |(p, n): (V2, V2)| BEAM.map(|(d, z)| v3(p.x + n.x * d, p.y + n.y * d, z));
    let core = |(p, n): (V2, V2)| v3(p.x + n.x * 0.1, p.y + n.y * 0.1, 0.67);
    for w in run.windows(2) {
        let (a, b) = (section(w[0]), section(w[1]));
        let mid = (core(w[0]) + core(w[1])) * 0.5;
        for k in 0..BEAM.len() {
            let j = (k + 1) % BEAM.len();
            quad_facing(mesh, [a[k], b[k], b[j], a[j]], mid);
        }
    }
    for (end, inner) in [(run[0], run[1]), (run[run.len() - 1], run[run.len() - 2])] {
        let ring = section(end);
        let c = core(end);
        // Inside the end face, a little towards the rest of the beam.
        let inside = c + (core(inner) - c) * 0.1;
        for k in 0..BEAM.len() {
            let j = (k + 1) % BEAM.len();
            quad_facing(mesh, [c, ring[k], ring[j], ring[j]], inside);
        }
    }
}

/// Adds quad a-b-c-d wound so that its front faces away from `inside` (the renderer
/// culls back faces; the label pass draws both, so every face must be seen from outside).
fn quad_facing(mesh: &mut MeshData, [a, b, c, d]: [V3; 4], inside: V3) {
    let normal = (b - a).cross(d - a);
    let centre = (a + b + c + d) * 0.25;
    if normal.dot(centre - inside) >= 0.0 {
        mesh.quad(a, b, c, d);
    } else {
        // Reversed, keeping `a` first: caps pass a triangle as a quad with c == d.
        mesh.quad(a, d, c, b);
    }
}

pub mod street;

#[cfg(test)]
mod tests;
