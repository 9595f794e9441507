//! Finds a site and reads it: book.toml, the content folder, the theme
//! overrides. The result is one immutable value the build works from.

use std::path::{Path, PathBuf};

use anyhow::Context;
use walkdir::WalkDir;

use crate::config::{self, Config};
use crate::content::Source;
use crate::data::{self, Data};
use crate::diagnostic::{Diagnostic, Diagnostics, display_path};
use crate::theme::Theme;

/// A non-markdown file of the content folder (an image, a download), copied as is.
#[derive(Debug, Clone)]
pub struct Asset {
    /// Path relative to the content folder, with `/` separators.
    pub rel: String,
    pub path: PathBuf,
}

#[derive(Debug, Clone)]
pub struct Project {
    /// The site folder, as given.
    pub root: PathBuf,
    pub config: Config,
    pub sources: Vec<Source>,
    pub assets: Vec<Asset>,
    pub theme: Theme,
    /// `data/environments.yaml`, when the site has one.
    pub data: Option<Data>,
}

impl Project {
    /// Reads the site in `root`. Every problem found is reported.
    pub fn load(root: &Path) -> Result<Project, Diagnostics> {
        let config = load_config(root)?;
        let mut problems = Diagnostics::default();
        let content = root.join(&config.build.content);
        let content_display = display_path(root, &config.build.content);
        if !content.is_dir() {
            let d = Diagnostic::error(&content_display, "the content folder does not exist")
                .with_help(format!(
                    "create it, or set `content` under [build] in {}",
                    config::FILE_NAME
                ));
            return Err(d.into());
        }
        let (sources, assets) = read_content(&content, &content_display, &mut problems);
        let theme = read_theme(root, &config, &mut problems);
        let data = read_data(root, &config, &mut problems);
        if problems.has_errors() {
            return Err(problems);
        }
        Ok(Project {
            root: root.to_path_buf(),
            config,
            sources,
            assets,
            theme,
            data,
        })
    }

    /// A folder of the site (from book.toml) as a real path.
    pub fn path(&self, rel: &Path) -> PathBuf {
        self.root.join(rel)
    }

    /// A folder of the site as named in diagnostics.
    pub fn display(&self, rel: &Path) -> PathBuf {
        display_path(&self.root, rel)
    }
}

fn load_config(root: &Path) -> Result<Config, Diagnostics> {
    let path = root.join(config::FILE_NAME);
    let display = display_path(root, Path::new(config::FILE_NAME));
    let mut config = match std::fs::read_to_string(&path) {
        Ok(text) => Config::parse(&text, &display)?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Config::default(),
        Err(e) => return Err(Diagnostic::error(display, format!("cannot read: {e}")).into()),
    };
    if config.book.title.is_empty() {
        config.book.title = folder_name(root);
    }
    Ok(config)
}

fn folder_name(root: &Path) -> String {
    let abs = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    abs.file_name().map_or_else(
        || "Documentation".into(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// Markdown sources and other files, skipping hidden ones (`.git`, editor swap files).
fn read_content(
    dir: &Path,
    display: &Path,
    problems: &mut Diagnostics,
) -> (Vec<Source>, Vec<Asset>) {
    let mut sources = Vec::new();
    let mut assets = Vec::new();
    for (rel, path) in walk(dir, display, problems) {
        if !rel.ends_with(".md") {
            assets.push(Asset { rel, path });
            continue;
        }
        match read_text(&path) {
            Ok(text) => sources.push(Source {
                rel,
                text: text.into(),
            }),
            Err(e) => problems.push(Diagnostic::error(display.join(&rel), format!("{e:#}"))),
        }
    }
    (sources, assets)
}

fn read_theme(root: &Path, config: &Config, problems: &mut Diagnostics) -> Theme {
    let mut theme = Theme::default();
    let dir = root.join(&config.build.theme);
    if !dir.is_dir() {
        return theme;
    }
    let display = display_path(root, &config.build.theme);
    for (rel, path) in walk(&dir, &display, problems) {
        match std::fs::read(&path).with_context(|| format!("reading {}", path.display())) {
            Ok(bytes) => theme.override_with(rel.clone(), bytes, display.join(&rel)),
            Err(e) => problems.push(Diagnostic::error(display.join(&rel), format!("{e:#}"))),
        }
    }
    theme
}

fn read_data(root: &Path, config: &Config, problems: &mut Diagnostics) -> Option<Data> {
    let rel = config.build.data.join(data::FILE_NAME);
    let display = display_path(root, &rel);
    let text = match std::fs::read(root.join(&rel)) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(e) => {
                problems.push(Diagnostic::error(
                    display,
                    format!(
                        "not UTF-8 text (invalid byte at offset {})",
                        e.utf8_error().valid_up_to()
                    ),
                ));
                return None;
            }
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => {
            problems.push(Diagnostic::error(display, format!("cannot read: {e}")));
            return None;
        }
    };
    data::parse(&text, &display)
        .map_err(|d| problems.extend(d))
        .ok()
}

/// Files under `dir` as (relative path with `/`, real path), sorted, hidden ones skipped.
fn walk(dir: &Path, display: &Path, problems: &mut Diagnostics) -> Vec<(String, PathBuf)> {
    let mut files = Vec::new();
    let entries = WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
    for entry in entries {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                problems.push(Diagnostic::error(
                    display,
                    format!("cannot read folder: {e}"),
                ));
                continue;
            }
        };
        if !entry.file_type().is_file() || is_editor_temp(&entry.file_name().to_string_lossy()) {
            continue;
        }
        let rel = entry.path().strip_prefix(dir).unwrap_or(entry.path());
        let rel = rel.to_string_lossy().replace('\\', "/");
        files.push((rel, entry.into_path()));
    }
    files
}

/// Backup, swap and scratch files editors leave beside the file being edited:
/// `x~`, vim's swap files and its write test `4913` (a number, no
/// extension), emacs's `#x#`, `x.tmp`. (Hidden files, such as `.x.swp` and
/// emacs's `.#x` lock links, are skipped anyway.)
pub fn is_editor_temp(name: &str) -> bool {
    name.ends_with('~')
        || name.ends_with(".swp")
        || name.ends_with(".swx")
        || name.ends_with(".tmp")
        || (name.starts_with('#') && name.ends_with('#'))
        || (!name.is_empty() && name.bytes().all(|b| b.is_ascii_digit()))
}

fn read_text(path: &Path) -> anyhow::Result<String> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        anyhow::anyhow!(
            "not UTF-8 text (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        )
    })?;
    // A byte-order mark is an editor's artefact, not content.
    Ok(match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_string(),
        None => text,
    })
}

/// What reading a part of the site again found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refresh {
    Changed,
    /// The same as before: a touch, or a save without edits.
    Unchanged,
    /// A folder changed: read the whole site again.
    Folder,
}

/// Reading parts of the site again after they changed (the preview server).
/// Each keeps the project as it was when the part cannot be read.
impl Project {
    /// Reads one path of the content folder again: a file added, changed or removed.
    pub fn refresh_content(&mut self, rel: &str) -> Result<Refresh, Diagnostics> {
        let path = self.path(&self.config.build.content).join(rel);
        let meta = std::fs::symlink_metadata(&path);
        if meta.as_ref().is_ok_and(|m| m.is_dir()) {
            return Ok(Refresh::Folder);
        }
        if !meta.is_ok_and(|m| m.is_file()) {
            let inside = format!("{rel}/");
            let before = self.sources.len() + self.assets.len();
            self.sources
                .retain(|s| s.rel != rel && !s.rel.starts_with(&inside));
            self.assets
                .retain(|a| a.rel != rel && !a.rel.starts_with(&inside));
            return Ok(if before == self.sources.len() + self.assets.len() {
                Refresh::Unchanged
            } else {
                Refresh::Changed
            });
        }
        if !rel.ends_with(".md") {
            // Served from disk as it is: only a new file changes the site.
            if self.assets.iter().any(|a| a.rel == rel) {
                return Ok(Refresh::Unchanged);
            }
            self.assets.push(Asset {
                rel: rel.to_string(),
                path,
            });
            return Ok(Refresh::Changed);
        }
        let file = self.display(&self.config.build.content).join(rel);
        let text = read_text(&path)
            .map_err(|e| Diagnostics::from(Diagnostic::error(file, format!("{e:#}"))))?;
        match self.sources.iter_mut().find(|s| s.rel == rel) {
            Some(source) if *source.text == *text => Ok(Refresh::Unchanged),
            Some(source) => {
                source.text = text.into();
                Ok(Refresh::Changed)
            }
            None => {
                self.sources.push(Source {
                    rel: rel.to_string(),
                    text: text.into(),
                });
                Ok(Refresh::Changed)
            }
        }
    }

    pub fn refresh_data(&mut self) -> Result<Refresh, Diagnostics> {
        let mut problems = Diagnostics::default();
        let data = read_data(&self.root, &self.config, &mut problems);
        if problems.has_errors() {
            return Err(problems);
        }
        Ok(replace(&mut self.data, data))
    }

    pub fn refresh_theme(&mut self) -> Result<Refresh, Diagnostics> {
        let mut problems = Diagnostics::default();
        let theme = read_theme(&self.root, &self.config, &mut problems);
        if problems.has_errors() {
            return Err(problems);
        }
        Ok(replace(&mut self.theme, theme))
    }
}

fn replace<T: PartialEq>(old: &mut T, new: T) -> Refresh {
    if *old == new {
        return Refresh::Unchanged;
    }
    *old = new;
    Refresh::Changed
}
