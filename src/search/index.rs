//! The search index as files a browser fetches on demand (the layout
//! BENCHMARKS.md's Pagefind measurement led to): a small `meta.json` that
//! lists term chunks by the range of terms they hold, the chunks (each term
//! with its records and weights), and fragments of a few records each (what a
//! result shows), fetched only for the results on screen. No I/O.

use std::collections::BTreeMap;

use serde::Serialize;

use super::tokens::terms;

/// What a search can find, in the order results rank when they match alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Page,
    Heading,
    Row,
}

/// One thing a search can find.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Record {
    pub kind: Kind,
    /// Where a result leads, from the site's root: `runbooks/db/#promote`.
    pub url: String,
    /// A page's title, a heading's text, a row's label.
    pub title: String,
    /// Where it is: `Runbooks › Database`.
    pub section: String,
    /// A page's text; a row's key, values and notes.
    pub text: String,
}

/// How much a match in each part of a record counts: a title above a
/// heading above a row above the body.
const TITLE: u32 = 16;
const BODY: u32 = 1;

fn title_weight(kind: Kind) -> u32 {
    match kind {
        Kind::Page => TITLE,
        Kind::Heading => TITLE / 2,
        Kind::Row => TITLE / 4,
    }
}

/// A chunk is closed once its terms' postings pass this many bytes.
const CHUNK_BYTES: usize = 16 * 1024;
/// Records per fragment file.
const FRAGMENT_RECORDS: usize = 8;
/// A fragment keeps this much of a record's text, for the snippet.
const SNIPPET_CHARS: usize = 600;

/// The index's files: path (under the index folder) → JSON.
pub fn build(records: &[Record]) -> Vec<(String, String)> {
    let postings = postings(records);
    let mut files = Vec::new();
    let mut chunks = Vec::new();
    let mut chunk: BTreeMap<&str, &[u32]> = BTreeMap::new();
    let mut size = 0;
    for (term, list) in &postings {
        chunk.insert(term, list);
        size += term.len() + list.len() * 4;
        if size >= CHUNK_BYTES {
            chunks.push(close(&mut chunk, &mut files));
            size = 0;
        }
    }
    if !chunk.is_empty() {
        chunks.push(close(&mut chunk, &mut files));
    }
    for (n, group) in records.chunks(FRAGMENT_RECORDS).enumerate() {
        let shown: Vec<Record> = group.iter().map(snippet).collect();
        files.push((format!("f/{n}.json"), json(&shown)));
    }
    let meta = Meta {
        version: 1,
        records: records.len(),
        per_fragment: FRAGMENT_RECORDS,
        chunks,
    };
    files.push(("meta.json".to_string(), json(&meta)));
    files
}

#[derive(Serialize)]
struct Meta {
    version: u32,
    records: usize,
    per_fragment: usize,
    chunks: Vec<Chunk>,
}

/// A chunk file and the first and last term it holds.
#[derive(Debug, Serialize, PartialEq)]
struct Chunk {
    from: String,
    to: String,
    file: String,
}

/// Writes `chunk` as the next chunk file and empties it.
fn close(chunk: &mut BTreeMap<&str, &[u32]>, files: &mut Vec<(String, String)>) -> Chunk {
    let file = format!("t/{}.json", files.len());
    let entry = Chunk {
        from: chunk.keys().next().map_or("", |t| t).to_string(),
        to: chunk.keys().next_back().map_or("", |t| t).to_string(),
        file: file.clone(),
    };
    files.push((file, json(&*chunk)));
    chunk.clear();
    entry
}

/// Each term → `[record, weight, record, weight, …]`, records ascending.
fn postings(records: &[Record]) -> BTreeMap<String, Vec<u32>> {
    let mut weights: BTreeMap<String, BTreeMap<u32, u32>> = BTreeMap::new();
    for (id, record) in records.iter().enumerate() {
        let id = id as u32;
        let fields = [
            (&record.title, title_weight(record.kind)),
            (&record.text, BODY),
        ];
        for (text, weight) in fields {
            for term in terms(text) {
                *weights.entry(term).or_default().entry(id).or_default() += weight;
            }
        }
    }
    weights
        .into_iter()
        .map(|(term, by_record)| {
            let flat = by_record.into_iter().flat_map(|(id, w)| [id, w]).collect();
            (term, flat)
        })
        .collect()
}

/// A record as a result shows it: its text cut for the snippet.
fn snippet(record: &Record) -> Record {
    let mut shown = record.clone();
    if let Some((cut, _)) = shown.text.char_indices().nth(SNIPPET_CHARS) {
        shown.text.truncate(cut);
    }
    shown
}

fn json(value: &impl Serialize) -> String {
    serde_json::to_string(value).expect("search records serialize")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(kind: Kind, title: &str, text: &str) -> Record {
        Record {
            kind,
            url: format!("{}/", title.to_lowercase()),
            title: title.into(),
            section: "Docs".into(),
            text: text.into(),
        }
    }

    fn file<'a>(files: &'a [(String, String)], name: &str) -> &'a str {
        &files.iter().find(|(n, _)| n == name).expect(name).1
    }

    #[test]
    fn terms_lead_to_records_weighted_title_heading_row_body() {
        let records = [
            record(Kind::Page, "Storage", "Volumes."),
            record(Kind::Heading, "Storage size", ""),
            record(Kind::Row, "Size", "data-plane.storage-size 20Gi"),
            record(Kind::Page, "Other", "storage"),
        ];
        let files = build(&records);
        let chunk: BTreeMap<String, Vec<u32>> =
            serde_json::from_str(file(&files, "t/0.json")).unwrap();
        assert_eq!(chunk["storage"], [0, 16, 1, 8, 2, 1, 3, 1]);
        assert_eq!(chunk["size"], [1, 8, 2, 5]);
        assert_eq!(chunk["data-plane.storage-size"], [2, 1]);
        assert_eq!(chunk["20gi"], [2, 1]);
        let meta: serde_json::Value = serde_json::from_str(file(&files, "meta.json")).unwrap();
        assert_eq!(meta["chunks"][0]["from"], "20gi");
        assert_eq!(meta["chunks"][0]["to"], "volumes");
        assert_eq!(meta["records"], 4);
    }

    #[test]
    fn chunks_hold_sorted_term_ranges_and_fragments_a_few_records() {
        let records: Vec<Record> = (0..2000)
            .map(|i| {
                record(
                    Kind::Page,
                    &format!("Page{i}"),
                    &format!("word{i} shared text {i}"),
                )
            })
            .collect();
        let files = build(&records);
        let meta: serde_json::Value = serde_json::from_str(file(&files, "meta.json")).unwrap();
        let chunks = meta["chunks"].as_array().unwrap();
        assert!(chunks.len() > 1, "{meta}");
        for pair in chunks.windows(2) {
            assert!(pair[0]["to"].as_str() < pair[1]["from"].as_str(), "{meta}");
        }
        let fragments = files.iter().filter(|(n, _)| n.starts_with("f/")).count();
        assert_eq!(fragments, 2000 / FRAGMENT_RECORDS);
        let first: Vec<serde_json::Value> = serde_json::from_str(file(&files, "f/0.json")).unwrap();
        assert_eq!(first.len(), FRAGMENT_RECORDS);
        assert_eq!(first[0]["url"], "page0/");
    }
}
