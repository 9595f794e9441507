//! `envbook init`: a new site that builds and checks clean, written only
//! where nothing is.

use std::fs;

use tempfile::TempDir;

use crate::support::{run_in, snapshot};

const FILES: [&str; 7] = [
    ".gitignore",
    "book.toml",
    "content/environments.md",
    "content/index.md",
    "content/runbooks/index.md",
    "content/runbooks/resize-the-database.md",
    "data/environments.yaml",
];

#[test]
fn a_new_site_builds_and_checks_clean_at_once() {
    let tmp = TempDir::new().unwrap();
    let run = run_in(tmp.path(), &["init", "docs"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let listed: String = FILES.iter().map(|f| format!("  {f}\n")).collect();
    assert_eq!(
        run.stdout,
        format!(
            "Wrote into docs:\n{listed}Next: cd docs && envbook serve   (a live preview; `envbook build` writes site/)\n"
        )
    );
    let site = tmp.path().join("docs");
    let check = run_in(&site, &["check"]);
    assert_eq!(
        (check.code, check.stdout.as_str(), check.stderr.as_str()),
        (0, ".: 6 pages, no problems found\n", "")
    );
    let build = run_in(&site, &["build", "--quiet"]);
    assert_eq!((build.code, build.stderr.as_str()), (0, ""));
    let page = fs::read_to_string(site.join("site/environments/index.html")).unwrap();
    assert!(page.contains("<tr id=\"database.storage-size\">"), "{page}");
    assert!(page.contains("<ul class=\"shared-list\">"), "{page}");
    let runbook =
        fs::read_to_string(site.join("site/runbooks/resize-the-database/index.html")).unwrap();
    assert!(
        runbook.contains("href=\"/environments/#database.storage-size\""),
        "{runbook}"
    );
    // The output and the cache are ignored by git.
    let ignored = fs::read_to_string(site.join(".gitignore")).unwrap();
    assert!(ignored.contains("/site/") && ignored.contains("/.envbook-cache/"));
}

#[test]
fn a_folder_in_use_is_refused_and_left_as_it_was() {
    let tmp = TempDir::new().unwrap();
    fs::write(tmp.path().join("notes.txt"), "mine").unwrap();
    let before = snapshot(tmp.path());
    let run = run_in(tmp.path(), &["init"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr,
        "error: . is not empty (notes.txt); init writes a new site into an empty folder (hidden files such as .git may be there)\n  \
         = help: `envbook init --force` adds the files that are missing and keeps every file that is there\n"
    );
    assert_eq!(snapshot(tmp.path()), before);
    assert_eq!(run_in(tmp.path(), &["init"]).code, 1);
    fs::remove_file(tmp.path().join("notes.txt")).unwrap();
    fs::write(tmp.path().join("book.toml"), "").unwrap();
    let run = run_in(tmp.path(), &["init"]);
    assert!(
        run.stderr
            .starts_with("error: . already holds a site (book.toml); "),
        "{}",
        run.stderr
    );
    // Hidden files (a fresh `git init`) are no reason to refuse.
    let fresh = TempDir::new().unwrap();
    fs::create_dir(fresh.path().join(".git")).unwrap();
    assert_eq!(run_in(fresh.path(), &["init"]).code, 0);
}

#[test]
fn force_adds_what_is_missing_and_keeps_every_file_there() {
    let tmp = TempDir::new().unwrap();
    assert_eq!(run_in(tmp.path(), &["init"]).code, 0);
    let index = tmp.path().join("content/index.md");
    fs::write(&index, "# Mine\n").unwrap();
    fs::remove_file(tmp.path().join("data/environments.yaml")).unwrap();
    let run = run_in(tmp.path(), &["init", "--force"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let kept: String = FILES
        .iter()
        .filter(|f| **f != "data/environments.yaml")
        .map(|f| format!("  {f}\n"))
        .collect();
    assert_eq!(
        run.stdout,
        format!(
            "Wrote into .:\n  data/environments.yaml\nKept as they are (already there):\n{kept}Next: envbook serve   (a live preview; `envbook build` writes site/)\n"
        )
    );
    assert_eq!(fs::read_to_string(&index).unwrap(), "# Mine\n");
    assert!(tmp.path().join("data/environments.yaml").exists());
}
