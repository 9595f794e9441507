//! `{{ matrix(…) }}`, `{{ shared() }}` and `{{ value(…) }}` in markdown: found
//! outside code, parsed, and expanded to HTML from the environment data.
//! No I/O.

use std::fmt::Write;
use std::ops::Range;

use pulldown_cmark::{Event, Parser, Tag, TagEnd};
use pulldown_cmark_escape::escape_html;

use crate::data::{Cell, Data, Format, Origin, Reads, Setting};
use crate::diagnostic::{Hints, did_you_mean, some_of};
use crate::markdown::{Ids, inline};
use crate::matrix::{self, State};

/// A parsed directive: `name(key=value, …)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub name: String,
    pub args: Vec<(String, Arg)>,
    /// The whole `{{ … }}` in the markdown body.
    pub range: Range<usize>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    Str(String),
    Bool(bool),
    List(Vec<String>),
}

/// A directive that could not be read, with its place in the body.
#[derive(Debug, Clone, PartialEq)]
pub struct Malformed {
    pub range: Range<usize>,
    pub message: String,
}

/// Every `{{ name(…) }}` of `body` outside code spans, code blocks, raw HTML
/// and the text of inline `<code>` and `<pre>`, in order. Only calls are
/// directives: `{{ word }}` (as docs about Handlebars write it) and mdBook's
/// `{{#name …}}` (expanded before, or another tool's) are text. `\{{` is a
/// literal `{{` (markdown's backslash escape shows it as text). Linear in the
/// length of `body`, however many `{{` it has.
pub fn find(body: &str) -> (Vec<Call>, Vec<Malformed>) {
    let mut calls = Vec::new();
    let mut problems = Vec::new();
    if !body.contains("{{") {
        return (calls, problems);
    }
    let skip = code_ranges(body);
    let mut skip = skip.iter().peekable();
    let mut line = Closings::default();
    let mut from = 0;
    while let Some(i) = body[from..].find("{{").map(|i| i + from) {
        from = i + 2;
        while skip.next_if(|r| r.end <= i).is_some() {}
        if skip.peek().is_some_and(|r| r.contains(&i)) || is_escaped(body, i) {
            continue;
        }
        let Some((name, open)) = call_start(&body[i + 2..]) else {
            continue;
        };
        let Some(end) = line.of(body, i) else {
            let message = "this `{{` has no `}}` on its line".to_string();
            problems.push(Malformed {
                range: i..i + 2,
                message: message + " (write `\\{{` for a literal `{{`)",
            });
            continue;
        };
        let range = i..end + 2;
        from = range.end;
        match parse_args(name, body[i + 2 + open..end].trim_end()) {
            Ok(args) => calls.push(Call {
                name: name.to_string(),
                args,
                range,
            }),
            Err(message) => problems.push(Malformed { range, message }),
        }
    }
    (calls, problems)
}

/// Whether the `{{` at `i` follows an odd number of backslashes (`\\{{` is
/// an escaped backslash, then a directive).
fn is_escaped(body: &str, i: usize) -> bool {
    body[..i].bytes().rev().take_while(|&b| b == b'\\').count() % 2 == 1
}

/// Where directives are not evaluated: code spans, code blocks, raw HTML and
/// the text of inline `<code>…</code>` and `<pre>…</pre>`; sorted.
fn code_ranges(body: &str) -> Vec<Range<usize>> {
    let mut ranges = Vec::new();
    let mut block_start = None;
    // The open inline `<code>` or `<pre>`: its tag, start, and the depth of
    // markdown elements it is in (it ends with them if not closed).
    let mut html_code: Option<(&str, usize, usize)> = None;
    let mut depth = 0usize;
    for (event, range) in Parser::new_ext(body, crate::markdown::OPTIONS).into_offset_iter() {
        match event {
            Event::InlineHtml(html) => {
                match html_code {
                    None => html_code = code_tag(&html, "<").map(|t| (t, range.start, depth)),
                    Some((tag, start, _)) if code_tag(&html, "</") == Some(tag) => {
                        ranges.push(start..range.end);
                        html_code = None;
                    }
                    Some(_) => {}
                }
                ranges.push(range);
            }
            Event::Code(_) | Event::Html(_) => ranges.push(range),
            Event::Start(tag) => {
                depth += 1;
                if let Tag::CodeBlock(_) = tag {
                    block_start = Some(range.start);
                }
            }
            Event::End(tag) => {
                depth = depth.saturating_sub(1);
                if tag == TagEnd::CodeBlock {
                    ranges.push(block_start.take().unwrap_or(range.start)..range.end);
                }
                if let Some((_, start, open_depth)) = html_code
                    && depth < open_depth
                {
                    ranges.push(start..range.end);
                    html_code = None;
                }
            }
            _ => {}
        }
    }
    // Outer ranges before the ones they hold, so the first not yet passed holds them all.
    ranges.sort_by_key(|r| (r.start, std::cmp::Reverse(r.end)));
    ranges
}

/// `code` or `pre` when `html` is such a tag opening with `open` (`<` or `</`).
fn code_tag(html: &str, open: &str) -> Option<&'static str> {
    let rest = html.strip_prefix(open)?;
    ["code", "pre"].into_iter().find(|tag| {
        rest.get(..tag.len())
            .is_some_and(|name| name.eq_ignore_ascii_case(tag))
            && rest[tag.len()..].starts_with(|c: char| c == '>' || c.is_ascii_whitespace())
    })
}

/// For every `{{` of one line, the `}}` that closes it, skipping quoted
/// strings: found in one pass from the end of the line, because scanning
/// from each `{{` in turn reads a line of n of them n times.
#[derive(Default)]
struct Closings {
    /// The part of the body the answers are for: from its first `{{` to the line's end.
    span: Range<usize>,
    /// (offset just after a `{{`, offset of its `}}`), in order.
    found: Vec<(usize, Option<usize>)>,
}

impl Closings {
    /// The offset of the `}}` that closes the `{{` at `i`.
    fn of(&mut self, body: &str, i: usize) -> Option<usize> {
        if !self.span.contains(&i) {
            let end = body[i..].find('\n').map_or(body.len(), |n| i + n);
            self.span = i..end;
            self.found = closings(&body.as_bytes()[i..end], i);
        }
        let at = self.found.binary_search_by_key(&(i + 2), |f| f.0).ok()?;
        self.found[at].1
    }
}

/// The closing `}}` of each `{{` in `line` (which starts at `base`). Scanning
/// from `p` outside a string finds `out[p]`, inside one `inside[p]`; both
/// depend only on the next two positions, so two of each are kept. Bytes, not
/// characters, are enough: `"`, `\` and `}` are ASCII, never part of another
/// character.
fn closings(line: &[u8], base: usize) -> Vec<(usize, Option<usize>)> {
    // [at p + 1, at p + 2] of (outside, inside).
    let mut next = [(None, None); 2];
    let mut found = Vec::new();
    if line.ends_with(b"{{") {
        found.push((base + line.len(), None));
    }
    for p in (0..line.len()).rev() {
        let out = match line[p] {
            b'}' if line.get(p + 1) == Some(&b'}') => Some(base + p),
            b'"' => next[0].1,
            _ => next[0].0,
        };
        let inside = match line[p] {
            b'"' => next[0].0,
            b'\\' => next[1].1,
            _ => next[0].1,
        };
        next = [(out, inside), next[0]];
        if p >= 2 && &line[p - 2..p] == b"{{" {
            found.push((base + p, out));
        }
    }
    found.reverse();
    found
}

/// The name of the directive that `rest` (what follows a `{{`) starts
/// (white space, a name, white space, `(`), and the length up to its `(`
/// included.
fn call_start(rest: &str) -> Option<(&str, usize)> {
    // White space of the line, no-break and ideographic spaces included.
    let space = |c: char| c.is_whitespace() && c != '\n';
    let name_start = rest.len() - rest.trim_start_matches(space).len();
    let name_len = rest[name_start..]
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(rest.len() - name_start);
    let name_end = name_start + name_len;
    let paren = rest.len() - rest[name_end..].trim_start_matches(space).len();
    (name_len > 0 && rest[paren..].starts_with('('))
        .then(|| (&rest[name_start..name_end], paren + 1))
}

/// The arguments of `name(key=value, …)`, from what follows the `(`.
fn parse_args(name: &str, rest: &str) -> Result<Vec<(String, Arg)>, String> {
    let inner = rest
        .strip_suffix(')')
        .ok_or_else(|| format!("`{name}(` is not closed with `)`"))?;
    let mut args = Vec::new();
    let mut p = ArgParser { s: inner, i: 0 };
    while p.skip_ws() {
        let key = p
            .word()
            .ok_or_else(|| "expected an argument name such as `section=`".to_string())?;
        p.skip_ws();
        if !p.eat('=') {
            return Err(format!("expected `=` after `{key}`"));
        }
        p.skip_ws();
        let value = p.value().map_err(|e| format!("{e} for `{key}`"))?;
        args.push((key, value));
        p.skip_ws();
        if !p.eat(',') && p.i < p.s.len() {
            return Err("expected `,` between arguments".into());
        }
    }
    Ok(args)
}

struct ArgParser<'a> {
    s: &'a str,
    i: usize,
}

impl ArgParser<'_> {
    /// Skips white space; false at the end.
    fn skip_ws(&mut self) -> bool {
        let rest = &self.s[self.i..];
        self.i += rest.len() - rest.trim_start().len();
        self.i < self.s.len()
    }

    fn eat(&mut self, c: char) -> bool {
        let found = self.s[self.i..].starts_with(c);
        if found {
            self.i += c.len_utf8();
        }
        found
    }

    fn word(&mut self) -> Option<String> {
        let len = self.s[self.i..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(self.s.len() - self.i);
        let word = &self.s[self.i..self.i + len];
        self.i += len;
        (!word.is_empty()).then(|| word.to_string())
    }

    fn string(&mut self) -> Result<String, String> {
        let mut out = String::new();
        let mut chars = self.s[self.i + 1..].char_indices();
        while let Some((j, c)) = chars.next() {
            match c {
                '"' => {
                    self.i += j + 2;
                    return Ok(out);
                }
                '\\' => out.extend(chars.next().map(|(_, c)| c)),
                c => out.push(c),
            }
        }
        Err("a string is not closed with `\"`".into())
    }

    fn value(&mut self) -> Result<Arg, String> {
        if self.s[self.i..].starts_with('"') {
            return self.string().map(Arg::Str);
        }
        if self.eat('[') {
            let mut items = Vec::new();
            loop {
                self.skip_ws();
                if self.eat(']') {
                    return Ok(Arg::List(items));
                }
                if !self.s[self.i..].starts_with('"') {
                    return Err("expected a list of strings such as `[\"dev\", \"prod\"]`".into());
                }
                items.push(self.string()?);
                self.skip_ws();
                if !self.eat(',') && !self.s[self.i..].starts_with(']') {
                    return Err("expected `,` or `]` in the list".into());
                }
            }
        }
        match self.word().as_deref() {
            Some("true") => Ok(Arg::Bool(true)),
            Some("false") => Ok(Arg::Bool(false)),
            _ => Err("expected a \"string\", true, false or a [list]".into()),
        }
    }
}

/// What each directive accepts.
const DIRECTIVES: &[(&str, &[&str])] = &[
    ("matrix", &["section", "all", "envs"]),
    ("shared", &["section"]),
    ("value", &["key", "env"]),
];

/// What `calls` read of the data: a section with the environments it
/// shows. A call whose arguments are wrong reads it all (its page shows
/// the problem until the data or the call changes).
pub fn reads(calls: &[Call]) -> Reads {
    let mut reads = Reads::default();
    for call in calls {
        let arg = |key: &str| match call.args.iter().find(|(k, _)| k == key) {
            Some((_, Arg::Str(s))) => Some(s.clone()),
            _ => None,
        };
        let envs = match call.args.iter().find(|(k, _)| k == "envs") {
            Some((_, Arg::List(ids))) => Some(ids.clone()),
            _ => None,
        };
        let read = match call.name.as_str() {
            "matrix" => arg("section").map(|s| (s, envs)),
            "shared" => arg("section").map(|s| (s, None)),
            "value" => arg("key")
                .zip(arg("env"))
                .and_then(|(key, env)| Some((key.split_once('.')?.0.to_string(), Some(vec![env])))),
            _ => None,
        };
        match read {
            Some(read) => reads.sections.push(read),
            None => reads.all = true,
        }
    }
    reads
}

/// Whether the directive makes a block (a table, a list) rather than inline text.
pub fn is_block(name: &str) -> bool {
    matches!(name, "matrix" | "shared")
}

/// What the directives of one page share: its ids (see [`Ids`]) and its
/// budget of "did you mean" hints.
#[derive(Debug, Default)]
pub struct PageScope {
    pub ids: Ids,
    pub hints: Hints,
    /// The matrices' legend was shown (once per page).
    pub legend: bool,
}

/// Expands directives with the site's environment data.
pub struct Expander<'a> {
    pub data: Option<&'a Data>,
}

impl Expander<'_> {
    /// The HTML for `call`; `block` when it stands alone on its line. Rows
    /// take their ids from the page's.
    pub fn expand(&self, call: &Call, block: bool, page: &mut PageScope) -> Result<String, String> {
        let Some((_, known)) = DIRECTIVES.iter().find(|(name, _)| *name == call.name) else {
            let help = did_you_mean(&call.name, DIRECTIVES.iter().map(|(n, _)| *n))
                .map(|h| format!(" ({h})"))
                .unwrap_or_default();
            return Err(format!(
                "unknown directive `{}`{help}; the directives are matrix(), shared() and value()",
                call.name
            ));
        };
        for (key, _) in &call.args {
            if !known.contains(&key.as_str()) {
                let help = did_you_mean(key, known.iter().copied())
                    .map(|h| format!(" ({h})"))
                    .unwrap_or_default();
                return Err(format!("`{}()` has no argument `{key}`{help}", call.name));
            }
        }
        let data = self
            .data
            .ok_or("this site has no environment data (data/environments.yaml)")?;
        let args = Args {
            call,
            data,
            hints: &page.hints,
        };
        match call.name.as_str() {
            "matrix" if block => matrix_table(&args, &mut page.ids, &mut page.legend),
            "shared" if block => shared_list(&args, &mut page.ids),
            "value" => value(&args),
            name => Err(format!(
                "`{name}()` makes a block: put it on a line of its own"
            )),
        }
    }
}

/// A call's arguments, checked against the data.
struct Args<'a> {
    call: &'a Call,
    data: &'a Data,
    hints: &'a Hints,
}

impl<'a> Args<'a> {
    fn get(&self, key: &str) -> Option<&'a Arg> {
        self.call
            .args
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }

    fn string(&self, key: &str) -> Result<Option<&'a str>, String> {
        match self.get(key) {
            None => Ok(None),
            Some(Arg::Str(s)) => Ok(Some(s)),
            Some(_) => Err(format!("`{key}` is a string: `{key}=\"…\"`")),
        }
    }

    fn required(&self, key: &str) -> Result<&'a str, String> {
        self.string(key)?
            .ok_or_else(|| format!("`{}()` needs `{key}=\"…\"`", self.call.name))
    }

    fn flag(&self, key: &str) -> Result<bool, String> {
        match self.get(key) {
            None => Ok(false),
            Some(Arg::Bool(b)) => Ok(*b),
            Some(_) => Err(format!("`{key}` is `true` or `false`")),
        }
    }

    fn env(&self, id: &str) -> Result<usize, String> {
        self.data
            .env_index(id)
            .ok_or_else(|| self.unknown("environment", id, self.data.env_ids()))
    }

    /// `envs=[…]`, or every environment.
    fn envs(&self) -> Result<Vec<usize>, String> {
        match self.get("envs") {
            None => Ok((0..self.data.environments.len()).collect()),
            Some(Arg::List(ids)) if !ids.is_empty() => ids.iter().map(|id| self.env(id)).collect(),
            Some(_) => {
                Err("`envs` is a list of environment ids: `envs=[\"staging\", \"prod\"]`".into())
            }
        }
    }

    fn section(&self) -> Result<&'a crate::data::Section, String> {
        let id = self.required("section")?;
        self.data.section(id).ok_or_else(|| {
            let known = self.data.sections.iter().map(|s| s.id.as_str());
            self.unknown("section", id, known)
        })
    }

    fn unknown<'k>(
        &self,
        what: &str,
        id: &str,
        known: impl Iterator<Item = &'k str> + Clone,
    ) -> String {
        let help = match self.hints.did_you_mean(id, known.clone()) {
            Some(h) => h,
            None => format!("the {what}s are: {}", some_of(known)),
        };
        format!("unknown {what} `{id}` ({help})")
    }
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    escape_html(&mut out, s).ok();
    out
}

/// A cell as HTML, and where it was read from when it was.
fn cell_html(cell: &Cell, origin: Option<&Origin>) -> String {
    let value = value_html(cell);
    let Some(origin) = origin else {
        return value;
    };
    // Shown on hover and focus; read out by screen readers; a link to the
    // line when the site says where the repository is.
    let from = escape(&format!("from {origin}"));
    let hidden = format!("<span class=\"visually-hidden\">{from}</span>");
    match &origin.link {
        Some(link) => format!(
            "{value}<a class=\"from\" href=\"{}\" title=\"{from}\">{hidden}</a>",
            escape(link)
        ),
        None => {
            format!("{value}<span class=\"from\" tabindex=\"0\" title=\"{from}\">{hidden}</span>")
        }
    }
}

/// A value as HTML: code, text, inline markdown, or — for nothing.
fn value_html(cell: &Cell) -> String {
    match cell {
        Cell::Empty => "—".into(),
        Cell::Value {
            text,
            format: Format::Code,
        } => format!("<code>{}</code>", escape(text)),
        Cell::Value {
            text,
            format: Format::Text,
        } => escape(text),
        Cell::Value {
            text,
            format: Format::Markdown,
        } => inline(text),
    }
}

fn row_link(key: &str) -> String {
    let key = escape(key);
    format!(
        "<a class=\"row-link\" href=\"#{key}\" title=\"Link to this row\" aria-label=\"Link to this row\">🔗</a>"
    )
}

/// ` id="KEY"` when the page has no element with that id yet: a row shown in
/// several tables of a page keeps its id in the first, and the others' 🔗
/// lead there.
fn id_attr(key: &str, ids: &mut Ids) -> String {
    if ids.reserve(key) {
        format!(" id=\"{}\"", escape(key))
    } else {
        String::new()
    }
}

fn matrix_table(args: &Args, ids: &mut Ids, legend: &mut bool) -> Result<String, String> {
    let section = args.section()?;
    let envs = args.envs()?;
    let rows = matrix::rows(section, &envs, args.flag("all")?);
    let environments = &args.data.environments;
    let titles: Vec<String> = envs
        .iter()
        .map(|&e| escape(&environments[e].title))
        .collect();
    if rows.is_empty() {
        let text = match titles.as_slice() {
            [one] => format!(
                "One environment, {one}, differs from nothing here: add <code>all=true</code> to list its settings."
            ),
            [init @ .., last] => format!(
                "No setting here differs between {} and {last}.",
                init.join(", ")
            ),
            [] => unreachable!("envs is never empty"),
        };
        return Ok(format!("<p class=\"matrix-empty\">{text}</p>\n"));
    }
    let mut html = String::with_capacity(256 + rows.len() * 200);
    let _ = write!(
        html,
        "<div class=\"matrix-wrap\"><table class=\"matrix\" data-section=\"{}\">\n<thead><tr><th scope=\"col\">{}</th>",
        escape(&section.id),
        inline(&section.label_header)
    );
    // The environment's id lets matrix.js pick columns by environment.
    for (title, &e) in titles.iter().zip(&envs) {
        let id = escape(&environments[e].id);
        let _ = write!(html, "<th scope=\"col\" data-env=\"{id}\">{title}</th>");
    }
    html.push_str("</tr></thead>\n<tbody>\n");
    let mut odd = false;
    for row in rows {
        // A row the same everywhere, in a table of several environments, is muted.
        let shared = match row.shared && envs.len() > 1 {
            true => " class=\"shared\"",
            false => "",
        };
        let _ = write!(
            html,
            "<tr{}{shared}><th scope=\"row\">{} {}</th>",
            id_attr(&row.setting.key, ids),
            inline(&row.setting.label),
            row_link(&row.setting.key)
        );
        for ((cell, state), &e) in row.cells.into_iter().zip(&envs) {
            let class = match state {
                State::Same => "same",
                State::Differs => "differs",
                State::Odd => "differs odd",
                State::Missing => "missing",
            };
            odd |= state == State::Odd;
            let origin = row.setting.origins.get(e).and_then(Option::as_ref);
            let _ = write!(
                html,
                "<td class=\"{class}\">{}</td>",
                cell_html(cell, origin)
            );
        }
        html.push_str("</tr>\n");
    }
    html.push_str("</tbody>\n</table></div>\n");
    if odd && !*legend {
        *legend = true;
        html.push_str(LEGEND);
    }
    Ok(html)
}

/// Under a page's first matrix with a marked cell.
const LEGEND: &str = "<p class=\"matrix-legend\"><span class=\"odd\">Marked</span>: differs from most environments.</p>\n";

fn shared_list(args: &Args, ids: &mut Ids) -> Result<String, String> {
    let settings: Vec<&Setting> = match args.string("section")? {
        Some(_) => {
            let all: Vec<usize> = (0..args.data.environments.len()).collect();
            args.section()?
                .settings
                .iter()
                .filter(|s| matrix::is_shared(s, &all))
                .collect()
        }
        None => matrix::shared(args.data),
    };
    let mut html = String::from("<ul class=\"shared-list\">\n");
    for setting in settings {
        let _ = write!(
            html,
            "<li{}>{}",
            id_attr(&setting.key, ids),
            inline(&setting.label)
        );
        if let Some(cell @ Cell::Value { .. }) = setting.cells.first() {
            let origin = setting.origins.first().and_then(Option::as_ref);
            let _ = write!(html, ": {}", cell_html(cell, origin));
        }
        if let Some(note) = &setting.note {
            let _ = write!(html, " — {}", inline(note));
        }
        let _ = writeln!(html, " {}</li>", row_link(&setting.key));
    }
    html.push_str("</ul>\n");
    Ok(html)
}

fn value(args: &Args) -> Result<String, String> {
    let key = args.required("key")?;
    let env = args.env(args.required("env")?)?;
    let setting = args
        .data
        .setting(key)
        .ok_or_else(|| args.unknown("key", key, args.data.keys()))?;
    let origin = setting.origins.get(env).and_then(Option::as_ref);
    Ok(cell_html(&setting.cells[env], origin))
}

#[cfg(test)]
mod tests;
