//! One error type for everything wrong with a site: file, line, column, the
//! offending source line and an optional hint. A build collects all of them and
//! reports them together.

use std::fmt;
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

    /// The position of byte `offset` in `text`.
    pub fn at_offset(text: &str, offset: usize) -> Self {
        let offset = floor_char_boundary(text, offset.min(text.len()));
        let before = &text[..offset];
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        Pos {
            line: before.matches('\n').count() + 1,
            col: before[line_start..].chars().count() + 1,
        }
    }
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub message: String,
    /// The file as the user would name it (site folder joined with the relative path).
    pub file: PathBuf,
    /// `None` for problems that belong to a whole file.
    pub pos: Option<Pos>,
    /// The source line at `pos`, shown under the location.
    pub source_line: String,
    /// Width of the underline, in characters.
    pub width: usize,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(file: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            message: message.into(),
            file: file.into(),
            pos: None,
            source_line: String::new(),
            width: 1,
            help: None,
        }
    }

    /// Points at `pos` in `text` (the whole file), underlining `width` characters.
    pub fn at(mut self, text: &str, pos: Pos, width: usize) -> Self {
        self.source_line = text
            .lines()
            .nth(pos.line.saturating_sub(1))
            .unwrap_or("")
            .trim_end_matches('\r')
            .to_string();
        self.pos = Some(pos);
        self.width = width.max(1);
        self
    }

    /// Points at the byte range `start..end` of `text`.
    pub fn at_span(self, text: &str, start: usize, end: usize) -> Self {
        let pos = Pos::at_offset(text, start);
        let end = floor_char_boundary(text, end.clamp(start, text.len()));
        let start = floor_char_boundary(text, start.min(text.len()));
        let span = &text[start..end];
        let width = span.split('\n').next().unwrap_or("").chars().count();
        self.at(text, pos, width)
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
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
            .take(pos.col - 1)
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

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            writeln!(f, "{d}")?;
        }
        Ok(())
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
        let text = "é\nab😀c";
        assert_eq!(Pos::at_offset(text, 3), Pos::new(2, 1));
        assert_eq!(Pos::at_offset(text, 9), Pos::new(2, 4));
        // Inside a multi-byte character: the character's own position.
        assert_eq!(Pos::at_offset(text, 7), Pos::new(2, 3));
    }

    #[test]
    fn suggests_only_close_words() {
        assert_eq!(closest("titel", ["title", "description"]), Some("title"));
        assert_eq!(closest("zzz", ["title", "description"]), None);
    }
}
