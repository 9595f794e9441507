//! Markdown to HTML: pulldown-cmark's events, transformed step by step
//! (heading ids, links, code highlighting, alerts, footnotes), then written
//! out by pulldown-cmark's HTML writer. No I/O.

mod highlight;
mod ids;
mod inline;
mod links;

use std::collections::HashMap;
use std::fmt::Write;
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use pulldown_cmark::{BlockQuoteKind, CodeBlockKind, CowStr, Event, Options, Parser, Tag, TagEnd};
use pulldown_cmark_escape::{escape_href, escape_html};

use crate::diagnostic::Diagnostic;
use crate::directives::{self, Call, Expander};
pub use highlight::Highlighter;
use highlight::OverBudget;
pub use ids::slug;
pub use inline::inline;
pub use links::{LinkContext, Target};

pub(crate) const OPTIONS: Options = Options::ENABLE_TABLES
    .union(Options::ENABLE_FOOTNOTES)
    .union(Options::ENABLE_STRIKETHROUGH)
    .union(Options::ENABLE_TASKLISTS)
    .union(Options::ENABLE_HEADING_ATTRIBUTES)
    .union(Options::ENABLE_GFM);

/// One page's markdown and what it needs from the rest of the site.
pub struct Input<'a> {
    /// The page file, as named in diagnostics.
    pub file: &'a Path,
    /// The whole file, front matter included, for positions.
    pub text: &'a str,
    /// Where the markdown body starts in `text`.
    pub body_start: usize,
    pub links: LinkContext<'a>,
    pub highlighter: &'a Highlighter,
    pub expander: &'a Expander<'a>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heading {
    pub level: u8,
    pub id: String,
    /// The heading's inline HTML (links removed), for a table of contents.
    pub html: String,
    pub text: String,
}

/// A link or image found on the page, for link checking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub dest: String,
    pub target: Target,
    pub text: String,
    /// Where the link is written in the whole file (byte offsets).
    pub span: Range<usize>,
}

#[derive(Debug, Default, Clone)]
pub struct Rendered {
    pub html: String,
    /// The page has a `#` heading (see [`title`]).
    pub has_title: bool,
    /// The page has directives: it changes when the data does.
    pub uses_data: bool,
    pub headings: Vec<Heading>,
    /// Shared: the preview server's cache hands them to every build.
    pub links: Arc<[Link]>,
    pub diagnostics: Vec<Diagnostic>,
}

type Spanned<'a> = (Event<'a>, Range<usize>);

pub fn render(input: &Input) -> Rendered {
    let body = &input.text[input.body_start..];
    let mut out = Rendered::default();
    let (calls, with_placeholders) = find_directives(body, input, &mut out);
    out.uses_data = !calls.is_empty();
    let source = with_placeholders.as_deref().unwrap_or(body);
    let events: Vec<Spanned> = Parser::new_ext(source, OPTIONS)
        .into_offset_iter()
        .collect();
    let events = expand_directives(events, &calls, input, &mut out);
    let events = headings(events, input, &mut out);
    let events = rewrite_links(events, input, &mut out);
    let events = code_blocks(events, input, &mut out);
    let events = alerts(events);
    let events = footnotes(events);
    out.html.reserve(body.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut out.html, events.into_iter());
    out.has_title = out.headings.iter().any(|h| h.level == 1);
    out
}

/// Finds the directives of `body` and, when there are any, returns the body
/// with each replaced by a placeholder of the same length (so every offset
/// still points into the page), which markdown reads as a plain word.
fn find_directives(body: &str, input: &Input, out: &mut Rendered) -> (Vec<Call>, Option<String>) {
    let (calls, malformed) = directives::find(body);
    for m in malformed {
        out.diagnostics
            .push(directive_error(input, &m.range, m.message));
    }
    if calls.is_empty() || body.contains(PLACEHOLDER_START) {
        return (calls, None);
    }
    let mut text = body.to_string();
    for (i, call) in calls.iter().enumerate() {
        let digits = i.to_string();
        let fixed = PLACEHOLDER_START.len_utf8() + digits.len() + PLACEHOLDER_END.len_utf8();
        // The shortest directive, `{{value()}}`, leaves room for 100,000 of them.
        let pad = call.range.len().saturating_sub(fixed);
        let placeholder = format!(
            "{PLACEHOLDER_START}{digits}{}{PLACEHOLDER_END}",
            "x".repeat(pad)
        );
        if placeholder.len() == call.range.len() {
            text.replace_range(call.range.clone(), &placeholder);
        }
    }
    (calls, Some(text))
}

/// Private-use characters: never in real text, never markdown syntax.
const PLACEHOLDER_START: char = '\u{E000}';
const PLACEHOLDER_END: char = '\u{E001}';

fn directive_error(input: &Input, range: &Range<usize>, message: String) -> Diagnostic {
    let start = input.body_start + range.start;
    Diagnostic::error(input.file, message).at_span(input.text, start, input.body_start + range.end)
}

/// Replaces each placeholder with its directive's HTML: a block directive
/// alone in its paragraph replaces the paragraph; the rest is inline HTML.
fn expand_directives<'a>(
    events: Vec<Spanned<'a>>,
    calls: &[Call],
    input: &Input,
    out: &mut Rendered,
) -> Vec<Spanned<'a>> {
    if calls.is_empty() {
        return events;
    }
    let mut expand = |index: usize, block: bool| -> String {
        let call = &calls[index];
        input
            .expander
            .expand(call, block)
            .unwrap_or_else(|message| {
                out.diagnostics
                    .push(directive_error(input, &call.range, message));
                String::new()
            })
    };
    let mut result = Vec::with_capacity(events.len());
    let mut i = 0;
    while i < events.len() {
        if let (
            Event::Start(Tag::Paragraph),
            Some((Event::Text(t), _)),
            Some((Event::End(TagEnd::Paragraph), _)),
        ) = (&events[i].0, events.get(i + 1), events.get(i + 2))
            && let [Piece::Directive(index)] = split_placeholders(t).as_slice()
            && directives::is_block(&calls[*index].name)
        {
            result.push((
                Event::Html(expand(*index, true).into()),
                events[i].1.clone(),
            ));
            i += 3;
            continue;
        }
        let (event, range) = events[i].clone();
        i += 1;
        match event {
            Event::Text(t) if t.contains(PLACEHOLDER_START) => {
                for piece in split_placeholders(&t) {
                    let event = match piece {
                        Piece::Text(s) => Event::Text(s.to_string().into()),
                        Piece::Directive(index) => Event::InlineHtml(expand(index, false).into()),
                    };
                    result.push((event, range.clone()));
                }
            }
            other => result.push((other, range)),
        }
    }
    result
}

enum Piece<'t> {
    Text(&'t str),
    Directive(usize),
}

/// Text and directive placeholders, in order (empty text left out).
fn split_placeholders(text: &str) -> Vec<Piece<'_>> {
    let mut pieces = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(PLACEHOLDER_START) {
        let after = &rest[start + PLACEHOLDER_START.len_utf8()..];
        let Some(end) = after.find(PLACEHOLDER_END) else {
            break;
        };
        let digits: String = after[..end]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        let Ok(index) = digits.parse() else { break };
        if start > 0 {
            pieces.push(Piece::Text(&rest[..start]));
        }
        pieces.push(Piece::Directive(index));
        rest = &after[end + PLACEHOLDER_END.len_utf8()..];
    }
    if !rest.is_empty() {
        pieces.push(Piece::Text(rest));
    }
    pieces
}

/// The text of the first `#` heading, without rendering the page: titles are
/// needed for the navigation before any page is rendered.
pub fn title(body: &str) -> Option<String> {
    // Most pages open with their `# Title`: on a document's first line that
    // is always a heading, so only that line needs reading.
    let first = body.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let source = if first.starts_with("# ") { first } else { body };
    // A directive in the title is left out: titles are plain text, read
    // before any directive is expanded.
    let mut source = std::borrow::Cow::Borrowed(source);
    if source.contains("{{") {
        let calls = directives::find(&source).0;
        for call in calls.iter().rev() {
            source.to_mut().replace_range(call.range.clone(), "");
        }
    }
    let mut events = Parser::new_ext(&source, OPTIONS);
    events.find(|e| {
        matches!(
            e,
            Event::Start(Tag::Heading {
                level: pulldown_cmark::HeadingLevel::H1,
                ..
            })
        )
    })?;
    let inner: Vec<Event> = events
        .take_while(|e| !matches!(e, Event::End(TagEnd::Heading(_))))
        .collect();
    Some(plain_text(inner.iter()))
}

/// Gives every heading an id (its `{#id}` or GitHub's slug, unique on the
/// page) and a `¶` permalink.
fn headings<'a>(events: Vec<Spanned<'a>>, input: &Input, out: &mut Rendered) -> Vec<Spanned<'a>> {
    let mut ids = ids::Ids::default();
    for (event, range) in &events {
        if let Event::Start(Tag::Heading { id: Some(id), .. }) = event
            && !ids.reserve(id)
        {
            let start = input.body_start + range.start;
            out.diagnostics.push(
                Diagnostic::error(input.file, format!("duplicate heading id `{id}`"))
                    .at_span(input.text, start, input.body_start + range.end)
                    .with_help("each `{#id}` must be unique on its page"),
            );
        }
    }
    let mut result = Vec::with_capacity(events.len());
    let mut iter = events.into_iter();
    while let Some((event, range)) = iter.next() {
        let Event::Start(Tag::Heading {
            level,
            id,
            classes,
            attrs,
        }) = event
        else {
            result.push((event, range));
            continue;
        };
        let inner: Vec<Spanned> = iter
            .by_ref()
            .take_while(|(e, _)| !matches!(e, Event::End(TagEnd::Heading(_))))
            .collect();
        let text = plain_text(inner.iter().map(|(e, _)| e));
        let id = match id {
            Some(id) => id.to_string(),
            None => ids.unique(&ids::slug(&text)),
        };
        let mut open = format!("<{level} id=\"");
        escape_html(&mut open, &id).ok();
        open.push('"');
        write_classes_and_attrs(&mut open, &classes, &attrs);
        open.push('>');
        let close = format!(
            "<a class=\"headerlink\" href=\"#{}\" title=\"Link to this heading\">¶</a></{level}>\n",
            href_fragment(&id)
        );
        out.headings.push(Heading {
            level: level as u8,
            html: inline_html(inner.iter().map(|(e, _)| e.clone())),
            id,
            text,
        });
        result.push((Event::Html(open.into()), range.clone()));
        result.extend(inner);
        result.push((Event::Html(close.into()), range));
    }
    result
}

fn write_classes_and_attrs(
    out: &mut String,
    classes: &[CowStr],
    attrs: &[(CowStr, Option<CowStr>)],
) {
    if !classes.is_empty() {
        out.push_str(" class=\"");
        escape_html(&mut *out, &classes.join(" ")).ok();
        out.push('"');
    }
    for (key, value) in attrs {
        out.push(' ');
        escape_html(&mut *out, key).ok();
        if let Some(value) = value {
            out.push_str("=\"");
            escape_html(&mut *out, value).ok();
            out.push('"');
        }
    }
}

fn href_fragment(id: &str) -> String {
    let mut s = String::new();
    escape_href(&mut s, id).ok();
    s
}

/// The text of inline events, as a reader sees it.
fn plain_text<'a>(events: impl Iterator<Item = &'a Event<'a>>) -> String {
    let mut text = String::new();
    for event in events {
        match event {
            Event::Text(t) | Event::Code(t) => text.push_str(t),
            Event::SoftBreak | Event::HardBreak => text.push(' '),
            _ => {}
        }
    }
    text
}

/// Inline events as HTML without their links (a TOC entry is a link itself).
fn inline_html<'a>(events: impl Iterator<Item = Event<'a>>) -> String {
    let mut html = String::new();
    let events = events.filter(|e| {
        !matches!(
            e,
            Event::Start(Tag::Link { .. }) | Event::End(TagEnd::Link) | Event::FootnoteReference(_)
        )
    });
    pulldown_cmark::html::push_html(&mut html, events);
    html
}

/// Rewrites link and image destinations for the built site and records links.
fn rewrite_links<'a>(
    events: Vec<Spanned<'a>>,
    input: &Input,
    out: &mut Rendered,
) -> Vec<Spanned<'a>> {
    let mut result = Vec::with_capacity(events.len());
    let mut found: Vec<Link> = Vec::new();
    let mut open: Option<usize> = None; // index in `found` of the link being read
    for (event, range) in events {
        let event = match event {
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                let (href, target) = links::rewrite(&dest_url, &input.links);
                found.push(Link {
                    dest: dest_url.to_string(),
                    target,
                    text: String::new(),
                    span: input.body_start + range.start..input.body_start + range.end,
                });
                open = Some(found.len() - 1);
                Event::Start(Tag::Link {
                    link_type,
                    dest_url: href.into(),
                    title,
                    id,
                })
            }
            Event::Start(Tag::Image {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                let (href, _) = links::rewrite(&dest_url, &input.links);
                Event::Start(Tag::Image {
                    link_type,
                    dest_url: href.into(),
                    title,
                    id,
                })
            }
            Event::End(TagEnd::Link) => {
                open = None;
                event
            }
            Event::Text(ref t) | Event::Code(ref t) => {
                if let Some(i) = open {
                    found[i].text.push_str(t);
                }
                event
            }
            other => other,
        };
        result.push((event, range));
    }
    out.links = found.into();
    result
}

/// Replaces code blocks with highlighted HTML (plain, escaped, for unknown
/// languages, and with a warning for a block too costly to highlight).
fn code_blocks<'a>(events: Vec<Spanned<'a>>, input: &Input, out: &mut Rendered) -> Vec<Event<'a>> {
    let mut result = Vec::with_capacity(events.len());
    let mut iter = events.into_iter();
    while let Some((event, range)) = iter.next() {
        let Event::Start(Tag::CodeBlock(kind)) = event else {
            result.push(event);
            continue;
        };
        let lang = match &kind {
            CodeBlockKind::Fenced(info) => info.split([' ', ',', '{']).next().unwrap_or(""),
            CodeBlockKind::Indented => "",
        };
        let mut code = String::new();
        for (e, _) in iter.by_ref() {
            match e {
                Event::Text(t) => code.push_str(&t),
                Event::End(TagEnd::CodeBlock) => break,
                _ => {}
            }
        }
        let highlighted = match input.highlighter.highlight(&code, lang) {
            Some(Ok(html)) => Some(html),
            Some(Err(OverBudget)) => {
                out.diagnostics.push(over_budget(input, &range, lang));
                None
            }
            None => None,
        };
        result.push(Event::Html(
            code_block_html(&code, lang, highlighted).into(),
        ));
    }
    result
}

/// The warning for a block left plain because highlighting it took too long.
fn over_budget(input: &Input, range: &Range<usize>, lang: &str) -> Diagnostic {
    let message = format!("code block left plain: highlighting it as {lang} took too long");
    let help = format!(
        "a block gets {} s; malformed code, such as thousands of unclosed brackets, can take far longer",
        highlight::BUDGET.as_secs()
    );
    let (start, end) = (input.body_start + range.start, input.body_start + range.end);
    Diagnostic::error(input.file, message)
        .at_span(input.text, start, end)
        .with_help(help)
        .warning()
}

fn code_block_html(code: &str, lang: &str, highlighted: Option<String>) -> String {
    let mut html = String::with_capacity(code.len() * 3);
    if lang.is_empty() {
        html.push_str("<pre class=\"code\"><code>");
    } else {
        let mut escaped = String::new();
        escape_html(&mut escaped, lang).ok();
        write!(
            html,
            "<pre class=\"code\" data-lang=\"{escaped}\"><code class=\"language-{escaped}\">"
        )
        .ok();
    }
    match highlighted {
        Some(highlighted) => html.push_str(&highlighted),
        None => {
            escape_html(&mut html, code).ok();
        }
    }
    html.push_str("</code></pre>\n");
    html
}

/// GitHub's alert blockquotes (`> [!NOTE]`) as titled boxes, with GitHub's class names.
fn alerts(events: Vec<Event>) -> Vec<Event> {
    events
        .into_iter()
        .map(|event| match event {
            Event::Start(Tag::BlockQuote(Some(kind))) => {
                let (class, title) = alert_name(kind);
                Event::Html(
                    format!(
                        "<div class=\"markdown-alert markdown-alert-{class}\">\n<p class=\"markdown-alert-title\">{title}</p>\n"
                    )
                    .into(),
                )
            }
            Event::End(TagEnd::BlockQuote(Some(_))) => Event::Html("</div>\n".into()),
            other => other,
        })
        .collect()
}

fn alert_name(kind: BlockQuoteKind) -> (&'static str, &'static str) {
    match kind {
        BlockQuoteKind::Note => ("note", "Note"),
        BlockQuoteKind::Tip => ("tip", "Tip"),
        BlockQuoteKind::Important => ("important", "Important"),
        BlockQuoteKind::Warning => ("warning", "Warning"),
        BlockQuoteKind::Caution => ("caution", "Caution"),
    }
}

/// Footnote references become numbered links; the definitions move to a list
/// at the end of the page, in order of first reference, with a link back.
fn footnotes(events: Vec<Event>) -> Vec<Event> {
    if !events.iter().any(|e| {
        matches!(
            e,
            Event::FootnoteReference(_) | Event::Start(Tag::FootnoteDefinition(_))
        )
    }) {
        return events;
    }
    let mut result = Vec::with_capacity(events.len());
    let mut definitions: HashMap<String, Vec<Event>> = HashMap::new();
    let mut order: Vec<String> = Vec::new();
    let mut refs: HashMap<String, usize> = HashMap::new();
    let mut iter = events.into_iter();
    while let Some(event) = iter.next() {
        match event {
            Event::FootnoteReference(name) => {
                let number = number_of(&name, &mut order);
                let count = refs.entry(name.to_string()).or_default();
                *count += 1;
                let id = footnote_id(&name);
                let ref_id = if *count == 1 {
                    format!("fnref-{id}")
                } else {
                    format!("fnref-{id}-{count}")
                };
                result.push(Event::InlineHtml(
                    format!("<sup class=\"footnote-ref\"><a href=\"#fn-{id}\" id=\"{ref_id}\">{number}</a></sup>").into(),
                ));
            }
            Event::Start(Tag::FootnoteDefinition(name)) => {
                let body: Vec<Event> = iter
                    .by_ref()
                    .take_while(|e| !matches!(e, Event::End(TagEnd::FootnoteDefinition)))
                    .collect();
                definitions.insert(name.to_string(), body);
            }
            other => result.push(other),
        }
    }
    // Definitions never referenced still show, after the referenced ones.
    let mut unreferenced: Vec<&String> =
        definitions.keys().filter(|k| !order.contains(k)).collect();
    unreferenced.sort();
    let names: Vec<String> = order
        .iter()
        .cloned()
        .chain(unreferenced.into_iter().cloned())
        .collect();
    result.push(Event::Html("<section class=\"footnotes\">\n<ol>\n".into()));
    for name in names {
        let id = footnote_id(&name);
        result.push(Event::Html(format!("<li id=\"fn-{id}\">\n").into()));
        let mut body = definitions.remove(&name).unwrap_or_default();
        let back = Event::InlineHtml(
            format!(" <a href=\"#fnref-{id}\" class=\"footnote-backref\" aria-label=\"Back to reference\">↩</a>").into(),
        );
        match body
            .iter()
            .rposition(|e| matches!(e, Event::End(TagEnd::Paragraph)))
        {
            Some(i) if refs.contains_key(&name) => body.insert(i, back),
            _ => {}
        }
        result.extend(body);
        result.push(Event::Html("</li>\n".into()));
    }
    result.push(Event::Html("</ol>\n</section>\n".into()));
    result
}

fn number_of(name: &str, order: &mut Vec<String>) -> usize {
    match order.iter().position(|n| n == name) {
        Some(i) => i + 1,
        None => {
            order.push(name.to_string());
            order.len()
        }
    }
}

/// A footnote name made safe for an id and a fragment.
fn footnote_id(name: &str) -> String {
    let id: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    id.to_lowercase()
}

#[cfg(test)]
mod tests;
