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
    // ron reports some errors where the value's leading whitespace begins.
    let text = &src.text;
    let skip = text
        .get(span.start..)
        .map_or(0, |rest| rest.len() - rest.trim_start().len());
    let span = span.start + skip..span.end + skip;
    let rest = text.get(span.start..).unwrap_or("");
    let (message, hint) = match (code, field_before(text, span.start)) {
        (ron::Error::IntegerOutOfBounds, Some("seed")) => (
            "`seed` is out of range".into(),
            Some("the seed is a whole number from 0 to 18446744073709551615".into()),
        ),
        (ron::Error::IntegerOutOfBounds, Some(field)) => (
            format!("`{field}` is out of range for a whole number"),
            Some("see scenarios/REFERENCE.md for the field's range".into()),
        ),
        (ron::Error::ExpectedBoolean, Some(field)) => (
            format!("`{field}` takes `true` or `false`"),
            Some(TYPE_HINT.into()),
        ),
        // `seed: 1.5`: ron reads the whole number 1, then meets the fraction.
        (ron::Error::ExpectedComma, Some(field))
            if rest.starts_with('.') && rest[1..].starts_with(|c: char| c.is_ascii_digit()) =>
        {
            (
                format!("`{field}` takes a whole number, not a decimal"),
                Some("write it without a fraction".into()),
            )
        }
        (ron::Error::ExpectedInteger, Some(field)) => (
            format!("`{field}` takes a whole number"),
            Some(TYPE_HINT.into()),
        ),
        (ron::Error::ExpectedFloat, Some(field)) => {
            (format!("`{field}` takes a number"), Some(TYPE_HINT.into()))
        }
        (ron::Error::TrailingCharacters, _) => (
            "more text after the end of `Scenario(...)`".into(),
            Some(
                "a file holds one scenario: put another in a file of its own (it may \
                 `extends` this one)"
                    .into(),
            ),
        ),
        _ => describe(code),
    };
    src.diagnostic(span, message, hint)
}

/// The field whose value starts at (or runs to) `at`: the identifier before the nearest
/// `:` behind it on the same line, if only a value's characters lie between.
fn field_before(text: &str, at: usize) -> Option<&str> {
    let head = text.get(..at)?;
    let line = &head[head.rfind('\n').map_or(0, |i| i + 1)..];
    let value_chars =
        |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '+' | '.' | '_' | ' ' | '"');
    let colon = line.rfind(':')?;
    if !line[colon + 1..].chars().all(value_chars) {
        return None;
    }
    let name = line[..colon].trim_end();
    // Past the whole character: the one before a name may be several bytes long.
    let start = name
        .char_indices()
        .rfind(|&(_, c)| !(c.is_ascii_alphanumeric() || c == '_'))
        .map_or(0, |(i, c)| i + c.len_utf8());
    let name = &name[start..];
    (!name.is_empty()).then_some(name)
}

/// Where in a scenario file a struct or enum of the model is written, as a designer
/// knows it (`traffic.idm`), rather than the Rust type's name (`IdmSpec`).
fn section(type_name: &str) -> String {
    let place = match type_name {
        "Scenario" => return "the scenario".into(),
        "Capture" => "capture",
        "MapSpec" => "map",
        "Markings" => "map.markings",
        "Roadside" => "map.roadside",
        "TrafficSpec" => "traffic",
        "IdmSpec" => "idm",
        "Population" => "traffic.populations",
        "PedestrianSpec" => "pedestrians",
        "SignalSpec" => "signals",
        "EnvironmentSpec" => "environment",
        "EgoSpec" => "ego",
        "SensorSpec" => "sensors",
        "CameraSpec" => "sensors.cameras",
        "CameraSensorSpec" => "sensor",
        "DistortionSpec" => "distortion",
        "LidarSpec" => "sensors.lidar",
        "Mount" => "mount",
        "RuleSpec" => "rules",
        "EventSpec" => "events",
        "NamedActor" => "actors",
        other => other,
    };
    format!("`{place}`")
}

/// Where a field's type is written down, for errors that say it was given another.
const TYPE_HINT: &str = "see scenarios/REFERENCE.md for the field's type";

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
                .map(|o| format!(" in {}", section(o)))
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
                .map(|o| format!(" of {}", section(o)))
                .unwrap_or_default();
            (
                format!("unknown variant `{found}`{what}"),
                Some(did_you_mean(found, expected)),
            )
        }
        E::MissingStructField { field, outer } => {
            let within = outer
                .as_ref()
                .map(|o| format!(" in {}", section(o)))
                .unwrap_or_default();
            (
                format!("missing field `{field}`{within}"),
                Some(format!("add `{field}: ...`; see scenarios/REFERENCE.md")),
            )
        }
        E::DuplicateStructField { field, outer } => {
            let within = outer
                .as_ref()
                .map(|o| format!(" in {}", section(o)))
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
            Some(TYPE_HINT.into()),
        ),
        E::Message(m) if m.starts_with("a number or a distribution") => (
            format!("expected {m}"),
            Some("numeric fields take a constant such as 3.5 or a distribution".into()),
        ),
        E::ExpectedIdentifier => (
            "expected a name".into(),
            Some(
                "check just before here: a variant without fields is written bare \
                 (`RunRedLight`, not `RunRedLight()`), and a field as `name: value`"
                    .into(),
            ),
        ),
        E::ExpectedFloat | E::ExpectedInteger => (
            format!(
                "expected {}",
                if matches!(code, E::ExpectedFloat) {
                    "a number"
                } else {
                    "a whole number"
                }
            ),
            Some(TYPE_HINT.into()),
        ),
        other => (other.to_string(), None),
    }
}

/// A hint for an unknown name: the nearest of `expected` when it is close, else the
/// list of them.
pub fn did_you_mean(found: &str, expected: &[&str]) -> String {
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

/// Is the closer at `close` the first thing on its line, indented less than the line of
/// the opener at `open`?
fn outdented(text: &str, open: usize, close: usize) -> bool {
    let line_start = |at: usize| text[..at].rfind('\n').map_or(0, |p| p + 1);
    let indent = |at: usize| {
        text[line_start(at)..]
            .chars()
            .take_while(|c| *c == ' ' || *c == '\t')
            .count()
    };
    let (ls, lo) = (line_start(close), line_start(open));
    ls != lo && text[ls..close].trim().is_empty() && indent(close) < indent(open)
}

/// The innermost bracket that is never closed: the first closer that does not match the
/// open bracket before it (or one that starts its line left of that bracket's line, as
/// the outer bracket's closer would), or the end of the file with brackets still open. Strings and
/// comments are skipped. Returns the opener's span (with the name or field key written
/// just before it), its text, and where the mismatching closer is (`None`: end of file).
pub(super) fn unclosed_bracket(text: &str) -> Option<(Range<usize>, String, Option<usize>)> {
    let b = text.as_bytes();
    let mut stack: Vec<usize> = Vec::new();
    let mut i = 0;
    let mut mismatch = None;
    while i < b.len() {
        match b[i] {
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    if b[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < b.len() && !(b[i] == b'*' && b[i + 1] == b'/') {
                    i += 1;
                }
                i += 1;
            }
            b'(' | b'[' | b'{' => stack.push(i),
            c @ (b')' | b']' | b'}') => {
                let want = match c {
                    b')' => b'(',
                    b']' => b'[',
                    _ => b'{',
                };
                match stack.last() {
                    // A closer that starts its line left of the opener's line is the
                    // outer bracket's (`)` at column 1 closes `Scenario(`), not this one's.
                    Some(&open) if b[open] == want && outdented(text, open, i) => {
                        mismatch = Some(i);
                        break;
                    }
                    Some(&open) if b[open] == want => {
                        stack.pop();
                    }
                    Some(_) => {
                        mismatch = Some(i);
                        break;
                    }
                    None => return None,
                }
            }
            _ => {}
        }
        i += 1;
    }
    let open = *stack.last()?;
    // The name (`Intersection(`) or field key (`traffic: (`) written before the bracket.
    let before = &text[..open];
    let trimmed = before.trim_end();
    let ident_start = |s: &str| {
        s.char_indices()
            .rev()
            .find(|(_, c)| !(c.is_alphanumeric() || *c == '_'))
            .map_or(0, |(p, c)| p + c.len_utf8())
    };
    let start = if trimmed.len() == before.len() && !trimmed.is_empty() {
        ident_start(trimmed)
    } else if let Some(key) = trimmed.strip_suffix(':') {
        let key = key.trim_end();
        ident_start(key)
    } else {
        open
    };
    let start = if text[start..open].trim().is_empty() || start > open {
        open
    } else {
        start
    };
    Some((start..open + 1, text[start..open + 1].to_string(), mismatch))
}
