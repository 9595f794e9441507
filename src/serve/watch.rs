//! Watching the site's folders (notify) and sorting what changed into kinds,
//! each with one rebuild rule. Events are gathered here, not by a debouncer
//! thread that ticks every few milliseconds: an idle preview, kept open all
//! day, wakes for nothing.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use notify::event::{EventKind, MetadataKind, ModifyKind};
use notify::{Event, PollWatcher, RecommendedWatcher, RecursiveMode, Watcher as _};

use crate::cache;
use crate::project::is_editor_temp;

/// A batch ends when no event came for this long: long enough to merge an
/// editor's write-and-rename into one rebuild, short enough to stay out of
/// the way (Hugo waits 500 ms).
const DEBOUNCE: Duration = Duration::from_millis(10);
/// After an event that ends a save (the file closed after writing, or
/// renamed into place), a batch ends when no event came for this long: the
/// save is whole, and waiting [`DEBOUNCE`] was a third of an edit's latency.
const SETTLE: Duration = Duration::from_millis(1);
const POLL_INTERVAL: Duration = Duration::from_millis(300);
/// Changes that come within this of the last batch are a storm (an editor
/// saving on every keystroke, a `git checkout`): they are gathered until the
/// folder is quiet for [`QUIET`], for at most [`GATHER`], so a storm costs a
/// few rebuilds instead of one per save, while a lone save is served at once.
const STORM: Duration = Duration::from_millis(100);
const QUIET: Duration = Duration::from_millis(50);
const GATHER: Duration = Duration::from_millis(400);

/// The folders that make the site, as real paths.
#[derive(Debug, Clone, PartialEq)]
pub struct Folders {
    /// book.toml's folder: watched on its own, not recursively.
    pub root: PathBuf,
    pub config: PathBuf,
    pub content: PathBuf,
    pub data: PathBuf,
    pub theme: PathBuf,
    /// The files pages include (mdBook's `{{#include}}`), anywhere in the
    /// repository; their folders are watched, not recursively.
    pub included: BTreeSet<PathBuf>,
    /// `[build] extra-watch-dirs`, watched recursively.
    pub extra: Vec<PathBuf>,
}

impl Folders {
    /// The folders of included files that no other watch covers.
    fn of_included(&self) -> BTreeSet<&Path> {
        let covered = [&self.content, &self.data, &self.theme];
        self.included
            .iter()
            .filter_map(|f| f.parent())
            .filter(|dir| {
                *dir != self.root
                    && !covered.iter().any(|c| dir.starts_with(c))
                    && !self.extra.iter().any(|e| dir.starts_with(e))
            })
            .collect()
    }
}

/// What a change touches, from the narrowest rebuild to the widest.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Change {
    /// A file or folder under content/ (path relative to it, `/` separators).
    Content(String),
    /// A file that pages include, or one in an extra watched folder (a real path).
    Included(PathBuf),
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

pub struct Watcher {
    /// Kept for its watches; events arrive on `events`.
    _inner: Box<dyn notify::Watcher + Send>,
    events: Receiver<notify::Result<Event>>,
    /// When the last batch was handed out.
    last: Option<Instant>,
}

impl Watcher {
    /// Starts watching the folders that exist; `poll` for file systems that
    /// report no events. A watcher is made anew when folders move: inotify
    /// would go on naming a moved folder's files by its old path.
    /// Native watches that cannot be set (inotify's limit on watches, a file
    /// system without events) fall back to polling, with a warning.
    pub fn start(folders: &Folders, poll: bool) -> Result<Watcher> {
        if !poll {
            match Watcher::with(folders, false) {
                Ok(watcher) => return Ok(watcher),
                Err(e) => eprintln!("warning: {e:#}; watching by polling instead"),
            }
        }
        Watcher::with(folders, true)
    }

    fn with(folders: &Folders, poll: bool) -> Result<Watcher> {
        let (tx, events) = channel();
        let mut inner: Box<dyn notify::Watcher + Send> = if poll {
            // Contents, not only times: a save that truncates then writes within
            // one tick of the file system's clock leaves the time as it was
            // when a poll saw the empty file.
            let config = notify::Config::default()
                .with_poll_interval(POLL_INTERVAL)
                .with_compare_contents(true);
            Box::new(PollWatcher::new(tx, config)?)
        } else {
            Box::new(RecommendedWatcher::new(tx, notify::Config::default())?)
        };
        // Folders, not files: editors that save by renaming replace the file.
        let wanted = [
            (folders.root.as_path(), RecursiveMode::NonRecursive),
            (&folders.content, RecursiveMode::Recursive),
            (&folders.data, RecursiveMode::Recursive),
            (&folders.theme, RecursiveMode::Recursive),
        ];
        let extra = folders
            .extra
            .iter()
            .map(|d| (d.as_path(), RecursiveMode::Recursive));
        let included = folders.of_included().into_iter();
        let wanted = wanted
            .into_iter()
            .chain(extra)
            .chain(included.map(|d| (d, RecursiveMode::NonRecursive)));
        for (path, mode) in wanted {
            if path.is_dir() {
                inner
                    .watch(path, mode)
                    .with_context(|| format!("watching {}", path.display()))?;
            }
        }
        Ok(Watcher {
            _inner: inner,
            events,
            last: None,
        })
    }

    /// Waits for the next batch of changes, sorted and without repeats.
    /// A batch ends after [`DEBOUNCE`] without events; in a storm, after
    /// [`QUIET`], or [`GATHER`] at most. `None` when the watcher stopped.
    pub fn next(&mut self, folders: &Folders) -> Option<Vec<Change>> {
        let (mut changes, mut saved) = (Vec::new(), false);
        while changes.is_empty() {
            let event = self.events.recv().ok()?;
            saved = ends_a_save(&event);
            changes = sort(event, folders);
        }
        let storm = self.last.is_some_and(|t| t.elapsed() < STORM);
        let until = Instant::now() + GATHER;
        while let Some(left) = until.checked_duration_since(Instant::now()) {
            let quiet = match (storm, saved) {
                (true, _) => QUIET,
                (false, true) => SETTLE,
                (false, false) => DEBOUNCE,
            };
            match self.events.recv_timeout(left.min(quiet)) {
                Ok(event) => {
                    saved = ends_a_save(&event);
                    changes.extend(sort(event, folders));
                }
                Err(RecvTimeoutError::Timeout) => break,
                Err(RecvTimeoutError::Disconnected) => return None,
            }
        }
        changes.sort();
        changes.dedup();
        self.last = Some(Instant::now());
        Some(changes)
    }
}

/// Whether `event` ends the save of a file: closed after writing (inotify
/// says so), or renamed into place (an editor's safe save). Not when that
/// file is an editor's backup or temporary file: vim renames the page to
/// `page.md~` before it writes the new one.
fn ends_a_save(event: &notify::Result<Event>) -> bool {
    use notify::event::{AccessKind, AccessMode, RenameMode};
    let Ok(event) = event else {
        return false;
    };
    let name = event.paths.last().and_then(|p| p.file_name());
    let temp = name.is_none_or(|n| is_editor_temp(&n.to_string_lossy()));
    !temp
        && matches!(
            event.kind,
            EventKind::Access(AccessKind::Close(AccessMode::Write))
                | EventKind::Modify(ModifyKind::Name(RenameMode::To | RenameMode::Both))
        )
}

/// The changes one event names; a lost event means everything must be read again.
fn sort(event: notify::Result<Event>, folders: &Folders) -> Vec<Change> {
    let event = match event {
        Ok(event) if !event.need_rescan() => event,
        _ => return vec![Change::Site],
    };
    if !is_change(&event.kind) {
        return Vec::new();
    }
    // A folder's own time changes with every file made in it; the files'
    // events say what changed. A folder renamed or moved is a change.
    let touched = matches!(event.kind, EventKind::Modify(ModifyKind::Name(_)))
        || !matches!(event.kind, EventKind::Modify(_));
    // The build's own writes, seen when a watched folder holds the root.
    let cache = folders.root.join(cache::DIR);
    event
        .paths
        .iter()
        .filter(|p| !p.starts_with(&cache))
        .filter(|p| touched || !p.is_dir())
        .flat_map(|p| {
            let included =
                folders.included.contains(p) || folders.extra.iter().any(|d| p.starts_with(d));
            classify(p, folders)
                .into_iter()
                .chain(included.then(|| Change::Included(p.clone())))
        })
        .collect()
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
            included: BTreeSet::from([root.join("listings/a.rs"), root.join("src/b.md")]),
            extra: vec![root.join("extra")],
            root,
        }
    }

    #[test]
    fn a_save_ends_when_its_file_is_closed_or_renamed_into_place() {
        use notify::event::{AccessKind, AccessMode, CreateKind, DataChange, RenameMode};
        let event = |kind| Ok(Event::new(kind).add_path("/site/content/a.md".into()));
        let ends = [
            EventKind::Access(AccessKind::Close(AccessMode::Write)),
            EventKind::Modify(ModifyKind::Name(RenameMode::To)),
            EventKind::Modify(ModifyKind::Name(RenameMode::Both)),
        ];
        for kind in ends {
            assert!(ends_a_save(&event(kind)), "{kind:?}");
        }
        let goes_on = [
            EventKind::Modify(ModifyKind::Data(DataChange::Any)),
            EventKind::Create(CreateKind::File),
            EventKind::Modify(ModifyKind::Name(RenameMode::From)),
            EventKind::Access(AccessKind::Close(AccessMode::Read)),
            EventKind::Access(AccessKind::Open(AccessMode::Any)),
        ];
        for kind in goes_on {
            assert!(!ends_a_save(&event(kind)), "{kind:?}");
        }
        assert!(!ends_a_save(&Err(notify::Error::generic("lost"))));
        // Vim's backup of the page, made before the page is written again.
        let backup = Event::new(EventKind::Modify(ModifyKind::Name(RenameMode::Both)))
            .add_path("/site/content/a.md".into())
            .add_path("/site/content/a.md~".into());
        assert!(!ends_a_save(&Ok(backup)));
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
    fn the_build_cache_is_ignored_even_in_a_watched_folder() {
        use notify::event::CreateKind;
        let f = Folders {
            content: PathBuf::from("/site"),
            extra: vec![PathBuf::from("/site")],
            ..folders()
        };
        for p in [
            "/site/.envbook-cache",
            "/site/.envbook-cache/CACHEDIR.TAG",
            "/site/.envbook-cache/highlight-v1/ab",
            "/site/.envbook-cache/highlight-v1/ab/cdef0123",
        ] {
            let event = Event::new(EventKind::Create(CreateKind::File)).add_path(p.into());
            assert_eq!(sort(Ok(event), &f), [], "{p}");
        }
        let event = Event::new(EventKind::Create(CreateKind::File)).add_path("/site/a.md".into());
        assert_eq!(
            sort(Ok(event), &f),
            [
                Change::Content("a.md".into()),
                Change::Included("/site/a.md".into())
            ]
        );
    }

    #[test]
    fn included_files_and_extra_folders_are_changes_of_their_own() {
        use notify::event::DataChange;
        let f = folders();
        let changed = |p: &str| {
            let kind = EventKind::Modify(ModifyKind::Data(DataChange::Content));
            sort(Ok(Event::new(kind).add_path(PathBuf::from(p))), &f)
        };
        let included = |p: &str| Change::Included(PathBuf::from(p));
        assert_eq!(
            changed("/site/listings/a.rs"),
            [included("/site/listings/a.rs")]
        );
        assert_eq!(changed("/site/listings/other.rs"), []);
        assert_eq!(
            changed("/site/extra/x/y.txt"),
            [included("/site/extra/x/y.txt")]
        );
        // A page that another page includes is both.
        assert_eq!(changed("/site/src/b.md"), [included("/site/src/b.md")]);
        let f = Folders {
            content: PathBuf::from("/site/src"),
            ..folders()
        };
        let kind = EventKind::Modify(ModifyKind::Data(DataChange::Content));
        let event = Event::new(kind).add_path(PathBuf::from("/site/src/b.md"));
        assert_eq!(
            sort(Ok(event), &f),
            [Change::Content("b.md".into()), included("/site/src/b.md")]
        );
        assert_eq!(
            f.of_included().into_iter().collect::<Vec<_>>(),
            [Path::new("/site/listings")]
        );
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
