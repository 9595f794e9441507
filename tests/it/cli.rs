//! The command line: help everywhere, exit codes 0 / 1 / 2.

use crate::support::{Site, run_in};

#[test]
fn help_on_every_command() {
    let dir = std::env::temp_dir();
    for args in [
        &["--help"][..],
        &["build", "--help"],
        &["check", "--help"],
        &["help", "build"],
    ] {
        let run = run_in(&dir, args);
        assert_eq!(run.code, 0, "{args:?}");
        assert!(
            run.stdout.contains("Usage: envbook"),
            "{args:?}: {}",
            run.stdout
        );
    }
}

#[test]
fn bad_usage_exits_2() {
    let dir = std::env::temp_dir();
    for args in [
        &["frobnicate"][..],
        &["build", "--no-such-flag"],
        &[],
        &["build", "-q", "-v"],
    ] {
        let run = run_in(&dir, args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
    }
}

#[test]
fn problems_exit_1_and_success_0() {
    let good = Site::fixture("basic");
    let run = good.run(&["check"]);
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (0, ".: 12 pages, no problems found\n")
    );
    assert!(!good.path("site").exists(), "check writes nothing");
    let bad = Site::fixture("broken-front-matter");
    assert_eq!(bad.run(&["check"]).code, 1);
    assert!(!bad.path("site").exists());
}

#[test]
fn quiet_prints_nothing_on_success() {
    let site = Site::fixture("basic");
    let run = site.run(&["build", "--quiet"]);
    assert_eq!(
        (run.code, run.stdout.as_str(), run.stderr.as_str()),
        (0, "", "")
    );
}

#[test]
fn the_site_folder_can_be_given() {
    let site = Site::fixture("basic");
    let run = run_in(site.dir.parent().unwrap(), &["build", "basic"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.starts_with("Built 12 pages into basic/site in "),
        "{}",
        run.stdout
    );
    assert!(site.path("site/index.html").is_file());
}

#[test]
fn help_is_a_command_with_help_of_its_own() {
    let tmp = tempfile::TempDir::new().unwrap();
    let run = |args: &[&str]| run_in(tmp.path(), args);
    let help = run(&["help", "--help"]);
    assert_eq!(help.code, 0, "{}", help.stderr);
    assert!(
        help.stdout
            .contains("Usage: envbook help [OPTIONS] [COMMAND]"),
        "{}",
        help.stdout
    );
    for command in ["build", "init", "get"] {
        let (a, b) = (run(&["help", command]), run(&[command, "--help"]));
        assert_eq!((a.code, &a.stdout), (0, &b.stdout), "{command}");
    }
    assert_eq!(run(&["help"]).stdout, run(&["--help"]).stdout);
    let typo = run(&["help", "bild"]);
    assert_eq!(
        (typo.code, typo.stderr.as_str()),
        (1, "error: unknown command `bild` (did you mean `build`?)\n")
    );
}
