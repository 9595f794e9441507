//! Hostile and odd input: every value escaped, clear errors for files that
//! cannot be used, and nothing ever waits on a file that cannot be read.

use std::time::Duration;

use scraper::{ElementRef, Html};

use crate::support::Site;

const SCRIPT: &str = "<script>alert(1)</script>";
const IMG: &str = "\"><img src=x onerror=alert(1)>";

/// Every element or attribute of `html` that would run script: a `script` the
/// theme did not write, an `img`, an `on*` handler, a `javascript:` URL.
fn injections(html: &str) -> Vec<String> {
    let doc = Html::parse_document(html);
    let mut found = Vec::new();
    for element in doc
        .root_element()
        .descendants()
        .filter_map(ElementRef::wrap)
    {
        let e = element.value();
        let text: String = element.text().collect();
        let theirs = match e.name() {
            // The theme's scripts, and the redirect of an alias page.
            "script" => {
                !(e.attr("src")
                    .map(crate::support::unhashed)
                    .is_some_and(|s| {
                        ["envbook.js", "matrix.js", "search.js", "theme.js"]
                            .iter()
                            .any(|n| s.ends_with(&format!("/static/{n}")))
                    })
                    && text.is_empty()
                    || e.attr("src").is_none() && text.starts_with("location.replace(\"/"))
            }
            "img" | "iframe" | "object" | "embed" | "base" => true,
            _ => false,
        };
        if theirs {
            found.push(element.html());
        }
        for (name, value) in e.attrs() {
            let value = value.trim().to_ascii_lowercase();
            let url = matches!(name, "href" | "src" | "action" | "formaction");
            if name.starts_with("on")
                || url && value.starts_with("javascript:")
                || value.contains("url=javascript:")
            {
                found.push(format!("{name}={value:?} on <{}>", e.name()));
            }
        }
    }
    found
}

/// Every page of the built site, and the sitemap, is free of injected script.
fn assert_nothing_injected(site: &Site) {
    let mut pages = 0;
    for (path, bytes) in site.snapshot("site") {
        let text = String::from_utf8(bytes).unwrap();
        let name = path.to_string_lossy();
        if name.ends_with(".html") {
            pages += 1;
            assert_eq!(injections(&text), Vec::<String>::new(), "in {name}");
        } else if name.ends_with(".xml") {
            assert!(
                !text.contains("<script") && !text.contains("<img"),
                "{text}"
            );
        }
    }
    assert!(pages >= 10, "only {pages} pages built");
}

#[test]
fn every_value_from_data_front_matter_and_config_is_escaped() {
    let site = Site::fixture("safety-escaping");
    site.build();
    assert_nothing_injected(&site);
    let book = format!("{SCRIPT} {IMG} javascript:alert(1)");

    // Environment and section titles from the data, on the environment pages.
    let dev = site.page("site/environments/dev/index.html");
    assert_eq!(dev.texts("article h1"), [format!("{SCRIPT}¶")]);
    assert_eq!(
        dev.texts("article p").first().unwrap(),
        &format!("Every setting of {SCRIPT}, by section.")
    );
    let sections = [
        format!("{SCRIPT} {IMG}"),
        "[x](javascript:alert(1)) # ## {#id}".to_string(),
    ];
    assert_eq!(
        dev.texts("article h2"),
        sections.clone().map(|s| format!("{s}¶"))
    );
    assert_eq!(dev.texts(".toc-side li > a"), sections);
    assert_eq!(dev.texts("title"), [format!("{SCRIPT} – {book}")]);
    let prod = site.page("site/environments/prod/index.html");
    let prod_title = format!(
        "{IMG} *em* `code` [link](javascript:alert(1)) {{{{ value(key=\"s.a\", env=\"dev\") }}}}"
    );
    assert_eq!(prod.texts("article h1"), [format!("{prod_title}¶")]);
    assert_eq!(
        prod.texts(".sidebar a[aria-current]"),
        [prod_title.as_str()]
    );

    // Front matter and file names: titles, descriptions, children, breadcrumbs, pager.
    let home = site.page("site/index.html");
    assert_eq!(home.texts("article h1"), [SCRIPT]);
    assert_eq!(home.attrs("html", "lang"), [format!("en{IMG}")]);
    assert_eq!(
        home.attrs("meta[name=description]", "content"),
        [format!("{IMG} javascript:alert(1)")]
    );
    assert_eq!(home.texts(".site-title"), [book.as_str()]);
    let guides = site.page("site/guides/index.html");
    assert_eq!(
        guides.texts(".section-children a"),
        [format!("{SCRIPT} first"), "javascript:alert(1)".into()]
    );
    assert_eq!(
        guides.texts(".section-children p"),
        [IMG, "javascript:alert(1)"]
    );
    let first = site.page("site/guides/first/index.html");
    assert_eq!(
        first.texts(".breadcrumbs li"),
        [SCRIPT, &format!("{IMG} guides"), &format!("{SCRIPT} first")]
    );
    assert_eq!(
        first.texts(".pager-title"),
        [format!("{IMG} guides"), "javascript:alert(1)".into()]
    );
    let folder = site.page("site/<img src=x onerror=alert(1)>/index.html");
    assert_eq!(folder.texts("article h1"), ["<img src=x onerror=alert(1)>"]);
    let not_found = site.page("site/404.html");
    assert_eq!(not_found.texts(".site-title"), [book]);

    // The navigation of a SUMMARY.md: chapter and part titles.
    site.write(
        "content/SUMMARY.md",
        &format!(
            "# Summary\n\n[{SCRIPT}](index.md)\n\n# {IMG}\n\n- [javascript:alert(1)](guides/first.md)\n"
        ),
    );
    site.build();
    assert_nothing_injected(&site);
    // (SUMMARY.md is markdown: HTML in it is left out of the titles, never kept.)
    let home = site.page("site/index.html");
    assert_eq!(home.texts(".nav-part").len(), 1);
    assert!(
        home.texts(".sidebar a")
            .contains(&"javascript:alert(1)".to_string())
    );
}

fn mkfifo(path: &std::path::Path) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn a_fifo_among_the_pages_or_the_theme_is_left_out_with_a_warning_never_waited_on() {
    let site = Site::fixture("basic");
    for rel in [
        "content/x.md",
        "content/img.png",
        "theme/templates/x.html",
        "theme/static/y.css",
    ] {
        mkfifo(&site.path(rel));
    }
    let warnings = "\
warning: left out of the site: it is a named pipe (FIFO), not a file
  --> content/img.png

warning: left out of the site: it is a named pipe (FIFO), not a file
  --> content/x.md

warning: left out of the site: it is a named pipe (FIFO), not a file
  --> theme/static/y.css

warning: left out of the site: it is a named pipe (FIFO), not a file
  --> theme/templates/x.html
";
    for command in ["build", "check"] {
        let run = site.run_within(&[command], Duration::from_secs(20));
        assert_eq!(run.code, 0, "{command}: {}", run.stderr);
        assert_eq!(run.stderr, warnings, "{command}");
    }
    assert!(site.path("site/index.html").is_file());
    assert!(!site.path("site/x").exists());
    assert!(!site.path("site/img.png").exists());
    assert!(!site.path("site/static/y.css").exists());
}

#[test]
fn a_fifo_as_book_toml_or_the_data_file_is_an_error_never_waited_on() {
    let site = Site::fixture("three-envs");
    std::fs::rename(site.path("book.toml"), site.path("book.old")).ok();
    mkfifo(&site.path("book.toml"));
    for command in [&["build"][..], &["check"], &["get", "dev", "x.y"]] {
        let run = site.run_within(command, Duration::from_secs(20));
        assert_eq!(run.code, 1, "{command:?}");
        assert_eq!(
            run.stderr,
            "error: cannot read: it is a named pipe (FIFO), not a file\n  --> book.toml\n\nerror: 1 problem found\n",
            "{command:?}"
        );
    }
    std::fs::remove_file(site.path("book.toml")).unwrap();
    std::fs::remove_file(site.path("data/environments.yaml")).unwrap();
    mkfifo(&site.path("data/environments.yaml"));
    for command in [&["build"][..], &["check"], &["diff", "dev", "prod"]] {
        let run = site.run_within(command, Duration::from_secs(20));
        assert_eq!(run.code, 1, "{command:?}");
        assert_eq!(
            run.stderr,
            "error: cannot read: it is a named pipe (FIFO), not a file\n  --> data/environments.yaml\n\nerror: 1 problem found\n",
            "{command:?}"
        );
    }
}

#[test]
fn serve_leaves_out_a_fifo_and_keeps_serving() {
    use crate::serve::{Server, wait_for};
    let site = Site::fixture("serve");
    mkfifo(&site.path("content/early.md"));
    std::fs::create_dir_all(site.path("theme/templates")).unwrap();
    let server = Server::start(&site, &[]);
    assert_eq!(server.get("/").status, 200);
    // Made while serving: a page, an image, a template and the data file.
    mkfifo(&site.path("content/late.md"));
    mkfifo(&site.path("content/late.png"));
    mkfifo(&site.path("theme/templates/late.html"));
    let data = site.read("data/environments.yaml");
    std::fs::remove_file(site.path("data/environments.yaml")).unwrap();
    mkfifo(&site.path("data/environments.yaml"));
    std::thread::sleep(std::time::Duration::from_millis(500));
    std::fs::remove_file(site.path("data/environments.yaml")).unwrap();
    site.write("data/environments.yaml", &data);
    let index = site.read("content/index.md");
    site.write(
        "content/index.md",
        &index.replace("Version one.", "Version two."),
    );
    wait_for("the edit after the FIFOs", || {
        server.get("/").body.contains("Version two.")
    });
    assert_eq!(server.get("/late/").status, 404);
    assert_eq!(server.get("/early/").status, 404);
}

#[test]
fn a_symlinked_page_is_read_when_it_stays_in_the_content_folder_and_left_out_with_a_warning_otherwise()
 {
    let site = Site::fixture("basic");
    // In the site's folder, but not in content/: the preview must not serve it.
    site.write("notes/outside.md", "# Outside\n");
    let link = |target: &str, rel: &str| {
        std::os::unix::fs::symlink(target, site.path(rel)).unwrap();
    };
    link("features.md", "content/again.md");
    link("../notes/outside.md", "content/outside.md");
    link("nowhere.md", "content/missing.md");
    let run = site.build();
    assert_eq!(
        run.stderr,
        format!(
            "warning: left out of the site: a symlink to nothing\n  --> content/missing.md\n\n\
             warning: left out of the site: a symlink to {}, outside content\n  --> content/outside.md\n",
            site.path("notes/outside.md")
                .canonicalize()
                .unwrap()
                .display()
        )
    );
    assert_eq!(
        site.page("site/again/index.html").texts("article h1"),
        ["Markdown features¶"]
    );
    assert!(!site.path("site/outside").exists());
}

#[test]
fn invalid_utf8_in_a_template_or_book_toml_is_an_error_at_its_byte() {
    let site = Site::fixture("basic");
    std::fs::create_dir_all(site.path("theme/templates")).unwrap();
    std::fs::write(
        site.path("theme/templates/page.html"),
        b"{% extends \"base.html\" %}\n{% block content %}caf\xe9{% endblock content %}\n",
    )
    .unwrap();
    let run = site.run(&["check"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr,
        "error: not UTF-8 text (invalid byte 0xE9 at offset 48)\n \
         --> theme/templates/page.html:2:23\n  |\n\
         2 | {% block content %}caf\u{fffd}{% endblock content %}\n  \
         |                       ^\n  = help: save the file as UTF-8\n\n\
         error: 1 problem found\n"
    );
    std::fs::remove_dir_all(site.path("theme")).unwrap();
    std::fs::write(site.path("book.toml"), b"[book]\ntitle = \"Caf\xe9\"\n").unwrap();
    let run = site.run(&["build"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr,
        "error: not UTF-8 text (invalid byte 0xE9 at offset 19)\n \
         --> book.toml:2:13\n  |\n2 | title = \"Caf\u{fffd}\"\n  |             ^\n  \
         = help: save the file as UTF-8\n\nerror: 1 problem found\n"
    );
    assert!(!site.path("site").exists());
}

#[test]
fn a_base_url_that_leads_to_another_host_is_refused() {
    let site = Site::fixture("basic");
    for url in [
        "//evil.example/",
        "/\\\\evil.example/",
        "https://docs.example//evil.example/",
    ] {
        std::fs::write(
            site.path("book.toml"),
            format!("[build]\nbase-url = \"{url}\"\n"),
        )
        .unwrap();
        let shown = url.replace("\\\\", "\\");
        let run = site.run(&["build"]);
        assert_eq!(run.code, 1, "{url}");
        assert_eq!(
            run.stderr,
            format!(
                "error: `base-url` `{shown}` would make every link lead to another host: its path starts with `//` or holds a `\\`\n \
                 --> book.toml:2:1\n  |\n2 | base-url = \"{url}\"\n  | ^^^^^^^^\n  \
                 = help: for a site hosted at https://host/docs/, write base-url = \"/docs/\" or the full URL\n\n\
                 error: 1 problem found\n"
            )
        );
    }
}

#[test]
fn template_problems_found_together_are_reported_once_each_at_their_place() {
    let site = Site::fixture("basic");
    site.write(
        "theme/templates/page.html",
        "{% extends \"base.html\" %}\n{% block content %}{{ page.title | shout }}{% include \"gone.html\" %}{% endblock content %}\n",
    );
    let run = site.run(&["check"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr,
        "\
error: Unknown filter `shout`
 --> theme/templates/page.html:2:36
  |
2 | {% block content %}{{ page.title | shout }}{% include \"gone.html\" %}{% endblock content %}
  |                                    ^^^^^

error: Unknown template `gone.html`
 --> theme/templates/page.html:2:55
  |
2 | {% block content %}{{ page.title | shout }}{% include \"gone.html\" %}{% endblock content %}
  |                                                       ^^^^^^^^^^^

error: 2 problems found
"
    );
}

#[test]
fn no_failure_prints_error_twice() {
    let site = Site::fixture("three-envs");
    site.write("file", "");
    site.write("bad.json", "{");
    let parts = [
        vec!["build", "missing"],
        vec!["build", "--output", "file"],
        vec!["build", "--output", "file/site"],
        vec!["check", "--baseline", "gone.json"],
        vec!["check", "--baseline", "bad.json"],
        vec!["get", "nope", "x.y"],
        vec!["get", "dev", "nope.nope"],
        vec!["diff", "dev", "nope"],
        vec!["check", "missing"],
    ];
    for args in parts {
        let run = site.run(&args);
        assert_eq!(run.code, 1, "{args:?}: {}", run.stderr);
        assert!(
            run.stderr.starts_with("error: "),
            "{args:?}: {}",
            run.stderr
        );
        assert!(
            !run.stderr.contains("error: error"),
            "{args:?}: {}",
            run.stderr
        );
    }
    let run = site.run(&["build", "--output", "file/site"]);
    assert_eq!(
        run.stderr,
        format!(
            "error: refusing to use file/site as the output folder: it is inside {}, a file; \
             give `-o` (`--output`) a folder of its own, such as \"site\"\n",
            site.path("file").canonicalize().unwrap().display()
        )
    );
}
