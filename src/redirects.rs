//! mdBook's `[output.html.redirect]`: old URLs, maybe with a `#fragment`,
//! that lead to new ones. A whole page that moved gets a redirect page at its
//! old path; a fragment of a page that still exists (`/manifest.html#rules`)
//! gets an entry in that page's fragment map, which the theme's script
//! follows when the fragment is no longer on the page. No I/O.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use crate::diagnostic::{Diagnostic, Diagnostics};

/// What the redirects of book.toml ask for.
#[derive(Debug, Default, PartialEq)]
pub struct Redirects {
    /// Output file → the redirect page's HTML.
    pub files: BTreeMap<String, String>,
    /// Page URL → (old fragment → new href), for pages that still exist.
    pub fragments: HashMap<String, BTreeMap<String, String>>,
}

/// Where the site is and what it has, for resolving redirects.
pub struct Site<'a> {
    /// The path part of base-url: `/` or `/docs/`.
    pub base: &'a str,
    /// Output file → page URL, for every page.
    pub pages: &'a HashMap<String, String>,
    /// book.toml's text and name, for the place of a problem.
    pub config_text: &'a str,
    pub config_file: &'a Path,
}

pub fn resolve(redirect: &BTreeMap<String, String>, site: &Site) -> (Redirects, Diagnostics) {
    let mut out = Redirects::default();
    let mut problems = Diagnostics::default();
    // Old file → (a key naming it, fragment → href), "" standing for the whole page.
    let mut by_file: BTreeMap<String, (&str, BTreeMap<String, String>)> = BTreeMap::new();
    for (from, to) in redirect {
        let (path, fragment) = from.split_once('#').unwrap_or((from, ""));
        let Some(file) = book_path(path) else {
            problems.push(problem(site, from, "is not a path inside the book"));
            continue;
        };
        let href = target(&file, to, site.base);
        let (_, map) = by_file.entry(file).or_insert((from, BTreeMap::new()));
        map.insert(fragment.to_string(), href);
    }
    for (file, (key, mut map)) in by_file {
        match site.pages.get(&file) {
            Some(url) => {
                // As mdBook: the page is kept, and its moved fragments are
                // followed on it (the Rust Reference's `types/textual.html`).
                if map.remove("").is_some() {
                    problems.push(
                        problem(
                            site,
                            key,
                            "is a page of the book: the page is kept, and the redirect not written",
                        )
                        .warning(),
                    );
                }
                if !map.is_empty() {
                    out.fragments.insert(url.clone(), map);
                }
            }
            None if !map.contains_key("") => {
                problems.push(problem(
                    site,
                    key,
                    "has only `#fragment` entries: an old page that is gone needs one without a fragment, for where the rest of it went",
                ));
            }
            None => {
                out.files.insert(file, page_html(&map));
            }
        }
    }
    (out, problems)
}

/// An old path as a file of the output: `/a/b.html`, `./a/b.html`,
/// `a//b.html` and `a/c/../b.html` are `a/b.html` (mdBook joins the key to
/// its output folder: the Rustonomicon writes `"./vec-alloc.html"`). `None`
/// for a path that names no file or leaves the book (`../x.html`, which
/// mdBook would write outside its output).
fn book_path(path: &str) -> Option<String> {
    crate::markdown::resolve(path, "").filter(|file| !file.is_empty())
}

/// The files of the old pages that `redirect` sends on whole (a key
/// without a `#fragment`).
pub fn moved(redirect: &BTreeMap<String, String>) -> HashSet<String> {
    let whole = |from: &String| {
        let (path, fragment) = from.split_once('#').unwrap_or((from, ""));
        fragment.is_empty().then(|| book_path(path)).flatten()
    };
    redirect.keys().filter_map(whole).collect()
}

/// A problem with the redirect from `from`, at its key in book.toml.
fn problem(site: &Site, from: &str, what: &str) -> Diagnostic {
    let text = site.config_text;
    let at = text
        .find(&format!("\"{from}\""))
        .map(|i| i + 1)
        .or_else(|| text.find(from))
        .unwrap_or(0);
    Diagnostic::error(site.config_file, format!("redirect `{from}` {what}")).at_span(
        site.config_text,
        at,
        at + from.len(),
    )
}

/// The href of `to`, written relative to the old file's folder (as mdBook
/// reads it), absolute from the book's root, or a full URL.
fn target(file: &str, to: &str, base: &str) -> String {
    if to.contains("://") {
        return to.to_string();
    }
    let (path, fragment) = match to.split_once('#') {
        Some((p, f)) => (p, format!("#{f}")),
        None => (to, String::new()),
    };
    if path.is_empty() {
        // `#fragment` alone: on the old page's own path.
        return format!("{base}{file}{fragment}");
    }
    let mut parts: Vec<&str> = file.split('/').collect();
    parts.pop();
    if path.starts_with('/') {
        parts.clear();
    }
    // Above the book's root: a sibling book on the same host (the Rust
    // Reference's `../rustdoc/the-doc-attribute.html`), kept as mdBook
    // writes it.
    let mut above = 0;
    for segment in path.split('/') {
        match segment {
            "." | "" => {}
            ".." => {
                if parts.pop().is_none() {
                    above += 1;
                }
            }
            s => parts.push(s),
        }
    }
    let trailing = if path.ends_with('/') { "/" } else { "" };
    let up = "../".repeat(above);
    format!("{base}{up}{}{trailing}{fragment}", parts.join("/"))
}

/// The page at an old path: it leads on at once, to the fragment's new place
/// when the old fragment is one of `map`'s, else to the page's (`""`) with the
/// fragment kept, else to where the first fragment went.
fn page_html(map: &BTreeMap<String, String>) -> String {
    let fallback = map
        .get("")
        .cloned()
        .or_else(|| {
            map.values()
                .next()
                .map(|h| h.split('#').next().unwrap_or("").to_string())
        })
        .unwrap_or_default();
    let fragments: BTreeMap<&String, &String> = map.iter().filter(|(k, _)| !k.is_empty()).collect();
    crate::links::redirect_html_with(&fallback, &script_json(&fragments))
}

/// JSON safe inside a `<script>` element.
pub fn script_json(map: &impl serde::Serialize) -> String {
    serde_json::to_string(map)
        .unwrap_or_else(|_| "{}".into())
        .replace('<', "\\u003c")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site<'a>(pages: &'a HashMap<String, String>, text: &'a str) -> Site<'a> {
        Site {
            base: "/book/",
            pages,
            config_text: text,
            config_file: Path::new("book.toml"),
        }
    }

    #[test]
    fn targets_are_relative_to_the_old_folder() {
        assert_eq!(
            target("format/config.html", "configuration/index.html", "/"),
            "/format/configuration/index.html"
        );
        assert_eq!(
            target(
                "guide/build-cache.html",
                "../reference/build-cache.html",
                "/b/"
            ),
            "/b/reference/build-cache.html"
        );
        assert_eq!(target("a.html", "/x/y.html#z", "/"), "/x/y.html#z");
        assert_eq!(
            target("attributes.html", "../rustdoc/doc.html", "/reference/"),
            "/reference/../rustdoc/doc.html"
        );
        assert_eq!(
            target("a/b.html", "../../../c.html#d", "/r/"),
            "/r/../../c.html#d"
        );
        assert_eq!(
            target("a/b.html", "#constraints", "/"),
            "/a/b.html#constraints"
        );
        assert_eq!(
            target("a.html", "https://example.com/x", "/"),
            "https://example.com/x"
        );
    }

    #[test]
    fn moved_pages_get_a_page_and_moved_fragments_a_map() {
        let pages = HashMap::from([(
            "reference/manifest.html".to_string(),
            "reference/manifest.html".to_string(),
        )]);
        let redirect = BTreeMap::from([
            ("/old.html".to_string(), "new.html".to_string()),
            (
                "/reference/manifest.html#rules".to_string(),
                "features.html".to_string(),
            ),
            ("/gone.html#a".to_string(), "x.html#b".to_string()),
            ("/gone.html".to_string(), "x.html".to_string()),
            // As the Rustonomicon writes them.
            ("./vec.html".to_string(), "./vec/vec.html".to_string()),
            (
                "./old/./c/../b.html".to_string(),
                "../vec/vec.html".to_string(),
            ),
        ]);
        let (r, problems) = resolve(&redirect, &site(&pages, ""));
        assert!(problems.is_empty(), "{problems}");
        assert_eq!(
            r.files.keys().collect::<Vec<_>>(),
            ["gone.html", "old.html", "old/b.html", "vec.html"]
        );
        for old in ["vec.html", "old/b.html"] {
            assert!(
                r.files[old].contains(r#"location.replace("/book/vec/vec.html""#),
                "{old}: {}",
                r.files[old]
            );
        }
        assert!(
            r.files["old.html"].contains("location.replace"),
            "{}",
            r.files["old.html"]
        );
        assert!(
            r.files["gone.html"].contains(r#"{"a":"/book/x.html#b"}"#),
            "{}",
            r.files["gone.html"]
        );
        assert_eq!(
            r.fragments["reference/manifest.html"]["rules"],
            "/book/reference/features.html"
        );
    }

    proptest::proptest! {
        /// Whatever a key holds, its file is inside the output, as plain
        /// segments: no output file is written outside it.
        #[test]
        fn an_old_path_is_a_file_inside_the_book_or_refused(
            segments in proptest::collection::vec(
                proptest::sample::select(vec!["", ".", "..", "a", "b.html"]),
                0..8,
            )
        ) {
            let path = segments.join("/");
            let plain = segments.iter().filter(|s| !matches!(**s, "" | "." | "..")).count();
            match book_path(&path) {
                Some(file) => proptest::prop_assert!(
                    file.trim_end_matches('/').split('/').all(|s| s == "a" || s == "b.html"),
                    "{path:?} gave {file:?}"
                ),
                None => proptest::prop_assert!(
                    plain == 0 || segments.contains(&".."),
                    "{path:?} refused"
                ),
            }
            if !segments.contains(&"..") && plain > 0 {
                let count = |f: String| f.trim_end_matches('/').split('/').count();
                proptest::prop_assert_eq!(book_path(&path).map(count), Some(plain));
            }
        }
    }

    #[test]
    fn a_redirect_from_outside_the_book_or_of_fragments_only_is_an_error_and_from_a_page_a_warning()
    {
        let pages = HashMap::from([("a.html".to_string(), "a.html".to_string())]);
        let text = "[output.html.redirect]\n\"/a.html\" = \"b.html\"\n\"../x.html\" = \"b.html\"\n\"/c.html#f\" = \"b.html\"\n\"./d/../../y.html\" = \"b.html\"\n\"/./\" = \"b.html\"\n\"/a.html#old\" = \"#new\"\n";
        let redirect = BTreeMap::from([
            ("/a.html".to_string(), "b.html".to_string()),
            ("../x.html".to_string(), "b.html".to_string()),
            ("./d/../../y.html".to_string(), "b.html".to_string()),
            ("/./".to_string(), "b.html".to_string()),
            ("/c.html#f".to_string(), "b.html".to_string()),
            ("/a.html#old".to_string(), "#new".to_string()),
        ]);
        let (r, problems) = resolve(&redirect, &site(&pages, text));
        assert_eq!(
            problems.to_string(),
            "error: redirect `../x.html` is not a path inside the book\n --> book.toml:3:2\n  |\n3 | \"../x.html\" = \"b.html\"\n  |  ^^^^^^^^^\n\n\
             error: redirect `./d/../../y.html` is not a path inside the book\n --> book.toml:5:2\n  |\n5 | \"./d/../../y.html\" = \"b.html\"\n  |  ^^^^^^^^^^^^^^^^\n\n\
             error: redirect `/./` is not a path inside the book\n --> book.toml:6:2\n  |\n6 | \"/./\" = \"b.html\"\n  |  ^^^\n\n\
             warning: redirect `/a.html` is a page of the book: the page is kept, and the redirect not written\n --> book.toml:2:2\n  |\n2 | \"/a.html\" = \"b.html\"\n  |  ^^^^^^^\n\n\
             error: redirect `/c.html#f` has only `#fragment` entries: an old page that is gone needs one without a fragment, for where the rest of it went\n --> book.toml:4:2\n  |\n4 | \"/c.html#f\" = \"b.html\"\n  |  ^^^^^^^^^\n"
        );
        assert!(r.files.is_empty(), "{:?}", r.files);
        assert_eq!(r.fragments["a.html"]["old"], "/book/a.html#new");
        assert_eq!(r.fragments["a.html"].len(), 1);
    }
}
