//! Reading scenario files: `extends` chains, typed parsing, and mapping every error
//! back to the file and `line:col` the designer wrote.
//!
//! A file that `extends` another is overlaid field by field on its base at the level of
//! the document's shape (nested structs merge, everything else is replaced), and the
//! merged text is built from verbatim slices of the original files. A splice map keeps
//! where each slice came from, so an error anywhere in the merged text still names the
//! right file and position.

use std::ops::Range;
use std::path::{Path, PathBuf};

use crate::diagnostic::{Diagnostic, Diagnostics, SourceFile};
use crate::model::Scenario;
use crate::param::{CATEGORICAL_ERROR_PREFIX, categorical_names};
use crate::shape::{self, Node, NodeKind, Seg};
use crate::validate;

mod errors;
pub use errors::did_you_mean;

use errors::{
    DISTRIBUTIONS, blank_out, describe, field_extent, identifiers, node_ending_at, ron_diagnostic,
    ron_diagnostic_at,
};

/// Largest scenario file accepted (a hostile file cannot exhaust memory).
pub const MAX_FILE_BYTES: usize = 1 << 20;
/// Longest `extends` chain.
pub const MAX_EXTENDS_DEPTH: usize = 16;
/// Unknown fields reported per load before giving up.
const MAX_RECOVERIES: usize = 32;

/// Why a scenario could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error("{path} is not a text file (a scenario is UTF-8 RON text)\n  = hint: check the path")]
    NotText { path: PathBuf },
    #[error(
        "cannot read scenario file {path}: {source}\n  = hint: check the path; scenarios in this repository live under scenarios/"
    )]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Invalid(Diagnostics),
}

impl ScenarioError {
    /// The individual problems (a read failure counts as one without a position).
    pub fn diagnostics(&self) -> Vec<Diagnostic> {
        match self {
            ScenarioError::Invalid(d) => d.0.clone(),
            ScenarioError::Read { path, source } => vec![Diagnostic {
                file: path.display().to_string(),
                line: 0,
                col: 0,
                message: format!("cannot read file: {source}"),
                hint: None,
                excerpt: None,
            }],
            ScenarioError::NotText { path } => vec![Diagnostic {
                file: path.display().to_string(),
                line: 0,
                col: 0,
                message: "not a text file (a scenario is UTF-8 RON text)".into(),
                hint: None,
                excerpt: None,
            }],
        }
    }
}

/// A syntax error caused by a bracket that is never closed, reported at that bracket
/// (ron itself notices only later, e.g. "expected `:`" on the next line).
fn unclosed_diagnostic(src: &SourceFile, e: &ron::error::SpannedError) -> Option<Diagnostic> {
    let (span, opener, closer) = errors::unclosed_bracket(&src.text)?;
    let error_at = src.offset_of(e.span.start.line, e.span.start.col);
    if error_at < span.start {
        return None; // an earlier, unrelated error
    }
    let want = match opener.chars().last() {
        Some('[') => ']',
        Some('{') => '}',
        _ => ')',
    };
    let opener = opener.split_whitespace().collect::<Vec<_>>().join(" ");
    let hint = match closer {
        Some(at) => {
            let (line, col) = src.line_col(at);
            let found = src.text[at..].chars().next().unwrap_or(')');
            format!(
                "add `{want}` to close it before line {line}, column {col}, where `{found}` \
                 closes an outer bracket"
            )
        }
        None => format!("add `{want}` to close it before the end of the file"),
    };
    Some(src.diagnostic(span, format!("`{opener}` is never closed"), Some(hint)))
}

/// A validated scenario and the sources it came from.
#[derive(Clone, Debug)]
pub struct LoadedScenario {
    pub scenario: Scenario,
    /// Every file of the `extends` chain, the loaded file first.
    pub files: Vec<SourceFile>,
    /// The merged document the scenario was parsed from (equal to the file when there
    /// is no `extends`).
    pub merged_text: String,
    /// Where each slice of `merged_text` came from.
    origins: SpliceMap,
}

impl LoadedScenario {
    /// A problem with the field at `path` (as deep as the document has it), reported at
    /// the file and `line:col` the designer wrote it, e.g. a rule the planner could not
    /// meet for `pedestrians.count`. A field the files leave at its default is reported
    /// at the nearest enclosing one, and the hint says the default applies.
    pub fn diagnostic_at(&self, path: &[Seg], message: String, hint: Option<String>) -> Diagnostic {
        let root = shape::parse(&self.merged_text);
        let (file, span) = locate(root.as_ref(), &self.origins, path, None);
        let written = root
            .as_ref()
            .is_some_and(|r| r.locate(path).1 == path.len());
        let hint = if written {
            hint
        } else {
            let field = path
                .iter()
                .map(|s| match s {
                    Seg::Field(f) => format!(".{f}"),
                    Seg::Index(i) => format!("[{i}]"),
                })
                .collect::<String>();
            let note = format!(
                "`{}` is not set in the file, so its default applies",
                field.trim_start_matches('.')
            );
            Some(match hint {
                Some(h) => format!("{h}; {note}"),
                None => note,
            })
        };
        self.files[file].diagnostic(span, message, hint)
    }
}

/// The file and byte range of the field at `path` (or `fallback` when the document lacks
/// `path` but has it), the whole first file when the document has no shape.
fn locate(
    root: Option<&Node>,
    map: &SpliceMap,
    path: &[Seg],
    fallback: Option<&[Seg]>,
) -> (usize, Range<usize>) {
    let Some(root) = root else {
        return (0, 0..0);
    };
    let (mut node, matched) = root.locate(path);
    if matched < path.len()
        && let Some(fallback) = fallback
    {
        let (other, got) = root.locate(fallback);
        if got == fallback.len() {
            node = other;
        }
    }
    let (file, start) = map.origin(node.span.start);
    let (_, end) = map.origin(node.span.end);
    (file, start..end.max(start))
}

/// Loads, merges and validates a scenario file.
pub fn load_file(path: &Path) -> Result<LoadedScenario, ScenarioError> {
    let root_dir = path
        .parent()
        .map(|p| {
            if p.as_os_str().is_empty() {
                Path::new(".")
            } else {
                p
            }
        })
        .unwrap_or(Path::new("."))
        .canonicalize()
        .map_err(|source| ScenarioError::Read {
            path: path.to_path_buf(),
            source,
        })?;
    let text = read_limited(path).map_err(|source| match source.kind() {
        std::io::ErrorKind::InvalidData => ScenarioError::NotText {
            path: path.to_path_buf(),
        },
        _ => ScenarioError::Read {
            path: path.to_path_buf(),
            source,
        },
    })?;
    let mut loader = Loader {
        files: Vec::new(),
        root_dir: Some(root_dir),
    };
    loader.finish(path.display().to_string(), text, Some(path.to_path_buf()))
}

/// Loads a scenario from text (the embedded default, tests). `extends` is refused
/// because there is no directory to resolve it against.
pub fn load_str(name: &str, text: &str) -> Result<LoadedScenario, ScenarioError> {
    let mut loader = Loader {
        files: Vec::new(),
        root_dir: None,
    };
    loader.finish(name.to_string(), text.to_string(), None)
}

fn read_limited(path: &Path) -> std::io::Result<String> {
    let meta = std::fs::metadata(path)?;
    if meta.len() > MAX_FILE_BYTES as u64 {
        return Err(std::io::Error::other(format!(
            "file is {} bytes; the limit is {MAX_FILE_BYTES}",
            meta.len()
        )));
    }
    std::fs::read_to_string(path)
}

struct Loader {
    files: Vec<SourceFile>,
    root_dir: Option<PathBuf>,
}

/// A document tree whose leaves are slices of the loaded files.
#[derive(Clone, Debug)]
enum Merged {
    Verbatim {
        file: usize,
        span: Range<usize>,
    },
    Struct {
        name: Option<(String, usize, Range<usize>)>,
        fields: Vec<MergedField>,
    },
}

#[derive(Clone, Debug)]
struct MergedField {
    key: String,
    key_file: usize,
    key_span: Range<usize>,
    value: Merged,
}

impl Merged {
    fn from_node(node: &Node, file: usize) -> Merged {
        match (node.struct_fields(), &node.kind) {
            (Some(items), NodeKind::Group { name, .. }) => Merged::Struct {
                name: name.as_ref().map(|(n, s)| (n.clone(), file, s.clone())),
                fields: items
                    .iter()
                    .filter_map(|item| {
                        let (key, key_span) = item.key.clone()?;
                        Some(MergedField {
                            key,
                            key_file: file,
                            key_span,
                            value: Merged::from_node(&item.value, file),
                        })
                    })
                    .collect(),
            },
            _ => Merged::Verbatim {
                file,
                span: node.span.clone(),
            },
        }
    }

    /// `overlay` wins; structs with compatible names merge field by field.
    fn overlay(self, overlay: Merged) -> Merged {
        match (self, overlay) {
            (
                Merged::Struct {
                    name: base_name,
                    fields: mut base_fields,
                },
                Merged::Struct {
                    name: top_name,
                    fields: top_fields,
                },
            ) if names_compatible(&base_name, &top_name) => {
                for field in top_fields {
                    match base_fields.iter_mut().find(|f| f.key == field.key) {
                        Some(existing) => {
                            let base_value = std::mem::replace(
                                &mut existing.value,
                                Merged::Verbatim {
                                    file: 0,
                                    span: 0..0,
                                },
                            );
                            existing.value = base_value.overlay(field.value);
                            existing.key_file = field.key_file;
                            existing.key_span = field.key_span;
                        }
                        None => base_fields.push(field),
                    }
                }
                Merged::Struct {
                    name: top_name.or(base_name),
                    fields: base_fields,
                }
            }
            (_, overlay) => overlay,
        }
    }
}

fn names_compatible(
    a: &Option<(String, usize, Range<usize>)>,
    b: &Option<(String, usize, Range<usize>)>,
) -> bool {
    match (a, b) {
        (Some((x, ..)), Some((y, ..))) => x == y,
        _ => true,
    }
}

/// Maps offsets in the merged text back to (file, offset).
#[derive(Clone, Debug, Default)]
struct SpliceMap {
    /// (merged start, length, file, original start), sorted by merged start.
    segments: Vec<(usize, usize, usize, usize)>,
}

impl SpliceMap {
    fn origin(&self, merged: usize) -> (usize, usize) {
        let idx = self.segments.partition_point(|s| s.0 <= merged);
        match idx.checked_sub(1).and_then(|i| self.segments.get(i)) {
            Some(&(start, len, file, orig)) => (file, orig + (merged - start).min(len)),
            None => (0, 0),
        }
    }
}

struct Emitter<'a> {
    files: &'a [SourceFile],
    text: String,
    map: SpliceMap,
}

impl Emitter<'_> {
    fn copy(&mut self, file: usize, span: Range<usize>) {
        let slice = &self.files[file].text[span.clone()];
        self.map
            .segments
            .push((self.text.len(), slice.len(), file, span.start));
        self.text.push_str(slice);
    }

    fn emit(&mut self, node: &Merged, indent: usize) {
        match node {
            Merged::Verbatim { file, span } => self.copy(*file, span.clone()),
            Merged::Struct { name, fields } => {
                if let Some((_, file, span)) = name {
                    self.copy(*file, span.clone());
                }
                self.text.push_str("(\n");
                for field in fields {
                    self.text.push_str(&"    ".repeat(indent + 1));
                    self.copy(field.key_file, field.key_span.clone());
                    self.text.push_str(": ");
                    self.emit(&field.value, indent + 1);
                    self.text.push_str(",\n");
                }
                self.text.push_str(&"    ".repeat(indent));
                self.text.push(')');
            }
        }
    }
}

impl Loader {
    /// Errors that serde raises after reading a whole value (untagged distributions and
    /// categorical lists) arrive positioned at the value's end; point at its start
    /// instead, and name the unknown identifier inside it when there is one.
    fn value_level_diagnostic(
        &self,
        text: &str,
        map: &SpliceMap,
        offset: usize,
        code: &ron::Error,
    ) -> Option<Diagnostic> {
        let ron::Error::Message(message) = code else {
            return None;
        };
        let root = shape::parse(text)?;
        let node = node_ending_at(&root, offset)?;
        let (file, start) = map.origin(node.span.start);
        let (_, end) = map.origin(node.span.end);
        let src = &self.files[file];
        if let Some(kind) = message.strip_prefix(CATEGORICAL_ERROR_PREFIX) {
            let names = categorical_names(kind).unwrap_or(&[]);
            let unknown = identifiers(&root, node, text)
                .into_iter()
                .find(|(name, _)| !names.contains(&name.as_str()));
            return Some(match unknown {
                Some((name, span)) => {
                    let (file, start) = map.origin(span.start);
                    self.files[file].diagnostic(
                        start..start + span.len(),
                        format!("unknown {kind} `{name}`"),
                        Some(did_you_mean(&name, names)),
                    )
                }
                None => src.diagnostic(
                    start..end,
                    format!("expected a {kind} or a weighted list [(weight, {kind}), ...]"),
                    Some(categorical_hint(kind, names)),
                ),
            });
        }
        let (message, hint) = describe(code);
        let hint = match node.name() {
            Some(name)
                if message.contains("a number or a distribution")
                    && !DISTRIBUTIONS.contains(&name) =>
            {
                return Some(src.diagnostic(
                    start..start + name.len(),
                    format!("unknown distribution `{name}`"),
                    Some(did_you_mean(name, DISTRIBUTIONS)),
                ));
            }
            // IntRange is a distribution; what failed is its decimal bounds.
            Some("IntRange") if message.contains("a number or a distribution") => {
                return Some(
                    src.diagnostic(
                        start..end,
                        "IntRange takes whole numbers: IntRange(lo, hi) draws lo, lo + 1, ... hi"
                            .to_string(),
                        Some(
                            "write whole numbers, or Uniform(lo, hi) for any value between".into(),
                        ),
                    ),
                );
            }
            _ => hint,
        };
        Some(src.diagnostic(start..end, message, hint))
    }

    fn add_file(&mut self, name: String, text: String) -> usize {
        self.files.push(SourceFile { name, text });
        self.files.len() - 1
    }

    /// Reads `file` and its `extends` chain into one merged tree.
    fn resolve(
        &mut self,
        file: usize,
        path: Option<&Path>,
        chain: &mut Vec<PathBuf>,
        diags: &mut Vec<Diagnostic>,
    ) -> Option<Merged> {
        let src = &self.files[file];
        if src.text.trim().is_empty() {
            diags.push(src.diagnostic(
                0..0,
                "the file is empty",
                Some("start from a copy of a file in scenarios/".into()),
            ));
            return None;
        }
        if let Err(e) = ron::from_str::<ron::Value>(&src.text) {
            diags.push(
                unclosed_diagnostic(src, &e)
                    .unwrap_or_else(|| ron_diagnostic(src, &src.text, &e, None)),
            );
            return None;
        }
        let Some(root) = shape::parse(&src.text) else {
            diags.push(src.diagnostic(0..0, "cannot read the document's structure", None));
            return None;
        };
        let mut merged = Merged::from_node(&root, file);
        let extends = match &mut merged {
            Merged::Struct { fields, .. } => fields
                .iter()
                .position(|f| f.key == "extends")
                .map(|i| fields.remove(i)),
            Merged::Verbatim { .. } => None,
        };
        let Some(extends) = extends else {
            return Some(merged);
        };
        let Merged::Verbatim { span, .. } = &extends.value else {
            diags.push(src.diagnostic(
                extends.key_span.clone(),
                "`extends` must be a string path",
                Some("write extends: \"base.ron\"".into()),
            ));
            return None;
        };
        let raw = &src.text[span.clone()];
        let span = span.clone();
        let target: String = match ron::from_str(raw) {
            Ok(t) => t,
            Err(_) => {
                diags.push(src.diagnostic(
                    span,
                    "`extends` must be a string path",
                    Some("write extends: \"base.ron\"".into()),
                ));
                return None;
            }
        };
        let (Some(dir), Some(root_dir)) = (path.and_then(Path::parent), self.root_dir.clone())
        else {
            diags.push(src.diagnostic(
                span,
                "`extends` is only allowed in scenario files on disk",
                Some("render the base file directly, or save this scenario to a file".into()),
            ));
            return None;
        };
        let candidate = dir.join(&target);
        let canonical = match candidate.canonicalize() {
            Ok(c) => c,
            Err(_) => {
                diags.push(src.diagnostic(
                    span,
                    format!("extends target `{target}` not found"),
                    Some(format!(
                        "looked for {}; paths are relative to this file",
                        candidate.display()
                    )),
                ));
                return None;
            }
        };
        if !canonical.starts_with(&root_dir) {
            diags.push(src.diagnostic(
                span,
                format!("extends target `{target}` is outside the scenario's directory tree"),
                Some(
                    "bases must live in the loaded file's directory or below it; copy the base there"
                        .into(),
                ),
            ));
            return None;
        }
        if let Some(pos) = chain.iter().position(|p| p == &canonical) {
            let cycle: Vec<String> = chain[pos..]
                .iter()
                .chain(std::iter::once(&canonical))
                .map(|p| {
                    p.file_name()
                        .map_or_else(|| p.display().to_string(), |n| n.to_string_lossy().into())
                })
                .collect();
            diags.push(src.diagnostic(
                span,
                format!("cycle in extends: {}", cycle.join(" -> ")),
                Some("remove one of the extends so the chain ends in a file without one".into()),
            ));
            return None;
        }
        if chain.len() >= MAX_EXTENDS_DEPTH {
            diags.push(src.diagnostic(
                span,
                format!("extends chain is deeper than {MAX_EXTENDS_DEPTH} files"),
                None,
            ));
            return None;
        }
        let text = match read_limited(&canonical) {
            Ok(t) => t,
            Err(e) => {
                diags.push(src.diagnostic(
                    span,
                    format!("cannot read extends target `{target}`: {e}"),
                    None,
                ));
                return None;
            }
        };
        let base_file = self.add_file(candidate.display().to_string(), text);
        chain.push(canonical.clone());
        let base = self.resolve(base_file, Some(&canonical), chain, diags);
        chain.pop();
        Some(base?.overlay(merged))
    }

    fn finish(
        &mut self,
        name: String,
        text: String,
        path: Option<PathBuf>,
    ) -> Result<LoadedScenario, ScenarioError> {
        let main = self.add_file(name, text);
        let mut diags = Vec::new();
        let mut chain: Vec<PathBuf> = path
            .as_ref()
            .and_then(|p| p.canonicalize().ok())
            .into_iter()
            .collect();
        let merged = self.resolve(main, path.as_deref(), &mut chain, &mut diags);
        let Some(merged) = merged else {
            return Err(invalid(diags));
        };
        let (mut text, map) = if self.files.len() == 1 {
            let text = self.files[main].text.clone();
            let map = SpliceMap {
                segments: vec![(0, text.len(), main, 0)],
            };
            (text, map)
        } else {
            let mut emitter = Emitter {
                files: &self.files,
                text: String::new(),
                map: SpliceMap::default(),
            };
            emitter.emit(&merged, 0);
            (emitter.text, emitter.map)
        };
        let merged_text = text.clone();

        // Parse; an unknown field is reported, blanked out, and parsing retried so that
        // every typo in a file shows up in one run.
        let mut scenario = None;
        for _ in 0..MAX_RECOVERIES {
            match parse_options().from_str::<Scenario>(&text) {
                Ok(mut s) => {
                    crate::coverage::derive_count(&mut s);
                    scenario = Some(s);
                    break;
                }
                Err(e) => {
                    let merged_src = SourceFile {
                        name: String::new(),
                        text: text.clone(),
                    };
                    let offset = merged_src.offset_of(e.span.start.line, e.span.start.col);
                    let blank = match &e.code {
                        ron::Error::NoSuchStructField { .. } => field_extent(&text, offset),
                        _ => None,
                    };
                    if let Some(diag) = self.value_level_diagnostic(&text, &map, offset, &e.code) {
                        diags.push(diag);
                        break;
                    }
                    let (file, orig) = map.origin(offset);
                    let src = &self.files[file];
                    let width = match (&blank, &e.code) {
                        (Some(r), _) => text[r.clone()]
                            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                            .unwrap_or(1)
                            .max(1),
                        // The caret spans the misspelt variant, as it does a field.
                        (None, ron::Error::NoSuchEnumVariant { found, .. })
                            if text[offset..].starts_with(found.as_str()) =>
                        {
                            found.len().max(1)
                        }
                        _ => 1,
                    };
                    let distribution = distribution_at(&text[offset..], &e.code);
                    diags.push(match distribution {
                        Some((skip, name)) => src.diagnostic(
                            orig + skip..orig + skip + name.len(),
                            format!("this field takes a constant, not a distribution (`{name}`)"),
                            Some(
                                "write one value here: only the fields marked P in \
                                 scenarios/REFERENCE.md take distributions (sensor rigs, \
                                 capture settings and rules never do)"
                                    .into(),
                            ),
                        ),
                        None => ron_diagnostic_at(src, orig..orig + width, &e.code),
                    });
                    match blank {
                        Some(range) => blank_out(&mut text, range),
                        None => break,
                    }
                }
            }
        }
        let Some(scenario) = scenario else {
            return Err(invalid(diags));
        };

        // Semantic checks, each located through the merged document's shape.
        let merged_root = shape::parse(&merged_text);
        for problem in validate::validate(&scenario) {
            let (file, span) = locate(
                merged_root.as_ref(),
                &map,
                &problem.path,
                problem.fallback.as_deref(),
            );
            diags.push(self.files[file].diagnostic(span, problem.message, problem.hint));
        }
        if !diags.is_empty() {
            return Err(invalid(diags));
        }
        let mut scenario = scenario;
        scenario.extends = None;
        Ok(LoadedScenario {
            scenario,
            files: std::mem::take(&mut self.files),
            merged_text,
            origins: map,
        })
    }
}

/// `implicit_some` lets designers write `lidar: (channels: 32)` instead of `Some((...))`.
pub fn parse_options() -> ron::Options {
    ron::Options::default().with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME)
}

fn invalid(diags: Vec<Diagnostic>) -> ScenarioError {
    let mut d = Diagnostics(diags);
    d.sort();
    ScenarioError::Invalid(d)
}

/// A problem found by semantic validation: where (as a path) and what.
#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    pub path: Vec<Seg>,
    pub message: String,
    pub hint: Option<String>,
    /// Where to point instead when `path` is not written out in full (a default
    /// that is wrong only because of another field, e.g. a camera mount on a bus).
    pub fallback: Option<Vec<Seg>>,
}

/// The distribution written where ron expected a plain number or flag, if that is what
/// failed: `duration: Uniform(1, 2)` reads to ron as a float that starts with `U`.
/// Returns the name's offset in `text` (ron points at the space before a value) and the
/// name.
fn distribution_at<'t>(text: &'t str, code: &ron::Error) -> Option<(usize, &'t str)> {
    use ron::Error as E;
    if !matches!(
        code,
        E::ExpectedFloat
            | E::ExpectedInteger
            | E::ExpectedBoolean
            | E::InvalidIntegerDigit { .. }
            | E::InvalidValueForType { .. }
    ) {
        return None;
    }
    let value = text.trim_start();
    let name = value
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .next()?;
    DISTRIBUTIONS
        .contains(&name)
        .then_some((text.len() - value.len(), name))
}

/// The values a categorical list takes. A pedestrian kind lists `Group` for the named
/// actors' classes, but `pedestrians.kinds` (the only list of them) cannot hold one.
fn categorical_hint(kind: &str, names: &[&str]) -> String {
    use crate::param::Categorical as _;
    if kind == crate::placement::PedestrianKind::KIND {
        let kinds: Vec<&str> = names.iter().copied().filter(|n| *n != "Group").collect();
        return format!(
            "{kind} values: {}; a group is a named actor (class: Pedestrian(Group(3)))",
            kinds.join(", ")
        );
    }
    format!("{kind} values: {}", names.join(", "))
}
