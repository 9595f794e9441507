//! The search index of a build: each page's fragment as it is rendered,
//! the matrix rows' fragments, and the term chunks made of them all
//! (written by a one-off build, kept by the preview). What the index holds
//! is `search`'s; which pages are rendered, cached and written is the
//! build's.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::{Cache, Collected, Discard, Indexed, Plan, Sink, Views, hash, put_made};
use crate::content::{self, Page};
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::links::Ids;
use crate::markdown::{Key, Rendered, Store};
use crate::search::index::{self as search_index, Chunks, Fragment};
use crate::search::kept::{self, Entry, Kept};
use crate::search::site::{PageEntry, kept_fragment, page_fragment, row_fragments};

/// What the search index is made of after the pages are rendered.
struct Index<'a> {
    indexed: &'a [Indexed],
    /// See [`Views::rows_shown`]; none when the rows are the last build's.
    shown: Option<&'a BTreeMap<&'a str, (&'a str, &'a str)>>,
    /// The rows' fragments of the last build, when they are the same.
    rows: Option<&'a [Arc<Fragment>]>,
    /// The preview's last chunks, which these update.
    chunks: Option<&'a Arc<Chunks>>,
    /// A one-off build writes the index; the preview server serves it from memory.
    write: bool,
    /// A one-off build's build cache, which keeps the rows' terms.
    store: Option<&'a dyn Store>,
    /// The last build's index, whose rows' terms the store has.
    kept: Option<&'a Kept>,
    /// What the rows are made of in a one-off build with the build cache:
    /// the site (config, pages, data: see [`super::site_key`]) and where
    /// each row is shown.
    rows_signature: Option<Key>,
}

/// What [`Views::search_index`] made.
pub(super) struct Searched {
    pub(super) terms: Terms,
    pub(super) rows: Vec<Arc<Fragment>>,
    /// See [`Cache::rows_key`].
    pub(super) rows_key: Option<u64>,
    /// The index's files written.
    pub(super) files: Vec<String>,
}

/// The fragments the index's term chunks are made of.
pub(super) enum Terms {
    /// Made of them when first asked for: by the preview server once the
    /// build is served (the last build's updated), or by a one-off build
    /// without the build cache.
    Chunks(Arc<Chunks>),
    /// For a one-off build with the build cache: the last build's chunks
    /// updated (see [`kept::files`]); with the rows' signature and count.
    Entries(Vec<Entry>, Option<(Key, u32)>),
}

/// Where a page's search fragment goes (see [`Views::index_entry`]).
pub(super) struct IndexOut<'a> {
    pub(super) sink: &'a dyn Sink,
    /// The preview server keeps the fragment's JSON.
    pub(super) keep: bool,
    /// The page has problems: it is not written.
    pub(super) failed: bool,
    /// The build cache's store, and the page's key in it.
    pub(super) stored: Option<(&'a dyn Store, Key)>,
    /// The last build's index: a fragment it has is not read.
    pub(super) index: Option<&'a Kept>,
}

/// Where the search index goes in the site.
pub const SEARCH_DIR: &str = "search/";

pub(super) fn index_path(path: &str) -> String {
    format!("{SEARCH_DIR}{path}")
}

impl Views<'_> {
    /// Page `i`'s part of the search index, as [`Views::fragment`]. A
    /// one-off build writes its JSON now (not for a page with problems),
    /// and its terms wait for the chunks; the preview server keeps the JSON
    /// with them (see `Chunks::file`). Without `rendered`, only a fragment
    /// whose file the sink holds and whose terms the store or the last
    /// build's index has (`None` otherwise).
    pub(super) fn index_entry(
        &self,
        i: usize,
        rendered: Option<&Rendered>,
        out: &IndexOut,
        problems: &mut Vec<Diagnostic>,
    ) -> Option<Indexed> {
        let (fragment, key) = self.fragment(i, rendered, out)?;
        let mut fragment = fragment.map(Arc::new);
        if out.keep {
            // The preview serves its JSON, which is made of the page.
            return rendered.is_some().then_some(Indexed { fragment, key });
        }
        let path = index_path(&search_index::fragment_path(i as u32));
        let made = fragment.as_mut().map(Arc::make_mut);
        let json = made
            .map(|f| std::mem::take(&mut f.json))
            .unwrap_or_default();
        match rendered {
            // Made only where the sink does not hold the file already.
            Some(_) if !json.is_empty() && !out.failed => {
                let written = put_made(out.sink, &path, key.as_ref(), json.into_bytes());
                problems.extend(written.err().unwrap_or_default());
            }
            // Without the page, no JSON: the page is rendered after all.
            None if !out.failed && !key.is_some_and(|key| out.sink.holds(&path, &key)) => {
                return None;
            }
            _ => {}
        }
        Some(Indexed { fragment, key })
    }

    /// Page `i`'s search fragment, unless the page is left out of search:
    /// none when the last build's index has it (only without `rendered`);
    /// from the store when it has it, otherwise made of `rendered`; with its
    /// key in the store (the page's key, and where the page is), which is
    /// what its file is made from. `None` without the page's terms.
    fn fragment(
        &self,
        i: usize,
        rendered: Option<&Rendered>,
        out: &IndexOut,
    ) -> Option<(Option<Fragment>, Option<Key>)> {
        let page = &self.pages[i];
        if !self.search || self.left_out(page) {
            return None;
        }
        let (url, title) = (&page.url, &self.titles[i]);
        let section = self.section(i).join(" › ");
        // Its key: the page's, and where the page is.
        let stored = out.stored.map(|(store, key)| {
            let parts = [&key.0[..], b"fragment", url.as_bytes(), title.as_bytes()];
            (
                store,
                Key::of(&[&parts[..], &[section.as_bytes()]].concat()),
            )
        });
        let key = stored.map(|(_, key)| key);
        let kept = || {
            let (store, key) = stored?;
            String::from_utf8(store.get(&key)?).ok()
        };
        let Some(rendered) = rendered else {
            if let Some((store, key)) = stored
                && out.index.is_some_and(|index| index.has(i as u32, &key))
            {
                // Its terms, not read, are still the page's.
                store.keep(&key);
                return Some((None, Some(key)));
            }
            // Its terms only, for the chunks: its JSON is made of the page.
            return Some((Some(Fragment::from_text(kept()?, &[])?), key));
        };
        // Its file is made only where the sink does not hold it (made of
        // the same key) already; the preview serves every one.
        let path = index_path(&search_index::fragment_path(i as u32));
        let file = out.keep || !out.failed && !key.is_some_and(|key| out.sink.holds(&path, &key));
        let entry = PageEntry {
            url,
            title,
            section,
            rendered,
        };
        if let Some(fragment) = kept().and_then(|text| kept_fragment(&entry, text, file)) {
            return Some((Some(fragment), key));
        }
        let fragment = page_fragment(&entry, file);
        if let Some((store, key)) = stored {
            store.put(&key, fragment.to_text().as_bytes());
        }
        Some((Some(fragment), key))
    }

    /// Left out of search: by its front matter, as the not-found page, or as
    /// mdBook's copy of the first chapter (found at its own URL).
    pub(super) fn left_out(&self, page: &Page) -> bool {
        page.front.search == Some(false)
            || page.kind == content::Kind::Copy
            || content::is_not_found(&page.url)
    }

    /// The titles above page `i` in the navigation, the home page's left out.
    pub(super) fn section(&self, i: usize) -> Vec<&str> {
        let home = self.home.map(|h| &self.hrefs[h]);
        let above = self.nav.above(i, self.home).into_iter();
        above
            .filter(|&p| Some(&self.hrefs[p]) != home)
            .map(|p| self.titles[p].as_str())
            .collect()
    }

    /// The search index of this build: the pages' fragments and the matrix
    /// rows', the latter taken from the last build when where each row is
    /// shown, which follows from the pages' ids and titles, and the data are
    /// the same.
    pub(super) fn search_index(
        &self,
        plan: &Plan,
        done: &Collected,
        cache: &Cache,
        sink: &dyn Sink,
        problems: &mut Diagnostics,
    ) -> Searched {
        let same_pages = cache.keep && !self.rows_moved(plan, &done.ids, cache);
        let shown = (!same_pages).then(|| self.rows_shown(&done.ids));
        let rows_key = shown.as_ref().map_or(cache.rows_key, |s| Some(hash(s)));
        let same_rows =
            cache.keep && plan.data_same && !plan.all_templates && cache.rows_key == rows_key;
        let shown = match shown {
            None if !same_rows => Some(self.rows_shown(&done.ids)),
            shown => shown,
        };
        let index = Index {
            indexed: &done.indexed,
            shown: shown.as_ref(),
            rows: same_rows.then_some(&cache.rows[..]),
            chunks: cache.chunks.as_ref().filter(|_| cache.keep),
            write: !cache.keep,
            store: cache.store.as_deref().filter(|_| !cache.keep),
            kept: plan.index.as_ref(),
            rows_signature: (cache.store.is_some() && !cache.keep).then(|| {
                let shown = format!("{shown:?}");
                Key::of(&[&self.site_key.0, b"rows", shown.as_bytes()])
            }),
        };
        let (terms, rows, files) = self.write_index(&index, sink, problems);
        Searched {
            terms,
            rows,
            rows_key,
            files,
        }
    }

    /// Makes the matrix rows' fragments (or takes the last build's), and
    /// writes them in a one-off build (the pages' were written with their
    /// pages); returns what the term chunks are made of, the rows'
    /// fragments and every fragment file written.
    fn write_index(
        &self,
        index: &Index,
        sink: &dyn Sink,
        problems: &mut Diagnostics,
    ) -> (Terms, Vec<Arc<Fragment>>, Vec<String>) {
        let (rows, row_entries) = self.row_entries(index, sink, problems);
        let pages = index.indexed.iter().enumerate();
        let pages = pages.filter(|(_, x)| x.fragment.is_some() || x.key.is_some());
        let row_count = row_entries.len() as u32;
        let numbered: Vec<(u32, Indexed)> = pages
            .map(|(n, x)| (n as u32, x.clone()))
            .chain(row_entries)
            .collect();
        let files = match index.write {
            true => numbered
                .iter()
                .map(|(n, _)| index_path(&search_index::fragment_path(*n)))
                .collect(),
            false => Vec::new(),
        };
        // With the build cache, every fragment has its key.
        let terms = match index.write && numbered.iter().all(|(_, x)| x.key.is_some()) {
            true => Terms::Entries(
                numbered
                    .into_iter()
                    .filter_map(|(n, x)| {
                        let (fragment, key) = (x.fragment, x.key?);
                        Some(Entry { n, key, fragment })
                    })
                    .collect(),
                index.rows_signature.map(|key| (key, row_count)),
            ),
            false => Terms::Chunks(Arc::new(Chunks::after(
                numbered
                    .into_iter()
                    .filter_map(|(n, x)| Some((n, x.fragment?)))
                    .collect(),
                index.chunks,
            ))),
        };
        (terms, rows, files)
    }

    /// The matrix rows' fragments (for the preview, which keeps them) and
    /// their entries, numbered after the pages': the last one-off build's,
    /// when the rows are made of the same (see [`Index::rows_signature`])
    /// and the sink holds their files; else made again (or taken from the
    /// preview's last build), their terms kept in the store and their files
    /// written by a one-off build.
    fn row_entries(
        &self,
        index: &Index,
        sink: &dyn Sink,
        problems: &mut Diagnostics,
    ) -> (Vec<Arc<Fragment>>, Vec<(u32, Indexed)>) {
        let first_row = index.indexed.len() as u32;
        if let Some(entries) = self.kept_rows(index, sink, first_row) {
            return (Vec::new(), entries);
        }
        let rows: Vec<Arc<Fragment>> = match (index.rows, &self.project.data) {
            (Some(rows), _) => rows.to_vec(),
            (None, Some(data)) => {
                let shown = |key: &str| index.shown.and_then(|s| s.get(key).copied());
                let rows = row_fragments(data, shown);
                rows.into_iter().map(Arc::new).collect()
            }
            (None, None) => Vec::new(),
        };
        let mut entries = Vec::with_capacity(rows.len());
        for (k, row) in rows.iter().enumerate() {
            let n = first_row + k as u32;
            // Made of its records, as its JSON is (its terms are in no order).
            let key = Key::of(&[b"rows fragment", row.json.as_bytes()]);
            let stored = index.kept.is_some_and(|kept| kept.has(n, &key));
            match index.store {
                Some(store) if stored => store.keep(&key),
                Some(store) => store.put(&key, row.to_text().as_bytes()),
                None => {}
            }
            if index.write {
                let path = index_path(&search_index::fragment_path(n));
                let json = row.json.as_bytes().to_vec();
                let key = index.store.map(|_| key);
                let written = put_made(sink, &path, key.as_ref(), json);
                problems.0.extend(written.err().unwrap_or_default());
            }
            let indexed = Indexed {
                fragment: Some(row.clone()),
                key: Some(key),
            };
            entries.push((n, indexed));
        }
        (rows, entries)
    }

    /// The last one-off build's row entries, if they are this build's and
    /// the sink holds their files: their terms are not read, their files
    /// neither made nor written.
    fn kept_rows(
        &self,
        index: &Index,
        sink: &dyn Sink,
        first_row: u32,
    ) -> Option<Vec<(u32, Indexed)>> {
        let (kept, store) = (index.kept?, index.store?);
        let count = kept.rows(&index.rows_signature?, first_row)?;
        (first_row..first_row + count)
            .map(|n| {
                let key = kept.key(n)?;
                let path = index_path(&search_index::fragment_path(n));
                sink.holds(&path, &key).then(|| store.keep(&key))?;
                let indexed = Indexed {
                    fragment: None,
                    key: Some(key),
                };
                Some((n, indexed))
            })
            .collect()
    }

    /// The files of the index's term chunks, for a one-off build.
    pub(super) fn chunk_files(
        &self,
        terms: &Terms,
        plan: &Plan,
        cache: &Cache,
        sink: &dyn Sink,
    ) -> Vec<kept::File> {
        let entries = match (terms, cache.store.as_deref()) {
            (Terms::Entries(entries, rows), Some(store)) => (entries, *rows, store),
            (Terms::Chunks(chunks), _) => {
                let files = chunks.files().iter();
                let files = files.map(|(path, json)| kept::File {
                    path: path.clone(),
                    key: None,
                    json: Some(json.to_string()),
                });
                return files.collect();
            }
            (Terms::Entries(..), None) => unreachable!("entries come with the store"),
        };
        let (entries, rows, store) = entries;
        let terms = |entry: &Entry| self.terms_again(entry, store);
        let holds = |path: &str, key: &Key| sink.holds(&index_path(path), key);
        kept::files(&kept::Making {
            store,
            kept: plan.index.as_ref(),
            entries,
            rows,
            terms: &terms,
            holds: &holds,
        })
    }

    /// A page's terms when the index needs them after all (the last
    /// build's index had them): from the store, else made of the page.
    fn terms_again(&self, entry: &Entry, store: &dyn Store) -> Option<Arc<Fragment>> {
        let text = store
            .get(&entry.key)
            .and_then(|b| String::from_utf8(b).ok());
        if let Some(fragment) = text.and_then(|text| Fragment::from_text(text, &[])) {
            return Some(Arc::new(fragment));
        }
        // The rows' fragments are always at hand: this is a page.
        let page = self.pages.get(entry.n as usize)?;
        let stored = Some((store, self.page_key(page)));
        let rendered = self.markdown(page, stored);
        let out = IndexOut {
            sink: &Discard,
            keep: false,
            failed: false,
            stored,
            index: None,
        };
        let (fragment, _) = self.fragment(entry.n as usize, Some(&rendered), &out)?;
        fragment.map(Arc::new)
    }

    /// Whether a matrix row may be shown on another page, or under another
    /// title, than in the last build (see [`Views::rows_shown`]): a page came
    /// or went, or one with a row's anchor (before or after) was rendered
    /// again with other ids or another title.
    fn rows_moved(&self, plan: &Plan, ids: &[Ids], cache: &Cache) -> bool {
        let Some(data) = &self.project.data else {
            return false;
        };
        if cache.pages.len() != self.pages.len() {
            return true;
        }
        let keys: foldhash::HashSet<&str> = data.keys().collect();
        let has_rows = |ids: &Ids| ids.iter().any(|id| keys.contains(id.as_str()));
        let rendered = (0..self.pages.len()).filter(|&i| plan.dirty[i]);
        rendered.into_iter().any(|i| {
            let Some(last) = cache.pages.get(&self.pages[i].url) else {
                return true;
            };
            let same = last.ids == ids[i] && last.keys.search == plan.keys[i].search;
            !same && (has_rows(&last.ids) || has_rows(&ids[i]))
        })
    }

    /// Each matrix row's key → the URL and title of the first page with its
    /// anchor, from the pages' `ids`.
    fn rows_shown<'v>(&'v self, ids: &'v [Ids]) -> BTreeMap<&'v str, (&'v str, &'v str)> {
        let Some(data) = &self.project.data else {
            return BTreeMap::new();
        };
        let keys: foldhash::HashSet<&str> = data.keys().collect();
        let mut shown = BTreeMap::new();
        for (i, ids) in ids.iter().enumerate() {
            for id in ids.iter().filter(|id| keys.contains(id.as_str())) {
                let page = (self.pages[i].url.as_str(), self.titles[i].as_str());
                shown.entry(id.as_str()).or_insert(page);
            }
        }
        shown
    }
}
