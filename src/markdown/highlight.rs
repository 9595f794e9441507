//! Build-time syntax highlighting with tree-sitter and arborium's grammars:
//! code becomes `<span class="hl-…">`, coloured by a generated stylesheet with
//! a light and a dark palette.
//!
//! Parsing and the queries stop when a block's budget is spent, in steps or
//! in time. Parsing and querying real code calls tree-sitter's progress
//! callback 26 times per KB on the median of 4,000 blocks of thirteen real
//! books, 145 at most (a Rust Cookbook block of closures), so a block gets
//! 400 per KB, and 50 at least: some malformed input never ends otherwise
//! (TypeScript with a stray no-break space, 140 bytes, loops for ever), and
//! a step budget stops it at once and alike on every machine. Some other
//! input takes steps that grow slower with its length (20,000 `(` as
//! JavaScript: 0.8 s in 200 callbacks): the time budget stops those. Such a
//! block is left plain and the caller says so.
//!
//! With a [`Store`], a block highlighted by an earlier build is taken
//! from it, by a key naming the highlighter, the language and the code.

use std::ops::{ControlFlow, Range};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use arborium_highlight::{HtmlFormat, Span, spans_to_html};
use arborium_theme::{HIGHLIGHTS, Style, Theme, capture_to_slot, slot_to_highlight_index};
use sha2::{Digest, Sha256};
use tree_sitter::{
    Language, ParseOptions, Parser, Query, QueryCursor, QueryCursorOptions, QueryCursorState,
    StreamingIterator, Tree,
};

/// Time for one block: a hundred times what a 24 KB Rust file takes.
pub const BUDGET: Duration = Duration::from_secs(1);
/// Progress callbacks a block may take, per KB and at least.
const CALLBACKS_PER_KB: usize = 400;
const MIN_CALLBACKS: usize = 50;
/// Grammars whose scanner must not see a non-ASCII character: tree-sitter-bash
/// calls C's `isdigit()` on the code point after a `{`, which reads past
/// glibc's table, and for characters from U+E0000 on, crashes the process
/// (found by fuzzing). They read the block with each non-ASCII byte as `a`:
/// the same offsets, and words stay words.
const ASCII_ONLY: &[&str] = &["bash"];
/// How deep languages nest: JavaScript in HTML, JSDoc in that JavaScript.
const MAX_INJECTION_DEPTH: usize = 2;

/// What a cached block's HTML was made by. Bump the number when the same
/// code may highlight differently in the same release: a change to this file,
/// to the languages' names, or to tree-sitter or arborium (grammars, queries,
/// renderer; the test `the_cache_version_follows_the_highlighting_crates`
/// fails until their versions are recorded again). A release changes the
/// crate's version, which is part of it too.
const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "/highlight-1");

/// Bytes kept between builds under a [`Key`] (the build cache; see
/// `crate::cache`): highlighted blocks here, rendered pages in `site`. Its
/// errors are its own: what it cannot give is computed again.
pub trait Store: Send + Sync {
    fn get(&self, key: &Key) -> Option<Vec<u8>>;
    fn put(&self, key: &Key, bytes: &[u8]);
    /// Keeps what was put since the last save, for the builds to come.
    fn save(&self);
    /// Marks `key` as still needed, though this build did not read it (a
    /// page left as it was: its markdown stays current).
    fn keep(&self, _key: &Key) {}
    /// After a whole build that succeeded: drops the entries it neither
    /// read, wrote nor kept, if they are most of the store.
    fn collect(&self) {}
}

/// A block's name in a [`Store`]: SHA-256 of the highlighter's version,
/// the language and the code (a hash stable across Rust versions and
/// machines, unlike std's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key(pub [u8; 32]);

impl Key {
    /// The key of `parts`, each prefixed by its length so that no two lists run together.
    pub fn of(parts: &[&[u8]]) -> Key {
        let mut hasher = Sha256::new();
        for part in parts {
            hasher.update((part.len() as u64).to_le_bytes());
            hasher.update(part);
        }
        Key(hasher.finalize().into())
    }

    fn new(version: &str, lang: &str, code: &str) -> Key {
        let mut hasher = Sha256::new();
        // No version or language name holds a NUL, so no two inputs run together.
        for part in [version, "\0", lang, "\0", code] {
            hasher.update(part.as_bytes());
        }
        Key(hasher.finalize().into())
    }
}

/// Why a block in a known language was left plain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OverBudget;

/// The languages, their queries compiled on first use and shared by every
/// page, and the cache of blocks highlighted by earlier builds, if any.
pub struct Highlighter {
    grammars: Vec<Grammar>,
    format: HtmlFormat,
    budget: Duration,
    cache: Option<Box<dyn Store>>,
    /// Parsers and cursors between blocks: one keeps its allocations (its
    /// trees' and stack's pools) from parse to parse, a third of the time of
    /// a block of YAML or shell as written in docs. One per thread at most.
    tools: Mutex<Vec<Tools>>,
}

/// A language: the fence names that select it, where its grammar and
/// queries come from, and the compiled form once a block has needed it.
struct Grammar {
    names: Names,
    source: SourceFn,
    compiled: OnceLock<Option<Compiled>>,
}

type Names = &'static [&'static str];
type SourceFn = fn() -> Source;

struct Source {
    language: Language,
    highlights: &'static str,
    injections: &'static str,
}

struct Compiled {
    language: Language,
    /// Read with every non-ASCII byte as `a` (see [`ASCII_ONLY`]).
    ascii_only: bool,
    highlights: Query,
    injections: Option<Injections>,
}

struct Injections {
    query: Query,
    content: u32,
    language: Option<u32>,
}

macro_rules! source {
    ($krate:ident) => {
        || Source {
            language: Language::new($krate::language()),
            highlights: &$krate::HIGHLIGHTS_QUERY,
            injections: $krate::INJECTIONS_QUERY,
        }
    };
}

/// Fence names are matched without regard to case; the first is the language's own.
const LANGUAGES: &[(Names, SourceFn)] = &[
    (
        &["bash", "sh", "shell", "console", "zsh", "shellsession"],
        source!(arborium_bash),
    ),
    (&["c", "h"], source!(arborium_c)),
    (&["css"], source!(arborium_css)),
    (&["diff", "patch"], source!(arborium_diff)),
    (
        &["dockerfile", "docker", "containerfile"],
        source!(arborium_dockerfile),
    ),
    (&["go", "golang"], source!(arborium_go)),
    (&["hcl", "terraform", "tf", "tfvars"], source!(arborium_hcl)),
    (&["html", "htm", "xhtml"], source!(arborium_html)),
    (&["ini", "cfg", "editorconfig"], source!(arborium_ini)),
    (
        &["javascript", "js", "jsx", "mjs", "cjs"],
        source!(arborium_javascript),
    ),
    (&["json", "jsonc", "json5"], source!(arborium_json)),
    (&["python", "py", "python3"], source!(arborium_python)),
    (&["rust", "rs"], source!(arborium_rust)),
    (&["sql"], source!(arborium_sql)),
    (&["toml"], source!(arborium_toml)),
    (
        &["typescript", "ts", "mts", "cts"],
        source!(arborium_typescript),
    ),
    (&["xml", "svg"], source!(arborium_xml)),
    (&["yaml", "yml"], source!(arborium_yaml)),
];

impl Default for Highlighter {
    fn default() -> Self {
        Highlighter {
            grammars: LANGUAGES
                .iter()
                .map(|&(names, source)| Grammar {
                    names,
                    source,
                    compiled: OnceLock::new(),
                })
                .collect(),
            format: HtmlFormat::ClassNamesWithPrefix("hl".into()),
            budget: BUDGET,
            cache: None,
            tools: Mutex::default(),
        }
    }
}

impl Highlighter {
    /// The highlighter, taking blocks from `cache` and keeping them there.
    pub fn with_cache(self, cache: impl Store + 'static) -> Highlighter {
        Highlighter {
            cache: Some(Box::new(cache)),
            ..self
        }
    }

    /// Keeps the blocks highlighted since the last save in the cache: called
    /// after each build.
    /// What names this highlighter's output: a change of it changes the HTML.
    pub fn version(&self) -> &'static str {
        VERSION
    }

    pub fn save_cache(&self) {
        if let Some(cache) = &self.cache {
            cache.save();
        }
    }

    /// The highlighted HTML for `code`: `None` for a language it does not know,
    /// `Some(Err(OverBudget))` when it took longer than the budget.
    pub fn highlight(&self, code: &str, lang: &str) -> Option<Result<String, OverBudget>> {
        let grammar = self.grammar(lang)?;
        let Some(cache) = &self.cache else {
            return self.highlight_with(grammar.compiled()?, code);
        };
        // The language's own name: its aliases give the same HTML.
        let key = Key::new(VERSION, grammar.names[0], code);
        if let Some(html) = cache.get(&key).and_then(|b| String::from_utf8(b).ok()) {
            return Some(Ok(html));
        }
        let highlighted = self.highlight_with(grammar.compiled()?, code);
        // A block over budget is not kept: the next build tries again, and
        // gives the same warning as a build without the cache would.
        if let Some(Ok(html)) = &highlighted {
            cache.put(&key, html.as_bytes());
        }
        highlighted
    }

    fn highlight_with(&self, grammar: &Compiled, code: &str) -> Option<Result<String, OverBudget>> {
        let tools = self.tools.lock().ok().and_then(|mut t| t.pop());
        let mut job = Job {
            highlighter: self,
            tools: tools.unwrap_or_else(Tools::new),
            budget: Budget {
                deadline: Instant::now() + self.budget,
                callbacks: MIN_CALLBACKS + code.len() * CALLBACKS_PER_KB / 1024,
                spent: false,
            },
        };
        let mut spans = Vec::new();
        let found = job.spans(grammar, code, 0, 0, &mut spans);
        // A parse stopped half-way would resume on the next block's code.
        job.tools.parser.reset();
        if let Ok(mut tools) = self.tools.lock() {
            tools.push(job.tools);
        }
        Some(found.map(|()| self.render(code, spans)))
    }

    fn grammar(&self, lang: &str) -> Option<&Grammar> {
        self.grammars
            .iter()
            .find(|g| g.names.iter().any(|n| n.eq_ignore_ascii_case(lang)))
    }

    /// The grammar named `lang`, compiled (see [`Grammar::compiled`]).
    fn compiled(&self, lang: &str) -> Option<&Compiled> {
        self.grammar(lang)?.compiled()
    }

    fn render(&self, code: &str, mut spans: Vec<Span>) -> String {
        // A span of text read as ASCII may cut a character; the renderer slices by byte.
        spans.retain(|s| {
            code.is_char_boundary(s.start as usize) && code.is_char_boundary(s.end as usize)
        });
        let mut html = spans_to_html(code, spans, &self.format);
        // The renderer drops trailing newlines; plain blocks keep them.
        html.push_str(&code[code.trim_end_matches('\n').len()..]);
        html
    }

    /// The stylesheet for the classes: GitHub's light palette, and One Dark
    /// under `prefers-color-scheme: dark`.
    pub fn stylesheet() -> String {
        // One family, so a keyword is red and a string blue in both.
        let light = arborium_theme::builtin::github_light();
        let dark = arborium_theme::builtin::github_dark();
        // Dark by the system's setting unless the theme switch chose light,
        // and when it chose dark (see envbook.css).
        format!(
            "/* Generated by envbook from arborium's themes {:?} and {:?}, each colour at least {MIN_CONTRAST}:1 on the code background. */\n{}@media (prefers-color-scheme: dark) {{\n{}}}\n{}",
            light.name,
            dark.name,
            css_rules(&light, CODE_BG_LIGHT, ""),
            css_rules(&dark, CODE_BG_DARK, "  :root:not([data-theme=\"light\"]) "),
            css_rules(&dark, CODE_BG_DARK, ":root[data-theme=\"dark\"] "),
        )
    }
}

impl Grammar {
    /// Compiled on first use; `None` if its queries do not compile (a plain
    /// block then, as for an unknown language).
    fn compiled(&self) -> Option<&Compiled> {
        self.compiled
            .get_or_init(|| compile((self.source)(), ASCII_ONLY.contains(&self.names[0])))
            .as_ref()
    }
}

fn compile(source: Source, ascii_only: bool) -> Option<Compiled> {
    let language = source.language;
    let highlights = Query::new(&language, source.highlights).ok()?;
    let injections = match source.injections {
        "" => None,
        text => {
            let query = Query::new(&language, text).ok()?;
            let content = query.capture_index_for_name("injection.content")?;
            let language = query.capture_index_for_name("injection.language");
            Some(Injections {
                query,
                content,
                language,
            })
        }
    };
    Some(Compiled {
        language,
        ascii_only,
        highlights,
        injections,
    })
}

/// One block's highlighting: a parser, a query cursor and what is left of the budget.
struct Job<'h> {
    highlighter: &'h Highlighter,
    tools: Tools,
    budget: Budget,
}

struct Tools {
    parser: Parser,
    cursor: QueryCursor,
}

impl Tools {
    fn new() -> Tools {
        Tools {
            parser: Parser::new(),
            cursor: QueryCursor::new(),
        }
    }
}

/// tree-sitter calls back every 100 steps of a parse or a query; past the
/// deadline or the number of callbacks, the answer stops it.
struct Budget {
    deadline: Instant,
    callbacks: usize,
    spent: bool,
}

impl Budget {
    fn spend(&mut self) -> ControlFlow<()> {
        self.callbacks = self.callbacks.saturating_sub(1);
        self.spent |= self.callbacks == 0 || Instant::now() >= self.deadline;
        if self.spent {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    }

    fn check(&self) -> Result<(), OverBudget> {
        if self.spent { Err(OverBudget) } else { Ok(()) }
    }
}

impl Job<'_> {
    /// Adds the spans of `code` (at `offset` in the block) to `spans`, then
    /// those of the languages injected into it.
    fn spans(
        &mut self,
        grammar: &Compiled,
        code: &str,
        offset: u32,
        depth: usize,
        spans: &mut Vec<Span>,
    ) -> Result<(), OverBudget> {
        let ascii: String;
        let code = if grammar.ascii_only && !code.is_ascii() {
            let bytes = code.bytes().map(|b| if b.is_ascii() { b } else { b'a' });
            ascii = bytes.map(char::from).collect();
            ascii.as_str()
        } else {
            code
        };
        let budget = &mut self.budget;
        self.tools
            .parser
            .set_language(&grammar.language)
            .map_err(|_| OverBudget)?;
        let tree = self
            .tools
            .parser
            .parse_with_options(
                &mut |i, _| code.as_bytes().get(i..).unwrap_or_default(),
                None,
                Some(ParseOptions::new().progress_callback(&mut |_| budget.spend())),
            )
            .ok_or(OverBudget)?;
        let names = grammar.highlights.capture_names();
        // Named, not a temporary: the matches keep a pointer to it, which
        // tree-sitter's signature does not tie to their lifetime.
        let mut spend = |_: &QueryCursorState| budget.spend();
        let mut matches = self.tools.cursor.matches_with_options(
            &grammar.highlights,
            tree.root_node(),
            code.as_bytes(),
            QueryCursorOptions::new().progress_callback(&mut spend),
        );
        while let Some(m) = matches.next() {
            for capture in m.captures {
                let node = capture.node;
                spans.push(Span {
                    start: offset + node.start_byte() as u32,
                    end: offset + node.end_byte() as u32,
                    capture: names[capture.index as usize].to_string(),
                    pattern_index: m.pattern_index as u32,
                });
            }
        }
        self.budget.check()?;
        if depth < MAX_INJECTION_DEPTH
            && let Some(injections) = &grammar.injections
        {
            for (range, lang) in self.injections(injections, &tree, code)? {
                // Each costs a parse, even one too short to be called back.
                if self.budget.spend().is_break() {
                    return Err(OverBudget);
                }
                if let Some(inner) = self.highlighter.compiled(&lang) {
                    let start = offset + range.start as u32;
                    self.spans(inner, &code[range], start, depth + 1, spans)?;
                }
            }
        }
        Ok(())
    }

    /// The ranges of `code` written in another language, with that language's name.
    fn injections(
        &mut self,
        injections: &Injections,
        tree: &Tree,
        code: &str,
    ) -> Result<Vec<(Range<usize>, String)>, OverBudget> {
        let query = &injections.query;
        let budget = &mut self.budget;
        let mut found = Vec::new();
        let mut spend = |_: &QueryCursorState| budget.spend(); // Named: see `spans`.
        let mut matches = self.tools.cursor.matches_with_options(
            query,
            tree.root_node(),
            code.as_bytes(),
            QueryCursorOptions::new().progress_callback(&mut spend),
        );
        while let Some(m) = matches.next() {
            let set = query
                .property_settings(m.pattern_index)
                .iter()
                .find(|p| &*p.key == "injection.language")
                .and_then(|p| p.value.as_deref().map(str::to_string));
            let named = || {
                let node = m.nodes_for_capture_index(injections.language?).next()?;
                Some(node.utf8_text(code.as_bytes()).ok()?.to_string())
            };
            let content = m.nodes_for_capture_index(injections.content).next();
            if let (Some(node), Some(lang)) = (content, set.or_else(named)) {
                found.push((node.byte_range(), lang));
            }
        }
        self.budget.check()?;
        Ok(found)
    }
}

/// One rule per class the renderer writes (`hl-keyword`, `hl-string`…).
/// The code blocks' background in the theme's palettes (`--code-bg` in
/// envbook.css; a test holds them together).
const CODE_BG_LIGHT: &str = "#f6f8fa";
const CODE_BG_DARK: &str = "#151b23";
/// WCAG's contrast for normal text (comments were 2.7:1 before).
const MIN_CONTRAST: f64 = 4.5;

/// One rule per highlight class, each selector after `prefix`.
fn css_rules(theme: &Theme, background: &str, prefix: &str) -> String {
    let mut slots = Vec::new();
    for def in HIGHLIGHTS {
        let slot = capture_to_slot(def.name);
        if !slots.contains(&slot) {
            slots.push(slot);
        }
    }
    let mut css = String::new();
    for slot in slots {
        let (Some(name), Some(index)) = (slot.name(), slot_to_highlight_index(slot)) else {
            continue;
        };
        let declarations = declarations(&theme.styles[index], background);
        if !declarations.is_empty() {
            css.push_str(&format!("{prefix}.hl-{name} {{{declarations} }}\n"));
        }
    }
    css
}

fn declarations(style: &Style, background: &str) -> String {
    let mut css = String::new();
    if let Some(fg) = &style.fg {
        css.push_str(&format!(" color: {};", readable(&fg.to_hex(), background)));
    }
    if style.modifiers.bold {
        css.push_str(" font-weight: bold;");
    }
    if style.modifiers.italic {
        css.push_str(" font-style: italic;");
    }
    match (style.modifiers.underline, style.modifiers.strikethrough) {
        (true, true) => css.push_str(" text-decoration: underline line-through;"),
        (true, false) => css.push_str(" text-decoration: underline;"),
        (false, true) => css.push_str(" text-decoration: line-through;"),
        (false, false) => {}
    }
    css
}

/// `colour` moved towards black on a light background, white on a dark
/// one, until it reads at [`MIN_CONTRAST`] on it.
fn readable(colour: &str, background: &str) -> String {
    let (Some(mut rgb), Some(bg)) = (rgb(colour), rgb(background)) else {
        return colour.to_string();
    };
    let target = match luminance(bg) > 0.5 {
        true => 0.0,
        false => 255.0,
    };
    while contrast(rgb, bg) < MIN_CONTRAST && rgb.iter().any(|&c| (c - target).abs() > 0.5) {
        rgb = rgb.map(|c| c + (target - c) * 0.05);
    }
    format!(
        "#{:02x}{:02x}{:02x}",
        rgb[0].round() as u8,
        rgb[1].round() as u8,
        rgb[2].round() as u8
    )
}

fn rgb(hex: &str) -> Option<[f64; 3]> {
    let hex = hex.strip_prefix('#').filter(|h| h.len() >= 6)?;
    let channel = |i: usize| {
        u8::from_str_radix(hex.get(i..i + 2)?, 16)
            .ok()
            .map(f64::from)
    };
    Some([channel(0)?, channel(2)?, channel(4)?])
}

/// WCAG's relative luminance.
fn luminance(rgb: [f64; 3]) -> f64 {
    let linear = |c: f64| {
        let c = c / 255.0;
        if c <= 0.03928 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * linear(rgb[0]) + 0.7152 * linear(rgb[1]) + 0.0722 * linear(rgb[2])
}

fn contrast(a: [f64; 3], b: [f64; 3]) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A line of each language, under its first name.
    const SAMPLES: &[(&str, &str)] = &[
        ("bash", "echo \"$HOME\" # home\n"),
        ("c", "int main(void) { return 0; }\n"),
        ("css", ".a { color: red; }\n"),
        ("diff", "--- a\n+++ b\n-old\n+new\n"),
        ("dockerfile", "FROM debian:13\nRUN apt-get update\n"),
        ("go", "func main() { fmt.Println(\"hi\") }\n"),
        (
            "hcl",
            "resource \"aws_s3_bucket\" \"b\" {\n  bucket = \"x\"\n}\n",
        ),
        ("html", "<p class=\"a\">hi</p>\n"),
        ("ini", "[core]\nname = value\n"),
        ("javascript", "const a = 1; // one\n"),
        ("json", "{\"a\": [1, true, null]}\n"),
        ("python", "def f(x):\n    return x + 1\n"),
        ("rust", "fn main() { let x = 1; }\n"),
        ("sql", "SELECT id FROM users WHERE id = 1;\n"),
        ("toml", "[package]\nname = \"envbook\"\n"),
        ("typescript", "let a: number = 1;\n"),
        ("xml", "<a href=\"x\">y</a>\n"),
        ("yaml", "name: tomoda # who\n"),
    ];

    fn html(h: &Highlighter, code: &str, lang: &str) -> String {
        match h.highlight(code, lang) {
            Some(Ok(html)) => html,
            other => panic!("{lang}: {other:?}"),
        }
    }

    #[test]
    fn every_language_and_alias_highlights_with_classes() {
        let h = Highlighter::default();
        assert_eq!(
            LANGUAGES
                .iter()
                .map(|(names, _)| names[0])
                .collect::<Vec<_>>(),
            SAMPLES.iter().map(|(lang, _)| *lang).collect::<Vec<_>>()
        );
        for ((_, code), (names, _)) in SAMPLES.iter().zip(LANGUAGES) {
            for name in *names {
                let html = html(&h, code, name);
                assert!(html.contains("<span class=\"hl-"), "{name}: {html}");
            }
        }
    }

    #[test]
    fn common_aliases_and_any_case_select_their_language() {
        let h = Highlighter::default();
        let terraform = "variable \"x\" {}\n";
        assert_eq!(html(&h, terraform, "terraform"), html(&h, terraform, "hcl"));
        assert_eq!(html(&h, terraform, "tf"), html(&h, terraform, "hcl"));
        for shell in ["shell", "console", "sh", "zsh", "Bash"] {
            assert_eq!(html(&h, "ls -l\n", shell), html(&h, "ls -l\n", "bash"));
        }
        assert_eq!(html(&h, "a: 1\n", "yml"), html(&h, "a: 1\n", "yaml"));
        assert_eq!(html(&h, "f(1)\n", "js"), html(&h, "f(1)\n", "javascript"));
    }

    #[test]
    fn unknown_languages_are_not_highlighted() {
        let h = Highlighter::default();
        for lang in ["", "text", "no-such-language", "markdown"] {
            assert_eq!(h.highlight("x\n", lang), None, "{lang}");
        }
    }

    #[test]
    fn code_is_escaped_and_keeps_its_trailing_newlines() {
        let h = Highlighter::default();
        let html = html(&h, "echo '<script>' \"&\"\n\n", "bash");
        assert!(html.contains("&lt;script&gt;"), "{html}");
        assert!(html.contains("&amp;"), "{html}");
        assert!(!html.contains("<script"), "{html}");
        assert!(html.ends_with("</span>\n\n"), "{html}");
    }

    /// trishume/syntect#460: syntect's JavaScript never finished this.
    #[test]
    fn the_javascript_block_that_hung_syntect_is_highlighted() {
        let html = html(
            &Highlighter::default(),
            "{\n  a: 1\n  /* c */\n",
            "javascript",
        );
        assert_eq!(
            html,
            "<span class=\"hl-punctuation\">{</span>\n  <span class=\"hl-property\">a</span>: \
             <span class=\"hl-number\">1</span>\n  <span class=\"hl-comment\">/* c */</span>\n"
        );
    }

    #[test]
    fn injected_languages_are_highlighted_too() {
        let html = html(
            &Highlighter::default(),
            "<script>let a = 1;</script>\n",
            "html",
        );
        assert!(
            html.contains("<span class=\"hl-keyword\">let</span>"),
            "{html}"
        );
    }

    #[test]
    fn a_block_over_budget_is_left_plain_with_a_warning_at_its_fence() {
        let highlighter = Highlighter {
            budget: Duration::ZERO,
            ..Highlighter::default()
        };
        let text = format!("# T\n\n```js\n{}```\n", "f(1);\n".repeat(500));
        let rendered = super::super::render(&super::super::Input {
            file: std::path::Path::new("content/slow.md"),
            text: &text,
            body_start: 0,
            written: None,
            links: super::super::LinkContext {
                base: "/",
                page_dir: "",
                pages: &Default::default(),
            },
            highlighter: &highlighter,
            expander: &crate::directives::Expander { data: None },
            flavor: super::super::Flavor::default(),
        });
        assert!(
            rendered
                .html
                .contains("<code class=\"language-js\">f(1);\nf(1);\n"),
            "{}",
            rendered.html
        );
        let warnings: Vec<String> = rendered.diagnostics.iter().map(|d| d.to_string()).collect();
        assert_eq!(
            warnings,
            [
                "warning: code block left plain: highlighting it as js took too long\n \
              --> content/slow.md:3:1\n  |\n3 | ```js\n  | ^^^^^\n  \
              = help: a block gets 1 s, and fifteen times the work code of its length usually needs; \
              malformed code (thousands of unclosed brackets, a stray character) can take far longer, or never end"
            ]
        );
    }

    #[test]
    fn characters_that_crash_the_bash_scanner_are_highlighted_safely() {
        let h = Highlighter::default();
        for c in ['\u{E0187}', '\u{F0000}', '\u{10FFFF}', 'é', '中'] {
            let code = format!("echo {{{c} \"x{c}y\" # {c}\n");
            let html = h.highlight(&code, "bash").unwrap().unwrap();
            assert!(html.contains(c), "{html}");
            assert!(html.contains("<span class=\"hl-"), "{html}");
        }
        let html = h.highlight("{\u{E0187}", "sh").unwrap().unwrap();
        assert_eq!(html, "{\u{E0187}");
    }

    #[test]
    fn real_code_that_takes_many_steps_is_highlighted() {
        // The Rust Cookbook's `rayon::any` recipe: 145 callbacks per KB, over
        // the budget this had before (100 per KB).
        let highlighter = Highlighter {
            budget: Duration::from_secs(3600),
            ..Highlighter::default()
        };
        let code = "use rayon::prelude::*;\n\nfn main() {\n    let mut vec = vec![2, 4, 6, 8];\n\n    \
                    assert!(!vec.par_iter().any(|n| (*n % 2) != 0));\n    assert!(vec.par_iter().all(|n| (*n % 2) == 0));\n    \
                    assert!(!vec.par_iter().any(|n| *n > 8 ));\n    assert!(vec.par_iter().all(|n| *n <= 8 ));\n\n    vec.push(9);\n\n    \
                    assert!(vec.par_iter().any(|n| (*n % 2) != 0));\n    assert!(!vec.par_iter().all(|n| (*n % 2) == 0));\n    \
                    assert!(vec.par_iter().any(|n| *n > 8 ));\n    assert!(!vec.par_iter().all(|n| *n <= 8 )); \n}\n";
        let html = highlighter.highlight(code, "rust");
        assert!(
            matches!(&html, Some(Ok(h)) if h.contains("hl-keyword")),
            "{html:?}"
        );
    }

    #[test]
    fn input_that_never_ends_is_stopped_by_its_steps_on_any_machine() {
        // With an hour of time, only the step budget can stop it.
        let highlighter = Highlighter {
            budget: Duration::from_secs(3600),
            ..Highlighter::default()
        };
        let endless = "{{matrix(section=\"unterminated,)}}\n</pre>```yaml\n((((((((\
                       {{matrix()}}a</div>ᚠᢰ\\a𑓐A{{matrix()}}{{matrix()\u{a0}}}";
        assert_eq!(
            highlighter.highlight(endless, "typescript"),
            Some(Err(OverBudget))
        );
        let fine = highlighter.highlight("let a: number = 1;\n", "typescript");
        assert!(matches!(fine, Some(Ok(_))), "{fine:?}");
    }

    /// Deep nesting and unclosed constructs, in every language: each finishes
    /// without crashing. (arborium's markdown grammar overflowed its scanner's
    /// buffer on the first one and aborted: it is not among the languages.)
    #[test]
    fn hostile_input_never_crashes_any_language() {
        let h = Highlighter::default();
        let hostile = [
            "> ".repeat(2000),
            "(".repeat(2000),
            "[".repeat(2000),
            "{a:".repeat(700),
            "${".repeat(1000),
            "`${".repeat(700),
            "<<EOF\n".repeat(300),
            "<div>".repeat(500),
            "- [".repeat(700),
            "  (\n".repeat(500),
            "/*\"'".repeat(500),
            "\u{0}\u{feff}\r\n\t".repeat(500),
        ];
        for (lang, _) in SAMPLES {
            for code in &hostile {
                let html = h.highlight(code, lang);
                assert!(
                    matches!(html, Some(Ok(_)) | Some(Err(OverBudget))),
                    "{lang}"
                );
            }
        }
    }

    #[test]
    fn a_key_changes_with_the_version_the_language_and_the_code() {
        let key = Key::new(VERSION, "yaml", "a: 1\n");
        assert_eq!(key, Key::new(VERSION, "yaml", "a: 1\n"));
        for other in [
            Key::new("0.0.0/highlight-1", "yaml", "a: 1\n"),
            Key::new(VERSION, "toml", "a: 1\n"),
            Key::new(VERSION, "yaml", "a: 2\n"),
            Key::new(VERSION, "yaml", "a: 1"),
            Key::new(VERSION, "yam", "la: 1\n"),
        ] {
            assert_ne!(key, other);
        }
        // Stable across machines and Rust versions (std's hasher is not):
        // SHA-256 of `v\0l\0c`, as `sha256sum` gives it.
        let hex: String = Key::new("v", "l", "c")
            .0
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(
            hex,
            "8cb41bb8e4716ef4140b0bd972e986b430d4af7c45211ceb2bad20a6c685f0c1"
        );
    }

    /// A cache in memory that counts what it is asked.
    #[derive(Default)]
    struct Memory {
        entries: std::sync::Mutex<std::collections::HashMap<Key, Vec<u8>>>,
    }

    impl Store for std::sync::Arc<Memory> {
        fn get(&self, key: &Key) -> Option<Vec<u8>> {
            self.entries.lock().unwrap().get(key).cloned()
        }

        fn put(&self, key: &Key, bytes: &[u8]) {
            self.entries.lock().unwrap().insert(*key, bytes.to_vec());
        }

        fn save(&self) {}
    }

    #[test]
    fn a_cached_block_is_taken_from_the_cache_under_its_language_s_own_name() {
        let memory = std::sync::Arc::new(Memory::default());
        let h = Highlighter::default().with_cache(memory.clone());
        let fresh = html(&h, "a: 1\n", "yml");
        let key = Key::new(VERSION, "yaml", "a: 1\n");
        let kept = memory.entries.lock().unwrap().get(&key).cloned();
        assert_eq!(kept, Some(fresh.into_bytes()));
        memory
            .entries
            .lock()
            .unwrap()
            .insert(key, b"cached".to_vec());
        assert_eq!(html(&h, "a: 1\n", "YAML"), "cached");
        // Unknown languages are neither looked up nor kept.
        assert_eq!(h.highlight("a: 1\n", "text"), None);
        assert_eq!(memory.entries.lock().unwrap().len(), 1);
    }

    #[test]
    fn a_block_over_budget_is_not_cached() {
        let memory = std::sync::Arc::new(Memory::default());
        let h = Highlighter {
            budget: Duration::ZERO,
            ..Highlighter::default().with_cache(memory.clone())
        };
        let code = "f(1);\n".repeat(500);
        assert_eq!(h.highlight(&code, "js"), Some(Err(OverBudget)));
        assert!(memory.entries.lock().unwrap().is_empty());
    }

    /// The cache's [`VERSION`] must change when the crates that highlight
    /// do: when this fails, bump the number in [`VERSION`] and record the
    /// versions here.
    #[test]
    fn the_cache_version_follows_the_highlighting_crates() {
        let lock: toml::Table =
            toml::from_str(include_str!("../../Cargo.lock")).expect("Cargo.lock parses");
        let mut locked: Vec<String> = lock["package"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|p| {
                let name = p["name"].as_str()?;
                let family = match name {
                    _ if name.starts_with("arborium-") => "arborium",
                    _ if name.starts_with("tree-sitter") => name,
                    _ => return None,
                };
                Some(format!("{family} {}", p["version"].as_str()?))
            })
            .collect();
        locked.sort();
        locked.dedup();
        assert_eq!(
            (
                VERSION.rsplit('/').next().unwrap(),
                locked.join(", ").as_str()
            ),
            (
                "highlight-1",
                "arborium 2.18.2, tree-sitter 0.26.13, tree-sitter-language 0.1.7"
            ),
            "the highlighting crates changed: bump the cache's VERSION"
        );
    }

    #[test]
    fn stylesheet_has_a_light_and_a_dark_palette() {
        let css = Highlighter::stylesheet();
        let (light, dark) = css
            .split_once("@media (prefers-color-scheme: dark) {\n")
            .unwrap();
        for palette in [light, dark] {
            for class in ["keyword", "string", "comment", "function", "number"] {
                assert!(
                    palette.contains(&format!(".hl-{class} {{ color: #")),
                    "{class}\n{css}"
                );
            }
        }
        assert_ne!(light.lines().nth(1), dark.lines().next());
    }

    #[test]
    fn every_token_reads_on_the_code_background_in_both_palettes() {
        let css = Highlighter::stylesheet();
        let (light, dark) = css
            .split_once("@media (prefers-color-scheme: dark) {\n")
            .unwrap();
        for (palette, background) in [(light, CODE_BG_LIGHT), (dark, CODE_BG_DARK)] {
            let colours = palette.split("color: #").skip(1).map(|c| &c[..6]);
            for colour in colours {
                let ratio = contrast(
                    rgb(&format!("#{colour}")).unwrap(),
                    rgb(background).unwrap(),
                );
                assert!(
                    ratio >= MIN_CONTRAST,
                    "#{colour} on {background}: {ratio:.2}"
                );
            }
        }
        // The backgrounds are the theme's.
        let theme_css = include_str!("../../theme/static/envbook.css");
        assert!(theme_css.contains(&format!("--code-bg: {CODE_BG_LIGHT};")));
        assert!(theme_css.contains(&format!("--code-bg: {CODE_BG_DARK};")));
        // GitHub Light's comment colour was under it.
        assert!(contrast(rgb("#6e7781").unwrap(), rgb(CODE_BG_LIGHT).unwrap()) < MIN_CONTRAST);
    }
}
