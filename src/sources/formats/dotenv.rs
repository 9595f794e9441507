//! `.env` files, read by hand: no crate keeps where each value was written.
//! Kept small on purpose: `KEY=value` lines, an optional `export `, `#`
//! comment lines, `'literal'` values, `"double"` values with the escapes
//! `\n \t \" \\ \$`, and unquoted values trimmed, with an inline ` #…`
//! comment removed. A quoted value ends on its own line. Each bad line is
//! reported, and reading goes on to the next.

use std::ops::Range;
use std::path::Path;

use super::{Format, Pairs, Reader, Stop};
use crate::diagnostic::Diagnostics;
use crate::yaml::{Kind, Node};

pub(super) fn parse(text: &str, file: &Path) -> (Option<Node>, Diagnostics) {
    let mut reader = Reader::new(Format::Env, text, file);
    let doc = read(&mut reader, text);
    reader.finish(doc)
}

fn read(reader: &mut Reader, text: &str) -> Result<Node, Stop> {
    let mut pairs = Pairs::default();
    let mut start = 0;
    for line in text.split_inclusive('\n') {
        let content = line.trim_end_matches('\n').trim_end_matches('\r');
        if let Some((key, value)) = entry(reader, content, start)? {
            pairs.insert(reader, key, value);
        }
        start += line.len();
    }
    reader.node(pairs.into_kind(), 0..text.len())
}

/// The key and value of one line (`start` is where it starts in the text),
/// `None` for a blank or comment line, or a bad one (reported). The error
/// ends the reading: a budget spent.
fn entry(reader: &mut Reader, line: &str, start: usize) -> Result<Option<(Node, Node)>, Stop> {
    let trimmed = line.trim_start();
    if trimmed.is_empty() || trimmed.starts_with('#') {
        return Ok(None);
    }
    let mut at = start + line.len() - trimmed.len();
    let mut rest = trimmed;
    if let Some(after) = rest.strip_prefix("export")
        && after.starts_with([' ', '\t'])
    {
        let after = after.trim_start();
        at += rest.len() - after.len();
        rest = after;
    }
    let Some((raw_key, raw_value)) = rest.split_once('=') else {
        let end = start + line.len();
        return bad(reader, "expected `KEY=value`", at..end, None);
    };
    let key = raw_key.trim_end();
    if !valid_key(key) {
        let message = format!("`{key}` is not a valid key");
        let help = "a key is letters, digits, `_`, `.` and `-`, and does not start with a digit";
        return bad(reader, &message, at..at + key.len(), Some(help));
    }
    let Some(value) = value(reader, raw_value, at + raw_key.len() + 1)? else {
        return Ok(None);
    };
    let text = key.to_string();
    let key = reader.node(
        Kind::Scalar {
            text,
            quoted: false,
        },
        at..at + key.len(),
    )?;
    Ok(Some((key, value)))
}

/// Reports a bad line, which gives no entry.
fn bad<T>(
    reader: &mut Reader,
    message: &str,
    span: Range<usize>,
    help: Option<&str>,
) -> Result<Option<T>, Stop> {
    let Stop(mut d) = reader.syntax(message, span);
    if let Some(help) = help {
        d = d.with_help(help);
    }
    reader.problems.push(d);
    Ok(None)
}

fn valid_key(key: &str) -> bool {
    let ok = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-');
    !key.is_empty() && !key.starts_with(|c: char| c.is_ascii_digit()) && key.chars().all(ok)
}

/// The value after `=`, which starts at byte `at`; `None` if it is bad
/// (reported).
fn value(reader: &mut Reader, raw: &str, at: usize) -> Result<Option<Node>, Stop> {
    let trimmed = raw.trim_start();
    let at = at + raw.len() - trimmed.len();
    let quote = match trimmed.chars().next() {
        Some(q @ ('\'' | '"')) => q,
        _ => {
            // A `#` after a space starts a comment, even with nothing before it.
            let text = if trimmed.len() < raw.len() && trimmed.starts_with('#') {
                ""
            } else {
                unquoted(trimmed)
            };
            return reader.raw(at..at + text.len()).map(Some);
        }
    };
    let Some((text, len)) = quoted(trimmed, quote) else {
        let message = format!("the quote `{quote}` is not closed on this line");
        return bad(reader, &message, at..at + 1, None);
    };
    let after = trimmed[len..].trim_start();
    if !after.is_empty() && !after.starts_with('#') {
        let end = at + trimmed.len();
        let message = "unexpected text after the closing quote";
        return bad(reader, message, end - after.len()..end, None);
    }
    reader.quoted(text, at..at + len).map(Some)
}

/// An unquoted value: up to an inline comment (` #`), trimmed.
fn unquoted(value: &str) -> &str {
    let end = value
        .char_indices()
        .find(|&(i, c)| c == '#' && value[..i].ends_with([' ', '\t']))
        .map_or(value.len(), |(i, _)| i);
    value[..end].trim_end()
}

/// A quoted value's text and its length with the quotes, or `None` if the
/// quote is not closed.
fn quoted(value: &str, quote: char) -> Option<(String, usize)> {
    let mut text = String::new();
    let mut chars = value.char_indices().skip(1);
    while let Some((i, c)) = chars.next() {
        match c {
            c if c == quote => return Some((text, i + 1)),
            '\\' if quote == '"' => match chars.next() {
                Some((_, 'n')) => text.push('\n'),
                Some((_, 't')) => text.push('\t'),
                Some((_, e @ ('"' | '\\' | '$'))) => text.push(e),
                // Any other escape stays as written.
                Some((_, other)) => {
                    text.push('\\');
                    text.push(other);
                }
                None => return None,
            },
            c => text.push(c),
        }
    }
    None
}
