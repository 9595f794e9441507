//! Links that last: the ids of every built page, the check that every
//! internal link reaches a page and an id on it, `anchors.json`, alias
//! redirect pages, and the comparison with a published baseline. No I/O.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::config::LinkCheck;
use crate::content::Page;
use crate::diagnostic::{Diagnostic, Hints, Lines};
use crate::markdown::{Link, Target, html_ids};

/// The ids of one page, shared between builds of the preview server.
pub type Ids = Arc<BTreeSet<String>>;

/// Every id of a page's final HTML: headings, `{#custom}` ids, matrix rows,
/// footnotes, ids written in raw HTML, and those the templates add.
pub fn ids_in(html: &str) -> Ids {
    Arc::new(html_ids(html).collect())
}

/// Page URL → the ids on it; `anchors.json`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Anchors {
    pub pages: BTreeMap<String, Ids>,
}

impl Anchors {
    /// `anchors.json`: serde_json's pretty form, and a line end.
    pub fn to_json(&self) -> Vec<u8> {
        let entries: Vec<String> = self
            .pages
            .iter()
            .map(|(url, ids)| page_json(url, ids))
            .collect();
        anchors_json(entries.iter().map(String::as_str))
    }
}

/// One page's entry of `anchors.json`, indented for its place there: the
/// preview server keeps each page's and writes again only those whose ids
/// changed.
pub fn page_json(url: &str, ids: &Ids) -> String {
    let url = serde_json::to_string(url).expect("a string serializes");
    let ids = serde_json::to_string_pretty(ids).expect("strings serialize");
    // A JSON string has no raw line end: each one is the layout's.
    format!("    {url}: {}", ids.replace('\n', "\n    "))
}

/// `anchors.json` from its pages' entries (see [`page_json`]), in URL order.
pub fn anchors_json<'a>(entries: impl Iterator<Item = &'a str>) -> Vec<u8> {
    let mut json = b"{\n  \"pages\": {".to_vec();
    let mut first = true;
    for entry in entries {
        json.extend_from_slice(if first { b"\n" } else { b",\n" });
        json.extend_from_slice(entry.as_bytes());
        first = false;
    }
    json.extend_from_slice(if first { b"}\n}\n" } else { b"\n  }\n}\n" });
    json
}

/// Every file of the site (pages, assets, static files…), by path.
pub type Files<'a> = foldhash::HashSet<&'a str>;

/// Whether `link`, on the page at `from`, leads to one of the pages `urls`.
pub fn reaches(link: &Link, from: &str, urls: &foldhash::HashSet<&str>) -> bool {
    match &link.target {
        Target::External | Target::MissingPage { .. } => false,
        Target::SamePage { .. } => urls.contains(from),
        Target::Page { url, .. } => urls.contains(url.as_str()),
        Target::File { path, .. } => {
            urls.contains(path.as_str())
                || urls.contains(format!("{}/", path.trim_end_matches('/')).as_str())
        }
    }
}

/// A page's links with what the check needs of the page.
pub struct PageLinks<'a> {
    pub page: &'a Page,
    pub links: &'a [Link],
}

/// Checks every internal link of every page: the page it names exists and,
/// with a fragment, so does the id. External links are not fetched.
pub fn check(
    pages: &[PageLinks],
    anchors: &Anchors,
    files: &Files,
    level: LinkCheck,
) -> Vec<Diagnostic> {
    if level == LinkCheck::Off {
        return Vec::new();
    }
    let checker = Checker {
        anchors,
        ids: anchors
            .pages
            .iter()
            .map(|(u, ids)| (u.as_str(), ids))
            .collect(),
        files,
    };
    // Links are looked up in parallel; the few broken ones are then described
    // one after the other, as their hints share one budget.
    let broken: Vec<(&PageLinks, Vec<&Link>)> = pages
        .par_iter()
        .map(|p| {
            let broken = p
                .links
                .iter()
                .filter(|l| checker.broken(l, &p.page.url, None).is_some());
            (p, broken.collect::<Vec<_>>())
        })
        .filter(|(_, broken)| !broken.is_empty())
        .collect();
    let hints = Hints::default();
    let mut problems = Vec::new();
    for (PageLinks { page, .. }, links) in broken {
        let mut lines = None;
        for link in links {
            let Some((message, help)) = checker.broken(link, &page.url, Some(&hints)) else {
                continue;
            };
            let text = if link.text.is_empty() {
                String::new()
            } else {
                format!(" [{}]", link.text)
            };
            let lines = lines.get_or_insert_with(|| Lines::new(&page.text));
            let mut d = Diagnostic::error(&page.file, format!("broken link{text}: {message}"))
                .at_span_in(lines, link.span.start, link.span.end);
            d.help = help;
            problems.push(if level == LinkCheck::Warn {
                d.warning()
            } else {
                d
            });
        }
    }
    problems
}

/// What the link check looks links up in.
struct Checker<'a> {
    anchors: &'a Anchors,
    /// The anchors by URL, in a hash map: most links are looked up.
    ids: foldhash::HashMap<&'a str, &'a Ids>,
    files: &'a Files<'a>,
}

impl Checker<'_> {
    /// What is wrong with `link` on the page at `url`, with a suggestion
    /// when given `hints`.
    fn broken(
        &self,
        link: &Link,
        url: &str,
        hints: Option<&Hints>,
    ) -> Option<(String, Option<String>)> {
        match &link.target {
            Target::External => None,
            Target::SamePage { fragment } => self.missing_anchor(url, fragment, hints),
            Target::Page {
                url: target,
                fragment,
            } => self.missing_anchor(target, fragment.as_deref()?, hints),
            Target::MissingPage { path, .. } => {
                let pages = &self.anchors.pages;
                let help = hints
                    .and_then(|h| {
                        h.closest(
                            path.trim_end_matches(".md"),
                            pages.keys().map(|u| u.as_str()),
                        )
                    })
                    .map(|u| format!("did you mean the page /{u}?"));
                Some((format!("`{}` is not a page of the site", link.dest), help))
            }
            Target::File { path, fragment } => {
                let page = [path.clone(), format!("{}/", path.trim_end_matches('/'))]
                    .into_iter()
                    .find(|p| self.ids.contains_key(p.as_str()));
                match (page, fragment) {
                    (Some(page), Some(fragment)) => self.missing_anchor(&page, fragment, hints),
                    (Some(_), None) => None,
                    (None, _) if self.files.contains(path.as_str()) => None,
                    (None, _) => Some((
                        format!("`{}` is not a page or file of the site", link.dest),
                        None,
                    )),
                }
            }
        }
    }

    fn missing_anchor(
        &self,
        url: &str,
        fragment: &str,
        hints: Option<&Hints>,
    ) -> Option<(String, Option<String>)> {
        let ids = self.ids.get(url)?;
        if fragment.is_empty() || ids.contains(fragment) {
            return None;
        }
        let help = hints
            .and_then(|h| h.closest(fragment, ids.iter().map(String::as_str)))
            .map(|id| format!("did you mean `#{id}`?"));
        Some((format!("there is no `#{fragment}` on /{url}"), help))
    }
}

/// An alias as a site path: `/old/path` → `old/path/`; an `.html` file
/// (mdBook's URLs) stays one: `/old.html` → `old.html`.
pub fn alias_url(alias: &str) -> String {
    let path = alias
        .trim()
        .trim_start_matches('/')
        .trim_end_matches("index.html")
        .trim_end_matches('/');
    if path.ends_with(".html") {
        path.to_string()
    } else if path.is_empty() {
        String::new()
    } else {
        format!("{path}/")
    }
}

/// The page left at an old URL: it sends the reader on, keeping the `#fragment`.
pub fn redirect_html(to: &str) -> String {
    redirect_html_with(to, "{}")
}

/// A redirect page that sends an old `#fragment` found in `fragments` (a JSON
/// object, safe in a script) to its new place, and any other to `to` with the
/// fragment kept.
pub fn redirect_html_with(to: &str, fragments: &str) -> String {
    let to = pulldown_cmark_escape_attr(to);
    let script = if fragments == "{}" {
        format!("location.replace(\"{to}\" + location.hash);")
    } else {
        format!(
            "var m = {fragments}, h = decodeURIComponent(location.hash.slice(1));\n\
             location.replace(m.hasOwnProperty(h) ? m[h] : \"{to}\" + location.hash);"
        )
    };
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Moved</title>\n\
         <link rel=\"canonical\" href=\"{to}\">\n<meta name=\"robots\" content=\"noindex\">\n\
         <meta http-equiv=\"refresh\" content=\"0; url={to}\">\n\
         <script>{script}</script>\n</head>\n\
         <body><p>This page has moved to <a href=\"{to}\">{to}</a>.</p></body>\n</html>\n"
    )
}

fn pulldown_cmark_escape_attr(s: &str) -> String {
    let mut out = String::new();
    pulldown_cmark_escape::escape_href(&mut out, s).ok();
    out
}

/// Ids the built-in theme gives its own parts (`envbook-main`): they come and
/// go with the page's layout, and links from elsewhere do not point at them.
const THEME_ID_PREFIX: &str = "envbook-";

/// What a published baseline had that the current site lost: pages and
/// anchors (but the theme's own), each unless an alias page now leads to a
/// page that has it.
pub fn lost(
    baseline: &Anchors,
    current: &Anchors,
    aliases: &BTreeMap<String, String>,
) -> Vec<String> {
    let mut lost = Vec::new();
    for (url, ids) in &baseline.pages {
        let target = match current.pages.get(url) {
            Some(_) => url,
            None => match aliases.get(url) {
                Some(target) => target,
                None => {
                    lost.push(format!("/{url}"));
                    continue;
                }
            },
        };
        let have = &current.pages[target];
        let gone = ids
            .iter()
            .filter(|id| !id.starts_with(THEME_ID_PREFIX) && !have.contains(*id));
        lost.extend(gone.map(|id| format!("/{url}#{id}")));
    }
    lost
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_ids_of_every_origin() {
        let ids = ids_in(
            "<h2 id=\"a\">A</h2><tr id=\"k.x\"><div id='raw'></div><a name=\"old\"></a><li id=\"fn-1\"><p data-id=\"no\"><meta name=\"viewport\"><input name=\"q\"><A\nclass=x name='up'>",
        );
        assert_eq!(
            ids.iter().collect::<Vec<_>>(),
            ["a", "fn-1", "k.x", "old", "raw", "up"]
        );
    }

    #[test]
    fn anchors_json_is_serde_json_s_pretty_form() {
        let sets: [&[&str]; 4] = [&[], &["a"], &["x", "y\"z", "\\ \n\t\u{1}", "é𝄞<>&"], &[]];
        let urls = ["", "a/b/", "quote\"d/", "ünï/"];
        for n in 0..=urls.len() {
            let anchors = Anchors {
                pages: urls[..n]
                    .iter()
                    .zip(sets)
                    .map(|(u, ids)| {
                        (
                            u.to_string(),
                            Arc::new(ids.iter().map(|i| i.to_string()).collect()),
                        )
                    })
                    .collect(),
            };
            let mut expected = serde_json::to_vec_pretty(&anchors).unwrap();
            expected.push(b'\n');
            assert_eq!(
                String::from_utf8(anchors.to_json()).unwrap(),
                String::from_utf8(expected).unwrap()
            );
        }
    }

    #[test]
    fn aliases_become_site_paths() {
        assert_eq!(alias_url("/old/path"), "old/path/");
        assert_eq!(alias_url("old/path/index.html"), "old/path/");
        assert_eq!(alias_url("/ch17-00-oop.html"), "ch17-00-oop.html");
        assert_eq!(alias_url("/"), "");
    }

    #[test]
    fn redirects_keep_the_fragment() {
        let html = redirect_html("/docs/runbooks/db/");
        assert!(
            html.contains("<meta http-equiv=\"refresh\" content=\"0; url=/docs/runbooks/db/\">")
        );
        assert!(html.contains("<link rel=\"canonical\" href=\"/docs/runbooks/db/\">"));
        assert!(html.contains("location.replace(\"/docs/runbooks/db/\" + location.hash)"));
    }

    #[test]
    fn baseline_losses_unless_an_alias_leads_on() {
        let anchors = |pairs: &[(&str, &[&str])]| Anchors {
            pages: pairs
                .iter()
                .map(|(u, ids)| {
                    (
                        u.to_string(),
                        Arc::new(ids.iter().map(|i| i.to_string()).collect()),
                    )
                })
                .collect(),
        };
        let old = anchors(&[
            ("a/", &["x", "y", "envbook-children-title"]),
            ("moved/", &["z"]),
        ]);
        let new = anchors(&[("a/", &["x"]), ("new/", &["z"])]);
        assert_eq!(lost(&old, &new, &BTreeMap::new()), ["/a/#y", "/moved/"]);
        let aliases = BTreeMap::from([("moved/".to_string(), "new/".to_string())]);
        assert_eq!(lost(&old, &new, &aliases), ["/a/#y"]);
    }
}
