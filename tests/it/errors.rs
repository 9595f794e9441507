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

#[test]
fn an_asset_at_a_page_file_is_refused_and_other_html_is_copied() {
    let site = Site::fixture("search-index");
    site.write("content/index.html", "<p>home</p>");
    site.write("content/runbooks/restore/index.html", "<p>restore</p>");
    site.write("content/runbooks/notes.html", "<p>notes</p>");
    let run = site.run(&["build"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    for (file, generated) in [
        ("content/index.html", "index.html"),
        (
            "content/runbooks/restore/index.html",
            "runbooks/restore/index.html",
        ),
    ] {
        let error =
            format!("error: this file would overwrite the generated `{generated}`\n  --> {file}\n");
        assert!(run.stderr.contains(&error), "{error}\n{}", run.stderr);
    }
    assert_eq!(
        run.stderr.matches("would overwrite").count(),
        2,
        "{}",
        run.stderr
    );
    std::fs::remove_file(site.path("content/index.html")).unwrap();
    std::fs::remove_file(site.path("content/runbooks/restore/index.html")).unwrap();
    let run = site.run(&["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(site.read("site/runbooks/notes.html"), "<p>notes</p>");
}
