//! Heading ids: GitHub's slug rules, made unique on the page; mdBook's for
//! an mdBook book.

use std::collections::{HashMap, HashSet};

/// GitHub's slug: lowercase, punctuation dropped (but `-` and `_`), spaces to `-`.
pub fn slug(text: &str) -> String {
    text.trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            '-' | '_' => Some(c),
            c if c.is_alphanumeric() => Some(c),
            _ => None,
        })
        .collect()
}

/// mdBook's heading ids (mdBook 0.5's `id_from_content` and `unique_id`),
/// so that an mdBook book keeps every anchor it published: the slug turns
/// any white space into `-` and keeps what is left empty (a heading `# ?`
/// gets `id=""`, written as no id); repeats get `-1`, `-2`… among the
/// generated ids only: mdBook does not count `{#custom}` ids or ids in raw
/// HTML, so a heading may share an id with them, as in mdBook.
#[derive(Debug, Default)]
pub struct MdBookIds {
    used: HashSet<String>,
    /// The next suffix to try for a base (every one below it is taken and
    /// stays taken), so that n repeats cost n steps, not n².
    next: HashMap<String, usize>,
}

impl MdBookIds {
    /// The id for a heading (or definition term) with this text.
    pub fn unique(&mut self, text: &str) -> String {
        let base: String = text
            .trim()
            .to_lowercase()
            .chars()
            .filter_map(|c| match c {
                c if c.is_alphanumeric() || c == '_' || c == '-' => Some(c),
                c if c.is_whitespace() => Some('-'),
                _ => None,
            })
            .collect();
        if self.used.insert(base.clone()) {
            return base;
        }
        let next = self.next.entry(base.clone()).or_insert(1);
        loop {
            let id = format!("{base}-{next}");
            *next += 1;
            if self.used.insert(id.clone()) {
                return id;
            }
        }
    }
}

/// The ids of one page, so that no two of its elements share one. Ids the
/// author chose are reserved first: headings' `{#custom}` ids (one written
/// twice is an error), then ids in raw HTML (passed through as written; two
/// raw elements with one id are the author's to fix). Then, in page order,
/// matrix rows and shared-list items take their setting's key when it is
/// still free (a later table with the same row, or a row whose key a
/// `{#custom}` id took, gets no id, and its 🔗 leads to the element that has
/// it); headings take their slug and footnotes `fn-…`/`fnref-…`, with `-1`,
/// `-2`… added when taken.
#[derive(Debug, Default)]
pub struct Ids {
    taken: HashSet<String>,
    /// The next suffix to try for a base, so that n repeats of one heading
    /// cost n steps, not n² (every number below it is taken).
    next: HashMap<String, usize>,
}

impl Ids {
    /// Takes `id` if it is free.
    pub fn reserve(&mut self, id: &str) -> bool {
        !self.taken.contains(id) && self.taken.insert(id.to_string())
    }

    /// `base`, or `base-1`, `base-2`… for its later occurrences, as GitHub does.
    pub fn unique(&mut self, base: &str) -> String {
        let base = if base.is_empty() { "section" } else { base };
        if self.reserve(base) {
            return base.to_string();
        }
        let next = self.next.entry(base.to_string()).or_insert(1);
        loop {
            let id = format!("{base}-{next}");
            *next += 1;
            if !self.taken.contains(&id) {
                self.taken.insert(id.clone());
                return id;
            }
        }
    }
}

/// The fragment targets of a piece of HTML: every `id`, and the `name` of an
/// `<a>` (a `<meta name="viewport">` is not one).
pub fn html_ids(html: &str) -> impl Iterator<Item = String> + '_ {
    // A vectorised substring search: whole pages are scanned for their ids.
    [" id=", " name="].into_iter().flat_map(move |attr| {
        memchr::memmem::find_iter(html.as_bytes(), attr).filter_map(move |i| {
            if attr == " name=" && !in_a_tag(&html[..=i]) {
                return None;
            }
            let rest = &html[i + attr.len()..];
            let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
            let value = &rest[1..];
            value.find(quote).map(|end| unescape(&value[..end]))
        })
    })
}

/// Whether the HTML before an attribute (and its space) ends inside an `<a …`
/// start tag.
fn in_a_tag(before: &str) -> bool {
    let Some(open) = before.rfind('<') else {
        return false;
    };
    let tag = &before.as_bytes()[open + 1..];
    tag.len() > 1
        && tag[0].eq_ignore_ascii_case(&b'a')
        && tag[1].is_ascii_whitespace()
        && !tag.contains(&b'>')
}

/// Undoes the HTML escaping of an attribute value.
fn unescape(value: &str) -> String {
    if !value.contains('&') {
        return value.to_string();
    }
    value
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_slugs() {
        assert_eq!(slug("Promote the replica"), "promote-the-replica");
        assert_eq!(slug("Step 2: Verify"), "step-2-verify");
        assert_eq!(slug("Backend `GIN_MODE`"), "backend-gin_mode");
        assert_eq!(slug("What's new?"), "whats-new");
        assert_eq!(slug("Déjà vu"), "déjà-vu");
        assert_eq!(slug("a -- b"), "a----b");
    }

    #[test]
    fn repeats_get_suffixes() {
        let mut ids = Ids::default();
        assert_eq!(ids.unique("verify"), "verify");
        assert_eq!(ids.unique("verify"), "verify-1");
        assert_eq!(ids.unique("verify"), "verify-2");
        assert_eq!(ids.unique(""), "section");
    }

    #[test]
    fn mdbook_ids_follow_mdbook() {
        let mut ids = MdBookIds::default();
        assert_eq!(ids.unique("Hello  World\t– 2"), "hello--world--2");
        assert_eq!(ids.unique("hello--world--2"), "hello--world--2-1");
        assert_eq!(ids.unique("Über"), "über");
        assert_eq!(ids.unique("Über"), "über-1");
        assert_eq!(ids.unique("über-1"), "über-1-1");
        assert_eq!(ids.unique("Über"), "über-2");
        assert_eq!(ids.unique("?"), "");
        assert_eq!(ids.unique("!"), "-1");
        assert_eq!(ids.unique("a\u{a0}b"), "a-b");
    }

    #[test]
    fn reserved_ids_are_skipped() {
        let mut ids = Ids::default();
        ids.reserve("verify");
        assert!(ids.reserve("verify-2"));
        assert!(!ids.reserve("verify-2"));
        assert_eq!(ids.unique("verify"), "verify-1");
        assert_eq!(ids.unique("verify-1"), "verify-1-1");
        assert_eq!(ids.unique("verify"), "verify-3");
    }
}
