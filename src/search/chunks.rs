//! The index's term chunks: every term in order with its postings, cut into
//! files of about [`TARGET`] bytes. A chunk ends at a term chosen by the
//! term's own hash and size once past [`MIN`] bytes (content-defined cuts,
//! as rsync and backup tools cut files), not at a fixed size: an edit moves
//! the cuts near the terms it changed, and those after them stay where they
//! were. So a build that kept the last build's chunks makes again only the
//! chunks of the terms that changed ([`update`]), and gets the files a build
//! from nothing would, byte for byte. No I/O.

use std::hash::{DefaultHasher, Hash, Hasher};

use serde::{Deserialize, Serialize};

/// A term's place in a record: fragment, slot, weight.
pub type Posting = (u32, u16, u8);

/// Terms in order, each with all its postings in order: a common term's
/// too (its file keeps only the best, see [`COMMON`]).
pub type Terms = Vec<(String, Vec<Posting>)>;

/// A chunk is not cut before this many bytes of JSON (as estimated)...
const MIN: usize = 8 * 1024;
/// ...and cut at the latest past this many.
const MAX: usize = 32 * 1024;
/// Between them, a term ends its chunk with the chance of its share of
/// this many bytes: chunks of about `MIN + TARGET_PAST`.
const TARGET_PAST: usize = 8 * 1024;
/// About the size of a chunk's file.
pub const TARGET: usize = MIN + TARGET_PAST;

/// A term in more records than this (`the` in every page of a big site)
/// keeps only its best ones: a search downloads its chunk, whatever the
/// site's size. The search then takes it as optional (see `find`).
pub const COMMON: usize = 4096;

/// A chunk as the next build needs to know it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Chunk {
    /// Its file is `t/{name}.json`: a hash of its JSON, so that an
    /// unchanged chunk keeps its name and its place in browsers' caches,
    /// and a stale meta.json names files that are gone rather than files
    /// that changed.
    pub name: String,
    first: String,
    last: String,
    /// Its terms in more than [`COMMON`] records.
    common: Vec<String>,
}

/// A chunk made by this build: what the next needs of it, its terms and
/// its file.
#[derive(Debug)]
pub struct Made {
    pub chunk: Chunk,
    pub terms: Terms,
    pub json: String,
}

/// The index's chunks of `terms`, made anew.
pub fn cut(terms: Terms) -> Vec<Made> {
    use rayon::prelude::*;
    let mut cutter = Cutter::default();
    let mut groups: Vec<Terms> = terms.into_iter().filter_map(|t| cutter.push(t)).collect();
    groups.extend(cutter.finish());
    // Each chunk's JSON on its own thread.
    groups.into_par_iter().map(make).collect()
}

/// The postings that changed for a term: those gone, those new.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Change {
    pub gone: Vec<Posting>,
    pub new: Vec<Posting>,
}

/// A chunk of a build after [`update`]: the last build's (its number in
/// `kept`), or one made again.
#[derive(Debug)]
pub enum Piece {
    Kept(usize),
    Made(Made),
}

/// The chunks after `changes` (by term, in order) to the chunks `kept`,
/// whose terms `load` gives by their place in `kept`: those the changes
/// touch are made again, and those after them until a cut falls where it
/// was. `None` when a chunk cannot be loaded or a change does not fit what
/// it holds: the chunks must then be made anew.
pub fn update(
    kept: &[Chunk],
    changes: &[(String, Change)],
    load: impl Fn(usize) -> Option<Terms>,
) -> Option<Vec<Piece>> {
    if kept.is_empty() {
        return None;
    }
    // Each term is in the chunk of the last first term not after it.
    let mut touched: Vec<&[(String, Change)]> = vec![&[]; kept.len()];
    let mut rest = changes;
    for (i, chunk) in kept.iter().enumerate().rev() {
        let at = match i {
            0 => 0,
            _ => rest.partition_point(|(term, _)| *term < chunk.first),
        };
        touched[i] = &rest[at..];
        rest = &rest[..at];
    }
    let mut pieces = Vec::with_capacity(kept.len());
    let mut cutter = Cutter::default();
    for (i, touched) in touched.into_iter().enumerate() {
        if cutter.is_empty() && touched.is_empty() {
            pieces.push(Piece::Kept(i));
            continue;
        }
        let mut terms = load(i)?;
        apply(&mut terms, touched)?;
        let made = terms.into_iter().filter_map(|t| cutter.push(t));
        pieces.extend(made.map(|g| Piece::Made(make(g))));
    }
    pieces.extend(cutter.finish().map(|g| Piece::Made(make(g))));
    Some(pieces)
}

/// Applies `changes` (in term order) to `terms`; `None` when a posting to
/// remove is not there.
fn apply(terms: &mut Terms, changes: &[(String, Change)]) -> Option<()> {
    for (term, change) in changes {
        let at = terms.binary_search_by(|(t, _)| t.as_str().cmp(term));
        let list = match at {
            Ok(at) => &mut terms[at].1,
            Err(at) => {
                terms.insert(at, (term.clone(), Vec::new()));
                &mut terms[at].1
            }
        };
        for gone in &change.gone {
            let at = list.binary_search(gone).ok()?;
            list.remove(at);
        }
        list.extend(&change.new);
        list.sort_unstable();
        list.dedup();
    }
    terms.retain(|(_, list)| !list.is_empty());
    Some(())
}

/// Cuts terms, given in order, into chunks.
#[derive(Default)]
struct Cutter {
    group: Terms,
    size: usize,
}

impl Cutter {
    fn is_empty(&self) -> bool {
        self.group.is_empty()
    }

    /// Adds a term; returns its chunk when the term ends it. Whether it
    /// does follows from the chunk's size and the term alone.
    fn push(&mut self, (term, list): (String, Vec<Posting>)) -> Option<Terms> {
        let own = term.len() + 4 + list.len().min(COMMON) * 6;
        self.size += own;
        let chance = fnv(term.as_bytes()) % TARGET_PAST as u64;
        let ends = self.size >= MAX || (self.size >= MIN && chance < own as u64);
        self.group.push((term, list));
        ends.then(|| self.finish()).flatten()
    }

    /// The last chunk, if it has terms.
    fn finish(&mut self) -> Option<Terms> {
        self.size = 0;
        let group = std::mem::take(&mut self.group);
        (!group.is_empty()).then_some(group)
    }
}

/// FNV-1a: a hash of a term that no Rust version or machine changes.
fn fnv(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        hash = (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// A chunk of `terms` (not empty), its file made.
fn make(terms: Terms) -> Made {
    let (name, json) = chunk_json(&terms);
    let common = terms.iter().filter(|(_, l)| l.len() > COMMON);
    let chunk = Chunk {
        name,
        first: terms.first().map(|(t, _)| t.clone()).unwrap_or_default(),
        last: terms.last().map(|(t, _)| t.clone()).unwrap_or_default(),
        common: common.map(|(t, _)| t.clone()).collect(),
    };
    Made { chunk, terms, json }
}

/// The best [`COMMON`] postings of a common term (by weight, then place),
/// in order: those above the weight at which [`COMMON`] is reached, then
/// the first ones of that weight. Weights are small numbers: counted, not
/// sorted (a big site has hundreds of such terms, each in most pages).
fn best(list: &[Posting]) -> Vec<Posting> {
    let mut counts = [0usize; 256];
    for &(_, _, weight) in list {
        counts[usize::from(weight)] += 1;
    }
    let (mut above, mut at) = (0, 255);
    while above + counts[at] < COMMON && at > 0 {
        above += counts[at];
        at -= 1;
    }
    let mut room = COMMON - above;
    let best = list
        .iter()
        .filter(|&&(_, _, weight)| match usize::from(weight) {
            w if w > at => true,
            w if w == at && room > 0 => {
                room -= 1;
                true
            }
            _ => false,
        });
    best.copied().collect()
}

/// The JSON of a chunk of `terms`, as [`Made::json`].
pub fn json(terms: &[(String, Vec<Posting>)]) -> String {
    chunk_json(terms).1
}

/// A chunk's name (a hash of its content) and its JSON:
/// `{"term":[f,v,…],…}`, each record's fragment number (as the difference
/// from the previous one) and `slot * 128 + weight`.
fn chunk_json(terms: &[(String, Vec<Posting>)]) -> (String, String) {
    let mut json = String::with_capacity(TARGET + TARGET / 2);
    let mut number = itoa::Buffer::new();
    // Most numbers are one digit: a page's weight, the step to the next page.
    let mut push_number = |json: &mut String, n: u32| match u8::try_from(n) {
        Ok(digit @ 0..=9) => json.push(char::from(b'0' + digit)),
        _ => json.push_str(number.format(n)),
    };
    for (t, (term, list)) in terms.iter().enumerate() {
        json.push(if t == 0 { '{' } else { ',' });
        super::index::push_json_str(&mut json, term);
        json.push_str(":[");
        let list: std::borrow::Cow<[Posting]> = match list.len() > COMMON {
            true => best(list).into(),
            false => list.into(),
        };
        let mut previous = 0;
        for (i, &(n, slot, weight)) in list.iter().enumerate() {
            if i > 0 {
                json.push(',');
            }
            push_number(&mut json, n - previous);
            json.push(',');
            push_number(&mut json, u32::from(slot) * 128 + u32::from(weight));
            previous = n;
        }
        json.push(']');
    }
    json.push('}');
    let mut hasher = DefaultHasher::new();
    json.hash(&mut hasher);
    (format!("{:012x}", hasher.finish() >> 16), json)
}

/// `meta.json` for `chunks`, in order: each chunk's name and `from`, the
/// shortest start of its first term that sorts after the last term of the
/// chunk before (the first chunk's is empty), so that a chunk holds the
/// terms from its `from` to the next chunk's; and the common terms.
pub fn meta<'a>(chunks: impl IntoIterator<Item = &'a Chunk>) -> String {
    let (mut ranges, mut common) = (Vec::new(), Vec::new());
    let mut before: Option<&str> = None;
    for chunk in chunks {
        let first = &chunk.first;
        let from = match before {
            None => "",
            Some(before) => first
                .char_indices()
                .map(|(at, c)| &first[..at + c.len_utf8()])
                .find(|start| *start > before)
                .unwrap_or(first),
        };
        ranges.push([from, chunk.name.as_str()]);
        common.extend(chunk.common.iter().map(String::as_str));
        before = Some(&chunk.last);
    }
    let meta = serde_json::json!({ "version": 1, "chunks": ranges, "common": common });
    meta.to_string()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use proptest::prelude::*;

    use super::*;

    /// Each chunk's file and meta.json.
    fn files(chunks: &[Made]) -> Vec<(String, String)> {
        let mut files: Vec<(String, String)> = chunks
            .iter()
            .map(|m| (m.chunk.name.clone(), m.json.clone()))
            .collect();
        files.push(("meta".into(), meta(chunks.iter().map(|m| &m.chunk))));
        files
    }

    /// Terms of `records` records: words of a small alphabet, so that
    /// records share them, each in records chosen by `seed`.
    fn site(seed: u64, records: u32, words: usize) -> BTreeMap<String, Vec<Posting>> {
        let mut state = seed | 1;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut terms = BTreeMap::new();
        for w in 0..words {
            let term = format!("{:x}{w}", next() % 4096);
            let mut list: Vec<Posting> = Vec::new();
            for n in 0..records {
                if next() % 3 == 0 {
                    list.push((n, (next() % 2) as u16, (next() % 64) as u8 + 1));
                }
            }
            if !list.is_empty() {
                terms.insert(term, list);
            }
        }
        terms
    }

    fn in_order(terms: &BTreeMap<String, Vec<Posting>>) -> Terms {
        terms.iter().map(|(t, l)| (t.clone(), l.clone())).collect()
    }

    /// What changed between `old` and `new`, by term.
    fn changes(
        old: &BTreeMap<String, Vec<Posting>>,
        new: &BTreeMap<String, Vec<Posting>>,
    ) -> Vec<(String, Change)> {
        let terms: std::collections::BTreeSet<&String> = old.keys().chain(new.keys()).collect();
        let none = Vec::new();
        let mut changes = Vec::new();
        for term in terms {
            let (a, b) = (
                old.get(term).unwrap_or(&none),
                new.get(term).unwrap_or(&none),
            );
            let change = Change {
                gone: a.iter().filter(|p| !b.contains(p)).copied().collect(),
                new: b.iter().filter(|p| !a.contains(p)).copied().collect(),
            };
            if change != Change::default() {
                changes.push((term.clone(), change));
            }
        }
        changes
    }

    /// The chunks `update` gives for `new`, from the chunks of `old`, and
    /// how many it made.
    fn updated(
        old: &BTreeMap<String, Vec<Posting>>,
        new: &BTreeMap<String, Vec<Posting>>,
    ) -> (Vec<Made>, usize) {
        let kept = cut(in_order(old));
        let by_name: BTreeMap<String, Terms> = kept
            .iter()
            .map(|m| (m.chunk.name.clone(), m.terms.clone()))
            .collect();
        let chunks: Vec<Chunk> = kept.into_iter().map(|m| m.chunk).collect();
        let load = |i: usize| by_name.get(&chunks[i].name).cloned();
        let pieces = update(&chunks, &changes(old, new), load).expect("it fits");
        let made = pieces
            .iter()
            .filter(|p| matches!(p, Piece::Made(_)))
            .count();
        let chunks = pieces.into_iter().map(|piece| match piece {
            Piece::Kept(i) => make(by_name[&chunks[i].name].clone()),
            Piece::Made(made) => made,
        });
        (chunks.collect(), made)
    }

    #[test]
    fn one_record_edited_makes_a_few_chunks_again_and_the_files_of_a_build_from_nothing() {
        let old = site(7, 2000, 3000);
        let whole = cut(in_order(&old)).len();
        assert!(whole > 40, "{whole} chunks");
        let mut new = old.clone();
        // Record 5 loses a word, gains two, and one of its weights changes.
        new.values_mut().nth(100).unwrap().retain(|p| p.0 != 5);
        new.entry("fresh".into()).or_default().push((5, 0, 1));
        new.entry("zzz-last".into()).or_default().push((5, 0, 1));
        let list = new.values_mut().nth(2000).unwrap();
        list.retain(|p| p.0 != 5);
        list.push((5, 0, 99));
        list.sort_unstable();
        let (chunks, made) = updated(&old, &new);
        assert_eq!(files(&chunks), files(&cut(in_order(&new))));
        assert!(made <= 8, "{made} of {whole} chunks made again");
    }

    #[test]
    fn a_change_that_does_not_fit_the_chunks_is_refused() {
        let old = site(3, 100, 200);
        let kept = cut(in_order(&old));
        let chunks: Vec<Chunk> = kept.iter().map(|m| m.chunk.clone()).collect();
        let load = |i: usize| {
            let made = kept.iter().find(|m| m.chunk.name == chunks[i].name);
            made.map(|m| m.terms.clone())
        };
        let absent = Change {
            gone: vec![(999, 0, 1)],
            new: vec![],
        };
        let term = old.keys().next().unwrap().clone();
        assert!(update(&chunks, &[(term, absent)], load).is_none());
        assert!(update(&chunks, &[], |_| None).is_some());
        let one = Change {
            gone: vec![],
            new: vec![(1, 0, 1)],
        };
        assert!(update(&chunks, &[("a".into(), one)], |_| None).is_none());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// A common term keeps its postings of most weight, the first of
        /// them where weights tie, as sorting by weight then place would.
        #[test]
        fn a_common_term_keeps_its_best_postings_as_a_sort_would(
            weights in prop::collection::vec(prop_oneof![Just(1u8), Just(2), Just(64), 1u8..=255], COMMON + 1..COMMON + 300),
        ) {
            let list: Vec<Posting> = weights.iter().enumerate().map(|(n, &w)| (n as u32 / 2, (n % 2) as u16, w)).collect();
            let mut sorted = list.clone();
            sorted.sort_by(|a, b| b.2.cmp(&a.2).then((a.0, a.1).cmp(&(b.0, b.1))));
            sorted.truncate(COMMON);
            sorted.sort_unstable();
            prop_assert_eq!(best(&list), sorted);
        }

        /// Whatever changed, the chunks updated are those made anew.
        #[test]
        fn updated_chunks_are_those_of_a_build_from_nothing(
            seed in any::<u64>(),
            edits in prop::collection::vec((any::<u16>(), any::<u8>(), 0u32..300, any::<bool>()), 0..40),
        ) {
            let old = site(seed, 300, 600);
            let mut new = old.clone();
            for (at, weight, n, add) in edits {
                let terms: Vec<String> = new.keys().cloned().collect();
                let term = match add || terms.is_empty() {
                    true => format!("{:x}", u32::from(at) * 7919),
                    false => terms[usize::from(at) % terms.len()].clone(),
                };
                let list = new.entry(term.clone()).or_default();
                list.retain(|p| p.0 != n);
                if add {
                    list.push((n, 0, weight.max(1)));
                    list.sort_unstable();
                }
                if list.is_empty() {
                    new.remove(&term);
                }
            }
            prop_assume!(!old.is_empty());
            let (chunks, _) = updated(&old, &new);
            prop_assert_eq!(files(&chunks), files(&cut(in_order(&new))));
        }
    }
}
