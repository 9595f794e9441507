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
