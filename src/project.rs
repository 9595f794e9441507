//! Finds a site and reads it: book.toml, the content folder, the theme
//! overrides. The result is one immutable value the build works from.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;
use walkdir::WalkDir;

use crate::config::{self, Config};
use crate::content::Source;
use crate::data::{self, Data};
use crate::diagnostic::{Diagnostic, Diagnostics, display_path};
use crate::include::{self, Expansion, Unreadable};
use crate::theme::{self, Theme};

mod config_files;

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
    /// The configuration files it reads values from (or tried to), as real paths.
    pub data_files: BTreeSet<PathBuf>,
    /// Files of the content and theme folders left out (a FIFO, a symlink
    /// out of the folder), by file as named in diagnostics, with the warning
    /// that says why.
    pub skipped: BTreeMap<PathBuf, Diagnostic>,
    /// What book.toml asks that envbook does not do.
    pub config_warnings: Diagnostics,
    /// book.toml's text, for the place of a problem found later.
    pub config_text: String,
}

impl Project {
    /// Reads the site in `root`. Every problem found is reported.
    pub fn load(root: &Path) -> Result<Project, Diagnostics> {
        let Loaded {
            config,
            warnings: config_warnings,
            text: config_text,
        } = load_config(root)?;
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
        let mut skipped = BTreeMap::new();
        let includes = Includes::new(root, &content_display, &config);
        // The data (and the configuration files it reads) meanwhile.
        let mut data_problems = Diagnostics::default();
        let ((sources, assets), (data, data_files)) = rayon::join(
            || {
                let walk = Walk {
                    dir: &content,
                    display: &content_display,
                };
                read_content(&walk, &includes, &mut problems, &mut skipped)
            },
            || read_data(root, &config, &mut data_problems),
        );
        let theme = read_theme(root, &config, &mut problems, &mut skipped);
        problems.extend(data_problems);
        if problems.has_errors() {
            problems.0.extend(skipped.into_values());
            problems.extend(config_warnings);
            return Err(problems);
        }
        Ok(Project {
            root: root.to_path_buf(),
            config,
            config_warnings,
            config_text,
            sources,
            assets,
            theme,
            data,
            data_files,
            skipped,
        })
    }

    /// The warnings of reading the site: the files left out.
    pub fn warnings(&self) -> Diagnostics {
        let mut all = self.config_warnings.clone();
        all.0.extend(self.skipped.values().cloned());
        all
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

/// book.toml read: the config, its warnings and its text.
/// Only the site's book.toml: for a command that reads the built site.
pub fn read_config(root: &Path) -> Result<Config, Diagnostics> {
    Ok(load_config(root)?.config)
}

struct Loaded {
    config: Config,
    warnings: Diagnostics,
    text: String,
}

fn load_config(root: &Path) -> Result<Loaded, Diagnostics> {
    let path = root.join(config::FILE_NAME);
    let display = display_path(root, Path::new(config::FILE_NAME));
    let text = match read_file(&path) {
        Ok(bytes) => utf8(bytes, &display)?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(Diagnostic::error(display, format!("cannot read: {e}")).into()),
    };
    let (mut config, warnings) = Config::parse(&text, &display, mdbook_layout(root))?;
    if config.book.title.is_empty() {
        config.book.title = folder_name(root);
    }
    check_additional_files(root, &config, &text, &display)?;
    let mut warnings = warnings;
    warnings.0.extend(mdbook_theme(root, &config));
    Ok(Loaded {
        config,
        warnings,
        text,
    })
}

/// mdBook's Handlebars theme (`theme/index.hbs`) cannot be used: said once.
fn mdbook_theme(root: &Path, config: &Config) -> Option<Diagnostic> {
    if config.format != config::Format::MdBook {
        return None;
    }
    let rel = Path::new("theme").join("index.hbs");
    let text = read_text(&root.join(&rel), &rel).ok()?;
    let d = Diagnostic::error(
        display_path(root, &rel),
        "mdBook's Handlebars theme is not used: envbook draws the pages with its own",
    )
    .at_span(&text, 0, 0)
    .with_help(format!(
        "`additional-css` and `additional-js` still apply; to change envbook's templates, put them in {}",
        display_path(root, &config.build.theme).display()
    ));
    Some(d.warning())
}

/// mdBook's `additional-css` and `additional-js` must be files of the book folder.
fn check_additional_files(
    root: &Path,
    config: &Config,
    text: &str,
    display: &Path,
) -> Result<(), Diagnostics> {
    let html = &config.html;
    let mut problems = Diagnostics::default();
    for file in html.additional_css.iter().chain(&html.additional_js) {
        let inside = file.is_relative()
            && file
                .components()
                .all(|c| matches!(c, std::path::Component::Normal(_)));
        let why = if !inside {
            "is not a path inside the book folder"
        } else if !root.join(file).is_file() {
            "is not a file of the book folder"
        } else {
            continue;
        };
        let name = file.to_string_lossy();
        let at = text.find(&*name).unwrap_or(0);
        problems.push(
            Diagnostic::error(display, format!("`{name}` {why}")).at_span(
                text,
                at,
                at + name.len(),
            ),
        );
    }
    match problems.is_empty() {
        true => Ok(()),
        false => Err(problems),
    }
}

/// An mdBook book's folder: `src/SUMMARY.md` and no `content/`.
fn mdbook_layout(root: &Path) -> bool {
    root.join("src").join(crate::content::SUMMARY).is_file() && !root.join("content").exists()
}

fn folder_name(root: &Path) -> String {
    let abs = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    abs.file_name().map_or_else(
        || "Documentation".into(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// A site this big has its sources read on more threads (see [`crate::disk`]).
const MANY_PAGES: usize = 2_500;

/// Markdown sources and other files, skipping hidden ones (`.git`, editor swap files).
fn read_content(
    walk: &Walk,
    includes: &Includes,
    problems: &mut Diagnostics,
    skipped: &mut BTreeMap<PathBuf, Diagnostic>,
) -> (Vec<Source>, Vec<Asset>) {
    let (pages, assets): (Vec<_>, Vec<_>) = walk
        .files(problems, skipped)
        .into_iter()
        .partition(|(rel, _)| rel.ends_with(".md"));
    let assets = assets.into_iter().map(|(rel, path)| Asset { rel, path });
    let big = pages.len() >= MANY_PAGES;
    let read: Vec<Result<Source, Diagnostic>> = crate::disk::waiting(big, move || {
        pages
            .into_par_iter()
            .map(|(rel, path)| {
                let text = read_text(&path, &walk.display.join(&rel))?;
                Ok(includes.source(rel, text.into()))
            })
            .collect()
    });
    let mut sources = Vec::with_capacity(read.len());
    for source in read {
        match source {
            Ok(source) => sources.push(source),
            Err(d) => problems.push(d),
        }
    }
    (sources, assets.collect())
}

fn read_theme(
    root: &Path,
    config: &Config,
    problems: &mut Diagnostics,
    skipped: &mut BTreeMap<PathBuf, Diagnostic>,
) -> Theme {
    let mut theme = Theme::default();
    let dir = root.join(&config.build.theme);
    let display = display_path(root, &config.build.theme);
    skipped.retain(|file, _| !file.starts_with(&display));
    if !dir.is_dir() {
        return theme;
    }
    let walk = Walk {
        dir: &dir,
        display: &display,
    };
    for (rel, path) in walk.files(problems, skipped) {
        let file = display.join(&rel);
        let bytes = match read_file(&path) {
            Ok(bytes) => bytes,
            Err(e) => {
                problems.push(Diagnostic::error(file, format!("cannot read: {e}")));
                continue;
            }
        };
        // Templates are text; a static file may be anything.
        let bytes = match rel.starts_with(theme::TEMPLATES) {
            true => match utf8(bytes, &file) {
                Ok(text) => text.into_bytes(),
                Err(d) => {
                    problems.push(d);
                    continue;
                }
            },
            false => bytes,
        };
        theme.override_with(rel, bytes, file);
    }
    theme
}

/// The data file is read whole or not at all: left out, it would change
/// every page that uses it, so a file that is not one is an error.
/// The data, and the configuration files it reads values from (or tried to).
fn read_data(
    root: &Path,
    config: &Config,
    problems: &mut Diagnostics,
) -> (Option<Data>, BTreeSet<PathBuf>) {
    let rel = config.build.data.join(data::FILE_NAME);
    let display = display_path(root, &rel);
    let bytes = match read_file(&root.join(&rel)) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Default::default(),
        Err(e) => {
            problems.push(Diagnostic::error(display, format!("cannot read: {e}")));
            return Default::default();
        }
    };
    let Some(text) = utf8(bytes, &display).map_err(|d| problems.push(d)).ok() else {
        return Default::default();
    };
    let files = config_files::ConfigFiles::new(root, &config.data.source_url);
    let data = data::read(&text, &display, &files)
        .map_err(|d| problems.extend(d))
        .ok();
    (data, files.asked.into_inner())
}

/// A folder of the site to read, and how it is named in diagnostics.
struct Walk<'a> {
    dir: &'a Path,
    display: &'a Path,
}

impl Walk<'_> {
    /// Files under `dir` as (relative path with `/`, path to read), sorted,
    /// hidden ones skipped; files that are left out go to `skipped`.
    fn files(
        &self,
        problems: &mut Diagnostics,
        skipped: &mut BTreeMap<PathBuf, Diagnostic>,
    ) -> Vec<(String, PathBuf)> {
        let mut files = Vec::new();
        let within = real(self.dir);
        let entries = WalkDir::new(self.dir)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
        for entry in entries {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    problems.push(Diagnostic::error(
                        self.display,
                        format!("cannot read folder: {e}"),
                    ));
                    continue;
                }
            };
            let kind = entry.file_type();
            if kind.is_dir() || is_editor_temp(&entry.file_name().to_string_lossy()) {
                continue;
            }
            let rel = entry.path().strip_prefix(self.dir).unwrap_or(entry.path());
            let rel = rel.to_string_lossy().replace('\\', "/");
            match classify(entry.path(), kind, &within, self.display) {
                Ok(path) => files.push((rel, path)),
                Err(why) => {
                    let file = self.display.join(&rel);
                    let warning = Diagnostic::error(&file, why).warning();
                    skipped.insert(file, warning);
                }
            }
        }
        files
    }
}

/// The path to read for an entry of type `kind` of a folder of the site
/// (`within`, a real path, named `shown`), or why it is left out. Nothing is
/// opened: a FIFO would block the build and a device never end. A symlink is
/// followed when its target is a file inside the same folder; one leading
/// out of it is not, so no file outside `content/` is ever read or served
/// (mdBook follows every symlink; the preview server promises not to).
fn classify(
    path: &Path,
    kind: fs::FileType,
    within: &Path,
    shown: &Path,
) -> Result<PathBuf, String> {
    const SKIP: &str = "left out of the site:";
    if kind.is_file() {
        return Ok(path.to_path_buf());
    }
    if !kind.is_symlink() {
        return Err(format!("{SKIP} it is {}", not_a_file(kind)));
    }
    let target = fs::canonicalize(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => format!("{SKIP} a symlink to nothing"),
        _ => format!("{SKIP} a symlink that cannot be followed ({e})"),
    })?;
    if !target.starts_with(within) {
        return Err(format!(
            "{SKIP} a symlink to {}, outside {}",
            target.display(),
            shown.display()
        ));
    }
    match fs::metadata(&target) {
        Ok(meta) if meta.is_file() => Ok(target),
        Ok(meta) if meta.is_dir() => Err(format!("{SKIP} a symlink to a folder")),
        Ok(meta) => Err(format!(
            "{SKIP} a symlink to {}",
            not_a_file(meta.file_type())
        )),
        Err(e) => Err(format!("{SKIP} {e}")),
    }
}

/// What a thing that is not a regular file is, in words.
fn not_a_file(kind: fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return "a named pipe (FIFO), not a file";
        }
        if kind.is_socket() {
            return "a socket, not a file";
        }
        if kind.is_block_device() || kind.is_char_device() {
            return "a device, not a file";
        }
    }
    if kind.is_dir() {
        return "a folder, not a file";
    }
    "not a regular file"
}

/// Reads a file named in the configuration (following symlinks), but never
/// opens one that is not a regular file.
fn read_file(path: &Path) -> std::io::Result<Vec<u8>> {
    let meta = fs::metadata(path)?;
    if !meta.is_file() {
        return Err(std::io::Error::other(format!(
            "it is {}",
            not_a_file(meta.file_type())
        )));
    }
    fs::read(path)
}

/// `bytes` as text, or an error at the first byte that is not UTF-8.
fn utf8(bytes: Vec<u8>, file: &Path) -> Result<String, Diagnostic> {
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let text = String::from_utf8_lossy(e.as_bytes());
        Diagnostic::error(
            file,
            format!(
                "not UTF-8 text (invalid byte 0x{:02X} at offset {at})",
                e.as_bytes()[at]
            ),
        )
        .at_span(&text, at, at)
        .with_help("save the file as UTF-8")
    })
}

/// A file's real path; for one that does not exist, its folder's real path
/// joined with its name (the preview server watches for it to appear).
fn real_file(path: &Path) -> PathBuf {
    if let Ok(real) = fs::canonicalize(path) {
        return real;
    }
    let parent = path.parent().map(real).unwrap_or_default();
    let absolute = std::path::absolute(&parent).unwrap_or(parent);
    absolute.join(path.file_name().unwrap_or_default())
}

fn real(path: &Path) -> PathBuf {
    fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
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

fn read_text(path: &Path, file: &Path) -> Result<String, Diagnostic> {
    let bytes = fs::read(path).map_err(|e| Diagnostic::error(file, format!("cannot read: {e}")))?;
    let text = utf8(bytes, file)?;
    // A byte-order mark is an editor's artefact, not content.
    Ok(match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_string(),
        None => text,
    })
}

/// The repository that holds the site in `root`, as a real path: the
/// nearest folder with `.git` from the site folder up, else the site folder.
fn repository(root: &Path) -> Option<PathBuf> {
    let real = fs::canonicalize(root).ok()?;
    let repo = real.ancestors().find(|dir| dir.join(".git").exists());
    Some(repo.unwrap_or(&real).to_path_buf())
}

/// Reads the files that pages include with mdBook's file directives: any
/// file inside the repository that holds the book (the nearest folder with
/// `.git` from the site folder up, else the site folder), never one outside
/// it, whether reached by `..` or by a symlink.
struct Includes {
    /// The repository, as a real path.
    repo: Option<PathBuf>,
    /// The content folder as named in diagnostics (pages' paths start there).
    content: PathBuf,
    /// An mdBook book (see [`include::Input::as_mdbook`]).
    as_mdbook: bool,
}

impl Includes {
    fn new(root: &Path, content: &Path, config: &Config) -> Includes {
        Includes {
            repo: repository(root),
            content: content.to_path_buf(),
            as_mdbook: config.format == config::Format::MdBook,
        }
    }

    /// The source at `rel` of the content folder, its directives expanded.
    fn source(&self, rel: String, text: Arc<str>) -> Source {
        let expanded = (rel != crate::content::SUMMARY)
            .then(|| self.expand(&rel, &text))
            .flatten()
            .map(Arc::new);
        Source {
            rel,
            text,
            expanded,
        }
    }

    fn expand(&self, rel: &str, text: &str) -> Option<Expansion> {
        let file = self.content.join(rel);
        let dir = file.parent().unwrap_or(Path::new(""));
        include::expand(&include::Input {
            file: &file,
            text,
            body_start: crate::frontmatter::body_start(text),
            dir,
            load: &|path| self.load(path),
            as_mdbook: self.as_mdbook,
        })
    }

    fn load(&self, path: &Path) -> Result<Arc<str>, Unreadable> {
        let refused = |why: String| Unreadable {
            why,
            missing: false,
        };
        let real = fs::canonicalize(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => Unreadable {
                why: format!("there is no file {}", path.display()),
                missing: true,
            },
            _ => refused(format!("{}: {e}", path.display())),
        })?;
        let repo = self.repo.as_deref().unwrap_or(Path::new("/"));
        if !real.starts_with(repo) {
            return Err(refused(format!(
                "{} is outside the repository that holds the book ({})",
                real.display(),
                repo.display()
            )));
        }
        let bytes = read_file(&real).map_err(|e| refused(format!("{}: {e}", path.display())))?;
        let text =
            utf8(bytes, path).map_err(|d| refused(format!("{}: {}", path.display(), d.message)))?;
        Ok(text.strip_prefix('\u{feff}').unwrap_or(&text).into())
    }
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
        let file = self.display(&self.config.build.content).join(rel);
        let meta = fs::symlink_metadata(&path);
        if meta.as_ref().is_ok_and(|m| m.is_dir()) {
            return Ok(Refresh::Folder);
        }
        let warned = self.skipped.remove(&file).is_some();
        let content = self.config.build.content.as_path();
        let (within, shown) = (real(&self.path(content)), self.display(content));
        let found = match &meta {
            Ok(m) => classify(&path, m.file_type(), &within, &shown).map_err(Some),
            Err(_) => Err(None),
        };
        let path = match found {
            Ok(path) => path,
            Err(why) => {
                let gone = self.forget(rel, &file);
                let warns = why.is_some();
                if let Some(why) = why {
                    let warning = Diagnostic::error(&file, why).warning();
                    self.skipped.insert(file, warning);
                }
                return Ok(if gone || warned != warns {
                    Refresh::Changed
                } else {
                    Refresh::Unchanged
                });
            }
        };
        if !rel.ends_with(".md") {
            // Served from disk as it is: only a new file changes the site.
            return Ok(match self.assets.iter_mut().find(|a| a.rel == rel) {
                Some(asset) if asset.path == path && !warned => Refresh::Unchanged,
                Some(asset) => {
                    asset.path = path;
                    Refresh::Changed
                }
                None => {
                    self.assets.push(Asset {
                        rel: rel.to_string(),
                        path,
                    });
                    Refresh::Changed
                }
            });
        }
        let text = read_text(&path, &file).map_err(Diagnostics::from)?;
        let includes = self.includes();
        match self.sources.iter_mut().find(|s| s.rel == rel) {
            Some(source) if *source.text == *text && !warned => Ok(Refresh::Unchanged),
            Some(source) => {
                *source = includes.source(rel.to_string(), text.into());
                Ok(Refresh::Changed)
            }
            None => {
                self.sources
                    .push(includes.source(rel.to_string(), text.into()));
                Ok(Refresh::Changed)
            }
        }
    }

    fn includes(&self) -> Includes {
        Includes::new(
            &self.root,
            &self.display(&self.config.build.content),
            &self.config,
        )
    }

    /// Expands again the pages that include `path` (a real path), which
    /// changed; reads the data again if it reads values from it.
    pub fn refresh_included(&mut self, path: &Path) -> Result<Refresh, Diagnostics> {
        // mdBook's additional css/js are copied again by the next build.
        if self.additional_files().any(|f| f == path) {
            return Ok(Refresh::Changed);
        }
        let data = match self.data_files.contains(path) {
            true => self.refresh_data()?,
            false => Refresh::Unchanged,
        };
        let includes = self.includes();
        let mut refresh = Refresh::Unchanged;
        for source in &mut self.sources {
            let uses = source
                .expanded
                .as_ref()
                .is_some_and(|e| e.files.iter().any(|f| real_file(f) == path));
            if !uses {
                continue;
            }
            let fresh = includes.source(source.rel.clone(), source.text.clone());
            if fresh.expanded != source.expanded {
                *source = fresh;
                refresh = Refresh::Changed;
            }
        }
        Ok(if data == Refresh::Changed {
            data
        } else {
            refresh
        })
    }

    /// Every file the pages include (or try to), and the book's additional
    /// css/js, as real paths: what `serve` watches besides the folders.
    pub fn included_files(&self) -> BTreeSet<PathBuf> {
        let included = self
            .sources
            .iter()
            .filter_map(|s| s.expanded.as_ref())
            .flat_map(|e| e.files.iter().map(|f| real_file(f)));
        let data = self.data_files.iter().cloned();
        included
            .chain(self.additional_files())
            .chain(data)
            .collect()
    }

    /// A hash of what [`Project::included_files`] and the folders to watch
    /// are made of, read without touching the disk: `serve` makes them
    /// again (a real path each) only when it changes, not at every edit
    /// (the Rust Cookbook includes 300 files: 4 ms a rebuild). A symlink
    /// made to lead elsewhere meanwhile is still read, not watched anew.
    pub fn watch_key(&self) -> u64 {
        let included: Vec<&[PathBuf]> = self
            .sources
            .iter()
            .filter_map(|s| s.expanded.as_ref())
            .map(|e| e.files.as_slice())
            .collect();
        let html = &self.config.html;
        let build = format!("{:?}", self.config.build);
        let key = (
            included,
            &html.additional_css,
            &html.additional_js,
            &self.data_files,
            build,
        );
        std::hash::BuildHasher::hash_one(&foldhash::fast::FixedState::default(), &key)
    }

    /// mdBook's `additional-css` and `additional-js`, as real paths.
    fn additional_files(&self) -> impl Iterator<Item = PathBuf> + '_ {
        let html = &self.config.html;
        html.additional_css
            .iter()
            .chain(&html.additional_js)
            .map(|f| real_file(&self.root.join(f)))
    }

    /// Forgets the content at `rel` (named `file` in diagnostics), a file
    /// or a folder; whether there was any.
    fn forget(&mut self, rel: &str, file: &Path) -> bool {
        let inside = format!("{rel}/");
        let before = self.sources.len() + self.assets.len() + self.skipped.len();
        self.sources
            .retain(|s| s.rel != rel && !s.rel.starts_with(&inside));
        self.assets
            .retain(|a| a.rel != rel && !a.rel.starts_with(&inside));
        self.skipped.retain(|f, _| !f.starts_with(file));
        before != self.sources.len() + self.assets.len() + self.skipped.len()
    }

    pub fn refresh_data(&mut self) -> Result<Refresh, Diagnostics> {
        let mut problems = Diagnostics::default();
        let (data, files) = read_data(&self.root, &self.config, &mut problems);
        // Watched from now on, even when they are broken or missing.
        self.data_files.extend(files);
        if problems.has_errors() {
            return Err(problems);
        }
        Ok(replace(&mut self.data, data))
    }

    pub fn refresh_theme(&mut self) -> Result<Refresh, Diagnostics> {
        let mut problems = Diagnostics::default();
        let mut skipped = self.skipped.clone();
        let theme = read_theme(&self.root, &self.config, &mut problems, &mut skipped);
        if problems.has_errors() {
            return Err(problems);
        }
        let warnings = replace(&mut self.skipped, skipped);
        match replace(&mut self.theme, theme) {
            Refresh::Unchanged => Ok(warnings),
            changed => Ok(changed),
        }
    }
}

fn replace<T: PartialEq>(old: &mut T, new: T) -> Refresh {
    if *old == new {
        return Refresh::Unchanged;
    }
    *old = new;
    Refresh::Changed
}
