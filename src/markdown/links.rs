//! Link destinations: relative `.md` paths (and mdBook's `.html` ones) become
//! page URLs, everything internal gets the site's base path, external links
//! and paths that leave the site stay as written.

use std::borrow::Cow;
use std::collections::BTreeMap;

use percent_encoding::percent_decode_str;

/// What a page needs to know to rewrite its links.
#[derive(Debug, Clone, Copy)]
pub struct LinkContext<'a> {
    /// The path part of base-url, starting and ending with `/`.
    pub base: &'a str,
    /// The folder of the page's source, relative to the content folder (`runbooks`, or ``).
    pub page_dir: &'a str,
    /// Source path (`runbooks/db-failover.md`) → URL path (`runbooks/db-failover/`).
    pub pages: &'a BTreeMap<String, String>,
}

/// Where a link goes, as far as the site is concerned.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Target {
    /// Another host, a scheme such as `mailto:`, or a relative path that
    /// climbs above the site's root (mdBook books link `../std/index.html`,
    /// a sibling site on the same host): not checked.
    External,
    /// `#fragment` on the same page.
    SamePage { fragment: String },
    /// A page of the site (its URL path), maybe with a fragment.
    Page {
        url: String,
        fragment: Option<String>,
    },
    /// A `.md` file that is not a page of the site (content-relative path).
    MissingPage {
        path: String,
        fragment: Option<String>,
    },
    /// Any other file or folder under the content root (content-relative
    /// path), maybe with a fragment (`/runbooks/db-failover/#x`).
    File {
        path: String,
        fragment: Option<String>,
    },
}

/// The rewritten href and what it points at. As on GitHub, the path and
/// fragment are percent-decoded to find their page, file or id
/// (`my%20page.md` is `my page.md`); a file's href keeps them as written.
pub fn rewrite(dest: &str, cx: &LinkContext) -> (String, Target) {
    if is_external(dest) {
        return (dest.to_string(), Target::External);
    }
    if let Some(fragment) = dest.strip_prefix('#') {
        let target = Target::SamePage {
            fragment: decode(fragment).into_owned(),
        };
        return (dest.to_string(), target);
    }
    let (path_and_query, fragment) = match dest.split_once('#') {
        Some((p, f)) => (p, Some(f)),
        None => (dest, None),
    };
    let (path, query) = match path_and_query.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (path_and_query, None),
    };
    let Some(resolved) = resolve(&decode(path), cx.page_dir) else {
        return (dest.to_string(), Target::External);
    };
    let suffix = query.map(|q| format!("?{q}")).unwrap_or_default()
        + &fragment.map(|f| format!("#{f}")).unwrap_or_default();
    let fragment = fragment.map(|f| decode(f).into_owned());
    if let Some(url) = html_page(&resolved, cx.pages) {
        let href = format!("{}{url}{suffix}", cx.base);
        let url = url.clone();
        return (href, Target::Page { url, fragment });
    }
    if let Some(stem) = resolved.strip_suffix(".md") {
        // As mdBook, which writes `x.md` links as `x.html`: `index.md` is
        // the folder's `README.md` too (Clippy's book links `index.md`).
        return match html_page(&format!("{stem}.html"), cx.pages) {
            Some(url) => (
                format!("{}{url}{suffix}", cx.base),
                Target::Page {
                    url: url.clone(),
                    fragment,
                },
            ),
            None => (
                dest.to_string(),
                Target::MissingPage {
                    path: resolved,
                    fragment,
                },
            ),
        };
    }
    let as_written = resolve(path, cx.page_dir).unwrap_or_else(|| resolved.clone());
    let href = format!("{}{as_written}{suffix}", cx.base);
    (
        href,
        Target::File {
            path: resolved,
            fragment,
        },
    )
}

/// The URL of the page that mdBook writes as `resolved` when it is a `.html`
/// path: `chapter.html` for `chapter.md`, `index.html` for `index.md` or
/// `README.md`. Another `.html` path is a file.
fn html_page<'p>(resolved: &str, pages: &'p BTreeMap<String, String>) -> Option<&'p String> {
    let stem = resolved.strip_suffix(".html")?;
    let readme = match stem.strip_suffix("index") {
        Some(dir) if dir.is_empty() || dir.ends_with('/') => Some(format!("{dir}README.md")),
        _ => None,
    };
    pages
        .get(&format!("{stem}.md"))
        .or_else(|| pages.get(&readme?))
}

/// `s` with its `%XX` escapes decoded, or as it is when they are not UTF-8.
fn decode(s: &str) -> Cow<'_, str> {
    percent_decode_str(s)
        .decode_utf8()
        .unwrap_or(Cow::Borrowed(s))
}

/// A scheme (`https:`, `mailto:`) or a protocol-relative `//host`.
fn is_external(dest: &str) -> bool {
    if dest.starts_with("//") {
        return true;
    }
    match dest.find(':') {
        Some(i) => {
            let scheme = &dest[..i];
            !scheme.is_empty()
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        }
        None => false,
    }
}

/// `path` relative to `dir` (or to the content root when it starts with `/`),
/// with `.` and `..` resolved; `None` when it climbs out of the root.
pub fn resolve(path: &str, dir: &str) -> Option<String> {
    let (start, path) = match path.strip_prefix('/') {
        Some(rest) => ("", rest),
        None => (dir, path),
    };
    let mut parts: Vec<&str> = start.split('/').filter(|p| !p.is_empty()).collect();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            _ => parts.push(part),
        }
    }
    let mut out = parts.join("/");
    if path.ends_with('/') && !out.is_empty() {
        out.push('/');
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pages() -> BTreeMap<String, String> {
        [
            ("index.md", ""),
            ("runbooks/db-failover.md", "runbooks/db-failover/"),
            ("runbooks/index.md", "runbooks/"),
            ("guides/on-call.md", "guides/on-call/"),
        ]
        .into_iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
    }

    fn href(dest: &str, base: &str, dir: &str) -> (String, Target) {
        let pages = pages();
        rewrite(
            dest,
            &LinkContext {
                base,
                page_dir: dir,
                pages: &pages,
            },
        )
    }

    #[test]
    fn relative_md_links_become_page_urls_with_fragments() {
        assert_eq!(
            href(
                "../runbooks/db-failover.md#promote-the-replica",
                "/docs/",
                "guides"
            )
            .0,
            "/docs/runbooks/db-failover/#promote-the-replica"
        );
        assert_eq!(
            href("db-failover.md", "/", "runbooks").0,
            "/runbooks/db-failover/"
        );
        assert_eq!(href("index.md", "/", "runbooks").0, "/runbooks/");
        assert_eq!(href("../index.md", "/", "runbooks").0, "/");
        assert_eq!(
            href("/guides/on-call.md", "/d/", "runbooks").0,
            "/d/guides/on-call/"
        );
    }

    #[test]
    fn other_files_get_the_base_path() {
        let (h, t) = href("img/diagram.png", "/docs/", "runbooks");
        assert_eq!(h, "/docs/runbooks/img/diagram.png");
        assert_eq!(
            t,
            Target::File {
                path: "runbooks/img/diagram.png".into(),
                fragment: None
            }
        );
        assert_eq!(href("../runbooks/", "/", "guides").0, "/runbooks/");
    }

    #[test]
    fn external_and_same_page_links_stay() {
        for dest in [
            "https://example.com/a.md",
            "mailto:ops@example.com",
            "//cdn/x",
        ] {
            assert_eq!(
                href(dest, "/docs/", ""),
                (dest.to_string(), Target::External)
            );
        }
        assert_eq!(
            href("#rollback", "/docs/", "").1,
            Target::SamePage {
                fragment: "rollback".into()
            }
        );
    }

    #[test]
    fn percent_escapes_are_decoded_to_find_the_target() {
        let mut pages = pages();
        pages.insert("my page.md".into(), "my page/".into());
        let cx = LinkContext {
            base: "/",
            page_dir: "",
            pages: &pages,
        };
        let page = Target::Page {
            url: "my page/".into(),
            fragment: Some("déjà".into()),
        };
        assert_eq!(
            rewrite("my%20page.md#d%C3%A9j%C3%A0", &cx),
            ("/my page/#d%C3%A9j%C3%A0".into(), page.clone())
        );
        assert_eq!(rewrite("my page.md#déjà", &cx).1, page);
        assert_eq!(
            rewrite("a%23b%20c.png", &cx),
            (
                "/a%23b%20c.png".into(),
                Target::File {
                    path: "a#b c.png".into(),
                    fragment: None
                }
            )
        );
        assert_eq!(
            rewrite("#100%", &cx).1,
            Target::SamePage {
                fragment: "100%".into()
            }
        );
    }

    #[test]
    fn missing_and_escaping_links_are_reported_as_such() {
        assert_eq!(
            href("nope.md#x", "/", "runbooks").1,
            Target::MissingPage {
                path: "runbooks/nope.md".into(),
                fragment: Some("x".into())
            }
        );
    }

    #[test]
    fn paths_above_the_root_are_outside_links_kept_as_written() {
        for (dest, dir) in [
            ("../../x.md", "runbooks"),
            ("../std/index.html", ""),
            ("../../std/io/struct.Error.html#examples", "guides"),
        ] {
            assert_eq!(href(dest, "/docs/", dir), (dest.into(), Target::External));
        }
    }

    #[test]
    fn html_links_lead_to_the_page_of_their_md_file() {
        let mut pages = pages();
        pages.insert("intro/README.md".into(), "intro/".into());
        let cx = LinkContext {
            base: "/b/",
            page_dir: "guides",
            pages: &pages,
        };
        let page = |url: &str, fragment: Option<&str>| Target::Page {
            url: url.into(),
            fragment: fragment.map(Into::into),
        };
        assert_eq!(
            rewrite("../runbooks/db-failover.html#promote", &cx),
            (
                "/b/runbooks/db-failover/#promote".into(),
                page("runbooks/db-failover/", Some("promote"))
            )
        );
        assert_eq!(
            rewrite("on-call.html", &cx).1,
            page("guides/on-call/", None)
        );
        assert_eq!(
            rewrite("/runbooks/index.html", &cx).1,
            page("runbooks/", None)
        );
        assert_eq!(
            rewrite("../intro/index.html#x", &cx).1,
            page("intro/", Some("x"))
        );
        assert_eq!(
            rewrite("../report.html", &cx).1,
            Target::File {
                path: "report.html".into(),
                fragment: None
            }
        );
        assert_eq!(rewrite("../myindex.html", &cx).0, "/b/myindex.html");
        // `index.md` is the folder's README.md, as `index.html` is (mdBook
        // writes `x.md` links as `x.html`).
        assert_eq!(
            rewrite("../intro/index.md#x", &cx),
            ("/b/intro/#x".into(), page("intro/", Some("x")))
        );
        assert!(matches!(
            rewrite("../intro/myindex.md", &cx).1,
            Target::MissingPage { .. }
        ));
    }
}
