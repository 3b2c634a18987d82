//! Checks on named actors, their relations and per-class populations: names unique and
//! referred to only after they are declared, cameras that exist, lanes only for
//! vehicles, offsets a moving vehicle can keep, and every distance in range.

use super::caps;
use super::checker::{Checker, path, with};
use crate::model::{IdmSpec, Scenario};
use crate::param::Param;
use crate::placement::{
    ActorKind, Anchor, MAX_MEMBERS, MAX_NAMED_ACTORS, NamedActor, PedestrianKind, Relation,
};
use crate::shape::Seg;

/// Every problem in `actors`, `traffic.populations` and `pedestrians.kinds`.
pub(super) fn check(c: &mut Checker, s: &Scenario) {
    if s.actors.len() > MAX_NAMED_ACTORS {
        c.report(
            path(&["actors"]),
            format!(
                "{} named actors; at most {MAX_NAMED_ACTORS} are allowed",
                s.actors.len()
            ),
            Some("use `count` for several actors placed by one rule".into()),
        );
    }
    for (i, a) in s.actors.iter().enumerate() {
        actor(c, s, i, a);
    }
    populations(c, s);
    let kinds = &s.pedestrians.kinds;
    c.weights(path(&["pedestrians", "kinds"]), kinds);
    if kinds
        .values()
        .any(|k| matches!(k, PedestrianKind::Group(_)))
    {
        c.report(
            path(&["pedestrians", "kinds"]),
            "`pedestrians.kinds` cannot hold a Group".into(),
            Some("use Adult and Child here; place groups as named actors with class: Pedestrian(Group(3))".into()),
        );
    }
}

fn name_ok(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

fn actor(c: &mut Checker, s: &Scenario, i: usize, a: &NamedActor) {
    let at = vec![Seg::field("actors"), Seg::Index(i)];
    let f = |name: &str| with(at.clone(), &[Seg::field(name)]);
    if !name_ok(&a.name) {
        c.report(
            f("name"),
            format!(
                "actor name `{}` must be non-empty ASCII letters, digits, `_` or `-`",
                a.name
            ),
            Some("relations and events refer to actors by these names".into()),
        );
    } else if s.actors[..i].iter().any(|o| o.name == a.name) {
        c.report(
            f("name"),
            format!("actor name `{}` is used twice", a.name),
            Some("every named actor needs its own name".into()),
        );
    }
    if !(1..=MAX_MEMBERS).contains(&a.count) {
        c.report(
            f("count"),
            format!(
                "`count` is {}; it must be within [1, {MAX_MEMBERS}]",
                a.count
            ),
            Some("use traffic.populations for many vehicles of one class".into()),
        );
    }
    let pedestrian = matches!(a.class, ActorKind::Pedestrian(_));
    if let ActorKind::Pedestrian(PedestrianKind::Group(n)) = a.class
        && !(2..=MAX_MEMBERS).contains(&n)
    {
        c.report(
            f("class"),
            format!("`Group({n})`: a group has 2 to {MAX_MEMBERS} pedestrians"),
            Some("use Pedestrian(Adult) for one person".into()),
        );
    }
    // Members are `name/k`; the bare name of a several-member entry means its first.
    let earlier: Vec<String> = s.actors[..i]
        .iter()
        .flat_map(|o| {
            let mut names = o.member_names();
            if names.len() > 1 {
                names.push(o.name.clone());
            }
            names
        })
        .collect();
    let later: Vec<&str> = s.actors[i + 1..].iter().map(|o| o.name.as_str()).collect();
    let refs = Refs {
        earlier: &earlier,
        later: &later,
    };
    let place_at = f("place");
    let pf = |name: &str| with(place_at.clone(), &[Seg::field(name)]);
    refs.check(c, pf("of"), a, a.place.anchor(), "placed relative to");
    if let Some(y) = &a.occluded_by {
        refs.check(
            c,
            f("occluded_by"),
            a,
            &Anchor::Actor(y.clone()),
            "hidden behind",
        );
    }
    if let Some(cam) = &a.visible_from
        && !s.sensors.cameras.iter().any(|k| &k.name == cam)
    {
        let names: Vec<&str> = s.sensors.cameras.iter().map(|k| k.name.as_str()).collect();
        c.report(
            f("visible_from"),
            format!("no camera is named `{cam}`"),
            Some(format!("the cameras are: {}", names.join(", "))),
        );
    }
    match a.place.relation() {
        Relation::Along {
            distance,
            lane,
            lateral,
            ..
        } => {
            ranged(c, pf("distance"), distance, 0.0, 500.0, " m", DISTANCE_HINT);
            ranged(c, pf("lateral"), lateral, -50.0, 50.0, " m", LATERAL_HINT);
            if pedestrian && lane.is_some() {
                c.report(
                    pf("lane"),
                    "`lane` is for vehicles; a pedestrian is placed along the reference's heading"
                        .into(),
                    Some("drop `lane` and use `lateral` (metres to the left)".into()),
                );
            }
            if !pedestrian && !a.parked && lateral.bounds() != (0.0, 0.0) {
                c.report(
                    pf("lateral"),
                    "a moving vehicle drives on its lane's centre line; `lateral` would be lost at the first step".into(),
                    Some("set `parked: true`, or choose the lane with `lane: Adjacent` / `Opposite` / `Kerb`".into()),
                );
            }
        }
        Relation::Beside {
            distance, along, ..
        } => {
            ranged(c, pf("distance"), distance, 0.0, 100.0, " m", DISTANCE_HINT);
            ranged(c, pf("along"), along, -500.0, 500.0, " m", ALONG_HINT);
        }
        Relation::Near { within } => ranged(c, pf("within"), within, 0.5, 500.0, " m", WITHIN_HINT),
    }
    if pedestrian {
        if a.parked {
            c.report(
                f("parked"),
                "`parked` is for vehicles".into(),
                Some("a pedestrian with walking_speed 0 (the default) stands still".into()),
            );
        }
        if a.speed_factor.is_some() {
            c.report(
                f("speed_factor"),
                "`speed_factor` is for moving vehicles".into(),
                Some("use `walking_speed` (m/s) for a pedestrian".into()),
            );
        }
        ranged(
            c,
            f("walking_speed"),
            &a.walking_speed,
            0.0,
            4.0,
            " m/s",
            WALK_HINT,
        );
        ranged(
            c,
            f("heading"),
            &a.heading,
            -360.0,
            360.0,
            " degrees",
            HEADING_HINT,
        );
    } else {
        for (field, p) in [("walking_speed", &a.walking_speed), ("heading", &a.heading)] {
            if p.bounds() != (0.0, 0.0) {
                c.report(
                    f(field),
                    format!("`{field}` is for pedestrians; a vehicle follows its lane"),
                    None,
                );
            }
        }
        match (&a.speed_factor, a.parked) {
            (Some(_), true) => c.report(
                f("speed_factor"),
                "a parked vehicle has no `speed_factor`".into(),
                Some("drop `speed_factor`, or `parked: true`".into()),
            ),
            (Some(sf), false) => speed_factor(c, f("speed_factor"), sf),
            _ => {}
        }
    }
}

/// The names an actor may refer to (declared before it) and the entries after it.
struct Refs<'a> {
    earlier: &'a [String],
    later: &'a [&'a str],
}

impl Refs<'_> {
    /// A reference to another named actor must name one declared earlier (actors are
    /// placed in file order) and not the actor itself.
    fn check(&self, c: &mut Checker, at: Vec<Seg>, a: &NamedActor, anchor: &Anchor, what: &str) {
        let Anchor::Actor(name) = anchor else {
            return;
        };
        if self.earlier.iter().any(|n| n == name) {
            return;
        }
        let base = name.split('/').next().unwrap_or(name);
        // A relation may be to the ego (`of: Ego`); `occluded_by` names an actor only.
        let ego_too = what != "hidden behind";
        let (message, hint) = if base == a.name {
            (
                format!("`{}` cannot be {what} itself", a.name),
                if ego_too {
                    "refer to another actor, or to Ego".to_string()
                } else {
                    "name another actor, declared above this one".to_string()
                },
            )
        } else if self.later.contains(&base) {
            (
                format!(
                    "`{}` is {what} `{name}`, which is declared after it",
                    a.name
                ),
                format!(
                    "move `{base}` above `{}`: actors are placed in file order",
                    a.name
                ),
            )
        } else {
            let suggestion = self
                .earlier
                .iter()
                .min_by_key(|n| strsim::levenshtein(n, name))
                .filter(|n| strsim::levenshtein(n, name) <= 2);
            (
                format!("no actor named `{name}` is declared before `{}`", a.name),
                match suggestion {
                    Some(s) => format!("did you mean `{s}`?"),
                    None if self.earlier.is_empty() && ego_too => {
                        "declare it first in `actors`, or use Ego".into()
                    }
                    None if self.earlier.is_empty() => {
                        "declare it first in `actors` (the ego cannot hide an actor from its own camera)".into()
                    }
                    None => format!("declared so far: {}", self.earlier.join(", ")),
                },
            )
        };
        c.report(at, message, Some(hint));
    }
}

fn populations(c: &mut Checker, s: &Scenario) {
    let t = &s.traffic;
    let mut most = t.vehicles.bounds().1.max(0.0);
    for (i, p) in t.populations.iter().enumerate() {
        let at = vec![
            Seg::field("traffic"),
            Seg::field("populations"),
            Seg::Index(i),
        ];
        let f = |name: &str| with(at.clone(), &[Seg::field(name)]);
        c.count(f("count"), &p.count, caps::VEHICLES);
        most += p.count.bounds().1.max(0.0);
        if let Some(sf) = &p.speed_factor {
            speed_factor(c, f("speed_factor"), sf);
        }
        if let Some(idm) = &p.idm {
            idm_fields(c, f("idm"), idm);
        }
    }
    most += s
        .actors
        .iter()
        .filter(|a| matches!(a.class, ActorKind::Vehicle(_)) && !a.parked)
        .map(|a| f64::from(a.members()))
        .sum::<f64>();
    if !t.populations.is_empty() && most > f64::from(caps::VEHICLES) {
        c.report(
            path(&["traffic", "populations"]),
            format!(
                "traffic.vehicles, the populations and the moving named vehicles can reach {most} vehicles, above the cap of {}",
                caps::VEHICLES
            ),
            Some("lower the counts; they share the moving-vehicle ids".into()),
        );
    }
}

/// A named vehicle's or a population's own `speed_factor`, held to traffic's range.
fn speed_factor(c: &mut Checker, at: Vec<Seg>, sf: &Param) {
    ranged(c, at, sf, 0.05, 2.0, " of the speed limit", SPEED_HINT);
}

fn idm_fields(c: &mut Checker, at: Vec<Seg>, idm: &IdmSpec) {
    let fields: [(&str, &Param, f64, f64, &str); 4] = [
        ("time_headway", &idm.time_headway, 0.1, 10.0, " s"),
        ("min_gap", &idm.min_gap, 0.0, 50.0, " m"),
        ("max_accel", &idm.max_accel, 0.1, 10.0, " m/s²"),
        (
            "comfortable_decel",
            &idm.comfortable_decel,
            0.1,
            10.0,
            " m/s²",
        ),
    ];
    for (name, p, lo, hi, unit) in fields {
        ranged(
            c,
            with(at.clone(), &[Seg::field(name)]),
            p,
            lo,
            hi,
            unit,
            IDM_HINT,
        );
    }
}

const DISTANCE_HINT: &str =
    "distances are between centres and never negative: use Behind (or Right) for the other way";
const LATERAL_HINT: &str =
    "metres to the left of the lane centre or heading line (negative: right)";
const ALONG_HINT: &str = "metres along the reference's heading (negative: behind it)";
const WITHIN_HINT: &str = "a radius in metres around the reference";
const WALK_HINT: &str = "metres per second; 0 stands still";
const HEADING_HINT: &str = "degrees left of the reference's heading (90: facing its left side)";
const SPEED_HINT: &str = "a fraction of the lane's speed limit (1 drives at the limit)";
const IDM_HINT: &str =
    "IDM: time_headway 0.1 - 10 s, min_gap 0 - 50 m, max_accel and comfortable_decel 0.1 - 10 m/s²";

/// A range check whose problem, if any, carries `hint` when the generic check gives none.
fn ranged(c: &mut Checker, at: Vec<Seg>, p: &Param, lo: f64, hi: f64, unit: &str, hint: &str) {
    let before = c.problems.len();
    c.range(at, p, lo, hi, unit);
    for problem in &mut c.problems[before..] {
        problem.hint.get_or_insert_with(|| hint.to_string());
    }
}
