//! Markdown to HTML: pulldown-cmark's events, transformed step by step
//! (heading ids, links, code highlighting, alerts, footnotes), then written
//! out by pulldown-cmark's HTML writer. No I/O.

mod hidelines;
mod highlight;
mod ids;
mod inline;
mod links;

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use pulldown_cmark::{
    BlockQuoteKind, CodeBlockKind, CowStr, Event, LinkType, Options, Parser, Tag, TagEnd,
};
use pulldown_cmark_escape::{escape_href, escape_html};
use serde::{Deserialize, Serialize};

use crate::config::{Config, Format};
use crate::diagnostic::{Diagnostic, Lines};
use crate::directives::{self, Call, Expander, PageScope};
use crate::include::Splices;
use highlight::OverBudget;
pub use highlight::{Highlighter, Key, Store};
pub use ids::{Ids, html_ids, slug};
pub use inline::{inline, inline_text};
pub use links::{LinkContext, Target, resolve};

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
    /// The whole file, front matter included, as markdown reads it (with
    /// mdBook's file directives expanded).
    pub text: &'a str,
    /// Where the markdown body starts in `text`.
    pub body_start: usize,
    /// For an expanded file: the file as written, which diagnostics show,
    /// and where each part of `text` came from in it.
    pub written: Option<(&'a str, &'a Splices)>,
    pub links: LinkContext<'a>,
    pub highlighter: &'a Highlighter,
    pub expander: &'a Expander<'a>,
    pub flavor: Flavor<'a>,
}

/// How the markdown is read: envbook's way, or as mdBook reads it for an
/// mdBook book, so that its pages keep their anchors.
#[derive(Debug, Clone, Copy, Default, Hash)]
pub struct Flavor<'a> {
    /// mdBook's heading ids, and its code blocks: info-string attributes
    /// kept as classes, hidden lines.
    pub mdbook: bool,
    /// `--` → –, `---` → —, `...` → …, curly quotes.
    pub smart_punctuation: bool,
    /// `term` then `: definition`.
    pub definition_lists: bool,
    /// Per language, the prefix that marks a hidden line (mdBook's
    /// `[output.html.code.hidelines]`; rust always hides `# ` lines).
    pub hidelines: Option<&'a BTreeMap<String, String>>,
    /// Keep the page's text by section, for the search index.
    pub search: bool,
}

impl Flavor<'_> {
    /// What the site's book.toml asks: nothing for envbook's format; for
    /// mdBook's, what its `[output.html]` says (mdBook's defaults otherwise).
    pub fn of(config: &Config) -> Flavor<'_> {
        Flavor {
            mdbook: config.format == Format::MdBook,
            smart_punctuation: config.html.smart_punctuation,
            definition_lists: config.html.definition_lists,
            hidelines: Some(&config.html.hidelines),
            search: config.search.enable,
        }
    }

    fn options(&self) -> Options {
        let mut options = OPTIONS;
        options.set(Options::ENABLE_SMART_PUNCTUATION, self.smart_punctuation);
        options.set(Options::ENABLE_DEFINITION_LIST, self.definition_lists);
        options
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Heading {
    pub level: u8,
    pub id: String,
    /// The heading's inline HTML (links removed), for a table of contents.
    pub html: String,
    pub text: String,
}

/// A link or image found on the page, for link checking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    pub dest: String,
    pub target: Target,
    pub text: String,
    /// Where the link is written in the whole file (byte offsets).
    pub span: Range<usize>,
}

/// A page's markdown as HTML, and what the site needs of it. The build
/// cache keeps it (postcard: its HTML as is, not escaped as in JSON) when
/// it has no diagnostics, which it leaves out.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct Rendered {
    pub html: String,
    /// The page has a `#` heading (see [`title`]).
    pub has_title: bool,
    /// What its directives read of the data: it changes when that does.
    pub reads: crate::data::Reads,
    pub headings: Vec<Heading>,
    /// The page's text for search: before its first heading, then after
    /// each heading of `headings` (code included, directives' output not:
    /// matrix rows are found as rows).
    pub sections: Vec<String>,
    /// Shared: the preview server's cache hands them to every build.
    pub links: Arc<[Link]>,
    #[serde(skip)]
    pub diagnostics: Vec<Diagnostic>,
}

type Spanned<'a> = (Event<'a>, Range<usize>);

impl Input<'_> {
    /// The file as written.
    fn written(&self) -> &str {
        self.written.map_or(self.text, |(text, _)| text)
    }

    /// Where the range `range` of the body is in the file as written.
    fn at(&self, range: &Range<usize>) -> Range<usize> {
        let whole = self.body_start + range.start..self.body_start + range.end;
        match self.written {
            Some((_, splices)) => splices.original(whole),
            None => whole,
        }
    }
}

pub fn render(input: &Input) -> Rendered {
    let body = &input.text[input.body_start..];
    let mut page = Page {
        input,
        lines: Lines::new(input.written()),
        scope: PageScope::default(),
        mdbook_ids: ids::MdBookIds::default(),
        out: Rendered::default(),
    };
    let (calls, with_tokens) = page.find_directives(body);
    page.out.reads = crate::directives::reads(&calls);
    let source = with_tokens.as_deref().unwrap_or(body);
    let events: Vec<Spanned> = Parser::new_ext(source, input.flavor.options())
        .into_offset_iter()
        .collect();
    page.reserve_ids(&events);
    let mut events = page.expand_directives(events, &calls);
    if input.flavor.search {
        page.out.sections = sections(&events);
    }
    page.headings(&mut events);
    rewrite_links(&mut events, input, &mut page.out);
    let events = code_blocks(events, input, &mut page.out);
    let events = alerts(events);
    let events = footnotes(events, &mut page.scope.ids);
    let mut out = page.out;
    out.html.reserve(body.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut out.html, events.into_iter());
    out.has_title = out.headings.iter().any(|h| h.level == 1);
    out
}

/// One page being rendered: what the passes share.
struct Page<'a> {
    input: &'a Input<'a>,
    /// For the positions of the page's problems.
    lines: Lines<'a>,
    /// The page's ids, shared with its directives.
    scope: PageScope,
    /// The ids given to headings the mdBook way (see [`ids::MdBookIds`]).
    mdbook_ids: ids::MdBookIds,
    out: Rendered,
}

impl Page<'_> {
    /// An error at the byte range `range` of the body.
    fn error(&mut self, range: &Range<usize>, message: String) -> &mut Diagnostic {
        let at = self.input.at(range);
        let d =
            Diagnostic::error(self.input.file, message).at_span_in(&self.lines, at.start, at.end);
        self.out.diagnostics.push(d);
        self.out.diagnostics.last_mut().expect("just pushed")
    }

    /// Reserves the ids the author wrote (see [`Ids`]); a `{#custom}` id
    /// written twice is an error.
    fn reserve_ids(&mut self, events: &[Spanned]) {
        for (event, range) in events {
            if let Event::Start(Tag::Heading { id: Some(id), .. }) = event
                && !self.scope.ids.reserve(id)
            {
                self.error(range, format!("duplicate heading id `{id}`"))
                    .help = Some("each `{#id}` must be unique on its page".into());
            }
        }
        for (event, _) in events {
            if let Event::Html(html) | Event::InlineHtml(html) = event {
                for id in ids::html_ids(html) {
                    self.scope.ids.reserve(&id);
                }
            }
        }
    }
}

impl Page<'_> {
    /// Finds the directives of `body` and, when there are any, returns the
    /// body with each replaced by a token of the same length (so every offset
    /// still points into the page) that markdown reads as two inline HTML
    /// tags, `<q><qq…>`: a directive alone on its line stays a paragraph,
    /// since a tag followed by more than white space starts no HTML block. A
    /// directive is then known by the offset where its token starts, never by
    /// its text, so nothing a page says can pass for one.
    fn find_directives(&mut self, body: &str) -> (Vec<Call>, Option<String>) {
        let (calls, malformed) = directives::find(body);
        for m in malformed {
            self.error(&m.range, m.message);
        }
        if calls.is_empty() {
            return (calls, None);
        }
        let mut text = String::with_capacity(body.len());
        let mut copied = 0;
        for call in &calls {
            text.push_str(&body[copied..call.range.start]);
            // The shortest call, `{{x()}}`, has 7 bytes: `<q><qq>`.
            text.push_str("<q><");
            text.extend(std::iter::repeat_n('q', call.range.len() - 5));
            text.push('>');
            copied = call.range.end;
        }
        text.push_str(&body[copied..]);
        (calls, Some(text))
    }
}

impl Page<'_> {
    /// Replaces each directive's token with its HTML: a block directive alone
    /// in its paragraph replaces the paragraph; the rest is inline HTML. A
    /// directive whose token markdown did not read as HTML in text (in a
    /// link's title) is an error.
    fn expand_directives<'a>(
        &mut self,
        events: Vec<Spanned<'a>>,
        calls: &[Call],
    ) -> Vec<Spanned<'a>> {
        if calls.is_empty() {
            return events;
        }
        // The directive whose token starts at byte `offset` of the body.
        let starting_at =
            |offset: usize| calls.binary_search_by_key(&offset, |c| c.range.start).ok();
        let inside = |offset: usize| {
            let i = calls.partition_point(|c| c.range.start <= offset);
            i > 0 && calls[i - 1].range.contains(&offset)
        };
        let mut expanded = vec![false; calls.len()];
        let mut result = Vec::with_capacity(events.len());
        let mut i = 0;
        while i < events.len() {
            if let (
                Event::Start(Tag::Paragraph),
                Some((Event::InlineHtml(_), first)),
                Some((Event::InlineHtml(_), second)),
                Some((Event::End(TagEnd::Paragraph), _)),
            ) = (
                &events[i].0,
                events.get(i + 1),
                events.get(i + 2),
                events.get(i + 3),
            ) && let Some(index) = starting_at(first.start)
                && calls[index].range.contains(&second.start)
                && directives::is_block(&calls[index].name)
            {
                expanded[index] = true;
                let html = self.expand(&calls[index], true);
                result.push((Event::Html(html.into()), events[i].1.clone()));
                i += 4;
                continue;
            }
            let (event, range) = events[i].clone();
            i += 1;
            match event {
                Event::InlineHtml(_) if inside(range.start) => {
                    // The token's first tag stands for the directive; the second goes.
                    if let Some(index) = starting_at(range.start) {
                        expanded[index] = true;
                        let html = self.expand(&calls[index], false);
                        result.push((Event::InlineHtml(html.into()), range));
                    }
                }
                other => result.push((other, range)),
            }
        }
        for (call, _) in calls.iter().zip(expanded).filter(|(_, done)| !done) {
            self.error(
                &call.range,
                "a directive works in the page's text, not in a link's title".into(),
            );
        }
        result
    }

    fn expand(&mut self, call: &Call, block: bool) -> String {
        let expander = self.input.expander;
        expander
            .expand(call, block, &mut self.scope)
            .unwrap_or_else(|message| {
                self.error(&call.range, message);
                String::new()
            })
    }
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

impl Page<'_> {
    /// Gives every heading an id (its `{#id}` or a slug of its text, unique
    /// on the page) and a `¶` permalink; in an mdBook book, definition terms
    /// too, as mdBook does.
    /// In place: each heading's start and end become its HTML, its words stay.
    fn headings(&mut self, events: &mut Vec<Spanned>) {
        let mut i = 0;
        while i < events.len() {
            // The heading's level (none for a term), `{#id}`, and classes and attributes.
            let (level, id, attributes) = match &events[i].0 {
                Event::Start(Tag::Heading {
                    level,
                    id,
                    classes,
                    attrs,
                }) => {
                    let mut attributes = String::new();
                    write_classes_and_attrs(&mut attributes, classes, attrs);
                    (Some(*level), id.as_deref().map(str::to_string), attributes)
                }
                Event::Start(Tag::DefinitionListTitle) if self.input.flavor.mdbook => {
                    (None, None, String::new())
                }
                _ => {
                    i += 1;
                    continue;
                }
            };
            let end = events[i + 1..]
                .iter()
                .position(|(e, _)| {
                    matches!(
                        e,
                        Event::End(TagEnd::Heading(_) | TagEnd::DefinitionListTitle)
                    )
                })
                .map_or(events.len(), |n| i + 1 + n);
            let inner = &events[i + 1..end];
            let id = id.unwrap_or_else(|| self.heading_id(inner));
            let tag = level.map_or("dt".to_string(), |l| l.to_string());
            let open = format!("<{tag}{}{attributes}>", id_attr(&id));
            let close = format!(
                "<a class=\"headerlink\" href=\"#{}\" title=\"Link to this heading\">¶</a></{tag}>\n",
                href_fragment(&id)
            );
            if let Some(level) = level {
                self.out.headings.push(Heading {
                    level: level as u8,
                    html: inline_html(inner.iter().map(|(e, _)| e.clone())),
                    text: plain_text(inner.iter().map(|(e, _)| e)),
                    id,
                });
            }
            let range = events[i].1.clone();
            events[i].0 = Event::Html(open.into());
            let close = (Event::Html(close.into()), range);
            match events.get_mut(end) {
                Some(at) => *at = close,
                None => events.push(close),
            }
            i = end + 1;
        }
    }

    /// The id for a heading without `{#id}`: GitHub's slug of its text, or
    /// in an mdBook book, mdBook's (see [`ids::MdBookIds`]).
    fn heading_id(&mut self, inner: &[Spanned]) -> String {
        if !self.input.flavor.mdbook {
            return self
                .scope
                .ids
                .unique(&ids::slug(&plain_text(inner.iter().map(|(e, _)| e))));
        }
        // mdBook takes the text of the heading's HTML, where an image's alt
        // text is an attribute.
        let mut in_image = 0usize;
        let text = plain_text(inner.iter().map(|(e, _)| e).filter(|e| {
            match e {
                Event::Start(Tag::Image { .. }) => in_image += 1,
                Event::End(TagEnd::Image) => in_image -= 1,
                _ => {}
            }
            in_image == 0
        }));
        let id = self.mdbook_ids.unique(&text);
        self.scope.ids.reserve(&id);
        id
    }
}

/// ` id="…"`, or nothing for mdBook's empty id (a heading with no letter or
/// digit: mdBook writes `id=""`, which is no anchor).
fn id_attr(id: &str) -> String {
    if id.is_empty() {
        return String::new();
    }
    let mut attr = " id=\"".to_string();
    escape_html(&mut attr, id).ok();
    attr.push('"');
    attr
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

/// The text of the page between its headings (see [`Rendered::sections`]):
/// read before headings get their HTML, as each heading starts a section.
fn sections(events: &[Spanned]) -> Vec<String> {
    let mut sections = vec![String::new()];
    let mut in_heading = false;
    for (event, _) in events {
        let text = sections.last_mut().expect("never empty");
        match event {
            Event::Start(Tag::Heading { .. }) => {
                sections.push(String::new());
                in_heading = true;
            }
            Event::End(TagEnd::Heading(_)) => in_heading = false,
            _ if in_heading => {}
            Event::Text(t) | Event::Code(t) => text.push_str(t),
            // Words of two blocks must not run together; within a line they may.
            Event::End(
                TagEnd::Emphasis | TagEnd::Strong | TagEnd::Strikethrough | TagEnd::Link,
            ) => {}
            Event::SoftBreak | Event::HardBreak | Event::End(_) if !text.ends_with(' ') => {
                text.push(' ')
            }
            _ => {}
        }
    }
    sections
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
fn rewrite_links(events: &mut [Spanned], input: &Input, out: &mut Rendered) {
    let mut found: Vec<Link> = Vec::new();
    let mut open: Option<usize> = None; // index in `found` of the link being read
    for (event, range) in events {
        match event {
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                ..
            }) => {
                // `<help@crates.io>`: the HTML writer adds `mailto:`.
                let (href, target) = match link_type {
                    LinkType::Email => (dest_url.to_string(), Target::External),
                    _ => links::rewrite(dest_url, &input.links),
                };
                found.push(Link {
                    dest: dest_url.to_string(),
                    target,
                    text: String::new(),
                    span: input.at(range),
                });
                open = Some(found.len() - 1);
                *dest_url = href.into();
            }
            Event::Start(Tag::Image { dest_url, .. }) => {
                *dest_url = links::rewrite(dest_url, &input.links).0.into();
            }
            Event::End(TagEnd::Link) => open = None,
            Event::Text(t) | Event::Code(t) => {
                if let Some(i) = open {
                    found[i].text.push_str(t);
                }
            }
            _ => {}
        }
    }
    out.links = found.into();
}

/// Replaces code blocks with highlighted HTML (plain, escaped, for unknown
/// languages, and with a warning for a block too costly to highlight); in an
/// mdBook book, with its hidden lines marked.
fn code_blocks<'a>(events: Vec<Spanned<'a>>, input: &Input, out: &mut Rendered) -> Vec<Event<'a>> {
    let mut result = Vec::with_capacity(events.len());
    let mut iter = events.into_iter();
    while let Some((event, range)) = iter.next() {
        let Event::Start(Tag::CodeBlock(kind)) = event else {
            result.push(event);
            continue;
        };
        let info = match &kind {
            CodeBlockKind::Fenced(info) => Info::parse(info, input.flavor.mdbook),
            CodeBlockKind::Indented => Info::default(),
        };
        let mut code = String::new();
        for (e, _) in iter.by_ref() {
            match e {
                Event::Text(t) => code.push_str(&t),
                Event::End(TagEnd::CodeBlock) => break,
                _ => {}
            }
        }
        let hidden = info
            .hide_rule(&input.flavor)
            .map(|rule| hidelines::apply(&code, rule));
        let shown = hidden.as_ref().map_or(code.as_str(), |(shown, _)| shown);
        let lang = info.lang;
        let mut html = match input.highlighter.highlight(shown, lang) {
            Some(Ok(html)) => html,
            Some(Err(OverBudget)) => {
                out.diagnostics.push(over_budget(input, &range, lang));
                escape(shown)
            }
            None => escape(shown),
        };
        if let Some((_, lines)) = hidden.filter(|(_, lines)| lines.contains(&true)) {
            html = hidelines::mark(&html, &lines);
        }
        result.push(Event::Html(code_block_html(&info, &html).into()));
    }
    result
}

/// A fenced block's info string: its language and, in an mdBook book, the
/// words after it (`rust,ignore`, `python hidelines=~`), kept as classes as
/// mdBook keeps them.
#[derive(Default)]
struct Info<'a> {
    lang: &'a str,
    attrs: Vec<&'a str>,
}

impl<'a> Info<'a> {
    fn parse(info: &'a str, mdbook: bool) -> Info<'a> {
        if !mdbook {
            let lang = info.split([' ', ',', '{']).next().unwrap_or("");
            return Info {
                lang,
                attrs: Vec::new(),
            };
        }
        let mut words = info.split([' ', '\t', ',']).filter(|w| !w.is_empty());
        Info {
            lang: words.next().unwrap_or(""),
            attrs: words.collect(),
        }
    }

    /// How the block hides lines, in an mdBook book: `rust` always,
    /// otherwise by its `hidelines=` word or the book's prefix for its language.
    fn hide_rule<'s>(&'s self, flavor: &'s Flavor) -> Option<hidelines::Rule<'s>> {
        if !flavor.mdbook {
            return None;
        }
        if self.lang == "rust" {
            return Some(hidelines::Rule::Rust);
        }
        let own = self.attrs.iter().find_map(|a| a.strip_prefix("hidelines="));
        own.or_else(|| flavor.hidelines?.get(self.lang).map(String::as_str))
            .map(hidelines::Rule::Prefix)
    }
}

/// The warning for a block left plain because highlighting it took too long.
fn over_budget(input: &Input, range: &Range<usize>, lang: &str) -> Diagnostic {
    let message = format!("code block left plain: highlighting it as {lang} took too long");
    let help = format!(
        "a block gets {} s, and fifteen times the work code of its length usually needs; malformed code (thousands of unclosed brackets, a stray character) can take far longer, or never end",
        highlight::BUDGET.as_secs()
    );
    let at = input.at(range);
    Diagnostic::error(input.file, message)
        .at_span(input.written(), at.start, at.end)
        .with_help(help)
        .warning()
}

fn code_block_html(info: &Info, inner: &str) -> String {
    let mut html = String::with_capacity(inner.len() + 80);
    if info.lang.is_empty() {
        html.push_str("<pre class=\"code\"><code>");
    } else {
        let lang = escape(info.lang);
        write!(
            html,
            "<pre class=\"code\" data-lang=\"{lang}\"><code class=\"language-{lang}"
        )
        .ok();
        for attr in &info.attrs {
            html.push(' ');
            escape_html(&mut html, attr).ok();
        }
        html.push_str("\">");
    }
    html.push_str(inner);
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

/// A footnote: its number, its id and its references' ids.
struct Note {
    number: usize,
    id: String,
    refs: Vec<String>,
}

/// Footnote references become numbered links; the definitions move to a list
/// at the end of the page, in order of first reference, with a link back.
fn footnotes<'a>(events: Vec<Event<'a>>, ids: &mut Ids) -> Vec<Event<'a>> {
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
    let mut notes: HashMap<String, Note> = HashMap::new();
    let mut order: Vec<String> = Vec::new();
    let mut iter = events.into_iter();
    while let Some(event) = iter.next() {
        match event {
            Event::FootnoteReference(name) => {
                let note = notes.entry(name.to_string()).or_insert_with(|| {
                    order.push(name.to_string());
                    Note {
                        number: order.len(),
                        id: ids.unique(&format!("fn-{}", footnote_id(&name))),
                        refs: Vec::new(),
                    }
                });
                let base = match note.refs.len() {
                    0 => format!("fnref-{}", footnote_id(&name)),
                    n => format!("fnref-{}-{}", footnote_id(&name), n + 1),
                };
                let ref_id = ids.unique(&base);
                result.push(Event::InlineHtml(
                    format!(
                        "<sup class=\"footnote-ref\"><a href=\"#{}\" id=\"{}\">{}</a></sup>",
                        href_fragment(&note.id),
                        escape(&ref_id),
                        note.number
                    )
                    .into(),
                ));
                note.refs.push(ref_id);
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
    let mut unreferenced: Vec<&String> = definitions
        .keys()
        .filter(|k| !notes.contains_key(*k))
        .collect();
    unreferenced.sort();
    let names: Vec<String> = order
        .into_iter()
        .chain(unreferenced.into_iter().cloned())
        .collect();
    result.push(Event::Html("<section class=\"footnotes\">\n<ol>\n".into()));
    for name in names {
        let (id, back) = match notes.get(&name) {
            Some(note) => (note.id.clone(), note.refs.first()),
            None => (ids.unique(&format!("fn-{}", footnote_id(&name))), None),
        };
        result.push(Event::Html(format!("<li id=\"{}\">\n", escape(&id)).into()));
        let mut body = definitions.remove(&name).unwrap_or_default();
        if let Some(back) = back
            && let Some(i) = body
                .iter()
                .rposition(|e| matches!(e, Event::End(TagEnd::Paragraph)))
        {
            body.insert(i, Event::InlineHtml(
                format!(" <a href=\"#{}\" class=\"footnote-backref\" aria-label=\"Back to reference\">↩</a>", href_fragment(back)).into(),
            ));
        }
        result.extend(body);
        result.push(Event::Html("</li>\n".into()));
    }
    result.push(Event::Html("</ol>\n</section>\n".into()));
    result
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    escape_html(&mut out, s).ok();
    out
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
