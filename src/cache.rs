//! The build cache: `.envbook-cache/` beside book.toml, holding what a build
//! computed that the next one can reuse: highlighted code blocks
//! (`highlight-v1/`), and rendered pages with their search fragments
//! (`pages-v1/`), each kind in packs of its own.
//!
//! Each build that highlighted something new writes it as one pack file
//! (`highlight-v1/*.pack`): the blocks, then an index of their keys. One file
//! per build, not per block: 2,000 small files cost a cold build of the
//! 1,000-page corpus a tenth of its time, a pack nothing measurable. A build
//! reads the packs' indexes, then each block when a page needs it, so memory
//! holds keys, not HTML. The smallest packs are merged when there are
//! [`MAX_PACKS`].
//!
//! The cache is never needed: a pack, or the whole folder, may go at any time,
//! even during a build, and a build that cannot read or write it just
//! highlights. A pack is written whole (a temporary file renamed); a pack or
//! a block that is torn, truncated or altered all the same fails its
//! checksum and is not used.

// Keys are hashes already: foldhash, not SipHash (a 10,000-page build
// looks up tens of thousands).
use foldhash::{HashMap, HashSet, HashSetExt};
use std::fs::File;
use std::io::{BufWriter, ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, RwLock};
use std::time::{Duration, SystemTime};

use sha2::{Digest, Sha256};
use tempfile::NamedTempFile;

use crate::markdown::{Highlighter, Key, Store};

/// The cache's folder, beside book.toml.
pub const DIR: &str = ".envbook-cache";
/// Highlighted blocks; a new pack format gets a new folder.
const HIGHLIGHT: &str = "highlight-v1";
/// Rendered pages and their search fragments.
const PAGES: &str = "pages-v1";
/// Marks the folder as a cache for backup and archiving tools (bford.info/cachedir).
const TAG: &str = "Signature: 8a477f597d28d172789f06886806bc55\n\
                   # This file is a cache directory tag created by envbook.\n\
                   # For information about cache directory tags, see:\n\
                   #\thttps://bford.info/cachedir/\n";
/// Keeps the folder out of git with no setup, as pytest's and ruff's caches do.
const GITIGNORE: &str = "# Created by envbook: its build cache, which is never committed.\n*\n";
/// At this many packs, a build that writes one merges the smallest into it
/// (see [`Index::merge_into`]): few files to open, little to copy.
const MAX_PACKS: usize = 8;
/// The packs are collected when what no build needs passes this many times
/// what it needs (see [`Blocks::collect`])...
const GARBAGE: u64 = 1;
/// ...and this many bytes: a small cache is left as it is.
const MIN_GARBAGE: u64 = 1 << 20;
/// A temporary file this old is no build's: the slowest takes seconds.
const ABANDONED: Duration = Duration::from_secs(3600);

/// The highlighter for a build of the site in `root`, with its cache unless
/// `enabled` is false (`--no-cache`).
pub fn highlighter(root: &Path, access: Access) -> Highlighter {
    let highlighter = Highlighter::default();
    match access {
        Access::Off => highlighter,
        _ => highlighter.with_cache(Blocks::open(root, HIGHLIGHT, access == Access::ReadWrite)),
    }
}

/// The store of rendered pages for a build of the site in `root` (see
/// `site::Cache::with_store`), unless the cache is off.
pub fn pages(root: &Path, access: Access) -> Option<Box<dyn Store>> {
    let blocks = match access {
        Access::Off => return None,
        _ => Blocks::open(root, PAGES, access == Access::ReadWrite),
    };
    Some(Box::new(Salted {
        salt: binary_identity(),
        blocks,
    }))
}

/// A store whose keys are salted with the envbook binary that made them: a
/// page's HTML comes from all of envbook's code, and a change anywhere in it
/// must not wait for a new version number to be seen.
struct Salted {
    salt: Key,
    blocks: Blocks,
}

impl Salted {
    fn key(&self, key: &Key) -> Key {
        Key::of(&[&self.salt.0, &key.0])
    }
}

impl Store for Salted {
    fn get(&self, key: &Key) -> Option<Vec<u8>> {
        self.blocks.get(&self.key(key))
    }

    fn put(&self, key: &Key, bytes: &[u8]) {
        self.blocks.put(&self.key(key), bytes)
    }

    fn save(&self) {
        self.blocks.save()
    }

    fn keep(&self, key: &Key) {
        self.blocks.keep(&self.key(key))
    }

    fn collect(&self) {
        // Errors are dropped: the garbage is collected next time.
        let _ = self.blocks.collect();
    }
}

/// The running binary, by its size and time; its version if it cannot be read.
pub fn binary_identity() -> Key {
    let meta = std::env::current_exe().and_then(std::fs::metadata);
    let seen = meta.map(|m| format!("{} {:?}", m.len(), m.modified().ok()));
    let seen = seen.unwrap_or_default();
    Key::of(&[env!("CARGO_PKG_VERSION").as_bytes(), seen.as_bytes()])
}

/// How a command uses the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// `--no-cache`: neither read nor written.
    Off,
    /// Read, never written nor cleaned: `check` writes nothing.
    Read,
    ReadWrite,
}

impl Access {
    /// The cache for a command that writes it, unless `--no-cache` was given.
    pub fn writing(no_cache: bool) -> Access {
        match no_cache {
            true => Access::Off,
            false => Access::ReadWrite,
        }
    }
}

/// Highlighted blocks on disk.
struct Blocks {
    /// `.envbook-cache/`
    root: PathBuf,
    /// `.envbook-cache/highlight-v1/`
    dir: PathBuf,
    index: RwLock<Index>,
    /// The pack this build is writing.
    draft: Mutex<Draft>,
    /// Whether this command may write (and clean) the cache.
    writes: bool,
    /// The keys this build read, wrote or kept (see [`Blocks::collect`]).
    live: Mutex<HashSet<Key>>,
}

/// Where each block is, in the packs read.
#[derive(Default)]
struct Index {
    packs: Vec<Pack>,
    blocks: HashMap<Key, Place>,
}

struct Pack {
    path: PathBuf,
    file: File,
    size: u64,
}

/// A block in a pack: its checksum at `offset`, then its HTML, `len` bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Place {
    pack: usize,
    offset: u64,
    len: u32,
}

enum Draft {
    None,
    Writing(Writer),
    /// The folder cannot be written: this build stops trying.
    Failed,
}

/// A pack being written: the blocks so far, and their index.
struct Writer {
    file: BufWriter<NamedTempFile>,
    len: u64,
    index: Vec<(Key, Place)>,
    keys: HashSet<Key>,
}

impl Store for Blocks {
    fn get(&self, key: &Key) -> Option<Vec<u8>> {
        let index = self.index.read().ok()?;
        let place = *index.blocks.get(key)?;
        let bytes = index.packs[place.pack].read(key, place)?;
        self.keep(key);
        Some(bytes)
    }

    fn put(&self, key: &Key, bytes: &[u8]) {
        if !self.writes {
            return;
        }
        // A block the store has stays where it is (each put adds to the
        // store); one that changed (the last build's search index), or
        // whose copy is damaged, is written again.
        if self.get(key).is_some_and(|old| old == bytes) {
            return;
        }
        self.keep(key);
        // Summed before the lock: the pages' threads share the pack.
        let sum = checksum(key, bytes);
        let Ok(mut draft) = self.draft.lock() else {
            return;
        };
        if let Draft::None = *draft {
            *draft = self.writer().map_or(Draft::Failed, Draft::Writing);
        }
        if let Draft::Writing(writer) = &mut *draft
            && writer.add(key, sum, bytes).is_err()
        {
            *draft = Draft::Failed;
        }
    }

    fn save(&self) {
        let draft = self
            .draft
            .lock()
            .map(|mut d| std::mem::replace(&mut *d, Draft::None));
        if let Ok(Draft::Writing(writer)) = draft {
            // Errors are dropped: the blocks are highlighted again next time.
            let _ = self.save_pack(writer);
        }
    }
}

impl Blocks {
    /// The cache of the site in `root`, its packs' indexes read.
    fn open(root: &Path, folder: &str, writes: bool) -> Blocks {
        let dir = root.join(DIR).join(folder);
        Blocks {
            index: RwLock::new(Index::load(&dir, writes)),
            writes,
            root: root.join(DIR),
            dir,
            draft: Mutex::new(Draft::None),
            live: Mutex::default(),
        }
    }

    fn keep(&self, key: &Key) {
        if self.writes
            && let Ok(mut live) = self.live.lock()
        {
            live.insert(*key);
        }
    }

    /// Once what the packs hold besides the live blocks (those this build
    /// read, wrote or kept) passes [`GARBAGE`] times what the live ones
    /// hold, writes the live blocks into one pack and deletes the others:
    /// each edit adds its page's new versions, and a day of editing would
    /// otherwise only grow the cache. A pack written meanwhile by another
    /// process (the preview) is left alone.
    fn collect(&self) -> std::io::Result<()> {
        let live = self.live.lock().map_err(|_| ErrorKind::Other)?;
        let mut index = self.index.write().map_err(|_| ErrorKind::Other)?;
        let size = |p: &Place| SUM as u64 + u64::from(p.len) + ENTRY as u64;
        let total: u64 = index.blocks.values().map(size).sum();
        let kept: u64 = index
            .blocks
            .iter()
            .filter(|(key, _)| live.contains(key))
            .map(|(_, place)| size(place))
            .sum();
        if total <= GARBAGE * kept + MIN_GARBAGE {
            return Ok(());
        }
        let mut writer = self.writer()?;
        for (key, place) in index.blocks.iter().filter(|(key, _)| live.contains(key)) {
            if let Some(bytes) = index.packs[place.pack].read(key, *place) {
                writer.add(key, checksum(key, &bytes), &bytes)?;
            }
        }
        let (temp, sum) = writer.finish()?;
        temp.persist(self.pack_path(&sum))?;
        for pack in &index.packs {
            let _ = std::fs::remove_file(&pack.path);
        }
        *index = Index::load(&self.dir, true);
        Ok(())
    }

    /// Where a new pack goes: named by when it was written, so that names
    /// sort oldest first (file times are too coarse to tell two builds'
    /// packs apart).
    fn pack_path(&self, sum: &[u8]) -> PathBuf {
        let now = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH);
        let nanos = now.map_or(0, |d| d.as_nanos());
        self.dir
            .join(format!("{nanos:020}-{}.pack", hex(&sum[..8])))
    }

    /// A new pack, in a temporary file; the folders are made if missing
    /// (never made, or deleted during the build).
    fn writer(&self) -> std::io::Result<Writer> {
        let temp = || {
            tempfile::Builder::new()
                .prefix(".tmp")
                .tempfile_in(&self.dir)
        };
        let file = match temp() {
            Err(e) if e.kind() == ErrorKind::NotFound => {
                self.create()?;
                temp()?
            }
            other => other?,
        };
        Ok(Writer {
            file: BufWriter::with_capacity(1 << 16, file),
            len: 0,
            index: Vec::new(),
            keys: HashSet::new(),
        })
    }

    /// Makes the cache's folder, its tag and .gitignore, then the packs'
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

    /// Finishes the pack and renames it into place, with the blocks of the
    /// packs it merges; then the index knows its blocks.
    fn save_pack(&self, mut writer: Writer) -> std::io::Result<()> {
        let mut index = self.index.write().map_err(|_| ErrorKind::Other)?;
        let merged = index.merge_into(&mut writer)?;
        let (temp, sum) = writer.finish()?;
        let path = self.pack_path(&sum);
        temp.persist(&path)?;
        // Their blocks are in the new pack: forgotten here, not read again
        // from every pack (a sixth of a 10,000-page preview's time).
        for pack in index.forget(&merged) {
            if pack.path != path {
                let _ = std::fs::remove_file(&pack.path);
            }
        }
        if let Some((pack, blocks)) = Pack::open(&path)? {
            index.add(pack, blocks);
        }
        Ok(())
    }
}

/// Makes `dir` unless it exists, not its parents: a cache deleted during a
/// build is not made again without its tag.
fn make_dir(dir: &Path) -> std::io::Result<()> {
    match std::fs::create_dir(dir) {
        Err(e) if e.kind() != ErrorKind::AlreadyExists => Err(e),
        _ => Ok(()),
    }
}

impl Index {
    /// The indexes of the packs in `dir`, oldest first, so that a block
    /// written again (its old copy damaged) is read from the newer pack. A
    /// pack that is not whole is deleted: it is never of use; so is a pack
    /// that a killed build left half written, once it is [`ABANDONED`].
    fn load(dir: &Path, cleans: bool) -> Index {
        let mut index = Index::default();
        let Ok(entries) = std::fs::read_dir(dir) else {
            return index;
        };
        let mut packs: Vec<PathBuf> = Vec::new();
        for entry in entries.filter_map(Result::ok) {
            let (path, name) = (entry.path(), entry.file_name());
            let time = entry.metadata().and_then(|m| m.modified());
            let time = time.unwrap_or(SystemTime::UNIX_EPOCH);
            if path.extension().is_some_and(|x| x == "pack") {
                packs.push(path);
            } else if cleans
                && name.to_string_lossy().starts_with(".tmp")
                && time.elapsed().is_ok_and(|age| age > ABANDONED)
            {
                let _ = std::fs::remove_file(&path);
            }
        }
        packs.sort();
        for path in packs {
            match Pack::open(&path) {
                Ok(Some((pack, blocks))) => index.add(pack, blocks),
                Ok(None) if cleans => {
                    let _ = std::fs::remove_file(&path);
                }
                Ok(None) | Err(_) => {}
            }
        }
        index
    }

    fn add(&mut self, pack: Pack, blocks: Vec<(Key, Place)>) {
        let number = self.packs.len();
        self.packs.push(pack);
        for (key, place) in blocks {
            self.blocks.insert(
                key,
                Place {
                    pack: number,
                    ..place
                },
            );
        }
    }

    /// With too many packs, copies the blocks of the smallest into
    /// `writer`: enough of them to leave fewer than [`MAX_PACKS`], and each
    /// next one no larger than what the new pack holds so far. So a block
    /// is copied only into a pack at least twice the size of its last one:
    /// a preview saving after each of a day's edits copies each block a few
    /// times, not at every eighth save (merging all but the largest copied
    /// a session's blocks again and again, quadratic in its edits).
    /// Returns the packs merged, by number.
    fn merge_into(&self, writer: &mut Writer) -> std::io::Result<Vec<usize>> {
        if self.packs.len() < MAX_PACKS {
            return Ok(Vec::new());
        }
        let mut smallest: Vec<usize> = (0..self.packs.len()).collect();
        smallest.sort_by_key(|&i| self.packs[i].size);
        let least = self.packs.len() + 2 - MAX_PACKS;
        let mut size = writer.len;
        let mut merged = vec![false; self.packs.len()];
        for (n, i) in smallest.into_iter().enumerate() {
            if n >= least && self.packs[i].size > size {
                break;
            }
            size += self.packs[i].size;
            merged[i] = true;
        }
        for (key, place) in &self.blocks {
            if merged[place.pack]
                && let Some(bytes) = self.packs[place.pack].read(key, *place)
            {
                writer.add(key, checksum(key, &bytes), &bytes)?;
            }
        }
        Ok((0..self.packs.len()).filter(|&i| merged[i]).collect())
    }

    /// Forgets the packs `gone` (by number) and their blocks; returns them.
    fn forget(&mut self, gone: &[usize]) -> Vec<Pack> {
        let (mut kept, mut forgotten, mut number) = (Vec::new(), Vec::new(), Vec::new());
        for (i, pack) in std::mem::take(&mut self.packs).into_iter().enumerate() {
            number.push(kept.len());
            match gone.contains(&i) {
                true => forgotten.push(pack),
                false => kept.push(pack),
            }
        }
        self.packs = kept;
        self.blocks.retain(|_, place| !gone.contains(&place.pack));
        for place in self.blocks.values_mut() {
            place.pack = number[place.pack];
        }
        forgotten
    }
}

/// A pack: blocks, each its checksum (CRC-32 of its key and bytes) then its
/// bytes; then the index, each entry a key, an offset and a length; then
/// the footer: where the index starts, its length, the index's SHA-256,
/// [`MAGIC`]. A pack of another format fails its magic and is deleted.
///
/// A block's sum finds damage, not forgery (the cache is the user's own):
/// CRC-32, not SHA-256, which was a tenth of a warm build.
const MAGIC: &[u8; 16] = b"envbook-hl-pack2";
const SUM: usize = 4;
const INDEX_SUM: usize = 32;
const ENTRY: usize = 32 + 8 + 4;
const FOOTER: usize = 8 + 4 + INDEX_SUM + MAGIC.len();

impl Writer {
    /// Adds the block `key` of `bytes`, whose [`checksum`] is `sum`.
    fn add(&mut self, key: &Key, sum: [u8; SUM], bytes: &[u8]) -> std::io::Result<()> {
        let Ok(len) = u32::try_from(bytes.len()) else {
            return Ok(());
        };
        if !self.keys.insert(*key) {
            return Ok(());
        }
        self.file.write_all(&sum)?;
        self.file.write_all(bytes)?;
        let offset = self.len;
        self.len += (SUM + bytes.len()) as u64;
        self.index.push((
            *key,
            Place {
                pack: 0,
                offset,
                len,
            },
        ));
        Ok(())
    }

    /// Writes the index and the footer; returns the file and the index's checksum.
    fn finish(mut self) -> std::io::Result<(NamedTempFile, [u8; 32])> {
        let mut index = Vec::with_capacity(self.index.len() * ENTRY);
        for (key, place) in &self.index {
            index.extend_from_slice(&key.0);
            index.extend_from_slice(&place.offset.to_le_bytes());
            index.extend_from_slice(&place.len.to_le_bytes());
        }
        let sum: [u8; 32] = Sha256::digest(&index).into();
        self.file.write_all(&index)?;
        self.file.write_all(&self.len.to_le_bytes())?;
        let count = u32::try_from(self.index.len()).map_err(|_| ErrorKind::InvalidData)?;
        self.file.write_all(&count.to_le_bytes())?;
        self.file.write_all(&sum)?;
        self.file.write_all(MAGIC)?;
        let file = self.file.into_inner().map_err(|e| e.into_error())?;
        Ok((file, sum))
    }
}

impl Pack {
    /// The pack at `path` and its blocks; `None` if it is not whole.
    #[allow(clippy::type_complexity)]
    fn open(path: &Path) -> std::io::Result<Option<(Pack, Vec<(Key, Place)>)>> {
        let file = File::open(path)?;
        let size = file.metadata()?.len();
        let Some(start) = size.checked_sub(FOOTER as u64) else {
            return Ok(None);
        };
        let mut footer = [0; FOOTER];
        read_at(&file, &mut footer, start)?;
        let (offset, rest) = footer.split_at(8);
        let (count, rest) = rest.split_at(4);
        let (sum, magic) = rest.split_at(INDEX_SUM);
        let offset = u64::from_le_bytes(offset.try_into().expect("8 bytes"));
        let count = u32::from_le_bytes(count.try_into().expect("4 bytes")) as u64;
        if magic != MAGIC || offset.checked_add(count * ENTRY as u64) != Some(start) {
            return Ok(None);
        }
        let mut index = vec![0; (count as usize) * ENTRY];
        read_at(&file, &mut index, offset)?;
        if Sha256::digest(&index)[..] != *sum {
            return Ok(None);
        }
        let blocks = index.chunks_exact(ENTRY).map(|entry| {
            let (key, rest) = entry.split_at(32);
            let (at, len) = rest.split_at(8);
            let place = Place {
                pack: 0,
                offset: u64::from_le_bytes(at.try_into().expect("8 bytes")),
                len: u32::from_le_bytes(len.try_into().expect("4 bytes")),
            };
            (Key(key.try_into().expect("32 bytes")), place)
        });
        let blocks: Vec<(Key, Place)> = blocks.collect();
        let inside = |p: &Place| p.offset + (SUM as u64) + u64::from(p.len) <= offset;
        if !blocks.iter().all(|(_, p)| inside(p)) {
            return Ok(None);
        }
        let pack = Pack {
            path: path.to_path_buf(),
            file,
            size,
        };
        Ok(Some((pack, blocks)))
    }

    /// The bytes of the block `key` at `place`, if its checksum holds.
    fn read(&self, key: &Key, place: Place) -> Option<Vec<u8>> {
        let mut bytes = vec![0; SUM + place.len as usize];
        read_at(&self.file, &mut bytes, place.offset).ok()?;
        let sum: [u8; SUM] = bytes[..SUM].try_into().ok()?;
        bytes.drain(..SUM);
        (sum == checksum(key, &bytes)).then_some(bytes)
    }
}

fn checksum(key: &Key, bytes: &[u8]) -> [u8; SUM] {
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(&key.0);
    hasher.update(bytes);
    hasher.finalize().to_le_bytes()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Reads `buf.len()` bytes at `offset`, leaving the file's position alone:
/// the pages' threads share the file.
#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
}

#[cfg(windows)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    use std::os::windows::fs::FileExt;
    let mut done = 0;
    while done < buf.len() {
        match file.seek_read(&mut buf[done..], offset + done as u64)? {
            0 => return Err(ErrorKind::UnexpectedEof.into()),
            n => done += n,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
