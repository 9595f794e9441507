//! Settings that read their values from configuration files:
//! `from: { source: helm, path: postgres.persistence.size }` (a file each
//! environment names in its `sources`) or `from: { file: "infra/{env}.tfvars",
//! path: region }`; `kind` and `name` pick one document of a Kubernetes
//! manifest. A problem is reported at the setting's place in the data file
//! and, with a note, at the place in the configuration file.

use std::sync::Arc;

use super::*;
use crate::sources::path::{self, Miss, Why};
use crate::sources::{SourceFile, Unread};

const FROM_KEYS: &[&str] = &["source", "file", "path", "kind", "name"];

/// A `from:` as read.
struct From<'n> {
    /// `source: NAME` or `file: PATH`, and its node.
    place: (Place, &'n Node),
    path: path::Path,
    path_node: &'n Node,
    /// The document of a manifest: its `kind` and `metadata.name`.
    kind: Option<String>,
    name: Option<String>,
}

enum Place {
    Source(String),
    File(String),
}

/// What one environment's file gave.
enum Read {
    Found(Cell, Origin),
    /// Nothing there: an error unless the setting is `optional` (and the
    /// value is found somewhere).
    Absent(Diagnostic),
    /// Reported already.
    Failed,
}

impl Reader<'_> {
    /// An environment's `sources`: name → path.
    pub(super) fn sources(&mut self, node: &Node) -> Vec<(String, String)> {
        let Kind::Map(pairs) = &node.kind else {
            self.error(
                node,
                format!(
                    "`sources` should name files (`{{ helm: deploy/values-dev.yaml }}`), not {}",
                    node.describe()
                ),
            );
            return Vec::new();
        };
        let mut sources = Vec::new();
        for (name, file) in pairs {
            let name = self.scalar(name, "a source's name");
            let file = self.scalar(file, "a source's file");
            sources.extend(name.zip(file));
        }
        sources
    }

    /// The cells of a setting with `from:`, `overrides` (its `values:`)
    /// taking the place of the files' for the environments they name.
    pub(super) fn read_from(
        &mut self,
        node: &Node,
        overrides: Option<Vec<Option<Cell>>>,
        spec: &CellSpec,
        envs: &[Environment],
    ) -> Option<Cells> {
        let from = self.from(node)?;
        let reported = self.problems.0.len();
        let (mut cells, mut origins, mut absent) = (Vec::new(), Vec::new(), Vec::new());
        let mut failed = false;
        for (i, env) in envs.iter().enumerate() {
            if let Some(cell) = overrides.as_ref().and_then(|o| o[i].clone()) {
                cells.push(cell);
                origins.push(None);
                continue;
            }
            let (cell, origin) = match self.read_env(&from, env, spec) {
                Read::Found(cell, origin) => (cell, Some(origin)),
                Read::Absent(d) => {
                    absent.push(d);
                    (Cell::Empty, None)
                }
                Read::Failed => {
                    failed = true;
                    (Cell::Empty, None)
                }
            };
            cells.push(cell);
            origins.push(origin);
        }
        // `optional` lets environments go without, not the path find
        // nothing in any file (a typo hidden by an override, say).
        let found_somewhere = origins.iter().any(Option::is_some);
        let counts = !(absent.is_empty() || spec.optional && found_somewhere);
        if counts {
            self.problems.0.extend(absent);
        }
        let mine = self.problems.0.split_off(reported);
        self.problems.0.extend(merge_environments(mine));
        (!failed && !counts).then_some((cells, origins))
    }

    /// `from:` checked.
    fn from<'n>(&mut self, node: &'n Node) -> Option<From<'n>> {
        let fields = self.fields(node, "`from`", FROM_KEYS)?;
        let place = match (fields.get("source"), fields.get("file")) {
            (Some(_), Some(_)) => {
                let key = fields.key("file").expect("file is there");
                self.error(key, "`from` takes `source` (a name each environment's `sources` gives) or `file`, not both");
                return None;
            }
            (Some(n), None) => (Place::Source(self.scalar(n, "`source`")?), n),
            (None, Some(n)) => (Place::File(self.scalar(n, "`file`")?), n),
            (None, None) => {
                self.error(node, "`from` names no `source` or `file`").help = Some(
                    "`source: helm` reads the file each environment names in its `sources`; `file: \"infra/{env}.tfvars\"` one file, `{env}` replaced by the environment's id".into(),
                );
                return None;
            }
        };
        let text = self.string(&fields, "path", "`from`", node)?;
        let path_node = fields.get("path")?;
        let path = match text.parse::<path::Path>() {
            Ok(path) => path,
            Err(bad) => {
                let at = self.path_offset(path_node, &text, bad.at);
                let d = Diagnostic::error(self.file, format!("this path cannot be read: {}", bad.message))
                    .at_span_in(&self.lines, at, at + 1)
                    .with_help("a path is keys joined by dots, `[0]` for a list's first item, and \"quotes\" around a key with dots or spaces: `metadata.labels.\"app.kubernetes.io/name\"`");
                self.problems.push(d);
                return None;
            }
        };
        let optional = |reader: &mut Self, key: &str| match fields.get(key) {
            Some(n) => reader.scalar(n, &format!("`{key}`")),
            None => None,
        };
        Some(From {
            place,
            path,
            path_node,
            kind: optional(self, "kind"),
            name: optional(self, "name"),
        })
    }

    /// The byte in the data file of character `at` of a path written at `node`.
    fn path_offset(&self, node: &Node, text: &str, at: usize) -> usize {
        let quoted = matches!(node.kind, Kind::Scalar { quoted: true, .. });
        let start = node.span.start + usize::from(quoted);
        let byte = text.char_indices().nth(at).map_or(text.len(), |(b, _)| b);
        (start + byte).min(node.span.end.saturating_sub(1).max(node.span.start))
    }

    /// The value `from` finds for `env`.
    fn read_env(&mut self, from: &From, env: &Environment, spec: &CellSpec) -> Read {
        let (place, at) = &from.place;
        let written = match place {
            Place::File(file) => file.replace("{env}", &env.id),
            Place::Source(name) => match env.sources.iter().find(|(n, _)| n == name) {
                Some((_, file)) => file.clone(),
                None => return Read::Absent(self.no_source(at, name, env)),
            },
        };
        let Some(file) = self.file_for(&written, at, env) else {
            return match self.read.get(&written) {
                // Missing: absent, and said so if it counts.
                None => Read::Absent(self.missing(&written, at, env)),
                Some(_) => Read::Failed,
            };
        };
        let document = match self.document(from, &file, env) {
            Ok(Some(document)) => document,
            Ok(None) => return Read::Failed,
            Err(absent) => return Read::Absent(absent),
        };
        match from.path.find(document) {
            Ok(node) => {
                let line = node.pos.line;
                let link = (file.link.as_ref()).map(|l| l.replace("{line}", &line.to_string()));
                let origin = Origin {
                    file: written,
                    line,
                    link,
                };
                Read::Found(file_cell(node, spec.format), origin)
            }
            Err(miss) => Read::Absent(self.miss(from, &file, &miss, env)),
        }
    }

    /// The file at `written`, read once for all settings; `None` when it
    /// is missing (not kept: each setting says so) or was reported.
    fn file_for(&mut self, written: &str, at: &Node, env: &Environment) -> Option<Arc<SourceFile>> {
        if let Some(read) = self.read.get(written) {
            return read.clone();
        }
        let problem = match self.files.read(written) {
            Ok(file) => {
                self.read.insert(written.to_string(), Some(file.clone()));
                return Some(file);
            }
            Err(Unread::Missing { .. }) => return None,
            Err(Unread::Refused(why)) => {
                let d = Diagnostic::error(
                    self.file,
                    format!("{written} cannot be read (for `{}`): {why}", env.id),
                );
                vec![d.at_span_in(&self.lines, at.span.start, at.span.end)]
            }
            Err(Unread::Invalid(problems)) => {
                let note = self.note(at, "read here".to_string());
                problems
                    .0
                    .into_iter()
                    .map(|d| d.with_note(note.clone()))
                    .collect()
            }
        };
        self.problems.0.extend(problem);
        self.read.insert(written.to_string(), None);
        None
    }

    /// A note at `node` of the data file.
    fn note(&self, node: &Node, message: String) -> Diagnostic {
        Diagnostic::error(self.file, message).at_span_in(
            &self.lines,
            node.span.start,
            node.span.end,
        )
    }

    fn no_source(&mut self, at: &Node, name: &str, env: &Environment) -> Diagnostic {
        let names = env.sources.iter().map(|(n, _)| n.as_str());
        let help = match self.hints.did_you_mean(name, names.clone()) {
            Some(hint) => hint,
            None if env.sources.is_empty() => format!(
                "add `sources: {{ {name}: FILE }}` to the environment `{}`, or say `optional: true` on the setting",
                env.id
            ),
            None => format!("its sources are: {}", some_of(names)),
        };
        self.note(
            at,
            format!("the environment `{}` has no source `{name}`", env.id),
        )
        .with_help(help)
    }

    fn missing(&mut self, written: &str, at: &Node, env: &Environment) -> Diagnostic {
        let closest = match self.files.read(written) {
            Err(Unread::Missing { closest }) => closest,
            _ => None,
        };
        let help = match closest {
            Some(name) => format!("did you mean `{name}`?"),
            None => "paths are relative to the site folder (where book.toml is)".into(),
        };
        self.note(at, format!("there is no file {written} (for `{}`)", env.id))
            .with_help(help)
    }

    /// The document `from` reads in `file`: its only one, or the one of
    /// its `kind` and `name`. `Ok(None)` when that was reported.
    fn document<'f>(
        &mut self,
        from: &From,
        file: &'f SourceFile,
        env: &Environment,
    ) -> Result<Option<&'f Node>, Diagnostic> {
        let documents = &file.documents;
        if from.kind.is_none() && from.name.is_none() {
            return match documents.as_slice() {
                [one] => Ok(Some(one)),
                [] => Err(self.note(
                    from.path_node,
                    format!("{} is empty (for `{}`)", file.shown.display(), env.id),
                )),
                many => {
                    let d = self.note(from.place.1, format!("{} holds {} documents: say which with `kind` and `name` (for `{}`)", file.shown.display(), many.len(), env.id))
                        .with_help(format!("the documents are: {}", some_of(names(many).iter().map(String::as_str))));
                    self.problems.push(d);
                    Ok(None)
                }
            };
        }
        let wanted = |d: &&Node| {
            let kind = path::Path(vec![path::Step::Key("kind".into())]);
            from.kind
                .as_deref()
                .is_none_or(|k| kind.find(d).ok().and_then(Node::scalar) == Some(k))
                && from.name.as_deref().is_none_or(|n| meta_name(d) == Some(n))
        };
        let found: Vec<&Node> = documents.iter().filter(wanted).collect();
        match found.as_slice() {
            [one] => Ok(Some(one)),
            [] => {
                let asked = document_name(from.kind.as_deref(), from.name.as_deref());
                let all = names(documents);
                let help = match closest(&asked, all.iter().map(String::as_str)) {
                    Some(c) => format!("did you mean `{c}`?"),
                    None => format!(
                        "the documents are: {}",
                        some_of(all.iter().map(String::as_str))
                    ),
                };
                Err(self
                    .note(
                        from.place.1,
                        format!(
                            "no document of {} is `{asked}` (for `{}`)",
                            file.shown.display(),
                            env.id
                        ),
                    )
                    .with_help(help))
            }
            many => {
                let d = self.note(
                    from.place.1,
                    format!(
                        "{} documents of {} match (for `{}`): add `name`",
                        many.len(),
                        file.shown.display(),
                        env.id
                    ),
                );
                self.problems.push(d);
                Ok(None)
            }
        }
    }

    /// A path that found nothing: at the path in the data file, with a note
    /// where it stopped in the file.
    fn miss(
        &mut self,
        from: &From,
        file: &SourceFile,
        miss: &Miss,
        env: &Environment,
    ) -> Diagnostic {
        let shown = file.shown.display();
        let d = self.note(
            from.path_node,
            format!("`{}` is not in {shown} (for `{}`)", from.path, env.id),
        );
        let d = match from.path.suggested(miss) {
            Some(path) => d.with_help(format!("did you mean `{path}`?")),
            None => d,
        };
        let there = match miss.found.0.is_empty() {
            true => "the document".to_string(),
            false => format!("`{}`", miss.found),
        };
        let why = match &miss.why {
            Why::NoKey { key, .. } => format!("{there} has no key `{key}`"),
            Why::NoIndex { index, len } => format!("{there} has {len} items, so no `[{index}]`"),
            Why::Kind { wanted } => format!("{there} is {}, not {wanted}", miss.node.describe()),
        };
        let node = miss.node;
        d.with_note(Diagnostic::error(&file.shown, why).at_span(
            &file.text,
            node.span.start,
            node.span.end,
        ))
    }
}

/// The problems of one setting, those that differ only by the environment
/// they are for (one file for all) made one, for all of them.
fn merge_environments(problems: Vec<Diagnostic>) -> Vec<Diagnostic> {
    const FOR: &str = " (for `";
    let mut merged: Vec<(Diagnostic, Vec<String>)> = Vec::new();
    for mut d in problems {
        let env = match d.message.rfind(FOR) {
            Some(at) if d.message.ends_with("`)") => {
                let env = d.message[at + FOR.len()..d.message.len() - 2].to_string();
                d.message.truncate(at);
                Some(env)
            }
            _ => None,
        };
        let same = merged.iter_mut().find(|(m, _)| {
            m.message == d.message && m.file == d.file && m.pos == d.pos && m.help == d.help
        });
        match (same, env) {
            (Some((_, envs)), Some(env)) => envs.push(env),
            (_, env) => merged.push((d, env.into_iter().collect())),
        }
    }
    let with_envs = |(mut d, envs): (Diagnostic, Vec<String>)| {
        if !envs.is_empty() {
            let list: Vec<String> = envs.iter().map(|e| format!("`{e}`")).collect();
            d.message = format!("{}{FOR}{})", d.message, &list.join(", ")[1..]);
        }
        d
    };
    merged.into_iter().map(with_envs).collect()
}

/// A value of a configuration file as a cell: a single value in the
/// setting's format, a mapping or list as inline YAML code.
fn file_cell(node: &Node, format: Format) -> Cell {
    match (&node.kind, path::shown(node)) {
        (_, None) => Cell::Empty,
        (Kind::Scalar { .. }, Some(text)) => Cell::Value { text, format },
        (_, Some(text)) => Cell::Value {
            text,
            format: Format::Code,
        },
    }
}

/// A manifest's `metadata.name`.
fn meta_name(document: &Node) -> Option<&str> {
    let path = path::Path(vec![
        path::Step::Key("metadata".into()),
        path::Step::Key("name".into()),
    ]);
    path.find(document).ok().and_then(Node::scalar)
}

/// `Deployment/tomoda-api`, as documents are named in messages.
fn document_name(kind: Option<&str>, name: Option<&str>) -> String {
    match (kind, name) {
        (Some(k), Some(n)) => format!("{k}/{n}"),
        (Some(k), None) => k.to_string(),
        (None, Some(n)) => n.to_string(),
        (None, None) => "?".to_string(),
    }
}

fn names(documents: &[Node]) -> Vec<String> {
    let kind = path::Path(vec![path::Step::Key("kind".into())]);
    documents
        .iter()
        .map(|d| document_name(kind.find(d).ok().and_then(Node::scalar), meta_name(d)))
        .collect()
}

#[cfg(test)]
mod tests;
