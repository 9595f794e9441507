//! One error type for everything wrong with a site: file, line, column, the
//! offending source line and an optional hint. A build collects all of them and
//! reports them together.

use std::cell::Cell;
use std::fmt::{self, Write};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

/// A position in a source text: 1-based line and column (in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Pos {
    pub line: usize,
    pub col: usize,
}

impl Pos {
    pub fn new(line: usize, col: usize) -> Self {
        Pos { line, col }
    }
}

/// The lines of one text, indexed once so that each diagnostic on it costs
/// the length of its own line, not a scan from the start of the text: a page
/// with 20,000 broken links or a data file with thousands of problems stays
/// linear.
pub struct Lines<'a> {
    text: &'a str,
    /// Where each line starts.
    starts: Vec<usize>,
    /// The last offset asked for and its column: problems are mostly found in
    /// order, so a long line is counted once, not once per problem on it.
    last: Cell<(usize, usize)>,
}

impl<'a> Lines<'a> {
    pub fn new(text: &'a str) -> Self {
        let breaks = text.bytes().enumerate().filter(|(_, b)| *b == b'\n');
        Lines {
            text,
            starts: std::iter::once(0)
                .chain(breaks.map(|(i, _)| i + 1))
                .collect(),
            last: Cell::new((usize::MAX, 0)),
        }
    }

    /// The position of byte `offset` (inside a character: that character's).
    pub fn pos(&self, offset: usize) -> Pos {
        let offset = floor_char_boundary(self.text, offset.min(self.text.len()));
        let line = self.starts.partition_point(|&s| s <= offset);
        let start = self.starts[line - 1];
        let col = match self.last.get() {
            (last, col) if (start..=offset).contains(&last) => {
                col + self.text[last..offset].chars().count()
            }
            _ => self.text[start..offset].chars().count() + 1,
        };
        self.last.set((offset, col));
        Pos { line, col }
    }

    /// Line `n` (1-based) without its line ending, and where it starts; empty past the end.
    fn line(&self, n: usize) -> (usize, &'a str) {
        let Some(&start) = self.starts.get(n.wrapping_sub(1)) else {
            return (self.text.len(), "");
        };
        let end = self.starts.get(n).map_or(self.text.len(), |next| next - 1);
        (start, self.text[start..end].trim_end_matches('\r'))
    }
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// How much of a long line a diagnostic shows on each side of its column, in
/// bytes: a generated or minified line can be megabytes long, and every
/// diagnostic keeps a copy of what it shows.
const CONTEXT: usize = 100;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub message: String,
    /// The file as the user would name it (site folder joined with the relative path).
    pub file: PathBuf,
    /// `None` for problems that belong to a whole file.
    pub pos: Option<Pos>,
    /// The source line at `pos` (around it, for a long line), shown under the location.
    pub source_line: String,
    /// The column of `pos` in `source_line`.
    pub source_col: usize,
    /// Width of the underline, in characters.
    pub width: usize,
    pub help: Option<String>,
    /// Other places the problem involves (a value read from a
    /// configuration file: the data file's line, and the file's), each
    /// shown after it as a `note`.
    pub notes: Vec<Diagnostic>,
}

impl Diagnostic {
    pub fn error(file: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            message: message.into(),
            file: file.into(),
            pos: None,
            source_line: String::new(),
            source_col: 1,
            width: 1,
            help: None,
            notes: Vec::new(),
        }
    }

    /// Points at `pos` in `text` (the whole file), underlining `width` characters.
    pub fn at(self, text: &str, pos: Pos, width: usize) -> Self {
        let (_, line) = Lines::new(text).line(pos.line);
        let at = line
            .char_indices()
            .nth(pos.col.saturating_sub(1))
            .map_or(line.len(), |(i, _)| i);
        self.show(line, at, pos, width)
    }

    /// Points at the byte range `start..end` of `text`.
    pub fn at_span(self, text: &str, start: usize, end: usize) -> Self {
        self.at_span_in(&Lines::new(text), start, end)
    }

    /// Points at the byte range `start..end` of the text of `lines`: the way
    /// to report many problems in one text.
    pub fn at_span_in(self, lines: &Lines, start: usize, end: usize) -> Self {
        let pos = lines.pos(start);
        let (line_start, line) = lines.line(pos.line);
        let at = floor_char_boundary(line, start.saturating_sub(line_start).min(line.len()));
        let end = end.saturating_sub(line_start).clamp(at, line.len());
        let end = floor_char_boundary(line, end.min(at + 2 * CONTEXT));
        let width = line[at..end].chars().count();
        self.show(line, at, pos, width)
    }

    /// Shows `line` under the location, or the part of it around byte `at`
    /// when it is long.
    fn show(mut self, line: &str, at: usize, pos: Pos, width: usize) -> Self {
        let (from, to) = if line.len() <= 3 * CONTEXT {
            (0, line.len())
        } else {
            let to = (at + 2 * CONTEXT).min(line.len());
            (
                floor_char_boundary(line, at.saturating_sub(CONTEXT)),
                floor_char_boundary(line, to),
            )
        };
        let (before, after) = (from > 0, to < line.len());
        self.source_line = format!(
            "{}{}{}",
            if before { "…" } else { "" },
            &line[from..to],
            if after { "…" } else { "" }
        );
        self.source_col = line[from..at].chars().count() + 1 + usize::from(before);
        let shown = line[at..to].chars().count();
        self.width = width.min(shown).max(1);
        self.pos = Some(pos);
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Adds `note`, another place the problem involves.
    pub fn with_note(mut self, note: Diagnostic) -> Self {
        self.notes.push(note);
        self
    }

    pub fn warning(mut self) -> Self {
        self.severity = Severity::Warning;
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// The same layout as rustc (and Tera): message, `--> file:line:col`, the
/// line with an underline, then the help.
impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let label = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        self.write_as(f, label)?;
        for note in &self.notes {
            f.write_str("\n")?;
            note.write_as(f, "note")?;
        }
        Ok(())
    }
}

impl Diagnostic {
    fn write_as(&self, f: &mut fmt::Formatter<'_>, label: &str) -> fmt::Result {
        writeln!(f, "{label}: {}", self.message)?;
        let file = self.file.display();
        let Some(pos) = self.pos else {
            write!(f, "  --> {file}")?;
            return self.write_help(f, "  ");
        };
        let num = pos.line.to_string();
        let pad = " ".repeat(num.len());
        writeln!(f, "{pad}--> {file}:{}:{}", pos.line, pos.col)?;
        writeln!(f, "{pad} |")?;
        writeln!(f, "{num} | {}", self.source_line)?;
        let indent: String = self
            .source_line
            .chars()
            .take(self.source_col - 1)
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        write!(f, "{pad} | {indent}{}", "^".repeat(self.width))?;
        self.write_help(f, &pad)
    }
}

impl Diagnostic {
    fn write_help(&self, f: &mut fmt::Formatter<'_>, pad: &str) -> fmt::Result {
        match &self.help {
            Some(help) => write!(f, "\n{pad} = help: {help}"),
            None => Ok(()),
        }
    }
}

/// Every problem found in one run, in the order found.
#[derive(Debug, Default, Clone)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn push(&mut self, d: Diagnostic) {
        self.0.push(d);
    }

    pub fn extend(&mut self, other: Diagnostics) {
        self.0.extend(other.0);
    }

    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn error_count(&self) -> usize {
        self.0.iter().filter(|d| d.is_error()).count()
    }

    /// Sorted by file and position, duplicates removed, so the report reads top-down.
    pub fn sorted(mut self) -> Self {
        self.0
            .sort_by(|a, b| (&a.file, a.pos).cmp(&(&b.file, b.pos)));
        self.0.dedup();
        self
    }
}

impl From<Diagnostic> for Diagnostics {
    fn from(d: Diagnostic) -> Self {
        Diagnostics(vec![d])
    }
}

/// Written in one piece: stderr is unbuffered, and writing each fragment of
/// 20,000 problems on its own took most of a second.
impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut all = String::new();
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                all.push('\n');
            }
            writeln!(all, "{d}")?;
        }
        f.write_str(&all)
    }
}

/// The closest of `candidates` to `word`, if any is close enough to be a likely typo.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(word, c), c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// "Did you mean" hints within a budget of comparisons: a hint compares a
/// word with every candidate, so thousands of problems against thousands of
/// candidates (broken links to a long page, a data file's unknown
/// environments) would take minutes. Past the budget, problems are still
/// reported, without a hint.
#[derive(Debug)]
pub struct Hints {
    left: Cell<usize>,
}

impl Default for Hints {
    fn default() -> Self {
        Hints {
            left: Cell::new(2_000_000),
        }
    }
}

impl Hints {
    /// [`closest`], while the budget lasts.
    pub fn closest<'a, I>(&self, word: &str, candidates: I) -> Option<&'a str>
    where
        I: IntoIterator<Item = &'a str>,
        I::IntoIter: Clone,
    {
        let candidates = candidates.into_iter();
        self.left
            .set(self.left.get().checked_sub(candidates.clone().count())?);
        closest(word, candidates)
    }

    /// [`did_you_mean`], while the budget lasts.
    pub fn did_you_mean<'a, I>(&self, word: &str, candidates: I) -> Option<String>
    where
        I: IntoIterator<Item = &'a str>,
        I::IntoIter: Clone,
    {
        self.closest(word, candidates)
            .map(|c| format!("did you mean `{c}`?"))
    }
}

/// The first ten of `items`, joined with commas, and how many there are
/// when there are more: a list in a message stays short.
pub fn some_of<'a>(items: impl Iterator<Item = &'a str>) -> String {
    let mut shown = Vec::new();
    let mut count = 0;
    for item in items {
        if count < 10 {
            shown.push(item);
        }
        count += 1;
    }
    let mut list = shown.join(", ");
    if count > shown.len() {
        list += &format!(", … ({count} in all)");
    }
    list
}

/// `did you mean `x`?` for the closest candidate, if any.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    closest(word, candidates).map(|c| format!("did you mean `{c}`?"))
}

/// Joins a site-relative path onto the site folder for display, without a leading `./`.
pub fn display_path(root: &Path, rel: &Path) -> PathBuf {
    if root == Path::new(".") || root.as_os_str().is_empty() {
        rel.to_path_buf()
    } else {
        root.join(rel)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_like_rustc() {
        let text = "[book]\ntitel = \"x\"\n";
        let d = Diagnostic::error("book.toml", "unknown key `titel` in [book]")
            .at(text, Pos::new(2, 1), 5)
            .with_help("did you mean `title`?");
        assert_eq!(
            d.to_string(),
            "error: unknown key `titel` in [book]\n --> book.toml:2:1\n  |\n2 | titel = \"x\"\n  | ^^^^^\n  = help: did you mean `title`?"
        );
    }

    #[test]
    fn offsets_count_characters() {
        let lines = Lines::new("é\nab😀c");
        assert_eq!(lines.pos(3), Pos::new(2, 1));
        assert_eq!(lines.pos(9), Pos::new(2, 4));
        // Inside a multi-byte character: the character's own position.
        assert_eq!(lines.pos(7), Pos::new(2, 3));
        // Backwards too.
        assert_eq!(lines.pos(0), Pos::new(1, 1));
        assert_eq!(lines.pos(100), Pos::new(2, 5));
    }

    #[test]
    fn long_lines_are_shown_around_the_column() {
        let text = format!("{}[x](y){}\n", "é".repeat(5000), "a".repeat(5000));
        let d = Diagnostic::error("p.md", "broken").at_span(&text, 10_000, 10_006);
        assert_eq!(d.pos, Some(Pos::new(1, 5001)));
        assert_eq!(
            d.to_string(),
            format!(
                "error: broken\n --> p.md:1:5001\n  |\n1 | …{}[x](y){}…\n  | {}^^^^^^",
                "é".repeat(50),
                "a".repeat(194),
                " ".repeat(51)
            )
        );
        let d = Diagnostic::error("p.md", "broken").at(&text, Pos::new(1, 5001), 6);
        assert_eq!(d.source_col, 52);
    }

    #[test]
    fn suggests_only_close_words() {
        assert_eq!(closest("titel", ["title", "description"]), Some("title"));
        assert_eq!(closest("zzz", ["title", "description"]), None);
    }

    #[test]
    fn hints_stop_when_their_budget_is_spent() {
        let hints = Hints { left: Cell::new(3) };
        assert_eq!(hints.closest("titel", ["title", "x"]), Some("title"));
        assert_eq!(hints.closest("titel", ["title", "x"]), None);
        assert_eq!(hints.closest("titel", ["title"]), Some("title"));
    }

    #[test]
    fn long_lists_are_cut() {
        assert_eq!(some_of(["a", "b"].into_iter()), "a, b");
        let many: Vec<String> = (0..25).map(|i| i.to_string()).collect();
        assert_eq!(
            some_of(many.iter().map(String::as_str)),
            "0, 1, 2, 3, 4, 5, 6, 7, 8, 9, … (25 in all)"
        );
    }
}
