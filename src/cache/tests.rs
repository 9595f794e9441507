use super::*;

fn key(n: u8) -> Key {
    Key([n; 32])
}

fn html(n: u8) -> Vec<u8> {
    format!("<span class=\"hl-number\">{n}</span>\n").into_bytes()
}

/// A site folder with a cache holding the blocks `numbers`, one pack per save.
fn cached(saves: &[&[u8]]) -> tempfile::TempDir {
    let tmp = tempfile::TempDir::new().unwrap();
    for numbers in saves {
        let blocks = Blocks::open(tmp.path(), HIGHLIGHT, true);
        for &n in *numbers {
            blocks.put(&key(n), &html(n));
        }
        blocks.save();
    }
    tmp
}

fn packs(root: &Path) -> Vec<PathBuf> {
    let mut packs: Vec<PathBuf> = std::fs::read_dir(root.join(DIR).join(HIGHLIGHT))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    packs.sort();
    packs
}

#[test]
fn blocks_read_back_as_written_by_this_build_and_the_next() {
    let tmp = tempfile::TempDir::new().unwrap();
    let blocks = Blocks::open(tmp.path(), HIGHLIGHT, true);
    assert_eq!(blocks.get(&key(1)), None);
    blocks.put(&key(1), &html(1));
    blocks.put(&key(2), b"");
    blocks.save();
    assert_eq!(blocks.get(&key(1)), Some(html(1)));
    let next = Blocks::open(tmp.path(), HIGHLIGHT, true);
    assert_eq!(next.get(&key(1)), Some(html(1)));
    assert_eq!(next.get(&key(2)).as_deref(), Some(&b""[..]));
    assert_eq!(next.get(&key(3)), None);
    // A build that highlighted nothing new writes nothing.
    next.save();
    assert_eq!(packs(tmp.path()).len(), 1);
}

#[test]
fn the_cache_folder_is_tagged_and_ignored_by_git() {
    let tmp = cached(&[&[1]]);
    let read = |name: &str| std::fs::read_to_string(tmp.path().join(DIR).join(name)).unwrap();
    assert!(read("CACHEDIR.TAG").starts_with("Signature: 8a477f597d28d172789f06886806bc55\n"));
    assert!(read(".gitignore").lines().any(|l| l == "*"));
}

#[test]
fn a_block_altered_in_its_pack_is_not_used_and_the_others_are() {
    let tmp = cached(&[&[1, 2, 3]]);
    let pack = &packs(tmp.path())[0];
    let mut bytes = std::fs::read(pack).unwrap();
    let at = bytes.windows(7).position(|w| w == b">2</spa").unwrap();
    bytes[at + 1] = b'9';
    std::fs::write(pack, bytes).unwrap();
    let blocks = Blocks::open(tmp.path(), HIGHLIGHT, true);
    assert_eq!(blocks.get(&key(2)), None);
    assert_eq!(blocks.get(&key(1)), Some(html(1)));
    assert_eq!(blocks.get(&key(3)), Some(html(3)));
    // Written again, it is read from the newer pack.
    blocks.put(&key(2), &html(2));
    blocks.save();
    assert_eq!(
        Blocks::open(tmp.path(), HIGHLIGHT, true).get(&key(2)),
        Some(html(2))
    );
}

#[test]
fn a_pack_cut_short_or_altered_anywhere_is_not_used_and_goes() {
    let tmp = cached(&[&[1, 2]]);
    let pack = packs(tmp.path()).remove(0);
    let whole = std::fs::read(&pack).unwrap();
    let mut damaged: Vec<Vec<u8>> = (0..whole.len()).map(|n| whole[..n].to_vec()).collect();
    for i in 0..whole.len() {
        let mut altered = whole.clone();
        altered[i] ^= 1;
        damaged.push(altered);
    }
    for bytes in damaged {
        std::fs::write(&pack, &bytes).unwrap();
        let blocks = Blocks::open(tmp.path(), HIGHLIGHT, true);
        for n in [1, 2] {
            let got = blocks.get(&key(n));
            assert!(got.is_none() || got == Some(html(n)), "{got:?}");
        }
        if blocks.get(&key(1)).is_none() && blocks.get(&key(2)).is_none() {
            assert!(!pack.exists(), "a pack of no use is deleted");
        }
    }
}

#[test]
fn at_max_packs_the_small_ones_are_merged_and_a_larger_one_left() {
    let large: Vec<u8> = (1..=1).chain(100..140).collect();
    let mut saves: Vec<Vec<u8>> = vec![large.clone()];
    saves.extend((2..=MAX_PACKS as u8 + 1).map(|n| vec![n]));
    let saves: Vec<&[u8]> = saves.iter().map(Vec::as_slice).collect();
    let tmp = cached(&saves);
    let packs = packs(tmp.path());
    assert_eq!(packs.len(), 2, "{packs:?}");
    let blocks = Blocks::open(tmp.path(), HIGHLIGHT, true);
    for n in (1..=MAX_PACKS as u8 + 1).chain(large) {
        assert_eq!(blocks.get(&key(n)), Some(html(n)), "{n}");
    }
}

/// A preview saves after every edit, for hours: what it writes grows as
/// its edits do, not as their square (merging all but the largest pack
/// copied the session's blocks at every eighth save).
#[test]
fn a_day_of_saves_copies_each_block_a_few_times() {
    let tmp = tempfile::TempDir::new().unwrap();
    let blocks = Blocks::open(tmp.path(), HIGHLIGHT, true);
    // The first build's pack, larger than the day's edits.
    for n in 0..50 {
        blocks.put(&key(n), &[n; 2000]);
    }
    blocks.save();
    let first = packs(tmp.path());
    let saves = 600u32;
    let (mut seen, mut written, mut alone) = (first.clone(), 0, 0);
    for n in 0..saves {
        let key = Key::of(&[&n.to_le_bytes()]);
        let bytes = format!("<span>edit {n}</span>\n").into_bytes();
        blocks.put(&key, &bytes);
        alone += (SUM + bytes.len() + ENTRY + FOOTER) as u64;
        // Now and then a larger save (a title edit): a pack newer than
        // smaller ones, which are merged around it.
        if n % 37 == 0 {
            for m in 0..20u32 {
                blocks.put(&Key::of(&[b"more", &(n * 20 + m).to_le_bytes()]), &[7; 300]);
                alone += (SUM + 300 + ENTRY) as u64;
            }
        }
        blocks.save();
        for pack in packs(tmp.path()) {
            if !seen.contains(&pack) {
                written += std::fs::metadata(&pack).unwrap().len();
                seen.push(pack);
            }
        }
        assert!(packs(tmp.path()).len() <= MAX_PACKS);
        assert_eq!(blocks.get(&key), Some(bytes));
    }
    // Three times what the saves alone would write; merging all but the
    // largest wrote 24 times.
    assert!(
        written < 6 * alone,
        "{written} bytes written, {alone} saved"
    );
    assert!(
        first.iter().all(|p| p.exists()),
        "the large pack was copied"
    );
    // The preview's own index, kept across the merges, and a new one.
    let count = blocks.index.read().unwrap().packs.len();
    assert_eq!(count, packs(tmp.path()).len());
    let last = Blocks::open(tmp.path(), HIGHLIGHT, true);
    for blocks in [&blocks, &last] {
        for n in 0..saves {
            let bytes = format!("<span>edit {n}</span>\n").into_bytes();
            assert_eq!(
                blocks.get(&Key::of(&[&n.to_le_bytes()])),
                Some(bytes),
                "{n}"
            );
        }
        for n in 0..50 {
            assert_eq!(blocks.get(&key(n)), Some(vec![n; 2000]), "{n}");
        }
        for n in (0..saves).step_by(37) {
            let key = Key::of(&[b"more", &(n * 20 + 19).to_le_bytes()]);
            assert_eq!(blocks.get(&key), Some(vec![7; 300]), "{n}");
        }
    }
}

#[test]
fn a_cache_deleted_during_a_build_is_made_again_by_the_next_with_its_tag() {
    let tmp = cached(&[&[1]]);
    let blocks = Blocks::open(tmp.path(), HIGHLIGHT, true);
    blocks.put(&key(2), &html(2));
    std::fs::remove_dir_all(tmp.path().join(DIR)).unwrap();
    // Packs already open still read.
    #[cfg(unix)]
    assert_eq!(blocks.get(&key(1)), Some(html(1)));
    blocks.save();
    assert!(!tmp.path().join(DIR).exists());
    let next = Blocks::open(tmp.path(), HIGHLIGHT, true);
    next.put(&key(2), &html(2));
    next.save();
    assert!(tmp.path().join(DIR).join("CACHEDIR.TAG").exists());
    assert_eq!(
        Blocks::open(tmp.path(), HIGHLIGHT, true).get(&key(2)),
        Some(html(2))
    );
}

#[test]
fn a_cache_that_cannot_be_made_is_no_error() {
    let tmp = tempfile::TempDir::new().unwrap();
    std::fs::write(tmp.path().join(DIR), "a file in the way\n").unwrap();
    let blocks = Blocks::open(tmp.path(), HIGHLIGHT, true);
    blocks.put(&key(1), &html(1));
    blocks.save();
    assert_eq!(blocks.get(&key(1)), None);
}

#[test]
fn a_pack_a_killed_build_left_half_written_goes_once_abandoned() {
    let tmp = cached(&[&[1]]);
    let dir = tmp.path().join(DIR).join(HIGHLIGHT);
    let (old, fresh) = (dir.join(".tmpOLD"), dir.join(".tmpNEW"));
    for path in [&old, &fresh] {
        std::fs::write(path, "half a pack").unwrap();
    }
    let long_ago = SystemTime::now() - ABANDONED - Duration::from_secs(60);
    let file = File::options().write(true).open(&old).unwrap();
    file.set_modified(long_ago).unwrap();
    assert_eq!(
        Blocks::open(tmp.path(), HIGHLIGHT, true).get(&key(1)),
        Some(html(1))
    );
    assert!(!old.exists());
    assert!(fresh.exists(), "it may be another build's, being written");
}
