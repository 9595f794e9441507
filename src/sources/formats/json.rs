//! JSON through jsonc-parser's syntax tree, which keeps each value's byte
//! range. Strict JSON, except that comments are allowed: configuration files
//! such as `tsconfig.json` have them, and they change no value.

use std::ops::Range;
use std::path::Path;

use jsonc_parser::ast::{ObjectPropName, Value};
use jsonc_parser::common::Ranged;
use jsonc_parser::{CollectOptions, ParseOptions};

use super::{Format, Pairs, Reader, Stop, Syntax, empty_map, too_deep};
use crate::diagnostic::Diagnostics;
use crate::yaml::{Kind, Node};

pub(super) fn parse(text: &str, file: &Path) -> (Option<Node>, Diagnostics) {
    let mut reader = Reader::new(Format::Json, text, file);
    let doc = read(&mut reader, text);
    reader.finish(doc)
}

fn read(reader: &mut Reader, text: &str) -> Result<Node, Stop> {
    let syntax = Syntax {
        hash_comments: false,
        slash_comments: true,
        toml_strings: false,
    };
    if let Some(at) = too_deep(text, &syntax) {
        return Err(reader.stop_at(reader.too_deep(), at..at + 1));
    }
    let options = ParseOptions {
        allow_comments: true,
        allow_loose_object_property_names: false,
        allow_trailing_commas: false,
        allow_missing_commas: false,
        allow_single_quoted_strings: false,
        allow_hexadecimal_numbers: false,
        allow_unary_plus_numbers: false,
        allow_bare_decimal_point_numbers: false,
        allow_non_finite_numbers: false,
        allow_extended_string_escapes: false,
    };
    match jsonc_parser::parse_to_ast(text, &CollectOptions::default(), &options) {
        Ok(result) => match result.value {
            Some(value) => convert(reader, &value, 1),
            None => empty_map(reader),
        },
        Err(e) => {
            let range = e.range();
            Err(reader.syntax(&e.kind().to_string(), range.start..range.end))
        }
    }
}

/// Recursive, within the depth [`too_deep`] checked.
fn convert(reader: &mut Reader, value: &Value, depth: usize) -> Result<Node, Stop> {
    let span = range(value);
    match value {
        Value::StringLit(s) => reader.quoted(s.value.as_ref(), span),
        Value::NumberLit(_) | Value::BooleanLit(_) => reader.raw(span),
        Value::NullKeyword(_) => reader.node(Kind::Null, span),
        Value::Array(array) => {
            let pos = reader.enter(depth, span.clone())?;
            let mut items = Vec::with_capacity(array.elements.len());
            for element in &array.elements {
                items.push(convert(reader, element, depth + 1)?);
            }
            reader.node_at(Kind::Seq(items), span, pos)
        }
        Value::Object(object) => {
            let pos = reader.enter(depth, span.clone())?;
            let mut pairs = Pairs::default();
            for prop in &object.properties {
                let key = match &prop.name {
                    ObjectPropName::String(s) => {
                        reader.quoted(s.value.as_ref(), s.range.start..s.range.end)?
                    }
                    ObjectPropName::Word(w) => reader.raw(w.range.start..w.range.end)?,
                };
                let value = convert(reader, &prop.value, depth + 1)?;
                pairs.insert(reader, key, value);
            }
            reader.node_at(pairs.into_kind(), span, pos)
        }
    }
}

fn range(value: &Value) -> Range<usize> {
    let r = value.range();
    r.start..r.end
}
