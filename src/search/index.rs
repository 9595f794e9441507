//! The search index as files a browser fetches on demand (the layout
//! BENCHMARKS.md's Pagefind measurement led to): fragments, one per page (the
//! page and its headings) or per few matrix rows, which results show; term
//! chunks, each the postings of a range of terms, named by a hash of their
//! content; and a small `meta.json` listing the chunks' ranges. A search
//! fetches meta, the chunks its words fall in, and the fragments of the
//! results on screen. The format is described for both sides in
//! `theme/static/search.js`. No I/O.

use std::collections::HashMap;
use std::fmt::Write;
use std::hash::{DefaultHasher, Hash, Hasher};

use serde::{Deserialize, Serialize};

use super::tokens::terms;

/// What a search can find, in the order results rank when they score alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Page,
    Heading,
    Row,
}

/// One thing a search can find.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Record {
    #[serde(rename = "k")]
    pub kind: Kind,
    /// Where a result leads, from the site's root: `runbooks/db/#promote`.
    #[serde(rename = "u")]
    pub url: String,
    /// A page's title, a heading's text, a row's label.
    #[serde(rename = "t")]
    pub title: String,
    /// Where it is: `Runbooks › Database`.
    #[serde(rename = "s")]
    pub section: String,
    /// A page's text before its first heading; a heading's section; a row's
    /// key, section, values and notes.
    #[serde(rename = "x")]
    pub text: String,
    /// A row's key, which counts as much as its label (empty otherwise).
    #[serde(skip)]
    pub key: String,
}

/// How much a match counts, by where it is: any title above any heading
/// above any row above any body text, so that results rank in that order.
const PAGE_TITLE: u8 = 64;
const HEADING_TITLE: u8 = 32;
const ROW_NAME: u8 = 16;
const ROW_TEXT: u8 = 8;
/// Body text counts 1 for a word found once, up to this for a word the page
/// is about (1 + log2 of its count).
const BODY_MAX: u8 = 4;

/// Matrix rows per fragment file.
pub const ROWS_PER_FRAGMENT: usize = 16;
/// A chunk is closed once its postings pass this many bytes of JSON.
const CHUNK_BYTES: usize = 16 * 1024;

/// The records one fragment file holds, as JSON, and their terms: made when
/// a page is rendered, merged into chunks when the site is done.
#[derive(Debug, Clone, Default)]
pub struct Fragment {
    pub json: String,
    /// The terms, each followed by `\n`, in order; `marks[i]` is the slot
    /// and weight of the i-th. One string, not a string per term: a big
    /// site holds every page's terms until the chunks are made.
    words: String,
    marks: Vec<(u16, u8)>,
}

/// The path of fragment `n`, under the index folder.
pub fn fragment_path(n: u32) -> String {
    format!("f/{n}.json")
}

impl Fragment {
    /// A page's fragment (the page first, then its headings) or some rows'.
    pub fn new(records: &[Record]) -> Fragment {
        let mut best: HashMap<(String, u16), u8> = HashMap::new();
        let mut add = |text: &str, slot: u16, weight: u8| {
            for term in terms(text) {
                let w = best.entry((term, slot)).or_default();
                *w = (*w).max(weight);
            }
        };
        for (slot, record) in records.iter().enumerate() {
            let slot = slot as u16;
            match record.kind {
                Kind::Page => add(&record.title, slot, PAGE_TITLE),
                Kind::Heading => add(&record.title, slot, HEADING_TITLE),
                Kind::Row => {
                    add(&record.title, slot, ROW_NAME);
                    add(&record.key, slot, ROW_NAME);
                    add(&record.text, slot, ROW_TEXT);
                    add(&record.section, slot, ROW_TEXT);
                }
            }
        }
        if records.first().is_some_and(|r| r.kind == Kind::Page) {
            for (term, count) in body_counts(records) {
                let weight = (1 + count.ilog2()).min(u32::from(BODY_MAX)) as u8;
                let w = best.entry((term, 0)).or_default();
                *w = (*w).max(weight);
            }
        }
        let mut marked: Vec<((String, u16), u8)> = best.into_iter().collect();
        marked.sort_unstable();
        let mut fragment = Fragment {
            json: serde_json::to_string(records).expect("records serialize"),
            words: String::new(),
            marks: Vec::with_capacity(marked.len()),
        };
        for ((term, slot), weight) in marked {
            fragment.words.push_str(&term);
            fragment.words.push('\n');
            fragment.marks.push((slot, weight));
        }
        fragment
    }

    /// Each term with its slot and weight.
    fn postings(&self) -> impl Iterator<Item = (&str, (u16, u8))> {
        self.words
            .split_terminator('\n')
            .zip(self.marks.iter().copied())
    }
}

/// How often each term occurs in a page's body: its text and its headings.
fn body_counts(records: &[Record]) -> HashMap<String, u32> {
    let mut counts = HashMap::new();
    for record in records {
        let heading = (record.kind == Kind::Heading).then_some(record.title.as_str());
        for text in heading.into_iter().chain([record.text.as_str()]) {
            for term in terms(text) {
                *counts.entry(term).or_default() += 1;
            }
        }
    }
    counts
}

/// A term's place in a record: fragment, slot, weight.
type Posting = (u32, u16, u8);

/// The chunk files and `meta.json` (path under the index folder → JSON) for
/// `fragments`, each with its number, in ascending number order.
pub fn chunks<'a>(fragments: impl Iterator<Item = (u32, &'a Fragment)>) -> Vec<(String, String)> {
    let mut postings: HashMap<&str, Vec<Posting>> = HashMap::new();
    for (n, fragment) in fragments {
        for (term, (slot, weight)) in fragment.postings() {
            postings.entry(term).or_default().push((n, slot, weight));
        }
    }
    let mut terms: Vec<(&str, Vec<Posting>)> = postings.into_iter().collect();
    terms.sort_unstable_by(|a, b| a.0.cmp(b.0));
    let mut files = Vec::new();
    let mut ranges = Vec::new();
    let mut chunk = ChunkWriter::default();
    for (term, list) in &terms {
        chunk.add(term, list);
        if chunk.json.len() >= CHUNK_BYTES {
            ranges.push(chunk.close(&mut files));
        }
    }
    if chunk.first.is_some() {
        ranges.push(chunk.close(&mut files));
    }
    let meta = serde_json::json!({ "version": 1, "chunks": ranges });
    files.push(("meta.json".to_string(), meta.to_string()));
    files
}

/// The chunk being filled.
#[derive(Default)]
struct ChunkWriter<'a> {
    json: String,
    first: Option<&'a str>,
    last: &'a str,
}

impl<'a> ChunkWriter<'a> {
    /// Adds `"term":[f,s,w,…]`, fragment numbers as differences from the previous.
    fn add(&mut self, term: &'a str, list: &[Posting]) {
        self.json.push(if self.first.is_none() { '{' } else { ',' });
        self.first.get_or_insert(term);
        self.last = term;
        self.json
            .push_str(&serde_json::to_string(term).expect("a string serializes"));
        self.json.push_str(":[");
        let mut previous = 0;
        for (i, (n, slot, weight)) in list.iter().enumerate() {
            let sep = if i == 0 { "" } else { "," };
            write!(self.json, "{sep}{},{slot},{weight}", n - previous).expect("to a string");
            previous = *n;
        }
        self.json.push(']');
    }

    /// Writes the chunk as `t/HASH.json`; returns its `[from, to, HASH]`.
    fn close(&mut self, files: &mut Vec<(String, String)>) -> [String; 3] {
        self.json.push('}');
        // A content hash names the file, so that an unchanged chunk keeps
        // its name (and its place in caches) and a stale meta.json names
        // files that are gone rather than files that changed.
        let mut hasher = DefaultHasher::new();
        self.json.hash(&mut hasher);
        let name = format!("{:016x}", hasher.finish());
        let range = [
            self.first.unwrap_or_default().to_string(),
            self.last.to_string(),
            name.clone(),
        ];
        files.push((format!("t/{name}.json"), std::mem::take(&mut self.json)));
        self.first = None;
        range
    }
}
