//! `data/environments.yaml`: environments, sections and settings, checked
//! against the format in DESIGN.md with every problem reported at its exact
//! line and column. No I/O.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::diagnostic::{Diagnostic, Diagnostics, Hints, Lines, Pos, closest, some_of};
use crate::sources::{Files, NoFiles};
use crate::yaml::{self, Kind, Node};

mod from;
mod reads;

pub use reads::{Changes, Reads};

pub const FILE_NAME: &str = "environments.yaml";

#[derive(Debug, Clone, PartialEq)]
pub struct Data {
    /// The data file, as named in diagnostics.
    pub file: PathBuf,
    /// In column order.
    pub environments: Vec<Environment>,
    pub sections: Vec<Section>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Environment {
    pub id: String,
    pub title: String,
    /// Named configuration files (`helm: deploy/values-dev.yaml`) that
    /// settings read with `from: { source: helm, … }`, in the order written.
    pub sources: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    pub id: String,
    pub title: String,
    /// Header of the label column (`Purpose` for ingress hosts); often empty.
    pub label_header: String,
    pub settings: Vec<Setting>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Setting {
    pub id: String,
    /// `SECTION-ID.SETTING-ID`: the row's anchor, `envbook get`'s key, the JSON key.
    pub key: String,
    /// Inline markdown.
    pub label: String,
    /// Inline markdown.
    pub note: Option<String>,
    /// One cell per environment, in column order.
    pub cells: Vec<Cell>,
    /// Where each cell was read from, for those read from a configuration
    /// file (`from:`); apart from the cells, which compare by value alone.
    pub origins: Vec<Option<Origin>>,
    /// Where the setting is written, so a reader can find it.
    pub pos: Pos,
}

/// Where a value read from a configuration file is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// As the data file names it (relative to the site folder).
    pub file: String,
    pub line: usize,
    /// To the line in the repository (`[data] source-url`).
    pub link: Option<String>,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// How a value is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// As code (the default for a plain value).
    Code,
    /// As plain text.
    Text,
    /// As inline markdown.
    Markdown,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    /// `~`, or an environment an `optional` setting leaves out: shown as —.
    Empty,
    Value {
        text: String,
        format: Format,
    },
}

impl Cell {
    pub fn text(&self) -> Option<&str> {
        match self {
            Cell::Empty => None,
            Cell::Value { text, .. } => Some(text),
        }
    }
}

impl Data {
    pub fn env_index(&self, id: &str) -> Option<usize> {
        self.environments.iter().position(|e| e.id == id)
    }

    pub fn section(&self, id: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.id == id)
    }

    /// The setting named `SECTION.SETTING`.
    pub fn setting(&self, key: &str) -> Option<&Setting> {
        let (section, _) = key.split_once('.')?;
        self.section(section)?
            .settings
            .iter()
            .find(|s| s.key == key)
    }

    pub fn env_ids(&self) -> impl Iterator<Item = &str> + Clone {
        self.environments.iter().map(|e| e.id.as_str())
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> + Clone {
        self.sections
            .iter()
            .flat_map(|s| s.settings.iter().map(|t| t.key.as_str()))
    }
}

/// The most cells (settings times environments) the data may have: a
/// `value:` fills a whole row, so a small file could otherwise ask for
/// billions of them.
pub const MAX_CELLS: usize = 1_000_000;

const TOP_KEYS: &[&str] = &["environments", "sections"];
const ENV_KEYS: &[&str] = &["id", "title", "sources"];
const SECTION_KEYS: &[&str] = &["id", "title", "label-header", "format", "settings"];
const SETTING_KEYS: &[&str] = &[
    "id", "label", "value", "values", "from", "note", "optional", "format",
];
const CELL_KEYS: &[&str] = &["text", "code", "markdown"];

/// Reads the data file's text, for data that reads no configuration file
/// (see [`read`]).
pub fn parse(text: &str, file: &Path) -> Result<Data, Diagnostics> {
    read(text, file, &NoFiles)
}

/// Reads the data file's text, and the configuration files its settings
/// read `from` through `files`. Every problem is reported; any error means
/// no data.
pub fn read(text: &str, file: &Path, files: &dyn Files) -> Result<Data, Diagnostics> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let (root, mut problems) = yaml::parse(text, file);
    let mut reader = Reader {
        lines: Lines::new(text),
        env_index: HashMap::new(),
        hints: Hints::default(),
        file,
        problems: Diagnostics::default(),
        files,
        read: HashMap::new(),
    };
    let data = match root {
        Some(root) if !matches!(root.kind, Kind::Null) => Some(reader.data(&root)),
        Some(_) | None if problems.is_empty() => {
            let d = Diagnostic::error(file, "the data file is empty")
                .at(text, Pos::new(1, 1), 1)
                .with_help("start with `environments:` (items `- id: dev`) and `sections:` (items with an `id` and `settings`)");
            problems.push(d);
            None
        }
        _ => None,
    };
    problems.extend(reader.problems);
    match data {
        Some(data) if !problems.has_errors() => Ok(data),
        _ => Err(problems.sorted()),
    }
}

/// Walks the YAML tree, collecting problems as it goes.
struct Reader<'a> {
    /// The file's text, for the positions of its problems.
    lines: Lines<'a>,
    /// Environment id → column.
    env_index: HashMap<String, usize>,
    hints: Hints,
    file: &'a Path,
    problems: Diagnostics,
    files: &'a dyn Files,
    /// The configuration files read so far, by path as written (`None`:
    /// could not be, and was reported).
    read: HashMap<String, Option<std::sync::Arc<crate::sources::SourceFile>>>,
}

/// The fields of one mapping, checked against the keys it may have.
struct Fields<'n> {
    map: HashMap<&'n str, (&'n Node, &'n Node)>,
    /// Known keys that a misspelt key was taken for: not reported missing again.
    suggested: Vec<&'static str>,
}

impl<'n> Fields<'n> {
    fn get(&self, key: &str) -> Option<&'n Node> {
        self.map.get(key).map(|(_, v)| *v)
    }

    fn key(&self, key: &str) -> Option<&'n Node> {
        self.map.get(key).map(|(k, _)| *k)
    }
}

impl Reader<'_> {
    fn error(&mut self, node: &Node, message: impl Into<String>) -> &mut Diagnostic {
        let d = Diagnostic::error(self.file, message).at_span_in(
            &self.lines,
            node.span.start,
            node.span.end,
        );
        self.problems.push(d);
        self.problems.0.last_mut().expect("just pushed")
    }

    /// The mapping's fields, reporting keys not in `known` (with the closest one).
    fn fields<'n>(
        &mut self,
        node: &'n Node,
        what: &str,
        known: &[&'static str],
    ) -> Option<Fields<'n>> {
        let Kind::Map(pairs) = &node.kind else {
            self.error(
                node,
                format!(
                    "{what} should be a mapping (`key: value` lines), not {}",
                    node.describe()
                ),
            );
            return None;
        };
        let mut map = HashMap::new();
        let mut suggested = Vec::new();
        for (k, v) in pairs {
            let Some(name) = k.scalar() else {
                self.error(k, "keys must be plain names");
                continue;
            };
            if known.contains(&name) {
                map.insert(name, (k, v));
                continue;
            }
            let closest = closest(name, known.iter().copied());
            suggested.extend(closest);
            let help = match closest {
                Some(c) => format!("did you mean `{c}`?"),
                None => format!("the keys of {what} are: {}", known.join(", ")),
            };
            self.error(k, format!("unknown key `{name}` in {what}"))
                .help = Some(help);
        }
        Some(Fields { map, suggested })
    }

    fn list<'n>(&mut self, node: &'n Node, what: &str) -> &'n [Node] {
        match &node.kind {
            Kind::Seq(items) => items,
            Kind::Null => &[],
            _ => {
                self.error(
                    node,
                    format!(
                        "{what} should be a list (`- ` items), not {}",
                        node.describe()
                    ),
                );
                &[]
            }
        }
    }

    /// A required single value.
    fn string(&mut self, fields: &Fields, key: &str, what: &str, at: &Node) -> Option<String> {
        match fields.get(key) {
            Some(node) => self.scalar(node, &format!("`{key}` of {what}")),
            None if fields.suggested.contains(&key) => None,
            None => {
                self.error(at, format!("{what} has no `{key}`"));
                None
            }
        }
    }

    fn scalar(&mut self, node: &Node, what: &str) -> Option<String> {
        match node.scalar() {
            Some(text) => Some(text.to_string()),
            None => {
                self.error(
                    node,
                    format!("{what} should be a single value, not {}", node.describe()),
                );
                None
            }
        }
    }

    /// An id: part of URLs and keys, so letters, digits, `-` and `_` only.
    fn id<'n>(&mut self, fields: &Fields<'n>, what: &str, at: &Node) -> Option<(String, &'n Node)> {
        let id = self.string(fields, "id", what, at)?;
        let node = fields.get("id")?;
        if id.is_empty()
            || !id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            self.error(node, format!("`{id}` is not a valid id")).help =
                Some("ids are part of links and keys: use letters, digits, `-` and `_`".into());
            return None;
        }
        Some((id, node))
    }

    fn data(&mut self, root: &Node) -> Data {
        let mut data = Data {
            file: self.file.to_path_buf(),
            environments: Vec::new(),
            sections: Vec::new(),
        };
        let Some(top) = self.fields(root, "the data file", TOP_KEYS) else {
            return data;
        };
        match top.get("environments") {
            Some(envs) => data.environments = self.environments(envs),
            None => {
                self.error(root, "the data file has no `environments`");
            }
        }
        self.env_index = (data.environments.iter().enumerate())
            .map(|(i, e)| (e.id.clone(), i))
            .collect();
        if let Some(sections) = top.get("sections")
            && self.cells_within_budget(sections, data.environments.len())
        {
            data.sections = self.sections(sections, &data.environments);
        }
        data
    }

    /// Whether the settings times the environments stay within
    /// [`MAX_CELLS`]; reports it when not.
    fn cells_within_budget(&mut self, sections: &Node, envs: usize) -> bool {
        let settings: usize = match &sections.kind {
            Kind::Seq(sections) => sections
                .iter()
                .filter_map(|s| match &s.kind {
                    Kind::Map(pairs) => pairs.iter().find(|(k, _)| k.scalar() == Some("settings")),
                    _ => None,
                })
                .map(|(_, settings)| match &settings.kind {
                    Kind::Seq(items) => items.len(),
                    _ => 0,
                })
                .sum(),
            _ => 0,
        };
        let within = settings.saturating_mul(envs) <= MAX_CELLS;
        if !within {
            self.error(
                sections,
                format!(
                    "{settings} settings in {envs} environments make more than {MAX_CELLS} cells"
                ),
            );
        }
        within
    }

    /// The mappings of a list, each with its id; a missing, malformed or
    /// repeated id is reported and its item left out.
    fn items<'n>(
        &mut self,
        node: &'n Node,
        kind: Naming,
        keys: &[&'static str],
    ) -> Vec<(String, Fields<'n>, &'n Node)> {
        let (list, one, this) = kind;
        let mut seen = Ids::default();
        let mut items = Vec::new();
        for item in self.list(node, list) {
            let Some(fields) = self.fields(item, one, keys) else {
                continue;
            };
            let Some((id, id_node)) = self.id(&fields, this, item) else {
                continue;
            };
            if seen.add(self, &id, id_node, &this["this ".len()..]) {
                items.push((id, fields, item));
            }
        }
        items
    }

    /// `title`, or the id.
    fn title(&mut self, fields: &Fields, id: &str) -> String {
        match fields.get("title") {
            Some(t) => self.scalar(t, "`title`").unwrap_or_default(),
            None => id.to_string(),
        }
    }

    fn environments(&mut self, node: &Node) -> Vec<Environment> {
        let items = self.items(
            node,
            ("`environments`", "an environment", "this environment"),
            ENV_KEYS,
        );
        let envs: Vec<Environment> = items
            .into_iter()
            .map(|(id, fields, _)| Environment {
                title: self.title(&fields, &id),
                sources: fields
                    .get("sources")
                    .map(|n| self.sources(n))
                    .unwrap_or_default(),
                id,
            })
            .collect();
        if envs.is_empty() && self.problems.is_empty() {
            self.error(node, "`environments` lists no environment");
        }
        envs
    }

    fn sections(&mut self, node: &Node, envs: &[Environment]) -> Vec<Section> {
        let items = self.items(
            node,
            ("`sections`", "a section", "this section"),
            SECTION_KEYS,
        );
        items
            .into_iter()
            .map(|(id, fields, _)| {
                let label_header = fields
                    .get("label-header")
                    .and_then(|n| self.optional_scalar(n, "`label-header`"))
                    .unwrap_or_default();
                let format = self.format(fields.get("format")).unwrap_or(Format::Code);
                let settings = match fields.get("settings") {
                    Some(list) => self.settings(list, &id, format, envs),
                    None => Vec::new(),
                };
                Section {
                    title: self.title(&fields, &id),
                    id,
                    label_header,
                    settings,
                }
            })
            .collect()
    }

    fn optional_scalar(&mut self, node: &Node, what: &str) -> Option<String> {
        if matches!(node.kind, Kind::Null) {
            None
        } else {
            self.scalar(node, what)
        }
    }

    fn format(&mut self, node: Option<&Node>) -> Option<Format> {
        let node = node?;
        let text = self.scalar(node, "`format`")?;
        match text.as_str() {
            "code" => Some(Format::Code),
            "text" => Some(Format::Text),
            "markdown" => Some(Format::Markdown),
            other => {
                self.error(
                    node,
                    format!("`format` is `code`, `text` or `markdown`, not `{other}`"),
                );
                None
            }
        }
    }

    fn settings(
        &mut self,
        node: &Node,
        section: &str,
        format: Format,
        envs: &[Environment],
    ) -> Vec<Setting> {
        let items = self.items(
            node,
            ("`settings`", "a setting", "this setting"),
            SETTING_KEYS,
        );
        let mut settings = Vec::new();
        for (id, fields, item) in items {
            let label = self.string(&fields, "label", "this setting", item);
            let note = fields
                .get("note")
                .and_then(|n| self.optional_scalar(n, "`note`"));
            let optional = match fields.get("optional") {
                Some(n) => self.boolean(n, "`optional`"),
                None => false,
            };
            let format = self.format(fields.get("format")).unwrap_or(format);
            let key = format!("{section}.{id}");
            let cell = CellSpec { format, optional };
            let cells = self.cells(&fields, item, &cell, envs);
            if let (Some(label), Some((cells, origins))) = (label, cells) {
                settings.push(Setting {
                    id,
                    key,
                    label,
                    note,
                    cells,
                    origins,
                    pos: item.pos,
                });
            }
        }
        settings
    }

    fn boolean(&mut self, node: &Node, what: &str) -> bool {
        match node.scalar() {
            Some("true") => true,
            Some("false") => false,
            _ => {
                self.error(node, format!("{what} is `true` or `false`"));
                false
            }
        }
    }

    /// One cell per environment from `value:`, `values:` or `from:` (which
    /// `values:` may override), with where each was read from.
    fn cells(
        &mut self,
        fields: &Fields,
        item: &Node,
        spec: &CellSpec,
        envs: &[Environment],
    ) -> Option<Cells> {
        let plain = |cells: Vec<Cell>| {
            let origins = vec![None; cells.len()];
            (cells, origins)
        };
        let format = spec.format;
        match (
            fields.get("value"),
            fields.get("values"),
            fields.get("from"),
        ) {
            (Some(_), Some(_), _) => {
                let key = fields.key("values").expect("values is there");
                self.error(key, "a setting has `value` (the same everywhere) or `values` (one per environment), not both").help =
                    Some("remove one of them".into());
                None
            }
            (Some(_), None, Some(_)) => {
                let key = fields.key("from").expect("from is there");
                self.error(key, "a setting has `value` (the same everywhere) or `from` (read from files), not both").help =
                    Some("`values` can override `from` for some environments".into());
                None
            }
            (Some(value), None, None) => {
                let cell = self.cell(value, format)?;
                Some(plain(vec![cell; envs.len()]))
            }
            (None, values, Some(from)) => {
                let overrides = match values {
                    Some(values) => Some(self.value_map(values, format, envs)?),
                    None => None,
                };
                self.read_from(from, overrides, spec, envs)
            }
            (None, Some(values), None) => self
                .values(
                    values,
                    fields.key("values").expect("values is there"),
                    spec,
                    envs,
                )
                .map(plain),
            (None, None, None) => {
                self.error(item, "this setting has neither `value`, `values` nor `from`").help =
                    Some("`value: x` for the same value everywhere, `values: { dev: x, prod: y }` for one per environment, `from: { source: helm, path: a.b }` to read them from files".into());
                None
            }
        }
    }

    fn values(
        &mut self,
        node: &Node,
        key: &Node,
        spec: &CellSpec,
        envs: &[Environment],
    ) -> Option<Vec<Cell>> {
        let cells = self.value_map(node, spec.format, envs)?;
        let missing: Vec<&str> = envs
            .iter()
            .zip(&cells)
            .filter(|(_, c)| c.is_none())
            .map(|(e, _)| e.id.as_str())
            .collect();
        if !missing.is_empty() && !spec.optional {
            let list = missing
                .iter()
                .map(|m| format!("`{m}`"))
                .collect::<Vec<_>>()
                .join(", ");
            self.error(key, format!("`values` has no value for {list}"))
                .help =
                Some("add it (`~` shows as —), or say `optional: true` on the setting".into());
            return None;
        }
        Some(
            cells
                .into_iter()
                .map(|c| c.unwrap_or(Cell::Empty))
                .collect(),
        )
    }

    /// The cells a `values:` mapping gives, by environment (`None` where
    /// it gives none); `None` when any is wrong.
    fn value_map(
        &mut self,
        node: &Node,
        format: Format,
        envs: &[Environment],
    ) -> Option<Vec<Option<Cell>>> {
        let Kind::Map(pairs) = &node.kind else {
            self.error(
                node,
                format!(
                    "`values` should map environments to values (`{{ dev: x, prod: y }}`), not {}",
                    node.describe()
                ),
            );
            return None;
        };
        let mut cells: Vec<Option<Cell>> = vec![None; envs.len()];
        let mut ok = true;
        for (env, value) in pairs {
            let name = env.scalar().unwrap_or_default();
            let Some(&i) = self.env_index.get(name) else {
                let ids = envs.iter().map(|e| e.id.as_str());
                let help = self
                    .hints
                    .did_you_mean(name, ids.clone())
                    .unwrap_or_else(|| format!("the environments are: {}", some_of(ids)));
                self.error(env, format!("unknown environment `{name}`"))
                    .help = Some(help);
                ok = false;
                continue;
            };
            match self.cell(value, format) {
                Some(cell) => cells[i] = Some(cell),
                None => ok = false,
            }
        }
        ok.then_some(cells)
    }

    /// A plain value (in the setting's format), `~`, or `{ text | code | markdown: … }`.
    fn cell(&mut self, node: &Node, format: Format) -> Option<Cell> {
        match &node.kind {
            Kind::Null => Some(Cell::Empty),
            Kind::Scalar { text, .. } => Some(Cell::Value {
                text: text.clone(),
                format,
            }),
            Kind::Map(pairs) if pairs.len() == 1 => {
                let fields = self.fields(node, "a value", CELL_KEYS)?;
                let (name, format) = [
                    ("text", Format::Text),
                    ("code", Format::Code),
                    ("markdown", Format::Markdown),
                ]
                .into_iter()
                .find(|(name, _)| fields.get(name).is_some())?;
                let text = self.scalar(fields.get(name)?, &format!("`{name}`"))?;
                Some(Cell::Value { text, format })
            }
            _ => {
                self.error(node, format!("a value should be a single value, `~`, or `{{ text: … }}`, not {}", node.describe())).help =
                    Some("`{ text: … }` shows plain text, `{ markdown: … }` inline markdown, `{ code: … }` code".into());
                None
            }
        }
    }
}

/// A setting's cells and where each was read from.
type Cells = (Vec<Cell>, Vec<Option<Origin>>);

/// What a setting's cells are read as.
struct CellSpec {
    format: Format,
    optional: bool,
}

/// How a list and its items are named in messages: the list, one item, "this" item.
type Naming = (&'static str, &'static str, &'static str);

/// Ids seen so far at one level, to report duplicates.
#[derive(Default)]
struct Ids {
    lines: HashMap<String, usize>,
}

impl Ids {
    fn add(&mut self, reader: &mut Reader, id: &str, node: &Node, what: &str) -> bool {
        if let Some(line) = self.lines.get(id) {
            reader
                .error(node, format!("duplicate {what} id `{id}`"))
                .help = Some(format!("the first is on line {line}; ids must be unique"));
            return false;
        }
        self.lines.insert(id.to_string(), node.pos.line);
        true
    }
}

#[cfg(test)]
mod tests;
