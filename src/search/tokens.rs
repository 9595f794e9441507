//! Words for search, the same for the index and the query: text folded to
//! lower case without accents, split by Unicode's word boundaries (UAX #29,
//! so CJK text splits into its ideographs), and each white-space-separated
//! token kept whole besides, so that a key like `data-plane.storage-size` or a
//! value like `20Gi` is found as typed. No I/O.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;
use unicode_segmentation::UnicodeSegmentation;

/// `text` in lower case, accents removed, in compatibility form (`ﬁ` →
/// `fi`, full-width `Ａ` → `a`). Only diacritics go: other combining marks
/// carry meaning (Japanese voicing, `デ` is not `テ`) and are composed back.
/// A final sigma is a sigma (JavaScript's lower case writes `ς` at a word's
/// end, Rust's per-character one never does: the browser folds the same).
pub fn fold(text: &str) -> String {
    let mut folded = String::new();
    fold_into(text, &mut folded);
    folded
}

/// [`fold`], appending to `out` (the index folds every page's text: one
/// buffer, not a string per part). ASCII tokens are only lowered: one
/// curly quote must not send a whole page through Unicode's forms (seven
/// times slower per byte on the Rust book).
pub fn fold_into(text: &str, out: &mut String) {
    if text.is_ascii() {
        // Most text: checked a word at a time, not a byte.
        return fold_ascii(text, out);
    }
    by_ascii(text, |part, ascii| {
        if ascii {
            return fold_ascii(part, out);
        }
        // Ideographs are their own fold: copied, not sent through Unicode's
        // forms (half the index's time on a book in Chinese).
        let mut rest = part;
        while !rest.is_empty() {
            let plain = rest.find(|c| !is_ideograph(c)).unwrap_or(rest.len());
            out.push_str(&rest[..plain]);
            let other = rest[plain..]
                .find(is_ideograph)
                .map_or(rest.len(), |n| plain + n);
            out.extend(fold_chars(&rest[plain..other]));
            rest = &rest[other..];
        }
    });
}

fn fold_ascii(text: &str, out: &mut String) {
    let start = out.len();
    out.push_str(text);
    out[start..].make_ascii_lowercase();
}

/// A CJK ideograph: no case, no decomposition, and nothing composes with
/// it, so that text folds the same cut before or after one.
fn is_ideograph(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}')
}

/// [`fold`] by Unicode's forms, for text that is not all ASCII: lower case
/// after the compatibility form (`𝛢` → `Α` → `α`), and decomposed again,
/// since it can add diacritics (`İ` → `i̇`).
fn fold_chars(text: &str) -> impl Iterator<Item = char> + '_ {
    let chars = text.nfkd().flat_map(char::to_lowercase).nfkd();
    chars
        .filter(|&c| !is_diacritic(c))
        .map(|c| match c {
            'ς' => 'σ',
            // Typographic apostrophes are typed as `'` (the Rust book
            // writes `doesn’t`, a search box gets `doesn't`).
            '\u{2018}' | '\u{2019}' | '\u{02BC}' => '\'',
            c => c,
        })
        .nfc()
}

/// `text` in parts, in order: runs of ASCII, and the tokens between them
/// that hold any other character, each cut at ASCII white space (`ascii`
/// says which). Folding and splitting each part alone gives what the whole
/// would: no character composes with white space, and tokens end there.
fn by_ascii<'t>(text: &'t str, mut f: impl FnMut(&'t str, bool)) {
    let b = text.as_bytes();
    let space = |c: &u8| is_space(*c);
    let mut at = 0;
    while at < b.len() {
        let Some(p) = b[at..].iter().position(|c| !c.is_ascii()).map(|p| at + p) else {
            return f(&text[at..], true);
        };
        let start = b[at..p].iter().rposition(space).map_or(at, |i| at + i + 1);
        let end = b[p..].iter().position(space).map_or(b.len(), |i| p + i);
        if start > at {
            f(&text[at..start], true);
        }
        f(&text[start..end], false);
        at = end;
    }
}

/// Unicode's combining diacritical marks (the accents of Latin, Greek and
/// Cyrillic letters), as opposed to other scripts' combining marks.
fn is_diacritic(c: char) -> bool {
    is_combining_mark(c)
        && matches!(c, '\u{0300}'..='\u{036F}' | '\u{1AB0}'..='\u{1AFF}' | '\u{1DC0}'..='\u{1DFF}' | '\u{20D0}'..='\u{20FF}' | '\u{FE20}'..='\u{FE2F}')
}

/// The terms of `text` for the index: each word, then each token of several
/// words as a whole (`data-plane.storage-size` gives `data`, `plane`,
/// `storage`, `size` and itself), folded, in order, repeats kept.
pub fn terms(text: &str) -> Vec<String> {
    let folded = fold(text);
    let mut out = Vec::new();
    each_term(&folded, &mut |t| out.push(t.to_string()));
    out
}

/// The words of `text` alone, without the tokens whole: what a quoted
/// phrase is matched against, word after word.
pub fn words(text: &str) -> Vec<String> {
    let folded = fold(text);
    let mut out = Vec::new();
    for token in folded.split_whitespace() {
        each_word(token, &mut |w| out.push(w.to_string()));
    }
    out
}

/// [`terms`] of text already [`fold`]ed, each handed to `f` as it is found
/// (the index takes millions: none is copied).
pub fn each_term<'t>(folded: &'t str, f: &mut impl FnMut(&'t str)) {
    if folded.is_ascii() {
        return ascii_terms(folded, f);
    }
    by_ascii(folded, |part, ascii| match ascii {
        true => ascii_terms(part, f),
        false => part.split_whitespace().for_each(|t| token_terms(t, f)),
    });
}

/// A token's words, then the token whole when it is more than its one word.
fn token_terms<'t>(token: &'t str, f: &mut impl FnMut(&'t str)) {
    let (mut count, mut only) = (0, "");
    each_word(token, &mut |w| {
        (count, only) = (count + 1, w);
        f(w);
    });
    let whole = token.trim_matches(|c: char| !c.is_alphanumeric());
    let just_its_word = count == 1 && only == whole;
    if !whole.is_empty() && !just_its_word {
        f(whole);
    }
}

fn each_word<'t>(token: &'t str, f: &mut impl FnMut(&'t str)) {
    // UAX #29 keeps `plane.storage` and `a_b` whole: their parts count too.
    let words = token.unicode_words().flat_map(|w| w.split(['.', '_', ':']));
    words.filter(|w| !w.is_empty()).for_each(f);
}

/// [`each_term`] for ASCII text, 64 bytes at a time (most text is ASCII,
/// and this was most of the index's time). What UAX #29 then `. _ :` leave
/// of an ASCII token is its runs of letters and digits, joined by an
/// apostrophe between two letters or two digits (`don't`), or by `,` `;`
/// between two digits (`1,000`); the token whole runs from its first letter
/// or digit to its last. Each block's bytes are classed at once into bit
/// masks, in which words are runs of ones. A property test holds this to
/// the general path.
fn ascii_terms<'t>(text: &'t str, f: &mut impl FnMut(&'t str)) {
    let b = text.as_bytes();
    let mut blocks = b.chunks(64).map(Block::of);
    let mut cur = blocks.next().unwrap_or(Block::SPACES);
    let mut token = Token::default();
    let (mut prev_alnum, mut prev_word) = (0u64, 0u64);
    for base in (0..b.len()).step_by(64) {
        let next = blocks.next().unwrap_or(Block::SPACES);
        let alnum = cur.alnum;
        let mut word = alnum;
        // Marks with a letter or digit on each side: rare, checked one by one.
        let sides = (alnum << 1 | prev_alnum >> 63) & (alnum >> 1 | next.alnum << 63);
        let mut join = cur.join & sides;
        while join != 0 {
            let at = base + join.trailing_zeros() as usize;
            join &= join - 1;
            if joins(b, at, b[at]) {
                word |= 1 << (at - base);
            }
        }
        let before = word << 1 | prev_word >> 63;
        let (mut starts, mut ends) = (word & !before, !word & before);
        // Runs alternate: a start, its end, the next start…
        loop {
            let edges = if token.open { &mut ends } else { &mut starts };
            if *edges == 0 {
                break;
            }
            let at = base + edges.trailing_zeros() as usize;
            *edges &= *edges - 1;
            match token.open {
                true => token.word_ends(text, at, f),
                false => {
                    let spaced = match token.end.checked_sub(base) {
                        Some(from) => cur.space & bits(from, at - base) != 0,
                        None => b[token.end..at].iter().any(|&c| is_space(c)),
                    };
                    token.word_starts(text, at, spaced, f);
                }
            }
        }
        (prev_alnum, prev_word, cur) = (alnum, word, next);
    }
    if token.open {
        token.word_ends(text, b.len(), f);
    }
    token.close(text, f);
}

/// Bits `from..to` of a block (`to` < 64).
fn bits(from: usize, to: usize) -> u64 {
    ((1u64 << to) - 1) & !((1u64 << from) - 1)
}

/// The token [`ascii_terms`] is reading.
#[derive(Default)]
struct Token {
    /// A word has started and not ended.
    open: bool,
    /// Where its last word started, and ended.
    start: usize,
    end: usize,
    /// Its words so far, and where its first one started.
    count: usize,
    first: usize,
}

impl Token {
    /// A word starts at `at`; after white space (`spaced`), in a new token.
    fn word_starts<'t>(
        &mut self,
        text: &'t str,
        at: usize,
        spaced: bool,
        f: &mut impl FnMut(&'t str),
    ) {
        if spaced || self.count == 0 {
            self.close(text, f);
            self.first = at;
        }
        (self.open, self.start) = (true, at);
    }

    fn word_ends<'t>(&mut self, text: &'t str, at: usize, f: &mut impl FnMut(&'t str)) {
        f(&text[self.start..at]);
        (self.open, self.end, self.count) = (false, at, self.count + 1);
    }

    /// The token whole, when it is more than its one word.
    fn close<'t>(&mut self, text: &'t str, f: &mut impl FnMut(&'t str)) {
        if self.count > 1 {
            f(&text[self.first..self.end]);
        }
        self.count = 0;
    }
}

/// 64 bytes of ASCII text in classes, bit `j` for byte `j`: letters and
/// digits, white space, and the marks that may join two words (`'` `,`
/// `;`; [`joins`] looks at their neighbours' bytes).
#[derive(Clone, Copy)]
struct Block {
    alnum: u64,
    space: u64,
    join: u64,
}

impl Block {
    /// What lies past the text's end: white space.
    const SPACES: Block = Block {
        alnum: 0,
        space: !0,
        join: 0,
    };

    /// The classes of up to 64 bytes (the rest taken as white space), eight
    /// bytes at a time in a `u64`, each class's test on all eight at once.
    fn of(bytes: &[u8]) -> Block {
        let mut padded = [b' '; 64];
        padded[..bytes.len()].copy_from_slice(bytes);
        let mut block = Block {
            space: 0,
            ..Block::SPACES
        };
        for (k, eight) in padded.chunks_exact(8).enumerate() {
            let x = u64::from_le_bytes(eight.try_into().expect("eight bytes"));
            let bits = |m: u64| packed(m) << (8 * k);
            block.alnum |= bits(within(x | (EACH * 0x20), b'a', b'z') | within(x, b'0', b'9'));
            block.space |= bits(within(x, b' ', b' ') | within(x, b'\t', b'\r'));
            let join = within(x, b'\'', b'\'') | within(x, b',', b',') | within(x, b';', b';');
            block.join |= bits(join);
        }
        block
    }
}

/// A byte's worth of ones: `EACH * n` is `n` in every byte of a `u64`.
const EACH: u64 = 0x0101_0101_0101_0101;

/// The high bit of each byte of `x` (all below 128) that is within `lo..=hi`.
fn within(x: u64, lo: u8, hi: u8) -> u64 {
    let at_least_lo = x + EACH * u64::from(0x80 - lo);
    let above_hi = x + EACH * u64::from(0x7f - hi);
    at_least_lo & !above_hi & (EACH * 0x80)
}

/// The high bits of `x`'s bytes, as eight bits in order.
fn packed(x: u64) -> u64 {
    (x >> 7).wrapping_mul(0x0102_0408_1020_4080) >> 56
}

/// ASCII white space as `char::is_whitespace` has it (with `\x0b`, unlike
/// `u8::is_ascii_whitespace`): where tokens end.
fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t'..=b'\r')
}

/// Whether the mark `c` at `i` joins the letters or digits around it into
/// one word (see [`ascii_terms`]).
fn joins(b: &[u8], i: usize, c: u8) -> bool {
    let (before, after) = (b.get(i.wrapping_sub(1)), b.get(i + 1));
    let both = |class: fn(&u8) -> bool| before.is_some_and(class) && after.is_some_and(class);
    match c {
        b'\'' => both(u8::is_ascii_alphabetic) || both(u8::is_ascii_digit),
        b',' | b';' => both(u8::is_ascii_digit),
        _ => false,
    }
}

/// A search as typed: words that must all match (the last one as a prefix
/// while it is being typed) and exact phrases in double quotes.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Query {
    /// Folded terms, each required.
    pub words: Vec<String>,
    /// Folded phrases, each required as written (its words in a row).
    pub phrases: Vec<Vec<String>>,
    /// The last word is still being typed: it matches terms it starts.
    pub prefix: bool,
    /// While a token of several words is typed (`data-plane.stor`): the
    /// words with that token whole instead of its parts, searched first so
    /// that a key is found as typed; the parts are searched when it finds nothing.
    pub whole: Option<Vec<String>>,
}

fn dedup(mut words: Vec<String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    words.retain(|w| seen.insert(w.clone()));
    words
}

pub fn query(typed: &str) -> Query {
    let mut q = Query::default();
    // Outside quotes at even indexes, inside at odd ones; an unclosed quote
    // runs to the end.
    for (i, part) in typed.split('"').enumerate() {
        if i % 2 == 1 {
            let words = words(part);
            if !words.is_empty() {
                q.phrases.push(words);
            }
        } else {
            q.words.extend(terms(part));
        }
    }
    let open_quote = typed.matches('"').count() % 2 == 1;
    let typing = !typed.ends_with(char::is_whitespace) && !typed.ends_with('"') && !open_quote;
    if typing && let Some(last) = typed.split_whitespace().next_back() {
        // A token being typed is not whole yet: its parts so far must match,
        // its last part as a prefix (`data-plane.stor`, `日本`).
        let parts = terms(last);
        if parts.len() > 1 && q.words.ends_with(&parts) {
            let mut whole = q.words.clone();
            whole.truncate(whole.len() - parts.len());
            whole.extend(q.words.pop());
            q.whole = Some(dedup(whole));
        }
    }
    q.words = dedup(q.words);
    // Only a word of two characters or more widens to the terms it starts.
    q.prefix = typing
        && q.words.last().is_some_and(|w| w.chars().count() >= 2)
        && !typed.ends_with(|c: char| !c.is_alphanumeric());
    q
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_accents_and_compatibility_forms_fold_away() {
        assert_eq!(fold("Ça Déborde ÅNGSTRÖM"), "ca deborde angstrom");
        assert_eq!(fold("ﬁle Ｐｒｏｄ"), "file prod");
        assert_eq!(fold("Straße"), "straße");
        assert_eq!(fold("Tiếng Việt İstanbul"), "tieng viet istanbul");
        assert_eq!(fold("We’ll ‘see’ donʼt"), "we'll 'see' don't");
        assert_eq!(terms("It doesn’t."), ["it", "doesn't"]);
    }

    proptest::proptest! {
        #[test]
        fn ascii_terms_are_what_uax29_gives(
            // Short tokens of every mark, and text long enough for tokens
            // and joins to straddle 64-byte blocks.
            text in "[a-z0-9.,;:'_\\- ]{0,16}|([a-zA-Z0-9]{1,9}|[.,;:'_\\- \t\n]){0,160}"
        ) {
            let mut fast = Vec::new();
            ascii_terms(&text, &mut |t| fast.push(t));
            let mut general = Vec::new();
            text.split_whitespace().for_each(|t| token_terms(t, &mut |w| general.push(w)));
            proptest::prop_assert_eq!(fast, general);
        }

        #[test]
        fn text_is_folded_and_split_as_a_whole_is(text in "([a-zA-Z0-9 .'\t]|\\PC){0,24}") {
            // The general path, over the text whole.
            let folded: String = fold_chars(&text).collect();
            proptest::prop_assert_eq!(fold(&text), folded.clone());
            let mut general = Vec::new();
            folded.split_whitespace().for_each(|t| token_terms(t, &mut |w| general.push(w)));
            let mut parts = Vec::new();
            each_term(&folded, &mut |t| parts.push(t));
            proptest::prop_assert_eq!(parts, general);
        }

        #[test]
        fn ideographs_beside_marks_and_other_scripts_fold_as_a_whole_does(
            text in "[a-zA-Z 一-龥㐀-䶵が、。，\u{0300}-\u{036F}\u{3099}\u{20D2}\u{1100}-\u{1112}\u{1161}-\u{1175}]{0,16}"
        ) {
            proptest::prop_assert_eq!(fold(&text), fold_chars(&text).collect::<String>());
        }

        #[test]
        fn folding_twice_changes_nothing_and_no_input_panics(text in "\\PC{0,40}") {
            let once = fold(&text);
            proptest::prop_assert_eq!(fold(&once), once.clone());
            terms(&text);
            query(&text);
        }
    }

    #[test]
    fn keys_and_values_are_found_as_typed_and_by_their_parts() {
        assert_eq!(
            terms("Set data-plane.storage-size to 20Gi."),
            [
                "set",
                "data",
                "plane",
                "storage",
                "size",
                "data-plane.storage-size",
                "to",
                "20gi"
            ]
        );
        assert_eq!(
            terms("postgres-prod"),
            ["postgres", "prod", "postgres-prod"]
        );
        assert_eq!(terms("`eu-west-1`"), ["eu", "west", "1", "eu-west-1"]);
        assert_eq!(terms("-- … !"), Vec::<String>::new());
    }

    #[test]
    fn cjk_text_splits_into_ideographs_and_kana_runs() {
        assert_eq!(
            terms("本番環境のデータベース"),
            [
                "本",
                "番",
                "環",
                "境",
                "の",
                "データベース",
                "本番環境のデータベース"
            ]
        );
        assert_eq!(terms("데이터베이스 크기"), ["데이터베이스", "크기"]);
    }

    #[test]
    fn queries_and_words_prefix_while_typing_and_quote_phrases() {
        assert_eq!(
            query("Prod stor"),
            Query {
                words: vec!["prod".into(), "stor".into()],
                phrases: vec![],
                prefix: true,
                whole: None,
            }
        );
        assert!(!query("prod storage ").prefix);
        assert_eq!(
            query("\"Storage Size\" prod"),
            Query {
                words: vec!["prod".into()],
                phrases: vec![vec!["storage".into(), "size".into()]],
                prefix: true,
                whole: None,
            }
        );
        let open = query("\"storage si");
        assert_eq!(open.phrases, [vec!["storage".to_string(), "si".into()]]);
        assert!(!open.prefix);
        assert_eq!(query("20Gi").words, ["20gi"]);
        // A key being typed: its parts so far, the last one as a prefix.
        let typing = query("data-plane.storage-si");
        assert_eq!(typing.words, ["data", "plane", "storage", "si"]);
        assert_eq!(typing.whole.unwrap(), ["data-plane.storage-si"]);
        assert_eq!(query("prod 日本").whole.unwrap(), ["prod", "日本"]);
        assert!(typing.prefix);
        assert!(!query("s").prefix, "one letter widens to nothing");
        assert_eq!(query("size prod size").words, ["size", "prod"]);
        assert_eq!(
            query("data-plane.storage-size ").words.last().unwrap(),
            "data-plane.storage-size"
        );
        assert_eq!(fold("ΟΔΟΣ οδός"), "οδοσ οδοσ");
    }
}
