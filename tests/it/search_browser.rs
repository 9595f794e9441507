//! The search box in a real browser (issue 10): headless Chromium (Debian's
//! /usr/bin/chromium) types into the header's box on the built fixture site
//! (served as a web server would, at the root, under a sub-path, as a book of
//! relative links) or on `envbook serve`'s preview, follows the results with
//! the keyboard and the mouse, and lands on the row or heading, marked. The
//! browser's terms, queries and results are compared with the Rust side's.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use envbook::search::find::find;
use envbook::search::tokens::{query, terms};
use headless_chrome::protocol::cdp::Page;
use headless_chrome::{Browser, Tab};
use serde::Deserialize;

use crate::browser::{have_chromium, launch};
use crate::support::{Site, envbook};

/// How long the page may take to show results or to load.
const WAIT: Duration = Duration::from_secs(10);
const POLL: Duration = Duration::from_millis(25);

/// Text in many scripts and the shapes of keys and values, for the terms.
const SAMPLES: &[&str] = &[
    "Ça Déborde ÅNGSTRÖM, Tiếng Việt İstanbul naïve café",
    "ΟΔΥΣΣΕΥΣ Οδυσσεύς λόγος ΛΌΓΟΣ σς",
    "Привет, мир! Ёлка ЁЖИК й",
    "本番環境のデータベース 日本語",
    "ひらがな カタカナ ｶﾀｶﾅ ガ が ー",
    "데이터베이스 크기 한국어",
    "ภาษาไทย ๑๒๓ ສະບາຍດີ",
    "مرحبا بالعالم ١٢٣ עִבְרִית ש\"ע",
    "👩‍💻 a😀b 🇫🇷 x👍🏽 ✈️",
    "data-plane.storage-size a_b:c x.y_z:w",
    "20Gi postgres-prod 0755 1.10 01234 1,000.5 v1.2.3",
    "`eu-west-1` (prod) \"quoted\" don't l'été",
    "Ｐｒｏｄ ＡＢＣ１２３ ﬁle ﬂow ǅ Ⅻ ½ ²",
    "-- … ! ¿ · ‧ .leading trailing. __init__",
    "e\u{301}te\u{301} cafe\u{301} \u{200d}x \u{200b}",
    "a¨b ´x ˘ \u{fe70}",
    "We’ll ‘see’ doesn’t donʼt 1’000 ’tis",
];

#[test]
fn browser_terms_equal_the_index_terms_in_every_script() {
    let Some(browser) = chromium() else { return };
    let tab = browser.new_tab().unwrap();
    // The theme's script on a blank page: only its terms are used.
    eval(&tab, include_str!("../../theme/static/search.js"));
    let samples = serde_json::to_string(SAMPLES).unwrap();
    let js: Vec<Vec<String>> = value(
        &tab,
        &format!("JSON.stringify({samples}.map(s => window.envbookSearch.terms(s)))"),
    );
    for (sample, js) in SAMPLES.iter().zip(js) {
        assert_eq!(js, terms(sample), "the terms of {sample:?}");
    }
    let queries = serde_json::to_string(QUERIES).unwrap();
    let js: Vec<JsQuery> = value(
        &tab,
        &format!("JSON.stringify({queries}.map(s => window.envbookSearch.parse(s)))"),
    );
    for (typed, js) in QUERIES.iter().zip(js) {
        assert_eq!(js, JsQuery::of(typed), "the query {typed:?}");
    }
    // And queries as a reader types them, in haste or by mistake: the
    // browser and the index split and parse them alike.
    let typed = typed_queries(3000);
    let batch = serde_json::to_string(&typed).unwrap();
    let js: Vec<(Vec<String>, JsQuery)> = value(
        &tab,
        &format!(
            "JSON.stringify({batch}.map(s => [window.envbookSearch.terms(s), window.envbookSearch.parse(s)]))"
        ),
    );
    for (typed, (js_terms, js)) in typed.iter().zip(js) {
        assert_eq!(js_terms, terms(typed), "the terms of {typed:?}");
        assert_eq!(js, JsQuery::of(typed), "the query {typed:?}");
    }
}

/// `count` queries as a hurried or careless reader types them: the search
/// fixture's words and keys, whole or cut short, in several scripts, run
/// together by quotes, punctuation and spaces of every kind, and now and
/// then any character at all. The same every run (proptest's deterministic
/// runner), so that a failure names a query that fails again.
fn typed_queries(count: usize) -> Vec<String> {
    use proptest::prelude::*;
    use proptest::sample::select;
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let word = select(TYPED_WORDS);
    let piece = prop_oneof![
        6 => word.clone().prop_map(str::to_string),
        3 => (word, 1..6usize).prop_map(|(w, n)| w.chars().take(n).collect()),
        1 => any::<char>().prop_map(String::from),
    ];
    let between = prop_oneof![
        6 => Just(" "),
        1 => Just(""),
        3 => select(TYPED_BETWEEN),
    ];
    // Mostly a word or two, which the fixture has; now and then a few, which
    // it mostly has not.
    let pieces = (piece, between);
    let typed = prop_oneof![
        3 => proptest::collection::vec(pieces.clone(), 1..3),
        1 => proptest::collection::vec(pieces, 0..6),
    ];
    let typed = typed.prop_map(|p| p.into_iter().map(|(w, b)| w + b).collect::<String>());
    let mut runner = TestRunner::deterministic();
    let mut one = || typed.new_tree(&mut runner).expect("a query").current();
    (0..count).map(|_| one()).collect()
}

/// Words a reader of the search fixture might type (see [`typed_queries`]).
const TYPED_WORDS: &[&str] = &[
    "replica",
    "Promote",
    "promote",
    "the",
    "storage",
    "Storage",
    "SIZE",
    "data-plane.storage-size",
    "data-plane",
    "20Gi",
    "postgres-prod",
    "0755",
    "CARGO_HOME",
    "cargo_ho",
    "Cargo",
    "home",
    "database",
    "runbooks",
    "onerror",
    "w0",
    "w01234",
    "w04499",
    "words",
    "commonword",
    "4150",
    "\u{fa0e}1",
    "\u{20000}14",
    "日本語",
    "本番環境の",
    "Οδυσσεύς",
    "ΛΌΓΟΣ",
    "doesn’t",
    "we’ll",
    "Déborde",
    "café",
    "e\u{301}te\u{301}",
    "ｶﾀｶﾅ",
    "Ｐｒｏｄ",
    "ﬁle",
    "👩‍💻",
    "1,000.5",
    "v1.2.3",
    "l'été",
    "__init__",
];

/// What a reader types between words (see [`typed_queries`]).
const TYPED_BETWEEN: &[&str] = &[
    " ", " ", "  ", "\"", "\"", "-", ".", "_", ":", "'", "’", ",", "/", "\t", "\u{3000}",
    "\u{200d}", "\u{301}", "*",
];

/// Queries as typed, for [`query`].
const QUERIES: &[&str] = &[
    "stor",
    "Prod stor",
    "prod storage ",
    "s",
    "stor-",
    "data-plane.stor",
    "data-plane.storage-size",
    "prod data-plane.storage-size",
    "20Gi",
    "postgres-prod x",
    "\"Storage Size\" prod",
    "\"storage si",
    "\"storage size\"",
    "日本",
    "本番環境の",
    "a a b a",
    "Οδυσσεύς ΛΌΓΟΣ",
    "",
    "\"\"",
    // A term in more records than the index keeps (see the page of
    // headings below): optional beside other words.
    "commonword",
    "commonword w00042",
    "commonword 4150",
    "\"commonword 4150\"",
    "doesn’t",
    "\"we’ll see\"",
];

#[derive(Debug, PartialEq, Deserialize)]
struct JsQuery {
    words: Vec<String>,
    phrases: Vec<Vec<String>>,
    whole: Option<Vec<String>>,
    prefix: bool,
}

impl JsQuery {
    /// The Rust side's parse of `typed`.
    fn of(typed: &str) -> JsQuery {
        let q = query(typed);
        JsQuery {
            words: q.words,
            phrases: q.phrases,
            whole: q.whole,
            prefix: q.prefix,
        }
    }
}

#[test]
fn the_browser_finds_what_envbook_search_finds_reading_the_same_files() {
    let Some(browser) = chromium() else { return };
    let site = Site::fixture("search");
    // Pages of many words, so that the index has several chunks, some of
    // them split inside a prefix's terms, and some between a BMP ideograph
    // and an astral one (whose order differs in code points and in UTF-16).
    for page in 0..30 {
        let words: Vec<String> = (0..250)
            .map(|i| match i % 5 {
                0 => format!("\u{fa0e}{}", page * 50 + i / 5),
                1 => format!("\u{20000}{}", page * 50 + i / 5),
                _ => format!("w{:05}", page * 150 + i),
            })
            .collect();
        site.write(
            &format!("content/words/page-{page}.md"),
            &format!("# Words {page}\n\n{}\n", words.join(" ")),
        );
    }
    // More headings with one word than the index keeps records of a term.
    let headings: String = (0..=search_common() + 100)
        .map(|i| format!("## Commonword {i}\n\n"))
        .collect();
    site.write("content/common.md", &format!("# Common\n\n{headings}"));
    // A key typed whole: its parts, in one page's title, rank that page first.
    site.write(
        "content/a-env.md",
        "# Env\n\nCARGO_HOME, CARGO_HOME and CARGO_HOME.\n",
    );
    site.write("content/cargo-home.md", "# Cargo Home\n\nSet CARGO_HOME.\n");
    // Text in many scripts, for the typed queries below.
    let scripts: Vec<String> = SAMPLES
        .iter()
        .map(|s| format!("## {s}\n\n{s}\n\n"))
        .collect();
    site.write(
        "content/scripts.md",
        &format!("# Scripts\n\n{}", scripts.concat()),
    );
    site.build();
    let folder = site.path("site/search");
    let meta = std::fs::read_to_string(folder.join("meta.json")).unwrap();
    let chunks = serde_json::from_str::<serde_json::Value>(&meta).unwrap()["chunks"]
        .as_array()
        .unwrap()
        .len();
    assert!(chunks > 6, "{meta}");
    assert!(meta.contains(r#""common":["commonword"]"#), "{meta}");
    let server = Static::start(site.path("site"), "/");
    let tab = trapped_tab(&browser);
    open(&tab, &server.url);
    for typed in QUERIES.iter().chain(FOUND) {
        let rust = Found::in_folder(typed, &folder);
        let js: Found = value_async(
            &tab,
            &format!(
                "window.envbookSearch.find({}).then(JSON.stringify)",
                serde_json::to_string(typed).unwrap()
            ),
        );
        assert_eq!(js, rust, "the results of {typed:?}");
    }
    // And queries as a reader types them (see `typed_queries`), searched
    // one after the other in the page.
    let typed = typed_queries(200);
    let batch = serde_json::to_string(&typed).unwrap();
    let js: Vec<Found> = value_async(
        &tab,
        &format!(
            "(async () => {{ const found = []; \
             for (const q of {batch}) found.push(await window.envbookSearch.find(q)); \
             return JSON.stringify(found); }})()"
        ),
    );
    for (typed, js) in typed.iter().zip(js) {
        let rust = Found::in_folder(typed, &folder);
        assert_eq!(js, rust, "the results of {typed:?}");
    }
}

/// What a search found and the index files it read.
#[derive(Debug, PartialEq, Deserialize)]
struct Found {
    urls: Vec<String>,
    files: Vec<String>,
}

impl Found {
    /// What the Rust side's search of `typed` finds in the index `folder`.
    fn in_folder(typed: &str, folder: &Path) -> Found {
        let found = find(typed, &mut |p| std::fs::read_to_string(folder.join(p)).ok());
        let mut files: Vec<String> = found.fetched.into_iter().map(|(path, _)| path).collect();
        files.sort();
        Found {
            urls: found.hits.into_iter().map(|h| h.url).collect(),
            files,
        }
    }
}

/// More queries, for [`find`]: each finds something in the fixture.
const FOUND: &[&str] = &[
    "CARGO_HOME",
    "cargo_ho",
    "replica",
    "promote replica",
    "\"promote the replica\"",
    "\"the replica\" failover",
    "database",
    "dat",
    "postgres-prod",
    "0755",
    "onerror",
    "runbooks",
    "w0",
    "w01",
    "w0123",
    "w04499",
    "words 2",
    "\u{fa0e}1",
    "\u{fa0e}149",
    "\u{20000}",
    "\u{20000}1",
    "\u{20000}14",
    "\u{20000}1499",
];

#[test]
fn typed_words_find_the_row_heading_and_page_and_the_keyboard_lands_on_them() {
    let Some(browser) = chromium() else { return };
    let site = Site::fixture("search");
    site.build();
    let server = Static::start(site.path("site"), "/");
    let tab = trapped_tab(&browser);
    let root = server.url.clone();
    open(&tab, &root);

    // `/` focuses the box; `stor` lists the Storage size row.
    tab.press_key("/").unwrap();
    assert!(value::<bool>(&tab, FOCUSED), "`/` focuses the search box");
    tab.type_str("stor").unwrap();
    let storage = format!("{root}environments/?highlight=stor#data-plane.storage-size");
    let results = results_with(&tab, "stor", |r| r.href == storage);
    let row = results.iter().position(|r| r.href == storage).unwrap();
    assert_eq!(results[row].title, "Storage size", "{results:#?}");
    assert_eq!(results[row].section, "Environments › Data plane");
    assert_eq!(results[row].marks, ["Storage"], "{results:#?}");
    assert!(
        results[row].snippet.contains("20Gi"),
        "the row's values show: {results:#?}"
    );

    // The arrows move the selection to the row; Enter opens it, and the page
    // marks the row and the words.
    for _ in 0..=row {
        tab.press_key("ArrowDown").unwrap();
    }
    assert_eq!(value::<String>(&tab, SELECTED), storage);
    tab.press_key("Enter").unwrap();
    let landed = landing(&tab, &storage);
    assert_eq!(landed.hit.as_deref(), Some("data-plane.storage-size"));
    assert!(landed.marks.iter().any(|m| m == "Storage"), "{landed:?}");
    assert!(landed.clean(), "{landed:?}");

    // The value and the key find the same row, first.
    for query in ["20Gi", "data-plane.storage-size"] {
        open(&tab, &root);
        tab.press_key("s").unwrap();
        tab.type_str(query).unwrap();
        let want = format!("{root}environments/?highlight={query}#data-plane.storage-size");
        let found = results_with(&tab, query, |r| r.href == want);
        assert_eq!(found[0].href, want, "{query}: {found:#?}");
    }

    // A heading: Enter with nothing selected opens the first result.
    open(&tab, &root);
    tab.press_key("/").unwrap();
    tab.type_str("promote replica").unwrap();
    let heading =
        format!("{root}runbooks/db-failover/?highlight=promote%20replica#promote-the-replica");
    let found = results_with(&tab, "promote replica", |r| r.href == heading);
    assert_eq!(found[0].title, "Promote the replica", "{found:#?}");
    assert_eq!(found[0].section, "Runbooks › Database failover");
    tab.press_key("Enter").unwrap();
    let landed = landing(&tab, &heading);
    assert_eq!(landed.hit.as_deref(), Some("promote-the-replica"));
    assert!(landed.marks.contains(&"Promote".to_string()), "{landed:?}");

    // The mouse: a click on a result opens it.
    open(&tab, &root);
    tab.press_key("/").unwrap();
    tab.type_str("0755").unwrap();
    let mode = format!("{root}environments/?highlight=0755#database.file-mode");
    results_with(&tab, "0755", |r| r.href == mode);
    tab.find_element(&format!("#envbook-search-results a[href='{mode}']"))
        .unwrap()
        .click()
        .unwrap();
    let landed = landing(&tab, &mode);
    assert_eq!(landed.hit.as_deref(), Some("database.file-mode"));
    assert!(landed.marks.iter().any(|m| m == "0755"), "{landed:?}");

    // Escape closes the list, and again empties the box.
    tab.press_key("/").unwrap();
    tab.type_str("failover").unwrap();
    results_with(&tab, "failover", |_| true);
    assert_eq!(value::<String>(&tab, EXPANDED), "true");
    tab.press_key("Escape").unwrap();
    assert!(value::<bool>(&tab, LIST_HIDDEN));
    assert_eq!(value::<String>(&tab, EXPANDED), "false");
    tab.press_key("Escape").unwrap();
    assert!(!value::<bool>(&tab, FOCUSED));
    assert_eq!(value::<String>(&tab, TYPED), "");
}

#[test]
fn markup_in_page_text_shows_as_text_in_results_and_runs_nowhere() {
    let Some(browser) = chromium() else { return };
    let site = Site::fixture("search");
    let server = Serve::start(&site.dir);
    let tab = trapped_tab(&browser);
    open(&tab, &server.url);
    tab.press_key("/").unwrap();
    tab.type_str("onerror").unwrap();
    let found = results_with(&tab, "onerror", |r| r.title == "Odd text");
    let odd = &found[0];
    assert_eq!(odd.title, "Odd text", "{found:#?}");
    assert!(
        odd.snippet.contains("<img src=x onerror=alert(1)>"),
        "{found:#?}"
    );
    assert!(
        odd.snippet.contains("<script>alert(2)</script>"),
        "{found:#?}"
    );
    // An injected image would have failed to load by now.
    std::thread::sleep(Duration::from_millis(300));
    let page: Landed = value(&tab, LANDED);
    assert!(page.clean(), "{page:?}");
    tab.press_key("Enter").unwrap();
    landing(
        &tab,
        &format!("{}runbooks/odd-text/?highlight=onerror", server.url),
    );
    std::thread::sleep(Duration::from_millis(300));
    let landed: Landed = value(&tab, LANDED);
    assert!(landed.marks.iter().any(|m| m == "onerror"), "{landed:?}");
    assert!(landed.clean(), "{landed:?}");
}

#[test]
fn search_under_a_sub_path_fetches_the_index_there_and_lands_there() {
    let site = Site::fixture("search");
    site.write(
        "book.toml",
        &format!(
            "{}\n[build]\nbase-url = \"/docs/\"\n",
            site.read("book.toml")
        ),
    );
    site.build();
    hosted_at_base(
        &site.path("site"),
        "/docs/",
        "runbooks/db-failover/",
        "environments/",
    );
}

/// An mdBook book without `site-url`: its links, and the box's base, are
/// relative to each page (`./`, `../`), and it works at any path.
#[test]
fn search_in_a_book_of_relative_links_resolves_against_each_page() {
    let site = Site::fixture("search");
    site.write(
        "book.toml",
        "[book]\ntitle = \"Search Fixture\"\nsrc = \"content\"\n\n[output.html]\n",
    );
    site.build();
    let page = site.read("book/runbooks/db-failover.html");
    assert!(page.contains(r#"data-base="../""#), "{page}");
    hosted_at_base(
        &site.path("book"),
        "/any/path/",
        "runbooks/db-failover.html",
        "environments.html",
    );
}

/// The built site in `output`, served under `base`: from the page `start`,
/// `stor` and Enter land on the Storage size row of `environments`, with the
/// index fetched from under `base` and nothing from elsewhere.
fn hosted_at_base(output: &Path, base: &'static str, start: &str, environments: &str) {
    let Some(browser) = chromium() else { return };
    let server = Static::start(output.to_path_buf(), base);
    let tab = trapped_tab(&browser);
    let root = format!("{}{}", server.url, &base[1..]);
    open(&tab, &format!("{root}{start}"));
    let before = server.requests();
    assert!(
        !before.iter().any(|p| p.contains("/search/")),
        "the index waits for the box: {before:?}"
    );
    tab.press_key("/").unwrap();
    tab.type_str("stor").unwrap();
    let storage = format!("{root}{environments}?highlight=stor#data-plane.storage-size");
    results_with(&tab, "stor", |r| r.href == storage);
    tab.press_key("Enter").unwrap();
    let landed = landing(&tab, &storage);
    assert_eq!(landed.hit.as_deref(), Some("data-plane.storage-size"));
    assert!(landed.clean(), "{landed:?}");
    let asked = server.requests();
    assert!(
        asked.contains(&format!("{base}search/meta.json")),
        "{asked:?}"
    );
    assert!(
        // (but the browser's own favicon.ico)
        asked
            .iter()
            .all(|p| p.starts_with(base) || p == "/favicon.ico"),
        "everything from under the base path: {asked:?}"
    );
    let hosts: Vec<String> = value(
        &tab,
        "JSON.stringify(performance.getEntriesByType('resource').map(e => new URL(e.name).host))",
    );
    let own = server
        .url
        .trim_start_matches("http://")
        .trim_end_matches('/');
    assert!(hosts.iter().all(|h| h == own), "{hosts:?}");
}

/// One result as the list shows it.
#[derive(Debug, Deserialize)]
struct Shown {
    section: String,
    title: String,
    snippet: String,
    href: String,
    /// The marked words of the title and snippet.
    marks: Vec<String>,
}

const RESULTS: &str = r##"JSON.stringify([...document.querySelectorAll("#envbook-search-results [role=option]")].map(o => ({
  section: o.querySelector(".search-section").textContent,
  title: o.querySelector(".search-title").textContent,
  snippet: o.querySelector(".search-snippet").textContent,
  href: o.querySelector("a").href,
  marks: [...o.querySelectorAll(".search-title mark")].map(m => m.textContent),
})))"##;

const FOCUSED: &str = "document.activeElement === document.querySelector('#envbook-search input')";
const TYPED: &str = "JSON.stringify(document.querySelector('#envbook-search input').value)";
const LIST_HIDDEN: &str = "document.getElementById('envbook-search-results').hidden";
/// The combobox's state, for assistive technology.
const EXPANDED: &str = r##"JSON.stringify((() => {
  const input = document.querySelector("#envbook-search input[role=combobox]");
  const list = document.getElementById(input.getAttribute("aria-controls"));
  return list.getAttribute("role") === "listbox" && input.getAttribute("aria-expanded");
})())"##;
/// The selected result's link, as `aria-activedescendant` names it.
const SELECTED: &str = r##"JSON.stringify((() => {
  const input = document.querySelector("#envbook-search input");
  const option = document.getElementById(input.getAttribute("aria-activedescendant"));
  return option && option.getAttribute("aria-selected") === "true" ? option.querySelector("a").href : null;
})())"##;

/// The page as a search left it.
#[derive(Debug, Deserialize)]
struct Landed {
    url: String,
    ready: String,
    /// The id of the element marked as the hit.
    hit: Option<String>,
    /// The words marked in `<main>`.
    marks: Vec<String>,
    /// Images anywhere (the fixture has none), alerts and errors.
    images: usize,
    alerts: Vec<String>,
    errors: Vec<String>,
}

impl Landed {
    fn clean(&self) -> bool {
        self.images == 0 && self.alerts.is_empty() && self.errors.is_empty()
    }
}

const LANDED: &str = r##"JSON.stringify({
  url: location.href,
  ready: document.readyState,
  hit: [...document.querySelectorAll(".search-hit")].map(e => e.id)[0] ?? null,
  marks: [...document.querySelectorAll("main mark")].map(m => m.textContent),
  images: document.images.length,
  alerts: window.envbookAlerts ?? ["the trap is missing"],
  errors: window.envbookErrors ?? ["the trap is missing"],
})"##;

/// Set before any script of every page the tab opens: alerts and errors are
/// recorded instead of shown.
const TRAP: &str = r##"window.envbookAlerts = [];
window.envbookErrors = [];
window.alert = window.confirm = window.prompt = (m) => { window.envbookAlerts.push(String(m)); };
window.addEventListener("error", (e) => window.envbookErrors.push(String(e.message || e.target && e.target.outerHTML)), true);"##;

/// Chromium, or None when it is not installed (and not required: CI has it).
pub(crate) fn chromium() -> Option<Browser> {
    have_chromium().then(|| launch(None))
}

fn trapped_tab(browser: &Browser) -> Arc<Tab> {
    let tab = browser.new_tab().unwrap();
    tab.call_method(Page::AddScriptToEvaluateOnNewDocument {
        source: TRAP.to_string(),
        world_name: None,
        include_command_line_api: None,
        run_immediately: None,
    })
    .unwrap();
    tab
}

/// Opens `url` (again, if it is open) and waits for its search box.
pub(crate) fn open(tab: &Tab, url: &str) {
    let _ = tab.evaluate("window.envbookTestOld = true", false);
    tab.navigate_to(url).unwrap();
    let shown = format!(
        "!window.envbookTestOld && location.href === {} && document.readyState === 'complete' \
         && !document.getElementById('envbook-search').hidden",
        serde_json::to_string(url).unwrap()
    );
    wait(tab, &format!("the search box of {url}"), |tab| {
        try_value::<bool>(tab, &shown)?.then_some(())
    });
}

/// The results once they show one that `want` accepts, for the query typed.
fn results_with(tab: &Tab, typed: &str, want: impl Fn(&Shown) -> bool) -> Vec<Shown> {
    let mut last = Vec::new();
    let deadline = Instant::now() + WAIT;
    loop {
        if try_value::<String>(tab, TYPED).as_deref() == Some(typed)
            && let Some(results) = try_value::<Vec<Shown>>(tab, RESULTS)
        {
            if results.iter().any(&want) {
                return results;
            }
            last = results;
        }
        let status: Option<String> = try_value(
            tab,
            "JSON.stringify(document.querySelector('#envbook-search [role=status]').textContent)",
        );
        assert!(
            Instant::now() < deadline,
            "waited {WAIT:?} for the results of {typed:?}; status {status:?}, shown: {last:#?}"
        );
        std::thread::sleep(POLL);
    }
}

/// The page at `url` once loaded (after a search led there).
fn landing(tab: &Tab, url: &str) -> Landed {
    wait(tab, &format!("landing on {url}"), |tab| {
        let page: Landed = try_value(tab, LANDED)?;
        (page.url == url && page.ready == "complete").then_some(page)
    })
}

/// Polls `done` until it gives a value, for at most [`WAIT`].
pub(crate) fn wait<T>(tab: &Tab, what: &str, done: impl Fn(&Tab) -> Option<T>) -> T {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(value) = done(tab) {
            return value;
        }
        let at = tab.get_url();
        assert!(
            Instant::now() < deadline,
            "waited {WAIT:?} for {what}; at {at}"
        );
        std::thread::sleep(POLL);
    }
}

pub(crate) fn eval(tab: &Tab, script: &str) {
    tab.evaluate(script, false)
        .unwrap_or_else(|e| panic!("{script}: {e}"));
}

/// The JSON (or boolean) `script` gives.
pub(crate) fn value<T: for<'de> Deserialize<'de>>(tab: &Tab, script: &str) -> T {
    try_value(tab, script).unwrap_or_else(|| panic!("no answer to {script}"))
}

/// The JSON the promise `script` gives.
fn value_async<T: for<'de> Deserialize<'de>>(tab: &Tab, script: &str) -> T {
    let answer = tab
        .evaluate(script, true)
        .unwrap_or_else(|e| panic!("{script}: {e}"));
    let json = answer
        .value
        .unwrap_or_else(|| panic!("no answer to {script}"));
    serde_json::from_str(json.as_str().unwrap()).unwrap()
}

/// None while the tab has no page to ask (it is loading one).
pub(crate) fn try_value<T: for<'de> Deserialize<'de>>(tab: &Tab, script: &str) -> Option<T> {
    let answer = tab.evaluate(script, false).ok()?.value?;
    match answer {
        serde_json::Value::String(json) => serde_json::from_str(&json).ok(),
        other => serde_json::from_value(other).ok(),
    }
}

/// `envbook serve --port 0` in the site folder, stopped when dropped.
pub(crate) struct Serve {
    child: Child,
    pub(crate) url: String,
}

impl Serve {
    pub(crate) fn start(dir: &Path) -> Serve {
        let mut child = envbook(&["serve", "--port", "0"])
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the envbook binary runs");
        let stdout = child.stdout.take().unwrap();
        let (first, line) = mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            if let Some(Ok(line)) = lines.next() {
                let _ = first.send(line);
            }
            // Keep reading: a full pipe would stall the server.
            for _ in lines {}
        });
        let mut serve = Serve {
            child,
            url: String::new(),
        };
        let line = line.recv_timeout(WAIT).expect("serve prints its address");
        serve.url = line
            .split_whitespace()
            .find(|w| w.starts_with("http://127.0.0.1:"))
            .unwrap_or_else(|| panic!("no address in {line:?}"))
            .to_string();
        serve
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A static server of a built site at `base` on 127.0.0.1 (as a web server
/// would host it), recording the paths asked; stopped when dropped.
struct Static {
    url: String,
    requests: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
}

impl Static {
    fn start(dir: PathBuf, base: &'static str) -> Static {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (asked, stopped) = (requests.clone(), stop.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopped.load(Ordering::SeqCst) {
                    break;
                }
                let (dir, asked) = (dir.clone(), asked.clone());
                let Ok(stream) = stream else { continue };
                std::thread::spawn(move || answer(stream, &dir, base, &asked));
            }
        });
        Static {
            url,
            requests,
            stop,
        }
    }

    fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for Static {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accept loop so that it sees the flag.
        let _ = TcpStream::connect(self.url.trim_start_matches("http://").trim_end_matches('/'));
    }
}

/// Answers one request: the file under `dir` that the path names below `base`.
fn answer(mut stream: TcpStream, dir: &Path, base: &str, asked: &Mutex<Vec<String>>) {
    let _ = stream.set_read_timeout(Some(WAIT));
    let mut head = Vec::new();
    let mut byte = [0];
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => return,
        }
    }
    let head = String::from_utf8_lossy(&head);
    let target = head.split(' ').nth(1).unwrap_or("");
    let path = target.split(['?', '#']).next().unwrap_or("").to_string();
    asked.lock().unwrap().push(path.clone());
    let file = path
        .strip_prefix(base)
        .filter(|rel| !rel.split('/').any(|part| part == ".."))
        .map(|rel| match rel.is_empty() || rel.ends_with('/') {
            true => dir.join(rel).join("index.html"),
            false => dir.join(rel),
        });
    let (status, body, kind) = match file.and_then(|f| std::fs::read(&f).ok().map(|b| (f, b))) {
        Some((file, body)) => {
            let kind = match file.extension().and_then(OsStr::to_str) {
                Some("html") => "text/html; charset=utf-8",
                Some("css") => "text/css",
                Some("js") => "text/javascript",
                Some("json") => "application/json",
                _ => "application/octet-stream",
            };
            ("200 OK", body, kind)
        }
        None => ("404 Not Found", b"not found".to_vec(), "text/plain"),
    };
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(&body);
}

/// The benchmark of the search in the browser (not a test: it asserts
/// nothing and prints figures; `bench/search.py` runs it). On a built site
/// (`ENVBOOK_BENCH_SITE`, its output folder), each query is searched once
/// (its files fetched), then five times more with every file it needs in
/// the script's cache: the time from the query to its results, in Chromium.
#[test]
#[ignore = "a benchmark: bench/search.py runs it"]
fn bench_search_time_in_the_browser() {
    let Some(site) = std::env::var_os("ENVBOOK_BENCH_SITE") else {
        println!("set ENVBOOK_BENCH_SITE to a built site's folder");
        return;
    };
    let Some(browser) = chromium() else { return };
    let server = Static::start(PathBuf::from(site), "/");
    let tab = trapped_tab(&browser);
    open(&tab, &server.url);
    let queries: Vec<String> = std::env::var("ENVBOOK_BENCH_QUERIES")
        .map(|q| q.split('|').map(String::from).collect())
        .unwrap_or_else(|_| QUERIES.iter().map(|q| q.to_string()).collect());
    println!("| query | results | first search (fetching) | cached: median of 5 |");
    println!("|---|---:|---:|---:|");
    for typed in &queries {
        let script = format!(
            r#"(async () => {{
                const q = {};
                let t = performance.now();
                const first = await window.envbookSearch.find(q);
                const fetching = performance.now() - t;
                const times = [];
                for (let i = 0; i < 5; i++) {{
                    t = performance.now();
                    await window.envbookSearch.find(q);
                    times.push(performance.now() - t);
                }}
                times.sort((a, b) => a - b);
                return JSON.stringify([first.urls.length, fetching, times[2]]);
            }})()"#,
            serde_json::to_string(typed).unwrap()
        );
        let (results, fetching, cached): (usize, f64, f64) = value_async(&tab, &script);
        println!("| `{typed}` | {results} | {fetching:.1} ms | {cached:.1} ms |");
    }
}

/// How many records of a term the index keeps.
fn search_common() -> usize {
    envbook::search::chunks::COMMON
}
