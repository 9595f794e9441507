//! One build: pages → titles → navigation → for each page, markdown then
//! templates, handed to a [`Sink`] as soon as it is rendered (so a big site is
//! never held in memory twice), then the extra files (404, sitemap, theme
//! static files). Where the files go is the sink's business.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::{BuildHasher, Hash};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::Mutex;

use rayon::prelude::*;

use crate::config::{Format, LinkCheck, Urls};
use crate::content::{self, Page};
use crate::data::Data;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::directives::Expander;
use crate::export;
use crate::links::{self, Anchors, Ids, PageLinks};
use crate::markdown::{self, Highlighter, Key, Link, LinkContext, Rendered, Store};
use crate::nav::{self, Nav, NodeId};
use crate::print;
use crate::project::Project;
use crate::redirects::{self, Redirects};
use crate::render::{
    self, BranchNav, ChildView, LinkView, NavLinks, PageContext, PageView, Renderer, SiteView,
    SitemapContext, SitemapEntry,
};
use crate::search::index::{Chunks, Fragment};
use crate::search::kept::Kept;

mod search;
mod unlisted;

pub use search::SEARCH_DIR;
use search::{IndexOut, Terms, index_path};

/// Where a build puts its files (paths relative to the output folder).
pub trait Sink: Sync {
    fn put(&self, path: &str, bytes: Vec<u8>) -> anyhow::Result<()>;
    /// A file copied as it is (an image of the content folder).
    fn copy(&self, path: &str, from: &Path) -> anyhow::Result<()>;
    /// Whether the file at `path` is already what was made from `key` (a
    /// page's inputs), as a sink that writes into an older site can tell:
    /// then it stays as it is, and counts as written.
    fn holds(&self, _path: &str, _key: &Key) -> bool {
        false
    }
    /// [`Sink::put`] of bytes made from `key`.
    fn put_made(&self, path: &str, _key: &Key, bytes: Vec<u8>) -> anyhow::Result<()> {
        self.put(path, bytes)
    }
}

/// Keeps the files in memory (for tests and the preview server).
#[derive(Debug, Default)]
pub struct Memory {
    pub files: Mutex<std::collections::BTreeMap<String, Vec<u8>>>,
}

impl Sink for Memory {
    fn put(&self, path: &str, bytes: Vec<u8>) -> anyhow::Result<()> {
        self.files
            .lock()
            .expect("no panics while holding the lock")
            .insert(path.to_string(), bytes);
        Ok(())
    }

    fn copy(&self, path: &str, from: &Path) -> anyhow::Result<()> {
        let bytes =
            std::fs::read(from).map_err(|e| anyhow::anyhow!("reading {}: {e}", from.display()))?;
        self.put(path, bytes)
    }
}

/// Writes nothing: `check`.
pub struct Discard;

impl Sink for Discard {
    fn put(&self, _: &str, _: Vec<u8>) -> anyhow::Result<()> {
        Ok(())
    }

    fn copy(&self, _: &str, _: &Path) -> anyhow::Result<()> {
        Ok(())
    }
}

/// What a successful build reports.
#[derive(Debug, Default)]
pub struct Summary {
    pub pages: usize,
    /// Every file of the site, including those a cached build did not
    /// hand to the sink again because they did not change.
    pub outputs: Vec<String>,
    /// A hash of `outputs`: the same as the last build's when an edit
    /// added and removed no file.
    pub outputs_key: u64,
    /// The pages whose HTML was rendered (all of them unless cached).
    pub rendered: usize,
    /// Problems that did not stop the build.
    pub warnings: Diagnostics,
    /// Those of `warnings` that are broken links (`[links] check = "warn"`,
    /// and always in the preview, which shows them in the pages).
    pub broken_links: Diagnostics,
    /// Every page and the ids on it.
    pub anchors: Anchors,
    /// Alias URL → the URL of the page it leads to.
    pub aliases: BTreeMap<String, String>,
    /// The search index's term chunks: written by a one-off build, made
    /// when first asked for by the preview server (under [`SEARCH_DIR`]).
    pub search: Option<Arc<Chunks>>,
    /// Every page: its URL, source (content-relative; empty for a generated
    /// page) and title, in the order of the pages.
    pub listing: Vec<Listed>,
}

/// A page as [`Summary::listing`] names it.
#[derive(Debug, Clone, PartialEq)]
pub struct Listed {
    pub url: String,
    pub source: String,
    pub title: String,
}

/// What the preview server keeps between builds, so that a change re-renders
/// only what it affects. A one-off build keeps nothing (`Cache::default()`)
/// in memory; either may have a store on disk (`with_store`).
#[derive(Default)]
pub struct Cache {
    keep: bool,
    /// Rendered pages and their search fragments from earlier builds, by a
    /// key of everything they are made of (the build cache's `pages-v1/`).
    store: Option<Box<dyn Store>>,
    /// Each page's title and markdown, by URL, with the text they came from.
    pages: foldhash::HashMap<String, Cached>,
    /// The page-to-URL map links were rewritten with.
    links: u64,
    data: Option<Data>,
    /// See [`Views::fingerprint`].
    shared: u64,
    /// The last theme's templates and static files.
    themed: Option<Themed>,
    /// See [`Views::extras_key`].
    extras: u64,
    /// A hash of every file's path.
    files: u64,
    /// The last build found no broken link: the next checks only the pages
    /// an edit may have broken (see [`Views::links_to_check`]).
    links_clean: bool,
    /// A hash of where each matrix row is shown (see [`Views::rows_shown`]).
    rows_key: Option<u64>,
    anchors: Anchors,
    /// The search index's fragments of matrix rows.
    rows: Vec<Arc<Fragment>>,
    /// The search index's term chunks, which the next build's update.
    chunks: Option<Arc<Chunks>>,
}

struct Cached {
    text: Arc<str>,
    /// See [`own_title`].
    title: Option<String>,
    rendered: Option<Rendered>,
    /// The ids of its HTML, for link checking.
    ids: Ids,
    /// Its entry of anchors.json (see [`links::page_json`]).
    ids_json: Arc<str>,
    /// Its search fragment, when it is indexed.
    fragment: Option<Arc<Fragment>>,
    /// See [`Keys`].
    keys: Keys,
}

/// What a page's output is made of besides its own markdown and what every
/// page shares (config, theme): when a page's keys and markdown are those of
/// the last build, so is its output.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Keys {
    /// See [`Views::view_key`].
    view: u64,
    /// See [`Views::search_key`].
    search: u64,
}

impl Cache {
    /// A cache that keeps what each build computed for the next one.
    pub fn keeping() -> Cache {
        Cache {
            keep: true,
            ..Cache::default()
        }
    }

    /// This cache, reading and writing `store` too.
    pub fn with_store(self, store: Option<Box<dyn Store>>) -> Cache {
        Cache { store, ..self }
    }

    /// Forgets what it keeps in memory (the site was read again); the store stays.
    pub fn forget(&mut self) {
        *self = Cache {
            keep: self.keep,
            store: self.store.take(),
            ..Cache::default()
        };
    }

    /// Keeps what this build put in the store for the builds to come.
    pub fn save_store(&self) {
        if let Some(store) = &self.store {
            store.save();
        }
    }

    /// After a whole build that succeeded: drops from the store what the
    /// build did not need, once that is most of it (see `Store::collect`).
    pub fn collect_store(&self) {
        if let Some(store) = &self.store {
            store.collect();
        }
    }

    /// The cached entry for `page` if it was made from the same text.
    fn get(&self, page: &Page) -> Option<&Cached> {
        self.pages
            .get(&page.url)
            .filter(|c| Arc::ptr_eq(&c.text, page.markdown()) || c.text == *page.markdown())
    }
}

/// A hash that tells whether what a page is made of changed between builds.
fn hash(value: &impl Hash) -> u64 {
    foldhash::quality::FixedState::default().hash_one(value)
}

/// Builds `project` into `sink`. Every problem found is reported; any error
/// means the build failed (the sink may then hold part of the site). With a
/// keeping cache, only the files that changed since the last build go to the
/// sink.
pub fn build(
    project: &Project,
    highlighter: &Highlighter,
    sink: &dyn Sink,
    cache: &mut Cache,
) -> Result<Summary, Diagnostics> {
    let mut problems = project.warnings();
    let prepared = prepare(project, cache, &mut problems)?;
    let views = Views::new(project, &prepared, highlighter);
    let plan = Plan::new(&views, project, cache);
    let results = render_pages(&views, &plan, sink, cache);
    let done = collect(results, &prepared.pages, cache, &mut problems);
    if plan.all_templates || !plan.data_same || cache.extras != plan.extras {
        problems.0.extend(views.extras(sink));
    }
    if views.whole_book && plan.dirty.iter().any(|d| *d) {
        problems.0.extend(views.book_pages(sink, &done.html, cache));
    }
    problems
        .0
        .extend(copy_assets(project, &prepared.pages, sink));
    let anchors = Anchors {
        pages: prepared
            .pages
            .iter()
            .zip(&done.ids)
            .map(|(p, i)| (p.url.clone(), i.clone()))
            .collect(),
    };
    let aliases = views.aliases(sink, &mut problems);
    let mut outputs = views.outputs();
    let mut searched = views
        .search
        .then(|| views.search_index(&plan, &done, cache, sink, &mut problems));
    if let Some(searched) = &mut searched {
        outputs.append(&mut searched.files);
    }
    let search = searched.as_ref().and_then(|s| match &s.terms {
        Terms::Chunks(chunks) => Some(chunks.clone()),
        Terms::Entries(..) => None,
    });
    outputs.extend(aliases.keys().map(|a| content::file_of(a)));
    outputs.push(ANCHORS.to_string());
    let files: links::Files = outputs.iter().map(String::as_str).collect();
    let files_key = hash(&outputs);
    let checked = views.links_to_check(&plan, &done, cache, files_key);
    // A one-off build makes the index's chunks meanwhile (nothing links to them).
    let terms = searched.as_ref().map(|s| &s.terms).filter(|_| !cache.keep);
    let (link_problems, chunk_files) = rayon::join(
        || links::check(&checked, &anchors, &files, project.config.links.check),
        || terms.map(|t| views.chunk_files(t, &plan, cache, sink)),
    );
    let broken_links = Diagnostics(link_problems.clone()).sorted();
    problems.0.extend(link_problems);
    let chunk_files = chunk_files.unwrap_or_default();
    // The preview makes no chunk files: its outputs are hashed already.
    let chunked = !chunk_files.is_empty();
    for file in chunk_files {
        let path = index_path(&file.path);
        if let Some(json) = file.json {
            let written = put_made(sink, &path, file.key.as_ref(), json.into_bytes());
            problems.0.extend(written.err().unwrap_or_default());
        }
        outputs.push(path);
    }
    let outputs_key = if chunked { hash(&outputs) } else { files_key };
    let ids_json = (!cache.keep || cache.anchors != anchors).then(|| anchors_json(&anchors, cache));
    if let Some(entries) = &ids_json {
        let json = links::anchors_json(entries.iter().map(|(_, e)| &**e));
        problems
            .0
            .extend(put(sink, ANCHORS, json).err().unwrap_or_default());
    }
    if problems.has_errors() {
        return Err(problems.sorted());
    }
    if cache.keep {
        cache.update(&prepared, &plan, done, ids_json.unwrap_or_default());
        let (rows, rows_key) = searched.map(|s| (s.rows, s.rows_key)).unwrap_or_default();
        (cache.rows, cache.rows_key) = (rows, rows_key);
        cache.chunks = search.clone();
        if cache.anchors != anchors {
            cache.anchors = anchors.clone();
        }
        (cache.data, cache.files) = (project.data.clone(), files_key);
        cache.links_clean = broken_links.is_empty();
    }
    Ok(Summary {
        pages: prepared.pages.len(),
        outputs,
        outputs_key,
        rendered: plan.dirty.iter().filter(|d| **d).count(),
        warnings: problems.sorted(),
        broken_links,
        anchors,
        aliases,
        search,
        listing: (prepared.pages.iter().zip(&prepared.titles))
            .map(|(page, title)| Listed {
                url: page.url.clone(),
                source: match page.is_source() {
                    true => page.source.clone(),
                    false => String::new(),
                },
                title: title.clone(),
            })
            .collect(),
    })
}

/// The pages and what every page's template needs of the others, worked out
/// before any page is rendered.
struct Prepared {
    redirects: Redirects,
    pages: Vec<Page>,
    /// See [`own_title`].
    own_titles: Vec<Option<String>>,
    titles: Vec<String>,
    nav: Nav,
    themed: Themed,
    site: SiteView,
}

/// What the theme gives every page, made again only when the theme changed
/// (the preview rebuilds for each edit): its templates parsed, its static
/// files named by their hashes.
#[derive(Clone)]
struct Themed {
    /// A hash of the theme's files.
    key: u64,
    renderer: Arc<Renderer>,
    statics: Arc<[Static]>,
}

fn prepare(
    project: &Project,
    cache: &Cache,
    problems: &mut Diagnostics,
) -> Result<Prepared, Diagnostics> {
    let config = &project.config;
    let content_dir = project.display(&config.build.content);
    let (mut pages, page_problems) = content::pages(
        &project.sources,
        project.data.as_ref(),
        &content::Reading {
            dir: &content_dir,
            urls: config.build.urls,
            foreign_front_matter: config.format == Format::MdBook,
        },
    );
    problems.extend(page_problems);
    let included = pages.iter().filter_map(|p| p.expanded.as_ref());
    problems
        .0
        .extend(included.flat_map(|e| e.diagnostics.iter().cloned()));
    let mut own: Vec<Option<String>> = pages
        .par_iter()
        .map(|p| match cache.get(p) {
            Some(cached) => cached.title.clone(),
            None => own_title(p),
        })
        .collect();
    let fallback = |(p, t): (&Page, &Option<String>)| {
        t.clone()
            .unwrap_or_else(|| fallback_title(p, &config.book.title))
    };
    let mut titles: Vec<String> = pages.iter().zip(&own).map(fallback).collect();
    let (mut nav, nav_problems) = navigation(project, &pages, &titles, &content_dir);
    let left_out = unlisted::left_out_as_in_mdbook(project, &pages, &nav, &content_dir);
    if !left_out.is_empty() {
        for &i in left_out.iter().rev() {
            pages.remove(i);
            own.remove(i);
            titles.remove(i);
        }
        nav = nav.without(&left_out);
    }
    problems.extend(nav_problems);
    problems.extend(content::check_collisions(&pages));
    // A chapter without a title of its own is called what SUMMARY.md calls
    // it; in an mdBook book every chapter is, as mdBook names them.
    let summary_names = config.format == Format::MdBook;
    for (i, own) in own.iter().enumerate() {
        let node = nav.node_of(i).filter(|_| own.is_none() || summary_names);
        if let Some(node) = node.filter(|&n| !nav.nodes[n].title.is_empty()) {
            titles[i] = nav.nodes[node].title.clone();
        }
    }
    if config.build.urls == Urls::Html {
        copy_first_chapter_home(&mut pages, &mut titles, &nav);
    }
    let themed = themed(project, cache).map_err(|template_problems| {
        let mut all = std::mem::take(problems);
        all.extend(template_problems);
        all.sorted()
    })?;
    let (redirects, redirect_problems) = resolve_redirects(project, &pages);
    problems.extend(redirect_problems);
    let site = site_view(config);
    Ok(Prepared {
        redirects,
        pages,
        own_titles: own,
        titles,
        nav,
        themed,
        site,
    })
}

/// The theme's templates and static files, the last build's when the
/// theme did not change.
fn themed(project: &Project, cache: &Cache) -> Result<Themed, Diagnostics> {
    let files = project.theme.files.iter().map(|(n, f)| (n, &f.bytes));
    let key = hash(&files.collect::<Vec<_>>());
    match &cache.themed {
        Some(themed) if themed.key == key => Ok(themed.clone()),
        _ => Ok(Themed {
            key,
            renderer: Arc::new(Renderer::new(&project.theme)?),
            statics: static_files(project).into(),
        }),
    }
}

/// What this build must render, given what the cache kept.
struct Plan {
    /// A hash of the page-to-URL map that links are rewritten with, and of
    /// how markdown is read.
    links: u64,
    data_same: bool,
    /// See [`Views::fingerprint`].
    shared: u64,
    /// See [`Views::extras_key`].
    extras: u64,
    keys: Vec<Keys>,
    /// Pages whose markdown must be rendered again.
    stale: Vec<bool>,
    /// Pages whose HTML must be rendered again.
    dirty: Vec<bool>,
    /// Pages whose search fragment must be made again.
    reindex: Vec<bool>,
    all_templates: bool,
    /// The last one-off build's search index, from the store.
    index: Option<Kept>,
}

impl Plan {
    fn new(views: &Views, project: &Project, cache: &Cache) -> Plan {
        let flavor = markdown::Flavor::of(&project.config);
        let links = hash(&(&views.sources, &views.site.base_url, flavor));
        let data_same = cache.data == project.data;
        let changes = crate::data::Changes::between(cache.data.as_ref(), project.data.as_ref());
        let shared = views.fingerprint();
        let branches = views.branch_keys();
        let last: Vec<Option<&Cached>> = views.pages.iter().map(|p| cache.get(p)).collect();
        let stale: Vec<bool> = last
            .iter()
            .map(|c| {
                let cached = c.and_then(|c| c.rendered.as_ref());
                cache.links != links || cached.is_none_or(|r| changes.touch(&r.reads))
            })
            .collect();
        let all_templates = cache.shared != shared || !cache.keep;
        let keys = views.keys(&branches);
        let changed = |i: usize, key: fn(&Keys) -> u64| {
            all_templates || stale[i] || last[i].map(|c| key(&c.keys)) != Some(key(&keys[i]))
        };
        let dirty = (0..keys.len()).map(|i| changed(i, |k| k.view)).collect();
        let reindex = (0..keys.len()).map(|i| changed(i, |k| k.search)).collect();
        Plan {
            links,
            data_same,
            shared,
            extras: views.extras_key(&branches),
            keys,
            stale,
            dirty,
            reindex,
            all_templates,
            index: (views.search && !cache.keep)
                .then(|| cache.store.as_deref().and_then(Kept::load))
                .flatten(),
        }
    }
}

/// Renders the dirty pages. Each page is rendered and handed to the sink in
/// one go, so a one-off build never holds more than a page per thread. The
/// pages are taken by the branch of the navigation they show: a branch's is
/// made once for its pages and let go after them.
fn render_pages(views: &Views, plan: &Plan, sink: &dyn Sink, cache: &Cache) -> Vec<Rendering> {
    let mut branches: BTreeMap<Option<NodeId>, Vec<usize>> = BTreeMap::new();
    for i in (0..views.pages.len()).filter(|&i| plan.dirty[i]) {
        branches.entry(views.branch_of(i)).or_default().push(i);
    }
    let job = Job {
        views,
        plan,
        sink,
        cache,
    };
    branches
        .into_par_iter()
        .flat_map(|(branch, pages)| {
            let nav = views.branch_nav(branch);
            pages
                .into_par_iter()
                .map(move |i| job.render(i, nav.as_ref()))
        })
        .collect()
}

/// What rendering a page needs.
#[derive(Clone, Copy)]
struct Job<'a> {
    views: &'a Views<'a>,
    plan: &'a Plan,
    sink: &'a dyn Sink,
    cache: &'a Cache,
}

impl Job<'_> {
    /// Renders page `i`, showing `nav` (or failing with its problem).
    fn render(&self, i: usize, nav: Result<&BranchNav, &Diagnostic>) -> Rendering {
        let Job {
            views,
            plan,
            sink,
            cache,
        } = *self;
        let page = &views.pages[i];
        let stored = cache.store.as_deref().map(|s| (s, views.page_key(page)));
        if let Some(held) = stored.and_then(|stored| self.held(i, stored)) {
            return held;
        }
        let fresh = plan.stale[i].then(|| views.markdown(page, stored));
        let cached = || cache.get(page).and_then(|c| c.rendered.as_ref());
        let rendered = fresh
            .as_ref()
            .or_else(cached)
            .expect("a page is rendered or cached");
        // A page with problems is not written, but its ids still count:
        // links to it from elsewhere are not broken by its problems.
        let failed = rendered.diagnostics.iter().any(Diagnostic::is_error);
        let (mut problems, ids) = self.output(i, rendered, nav, stored);
        // Its warnings too (a code block left plain), each time it is rendered.
        problems.extend(rendered.diagnostics.iter().cloned());
        let indexed = match plan.reindex[i] {
            true => {
                let out = IndexOut {
                    sink,
                    keep: cache.keep,
                    failed,
                    stored,
                    index: plan.index.as_ref(),
                };
                views.index_entry(i, Some(rendered), &out, &mut problems)
            }
            // Only its navigation changed, not what the index has of it.
            false => cache.get(page).map(|c| Indexed {
                fragment: c.fragment.clone(),
                key: None,
            }),
        };
        Rendering {
            index: i,
            indexed: indexed.unwrap_or_default(),
            html: views.whole_book.then(|| rendered.html.clone()),
            links: rendered.links.clone(),
            ids,
            fresh: fresh.filter(|_| cache.keep),
            problems,
        }
    }
}

impl Job<'_> {
    /// Page `i` as the sink holds it from an earlier build with the same
    /// inputs (`stored`: its markdown's key), its ids and links from the
    /// store, its fragment too: not rendered, its markdown not even read.
    /// `None` when something is missing: then it is rendered.
    fn held(&self, i: usize, (store, page): (&dyn Store, Key)) -> Option<Rendering> {
        let views = self.views;
        // The print page needs every page's body; the preview keeps its
        // pages in memory, and its sink holds none.
        if views.whole_book || self.cache.keep {
            return None;
        }
        let key = self.output_key(i, &page);
        let path = content::file_of(&views.pages[i].url);
        if !self.sink.holds(&path, &key) {
            return None;
        }
        let held: Held = postcard::from_bytes(&store.get(&key)?).ok()?;
        // Its markdown, not read, is still the page's.
        store.keep(&page);
        let indexed = views.search && !views.left_out(&views.pages[i]);
        let out = IndexOut {
            sink: self.sink,
            keep: false,
            failed: false,
            stored: Some((store, page)),
            index: self.plan.index.as_ref(),
        };
        let mut problems = Vec::new();
        let indexed = match indexed && self.plan.reindex[i] {
            true => views.index_entry(i, None, &out, &mut problems)?,
            false => Indexed::default(),
        };
        Some(Rendering {
            index: i,
            indexed,
            html: None,
            links: held.links,
            ids: held.ids,
            fresh: None,
            problems,
        })
    }

    /// Writes page `i`'s HTML (not for a page with problems); returns the
    /// problems and the page's ids.
    fn output(
        &self,
        i: usize,
        rendered: &Rendered,
        nav: Result<&BranchNav, &Diagnostic>,
        stored: Option<(&dyn Store, Key)>,
    ) -> (Vec<Diagnostic>, Ids) {
        let (views, sink) = (self.views, self.sink);
        // What a later build into a folder needs to leave the page as it is.
        let made = stored
            .filter(|_| !self.cache.keep && rendered.diagnostics.is_empty())
            .map(|(store, page)| (store, self.output_key(i, &page)));
        let failed = rendered.diagnostics.iter().any(Diagnostic::is_error);
        let page_html = nav
            .map_err(|d| vec![d.clone()])
            .and_then(|nav| views.page(i, rendered, nav));
        match page_html {
            Ok((path, html)) => {
                let ids = links::ids_in(&html);
                if let Some((store, key)) = &made {
                    let held = Held {
                        ids: ids.clone(),
                        links: rendered.links.clone(),
                    };
                    store.put(
                        key,
                        &postcard::to_stdvec(&held).expect("ids and links serialize"),
                    );
                }
                let key = made.as_ref().map(|(_, key)| key);
                let put = match failed {
                    true => Ok(()),
                    false => put_made(sink, &path, key, html.into_bytes()),
                };
                (put.err().unwrap_or_default(), ids)
            }
            Err(problems) => (problems, links::ids_in(&rendered.html)),
        }
    }

    /// The key of page `i`'s HTML: its markdown's (`page`), and what its
    /// template receives besides (see [`Views::view_key`], [`Views::fingerprint`]).
    fn output_key(&self, i: usize, page: &Key) -> Key {
        let view = self.plan.keys[i].view.to_le_bytes();
        let shared = self.plan.shared.to_le_bytes();
        Key::of(&[b"page html", &page.0, &view, &shared])
    }
}

/// What the store keeps of a page's HTML, under the key it is made from
/// (see [`Job::held`]).
#[derive(serde::Serialize, serde::Deserialize)]
struct Held {
    ids: Ids,
    links: Arc<[Link]>,
}

/// Every page's ids and links, and the new markdown for the cache.
struct Collected {
    ids: Vec<Ids>,
    links: Vec<Arc<[Link]>>,
    fresh: HashMap<usize, Rendered>,
    /// The body HTML of the pages just rendered, for the print page.
    html: HashMap<usize, String>,
    /// Each page's part of the search index.
    indexed: Vec<Indexed>,
}

/// Those just rendered, the others as cached; the problems go to `problems`.
fn collect(
    results: Vec<Rendering>,
    pages: &[Page],
    cache: &Cache,
    problems: &mut Diagnostics,
) -> Collected {
    let mut done = Collected {
        ids: Vec::with_capacity(pages.len()),
        links: Vec::with_capacity(pages.len()),
        fresh: HashMap::new(),
        html: HashMap::new(),
        indexed: Vec::with_capacity(pages.len()),
    };
    for cached in pages.iter().map(|p| cache.get(p)) {
        let rendered = cached.and_then(|c| c.rendered.as_ref());
        done.ids
            .push(cached.map(|c| c.ids.clone()).unwrap_or_default());
        done.links
            .push(rendered.map(|r| r.links.clone()).unwrap_or_default());
        done.indexed.push(Indexed {
            fragment: cached.and_then(|c| c.fragment.clone()),
            key: None,
        });
    }
    for r in results {
        done.indexed[r.index] = r.indexed;
        problems.0.extend(r.problems);
        done.html.extend(r.html.map(|h| (r.index, h)));
        (done.ids[r.index], done.links[r.index]) = (r.ids, r.links);
        done.fresh.extend(r.fresh.map(|f| (r.index, f)));
    }
    done
}

/// mdBook's extra pages: the whole book on one page, and its table of contents.
const PRINT: &str = "print.html";
const TOC: &str = "toc.html";

/// `anchors.json`: every page and the ids on it, for `check --baseline`.
pub const ANCHORS: &str = "anchors.json";

/// What rendering one page gave.
struct Rendering {
    index: usize,
    /// The page's body HTML, when the print page needs it.
    html: Option<String>,
    links: Arc<[Link]>,
    ids: Ids,
    /// Its new markdown, when the cache keeps it.
    fresh: Option<Rendered>,
    indexed: Indexed,
    problems: Vec<Diagnostic>,
}

/// A page's part of the search index.
#[derive(Clone, Default)]
struct Indexed {
    /// Its terms; none when it is not indexed, or when the last build's
    /// index has them (see [`Kept::has`]).
    fragment: Option<Arc<Fragment>>,
    /// What its fragment is made of, with the build cache.
    key: Option<Key>,
}

impl Cache {
    /// Keeps what this build made of the pages; `ids_json`: the entries of
    /// anchors.json made again, by URL.
    fn update(
        &mut self,
        prepared: &Prepared,
        plan: &Plan,
        mut done: Collected,
        ids_json: Vec<(&str, Arc<str>)>,
    ) {
        let keys = &plan.keys;
        let pages = prepared.pages.iter().zip(&prepared.own_titles);
        for (i, (page, title)) in pages.enumerate() {
            let Some(cached) = self.pages.get_mut(&page.url) else {
                let cached = Cached {
                    text: page.markdown().clone(),
                    title: title.clone(),
                    rendered: done.fresh.remove(&i),
                    ids: std::mem::take(&mut done.ids[i]),
                    ids_json: Arc::default(),
                    fragment: done.indexed[i].fragment.take(),
                    keys: keys[i],
                };
                self.pages.insert(page.url.clone(), cached);
                continue;
            };
            if !Arc::ptr_eq(&cached.text, page.markdown()) {
                (cached.text, cached.title) = (page.markdown().clone(), title.clone());
            }
            if let Some(rendered) = done.fresh.remove(&i) {
                cached.rendered = Some(rendered);
            }
            cached.ids = std::mem::take(&mut done.ids[i]);
            (cached.fragment, cached.keys) = (done.indexed[i].fragment.take(), keys[i]);
        }
        // Every page's URL is kept: any other is a page that has gone.
        if self.pages.len() > prepared.pages.len() {
            let urls: foldhash::HashSet<&str> =
                prepared.pages.iter().map(|p| p.url.as_str()).collect();
            self.pages.retain(|url, _| urls.contains(url.as_str()));
        }
        for (url, json) in ids_json {
            if let Some(cached) = self.pages.get_mut(url) {
                cached.ids_json = json;
            }
        }
        (self.links, self.shared, self.extras) = (plan.links, plan.shared, plan.extras);
        self.themed = Some(prepared.themed.clone());
    }
}

/// The entries of anchors.json by URL: the cached one of a page whose ids
/// did not change, else made again.
fn anchors_json<'a>(anchors: &'a Anchors, cache: &Cache) -> Vec<(&'a str, Arc<str>)> {
    anchors
        .pages
        .par_iter()
        .map(|(url, ids)| {
            let cached = cache.pages.get(url).filter(|c| c.ids == *ids);
            let json = match cached {
                Some(c) if !c.ids_json.is_empty() => c.ids_json.clone(),
                _ => links::page_json(url, ids).into(),
            };
            (url.as_str(), json)
        })
        .collect()
}

/// Writes one file of the site; links in an HTML file made relative first
/// when the site's are (see [`relative`]).
fn put(sink: &dyn Sink, path: &str, bytes: Vec<u8>) -> Result<(), Vec<Diagnostic>> {
    put_made(sink, path, None, bytes)
}

/// [`put`] of bytes made from `key` (see [`Sink::holds`]).
fn put_made(
    sink: &dyn Sink,
    path: &str,
    key: Option<&Key>,
    bytes: Vec<u8>,
) -> Result<(), Vec<Diagnostic>> {
    let bytes = match path.ends_with(".html") {
        true => match String::from_utf8(bytes) {
            Ok(html) => relative(path, html).into_bytes(),
            Err(e) => e.into_bytes(),
        },
        false => bytes,
    };
    match key {
        Some(key) => sink.put_made(path, key, bytes),
        None => sink.put(path, bytes),
    }
    .map_err(|e| vec![Diagnostic::error(path, format!("{e:#}"))])
}

/// What every page's template sees of the site.
fn site_view(config: &crate::config::Config) -> SiteView {
    let base = base_path(config);
    let href = |p: &PathBuf| format!("{base}{}", p.to_string_lossy().replace('\\', "/"));
    SiteView {
        title: config.book.title.clone(),
        description: config.book.description.clone(),
        language: config.book.language.clone(),
        url: config.base_url(),
        repository_url: config.html.git_repository_url.clone().unwrap_or_default(),
        css: config.html.additional_css.iter().map(href).collect(),
        js: config.html.additional_js.iter().map(href).collect(),
        search: config.search.enable,
        base_url: base,
    }
}

fn resolve_redirects(project: &Project, pages: &[Page]) -> (Redirects, Diagnostics) {
    let config = &project.config;
    if config.html.redirect.is_empty() {
        return Default::default();
    }
    redirects::resolve(
        &config.html.redirect,
        &redirects::Site {
            base: &base_path(config),
            pages: &pages
                .iter()
                .map(|p| (content::file_of(&p.url), p.url.clone()))
                .collect(),
            config_text: &project.config_text,
            config_file: &project.display(Path::new(crate::config::FILE_NAME)),
        },
    )
}

/// Where every internal link starts: the path of `base-url`, or, for links
/// relative to each page, [`ROOT`], replaced when the page is written.
/// What every page's markdown depends on besides its own text and file:
/// the config (base URL, flavour), the pages links can go to, the data the
/// directives show, and the highlighter.
fn site_key(project: &Project, prepared: &Prepared, highlighter: &Highlighter) -> Key {
    let sources: Vec<(&str, &str)> = prepared
        .pages
        .iter()
        .filter(|p| p.is_source())
        .map(|p| (p.source.as_str(), p.url.as_str()))
        .collect();
    // How broken links count changes no page: `build --links warn` and the
    // preview share the cache with `build`.
    let mut config = project.config.clone();
    config.links.check = Default::default();
    // The data without its file's name as diagnostics give it, which is
    // where the site is (see `Views::page_key`).
    let data = project
        .data
        .as_ref()
        .map(|d| (&d.environments, &d.sections));
    // The pages by a hash, not as text: at 10,000 pages their text was
    // 1.5 MB to format at every preview rebuild (as `Views::view_key`, 64 bits).
    let described = format!(
        "{:?}\0{:x}\0{:?}\0{}",
        config,
        hash(&sources),
        data,
        highlighter.version()
    );
    Key::of(&[described.as_bytes()])
}

fn base_path(config: &crate::config::Config) -> String {
    match config.html.relative_links {
        true => ROOT.to_string(),
        false => config.base_path(),
    }
}

/// Stands for the site's root in the HTML of a site with relative links.
const ROOT: &str = "/__envbook_root__/";

/// `html`, to be written at `file`, with [`ROOT`] made relative to it
/// (`./`, `../`, …), or made `/` for a page that can be shown at any path
/// (`404.html`). Nothing to do for a site with absolute links.
fn relative(file: &str, html: String) -> String {
    if !html.contains(ROOT) {
        return html;
    }
    let root = match file.matches('/').count() {
        _ if file == "404.html" => "/".to_string(),
        0 => "./".to_string(),
        depth => "../".repeat(depth),
    };
    html.replace(ROOT, &root)
}

/// The title a page gives itself: front matter `title`, else its first `#` heading.
fn own_title(page: &Page) -> Option<String> {
    page.front
        .title
        .clone()
        .or_else(|| markdown::title(page.body()))
}

/// The title of a page that gives none: the site title for home, else from the file name.
fn fallback_title(page: &Page, site_title: &str) -> String {
    if page.url.is_empty() {
        site_title.to_string()
    } else {
        page.fallback_title()
    }
}

/// mdBook writes the first chapter a second time as the book's `index.html`
/// when the book has no home page of its own: so does envbook, for mdBook's URLs.
fn copy_first_chapter_home(pages: &mut [Page], titles: &mut [String], nav: &Nav) {
    let home = pages
        .iter()
        .position(|p| p.url.is_empty() && p.kind == content::Kind::GeneratedSection);
    let (Some(home), Some(&first)) = (home, nav.order.first()) else {
        return;
    };
    let mut copy = pages[first].clone();
    copy.url = String::new();
    copy.kind = content::Kind::Copy;
    pages[home] = copy;
    titles[home] = titles[first].clone();
}

fn navigation(
    project: &Project,
    pages: &[Page],
    titles: &[String],
    content_dir: &Path,
) -> (Nav, Diagnostics) {
    let pages: Vec<&Page> = pages.iter().collect();
    match project.sources.iter().find(|s| s.rel == content::SUMMARY) {
        Some(summary) => nav::from_summary(
            &nav::SummaryFile {
                text: &summary.text,
                file: &content_dir.join(content::SUMMARY),
                missing_is_draft: project.config.html.create_missing,
            },
            &pages,
        ),
        None => (nav::from_folders(&pages, titles), Diagnostics::default()),
    }
}

/// What every page render shares.
struct Views<'a> {
    project: &'a Project,
    pages: &'a [Page],
    /// Each page's href and title, by page index.
    hrefs: Vec<String>,
    titles: &'a [String],
    /// Source path → URL, for link rewriting.
    sources: BTreeMap<String, String>,
    home: Option<usize>,
    nav: &'a Nav,
    site: &'a SiteView,
    renderer: &'a Renderer,
    /// A hash of the theme's files.
    theme: u64,
    static_url: String,
    /// See [`PageContext::assets`].
    assets: BTreeMap<String, String>,
    /// The files under `static/`.
    statics: &'a [Static],
    highlighter: &'a Highlighter,
    expander: Expander<'a>,
    redirects: &'a Redirects,
    /// Write mdBook's `print.html` and `toc.html`.
    whole_book: bool,
    /// Write the search index.
    search: bool,
    /// What every page's markdown depends on besides its own text, for the
    /// keys of the build cache's pages.
    site_key: Key,
    /// The front matter's `extra` of a page that has none.
    no_extra: serde_json::Map<String, serde_json::Value>,
}

/// What a `.md` link can lead to: each page's source, by its URL; and, as
/// in mdBook, which writes every `x.md` link as `x.html`, each redirect
/// page's old path (the Edition Guide links `no-anon-params.md`, which
/// moved).
fn link_targets(prepared: &Prepared) -> BTreeMap<String, String> {
    let pages = prepared.pages.iter().filter(|p| p.is_source());
    let mut targets: BTreeMap<String, String> =
        pages.map(|p| (p.source.clone(), p.url.clone())).collect();
    for file in prepared.redirects.files.keys() {
        if let Some(stem) = file.strip_suffix(".html") {
            targets
                .entry(format!("{stem}.md"))
                .or_insert_with(|| file.clone());
        }
    }
    targets
}

impl<'a> Views<'a> {
    fn new(
        project: &'a Project,
        prepared: &'a Prepared,
        highlighter: &'a Highlighter,
    ) -> Views<'a> {
        let base = &prepared.site.base_url;
        let pages = &prepared.pages;
        let statics = &prepared.themed.statics;
        Views {
            project,
            hrefs: pages.iter().map(|p| format!("{base}{}", p.url)).collect(),
            sources: link_targets(prepared),
            home: pages.iter().position(|p| p.url.is_empty()),
            pages,
            titles: &prepared.titles,
            nav: &prepared.nav,
            site: &prepared.site,
            renderer: &prepared.themed.renderer,
            theme: prepared.themed.key,
            static_url: format!("{base}static/"),
            assets: statics
                .iter()
                .map(|s| (s.name.clone(), format!("{base}static/{}", s.hashed)))
                .collect(),
            statics,
            highlighter,
            expander: Expander {
                data: project.data.as_ref(),
            },
            redirects: &prepared.redirects,
            whole_book: project.config.format == Format::MdBook,
            search: project.config.search.enable,
            site_key: site_key(project, prepared, highlighter),
            no_extra: serde_json::Map::new(),
        }
    }

    /// The branch of the navigation page `i` shows (see [`Nav::branch`]).
    fn branch_of(&self, i: usize) -> Option<NodeId> {
        self.nav.node_of(i).and_then(|n| self.nav.branch(n))
    }

    /// The navigation of `branch` (see [`Renderer::branch_nav`]).
    fn branch_nav(&self, branch: Option<NodeId>) -> Result<BranchNav, Diagnostic> {
        let items = self.nav_links().branch_items(branch, None);
        self.renderer.branch_nav(&items, &self.project.theme)
    }

    fn nav_links(&self) -> NavLinks<'_> {
        NavLinks {
            nav: self.nav,
            hrefs: &self.hrefs,
            numbers: self.project.config.html.section_labels,
        }
    }

    /// The key of `page`'s markdown in the build cache: its text and place,
    /// and everything else the markdown reads (`site_key`).
    fn page_key(&self, page: &Page) -> Key {
        // The page's path in the content, not its file as diagnostics name
        // it: that depends on where the site is and how it was named
        // (`build` inside it, `build docs` beside it, a CI job's folder),
        // and each must read the cache the others wrote. Rendered HTML
        // depends on the file only through its diagnostics, never kept.
        let source = [page.source.as_bytes(), b"\0", page.dir().as_bytes()].concat();
        let start = page.body_start.to_le_bytes();
        // The expanded markdown only when it is not the text (includes).
        let expanded = page.expanded.as_ref().map_or("", |e| &e.text);
        let parts = [&self.site_key.0[..], &source, page.text.as_bytes()];
        Key::of(&[&parts[..], &[expanded.as_bytes(), &start[..]]].concat())
    }

    /// `page`'s markdown rendered, or taken from the store when it has it;
    /// a page rendered without diagnostics goes into the store.
    fn markdown(&self, page: &Page, stored: Option<(&dyn Store, Key)>) -> Rendered {
        let kept = stored.and_then(|(store, key)| store.get(&key));
        if let Some(rendered) = kept.and_then(|bytes| postcard::from_bytes(&bytes).ok()) {
            return rendered;
        }
        let rendered = self.render_markdown(page);
        if let Some((store, key)) = stored.filter(|_| rendered.diagnostics.is_empty()) {
            let bytes = postcard::to_stdvec(&rendered).expect("a page serializes");
            store.put(&key, &bytes);
        }
        rendered
    }

    fn render_markdown(&self, page: &Page) -> Rendered {
        markdown::render(&markdown::Input {
            file: &page.file,
            text: page.markdown(),
            body_start: page.body_start,
            written: page.expanded.as_ref().map(|e| (&*page.text, &e.splices)),
            links: LinkContext {
                base: &self.site.base_url,
                page_dir: page.dir(),
                pages: &self.sources,
            },
            highlighter: self.highlighter,
            expander: &self.expander,
            flavor: markdown::Flavor::of(&self.project.config),
        })
    }

    /// A hash of what every page's HTML depends on: the config and the theme.
    fn fingerprint(&self) -> u64 {
        let config = format!("{:?}", self.project.config);
        hash(&(self.theme, config))
    }

    /// A hash of each navigation branch's items (see [`Nav::branch`]).
    fn branch_keys(&self) -> HashMap<Option<NodeId>, u64> {
        let nodes = &self.nav.nodes;
        let branches = (0..nodes.len()).filter(|&n| !nodes[n].children.is_empty());
        let branches: Vec<Option<NodeId>> = branches.map(Some).chain([None]).collect();
        let links = self.nav_links();
        branches
            .into_par_iter()
            .map(|b| (b, hash(&links.branch_items(b, None))))
            .collect()
    }

    /// Each page's [`Keys`].
    fn keys(&self, branches: &HashMap<Option<NodeId>, u64>) -> Vec<Keys> {
        (0..self.pages.len())
            .into_par_iter()
            .map(|i| Keys {
                view: self.view_key(i, branches),
                search: self.search_key(i),
            })
            .collect()
    }

    /// A hash of what page `i`'s template receives besides its own markdown
    /// (which makes it stale) and the config and theme (the
    /// [`Views::fingerprint`]): its title, its URL and what its template
    /// shows of other pages (their titles, URLs and descriptions): its
    /// navigation (its branch's items and its place among them),
    /// breadcrumbs, prev/next and children.
    ///
    /// The default theme's sidebar shows the top level and the current
    /// page's branch, not the whole tree, so a title or weight edit changes
    /// the pages of one folder (and those below it), the section page that
    /// lists it and its neighbours in reading order; a top-level page's
    /// title is on every page.
    fn view_key(&self, i: usize, branches: &HashMap<Option<NodeId>, u64>) -> u64 {
        let page = &self.pages[i];
        let node = self.nav.node_of(i);
        let link = |p: usize| (&self.titles[p], &self.hrefs[p]);
        let own = (
            link(i),
            &page.front.description,
            &page.url,
            &page.source,
            page.is_source(),
            self.edit_url(page),
            page.expanded.as_ref().and_then(|e| e.title.as_ref()),
            self.redirects.fragments.get(&page.url),
        );
        let branch = branches.get(&node.and_then(|n| self.nav.branch(n)));
        let nav = (branch, node.map(|n| self.nav.place_of(n)));
        let above: Vec<_> = self.nav.above(i, self.home).into_iter().map(link).collect();
        let (prev, next) = self.nav.neighbours(i);
        let children: Vec<_> = node
            .into_iter()
            .flat_map(|n| self.nav.child_pages(n))
            .map(|p| (link(p), &self.pages[p].front.description))
            .collect();
        hash(&(own, nav, above, prev.map(link), next.map(link), children))
    }

    /// A hash of what page `i`'s search fragment is made of besides its
    /// markdown (see [`Views::fragment`]).
    fn search_key(&self, i: usize) -> u64 {
        let page = &self.pages[i];
        hash(&(
            &page.url,
            &self.titles[i],
            self.section(i),
            self.left_out(page),
        ))
    }

    /// What 404.html and sitemap.xml show of the pages: the top level of the
    /// navigation, and every page's URL.
    fn extras_key(&self, branches: &HashMap<Option<NodeId>, u64>) -> u64 {
        let urls: Vec<&String> = self.pages.iter().map(|p| &p.url).collect();
        hash(&(branches.get(&None), urls))
    }

    /// Writes a redirect page at each alias; an alias that is a page's own URL is an error.
    fn aliases(&self, sink: &dyn Sink, problems: &mut Diagnostics) -> BTreeMap<String, String> {
        let urls: BTreeSet<&str> = self.pages.iter().map(|p| p.url.as_str()).collect();
        let mut aliases = BTreeMap::new();
        for page in self.pages {
            for alias in &page.front.aliases {
                let url = links::alias_url(alias);
                let taken = urls
                    .contains(url.as_str())
                    .then(|| format!("/{url} is a page"))
                    .or_else(|| {
                        aliases
                            .get(&url)
                            .map(|other| format!("/{url} already leads to /{other}"))
                    });
                if let Some(why) = taken {
                    let at = page.text.find(alias.as_str()).unwrap_or(0);
                    problems.push(
                        Diagnostic::error(
                            &page.file,
                            format!("alias `{alias}` cannot redirect here: {why}"),
                        )
                        .at_span(&page.text, at, at + alias.len()),
                    );
                    continue;
                }
                let html = links::redirect_html(&format!("{}{}", self.site.base_url, page.url));
                problems.0.extend(
                    put(sink, &content::file_of(&url), html.into_bytes())
                        .err()
                        .unwrap_or_default(),
                );
                aliases.insert(url, page.url.clone());
            }
        }
        for (file, html) in &self.redirects.files {
            let written = put(sink, file, html.clone().into_bytes());
            problems.0.extend(written.err().unwrap_or_default());
        }
        aliases
    }

    /// Every file the site has: pages, extras, static files, assets.
    fn outputs(&self) -> Vec<String> {
        let mut outputs: Vec<String> = self
            .pages
            .iter()
            .map(|p| content::file_of(&p.url))
            .collect();
        outputs.extend(["404.html", "sitemap.xml"].map(String::from));
        if self.project.data.is_some() {
            outputs.push("environments.json".into());
        }
        for file in self.statics {
            outputs.push(format!("static/{}", file.hashed));
            outputs.push(format!("static/{}", file.name));
        }
        outputs.extend(self.project.assets.iter().map(|a| a.rel.clone()));
        outputs.extend(self.redirects.files.keys().cloned());
        if self.whole_book {
            outputs.extend([PRINT, TOC].map(String::from));
        }
        outputs.extend(additional_files(self.project).map(|(rel, _)| rel));
        outputs
    }

    /// Page `i` as (output path, HTML), or its problems.
    fn page(
        &self,
        i: usize,
        rendered: &Rendered,
        nav: &BranchNav,
    ) -> Result<(String, String), Vec<Diagnostic>> {
        let page = &self.pages[i];
        let links = self.nav_links();
        let node = self.nav.node_of(i);
        let (prev, next) = self.nav.neighbours(i);
        let link = |p: usize| LinkView {
            title: &self.titles[p],
            url: &self.hrefs[p],
        };
        let context = PageContext {
            site: self.site,
            static_url: &self.static_url,
            assets: &self.assets,
            page: PageView {
                title: &self.titles[i],
                description: page.front.description.as_deref().unwrap_or_default(),
                url: &self.hrefs[i],
                show_title: !rendered.has_title,
                toc: if page.front.toc.unwrap_or(true) {
                    render::toc(&rendered.headings)
                } else {
                    Vec::new()
                },
                content: &rendered.html,
                children: self.children(node),
                is_home: page.url.is_empty(),
                source: if page.is_source() { &page.source } else { "" },
                edit_url: self.edit_url(page),
                html_title: page
                    .expanded
                    .as_ref()
                    .and_then(|e| e.title.as_deref())
                    .unwrap_or_default(),
                redirects: self
                    .redirects
                    .fragments
                    .get(&page.url)
                    .map(redirects::script_json)
                    .unwrap_or_default(),
                extra: &page.front.extra,
            },
            nav: nav.items(&node.map(|n| self.nav.place_of(n)).unwrap_or_default()),
            nav_html: &nav.html,
            breadcrumbs: links.breadcrumbs(i, self.home, self.titles),
            prev: prev.map(link),
            next: next.map(link),
        };
        let html = self
            .renderer
            .render_page("page.html", &context, &self.project.theme)
            .map_err(|d| vec![d])?;
        Ok((content::file_of(&page.url), html))
    }

    /// mdBook's `print.html` (every chapter, from `html` or the cache) and `toc.html`.
    fn book_pages(
        &self,
        sink: &dyn Sink,
        html: &HashMap<usize, String>,
        cache: &Cache,
    ) -> Vec<Diagnostic> {
        let body = |i: usize| {
            html.get(&i).map(String::as_str).or_else(|| {
                let cached = cache.get(&self.pages[i])?.rendered.as_ref()?;
                Some(cached.html.as_str())
            })
        };
        let chapters: Vec<print::Chapter> = self
            .nav
            .order
            .iter()
            .filter_map(|&i| {
                Some(print::Chapter {
                    href: &self.hrefs[i],
                    title: &self.titles[i],
                    html: body(i)?,
                })
            })
            .collect();
        let numbers = self.project.config.html.section_labels;
        let pages = [
            (PRINT, self.site.title.clone(), print::print_page(&chapters)),
            (
                TOC,
                "Table of contents".to_string(),
                print::toc(self.nav, &self.hrefs, numbers),
            ),
        ];
        let nav = match self.branch_nav(None) {
            Ok(nav) => nav,
            Err(d) => return vec![d],
        };
        let mut problems = Vec::new();
        for (file, title, content) in pages {
            let url = format!("{}{file}", self.site.base_url);
            let page = Plain {
                url: &url,
                title: &title,
                content: &content,
            };
            let context = self.plain_page(page, &nav);
            match self
                .renderer
                .render_page("page.html", &context, &self.project.theme)
            {
                Ok(html) => problems.extend(
                    put(sink, file, html.into_bytes())
                        .err()
                        .into_iter()
                        .flatten(),
                ),
                Err(d) => problems.push(d),
            }
        }
        problems
    }

    /// A page of the site that is not a page of the content, at `url`:
    /// `404.html`, `print.html`.
    fn plain_page<'v>(&'v self, page: Plain<'v>, nav: &'v BranchNav) -> PageContext<'v> {
        let Plain {
            url,
            title,
            content,
        } = page;
        PageContext {
            site: self.site,
            static_url: &self.static_url,
            assets: &self.assets,
            page: PageView {
                title,
                description: "",
                url,
                content,
                show_title: false,
                toc: Vec::new(),
                children: Vec::new(),
                is_home: false,
                source: "",
                edit_url: String::new(),
                html_title: "",
                redirects: String::new(),
                extra: &self.no_extra,
            },
            nav: nav.items(&[]),
            nav_html: &nav.html,
            breadcrumbs: Vec::new(),
            prev: None,
            next: None,
        }
    }

    /// mdBook's `edit-url-template` with `{path}`, the source's path from the book folder.
    fn edit_url(&self, page: &Page) -> String {
        match &self.project.config.html.edit_url_template {
            Some(template) if page.is_source() || page.kind == content::Kind::Copy => {
                let content = self.project.config.build.content.to_string_lossy();
                let path = format!("{}/{}", content.trim_end_matches('/'), page.source);
                template.replace("{path}", path.trim_start_matches("./"))
            }
            _ => String::new(),
        }
    }

    fn children(&self, node: Option<usize>) -> Vec<ChildView<'_>> {
        let Some(node) = node else { return Vec::new() };
        self.nav
            .child_pages(node)
            .map(|p| ChildView {
                title: &self.titles[p],
                url: &self.hrefs[p],
                description: self.pages[p]
                    .front
                    .description
                    .as_deref()
                    .unwrap_or_default(),
            })
            .collect()
    }

    /// 404.html, sitemap.xml, the highlighting stylesheet and the theme's static files.
    fn extras(&self, sink: &dyn Sink) -> Vec<Diagnostic> {
        let theme = &self.project.theme;
        let url = format!("{}404.html", self.site.base_url);
        let nav = match self.branch_nav(None) {
            Ok(nav) => nav,
            Err(d) => return vec![d],
        };
        let page = Plain {
            url: &url,
            title: "Page not found",
            content: "",
        };
        let mut not_found = self.plain_page(page, &nav);
        not_found.page.show_title = true;
        let sitemap = SitemapContext {
            site: self.site,
            pages: self
                .pages
                .iter()
                .map(|p| SitemapEntry {
                    url: format!("{}{}", self.site.url, p.url),
                })
                .collect(),
        };
        let mut files = vec![
            (
                "404.html".to_string(),
                self.renderer
                    .render_page("404.html", &not_found, theme)
                    .map(String::into_bytes),
            ),
            (
                "sitemap.xml".to_string(),
                self.renderer
                    .render("sitemap.xml", &sitemap, theme)
                    .map(String::into_bytes),
            ),
        ];
        // A page of the book may be the not-found page (mdBook's `404.md`).
        if self.pages.iter().any(|p| content::is_not_found(&p.url)) {
            files.retain(|(path, _)| path != "404.html");
        }
        if let Some(data) = &self.project.data {
            files.push(("environments.json".to_string(), Ok(export::json(data))));
        }
        for file in self.statics {
            files.push((format!("static/{}", file.hashed), Ok(file.bytes.clone())));
            files.push((format!("static/{}", file.name), Ok(file.bytes.clone())));
        }
        let mut problems = Vec::new();
        for (path, result) in files {
            match result {
                Ok(bytes) => problems.extend(put(sink, &path, bytes).err().into_iter().flatten()),
                Err(d) => problems.push(d),
            }
        }
        problems
    }
}

/// A file under `static/`, with its content-hashed name (see [`hashed`]).
struct Static {
    name: String,
    hashed: String,
    bytes: Vec<u8>,
}

/// The files under `static/`: the theme's and the highlighting's stylesheet.
fn static_files(project: &Project) -> Vec<Static> {
    let theme = project.theme.statics();
    let files = theme.map(|(n, f)| (n.to_string(), f.bytes.to_vec()));
    let highlight = (
        "highlight.css".to_string(),
        Highlighter::stylesheet().into_bytes(),
    );
    let file = |(name, bytes): (String, Vec<u8>)| Static {
        hashed: hashed(&name, &bytes),
        name,
        bytes,
    };
    files.chain([highlight]).map(file).collect()
}

/// `envbook.css` as `envbook.3f2a9c1b.css`: its name with the first 8 hex
/// digits of the SHA-256 of its bytes, the same on every machine.
fn hashed(name: &str, bytes: &[u8]) -> String {
    let key = Key::of(&[bytes]);
    let hex: String = key.0[..4].iter().map(|b| format!("{b:02x}")).collect();
    match name.rsplit_once('.') {
        Some((stem, ext)) => format!("{stem}.{hex}.{ext}"),
        None => format!("{name}.{hex}"),
    }
}

/// A page of the site that is not a page of the content (see [`Views::plain_page`]).
struct Plain<'a> {
    url: &'a str,
    title: &'a str,
    content: &'a str,
}

/// Content files that are not markdown are copied beside the pages.
fn copy_assets(project: &Project, pages: &[Page], sink: &dyn Sink) -> Vec<Diagnostic> {
    let generated = assets_at_pages(project, pages);
    let content = project.display(&project.config.build.content);
    let mut problems = Vec::new();
    for asset in &project.assets {
        let file: PathBuf = content.join(&asset.rel);
        if generated.contains(asset.rel.as_str())
            || asset.rel.starts_with("static/")
                && project
                    .theme
                    .statics()
                    .any(|(n, _)| asset.rel == format!("static/{n}"))
        {
            problems.push(Diagnostic::error(
                file,
                format!("this file would overwrite the generated `{}`", asset.rel),
            ));
        } else if let Err(e) = sink.copy(&asset.rel, &asset.path) {
            problems.push(Diagnostic::error(file, format!("{e:#}")));
        }
    }
    for (rel, path) in additional_files(project) {
        if let Err(e) = sink.copy(&rel, &path) {
            problems.push(Diagnostic::error(
                project.display(Path::new(&rel)),
                format!("{e:#}"),
            ));
        }
    }
    problems
}

/// The assets at a page's file ([`content::file_of`]: `a/index.html` for
/// the page `a/`), found by the pages' URLs: no string is made per page
/// (the preview asks at every rebuild, and most sites' assets are images).
fn assets_at_pages<'a>(project: &'a Project, pages: &[Page]) -> foldhash::HashSet<&'a str> {
    let mut by_url: foldhash::HashMap<&str, &str> = foldhash::HashMap::default();
    for asset in &project.assets {
        let rel = asset.rel.as_str();
        by_url.insert(rel, rel);
        let folder = rel.strip_suffix("index.html");
        if let Some(url) = folder.filter(|f| f.is_empty() || f.ends_with('/')) {
            by_url.insert(url, rel);
        }
    }
    if by_url.is_empty() {
        return foldhash::HashSet::default();
    }
    let at_pages = pages.iter().filter_map(|p| by_url.get(p.url.as_str()));
    at_pages.copied().collect()
}

/// mdBook's `additional-css` and `additional-js` files, copied to the same
/// path in the output (project checked that they are files of the book).
fn additional_files(project: &Project) -> impl Iterator<Item = (String, PathBuf)> + '_ {
    let html = &project.config.html;
    html.additional_css
        .iter()
        .chain(&html.additional_js)
        .map(|p| (p.to_string_lossy().replace('\\', "/"), project.root.join(p)))
}

impl Views<'_> {
    /// The pages whose links must be checked: all of them, unless the last
    /// build's links were all checked and good, and the site has the same
    /// pages and `files` (a hash): then those with new markdown and those
    /// linking to a page whose ids changed.
    fn links_to_check<'v>(
        &'v self,
        plan: &Plan,
        done: &'v Collected,
        cache: &Cache,
        files: u64,
    ) -> Vec<PageLinks<'v>> {
        let recheck = self.recheck(plan, done, cache, files);
        let pages = self.pages.iter().zip(&done.links).enumerate();
        pages
            .filter(|(i, _)| recheck.as_ref().is_none_or(|r| r[*i]))
            .map(|(_, (page, links))| PageLinks { page, links })
            .collect()
    }

    /// See [`Views::links_to_check`]: which pages, or `None` for all.
    fn recheck(
        &self,
        plan: &Plan,
        done: &Collected,
        cache: &Cache,
        files: u64,
    ) -> Option<Vec<bool>> {
        let same = cache.keep
            && cache.links_clean
            && self.project.config.links.check != LinkCheck::Off
            && cache.files == files
            && cache.pages.len() == self.pages.len();
        if !same {
            return None;
        }
        let mut changed = foldhash::HashSet::default();
        for i in (0..self.pages.len()).filter(|&i| plan.dirty[i]) {
            let url = self.pages[i].url.as_str();
            match cache.pages.get(url) {
                None => return None,
                Some(last) if last.ids != done.ids[i] => _ = changed.insert(url),
                Some(_) => {}
            }
        }
        let pages = self.pages.iter().zip(&done.links);
        let check = pages.enumerate().map(|(i, (page, links))| {
            plan.stale[i] || links.iter().any(|l| links::reaches(l, &page.url, &changed))
        });
        Some(check.collect())
    }
}
