//! The build cache (`.envbook-cache/`): highlighted code kept between builds.
//! Whatever happens to it, a build's output is a clean build's, byte for byte:
//! every test compares the whole output folder with that of a copy of the
//! sources built with no cache at all.

use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::serve::{Server, wait_for};
use crate::support::{Run, Site, run_in};

const CACHE: &str = ".envbook-cache";
const PAGES: &str = ".envbook-cache/pages-v1";
const PACKS: &str = ".envbook-cache/highlight-v1";

/// Every file under `dir` with its bytes.
fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e.path().strip_prefix(dir).unwrap().to_path_buf();
            (rel, std::fs::read(e.path()).unwrap())
        })
        .collect()
}

/// The packs, each with its inode and time: a pack read is the file it was.
fn packs(site: &Site) -> BTreeMap<String, (u64, i64, i64)> {
    let Ok(entries) = std::fs::read_dir(site.path(PACKS)) else {
        return BTreeMap::new();
    };
    entries
        .map(Result::unwrap)
        .map(|e| {
            let m = e.metadata().unwrap();
            let name = e.file_name().to_string_lossy().into_owned();
            (name, (m.ino(), m.mtime(), m.mtime_nsec()))
        })
        .collect()
}

fn build(site: &Site) -> Run {
    let run = site.run(&["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    run
}

/// Builds `site`, then a copy of its sources (in a folder of the same name,
/// without its output or cache) with `--no-cache`, and compares their
/// output folders file by file and what they printed.
fn assert_builds_as_clean(site: &Site, output: &str) {
    let cached = build(site);
    let tmp = tempfile::TempDir::new().unwrap();
    let copy = tmp.path().join(site.dir.file_name().unwrap());
    for entry in walkdir::WalkDir::new(&site.dir)
        .into_iter()
        .filter_entry(|e| {
            let rel = e.path().strip_prefix(&site.dir).unwrap();
            !rel.starts_with(CACHE) && !rel.starts_with(output)
        })
    {
        let entry = entry.unwrap();
        let target = copy.join(entry.path().strip_prefix(&site.dir).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
    let clean = run_in(&copy, &["build", "--no-cache"]);
    assert_eq!(clean.code, 0, "{}", clean.stderr);
    assert!(!copy.join(CACHE).exists(), "--no-cache writes no cache");
    assert_eq!(cached.stderr, clean.stderr);
    let (built, expected) = (files(&site.path(output)), files(&copy.join(output)));
    assert_eq!(
        built.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>()
    );
    for (path, bytes) in &built {
        assert!(
            *bytes == expected[path],
            "{} differs from a clean build's",
            path.display()
        );
    }
}

fn edit(site: &Site, rel: &str, from: &str, to: &str) {
    let text = site.read(rel);
    assert!(text.contains(from), "{rel} has no {from:?}");
    site.write(rel, &text.replacen(from, to, 1));
}

#[test]
fn a_second_build_reads_the_cache_and_equals_a_clean_build() {
    let site = Site::fixture("build-cache");
    assert_builds_as_clean(&site, "site");
    let written = packs(&site);
    assert_eq!(written.len(), 1, "one pack for the build: {written:?}");
    assert_builds_as_clean(&site, "site");
    // Read, and nothing new to write.
    assert_eq!(packs(&site), written);
    let page = site.page("site/guides/rust/index.html");
    assert!(
        page.inner("code.language-rust")
            .contains("<span class=\"hl-keyword\">fn</span>"),
        "{}",
        page.inner("code.language-rust")
    );
}

#[test]
fn a_changed_block_language_theme_or_data_builds_as_a_clean_build() {
    let site = Site::fixture("build-cache");
    build(&site);
    let rust = "content/guides/rust.md";
    edit(
        &site,
        rust,
        "let replicas: u32 = 3;",
        "let replicas: u64 = 5;",
    );
    assert_builds_as_clean(&site, "site");
    assert!(site.read("site/guides/rust/index.html").contains(">u64<"));
    // The same code in another language.
    edit(&site, rust, "```json", "```javascript");
    assert_builds_as_clean(&site, "site");
    edit(&site, "content/index.md", "```bash", "```python");
    assert_builds_as_clean(&site, "site");
    // Back to the first language: its block is in the cache still.
    edit(&site, "content/index.md", "```python", "```bash");
    let before = packs(&site);
    assert_builds_as_clean(&site, "site");
    assert_eq!(packs(&site), before);
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("theme/templates/base.html");
    let base = std::fs::read_to_string(base).unwrap();
    let themed = base.replace("</body>", "<!-- themed --></body>");
    site.write("theme/templates/base.html", &themed);
    assert_builds_as_clean(&site, "site");
    assert!(site.read("site/index.html").contains("<!-- themed -->"));
    edit(
        &site,
        "data/environments.yaml",
        "{ dev: 1, prod: 3 }",
        "{ dev: 2, prod: 4 }",
    );
    assert_builds_as_clean(&site, "site");
}

#[test]
fn a_highlight_cache_deleted_or_damaged_in_part_builds_as_a_clean_build() {
    // Without the rendered pages, which would spare the highlighting.
    let site = Site::fixture("build-cache");
    drop_pages(&site);
    build(&site);
    // A second pack, with the block the edit adds.
    edit(
        &site,
        "content/index.md",
        "restart deploy/api",
        "restart deploy/web",
    );
    drop_pages(&site);
    build(&site);
    let names: Vec<String> = packs(&site).into_keys().collect();
    assert_eq!(names.len(), 2, "{names:?}");
    // One pack gone.
    std::fs::remove_file(site.path(PACKS).join(&names[1])).unwrap();
    drop_pages(&site);
    assert_builds_as_clean(&site, "site");
    // A block altered in one pack, the other cut short.
    let names: Vec<String> = packs(&site).into_keys().collect();
    assert_eq!(names.len(), 2, "{names:?}");
    let first = site.path(PACKS).join(&names[0]);
    let mut bytes = std::fs::read(&first).unwrap();
    let at = bytes
        .windows(10)
        .position(|w| w == b"class=\"hl-")
        .expect("a highlighted block");
    bytes[at] = b'C';
    std::fs::write(&first, bytes).unwrap();
    let second = site.path(PACKS).join(&names[1]);
    let len = std::fs::metadata(&second).unwrap().len();
    let file = std::fs::File::options().write(true).open(&second).unwrap();
    file.set_len(len / 2).unwrap();
    // Something that is no pack, and a temporary file a killed build left.
    site.write(&format!("{PACKS}/notes.txt"), "not a pack\n");
    site.write(&format!("{PACKS}/.tmpXYZ"), "half a pack");
    drop_pages(&site);
    assert_builds_as_clean(&site, "site");
    // What was damaged was written again: the next build writes nothing.
    let repaired = packs(&site);
    drop_pages(&site);
    assert_builds_as_clean(&site, "site");
    assert_eq!(packs(&site), repaired);
    // The whole cache gone, then only its packs.
    std::fs::remove_dir_all(site.path(CACHE)).unwrap();
    drop_pages(&site);
    assert_builds_as_clean(&site, "site");
    assert!(site.path(CACHE).join("CACHEDIR.TAG").exists());
    std::fs::remove_dir_all(site.path(PACKS)).unwrap();
    drop_pages(&site);
    assert_builds_as_clean(&site, "site");
}

/// Forgets the rendered pages, so that a build highlights (from its cache).
fn drop_pages(site: &Site) {
    let _ = std::fs::remove_dir_all(site.path(PAGES));
}

#[test]
fn rendered_pages_damaged_or_stale_build_as_a_clean_build() {
    let site = Site::fixture("build-cache");
    build(&site);
    assert!(site.path(PAGES).is_dir());
    // Every pack of rendered pages altered in its middle, then cut short.
    for cut in [false, true] {
        for entry in std::fs::read_dir(site.path(PAGES)).unwrap() {
            let path = entry.unwrap().path();
            let mut bytes = std::fs::read(&path).unwrap();
            let middle = bytes.len() / 2;
            match cut {
                false => bytes[middle] ^= 1,
                true => bytes.truncate(middle),
            }
            std::fs::write(&path, bytes).unwrap();
        }
        assert_builds_as_clean(&site, "site");
    }
    // A page that links to one not there yet, then is: its link is rewritten.
    site.write(
        "content/linking.md",
        "# Linking\n\nSee [the new page](new.md).\n",
    );
    let run = site.run(&["build"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    site.write("content/new.md", "# New\n");
    assert_builds_as_clean(&site, "site");
    // The base URL changes every link.
    let toml = site.read("book.toml");
    site.write(
        "book.toml",
        &format!("{toml}\n[build]\nbase-url = \"/docs/\"\n"),
    );
    assert_builds_as_clean(&site, "site");
    assert!(
        site.read("site/linking/index.html")
            .contains("href=\"/docs/new/\"")
    );
}

#[test]
fn a_cache_that_cannot_be_written_gives_a_correct_build_and_no_error() {
    let site = Site::fixture("build-cache");
    // A file where the cache's folder, then its packs' folder, should be.
    site.write(CACHE, "in the way\n");
    assert_builds_as_clean(&site, "site");
    std::fs::remove_file(site.path(CACHE)).unwrap();
    site.write(PACKS, "in the way\n");
    assert_builds_as_clean(&site, "site");
    let check = site.run(&["check"]);
    assert_eq!((check.code, check.stderr.as_str()), (0, ""));
    std::fs::remove_dir_all(site.path(CACHE)).unwrap();
    // Read-only folders (root writes anyway: then this is a warm build).
    build(&site);
    let read_only = |mode| {
        for dir in [CACHE, PACKS] {
            use std::os::unix::fs::PermissionsExt;
            let permissions = std::fs::Permissions::from_mode(mode);
            std::fs::set_permissions(site.path(dir), permissions).unwrap();
        }
    };
    read_only(0o555);
    edit(
        &site,
        "content/index.md",
        "restart deploy/api",
        "restart deploy/web",
    );
    assert_builds_as_clean(&site, "site");
    read_only(0o755);
}

#[test]
fn the_cache_is_beside_book_toml_tagged_ignored_by_git_and_never_in_the_output() {
    let site = Site::fixture("build-cache");
    // Built from another folder: the cache is the site's, not the current folder's.
    let parent = site.dir.parent().unwrap();
    let run = run_in(parent, &["build", "build-cache"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!parent.join(CACHE).exists());
    let tag = site.read(&format!("{CACHE}/CACHEDIR.TAG"));
    assert!(
        tag.starts_with("Signature: 8a477f597d28d172789f06886806bc55\n"),
        "{tag}"
    );
    let gitignore = site.read(&format!("{CACHE}/.gitignore"));
    assert!(gitignore.lines().any(|l| l == "*"), "{gitignore}");
    let output: Vec<PathBuf> = files(&site.path("site")).into_keys().collect();
    assert!(
        !output.iter().any(|p| {
            let p = p.to_string_lossy();
            p.contains("cache") || p.contains("CACHEDIR") || p.ends_with(".pack")
        }),
        "{output:?}"
    );
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .current_dir(&site.dir)
            .output()
    };
    if git(&["init", "-q"]).is_ok_and(|o| o.status.success()) {
        let status = git(&["status", "--porcelain", "--untracked-files=all"]).unwrap();
        let status = String::from_utf8_lossy(&status.stdout);
        assert!(status.contains("book.toml"), "{status}");
        assert!(!status.contains(CACHE), "{status}");
    }
}

#[test]
fn no_cache_neither_writes_nor_needs_the_cache() {
    let site = Site::fixture("build-cache");
    for command in ["build", "check"] {
        let run = site.run(&[command, "--no-cache"]);
        assert_eq!((run.code, run.stderr.as_str()), (0, ""), "{command}");
    }
    assert!(!site.path(CACHE).exists());
    assert_builds_as_clean(&site, "site");
}

#[test]
fn check_reads_the_cache_and_writes_nothing() {
    let site = Site::fixture("build-cache");
    let run = site.run(&["check"]);
    assert_eq!((run.code, run.stderr.as_str()), (0, ""));
    assert!(!site.path(CACHE).exists());
    assert_builds_as_clean(&site, "site");
    let written = packs(&site);
    assert_eq!(written.len(), 1, "{written:?}");
    let before = site.snapshot(CACHE);
    let run = site.run(&["check"]);
    assert_eq!((run.code, run.stderr.as_str()), (0, ""));
    assert_eq!(site.snapshot(CACHE), before);
}

#[test]
fn an_mdbook_book_keeps_its_cache_beside_its_book_toml() {
    let site = Site::fixture("mdbook-markdown");
    assert_builds_as_clean(&site, "book");
    assert!(site.path(CACHE).join("CACHEDIR.TAG").exists());
    assert_eq!(packs(&site).len(), 1);
    assert_builds_as_clean(&site, "book");
}

/// A block over budget is never kept: each build tries it again, and warns.
#[test]
fn a_block_over_budget_warns_on_every_build() {
    let site = Site::fixture("build-cache");
    let parens = "(".repeat(200_000);
    site.write(
        "content/slow.md",
        &format!("# Slow\n\n```javascript\n{parens}\n```\n"),
    );
    let run = build(&site);
    let warning = "warning: code block left plain: highlighting it as javascript took too long\n \
                   --> content/slow.md:3:1\n";
    assert!(run.stderr.starts_with(warning), "{}", run.stderr);
    // The cached build prints what the clean one does.
    assert_builds_as_clean(&site, "site");
}

#[test]
fn the_preview_reads_the_cache_a_build_wrote_and_adds_to_it() {
    let site = Site::fixture("build-cache");
    build(&site);
    let written = packs(&site);
    let server = Server::start(&site, &[]);
    let page = server.get("/guides/rust/").body;
    assert!(
        page.contains("<span class=\"hl-keyword\">fn</span>"),
        "{page}"
    );
    assert_eq!(packs(&site), written, "the first preview build is warm");
    edit(&site, "content/guides/rust.md", "u32 = 3", "u16 = 7");
    wait_for("the edited block", || {
        server.get("/guides/rust/").body.contains(">u16<")
    });
    let now = packs(&site);
    assert_eq!(now.len(), 2, "{now:?}");
    assert!(
        written
            .iter()
            .all(|(name, file)| now.get(name) == Some(file))
    );
}

#[test]
fn the_preview_without_cache_writes_none() {
    let site = Site::fixture("build-cache");
    let server = Server::start(&site, &["--no-cache"]);
    let page = server.get("/guides/rust/").body;
    assert!(
        page.contains("<span class=\"hl-keyword\">fn</span>"),
        "{page}"
    );
    assert!(!site.path(CACHE).exists());
}

/// The page files of the spare (the output of the build before last, which
/// the next build writes into) that envbook would leave as they are.
const SPARE: &str = ".site.envbook/site";

#[test]
fn pages_left_in_the_spare_follow_every_edit_of_what_their_template_shows() {
    let site = Site::fixture("build-cache");
    site.write(
        "content/guides/other.md",
        "# Other guide\n\n## Steps\n\nText.\n",
    );
    let linking = "content/guides/linking.md";
    site.write(linking, "# Linking\n\nSee [the steps](other.md#steps).\n");
    // Three builds: the third writes into the first's folder, with its stamps.
    for _ in 0..3 {
        assert_builds_as_clean(&site, "site");
    }
    // A sibling's title is in each guide's navigation; then prev/next change
    // with a new page; then the page goes; then a page that links to one
    // left as it was (whose ids are checked); each twice, into both folders.
    let steps: [&dyn Fn(); 4] = [
        &|| {
            edit(
                &site,
                "content/guides/other.md",
                "# Other guide",
                "# Renamed",
            )
        },
        &|| site.write("content/guides/added.md", "# Added\n"),
        &|| std::fs::remove_file(site.path("content/guides/added.md")).unwrap(),
        &|| edit(&site, linking, "See", "Read"),
    ];
    for step in steps {
        step();
        assert_builds_as_clean(&site, "site");
        assert_builds_as_clean(&site, "site");
    }
    assert!(site.read("site/guides/rust/index.html").contains("Renamed"));
    // The heading goes: the page left as it was still has its link checked.
    edit(&site, "content/guides/other.md", "## Steps", "## Stages");
    let run = site.run(&["build"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("linking.md:3:6"), "{}", run.stderr);
    assert!(run.stderr.contains("no `#steps`"), "{}", run.stderr);
}

#[test]
fn a_page_changed_in_the_spare_is_written_again() {
    let site = Site::fixture("build-cache");
    build(&site);
    build(&site);
    let page = format!("{SPARE}/guides/rust/index.html");
    let html = site.read(&page);
    // The same length, one letter changed; then a link in the file's place.
    let changed = html.replacen("<title>", "<titlf>", 1);
    assert_eq!(changed.len(), html.len());
    site.write(&page, &changed);
    // And a page's search fragment.
    let fragment = format!("{SPARE}/search/f/0.json");
    let json = site.read(&fragment);
    site.write(&fragment, &json.replacen("\"u\"", "\"v\"", 1));
    assert_builds_as_clean(&site, "site");
    assert!(site.read("site/guides/rust/index.html").contains("<title>"));
    let elsewhere = site.path("elsewhere.html");
    std::fs::write(&elsewhere, &changed).unwrap();
    let spare_page = site.path(&format!("{SPARE}/guides/rust/index.html"));
    std::fs::remove_file(&spare_page).unwrap();
    std::os::unix::fs::symlink(&elsewhere, &spare_page).unwrap();
    assert_builds_as_clean(&site, "site");
    assert_eq!(std::fs::read_to_string(&elsewhere).unwrap(), changed);
}

#[cfg(unix)]
#[test]
fn pages_made_again_after_the_cache_is_deleted_stay_as_they_were_unless_changed() {
    use std::os::unix::fs::MetadataExt;
    let site = Site::fixture("build-cache");
    build(&site);
    build(&site);
    let identity = |rel: &str| {
        let m = std::fs::metadata(site.path(rel)).unwrap();
        (m.ino(), m.ctime(), m.ctime_nsec())
    };
    let kept = identity(&format!("{SPARE}/guides/rust/index.html"));
    // A page of the spare changed behind envbook's back, the same length.
    let changed = format!("{SPARE}/index.html");
    let html = site.read(&changed);
    site.write(&changed, &html.replacen("<title>", "<titlf>", 1));
    std::fs::remove_dir_all(site.path(CACHE)).unwrap();
    // Every page is rendered again; the files are what a clean build makes,
    // and the one the stamps say holds its page is not written.
    assert_builds_as_clean(&site, "site");
    assert_eq!(identity("site/guides/rust/index.html"), kept);
    assert!(site.read("site/index.html").contains("<title>"));
}

/// A word of letters for `n` (the index splits on anything else).
fn word(mut n: usize) -> String {
    let mut word = String::from("w");
    loop {
        word.push(char::from(b'a' + (n % 26) as u8));
        n /= 26;
        if n == 0 {
            return word;
        }
    }
}

/// The names of the index's term chunks in the site.
fn chunk_names(site: &Site) -> std::collections::BTreeSet<String> {
    std::fs::read_dir(site.path("site/search/t"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn the_search_index_follows_every_edit_and_keeps_the_chunks_it_did_not_touch() {
    let site = Site::fixture("build-cache");
    // Enough pages sharing enough words for many chunks.
    for p in 0..120 {
        let words: Vec<String> = (0..250).map(|i| word((p * 131 + i * 61) % 1500)).collect();
        let text = format!(
            "# Page {p}\n\n{}\n\n## Part {p}\n\nMore.\n",
            words.join(" ")
        );
        site.write(&format!("content/many/p{p}.md"), &text);
    }
    assert_builds_as_clean(&site, "site");
    let all = chunk_names(&site);
    assert!(all.len() >= 10, "{} chunks", all.len());
    let page = "content/many/p7.md";
    let steps: [(&str, &dyn Fn()); 7] = [
        ("a word added", &|| {
            edit(&site, page, "More.", "More quokka.")
        }),
        ("a heading added", &|| {
            edit(&site, page, "More", "## Zebra\n\nText")
        }),
        ("a title changed", &|| {
            edit(&site, page, "# Page 7", "# Renamed")
        }),
        ("a data value changed", &|| {
            edit(&site, "data/environments.yaml", "prod: 3", "prod: 5")
        }),
        // The rows' results tell the page that shows them.
        ("the matrix page's title changed", &|| {
            edit(
                &site,
                "content/index.md",
                "# Cache Docs",
                "# Cache Handbook",
            )
        }),
        ("a page added", &|| {
            site.write("content/many/zz.md", "# Added xylophone\n")
        }),
        ("a page removed", &|| {
            std::fs::remove_file(site.path("content/many/zz.md")).unwrap()
        }),
    ];
    for (step, change) in steps {
        let before = chunk_names(&site);
        change();
        // Into both output folders.
        assert_builds_as_clean(&site, "site");
        assert_builds_as_clean(&site, "site");
        let after = chunk_names(&site);
        let made = after.difference(&before).count();
        assert!(
            made <= 4,
            "{step}: {made} of {} chunks made again",
            after.len()
        );
    }
}

/// The pages store's packs, each with its size.
fn page_packs(site: &Site) -> BTreeMap<String, u64> {
    let Ok(entries) = std::fs::read_dir(site.path(PAGES)) else {
        return BTreeMap::new();
    };
    entries
        .map(Result::unwrap)
        .map(|e| {
            let size = e.metadata().unwrap().len();
            (e.file_name().to_string_lossy().into_owned(), size)
        })
        .collect()
}

#[test]
fn the_pages_cache_drops_what_no_build_needs_once_that_is_most_of_it() {
    let site = Site::fixture("build-cache");
    // Each version of the page puts about 200 KB into the store (its HTML,
    // its text for search, its terms).
    let page = "content/guides/big.md";
    let version = |n: usize| format!("# Big\n\n{}\n", format!("Version {n} of it. ").repeat(5000));
    site.write(page, &version(0));
    build(&site);
    let first: u64 = page_packs(&site).values().sum();
    let mut sizes = Vec::new();
    for n in 1..=24 {
        site.write(page, &version(n));
        build(&site);
        sizes.push(page_packs(&site).values().sum::<u64>());
    }
    // Without collection, 24 versions; with it, never much more than twice
    // what the build needs and the 1 MB left alone.
    let most = *sizes.iter().max().unwrap();
    assert!(most < 2 * first + (1 << 20) + 400_000, "{sizes:?}");
    assert!(sizes.windows(2).any(|w| w[1] < w[0]), "{sizes:?}");
    // What was kept is what a build needs: one more build, with nothing
    // changed, finds it all and puts nothing in the store.
    let packs = page_packs(&site);
    build(&site);
    assert_eq!(page_packs(&site), packs);
    assert_builds_as_clean(&site, "site");
    // A sibling's new title: the big page is rendered again (its
    // navigation changed) from the markdown the store kept, not made and
    // put again; and the output is a clean build's.
    edit(&site, "content/guides/rust.md", "# ", "# Still ");
    assert_builds_as_clean(&site, "site");
    let after = page_packs(&site);
    let added: u64 = after
        .iter()
        .filter(|(name, _)| !packs.contains_key(*name))
        .map(|(_, size)| size)
        .sum();
    assert!(added < 100_000, "{added} bytes put");
}

/// The cache is the site's, however it is named: `envbook build` inside
/// it, `envbook build docs` beside it, the folder moved or restored by a CI
/// job to another path. Each reads what the others wrote and adds nothing.
#[test]
fn a_site_named_otherwise_or_moved_reads_the_same_cache() {
    let site = Site::fixture("build-cache");
    build(&site);
    let (written, highlighted) = (page_packs(&site), packs(&site));
    let parent = site.dir.parent().unwrap();
    let name = site.dir.file_name().unwrap().to_str().unwrap();
    let beside = run_in(parent, &["build", name]);
    assert_eq!(beside.code, 0, "{}", beside.stderr);
    let absolute = run_in(parent, &["build", site.dir.to_str().unwrap()]);
    assert_eq!(absolute.code, 0, "{}", absolute.stderr);
    assert_eq!(page_packs(&site), written, "named from beside it");
    let moved = site.moved_to("moved");
    build(&moved);
    assert_eq!(page_packs(&moved), written, "moved");
    let server = Server::start(&moved, &[]);
    assert!(server.get("/guides/rust/").body.contains("hl-keyword"));
    assert_eq!(page_packs(&moved), written, "the preview of the moved site");
    assert_eq!(packs(&moved), highlighted);
    assert_builds_as_clean(&moved, "site");
}
