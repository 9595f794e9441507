//! The only code that writes the site to disk. It builds the new site in a
//! fresh folder beside the output and swaps it in whole, so a reader never
//! sees a half-written site and a failed write leaves the last one intact. It
//! refuses output folders that would put the sources at risk, and never
//! deletes what envbook did not write: the output's marker lists the files
//! envbook wrote, and every other file there is the user's (`.git/`, `CNAME`)
//! and moves into the new site.
//!
//! Beside the output, a build only ever makes one folder, with a name of its
//! own (`.site.envbook-PID-N`, made with `create_dir`, so never an existing
//! one) holding `new/` (the site being written) and, during the swap, `old/`.
//! Only folders that carry envbook's staging marker are ever removed. A lock
//! on the output's parent folder makes a second build wait for the first.

use std::collections::BTreeSet;
use std::fs::{self, File};
use std::hash::{BuildHasher, RandomState};
use std::io::ErrorKind;
use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;

use crate::project::Project;
use crate::site::Sink;
use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

/// Marks a folder as envbook's output, which it may replace; lists the files envbook wrote.
const MARKER: &str = ".envbook-output";
/// Marks a folder beside the output as envbook's staging folder, which it may remove.
const STAGING_MARKER: &str = ".envbook-staging";
/// In a staging folder: the user's files (or the last site) may be in it, so
/// it is never removed unseen.
const MOVING_MARKER: &str = ".envbook-moving";

/// Checks, before anything is touched, that `out` is a safe output folder for `project`.
pub fn check_target(out: &Path, project: &Project) -> Result<()> {
    let out_abs = absolute(out)?;
    let root = absolute(&project.root)?;
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let refuse = |what: &str| -> Result<()> {
        bail!(
            "refusing to use {} as the output folder: it {what}; set `output` under [build] in book.toml to a folder of its own, such as \"site\"",
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

/// Whether `files` has a file inside the folder `dir`.
fn holds(files: &BTreeSet<String>, dir: &str) -> bool {
    let prefix = format!("{dir}/");
    files
        .range(prefix.clone()..)
        .next()
        .is_some_and(|f| f.starts_with(&prefix))
}

/// A fresh folder beside the output that the build writes into; [`Staging::commit`]
/// swaps it in, and dropping it uncommitted removes it.
pub struct Staging {
    out: PathBuf,
    /// How the output is named in messages.
    shown: PathBuf,
    /// Envbook's own folder beside the output; `new/` in it is the new site.
    tmp: PathBuf,
    written: Mutex<BTreeSet<String>>,
    /// Folders made so far: each is made once, not asked for again per file.
    folders: Mutex<std::collections::HashSet<PathBuf>>,
    /// Held until the staging folder is gone.
    _lock: File,
}

impl Staging {
    /// Checks `out` (see [`check_target`]), waits for any other build into
    /// the same folder, and makes an empty staging folder beside it. `note`
    /// hears why it waits, and of leftovers it keeps.
    pub fn create(out: &Path, project: &Project, note: &dyn Fn(&str)) -> Result<Staging> {
        check_target(out, project)?;
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
        let tmp = make_unique(parent, &name)?;
        let staging = Staging {
            out: abs,
            shown: out.to_path_buf(),
            tmp,
            written: Mutex::default(),
            folders: Mutex::default(),
            _lock: lock,
        };
        fs::create_dir(staging.site())
            .with_context(|| format!("creating {}", staging.site().display()))?;
        Ok(staging)
    }

    fn site(&self) -> PathBuf {
        self.tmp.join("new")
    }

    /// Replaces the output folder with the staged site, moving the user's
    /// files of the old output into it first.
    pub fn commit(self) -> Result<()> {
        let mut files =
            std::mem::take(&mut *self.written.lock().expect("no panics under the lock"));
        files.insert(MARKER.to_string());
        let moves = match self.out.is_dir() {
            true => self.user_files(&files)?,
            false => Vec::new(),
        };
        let manifest = Manifest {
            note: "This folder is written by envbook and replaced on every build. \
                   Files not listed here are yours: envbook keeps them."
                .into(),
            files,
        };
        let json = serde_json::to_vec_pretty(&manifest).expect("a list of names serializes");
        let marker = self.site().join(MARKER);
        fs::write(&marker, json).with_context(|| format!("writing {}", marker.display()))?;
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
        self.finish()
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

    /// Moves the old output into the staging folder and the new site into
    /// its place: the one step a reader could notice, kept apart so that it
    /// can become a single atomic exchange.
    fn swap(&self) -> Result<()> {
        let old = self.tmp.join("old");
        if self.out.exists() {
            fs::rename(&self.out, &old)
                .with_context(|| format!("moving the old site aside: {}", self.out.display()))?;
        }
        if let Err(e) = fs::rename(self.site(), &self.out) {
            let e = anyhow::Error::from(e)
                .context(format!("moving the new site into {}", self.out.display()));
            // Put the last good site back.
            if old.exists() {
                let _ = fs::rename(&old, &self.out);
            }
            return Err(e);
        }
        Ok(())
    }

    /// Removes the staging folder and what is left in it: the old site, without the user's files.
    fn finish(self) -> Result<()> {
        remove_file_if_exists(&self.tmp.join(MOVING_MARKER))?;
        remove_ours(&self.tmp)
    }

    /// The entries of the old output that envbook did not write, to be moved
    /// into the new site; an error when the new site has a file in the place
    /// of one.
    fn user_files(&self, new: &BTreeSet<String>) -> Result<Vec<String>> {
        let owner = Owner::read(&self.out)?;
        let mut moves = Vec::new();
        let mut clashes = Vec::new();
        let mut dirs = vec![String::new()];
        while let Some(dir) = dirs.pop() {
            let path = self.out.join(&dir);
            let entries =
                fs::read_dir(&path).with_context(|| format!("reading {}", path.display()))?;
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
                        dirs.push(rel);
                    }
                } else if new.contains(&rel) || holds(new, &rel) || ancestor_in(new, &rel) {
                    clashes.push(rel);
                } else {
                    moves.push(rel);
                }
            }
        }
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

    /// `rel` in the staging site, its folders made; `..` and absolute paths refused.
    fn path(&self, rel: &str) -> Result<PathBuf> {
        if !Path::new(rel)
            .components()
            .all(|c| matches!(c, Component::Normal(_)))
        {
            bail!("refusing to write `{rel}`: it is outside the output folder");
        }
        let path = self.site().join(rel);
        let parent = path.parent().context("an output file has no folder")?;
        let made = |p: &Path| {
            self.folders
                .lock()
                .expect("no panics under the lock")
                .contains(p)
        };
        if !made(parent) {
            fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
            self.folders
                .lock()
                .expect("no panics under the lock")
                .insert(parent.to_path_buf());
        }
        self.written
            .lock()
            .expect("no panics under the lock")
            .insert(rel.to_string());
        Ok(path)
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
        fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))
    }

    fn copy(&self, rel: &str, from: &Path) -> Result<()> {
        let path = self.path(rel)?;
        fs::copy(from, &path)
            .map(drop)
            .with_context(|| format!("copying {} to {}", from.display(), path.display()))
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        // After a commit the folder is gone already; a failed one keeps the user's files.
        if self.tmp.exists() && !self.tmp.join(MOVING_MARKER).exists() {
            let _ = remove_ours(&self.tmp);
        }
    }
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

/// Makes a folder beside the output that did not exist before, marked as envbook's.
fn make_unique(parent: &Path, name: &str) -> Result<PathBuf> {
    let seed = RandomState::new().hash_one(std::time::SystemTime::now());
    for attempt in 0u64..100 {
        let tag = seed.wrapping_add(attempt) % 1_000_000;
        let dir = parent.join(format!("{}{}-{tag}", prefix(name), std::process::id()));
        match fs::create_dir(&dir) {
            Ok(()) => {
                fs::write(
                    dir.join(STAGING_MARKER),
                    "envbook writes the next site here and removes this folder when done.\n",
                )
                .with_context(|| format!("writing in {}", dir.display()))?;
                return Ok(dir);
            }
            Err(e) if e.kind() == ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e).with_context(|| format!("creating {}", dir.display())),
        }
    }
    bail!("cannot make a staging folder in {}", parent.display())
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
            note(&format!(
                "warning: an interrupted build left {}; it may hold files of yours from the output folder: look through it, then delete it",
                entry.path().display()
            ));
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
