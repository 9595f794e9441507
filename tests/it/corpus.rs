//! The standard benchmark corpus (../shared/bench/gen_corpus.py) builds cleanly.
//! Its speed is measured by bench/build.sh, never here.

use std::path::Path;
use std::process::Command;

use crate::support::run_in;

#[test]
fn the_1000_page_corpus_builds_without_errors() {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/bench/gen_corpus.py");
    if !script.exists() {
        eprintln!("skipped: {} is not here (it is in CI)", script.display());
        return;
    }
    let tmp = tempfile::TempDir::new().unwrap();
    let dir = tmp.path().join("corpus");
    let status = Command::new("python3")
        .arg(&script)
        .args(["--pages", "1000", "--flavor", "envbook", "--out"])
        .arg(&dir)
        .stdout(std::process::Stdio::null())
        .status()
        .expect("python3 runs");
    assert!(status.success());
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
}
