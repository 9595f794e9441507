//! Highlighting throughput on a corpus's code blocks: every fenced block with a
//! language in the folder's markdown files, highlighted on one thread by
//! envbook's highlighter (tree-sitter), by syntect with bat's syntaxes (what
//! envbook used before) and by giallo (Zola's). Each highlighter runs once to
//! warm up, then RUNS times; the median is reported. Then each gets the
//! javascript block that made syntect loop forever, with a time limit.
//!
//! Usage: cargo run --release -- CORPUS_FOLDER [RUNS]

use std::path::Path;
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use pulldown_cmark::{CodeBlockKind, Event, Parser, Tag, TagEnd};

type Highlight = Arc<dyn Fn(&str, &str) -> Option<String> + Send + Sync>;
type Make = fn() -> Highlight;

/// The block of issue 8: syntect's JavaScript syntax never finishes it.
const HANG: (&str, &str) = ("javascript", "{\n  a: 1\n  /* c */\n");
const HANG_LIMIT: Duration = Duration::from_secs(10);

struct Block {
    lang: String,
    code: String,
}

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(folder) = args.next() else {
        eprintln!("usage: highlight-bench CORPUS_FOLDER [RUNS]");
        std::process::exit(2);
    };
    let runs: usize = args
        .next()
        .map_or(5, |r| r.parse().expect("RUNS is a number"));
    let blocks = blocks(Path::new(&folder));
    let lines: usize = blocks.iter().map(|b| b.code.lines().count()).sum();
    let bytes: usize = blocks.iter().map(|b| b.code.len()).sum();
    println!(
        "{} code blocks, {lines} lines, {bytes} bytes; one thread, median of {runs} runs\n",
        blocks.len()
    );
    println!("| highlighter | blocks highlighted | setup + first run | median run | lines/s |");
    println!("|---|---:|---:|---:|---:|");
    let highlighters: [(&str, Make); 3] = [
        ("envbook (tree-sitter, arborium grammars)", envbook),
        ("syntect 5 (bat's syntaxes)", syntect),
        ("giallo 0.5", giallo),
    ];
    let mut made = Vec::new();
    for (name, make) in highlighters {
        let started = Instant::now();
        let highlight = make();
        let known = blocks
            .iter()
            .filter(|b| highlight(&b.code, &b.lang).is_some())
            .count();
        let first = started.elapsed();
        let mut times: Vec<Duration> = (0..runs)
            .map(|_| {
                let started = Instant::now();
                for b in &blocks {
                    std::hint::black_box(highlight(&b.code, &b.lang));
                }
                started.elapsed()
            })
            .collect();
        times.sort();
        let median = times[times.len() / 2];
        println!(
            "| {name} | {known} | {:.0} ms | {:.0} ms | {:.0} |",
            first.as_secs_f64() * 1e3,
            median.as_secs_f64() * 1e3,
            lines as f64 / median.as_secs_f64(),
        );
        made.push((name, highlight));
    }
    // Last: a probe that never finishes keeps a core busy.
    println!(
        "\nThe issue-8 block (`{}` in {}):\n",
        HANG.1.escape_debug(),
        HANG.0
    );
    for (name, highlight) in made {
        println!("- {name}: {}", hang_probe(highlight));
    }
    // A highlighter still looping on the probe's thread must not keep the process alive.
    std::process::exit(0);
}

/// Every fenced block with a language, in file order.
fn blocks(folder: &Path) -> Vec<Block> {
    let mut files: Vec<_> = walkdir::WalkDir::new(folder)
        .into_iter()
        .map(|e| e.expect("reading the corpus"))
        .filter(|e| e.path().extension().is_some_and(|x| x == "md"))
        .map(|e| e.into_path())
        .collect();
    files.sort();
    let mut blocks = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("reading a page");
        let mut open: Option<Block> = None;
        for event in Parser::new(&text) {
            match event {
                Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info))) => {
                    let lang = info.split([' ', ',', '{']).next().unwrap_or("");
                    open = (!lang.is_empty()).then(|| Block {
                        lang: lang.to_string(),
                        code: String::new(),
                    });
                }
                Event::Text(t) => {
                    if let Some(b) = &mut open {
                        b.code.push_str(&t)
                    }
                }
                Event::End(TagEnd::CodeBlock) => blocks.extend(open.take()),
                _ => {}
            }
        }
    }
    blocks
}

/// Whether the issue-8 block finishes within the limit.
fn hang_probe(highlight: Highlight) -> String {
    let (tx, rx) = mpsc::channel();
    let started = Instant::now();
    std::thread::spawn(move || tx.send(highlight(HANG.1, HANG.0).is_some()));
    match rx.recv_timeout(HANG_LIMIT) {
        Ok(true) => format!(
            "highlighted in {:.1} ms",
            started.elapsed().as_secs_f64() * 1e3
        ),
        Ok(false) => "left plain".to_string(),
        Err(_) => format!("still running after {} s", HANG_LIMIT.as_secs()),
    }
}

fn envbook() -> Highlight {
    let highlighter = envbook::markdown::Highlighter::default();
    Arc::new(move |code, lang| highlighter.highlight(code, lang)?.ok())
}

/// envbook's highlighter before this benchmark was written, unchanged.
fn syntect() -> Highlight {
    use syntect::html::{ClassStyle, ClassedHTMLGenerator};
    use syntect::util::LinesWithEndings;
    let syntaxes = two_face::syntax::extra_newlines();
    let alias = |lang: &str| -> Option<&'static str> {
        Some(match lang {
            "terraform" | "tf" => "hcl",
            "shell" | "console" | "zsh" => "bash",
            "yml" => "yaml",
            "jsonc" | "json5" => "json",
            "dockerfile" => "Dockerfile",
            _ => return None,
        })
    };
    Arc::new(move |code, lang| {
        let syntax = syntaxes
            .find_syntax_by_token(lang)
            .or_else(|| syntaxes.find_syntax_by_token(alias(lang)?))?;
        let style = ClassStyle::SpacedPrefixed { prefix: "hl-" };
        let mut html = ClassedHTMLGenerator::new_with_class_style(syntax, &syntaxes, style);
        for line in LinesWithEndings::from(code) {
            html.parse_html_for_line_which_includes_newline(line).ok()?;
        }
        Some(html.finalize())
    })
}

/// Class-based output with a light and a dark theme, as envbook's.
fn giallo() -> Highlight {
    use giallo::{HighlightOptions, HtmlRenderer, Registry, RenderOptions, ThemeVariant};
    let mut registry = Registry::builtin().expect("giallo's registry");
    registry.link_grammars();
    let renderer = HtmlRenderer {
        css_class_prefix: Some("g-".to_string()),
        ..Default::default()
    };
    Arc::new(move |code, lang| {
        if !registry.contains_grammar(lang) {
            return None;
        }
        let theme = ThemeVariant::Dual {
            light: "github-light",
            dark: "one-dark-pro",
        };
        let highlighted = registry
            .highlight(code, &HighlightOptions::new(lang, theme))
            .ok()?;
        Some(renderer.render(&highlighted, &RenderOptions::default()))
    })
}
