//! Property-based fuzzing of the two inputs a site author controls: a page's
//! markdown with directives (rendered with real environment data) and the
//! data file. The inputs are hostile: markdown, directive and YAML syntax cut
//! and mixed, private-use and multi-byte space characters, CRLF, BOM, NUL.
//! Every case must finish without a panic and within a second.
//!
//! `cargo test` runs a fixed number of cases with a fixed seed. To fuzz for a
//! while instead, with a new seed each run (the counts and the slowest case
//! are printed):
//!
//! ```sh
//! ENVBOOK_FUZZ_SECS=600 cargo test --release --test it fuzz::markdown -- --nocapture
//! ENVBOOK_FUZZ_SECS=600 cargo test --release --test it fuzz::data -- --nocapture
//! ```
//!
//! A crash in C code (a grammar's scanner) ends the process with no message:
//! `ENVBOOK_FUZZ_TRACE=FILE` writes each case to FILE before it runs, so the
//! last one is left there.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

use envbook::data::{self, Data};
use envbook::directives::{self, Expander};
use envbook::include;
use envbook::markdown::{self, Highlighter, Input, LinkContext};
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};

/// Cases per target in `cargo test` (a few seconds each in a debug build).
const CASES: u32 = 3_000;
/// The most one case may take: the slowest takes about 0.3 s in a debug
/// build; this leaves room for a machine busy with the rest of the suite
/// (1 s failed there once), and still catches input that makes a parser
/// blow up.
const CASE_LIMIT: Duration = Duration::from_secs(5);

static HIGHLIGHTER: LazyLock<Highlighter> = LazyLock::new(Highlighter::default);

/// The data the pages are rendered with.
const DATA: &str = "\
environments:
  - { id: dev, title: Dev }
  - { id: staging, title: '<b>Staging</b>' }
  - { id: prod, title: Prod }
sections:
  - id: app
    title: Application
    label-header: '`Purpose`'
    settings:
      - { id: host, label: Host, values: { dev: a.example, staging: b.example, prod: c.example } }
      - { id: replicas, label: '*Replicas*', optional: true, values: { prod: 3 } }
      - { id: region, label: Region, value: eu-west-1, note: 'One [region](https://x.example/).' }
  - id: k
    format: markdown
    settings:
      - { id: mode, label: Mode, values: { dev: { text: '{{ x }}' }, staging: '`a`', prod: '<i>b</i>' } }
      - { id: same, label: Same, value: '\u{E000}0\u{E001}' }
";

#[test]
fn markdown_and_directives() {
    let data = data::parse(DATA, Path::new("data/environments.yaml")).unwrap();
    let pages: BTreeMap<String, String> = [
        ("index.md", ""),
        ("other.md", "other/"),
        ("my page.md", "my page/"),
        ("runbooks/db.md", "runbooks/db/"),
    ]
    .into_iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    fuzz("markdown", page(), |(front, body)| {
        let text = format!("{front}{body}");
        render(&text, front.len(), &data, &pages);
        markdown::title(&body);
        directives::find(&body);
    });
}

/// mdBook's file directives: random ranges, anchors and nesting, over files
/// that include each other; the expanded text is rendered, and every
/// position the splice map gives is inside the page.
#[test]
fn includes() {
    fuzz("includes", include_case(), |(page, files)| {
        let files: BTreeMap<std::path::PathBuf, Arc<str>> = files
            .iter()
            .enumerate()
            .map(|(i, text)| (Path::new("src").join(format!("f{i}")), text.as_str().into()))
            .collect();
        let load = |p: &Path| {
            files.get(p).cloned().ok_or_else(|| include::Unreadable {
                why: "no such file".to_string(),
                missing: true,
            })
        };
        let input = include::Input {
            file: Path::new("src/page.md"),
            text: &page,
            body_start: 0,
            dir: Path::new("src"),
            load: &load,
            as_mdbook: page.len() % 2 == 0,
        };
        if let Some(e) = include::expand(&input) {
            for at in (0..=e.text.len()).step_by(7) {
                let range = e.splices.original(at..at);
                assert!(range.end <= page.len(), "{range:?} of {}", page.len());
            }
            // Rendering takes time with the page's length (the markdown
            // target covers it); files that include each other make long ones.
            if e.text.len() > 20_000 {
                return;
            }
            let data = data::parse(DATA, Path::new("data/environments.yaml")).unwrap();
            markdown::render(&Input {
                file: Path::new("src/page.md"),
                text: &e.text,
                body_start: 0,
                written: Some((&page, &e.splices)),
                links: LinkContext {
                    base: "/",
                    page_dir: "",
                    pages: &BTreeMap::new(),
                },
                highlighter: &HIGHLIGHTER,
                expander: &Expander { data: Some(&data) },
                flavor: Default::default(),
            });
        }
    });
}

/// A page and three files, made of text, anchor lines and file directives
/// naming those files (`f0`…`f2`, some missing) with random lines.
fn include_case() -> impl Strategy<Value = (String, Vec<String>)> {
    let spec = prop_oneof![
        Just(String::new()),
        "[0-9]{1,2}".prop_map(|n| format!(":{n}")),
        "[0-9]{0,2}:[0-9]{0,2}".prop_map(|r| format!(":{r}")),
        select(&[":a", ":b", ":nope", "::", ":x:y:z", ":99999999999999999999"][..])
            .prop_map(String::from),
    ];
    let directive = (
        select(
            &[
                "include",
                "rustdoc_include",
                "playground",
                "title",
                "playpen",
                "other",
            ][..],
        ),
        0..5usize,
        spec,
        select(&["", " ", "\\", "  editable"][..]),
    )
        .prop_map(|(name, file, spec, tail)| match tail {
            "\\" => format!("\\{{{{#{name} f{file}{spec}}}}}"),
            _ => format!("{{{{#{name} f{file}{spec}{tail}}}}}"),
        });
    let piece = prop_oneof![
        3 => directive,
        2 => select(&[
            "\n", "\r\n", "- ", "> ", "```\n", "// ANCHOR: a\n", "// ANCHOR_END: a\n",
            "ANCHOR: b\n", "ANCHOR_END: b\n", "x", "{{", "}}", "é", "[l](m.md)", "# H\n",
        ][..])
        .prop_map(String::from),
        1 => any::<String>().prop_map(|s| s.chars().take(4).collect()),
    ];
    let text = || prop::collection::vec(piece.clone(), 0..30).prop_map(|v| v.concat());
    (text(), prop::collection::vec(text(), 3))
}

#[test]
fn data_file() {
    let valid = AtomicUsize::new(0);
    fuzz("data", data_text(), |text| {
        if let Ok(data) = data::parse(&text, Path::new("data/environments.yaml")) {
            valid.fetch_add(1, Ordering::Relaxed);
            // Good data goes on to every directive.
            let mut page = String::from("{{ shared() }}\n\n");
            for section in &data.sections {
                let envs: Vec<String> = data.env_ids().map(|e| format!("\"{e}\"")).collect();
                page += &format!(
                    "{{{{ matrix(section=\"{0}\") }}}}\n\n{{{{ matrix(section=\"{0}\", all=true, envs=[{1}]) }}}}\n\n",
                    section.id,
                    envs.join(", ")
                );
            }
            for key in data.keys() {
                for env in data.env_ids() {
                    page += &format!("{{{{ value(key=\"{key}\", env=\"{env}\") }}}} ");
                }
            }
            render(&page, 0, &data, &BTreeMap::new());
            envbook::export::json(&data);
        }
    });
    eprintln!("fuzz::data: {} of them valid", valid.into_inner());
}

fn render(text: &str, body_start: usize, data: &Data, pages: &BTreeMap<String, String>) {
    let rendered = markdown::render(&Input {
        file: Path::new("content/runbooks/page.md"),
        text,
        body_start,
        written: None,
        links: LinkContext {
            base: "/docs/",
            page_dir: "runbooks",
            pages,
        },
        highlighter: &HIGHLIGHTER,
        expander: &Expander { data: Some(data) },
        flavor: markdown::Flavor {
            search: true,
            ..Default::default()
        },
    });
    search(text, &rendered);
}

/// The page's search fragment, the index made of it, and a search of a few
/// of its own words: what the search box would find on this page.
fn search(text: &str, rendered: &markdown::Rendered) {
    use envbook::search::{find::find, index::Chunks, site};
    let mut fragment = site::page_fragment(
        &site::PageEntry {
            url: "runbooks/page/",
            title: "Page",
            section: String::new(),
            rendered,
        },
        true,
    );
    let json = std::mem::take(&mut fragment.json);
    let chunks = Chunks::new(vec![(0, std::sync::Arc::new(fragment))]);
    let files = chunks.files();
    let typed: String = text
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ");
    find(&typed, &mut |path| match path {
        "f/0.json" => Some(json.clone()),
        _ => files.get(path).map(|f| f.to_string()),
    });
}

/// Runs `check` on values of `strategy`: `CASES` of them with a fixed seed,
/// or for `ENVBOOK_FUZZ_SECS` seconds with a random one. A case that panics
/// or takes longer than `CASE_LIMIT` fails (proptest then shrinks it to a
/// small example); one that hangs is printed and ends the process.
pub fn fuzz<S>(name: &str, strategy: S, check: impl Fn(S::Value))
where
    S: Strategy,
    S::Value: Clone + Debug,
{
    let duration = std::env::var("ENVBOOK_FUZZ_SECS")
        .ok()
        .map(|s| Duration::from_secs(s.parse().expect("ENVBOOK_FUZZ_SECS is a number of seconds")));
    let config = Config {
        cases: if duration.is_some() { 10_000 } else { CASES },
        failure_persistence: None,
        ..Config::default()
    };
    // A runner runs its cases once: a new one (and seed) for each batch.
    let runner = || match duration {
        Some(_) => TestRunner::new(config.clone()),
        None => TestRunner::new_with_rng(
            config.clone(),
            TestRng::deterministic_rng(RngAlgorithm::ChaCha),
        ),
    };
    let trace = std::env::var_os("ENVBOOK_FUZZ_TRACE");
    let current: Arc<Mutex<Option<(Instant, String)>>> = Arc::default();
    let _watchdog = watchdog(name.to_string(), current.clone());
    let slowest = Mutex::new((Duration::ZERO, String::new()));
    let cases = Mutex::new(0u64);
    let start = Instant::now();
    loop {
        let result = runner().run(&strategy, |value| {
            let shown = format!("{value:?}");
            if let Some(trace) = &trace {
                std::fs::write(trace, &shown).expect("the trace file can be written");
            }
            *current.lock().unwrap() = Some((Instant::now(), shown.clone()));
            let started = Instant::now();
            check(value);
            let took = started.elapsed();
            *current.lock().unwrap() = None;
            *cases.lock().unwrap() += 1;
            let mut slowest = slowest.lock().unwrap();
            if took > slowest.0 {
                *slowest = (took, shown);
            }
            if took > CASE_LIMIT {
                return Err(TestCaseError::fail(format!("took {took:?}")));
            }
            Ok(())
        });
        *current.lock().unwrap() = None;
        if let Err(e) = result {
            panic!("fuzz::{name}: {e}");
        }
        if duration.is_none_or(|d| start.elapsed() >= d) {
            break;
        }
    }
    let slowest = slowest.lock().unwrap();
    eprintln!(
        "fuzz::{name}: {} cases in {:.0?}, slowest {:?}: {}",
        cases.lock().unwrap(),
        start.elapsed(),
        slowest.0,
        slowest.1
    );
}

/// Prints the case that has been running for a minute and aborts: a hang
/// cannot be caught like a panic.
fn watchdog(name: String, current: Arc<Mutex<Option<(Instant, String)>>>) -> Watchdog {
    let stop = Arc::new(Mutex::new(false));
    let stopped = stop.clone();
    std::thread::spawn(move || {
        while !*stopped.lock().unwrap() {
            if let Some((since, case)) = &*current.lock().unwrap()
                && since.elapsed() > Duration::from_secs(60)
            {
                eprintln!("fuzz::{name}: a case has run for a minute: {case}");
                std::process::abort();
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    });
    Watchdog(stop)
}

struct Watchdog(Arc<Mutex<bool>>);

impl Drop for Watchdog {
    fn drop(&mut self) {
        *self.0.lock().unwrap() = true;
    }
}

// ---- markdown ----

/// Markdown syntax, whole and in pieces.
const SYNTAX: &[&str] = &[
    "\n",
    "\n\n",
    "\r\n",
    "# ",
    "## ",
    "### ",
    "###### ",
    " {#x}",
    " {#app.host}",
    " {#fn-1}",
    " {.c #d}",
    "```",
    "```yaml\n",
    "```javascript\n",
    "```js\n",
    "```typescript\n",
    "```html\n",
    "```css\n",
    "```json\n",
    "```toml\n",
    "```python\n",
    "```go\n",
    "```c\n",
    "```hcl\n",
    "```sql\n",
    "```dockerfile\n",
    "```diff\n",
    "```ini\n",
    "```xml\n",
    "```bash\n",
    "{\n  a: 1\n  /* c */\n",
    "<script>x</script>",
    "/*",
    "*/",
    "\"",
    "'",
    "((((((((",
    "{{{{",
    "```\n",
    "~~~",
    "~~~rust\n",
    "```sh {a}\n",
    "    ",
    "\t",
    "`",
    "``",
    "[",
    "]",
    "(",
    ")",
    "[x](#x)",
    "[y](other.md#app.host)",
    "[z](my%20page.md)",
    "[w](<my page.md>)",
    "[v](../../x.md)",
    "[u](db.md#%C3%A9)",
    "<other.md>",
    "![i](img.png)",
    "[^1]",
    "[^1]: ",
    "[^a.b]",
    "[^a-b]: note\n",
    "[r]: /url \"t\"\n",
    "[r]",
    "| a | b |\n",
    "|---|---|\n",
    "| ",
    " |",
    "<div id=\"x\">",
    "</div>",
    "<q><qq>",
    "<span title=\"{{",
    "\">",
    "<!--",
    "-->",
    "<pre>",
    "</pre>",
    "> ",
    "> [!NOTE]\n",
    "> [!WARNING]\n",
    "- ",
    "1. ",
    "- [ ] ",
    "* ",
    "*",
    "**",
    "_",
    "~~",
    "---\n",
    "===\n",
    "\\",
    "\\{{",
    "\\\\{{",
    "{{",
    "}}",
    "{",
    "}",
    "\"",
    "&amp;",
    "&#0;",
    "&#x110000;",
    "<",
    ">",
    "=",
    ",",
    "https://x.example/",
    "javascript:alert(1)",
    "$$",
];

/// Characters that broke envbook before, or break naive code.
const ODD: &[&str] = &[
    "\u{E000}",
    "\u{E001}",
    "\u{E000}0\u{E001}",
    "\u{E000}99\u{E001}",
    "\u{a0}",
    "\u{3000}",
    "\u{feff}",
    "\0",
    "\u{2028}",
    "\u{200b}",
    "é",
    "😀",
    "\u{301}",
    "\r",
    "\u{1F1EB}\u{1F1F7}",
];

fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        5 => select(SYNTAX).prop_map(String::from),
        3 => directive(),
        2 => "[a-zA-Z0-9 .-]{0,8}",
        1 => any::<String>().prop_map(|s| s.chars().take(6).collect()),
        1 => select(ODD).prop_map(String::from),
    ]
}

/// `(front matter, body)`.
fn page() -> impl Strategy<Value = (String, String)> {
    let front = select(&["", "", "---\ntitle: T\n---\n", "---\r\n---\r\n"][..]);
    (
        front.prop_map(String::from),
        prop::collection::vec(piece(), 0..80).prop_map(|v| v.concat()),
    )
}

/// A directive call, often almost right.
fn directive() -> impl Strategy<Value = String> {
    let space = || select(&["", " ", "  ", "\u{a0}", "\u{3000}", "\t"][..]);
    let name = prop_oneof![
        4 => select(&["matrix", "shared", "value"][..]).prop_map(String::from),
        1 => "[a-z_]{0,6}",
        1 => select(&["", "#include x.md", "x.y", ".Values.image", "matrix("][..]).prop_map(String::from),
    ];
    let key = select(&["section", "all", "envs", "key", "env", "sectoin", "", "a b"][..]);
    let value = select(
        &[
            "\"app\"",
            "\"k\"",
            "\"nope\"",
            "\"app.host\"",
            "\"k.mode\"",
            "\"app.replicas\"",
            "\"dev\"",
            "\"prod\"",
            "\"staging\"",
            "true",
            "false",
            "[\"dev\"]",
            "[\"prod\", \"dev\"]",
            "[]",
            "[\"dev\",]",
            "[1]",
            "\"unterminated",
            "\"a\\\"}}b\"",
            "\"\\\\\"",
            "\"\u{E000}0\u{E001}\"",
            "tru",
            "",
            "\"}}\"",
            "{{",
        ][..],
    );
    let arg = (
        key,
        space(),
        value,
        space(),
        select(&[",", ", ", "", ",,", "\u{3000},"][..]),
    )
        .prop_map(|(k, s, v, t, sep)| format!("{k}{s}={t}{v}{sep}"));
    (
        space(),
        name,
        prop::collection::vec(arg, 0..4),
        select(&["(", "( ", ""][..]),
        select(&[")", " )", ""][..]),
        space(),
        select(&["}}", "}}", "}", ""][..]),
    )
        .prop_map(|(s, name, args, open, close, t, end)| {
            format!("{{{{{s}{name}{open}{}{close}{t}{end}", args.concat())
        })
}

// ---- data ----

/// A YAML value, written out by [`yaml`].
#[derive(Debug, Clone)]
enum Y {
    Scalar(String),
    Alias(u8),
    Anchor(u8, Box<Y>),
    /// Items, and whether written in flow style (`[a, b]`).
    Seq(Vec<Y>, bool),
    Map(Vec<(String, Y)>, bool),
}

const KEYS: &[&str] = &[
    "environments",
    "sections",
    "settings",
    "id",
    "title",
    "label",
    "values",
    "value",
    "optional",
    "format",
    "note",
    "text",
    "markdown",
    "code",
    "label-header",
    "dev",
    "prod",
    "staging",
    "x",
    "<<",
    "'id'",
    "\"values\"",
    "? a",
    "-",
    "é",
];

const SCALARS: &[&str] = &[
    "dev",
    "prod",
    "staging",
    "app",
    "host",
    "k",
    "0755",
    "1.10",
    "NO",
    "on",
    "yes",
    "~",
    "null",
    "''",
    "\"\"",
    "'it''s'",
    "\"a\\tb\\u00e9\"",
    "\"\\0\"",
    ".inf",
    "-1",
    "2024-01-01",
    "text",
    "markdown",
    "code",
    "true",
    "false",
    "'`code` [x](javascript:alert(1))'",
    "'{{ value() }}'",
    "'<script>x</script>'",
    "\u{E000}0\u{E001}",
    "\u{a0}",
    "é",
    "a b",
];

/// Scalars that are wrong somewhere: YAML syntax in a value's place.
const BAD_SCALARS: &[&str] = &[
    "a: b",
    "#c",
    "*nope",
    "&x",
    "!!str 1",
    "!tag v",
    "- x",
    "[",
    "{",
    "]",
    "\t",
    "?",
    ":",
    "|\n  block",
    ">-\n  folded",
    "'unclosed",
    "\"\\q\"",
    "%YAML 1.2",
    "---",
    "...",
    "@",
    "`",
];

fn scalar() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => select(SCALARS).prop_map(String::from),
        1 => select(BAD_SCALARS).prop_map(String::from),
        1 => "[a-z0-9.-]{0,10}",
    ]
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![6 => select(KEYS).prop_map(String::from), 1 => "[a-z-]{1,6}"]
}

/// Any YAML tree over the format's keys, with anchors and aliases.
fn tree() -> impl Strategy<Value = Y> {
    let leaf = prop_oneof![
        6 => scalar().prop_map(Y::Scalar),
        1 => (0..3u8).prop_map(Y::Alias),
    ];
    leaf.prop_recursive(6, 64, 6, |inner| {
        prop_oneof![
            3 => (prop::collection::vec((key(), inner.clone()), 0..6), any::<bool>())
                .prop_map(|(pairs, flow)| Y::Map(pairs, flow)),
            2 => (prop::collection::vec(inner.clone(), 0..6), any::<bool>())
                .prop_map(|(items, flow)| Y::Seq(items, flow)),
            1 => ((0..3u8), inner).prop_map(|(n, y)| Y::Anchor(n, Box::new(y))),
        ]
    })
}

fn map(pairs: Vec<(&str, Y)>) -> Y {
    Y::Map(
        pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
        false,
    )
}

fn s(text: &str) -> Y {
    Y::Scalar(text.to_string())
}

/// A data file shaped like the format, with mistakes and odd values.
fn shaped() -> impl Strategy<Value = Y> {
    let env_id = || select(&["dev", "prod", "staging", "qa", "dev", "a b", ""][..]);
    let env = (env_id(), scalar(), any::<bool>()).prop_map(|(id, title, flow)| {
        Y::Map(
            vec![("id".into(), s(id)), ("title".into(), Y::Scalar(title))],
            flow,
        )
    });
    let cell = prop_oneof![
        4 => scalar().prop_map(Y::Scalar),
        1 => (select(&["text", "markdown", "code", "txt"][..]), scalar())
            .prop_map(|(k, v)| Y::Map(vec![(k.to_string(), Y::Scalar(v))], true)),
        1 => tree(),
    ];
    let values = prop::collection::vec((env_id(), cell.clone()), 0..5).prop_map(|pairs| {
        Y::Map(
            pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
            false,
        )
    });
    let setting = (
        env_id(),
        scalar(),
        prop_oneof![
            values.prop_map(|v| ("values", v)),
            cell.prop_map(|c| ("value", c)),
        ],
        prop::option::of(select(&["true", "false", "maybe"][..])),
        prop::option::of(select(&["text", "code", "markdown", "html"][..])),
        prop::option::of(scalar()),
    )
        .prop_map(|(id, label, (k, v), optional, format, note)| {
            let mut pairs = vec![("id", s(id)), ("label", Y::Scalar(label)), (k, v)];
            pairs.extend(optional.map(|o| ("optional", s(o))));
            pairs.extend(format.map(|f| ("format", s(f))));
            pairs.extend(note.map(|n| ("note", Y::Scalar(n))));
            map(pairs)
        });
    let section = (
        select(&["app", "k", "app", "x.y", ""][..]),
        prop::option::of(scalar()),
        prop::collection::vec(setting, 0..4),
    )
        .prop_map(|(id, header, settings)| {
            let mut pairs = vec![("id", s(id)), ("title", s("T"))];
            pairs.extend(header.map(|h| ("label-header", Y::Scalar(h))));
            pairs.push(("settings", Y::Seq(settings, false)));
            map(pairs)
        });
    (
        prop::collection::vec(env, 0..4),
        prop::collection::vec(section, 0..3),
        prop::option::of((key(), tree())),
    )
        .prop_map(|(envs, sections, extra)| {
            let mut pairs = vec![
                (
                    "environments".to_string(),
                    Y::Anchor(0, Box::new(Y::Seq(envs, false))),
                ),
                ("sections".to_string(), Y::Seq(sections, false)),
            ];
            pairs.extend(extra);
            Y::Map(pairs, false)
        })
}

/// Text that is a valid label, note or value: plain, quoted, markdown, odd.
const TEXTS: &[&str] = &[
    "Host",
    "0755",
    "1.10",
    "NO",
    "on",
    "''",
    "'it''s'",
    "\"a\\tb\\u00e9\"",
    "'`code` [x](javascript:alert(1))'",
    "'{{ value(key=\"a.b\", env=\"dev\") }}'",
    "'<script>x</script>'",
    "\u{E000}0\u{E001}",
    "é",
    "a b",
    "'*a* <b>b</b> ![i](data:x)'",
    "'#1'",
    "\"\\0\"",
];

/// A data file that follows the format, with odd but valid values, so that
/// it goes on to every directive.
fn valid() -> impl Strategy<Value = Y> {
    let ids = ["dev", "staging", "prod"];
    (1..=3usize).prop_flat_map(move |n| {
        let envs: Vec<&'static str> = ids[..n].to_vec();
        let text = || select(TEXTS).prop_map(String::from);
        let cell = prop_oneof![
            4 => text().prop_map(Y::Scalar),
            1 => Just(s("~")),
            1 => (select(&["text", "markdown", "code"][..]), text())
                .prop_map(|(k, v)| Y::Map(vec![(k.to_string(), Y::Scalar(v))], true)),
        ];
        let values =
            prop::collection::vec((cell.clone(), any::<bool>()), n).prop_map(move |cells| {
                let optional = cells.iter().any(|(_, skip)| *skip);
                let pairs = envs
                    .iter()
                    .zip(cells)
                    .filter(|(_, (_, skip))| !skip)
                    .map(|(e, (c, _))| (e.to_string(), c))
                    .collect();
                (Y::Map(pairs, false), optional)
            });
        let setting = (
            text(),
            prop_oneof![values, cell.prop_map(|c| (c, false))],
            prop::option::of(text()),
            prop::option::of(select(&["text", "code", "markdown"][..])),
        );
        let section = (
            prop::collection::vec(setting, 0..4),
            prop::option::of(text()),
            prop::option::of(select(&["text", "code", "markdown"][..])),
        );
        prop::collection::vec(section, 0..3).prop_map(move |sections| {
            let envs = ids[..n]
                .iter()
                .map(|id| map(vec![("id", s(id)), ("title", s(&id.to_uppercase()))]))
                .collect();
            let sections = sections
                .into_iter()
                .enumerate()
                .map(|(i, (settings, header, format))| {
                    let settings = settings
                        .into_iter()
                        .enumerate()
                        .map(|(j, (label, (cells, optional), note, format))| {
                            let key = if matches!(cells, Y::Map(_, false)) {
                                "values"
                            } else {
                                "value"
                            };
                            let mut pairs = vec![
                                ("id", s(&format!("s{j}"))),
                                ("label", Y::Scalar(label)),
                                (key, cells),
                                ("optional", s(if optional { "true" } else { "false" })),
                            ];
                            pairs.extend(note.map(|n| ("note", Y::Scalar(n))));
                            pairs.extend(format.map(|f| ("format", s(f))));
                            map(pairs)
                        })
                        .collect();
                    let mut pairs = vec![
                        ("id", s(&format!("sec{i}"))),
                        ("settings", Y::Seq(settings, false)),
                    ];
                    pairs.extend(header.map(|h| ("label-header", Y::Scalar(h))));
                    pairs.extend(format.map(|f| ("format", s(f))));
                    map(pairs)
                })
                .collect();
            map(vec![
                ("environments", Y::Seq(envs, false)),
                ("sections", Y::Seq(sections, false)),
            ])
        })
    })
}

/// A change to the written text: at a place (a fraction of its length).
#[derive(Debug, Clone)]
enum Edit {
    Insert(u16, &'static str),
    Cut(u16, u16),
    Crlf,
    Bom,
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        4 => (any::<u16>(), select(&["\0", "\t", "\n", " ", "  ", "\u{a0}", "\u{feff}", "&a ", "*a", "- ", ": ", "#", "'", "\"", "[", "}", "\r", "é", "\u{E000}"][..]))
            .prop_map(|(at, s)| Edit::Insert(at, s)),
        2 => (any::<u16>(), any::<u16>()).prop_map(|(a, b)| Edit::Cut(a, b)),
        1 => Just(Edit::Crlf),
        1 => Just(Edit::Bom),
    ]
}

/// A data file's text: a shaped or free tree, written out, then edited.
fn data_text() -> impl Strategy<Value = String> {
    (
        prop_oneof![2 => valid(), 2 => shaped(), 1 => tree()],
        prop::collection::vec(edit(), 0..3),
    )
        .prop_map(|(y, edits)| {
            let mut text = yaml(&y);
            for e in edits {
                let at = |f: u16, text: &str| floor(text, f as usize * text.len() / 65536);
                match e {
                    Edit::Insert(f, s) => text.insert_str(at(f, &text), s),
                    Edit::Cut(a, b) => {
                        let (a, b) = (at(a, &text), at(b, &text));
                        text.replace_range(a.min(b)..a.max(b), "");
                    }
                    Edit::Crlf => text = text.replace('\n', "\r\n"),
                    Edit::Bom => text.insert(0, '\u{feff}'),
                }
            }
            text
        })
}

fn floor(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// `y` as a YAML document.
fn yaml(y: &Y) -> String {
    let mut text = value(y, 0);
    if text.starts_with(['\n', ' ']) {
        text.remove(0);
    }
    text.push('\n');
    text
}

/// `y` as written after `key:` or `- `: inline, or block lines at `indent`.
fn value(y: &Y, indent: usize) -> String {
    let pad = " ".repeat(indent);
    match y {
        Y::Scalar(s) => format!(" {s}"),
        Y::Alias(n) => format!(" *a{n}"),
        Y::Anchor(n, inner) => format!(" &a{n}{}", value(inner, indent)),
        Y::Seq(items, false) if !items.is_empty() => items
            .iter()
            .map(|item| format!("\n{pad}-{}", value(item, indent + 2)))
            .collect(),
        Y::Map(pairs, false) if !pairs.is_empty() => pairs
            .iter()
            .map(|(k, v)| format!("\n{pad}{k}:{}", value(v, indent + 2)))
            .collect(),
        _ => format!(" {}", flow(y)),
    }
}

fn flow(y: &Y) -> String {
    match y {
        Y::Scalar(s) => s.clone(),
        Y::Alias(n) => format!("*a{n}"),
        Y::Anchor(n, inner) => format!("&a{n} {}", flow(inner)),
        Y::Seq(items, _) => format!(
            "[{}]",
            items.iter().map(flow).collect::<Vec<_>>().join(", ")
        ),
        Y::Map(pairs, _) => format!(
            "{{{}}}",
            pairs
                .iter()
                .map(|(k, v)| format!("{k}: {}", flow(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}
