//! The index's chunks across one-off builds: the build cache's store keeps
//! the last build's chunks, their terms, and the key of each fragment they
//! were made of. The next build reads the terms of the fragments whose key
//! changed only, before and after, and makes again the chunks those terms
//! fall in (see [`chunks::update`]): an edited page costs its own terms,
//! not every page's. Anything missing or not fitting, and the chunks are
//! made anew, as they would be without the store. No I/O but the store's.

use std::collections::BTreeMap;
use std::sync::Arc;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::chunks::{self, Chunk, Made, Piece, Terms};
use super::index::{Fragment, changes, terms};
use crate::markdown::{Key, Store};

/// The last build's index.
#[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Kept {
    /// Each fragment's key, by number.
    fragments: Vec<Option<[u8; 32]>>,
    chunks: Vec<Chunk>,
    /// What the matrix rows' fragments, the last ones, are made of, and
    /// how many they are.
    rows: Option<([u8; 32], u32)>,
}

/// Where the store keeps the last build's [`Kept`] (the one key not made
/// of what it is kept for: the next build checks what it says).
fn last_key() -> Key {
    Key::of(&[b"search index of the last build"])
}

/// Where the store keeps a chunk's terms.
fn terms_key(chunk: &str) -> Key {
    Key::of(&[b"search chunk terms", chunk.as_bytes()])
}

impl Kept {
    /// The last build's, from `store`.
    pub fn load(store: &dyn Store) -> Option<Kept> {
        postcard::from_bytes(&store.get(&last_key())?).ok()
    }

    /// Whether fragment `n` is the last build's (its terms need not be read).
    pub fn has(&self, n: u32, key: &Key) -> bool {
        self.fragments.get(n as usize) == Some(&Some(key.0))
    }

    /// The key of fragment `n`.
    pub fn key(&self, n: u32) -> Option<Key> {
        self.fragments.get(n as usize).copied().flatten().map(Key)
    }

    /// How many rows' fragments the last build had, from `first`, if they
    /// were made of what `signature` says.
    pub fn rows(&self, signature: &Key, first: u32) -> Option<u32> {
        let (made_of, count) = self.rows?;
        let whole = self.fragments.len() == (first + count) as usize;
        (made_of == signature.0 && whole).then_some(count)
    }
}

/// A fragment of this build.
pub struct Entry {
    pub n: u32,
    /// What it is made of.
    pub key: Key,
    /// Its terms when they were made or read; otherwise `terms` (see
    /// [`files`]) reads them if they are needed.
    pub fragment: Option<Arc<Fragment>>,
}

/// A file of the index's chunks.
pub struct File {
    /// Under the index folder: `t/NAME.json`, `meta.json`.
    pub path: String,
    /// What it is made of, when it is known.
    pub key: Option<Key>,
    /// Its JSON; `None` when `holds` said the output has it already.
    pub json: Option<String>,
}

/// What making the chunks needs.
pub struct Making<'a> {
    pub store: &'a dyn Store,
    pub kept: Option<&'a Kept>,
    /// Every fragment, in ascending number order.
    pub entries: &'a [Entry],
    /// What the rows' fragments are made of, and how many they are.
    pub rows: Option<(Key, u32)>,
    /// A fragment's terms, when its entry has none; `None` if they cannot
    /// be had (then it is not indexed).
    pub terms: &'a (dyn Fn(&Entry) -> Option<Arc<Fragment>> + Sync),
    /// Whether the output already has the file at a path, made from a key.
    pub holds: &'a (dyn Fn(&str, &Key) -> bool + Sync),
}

/// The chunk files and meta.json of `making`'s fragments: the last build's
/// updated, or made anew. The store then keeps them for the next build.
pub fn files(making: &Making) -> Vec<File> {
    let kept = making
        .kept
        .and_then(|kept| Some((kept, updated(making, kept)?)));
    let written = kept.and_then(|(kept, pieces)| write(making, &kept.chunks, pieces));
    written.unwrap_or_else(|| {
        let pieces = anew(making).into_iter().map(Piece::Made).collect();
        write(making, &[], pieces).expect("chunks made anew need nothing kept")
    })
}

/// The files of `pieces`, `kept` being the last build's chunks; the store
/// keeps the chunks made, and the index for the next build. `None` when
/// a kept chunk is neither in the output nor in the store.
fn write(making: &Making, kept: &[Chunk], pieces: Vec<Piece>) -> Option<Vec<File>> {
    let chunks: Vec<Chunk> = pieces
        .iter()
        .map(|piece| match piece {
            Piece::Kept(i) => kept[*i].clone(),
            Piece::Made(made) => made.chunk.clone(),
        })
        .collect();
    let files: Option<Vec<File>> = pieces
        .into_par_iter()
        .map(|piece| file(making, kept, piece))
        .collect();
    let mut files = files?;
    let meta = chunks::meta(&chunks);
    files.push(File {
        path: "meta.json".into(),
        key: None,
        json: Some(meta),
    });
    let fragments = numbered(making.entries).into_iter();
    let next = Kept {
        fragments: fragments.map(|k| k.map(|k| k.0)).collect(),
        chunks,
        rows: making.rows.map(|(key, count)| (key.0, count)),
    };
    // Put again only when it changed: each put adds to the store.
    if making.kept != Some(&next) {
        let next = postcard::to_stdvec(&next).expect("the index's keys serialize");
        making.store.put(&last_key(), &next);
    }
    Some(files)
}

/// A chunk's file; a chunk made again is kept in the store. `None` for a
/// kept chunk whose terms are gone from the store and the output.
fn file(making: &Making, kept: &[Chunk], piece: Piece) -> Option<File> {
    let (chunk, json) = match piece {
        Piece::Made(made) => {
            let terms = postcard::to_stdvec(&made.terms).expect("terms serialize");
            making.store.put(&terms_key(&made.chunk.name), &terms);
            (made.chunk, Some(made.json))
        }
        Piece::Kept(i) => {
            // Its terms, not read, are still the chunk's.
            making.store.keep(&terms_key(&kept[i].name));
            (kept[i].clone(), None)
        }
    };
    let path = format!("t/{}.json", chunk.name);
    let key = Key::of(&[b"search chunk", chunk.name.as_bytes()]);
    let json = match json {
        None if !(making.holds)(&path, &key) => Some(chunks::json(&load(making.store, &chunk)?)),
        json => json,
    };
    Some(File {
        path,
        key: Some(key),
        json,
    })
}

fn load(store: &dyn Store, chunk: &Chunk) -> Option<Terms> {
    postcard::from_bytes(&store.get(&terms_key(&chunk.name))?).ok()
}

/// Each fragment's key, by number.
fn numbered(entries: &[Entry]) -> Vec<Option<Key>> {
    let len = entries.last().map_or(0, |e| e.n as usize + 1);
    let mut keys = vec![None; len];
    for entry in entries {
        keys[entry.n as usize] = Some(entry.key);
    }
    keys
}

/// The chunks made anew of every fragment's terms.
fn anew(making: &Making) -> Vec<Made> {
    let fragments: Vec<(u32, Arc<Fragment>)> = making
        .entries
        .par_iter()
        .filter_map(|e| Some((e.n, e.fragment.clone().or_else(|| (making.terms)(e))?)))
        .collect();
    chunks::cut(terms(&fragments))
}

/// The last build's chunks after the changes of the fragments whose keys
/// changed, if at most a quarter did (past that, making them anew costs
/// less).
fn updated(making: &Making, kept: &Kept) -> Option<Vec<Piece>> {
    let keys = numbered(making.entries);
    let len = keys.len().max(kept.fragments.len());
    let old = |n: usize| kept.fragments.get(n).copied().flatten().map(Key);
    let changed: Vec<usize> = (0..len)
        .filter(|&n| keys.get(n).copied().flatten() != old(n))
        .collect();
    if changed.len() * 4 > len.max(1) {
        return None;
    }
    let by_number: BTreeMap<u32, &Entry> = making.entries.iter().map(|e| (e.n, e)).collect();
    let mut fragments = Vec::with_capacity(changed.len());
    for n in changed {
        let before = match old(n) {
            Some(key) => Some(Fragment::from_text(read(making.store, &key)?, &[])?),
            None => None,
        };
        let after = match by_number.get(&(n as u32)) {
            Some(entry) => Some(entry.fragment.clone().or_else(|| (making.terms)(entry))?),
            None => None,
        };
        fragments.push((n as u32, before, after));
    }
    let changes = changes(
        fragments
            .iter()
            .map(|(n, b, a)| (*n, b.as_ref(), a.as_deref())),
    );
    chunks::update(&kept.chunks, &changes, |i| {
        load(making.store, &kept.chunks[i])
    })
}

fn read(store: &dyn Store, key: &Key) -> Option<String> {
    String::from_utf8(store.get(key)?).ok()
}
