//! A search over the index files, as the browser runs it
//! (`theme/static/search.js` does the same steps; a browser test holds them
//! to the same results): for `envbook search`, the benchmark's download
//! figures and the ranking tests. Files come from a `fetch` the caller gives
//! (a built site's folder, or the files in memory). No I/O of its own.

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;

use super::index::{Kind, fragment_path};
use super::tokens::{query, words};

/// Results shown.
pub const SHOWN: usize = 10;
/// A prefix widens to the terms of at most this many chunks.
const PREFIX_CHUNKS: usize = 4;
/// With a phrase, at most this many candidates are fetched to be checked.
const PHRASE_CHECKS: usize = 40;

/// A search's results and what it fetched.
#[derive(Debug, Default)]
pub struct Found {
    pub hits: Vec<Hit>,
    /// The index files read, in order, each once: what a browser downloads.
    pub fetched: Vec<(String, usize)>,
}

#[derive(Debug, Clone)]
pub struct Hit {
    pub score: f64,
    pub kind: Kind,
    pub url: String,
    pub title: String,
    pub section: String,
}

#[derive(Deserialize)]
struct Meta {
    /// `[from, hash]`: chunk i holds the terms from its `from` to the next's.
    chunks: Vec<(String, String)>,
    /// Terms so common that the index keeps only their best records.
    #[serde(default)]
    common: Vec<String>,
}

impl Meta {
    /// The chunks that can hold `word`, or as a prefix, the terms it starts.
    fn chunks_for(&self, word: &str, prefix: bool) -> impl Iterator<Item = &str> {
        let first = self
            .chunks
            .partition_point(|(from, _)| from.as_str() <= word);
        let first = first.saturating_sub(1);
        let limit = if prefix { PREFIX_CHUNKS } else { 1 };
        let further = self.chunks[first..]
            .iter()
            .enumerate()
            .take_while(move |(i, (from, _))| *i == 0 || prefix && from.starts_with(word));
        further.take(limit).map(|(_, (_, hash))| hash.as_str())
    }
}

/// A record's place: fragment number and slot.
type Place = (u32, u16);

/// Searches `typed` in the index `fetch` reads (path under the index folder
/// → its text, `None` when missing).
pub fn find(typed: &str, fetch: &mut dyn FnMut(&str) -> Option<String>) -> Found {
    let mut files = Files {
        fetch,
        found: Found::default(),
        text: HashMap::new(),
    };
    let q = query(typed);
    if q.words.is_empty() && q.phrases.is_empty() {
        return files.found;
    }
    let Some(meta) = files.json::<Meta>("meta.json") else {
        return files.found;
    };
    let prefixed = if q.prefix { q.words.len() } else { 0 };
    // A key being typed is looked for whole first (see `Query::whole`); its
    // parts add to what it finds, as words of a title do (`CARGO_HOME`:
    // the page titled Cargo Home above those that only name it).
    if let Some(whole) = &q.whole {
        let words = Words {
            required: required(whole, &q.phrases),
            prefixed: whole.len(),
            boosts: &q.words,
            boost_prefixed: prefixed,
        };
        let hits = files.search(&meta, &words, &q.phrases);
        if !hits.is_empty() {
            files.found.hits = hits;
            return files.found;
        }
    }
    let words = Words {
        required: required(&q.words, &q.phrases),
        prefixed,
        boosts: &[],
        boost_prefixed: 0,
    };
    files.found.hits = files.search(&meta, &words, &q.phrases);
    files.found
}

/// The words of a search: each of `required` must match (the
/// `prefixed`-th, counted from 1, as a prefix; 0 for none); `boosts` only
/// add to the score of what they find (the `boost_prefixed`-th as a prefix).
struct Words<'a> {
    required: Vec<String>,
    prefixed: usize,
    boosts: &'a [String],
    boost_prefixed: usize,
}

/// Every word a search needs: `words`, then the phrases' words.
fn required(words: &[String], phrases: &[Vec<String>]) -> Vec<String> {
    let mut all = words.to_vec();
    for word in phrases.iter().flatten() {
        if !all.contains(word) {
            all.push(word.clone());
        }
    }
    all
}

/// Whether each phrase's words come one after another in `text`'s words.
fn has_phrases(text: &str, phrases: &[Vec<String>]) -> bool {
    let words = words(text);
    phrases
        .iter()
        .all(|p| words.windows(p.len()).any(|w| w == p.as_slice()))
}

/// Fetched files, each fetched once.
struct Files<'a> {
    fetch: &'a mut dyn FnMut(&str) -> Option<String>,
    found: Found,
    text: HashMap<String, Option<String>>,
}

/// A record as a fragment file holds it (its `also` is not written).
#[derive(Deserialize, Clone)]
struct Shown {
    k: Kind,
    u: String,
    t: String,
    s: String,
    x: String,
    /// Its text was cut.
    #[serde(default)]
    m: bool,
}

impl Files<'_> {
    /// The records holding every required word, best first, those with
    /// `phrases` checked against their text.
    fn search(&mut self, meta: &Meta, words: &Words, phrases: &[Vec<String>]) -> Vec<Hit> {
        let (required, prefixed) = (&words.required, words.prefixed);
        // A common word (whose records the index cut) only adds to the score
        // of what the other words find; alone, or with others as common, it counts.
        let common = |w: &String| meta.common.contains(w);
        let optional = |w: &String| common(w) && !required.iter().all(common);
        let mut scores: Option<HashMap<Place, f64>> = None;
        for (i, word) in required.iter().enumerate().filter(|(_, w)| !optional(w)) {
            let matched = self.postings(meta, word, i + 1 == prefixed);
            scores = Some(match scores {
                None => matched,
                Some(so_far) => so_far
                    .into_iter()
                    .filter_map(|(place, s)| matched.get(&place).map(|m| (place, s + m)))
                    .collect(),
            });
        }
        let mut scores = scores.unwrap_or_default();
        let optional = required.iter().enumerate().filter(|(_, w)| optional(w));
        let optional = optional.map(|(i, w)| (w, i + 1 == prefixed));
        let boosts = words
            .boosts
            .iter()
            .enumerate()
            .filter(|(_, w)| !required.contains(w));
        let boosts = boosts.map(|(i, w)| (w, i + 1 == words.boost_prefixed));
        for (word, prefix) in optional.chain(boosts) {
            for (place, m) in self.postings(meta, word, prefix) {
                if let Some(s) = scores.get_mut(&place) {
                    *s += m;
                }
            }
        }
        let mut ranked: Vec<(Place, f64)> = scores.into_iter().collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let mut hits = Vec::new();
        for (checked, (place, score)) in ranked.into_iter().enumerate() {
            if hits.len() == SHOWN || !phrases.is_empty() && checked == PHRASE_CHECKS {
                break;
            }
            let Some(record) = self.record(place) else {
                continue;
            };
            let (text, cut) = self.whole_text(place);
            // A phrase not in a cut text may be in what was cut: kept.
            if phrases.is_empty() || cut || has_phrases(&text, phrases) {
                hits.push(Hit {
                    score,
                    kind: record.k,
                    url: record.u,
                    title: record.t,
                    section: record.s,
                });
            }
        }
        hits
    }

    fn get(&mut self, path: &str) -> Option<&str> {
        if !self.text.contains_key(path) {
            let text = (self.fetch)(path);
            if let Some(text) = &text {
                self.found.fetched.push((path.to_string(), text.len()));
            }
            self.text.insert(path.to_string(), text);
        }
        self.text[path].as_deref()
    }

    fn json<T: for<'de> Deserialize<'de>>(&mut self, path: &str) -> Option<T> {
        serde_json::from_str(self.get(path)?).ok()
    }

    /// Each record `word` is in, with its weight; as a prefix, the records
    /// of the terms it starts too (half the weight, unless the term is the word).
    fn postings(&mut self, meta: &Meta, word: &str, prefix: bool) -> HashMap<Place, f64> {
        let mut best: HashMap<Place, f64> = HashMap::new();
        for name in meta.chunks_for(word, prefix) {
            let Some(chunk) = self.json::<BTreeMap<String, Vec<u32>>>(&format!("t/{name}.json"))
            else {
                continue;
            };
            let terms = chunk
                .range(word.to_string()..)
                .take_while(|(t, _)| t.as_str() == word || prefix && t.starts_with(word));
            for (term, list) in terms {
                let factor = if term == word { 1.0 } else { 0.5 };
                let mut n = 0;
                for pair in list.chunks_exact(2) {
                    n += pair[0];
                    let weight = f64::from(pair[1] % 128) * factor;
                    let place = (n, (pair[1] / 128) as u16);
                    let w = best.entry(place).or_default();
                    *w = w.max(weight);
                }
            }
        }
        best
    }

    fn fragment(&mut self, n: u32) -> Option<Vec<Shown>> {
        self.json(&fragment_path(n))
    }

    fn record(&mut self, (n, slot): Place) -> Option<Shown> {
        self.fragment(n)?.get(usize::from(slot)).cloned()
    }

    /// The text a phrase is looked for in: a page's whole text (with its
    /// headings), a heading's or a row's title and text; and whether any of
    /// it was cut.
    fn whole_text(&mut self, (n, slot): Place) -> (String, bool) {
        let records = self.fragment(n).unwrap_or_default();
        let titled = |r: &Shown| format!("{} {}", r.t, r.x);
        match records.get(usize::from(slot)) {
            Some(r) if r.k == Kind::Page => (
                records.iter().map(titled).collect::<Vec<_>>().join(" "),
                records.iter().any(|r| r.m),
            ),
            Some(r) => (titled(r), r.m),
            None => (String::new(), false),
        }
    }
}
