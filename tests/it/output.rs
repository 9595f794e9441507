//! The output folder: swapped in whole, stale files gone, sources never at risk.

use std::time::Duration;

use crate::support::{Site, wait_within};

#[test]
fn a_failed_build_leaves_the_previous_site_byte_for_byte_intact() {
    let site = Site::fixture("basic");
    site.build();
    let before = site.snapshot("site");
    assert!(before.len() > 15);
    site.write(
        "content/runbooks/restart.md",
        "---\ntitle: [broken\n---\n# Restart\n",
    );
    let run = site.run(&["build"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(site.snapshot("site"), before);
    // No staging folder is left behind either.
    let siblings: Vec<_> = std::fs::read_dir(&site.dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(
        !siblings
            .iter()
            .any(|n| n.to_string_lossy().contains("envbook-") && n != ".envbook-cache"),
        "{siblings:?}"
    );
}

#[test]
fn stale_files_of_removed_pages_disappear() {
    let site = Site::fixture("basic");
    site.build();
    assert!(site.path("site/guides/alpha/index.html").exists());
    std::fs::remove_file(site.path("content/guides/alpha.md")).unwrap();
    site.build();
    assert!(!site.path("site/guides/alpha").exists());
    assert!(site.path("site/guides/setup/index.html").exists());
}

#[test]
fn output_set_to_the_site_folder_is_refused_and_nothing_is_deleted() {
    let site = Site::fixture("output-is-site");
    let before = site.snapshot(".");
    let run = site.run(&["build"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr,
        "error: refusing to use . as the output folder: it is or holds the site folder; set `output` under [build] in book.toml to a folder of its own, such as \"site\"\n"
    );
    assert_eq!(site.snapshot("."), before);
}

#[test]
fn output_over_the_sources_or_home_is_refused() {
    let site = Site::fixture("basic");
    let before = site.snapshot(".");
    for (out, why) in [
        ("content", "overlaps the content folder"),
        ("content/runbooks", "overlaps the content folder"),
        ("..", "is or holds the site folder"),
        ("/", "is the file system root"),
    ] {
        let run = site.run(&["build", "--output", out]);
        assert_eq!(run.code, 1, "{out}");
        assert!(run.stderr.contains(why), "{out}: {}", run.stderr);
    }
    let home = site.dir.join("home");
    std::fs::create_dir(&home).unwrap();
    let run = crate::support::Site::run_with_home(&site, &["build", "--output", "home"], &home);
    assert!(run.stderr.contains("is the home folder"), "{}", run.stderr);
    std::fs::remove_dir(&home).unwrap();
    assert_eq!(site.snapshot("."), before);
}

#[test]
fn a_folder_envbook_did_not_write_is_never_replaced() {
    let site = Site::fixture("basic");
    site.write("docs/keep.txt", "mine");
    let run = site.run(&["build", "--output", "docs"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("holds files that envbook did not write"),
        "{}",
        run.stderr
    );
    assert_eq!(site.read("docs/keep.txt"), "mine");
    // The folder refused is not the one suggested.
    site.write("site/keep.txt", "mine");
    let run = site.run(&["build"]);
    assert_eq!(
        run.stderr,
        "error: refusing to use site as the output folder: it holds files that envbook did not \
         write; set `output` under [build] in book.toml to a folder of its own, such as an empty one\n"
    );
    std::fs::remove_file(site.path("site/keep.txt")).unwrap();
    // An empty folder, or envbook's own output, is fine.
    site.build();
    site.build();
}

/// Files envbook did not write, as a user leaves them in the output folder.
const USER_FILES: &[(&str, &[u8])] = &[
    (".git/config", b"[core]\n\tbare = false\n"),
    (".git/objects/ab/cdef", b"\x78\x01\x00\xff binary"),
    ("CNAME", b"docs.example.com\n"),
    (".nojekyll", b""),
    ("mine/notes.txt", b"my notes\n"),
    // Beside generated files, and in a folder the next build no longer writes.
    ("guides/notes.txt", b"guide notes\n"),
    ("ops/deep/mine.txt", b"deep\n"),
];

fn user_files(site: &Site) -> Vec<(String, Vec<u8>)> {
    USER_FILES
        .iter()
        .map(|(rel, _)| {
            let bytes = std::fs::read(site.path("site").join(rel))
                .unwrap_or_else(|e| panic!("site/{rel}: {e}"));
            (rel.to_string(), bytes)
        })
        .collect()
}

#[test]
fn files_the_user_put_in_the_output_survive_builds_and_stale_pages_go() {
    let site = Site::fixture("basic");
    site.build();
    for (rel, bytes) in USER_FILES {
        let path = site.path("site").join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
    let expected: Vec<(String, Vec<u8>)> = USER_FILES
        .iter()
        .map(|(r, b)| (r.to_string(), b.to_vec()))
        .collect();
    std::fs::remove_file(site.path("content/guides/alpha.md")).unwrap();
    site.build();
    assert_eq!(user_files(&site), expected);
    assert!(!site.path("site/guides/alpha").exists());
    assert!(site.path("site/guides/setup/index.html").is_file());

    std::fs::remove_file(site.path("content/ops/deep/orphan.md")).unwrap();
    site.build();
    assert_eq!(user_files(&site), expected);
    assert!(!site.path("site/ops/deep/orphan").exists());
    assert!(!site.path("site/ops/index.html").exists());
    // Nothing but the user's file is left of the folder.
    let ops: Vec<_> = site.snapshot("site/ops").into_keys().collect();
    assert_eq!(ops, [std::path::PathBuf::from("deep/mine.txt")]);
    assert_no_leftovers(&site);
}

#[test]
fn folders_named_like_staging_folders_are_never_deleted() {
    let site = Site::fixture("basic");
    // The names earlier versions used for their staging folders.
    for name in [".site.envbook-new", ".site.envbook-old"] {
        site.write(&format!("{name}/keep.txt"), "mine");
    }
    site.build();
    site.build();
    for name in [".site.envbook-new", ".site.envbook-old"] {
        assert_eq!(site.read(&format!("{name}/keep.txt")), "mine");
    }
}

#[test]
fn a_user_file_where_the_site_writes_one_is_an_error_and_nothing_changes() {
    let site = Site::fixture("basic");
    site.build();
    site.write("site/CNAME", "mine.example.com\n");
    let before = site.snapshot("site");
    site.write("content/CNAME", "docs.example.com\n");
    let run = site.run(&["build"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        run.stderr,
        "error: site/CNAME was not written by envbook, and the new site has a file of that name: \
         move it out of site, then build again\n"
    );
    assert_eq!(site.snapshot("site"), before);
    assert_no_leftovers(&site);
}

#[test]
fn an_alias_that_leaves_the_output_folder_writes_nothing_outside() {
    let site = Site::fixture("basic");
    site.write(
        "content/moved.md",
        "---\naliases: [\"../../escaped/\"]\n---\n# Moved\n",
    );
    let run = site.run(&["build"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "refusing to write `../../escaped/index.html`: it is outside the output folder"
        ),
        "{}",
        run.stderr
    );
    assert!(!site.dir.parent().unwrap().join("escaped").exists());
    assert!(!site.path("escaped").exists());
    assert!(!site.path("site").exists());
}

fn assert_no_leftovers(site: &Site) {
    let siblings: Vec<_> = std::fs::read_dir(&site.dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| {
            n.contains("envbook-")
                && !n.ends_with(".envbook-new")
                && !n.ends_with(".envbook-old")
                && n != ".envbook-cache"
        })
        .collect();
    assert!(siblings.is_empty(), "{siblings:?}");
}

/// A site big enough that concurrent builds overlap.
fn many_pages(site: &Site) {
    for i in 0..200 {
        site.write(
            &format!("content/many/page-{i}.md"),
            &format!(
                "# Page {i}\n\n## Part\n\nSee [the next](page-{}.md).\n",
                (i + 1) % 200
            ),
        );
    }
}

#[test]
fn builds_started_at_once_all_succeed_and_leave_one_complete_site() {
    let reference = Site::fixture("basic");
    many_pages(&reference);
    reference.build();
    let expected = reference.snapshot("site");
    let site = Site::fixture("basic");
    many_pages(&site);
    for _round in 0..2 {
        let builds: Vec<_> = (0..3).map(|_| site.spawn(&["build"])).collect();
        for run in builds
            .into_iter()
            .map(|b| wait_within(b, Duration::from_secs(120)))
        {
            assert_eq!(run.code, 0, "{}", run.stderr);
        }
        assert_eq!(site.snapshot("site"), expected);
        assert_no_leftovers(&site);
    }
}

#[test]
fn a_build_waits_while_another_one_writes_beside_the_same_output() {
    let site = Site::fixture("basic");
    // What a running build holds: a lock on the output's parent folder.
    let parent = std::fs::File::open(&site.dir).unwrap();
    parent.lock().unwrap();
    let build = site.spawn(&["build"]);
    std::thread::sleep(Duration::from_millis(1500));
    assert!(!site.path("site").exists(), "the build did not wait");
    parent.unlock().unwrap();
    let run = wait_within(build, Duration::from_secs(60));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stderr,
        "waiting for another envbook build into site to finish\n"
    );
    assert!(site.path("site/index.html").is_file());
}

#[test]
fn leftovers_of_an_interrupted_build_go_unless_they_may_hold_user_files() {
    let site = Site::fixture("basic");
    site.write(".site.envbook-1-1/.envbook-staging", "");
    site.write(".site.envbook-1-1/new/index.html", "half a site");
    site.write(".site.envbook-2-2/.envbook-staging", "");
    site.write(".site.envbook-2-2/.envbook-moving", "");
    site.write(".site.envbook-2-2/new/CNAME", "mine");
    let run = site.build();
    assert!(!site.path(".site.envbook-1-1").exists());
    assert_eq!(site.read(".site.envbook-2-2/new/CNAME"), "mine");
    assert_eq!(
        run.stderr,
        format!(
            "warning: an interrupted build left {}; it may hold files of yours from the output folder: look through it, then delete it\n",
            site.path(".site.envbook-2-2").display()
        )
    );
}

/// The output a fresh copy of the site's sources builds into, with no spare
/// and no earlier output: what every build must equal.
fn clean_build(site: &Site) -> Files {
    let tmp = tempfile::TempDir::new().unwrap();
    let dir = tmp.path().join("copy");
    crate::support::copy_dir(&site.dir, &dir);
    for made in ["site", ".site.envbook"] {
        let _ = std::fs::remove_dir_all(dir.join(made));
    }
    let run = crate::support::run_in(&dir, &["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    crate::support::snapshot(&dir.join("site"))
}

#[cfg(unix)]
fn identity(path: &std::path::Path) -> (u64, i64, i64) {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(path).unwrap();
    (m.ino(), m.mtime(), m.mtime_nsec())
}

#[cfg(unix)]
#[test]
fn a_build_rewrites_only_the_files_that_changed_and_equals_a_clean_build() {
    let site = Site::fixture("basic");
    site.build();
    site.build();
    // The spare now holds the first build's site, which the third rewrites.
    let spare = site.path(".site.envbook/site");
    let kept = identity(&spare.join("guides/setup/index.html"));
    let edited = identity(&spare.join("runbooks/restart/index.html"));
    std::thread::sleep(Duration::from_millis(20));
    let text = site.read("content/runbooks/restart.md");
    site.write(
        "content/runbooks/restart.md",
        &format!("{text}\nNow with a new step.\n"),
    );
    site.build();
    assert_eq!(identity(&site.path("site/guides/setup/index.html")), kept);
    let now = identity(&site.path("site/runbooks/restart/index.html"));
    assert_eq!(now.0, edited.0, "rewritten in place, not made anew");
    assert_ne!(now, edited);
    assert!(
        site.read("site/runbooks/restart/index.html")
            .contains("Now with a new step.")
    );
    assert_same_files(&site.snapshot("site"), &clean_build(&site));
}

#[test]
fn files_that_become_folders_and_back_build_as_a_clean_build() {
    let site = Site::fixture("basic");
    let steps: [(&str, Option<&str>, Option<&str>); 4] = [
        // An asset named `x`, then a page in its place (`x/index.html`), then back.
        ("content/x", Some("plain file\n"), None),
        (
            "content/x.md",
            Some("# X\n\nA page now.\n"),
            Some("content/x"),
        ),
        ("content/x", Some("a file again\n"), Some("content/x.md")),
        (
            "content/guides/alpha.md",
            None,
            Some("content/guides/alpha.md"),
        ),
    ];
    for (file, text, remove) in steps {
        if let Some(gone) = remove {
            std::fs::remove_file(site.path(gone)).unwrap();
        }
        if let Some(text) = text {
            site.write(file, text);
        }
        // Twice: the second build writes over the spare of the step before.
        for _ in 0..2 {
            let run = site.build();
            assert_eq!(run.code, 0, "{}", run.stderr);
            assert_same_files(&site.snapshot("site"), &clean_build(&site));
        }
    }
}

#[cfg(unix)]
#[test]
fn links_and_hard_links_into_the_spare_are_never_written_through() {
    let site = Site::fixture("basic");
    site.build();
    site.build();
    // A backup of the site made with hard links (`cp -al`), a file and a
    // folder outside the output, and links to them where the spare has files.
    let backup = site.path("backup");
    for (rel, _) in site.snapshot("site") {
        let to = backup.join(&rel);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::hard_link(site.path("site").join(&rel), to).unwrap();
    }
    let backed_up = site.snapshot("backup");
    site.write("outside/victim.txt", "never written\n");
    site.write("outside-dir/keep.txt", "kept\n");
    let spare = site.path(".site.envbook/site");
    std::fs::remove_file(spare.join("index.html")).unwrap();
    std::os::unix::fs::symlink(site.path("outside/victim.txt"), spare.join("index.html")).unwrap();
    std::fs::remove_dir_all(spare.join("guides")).unwrap();
    std::os::unix::fs::symlink(site.path("outside-dir"), spare.join("guides")).unwrap();

    for page in ["content/index.md", "content/guides/setup.md"] {
        let text = site.read(page);
        site.write(page, &format!("{text}\nEdited.\n"));
    }
    for _ in 0..3 {
        let run = site.build();
        assert_eq!(run.code, 0, "{}", run.stderr);
    }
    assert_eq!(site.read("outside/victim.txt"), "never written\n");
    let outside: Vec<_> = site.snapshot("outside-dir").into_keys().collect();
    assert_eq!(outside, [std::path::PathBuf::from("keep.txt")]);
    assert_same_files(&site.snapshot("backup"), &backed_up);
    assert_same_files(&site.snapshot("site"), &clean_build(&site));
}

#[test]
fn the_spare_beside_the_output_is_marked_and_ignored_by_git() {
    let site = Site::fixture("basic");
    site.build();
    site.build();
    assert_eq!(site.read(".site.envbook/.gitignore"), "*\n");
    assert!(
        site.read(".site.envbook/.envbook-staging")
            .contains("Deleting this folder is safe")
    );
    // Deleting it is safe: the next build writes every file.
    std::fs::remove_dir_all(site.path(".site.envbook")).unwrap();
    site.build();
    assert_same_files(&site.snapshot("site"), &clean_build(&site));
}

#[test]
fn something_else_where_the_spare_goes_is_refused_and_kept() {
    let site = Site::fixture("basic");
    site.write(".site.envbook/notes.txt", "mine\n");
    let run = site.run(&["build"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr,
        format!(
            "error: refusing to build: {} is in the way (envbook keeps the last site there, to write the next one in place): move it away, then build again\n",
            site.path(".site.envbook").display()
        )
    );
    assert_eq!(site.read(".site.envbook/notes.txt"), "mine\n");
    assert!(!site.path("site").exists());
}

#[test]
fn a_swap_cut_off_between_its_renames_gets_the_last_site_back() {
    // Where there is no atomic exchange, the old site moves aside before the
    // new one moves in; a build stopped in between leaves no output.
    let site = Site::fixture("basic");
    site.build();
    site.build();
    let last = site.snapshot("site");
    std::fs::rename(site.path("site"), site.path(".site.envbook/old")).unwrap();
    site.write(
        "content/runbooks/restart.md",
        "---\ntitle: [broken\n---\n# R\n",
    );
    let run = site.run(&["build"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(site.snapshot("site"), last);
    assert!(!site.path(".site.envbook/old").exists());
}

#[test]
fn a_spare_that_may_hold_user_files_is_set_aside_not_emptied() {
    let site = Site::fixture("basic");
    site.build();
    site.build();
    // A build stopped while the user's files were in the spare.
    site.write(".site.envbook/.envbook-moving", "");
    site.write(".site.envbook/site/CNAME", "mine\n");
    let run = site.build();
    let aside: Vec<_> = std::fs::read_dir(&site.dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains(".site.envbook-"))
        .collect();
    assert_eq!(aside.len(), 1, "{aside:?}");
    assert_eq!(
        std::fs::read_to_string(aside[0].join("site/CNAME")).unwrap(),
        "mine\n"
    );
    assert_eq!(
        run.stderr,
        format!(
            "warning: an interrupted build left {}; it may hold files of yours from the output folder: look through it, then delete it\n",
            aside[0].display()
        )
    );
    assert_same_files(&site.snapshot("site"), &clean_build(&site));
}

type Files = std::collections::BTreeMap<std::path::PathBuf, Vec<u8>>;

/// Asserts two folders' files are the same, naming those that differ.
fn assert_same_files(got: &Files, want: &Files) {
    let differ: Vec<_> = got
        .keys()
        .chain(want.keys())
        .filter(|k| got.get(*k) != want.get(*k))
        .collect();
    assert!(differ.is_empty(), "these files differ: {differ:?}");
}
