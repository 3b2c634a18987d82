//! Designer-facing problems: `file:line:col: error: what` plus the source line and a hint.

use std::fmt;

/// One problem in a scenario file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file as the user named it (or `<embedded default>`).
    pub file: String,
    /// 1-based; 0 when the problem has no position (an unreadable file).
    pub line: usize,
    /// 1-based, in characters.
    pub col: usize,
    pub message: String,
    pub hint: Option<String>,
    /// The offending source line and the width of the marked span, for display.
    pub excerpt: Option<(String, usize)>,
}

impl Diagnostic {
    /// `file:line:col: error: message` — the stable first line tests match on.
    pub fn headline(&self) -> String {
        if self.line == 0 {
            format!("{}: error: {}", self.file, self.message)
        } else {
            format!(
                "{}:{}:{}: error: {}",
                self.file, self.line, self.col, self.message
            )
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.headline())?;
        if let Some((text, width)) = &self.excerpt {
            let gutter = self.line.to_string();
            let pad = " ".repeat(gutter.len());
            writeln!(f, "{pad} |")?;
            writeln!(f, "{gutter} | {text}")?;
            let lead: String = text
                .chars()
                .take(self.col.saturating_sub(1))
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            writeln!(f, "{pad} | {lead}{}", "^".repeat((*width).max(1)))?;
        }
        if let Some(hint) = &self.hint {
            writeln!(f, "  = hint: {hint}")?;
        }
        Ok(())
    }
}

/// Every problem found in one load, in file order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter()
    }

    pub(crate) fn sort(&mut self) {
        self.0
            .sort_by(|a, b| (&a.file, a.line, a.col).cmp(&(&b.file, b.line, b.col)));
        self.0.dedup();
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in &self.0 {
            write!(f, "{d}")?;
        }
        let n = self.0.len();
        write!(f, "{n} error{}", if n == 1 { "" } else { "s" })
    }
}

impl std::error::Error for Diagnostics {}

/// A loaded text with what is needed to turn byte offsets into `line:col`.
#[derive(Clone, Debug)]
pub struct SourceFile {
    pub name: String,
    pub text: String,
}

impl SourceFile {
    /// 1-based line and character column of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = floor_char_boundary(&self.text, offset.min(self.text.len()));
        let before = &self.text[..offset];
        let line = 1 + before.matches('\n').count();
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let col = 1 + self.text[line_start..offset].chars().count();
        (line, col)
    }

    /// Byte offset of a 1-based `line:col` (clamped to the text).
    pub fn offset_of(&self, line: usize, col: usize) -> usize {
        let mut offset = 0;
        for _ in 1..line {
            match self.text[offset..].find('\n') {
                Some(i) => offset += i + 1,
                None => return self.text.len(),
            }
        }
        let rest = &self.text[offset..];
        let line_end = rest.find('\n').unwrap_or(rest.len());
        let within = rest[..line_end]
            .char_indices()
            .nth(col.saturating_sub(1))
            .map_or(line_end, |(i, _)| i);
        offset + within
    }

    /// A diagnostic pointing at `span` (byte offsets) of this file.
    pub fn diagnostic(
        &self,
        span: std::ops::Range<usize>,
        message: impl Into<String>,
        hint: Option<String>,
    ) -> Diagnostic {
        let (line, col) = self.line_col(span.start);
        let line_text = self.text.lines().nth(line - 1).unwrap_or("").to_string();
        let end = floor_char_boundary(&self.text, span.end.min(self.text.len()));
        let start = floor_char_boundary(&self.text, span.start.min(end));
        let on_line = self.text[start..end].split('\n').next().unwrap_or("");
        let width = on_line.chars().count();
        Diagnostic {
            file: self.name.clone(),
            line,
            col,
            message: message.into(),
            hint,
            excerpt: Some((line_text, width)),
        }
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_round_trips_with_multibyte_text() {
        let f = SourceFile {
            name: "t.ron".into(),
            text: "ab\n  é: x\nlast".into(),
        };
        let x = f.text.find('x').unwrap_or(0);
        assert_eq!(f.line_col(x), (2, 6));
        assert_eq!(f.offset_of(2, 6), x);
        assert_eq!(f.offset_of(99, 1), f.text.len());
    }

    #[test]
    fn display_has_headline_excerpt_and_hint() {
        let f = SourceFile {
            name: "s.ron".into(),
            text: "(\n  rain: 1.5,\n)".into(),
        };
        let at = f.text.find("1.5").unwrap_or(0);
        let d = f.diagnostic(at..at + 3, "too wet", Some("use 0..1".into()));
        let shown = d.to_string();
        assert!(shown.starts_with("s.ron:2:9: error: too wet\n"), "{shown}");
        assert!(shown.contains("2 |   rain: 1.5,"), "{shown}");
        assert!(shown.contains("        ^^^"), "{shown}");
        assert!(shown.contains("= hint: use 0..1"), "{shown}");
    }
}
