//! mdBook's `book.toml`, read as it is: what envbook does the same way is
//! mapped onto [`Config`]; what it does not do (preprocessors, other
//! renderers, playground options, …) is named in one warning, never an error.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::de::{DeTable, DeValue};

use super::{Config, Format, Html, Parsed, Urls, toml_error};
use crate::diagnostic::{Diagnostic, Diagnostics};

/// Keys only mdBook's format has (a table name stands for all its keys).
const MDBOOK_ONLY: &[&str] = &[
    "book.src",
    "book.multilingual",
    "book.text-direction",
    "build.build-dir",
    "build.create-missing",
    "build.use-default-preprocessors",
    "output",
    "preprocessor",
    "rust",
];

/// Keys only envbook's format has.
const ENVBOOK_ONLY: &[&str] = &[
    "build.content",
    "build.data",
    "build.theme",
    "build.output",
    "build.base-url",
    "serve",
    "links",
];

/// Keys of mdBook's format that envbook reads (a table name: all its keys).
const READ: &[&str] = &[
    "book.title",
    "book.description",
    "book.authors",
    "book.language",
    "book.src",
    "build.build-dir",
    "build.create-missing",
    "build.extra-watch-dirs",
    "build.use-default-preprocessors",
    "build.urls",
    "output.html.site-url",
    "output.html.git-repository-url",
    "output.html.edit-url-template",
    "output.html.additional-css",
    "output.html.additional-js",
    "output.html.redirect",
    "output.html.no-section-label",
    "output.html.smart-punctuation",
    "output.html.curly-quotes",
    "output.html.definition-lists",
    "output.html.admonitions",
    "output.html.code.hidelines",
    "output.html.search.enable",
    // mdBook's built-in preprocessors, which envbook does itself.
    "preprocessor.links",
    "preprocessor.index",
];

pub(super) fn is_mdbook(table: &DeTable, mdbook_layout: bool) -> bool {
    let keys = key_paths(table);
    let has = |list: &[&str]| keys.iter().any(|(k, _)| list.iter().any(|l| covers(l, k)));
    has(MDBOOK_ONLY) || (mdbook_layout && !has(ENVBOOK_ONLY))
}

/// Whether `key` is `pattern` or inside the table `pattern`.
fn covers(pattern: &str, key: &str) -> bool {
    key == pattern
        || key
            .strip_prefix(pattern)
            .is_some_and(|rest| rest.starts_with('.'))
}

/// Every leaf key of `table` as a dotted path, with its span, in the file's
/// order; an empty table counts as a leaf.
fn key_paths(table: &DeTable) -> Vec<(String, std::ops::Range<usize>)> {
    let mut out = Vec::new();
    walk(table, "", &mut out);
    out.sort_by_key(|(_, span)| span.start);
    out
}

fn walk(table: &DeTable, prefix: &str, out: &mut Vec<(String, std::ops::Range<usize>)>) {
    for (key, value) in table {
        let path = format!("{prefix}{}", key.get_ref());
        match value.get_ref() {
            DeValue::Table(sub) if !sub.is_empty() => walk(sub, &format!("{path}."), out),
            _ => out.push((path, key.span())),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "kebab-case")]
struct MdBookToml {
    book: BookSection,
    build: BuildSection,
    output: Output,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "kebab-case")]
struct BookSection {
    title: Option<String>,
    description: Option<String>,
    authors: Vec<String>,
    language: Option<String>,
    src: Option<PathBuf>,
}

#[derive(Debug, Deserialize)]
#[serde(default, rename_all = "kebab-case")]
struct BuildSection {
    build_dir: PathBuf,
    create_missing: bool,
    extra_watch_dirs: Vec<PathBuf>,
    use_default_preprocessors: bool,
    urls: Urls,
}

impl Default for BuildSection {
    fn default() -> Self {
        BuildSection {
            build_dir: "book".into(),
            create_missing: true,
            extra_watch_dirs: Vec::new(),
            use_default_preprocessors: true,
            urls: Urls::Html,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Output {
    html: HtmlSection,
}

#[derive(Debug, Deserialize)]
#[serde(default, rename_all = "kebab-case")]
struct HtmlSection {
    site_url: Option<String>,
    git_repository_url: Option<String>,
    edit_url_template: Option<String>,
    additional_css: Vec<PathBuf>,
    additional_js: Vec<PathBuf>,
    redirect: BTreeMap<String, String>,
    no_section_label: bool,
    smart_punctuation: Option<bool>,
    curly_quotes: Option<bool>,
    definition_lists: bool,
    code: Code,
    search: SearchSection,
}

#[derive(Debug, Deserialize)]
#[serde(default)]
struct SearchSection {
    enable: bool,
}

impl Default for SearchSection {
    fn default() -> Self {
        SearchSection { enable: true }
    }
}

impl Default for HtmlSection {
    fn default() -> Self {
        HtmlSection {
            site_url: None,
            git_repository_url: None,
            edit_url_template: None,
            additional_css: Vec::new(),
            additional_js: Vec::new(),
            redirect: BTreeMap::new(),
            no_section_label: false,
            smart_punctuation: None,
            curly_quotes: None,
            definition_lists: true,
            code: Code::default(),
            search: SearchSection::default(),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Code {
    hidelines: BTreeMap<String, String>,
}

/// Reads an mdBook book.toml. Only the keys envbook reads are typed (serde
/// passes over the rest, whatever their values): those go into the warning.
pub(super) fn parse(table: &DeTable, text: &str, file: &Path) -> Result<Parsed, Diagnostics> {
    let toml: MdBookToml = toml::from_str(text).map_err(|e| toml_error(text, file, &e))?;
    let html = toml.output.html;
    let mut config = Config {
        format: Format::MdBook,
        ..Config::default()
    };
    let book = &mut config.book;
    book.title = toml.book.title.unwrap_or_default();
    book.description = toml.book.description.unwrap_or_default();
    book.authors = toml.book.authors;
    book.language = toml.book.language.unwrap_or_else(|| "en".into());
    let build = &mut config.build;
    build.content = toml.book.src.unwrap_or_else(|| "src".into());
    // mdBook writes each renderer's output in a folder of its own when it
    // has more than one (`[output.html]` beside `[output.linkcheck]`:
    // `book/html/`, where the Rust compiler's dev guide deploys from).
    build.output = match renderers(table) > 1 {
        true => toml.build.build_dir.join("html"),
        false => toml.build.build_dir,
    };
    // mdBook's `theme/` holds Handlebars templates envbook cannot use.
    build.theme = "theme/envbook".into();
    build.urls = toml.build.urls;
    build.extra_watch_dirs = toml.build.extra_watch_dirs;
    let relative_links = html.site_url.is_none();
    if let Some(url) = html.site_url {
        build.base_url = url;
    }
    config.html = Html {
        git_repository_url: html.git_repository_url,
        edit_url_template: html.edit_url_template,
        additional_css: html.additional_css.iter().map(|p| plain(p)).collect(),
        additional_js: html.additional_js.iter().map(|p| plain(p)).collect(),
        redirect: html.redirect,
        section_labels: !html.no_section_label,
        smart_punctuation: html.smart_punctuation.or(html.curly_quotes).unwrap_or(true),
        hidelines: html.code.hidelines,
        create_missing: toml.build.create_missing,
        definition_lists: html.definition_lists,
        relative_links,
    };
    config.search.enable = html.search.enable;
    config.validate(text, file, "site-url")?;
    let mut warnings = Diagnostics::default();
    warnings.0.extend(unsupported(
        table,
        text,
        file,
        toml.build.use_default_preprocessors,
    ));
    Ok((config, warnings))
}

/// `path` without its `.` parts: `./theme/x.css` is `theme/x.css` (Rust
/// Design Patterns writes them so; mdBook joins them to the book folder).
fn plain(path: &Path) -> PathBuf {
    use std::path::Component;
    path.components()
        .filter(|c| !matches!(c, Component::CurDir))
        .collect()
}

/// How many renderers book.toml asks mdBook for: its `[output.*]` tables.
fn renderers(table: &DeTable) -> usize {
    let output = table.iter().find(|(key, _)| key.get_ref() == "output");
    match output.map(|(_, value)| value.get_ref()) {
        Some(DeValue::Table(outputs)) => outputs.len(),
        _ => 0,
    }
}

/// One warning naming every key envbook does not act on, at the first one.
fn unsupported(
    table: &DeTable,
    text: &str,
    file: &Path,
    default_preprocessors: bool,
) -> Option<Diagnostic> {
    let mut names: Vec<String> = Vec::new();
    let mut first = None;
    for (key, span) in key_paths(table) {
        let ignored_off = key == "build.use-default-preprocessors" && !default_preprocessors;
        if READ.iter().any(|r| covers(r, &key)) && !ignored_off {
            continue;
        }
        let name = shown(&key);
        // A table is shown at its header, when it has one.
        let header = name.starts_with('[').then(|| text.find(&name)).flatten();
        first.get_or_insert(header.map_or(span, |at| at..at + name.len()));
        if !names.contains(&name) {
            names.push(name);
        }
    }
    let span = first?;
    let list = names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ");
    Some(
        Diagnostic::error(
            file,
            format!("envbook does not do what these mdBook settings ask, and ignores them: {list}"),
        )
        .at_span(text, span.start, span.end)
        .with_help("see \"Coming from mdBook\" in envbook's README")
        .warning(),
    )
}

/// A key as the user knows it: a preprocessor or renderer by its table,
/// anything else by its dotted path.
fn shown(key: &str) -> String {
    let parts: Vec<&str> = key.split('.').collect();
    match parts.as_slice() {
        ["preprocessor", name, ..] => format!("[preprocessor.{name}]"),
        ["output", name, ..] if *name != "html" => format!("[output.{name}]"),
        ["rust", ..] => "[rust]".into(),
        [
            "output",
            "html",
            "playground" | "search" | "print" | "fold",
            ..,
        ] => {
            format!("[output.html.{}]", parts[2])
        }
        _ => key.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str, layout: bool) -> Result<Parsed, String> {
        Config::parse(text, Path::new("book.toml"), layout).map_err(|d| d.to_string())
    }

    #[test]
    fn formats_are_told_apart_by_their_own_keys_then_by_the_folder() {
        let f = |text: &str, layout| parse(text, layout).unwrap().0.format;
        assert_eq!(f("[book]\nsrc = \"doc\"\n", false), Format::MdBook);
        assert_eq!(f("[output.html]\n", false), Format::MdBook);
        assert_eq!(f("[rust]\nedition = \"2021\"\n", false), Format::MdBook);
        assert_eq!(f("[book]\ntitle = \"T\"\n", true), Format::MdBook);
        assert_eq!(f("[book]\ntitle = \"T\"\n", false), Format::Envbook);
        assert_eq!(f("[build]\ncontent = \"c\"\n", true), Format::Envbook);
    }

    #[test]
    fn reads_every_mdbook_key_envbook_uses() {
        let (c, warnings) = parse(
            r#"[book]
title = "T"
description = "D"
authors = ["A"]
language = "fr"
src = "doc"
[build]
build-dir = "out"
create-missing = false
extra-watch-dirs = ["listings"]
[output.html]
site-url = "/book/"
git-repository-url = "https://example.com/repo"
edit-url-template = "https://example.com/edit/{path}"
additional-css = ["theme/x.css", "./theme/./y.css"]
additional-js = ["x.js"]
no-section-label = true
smart-punctuation = false
[output.html.code.hidelines]
python = "~"
[output.html.redirect]
"/old.html" = "new.html"
"#,
            false,
        )
        .unwrap();
        assert!(warnings.is_empty(), "{warnings}");
        assert_eq!(c.format, Format::MdBook);
        assert_eq!(c.book.language, "fr");
        assert_eq!(c.build.content, PathBuf::from("doc"));
        assert_eq!(c.build.output, PathBuf::from("out"));
        assert_eq!(c.build.urls, Urls::Html);
        assert_eq!(c.build.extra_watch_dirs, vec![PathBuf::from("listings")]);
        assert_eq!(c.base_path(), "/book/");
        let h = &c.html;
        assert_eq!(
            h.edit_url_template.as_deref(),
            Some("https://example.com/edit/{path}")
        );
        // `./` as Rust Design Patterns writes it.
        assert_eq!(
            h.additional_css,
            vec![PathBuf::from("theme/x.css"), PathBuf::from("theme/y.css")]
        );
        assert_eq!(h.redirect["/old.html"], "new.html");
        assert!(!h.section_labels && !h.smart_punctuation && !h.create_missing);
        assert_eq!(h.hidelines["python"], "~");
    }

    #[test]
    fn mdbook_defaults() {
        let (c, _) = parse("[book]\ntitle = \"T\"\n", true).unwrap();
        assert_eq!(c.build.content, PathBuf::from("src"));
        assert_eq!(c.build.output, PathBuf::from("book"));
        assert_eq!(c.build.urls, Urls::Html);
        assert!(c.html.section_labels && c.html.smart_punctuation && c.html.create_missing);
        assert!(c.html.relative_links);
        assert!(c.search.enable);
        // mdBook's switch for its search is envbook's, and no warning.
        let (c, warnings) = parse("[output.html.search]\nenable = false\n", false).unwrap();
        assert!(!c.search.enable && warnings.is_empty(), "{warnings}");
    }

    #[test]
    fn with_more_than_one_renderer_the_pages_go_where_mdbook_writes_its_html() {
        let output = |text: &str| parse(text, true).unwrap().0.build.output;
        assert_eq!(
            output("[output.html]\n[output.linkcheck]\n"),
            PathBuf::from("book/html")
        );
        assert_eq!(
            output("[build]\nbuild-dir = \"out\"\n[output.linkcheck]\n[output.pdf]\n"),
            PathBuf::from("out/html")
        );
        assert_eq!(output("[output.html]\n"), PathBuf::from("book"));
        assert_eq!(output("[output.linkcheck]\n"), PathBuf::from("book"));
        assert_eq!(output("[output.html.redirect]\n"), PathBuf::from("book"));
    }

    #[test]
    fn what_envbook_does_not_do_is_one_warning() {
        let (_, warnings) = parse(
            "[book]\ntitle = \"T\"\n[rust]\nedition = \"2021\"\n[preprocessor.trpl-note]\ncommand = \"x\"\n\
             [output.html]\nmathjax-support = true\n[output.html.search]\nlimit-results = 20\n\
             [output.html.playground]\neditable = true\n[output.linkcheck]\n",
            false,
        )
        .unwrap();
        assert_eq!(
            warnings.to_string(),
            "warning: envbook does not do what these mdBook settings ask, and ignores them: \
             `[rust]`, `[preprocessor.trpl-note]`, `output.html.mathjax-support`, \
             `[output.html.search]`, `[output.html.playground]`, `[output.linkcheck]`\n \
             --> book.toml:3:1\n  |\n3 | [rust]\n  | ^^^^^^\n  \
             = help: see \"Coming from mdBook\" in envbook's README\n"
        );
    }

    #[test]
    fn a_wrong_type_for_a_key_envbook_reads_is_an_error() {
        let err = parse("[output.html]\nadditional-css = \"x.css\"\n", false).unwrap_err();
        assert!(err.contains("error:"), "{err}");
        assert!(err.contains("additional-css"), "{err}");
    }
}
