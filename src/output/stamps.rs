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
//!
//! A stamp also holds a hash of the file's bytes (XXH3, 128 bits): a page
//! made again (by a new envbook, or with the build cache gone) whose bytes
//! have that hash is left as it is without being read back to compare (at
//! 10,000 pages, 470 MB that this machine has often evicted by then).

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
    content: u128,
    file: File,
}

/// A file as it was when stamped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct File {
    len: u64,
    ino: u64,
    changed: (i64, i64),
}

impl File {
    /// The file with `meta`; `None` where files have no inode and change
    /// time, or for a file not ours alone.
    #[cfg(unix)]
    fn of(meta: &Metadata) -> Option<File> {
        use std::os::unix::fs::MetadataExt;
        (meta.is_file() && meta.nlink() == 1).then(|| File {
            len: meta.len(),
            ino: meta.ino(),
            changed: (meta.ctime(), meta.ctime_nsec()),
        })
    }

    #[cfg(not(unix))]
    fn of(_: &Metadata) -> Option<File> {
        None
    }

    fn at(path: &Path) -> Option<File> {
        fs::symlink_metadata(path).ok().and_then(|m| File::of(&m))
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

    /// The stamp of the file `rel` at `path`, if the file is still as it was then.
    fn unchanged(&self, rel: &str, path: &Path) -> Option<Stamp> {
        let before = self.before.get(rel)?;
        (File::at(path)? == before.file).then_some(*before)
    }

    /// Whether the file `rel` at `path` is still what was made from `key`;
    /// if it is, its stamp is kept for the next time.
    pub fn holds(&self, rel: &str, path: &Path, key: &Key) -> bool {
        let key = self.salted(key).0;
        let held = self.unchanged(rel, path).filter(|s| s.key == key);
        held.map(|stamp| self.note(rel, stamp)).is_some()
    }

    /// Whether the file `rel` at `path` is still `bytes`, which `key` made:
    /// then its stamp names `key` from now on.
    pub fn holds_bytes(&self, rel: &str, path: &Path, key: &Key, bytes: &[u8]) -> bool {
        let held = self
            .unchanged(rel, path)
            .filter(|s| s.content == content(bytes));
        held.map(|stamp| {
            let key = self.salted(key).0;
            self.note(rel, Stamp { key, ..stamp })
        })
        .is_some()
    }

    /// Notes that the file `rel`, just written at `path` with `bytes`, was made from `key`.
    pub fn made(&self, rel: &str, path: &Path, key: &Key, bytes: &[u8]) {
        if let Some(file) = File::at(path) {
            let key = self.salted(key).0;
            let content = content(bytes);
            self.note(rel, Stamp { key, content, file });
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
        let keep = [Some(ino), inode(other)].map(|ino| ino.map(|ino| file(&self.holder, ino)));
        let Ok(entries) = fs::read_dir(&self.holder) else {
            return;
        };
        for entry in entries.filter_map(Result::ok) {
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = Some(entry.path());
            if name.starts_with(STAMPS) && !keep.contains(&path) {
                let _ = fs::remove_file(entry.path());
            }
        }
    }
}

/// Stamps files start so; those of an older format (`stamps-`) are not
/// read, and go with those of folders gone.
const STAMPS: &str = "stamps";
const PREFIX: &str = "stamps2-";

fn content(bytes: &[u8]) -> u128 {
    xxhash_rust::xxh3::xxh3_128(bytes)
}

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

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    /// Stamps of `site` as a build by the binary `salt` reads them.
    fn stamps(holder: &Path, site: &Path, salt: &[u8]) -> Stamps {
        Stamps {
            salt: Key::of(&[salt]),
            ..Stamps::read(holder, site)
        }
    }

    #[test]
    fn a_file_holds_its_key_for_its_binary_and_its_bytes_for_any_while_untouched() {
        let dir = tempfile::TempDir::new().unwrap();
        let site = dir.path().join("site");
        fs::create_dir(&site).unwrap();
        let page = site.join("index.html");
        let (key, other_key) = (Key::of(&[b"page"]), Key::of(&[b"other page"]));
        fs::write(&page, "<p>made</p>").unwrap();
        let first = stamps(dir.path(), &site, b"envbook 1");
        first.made("index.html", &page, &key, b"<p>made</p>");
        first.save(&site, dir.path());

        let same = stamps(dir.path(), &site, b"envbook 1");
        assert!(same.holds("index.html", &page, &key));
        assert!(!same.holds("index.html", &page, &other_key));
        // A new binary: its keys are its own, the bytes are the bytes.
        let upgraded = stamps(dir.path(), &site, b"envbook 2");
        assert!(!upgraded.holds("index.html", &page, &key));
        assert!(!upgraded.holds_bytes("index.html", &page, &key, b"<p>new</p>"));
        assert!(upgraded.holds_bytes("index.html", &page, &key, b"<p>made</p>"));
        // ... and its stamp names the new binary's key from then on.
        upgraded.save(&site, dir.path());
        let next = stamps(dir.path(), &site, b"envbook 2");
        assert!(next.holds("index.html", &page, &key));

        // Written again behind envbook's back, the same bytes even: no stamp holds.
        std::thread::sleep(std::time::Duration::from_millis(10));
        fs::write(&page, "<p>made</p>").unwrap();
        let touched = stamps(dir.path(), &site, b"envbook 2");
        assert!(!touched.holds("index.html", &page, &key));
        assert!(!touched.holds_bytes("index.html", &page, &key, b"<p>made</p>"));
    }

    #[test]
    fn stamps_of_an_older_format_and_of_folders_gone_are_removed() {
        let dir = tempfile::TempDir::new().unwrap();
        let site = dir.path().join("site");
        fs::create_dir(&site).unwrap();
        for old in ["stamps-12", "stamps2-99", "notes.txt"] {
            fs::write(dir.path().join(old), "x").unwrap();
        }
        stamps(dir.path(), &site, b"envbook").save(&site, &dir.path().join("gone"));
        let mut names: Vec<String> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n != "site")
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                "notes.txt",
                file(dir.path(), inode(&site).unwrap())
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .as_ref()
            ]
        );
    }
}
