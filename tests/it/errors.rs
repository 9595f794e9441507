//! Broken sites: every problem reported at once, with file:line:col and the line.

use crate::support::Site;

fn check_fails(name: &str) -> String {
    let site = Site::fixture(name);
    let run = site.run(&["build"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(!site.path("site").exists(), "nothing is written");
    run.stderr
}

#[test]
fn bad_front_matter() {
    insta::assert_snapshot!(check_fails("broken-front-matter"));
}

#[test]
fn unknown_book_toml_keys() {
    insta::assert_snapshot!(check_fails("unknown-config-key"));
}

#[test]
fn tera_syntax_error_in_an_overridden_template() {
    insta::assert_snapshot!(check_fails("template-syntax"));
}
