//! Watching the site's folders (notify + notify-debouncer-full) and sorting
//! what changed into kinds, each with one rebuild rule.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

use anyhow::{Context, Result};
use notify::event::{EventKind, MetadataKind, ModifyKind};
use notify::{PollWatcher, RecommendedWatcher, RecursiveMode};
use notify_debouncer_full::{
    DebounceEventResult, Debouncer, RecommendedCache, new_debouncer, new_debouncer_opt,
};

use crate::project::is_editor_temp;

/// Long enough to merge an editor's write-and-rename and a burst of saves
/// into one rebuild, short enough to stay out of the way (Hugo waits 500 ms).
const DEBOUNCE: Duration = Duration::from_millis(10);
const POLL_INTERVAL: Duration = Duration::from_millis(300);

/// The folders that make the site, as real paths.
#[derive(Debug, Clone, PartialEq)]
pub struct Folders {
    /// book.toml's folder: watched on its own, not recursively.
    pub root: PathBuf,
    pub config: PathBuf,
    pub content: PathBuf,
    pub data: PathBuf,
    pub theme: PathBuf,
}

/// What a change touches, from the narrowest rebuild to the widest.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Change {
    /// A file or folder under content/ (path relative to it, `/` separators).
    Content(String),
    Data,
    Theme,
    /// book.toml, or a site folder appearing or going: read everything again.
    Site,
}

/// Sorts one path that changed. `None` for what does not make the site:
/// editor temp and swap files, hidden files, anything else beside book.toml.
pub fn classify(path: &Path, folders: &Folders) -> Option<Change> {
    let name = path.file_name()?.to_string_lossy();
    if is_editor_temp(&name) || name.starts_with('.') {
        return None;
    }
    if let Ok(rel) = path.strip_prefix(&folders.content) {
        let rel = rel.to_string_lossy().replace('\\', "/");
        return Some(if rel.is_empty() {
            Change::Site
        } else {
            Change::Content(rel)
        });
    }
    if path.starts_with(&folders.data) {
        return Some(if path == folders.data {
            Change::Site
        } else {
            Change::Data
        });
    }
    if path.starts_with(&folders.theme) {
        return Some(if path == folders.theme {
            Change::Site
        } else {
            Change::Theme
        });
    }
    (path == folders.config).then_some(Change::Site)
}

/// Whether an event may be a real change. Access, open and metadata events
/// (the watcher reports the build's own reads too) never start a rebuild. A new
/// modification time may (the polling watcher reports writes so); the session
/// then compares the file with what it has.
fn is_change(kind: &EventKind) -> bool {
    match kind {
        EventKind::Create(_) | EventKind::Remove(_) => true,
        EventKind::Modify(ModifyKind::Metadata(MetadataKind::WriteTime)) => true,
        EventKind::Modify(ModifyKind::Metadata(_)) => false,
        EventKind::Modify(_) => true,
        EventKind::Access(_) | EventKind::Other | EventKind::Any => false,
    }
}

enum Inner {
    Native(Debouncer<RecommendedWatcher, RecommendedCache>),
    Poll(Debouncer<PollWatcher, RecommendedCache>),
}

pub struct Watcher {
    inner: Inner,
    events: Receiver<DebounceEventResult>,
    watched: Vec<PathBuf>,
}

impl Watcher {
    /// Starts watching; `poll` for file systems that report no events.
    pub fn start(folders: &Folders, poll: bool) -> Result<Watcher> {
        let (tx, events) = channel();
        let inner = if poll {
            // Contents, not only times: a save that truncates then writes within
            // one tick of the file system's clock leaves the time as it was
            // when a poll saw the empty file.
            let config = notify::Config::default()
                .with_poll_interval(POLL_INTERVAL)
                .with_compare_contents(true);
            Inner::Poll(new_debouncer_opt(
                DEBOUNCE,
                None,
                tx,
                RecommendedCache::new(),
                config,
            )?)
        } else {
            Inner::Native(new_debouncer(DEBOUNCE, None, tx)?)
        };
        let mut watcher = Watcher {
            inner,
            events,
            watched: Vec::new(),
        };
        watcher.watch(folders)?;
        Ok(watcher)
    }

    /// Watches `folders`: again after the site was read anew, when a folder
    /// may have appeared or moved. Folders already watched stay watched, so
    /// no event is lost in between.
    pub fn watch(&mut self, folders: &Folders) -> Result<()> {
        // Folders, not files: editors that save by renaming replace the file.
        let wanted: Vec<(&PathBuf, RecursiveMode)> = [
            (&folders.root, RecursiveMode::NonRecursive),
            (&folders.content, RecursiveMode::Recursive),
            (&folders.data, RecursiveMode::Recursive),
            (&folders.theme, RecursiveMode::Recursive),
        ]
        .into_iter()
        .filter(|(path, _)| path.is_dir())
        .collect();
        for path in std::mem::take(&mut self.watched) {
            if wanted.iter().any(|(p, _)| **p == path) {
                self.watched.push(path);
            } else {
                let _ = match &mut self.inner {
                    Inner::Native(d) => d.unwatch(&path),
                    Inner::Poll(d) => d.unwatch(&path),
                };
            }
        }
        for (path, mode) in wanted {
            if self.watched.contains(path) {
                continue;
            }
            match &mut self.inner {
                Inner::Native(d) => d.watch(path, mode),
                Inner::Poll(d) => d.watch(path, mode),
            }
            .with_context(|| format!("watching {}", path.display()))?;
            self.watched.push(path.clone());
        }
        Ok(())
    }

    /// Waits for the next batch of changes, sorted and without repeats.
    /// `None` when the watcher stopped.
    pub fn next(&self, folders: &Folders) -> Option<Vec<Change>> {
        loop {
            let batch = self.events.recv().ok()?;
            let changes = match batch {
                Ok(events) => sort(&events, folders),
                // Lost events: the only safe answer is to read everything again.
                Err(_) => vec![Change::Site],
            };
            if !changes.is_empty() {
                return Some(changes);
            }
        }
    }
}

fn sort(events: &[notify_debouncer_full::DebouncedEvent], folders: &Folders) -> Vec<Change> {
    let mut changes: Vec<Change> = Vec::new();
    for event in events {
        if event.need_rescan() {
            changes.push(Change::Site);
            continue;
        }
        if !is_change(&event.kind) {
            continue;
        }
        // A folder's own time changes with every file made in it; the files'
        // events say what changed.
        let modified = matches!(event.kind, EventKind::Modify(_));
        let paths = event.paths.iter().filter(|p| !(modified && p.is_dir()));
        changes.extend(paths.filter_map(|p| classify(p, folders)));
    }
    changes.sort();
    changes.dedup();
    changes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folders() -> Folders {
        let root = PathBuf::from("/site");
        Folders {
            config: root.join("book.toml"),
            content: root.join("content"),
            data: root.join("data"),
            theme: root.join("theme"),
            root,
        }
    }

    #[test]
    fn paths_are_sorted_into_kinds() {
        let f = folders();
        let c = |p: &str| classify(Path::new(p), &f);
        assert_eq!(
            c("/site/content/runbooks/a.md"),
            Some(Change::Content("runbooks/a.md".into()))
        );
        assert_eq!(c("/site/data/environments.yaml"), Some(Change::Data));
        assert_eq!(c("/site/theme/templates/page.html"), Some(Change::Theme));
        assert_eq!(c("/site/book.toml"), Some(Change::Site));
        assert_eq!(c("/site/data"), Some(Change::Site));
    }

    #[test]
    fn temp_files_and_other_folders_are_ignored() {
        let f = folders();
        for p in [
            "/site/content/.a.md.swp",
            "/site/content/a.md~",
            "/site/content/#a.md#",
            "/site/content/.#a.md",
            "/site/content/a.md.tmp",
            "/site/site/index.html",
            "/site/README.md",
        ] {
            assert_eq!(classify(Path::new(p), &f), None, "{p}");
        }
    }

    #[test]
    fn only_real_changes_count() {
        use notify::event::{AccessKind, CreateKind, DataChange};
        assert!(is_change(&EventKind::Create(CreateKind::File)));
        assert!(is_change(&EventKind::Modify(ModifyKind::Data(
            DataChange::Content
        ))));
        assert!(!is_change(&EventKind::Access(AccessKind::Read)));
        assert!(!is_change(&EventKind::Modify(ModifyKind::Metadata(
            MetadataKind::AccessTime
        ))));
    }
}
