//! The only code that writes the site to disk. A build writes the new site
//! into a spare folder beside the output and swaps the two whole, so a reader
//! never sees a half-written site and a failed build leaves the last one
//! intact. The spare is the site of the build before last: the build rewrites
//! it in place, leaves files whose bytes are already right, and removes the
//! rest, so an unchanged page costs a read, not a new file (deleting and
//! recreating thousands of files is most of a build's time on ext4). It
//! refuses output folders that would put the sources at risk, and never
//! deletes what envbook did not write: the output's marker lists the files
//! envbook wrote, and every other file there is the user's (`.git/`, `CNAME`)
//! and moves into the new site.
//!
//! Beside the output `site`, envbook keeps one folder, `.site.envbook/`,
//! marked as its own and ignored by git, holding the spare site (`site/`)
//! and, while it swaps without an atomic exchange, the old one (`old/`).
//! Deleting it is always safe between builds: the next build writes every
//! file. A lock on the output's parent folder makes a second build wait for
//! the first.

use std::collections::BTreeSet;
use std::fs::{self, File};
use std::hash::{BuildHasher, RandomState};
use std::io::ErrorKind;
use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;

use crate::markdown::Key;
use crate::project::Project;
use crate::site::Sink;

pub mod new_site;
mod stamps;

use anyhow::{Context, Result, bail};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use stamps::Stamps;

/// Marks a folder as envbook's output, which it may replace; lists the files envbook wrote.
const MARKER: &str = ".envbook-output";
/// Marks a folder beside the output as envbook's staging folder, which it may remove.
const STAGING_MARKER: &str = ".envbook-staging";
/// In a staging folder: the user's files (or the last site) may be in it, so
/// it is never removed unseen.
const MOVING_MARKER: &str = ".envbook-moving";

/// Where the output folder was named: the refusal says what to change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Named {
    /// `output` under [build] in book.toml (or its default).
    InConfig,
    /// `-o`/`--output` on the command line.
    ByFlag,
}

/// Checks, before anything is touched, that `out` is a safe output folder for `project`.
pub fn check_target(out: &Path, named: Named, project: &Project) -> Result<()> {
    let out_abs = absolute(out)?;
    let root = absolute(&project.root)?;
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let change = match named {
        Named::InConfig => "set `output` under [build] in book.toml to",
        Named::ByFlag => "give `-o` (`--output`)",
    };
    // "site" is the suggestion, unless that is the folder refused.
    let such_as = match out_abs == root.join("site") {
        true => "an empty one",
        false => "\"site\"",
    };
    let refuse = |what: &str| -> Result<()> {
        bail!(
            "refusing to use {} as the output folder: it {what}; {change} a folder of its own, such as {such_as}",
            out.display()
        )
    };
    if out_abs.parent().is_none() {
        return refuse("is the file system root");
    }
    if home.as_deref().map(absolute).transpose()?.as_deref() == Some(&out_abs) {
        return refuse("is the home folder");
    }
    if root.starts_with(&out_abs) {
        return refuse("is or holds the site folder");
    }
    let build = &project.config.build;
    for (name, dir) in [
        ("content", &build.content),
        ("data", &build.data),
        ("theme", &build.theme),
    ] {
        let dir = absolute(&project.root.join(dir))?;
        if dir.starts_with(&out_abs) || out_abs.starts_with(&dir) {
            return refuse(&format!("overlaps the {name} folder"));
        }
    }
    if out_abs.exists() && !out_abs.is_dir() {
        return refuse("is a file");
    }
    if let Some(file) = out_abs
        .ancestors()
        .find(|a| a.exists())
        .filter(|a| !a.is_dir())
    {
        return refuse(&format!("is inside {}, a file", file.display()));
    }
    if out_abs.is_dir()
        && !out_abs.join(MARKER).exists()
        && fs::read_dir(&out_abs)?.next().is_some()
    {
        return refuse("holds files that envbook did not write");
    }
    Ok(())
}

/// The output's marker: a note for whoever opens it, and the files envbook wrote.
#[derive(Serialize, Deserialize)]
struct Manifest {
    note: String,
    files: BTreeSet<String>,
}

/// Whose the entries of an existing output folder are.
enum Owner {
    /// An output of an envbook that kept no list: all of it was envbook's.
    Envbook,
    /// Only the files listed; a folder without a marker lists nothing.
    Listed(BTreeSet<String>),
}

impl Owner {
    fn read(out: &Path) -> Result<Owner> {
        let marker = out.join(MARKER);
        match fs::read(&marker) {
            Ok(bytes) => Ok(serde_json::from_slice::<Manifest>(&bytes)
                .map_or(Owner::Envbook, |m| Owner::Listed(m.files))),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(Owner::Listed(BTreeSet::new())),
            Err(e) => Err(e).with_context(|| format!("reading {}", marker.display())),
        }
    }

    /// Whether envbook wrote `rel`, or (for a folder) something inside it.
    fn wrote(&self, rel: &str, is_dir: bool) -> bool {
        match self {
            Owner::Envbook => true,
            Owner::Listed(files) if is_dir => holds(files, rel),
            Owner::Listed(files) => files.contains(rel),
        }
    }
}

/// The output's entries that envbook did not write: to be moved into the
/// new site, or in the way of its files.
#[derive(Default)]
struct Found {
    moves: Vec<String>,
    clashes: Vec<String>,
}

/// A site this big has its two trees walked on more threads (see [`crate::disk`]).
const MANY_FILES: usize = 5_000;

/// Whether `files` has a file inside the folder `dir`.
fn holds(files: &BTreeSet<String>, dir: &str) -> bool {
    let prefix = format!("{dir}/");
    files
        .range(prefix.clone()..)
        .next()
        .is_some_and(|f| f.starts_with(&prefix))
}

/// The spare site beside the output that the build writes into;
/// [`Staging::commit`] swaps it in. Dropped uncommitted, it stays as it is:
/// it is only ever the next build's starting point.
pub struct Staging {
    out: PathBuf,
    /// How the output is named in messages.
    shown: PathBuf,
    /// Envbook's own folder beside the output; `site/` in it is the spare.
    tmp: PathBuf,
    written: Mutex<BTreeSet<String>>,
    /// Folders of the spare known to be real folders: each is checked once,
    /// not per file.
    folders: Mutex<std::collections::HashSet<String>>,
    stamps: Stamps,
    /// Held until the staging folder is gone.
    _lock: File,
}

impl Staging {
    /// Checks `out` (see [`check_target`]), waits for any other build into
    /// the same folder, and readies the spare beside it. `note` hears why it
    /// waits, and of leftovers it keeps.
    pub fn create(
        (out, named): (&Path, Named),
        project: &Project,
        note: &dyn Fn(&str),
    ) -> Result<Staging> {
        check_target(out, named, project)?;
        let abs = absolute(out)?;
        let parent = abs.parent().context("the output folder has no parent")?;
        let name = abs
            .file_name()
            .context("the output folder has no name")?
            .to_string_lossy()
            .into_owned();
        fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
        let lock = lock(parent, &name, &|| {
            note(&format!(
                "waiting for another envbook build into {} to finish",
                out.display()
            ))
        })?;
        remove_leftovers(parent, &name, note)?;
        let tmp = holder(parent, &name, note)?;
        let staging = Staging {
            out: abs,
            shown: out.to_path_buf(),
            stamps: Stamps::read(&tmp, &tmp.join("site")),
            tmp,
            written: Mutex::default(),
            folders: Mutex::default(),
            _lock: lock,
        };
        staging.ensure_dir("")?;
        Ok(staging)
    }

    fn site(&self) -> PathBuf {
        self.tmp.join("site")
    }

    /// Replaces the output folder with the staged site, moving the user's
    /// files of the old output into it first; the old site becomes the spare.
    pub fn commit(self) -> Result<()> {
        let mut files =
            std::mem::take(&mut *self.written.lock().expect("no panics under the lock"));
        files.insert(MARKER.to_string());
        // Two walks of two trees, each folder's subfolders in parallel.
        let (removed, moves) = crate::disk::waiting(files.len() >= MANY_FILES, || {
            rayon::join(
                || remove_others(&self.site(), "", &files),
                || match self.out.is_dir() {
                    true => self.user_files(&files),
                    false => Ok(Vec::new()),
                },
            )
        });
        removed?;
        let moves = moves?;
        let manifest = Manifest {
            note: "This folder is written by envbook and replaced on every build. \
                   Files not listed here are yours: envbook keeps them."
                .into(),
            files,
        };
        let json = serde_json::to_vec_pretty(&manifest).expect("a list of names serializes");
        let marker = self.site().join(MARKER);
        write_if_changed(&marker, &json)
            .with_context(|| format!("writing {}", marker.display()))?;
        if !moves.is_empty() {
            fs::write(self.tmp.join(MOVING_MARKER), b"")
                .with_context(|| format!("writing in {}", self.tmp.display()))?;
        }
        if let Err(e) = self.move_and_swap(&moves) {
            // What could not be put back (the user's files, the last site)
            // stays, and the staging folder with it, until the user has looked.
            let new = self.site();
            let mut left = moves.iter().map(|rel| new.join(rel));
            if left.any(|p| fs::symlink_metadata(p).is_ok()) || self.tmp.join("old").exists() {
                let _ = fs::write(self.tmp.join(MOVING_MARKER), b"");
                return Err(e.context(format!(
                    "what could not be put back is in {}",
                    self.tmp.display()
                )));
            }
            remove_file_if_exists(&self.tmp.join(MOVING_MARKER))?;
            return Err(e);
        }
        self.stamps.save(&self.out, &self.site());
        remove_file_if_exists(&self.tmp.join(MOVING_MARKER))
    }

    /// Moves the user's files into the new site, then swaps it in; on an
    /// error, puts back what it can.
    fn move_and_swap(&self, moves: &[String]) -> Result<()> {
        let new = self.site();
        let moved = Mover::new(&self.out, &new).all(moves)?;
        if let Err(e) = self.swap() {
            moved.back().context(format!("{e:#}"))?;
            return Err(e);
        }
        Ok(())
    }

    /// Puts the new site in the output's place and the old one in the
    /// spare's: one atomic exchange where the system has it, otherwise
    /// three renames, the old site kept until the new one is in place.
    fn swap(&self) -> Result<()> {
        let spare = self.site();
        if !self.out.exists() {
            return fs::rename(&spare, &self.out)
                .with_context(|| format!("moving the new site into {}", self.out.display()));
        }
        match exchange(&spare, &self.out) {
            Err(e) if e.kind() == ErrorKind::Unsupported => swap_by_renames(&self.out, &self.tmp),
            done => {
                done.with_context(|| format!("swapping the new site into {}", self.out.display()))
            }
        }
    }

    /// The entries of the old output that envbook did not write, to be moved
    /// into the new site; an error when the new site has a file in the place
    /// of one.
    fn user_files(&self, new: &BTreeSet<String>) -> Result<Vec<String>> {
        let owner = Owner::read(&self.out)?;
        let Found {
            mut moves,
            mut clashes,
        } = self.found_in(&owner, new, String::new())?;
        moves.sort();
        if !clashes.is_empty() {
            clashes.sort();
            let names: Vec<String> = clashes
                .iter()
                .map(|c| self.shown.join(c).display().to_string())
                .collect();
            let (was, has, a) = match names.len() {
                1 => ("was", "has a file", "it"),
                _ => ("were", "has files", "them"),
            };
            bail!(
                "{} {was} not written by envbook, and the new site {has} of that name: move {a} out of {}, then build again",
                names.join(", "),
                self.shown.display()
            );
        }
        Ok(moves)
    }

    /// What [`Staging::user_files`] finds in the output's folder `dir` and
    /// the folders in it (those in parallel).
    fn found_in(&self, owner: &Owner, new: &BTreeSet<String>, dir: String) -> Result<Found> {
        let path = self.out.join(&dir);
        let entries = fs::read_dir(&path).with_context(|| format!("reading {}", path.display()))?;
        let (mut found, mut inside) = (Found::default(), Vec::new());
        for entry in entries {
            let entry = entry.with_context(|| format!("reading {}", path.display()))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let rel = if dir.is_empty() {
                name
            } else {
                format!("{dir}/{name}")
            };
            let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
            let merge = is_dir && !new.contains(&rel) && holds(new, &rel);
            if owner.wrote(&rel, is_dir) || merge {
                // A folder: look inside. A file: the new site has it again, or it goes.
                if is_dir {
                    inside.push(rel);
                }
            } else if new.contains(&rel) || holds(new, &rel) || ancestor_in(new, &rel) {
                found.clashes.push(rel);
            } else {
                found.moves.push(rel);
            }
        }
        let below = inside
            .into_par_iter()
            .map(|dir| self.found_in(owner, new, dir))
            .collect::<Result<Vec<Found>>>()?;
        for more in below {
            found.moves.extend(more.moves);
            found.clashes.extend(more.clashes);
        }
        Ok(found)
    }

    /// `rel` in the spare, its folders made, ready to be written; `..` and
    /// absolute paths refused.
    fn path(&self, rel: &str) -> Result<PathBuf> {
        if !Path::new(rel)
            .components()
            .all(|c| matches!(c, Component::Normal(_)))
        {
            bail!("refusing to write `{rel}`: it is outside the output folder");
        }
        self.ensure_dir(rel.rsplit_once('/').map_or("", |(dir, _)| dir))?;
        self.written
            .lock()
            .expect("no panics under the lock")
            .insert(rel.to_string());
        Ok(self.site().join(rel))
    }

    /// Makes `dir` (relative to the spare) a real folder, and each folder
    /// above it: whatever else is in the way there (a file or a link of an
    /// older site) goes, so that nothing is written through a link.
    fn ensure_dir(&self, dir: &str) -> Result<()> {
        let known = |d: &str| {
            self.folders
                .lock()
                .expect("no panics under the lock")
                .contains(d)
        };
        if known(dir) {
            return Ok(());
        }
        let mut path = self.site();
        let mut at = String::new();
        for part in std::iter::once("").chain(dir.split('/').filter(|p| !p.is_empty())) {
            if !part.is_empty() {
                path.push(part);
                at = if at.is_empty() {
                    part.to_string()
                } else {
                    format!("{at}/{part}")
                };
            }
            if known(&at) {
                continue;
            }
            make_dir(&path).with_context(|| format!("creating {}", path.display()))?;
            self.folders
                .lock()
                .expect("no panics under the lock")
                .insert(at.clone());
        }
        Ok(())
    }
}

/// Whether a folder above `rel` is a file in `files`.
fn ancestor_in(files: &BTreeSet<String>, rel: &str) -> bool {
    rel.match_indices('/')
        .any(|(i, _)| files.contains(&rel[..i]))
}

/// The user's files moved from one folder into another, to be moved back if the swap fails.
struct Mover<'a> {
    from: &'a Path,
    to: &'a Path,
    done: Vec<String>,
}

impl<'a> Mover<'a> {
    fn new(from: &'a Path, to: &'a Path) -> Mover<'a> {
        Mover {
            from,
            to,
            done: Vec::new(),
        }
    }

    /// Moves every entry of `rels`; on an error, those already moved go back.
    fn all(mut self, rels: &[String]) -> Result<Mover<'a>> {
        for rel in rels {
            if let Err(e) = self.one(rel) {
                self.back().context(format!("{e:#}"))?;
                return Err(e);
            }
            self.done.push(rel.clone());
        }
        Ok(self)
    }

    fn one(&self, rel: &str) -> Result<()> {
        let (from, to) = (self.from.join(rel), self.to.join(rel));
        if let Some(parent) = to.parent() {
            fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
        }
        fs::rename(&from, &to)
            .with_context(|| format!("moving {} to {}", from.display(), to.display()))
    }

    /// Moves what was moved back where it came from.
    fn back(&self) -> Result<()> {
        for rel in self.done.iter().rev() {
            let (at, to) = (self.to.join(rel), self.from.join(rel));
            fs::rename(&at, &to)
                .with_context(|| format!("moving {} back to {}", at.display(), to.display()))?;
        }
        Ok(())
    }
}

impl Sink for Staging {
    fn put(&self, rel: &str, bytes: Vec<u8>) -> Result<()> {
        let path = self.path(rel)?;
        write_if_changed(&path, &bytes).with_context(|| format!("writing {}", path.display()))
    }

    fn copy(&self, rel: &str, from: &Path) -> Result<()> {
        let bytes = fs::read(from).with_context(|| format!("reading {}", from.display()))?;
        self.put(rel, bytes)
    }

    fn holds(&self, rel: &str, key: &Key) -> bool {
        // Its folders made real first: a link in their place goes.
        self.path(rel)
            .is_ok_and(|path| self.stamps.holds(rel, &path, key))
    }

    fn put_made(&self, rel: &str, key: &Key, bytes: Vec<u8>) -> Result<()> {
        let path = self.path(rel)?;
        // Made again (the build cache had lost what the page gave, or a new
        // envbook made it), but the file is what was made: left as it is,
        // not even read back to compare (see `stamps`).
        if self.stamps.holds(rel, &path, key) || self.stamps.holds_bytes(rel, &path, key, &bytes) {
            return Ok(());
        }
        write_if_changed(&path, &bytes).with_context(|| format!("writing {}", path.display()))?;
        self.stamps.made(rel, &path, key, &bytes);
        Ok(())
    }
}

/// Writes `bytes` at `path` unless the file there holds them already. The
/// file is rewritten in place, except when it is not ours alone: a link, or
/// a file with other hard links (a backup made with `cp -al`), is replaced,
/// never written through.
fn write_if_changed(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    match fs::symlink_metadata(path) {
        Ok(m) if m.is_file() && !shared(&m) => {
            if m.len() == bytes.len() as u64 && fs::read(path)? == bytes {
                return Ok(());
            }
        }
        Ok(m) if m.is_dir() => fs::remove_dir_all(path)?,
        Ok(_) => fs::remove_file(path)?,
        Err(e) if e.kind() == ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    fs::write(path, bytes)
}

/// Whether a file has other names, which writing it in place would change.
#[cfg(unix)]
fn shared(meta: &fs::Metadata) -> bool {
    std::os::unix::fs::MetadataExt::nlink(meta) > 1
}

#[cfg(not(unix))]
fn shared(_: &fs::Metadata) -> bool {
    false
}

/// Makes `path` a real folder: an existing one stays; a file or a link in its place goes.
fn make_dir(path: &Path) -> std::io::Result<()> {
    match fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => return Ok(()),
        Ok(_) => fs::remove_file(path)?,
        Err(e) if e.kind() == ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    match fs::create_dir(path) {
        // Another thread of the build made it meanwhile.
        Err(e) if e.kind() == ErrorKind::AlreadyExists && path.is_dir() => Ok(()),
        made => made,
    }
}

/// Removes from the spare's folder `dir` what the new site does not have.
fn remove_others(site: &Path, dir: &str, files: &BTreeSet<String>) -> Result<()> {
    let path = site.join(dir);
    let entries = fs::read_dir(&path).with_context(|| format!("reading {}", path.display()))?;
    let mut inside = Vec::new();
    for entry in entries {
        let entry = entry.with_context(|| format!("reading {}", path.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let rel = match dir {
            "" => name,
            _ => format!("{dir}/{name}"),
        };
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        let removed = match (is_dir, files.contains(&rel)) {
            (true, _) if holds(files, &rel) => {
                inside.push(rel);
                continue;
            }
            (true, _) => fs::remove_dir_all(entry.path()),
            (false, true) => continue,
            (false, false) => fs::remove_file(entry.path()),
        };
        removed.with_context(|| format!("removing {}", entry.path().display()))?;
    }
    inside
        .par_iter()
        .try_for_each(|rel| remove_others(site, rel, files))
}

/// Exchanges two folders in one step (Linux's `renameat2`); `Unsupported`
/// where the system or the file system cannot.
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    match renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE) {
        Err(e) if e == rustix::io::Errno::INVAL || e == rustix::io::Errno::NOSYS => {
            Err(ErrorKind::Unsupported.into())
        }
        done => done.map_err(std::io::Error::from),
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> std::io::Result<()> {
    Err(ErrorKind::Unsupported.into())
}

/// The swap without an exchange: the old site moves aside, the new one in,
/// and the old one becomes the spare. A reader may find no site for the
/// moment between the first two renames; an error between them puts the old
/// one back.
fn swap_by_renames(out: &Path, tmp: &Path) -> Result<()> {
    let (old, spare) = (tmp.join("old"), tmp.join("site"));
    fs::rename(out, &old)
        .with_context(|| format!("moving the old site aside: {}", out.display()))?;
    if let Err(e) = fs::rename(&spare, out) {
        let e =
            anyhow::Error::from(e).context(format!("moving the new site into {}", out.display()));
        // Put the last good site back.
        let _ = fs::rename(&old, out);
        return Err(e);
    }
    fs::rename(&old, &spare)
        .with_context(|| format!("moving {} to {}", old.display(), spare.display()))
}

/// Locks the output's parent folder: opened read-only, so the lock writes nothing.
#[cfg(unix)]
fn lock_target(parent: &Path, _name: &str) -> std::io::Result<File> {
    File::open(parent)
}

/// Elsewhere a folder cannot be opened as a file; a lock file beside the output does.
#[cfg(not(unix))]
fn lock_target(parent: &Path, name: &str) -> std::io::Result<File> {
    fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(parent.join(format!(".{name}.envbook-lock")))
}

/// Takes the lock, first telling `waiting` if another build holds it.
fn lock(parent: &Path, name: &str, waiting: &dyn Fn()) -> Result<File> {
    let file =
        lock_target(parent, name).with_context(|| format!("opening {}", parent.display()))?;
    match file.try_lock() {
        Ok(()) => return Ok(file),
        Err(fs::TryLockError::WouldBlock) => waiting(),
        Err(fs::TryLockError::Error(e)) => {
            return Err(e).with_context(|| format!("locking {}", parent.display()));
        }
    }
    file.lock()
        .with_context(|| format!("locking {}", parent.display()))?;
    Ok(file)
}

/// The prefix of envbook's folders beside the output `name`.
fn prefix(name: &str) -> String {
    format!(".{name}.envbook-")
}

/// Envbook's folder beside the output `name`, made if missing. What an
/// interrupted swap left there is sorted out first: the last site goes back
/// in place if the output is gone, and a folder that may hold the user's
/// files is set aside under a name of its own, kept (and named at every
/// build) until the user deletes it.
fn holder(parent: &Path, name: &str, note: &dyn Fn(&str)) -> Result<PathBuf> {
    let dir = parent.join(format!(".{name}.envbook"));
    match fs::symlink_metadata(&dir) {
        Ok(m) if m.is_dir() && dir.join(STAGING_MARKER).is_file() => {
            if !dir.join(MOVING_MARKER).exists() {
                let (old, out) = (dir.join("old"), parent.join(name));
                if old.exists() && !out.exists() {
                    fs::rename(&old, &out).with_context(|| {
                        format!("moving {} back to {}", old.display(), out.display())
                    })?;
                } else if old.exists() {
                    fs::remove_dir_all(&old)
                        .with_context(|| format!("removing {}", old.display()))?;
                }
                return Ok(dir);
            }
            let aside = set_aside(&dir, parent, name)?;
            note(&left_warning(&aside));
        }
        Ok(_) => bail!(
            "refusing to build: {} is in the way (envbook keeps the last site there, to write the next one in place): move it away, then build again",
            dir.display()
        ),
        Err(e) if e.kind() == ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("reading {}", dir.display())),
    }
    fs::create_dir(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let write = |file: &str, text: &str| {
        fs::write(dir.join(file), text).with_context(|| format!("writing in {}", dir.display()))
    };
    write(
        STAGING_MARKER,
        "envbook keeps the site of the build before last here and writes the next build \
         over it. Deleting this folder is safe when no build runs.\n",
    )?;
    write(".gitignore", "*\n")?;
    Ok(dir)
}

/// Renames `dir` to a name beside the output that no folder had.
fn set_aside(dir: &Path, parent: &Path, name: &str) -> Result<PathBuf> {
    let seed = RandomState::new().hash_one(std::time::SystemTime::now());
    for attempt in 0u64..100 {
        let tag = seed.wrapping_add(attempt) % 1_000_000;
        let to = parent.join(format!("{}{}-{tag}", prefix(name), std::process::id()));
        if fs::symlink_metadata(&to).is_err() {
            fs::rename(dir, &to)
                .with_context(|| format!("moving {} to {}", dir.display(), to.display()))?;
            return Ok(to);
        }
    }
    bail!(
        "cannot find a free name for {} in {}",
        dir.display(),
        parent.display()
    )
}

fn left_warning(dir: &Path) -> String {
    format!(
        "warning: an interrupted build left {}; it may hold files of yours from the output folder: look through it, then delete it",
        dir.display()
    )
}

/// Removes what interrupted builds into this output left beside it: only
/// envbook's staging folders, and not those that may hold the user's files.
fn remove_leftovers(parent: &Path, name: &str, note: &dyn Fn(&str)) -> Result<()> {
    let prefix = prefix(name);
    let entries = fs::read_dir(parent).with_context(|| format!("reading {}", parent.display()))?;
    for entry in entries.flatten() {
        let ours = entry.file_name().to_string_lossy().starts_with(&prefix)
            && entry.file_type().is_ok_and(|t| t.is_dir())
            && entry.path().join(STAGING_MARKER).is_file();
        if !ours {
            continue;
        }
        if entry.path().join(MOVING_MARKER).exists() {
            note(&left_warning(&entry.path()));
        } else {
            remove_ours(&entry.path())?;
        }
    }
    Ok(())
}

/// Removes a staging folder, its marker last, so that an interrupted removal
/// is finished by the next build.
fn remove_ours(dir: &Path) -> Result<()> {
    let entries = fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))?;
    for entry in entries {
        let entry = entry.with_context(|| format!("reading {}", dir.display()))?;
        if entry.file_name() == STAGING_MARKER {
            continue;
        }
        let path = entry.path();
        let removed = match entry.file_type() {
            Ok(t) if t.is_dir() => fs::remove_dir_all(&path),
            _ => fs::remove_file(&path),
        };
        removed.with_context(|| format!("removing {}", path.display()))?;
    }
    remove_file_if_exists(&dir.join(STAGING_MARKER))?;
    fs::remove_dir(dir).with_context(|| format!("removing {}", dir.display()))
}

fn remove_file_if_exists(path: &Path) -> Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != ErrorKind::NotFound => {
            Err(e).with_context(|| format!("removing {}", path.display()))
        }
        _ => Ok(()),
    }
}

/// `path` made absolute and normalised, following symlinks where it exists.
fn absolute(path: &Path) -> Result<PathBuf> {
    if let Ok(real) = fs::canonicalize(path) {
        return Ok(real);
    }
    let abs = std::path::absolute(path).with_context(|| format!("resolving {}", path.display()))?;
    // Resolve the part that exists, then append the rest.
    let mut existing = abs.as_path();
    let mut rest = Vec::new();
    while !existing.exists() {
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_owned());
                existing = parent;
            }
            _ => break,
        }
    }
    let mut out = fs::canonicalize(existing).unwrap_or_else(|_| existing.to_path_buf());
    for part in rest.iter().rev() {
        if part == ".." {
            out.pop();
        } else if part != "." {
            out.push(part);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An output holding `old.html` and a spare holding `new.html`.
    fn two_sites() -> (tempfile::TempDir, PathBuf, PathBuf) {
        let dir = tempfile::TempDir::new().unwrap();
        let (out, tmp) = (dir.path().join("site"), dir.path().join(".site.envbook"));
        fs::create_dir_all(&out).unwrap();
        fs::create_dir_all(tmp.join("site")).unwrap();
        fs::write(out.join("old.html"), "old").unwrap();
        fs::write(tmp.join("site/new.html"), "new").unwrap();
        (dir, out, tmp)
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn both_swaps_put_the_new_site_in_place_and_keep_the_old_as_the_spare() {
        let (_dir, out, tmp) = two_sites();
        swap_by_renames(&out, &tmp).unwrap();
        assert_eq!(names(&out), ["new.html"]);
        assert_eq!(names(&tmp), ["site"]);
        assert_eq!(names(&tmp.join("site")), ["old.html"]);

        let (_dir, out, tmp) = two_sites();
        match exchange(&tmp.join("site"), &out) {
            Err(e) if e.kind() == ErrorKind::Unsupported => {}
            done => {
                done.unwrap();
                assert_eq!(names(&out), ["new.html"]);
                assert_eq!(names(&tmp.join("site")), ["old.html"]);
            }
        }
    }

    #[test]
    fn a_swap_by_renames_that_fails_puts_the_old_site_back() {
        let (_dir, out, tmp) = two_sites();
        fs::remove_dir_all(tmp.join("site")).unwrap();
        assert!(swap_by_renames(&out, &tmp).is_err());
        assert_eq!(names(&out), ["old.html"]);
    }
}
