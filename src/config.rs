//! `book.toml`: typed configuration with defaults, strict about unknown keys.

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
}

impl Default for Build {
    fn default() -> Self {
        Build {
            content: "content".into(),
            data: "data".into(),
            theme: "theme".into(),
            output: "site".into(),
            base_url: "/".into(),
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

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LinkCheck {
    #[default]
    Error,
    Warn,
    Off,
}

impl Config {
    /// Parses `text` (the contents of `file`), reporting every syntax error and
    /// unknown key at once.
    pub fn parse(text: &str, file: &std::path::Path) -> Result<Config, Diagnostics> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let (table, errors) = DeTable::parse_recoverable(text);
        let mut problems = Diagnostics::default();
        for e in &errors {
            problems.push(toml_error(text, file, e));
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        let schema =
            toml::Table::try_from(Config::default()).expect("the default config serializes");
        unknown_keys(table.get_ref(), &schema, "", text, file, &mut problems);
        if !problems.is_empty() {
            return Err(problems);
        }
        let config: Config = toml::from_str(text).map_err(|e| toml_error(text, file, &e))?;
        config.validate(text, file)?;
        Ok(config)
    }

    fn validate(&self, text: &str, file: &std::path::Path) -> Result<(), Diagnostics> {
        let url = &self.build.base_url;
        let scheme = url.starts_with("http://") || url.starts_with("https://");
        // Links are written with the path part; `//host/` (or `/\host/`, as
        // browsers read it) would make every link lead to another host.
        let base = self.base_path();
        let mut d = if base.starts_with("//") || base.contains('\\') {
            Diagnostic::error(
                file,
                format!(
                    "`base-url` `{url}` would make every link lead to another host: its path starts with `//` or holds a `\\`"
                ),
            )
        } else if url.starts_with('/') || scheme {
            return Ok(());
        } else {
            Diagnostic::error(
                file,
                format!("`base-url` must start with `/`, `http://` or `https://`, not `{url}`"),
            )
        }
        .with_help(
            "for a site hosted at https://host/docs/, write base-url = \"/docs/\" or the full URL",
        );
        if let Some(start) = text.find("base-url") {
            d = d.at_span(text, start, start + "base-url".len());
        }
        Err(d.into())
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
        Config::parse(text, Path::new("book.toml")).map_err(|d| d.to_string())
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
             [serve]\naddress = \"0.0.0.0\"\nport = 8080\n[links]\ncheck = \"warn\"\n",
        )
        .unwrap();
        assert_eq!(c.book.language, "fr");
        assert_eq!(c.build.output, PathBuf::from("o"));
        assert_eq!(c.base_path(), "/docs/");
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
