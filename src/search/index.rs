//! The search index as files a browser fetches on demand (the layout
//! BENCHMARKS.md's Pagefind measurement led to): fragments, one per page (the
//! page and its headings) or per few matrix rows, which results show; term
//! chunks, each the postings of a range of terms, named by a hash of their
//! content; and a small `meta.json` listing the chunks' ranges. A search
//! fetches meta, the chunks its words fall in, and the fragments of the
//! results on screen. The format is described for both sides in
//! `theme/static/search.js`. No I/O.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, OnceLock};

use foldhash::HashMap;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::chunks::{self, Change, Chunk, Posting, Terms};
use super::tokens::{each_term, fold_into};
use super::vocabulary::Vocabulary;

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
pub struct Record<'t> {
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
    /// key, section, values and notes. A page's text as rendered, not a
    /// copy, where it can (a big site's text is most of the index's input).
    #[serde(rename = "x")]
    pub text: Cow<'t, str>,
    /// Another name, which counts as much as the title: a row's key; a
    /// page's `# Title` where the navigation names the page otherwise
    /// (mdBook's `[cargo install](…)` over `# cargo-install(1)`). Empty
    /// otherwise.
    #[serde(skip)]
    pub also: String,
}

impl Kind {
    /// Its name in a fragment file.
    fn name(self) -> &'static str {
        match self {
            Kind::Page => "page",
            Kind::Heading => "heading",
            Kind::Row => "row",
        }
    }
}

/// A record as its fragment file holds it, its text cut if it is very long
/// (a generated page's table): the results on screen cost a few KB each.
/// Written by [`records_json`], as serde would (a test holds them together).
#[derive(Serialize)]
pub(super) struct Stored<'a> {
    k: Kind,
    u: &'a str,
    t: &'a str,
    s: &'a str,
    x: &'a str,
    /// The text was cut (a phrase not found in what is left may be further on).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    m: bool,
}

/// A record's text in its fragment: at most this many characters (a
/// runbook's section is a few hundred).
pub const STORED_CHARS: usize = 2000;

impl<'a> From<&'a Record<'_>> for Stored<'a> {
    fn from(r: &'a Record<'_>) -> Stored<'a> {
        let x = r.text.trim();
        // No shorter in characters than in bytes: most texts need no count;
        // nor do those whose first characters are ASCII.
        let limit = |x: &str| match x.as_bytes()[..STORED_CHARS].is_ascii() {
            true => Some(STORED_CHARS),
            false => x.char_indices().nth(STORED_CHARS).map(|(at, _)| at),
        };
        let cut = (x.len() > STORED_CHARS)
            .then(|| limit(x))
            .flatten()
            .map(|at| {
                // At the last word boundary before the limit, when there is one.
                x[..at]
                    .rfind(char::is_whitespace)
                    .filter(|&w| w > 0)
                    .unwrap_or(at)
            });
        Stored {
            k: r.kind,
            u: &r.url,
            t: &r.title,
            s: &r.section,
            x: cut.map_or(x, |at| x[..at].trim_end()),
            m: cut.is_some(),
        }
    }
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
/// A page whose body has more terms counts a word as if it had this many:
/// a changelog naming `CARGO_HOME` nine times in 38,000 words must not
/// rank above the page about it, which names it three times in 600
/// (Cargo's book).
const BODY_LENGTH: u32 = 1000;

/// Matrix rows per fragment file.
pub const ROWS_PER_FRAGMENT: usize = 16;

/// The records one fragment file holds, as JSON, and their terms: made when
/// a page is rendered, merged into chunks when the site is done.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Fragment {
    /// The fragment file: taken when a build writes it; kept by the
    /// preview server, which serves it from here; empty when not made
    /// (see [`Fragment::terms_of`]).
    pub json: String,
    /// A line per term: the term, then its marks, ` slot weight` each,
    /// but none for the commonest, a word of the page's body found once
    /// (slot 0, weight 1). One string, not a string per term: a big site
    /// holds every page's terms until the chunks are made; and the build
    /// cache keeps it as it is (see [`Fragment::to_text`]).
    terms: String,
}

/// The path of fragment `n`, under the index folder.
pub fn fragment_path(n: u32) -> String {
    format!("f/{n}.json")
}

impl Fragment {
    /// A page's fragment (the page first, then its headings) or some rows'.
    pub fn new(records: &[Record<'_>]) -> Fragment {
        Fragment {
            json: records_json(records),
            ..Fragment::terms_of(records)
        }
    }

    /// [`Fragment::new`] without its file, for a build whose output holds
    /// it already: only the terms, for the chunks.
    pub fn terms_of(records: &[Record<'_>]) -> Fragment {
        let (folded, fields) = fields(records);
        let mut terms: Vocabulary<Term> = Vocabulary::with_capacity(folded.len() / 16);
        let mut length = 0;
        for field in &fields {
            each_term(&folded[field.range.clone()], &mut |term| {
                // Where it is in `folded`, of which it is a part.
                let at = term.as_ptr() as usize - folded.as_ptr() as usize;
                debug_assert_eq!(folded.get(at..at + term.len()), Some(term));
                let t = terms.entry_in(&folded, at, term.len());
                t.count += u32::from(field.body);
                length += u32::from(field.body);
                if field.weight > 0 {
                    t.weigh(field.slot, field.weight);
                }
            });
        }
        let long = length.max(BODY_LENGTH);
        let mut fragment = Fragment {
            json: String::new(),
            terms: String::with_capacity(folded.len() / 2),
        };
        let mut number = itoa::Buffer::new();
        // Terms as first found (`terms` sorts them), each one's marks by
        // slot: fragments are merged in order, so its postings come in order.
        for (term, mut t) in terms.into_terms() {
            // The body's weight counts as slot 0's (the page's), the best
            // of it and its title's.
            let body = match t.count {
                0 => 0,
                n => {
                    let n = u64::from(n) * u64::from(BODY_LENGTH) / u64::from(long);
                    (1 + n.max(1).ilog2()).min(u32::from(BODY_MAX)) as u8
                }
            };
            if t.weights.is_empty() && body == 0 {
                continue;
            }
            fragment.terms.push_str(term);
            if !(t.weights.is_empty() && body == 1) {
                let titled = t.weights.iter().any(|&(slot, _)| slot == 0);
                let untitled_body = (body > 0 && !titled).then_some((0, body));
                t.weights.sort_unstable();
                for (slot, weight) in untitled_body.into_iter().chain(t.weights) {
                    let weight = if slot == 0 { weight.max(body) } else { weight };
                    fragment.terms.push(' ');
                    fragment.terms.push_str(number.format(slot));
                    fragment.terms.push(' ');
                    fragment.terms.push_str(number.format(weight));
                }
            }
            fragment.terms.push('\n');
        }
        // Kept until the chunks are made: in a block of its size, not of
        // the guess it was written in (at 10,000 pages, 28 MB of the 94 the
        // index added to the memory of the pages rendered).
        fragment.terms = fragment.terms.as_str().to_owned();
        fragment
    }

    /// The fragment's terms, for the build cache (its JSON is made again
    /// from the records, which the cache has: cheaper than keeping it
    /// twice, and checksumming it each time it is put and read).
    pub fn to_text(&self) -> &str {
        &self.terms
    }

    /// The fragment of `records` from its terms as [`Fragment::to_text`]
    /// gave them; `None` for text that does not end as terms do. They are
    /// not read here: the build cache checks each block it reads against
    /// its checksum, and the chunks, which read them, stop at anything that
    /// is not a term (reading them twice was a fifth of a warm build's
    /// index time).
    pub fn from_text(text: String, records: &[Record<'_>]) -> Option<Fragment> {
        let whole = text.is_empty() || text.ends_with('\n');
        whole.then(|| Fragment {
            json: records_json(records),
            terms: text,
        })
    }

    /// Each term with its slot and weight.
    pub fn postings(&self) -> impl Iterator<Item = (&str, (u16, u8))> {
        Postings::new(&self.terms).flatten()
    }
}

/// The postings of [`Fragment::terms`], read in one pass over its bytes
/// (the chunks read every page's each build): each is `None` where the
/// text is not terms, and the reading stops there.
struct Postings<'a> {
    text: &'a str,
    at: usize,
    /// The term of the line being read, after its first mark.
    term: Option<&'a str>,
}

type Found<'a> = Option<(&'a str, (u16, u8))>;

impl<'a> Postings<'a> {
    fn new(text: &'a str) -> Postings<'a> {
        Postings {
            text,
            at: 0,
            term: None,
        }
    }

    /// The number at the reading place, of 1 to 5 digits, and whether it
    /// ends its line (else a space follows it).
    fn number(&mut self) -> Option<(u32, bool)> {
        let (mut n, mut digits) = (0, 0);
        loop {
            let b = *self.text.as_bytes().get(self.at)?;
            self.at += 1;
            match b {
                b'0'..=b'9' if digits < 5 => {
                    (n, digits) = (n * 10 + u32::from(b - b'0'), digits + 1)
                }
                b' ' | b'\n' if digits > 0 => return Some((n, b == b'\n')),
                _ => return None,
            }
        }
    }

    /// The line's next mark (after its term).
    fn mark(&mut self, term: &'a str) -> Found<'a> {
        let (slot, false) = self.number()? else {
            return None;
        };
        let (weight, last) = self.number()?;
        self.term = (!last).then_some(term);
        Some((term, (slot.try_into().ok()?, weight.try_into().ok()?)))
    }

    /// A line's term, and its only mark when it is the commonest.
    fn line(&mut self) -> Found<'a> {
        let rest = &self.text.as_bytes()[self.at..];
        let end = line_end(rest)?;
        let term = &self.text[self.at..self.at + end];
        self.at += end + 1;
        match (term.is_empty(), rest[end]) {
            (true, _) => None,
            (false, b'\n') => Some((term, (0, 1))),
            (false, _) => self.mark(term),
        }
    }
}

/// Where the first `\n` or space of `b` is: eight bytes at a time (the
/// chunks read half a million lines at 1,000 pages, most of them a short
/// word alone).
fn line_end(b: &[u8]) -> Option<usize> {
    const EACH: u64 = 0x0101_0101_0101_0101;
    // The high bit of each zero byte of `x`, and of none before the first.
    let zeros = |x: u64| x.wrapping_sub(EACH) & !x & (EACH * 0x80);
    let mut eights = b.chunks_exact(8);
    for (i, eight) in eights.by_ref().enumerate() {
        let x = u64::from_le_bytes(eight.try_into().expect("eight bytes"));
        let found = zeros(x ^ (EACH * u64::from(b'\n'))) | zeros(x ^ (EACH * u64::from(b' ')));
        if found != 0 {
            return Some(8 * i + found.trailing_zeros() as usize / 8);
        }
    }
    let rest = eights.remainder();
    let at = rest.iter().position(|&c| c == b'\n' || c == b' ')?;
    Some(b.len() - rest.len() + at)
}

impl<'a> Iterator for Postings<'a> {
    type Item = Found<'a>;

    fn next(&mut self) -> Option<Found<'a>> {
        if self.at >= self.text.len() {
            return None;
        }
        let found = match self.term {
            Some(term) => self.mark(term),
            None => self.line(),
        };
        if found.is_none() {
            self.at = self.text.len();
        }
        Some(found)
    }
}

/// A term of a fragment: how often the page's body has it, and its best
/// weight in each record whose title, key or row text has it (most terms
/// have none: no allocation).
#[derive(Default)]
struct Term {
    count: u32,
    weights: Vec<(u16, u8)>,
}

impl Term {
    fn weigh(&mut self, slot: u16, weight: u8) {
        match self.weights.iter_mut().find(|(s, _)| *s == slot) {
            Some((_, w)) => *w = (*w).max(weight),
            None => self.weights.push((slot, weight)),
        }
    }
}

/// The fragment file of `records`: serde's JSON of their [`Stored`] form,
/// written here into one string.
fn records_json(records: &[Record<'_>]) -> String {
    let size: usize = records
        .iter()
        .map(|r| r.url.len() + r.title.len())
        .sum::<usize>()
        + records
            .iter()
            .map(|r| r.section.len() + r.text.len().min(2 * STORED_CHARS) + 40)
            .sum::<usize>();
    let mut json = String::with_capacity(size + 2);
    for (i, record) in records.iter().enumerate() {
        let r = Stored::from(record);
        json.push_str(if i == 0 { "[{\"k\":\"" } else { ",{\"k\":\"" });
        json.push_str(r.k.name());
        for (name, value) in [
            ("\",\"u\":", r.u),
            (",\"t\":", r.t),
            (",\"s\":", r.s),
            (",\"x\":", r.x),
        ] {
            json.push_str(name);
            push_json_str(&mut json, value);
        }
        json.push_str(if r.m { ",\"m\":true}" } else { "}" });
    }
    json.push_str(if records.is_empty() { "[]" } else { "]" });
    json
}

/// `text` as a JSON string, escaped as serde_json escapes (a test holds
/// them together). Most text has nothing to escape: it is looked at 16
/// bytes at a time, and copied whole.
pub(super) fn push_json_str(json: &mut String, text: &str) {
    let special = |b: u8| b < 0x20 || b == b'"' || b == b'\\';
    let next = |from: usize| {
        let rest = &text.as_bytes()[from..];
        let clean = rest
            .chunks_exact(16)
            .take_while(|c| !c.iter().fold(false, |any, &b| any | special(b)))
            .count();
        let after = &rest[clean * 16..];
        from + clean * 16
            + after
                .iter()
                .position(|&b| special(b))
                .unwrap_or(after.len())
    };
    json.push('"');
    let mut from = 0;
    loop {
        let at = next(from);
        json.push_str(&text[from..at]);
        let Some(&b) = text.as_bytes().get(at) else {
            break;
        };
        match b {
            b'"' => json.push_str("\\\""),
            b'\\' => json.push_str("\\\\"),
            b'\n' => json.push_str("\\n"),
            b'\r' => json.push_str("\\r"),
            b'\t' => json.push_str("\\t"),
            0x08 => json.push_str("\\b"),
            0x0c => json.push_str("\\f"),
            _ => {
                json.push_str("\\u00");
                json.push(char::from(b"0123456789abcdef"[usize::from(b >> 4)]));
                json.push(char::from(b"0123456789abcdef"[usize::from(b & 15)]));
            }
        }
        from = at + 1;
    }
    json.push('"');
}

/// A part of a record, and what a word found in it counts.
struct Field {
    slot: u16,
    /// 0: counts only as the page's body.
    weight: u8,
    /// Counts for the page's body (slot 0), by how often it is found.
    body: bool,
    /// Where its text is in the folded text of all.
    range: std::ops::Range<usize>,
}

/// The text of `records` folded, and their fields in it (a page's: its
/// title, text, headings' titles and texts, all but the title being its
/// body; a row's: label, key, text, section).
fn fields(records: &[Record<'_>]) -> (String, Vec<Field>) {
    let page = records.first().is_some_and(|r| r.kind == Kind::Page);
    let size = records
        .iter()
        .map(|r| r.title.len() + r.text.len() + r.also.len());
    let mut folded = String::with_capacity(size.sum::<usize>() + 16);
    let mut fields = Vec::new();
    for (slot, record) in records.iter().enumerate() {
        let slot = slot as u16;
        let mut field = |weight, body, text: &str| {
            let start = folded.len();
            fold_into(text, &mut folded);
            fields.push(Field {
                slot,
                weight,
                body: page && body,
                range: start..folded.len(),
            })
        };
        match record.kind {
            Kind::Page => {
                field(PAGE_TITLE, false, &record.title);
                field(PAGE_TITLE, false, &record.also);
            }
            Kind::Heading => field(HEADING_TITLE, true, &record.title),
            Kind::Row => {
                field(ROW_NAME, false, &record.title);
                field(ROW_NAME, false, &record.also);
                field(ROW_TEXT, false, &record.text);
                field(ROW_TEXT, false, &record.section);
            }
        }
        if record.kind != Kind::Row {
            field(0, true, &record.text);
        }
    }
    // Room for a head past the last term (see `Vocabulary::entry_in`).
    folded.push_str("        ");
    (folded, fields)
}

/// The term chunks and `meta.json` of a site's fragments, made when first
/// asked for: a one-off build asks at once; the preview server after it
/// has served the build (see [`Chunks::after`]), so that an edit is served
/// without waiting for them.
#[derive(Debug, Default)]
pub struct Chunks {
    fragments: Vec<(u32, Arc<Fragment>)>,
    /// The last preview build's chunks, made: these are made by updating
    /// them, not anew. Let go once these are made.
    last: Mutex<Option<Arc<Chunks>>>,
    made: OnceLock<Made>,
}

/// Chunks made: each one's terms (what the next preview build updates)
/// and file.
#[derive(Debug)]
struct Made {
    chunks: Vec<Chunk>,
    terms: Vec<Arc<Terms>>,
    /// Path under the index folder → JSON, `meta.json` included.
    files: HashMap<String, Arc<str>>,
    /// How many were made, not the last build's (all when made anew).
    made_again: usize,
}

impl Chunks {
    /// For `fragments`, each with its number, in ascending number order.
    pub fn new(fragments: Vec<(u32, Arc<Fragment>)>) -> Chunks {
        Chunks::after(fragments, None)
    }

    /// [`Chunks::new`], made by updating `last`, the chunks of the
    /// preview's last build (or, if it has not made them, those it would
    /// have updated): an edit costs the chunks of the terms it changed, not
    /// every page's terms again (at 10,000 pages, 90–150 ms at each first
    /// search after an edit).
    pub fn after(fragments: Vec<(u32, Arc<Fragment>)>, last: Option<&Arc<Chunks>>) -> Chunks {
        // Made, or none: so a chain of builds nobody searched holds one.
        let last = last.and_then(|last| match last.made.get() {
            Some(_) => Some(last.clone()),
            None => last.last.lock().expect("no panic holds the lock").clone(),
        });
        Chunks {
            fragments,
            last: Mutex::new(last),
            made: OnceLock::new(),
        }
    }

    /// A file of the index: `meta.json`, a chunk, or a fragment whose JSON
    /// was kept (the preview server keeps them: see [`Fragment::json`]).
    pub fn file(&self, path: &str) -> Option<Arc<str>> {
        let fragment = path
            .strip_prefix("f/")
            .and_then(|p| p.strip_suffix(".json"))
            .and_then(|n| n.parse::<u32>().ok());
        match fragment {
            Some(n) => {
                let at = self.fragments.binary_search_by_key(&n, |(m, _)| *m).ok()?;
                let json = &self.fragments[at].1.json;
                (!json.is_empty()).then(|| json.as_str().into())
            }
            None => self.files().get(path).cloned(),
        }
    }

    /// The chunks and `meta.json`: path under the index folder → JSON.
    pub fn files(&self) -> &HashMap<String, Arc<str>> {
        &self.made().files
    }

    /// How many chunks were made, not taken from the last build's.
    #[cfg(test)]
    pub fn made_again(&self) -> usize {
        self.made().made_again
    }

    fn made(&self) -> &Made {
        self.made.get_or_init(|| {
            let last = self.last.lock().expect("no panic holds the lock").take();
            let pieces = last.as_deref().and_then(|last| self.updated(last));
            Made::of(pieces.unwrap_or_else(|| {
                let made = chunks::cut(terms(&self.fragments));
                made.into_iter().map(Piece::Made).collect()
            }))
        })
    }

    /// These chunks as `last`'s updated: `None` when `last` was not made,
    /// when more than a quarter of the fragments changed (making them anew
    /// then costs less), or when a change does not fit.
    fn updated<'a>(&self, last: &'a Chunks) -> Option<Vec<Piece<'a>>> {
        let made = last.made.get()?;
        let changed = changed(&last.fragments, &self.fragments);
        let count = self.fragments.len().max(last.fragments.len());
        if changed.len() * 4 > count.max(1) {
            return None;
        }
        let changes = changes(changed);
        let pieces = chunks::update(&made.chunks, &changes, |i| {
            Some(Terms::clone(&made.terms[i]))
        })?;
        let pieces = pieces.into_iter().map(|piece| match piece {
            chunks::Piece::Kept(i) => Piece::Kept(made, i),
            chunks::Piece::Made(m) => Piece::Made(m),
        });
        Some(pieces.collect())
    }
}

/// A chunk of [`Chunks::made`]: the last build's, or made.
enum Piece<'a> {
    Kept(&'a Made, usize),
    Made(chunks::Made),
}

impl Made {
    fn of(pieces: Vec<Piece>) -> Made {
        let mut made = Made {
            chunks: Vec::with_capacity(pieces.len()),
            terms: Vec::with_capacity(pieces.len()),
            files: HashMap::default(),
            made_again: 0,
        };
        for piece in pieces {
            let (chunk, terms, json) = match piece {
                Piece::Kept(last, i) => {
                    let chunk = last.chunks[i].clone();
                    let json = last.files[&chunk_path(&chunk)].clone();
                    (chunk, last.terms[i].clone(), json)
                }
                Piece::Made(m) => {
                    made.made_again += 1;
                    (m.chunk, Arc::new(m.terms), m.json.into())
                }
            };
            made.files.insert(chunk_path(&chunk), json);
            made.chunks.push(chunk);
            made.terms.push(terms);
        }
        let meta = chunks::meta(&made.chunks);
        made.files.insert("meta.json".to_string(), meta.into());
        made
    }
}

fn chunk_path(chunk: &Chunk) -> String {
    format!("t/{}.json", chunk.name)
}

/// The fragments of `after` that are not those of `before` (both in
/// ascending number order): each one's number, what it was and what it is.
fn changed<'a>(
    before: &'a [(u32, Arc<Fragment>)],
    after: &'a [(u32, Arc<Fragment>)],
) -> Vec<(u32, Option<&'a Fragment>, Option<&'a Fragment>)> {
    let (mut before, mut after) = (before.iter().peekable(), after.iter().peekable());
    let mut changed = Vec::new();
    loop {
        let pair = match (before.peek(), after.peek()) {
            (None, None) => break,
            (Some((m, _)), Some((n, _))) if m == n => (before.next(), after.next()),
            (Some((m, _)), Some((n, _))) if m > n => (None, after.next()),
            (Some(_), _) => (before.next(), None),
            (None, Some(_)) => (None, after.next()),
        };
        let n = pair.0.or(pair.1).map(|(n, _)| *n).expect("one of them");
        let (was, is) = (pair.0.map(|(_, f)| &**f), pair.1.map(|(_, f)| &**f));
        // The preview shares the fragment of a page it did not render again.
        let same = match (was, is) {
            (Some(was), Some(is)) => std::ptr::eq(was, is) || was.terms == is.terms,
            _ => false,
        };
        if !same {
            changed.push((n, was, is));
        }
    }
    changed
}

/// What changed in the chunks' terms, by term in order, when `changed`
/// fragments did: each one's number, what it was and what it is.
pub(super) fn changes<'a>(
    changed: impl IntoIterator<Item = (u32, Option<&'a Fragment>, Option<&'a Fragment>)>,
) -> Vec<(String, Change)> {
    let postings = |fragment: Option<&'a Fragment>| -> BTreeSet<(&'a str, u16, u8)> {
        let postings = fragment.into_iter().flat_map(Fragment::postings);
        postings
            .map(|(term, (slot, weight))| (term, slot, weight))
            .collect()
    };
    let mut changes: BTreeMap<&str, Change> = BTreeMap::new();
    for (n, was, is) in changed {
        let (before, after) = (postings(was), postings(is));
        for &(term, slot, weight) in before.difference(&after) {
            changes
                .entry(term)
                .or_default()
                .gone
                .push((n, slot, weight));
        }
        for &(term, slot, weight) in after.difference(&before) {
            changes.entry(term).or_default().new.push((n, slot, weight));
        }
    }
    let changes = changes.into_iter().map(|(term, mut change)| {
        change.gone.sort_unstable();
        (term.to_string(), change)
    });
    changes.collect()
}

/// Every term of `fragments` (each with its number, in ascending number
/// order) with its postings, in order.
pub fn terms(fragments: &[(u32, Arc<Fragment>)]) -> Terms {
    // Each thread gathers the postings of a run of fragments; the runs are
    // then joined in order, so that every term's fragments stay ascending.
    let run = fragments
        .len()
        .div_ceil(rayon::current_num_threads())
        .max(1);
    let runs = fragments.par_chunks(run).map(|run| {
        let mut postings: Vocabulary<Vec<Posting>> = Vocabulary::with_capacity(1024);
        for (n, fragment) in run {
            for (term, (slot, weight)) in fragment.postings() {
                postings.entry(term).push((*n, slot, weight));
            }
        }
        let mut terms = postings.into_terms();
        terms.sort_unstable_by_key(|(term, _)| *term);
        terms
    });
    let runs: Vec<Vec<(&str, Vec<Posting>)>> = runs.collect();
    // Each term once, in order, with its runs' lists; then joined in one
    // list made to size, on every core (extending the first run's lists
    // copied each big list twice, on one core: a quarter of this at 10,000
    // pages).
    let merged = merge_runs(runs);
    let mut terms: Terms = merged
        .into_par_iter()
        .map(|(term, mut lists)| {
            let list = match lists.len() {
                1 => lists.pop().expect("one list"),
                _ => lists.concat(),
            };
            (term.to_string(), list)
        })
        .collect();
    terms.par_iter_mut().for_each(|(_, list)| {
        // In order as made (see `Fragment::new`); a fragment the cache
        // kept may not be.
        if !list.is_sorted() {
            list.sort_unstable();
        }
    });
    terms
}

/// The terms of `runs`, each sorted, merged in order: each term once, with
/// its lists in the runs' order.
fn merge_runs(runs: Vec<Vec<(&str, Vec<Posting>)>>) -> Vec<(&str, Vec<Vec<Posting>>)> {
    let mut runs: Vec<_> = runs.into_iter().map(|r| r.into_iter().peekable()).collect();
    let mut merged = Vec::new();
    while let Some(least) = runs
        .iter_mut()
        .filter_map(|r| r.peek().map(|(t, _)| *t))
        .min()
    {
        let lists = runs
            .iter_mut()
            .filter_map(|r| r.next_if(|(t, _)| *t == least))
            .map(|(_, list)| list);
        merged.push((least, lists.collect()));
    }
    merged
}

#[cfg(test)]
mod tests {
    proptest::proptest! {
        #[test]
        fn a_line_ends_at_its_first_newline_or_space(text in "[a-z\n \t\u{0}\u{1}\u{20ac}]{0,40}") {
            let b = text.as_bytes();
            let first = b.iter().position(|&c| c == b'\n' || c == b' ');
            proptest::prop_assert_eq!(super::line_end(b), first);
        }
    }
}
