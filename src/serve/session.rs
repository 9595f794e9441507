//! The site as the preview server knows it between rebuilds: the project
//! (or why it cannot be read), the build cache, and the build number.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use super::http::{Content, Live};
use super::watch::{Change, Folders};
use crate::cache;
use crate::config::Config;
use crate::diagnostic::Diagnostics;
use crate::markdown::Highlighter;
use crate::project::{Project, Refresh};
use crate::site::{self, Cache, Sink, Summary};

pub struct Session {
    root: PathBuf,
    /// `None` until the site can be read at all (a broken book.toml at start).
    project: Option<Project>,
    cache: Cache,
    highlighter: Highlighter,
    /// Parts of the site that could not be read since they last changed: the
    /// site does not build until they can (a content path, `data`, `theme`, `site`).
    unreadable: BTreeMap<String, Diagnostics>,
    /// The number of the last good build; 0 before the first.
    pub build: u64,
}

/// What reading the changes found.
#[derive(Debug, PartialEq, Eq)]
pub enum Read {
    Unchanged,
    Changed,
    /// The whole site was read again (a folder or book.toml changed): the
    /// watches must be renewed, as a moved folder leaves them on old paths.
    Reloaded,
}

impl Session {
    /// Reads the site in `root`; a site that cannot be read is kept as its
    /// problems. `use_cache`: highlight with the build cache.
    pub fn new(root: PathBuf, use_cache: bool) -> Session {
        let access = cache::Access::writing(!use_cache);
        let mut session = Session {
            highlighter: cache::highlighter(&root, access),
            cache: Cache::keeping().with_store(cache::pages(&root, access)),
            root,
            project: None,
            unreadable: BTreeMap::new(),
            build: 0,
        };
        session.reload();
        session
    }

    /// The configuration, or the defaults while book.toml cannot be read.
    pub fn config(&self) -> Config {
        self.project
            .as_ref()
            .map(|p| p.config.clone())
            .unwrap_or_default()
    }

    /// What the folders to watch are made of (see [`Project::watch_key`]).
    pub fn watch_key(&self) -> Option<u64> {
        self.project.as_ref().map(Project::watch_key)
    }

    /// The folders that make the site, as real paths (as the watcher reports
    /// them); a folder that does not exist yet is named under the real root.
    pub fn folders(&self) -> Folders {
        let real = |p: PathBuf| std::fs::canonicalize(&p).unwrap_or(p);
        let config = self.config();
        let build = &config.build;
        let root = real(std::path::absolute(&self.root).unwrap_or_else(|_| self.root.clone()));
        let included = self
            .project
            .as_ref()
            .map(Project::included_files)
            .unwrap_or_default();
        Folders {
            included,
            extra: build
                .extra_watch_dirs
                .iter()
                .map(|d| real(root.join(d)))
                .collect(),
            config: root.join(crate::config::FILE_NAME),
            content: real(root.join(&build.content)),
            data: real(root.join(&build.data)),
            theme: real(root.join(&build.theme)),
            root,
        }
    }

    /// Reads the whole site again.
    pub fn reload(&mut self) {
        self.unreadable.clear();
        match Project::load(&self.root) {
            Ok(mut project) => {
                let links = &mut project.config.links.check;
                *links = links.for_preview();
                self.project = Some(project);
                self.cache.forget();
            }
            Err(problems) => {
                self.unreadable.insert("site".into(), problems);
            }
        }
    }

    /// Reads the changed parts of the site again.
    pub fn read(&mut self, changes: &[Change]) -> Read {
        // A whole-site read that failed is retried whole: what broke it may
        // be what just changed.
        let failed = self.project.is_none() || self.unreadable.contains_key("site");
        if failed || changes.contains(&Change::Site) {
            self.reload();
            return Read::Reloaded;
        }
        let mut changed = false;
        for change in changes {
            let project = self.project.as_mut().expect("checked above");
            let (key, result) = match change {
                Change::Content(rel) => (rel.clone(), project.refresh_content(rel)),
                Change::Included(path) => {
                    (path.display().to_string(), project.refresh_included(path))
                }
                Change::Data => ("data".into(), project.refresh_data()),
                Change::Theme => ("theme".into(), project.refresh_theme()),
                Change::Site => unreachable!("handled above"),
            };
            match result {
                Ok(Refresh::Folder) => {
                    self.reload();
                    return Read::Reloaded;
                }
                Ok(refresh) => {
                    // A part that could not be read and now can is a change.
                    changed |=
                        self.unreadable.remove(&key).is_some() || refresh == Refresh::Changed;
                }
                Err(problems) => {
                    self.unreadable.insert(key, problems);
                    changed = true;
                }
            }
        }
        if changed {
            Read::Changed
        } else {
            Read::Unchanged
        }
    }

    /// Keeps what the last build put in the build cache for the builds to
    /// come: called once its site is served, which need not wait for it.
    pub fn save_caches(&self) {
        self.highlighter.save_cache();
        self.cache.save_store();
    }

    /// Builds into memory: the new site is the last one with what changed
    /// replaced and what is gone removed.
    pub fn build_live(&mut self, old: &Live) -> Result<(Live, Summary), Diagnostics> {
        let project = match &self.project {
            Some(project) if self.unreadable.is_empty() => project,
            _ => {
                let mut problems = Diagnostics::default();
                self.unreadable
                    .values()
                    .for_each(|d| problems.extend(d.clone()));
                return Err(problems.sorted());
            }
        };
        let sink = Collect::default();
        let summary = site::build(project, &self.highlighter, &sink, &mut self.cache)?;
        let fresh = sink.files.into_inner().expect("no panic holds the lock");
        let mut files = match old.outputs_key == Some(summary.outputs_key) {
            // The same files (most edits): no path looked up.
            true => old.files.clone(),
            false => {
                let keep: foldhash::HashSet<&str> =
                    summary.outputs.iter().map(String::as_str).collect();
                old.files
                    .iter()
                    .filter(|&(k, _)| keep.contains(&**k))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect()
            }
        };
        files.extend(fresh);
        self.build += 1;
        let live = Live {
            files,
            base: project.config.base_path(),
            build: self.build,
            search: summary.search.clone(),
            outputs_key: Some(summary.outputs_key),
        };
        Ok((live, summary))
    }
}

/// Keeps the files a build hands over, as the server holds them.
#[derive(Default)]
struct Collect {
    files: Mutex<foldhash::HashMap<Arc<str>, Content>>,
}

impl Sink for Collect {
    fn put(&self, path: &str, bytes: Vec<u8>) -> anyhow::Result<()> {
        self.files
            .lock()
            .expect("no panic holds the lock")
            .insert(path.into(), Content::Bytes(bytes.into()));
        Ok(())
    }

    fn copy(&self, path: &str, from: &std::path::Path) -> anyhow::Result<()> {
        self.files
            .lock()
            .expect("no panic holds the lock")
            .insert(path.into(), Content::File(from.into()));
        Ok(())
    }
}
