//! mdBook books built as they are: mdBook's book.toml, URLs, SUMMARY.md
//! conventions and redirects (tests/fixtures/mdbook-book).

use crate::support::{Site, unhashed_all};

#[test]
fn an_mdbook_book_toml_is_read_and_what_envbook_does_not_do_is_one_warning() {
    let site = Site::fixture("mdbook-book");
    let run = site.build();
    insta::assert_snapshot!(run.stderr.replace(site.path("").to_str().unwrap(), "SITE/"));
}

#[test]
fn pages_are_written_where_mdbook_writes_them() {
    let site = Site::fixture("mdbook-book");
    site.build();
    // Two renderers (`[output.html]`, `[output.linkcheck]`): mdBook writes
    // the HTML in `book/html/`; beside it only envbook's hidden swap folder.
    let mut book: Vec<_> = std::fs::read_dir(site.path("book"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    book.sort();
    assert_eq!(book, [".html.envbook", "html"]);
    let mut files: Vec<String> = site
        .snapshot("book/html")
        .into_keys()
        .map(|p| p.to_string_lossy().into_owned())
        .filter(|p| p.ends_with(".html") || !p.contains("static/"))
        // The search index has its own tests.
        .filter(|p| !p.starts_with("search/"))
        .collect();
    files.sort();
    assert_eq!(
        files,
        [
            ".envbook-output",
            "404.html",
            "anchors.json",
            "appendix.html",
            "gone.html",
            // No page for the folder `guide/`, as in mdBook.
            "guide/moved.html",
            "guide/setup.html",
            "guide/untitled.html",
            "index.html",
            "intro.html",
            "old-intro.html",
            "print.html",
            "scripts/extra.js",
            "sitemap.xml",
            "theme/extra.css",
            "toc.html",
        ]
    );
    // The first chapter again as the book's front page, as mdBook writes it.
    let home = site.page("book/html/index.html");
    assert_eq!(home.texts("main h1"), ["Welcome to the book¶"]);
    assert_eq!(
        home.attrs("main a[href*=setup]", "href"),
        ["/fixture/guide/setup.html#install"]
    );
    assert_eq!(
        home.attrs("a[rel=edit]", "href"),
        ["https://example.com/fixture/edit/main/src/intro.md"]
    );
}

#[test]
fn urls_pretty_in_an_mdbook_book_toml_gives_folder_urls() {
    let site = Site::fixture("mdbook-book");
    // The fragment redirect names mdBook's URL of a page that then moves.
    let toml = site
        .read("book.toml")
        .replace(
            "use-default-preprocessors = true",
            "use-default-preprocessors = true\nurls = \"pretty\"",
        )
        .replace(
            "\"/guide/setup.html#old-install\" = \"setup.html#install\"\n",
            "",
        );
    site.write("book.toml", &toml);
    site.build();
    assert!(site.path("book/html/guide/setup/index.html").is_file());
    assert!(site.path("book/html/intro/index.html").is_file());
    // The home page is then the site's own, listing the book.
    assert!(site.path("book/html/index.html").is_file());
}

#[test]
fn summary_gives_titles_section_labels_and_drafts() {
    let site = Site::fixture("mdbook-book");
    site.build();
    let page = site.page("book/html/guide/untitled.html");
    assert_eq!(page.texts("title"), ["No heading here – Fixture Book"]);
    // Every chapter is called what SUMMARY.md calls it, heading or not, as in mdBook.
    let intro = site.page("book/html/intro.html");
    assert_eq!(intro.texts("title"), ["Introduction – Fixture Book"]);
    assert_eq!(intro.texts("main h1"), ["Welcome to the book¶"]);
    assert_eq!(page.texts(".pager-prev .pager-title"), ["Setting up"]);
    assert_eq!(page.texts("main h1"), ["No heading here"]);
    assert_eq!(
        page.texts(".sidebar li"),
        [
            "Introduction",
            "User guide",
            "1. Setting up\n    \n    1.1. No heading here\n    1.2. Later",
            "1.1. No heading here",
            "1.2. Later",
            "2. Written later",
            "",
            "Appendix"
        ]
        .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
    );
    site.write(
        "book.toml",
        &site
            .read("book.toml")
            .replace("no-section-label = false", "no-section-label = true"),
    );
    site.build();
    let page = site.page("book/html/guide/untitled.html");
    assert!(page.texts(".nav-number").is_empty());
}

#[test]
fn create_missing_false_makes_a_missing_chapter_an_error() {
    let site = Site::fixture("mdbook-book");
    let toml = site
        .read("book.toml")
        .replace("create-missing = true", "create-missing = false");
    site.write("book.toml", &toml);
    let run = site.run(&["build"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("error: SUMMARY.md links to `guide/not-yet.md`, which is not a page\n  --> "),
        "{}",
        run.stderr
    );
}

#[test]
fn repository_edit_css_and_js_links_are_on_every_page() {
    let site = Site::fixture("mdbook-book");
    site.build();
    let page = site.page("book/html/guide/setup.html");
    assert_eq!(
        page.attrs(".repository-link", "href"),
        ["https://example.com/fixture/repo"]
    );
    assert_eq!(
        page.attrs("a[rel=edit]", "href"),
        ["https://example.com/fixture/edit/main/src/guide/setup.md"]
    );
    assert_eq!(
        unhashed_all(page.attrs("link[rel=stylesheet]", "href")),
        [
            "/fixture/static/envbook.css",
            "/fixture/static/highlight.css",
            "/fixture/theme/extra.css"
        ]
    );
    assert_eq!(
        unhashed_all(page.attrs("script[src]", "src")),
        [
            "/fixture/static/theme.js",
            "/fixture/static/envbook.js",
            "/fixture/static/matrix.js",
            "/fixture/static/search.js",
            "/fixture/scripts/extra.js"
        ]
    );
    assert_eq!(
        site.read("book/html/theme/extra.css"),
        site.read("theme/extra.css")
    );
}

#[test]
fn redirects_lead_on_keeping_the_fragment() {
    let site = Site::fixture("mdbook-book");
    site.build();
    let old = site.read("book/html/old-intro.html");
    assert!(
        old.contains("location.replace(\"/fixture/intro.html\" + location.hash);"),
        "{old}"
    );
    let moved = site.read("book/html/guide/moved.html");
    assert!(
        moved.contains("location.replace(\"/fixture/guide/setup.html#install\" + location.hash);"),
        "{moved}"
    );
    // A moved fragment of a page that still exists: the page maps it.
    let setup = site.page("book/html/guide/setup.html");
    assert_eq!(
        setup.texts("#envbook-redirects"),
        [r#"{"old-install":"/fixture/guide/setup.html#install"}"#]
    );
    // A fragment of a page that is gone: its redirect page maps it, and sends
    // any other to the page's own new place.
    let gone = site.read("book/html/gone.html");
    assert!(
        gone.contains(r#"var m = {"part":"/fixture/guide/setup.html#install"}"#),
        "{gone}"
    );
    assert!(
        gone.contains(r#"m[h] : "/fixture/intro.html" + location.hash"#),
        "{gone}"
    );
}

#[test]
fn a_redirect_replaces_a_file_summary_does_not_list() {
    // The Rust Reference: `types/textual.md` stays in `src/`, unlisted, and
    // book.toml redirects its old page; mdBook publishes the redirect there.
    let site = Site::fixture("mdbook-book");
    site.write("src/guide/old.md", "# Old\n\nStale text.\n");
    site.write(
        "src/guide/kept.md",
        "# Kept\n\nUnlisted and not redirected.\n",
    );
    let toml = site.read("book.toml").replace(
        "[output.html.redirect]\n",
        "[output.html.redirect]\n\"./guide/old.html\" = \"setup.html\"\n\"/appendix.html#doc\" = \"../rustdoc/doc.html\"\n\"/guide/index.html\" = \"/guide/setup.html\"\n",
    );
    site.write("book.toml", &toml);
    let run = site.run(&["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let old = site.read("book/html/guide/old.html");
    assert!(
        old.contains("location.replace(\"/fixture/guide/setup.html\" + location.hash);"),
        "{old}"
    );
    assert_eq!(
        site.page("book/html/guide/kept.html").texts("main h1"),
        ["Kept¶"]
    );
    // The section page envbook would make for the folder gives way too (the
    // Rust compiler's dev guide redirects `llm-guidance/index.html`).
    let index = site.read("book/html/guide/index.html");
    assert!(
        index.contains("location.replace(\"/fixture/guide/setup.html\" + location.hash);"),
        "{index}"
    );
    // Above the book's root: to a sibling book on the same host.
    let appendix = site.page("book/html/appendix.html");
    assert_eq!(
        appendix.texts("#envbook-redirects"),
        [r#"{"doc":"/fixture/../rustdoc/doc.html"}"#]
    );
}

#[test]
fn front_matter_keys_for_another_tool_are_one_warning() {
    // Comprehensive Rust's pages open with its preprocessor's front matter.
    let site = Site::fixture("mdbook-book");
    let appendix = site.read("src/appendix.md");
    site.write(
        "src/appendix.md",
        &format!("---\nminutes: 5\ndescription: Extra\ncourse:\n  day: 1\n---\n{appendix}"),
    );
    let intro = site.read("src/intro.md");
    site.write("src/intro.md", &format!("---\nminutes: 3\n---\n{intro}"));
    let run = site.run(&["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "warning: front matter: envbook does not read these keys, and ignores them: `course` (1 page), `minutes` (2 pages)\n --> src/appendix.md:2:1\n  |\n2 | minutes: 5\n  | ^^^^^^^\n  = help: they are another tool's"
        ),
        "{}",
        run.stderr
    );
    let page = site.page("book/html/appendix.html");
    assert_eq!(page.attrs("meta[name=description]", "content"), ["Extra"]);
    assert_eq!(page.texts("main h1"), ["Appendix¶"]);
    // In envbook's own format an unknown key stays an error.
    let own = Site::fixture("content-only");
    own.write("content/p.md", "---\nminutes: 5\n---\n# P\n");
    let run = own.run(&["build"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("error: front matter: unknown key `minutes`"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_file_summary_does_not_list_gives_way_to_a_chapter_of_the_same_url() {
    // Comprehensive Rust lists `index.md` and keeps a `README.md` beside it:
    // mdBook builds the listed one only.
    let site = Site::fixture("mdbook-book");
    site.write("src/guide/index.md", "# Guide index\n");
    site.write("src/guide/README.md", "# Old readme\n");
    let summary = site.read("src/SUMMARY.md");
    site.write(
        "src/SUMMARY.md",
        &summary.replace(
            "- [Written later]",
            "- [Guide](guide/index.md)\n- [Written later]",
        ),
    );
    let run = site.run(&["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let page = site.page("book/html/guide/index.html");
    assert_eq!(page.texts("main h1"), ["Guide index¶"]);
    // Two files SUMMARY.md does not list are still two for one URL.
    site.write("src/SUMMARY.md", &summary);
    let run = site.run(&["build"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains(
            "error: `guide/README.md` and `guide/index.md` would both be the page at /guide/"
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn a_file_summary_does_not_list_and_a_page_includes_is_not_a_page() {
    // The Rust Cookbook includes 300 recipes, one file each, into its
    // chapters: as pages they were search results beside the chapters.
    let site = Site::fixture("mdbook-book");
    site.write("src/guide/part.md", "## Part\n\nThe included quokka.\n");
    site.write("src/recipes/one.md", "## One\n\nAnother quokka.\n");
    site.write(
        "src/guide/alone.md",
        "# Alone\n\nNobody includes this quokka.\n",
    );
    let setup = site.read("src/guide/setup.md");
    site.write(
        "src/guide/setup.md",
        &format!("{setup}\n{{{{#include part.md}}}}\n\n{{{{#include ../recipes/./one.md}}}}\n"),
    );
    site.build();
    for gone in ["guide/part.html", "recipes/one.html", "recipes/index.html"] {
        assert!(!site.path(&format!("book/html/{gone}")).exists(), "{gone}");
    }
    assert!(site.path("book/html/guide/alone.html").exists());
    let run = site.run(&["search", "--json", "quokka"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let urls: Vec<&str> = json["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["url"].as_str().unwrap())
        .collect();
    assert_eq!(
        urls,
        ["guide/setup.html", "guide/alone.html"],
        "{}",
        run.stdout
    );
}

#[test]
fn a_link_to_a_moved_page_leads_to_its_redirect() {
    // The Edition Guide links `no-anon-params.md`, which moved: mdBook writes
    // the link as `no-anon-params.html`, the redirect page.
    let site = Site::fixture("mdbook-book");
    let appendix = site.read("src/appendix.md");
    site.write(
        "src/appendix.md",
        &format!("{appendix}\nSee [the old intro](old-intro.md#x) and [gone](gone.html).\n"),
    );
    let run = site.run(&["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let page = site.page("book/html/appendix.html");
    assert_eq!(
        page.attrs("main a[href*=old-intro], main a[href*=gone]", "href"),
        ["/fixture/old-intro.html#x", "/fixture/gone.html"]
    );
    // A `.md` link to nothing at all is still broken.
    site.write(
        "src/appendix.md",
        &format!("{appendix}\n[x](older-intro.md)\n"),
    );
    let run = site.run(&["build"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("`older-intro.md` is not a page of the site"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_missing_additional_file_is_an_error_and_a_redirect_over_a_page_a_warning() {
    let site = Site::fixture("mdbook-book");
    let toml = site
        .read("book.toml")
        .replace(
            "\"theme/extra.css\"",
            "\"theme/nope.css\", \"../outside.css\"",
        )
        .replace("\"/old-intro.html\"", "\"/intro.html\"");
    site.write("book.toml", &toml);
    let run = site.run(&["build"]);
    assert_eq!(run.code, 1);
    insta::assert_snapshot!(run.stderr.replace(site.path("").to_str().unwrap(), "SITE/"));
    site.write(
        "book.toml",
        &toml.replace(
            "\"theme/nope.css\", \"../outside.css\"",
            "\"theme/extra.css\"",
        ),
    );
    // As mdBook: the page stays (the Rust Reference redirects from a page
    // it has again).
    let run = site.run(&["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "warning: redirect `/intro.html` is a page of the book: the page is kept, and the redirect not written\n  --> book.toml:38:2"
        ),
        "{}",
        run.stderr
    );
    let intro = site.page("book/html/intro.html");
    assert_eq!(intro.texts("main h1"), ["Welcome to the book¶"]);
}

#[test]
fn a_404_chapter_is_the_not_found_page() {
    let site = Site::fixture("mdbook-book");
    site.write(
        "src/404.md",
        "# Lost\n\nThis page is not in the book, nor in its search: quokka.\n",
    );
    site.build();
    let page = site.page("book/html/404.html");
    assert_eq!(page.texts("main h1"), ["Lost¶"]);
    // Nor is it a search result: it is where a wrong address lands.
    let run = site.run(&["search", "--json", "quokka"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(json["hits"], serde_json::json!([]), "{}", run.stdout);
}

#[test]
fn print_and_toc_pages_hold_the_whole_book() {
    let site = Site::fixture("mdbook-book");
    site.build();
    let print = site.page("book/html/print.html");
    assert_eq!(
        print.texts("article h1"),
        [
            "Welcome to the book¶",
            "Setting up¶",
            "No heading here",
            "Appendix¶"
        ]
    );
    assert_eq!(
        print.attrs("article [id]", "id"),
        [
            "welcome-to-the-book",
            "setting-up",
            "install",
            "no-heading-here",
            "appendix"
        ]
    );
    // Links between chapters lead within the page.
    assert_eq!(
        print.attrs("article p a", "href"),
        ["#install", "#welcome-to-the-book"]
    );
    let toc = site.page("book/html/toc.html");
    assert_eq!(
        toc.texts(".book-toc li > a, .book-toc li > span"),
        [
            "Introduction",
            "1. Setting up",
            "1.1. No heading here",
            "1.2. Later",
            "2. Written later",
            "Appendix"
        ]
    );
}

#[test]
fn without_a_site_url_links_are_relative_as_mdbook_writes_them() {
    let site = Site::fixture("mdbook-book");
    let toml = site
        .read("book.toml")
        .replace("site-url = \"/fixture/\"\n", "");
    site.write("book.toml", &toml);
    site.build();
    let setup = site.page("book/html/guide/setup.html");
    assert_eq!(
        unhashed_all(setup.attrs("link[rel=stylesheet]", "href")),
        [
            "../static/envbook.css",
            "../static/highlight.css",
            "../theme/extra.css"
        ]
    );
    assert_eq!(setup.attrs(".site-title", "href"), ["../"]);
    assert_eq!(
        setup.attrs(".sidebar a", "href")[..2],
        ["../intro.html", "../guide/setup.html"]
    );
    let intro = site.page("book/html/intro.html");
    assert_eq!(
        intro.attrs(".content a", "href"),
        ["#welcome-to-the-book", "./guide/setup.html#install"]
    );
    // A redirect page leads on from where it is.
    let moved = site.read("book/html/guide/moved.html");
    assert!(
        moved.contains("location.replace(\"../guide/setup.html#install\" + location.hash);"),
        "{moved}"
    );
    // The not-found page is shown at any path: its links start at the root.
    let not_found = site.page("book/html/404.html");
    assert_eq!(not_found.attrs(".site-title", "href"), ["/"]);
    for (file, bytes) in site.snapshot("book") {
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains("__envbook_root__"), "{}", file.display());
    }
}

#[test]
fn serve_reloads_the_tabs_when_an_additional_stylesheet_changes() {
    let site = Site::fixture("mdbook-book");
    let server = crate::serve::Server::start(&site, &[]);
    let mut events = server.events();
    assert_eq!(events.next(), ("build".into(), "1".into()));
    site.write("theme/extra.css", "body { --fixture: 2; }\n");
    assert_eq!(events.next(), ("build".into(), "2".into()));
    let css = server.get(&format!("{}theme/extra.css", server.base)).body;
    assert_eq!(css, "body { --fixture: 2; }\n");
}
