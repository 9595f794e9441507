//! A YAML document as a tree of nodes that remember where they were written,
//! built from the events of granit-parser (the parser under serde-saphyr).
//! serde stops at the first problem; this tree lets the data layer report
//! every problem at once, each at its exact line and column. Scalars keep the
//! text as written: `0755`, `1.10` and `NO` stay text, never a number or a
//! YAML 1.1 boolean. No I/O.

use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;

use granit_parser::{Event, Marker, Parser, ScalarStyle, Span};

use crate::diagnostic::{Diagnostic, Diagnostics, Pos};

#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// `~`, `null` or nothing at all.
    Null,
    /// The scalar's text after YAML escapes, and whether it was quoted.
    Scalar {
        text: String,
        quoted: bool,
    },
    Seq(Vec<Node>),
    /// Key and value pairs in the order written; keys are unique.
    Map(Vec<(Node, Node)>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub kind: Kind,
    pub pos: Pos,
    /// Byte range in the source.
    pub span: Range<usize>,
}

impl Node {
    /// The text of a scalar, or `None` for anything else.
    pub fn scalar(&self) -> Option<&str> {
        match &self.kind {
            Kind::Scalar { text, .. } => Some(text),
            _ => None,
        }
    }

    /// What a reader would call this kind of value, for error messages.
    pub fn describe(&self) -> &'static str {
        match self.kind {
            Kind::Null => "nothing (null)",
            Kind::Scalar { .. } => "a single value",
            Kind::Seq(_) => "a list",
            Kind::Map(_) => "a mapping",
        }
    }
}

/// A collection being read.
enum Frame {
    Seq {
        items: Vec<Node>,
        start: Span,
        anchor: usize,
    },
    Map {
        pairs: Vec<(Node, Node)>,
        key: Option<Node>,
        start: Span,
        anchor: usize,
    },
}

/// Parses one YAML document. Duplicate keys are reported and the first one is
/// kept; a syntax error ends the parse (the tree is then `None`).
pub fn parse(text: &str, file: &Path) -> (Option<Node>, Diagnostics) {
    let mut builder = Builder {
        text,
        file,
        stack: Vec::new(),
        anchors: HashMap::new(),
        root: None,
        problems: Diagnostics::default(),
    };
    for item in Parser::new_from_str(text) {
        match item {
            Ok((event, span)) => {
                if let Err(d) = builder.event(event, span) {
                    builder.problems.push(d);
                    return (None, builder.problems);
                }
            }
            Err(e) => {
                let d = Diagnostic::error(file, format!("invalid YAML: {}", e.info())).at(
                    text,
                    pos(e.marker()),
                    1,
                );
                builder.problems.push(d);
                return (None, builder.problems);
            }
        }
    }
    (builder.root, builder.problems)
}

struct Builder<'a> {
    text: &'a str,
    file: &'a Path,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Node>,
    root: Option<Node>,
    problems: Diagnostics,
}

impl Builder<'_> {
    fn event(&mut self, event: Event, span: Span) -> Result<(), Diagnostic> {
        match event {
            Event::DocumentStart(..) if self.root.is_some() => {
                Err(self.error(&span, "only one YAML document is allowed here"))
            }
            Event::Scalar(value, style, anchor, _) => {
                let plain = style == ScalarStyle::Plain;
                let kind = if plain && matches!(value.as_ref(), "" | "~" | "null" | "Null" | "NULL")
                {
                    Kind::Null
                } else {
                    Kind::Scalar {
                        text: value.into_owned(),
                        quoted: !plain,
                    }
                };
                let node = self.node(kind, &span, &span);
                self.complete(node, anchor);
                Ok(())
            }
            Event::SequenceStart(_, anchor, _) => {
                self.stack.push(Frame::Seq {
                    items: Vec::new(),
                    start: span,
                    anchor,
                });
                Ok(())
            }
            Event::MappingStart(_, anchor, _) => {
                self.stack.push(Frame::Map {
                    pairs: Vec::new(),
                    key: None,
                    start: span,
                    anchor,
                });
                Ok(())
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let (kind, start, anchor) = match self.stack.pop() {
                    Some(Frame::Seq {
                        items,
                        start,
                        anchor,
                    }) => (Kind::Seq(items), start, anchor),
                    Some(Frame::Map {
                        pairs,
                        start,
                        anchor,
                        ..
                    }) => (Kind::Map(pairs), start, anchor),
                    None => return Ok(()),
                };
                let node = self.node(kind, &start, &span);
                self.complete(node, anchor);
                Ok(())
            }
            Event::Alias(id) => {
                let target = self.anchors.get(&id).cloned();
                let node = match target {
                    Some(target) => Node {
                        pos: pos(&span.start),
                        span: byte_range(self.text, &span, &span),
                        ..target
                    },
                    None => return Err(self.error(&span, "this alias names no anchor")),
                };
                self.complete(node, 0);
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn node(&self, kind: Kind, start: &Span, end: &Span) -> Node {
        Node {
            kind,
            pos: pos(&start.start),
            span: byte_range(self.text, start, end),
        }
    }

    fn error(&self, span: &Span, message: &str) -> Diagnostic {
        Diagnostic::error(self.file, message).at(self.text, pos(&span.start), 1)
    }

    /// Adds a finished node to the collection being read, or makes it the root.
    fn complete(&mut self, node: Node, anchor: usize) {
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map {
                key: key @ None, ..
            }) => *key = Some(node),
            Some(Frame::Map { pairs, key, .. }) => {
                let key = key.take().expect("a key was read");
                match pairs.iter().find(|(k, _)| k.kind == key.kind) {
                    Some((first, _)) => {
                        let name = key.scalar().unwrap_or("this key").to_string();
                        let d = Diagnostic::error(self.file, format!("duplicate key `{name}`"))
                            .at(self.text, key.pos, key.span.len())
                            .with_help(format!("it is already set on line {}; YAML keeps only one of them, so remove one", first.pos.line));
                        self.problems.push(d);
                    }
                    None => pairs.push((key, node)),
                }
            }
        }
    }
}

fn pos(marker: &Marker) -> Pos {
    Pos::new(marker.line(), marker.col() + 1)
}

/// Byte offsets of `start`..`end`, from granit's character indexes when it has no byte offsets.
fn byte_range(text: &str, start: &Span, end: &Span) -> Range<usize> {
    let byte = |m: &Marker| {
        m.byte_offset().unwrap_or_else(|| {
            text.char_indices()
                .nth(m.index())
                .map_or(text.len(), |(i, _)| i)
        })
    };
    let (a, b) = (byte(&start.start), byte(&end.end));
    a..b.max(a)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(text: &str) -> Node {
        let (node, problems) = parse(text, Path::new("d.yaml"));
        assert!(problems.is_empty(), "{problems}");
        node.unwrap()
    }

    fn scalars(node: &Node) -> Vec<String> {
        match &node.kind {
            Kind::Map(pairs) => pairs
                .iter()
                .flat_map(|(k, v)| {
                    [k.scalar().unwrap_or("?").to_string()]
                        .into_iter()
                        .chain(scalars(v))
                })
                .collect(),
            Kind::Seq(items) => items.iter().flat_map(scalars).collect(),
            Kind::Scalar { text, .. } => vec![text.clone()],
            Kind::Null => vec!["<null>".into()],
        }
    }

    #[test]
    fn scalars_keep_their_text() {
        let node =
            tree("mode: 0755\nversion: 1.10\nflag: NO\non: on\nzip: 01234\nq: '~'\nn: ~\ne:\n");
        assert_eq!(
            scalars(&node),
            [
                "mode", "0755", "version", "1.10", "flag", "NO", "on", "on", "zip", "01234", "q",
                "~", "n", "<null>", "e", "<null>"
            ]
        );
    }

    #[test]
    fn nodes_know_their_position() {
        let node = tree("a:\n  b: [x, 'y']\n");
        let Kind::Map(pairs) = &node.kind else {
            panic!()
        };
        let Kind::Map(inner) = &pairs[0].1.kind else {
            panic!()
        };
        let Kind::Seq(items) = &inner[0].1.kind else {
            panic!()
        };
        assert_eq!(items[1].pos, Pos::new(2, 10));
        assert_eq!(&"a:\n  b: [x, 'y']\n"[items[1].span.clone()], "'y'");
    }

    #[test]
    fn duplicate_keys_are_errors_never_last_one_wins() {
        let (node, problems) = parse("a: 1\nb: 2\na: 3\n", Path::new("d.yaml"));
        assert_eq!(
            problems.to_string(),
            "error: duplicate key `a`\n --> d.yaml:3:1\n  |\n3 | a: 3\n  | ^\n  = help: it is already set on line 1; YAML keeps only one of them, so remove one\n"
        );
        assert_eq!(scalars(&node.unwrap()), ["a", "1", "b", "2"]);
    }

    #[test]
    fn syntax_errors_have_a_position() {
        let (node, problems) = parse("a: [1, 2\nb: 3\n", Path::new("d.yaml"));
        assert!(node.is_none());
        assert!(
            problems.to_string().starts_with("error: invalid YAML: "),
            "{problems}"
        );
        assert!(problems.to_string().contains("--> d.yaml:"), "{problems}");
    }

    #[test]
    fn aliases_copy_their_anchor() {
        let node = tree("a: &x [1, 2]\nb: *x\n");
        assert_eq!(scalars(&node), ["a", "1", "2", "b", "1", "2"]);
    }
}
