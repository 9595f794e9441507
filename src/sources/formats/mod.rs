//! Configuration files (Helm values, Kubernetes manifests, JSON, TOML,
//! Terraform `.tfvars`, `.env`) read into the YAML tree of [`crate::yaml`],
//! so that one walker serves every format and every value knows where it was
//! written. Values stay as written: `1.10`, `0o755` and `1_000` are the text
//! of the file, never a number read back. No I/O: each parser takes the text.

mod dotenv;
mod hcl;
mod json;
mod toml;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;

use crate::diagnostic::{Diagnostic, Diagnostics, Lines, Pos};
use crate::yaml::{self, Kind, MAX_DEPTH, MAX_VALUES, Node};

/// A configuration file's format, told by its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Yaml,
    Json,
    Toml,
    Hcl,
    Env,
}

impl Format {
    /// `.yaml`/`.yml`, `.json`, `.toml`, `.tfvars`/`.hcl`, and `.env` files
    /// (`.env`, `.env.prod`, `prod.env`); None otherwise.
    pub fn of(path: &Path) -> Option<Format> {
        let name = path.file_name()?.to_str()?;
        if name == ".env" || name.starts_with(".env.") {
            return Some(Format::Env);
        }
        let (_, ext) = name.rsplit_once('.')?;
        match ext.to_ascii_lowercase().as_str() {
            "yaml" | "yml" => Some(Format::Yaml),
            "json" => Some(Format::Json),
            "toml" => Some(Format::Toml),
            "tfvars" | "hcl" => Some(Format::Hcl),
            "env" => Some(Format::Env),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Format::Yaml => "YAML",
            Format::Json => "JSON",
            Format::Toml => "TOML",
            Format::Hcl => "HCL",
            Format::Env => ".env",
        }
    }
}

/// The documents of a configuration file: YAML may hold several, the others one.
/// Every problem is reported (as far as the parser allows); any error means no documents.
pub fn parse(format: Format, text: &str, file: &Path) -> Result<Vec<Node>, Diagnostics> {
    let (docs, problems) = match format {
        Format::Yaml => yaml::parse_documents(text, file),
        Format::Json => one(json::parse(text, file)),
        Format::Toml => one(toml::parse(text, file)),
        Format::Hcl => one(hcl::parse(text, file)),
        Format::Env => one(dotenv::parse(text, file)),
    };
    if problems.has_errors() {
        Err(problems)
    } else {
        Ok(docs)
    }
}

fn one((doc, problems): (Option<Node>, Diagnostics)) -> (Vec<Node>, Diagnostics) {
    (doc.into_iter().collect(), problems)
}

/// What every format's reader shares: the text with its line index, where
/// problems go, and the budgets of [`crate::yaml`] (values in the file,
/// levels of nesting).
struct Reader<'a> {
    format: Format,
    text: &'a str,
    lines: Lines<'a>,
    file: &'a Path,
    values: usize,
    problems: Diagnostics,
}

/// A problem that ends the reading of a file: a syntax error or a budget
/// spent. Duplicate keys are not one: they go to the problems, and reading
/// goes on to find the others.
struct Stop(Diagnostic);

impl<'a> Reader<'a> {
    fn new(format: Format, text: &'a str, file: &'a Path) -> Self {
        Reader {
            format,
            text,
            lines: Lines::new(text),
            file,
            values: 0,
            problems: Diagnostics::default(),
        }
    }

    /// A node at byte range `span`, counted against [`MAX_VALUES`].
    fn node(&mut self, kind: Kind, span: Range<usize>) -> Result<Node, Stop> {
        let pos = self.lines.pos(span.start);
        self.node_at(kind, span, pos)
    }

    /// A node whose position was found before: a collection's, found when
    /// it opened, as positions are cheap only when asked for in order (a
    /// minified file is one long line).
    fn node_at(&mut self, kind: Kind, span: Range<usize>, pos: Pos) -> Result<Node, Stop> {
        self.values += 1;
        if self.values > MAX_VALUES {
            let message = format!(
                "this {} is too large: more than {MAX_VALUES} values",
                self.format.name()
            );
            return Err(self.stop_at(message, span));
        }
        Ok(Node { kind, pos, span })
    }

    /// A scalar of the text at `span` exactly as written.
    fn raw(&mut self, span: Range<usize>) -> Result<Node, Stop> {
        let text = self.slice(span.clone()).to_string();
        self.node(
            Kind::Scalar {
                text,
                quoted: false,
            },
            span,
        )
    }

    fn quoted(&mut self, text: impl Into<String>, span: Range<usize>) -> Result<Node, Stop> {
        let text = text.into();
        self.node(Kind::Scalar { text, quoted: true }, span)
    }

    /// The text at `span`; empty if the span is not in the text (a parser's
    /// span is trusted no further than that).
    fn slice(&self, span: Range<usize>) -> &'a str {
        self.text.get(span).unwrap_or_default()
    }

    /// Opens a collection at level `depth`, which fails past [`MAX_DEPTH`]
    /// levels; its position is found now, before those of what is in it.
    fn enter(&self, depth: usize, span: Range<usize>) -> Result<Pos, Stop> {
        if depth > MAX_DEPTH {
            return Err(self.stop_at(self.too_deep(), span));
        }
        Ok(self.lines.pos(span.start))
    }

    fn too_deep(&self) -> String {
        format!(
            "this {} is nested more than {MAX_DEPTH} levels deep",
            self.format.name()
        )
    }

    fn error(&self, message: impl Into<String>, span: Range<usize>) -> Diagnostic {
        let end = span.end.max(span.start + 1);
        Diagnostic::error(self.file, message).at_span_in(&self.lines, span.start, end)
    }

    fn stop_at(&self, message: impl Into<String>, span: Range<usize>) -> Stop {
        Stop(self.error(message, span))
    }

    /// `invalid JSON: …` and the like, at the parser's position.
    fn syntax(&self, message: &str, span: Range<usize>) -> Stop {
        let what = match self.format {
            Format::Env => ".env line",
            format => format.name(),
        };
        let message = format!("invalid {what}: {}", lowercase_first(message));
        self.stop_at(message, span)
    }

    fn duplicate(&mut self, key: &Node, name: &str, first_line: Option<usize>) {
        let at = match first_line {
            Some(line) => format!("on line {line}"),
            None => "above".to_string(),
        };
        let d = self
            .error(format!("duplicate key `{name}`"), key.span.clone())
            .with_help(format!(
                "it is already set {at}; only one of them can count, so remove one"
            ));
        self.problems.push(d);
    }

    /// The document, or none with the problems when there are errors.
    fn finish(mut self, doc: Result<Node, Stop>) -> (Option<Node>, Diagnostics) {
        match doc {
            Ok(doc) if !self.problems.has_errors() => (Some(doc), self.problems),
            Ok(_) => (None, self.problems),
            Err(Stop(d)) => {
                self.problems.push(d);
                (None, self.problems)
            }
        }
    }
}

/// A duplicate key reported by a parser that does not say where the first
/// one is: the key as written at `span`, and the line of the closest earlier
/// place where the same text is written as a key (found in the text).
fn reported_duplicate(reader: &mut Reader, span: Range<usize>, name: &str) {
    let raw = reader.slice(span.clone());
    let first = earlier_key_line(reader, raw, span.start);
    let key = Node {
        kind: Kind::Null,
        pos: reader.lines.pos(span.start),
        span,
    };
    reader.duplicate(&key, name, first);
}

/// The line of the last place before `before` where `raw` is written as a
/// whole word followed by `=`, `:`, `.` or `]`: a key, most likely.
fn earlier_key_line(reader: &Reader, raw: &str, before: usize) -> Option<usize> {
    let text = reader.text;
    let word = |c: char| c.is_alphanumeric() || matches!(c, '_' | '-');
    let mut end = before.min(text.len());
    while !raw.is_empty() {
        let i = text.get(..end)?.rfind(raw)?;
        let starts = !text[..i].ends_with(word);
        let after = text[i + raw.len()..].trim_start_matches([' ', '\t']);
        let ends = !after.starts_with("==") && after.starts_with(['=', ':', '.', ']']);
        if starts && ends {
            return Some(reader.lines.pos(i).line);
        }
        end = i;
    }
    None
}

fn lowercase_first(message: &str) -> String {
    let mut chars = message.chars();
    match chars.next() {
        Some(first) if !chars.as_str().starts_with(char::is_uppercase) => {
            first.to_lowercase().chain(chars).collect()
        }
        _ => message.to_string(),
    }
}

/// The pairs of a map being read, with each key's line to find a duplicate
/// at once (a scan of the pairs would make a map of many keys quadratic).
#[derive(Default)]
struct Pairs {
    pairs: Vec<(Node, Node)>,
    lines: HashMap<String, usize>,
}

impl Pairs {
    /// Adds a pair, or reports its key as a duplicate and drops it.
    fn insert(&mut self, reader: &mut Reader, key: Node, value: Node) {
        let Some(name) = key.scalar() else {
            self.pairs.push((key, value));
            return;
        };
        if let Some(&line) = self.lines.get(name) {
            let name = name.to_string();
            reader.duplicate(&key, &name, Some(line));
        } else {
            self.lines.insert(name.to_string(), key.pos.line);
            self.pairs.push((key, value));
        }
    }

    fn into_kind(self) -> Kind {
        Kind::Map(self.pairs)
    }
}

/// An empty map at the start of the text: what an empty file holds.
fn empty_map(reader: &mut Reader) -> Result<Node, Stop> {
    reader.node(Kind::Map(Vec::new()), 0..0)
}

/// How strings and comments look to [`nesting`].
struct Syntax {
    /// `#` starts a comment (TOML).
    hash_comments: bool,
    /// `//` and `/* */` comments (JSON with comments).
    slash_comments: bool,
    /// `'…'` strings without escapes, and `"""`/`'''` strings (TOML).
    toml_strings: bool,
}

/// Where the text first opens more than [`MAX_DEPTH`] brackets, found by a
/// scan that skips strings and comments: the JSON and TOML parsers recurse
/// once per level, so a file of 100,000 `[` is turned down before them.
fn too_deep(text: &str, syntax: &Syntax) -> Option<usize> {
    let bytes = text.as_bytes();
    let (mut i, mut depth) = (0, 0usize);
    while let Some(&b) = bytes.get(i) {
        i = match b {
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Some(i);
                }
                i + 1
            }
            b']' | b'}' => {
                depth = depth.saturating_sub(1);
                i + 1
            }
            b'"' | b'\'' => skip_string(bytes, i, syntax),
            b'#' if syntax.hash_comments => skip_line(bytes, i),
            b'/' if syntax.slash_comments && bytes.get(i + 1) == Some(&b'/') => skip_line(bytes, i),
            b'/' if syntax.slash_comments && bytes.get(i + 1) == Some(&b'*') => {
                find(bytes, i + 2, b"*/").map_or(bytes.len(), |end| end + 2)
            }
            _ => i + 1,
        };
    }
    None
}

/// Past the string that starts at `i` (or past the quote, if it is no string).
fn skip_string(bytes: &[u8], i: usize, syntax: &Syntax) -> usize {
    let quote = bytes[i];
    if quote == b'\'' && !syntax.toml_strings {
        return i + 1;
    }
    let triple = [quote; 3];
    if syntax.toml_strings && bytes[i..].starts_with(&triple) {
        return find_unescaped(bytes, i + 3, &triple, quote == b'"').map_or(bytes.len(), |e| e + 3);
    }
    find_unescaped(bytes, i + 1, &[quote], quote == b'"').map_or(bytes.len(), |e| e + 1)
}

fn find_unescaped(bytes: &[u8], mut i: usize, end: &[u8], escapes: bool) -> Option<usize> {
    while i < bytes.len() {
        if escapes && bytes[i] == b'\\' {
            i += 2;
        } else if bytes[i..].starts_with(end) {
            return Some(i);
        } else if end.len() == 1 && bytes[i] == b'\n' {
            // A one-line string ends at the line's end, closed or not.
            return Some(i);
        } else {
            i += 1;
        }
    }
    None
}

fn find(bytes: &[u8], from: usize, what: &[u8]) -> Option<usize> {
    let rest = bytes.get(from..)?;
    rest.windows(what.len())
        .position(|w| w == what)
        .map(|p| from + p)
}

fn skip_line(bytes: &[u8], i: usize) -> usize {
    memchr::memchr(b'\n', &bytes[i..]).map_or(bytes.len(), |p| i + p)
}
