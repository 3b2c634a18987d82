//! The *shape* of a RON document: groups, named fields and their byte spans.
//!
//! `ron` deserialises to typed values but keeps no positions, so semantic errors
//! ("probability 1.4 is outside [0, 1]") could not point at a line. This scanner reads
//! the same text into an untyped tree of spans so a field path such as
//! `traffic.idm.min_gap` can be located, and so `extends` can overlay one file's fields on
//! another's. It is deliberately lenient: `ron` stays the authority on syntax; the
//! scanner only has to agree with it on documents `ron` accepts.

use std::ops::Range;

/// A value in a RON document.
#[derive(Clone, Debug)]
pub struct Node {
    /// Byte range of the whole value, name included.
    pub span: Range<usize>,
    pub kind: NodeKind,
}

#[derive(Clone, Debug)]
pub enum NodeKind {
    /// A number, string, char, or bare identifier (`true`, `None`, `Car`).
    Atom,
    /// `Name(...)`, `(...)`, `[...]` or `{...}`.
    Group {
        name: Option<(String, Range<usize>)>,
        open: char,
        items: Vec<Item>,
    },
}

/// One entry of a group: `key: value` for struct fields and maps, or a bare value.
#[derive(Clone, Debug)]
pub struct Item {
    pub key: Option<(String, Range<usize>)>,
    pub value: Node,
}

/// One step of a path into a document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Seg {
    Field(String),
    Index(usize),
}

impl Seg {
    pub fn field(name: &str) -> Seg {
        Seg::Field(name.to_string())
    }
}

impl Node {
    /// Named fields of a `(...)` struct-like group, or `None` for anything else.
    pub fn struct_fields(&self) -> Option<&[Item]> {
        match &self.kind {
            NodeKind::Group {
                open: '(', items, ..
            } if items.iter().all(|i| i.key.is_some()) => Some(items),
            _ => None,
        }
    }

    pub fn name(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::Group { name, .. } => name.as_ref().map(|(n, _)| n.as_str()),
            NodeKind::Atom => None,
        }
    }

    fn items(&self) -> &[Item] {
        match &self.kind {
            NodeKind::Group { items, .. } => items,
            NodeKind::Atom => &[],
        }
    }

    /// Follows `path` as far as the document has it and returns the deepest node
    /// reached, together with how many segments were matched. Transparent wrappers
    /// (`Some(x)`, a newtype variant holding a struct) are stepped through.
    pub fn locate(&self, path: &[Seg]) -> (&Node, usize) {
        let mut node = self;
        let mut matched = 0;
        for seg in path {
            match next_node(node, seg) {
                Some(next) => {
                    node = next;
                    matched += 1;
                }
                None => break,
            }
        }
        (node, matched)
    }
}

fn next_node<'a>(node: &'a Node, seg: &Seg) -> Option<&'a Node> {
    let items = node.items();
    // `Sequence([a, b])[0]` is `a`, not the list the wrapper holds.
    if let (Seg::Index(_), [only]) = (seg, items)
        && only.key.is_none()
        && !matches!(node.kind, NodeKind::Group { open: '[', .. })
        && matches!(only.value.kind, NodeKind::Group { open: '[', .. })
    {
        return next_node(&only.value, seg);
    }
    let direct = match seg {
        Seg::Field(name) => items
            .iter()
            .find(|i| i.key.as_ref().is_some_and(|(k, _)| k == name))
            .map(|i| &i.value),
        Seg::Index(idx) => {
            if items.iter().all(|i| i.key.is_none()) {
                items.get(*idx).map(|i| &i.value)
            } else {
                None
            }
        }
    };
    if direct.is_some() {
        return direct;
    }
    // `Some(x)` / `Variant(x)`: look inside the single unnamed item.
    match items {
        [only] if only.key.is_none() => next_node(&only.value, seg),
        _ => None,
    }
}

/// Scans a document. Returns `None` when the text is not RON-shaped.
pub fn parse(src: &str) -> Option<Node> {
    let mut p = Scanner { src, pos: 0 };
    p.skip_trivia();
    p.skip_attributes();
    let node = p.value(0)?;
    p.skip_trivia();
    (p.pos == src.len()).then_some(node)
}

const MAX_DEPTH: usize = 128;

struct Scanner<'a> {
    src: &'a str,
    pos: usize,
}

impl Scanner<'_> {
    fn peek(&self) -> Option<char> {
        self.src[self.pos..].chars().next()
    }

    fn peek2(&self) -> Option<char> {
        let mut it = self.src[self.pos..].chars();
        it.next();
        it.next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn skip_trivia(&mut self) {
        loop {
            match (self.peek(), self.peek2()) {
                (Some(c), _) if c.is_whitespace() => {
                    self.bump();
                }
                (Some('/'), Some('/')) => {
                    while let Some(c) = self.bump() {
                        if c == '\n' {
                            break;
                        }
                    }
                }
                (Some('/'), Some('*')) => {
                    self.pos += 2;
                    let mut depth = 1;
                    while depth > 0 {
                        match (self.peek(), self.peek2()) {
                            (Some('/'), Some('*')) => {
                                self.pos += 2;
                                depth += 1;
                            }
                            (Some('*'), Some('/')) => {
                                self.pos += 2;
                                depth -= 1;
                            }
                            (Some(_), _) => {
                                self.bump();
                            }
                            (None, _) => return,
                        }
                    }
                }
                _ => return,
            }
        }
    }

    /// `#![enable(...)]` lines at the top of a file.
    fn skip_attributes(&mut self) {
        while self.peek() == Some('#') && self.peek2() == Some('!') {
            self.pos += 2;
            if self.peek() != Some('[') {
                return;
            }
            let mut depth = 0;
            while let Some(c) = self.bump() {
                match c {
                    '[' => depth += 1,
                    ']' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    _ => {}
                }
            }
            self.skip_trivia();
        }
    }

    fn ident(&mut self) -> Option<(String, Range<usize>)> {
        let start = self.pos;
        if self.src[self.pos..].starts_with("r#") {
            self.pos += 2;
        }
        match self.peek() {
            Some(c) if c.is_alphabetic() || c == '_' => {}
            _ => {
                self.pos = start;
                return None;
            }
        }
        while let Some(c) = self.peek() {
            if c.is_alphanumeric() || c == '_' {
                self.bump();
            } else {
                break;
            }
        }
        let text = self.src[start..self.pos]
            .trim_start_matches("r#")
            .to_string();
        Some((text, start..self.pos))
    }

    fn value(&mut self, depth: usize) -> Option<Node> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.skip_trivia();
        let start = self.pos;
        let c = self.peek()?;
        if c == '"' || (c == 'b' && self.peek2() == Some('"')) {
            self.string()?;
            return Some(atom(start, self.pos));
        }
        if c == 'r' && matches!(self.peek2(), Some('"') | Some('#')) && self.raw_string() {
            return Some(atom(start, self.pos));
        }
        if c == '\'' {
            self.char_lit()?;
            return Some(atom(start, self.pos));
        }
        if c.is_ascii_digit() || c == '+' || c == '-' || c == '.' {
            self.number();
            return (self.pos > start).then(|| atom(start, self.pos));
        }
        if matches!(c, '(' | '[' | '{') {
            return self.group(None, start, depth);
        }
        let name = self.ident()?;
        let after_name = self.pos;
        self.skip_trivia();
        if self.peek() == Some('(') {
            return self.group(Some(name), start, depth);
        }
        self.pos = after_name;
        Some(atom(start, self.pos))
    }

    fn group(
        &mut self,
        name: Option<(String, Range<usize>)>,
        start: usize,
        depth: usize,
    ) -> Option<Node> {
        let open = self.bump()?;
        let close = match open {
            '(' => ')',
            '[' => ']',
            _ => '}',
        };
        let mut items = Vec::new();
        loop {
            self.skip_trivia();
            if self.peek() == Some(close) {
                self.bump();
                break;
            }
            let item = self.item(open, depth)?;
            items.push(item);
            self.skip_trivia();
            match self.peek()? {
                ',' => {
                    self.bump();
                }
                c if c == close => {}
                _ => return None,
            }
        }
        Some(Node {
            span: start..self.pos,
            kind: NodeKind::Group { name, open, items },
        })
    }

    fn item(&mut self, open: char, depth: usize) -> Option<Item> {
        let before = self.pos;
        if open == '(' {
            // `field: value` or a bare value (tuple element).
            if let Some(key) = self.ident() {
                self.skip_trivia();
                if self.peek() == Some(':') {
                    self.bump();
                    let value = self.value(depth + 1)?;
                    return Some(Item {
                        key: Some(key),
                        value,
                    });
                }
            }
            self.pos = before;
        }
        let value = self.value(depth + 1)?;
        if open == '{' {
            self.skip_trivia();
            if self.peek() == Some(':') {
                self.bump();
                let key_text = self.src[value.span.clone()].to_string();
                let key_span = value.span.clone();
                let value = self.value(depth + 1)?;
                return Some(Item {
                    key: Some((key_text, key_span)),
                    value,
                });
            }
        }
        Some(Item { key: None, value })
    }

    fn string(&mut self) -> Option<()> {
        if self.peek() == Some('b') {
            self.bump();
        }
        self.bump(); // opening quote
        loop {
            match self.bump()? {
                '\\' => {
                    self.bump()?;
                }
                '"' => return Some(()),
                _ => {}
            }
        }
    }

    fn raw_string(&mut self) -> bool {
        let start = self.pos;
        self.bump(); // r
        let mut hashes = 0;
        while self.peek() == Some('#') {
            self.bump();
            hashes += 1;
        }
        if self.peek() != Some('"') {
            self.pos = start;
            return false;
        }
        self.bump();
        let terminator = format!("\"{}", "#".repeat(hashes));
        match self.src[self.pos..].find(&terminator) {
            Some(off) => {
                self.pos += off + terminator.len();
                true
            }
            None => {
                self.pos = self.src.len();
                true
            }
        }
    }

    fn char_lit(&mut self) -> Option<()> {
        self.bump();
        loop {
            match self.bump()? {
                '\\' => {
                    self.bump()?;
                }
                '\'' => return Some(()),
                _ => {}
            }
        }
    }

    fn number(&mut self) {
        let mut prev = ' ';
        while let Some(c) = self.peek() {
            let sign_in_exponent = (c == '+' || c == '-') && (prev == 'e' || prev == 'E');
            let leading_sign = (c == '+' || c == '-') && prev == ' ';
            if c.is_ascii_alphanumeric() || c == '_' || c == '.' || sign_in_exponent || leading_sign
            {
                prev = c;
                self.bump();
            } else {
                break;
            }
        }
    }
}

fn atom(start: usize, end: usize) -> Node {
    Node {
        span: start..end,
        kind: NodeKind::Atom,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"// comment
Scenario(
    name: "a (tricky) \"string\"",
    /* block /* nested */ comment */
    traffic: (
        vehicles: Poisson(30),
        classes: [(3, Car), (1.5e-1, Truck)],
    ),
    sensors: (lidar: Some((channels: 64))),
    map: { "k": 1 },
)"#;

    #[test]
    fn locates_nested_fields_and_indices() {
        let root = parse(DOC).expect("scans");
        let path = [Seg::field("traffic"), Seg::field("vehicles")];
        let (node, matched) = root.locate(&path);
        assert_eq!(matched, 2);
        assert_eq!(&DOC[node.span.clone()], "Poisson(30)");

        let path = [Seg::field("traffic"), Seg::field("classes"), Seg::Index(1)];
        let (node, matched) = root.locate(&path);
        assert_eq!(matched, 3);
        assert_eq!(&DOC[node.span.clone()], "(1.5e-1, Truck)");
    }

    #[test]
    fn steps_through_some_wrappers_and_stops_at_missing_fields() {
        let root = parse(DOC).expect("scans");
        let (node, matched) = root.locate(&[
            Seg::field("sensors"),
            Seg::field("lidar"),
            Seg::field("channels"),
        ]);
        assert_eq!(matched, 3);
        assert_eq!(&DOC[node.span.clone()], "64");
        let (node, matched) = root.locate(&[Seg::field("traffic"), Seg::field("nope")]);
        assert_eq!(matched, 1);
        assert!(DOC[node.span.clone()].starts_with("(\n        vehicles"));
    }

    #[test]
    fn rejects_unbalanced_text_without_panicking() {
        for bad in [
            "(",
            "Scenario(a: (",
            "[1, 2",
            "(a: \"x)",
            "((((",
            "'",
            "r#\"x",
        ] {
            let _ = parse(bad);
        }
        assert!(parse("(a: 1))").is_none());
    }
}
