//! A good site builds into the pages, navigation and markup users expect.

use crate::support::{Site, unhashed, unhashed_all};

#[test]
fn pages_are_written_at_their_urls() {
    let site = Site::fixture("basic");
    let run = site.build();
    assert!(
        run.stdout.starts_with("Built 12 pages into site in "),
        "{}",
        run.stdout
    );
    for page in [
        "index.html",
        "runbooks/index.html",
        "runbooks/db-failover/index.html",
        "runbooks/restart/index.html",
        "guides/index.html", // from README.md
        "guides/setup/index.html",
        "guides/alpha/index.html",
        "guides/zeta/index.html",
        "features/index.html",
        "ops/index.html", // generated: the folder has no index page
        "ops/deep/index.html",
        "ops/deep/orphan/index.html",
        "404.html",
        "sitemap.xml",
        "static/envbook.css",
        "static/envbook.js",
        "static/highlight.css",
        "files/notes.txt",
    ] {
        assert!(site.path("site").join(page).is_file(), "{page} missing");
    }
    assert_eq!(site.read("site/files/notes.txt"), "plain text attachment\n");
}

#[test]
fn drafts_are_left_out_everywhere() {
    let site = Site::fixture("basic");
    site.build();
    assert!(!site.path("site/draft").exists());
    assert!(!site.read("site/sitemap.xml").contains("draft"));
    assert!(!site.read("site/index.html").contains("Unfinished"));
}

#[test]
fn titles_come_from_front_matter_then_heading_then_file_name() {
    let site = Site::fixture("basic");
    site.build();
    let title = |p: &str| site.page(p).texts("title").join("");
    assert_eq!(title("site/index.html"), "Fixture Docs");
    assert_eq!(
        title("site/runbooks/db-failover/index.html"),
        "Database failover – Fixture Docs"
    );
    assert_eq!(
        title("site/runbooks/restart/index.html"),
        "Restart a service – Fixture Docs"
    );
    assert_eq!(title("site/ops/index.html"), "Ops – Fixture Docs");
    // No `#` heading in the page: the theme shows the title itself.
    assert_eq!(
        site.page("site/guides/zeta/index.html").texts("article h1"),
        ["Zeta guide"]
    );
    assert_eq!(
        site.page("site/guides/alpha/index.html")
            .texts("article h1"),
        ["Alpha guide¶"]
    );
}

#[test]
fn navigation_orders_by_weight_then_title_and_opens_the_current_branch() {
    let site = Site::fixture("basic");
    site.build();
    let page = site.page("site/guides/setup/index.html");
    assert_eq!(
        page.texts(".sidebar .nav-depth-1 > li > a"),
        ["Welcome", "Runbooks", "Features", "Guides", "Ops"]
    );
    assert_eq!(
        page.texts(".sidebar .nav-depth-2 a"),
        ["Setup", "Zeta guide", "Alpha guide"]
    );
    assert_eq!(page.texts(".sidebar [aria-current=page]"), ["Setup"]);
    // Closed branches are not in the page: its size does not grow with the site.
    assert!(!page.0.html().contains("Database failover"));
    assert_eq!(page.texts(".breadcrumbs a"), ["Welcome", "Guides"]);
    assert_eq!(page.attrs(".pager-prev", "href"), ["/guides/"]);
    assert_eq!(page.attrs(".pager-next", "href"), ["/guides/zeta/"]);
}

#[test]
fn summary_md_sets_the_navigation_and_reading_order() {
    let site = Site::fixture("summary");
    site.build();
    let page = site.page("site/guide/setup/index.html");
    assert_eq!(
        page.texts(".sidebar .nav-depth-1 > li"),
        [
            "Introduction",
            "User guide",
            "Setup Advanced setup",
            "Usage",
            "Not written yet",
            "",
            "Appendix"
        ]
    );
    assert_eq!(page.attrs(".sidebar .nav-part", "class").len(), 1);
    assert_eq!(page.attrs(".sidebar .nav-separator", "class").len(), 1);
    assert_eq!(page.texts(".sidebar .nav-draft"), ["Not written yet"]);
    assert_eq!(page.attrs(".pager-prev", "href"), ["/"]);
    assert_eq!(page.attrs(".pager-next", "href"), ["/guide/advanced/"]);
    let last = site.page("site/guide/usage/index.html");
    assert_eq!(last.attrs(".pager-next", "href"), ["/appendix/"]);
    // Pages missing from SUMMARY.md are still built.
    assert!(site.path("site/unlisted/index.html").is_file());
}

#[test]
fn headings_get_unique_ids_permalinks_and_a_toc() {
    let site = Site::fixture("basic");
    site.build();
    let page = site.page("site/runbooks/db-failover/index.html");
    assert_eq!(
        page.attrs("article :is(h1, h2, h3)", "id"),
        [
            "database-failover",
            "check-the-cluster",
            "replica-lag",
            "promote-the-replica",
            "verify",
            "verify-1"
        ]
    );
    assert_eq!(
        page.attrs("article :is(h1, h2, h3) > a.headerlink", "href"),
        [
            "#database-failover",
            "#check-the-cluster",
            "#replica-lag",
            "#promote-the-replica",
            "#verify",
            "#verify-1"
        ]
    );
    assert_eq!(
        page.texts("article h2 > a.headerlink"),
        ["¶", "¶", "¶", "¶"]
    );
    assert_eq!(
        page.attrs(".toc-side .toc-level-2 > a", "href"),
        [
            "#check-the-cluster",
            "#promote-the-replica",
            "#verify",
            "#verify-1"
        ]
    );
    assert_eq!(
        page.attrs(".toc-side .toc-level-3 > a", "href"),
        ["#replica-lag"]
    );
    // toc: false in the front matter
    assert!(
        site.page("site/guides/setup/index.html")
            .texts(".toc-side")
            .is_empty()
    );
}

#[test]
fn links_between_pages_are_rewritten_to_urls() {
    let site = Site::fixture("basic");
    site.build();
    let page = site.page("site/runbooks/db-failover/index.html");
    assert_eq!(
        page.attrs("article p a", "href"),
        [
            "/runbooks/restart/#before-you-start",
            "/guides/setup/#checklist",
            "#verify"
        ]
    );
    let home = site.page("site/index.html");
    assert_eq!(
        home.attrs("article p a", "href"),
        ["/runbooks/db-failover/#promote-the-replica", "/guides/"]
    );
}

#[test]
fn sub_path_base_url_prefixes_every_internal_link() {
    let site = Site::fixture("subpath");
    site.build();
    let home = site.page("site/index.html");
    assert_eq!(
        home.attrs("article a:not(.headerlink)", "href"),
        [
            "/docs/runbooks/db-failover/#promote",
            "/docs/runbooks/",
            "/docs/runbooks/db-failover/",
            "/docs/runbooks/diagram.svg",
            "https://example.com/x.md"
        ]
    );
    assert_eq!(
        unhashed_all(home.attrs("link[rel=stylesheet]", "href")),
        ["/docs/static/envbook.css", "/docs/static/highlight.css"]
    );
    assert_eq!(home.attrs(".site-title", "href"), ["/docs/"]);
    assert_eq!(
        home.attrs(".sidebar a", "href"),
        ["/docs/", "/docs/runbooks/"]
    );
    let failover = site.page("site/runbooks/db-failover/index.html");
    assert_eq!(
        failover.attrs("article p a", "href"),
        ["/docs/#home", "#promote"]
    );
    let sitemap = site.read("site/sitemap.xml");
    assert!(
        sitemap.contains("<loc>https://docs.example.com/docs/runbooks/db-failover/</loc>"),
        "{sitemap}"
    );
    let not_found = site.page("site/404.html");
    assert_eq!(
        unhashed(&not_found.attrs("link[rel=stylesheet]", "href")[0]),
        "/docs/static/envbook.css"
    );
}

#[test]
fn markdown_extensions_render() {
    let site = Site::fixture("basic");
    site.build();
    let page = site.page("site/features/index.html");
    insta::assert_snapshot!(page.inner("article.content"));
}

#[test]
fn site_theme_files_override_the_built_in_ones() {
    let site = Site::fixture("theme-override");
    site.build();
    assert_eq!(
        site.read("site/index.html"),
        "<!DOCTYPE html>\n<html><head><title>Home</title><link rel=\"stylesheet\" href=\"/static/envbook.css\"></head>\n\
         <body class=\"custom-theme\"><h1 id=\"home\">Home<a class=\"headerlink\" href=\"#home\" title=\"Link to this heading\">¶</a></h1>\n<p>Hello.</p>\n</body></html>\n"
    );
    assert_eq!(
        site.read("site/static/envbook.css"),
        "body { color: rebeccapurple; }\n"
    );
    assert_eq!(
        site.read("site/static/extra.js"),
        "console.log(\"extra\");\n"
    );
    // Files the site does not override come from the built-in theme.
    assert!(site.read("site/static/envbook.js").len() > 100);
    assert!(site.read("site/404.html").contains("Page not found"));
}

#[test]
fn a_folder_with_only_content_builds_with_defaults() {
    let site = Site::fixture("content-only");
    site.build();
    let page = site.page("site/index.html");
    assert_eq!(page.texts("title"), ["content-only"]);
    assert_eq!(page.attrs("html", "lang"), ["en"]);
}

#[test]
fn the_example_site_builds() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = tempfile::TempDir::new().unwrap();
    let out_dir = out.path().join("site");
    let run = crate::support::run_in(root, &["build", "--output", out_dir.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(out_dir.join("runbooks/db-failover/index.html").is_file());
}

#[test]
fn a_preview_deployment_gives_its_own_base_url() {
    let site = Site::fixture("basic");
    let css = |site: &Site| {
        let href = &site
            .page("site/index.html")
            .attrs("link[rel=stylesheet]", "href")[0];
        unhashed(href).trim_end_matches("envbook.css").to_string()
    };
    assert_eq!(site.run(&["build", "--base-url", "/pr-42/"]).code, 0);
    assert_eq!(css(&site), "/pr-42/static/");
    let run = crate::support::collect(
        crate::support::envbook(&["build"])
            .current_dir(&site.dir)
            .env("ENVBOOK_BASE_URL", "https://preview.example.com/pr-7/"),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(css(&site), "/pr-7/static/");
    let bad = site.run(&["build", "--base-url", "pr-1"]);
    assert_eq!(bad.code, 1);
    assert!(
        bad.stderr.starts_with(
            "error: `--base-url` must start with `/`, `http://` or `https://`, not `pr-1`\n  --> the command line\n"
        ),
        "{}",
        bad.stderr
    );
    // Without it, book.toml's.
    assert_eq!(site.run(&["build"]).code, 0);
    assert_eq!(css(&site), "/static/");
}

#[test]
fn static_files_have_content_hashed_names_that_every_page_links_to() {
    let site = Site::fixture("basic");
    site.build();
    let links = |site: &Site| {
        [
            "site/index.html",
            "site/runbooks/db-failover/index.html",
            "site/404.html",
        ]
        .map(|p| site.page(p).attrs("link[rel=stylesheet]", "href")[0].clone())
    };
    let before = links(&site);
    assert!(before.iter().all(|l| *l == before[0]), "{before:?}");
    let name = before[0].trim_start_matches("/static/").to_string();
    assert!(
        name.starts_with("envbook.")
            && name.ends_with(".css")
            && name.len() == "envbook.12345678.css".len(),
        "{name}"
    );
    // The hashed file is the stylesheet, and so is the plain name.
    let css = site.read("site/static/envbook.css");
    assert_eq!(site.read(&format!("site/static/{name}")), css);
    // The site's own envbook.css: a new name on every page, the old one gone.
    site.write(
        "theme/static/envbook.css",
        &format!("{css}\n.mine {{ color: red }}\n"),
    );
    site.build();
    let after = links(&site);
    assert!(after.iter().all(|l| *l == after[0]), "{after:?}");
    assert_ne!(after[0], before[0]);
    assert!(
        site.read(&after[0].replacen("/static/", "site/static/", 1))
            .contains(".mine")
    );
    assert!(!site.path(&format!("site/static/{name}")).exists());
}
