//! Links into the site from elsewhere: runbooks, alert rules
//! (`runbook_url`), dashboards, code comments. Every URL under the site's
//! full base URL in a text must lead to a page of this build (or an alias
//! of one) and to an anchor on it; each that does not is reported at its
//! file, line and column, with the closest page or anchor. No I/O.

use std::collections::BTreeMap;
use std::path::Path;

use crate::diagnostic::{Diagnostic, Lines, did_you_mean};
use crate::links::Anchors;

/// The site as links into it see it.
pub struct Site<'a> {
    /// The full base URL, without its scheme: `docs.example.com/platform/`.
    pub base: &'a str,
    pub anchors: &'a Anchors,
    /// Old URL → the page it leads to now.
    pub aliases: &'a BTreeMap<String, String>,
}

/// The URLs into the site in `text` (the file `file`), and a problem for
/// each that leads nowhere.
pub fn check(file: &Path, text: &str, site: &Site) -> (usize, Vec<Diagnostic>) {
    let lines = Lines::new(text);
    let (mut found, mut problems) = (0, Vec::new());
    for (start, end, rest) in urls(text, site.base) {
        found += 1;
        if let Err((message, help)) = resolve(rest, site) {
            let d = Diagnostic::error(file, message).at_span_in(&lines, start, end);
            problems.push(match help {
                Some(help) => d.with_help(help),
                None => d,
            });
        }
    }
    (found, problems)
}

/// Each `http(s)://BASE…` in `text`: where it starts and ends, and what
/// follows the base.
fn urls<'t>(text: &'t str, base: &str) -> Vec<(usize, usize, &'t str)> {
    let needle = format!("://{base}");
    memchr::memmem::find_iter(text.as_bytes(), needle.as_bytes())
        .filter_map(|at| {
            let start = ["https", "http"]
                .iter()
                .find(|s| text[..at].ends_with(*s))
                .map(|s| at - s.len())?;
            let from = at + needle.len();
            let len = text[from..]
                .find(|c: char| c.is_whitespace() || "\"'<>()[]{}`|,;\\".contains(c))
                .unwrap_or(text.len() - from);
            // A sentence's full stop or colon is not part of the URL.
            let rest = text[from..from + len].trim_end_matches(['.', ':', '!', '?']);
            Some((start, from + rest.len(), rest))
        })
        .collect()
}

type Problem = (String, Option<String>);

/// The page and anchor `rest` (after the base) leads to.
fn resolve(rest: &str, site: &Site) -> Result<(), Problem> {
    let (path, anchor) = rest.split_once('#').unwrap_or((rest, ""));
    let path = path.split_once('?').map_or(path, |(p, _)| p);
    let decoded = percent_encoding::percent_decode_str(path).decode_utf8_lossy();
    let page = page_of(&decoded, site).ok_or_else(|| {
        let pages = site.anchors.pages.keys().map(String::as_str);
        let help = did_you_mean(&decoded, pages)
            .map(|h| h.replacen('`', "`/", 1))
            .unwrap_or_else(|| {
                "if the page moved, add its old URL to the new page's `aliases`".into()
            });
        (format!("/{decoded} is no page of the site"), Some(help))
    })?;
    if anchor.is_empty() {
        return Ok(());
    }
    let ids = &site.anchors.pages[page];
    if ids.contains(anchor) {
        return Ok(());
    }
    let help = did_you_mean(anchor, ids.iter().map(String::as_str)).unwrap_or_else(|| {
        format!("give a heading `{{#{anchor}}}` there, so links to it keep working")
    });
    Err((format!("/{page} has no anchor `#{anchor}`"), Some(help)))
}

/// The page at `path` (after the base): itself, its folder's page
/// (`a/b` or `a/b/index.html` for `a/b/`), or where an alias leads.
fn page_of<'s>(path: &str, site: &'s Site) -> Option<&'s String> {
    let trimmed = path.strip_suffix("index.html").unwrap_or(path);
    let candidates = [path.to_string(), trimmed.to_string(), format!("{path}/")];
    let page = |c: &str| site.anchors.pages.get_key_value(c).map(|(k, _)| k);
    candidates.iter().find_map(|c| page(c)).or_else(|| {
        candidates
            .iter()
            .find_map(|c| page(site.aliases.get(c)?.trim_start_matches('/')))
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use proptest::prelude::*;

    use super::*;

    fn anchors() -> Anchors {
        let ids = |ids: &[&str]| Arc::new(ids.iter().map(|s| s.to_string()).collect());
        Anchors {
            pages: BTreeMap::from([
                (String::new(), ids(&[])),
                ("runbooks/db/".to_string(), ids(&["promote", "restore"])),
            ]),
        }
    }

    fn problems(text: &str) -> (usize, Vec<String>) {
        let (anchors, aliases) = (
            anchors(),
            BTreeMap::from([("old/".into(), "runbooks/db/".into())]),
        );
        let site = Site {
            base: "docs.example.com/p/",
            anchors: &anchors,
            aliases: &aliases,
        };
        let (n, found) = check(Path::new("x.md"), text, &site);
        (n, found.iter().map(|d| d.message.clone()).collect())
    }

    #[test]
    fn urls_end_where_prose_or_markup_does() {
        let text = "See https://docs.example.com/p/runbooks/db/#promote. Also (http://docs.example.com/p/old#restore), \
                    \"https://docs.example.com/p/runbooks/db/index.html\", https://docs.example.com/p/runbooks/db?x=1#restore: \
                    https://docs.example.com/p/ and https://docs.example.com/p/runbooks/db/#nope";
        assert_eq!(
            problems(text),
            (6, vec!["/runbooks/db/ has no anchor `#nope`".to_string()])
        );
    }

    proptest! {
        #[test]
        fn any_text_is_read_without_panic(before in any::<String>(), after in any::<String>()) {
            let text = format!("{before}https://docs.example.com/p/{after}");
            let (n, _) = problems(&text);
            prop_assert!(n >= 1);
        }
    }
}
