//! The standard benchmark corpus (bench/gen_corpus.py) builds cleanly.
//! Its speed is measured by bench/build.py, never here.

use std::path::{Path, PathBuf};
use std::process::Command;

use tempfile::TempDir;

use crate::support::run_in;

/// A corpus of `pages` pages in `flavor`, in a temp folder.
fn generate(pages: &str, flavor: &str) -> (TempDir, PathBuf) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/gen_corpus.py");
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path().join("corpus");
    let status = Command::new("python3")
        .arg(&script)
        .args(["--pages", pages, "--flavor", flavor, "--out"])
        .arg(&dir)
        .stdout(std::process::Stdio::null())
        .status()
        .expect("python3 runs");
    assert!(status.success());
    (tmp, dir)
}

#[test]
fn the_1000_page_corpus_builds_without_errors() {
    let (_tmp, dir) = generate("1000", "envbook");
    let run = run_in(&dir, &["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // 1,000 pages, their folders' section pages, and one page per environment.
    assert!(
        run.stdout.starts_with("Built 1111 pages into site"),
        "{}",
        run.stdout
    );
    assert_eq!(run.stderr, "");
    let page =
        std::fs::read_to_string(dir.join("site/platform/compute/runbooks/index.html")).unwrap();
    assert!(page.contains("class=\"sidebar\""));
    // Its environments page is made of directives: eight matrices and the shared list.
    let environments = std::fs::read_to_string(dir.join("site/environments/index.html")).unwrap();
    assert_eq!(environments.matches("<table class=\"matrix\"").count(), 8);
    assert_eq!(
        environments.matches("<ul class=\"shared-list\">").count(),
        1
    );
    // Its environments page is made of directives: eight matrices and the shared list.
    let environments = std::fs::read_to_string(dir.join("site/environments/index.html")).unwrap();
    assert_eq!(environments.matches("<table class=\"matrix\"").count(), 8);
    assert_eq!(
        environments.matches("<ul class=\"shared-list\">").count(),
        1
    );
    // Break one link: the check names its page, line and column.
    let (rel, text) = walkdir::WalkDir::new(dir.join("content"))
        .sort_by_file_name()
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.path().extension().is_some_and(|x| x == "md"))
        .map(|e| {
            (
                e.path()
                    .strip_prefix(&dir)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned(),
                std::fs::read_to_string(e.path()).unwrap(),
            )
        })
        .find(|(_, text)| text.contains(".md#"))
        .expect("a page with a link to an anchor");
    let at = text.find(".md#").unwrap();
    let start = text[..at].rfind('[').unwrap();
    let line = text[..start].matches('\n').count() + 1;
    let col = text[..start].rsplit('\n').next().unwrap().chars().count() + 1;
    std::fs::write(dir.join(&rel), text.replacen(".md#", ".md#nope-", 1)).unwrap();
    let run = run_in(&dir, &["check"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.starts_with("error: broken link ["),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(&format!("--> {rel}:{line}:{col}\n")),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.ends_with("error: 1 problem found\n"),
        "{}",
        run.stderr
    );
}

#[test]
fn an_mdbook_summary_with_parts_and_draft_chapters_builds_and_its_links_resolve() {
    let (_tmp, dir) = generate("120", "mdbook");
    // mdBook's own book.toml has mdBook's keys, and this flavour's data file is
    // not in envbook's format: the content folder is what is shared.
    std::fs::remove_file(dir.join("book.toml")).unwrap();
    std::fs::remove_dir_all(dir.join("data")).unwrap();
    let summary = std::fs::read_to_string(dir.join("content/SUMMARY.md")).unwrap();
    assert!(
        summary.contains("\n# ") && summary.contains("]()"),
        "parts and draft chapters"
    );
    let run = run_in(&dir, &["build"]);
    assert_eq!((run.code, run.stderr.as_str()), (0, ""));
    let page = std::fs::read_to_string(dir.join("site/index.html")).unwrap();
    assert!(
        page.contains("<li class=\"nav-part\">Platform</li>"),
        "parts from SUMMARY.md"
    );
    assert!(
        page.contains("<span class=\"nav-draft\">Kubernetes</span>"),
        "draft chapters from SUMMARY.md"
    );
}
