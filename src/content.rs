//! Pages: front matter, URLs and titles, from the markdown files of the
//! content folder (read by `project`). No I/O.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::config::Urls;
use crate::data::Data;
use crate::diagnostic::{Diagnostic, Diagnostics, Pos, display_path};
use crate::frontmatter::{self, FrontMatter};
use crate::include::Expansion;

/// A markdown file of the content folder.
#[derive(Debug, Clone)]
pub struct Source {
    /// Path relative to the content folder, with `/` separators.
    pub rel: String,
    /// Shared with the pages made from it, so a build copies no text.
    pub text: Arc<str>,
    /// The text with mdBook's file directives expanded, when it has any.
    pub expanded: Option<Arc<Expansion>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `runbooks/db-failover.md`
    Page,
    /// A folder's `index.md`, `_index.md` or `README.md`.
    Section,
    /// A folder without an index page gets one that lists its pages.
    GeneratedSection,
    /// One environment's page, generated from the data (`environments/prod/`).
    Environment,
    /// The home page as a copy of the first chapter (mdBook's `index.html`).
    Copy,
}

#[derive(Debug, Clone)]
pub struct Page {
    /// Content-relative source path; for a generated section, its folder.
    pub source: String,
    /// The file as named in diagnostics.
    pub file: PathBuf,
    /// URL path relative to the site root: `runbooks/db-failover/`, `` for home.
    pub url: String,
    pub kind: Kind,
    pub front: FrontMatter,
    /// The file as written: diagnostics point into it.
    pub text: Arc<str>,
    /// The file with mdBook's file directives expanded, when it has any.
    pub expanded: Option<Arc<Expansion>>,
    /// Where the markdown body starts in `text` (and in the expanded text:
    /// front matter is never expanded).
    pub body_start: usize,
}

impl Page {
    /// The whole file as markdown reads it: expanded.
    pub fn markdown(&self) -> &Arc<str> {
        self.expanded.as_ref().map_or(&self.text, |e| &e.text)
    }

    pub fn body(&self) -> &str {
        &self.markdown()[self.body_start..]
    }

    /// The folder of the source, relative to the content folder.
    pub fn dir(&self) -> &str {
        match self.kind {
            Kind::GeneratedSection => &self.source,
            _ => self.source.rsplit_once('/').map_or("", |(dir, _)| dir),
        }
    }

    /// Whether the page is written in the content folder (not generated).
    pub fn is_source(&self) -> bool {
        matches!(self.kind, Kind::Page | Kind::Section)
    }

    /// The title when neither front matter nor a `#` heading gives one.
    pub fn fallback_title(&self) -> String {
        let name = match self.kind {
            Kind::Page => self
                .source
                .rsplit('/')
                .next()
                .unwrap_or("")
                .trim_end_matches(".md"),
            _ => self.dir().rsplit('/').next().unwrap_or(""),
        };
        title_case(name)
    }
}

/// `db-failover` → `Db failover`.
fn title_case(name: &str) -> String {
    let words = name.replace(['-', '_'], " ");
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The file names that make a folder's section page, in order of preference.
const INDEX_NAMES: &[&str] = &["index.md", "_index.md", "README.md"];

/// The mdBook-style table of contents, which is not a page.
pub const SUMMARY: &str = "SUMMARY.md";

/// The URL path of a markdown source: `a/index.md` → `a/`; `a/b.md` → `a/b/`,
/// or `a/b.html` with mdBook's URLs.
pub fn url_of(rel: &str, urls: Urls) -> String {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    // The folder with its `/`, or nothing.
    let dir = &rel[..rel.len() - name.len()];
    let stem = name.trim_end_matches(".md");
    match urls {
        _ if INDEX_NAMES.contains(&name) => dir.to_string(),
        Urls::Pretty => [dir, stem, "/"].concat(),
        Urls::Html => [dir, stem, ".html"].concat(),
    }
}

/// The file a page's URL is written to: `a/` → `a/index.html`, `a/b.html` as is.
pub fn file_of(url: &str) -> String {
    if url.is_empty() || url.ends_with('/') {
        format!("{url}index.html")
    } else {
        url.to_string()
    }
}

/// Whether the page at `url` is the site's not-found page (mdBook's
/// `404.md`): its file is `404.html`. No allocation: asked of every page at
/// every preview rebuild.
pub fn is_not_found(url: &str) -> bool {
    // A URL not ending in `/` is its own file.
    url == "404.html"
}

/// How the content folder is read.
#[derive(Debug, Clone, Copy)]
pub struct Reading<'a> {
    /// The content folder, as diagnostics name it.
    pub dir: &'a Path,
    pub urls: Urls,
    /// Front matter is another tool's (in an mdBook book, its
    /// preprocessors'): keys envbook does not read are named in one
    /// warning, not refused.
    pub foreign_front_matter: bool,
}

/// Reads every source into a page, adds section pages for folders without
/// one, and reports front matter errors and URL collisions.
pub fn pages(
    sources: &[Source],
    data: Option<&Data>,
    reading: &Reading,
) -> (Vec<Page>, Diagnostics) {
    let (content_dir, urls) = (reading.dir, reading.urls);
    let mut problems = Diagnostics::default();
    let mut pages = Vec::with_capacity(sources.len() + 1);
    let mut ignored = Ignored::default();
    pages.extend(data.into_iter().flat_map(environment_pages));
    for source in sources {
        if source.rel == SUMMARY {
            continue;
        }
        let file = display_path(content_dir, Path::new(&source.rel));
        let split = match reading.foreign_front_matter {
            true => frontmatter::split_foreign(&source.text, &file).map(|(split, unknown)| {
                ignored.add(unknown, &source.text, &file);
                split
            }),
            false => frontmatter::split(&source.text, &file),
        };
        let split = match split {
            Ok(split) => split,
            Err(d) => {
                problems.push(d);
                continue;
            }
        };
        if split.front.draft {
            continue;
        }
        let body_start = source.text.len() - split.body.len();
        let name = source.rel.rsplit('/').next().unwrap_or("");
        pages.push(Page {
            url: url_of(&source.rel, urls),
            kind: if INDEX_NAMES.contains(&name) {
                Kind::Section
            } else {
                Kind::Page
            },
            front: split.front,
            body_start,
            file,
            source: source.rel.clone(),
            text: source.text.clone(),
            expanded: source.expanded.clone(),
        });
    }
    problems.0.extend(ignored.warning());
    add_generated_sections(&mut pages, content_dir);
    pages.sort_by(|a, b| a.url.cmp(&b.url).then(a.source.cmp(&b.source)));
    (pages, problems)
}

/// The front-matter keys envbook does not read, in a book whose front
/// matter is another tool's: one warning for all, at the first.
#[derive(Default)]
struct Ignored {
    /// Each key, with the number of pages that have it.
    keys: BTreeMap<String, usize>,
    first: Option<Diagnostic>,
}

impl Ignored {
    fn add(&mut self, unknown: Vec<frontmatter::Unknown>, text: &str, file: &Path) {
        if let (None, Some(u)) = (&self.first, unknown.first()) {
            let d = Diagnostic::error(file, String::new()).warning();
            self.first = Some(d.at(text, Pos::new(u.line, 1), u.key.chars().count()));
        }
        for u in unknown {
            *self.keys.entry(u.key).or_default() += 1;
        }
    }

    fn warning(self) -> Option<Diagnostic> {
        let mut d = self.first?;
        let keys: Vec<String> = self
            .keys
            .iter()
            .map(|(k, n)| match n {
                1 => format!("`{k}` (1 page)"),
                n => format!("`{k}` ({n} pages)"),
            })
            .collect();
        d.message = format!(
            "front matter: envbook does not read these keys, and ignores them: {}",
            keys.join(", ")
        );
        Some(d.with_help("they are another tool's (an mdBook preprocessor's); envbook reads title, description, weight, draft, aliases, toc, search and extra"))
    }
}

/// The folder of the generated environment pages.
pub const ENVIRONMENTS: &str = "environments";

/// One page per environment, listing all its settings by section. Written as
/// markdown with directives, so it is built like any page; the titles from the
/// data are text, so they are escaped into it.
fn environment_pages(data: &Data) -> Vec<Page> {
    data.environments
        .iter()
        .enumerate()
        .map(|(i, env)| {
            let title = literal(&env.title);
            let mut text = format!("# {title}\n\nEvery setting of {title}, by section.\n");
            for section in data.sections.iter().filter(|s| !s.settings.is_empty()) {
                text.push_str(&format!(
                    "\n## {}\n\n{{{{ matrix(section=\"{}\", envs=[\"{}\"], all=true) }}}}\n",
                    literal(&section.title),
                    section.id,
                    env.id
                ));
            }
            Page {
                source: format!("{ENVIRONMENTS}/{}", env.id),
                file: data.file.clone(),
                url: format!("{ENVIRONMENTS}/{}/", env.id),
                kind: Kind::Environment,
                front: FrontMatter {
                    title: Some(env.title.clone()),
                    weight: Some(i as i64),
                    ..FrontMatter::default()
                },
                text: Arc::from(text),
                expanded: None,
                body_start: 0,
            }
        })
        .collect()
}

/// Markdown that reads as exactly `text` on one line: CommonMark lets every
/// ASCII punctuation character be escaped with a backslash, and with all of them
/// escaped no HTML, link, emphasis, heading attribute or directive can start.
fn literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 4);
    for c in text.chars() {
        match c {
            '\n' | '\r' => out.push(' '),
            c if c.is_ascii_punctuation() => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// Two sources for one URL. Asked once the pages SUMMARY.md leaves out
/// are known (see `site::left_out_as_in_mdbook`).
pub fn check_collisions(pages: &[Page]) -> Diagnostics {
    let mut problems = Diagnostics::default();
    let mut by_url: foldhash::HashMap<&str, &Page> = foldhash::HashMap::default();
    for page in pages {
        if let Some(first) = by_url.insert(&page.url, page) {
            problems.push(
                Diagnostic::error(
                    &page.file,
                    format!(
                        "`{}` and `{}` would both be the page at /{}",
                        first.source, page.source, page.url
                    ),
                )
                .with_help("rename or remove one of them"),
            );
        }
    }
    problems
}

/// Every folder that holds pages gets a section page, so that breadcrumbs and
/// the URL `runbooks/` always lead somewhere.
fn add_generated_sections(pages: &mut Vec<Page>, content_dir: &Path) {
    // Slices of the pages' URLs, not copies: the preview does this at every
    // rebuild, for every page.
    let have: BTreeSet<&str> = pages.iter().map(|p| p.url.as_str()).collect();
    // The home page always exists, even for an empty content folder.
    let mut needed = BTreeSet::from([""]);
    for page in pages.iter() {
        let mut url = page.url.trim_end_matches('/');
        while let Some((parent, _)) = url.rsplit_once('/') {
            // A folder already needed has its parents needed too.
            if !needed.insert(&page.url[..=parent.len()]) {
                break;
            }
            url = parent;
        }
    }
    let missing: Vec<String> = needed.difference(&have).map(|u| u.to_string()).collect();
    for url in missing {
        let dir = url.trim_end_matches('/').to_string();
        pages.push(Page {
            file: display_path(content_dir, Path::new(&dir)),
            source: dir,
            url,
            kind: Kind::GeneratedSection,
            front: FrontMatter::default(),
            text: Arc::from(""),
            expanded: None,
            body_start: 0,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reading(urls: Urls) -> Reading<'static> {
        Reading {
            dir: Path::new("content"),
            urls,
            foreign_front_matter: false,
        }
    }

    fn src(rel: &str, text: &str) -> Source {
        Source {
            rel: rel.into(),
            text: text.into(),
            expanded: None,
        }
    }

    #[test]
    fn urls_follow_the_folder_tree() {
        let url = |rel| url_of(rel, Urls::Pretty);
        assert_eq!(url("index.md"), "");
        assert_eq!(url("runbooks/db-failover.md"), "runbooks/db-failover/");
        assert_eq!(url("runbooks/index.md"), "runbooks/");
        assert_eq!(url("runbooks/_index.md"), "runbooks/");
        assert_eq!(url("a/b/README.md"), "a/b/");
    }

    #[test]
    fn mdbook_urls_are_html_files() {
        let url = |rel| url_of(rel, Urls::Html);
        assert_eq!(url("README.md"), "");
        assert_eq!(
            url("ch04-01-what-is-ownership.md"),
            "ch04-01-what-is-ownership.html"
        );
        assert_eq!(
            url("format/configuration/index.md"),
            "format/configuration/"
        );
        assert_eq!(
            file_of("format/configuration/"),
            "format/configuration/index.html"
        );
        assert_eq!(file_of(""), "index.html");
        assert_eq!(file_of("a/b.html"), "a/b.html");
    }

    proptest::proptest! {
        /// Every folder above a page has one page, made when it has no
        /// index of its own; no other page is made.
        #[test]
        fn every_folder_above_a_page_has_one_page(
            rels in proptest::collection::btree_set("([ab]/){0,3}(index|[xy])\\.md", 0..12),
            html in proptest::bool::ANY,
        ) {
            let urls = if html { Urls::Html } else { Urls::Pretty };
            let sources: Vec<Source> = rels.iter().map(|r| src(r, "# T\n")).collect();
            let (pages, _) = pages(&sources, None, &reading(urls));
            let count = |url: &str| pages.iter().filter(|p| p.url == url).count();
            let mut folders = BTreeSet::from([String::new()]);
            for rel in &rels {
                let mut dir = rel.as_str();
                while let Some((parent, _)) = dir.rsplit_once('/') {
                    folders.insert(format!("{parent}/"));
                    dir = parent;
                }
            }
            for folder in &folders {
                proptest::prop_assert_eq!(count(folder), 1, "{}", folder);
            }
            for page in pages.iter().filter(|p| p.kind == Kind::GeneratedSection) {
                proptest::prop_assert!(folders.contains(&page.url), "{}", page.url);
            }
        }
    }

    #[test]
    fn folders_without_index_get_a_section_page_and_drafts_are_dropped() {
        let (pages, problems) = pages(
            &[
                src("runbooks/ops/db-failover.md", "# Failover\n"),
                src("draft.md", "---\ndraft: true\n---\n# Draft\n"),
                src("SUMMARY.md", "# Summary\n"),
            ],
            None,
            &reading(Urls::Pretty),
        );
        assert!(problems.is_empty());
        let urls: Vec<_> = pages.iter().map(|p| (p.url.as_str(), p.kind)).collect();
        assert_eq!(
            urls,
            [
                ("", Kind::GeneratedSection),
                ("runbooks/", Kind::GeneratedSection),
                ("runbooks/ops/", Kind::GeneratedSection),
                ("runbooks/ops/db-failover/", Kind::Page),
            ]
        );
        assert_eq!(pages[2].fallback_title(), "Ops");
        assert_eq!(pages[3].fallback_title(), "Db failover");
    }

    #[test]
    fn titles_from_data_are_text_in_the_generated_markdown() {
        assert_eq!(
            literal("<b>Dev</b> {{ x() }} [a](b)\n# *c*"),
            r"\<b\>Dev\<\/b\> \{\{ x\(\) \}\} \[a\]\(b\) \# \*c\*"
        );
    }

    #[test]
    fn two_sources_for_one_url_is_an_error() {
        let (pages, _) = pages(
            &[src("a.md", ""), src("a/index.md", "")],
            None,
            &reading(Urls::Pretty),
        );
        let problems = check_collisions(&pages);
        assert_eq!(
            problems.to_string(),
            "error: `a.md` and `a/index.md` would both be the page at /a/\n  --> content/a/index.md\n   = help: rename or remove one of them\n"
        );
    }

    #[test]
    fn front_matter_errors_are_collected() {
        let (pages, problems) = pages(
            &[
                src("a.md", "---\nweight: x\n---\n"),
                src("b.md", "---\ntitel: x\n---\n"),
            ],
            None,
            &reading(Urls::Pretty),
        );
        assert_eq!(problems.0.len(), 2);
        assert_eq!(pages.len(), 1, "only the generated home page");
    }
}
