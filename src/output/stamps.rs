//! What each page of a site folder was made from, so that the build after
//! next, which writes into that folder again (it is the spare by then),
//! leaves a page whose inputs did not change as it is: not rendered, not
//! read, not written (see `Sink::holds`).
//!
//! The stamps of a folder are kept beside it in the holder, named by the
//! folder's inode: the output and the spare trade names at every swap, their
//! inodes stay. A stamp counts only while its file is as envbook left it:
//! the same inode, size and change time (which no one can set back), one
//! link; anything else is written again. Keys are salted with the envbook
//! binary, whose templates and code make the page as much as its inputs.

use std::collections::HashMap;
use std::fs::{self, Metadata};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::markdown::Key;

/// A file as envbook wrote it, and what it was made from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct Stamp {
    key: [u8; 32],
    len: u64,
    ino: u64,
    changed: (i64, i64),
}

impl Stamp {
    /// The stamp of a file with `meta` made from `key`; `None` where files
    /// have no inode and change time, or for a file not ours alone.
    #[cfg(unix)]
    fn of(key: Key, meta: &Metadata) -> Option<Stamp> {
        use std::os::unix::fs::MetadataExt;
        (meta.is_file() && meta.nlink() == 1).then(|| Stamp {
            key: key.0,
            len: meta.len(),
            ino: meta.ino(),
            changed: (meta.ctime(), meta.ctime_nsec()),
        })
    }

    #[cfg(not(unix))]
    fn of(_: Key, _: &Metadata) -> Option<Stamp> {
        None
    }
}

/// The stamps of the folder a build writes into, and those it makes.
pub struct Stamps {
    holder: PathBuf,
    salt: Key,
    before: HashMap<String, Stamp>,
    made: Mutex<HashMap<String, Stamp>>,
}

impl Stamps {
    /// The stamps kept in `holder` for the folder `site` (none if it has no
    /// inode yet or they cannot be read).
    pub fn read(holder: &Path, site: &Path) -> Stamps {
        let kept = inode(site).and_then(|ino| fs::read(file(holder, ino)).ok());
        Stamps {
            holder: holder.to_path_buf(),
            salt: crate::cache::binary_identity(),
            before: kept
                .and_then(|bytes| postcard::from_bytes(&bytes).ok())
                .unwrap_or_default(),
            made: Mutex::default(),
        }
    }

    fn salted(&self, key: &Key) -> Key {
        Key::of(&[&self.salt.0, &key.0])
    }

    /// Whether the file `rel` at `path` is still what was made from `key`;
    /// if it is, its stamp is kept for the next time.
    pub fn holds(&self, rel: &str, path: &Path, key: &Key) -> bool {
        let Some(before) = self.before.get(rel) else {
            return false;
        };
        let now = fs::symlink_metadata(path)
            .ok()
            .and_then(|meta| Stamp::of(self.salted(key), &meta));
        if now != Some(*before) {
            return false;
        }
        self.note(rel, *before);
        true
    }

    /// Notes that the file `rel`, just written at `path`, was made from `key`.
    pub fn made(&self, rel: &str, path: &Path, key: &Key) {
        let meta = fs::symlink_metadata(path).ok();
        if let Some(stamp) = meta.and_then(|m| Stamp::of(self.salted(key), &m)) {
            self.note(rel, stamp);
        }
    }

    fn note(&self, rel: &str, stamp: Stamp) {
        let mut made = self.made.lock().expect("no panics under the lock");
        made.insert(rel.to_string(), stamp);
    }

    /// Keeps the stamps of the folder `site` (whose files are all in place)
    /// and of `other` only; a failure costs the next build time, not output.
    pub fn save(&self, site: &Path, other: &Path) {
        let Some(ino) = inode(site) else {
            return;
        };
        let made = self.made.lock().expect("no panics under the lock");
        let bytes = postcard::to_stdvec(&*made).expect("stamps serialize");
        let temp = tempfile::Builder::new()
            .prefix(".tmp")
            .tempfile_in(&self.holder);
        let saved = temp.and_then(|mut temp| {
            std::io::Write::write_all(&mut temp, &bytes)?;
            temp.persist(file(&self.holder, ino))?;
            Ok(())
        });
        if saved.is_err() {
            return;
        }
        let keep = [Some(ino), inode(other)];
        let Ok(entries) = fs::read_dir(&self.holder) else {
            return;
        };
        for entry in entries.filter_map(Result::ok) {
            let name = entry.file_name().to_string_lossy().into_owned();
            let ino = name.strip_prefix(PREFIX).and_then(|n| n.parse().ok());
            if ino.is_some() && !keep.contains(&ino) {
                let _ = fs::remove_file(entry.path());
            }
        }
    }
}

const PREFIX: &str = "stamps-";

fn file(holder: &Path, ino: u64) -> PathBuf {
    holder.join(format!("{PREFIX}{ino}"))
}

#[cfg(unix)]
fn inode(path: &Path) -> Option<u64> {
    use std::os::unix::fs::MetadataExt;
    fs::symlink_metadata(path)
        .ok()
        .filter(Metadata::is_dir)
        .map(|m| m.ino())
}

#[cfg(not(unix))]
fn inode(_: &Path) -> Option<u64> {
    None
}
