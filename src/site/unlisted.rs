//! The pages of a book in mdBook's format that SUMMARY.md does not list:
//! its other markdown files, which envbook builds outside the navigation
//! where mdBook builds nothing, except where mdBook publishes something else
//! at that URL or the file is a part of other pages; and no section page
//! for a folder.

use std::collections::HashSet;
use std::path::Path;

use crate::config::Format;
use crate::content::{self, Page};
use crate::nav::Nav;
use crate::project::Project;
use crate::redirects;

/// The pages, in order, that mdBook has nothing of. mdBook builds only the
/// chapters SUMMARY.md lists, and no page for a folder; envbook builds the
/// book's other markdown files too, outside the navigation, but not:
/// - a file other pages include (the Rust Cookbook's 300 recipes, which
///   would be search results beside the chapters that hold them);
/// - a file where mdBook writes a redirect (the Rust Reference keeps
///   `types/textual.md` beside a redirect from `types/textual.html`);
/// - a file at a listed chapter's URL (Comprehensive Rust lists `index.md`
///   and keeps a `README.md`).
///
/// Nor the section page envbook makes for each folder in its own format:
/// nothing in a book links to it (its breadcrumbs follow SUMMARY.md), and
/// it was a search result beside the chapter of the same title (the
/// Cookbook's `algorithms/` beside `algorithms.html`), or stood where mdBook
/// writes a redirect (the Rust compiler's dev guide's
/// `llm-guidance/index.html`).
pub(super) fn left_out_as_in_mdbook(
    project: &Project,
    pages: &[Page],
    nav: &Nav,
    content_dir: &Path,
) -> Vec<usize> {
    let summary = project.sources.iter().any(|s| s.rel == content::SUMMARY);
    if project.config.format != Format::MdBook || !summary {
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
        let section = p.kind == content::Kind::GeneratedSection;
        (section && !p.url.is_empty())
            || (unlisted(i)
                && (included.contains(&p.source)
                    || listed.contains(p.url.as_str())
                    || moved.contains(&content::file_of(&p.url))))
    };
    (0..pages.len()).filter(|&i| no_page(i)).collect()
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
    crate::markdown::resolve(path.to_str()?, "")
}
