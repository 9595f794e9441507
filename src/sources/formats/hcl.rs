//! HCL (Terraform `.tfvars`, `.hcl`) through hcl-edit, whose tree keeps each
//! part's byte range and which limits nesting itself (64 levels), so it needs
//! no scan before it. Attributes become entries; a block
//! `ident "a" "b" { … }` becomes `ident: { a: { b: { … } } }`, blocks of one
//! ident sharing the outer maps. Values stay as written: a string without
//! interpolation is its value, a template its text between the quotes, any
//! other expression (`var.x`, `max(1, 2)`) its source text.

use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;

use hcl_edit::Span;
use hcl_edit::expr::{Expression, ObjectKey};
use hcl_edit::structure::{Block, BlockLabel, Body, Structure};

use super::{Format, Pairs, Reader, Stop, empty_map, reported_duplicate};
use crate::diagnostic::Diagnostics;
use crate::yaml::{Kind, Node};

pub(super) fn parse(text: &str, file: &Path) -> (Option<Node>, Diagnostics) {
    let mut reader = Reader::new(Format::Hcl, text, file);
    let doc = read(&mut reader, text);
    reader.finish(doc)
}

fn read(reader: &mut Reader, text: &str) -> Result<Node, Stop> {
    if text.trim().is_empty() {
        return empty_map(reader);
    }
    match hcl_edit::parser::parse_body(text) {
        Ok(body) => {
            let table = self::body(reader, &body, 0..text.len(), 1)?;
            table.into_node(reader)
        }
        Err(e) => {
            let at = e.location().offset();
            if e.message().contains("found redefined") {
                duplicate(reader, at);
                return empty_map(reader);
            }
            if e.message().contains("nesting depth") {
                return Err(reader.stop_at(reader.too_deep(), at..at + 1));
            }
            Err(reader.syntax(e.message(), at..at + 1))
        }
    }
}

/// The parser turns down a second attribute or object key of one name;
/// that is reported as a duplicate key like in every other format. `at` is
/// where the second key starts: an identifier or a quoted string.
fn duplicate(reader: &mut Reader, at: usize) {
    let rest = reader.slice(at..reader.text.len());
    let (len, name) = match rest.strip_prefix('"') {
        Some(quoted) => {
            let len = quoted.find('"').unwrap_or(quoted.len());
            (len + 2, &quoted[..len])
        }
        None => {
            let len = rest
                .find(|c: char| !(c.is_alphanumeric() || matches!(c, '_' | '-')))
                .unwrap_or(rest.len());
            (len, &rest[..len])
        }
    };
    let name = name.to_string();
    reported_duplicate(reader, at..at + len, &name);
}

/// A map being built from a body: blocks of one ident are merged into it.
struct Table {
    entries: Vec<(Node, Slot)>,
    /// Each name's entry.
    index: HashMap<String, usize>,
    span: Range<usize>,
}

enum Slot {
    Value(Node),
    /// The labels of the blocks read so far under one ident or label.
    Blocks(Table),
}

impl Table {
    fn new(span: Range<usize>) -> Self {
        Table {
            entries: Vec::new(),
            index: HashMap::new(),
            span,
        }
    }

    /// Adds `key: value`, or reports `key` as a duplicate.
    fn put(&mut self, reader: &mut Reader, key: Node, value: Node) {
        if let Some(line) = self.line_of(&key) {
            report(reader, &key, line);
            return;
        }
        self.push(key, Slot::Value(value));
    }

    /// The table of blocks under `key`, made if new; `None` (reported)
    /// when `key` is already an attribute or a block without more labels.
    fn blocks(&mut self, reader: &mut Reader, key: Node, span: Range<usize>) -> Option<&mut Table> {
        let name = key.scalar().unwrap_or_default();
        let i = match self.index.get(name) {
            Some(&i) => i,
            None => self.push(key.clone(), Slot::Blocks(Table::new(span))),
        };
        match &mut self.entries[i] {
            (_, Slot::Blocks(table)) => Some(table),
            (first, Slot::Value(_)) => {
                let line = first.pos.line;
                report(reader, &key, line);
                None
            }
        }
    }

    fn line_of(&self, key: &Node) -> Option<usize> {
        let i = *self.index.get(key.scalar()?)?;
        Some(self.entries[i].0.pos.line)
    }

    fn push(&mut self, key: Node, slot: Slot) -> usize {
        let i = self.entries.len();
        self.index
            .insert(key.scalar().unwrap_or_default().to_string(), i);
        self.entries.push((key, slot));
        i
    }

    /// Recursive, as deep as the blocks and their labels, which [`body`]
    /// keeps within [`crate::yaml::MAX_DEPTH`].
    fn into_node(self, reader: &mut Reader) -> Result<Node, Stop> {
        let mut pairs = Pairs::default();
        for (key, slot) in self.entries {
            let value = match slot {
                Slot::Value(node) => node,
                Slot::Blocks(table) => table.into_node(reader)?,
            };
            pairs.insert(reader, key, value);
        }
        reader.node(pairs.into_kind(), self.span)
    }
}

fn report(reader: &mut Reader, key: &Node, line: usize) {
    let name = key.scalar().unwrap_or_default().to_string();
    reader.duplicate(key, &name, Some(line));
}

fn body(reader: &mut Reader, body: &Body, span: Range<usize>, depth: usize) -> Result<Table, Stop> {
    reader.enter(depth, span.clone())?;
    let mut table = Table::new(span);
    for structure in body.iter() {
        match structure {
            Structure::Attribute(attr) => {
                let key = ident(reader, attr.key.as_str(), attr.key.span())?;
                let value = expr(reader, &attr.value, depth + 1)?;
                table.put(reader, key, value);
            }
            Structure::Block(b) => block(reader, &mut table, b, depth)?,
        }
    }
    Ok(table)
}

/// Puts a block's body into `table` under its ident and labels.
fn block(reader: &mut Reader, table: &mut Table, b: &Block, depth: usize) -> Result<(), Stop> {
    let span = b.span().unwrap_or_default();
    let mut path = vec![ident(reader, b.ident.as_str(), b.ident.span())?];
    for label in &b.labels {
        path.push(match label {
            BlockLabel::Ident(id) => ident(reader, id.as_str(), id.span())?,
            BlockLabel::String(s) => reader.quoted(s.as_str(), s.span().unwrap_or_default())?,
        });
    }
    let inner = body(reader, &b.body, span.clone(), depth + path.len())?;
    let inner = inner.into_node(reader)?;
    let Some(last) = path.pop() else {
        return Ok(());
    };
    let mut at = table;
    for key in path {
        match at.blocks(reader, key, span.clone()) {
            Some(next) => at = next,
            None => return Ok(()),
        }
    }
    at.put(reader, last, inner);
    Ok(())
}

fn ident(reader: &mut Reader, name: &str, span: Option<Range<usize>>) -> Result<Node, Stop> {
    let text = name.to_string();
    let kind = Kind::Scalar {
        text,
        quoted: false,
    };
    reader.node(kind, span.unwrap_or_default())
}

/// Recursive through arrays and objects, within the parser's limit of 64
/// levels and [`crate::yaml::MAX_DEPTH`].
fn expr(reader: &mut Reader, e: &Expression, depth: usize) -> Result<Node, Stop> {
    let span = e.span().unwrap_or_default();
    match e {
        Expression::Null(_) => reader.node(Kind::Null, span),
        Expression::String(s) => reader.quoted(s.as_str(), span),
        Expression::StringTemplate(_) => {
            let inner = span.start + 1..span.end.saturating_sub(1).max(span.start + 1);
            let text = reader.slice(inner);
            reader.quoted(text, span)
        }
        Expression::HeredocTemplate(h) => {
            let text = reader.slice(h.template.span().unwrap_or_default());
            reader.quoted(text, span)
        }
        Expression::Array(array) => {
            let pos = reader.enter(depth, span.clone())?;
            let mut items = Vec::new();
            for item in array.iter() {
                items.push(expr(reader, item, depth + 1)?);
            }
            reader.node_at(Kind::Seq(items), span, pos)
        }
        Expression::Object(object) => {
            let pos = reader.enter(depth, span.clone())?;
            let mut pairs = Pairs::default();
            for (key, value) in object.iter() {
                let key = object_key(reader, key)?;
                let value = expr(reader, value.expr(), depth + 1)?;
                pairs.insert(reader, key, value);
            }
            reader.node_at(pairs.into_kind(), span, pos)
        }
        _ => reader.raw(span),
    }
}

fn object_key(reader: &mut Reader, key: &ObjectKey) -> Result<Node, Stop> {
    match key {
        ObjectKey::Ident(id) => ident(reader, id.as_str(), id.span()),
        ObjectKey::Expression(Expression::String(s)) => {
            reader.quoted(s.as_str(), s.span().unwrap_or_default())
        }
        ObjectKey::Expression(e) => reader.raw(e.span().unwrap_or_default()),
    }
}
