//! The markdown files an mdBook book's SUMMARY.md does not list. envbook
//! builds them as pages outside the navigation, where mdBook builds
//! nothing, except where mdBook publishes something else at that URL or
//! the file is a part of other pages.

use std::collections::HashSet;
use std::path::Path;

use crate::content::{self, Page};
use crate::nav::Nav;
use crate::project::Project;
use crate::redirects;

/// The pages, in order, that SUMMARY.md does not list and that mdBook,
/// which builds only the chapters it lists, has no page for, where envbook
/// would otherwise build one outside the navigation: a file other pages
/// include (the Rust Cookbook's 300 recipes, which would be search results
/// beside the pages that hold them); one where mdBook writes a redirect
/// (the Rust Reference keeps `types/textual.md` beside a redirect from
/// `types/textual.html`); one with a listed chapter's URL (Comprehensive
/// Rust lists `index.md` and keeps a `README.md`).
pub(super) fn left_out_as_in_mdbook(
    project: &Project,
    pages: &[Page],
    nav: &Nav,
    content_dir: &Path,
) -> Vec<usize> {
    if !project.sources.iter().any(|s| s.rel == content::SUMMARY) {
        return Vec::new();
    }
    let moved = redirects::moved(&project.config.html.redirect);
    let included = included_sources(pages, content_dir);
    let unlisted = |i: usize| pages[i].is_source() && nav.node_of(i).is_none();
    let listed: HashSet<&str> = (0..pages.len())
        .filter(|&i| !unlisted(i))
        .map(|i| pages[i].url.as_str())
        .collect();
    let no_page = |i: usize| {
        let p = &pages[i];
        unlisted(i)
            && (included.contains(&p.source)
                || listed.contains(p.url.as_str())
                || moved.contains(&content::file_of(&p.url)))
    };
    let gone: Vec<bool> = (0..pages.len()).map(no_page).collect();
    // The folders that still hold a page: a section page made for one
    // that holds only files left out goes too.
    let generated = |i: usize| pages[i].kind == content::Kind::GeneratedSection;
    let kept = (0..pages.len()).filter(|&i| !gone[i] && !generated(i));
    let folders: HashSet<&str> = kept
        .flat_map(|i| {
            let url = pages[i].url.as_str();
            url.match_indices('/').map(move |(at, _)| &url[..=at])
        })
        .collect();
    let empty = |i: usize| {
        generated(i) && !pages[i].url.is_empty() && !folders.contains(pages[i].url.as_str())
    };
    (0..pages.len()).filter(|&i| gone[i] || empty(i)).collect()
}

/// The content-relative paths of the files the pages include.
fn included_sources(pages: &[Page], content_dir: &Path) -> HashSet<String> {
    let files = pages.iter().filter_map(|p| p.expanded.as_ref());
    let files = files.flat_map(|e| &e.files);
    let inside = files.filter_map(|f| f.strip_prefix(content_dir).ok());
    inside.filter_map(content_relative).collect()
}

/// `path` (under the content folder) as a source's `rel`: `a/../b.md` is `b.md`.
fn content_relative(path: &Path) -> Option<String> {
    use std::path::Component;
    let mut parts: Vec<&str> = Vec::new();
    for c in path.components() {
        match c {
            Component::Normal(s) => parts.push(s.to_str()?),
            Component::ParentDir => {
                parts.pop()?;
            }
            _ => {}
        }
    }
    Some(parts.join("/"))
}
