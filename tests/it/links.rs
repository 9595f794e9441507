//! Links that last: every internal link checked, aliases, anchors.json and
//! the published-anchor baseline.

use crate::support::{Site, run_in};

#[test]
fn broken_links_of_each_kind_are_reported_with_a_suggestion() {
    let site = Site::fixture("links-broken");
    let run = site.run(&["check"]);
    assert_eq!(run.code, 1);
    insta::assert_snapshot!(run.stderr);
}

#[test]
fn raw_html_template_footnote_and_row_ids_are_valid_targets() {
    let site = Site::fixture("links-valid");
    let run = site.run(&["check"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stderr, "");
}

#[test]
fn the_check_level_is_set_in_book_toml() {
    let site = Site::fixture("links-broken");
    site.write("book.toml", "[links]\ncheck = \"warn\"\n");
    let run = site.run(&["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stderr.matches("warning: broken link").count(),
        4,
        "{}",
        run.stderr
    );
    site.write("book.toml", "[links]\ncheck = \"off\"\n");
    let run = site.run(&["build"]);
    assert_eq!((run.code, run.stderr.as_str()), (0, ""));
}

#[test]
fn the_check_level_is_given_for_one_run_on_the_command_line() {
    let site = Site::fixture("links-broken");
    site.write("book.toml", "[links]\ncheck = \"warn\"\n");
    assert_eq!(site.run(&["check", "--links", "error"]).code, 1);
    let run = site.run(&["build", "--links", "off"]);
    assert_eq!((run.code, run.stderr.as_str()), (0, ""));
    let run = site.run(&["build", "--links", "sometimes"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("[possible values: error, warn, off]"),
        "{}",
        run.stderr
    );
}

/// An mdBook book.toml cannot hold `[links]` (mdBook refuses keys it does
/// not know): a book with a broken link builds as mdBook builds it with
/// `--links warn`.
#[test]
fn an_mdbook_book_with_a_broken_link_builds_with_links_warn() {
    let site = Site::fixture("mdbook-book");
    let intro = site.read("src/intro.md");
    site.write("src/intro.md", &format!("{intro}\n[Setup](#setup-typo)\n"));
    let run = site.run(&["build"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("error: broken link [Setup]: there is no `#setup-typo`"),
        "{}",
        run.stderr
    );
    let run = site.run(&["build", "--links", "warn"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("warning: broken link [Setup]: there is no `#setup-typo`"),
        "{}",
        run.stderr
    );
}

#[test]
fn anchors_json_lists_every_page_and_id() {
    let site = Site::fixture("links-valid");
    site.build();
    let anchors: serde_json::Value = serde_json::from_str(&site.read("site/anchors.json")).unwrap();
    let home: Vec<&str> = anchors["pages"][""]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    for id in [
        "home",
        "custom-id",
        "raw-target",
        "old-name",
        "fn-1",
        "fnref-1",
        "envbook-main",
    ] {
        assert!(home.contains(&id), "{id} not in {home:?}");
    }
    let rows = anchors["pages"]["environments/"].as_array().unwrap();
    assert!(rows.iter().any(|v| v == "app.host") && rows.iter().any(|v| v == "app.region"));
    assert!(
        anchors["pages"]["environments/prod/"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v == "app.host")
    );
}

#[test]
fn aliases_redirect_and_keep_the_fragment() {
    let site = Site::fixture("moved");
    site.write(
        "content/runbooks/db-failover.md",
        &format!(
            "---\naliases: [/old/failover/, ops/failover]\n---\n{}",
            site.read("content/runbooks/db-failover.md")
        ),
    );
    site.build();
    let redirect = site.read("site/old/failover/index.html");
    assert!(
        redirect
            .contains("<meta http-equiv=\"refresh\" content=\"0; url=/runbooks/db-failover/\">"),
        "{redirect}"
    );
    assert!(redirect.contains("<link rel=\"canonical\" href=\"/runbooks/db-failover/\">"));
    assert!(redirect.contains("location.replace(\"/runbooks/db-failover/\" + location.hash)"));
    assert!(site.path("site/ops/failover/index.html").is_file());
}

#[test]
fn an_alias_that_is_a_page_is_an_error() {
    let site = Site::fixture("moved");
    site.write(
        "content/runbooks/restart.md",
        "---\naliases: [/runbooks/db-failover/]\n---\n# Restart\n",
    );
    let run = site.run(&["check"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr,
        "error: alias `/runbooks/db-failover/` cannot redirect here: /runbooks/db-failover/ is a page\n --> content/runbooks/restart.md:2:11\n  |\n2 | aliases: [/runbooks/db-failover/]\n  |           ^^^^^^^^^^^^^^^^^^^^^^\n\nerror: 1 problem found\n"
    );
}

/// The site's anchors.json, kept as CI keeps the last published one.
fn publish(site: &Site) -> std::path::PathBuf {
    site.build();
    let published = site.dir.parent().unwrap().join("published-anchors.json");
    std::fs::copy(site.path("site/anchors.json"), &published).unwrap();
    published
}

#[test]
fn renaming_a_heading_fails_the_baseline_until_its_old_id_is_kept() {
    let site = Site::fixture("moved");
    let published = publish(&site);
    let baseline = published.to_str().unwrap();
    let page = site.read("content/runbooks/db-failover.md");
    site.write(
        "content/runbooks/db-failover.md",
        &page.replace("## Promote the replica", "## Promote a replica"),
    );
    site.write("content/index.md", "# Home\n");
    let run = site.run(&["check", "--baseline", baseline]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr,
        format!(
            "error: /runbooks/db-failover/#promote-the-replica was published and is gone\n  --> {baseline}\n   = help: give a heading `{{#promote-the-replica}}`, or restore the anchor, so links to it keep working\n\nerror: 1 problem found\n"
        )
    );
    site.write(
        "content/runbooks/db-failover.md",
        &page.replace(
            "## Promote the replica",
            "## Promote a replica {#promote-the-replica}",
        ),
    );
    let run = site.run(&["check", "--baseline", baseline]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn moving_a_page_with_an_alias_passes_the_baseline() {
    let site = Site::fixture("moved");
    let published = publish(&site);
    let baseline = published.to_str().unwrap();
    let page = site.read("content/runbooks/db-failover.md");
    std::fs::remove_file(site.path("content/runbooks/db-failover.md")).unwrap();
    site.write(
        "content/index.md",
        "# Home\n\nSee [the failover runbook](database/failover.md#promote-the-replica).\n",
    );
    site.write("content/database/failover.md", &page);
    let run = site.run(&["check", "--baseline", baseline]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .starts_with("error: /runbooks/db-failover/ was published and is gone\n"),
        "{}",
        run.stderr
    );
    site.write(
        "content/database/failover.md",
        &format!("---\naliases: [/runbooks/db-failover/]\n---\n{page}"),
    );
    let run = site.run(&["check", "--baseline", baseline]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    site.build();
    let redirect = site.read("site/runbooks/db-failover/index.html");
    assert!(
        redirect.contains("location.replace(\"/database/failover/\" + location.hash)"),
        "{redirect}"
    );
}

#[test]
fn the_example_site_checks_clean_and_links_into_matrix_rows() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let run = run_in(root, &["check"]);
    assert_eq!((run.code, run.stderr.as_str()), (0, ""));
    let runbooks = [
        "content/runbooks/db-failover.md",
        "content/runbooks/deploy-to-prod.md",
        "content/architecture/data-plane.md",
    ];
    let row_links: usize = runbooks
        .iter()
        .map(|p| {
            std::fs::read_to_string(root.join(p))
                .unwrap()
                .matches("environments.md#data-plane.")
                .count()
        })
        .sum();
    assert!(row_links >= 3, "{row_links}");
}

#[test]
fn relabelling_a_row_or_editing_prose_keeps_every_published_anchor() {
    let site = Site::fixture("links-valid");
    let published = publish(&site);
    let data = site.read("data/environments.yaml");
    site.write(
        "data/environments.yaml",
        &data.replace("label: Host", "label: Public hostname"),
    );
    site.write(
        "content/index.md",
        &site
            .read("content/index.md")
            .replace("A claim.", "A longer claim, reworded."),
    );
    let run = site.run(&["check", "--baseline", published.to_str().unwrap()]);
    assert_eq!((run.code, run.stderr.as_str()), (0, ""));
    site.build();
    assert!(
        site.read("site/environments/index.html")
            .contains("<tr id=\"app.host\"><th scope=\"row\">Public hostname ")
    );
}
