//! Where a value is in a configuration file: `postgres.persistence.size`,
//! `spec.template.spec.containers[0].image`,
//! `metadata.labels."app.kubernetes.io/name"` (a key with dots in quotes, or
//! `["…"]`). One language for every format, since every format is read into
//! the same tree ([`Node`]). No I/O.

use std::fmt;

use crate::diagnostic::closest;
use crate::yaml::{Kind, Node};

/// A path, read from how it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Path(pub Vec<Step>);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Key(String),
    Index(usize),
}

/// What is wrong with a path as written: the message, and the character
/// at which it goes wrong (0-based, in characters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadPath {
    pub message: String,
    pub at: usize,
}

/// Characters a key without quotes may not hold: they mean something here.
fn special(c: char) -> bool {
    matches!(c, '.' | '[' | ']' | '"' | '\'') || c.is_whitespace()
}

impl std::str::FromStr for Path {
    type Err = BadPath;

    fn from_str(text: &str) -> Result<Path, BadPath> {
        let mut reader = Reader {
            chars: text.chars().collect(),
            at: 0,
        };
        let mut steps = vec![reader.key()?];
        while let Some(c) = reader.peek() {
            match c {
                '.' => {
                    reader.at += 1;
                    steps.push(reader.key()?);
                }
                '[' => steps.push(reader.bracket()?),
                c if c.is_whitespace() => {
                    return Err(reader.bad("a key with spaces goes in quotes (`\"a b\"`)"));
                }
                _ => return Err(reader.bad(format!("`{c}` cannot follow a key here"))),
            }
        }
        Ok(Path(steps))
    }
}

struct Reader {
    chars: Vec<char>,
    at: usize,
}

impl Reader {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.at).copied()
    }

    fn bad(&self, message: impl Into<String>) -> BadPath {
        BadPath {
            message: message.into(),
            at: self.at,
        }
    }

    /// A key: a quoted one, or the characters up to the next special one.
    fn key(&mut self) -> Result<Step, BadPath> {
        match self.peek() {
            Some(q @ ('"' | '\'')) => self.quoted(q).map(Step::Key),
            Some('[') => self.bracket(),
            _ => {
                let start = self.at;
                while self.peek().is_some_and(|c| !special(c)) {
                    self.at += 1;
                }
                if self.at == start {
                    let what = match self.peek() {
                        None if start == 0 => return Err(self.bad("the path is empty")),
                        None => "the path ends",
                        Some(c) if c.is_whitespace() => "a space",
                        Some(_) => "this",
                    };
                    return Err(self.bad(format!(
                        "a key is missing here ({what}): keys with spaces, dots or brackets go in quotes"
                    )));
                }
                Ok(Step::Key(self.chars[start..self.at].iter().collect()))
            }
        }
    }

    /// `"…"` (with `\"` and `\\`) or `'…'` (with `''` for a quote).
    fn quoted(&mut self, quote: char) -> Result<String, BadPath> {
        let start = self.at;
        self.at += 1;
        let mut key = String::new();
        loop {
            let Some(c) = self.peek() else {
                self.at = start;
                return Err(self.bad(format!("this quote ({quote}) is never closed")));
            };
            self.at += 1;
            match c {
                '\\' if quote == '"' => match self.peek() {
                    Some(e @ ('"' | '\\')) => {
                        key.push(e);
                        self.at += 1;
                    }
                    _ => key.push('\\'),
                },
                '\'' if quote == '\'' && self.peek() == Some('\'') => {
                    key.push('\'');
                    self.at += 1;
                }
                c if c == quote => return Ok(key),
                c => key.push(c),
            }
        }
    }

    /// `[0]` or `["key"]`.
    fn bracket(&mut self) -> Result<Step, BadPath> {
        let open = self.at;
        self.at += 1;
        let step = match self.peek() {
            Some(q @ ('"' | '\'')) => Step::Key(self.quoted(q)?),
            Some(c) if c.is_ascii_digit() => {
                let start = self.at;
                while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                    self.at += 1;
                }
                let digits: String = self.chars[start..self.at].iter().collect();
                let index = digits.parse().map_err(|_| BadPath {
                    message: format!("`{digits}` is too large an index"),
                    at: start,
                })?;
                Step::Index(index)
            }
            _ => {
                return Err(self.bad("`[` takes an index (`[0]`) or a key in quotes (`[\"a.b\"]`)"));
            }
        };
        if self.peek() != Some(']') {
            self.at = open;
            return Err(self.bad("this `[` is never closed"));
        }
        self.at += 1;
        Ok(step)
    }
}

/// The path as it can be written back: bare keys where they can be, quoted otherwise.
impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, step) in self.0.iter().enumerate() {
            match step {
                Step::Index(n) => write!(f, "[{n}]")?,
                Step::Key(key) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    if key.is_empty() || key.chars().any(special) {
                        let escaped = key.replace('\\', "\\\\").replace('"', "\\\"");
                        write!(f, "\"{escaped}\"")?;
                    } else {
                        f.write_str(key)?;
                    }
                }
            }
        }
        Ok(())
    }
}

/// Why a path finds nothing: where it stopped, and what was there.
#[derive(Debug, Clone, PartialEq)]
pub struct Miss<'n> {
    /// The steps that were found (a prefix of the path).
    pub found: Path,
    /// The node the next step could not go into.
    pub node: &'n Node,
    pub why: Why,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Why {
    /// The mapping has no such key; the closest it has, if one is close.
    NoKey {
        key: String,
        closest: Option<String>,
    },
    /// The list is shorter.
    NoIndex { index: usize, len: usize },
    /// A key asked of a list or a single value, an index of a mapping or a single value.
    Kind { wanted: &'static str },
}

impl Path {
    /// The value at the path in `root`.
    pub fn find<'n>(&self, root: &'n Node) -> Result<&'n Node, Miss<'n>> {
        let mut node = root;
        for (i, step) in self.0.iter().enumerate() {
            let miss = |why| Miss {
                found: Path(self.0[..i].to_vec()),
                node,
                why,
            };
            node = match (step, &node.kind) {
                (Step::Key(key), Kind::Map(pairs)) => {
                    let found = pairs.iter().find(|(k, _)| k.scalar() == Some(key));
                    let Some((_, value)) = found else {
                        let keys = pairs.iter().filter_map(|(k, _)| k.scalar());
                        let closest = closest(key, keys).map(str::to_string);
                        let key = key.clone();
                        return Err(miss(Why::NoKey { key, closest }));
                    };
                    value
                }
                (Step::Index(index), Kind::Seq(items)) => match items.get(*index) {
                    Some(item) => item,
                    None => {
                        let (index, len) = (*index, items.len());
                        return Err(miss(Why::NoIndex { index, len }));
                    }
                },
                (Step::Key(_), _) => {
                    return Err(miss(Why::Kind {
                        wanted: "a mapping",
                    }));
                }
                (Step::Index(_), _) => return Err(miss(Why::Kind { wanted: "a list" })),
            };
        }
        Ok(node)
    }

    /// The path with the step that missed replaced by the closest key.
    pub fn suggested(&self, miss: &Miss) -> Option<Path> {
        let Why::NoKey {
            closest: Some(closest),
            ..
        } = &miss.why
        else {
            return None;
        };
        let mut steps = self.0.clone();
        steps[miss.found.0.len()] = Step::Key(closest.clone());
        Some(Path(steps))
    }
}

/// A value as a matrix cell shows it: a single value as written, a mapping
/// or a list as compact inline YAML (`{cpu: 500m, memory: 1Gi}`). `None`
/// for null.
pub fn shown(node: &Node) -> Option<String> {
    match &node.kind {
        Kind::Null => None,
        Kind::Scalar { text, .. } => Some(text.clone()),
        _ => {
            let mut out = String::new();
            inline(node, &mut out);
            Some(out)
        }
    }
}

fn inline(node: &Node, out: &mut String) {
    match &node.kind {
        Kind::Null => out.push('~'),
        Kind::Scalar { text, quoted } => scalar(text, *quoted, out),
        Kind::Seq(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                out.push_str(if i == 0 { "" } else { ", " });
                inline(item, out);
            }
            out.push(']');
        }
        Kind::Map(pairs) => {
            out.push('{');
            for (i, (key, value)) in pairs.iter().enumerate() {
                out.push_str(if i == 0 { "" } else { ", " });
                inline(key, out);
                out.push_str(": ");
                inline(value, out);
            }
            out.push('}');
        }
    }
}

/// A single value in flow YAML: plain when it reads back as the same
/// text (and, for a quoted one, as text), in double quotes otherwise.
fn scalar(text: &str, quoted: bool, out: &mut String) {
    let looks_typed = || {
        let lower = text.to_ascii_lowercase();
        matches!(
            lower.as_str(),
            "~" | "null" | "true" | "false" | "yes" | "no" | "on" | "off"
        ) || text.parse::<f64>().is_ok()
            || text.starts_with("0x")
            || text.starts_with("0o")
    };
    let plain = !text.is_empty()
        && text.trim() == text
        && !text.starts_with(['-', '?', ':', '!', '&', '*', '#', '|', '>', '%', '@', '`'])
        && !text.contains(": ")
        && !text.contains(" #")
        && !text.ends_with(':')
        && !text.contains([',', '[', ']', '{', '}', '"', '\''])
        && text
            .chars()
            .all(|c| c == ' ' || printable(c) && !c.is_whitespace())
        && !(quoted && looks_typed());
    if plain {
        out.push_str(text);
        return;
    }
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if printable(c) && !c.is_whitespace() || c == ' ' => out.push(c),
            c => out.push_str(&format!("\\U{:08x}", u32::from(c))),
        }
    }
    out.push('"');
}

/// YAML's printable characters, less its line breaks and the byte-order mark.
fn printable(c: char) -> bool {
    matches!(c, '\u{20}'..='\u{7e}' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
        && !matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}')
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn path(text: &str) -> Path {
        text.parse().unwrap()
    }

    fn key(k: &str) -> Step {
        Step::Key(k.into())
    }

    fn tree(text: &str) -> Node {
        let (node, problems) = crate::yaml::parse(text, std::path::Path::new("v.yaml"));
        assert!(problems.is_empty(), "{problems}");
        node.unwrap()
    }

    #[test]
    fn paths_read_as_they_read_in_each_format() {
        assert_eq!(
            path("postgres.persistence.size").0,
            [key("postgres"), key("persistence"), key("size")]
        );
        assert_eq!(
            path("spec.containers[0].image").0,
            [key("spec"), key("containers"), Step::Index(0), key("image")]
        );
        let label = [
            key("metadata"),
            key("labels"),
            key("app.kubernetes.io/name"),
        ];
        assert_eq!(path("metadata.labels.\"app.kubernetes.io/name\"").0, label);
        assert_eq!(path("metadata.labels['app.kubernetes.io/name']").0, label);
        assert_eq!(path("[1][2]").0, [Step::Index(1), Step::Index(2)]);
        assert_eq!(
            path("a.\"say \\\"hi\\\"\"").0,
            [key("a"), key("say \"hi\"")]
        );
        assert_eq!(path("'it''s'").0, [key("it's")]);
        assert_eq!(path("ä.日本").0, [key("ä"), key("日本")]);
    }

    #[test]
    fn bad_paths_say_where_and_why() {
        let bad = |text: &str| text.parse::<Path>().unwrap_err();
        assert_eq!(bad("").message, "the path is empty");
        assert_eq!(
            bad("a..b"),
            BadPath {
                message:
                    "a key is missing here (this): keys with spaces, dots or brackets go in quotes"
                        .into(),
                at: 2
            }
        );
        assert_eq!(bad("a.").at, 2);
        assert_eq!(
            bad("a b").message,
            "a key with spaces goes in quotes (`\"a b\"`)"
        );
        assert_eq!(bad("a\"b\"").message, "`\"` cannot follow a key here");
        assert_eq!(bad("a[0").message, "this `[` is never closed");
        assert_eq!(bad("a[0").at, 1);
        assert_eq!(bad("a[x]").at, 2);
        assert_eq!(bad("a.\"b").message, "this quote (\") is never closed");
        assert_eq!(bad("a[99999999999999999999999]").at, 2);
    }

    #[test]
    fn find_walks_maps_and_lists_and_says_where_it_stopped() {
        let root = tree("postgres:\n  persistence:\n    size: 20Gi\nimages: [a, b]\n");
        assert_eq!(
            path("postgres.persistence.size")
                .find(&root)
                .unwrap()
                .scalar(),
            Some("20Gi")
        );
        assert_eq!(path("images[1]").find(&root).unwrap().scalar(), Some("b"));
        let miss = path("postgres.persistence.sise").find(&root).unwrap_err();
        assert_eq!(miss.found.to_string(), "postgres.persistence");
        assert_eq!(miss.node.pos.line, 3);
        assert_eq!(
            miss.why,
            Why::NoKey {
                key: "sise".into(),
                closest: Some("size".into())
            }
        );
        let p = path("postgres.persistence.sise");
        assert_eq!(
            p.suggested(&miss).unwrap().to_string(),
            "postgres.persistence.size"
        );
        let miss = path("images[2]").find(&root).unwrap_err();
        assert_eq!(miss.why, Why::NoIndex { index: 2, len: 2 });
        let miss = path("postgres.persistence.size.x").find(&root).unwrap_err();
        assert_eq!(
            miss.why,
            Why::Kind {
                wanted: "a mapping"
            }
        );
        let miss = path("postgres[0]").find(&root).unwrap_err();
        assert_eq!(miss.why, Why::Kind { wanted: "a list" });
    }

    #[test]
    fn values_show_as_written_and_collections_as_inline_yaml() {
        let root = tree(concat!(
            "mode: 0755\n",
            "res: {cpu: 500m, memory: \"1Gi\"}\n",
            "args: [--port, \"8080\", 'a, b', x: y]\n",
            "none: ~\n",
        ));
        let show = |p: &str| shown(path(p).find(&root).unwrap());
        assert_eq!(show("mode").as_deref(), Some("0755"));
        assert_eq!(show("res").as_deref(), Some("{cpu: 500m, memory: 1Gi}"));
        assert_eq!(
            show("args").as_deref(),
            Some("[\"--port\", \"8080\", \"a, b\", {x: y}]")
        );
        assert_eq!(show("none"), None);
    }

    fn steps() -> impl Strategy<Value = Vec<Step>> {
        let step = prop_oneof![
            "[a-z0-9_/-]{1,6}".prop_map(Step::Key),
            any::<String>().prop_map(Step::Key),
            (0usize..1000).prop_map(Step::Index),
        ];
        proptest::collection::vec(step, 1..6)
    }

    proptest! {
        #[test]
        fn a_path_written_back_reads_the_same(steps in steps()) {
            let written = Path(steps.clone()).to_string();
            prop_assert_eq!(written.parse::<Path>(), Ok(Path(steps)));
        }

        #[test]
        fn any_text_is_a_path_or_a_problem_inside_it(text in any::<String>()) {
            if let Err(bad) = text.parse::<Path>() {
                prop_assert!(bad.at <= text.chars().count());
            }
        }

        #[test]
        fn inline_yaml_reads_back_as_the_same_values(values in proptest::collection::vec(any::<String>(), 1..5)) {
            let items = values.iter().map(|v| Node {
                kind: Kind::Scalar { text: v.clone(), quoted: true },
                pos: Default::default(),
                span: 0..0,
            });
            let list = Node { kind: Kind::Seq(items.collect()), pos: Default::default(), span: 0..0 };
            let text = shown(&list).unwrap();
            let (back, problems) = crate::yaml::parse(&text, std::path::Path::new("x"));
            prop_assert!(problems.is_empty(), "{}: {}", text, problems);
            let Some(Node { kind: Kind::Seq(back), .. }) = back else {
                return Err(TestCaseError::fail(format!("{text} is not a list")));
            };
            let back: Vec<_> = back.iter().map(|n| n.scalar().unwrap_or("").to_string()).collect();
            prop_assert_eq!(back, values);
        }
    }
}
