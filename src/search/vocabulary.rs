//! The distinct terms of some text, each with a value: what the index
//! counts for a page, and the postings it gathers for a term. It looks up
//! millions of short terms in a build: its table's slots keep each term's
//! first eight bytes, so that finding a short term again reads no text and
//! calls no hasher. No I/O.

use std::hash::BuildHasher;

use hashbrown::HashTable;

/// Terms in the order first found, each with its value.
pub struct Vocabulary<'a, V> {
    slots: HashTable<Slot>,
    terms: Vec<(&'a str, V)>,
}

/// A term in the table: its first bytes, its length, and where it is in
/// the list; 16 bytes, four to a cache line. (A length past `u32` wraps,
/// harmlessly: such a term's bytes are compared whole.)
#[derive(Clone, Copy)]
struct Slot {
    head: u64,
    len: u32,
    index: u32,
}

impl<'a, V: Default> Vocabulary<'a, V> {
    pub fn with_capacity(terms: usize) -> Self {
        Vocabulary {
            slots: HashTable::with_capacity(terms),
            terms: Vec::with_capacity(terms),
        }
    }

    /// The value of `term`, made when it is new.
    pub fn entry(&mut self, term: &'a str) -> &mut V {
        self.entry_with(term, head(term.as_bytes()))
    }

    /// The value of the term at `at` in `text`, `len` bytes long, made when
    /// it is new; `text` has eight bytes or more after it, so that its head
    /// is read in one load, without a branch on its length, which the
    /// processor cannot foresee (`Fragment::terms_of` over the standard
    /// corpus's 1,000 pages: 36.8 → 35.3 ms on one thread).
    pub fn entry_in(&mut self, text: &'a str, at: usize, len: usize) -> &mut V {
        let eight = text.as_bytes()[at..at + 8].try_into().expect("8 bytes");
        let mask = u64::MAX
            .checked_shr(8 * (8 - len.min(8)) as u32)
            .unwrap_or(0);
        self.entry_with(&text[at..at + len], u64::from_le_bytes(eight) & mask)
    }

    fn entry_with(&mut self, term: &'a str, head: u64) -> &mut V {
        let b = term.as_bytes();
        let hashed = hash(head, b);
        let terms = &self.terms;
        if let Some(slot) = self.slots.find(hashed, |s| same(s, terms, head, b)) {
            return &mut self.terms[slot.index as usize].1;
        }
        let slot = Slot {
            head,
            len: b.len() as u32,
            index: self.terms.len() as u32,
        };
        self.terms.push((term, V::default()));
        let terms = &self.terms;
        let rehash = |s: &Slot| hash(s.head, terms[s.index as usize].0.as_bytes());
        self.slots.insert_unique(hashed, slot, rehash);
        &mut self.terms[slot.index as usize].1
    }
}

impl<'a, V> Vocabulary<'a, V> {
    pub fn into_terms(self) -> Vec<(&'a str, V)> {
        self.terms
    }
}

/// Whether `slot` holds the term of bytes `b`, whose head is `head`.
fn same<V>(slot: &Slot, terms: &[(&str, V)], head: u64, b: &[u8]) -> bool {
    slot.head == head
        && slot.len == b.len() as u32
        && (b.len() <= 8 || terms[slot.index as usize].0.as_bytes()[8..] == b[8..])
}

/// The first eight bytes of `b` as a number, zeros past its end; read in
/// at most three loads, not byte by byte.
fn head(b: &[u8]) -> u64 {
    let n = b.len();
    let u32_at = |i: usize| u64::from(u32::from_le_bytes(b[i..i + 4].try_into().expect("4")));
    match n {
        8.. => u64::from_le_bytes(b[..8].try_into().expect("8 bytes")),
        // Two loads that overlap: the bytes they share are the same.
        4..=7 => u32_at(0) | u32_at(n - 4) << (8 * (n - 4)),
        1..=3 => {
            let byte = |i: usize| u64::from(b[i]) << (8 * i);
            byte(0) | byte(n / 2) | byte(n - 1)
        }
        0 => 0,
    }
}

/// A hash of the term of bytes `b`: its head and length mixed by one
/// multiplication up to 16 bytes, foldhash's over all its bytes beyond.
fn hash(head: u64, b: &[u8]) -> u64 {
    const SEED: u64 = 0x243f_6a88_85a3_08d3;
    let n = b.len();
    let tail = match n {
        0..=8 => 0,
        9..=16 => u64::from_le_bytes(b[n - 8..].try_into().expect("8 bytes")),
        _ => return foldhash::fast::FixedState::with_seed(SEED).hash_one(b),
    };
    let m = u128::from(head ^ SEED) * u128::from(tail ^ (n as u64).rotate_right(8) ^ !SEED);
    (m as u64) ^ (m >> 64) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_head_is_the_first_eight_bytes_zero_padded() {
        for n in 0..=10 {
            let text = &"abcdefghij"[..n];
            let mut padded = [0u8; 8];
            padded[..n.min(8)].copy_from_slice(&text.as_bytes()[..n.min(8)]);
            assert_eq!(
                head(text.as_bytes()),
                u64::from_le_bytes(padded),
                "{text:?}"
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn each_term_is_found_once_with_its_count(words in proptest::collection::vec("[a-c]{0,20}", 0..200)) {
            let mut vocabulary = Vocabulary::with_capacity(4);
            let mut counts: Vec<(&str, i32)> = Vec::new();
            for w in &words {
                *vocabulary.entry(w.as_str()) += 1;
                match counts.iter_mut().find(|(t, _)| t == w) {
                    Some((_, n)) => *n += 1,
                    None => counts.push((w, 1)),
                }
            }
            let found = vocabulary.into_terms();
            proptest::prop_assert_eq!(&found, &counts);
            // The same terms found in place, in a text that holds them all.
            let text = words.join(" ") + "        ";
            let mut in_place = Vocabulary::with_capacity(4);
            let mut at = 0;
            for w in &words {
                *in_place.entry_in(&text, at, w.len()) += 1;
                at += w.len() + 1;
            }
            proptest::prop_assert_eq!(in_place.into_terms(), found);
        }
    }
}
