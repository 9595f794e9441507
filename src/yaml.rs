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

use crate::diagnostic::{Diagnostic, Diagnostics, Lines, Pos};

/// What one YAML text may cost, for every YAML envbook reads: the data file
/// (here) and front matter (through serde-saphyr, with [`budget`]). An alias
/// copies what its anchor names, so without a limit a few nested ones ask for
/// billions of values (6 GiB in five seconds).
pub const MAX_VALUES: usize = 250_000;
/// Bytes of scalar text, aliases copied.
pub const MAX_TEXT: usize = 64 << 20;
pub const MAX_DEPTH: usize = 64;

/// [`MAX_VALUES`], [`MAX_TEXT`] and [`MAX_DEPTH`] for serde-saphyr.
pub fn budget() -> serde_saphyr::Options {
    serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            // Every value is one to three events (a list's start and end).
            max_events: 3 * MAX_VALUES,
            max_nodes: MAX_VALUES,
            max_total_scalar_bytes: MAX_TEXT,
            max_depth: MAX_DEPTH,
            max_recorded_anchor_events: 3 * MAX_VALUES,
            max_recorded_anchor_bytes: MAX_TEXT,
        },
        alias_limits: serde_saphyr::alias_limits! {
            max_total_replayed_events: 3 * MAX_VALUES,
        },
    }
}

/// A budget that a YAML text went over, as the user is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverBudget {
    Values,
    Text,
    Depth,
}

impl OverBudget {
    pub fn message(self) -> String {
        match self {
            OverBudget::Values => {
                format!(
                    "this YAML is too large: more than {MAX_VALUES} values once aliases are copied"
                )
            }
            OverBudget::Text => format!(
                "this YAML is too large: more than {} MiB of text once aliases are copied",
                MAX_TEXT >> 20
            ),
            OverBudget::Depth => format!("this YAML is nested more than {MAX_DEPTH} levels deep"),
        }
    }

    pub fn help(self) -> Option<&'static str> {
        (self != OverBudget::Depth).then_some(
            "an alias (`*name`) copies what its anchor (`&name`) names, so a few nested ones can ask for billions of values",
        )
    }
}

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
        /// Each scalar key's line, to find a duplicate at once.
        keys: HashMap<String, usize>,
        start: Span,
        anchor: usize,
    },
}

/// What a node costs: itself and everything in it.
#[derive(Debug, Clone, Copy, Default)]
struct Size {
    values: usize,
    text: usize,
}

/// Parses one YAML document. Duplicate keys are reported and the first one is
/// kept; a syntax error ends the parse (the tree is then `None`).
pub fn parse(text: &str, file: &Path) -> (Option<Node>, Diagnostics) {
    let (builder, ok) = run(text, file, false);
    let root = if ok { builder.root } else { None };
    (root, builder.problems)
}

/// Parses every document of a YAML stream (`---` between them, as in a
/// Kubernetes manifest); a document with nothing in it, such as after a
/// trailing `---`, is skipped. The budgets count over the whole text. Like
/// [`parse`], a syntax error ends the parse and leaves no documents.
pub fn parse_documents(text: &str, file: &Path) -> (Vec<Node>, Diagnostics) {
    let (mut builder, ok) = run(text, file, true);
    if !ok {
        return (Vec::new(), builder.problems);
    }
    builder.end_document();
    (builder.docs, builder.problems)
}

/// Feeds granit's events to a builder; false when a problem ended the parse.
fn run<'a>(text: &'a str, file: &'a Path, many: bool) -> (Builder<'a>, bool) {
    let mut builder = Builder {
        text,
        lines: Lines::new(text),
        file,
        stack: Vec::new(),
        anchors: HashMap::new(),
        size: Size::default(),
        root: None,
        many,
        docs: Vec::new(),
        problems: Diagnostics::default(),
    };
    for item in Parser::new_from_str(text) {
        match item {
            Ok((event, span)) => {
                if let Err(d) = builder.event(event, span) {
                    builder.problems.push(d);
                    return (builder, false);
                }
            }
            Err(e) => {
                let d = Diagnostic::error(file, format!("invalid YAML: {}", e.info())).at(
                    text,
                    pos(e.marker()),
                    1,
                );
                builder.problems.push(d);
                return (builder, false);
            }
        }
    }
    (builder, true)
}

struct Builder<'a> {
    text: &'a str,
    lines: Lines<'a>,
    file: &'a Path,
    stack: Vec<(Frame, Size)>,
    /// Each anchor's node and what a copy of it costs.
    anchors: HashMap<usize, (Node, Size)>,
    /// What the document costs so far, aliases copied.
    size: Size,
    root: Option<Node>,
    /// Whether several documents are allowed, and those read so far.
    many: bool,
    docs: Vec<Node>,
    problems: Diagnostics,
}

impl Builder<'_> {
    fn event(&mut self, event: Event, span: Span) -> Result<(), Diagnostic> {
        match event {
            Event::DocumentStart(..) if !self.many && self.root.is_some() => {
                Err(self.error(&span, "only one YAML document is allowed here"))
            }
            Event::DocumentEnd if self.many => {
                self.end_document();
                Ok(())
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
                let text = match &kind {
                    Kind::Scalar { text, .. } => text.len(),
                    _ => 0,
                };
                let size = self.spend(Size { values: 1, text }, self.range(&span))?;
                let node = self.node(kind, &span, &span);
                self.complete(node, size, anchor)
            }
            Event::SequenceStart(_, anchor, _) => {
                let frame = Frame::Seq {
                    items: Vec::new(),
                    start: span,
                    anchor,
                };
                self.open(frame, &span)
            }
            Event::MappingStart(_, anchor, _) => {
                let frame = Frame::Map {
                    pairs: Vec::new(),
                    key: None,
                    keys: HashMap::new(),
                    start: span,
                    anchor,
                };
                self.open(frame, &span)
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some((frame, size)) = self.stack.pop() else {
                    return Ok(());
                };
                let (kind, start, anchor) = match frame {
                    Frame::Seq {
                        items,
                        start,
                        anchor,
                    } => (Kind::Seq(items), start, anchor),
                    Frame::Map {
                        pairs,
                        start,
                        anchor,
                        ..
                    } => (Kind::Map(pairs), start, anchor),
                };
                let node = self.node(kind, &start, &span);
                self.complete(node, size, anchor)
            }
            Event::Alias(id) => {
                let Some(&(_, size)) = self.anchors.get(&id) else {
                    return Err(self.error(&span, "this alias names no anchor"));
                };
                self.spend(size, self.range(&span))?;
                let node = Node {
                    pos: pos(&span.start),
                    span: byte_range(self.text, &span, &span),
                    ..self.anchors[&id].0.clone()
                };
                self.complete(node, size, 0)
            }
            _ => Ok(()),
        }
    }

    /// Keeps the document just read, unless nothing was written in it.
    fn end_document(&mut self) {
        match self.root.take() {
            Some(root) if !(root.kind == Kind::Null && root.span.is_empty()) => {
                self.docs.push(root)
            }
            _ => {}
        }
    }

    /// Starts a collection, within [`MAX_DEPTH`].
    fn open(&mut self, frame: Frame, span: &Span) -> Result<(), Diagnostic> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(self.over_budget(self.range(span), OverBudget::Depth));
        }
        let size = self.spend(Size { values: 1, text: 0 }, self.range(span))?;
        self.stack.push((frame, size));
        Ok(())
    }

    /// Adds `size` to the document's, within [`MAX_VALUES`] and [`MAX_TEXT`];
    /// `at` is where the cost comes from.
    fn spend(&mut self, size: Size, at: Range<usize>) -> Result<Size, Diagnostic> {
        self.size.values += size.values;
        self.size.text += size.text;
        if self.size.values > MAX_VALUES {
            return Err(self.over_budget(at, OverBudget::Values));
        }
        if self.size.text > MAX_TEXT {
            return Err(self.over_budget(at, OverBudget::Text));
        }
        Ok(size)
    }

    fn range(&self, span: &Span) -> Range<usize> {
        byte_range(self.text, span, span)
    }

    fn over_budget(&self, at: Range<usize>, over: OverBudget) -> Diagnostic {
        let d =
            Diagnostic::error(self.file, over.message()).at_span_in(&self.lines, at.start, at.end);
        match over.help() {
            Some(help) => d.with_help(help),
            None => d,
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
        let start = byte_range(self.text, span, span).start;
        Diagnostic::error(self.file, message).at_span_in(&self.lines, start, start + 1)
    }

    /// Adds a finished node to the collection being read, or makes it the root.
    /// An anchored node is kept for its aliases: a copy that counts too.
    fn complete(&mut self, node: Node, size: Size, anchor: usize) -> Result<(), Diagnostic> {
        if anchor != 0 {
            self.spend(size, node.span.clone())?;
            self.anchors.insert(anchor, (node.clone(), size));
        }
        let Some((frame, parent)) = self.stack.last_mut() else {
            self.root = Some(node);
            return Ok(());
        };
        parent.values += size.values;
        parent.text += size.text;
        match frame {
            Frame::Seq { items, .. } => items.push(node),
            Frame::Map {
                key: key @ None, ..
            } => *key = Some(node),
            Frame::Map {
                pairs, key, keys, ..
            } => {
                let key = key.take().expect("a key was read");
                let Some(name) = key.scalar() else {
                    // Not a name: the data layer reports it.
                    pairs.push((key, node));
                    return Ok(());
                };
                if let Some(&line) = keys.get(name) {
                    let d = Diagnostic::error(self.file, format!("duplicate key `{name}`"))
                        .at_span_in(&self.lines, key.span.start, key.span.end)
                        .with_help(format!("it is already set on line {line}; YAML keeps only one of them, so remove one"));
                    self.problems.push(d);
                } else {
                    keys.insert(name.to_string(), key.pos.line);
                    pairs.push((key, node));
                }
            }
        }
        Ok(())
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
    fn copies_for_aliases_count_towards_the_budget() {
        let values = "x, ".repeat(100_000);
        let (node, problems) = parse(
            &format!("a: &a [&b [&c [{values}]]]\n"),
            Path::new("d.yaml"),
        );
        assert!(node.is_none());
        assert_eq!(
            problems.to_string().lines().take(2).collect::<Vec<_>>(),
            [
                "error: this YAML is too large: more than 250000 values once aliases are copied",
                " --> d.yaml:1:11"
            ]
        );
    }

    #[test]
    fn aliases_copy_their_anchor() {
        let node = tree("a: &x [1, 2]\nb: *x\n");
        assert_eq!(scalars(&node), ["a", "1", "2", "b", "1", "2"]);
    }

    const MANIFEST: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 3
  template:
    spec:
      containers:
        - name: web
          image: \"nginx:1.27\"
---
# The Service in front of it.
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  ports:
    - port: 80
      targetPort: 8080
---
";

    #[test]
    fn documents_of_a_manifest_are_read_in_order() {
        let (docs, problems) = parse_documents(MANIFEST, Path::new("k.yaml"));
        assert!(problems.is_empty(), "{problems}");
        assert_eq!(docs.len(), 2, "the trailing `---` is no document");
        assert_eq!(
            scalars(&docs[0]),
            [
                "apiVersion",
                "apps/v1",
                "kind",
                "Deployment",
                "metadata",
                "name",
                "web",
                "spec",
                "replicas",
                "3",
                "template",
                "spec",
                "containers",
                "name",
                "web",
                "image",
                "nginx:1.27"
            ]
        );
        assert_eq!(
            scalars(&docs[1]),
            [
                "apiVersion",
                "v1",
                "kind",
                "Service",
                "metadata",
                "name",
                "web",
                "spec",
                "ports",
                "port",
                "80",
                "targetPort",
                "8080"
            ]
        );
        let Kind::Map(pairs) = &docs[1].kind else {
            panic!()
        };
        assert_eq!(pairs[1].1.pos, Pos::new(15, 7));
        assert_eq!(&MANIFEST[pairs[1].1.span.clone()], "Service");
    }

    #[test]
    fn one_document_is_still_all_that_parse_allows() {
        let (node, problems) = parse("a: 1\n---\nb: 2\n", Path::new("d.yaml"));
        assert!(node.is_none());
        assert_eq!(
            problems.to_string(),
            "error: only one YAML document is allowed here\n --> d.yaml:2:1\n  |\n2 | ---\n  | ^\n"
        );
    }

    #[test]
    fn documents_empty_or_only_comments() {
        for text in [
            "",
            "# nothing yet\n",
            "---\n",
            "---\n---\n# still nothing\n",
        ] {
            let (docs, problems) = parse_documents(text, Path::new("k.yaml"));
            assert!(problems.is_empty(), "{text:?}: {problems}");
            assert!(docs.is_empty(), "{text:?}: {docs:?}");
        }
        let (docs, _) = parse_documents("--- ~\n---\na: 1\n", Path::new("k.yaml"));
        assert_eq!(docs.len(), 2, "a null written out is a document");
    }

    #[test]
    fn documents_report_duplicates_and_syntax_errors() {
        let (docs, problems) = parse_documents("a: 1\n---\nb: 1\nb: 2\n", Path::new("k.yaml"));
        assert_eq!(docs.len(), 2);
        assert_eq!(
            problems.to_string(),
            "error: duplicate key `b`\n --> k.yaml:4:1\n  |\n4 | b: 2\n  | ^\n  = help: it is already set on line 3; YAML keeps only one of them, so remove one\n"
        );
        let (docs, problems) = parse_documents("a: 1\n---\nb: [1\n", Path::new("k.yaml"));
        assert!(docs.is_empty());
        assert!(problems.to_string().starts_with("error: invalid YAML: "));
    }

    #[test]
    fn the_budget_counts_over_all_documents() {
        let doc = format!("[{}]\n", "x, ".repeat(100_000));
        let text = format!("{doc}---\n{doc}---\n{doc}");
        let (docs, problems) = parse_documents(&text, Path::new("k.yaml"));
        assert!(docs.is_empty());
        assert!(
            problems
                .to_string()
                .starts_with("error: this YAML is too large"),
            "{problems}"
        );
    }
}
