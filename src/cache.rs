//! The build cache: `.envbook-cache/` beside book.toml, holding what a build
//! computed that the next one can reuse. Today that is highlighted code: one
//! file per block under `highlight-v1/`, named by the block's [`Key`] and read
//! only when a page needs it, so memory does not grow with the cache.
//!
//! The cache is never needed: any entry, or the whole folder, may go at any
//! time, even during a build, and a build that cannot read or write it just
//! highlights. Entries are written whole (a temporary file renamed), and one
//! that is torn, truncated or altered all the same fails its checksum and is
//! highlighted again.

use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::markdown::{CodeCache, Highlighter, Key};

/// The cache's folder, beside book.toml.
pub const DIR: &str = ".envbook-cache";
/// Highlighted blocks; a new entry format gets a new folder.
const HIGHLIGHT: &str = "highlight-v1";
/// Marks the folder as a cache for backup and archiving tools (bford.info/cachedir).
const TAG: &str = "Signature: 8a477f597d28d172789f06886806bc55\n\
                   # This file is a cache directory tag created by envbook.\n\
                   # For information about cache directory tags, see:\n\
                   #\thttps://bford.info/cachedir/\n";
/// Keeps the folder out of git with no setup, as pytest's and ruff's caches do.
const GITIGNORE: &str = "# Created by envbook: its build cache, which is never committed.\n*\n";
/// An entry: this line, then SHA-256 of the key and the HTML, then the HTML.
const MAGIC: &[u8] = b"envbook highlighted block\n";
const HEADER: usize = MAGIC.len() + 32;

/// The highlighter for a build of the site in `root`, with its cache unless
/// `enabled` is false (`--no-cache`).
pub fn highlighter(root: &Path, enabled: bool) -> Highlighter {
    let highlighter = Highlighter::default();
    if !enabled {
        return highlighter;
    }
    highlighter.with_cache(Blocks {
        root: root.join(DIR),
        dir: root.join(DIR).join(HIGHLIGHT),
    })
}

/// Highlighted blocks on disk: `highlight-v1/ab/cdef…`, by the key's hex.
struct Blocks {
    /// `.envbook-cache/`
    root: PathBuf,
    /// `.envbook-cache/highlight-v1/`
    dir: PathBuf,
}

impl CodeCache for Blocks {
    fn get(&self, key: &Key) -> Option<String> {
        let bytes = std::fs::read(self.path(key)).ok()?;
        decode(key, bytes)
    }

    fn put(&self, key: &Key, html: &str) {
        // Errors are dropped: without its entry, the block is highlighted next time.
        let _ = self.write(key, &encode(key, html));
    }
}

impl Blocks {
    fn path(&self, key: &Key) -> PathBuf {
        let hex = hex(key);
        self.dir.join(&hex[..2]).join(&hex[2..])
    }

    /// Writes an entry whole: a reader sees the old file or the new one.
    /// Folders that are missing (never made, or deleted during the build)
    /// are made, the cache's own first, with its tag and .gitignore.
    fn write(&self, key: &Key, bytes: &[u8]) -> std::io::Result<()> {
        let temp = || {
            tempfile::Builder::new()
                .prefix(".tmp")
                .tempfile_in(&self.dir)
        };
        let mut file = match temp() {
            Err(e) if e.kind() == ErrorKind::NotFound => {
                self.create()?;
                temp()?
            }
            other => other?,
        };
        file.write_all(bytes)?;
        let path = self.path(key);
        match file.persist(&path) {
            Err(e) if e.error.kind() == ErrorKind::NotFound => {
                // Not its parents: a cache deleted meanwhile is not made
                // again without its tag.
                make_dir(path.parent().expect("in a shard folder"))?;
                e.file.persist(&path)?;
            }
            other => {
                other?;
            }
        }
        Ok(())
    }

    /// Makes the cache's folder, its tag and .gitignore, then the entries'
    /// folder: once that exists, the others do.
    fn create(&self) -> std::io::Result<()> {
        make_dir(&self.root)?;
        for (name, text) in [("CACHEDIR.TAG", TAG), (".gitignore", GITIGNORE)] {
            let path = self.root.join(name);
            if !path.exists() {
                let mut file = tempfile::Builder::new()
                    .prefix(".tmp")
                    .tempfile_in(&self.root)?;
                file.write_all(text.as_bytes())?;
                file.persist(&path)?;
            }
        }
        make_dir(&self.dir)
    }
}

/// Makes `dir` unless it exists, not its parents.
fn make_dir(dir: &Path) -> std::io::Result<()> {
    match std::fs::create_dir(dir) {
        Err(e) if e.kind() != ErrorKind::AlreadyExists => Err(e),
        _ => Ok(()),
    }
}

fn hex(key: &Key) -> String {
    key.0.iter().map(|b| format!("{b:02x}")).collect()
}

fn checksum(key: &Key, html: &[u8]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(key.0);
    hasher.update(html);
    hasher.finalize().into()
}

fn encode(key: &Key, html: &str) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(HEADER + html.len());
    bytes.extend_from_slice(MAGIC);
    bytes.extend_from_slice(&checksum(key, html.as_bytes()));
    bytes.extend_from_slice(html.as_bytes());
    bytes
}

/// The HTML of an entry, if it is whole and was written for `key`.
fn decode(key: &Key, mut bytes: Vec<u8>) -> Option<String> {
    let sum = bytes.get(MAGIC.len()..HEADER)?;
    if !bytes.starts_with(MAGIC) || sum != checksum(key, &bytes[HEADER..]) {
        return None;
    }
    bytes.drain(..HEADER);
    String::from_utf8(bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: Key = Key([7; 32]);
    const HTML: &str = "<span class=\"hl-keyword\">let</span> a = 1;\n";

    #[test]
    fn an_entry_reads_back_as_written() {
        assert_eq!(decode(&KEY, encode(&KEY, HTML)).as_deref(), Some(HTML));
        assert_eq!(decode(&KEY, encode(&KEY, "")).as_deref(), Some(""));
    }

    #[test]
    fn a_truncated_altered_or_misplaced_entry_is_ignored() {
        let whole = encode(&KEY, HTML);
        for len in 0..whole.len() {
            assert_eq!(decode(&KEY, whole[..len].to_vec()), None, "{len} bytes");
        }
        for i in 0..whole.len() {
            let mut altered = whole.clone();
            altered[i] ^= 1;
            assert_eq!(decode(&KEY, altered), None, "byte {i}");
        }
        let mut longer = whole.clone();
        longer.push(b'\n');
        assert_eq!(decode(&KEY, longer), None);
        // A file copied or renamed to another block's name.
        assert_eq!(decode(&Key([8; 32]), whole), None);
    }

    #[test]
    fn entries_are_kept_in_folders_by_their_first_two_hex_digits() {
        let blocks = Blocks {
            root: PathBuf::from("s/.envbook-cache"),
            dir: PathBuf::from("s/.envbook-cache/highlight-v1"),
        };
        let mut key = [0xcd; 32];
        key[0] = 0xab;
        let name = format!("cd{}", "cd".repeat(30));
        assert_eq!(
            blocks.path(&Key(key)),
            Path::new("s/.envbook-cache/highlight-v1/ab").join(name)
        );
    }

    #[test]
    fn the_cache_makes_its_folder_tagged_and_keeps_entries_there() {
        let tmp = tempfile::TempDir::new().unwrap();
        let blocks = Blocks {
            root: tmp.path().join(DIR),
            dir: tmp.path().join(DIR).join(HIGHLIGHT),
        };
        assert_eq!(blocks.get(&KEY), None);
        blocks.put(&KEY, HTML);
        assert_eq!(blocks.get(&KEY).as_deref(), Some(HTML));
        let read = |name: &str| std::fs::read_to_string(tmp.path().join(DIR).join(name)).unwrap();
        assert!(read("CACHEDIR.TAG").starts_with("Signature: 8a477f597d28d172789f06886806bc55"));
        assert!(read(".gitignore").lines().any(|l| l == "*"));
        // Deleted during a build: made again, with its tag.
        std::fs::remove_dir_all(tmp.path().join(DIR).join(HIGHLIGHT)).unwrap();
        std::fs::remove_file(tmp.path().join(DIR).join("CACHEDIR.TAG")).unwrap();
        blocks.put(&Key([9; 32]), HTML);
        assert_eq!(blocks.get(&Key([9; 32])).as_deref(), Some(HTML));
        assert!(tmp.path().join(DIR).join("CACHEDIR.TAG").exists());
    }
}
