//! TOML through the `toml` crate's spanned tree (`DeTable`). Its tables are
//! sorted by key, so entries are put back in the order written by their
//! spans. The parser recovers from errors and reports duplicates itself, but
//! without the name or the first key's place: both are found here.

use std::ops::Range;
use std::path::Path;

use ::toml::Spanned;
use ::toml::de::{DeString, DeTable, DeValue};

use super::{Format, Pairs, Reader, Stop, Syntax, empty_map, reported_duplicate, too_deep};
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
            duplicate(reader, span);
        } else if syntax_error.is_none() {
            syntax_error = Some(reader.syntax(error.message(), span));
        }
    }
    match syntax_error {
        Some(stop) => Err(stop),
        None => doc,
    }
}

/// Reports the key at `span` as a duplicate: the parser says no more.
fn duplicate(reader: &mut Reader, span: Range<usize>) {
    let name = key_name(reader.slice(span.clone()));
    reported_duplicate(reader, span, &name);
}

/// A key's name from its text as written: quoted keys are decoded by the
/// TOML parser itself.
fn key_name(raw: &str) -> String {
    if raw.starts_with(['"', '\''])
        && let Ok(value) = DeValue::parse(raw)
        && let Some(name) = value.get_ref().as_str()
    {
        return name.to_string();
    }
    raw.to_string()
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
            let pos = reader.enter(depth, span.clone())?;
            let mut items = Vec::with_capacity(array.len());
            for item in array.iter() {
                items.push(self::value(reader, item, depth + 1)?);
            }
            reader.node_at(Kind::Seq(items), span, pos)
        }
        DeValue::Table(t) => table(reader, t, span, depth),
    }
}

fn table(reader: &mut Reader, t: &DeTable, span: Range<usize>, depth: usize) -> Result<Node, Stop> {
    let pos = reader.enter(depth, span.clone())?;
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
    reader.node_at(pairs.into_kind(), span, pos)
}
