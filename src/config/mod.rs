//! `book.toml`: typed configuration with defaults. envbook's own format is
//! strict about unknown keys; mdBook's format (see [`mdbook`]) is read as it
//! is, with what envbook does not do named in one warning.

mod mdbook;

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use toml::de::{DeTable, DeValue};

use crate::diagnostic::{Diagnostic, Diagnostics, did_you_mean};

pub const FILE_NAME: &str = "book.toml";

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "kebab-case")]
pub struct Config {
    pub book: Book,
    pub build: Build,
    pub serve: Serve,
    pub links: Links,
    pub search: Search,
    pub data: DataConfig,
    /// Which format the file was written in.
    #[serde(skip)]
    pub format: Format,
    /// What mdBook's `[output.html]` asks of the pages; defaults for ours.
    #[serde(skip)]
    pub html: Html,
}

/// How a book.toml is told apart: see [`Config::parse`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Format {
    #[default]
    Envbook,
    MdBook,
}

/// Where pages are written, and so their URLs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Urls {
    /// `runbooks/db-failover.md` → `runbooks/db-failover/` (envbook's default).
    #[default]
    Pretty,
    /// `runbooks/db-failover.md` → `runbooks/db-failover.html` (mdBook's URLs).
    Html,
}

/// Page features mdBook configures under `[output.html]`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Html {
    /// A link to the book's repository in the header.
    pub git_repository_url: Option<String>,
    /// "Edit this page": `{path}` is the page's path from the book folder.
    pub edit_url_template: Option<String>,
    /// Files of the book folder linked from every page (and copied to the output).
    pub additional_css: Vec<PathBuf>,
    pub additional_js: Vec<PathBuf>,
    /// Old URL (`/old.html`, maybe with `#fragment`) → new one, relative to the old.
    pub redirect: BTreeMap<String, String>,
    /// Numbers before chapter titles in the navigation (`1.2.`).
    pub section_labels: bool,
    /// `--` → –, quotes → curly quotes, `...` → ….
    pub smart_punctuation: bool,
    /// Per language: the prefix that marks a line hidden (`rust` is always `#`).
    pub hidelines: BTreeMap<String, String>,
    /// A chapter of SUMMARY.md whose file is missing is a warning, not an error
    /// (mdBook would create the file; envbook writes nothing outside the output).
    pub create_missing: bool,
    /// Definition lists (`term` / `: definition`), on by default in mdBook.
    pub definition_lists: bool,
    /// Links relative to the page, as mdBook writes them, so that the site
    /// works under any path: an mdBook book without a `site-url`.
    pub relative_links: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "kebab-case")]
pub struct Book {
    /// Empty means "the site folder's name".
    pub title: String,
    pub description: String,
    pub language: String,
    pub authors: Vec<String>,
}

impl Default for Book {
    fn default() -> Self {
        Book {
            title: String::new(),
            description: String::new(),
            language: "en".into(),
            authors: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "kebab-case")]
pub struct Build {
    pub content: PathBuf,
    pub data: PathBuf,
    pub theme: PathBuf,
    pub output: PathBuf,
    /// Where the site is hosted: a path (`/docs/`) or a full URL
    /// (`https://docs.example.com/docs/`); links use its path part.
    pub base_url: String,
    /// Where pages are written: `pretty` (`page/`) or `html` (`page.html`).
    pub urls: Urls,
    /// More folders `serve` watches (relative to the site folder).
    pub extra_watch_dirs: Vec<PathBuf>,
}

impl Default for Build {
    fn default() -> Self {
        Build {
            content: "content".into(),
            data: "data".into(),
            theme: "theme".into(),
            output: "site".into(),
            base_url: "/".into(),
            urls: Urls::Pretty,
            extra_watch_dirs: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "kebab-case")]
pub struct Serve {
    pub address: String,
    pub port: u16,
}

impl Default for Serve {
    fn default() -> Self {
        Serve {
            address: "127.0.0.1".into(),
            port: 3000,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "kebab-case")]
pub struct Links {
    pub check: LinkCheck,
}

/// `[data]`: how the data is shown.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "kebab-case")]
pub struct DataConfig {
    /// Where a value read from a configuration file links to:
    /// `https://github.com/acme/platform/blob/main/{path}#L{line}`, `{path}`
    /// the file's path from the repository's root. Empty: no link.
    pub source_url: String,
}

/// `[search]`: the search index and box (mdBook's `[output.html.search]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "kebab-case")]
pub struct Search {
    pub enable: bool,
}

impl Default for Search {
    fn default() -> Self {
        Search { enable: true }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LinkCheck {
    #[default]
    Error,
    Warn,
    Off,
}

impl LinkCheck {
    /// The level for the preview: a broken link is shown, not a reason to
    /// stop showing the pages (`build` and `check` still fail on it).
    pub fn for_preview(self) -> LinkCheck {
        match self {
            LinkCheck::Error => LinkCheck::Warn,
            other => other,
        }
    }
}

/// What reading a book.toml gives: the config and the warnings about it.
pub type Parsed = (Config, Diagnostics);

impl Config {
    /// Parses `text` (the contents of `file`), reporting every syntax error and
    /// unknown key at once.
    ///
    /// The file is in mdBook's format when it holds a key only mdBook has
    /// (`[book] src`, `[output.*]`, `[preprocessor.*]`, `[rust]`, `[build]
    /// build-dir` …), or, holding neither format's own keys, when the folder
    /// looks like an mdBook book (`mdbook_layout`: `src/SUMMARY.md` and no
    /// `content/`). Otherwise it is envbook's.
    pub fn parse(
        text: &str,
        file: &std::path::Path,
        mdbook_layout: bool,
    ) -> Result<Parsed, Diagnostics> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let (table, errors) = DeTable::parse_recoverable(text);
        let mut problems = Diagnostics::default();
        for e in &errors {
            problems.push(toml_error(text, file, e));
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        if mdbook::is_mdbook(table.get_ref(), mdbook_layout) {
            return mdbook::parse(table.get_ref(), text, file);
        }
        Ok((
            Config::parse_ours(table.get_ref(), text, file)?,
            Diagnostics::default(),
        ))
    }

    fn parse_ours(
        table: &DeTable,
        text: &str,
        file: &std::path::Path,
    ) -> Result<Config, Diagnostics> {
        let mut problems = Diagnostics::default();
        let schema =
            toml::Table::try_from(Config::default()).expect("the default config serializes");
        unknown_keys(table, &schema, "", text, file, &mut problems);
        if !problems.is_empty() {
            return Err(problems);
        }
        let config: Config = toml::from_str(text).map_err(|e| toml_error(text, file, &e))?;
        config.validate(text, file, "base-url")?;
        Ok(config)
    }

    /// Checks the base URL, written under `key`.
    fn validate(&self, text: &str, file: &std::path::Path, key: &str) -> Result<(), Diagnostics> {
        let url = &self.build.base_url;
        let scheme = url.starts_with("http://") || url.starts_with("https://");
        // Links are written with the path part; `//host/` (or `/\host/`, as
        // browsers read it) would make every link lead to another host.
        let base = self.base_path();
        let mut d = if base.starts_with("//") || base.contains('\\') {
            Diagnostic::error(
                file,
                format!(
                    "`{key}` `{url}` would make every link lead to another host: its path starts with `//` or holds a `\\`"
                ),
            )
        } else if url.starts_with('/') || scheme {
            return Ok(());
        } else {
            Diagnostic::error(
                file,
                format!("`{key}` must start with `/`, `http://` or `https://`, not `{url}`"),
            )
        }
        .with_help(
            format!("for a site hosted at https://host/docs/, write {key} = \"/docs/\" or the full URL"),
        );
        if let Some(start) = text.find(key) {
            d = d.at_span(text, start, start + key.len());
        }
        Err(d.into())
    }

    /// `base-url` as the command line gives it (`--base-url`,
    /// `ENVBOOK_BASE_URL`), checked as book.toml's is.
    pub fn set_base_url(&mut self, url: &str) -> Result<(), Diagnostics> {
        self.build.base_url = url.to_string();
        self.validate("", std::path::Path::new("the command line"), "--base-url")
    }

    /// The path part of `base-url`, always starting and ending with `/`.
    pub fn base_path(&self) -> String {
        let url = &self.build.base_url;
        let path = match url.split_once("://") {
            Some((_, rest)) => rest.find('/').map_or("/", |i| &rest[i..]),
            None => url.as_str(),
        };
        let mut path = path.trim_end_matches('/').to_string();
        path.push('/');
        if !path.starts_with('/') {
            path.insert(0, '/');
        }
        path
    }

    /// `base-url` with a trailing `/`: the prefix of the sitemap's URLs.
    pub fn base_url(&self) -> String {
        let url = self.build.base_url.trim_end_matches('/');
        format!("{url}/")
    }
}

fn toml_error(text: &str, file: &std::path::Path, e: &toml::de::Error) -> Diagnostic {
    let message = e.message().trim_end().to_string();
    let d = Diagnostic::error(file, message);
    match e.span() {
        Some(span) => d.at_span(text, span.start, span.end),
        None => d,
    }
}

/// Reports every key of `table` that `schema` (the serialized default config) lacks.
fn unknown_keys(
    table: &DeTable,
    schema: &toml::Table,
    prefix: &str,
    text: &str,
    file: &std::path::Path,
    problems: &mut Diagnostics,
) {
    for (key, value) in table {
        let name = key.get_ref().as_ref();
        let path = format!("{prefix}{name}");
        match (schema.get(name), value.get_ref()) {
            (Some(toml::Value::Table(sub)), DeValue::Table(sub_table)) => {
                unknown_keys(sub_table, sub, &format!("{path}."), text, file, problems);
            }
            (Some(_), _) => {}
            (None, _) => {
                let place = if prefix.is_empty() {
                    "book.toml".to_string()
                } else {
                    format!("[{}]", prefix.trim_end_matches('.'))
                };
                let span = key.span();
                let mut d = Diagnostic::error(file, format!("unknown key `{name}` in {place}"))
                    .at_span(text, span.start, span.end);
                if let Some(help) = did_you_mean(name, schema.keys().map(String::as_str)) {
                    d = d.with_help(help);
                }
                problems.push(d);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn parse(text: &str) -> Result<Config, String> {
        Config::parse(text, Path::new("book.toml"), false)
            .map(|(c, _)| c)
            .map_err(|d| d.to_string())
    }

    #[test]
    fn empty_file_gives_defaults() {
        assert_eq!(parse("").unwrap(), Config::default());
    }

    #[test]
    fn reads_every_documented_key() {
        let c = parse(
            "[book]\ntitle = \"T\"\ndescription = \"D\"\nlanguage = \"fr\"\n\
             [build]\ncontent = \"c\"\ndata = \"d\"\ntheme = \"t\"\noutput = \"o\"\nbase-url = \"/docs\"\n\
             urls = \"html\"\nextra-watch-dirs = [\"x\"]\n\
             [serve]\naddress = \"0.0.0.0\"\nport = 8080\n[links]\ncheck = \"warn\"\n",
        )
        .unwrap();
        assert_eq!(c.book.language, "fr");
        assert_eq!(c.build.output, PathBuf::from("o"));
        assert_eq!(c.base_path(), "/docs/");
        assert_eq!(c.build.urls, Urls::Html);
        assert_eq!(c.build.extra_watch_dirs, [PathBuf::from("x")]);
        assert_eq!(c.serve.port, 8080);
        assert_eq!(c.links.check, LinkCheck::Warn);
    }

    #[test]
    fn lists_every_unknown_key_with_a_suggestion() {
        let err = parse("[book]\ntitel = \"x\"\n[build]\nbase_url = \"/\"\n").unwrap_err();
        assert_eq!(
            err,
            "error: unknown key `titel` in [book]\n --> book.toml:2:1\n  |\n2 | titel = \"x\"\n  | ^^^^^\n  = help: did you mean `title`?\n\n\
             error: unknown key `base_url` in [build]\n --> book.toml:4:1\n  |\n4 | base_url = \"/\"\n  | ^^^^^^^^\n  = help: did you mean `base-url`?\n"
        );
    }

    #[test]
    fn wrong_type_names_the_value() {
        let err = parse("[serve]\nport = \"eighty\"\n").unwrap_err();
        assert!(err.contains("--> book.toml:2:8"), "{err}");
    }

    #[test]
    fn base_path_of_a_full_url() {
        let mut c = Config::default();
        c.build.base_url = "https://docs.example.com/platform".into();
        assert_eq!(c.base_path(), "/platform/");
        assert_eq!(c.base_url(), "https://docs.example.com/platform/");
        c.build.base_url = "https://docs.example.com".into();
        assert_eq!(c.base_path(), "/");
    }
}
