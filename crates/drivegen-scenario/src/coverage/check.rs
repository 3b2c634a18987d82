//! Validation of a coverage design: axes name known parameters once, grids and ranges
//! are well formed and within the variants cap, and every value passes its field's own
//! checks. Each problem points at the axis, range or value that causes it.

use super::{
    MAX_AXES, MAX_GRID_VALUES, PARAMETERS, ParameterError, Variants, grid_cells, set_parameter,
};
use crate::load::Problem;
use crate::model::Scenario;
use crate::shape::Seg;
use crate::validate::caps;

fn at(parts: &[Seg]) -> Vec<Seg> {
    let mut p = vec![Seg::field("variants")];
    p.extend_from_slice(parts);
    p
}

fn problem(path: Vec<Seg>, message: String, hint: Option<String>) -> Problem {
    Problem {
        path,
        message,
        hint,
        fallback: Some(vec![Seg::field("variants")]),
    }
}

/// The problems with one value of axis `name`: validation of the scenario with it
/// written in, where it reports on that field.
fn value_problems(
    s: &Scenario,
    name: &str,
    value: f64,
) -> Result<Vec<(String, Option<String>)>, ParameterError> {
    let mut probe = s.clone();
    probe.coverage = Variants::Count(1);
    probe.variants = 1;
    set_parameter(&mut probe, name, value)?;
    let field: Vec<Seg> = name.split('.').map(Seg::field).collect();
    Ok(crate::validate::validate(&probe)
        .into_iter()
        .filter(|p| p.path == field)
        .map(|p| (p.message, p.hint))
        .collect())
}

fn unknown_hint(name: &str) -> String {
    let best = PARAMETERS
        .iter()
        .map(|p| (strsim::jaro_winkler(name, p), *p))
        .fold((0.0, ""), |a, b| if b.0 > a.0 { b } else { a });
    if best.0 > 0.8 {
        format!("did you mean `{}`? see scenarios/REFERENCE.md", best.1)
    } else {
        format!(
            "coverage parameters are field paths such as `environment.time_of_day` or \
             `traffic.vehicles`; scenarios/REFERENCE.md lists all {}",
            PARAMETERS.len()
        )
    }
}

/// Every problem with the scenario's coverage design, each at its axis or value.
pub(crate) fn check(s: &Scenario) -> Vec<Problem> {
    let mut out = Vec::new();
    let axes = s.coverage.axis_names();
    if matches!(s.coverage, Variants::Count(_)) {
        return out;
    }
    if axes.is_empty() || axes.len() > MAX_AXES {
        out.push(problem(
            at(&[Seg::field("axes")]),
            format!(
                "a coverage design needs 1 to {MAX_AXES} axes, found {}",
                axes.len()
            ),
            Some("list axes as (\"environment.time_of_day\", ...)".into()),
        ));
    }
    let mut known = vec![false; axes.len()];
    for (i, name) in axes.iter().enumerate() {
        let name_at = at(&[Seg::field("axes"), Seg::Index(i), Seg::Index(0)]);
        if !PARAMETERS.contains(name) {
            out.push(problem(
                name_at,
                format!("unknown coverage parameter `{name}`"),
                Some(unknown_hint(name)),
            ));
        } else if axes[..i].contains(name) {
            out.push(problem(
                name_at,
                format!("`{name}` is an axis twice"),
                Some("give each parameter one axis; list all its values there".into()),
            ));
        } else {
            known[i] = true;
        }
    }
    let check_value =
        |path: Vec<Seg>, name: &str, value: f64, out: &mut Vec<Problem>| match value_problems(
            s, name, value,
        ) {
            Err(e) => {
                let hint = match e {
                    ParameterError::NotWhole { .. } => {
                        "counts and lane indices take whole numbers, e.g. [4, 8, 12]"
                    }
                    _ => "flags take 0 (false) and 1 (true)",
                };
                out.push(problem(path, e.to_string(), Some(hint.into())))
            }
            Ok(found) => {
                for (message, hint) in found {
                    out.push(problem(
                        path.clone(),
                        format!("coverage value: {message}"),
                        hint,
                    ));
                }
            }
        };
    match &s.coverage {
        Variants::Count(_) => {}
        Variants::Grid { axes, repeat } => {
            for (i, (name, values)) in axes.iter().enumerate() {
                let values_at = at(&[Seg::field("axes"), Seg::Index(i), Seg::Index(1)]);
                if values.is_empty() || values.len() > MAX_GRID_VALUES {
                    out.push(problem(
                        values_at.clone(),
                        format!(
                            "grid axis `{name}` needs 1 to {MAX_GRID_VALUES} values, found {}",
                            values.len()
                        ),
                        Some("list the values to cover, e.g. [7.0, 12.0, 19.0]".into()),
                    ));
                }
                if !known[i] {
                    continue;
                }
                for (j, v) in values.iter().enumerate().take(MAX_GRID_VALUES) {
                    let mut p = values_at.clone();
                    p.push(Seg::Index(j));
                    if values[..j].contains(v) {
                        out.push(problem(
                            p,
                            format!("grid axis `{name}` lists {v} twice"),
                            Some("each value makes its own cells; list it once and raise `repeat` for more draws".into()),
                        ));
                        continue;
                    }
                    check_value(p, name, *v, &mut out);
                }
            }
            if *repeat == 0 {
                out.push(problem(
                    at(&[Seg::field("repeat")]),
                    "`repeat` is 0; the grid would have no variants".into(),
                    Some("repeat: 1 covers every cell once".into()),
                ));
            }
            let cells = grid_cells(axes);
            let total = cells.saturating_mul(u64::from(*repeat));
            if total > u64::from(caps::VARIANTS) {
                out.push(problem(
                    at(&[]),
                    format!(
                        "the grid has {cells} cells x {repeat} repeats = {total} variants, above the cap of {}",
                        caps::VARIANTS
                    ),
                    Some("drop values or axes, or cover the space with Sobol(count: n, ...)".into()),
                ));
            }
        }
        Variants::Sobol { count, axes } => {
            if !(1..=caps::VARIANTS).contains(count) {
                out.push(problem(
                    at(&[Seg::field("count")]),
                    format!(
                        "`count` is {count}; it must be within [1, {}]",
                        caps::VARIANTS
                    ),
                    Some("a power of two (16, 64, 256) balances every axis exactly".into()),
                ));
            }
            for (i, (name, (lo, hi))) in axes.iter().enumerate() {
                let range_at = at(&[Seg::field("axes"), Seg::Index(i), Seg::Index(1)]);
                if !(lo.is_finite() && hi.is_finite()) || lo > hi {
                    out.push(problem(
                        range_at,
                        format!("Sobol axis `{name}`: range ({lo}, {hi}) needs lo <= hi"),
                        Some("write (lo, hi), e.g. (6.0, 20.0)".into()),
                    ));
                    continue;
                }
                if !known[i] {
                    continue;
                }
                for (k, v) in [(0, *lo), (1, *hi)] {
                    let mut p = range_at.clone();
                    p.push(Seg::Index(k));
                    check_value(p, name, v, &mut out);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::tests::load;

    #[test]
    fn bad_designs_are_reported_at_the_axis() {
        let err = load(
            r#"Scenario(name: "g", seed: 1, variants: Grid(axes: [
                ("environment.time_of_dya", [7.0]),
                ("environment.rain", [0.0, 1.5]),
                ("traffic.vehicles", [2.5])], repeat: 0))"#,
        )
        .expect_err("invalid");
        assert!(err.contains("cov.ron:2:18"), "{err}");
        assert!(
            err.contains("did you mean `environment.time_of_day`"),
            "{err}"
        );
        assert!(err.contains("cov.ron:3:44"), "{err}");
        assert!(err.contains("`environment.rain` is 1.5"), "{err}");
        assert!(
            err.contains("`traffic.vehicles` takes whole numbers; 2.5 is not one"),
            "{err}"
        );
        assert!(err.contains("`repeat` is 0"), "{err}");
        let err = load(
            r#"Scenario(name: "s", seed: 1, variants: Sobol(count: 0, axes: [("environment.fog_density", (0, 0.5))]))"#,
        )
        .expect_err("invalid");
        assert!(err.contains("`count` is 0"), "{err}");
        assert!(err.contains("`environment.fog_density` is 0.5"), "{err}");
        let err =
            load(r#"Scenario(name: "s", seed: 1, variants: Grid(axis: []))"#).expect_err("invalid");
        assert!(err.contains("Grid(axes:"), "{err}");
    }
}
