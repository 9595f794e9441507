//! The index and the search over it together: what ranks where.

use std::collections::HashMap;

use super::find::{Found, find};
use std::sync::Arc;

use super::index::{Chunks, Fragment, Kind, Record, Stored, fragment_path, push_json_str};

fn page(
    url: &str,
    title: &str,
    text: &str,
    headings: &[(&str, &str, &str)],
) -> Vec<Record<'static>> {
    let mut records = vec![Record {
        kind: Kind::Page,
        url: url.into(),
        title: title.into(),
        section: "Docs".into(),
        text: text.to_string().into(),
        also: String::new(),
    }];
    records.extend(headings.iter().map(|(id, title, text)| Record {
        kind: Kind::Heading,
        url: format!("{url}#{id}"),
        title: (*title).into(),
        section: format!("Docs › {title}"),
        text: text.to_string().into(),
        also: String::new(),
    }));
    records
}

fn row(key: &str, label: &str, values: &str) -> Record<'static> {
    Record {
        kind: Kind::Row,
        url: format!("environments/#{key}"),
        title: label.into(),
        section: "Environments › Data plane".into(),
        text: format!("{key} {values}").into(),
        also: key.into(),
    }
}

/// The index files of `fragments`, numbered in order.
fn index(fragments: &[Vec<Record>]) -> HashMap<String, String> {
    let made: Vec<(u32, Arc<Fragment>)> = fragments
        .iter()
        .enumerate()
        .map(|(n, r)| (n as u32, Arc::new(Fragment::new(r))))
        .collect();
    let mut files: HashMap<String, String> = HashMap::new();
    for (n, f) in &made {
        files.insert(fragment_path(*n), f.json.clone());
    }
    let chunks = Chunks::new(made);
    for (path, json) in chunks.files() {
        files.insert(path.clone(), json.to_string());
    }
    files
}

fn search(files: &HashMap<String, String>, typed: &str) -> Found {
    find(typed, &mut |path| files.get(path).cloned())
}

/// The URLs found, best first.
fn urls(files: &HashMap<String, String>, typed: &str) -> Vec<String> {
    search(files, typed)
        .hits
        .into_iter()
        .map(|h| h.url)
        .collect()
}

fn site() -> HashMap<String, String> {
    index(&[
        page(
            "runbooks/restore/",
            "Restore a database",
            "Check the storage class first. Storage is slow on Mondays.",
            &[("promote", "Promote the replica", "Run the promote step.")],
        ),
        page(
            "storage/",
            "Storage",
            "Volumes and buckets.",
            &[(
                "sizes",
                "Storage size limits",
                "Déploiement lent: 本番環境のデータベース.",
            )],
        ),
        vec![
            row(
                "data-plane.storage-size",
                "Storage size",
                "Dev: 10Gi Prod: 20Gi",
            ),
            row(
                "data-plane.postgres-host",
                "Postgres host",
                "Dev: postgres-dev Prod: postgres-prod",
            ),
        ],
    ])
}

#[test]
fn a_title_ranks_above_a_heading_above_a_row_above_the_body() {
    let files = site();
    assert_eq!(
        urls(&files, "storage"),
        [
            "storage/",
            "storage/#sizes",
            "environments/#data-plane.storage-size",
            "runbooks/restore/",
        ]
    );
    // The same as a prefix while typing.
    assert_eq!(urls(&files, "stor"), urls(&files, "storage"));
}

#[test]
fn a_long_page_naming_a_word_often_ranks_below_a_short_page_about_it() {
    let filler = "lorem ipsum dolor sit amet consectetur ".repeat(2000);
    let changelog = format!("{filler} CARGO_HOME {filler} CARGO_HOME ").repeat(4);
    let files = index(&[
        page("changelog/", "Changelog", &changelog, &[]),
        page(
            "guide/home/",
            "Cargo Home",
            "Set CARGO_HOME to move it. CARGO_HOME holds the registry.",
            &[],
        ),
    ]);
    assert_eq!(urls(&files, "CARGO_HOME"), ["guide/home/", "changelog/"]);
    // Below its length, a page counts its words as they are.
    let files = index(&[
        page("a/", "A", "cache cache cache cache", &[]),
        page("b/", "B", "cache", &[]),
    ]);
    assert_eq!(urls(&files, "cache"), ["a/", "b/"]);
}

#[test]
fn keys_and_values_find_their_row_as_typed() {
    let files = site();
    let row = "environments/#data-plane.storage-size";
    assert_eq!(urls(&files, "20Gi"), [row]);
    assert_eq!(urls(&files, "data-plane.storage-size"), [row]);
    assert_eq!(urls(&files, "data-plane.stor")[0], row);
    assert_eq!(
        urls(&files, "postgres-prod"),
        ["environments/#data-plane.postgres-host"]
    );
    assert_eq!(urls(&files, "prod storage size")[0], row);
}

#[test]
fn words_are_anded_case_and_accents_fold_and_cjk_splits() {
    let files = site();
    assert_eq!(urls(&files, "storage promote"), ["runbooks/restore/"]);
    assert_eq!(urls(&files, "storage nonexistent"), Vec::<String>::new());
    assert_eq!(urls(&files, "DEPLOIEMENT"), ["storage/"]);
    assert_eq!(urls(&files, "déploiement"), ["storage/"]);
    assert_eq!(urls(&files, "本番"), ["storage/"]);
    assert_eq!(urls(&files, "データベース"), ["storage/"]);
}

#[test]
fn a_quoted_phrase_needs_its_words_in_a_row() {
    let files = site();
    // Both pages hold both words; only one holds them in a row.
    assert_eq!(urls(&files, "storage class"), ["runbooks/restore/"]);
    assert_eq!(
        urls(&files, "\"storage size\""),
        [
            "storage/",
            "storage/#sizes",
            "environments/#data-plane.storage-size"
        ]
    );
    assert_eq!(urls(&files, "\"size storage\""), Vec::<String>::new());
}

#[test]
fn a_search_fetches_meta_its_chunks_and_the_shown_fragments_only() {
    // Enough pages for many chunks.
    let pages: Vec<Vec<Record>> = (0..3000)
        .map(|i| {
            page(
                &format!("p{i}/"),
                &format!("Page {i}"),
                &format!("word{i} common text"),
                &[],
            )
        })
        .collect();
    let files = index(&pages);
    let chunk_files = files.keys().filter(|p| p.starts_with("t/")).count();
    assert!(chunk_files >= 8, "{chunk_files} chunks");
    let found = search(&files, "word1234");
    assert_eq!(found.hits.len(), 1);
    assert_eq!(found.hits[0].url, "p1234/");
    let fetched: Vec<&str> = found.fetched.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(fetched[0], "meta.json");
    assert!(fetched[1].starts_with("t/"));
    assert_eq!(fetched[2..], ["f/1234.json"]);
    // A common word: ten results, ten fragments, in site order.
    let common = search(&files, "common");
    assert_eq!(common.hits.len(), 10);
    assert_eq!(common.hits[0].url, "p0/");
    // A prefix reads at most four chunks.
    let wide = search(&files, "wo");
    let read = wide
        .fetched
        .iter()
        .filter(|(p, _)| p.starts_with("t/"))
        .count();
    assert!(read <= 4, "{read}");
}

#[test]
fn an_empty_or_punctuation_query_fetches_nothing() {
    let files = site();
    for typed in ["", "  ", "\"\"", "-- …"] {
        let found = search(&files, typed);
        assert!(
            found.hits.is_empty() && found.fetched.is_empty(),
            "{typed:?}"
        );
    }
}

#[test]
fn a_very_long_text_is_cut_in_its_fragment_and_its_phrases_still_found() {
    let long = format!("{} the needle phrase", "filler words here ".repeat(500));
    let files = index(&[page("long/", "Long", &long, &[])]);
    let fragment: serde_json::Value = serde_json::from_str(&files["f/0.json"]).unwrap();
    let stored = fragment[0]["x"].as_str().unwrap();
    assert!(
        stored.chars().count() <= super::index::STORED_CHARS,
        "{}",
        stored.len()
    );
    assert!(stored.ends_with("here"), "cut at a word: {stored:?}");
    assert_eq!(fragment[0]["m"], true);
    // The whole text was indexed; a phrase past the cut cannot be checked
    // and is kept.
    assert_eq!(urls(&files, "needle"), ["long/"]);
    assert_eq!(urls(&files, "\"needle phrase\""), ["long/"]);
}

#[test]
fn a_word_in_every_page_keeps_its_best_records_and_ands_with_no_word() {
    let pages: Vec<Vec<Record>> = (0..5000)
        .map(|i| {
            let title = if i == 4321 { "The title" } else { "Page" };
            page(&format!("p{i}/"), title, &format!("the word{i} the"), &[])
        })
        .collect();
    let files = index(&pages);
    let meta: serde_json::Value = serde_json::from_str(&files["meta.json"]).unwrap();
    assert_eq!(meta["common"], serde_json::json!(["page", "the"]));
    let kept = files
        .iter()
        .filter(|(p, _)| p.starts_with("t/"))
        .filter_map(|(_, json)| {
            let chunk: serde_json::Value = serde_json::from_str(json).unwrap();
            chunk
                .get("the")
                .map(|list| list.as_array().unwrap().len() / 2)
        })
        .next();
    assert_eq!(kept, Some(super::chunks::COMMON));
    // The best first: its title has the word.
    assert_eq!(urls(&files, "the")[0], "p4321/");
    // With a rarer word, the common one only adds to the score: the page
    // is found although its `the` was not among the records kept.
    assert_eq!(urls(&files, "the word4999"), ["p4999/"]);
    assert_eq!(urls(&files, "\"word4999 the\""), ["p4999/"]);
}

#[test]
fn a_fragment_kept_as_text_comes_back_the_same_and_a_damaged_one_harms_nothing() {
    let records = page(
        "db/",
        "Database \"prod\"",
        "Storage size: 20Gi.\0 Failover",
        &[(
            "promote",
            "Promote the replica",
            "kubectl exec … data-plane.storage-size",
        )],
    );
    let fragment = Fragment::new(&records);
    let text = fragment.to_text().to_string();
    assert_eq!(
        Fragment::from_text(text.clone(), &records),
        Some(fragment.clone())
    );
    assert_eq!(Fragment::from_text(format!("{text}more"), &records), None);
    // Damaged within (the cache's checksums keep this from happening): the
    // terms before the damage are indexed, without a panic.
    let marked = text.lines().find(|l| l.contains(' ')).unwrap();
    for damaged in [
        format!("{text}\n"),
        format!("\n{text}"),
        text.replacen(marked, &format!("{marked} 1"), 1),
        text.replacen(marked, &format!("{marked} 1 x"), 1),
        text.replacen(marked, &format!("{marked} 70000 1"), 1),
        text.replacen(marked, &format!("{marked} 1 999999"), 1),
        text.replacen(marked, &format!("{marked} "), 1),
        text.replacen(marked, "", 1),
    ] {
        let kept = Fragment::from_text(damaged.clone(), &records).unwrap();
        let chunks = Chunks::new(vec![(0, Arc::new(kept))]);
        assert!(chunks.files().contains_key("meta.json"), "{damaged:?}");
    }
}

#[test]
fn strings_are_escaped_as_serde_json_escapes_them() {
    let mut texts: Vec<String> = (0u8..0x80).map(|b| char::from(b).to_string()).collect();
    texts.extend(["", "plain", "é 日本 \u{2028} \u{7f}"].map(String::from));
    // Specials before, at and after a 16-byte boundary, and runs of them.
    for at in [0, 1, 15, 16, 17, 31, 32, 40] {
        for special in ["\"", "\\", "\n", "\u{1}", "\u{1f}\"\\"] {
            let mut text = "abcdéfghijklmnopqrstuvwxyz0123456789abcdef".to_string();
            let at = (0..=at).rev().find(|&i| text.is_char_boundary(i)).unwrap();
            text.insert_str(at, special);
            texts.push(text);
        }
    }
    for text in texts {
        let mut json = String::new();
        push_json_str(&mut json, &text);
        assert_eq!(json, serde_json::to_string(&text).unwrap(), "{text:?}");
    }
}

#[test]
fn a_fragment_file_is_what_serde_would_write() {
    let long = "word ".repeat(600) + "\"quoted\" \\ \t end";
    let mut records = page(
        "a \"b\"/",
        "Title \u{1} <img src=x onerror=alert(1)>",
        &long,
        &[("h", "Heading \\ \"", "text\nmore"), ("e", "", "")],
    );
    records.push(row(
        "data-plane.storage-size",
        "Storage \"size\"",
        "prod: 20Gi",
    ));
    for records in [&records[..], &records[..1], &[]] {
        let stored: Vec<Stored> = records.iter().map(Stored::from).collect();
        assert_eq!(
            Fragment::new(records).json,
            serde_json::to_string(&stored).unwrap()
        );
    }
}

#[test]
fn a_term_in_several_records_keeps_each_place_through_the_cache() {
    // `storage` is in the title (slot 0, with the body's count), a heading
    // (slot 1, and the body) and alone in the body of another heading.
    let records = page(
        "db/",
        "Storage",
        "storage storage",
        &[("a", "Storage class", "x"), ("b", "Other", "storage")],
    );
    let fragment = Fragment::new(&records);
    let mut lines: Vec<&str> = fragment.to_text().lines().collect();
    lines.sort();
    // Slot 0 the best of its title's 64 and its body's 3 (found 4 times);
    // a heading's title is in the page's body too; `x` is found once.
    // Marks by slot, so that the site's postings come in order.
    assert_eq!(
        lines,
        ["class 0 1 1 32", "other 0 1 2 32", "storage 0 64 1 32", "x"]
    );
    let text = fragment.to_text().to_string();
    assert_eq!(Fragment::from_text(text, &records), Some(fragment));
    let files = index(&[records]);
    let found = search(&files, "storage");
    let places: Vec<&str> = found.hits.iter().map(|h| h.url.as_str()).collect();
    assert_eq!(places, ["db/", "db/#a"]);
}

#[test]
fn a_long_text_is_cut_at_the_same_character_whatever_its_script() {
    let cut = |text: &str| {
        let json = Fragment::new(&page("p/", "P", text, &[])).json;
        let fragment: serde_json::Value = serde_json::from_str(&json).unwrap();
        fragment[0]["x"].as_str().unwrap().to_string()
    };
    let limit = super::index::STORED_CHARS;
    // ASCII up to the limit, other letters after it; and the other way round.
    let ascii_first = format!("{}{}", "a".repeat(limit), "é".repeat(100));
    assert_eq!(cut(&ascii_first), "a".repeat(limit));
    let accents_first = format!("{}{}", "é".repeat(limit - 1), "a".repeat(100));
    assert_eq!(cut(&accents_first), format!("{}a", "é".repeat(limit - 1)));
    let words = "日本語 ".repeat(limit);
    assert_eq!(cut(&words).chars().count(), limit - 1, "cut at a word");
}

proptest::proptest! {
    /// Any text, of any script, mark or space (terms are looked up in
    /// place in the page's folded text): a page's fragment holds the
    /// terms of each of its parts, each once, and no others.
    #[test]
    fn a_fragment_holds_the_terms_of_its_text_whatever_the_text(
        title in "\\PC{0,12}",
        text in "(\\PC|[a-z0-9 .,;'\\-]){0,80}",
        heading in "\\PC{0,12}",
        // Words alike but for one letter, of every length around eight.
        under in "((a{6,9}[bc]|[ab]{1,12}|\\PC) ){0,30}",
    ) {
        let records = page("p/", &title, &text, &[("h", &heading, &under)]);
        let fragment = Fragment::terms_of(&records);
        let mut found: Vec<&str> = fragment.postings().map(|(term, _)| term).collect();
        found.sort_unstable();
        found.dedup();
        let mut expected: Vec<String> = [&title, &text, &heading, &under]
            .into_iter()
            .flat_map(|part| super::tokens::terms(part))
            .collect();
        expected.sort_unstable();
        expected.dedup();
        proptest::prop_assert_eq!(found, expected);
    }
}

/// A query as typed: a word or two of [`VOCABULARY`], whole or cut short,
/// or any character, each followed by a space, nothing, or punctuation;
/// now and then more of them.
fn typed() -> impl proptest::strategy::Strategy<Value = String> {
    use proptest::prelude::*;
    use proptest::sample::select;
    let word = prop_oneof![
        4 => select(VOCABULARY).prop_map(str::to_string),
        2 => (select(VOCABULARY), 1..5usize).prop_map(|(w, n)| w.chars().take(n).collect()),
        1 => any::<char>().prop_map(String::from),
    ];
    let between = prop_oneof![4 => Just(" "), 1 => Just(""), 2 => select(&["\"", ".", "-", "_", ":", "’"][..])];
    let typed = prop_oneof![
        3 => proptest::collection::vec((word.clone(), between.clone()), 1..3),
        1 => proptest::collection::vec((word, between), 0..7),
    ];
    typed.prop_map(|p| p.into_iter().map(|(w, b)| w + b).collect())
}

/// Words the pages of [`a_search_of_anything_typed_finds_only_pages_with_its_words`]
/// are made of.
const VOCABULARY: &[&str] = &[
    "alpha",
    "alp",
    "beta",
    "Storage",
    "storage",
    "20Gi",
    "data-plane.storage-size",
    "postgres-prod",
    "日本語",
    "Déploiement",
    "the",
    "a",
    "CARGO_HOME",
];

proptest::proptest! {
    #![proptest_config(proptest::test_runner::Config::with_cases(96))]
    /// Any query, typed or finished, on any small site: the search ends
    /// (no panic), shows at most a screenful, only of records the site has,
    /// and a finished query (ending with a space) only of pages that hold
    /// every one of its words.
    #[test]
    fn a_search_of_anything_typed_finds_only_pages_with_its_words(
        pages in proptest::collection::vec(
            (
                proptest::collection::vec(proptest::sample::select(VOCABULARY), 0..4),
                proptest::collection::vec(proptest::sample::select(VOCABULARY), 0..12),
                proptest::collection::vec(proptest::sample::select(VOCABULARY), 0..6),
            ),
            1..6,
        ),
        typed in typed(),
    ) {
        let site: Vec<(String, String, String)> = pages
            .iter()
            .map(|(title, text, under)| (title.join(" "), text.join(" "), under.join(" ")))
            .collect();
        let fragments: Vec<Vec<Record>> = site
            .iter()
            .enumerate()
            .map(|(i, (title, text, under))| {
                page(&format!("p{i}/"), title, text, &[("h", "Heading", under)])
            })
            .collect();
        let files = index(&fragments);
        // Each page's terms, by the URLs of its records.
        let mut terms: HashMap<String, Vec<String>> = HashMap::new();
        for (i, (title, text, under)) in site.iter().enumerate() {
            let all = super::tokens::terms(&format!("{title} {text} Heading {under}"));
            terms.insert(format!("p{i}/"), all.clone());
            terms.insert(format!("p{i}/#h"), all);
        }
        let finished = format!("{typed} ");
        let mut finished_hits = Vec::new();
        for typed in [&typed, &finished] {
            let found = search(&files, typed);
            proptest::prop_assert!(found.hits.len() <= super::find::SHOWN);
            for hit in &found.hits {
                proptest::prop_assert!(terms.contains_key(&hit.url), "{typed:?} found {}", hit.url);
            }
            for (path, _) in &found.fetched {
                proptest::prop_assert!(files.contains_key(path), "{typed:?} fetched {path}");
            }
            finished_hits = found.hits;
        }
        let q = super::tokens::query(&finished);
        let words: Vec<&String> = q.words.iter().chain(q.phrases.iter().flatten()).collect();
        for hit in finished_hits {
            let has = &terms[&hit.url];
            for word in &words {
                proptest::prop_assert!(has.contains(word), "{finished:?} found {} without {word:?}", hit.url);
            }
        }
    }
}

/// A page's fragment, its text of the words of `words` (by number: pages
/// share words, so that a site has several chunks).
fn numbered_page(n: u32, words: &[u16]) -> Arc<Fragment> {
    let text: Vec<String> = words.iter().map(|w| format!("w{w}")).collect();
    Arc::new(Fragment::new(&page(
        &format!("p{n}/"),
        &format!("Page {n}"),
        &text.join(" "),
        &[],
    )))
}

fn listed(pages: &std::collections::BTreeMap<u32, Arc<Fragment>>) -> Vec<(u32, Arc<Fragment>)> {
    pages.iter().map(|(n, f)| (*n, f.clone())).collect()
}

#[test]
fn an_edit_in_the_preview_makes_again_only_the_chunks_of_the_words_it_changed() {
    let words = |n: u16| (0..400).map(move |i| (i * 7 + n * 13) % 8000);
    let mut pages: std::collections::BTreeMap<u32, Arc<Fragment>> = (0..150)
        .map(|n| (n, numbered_page(n, &words(n as u16).collect::<Vec<_>>())))
        .collect();
    let first = Arc::new(Chunks::new(listed(&pages)));
    let count = first.files().len() - 1;
    assert!(count > 20, "{count} chunks");
    // Page 5 gains a word no page had, and loses one.
    let edited: Vec<u16> = words(5).skip(1).chain([9999]).collect();
    pages.insert(5, numbered_page(5, &edited));
    let next = Chunks::after(listed(&pages), Some(&first));
    assert_eq!(*next.files(), *Chunks::new(listed(&pages)).files());
    let again = next.made_again();
    assert!(
        (1..=4).contains(&again),
        "{again} of {count} chunks made again"
    );
    // Not searched after this edit: the next updates the first's.
    let next = Arc::new(next);
    pages.insert(7, numbered_page(7, &words(7).skip(2).collect::<Vec<_>>()));
    let unsearched = Arc::new(Chunks::after(listed(&pages), Some(&next)));
    pages.insert(150, numbered_page(150, &[1, 2, 9998]));
    let last = Chunks::after(listed(&pages), Some(&unsearched));
    assert_eq!(*last.files(), *Chunks::new(listed(&pages)).files());
    assert!(
        last.made_again() < count / 2,
        "{} of {count}",
        last.made_again()
    );
}

proptest::proptest! {
    #![proptest_config(proptest::test_runner::Config::with_cases(48))]
    /// Whatever pages a preview's builds change, add or remove, and
    /// whether or not each build's index is searched (made), the chunks
    /// it serves are those made anew.
    #[test]
    fn chunks_updated_build_after_build_are_those_made_anew(
        first in proptest::collection::vec(proptest::collection::vec(0u16..1500, 0..120), 1..40),
        builds in proptest::collection::vec(
            (
                proptest::collection::vec(
                    (0u32..45, proptest::option::weighted(0.8, proptest::collection::vec(0u16..1600, 0..120))),
                    0..6,
                ),
                proptest::bool::weighted(0.6),
            ),
            1..6,
        ),
    ) {
        let mut pages: std::collections::BTreeMap<u32, Arc<Fragment>> = first
            .iter()
            .enumerate()
            .map(|(n, words)| (n as u32, numbered_page(n as u32, words)))
            .collect();
        let mut last = Arc::new(Chunks::new(listed(&pages)));
        last.files();
        for (edits, searched) in builds {
            for (n, words) in edits {
                match words {
                    Some(words) => pages.insert(n, numbered_page(n, &words)),
                    None => pages.remove(&n),
                };
            }
            let chunks = Arc::new(Chunks::after(listed(&pages), Some(&last)));
            if searched {
                let anew = Chunks::new(listed(&pages));
                proptest::prop_assert_eq!(chunks.files(), anew.files());
            }
            last = chunks;
        }
    }
}
