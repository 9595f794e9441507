//! The two extra pages mdBook writes for a book, so that their URLs keep
//! working: `print.html`, every chapter in reading order on one page, and
//! `toc.html`, the whole table of contents. As mdBook does, the print page
//! keeps each id unique (a repeat gets `-1`, `-2`, …) and turns links between
//! chapters into links within the page. No I/O.

use std::collections::{HashMap, HashSet};

use pulldown_cmark_escape::escape_html;

use crate::markdown::slug;
use crate::nav::{Nav, NodeId, NodeKind};

/// One chapter of the print page.
pub struct Chapter<'a> {
    /// Its own page's href (`/book/ch01.html`): links to it lead into the print page.
    pub href: &'a str,
    pub title: &'a str,
    /// The chapter's body HTML.
    pub html: &'a str,
}

/// The chapters' HTML, one after the other, with a page break between them.
pub fn print_page(chapters: &[Chapter]) -> String {
    let mut used = Used::default();
    // Per chapter: old id → new id; and the id of its top.
    let mut renamed: Vec<HashMap<String, String>> = Vec::new();
    let mut tops: HashMap<&str, String> = HashMap::new();
    let mut synthesized: Vec<Option<String>> = Vec::new();
    for chapter in chapters {
        let mut map = HashMap::new();
        let mut top = None;
        for tag in linking_tags(chapter.html) {
            if let Some(id) = attr(tag.text, "id") {
                let new = used.unique(id);
                if tag.name == "h1" && top.is_none() {
                    top = Some(new.clone());
                }
                if new != id {
                    map.insert(id.to_string(), new);
                }
            }
        }
        let made = top.is_none().then(|| used.unique(&slug(chapter.title)));
        tops.insert(chapter.href, top.or(made.clone()).unwrap_or_default());
        synthesized.push(made);
        renamed.push(map);
    }
    let links = Links {
        renamed: chapters.iter().map(|c| c.href).zip(&renamed).collect(),
        tops: &tops,
    };
    let mut out = String::new();
    for ((chapter, map), made) in chapters.iter().zip(&renamed).zip(&synthesized) {
        if !out.is_empty() {
            out.push_str("<div style=\"break-before: page; page-break-before: always;\"></div>\n");
        }
        if let Some(id) = made {
            out.push_str(&format!("<h1 id=\"{}\">", escape(id)));
            out.push_str(&escape(chapter.title));
            out.push_str("</h1>\n");
        }
        out.push_str(&links.rewrite(chapter.html, map));
    }
    out
}

/// The whole navigation as nested lists, every branch open.
pub fn toc(nav: &Nav, hrefs: &[String], numbers: bool) -> String {
    let mut out = String::from("<nav class=\"book-toc\" aria-label=\"Table of contents\">\n");
    list(nav, &nav.roots, hrefs, numbers, &mut out);
    out.push_str("</nav>\n");
    out
}

fn list(nav: &Nav, ids: &[NodeId], hrefs: &[String], numbers: bool, out: &mut String) {
    out.push_str("<ol>\n");
    for &id in ids {
        let node = &nav.nodes[id];
        let title = escape(&node.title);
        let number = match &node.number {
            Some(n) if numbers => format!("<strong>{n}</strong> "),
            _ => String::new(),
        };
        match (node.kind, node.page) {
            (NodeKind::Separator, _) => {
                out.push_str("<li class=\"separator\" aria-hidden=\"true\"></li>")
            }
            (NodeKind::Part, _) => out.push_str(&format!("<li class=\"part-title\">{title}</li>")),
            (NodeKind::Chapter, Some(p)) => out.push_str(&format!(
                "<li><a href=\"{}\">{number}{title}</a>",
                escape(&hrefs[p])
            )),
            (NodeKind::Chapter, None) => {
                out.push_str(&format!("<li><span class=\"draft\">{number}{title}</span>"))
            }
        }
        if !node.children.is_empty() {
            list(nav, &node.children, hrefs, numbers, out);
        }
        out.push_str("</li>\n");
    }
    out.push_str("</ol>\n");
}

/// Where links between chapters lead on the print page.
struct Links<'a> {
    renamed: HashMap<&'a str, &'a HashMap<String, String>>,
    tops: &'a HashMap<&'a str, String>,
}

impl Links<'_> {
    /// `html` with its ids renamed by `map` and its links to chapters turned
    /// into fragments of the print page.
    fn rewrite(&self, html: &str, map: &HashMap<String, String>) -> String {
        let mut out = String::with_capacity(html.len());
        let mut copied = 0;
        for tag in linking_tags(html) {
            for (name, value, range) in attrs(html, &tag) {
                let new = match name {
                    "id" => map.get(value).cloned(),
                    "href" => match value.strip_prefix('#') {
                        Some(fragment) => map.get(fragment).map(|new| format!("#{new}")),
                        None => self.fragment(value),
                    },
                    _ => None,
                };
                if let Some(new) = new {
                    out.push_str(&html[copied..range.start]);
                    out.push_str(&new);
                    copied = range.end;
                }
            }
        }
        out.push_str(&html[copied..]);
        out
    }

    /// `#id` on the print page for a link to a chapter, `None` for any other.
    fn fragment(&self, href: &str) -> Option<String> {
        let (page, fragment) = href.split_once('#').unwrap_or((href, ""));
        let top = self.tops.get(page)?;
        if fragment.is_empty() {
            return Some(format!("#{top}"));
        }
        let renamed = self.renamed.get(page).and_then(|m| m.get(fragment));
        Some(format!("#{}", renamed.map_or(fragment, String::as_str)))
    }
}

/// The ids the print page has given out.
#[derive(Default)]
struct Used {
    ids: HashSet<String>,
    /// For an id given out already, the suffix to try next: the ones
    /// before it are taken (a book of 1,000 chapters, each with its
    /// `## Overview`, tried half a million ids).
    next: HashMap<String, usize>,
}

impl Used {
    /// `id`, or `id-1`, `id-2`, … the first not used yet (mdBook's `unique_id`).
    fn unique(&mut self, id: &str) -> String {
        if self.ids.insert(id.to_string()) {
            return id.to_string();
        }
        let from = self.next.get(id).copied().unwrap_or(1);
        let (n, candidate) = (from..)
            .map(|n| (n, format!("{id}-{n}")))
            .find(|(_, candidate)| self.ids.insert(candidate.clone()))
            .expect("some suffix is free");
        self.next.insert(id.to_string(), n + 1);
        candidate
    }
}

/// A start tag in HTML: its name and its text from `<` to `>`.
struct Tag<'a> {
    name: &'a str,
    text: &'a str,
    /// Where `text` starts in the HTML.
    start: usize,
}

/// The start tags of `html`, in order. Text and code are escaped in the HTML
/// envbook writes, so every `<` followed by a letter starts a tag. (A book
/// of highlighted code has a `<span>` for each word of it: the print page of
/// the Rust Cookbook reads 100,000 tags at every preview rebuild.)
fn tags(html: &str) -> impl Iterator<Item = Tag<'_>> {
    let mut from = 0;
    std::iter::from_fn(move || {
        loop {
            let i = from + memchr::memchr(b'<', &html.as_bytes()[from..])?;
            from = i + 1;
            let rest = &html[i + 1..];
            if !rest.starts_with(|c: char| c.is_ascii_alphabetic()) {
                continue;
            }
            let end = tag_end(rest).map_or(html.len(), |e| i + 1 + e + 1);
            let name_end = rest
                .find(|c: char| !c.is_ascii_alphanumeric())
                .unwrap_or(rest.len());
            from = end;
            return Some(Tag {
                name: &rest[..name_end],
                text: &html[i..end],
                start: i,
            });
        }
    })
}

/// The start tags of `html` that hold an `id` or an `href`, in order: what
/// the print page renames. Found from each `id=` and `href=`, not by
/// reading every tag: a book of highlighted code has a `<span>` for each
/// word of it (the Rust Cookbook's print page, 100,000 tags, was half of a
/// preview rebuild). A tag holds no `<`: values are escaped.
fn linking_tags(html: &str) -> impl Iterator<Item = Tag<'_>> {
    let b = html.as_bytes();
    let mut at: Vec<usize> = memchr::memmem::find_iter(b, b"id=")
        .chain(memchr::memmem::find_iter(b, b"href="))
        .collect();
    at.sort_unstable();
    let mut last_end = 0;
    at.into_iter().filter_map(move |p| {
        // Another of a tag already found, or not in a tag after it.
        let start = memchr::memrchr(b'<', b.get(last_end..p)?)? + last_end;
        let tag = tags(&html[start..]).next().filter(|t| t.start == 0)?;
        let end = start + tag.text.len();
        (p < end).then(|| {
            last_end = end;
            Tag { start, ..tag }
        })
    })
}

/// The offset of the `>` that ends a tag, skipping quoted attribute values.
fn tag_end(rest: &str) -> Option<usize> {
    let b = rest.as_bytes();
    let mut at = 0;
    loop {
        at += memchr::memchr3(b'>', b'"', b'\'', &b[at..])?;
        match b[at] {
            b'>' => return Some(at),
            quote => at += 1 + memchr::memchr(quote, &b[at + 1..])? + 1,
        }
    }
}

/// The quoted attributes of a tag: name, value and the value's range in `html`.
fn attrs<'a>(
    html: &'a str,
    tag: &Tag<'a>,
) -> impl Iterator<Item = (&'a str, &'a str, std::ops::Range<usize>)> {
    let text = tag.text;
    let base = tag.start;
    let mut from = 0;
    std::iter::from_fn(move || {
        loop {
            let eq = from + text[from..].find('=')?;
            let quote = text[eq + 1..].chars().next()?;
            from = eq + 1;
            if quote != '"' && quote != '\'' {
                continue;
            }
            let value_start = eq + 2;
            let value_end = value_start + text[value_start..].find(quote)?;
            from = value_end + 1;
            let name_start = text[..eq]
                .rfind(|c: char| c.is_whitespace())
                .map_or(eq, |i| i + 1);
            let value = &html[base + value_start..base + value_end];
            return Some((
                &text[name_start..eq],
                value,
                base + value_start..base + value_end,
            ));
        }
    })
}

/// The value of attribute `name` in a start tag.
fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let tag = Tag {
        name: "",
        text: tag,
        start: 0,
    };
    attrs(tag.text, &tag)
        .find(|(n, _, _)| *n == name)
        .map(|(_, v, _)| v)
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    escape_html(&mut out, s).expect("writing to a String");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_stay_unique_and_links_between_chapters_stay_on_the_page() {
        let chapters = [
            Chapter {
                href: "/b/one.html",
                title: "One",
                html: "<h1 id=\"one\">One</h1>\n<h2 id=\"setup\">Setup</h2>\n<p><a href=\"/b/two.html#setup\">two</a> <a href=\"/b/two.html\">2</a> <a href=\"https://x.org/\">x</a></p>\n",
            },
            Chapter {
                href: "/b/two.html",
                title: "Two & more",
                html: "<h2 id=\"setup\">Setup</h2>\n<p><a href=\"#setup\">here</a> <a href=\"/b/one.html#setup\">one</a></p>\n",
            },
        ];
        assert_eq!(
            print_page(&chapters),
            "<h1 id=\"one\">One</h1>\n<h2 id=\"setup\">Setup</h2>\n<p><a href=\"#setup-1\">two</a> <a href=\"#two--more\">2</a> <a href=\"https://x.org/\">x</a></p>\n\
             <div style=\"break-before: page; page-break-before: always;\"></div>\n\
             <h1 id=\"two--more\">Two &amp; more</h1>\n<h2 id=\"setup-1\">Setup</h2>\n<p><a href=\"#setup-1\">here</a> <a href=\"#setup\">one</a></p>\n"
        );
    }

    proptest::proptest! {
        /// The tags found from their `id=` and `href=` are those of all the
        /// tags that hold either (in HTML whose text has no `<`, as
        /// envbook's).
        #[test]
        fn linking_tags_are_the_tags_that_hold_an_id_or_href(
            parts in proptest::collection::vec(
                proptest::sample::select(vec![
                    "<span class=\"hl-keyword\">", "</span>", "<a href=\"/b/x.html#y\">", "</a>",
                    "<h2 id=\"setup\">", "grid=1 ", "&lt;x id=&quot;", "<div data-id=\"z\" id='q'>",
                    "<img alt=\"a>b id=\" src=x>", "<br>", "id=\"", "text ", "<p\n id=\"n\">",
                ]),
                0..24,
            )
        ) {
            let html = parts.concat();
            let holds = |t: &Tag| t.text.contains("id=") || t.text.contains("href=");
            let all: Vec<usize> = tags(&html).filter(holds).map(|t| t.start).collect();
            let found: Vec<usize> = linking_tags(&html).map(|t| t.start).collect();
            proptest::prop_assert_eq!(found, all, "{}", html);
        }
    }

    proptest::proptest! {
        /// Ids given out by [`Used::unique`] are those of a search from
        /// `-1` each time, as mdBook's: ids that look like suffixed ones
        /// (`a-1` written by hand) included.
        #[test]
        fn unique_ids_are_the_first_free_suffix(ids in proptest::collection::vec("(a|b|a-1|a-2|b-1)", 0..40)) {
            let mut used = Used::default();
            let mut plain: HashSet<String> = HashSet::new();
            for id in &ids {
                let expected = match plain.insert(id.clone()) {
                    true => id.clone(),
                    false => (1..).map(|n| format!("{id}-{n}")).find(|c| plain.insert(c.clone())).unwrap(),
                };
                proptest::prop_assert_eq!(used.unique(id), expected);
            }
        }
    }
}
