//! TOML through the `toml` crate's spanned tree (`DeTable`). Its tables are
//! sorted by key, so entries are put back in the order written by their
//! spans. The parser recovers from errors and reports duplicates itself, but
//! without the name or the first key's line: both are found here.

use std::ops::Range;
use std::path::Path;

use ::toml::Spanned;
use ::toml::de::{DeString, DeTable, DeValue};

use super::{Format, Pairs, Reader, Stop, Syntax, empty_map, too_deep};
use crate::diagnostic::Diagnostics;
use crate::yaml::{Kind, Node};

pub(super) fn parse(text: &str, file: &Path) -> (Option<Node>, Diagnostics) {
    let mut reader = Reader::new(Format::Toml, text, file);
    let doc = read(&mut reader, text);
    reader.finish(doc)
}

fn read(reader: &mut Reader, text: &str) -> Result<Node, Stop> {
    let syntax = Syntax {
        hash_comments: true,
        slash_comments: false,
        toml_strings: true,
    };
    if let Some(at) = too_deep(text, &syntax) {
        return Err(reader.stop_at(reader.too_deep(), at..at + 1));
    }
    if text.trim().is_empty() {
        return empty_map(reader);
    }
    let (root, errors) = DeTable::parse_recoverable(text);
    let doc = table(reader, root.get_ref(), root.span(), 1);
    let mut syntax_error = None;
    for error in errors {
        let span = error.span().unwrap_or(text.len()..text.len());
        if error.message() == "duplicate key" {
            duplicate(reader, doc.as_ref().ok(), span);
        } else if syntax_error.is_none() {
            syntax_error = Some(reader.syntax(error.message(), span));
        }
    }
    match syntax_error {
        Some(stop) => Err(stop),
        None => doc,
    }
}

/// Reports the key at `span` as a duplicate, with the line of the closest
/// key of the same name before it in `doc` (the first one, kept there).
fn duplicate(reader: &mut Reader, doc: Option<&Node>, span: Range<usize>) {
    let name = key_name(reader.slice(span.clone()));
    let first = doc.and_then(|doc| preceding_key(doc, &name, span.start));
    let line = first.map(|key| key.pos.line);
    let key = Node {
        kind: Kind::Null,
        pos: reader.lines.pos(span.start),
        span,
    };
    reader.duplicate(&key, &name, line);
}

/// A key's name from its text as written: quoted keys are decoded by the
/// TOML parser itself.
fn key_name(raw: &str) -> String {
    if raw.starts_with(['"', '\'']) {
        if let Ok(value) = DeValue::parse(raw) {
            if let Some(name) = value.get_ref().as_str() {
                return name.to_string();
            }
        }
    }
    raw.to_string()
}

/// The last key named `name` that starts before `before`, searched without
/// recursion.
fn preceding_key<'n>(doc: &'n Node, name: &str, before: usize) -> Option<&'n Node> {
    let mut best: Option<&Node> = None;
    let mut stack = vec![doc];
    while let Some(node) = stack.pop() {
        match &node.kind {
            Kind::Map(pairs) => {
                for (key, value) in pairs {
                    let earlier = key.span.start < before;
                    let later_than_best = best.is_none_or(|b| key.span.start > b.span.start);
                    if earlier && later_than_best && key.scalar() == Some(name) {
                        best = Some(key);
                    }
                    stack.push(value);
                }
            }
            Kind::Seq(items) => stack.extend(items),
            _ => {}
        }
    }
    best
}

/// Recursive, within [`crate::yaml::MAX_DEPTH`] (and the parser's own limit).
fn value(reader: &mut Reader, value: &Spanned<DeValue>, depth: usize) -> Result<Node, Stop> {
    let span = value.span();
    match value.get_ref() {
        DeValue::String(s) => reader.quoted(s.as_ref(), span),
        DeValue::Integer(_) | DeValue::Float(_) | DeValue::Boolean(_) | DeValue::Datetime(_) => {
            reader.raw(span)
        }
        DeValue::Array(array) => {
            reader.enter(depth, span.clone())?;
            let mut items = Vec::with_capacity(array.len());
            for item in array.iter() {
                items.push(self::value(reader, item, depth + 1)?);
            }
            reader.node(Kind::Seq(items), span)
        }
        DeValue::Table(t) => table(reader, t, span, depth),
    }
}

fn table(reader: &mut Reader, t: &DeTable, span: Range<usize>, depth: usize) -> Result<Node, Stop> {
    reader.enter(depth, span.clone())?;
    let mut entries: Vec<(&Spanned<DeString>, &Spanned<DeValue>)> = t.iter().collect();
    entries.sort_by_key(|(key, _)| key.span().start);
    let mut pairs = Pairs::default();
    for (key, v) in entries {
        let key_span = key.span();
        let quoted = reader.slice(key_span.clone()).starts_with(['"', '\'']);
        let text = key.get_ref().to_string();
        let key = reader.node(Kind::Scalar { text, quoted }, key_span)?;
        let v = value(reader, v, depth + 1)?;
        pairs.insert(reader, key, v);
    }
    reader.node(pairs.into_kind(), span)
}
