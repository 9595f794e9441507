//! mdBook's file directives: `{{#include}}`, `{{#rustdoc_include}}`,
//! `{{#playground}}` and `{{#title}}`, expanded in a page's text before its
//! markdown is read. As in mdBook's `links` preprocessor the expansion is
//! textual (so it works in prose and inside code blocks, where it is mostly
//! used), included text is expanded in turn from its own folder, ten deep at
//! most, and `\{{#…}}` is written without its backslash.
//!
//! They work in both formats of book.toml: they cost nothing on a page that
//! does not use them, and an envbook directive is never written `{{#`.
//!
//! No I/O: files come from a [`Loader`], which also decides which files may
//! be read. Diagnostics point into the page as written: a [`Splices`] map
//! takes an offset of the expanded text back to the page.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock};

use regex::Regex;

use crate::diagnostic::{Diagnostic, Lines, closest, some_of};

/// Reads a file to include (a path as the page names it, joined to its
/// folder), or says why it cannot.
pub type Loader<'a> = &'a dyn Fn(&Path) -> Result<Arc<str>, Unreadable>;

/// Why a file cannot be included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable {
    pub why: String,
    /// There is no such file (rather than one refused or unreadable).
    pub missing: bool,
}

/// One page to expand.
pub struct Input<'a> {
    /// The page as named in diagnostics.
    pub file: &'a Path,
    /// The whole file, front matter included.
    pub text: &'a str,
    /// Where the markdown body starts: the front matter is left as it is.
    pub body_start: usize,
    /// The page's folder, which its paths are relative to.
    pub dir: &'a Path,
    pub load: Loader<'a>,
    /// The page is an mdBook book's: what mdBook's build lets pass, a file
    /// or an anchor that is not there, is a warning, and the page is what
    /// mdBook makes of it (the directive as written; nothing). Google's
    /// Comprehensive Rust has both.
    pub as_mdbook: bool,
}

/// A page with its file directives expanded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expansion {
    /// The whole file, expanded.
    pub text: Arc<str>,
    pub splices: Splices,
    /// Every file the page asked for, found or not (the preview server
    /// watches them), as the page's folder joined with the path written.
    pub files: Vec<PathBuf>,
    /// `{{#title …}}`: the page's HTML `<title>`.
    pub title: Option<String>,
    /// Its problems, at the page's directives.
    pub diagnostics: Vec<Diagnostic>,
}

/// Where the expanded text differs from the page: each directive replaced,
/// in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Splices(Vec<Splice>);

#[derive(Debug, Clone, PartialEq, Eq)]
struct Splice {
    expanded: Range<usize>,
    original: Range<usize>,
}

impl Splices {
    /// The range of the page that `range` of the expanded text came from: a
    /// position inside included text is the directive that brought it in.
    pub fn original(&self, range: Range<usize>) -> Range<usize> {
        let start = self.map(range.start, |s| s.original.start);
        let end = self.map(range.end, |s| s.original.end);
        start..end.max(start)
    }

    fn map(&self, offset: usize, inside: impl Fn(&Splice) -> usize) -> usize {
        let i = self.0.partition_point(|s| s.expanded.start <= offset);
        let Some(splice) = i.checked_sub(1).map(|i| &self.0[i]) else {
            return offset;
        };
        if offset < splice.expanded.end {
            inside(splice)
        } else {
            offset - splice.expanded.end + splice.original.end
        }
    }
}

/// mdBook's limit, which stops an include cycle.
const MAX_DEPTH: usize = 10;
/// How many files one page may include, however deep: files that include
/// each other several times each would otherwise grow a page exponentially
/// within the depth limit.
const MAX_FILES: usize = 1000;
/// How many bytes one page may include in all: a thousand large files would
/// otherwise make a page of gigabytes.
const MAX_BYTES: usize = 32 << 20;

/// mdBook's pattern, unchanged: an escaped directive runs to the last `}}`
/// of its line; a directive's arguments may not hold a `}`.
static DIRECTIVE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\\\{\{\#.*\}\}|\{\{\s*\#([a-zA-Z0-9_]+)\s+([^}]+)\}\}").expect("valid pattern")
});
static ANCHOR_START: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"ANCHOR:\s*([\w_-]+)").expect("valid pattern"));
static ANCHOR_END: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"ANCHOR_END:\s*([\w_-]+)").expect("valid pattern"));

/// Expands the file directives of `input`'s body. Every problem is reported
/// at the directive of the page it comes from (for a nested include, the
/// one that brought its file in); a directive that fails stays as written.
/// `None` for a page without file directives.
pub fn expand(input: &Input) -> Option<Expansion> {
    let body = &input.text[input.body_start..];
    if !body.contains("{{") || DIRECTIVE.find(body).is_none() {
        return None;
    }
    let mut run = Run {
        load: input.load,
        as_mdbook: input.as_mdbook,
        left: MAX_FILES,
        bytes_left: MAX_BYTES,
        files: Vec::new(),
        title: None,
    };
    let mut out = String::with_capacity(input.text.len() * 2);
    out.push_str(&input.text[..input.body_start]);
    let mut splices = Vec::new();
    let mut problems: Vec<(Range<usize>, Problem)> = Vec::new();
    let mut copied = input.body_start;
    for found in DIRECTIVE.captures_iter(body) {
        let whole = found.get(0).expect("a match");
        let range = input.body_start + whole.start()..input.body_start + whole.end();
        let Some(directive) = Directive::read(&found) else {
            problems.push((range, Problem::unknown(&found)));
            continue;
        };
        let mut found_problems = Vec::new();
        out.push_str(&input.text[copied..range.start]);
        let start = out.len();
        match run.render(&directive, input.dir, 0, &mut out, &mut found_problems) {
            Ok(()) => {
                splices.push(Splice {
                    expanded: start..out.len(),
                    original: range.clone(),
                });
                copied = range.end;
            }
            Err(()) => copied = range.start,
        }
        problems.extend(found_problems.into_iter().map(|p| (range.clone(), p)));
    }
    out.push_str(&input.text[copied..]);
    // A file included many times has its problems many times.
    let mut seen = std::collections::HashSet::new();
    problems.retain(|(range, p)| seen.insert((range.start, p.within.clone(), p.message.clone())));
    let diagnostics = match problems.is_empty() {
        true => Vec::new(),
        false => {
            let lines = Lines::new(input.text);
            problems
                .into_iter()
                .map(|(range, p)| p.diagnostic(input.file, &lines, range))
                .collect()
        }
    };
    Some(Expansion {
        text: out.into(),
        splices: Splices(splices),
        files: run.files,
        title: run.title,
        diagnostics,
    })
}

/// A problem found while expanding, to be reported at a directive of the page.
struct Problem {
    /// The included file the problem is in; `None` for the page itself.
    within: Option<PathBuf>,
    message: String,
    help: Option<String>,
    warning: bool,
}

impl Problem {
    fn error(message: String) -> Problem {
        Problem {
            within: None,
            message,
            help: None,
            warning: false,
        }
    }

    fn unknown(found: &regex::Captures) -> Problem {
        let name = found.get(1).map_or("", |m| m.as_str());
        Problem {
            within: None,
            message: format!("`{{{{#{name} …}}}}` is not a directive envbook knows: left as written"),
            help: Some(
                "envbook expands `{{#include}}`, `{{#rustdoc_include}}`, `{{#playground}}` and `{{#title}}`; another tool's preprocessor is not run (write `\\{{#` for a literal `{{#`)"
                    .into(),
            ),
            warning: true,
        }
    }

    fn diagnostic(self, file: &Path, lines: &Lines, range: Range<usize>) -> Diagnostic {
        let message = match &self.within {
            Some(within) => format!("in {}: {}", within.display(), self.message),
            None => self.message,
        };
        let mut d = Diagnostic::error(file, message).at_span_in(lines, range.start, range.end);
        d.help = self.help;
        if self.warning { d.warning() } else { d }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Directive<'a> {
    /// `\{{#…}}`: the text without its backslash.
    Escaped(&'a str),
    Include(&'a str, Part),
    RustdocInclude(&'a str, Part),
    Playground(&'a str, Vec<&'a str>),
    Title(&'a str),
}

/// Which lines of a file: a range of line indexes, or an anchor's.
#[derive(Debug, Clone, PartialEq)]
enum Part {
    Range(Option<usize>, Option<usize>),
    Anchor(String),
}

impl<'a> Directive<'a> {
    /// The directive `found` names, `None` for a name envbook does not know.
    fn read(found: &regex::Captures<'a>) -> Option<Directive<'a>> {
        let (Some(name), Some(rest)) = (found.get(1), found.get(2)) else {
            let whole = found.get(0).expect("a match").as_str();
            return Some(Directive::Escaped(&whole[1..]));
        };
        if name.as_str() == "title" {
            return Some(Directive::Title(rest.as_str().trim()));
        }
        let mut words = rest.as_str().split_whitespace();
        let path = words.next()?;
        let with_lines = |path: &'a str| {
            let (path, lines) = path
                .split_once(':')
                .map_or((path, None), |(p, l)| (p, Some(l)));
            (path, Part::parse(lines.unwrap_or("")))
        };
        Some(match name.as_str() {
            "include" => {
                let (path, lines) = with_lines(path);
                Directive::Include(path, lines)
            }
            "rustdoc_include" => {
                let (path, lines) = with_lines(path);
                Directive::RustdocInclude(path, lines)
            }
            "playground" | "playpen" => Directive::Playground(path, words.collect()),
            _ => return None,
        })
    }
}

impl Part {
    /// mdBook's forms: `2` (line 2), `:10` (to line 10), `2:` (from line 2),
    /// `2:10`; anything else that is not a number is an anchor's name.
    fn parse(spec: &str) -> Part {
        let mut parts = spec.splitn(3, ':');
        let first = parts.next();
        let start = match first.map(|s| (s, s.parse::<usize>())) {
            Some((_, Ok(n))) => Some(n.saturating_sub(1)),
            Some(("", _)) | None => None,
            Some((name, Err(_))) => return Part::Anchor(name.to_string()),
        };
        let end = parts.next().map(str::parse::<usize>);
        match (start, end) {
            (Some(start), Some(Ok(end))) => Part::Range(Some(start), Some(end)),
            (Some(start), Some(Err(_))) => Part::Range(Some(start), None),
            (Some(start), None) => Part::Range(Some(start), Some(start.saturating_add(1))),
            (None, Some(Ok(end))) => Part::Range(None, Some(end)),
            (None, _) => Part::Range(None, None),
        }
    }

    fn contains(&self, index: usize) -> bool {
        match self {
            Part::Range(start, end) => {
                start.is_none_or(|s| index >= s) && end.is_none_or(|e| index < e)
            }
            Part::Anchor(_) => false,
        }
    }
}

/// One page's expansion: what its directives found so far.
struct Run<'a> {
    load: Loader<'a>,
    as_mdbook: bool,
    /// How many more files may be read.
    left: usize,
    /// How many more bytes may be included.
    bytes_left: usize,
    files: Vec<PathBuf>,
    title: Option<String>,
}

impl Run<'_> {
    /// Writes what `directive` (in a text of folder `dir`, `depth` includes
    /// deep) stands for onto `out`, its included text expanded in turn.
    /// `Err` when the directive stays as written.
    fn render(
        &mut self,
        directive: &Directive,
        dir: &Path,
        depth: usize,
        out: &mut String,
        problems: &mut Vec<Problem>,
    ) -> Result<(), ()> {
        let (text, path) = match self.text_of(directive, dir, problems) {
            Ok(found) => found,
            Err(problem) => {
                problems.push(problem);
                return Err(());
            }
        };
        if depth >= MAX_DEPTH {
            problems.push(Problem::error(format!(
                "includes nested more than {MAX_DEPTH} deep: does a file include itself?"
            )));
            return Ok(());
        }
        let text = match &path {
            Some(path) => {
                let dir = path.parent().unwrap_or(Path::new(""));
                self.expand_nested(&text, dir, path, depth + 1, problems)
            }
            None => text,
        };
        // Each line after the first repeats what precedes the directive on
        // its line (a list item's indent, a `> `), as mdBook does. Found only
        // when needed: a long line of directives would be read once for each.
        let prefix = match text.trim_end_matches('\n').contains('\n') {
            true => out.rfind('\n').map_or(&out[..], |i| &out[i + 1..]),
            false => "",
        }
        .to_string();
        for (i, line) in text.lines().enumerate() {
            if i > 0 {
                out.push('\n');
                out.push_str(&prefix);
            }
            out.push_str(line);
        }
        Ok(())
    }

    /// The directives of `text`, a file included from `path`, expanded.
    fn expand_nested(
        &mut self,
        text: &str,
        dir: &Path,
        path: &Path,
        depth: usize,
        problems: &mut Vec<Problem>,
    ) -> String {
        if !text.contains("{{") {
            return text.to_string();
        }
        let mut out = String::with_capacity(text.len());
        let mut copied = 0;
        for found in DIRECTIVE.captures_iter(text) {
            let whole = found.get(0).expect("a match");
            let Some(directive) = Directive::read(&found) else {
                problems.push(Problem {
                    within: Some(path.to_path_buf()),
                    ..Problem::unknown(&found)
                });
                continue;
            };
            out.push_str(&text[copied..whole.start()]);
            let mut inner = Vec::new();
            let kept = self.render(&directive, dir, depth, &mut out, &mut inner);
            copied = if kept.is_ok() {
                whole.end()
            } else {
                whole.start()
            };
            problems.extend(inner.into_iter().map(|p| Problem {
                within: p.within.or_else(|| Some(path.to_path_buf())),
                ..p
            }));
        }
        out.push_str(&text[copied..]);
        out
    }

    /// The text `directive` stands for before its own directives are
    /// expanded, and the file it came from.
    fn text_of(
        &mut self,
        directive: &Directive,
        dir: &Path,
        problems: &mut Vec<Problem>,
    ) -> Result<(String, Option<PathBuf>), Problem> {
        let (path, lines, rustdoc) = match directive {
            Directive::Escaped(text) => return Ok((text.to_string(), None)),
            Directive::Title(title) => {
                self.title = Some(title.to_string());
                return Ok((String::new(), None));
            }
            Directive::Playground(path, attrs) => {
                let (text, path) = self.load(dir, path)?;
                let lang = match attrs.is_empty() {
                    true => "rust".to_string(),
                    false => format!("rust,{}", attrs.join(",")),
                };
                let newline = if text.ends_with('\n') { "" } else { "\n" };
                return Ok((format!("```{lang}\n{text}{newline}```\n"), Some(path)));
            }
            Directive::Include(path, lines) => (path, lines, false),
            Directive::RustdocInclude(path, lines) => (path, lines, true),
        };
        let (text, full) = self.load(dir, path)?;
        if let Part::Anchor(name) = lines
            && !anchor_names(&text).any(|a| a == name)
        {
            let problem = self.mdbook_lets_pass(missing_anchor(name, path, &text), true);
            if !problem.warning {
                return Err(problem);
            }
            problems.push(problem);
            return Ok((String::new(), Some(full)));
        }
        let taken = match (lines, rustdoc) {
            (Part::Anchor(name), false) => take_anchored(&text, name),
            (Part::Anchor(name), true) => hide_outside_anchor(&text, name),
            (range, false) => take_range(&text, range),
            (range, true) => hide_outside_range(&text, range),
        };
        Ok((taken, Some(full)))
    }

    fn load(&mut self, dir: &Path, path: &str) -> Result<(Arc<str>, PathBuf), Problem> {
        self.left = self.left.checked_sub(1).ok_or_else(|| {
            Problem::error(format!(
                "more than {MAX_FILES} files included into one page: does a file include itself?"
            ))
        })?;
        let full = dir.join(path);
        self.files.push(full.clone());
        let text = (self.load)(&full).map_err(|u| {
            self.mdbook_lets_pass(format!("cannot include `{path}`: {}", u.why), u.missing)
        })?;
        self.bytes_left = self.bytes_left.checked_sub(text.len()).ok_or_else(|| {
            Problem::error(format!(
                "more than {} MiB included into one page: does a file include itself?",
                MAX_BYTES >> 20
            ))
        })?;
        Ok((text, full))
    }

    /// The problem `message`, a warning in an mdBook book when mdBook's
    /// build goes on past it (`passes`).
    fn mdbook_lets_pass(&self, message: String, passes: bool) -> Problem {
        match self.as_mdbook && passes {
            true => Problem {
                help: Some(
                    "mdBook's build goes on past it, and so does envbook's in an mdBook book"
                        .into(),
                ),
                warning: true,
                ..Problem::error(message)
            },
            false => Problem::error(message),
        }
    }
}

fn missing_anchor(name: &str, path: &str, text: &str) -> String {
    let names: Vec<&str> = anchor_names(text).collect();
    let hint = match (closest(name, names.iter().copied()), names.is_empty()) {
        (Some(near), _) => format!(" (did you mean `{near}`?)"),
        (None, true) => " (it has no `ANCHOR:` lines)".to_string(),
        (None, false) => format!(" (its anchors: {})", some_of(names.iter().copied())),
    };
    format!("there is no anchor `{name}` in `{path}`{hint}")
}

fn anchor_names(text: &str) -> impl Iterator<Item = &str> {
    text.lines()
        .filter_map(|l| ANCHOR_START.captures(l))
        .filter_map(|c| c.get(1).map(|m| m.as_str()))
}

/// The anchor named by `line`'s `ANCHOR_END:`, if it has one.
fn end_of(line: &str) -> Option<&str> {
    ANCHOR_END
        .captures(line)
        .and_then(|c| c.get(1))
        .map(|m| m.as_str())
}

fn start_of(line: &str) -> Option<&str> {
    ANCHOR_START
        .captures(line)
        .and_then(|c| c.get(1))
        .map(|m| m.as_str())
}

/// mdBook's `take_lines`: the lines in the range, joined with `\n`.
fn take_range(text: &str, range: &Part) -> String {
    let lines: Vec<&str> = text
        .lines()
        .enumerate()
        .filter(|(i, _)| range.contains(*i))
        .map(|(_, l)| l)
        .collect();
    lines.join("\n")
}

/// mdBook's `take_anchored_lines`: the lines between `ANCHOR: name` and
/// its `ANCHOR_END`, without the anchor lines of other anchors inside.
fn take_anchored(text: &str, name: &str) -> String {
    let mut kept = Vec::new();
    let mut inside = false;
    for line in text.lines() {
        if inside {
            match end_of(line) {
                Some(end) if end == name => break,
                Some(_) => {}
                None if start_of(line).is_none() => kept.push(line),
                None => {}
            }
        } else if start_of(line) == Some(name) {
            inside = true;
        }
    }
    kept.join("\n")
}

/// mdBook's `take_rustdoc_include_lines`: every line, those outside the
/// range hidden (`# `).
fn hide_outside_range(text: &str, range: &Part) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for (i, line) in text.lines().enumerate() {
        if !range.contains(i) {
            out.push_str("# ");
        }
        out.push_str(line);
        out.push('\n');
    }
    out.pop();
    out
}

/// mdBook's `take_rustdoc_include_anchored_lines`: the anchor's lines as
/// they are, the others hidden (`# `), anchor lines left out.
fn hide_outside_anchor(text: &str, name: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    let mut inside = false;
    for line in text.lines() {
        if inside {
            match end_of(line) {
                Some(end) if end == name => inside = false,
                Some(_) => {}
                None if start_of(line).is_none() => {
                    out.push_str(line);
                    out.push('\n');
                }
                None => {}
            }
        } else if let Some(start) = start_of(line) {
            inside = start == name;
        } else if end_of(line).is_none() {
            out.push_str("# ");
            out.push_str(line);
            out.push('\n');
        }
    }
    out.pop();
    out
}

#[cfg(test)]
mod tests;
