//! The output folder: swapped in whole, stale files gone, sources never at risk.

use crate::support::Site;

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
            .any(|n| n.to_string_lossy().contains("envbook-")),
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
