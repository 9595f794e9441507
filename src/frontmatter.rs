//! YAML front matter between `---` lines at the top of a page.

use std::path::Path;

use serde::Deserialize;
use serde_saphyr::budget::BudgetBreach;

use crate::diagnostic::{Diagnostic, Pos, did_you_mean};
use crate::yaml::{self, OverBudget};

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FrontMatter {
    pub title: Option<String>,
    pub description: Option<String>,
    /// Order in the navigation: lower first; pages without a weight come after, by title.
    pub weight: Option<i64>,
    pub draft: bool,
    /// Old URLs that redirect here.
    pub aliases: Vec<String>,
    /// `false` hides the page's table of contents.
    pub toc: Option<bool>,
    /// `false` leaves the page out of the search index.
    pub search: Option<bool>,
    /// Free-form values for custom templates (`page.extra`), as in Zola.
    pub extra: serde_json::Map<String, serde_json::Value>,
}

const KEYS: &[&str] = &[
    "title",
    "description",
    "weight",
    "draft",
    "aliases",
    "toc",
    "search",
    "extra",
];

/// A page split into its front matter and its markdown body.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Split<'a> {
    pub front: FrontMatter,
    pub body: &'a str,
    /// The number of lines before the body, to turn body lines into file lines.
    pub body_line_offset: usize,
}

/// Splits `text` into front matter and body. `file` names the page in errors.
pub fn split<'a>(text: &'a str, file: &Path) -> Result<Split<'a>, Diagnostic> {
    let Some((yaml, body, body_line_offset)) = find(text) else {
        return Ok(Split {
            body: text,
            ..Split::default()
        });
    };
    if yaml.trim().is_empty() {
        return Ok(Split {
            front: FrontMatter::default(),
            body,
            body_line_offset,
        });
    }
    match serde_saphyr::from_str_with_options::<FrontMatter>(yaml, yaml::budget()) {
        Ok(front) => Ok(Split {
            front,
            body,
            body_line_offset,
        }),
        Err(e) => Err(yaml_error(text, file, &e)),
    }
}

/// A front-matter key envbook does not read, and its line in the page.
#[derive(Debug, Clone, PartialEq)]
pub struct Unknown {
    pub key: String,
    pub line: usize,
}

/// [`split`] for front matter that is another tool's (an mdBook book's, read
/// by its preprocessors: Comprehensive Rust's `minutes:`): the keys envbook
/// does not read are left out and returned, not refused. Other errors are
/// [`split`]'s.
pub fn split_foreign<'a>(
    text: &'a str,
    file: &Path,
) -> Result<(Split<'a>, Vec<Unknown>), Diagnostic> {
    let Some((yaml, body, body_line_offset)) = find(text) else {
        return split(text, file).map(|s| (s, Vec::new()));
    };
    // Each unknown key's lines blanked in turn, so that the lines of the
    // rest, and so the places in errors, stay as written.
    let mut lines: Vec<&str> = yaml.split_inclusive('\n').collect();
    let mut unknown = Vec::new();
    loop {
        let kept: String = lines.concat();
        let read = match kept.trim().is_empty() {
            true => Ok(FrontMatter::default()),
            false => serde_saphyr::from_str_with_options::<FrontMatter>(&kept, yaml::budget()),
        };
        let e = match read {
            Ok(front) => {
                let split = Split {
                    front,
                    body,
                    body_line_offset,
                };
                return Ok((split, unknown));
            }
            Err(e) => e,
        };
        // A line not blanked yet: each turn blanks one more, so this ends.
        let written = |l: usize| {
            lines
                .get(l.wrapping_sub(1))
                .is_some_and(|x| !x.trim().is_empty())
        };
        let key = unknown_key(&e).zip(e.location().map(|l| l.line() as usize));
        let Some((key, line)) = key.filter(|&(_, l)| written(l)) else {
            // Any other error: its place is the same in the page as written.
            return Err(yaml_error(text, file, &e));
        };
        let end = (line..lines.len())
            .find(|&i| !continues(lines[i]))
            .unwrap_or(lines.len());
        for blanked in &mut lines[line - 1..end] {
            *blanked = "\n";
        }
        // The file's line: the YAML starts on its second.
        unknown.push(Unknown {
            key: key.to_string(),
            line: line + 1,
        });
    }
}

/// The key of serde's "unknown field" error.
fn unknown_key(e: &serde_saphyr::Error) -> Option<String> {
    let options = serde_saphyr::render_options! { snippets: serde_saphyr::SnippetMode::Off };
    let rendered = e.render_with_options(options);
    let key = strip_location(&rendered)
        .strip_prefix("unknown field `")?
        .split('`')
        .next()?;
    Some(key.to_string())
}

/// Whether a YAML line after a top-level key's belongs to its value: an
/// indented line, a list item (YAML lets them start at the key's column),
/// a comment or a blank line.
fn continues(line: &str) -> bool {
    line.starts_with([' ', '\t', '-', '#']) || line.trim().is_empty()
}

/// Where the body of `text` starts: after its front matter, if any.
pub fn body_start(text: &str) -> usize {
    find(text).map_or(0, |(_, body, _)| text.len() - body.len())
}

/// `(yaml, body, lines before body)` when `text` opens with a `---` line closed by another.
fn find(text: &str) -> Option<(&str, &str, usize)> {
    let rest = text
        .strip_prefix("---\n")
        .or_else(|| text.strip_prefix("---\r\n"))?;
    let mut offset = 0;
    for (i, line) in rest.split_inclusive('\n').enumerate() {
        if line.trim_end() == "---" {
            let yaml = &rest[..offset];
            let body = &rest[offset + line.len()..];
            return Some((yaml, body, i + 2));
        }
        offset += line.len();
    }
    None
}

fn yaml_error(text: &str, file: &Path, e: &serde_saphyr::Error) -> Diagnostic {
    let options = serde_saphyr::render_options! { snippets: serde_saphyr::SnippetMode::Off };
    let rendered = e.render_with_options(options);
    let message = strip_location(&rendered);
    let mut d = Diagnostic::error(file, format!("front matter: {message}"));
    if let serde_saphyr::Error::Budget { breach, .. } = original(e) {
        let over = match breach {
            BudgetBreach::Depth { .. } => OverBudget::Depth,
            BudgetBreach::ScalarBytes { .. } | BudgetBreach::RecordedAnchorBytes { .. } => {
                OverBudget::Text
            }
            _ => OverBudget::Values,
        };
        d.message = format!("front matter: {}", over.message());
        d.help = over.help().map(String::from);
    }
    if let Some(unknown) = unknown_key(e) {
        d.message = format!("front matter: unknown key `{unknown}`");
        if let Some(help) = did_you_mean(&unknown, KEYS.iter().copied()) {
            d = d.with_help(help);
        } else {
            d = d.with_help(format!("known keys: {}", KEYS.join(", ")));
        }
    }
    match e.location() {
        // The YAML starts on the file's second line.
        Some(loc) if loc.line() > 0 => {
            let pos = Pos::new(loc.line() as usize + 1, loc.column().max(1) as usize);
            let width = word_width(text, pos);
            d.at(text, pos, width)
        }
        _ => d.at(text, Pos::new(1, 1), 3),
    }
}

/// The error under serde-saphyr's wrappers (a snippet, the alias it came through).
fn original(mut e: &serde_saphyr::Error) -> &serde_saphyr::Error {
    while let serde_saphyr::Error::AliasError { error, .. }
    | serde_saphyr::Error::WithSnippet { error, .. } = e
    {
        e = error;
    }
    e
}

/// serde-saphyr appends ` at line L column C`; the diagnostic shows that itself.
fn strip_location(message: &str) -> &str {
    let message = message.trim();
    match message.rfind(" at line ") {
        Some(i) => message[..i].trim_end_matches(','),
        None => message,
    }
}

/// Width of the word (key or scalar) starting at `pos`, for the underline.
fn word_width(text: &str, pos: Pos) -> usize {
    let line = text.lines().nth(pos.line - 1).unwrap_or("");
    line.chars()
        .skip(pos.col - 1)
        .take_while(|c| !matches!(c, ':' | ',' | '}' | ']') && !c.is_whitespace())
        .count()
        .max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split_ok(text: &str) -> Split<'_> {
        split(text, Path::new("p.md")).unwrap()
    }

    #[test]
    fn no_front_matter() {
        let s = split_ok("# Hi\n");
        assert_eq!(s.body, "# Hi\n");
        assert_eq!(s.body_line_offset, 0);
    }

    #[test]
    fn reads_front_matter_and_offsets_the_body() {
        let s = split_ok("---\ntitle: T\nweight: 2\naliases: [old/]\n---\nBody\n");
        assert_eq!(s.front.title.as_deref(), Some("T"));
        assert_eq!(s.front.weight, Some(2));
        assert_eq!(s.front.aliases, vec!["old/"]);
        assert_eq!(s.body, "Body\n");
        assert_eq!(s.body_line_offset, 5);
    }

    #[test]
    fn crlf_front_matter() {
        let s = split_ok("---\r\ntitle: T\r\n---\r\nBody\r\n");
        assert_eq!(s.front.title.as_deref(), Some("T"));
        assert_eq!(s.body, "Body\r\n");
    }

    #[test]
    fn unclosed_front_matter_is_body() {
        assert_eq!(split_ok("---\ntitle: T\n").body, "---\ntitle: T\n");
    }

    #[test]
    fn unknown_key_points_at_it() {
        let e = split("---\ntitle: T\ntitel: U\n---\n", Path::new("p.md")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "error: front matter: unknown key `titel`\n --> p.md:3:1\n  |\n3 | titel: U\n  | ^^^^^\n  = help: did you mean `title`?"
        );
    }

    #[test]
    fn wrong_type_points_at_the_value() {
        let e = split("---\ntitle: T\nweight: heavy\n---\n", Path::new("p.md")).unwrap_err();
        let s = e.to_string();
        assert!(s.contains("--> p.md:3:9"), "{s}");
        assert!(s.contains("3 | weight: heavy"), "{s}");
    }

    #[test]
    fn foreign_front_matter_leaves_unknown_keys_out_and_says_where_they_were() {
        let text = "---\nminutes: 3\ntitle: T\nexercises:\n- a\n- b\ncourse:\n  name: x\n\n  # c\nweight: 2\n---\nBody\n";
        let (split, unknown) = split_foreign(text, Path::new("p.md")).unwrap();
        assert_eq!(split.front.title.as_deref(), Some("T"));
        assert_eq!(split.front.weight, Some(2));
        assert_eq!(split.body, "Body\n");
        assert_eq!(split.body_line_offset, 12);
        let keys: Vec<(&str, usize)> = unknown.iter().map(|u| (u.key.as_str(), u.line)).collect();
        assert_eq!(keys, [("minutes", 2), ("exercises", 4), ("course", 7)]);
        // A key envbook reads, of the wrong type, is still an error, where it is.
        let e =
            split_foreign("---\nminutes: 3\nweight: heavy\n---\n", Path::new("p.md")).unwrap_err();
        assert!(e.to_string().contains(" --> p.md:3:9"), "{e}");
        let (_, unknown) = split_foreign("# No front matter\n", Path::new("p.md")).unwrap();
        assert!(unknown.is_empty());
    }

    proptest::proptest! {
        /// Whatever the text, no panic; where [`split`] reads it, the same,
        /// with nothing ignored; else, if it reads, only what `split`
        /// refused as unknown is left out.
        #[test]
        fn foreign_front_matter_reads_what_split_reads(
            keys in proptest::collection::vec(
                proptest::sample::select(vec![
                    "title: T\n", "weight: 3\n", "minutes: 5\n", "course: C\n",
                    "x:\n- 1\n", "y:\n  z: 1\n", "weight: w\n", "\n", "# c\n", "  - q\n", ": :\n",
                ]),
                0..8,
            ),
            closed in proptest::bool::ANY,
        ) {
            let close = if closed { "---\n" } else { "" };
            let text = format!("---\n{}{close}body\n", keys.concat());
            let strict = split(&text, Path::new("p.md"));
            let foreign = split_foreign(&text, Path::new("p.md"));
            if let Ok(strict) = strict {
                proptest::prop_assert_eq!(foreign.unwrap(), (strict, Vec::new()));
            } else if let Ok((split, unknown)) = foreign {
                proptest::prop_assert!(!unknown.is_empty());
                proptest::prop_assert!(unknown.iter().all(|u| !KEYS.contains(&u.key.as_str())));
                proptest::prop_assert_eq!(split.body, "body\n");
            }
        }
    }
}
