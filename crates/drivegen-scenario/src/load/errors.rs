//! From ron's errors to designer-facing diagnostics: the wording and hints ("did you
//! mean"), finding the value or field an error belongs to, and blanking an unknown field
//! so parsing can go on to report the next problem.

use std::ops::Range;

use crate::diagnostic::{Diagnostic, SourceFile};
use crate::shape::{self, Node, NodeKind};

pub(super) const DISTRIBUTIONS: &[&str] = &[
    "Uniform",
    "Normal",
    "Bernoulli",
    "Choice",
    "Poisson",
    "IntRange",
];

/// The value of the innermost struct field around `offset`: serde reports untagged and
/// custom errors with ron's cursor somewhere inside or just after that value.
pub(super) fn node_ending_at(node: &Node, offset: usize) -> Option<&Node> {
    let mut best = None;
    let mut current = node;
    loop {
        let NodeKind::Group { items, .. } = &current.kind else {
            return best;
        };
        let Some(item) = items
            .iter()
            .find(|i| i.value.span.start < offset && offset <= i.value.span.end)
        else {
            return best;
        };
        if item.key.is_some() {
            best = Some(&item.value);
        }
        current = &item.value;
    }
}

/// Bare identifiers and group names inside `node`, in order.
pub(super) fn identifiers(_root: &Node, node: &Node, text: &str) -> Vec<(String, Range<usize>)> {
    let mut out = Vec::new();
    collect_identifiers(node, text, &mut out);
    out
}

fn collect_identifiers(node: &Node, text: &str, out: &mut Vec<(String, Range<usize>)>) {
    match &node.kind {
        NodeKind::Atom => {
            let t = &text[node.span.clone()];
            if t.chars().next().is_some_and(|c| c.is_alphabetic()) {
                out.push((t.to_string(), node.span.clone()));
            }
        }
        NodeKind::Group { name, items, .. } => {
            if let Some((n, span)) = name {
                out.push((n.clone(), span.clone()));
            }
            for item in items {
                collect_identifiers(&item.value, text, out);
            }
        }
    }
}

/// The byte range `key: value,` of the struct field whose key starts at or after `at`.
pub(super) fn field_extent(text: &str, at: usize) -> Option<Range<usize>> {
    let root = shape::parse(text)?;
    let mut best: Option<Range<usize>> = None;
    find_field(&root, at, &mut best);
    let range = best?;
    // Swallow the comma after the value, if any.
    let rest = &text[range.end..];
    let trimmed = rest.len() - rest.trim_start().len();
    let end = if rest.trim_start().starts_with(',') {
        range.end + trimmed + 1
    } else {
        range.end
    };
    Some(range.start..end)
}

fn find_field(node: &Node, at: usize, best: &mut Option<Range<usize>>) {
    if let NodeKind::Group { items, .. } = &node.kind {
        for item in items {
            if let Some((_, key_span)) = &item.key {
                let range = key_span.start..item.value.span.end;
                // ron reports the cursor after the field name; take the closest key
                // starting at or before it.
                if key_span.start <= at && at <= key_span.end + 1 {
                    *best = Some(range);
                }
            }
            find_field(&item.value, at, best);
        }
    }
}

pub(super) fn blank_out(text: &mut String, range: Range<usize>) {
    // One ASCII byte per original byte keeps every offset (and the splice map) valid.
    let blank: String = text.as_bytes()[range.clone()]
        .iter()
        .map(|&b| if b == b'\n' { '\n' } else { ' ' })
        .collect();
    text.replace_range(range, &blank);
}

pub(super) fn ron_diagnostic(
    src: &SourceFile,
    text: &str,
    e: &ron::error::SpannedError,
    width: Option<usize>,
) -> Diagnostic {
    let file = SourceFile {
        name: src.name.clone(),
        text: text.to_string(),
    };
    let start = file.offset_of(e.span.start.line, e.span.start.col);
    ron_diagnostic_at(src, start..start + width.unwrap_or(1), &e.code)
}

pub(super) fn ron_diagnostic_at(
    src: &SourceFile,
    span: Range<usize>,
    code: &ron::Error,
) -> Diagnostic {
    let (message, hint) = describe(code);
    src.diagnostic(span, message, hint)
}

/// Turns ron's error into a designer-facing message and hint.
pub(super) fn describe(code: &ron::Error) -> (String, Option<String>) {
    use ron::Error as E;
    match code {
        E::NoSuchStructField {
            expected,
            found,
            outer,
        } => {
            let within = outer
                .as_ref()
                .map(|o| format!(" in `{o}`"))
                .unwrap_or_default();
            (
                format!("unknown field `{found}`{within}"),
                Some(did_you_mean(found, expected)),
            )
        }
        E::NoSuchEnumVariant {
            expected,
            found,
            outer,
        } => {
            let what = outer
                .as_ref()
                .map(|o| format!(" of `{o}`"))
                .unwrap_or_default();
            (
                format!("unknown variant `{found}`{what}"),
                Some(did_you_mean(found, expected)),
            )
        }
        E::MissingStructField { field, outer } => {
            let within = outer
                .as_ref()
                .map(|o| format!(" in `{o}`"))
                .unwrap_or_default();
            (
                format!("missing field `{field}`{within}"),
                Some(format!("add `{field}: ...`; see scenarios/REFERENCE.md")),
            )
        }
        E::DuplicateStructField { field, outer } => {
            let within = outer
                .as_ref()
                .map(|o| format!(" in `{o}`"))
                .unwrap_or_default();
            (
                format!("field `{field}` is given twice{within}"),
                Some("delete one of them".into()),
            )
        }
        E::ExpectedDifferentStructName { expected, found } => (
            format!("expected `{expected}(...)`, found `{found}(...)`"),
            Some(format!(
                "the top level of a scenario file is `{expected}(...)`"
            )),
        ),
        E::Eof => (
            "unexpected end of file".into(),
            Some("a bracket or parenthesis is probably not closed".into()),
        ),
        E::ExpectedComma => (
            "expected `,`".into(),
            Some("separate fields and list items with commas".into()),
        ),
        E::ExpectedStructLike | E::ExpectedNamedStructLike(_) => (
            "expected `Scenario(...)`".into(),
            Some("a scenario file is RON: Scenario(name: \"...\", seed: 1, ...)".into()),
        ),
        E::ExpectedArrayEnd | E::ExpectedStructLikeEnd => (
            code.to_string(),
            Some("check for a missing `,` or an unbalanced bracket just before here".into()),
        ),
        E::InvalidValueForType { expected, found } => (
            format!("expected {expected}, found {found}"),
            Some("see scenarios/REFERENCE.md for the field's type".into()),
        ),
        E::Message(m) if m.starts_with("a number or a distribution") => (
            format!("expected {m}"),
            Some("numeric fields take a constant such as 3.5 or a distribution".into()),
        ),
        other => (other.to_string(), None),
    }
}

pub(super) fn did_you_mean(found: &str, expected: &[&str]) -> String {
    let best = expected
        .iter()
        .map(|e| (strsim::damerau_levenshtein(found, e), *e))
        .min();
    match best {
        Some((d, e)) if d <= 2 || (d <= 3 && found.len() > 6) => format!("did you mean `{e}`?"),
        _ if expected.is_empty() => "this struct has no fields".into(),
        _ => format!(
            "expected one of {}",
            expected
                .iter()
                .map(|e| format!("`{e}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}
