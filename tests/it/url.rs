//! `envbook url`: the published URL of a row, a page or a heading.

use crate::support::Site;

#[test]
fn rows_pages_and_headings_have_their_published_url() {
    let site = Site::fixture("three-envs");
    let url = |args: &[&str]| {
        let run = site.run(&[&["url"], args].concat());
        (run.code, run.stdout, run.stderr)
    };
    let ok = |out: &str| (0, format!("{out}\n"), String::new());
    // A row leads to the page that shows it, not an environment's own page.
    assert_eq!(url(&["app.replicas"]), ok("/#app.replicas"));
    assert_eq!(
        url(&["app.replicas", "--markdown"]),
        ok("[Replicas](/#app.replicas)")
    );
    assert_eq!(url(&["index.md"]), ok("/"));
    assert_eq!(
        url(&["index.md#everything", "--markdown"]),
        ok("[Environments: everything](/#everything)")
    );
    let fail = |message: &str| (1, String::new(), format!("error: {message}\n"));
    assert_eq!(
        url(&["app.replica"]),
        fail("`app.replica` is no setting, page or heading (did you mean `app.replicas`?)")
    );
    assert_eq!(
        url(&["index.md#everthing"]),
        fail("index.md has no anchor `#everthing` (did you mean `everything`?)")
    );
    // With a full base URL, a full URL.
    site.write(
        "book.toml",
        "[build]\nbase-url = \"https://docs.example.com/platform\"\n",
    );
    assert_eq!(
        url(&["app.replicas"]),
        ok("https://docs.example.com/platform/#app.replicas")
    );
}
