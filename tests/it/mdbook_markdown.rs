//! An mdBook book's markdown, read as mdBook reads it: directives are only
//! calls, mdBook's heading ids, smart punctuation and definition lists,
//! hidden code lines, `.html` links, sibling-book links and email autolinks.
//! Pages are found by their source's name, whatever URL shape the book uses.

use crate::support::{Page, Site};

fn built() -> Site {
    let site = Site::fixture("mdbook-markdown");
    let run = site.build();
    // `{{ #if x }}` reads as a call of a preprocessor envbook does not have,
    // as it does for mdBook: said once, left as written.
    assert_eq!(
        run.stderr,
        "warning: `{{#if …}}` is not a directive envbook knows: left as written\n \
         --> src/templates.md:4:1\n  |\n4 | {{ #if x }} for a condition; Jinja writes {{ url_for }} too.\n  \
         | ^^^^^^^^^^^\n  = help: envbook expands `{{#include}}`, `{{#rustdoc_include}}`, \
         `{{#playground}}` and `{{#title}}`; another tool's preprocessor is not run \
         (write `\\{{#` for a literal `{{#`)\n"
    );
    site
}

/// The built file of the page whose source is `src/STEM.md`
/// (`book/STEM.html` or `book/STEM/index.html`), relative to `book/`.
fn page_file(site: &Site, stem: &str) -> String {
    [format!("{stem}.html"), format!("{stem}/index.html")]
        .into_iter()
        .find(|f| site.path("book").join(f).is_file())
        .unwrap_or_else(|| {
            panic!(
                "no page for {stem}.md in {:?}",
                site.snapshot("book").keys()
            )
        })
}

/// The page's URL as links from the site's root write it.
fn page_url(site: &Site, stem: &str) -> String {
    let file = page_file(site, stem);
    format!("/{}", file.strip_suffix("index.html").unwrap_or(&file))
}

fn page(site: &Site, stem: &str) -> Page {
    site.page(&format!("book/{}", page_file(site, stem)))
}

#[test]
fn heading_and_term_ids_are_mdbooks() {
    let site = built();
    // What `mdbook build` (0.5.4) writes for src/headings.md, with its `id=""`
    // for `## ?` written as no id (it is no anchor).
    let mdbook = [
        "headings",
        "-1",
        "a--b",
        "a--b-1",
        "quoted-and-single-ones",
        "repeat",
        "repeat-1",
        "repeat-2",
        "repeat-2",
        "über--café",
        "an--image",
        "--flag-in-code",
        "term-one",
        "repeat-3",
    ];
    let page = page(&site, "headings");
    assert_eq!(
        page.attrs(".content h1, .content h2, .content dt", "id"),
        mdbook
    );
    assert_eq!(page.texts(".content h2")[2], "A – B¶");
    assert_eq!(page.texts(".content h2")[4], "“Quoted” and ‘single’ ones…¶");
    assert_eq!(
        page.texts(".content dd"),
        ["Its definition.", "A term that repeats a heading."]
    );
}

#[test]
fn handlebars_text_and_braces_in_inline_html_code_are_text() {
    let site = built();
    let html = page(&site, "templates").inner(".content");
    for text in [
        "Handlebars writes {{ language }} for the book’s language, {{ title }} and\n{{ #if x }} for a condition; Jinja writes {{ url_for }} too.",
        "<code>{{ value() }}</code>, <code>{{ x }}</code>",
        "<pre>{{ matrix(section=\"none\") }}</pre>",
        "Escaped mdBook directive: {{#include file.rs}}.",
        "Braces }} and {{ on their own.",
    ] {
        assert!(html.contains(text), "{text} is not in:\n{html}");
    }
}

#[test]
fn hidden_lines_are_marked_and_attributes_kept_as_classes() {
    let site = built();
    let page = page(&site, "code");
    assert_eq!(
        page.attrs(".content pre code", "class"),
        [
            "language-rust",
            "language-rust ignore",
            "language-rust should_panic noplayground",
            "language-python",
            "language-python hidelines=!!",
            "language-console",
            "language-toml",
        ]
    );
    assert_eq!(
        page.texts(".content .boring"),
        [
            "use std::collections::HashMap;",
            "",
            "m.insert(1, 2);",
            "fn hidden() {}",
            "import os",
            "import sys"
        ]
    );
    // What a reader sees once the hidden lines are gone, as mdBook shows it.
    let shown: Vec<String> = page
        .texts(".content pre code")
        .into_iter()
        .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    assert_eq!(
        shown[0],
        "use std::collections::HashMap; fn main() { let mut m = HashMap::new(); m.insert(1, 2); # not hidden #[allow(unused)] let x = 1; }"
    );
    assert_eq!(shown[4], "import sys ~print(sys.argv)");
    assert_eq!(shown[6], "# a comment, not hidden key = 1");
    // The block is still highlighted, and the hidden line is inside it.
    let first = page.inner(".content pre code");
    assert!(
        first.starts_with("<span class=\"boring\"><span class=\"hl-"),
        "{first}"
    );
    let js = site.read("book/static/envbook.js");
    assert!(js.contains("hide-boring") && js.contains("Show hidden lines"));
}

#[test]
fn html_sibling_and_email_links_as_mdbook_writes_them() {
    let site = built();
    // Links are relative to the page, as mdBook writes them: the book has no site-url.
    let headings = "./headings.html".to_string();
    let nested = "./nested/page.html";
    assert_eq!(
        page(&site, "index").attrs(".content a:not(.headerlink)", "href"),
        [
            headings.clone(),
            format!("{headings}#a--b"),
            format!("{headings}#a--b-1"),
            format!("{headings}#quoted-and-single-ones"),
            format!("{nested}#deep-down"),
            "../std/index.html".to_string(),
            "../../rustc/index.html#x".to_string(),
            "mailto:help@crates.io".to_string(),
        ]
    );
    assert_eq!(
        page(&site, "nested/page").attrs(".content a:not(.headerlink)", "href"),
        ["../", "../headings.html#repeat-1"]
    );
    let check = site.run(&["check"]);
    assert_eq!(check.code, 0, "{}", check.stderr);
    assert!(!check.stderr.contains("error"), "{}", check.stderr);
}

#[test]
fn a_missing_anchor_behind_an_html_link_is_still_reported() {
    let site = Site::fixture("mdbook-markdown");
    site.write(
        "src/nested/page.md",
        "# Deep down\n\n[gone](../headings.html#nope)\n",
    );
    let run = site.run(&["check"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .starts_with("error: broken link [gone]: there is no `#nope` on /headings"),
        "{}",
        run.stderr
    );
}

/// In a browser: the hidden lines are hidden, and the button (by keyboard)
/// shows them and hides them again.
#[test]
fn the_hidden_lines_button_shows_them_from_the_keyboard() {
    const CHROMIUM: &str = "/usr/bin/chromium";
    if !std::path::Path::new(CHROMIUM).exists() {
        assert!(std::env::var_os("CI").is_none(), "no {CHROMIUM} in CI");
        println!("skipped: no {CHROMIUM}");
        return;
    }
    let site = built();
    let mut server = Serving(site.spawn(&["serve", "--port", "0"]));
    let mut first = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(server.0.stdout.take().unwrap()),
        &mut first,
    )
    .unwrap();
    let url = first
        .split_whitespace()
        .find(|w| w.starts_with("http://127.0.0.1:"))
        .unwrap_or_else(|| panic!("no address in {first}"))
        .to_string();
    let profile = tempfile::TempDir::new().unwrap();
    let browser = headless_chrome::Browser::new(
        headless_chrome::LaunchOptions::default_builder()
            .path(Some(CHROMIUM.into()))
            .sandbox(false)
            .user_data_dir(Some(profile.path().to_path_buf()))
            .args(vec![std::ffi::OsStr::new("--disable-gpu")])
            .build()
            .unwrap(),
    )
    .expect("headless chromium starts");
    let tab = browser.new_tab().unwrap();
    let code = page_url(&site, "code");
    tab.navigate_to(&format!("{}{}", url, &code[1..])).unwrap();
    let ask = |script: &str| -> String {
        let value = tab.evaluate(script, false).unwrap().value;
        value.map(|v| v.to_string()).unwrap_or_default()
    };
    let seen = r#"(function () {
        var b = document.querySelector(".code-hidden-toggle");
        var line = document.querySelector(".boring");
        return b ? b.textContent + "|" + getComputedStyle(line).display : "no button";
    })()"#;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while ask(seen).contains("no button") && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
    assert_eq!(ask(seen), "\"Show hidden lines|none\"");
    ask(r#"document.querySelector(".code-hidden-toggle").focus()"#);
    tab.press_key("Enter").unwrap();
    assert_eq!(ask(seen), "\"Hide lines|inline\"");
    tab.press_key(" ").unwrap();
    assert_eq!(ask(seen), "\"Show hidden lines|none\"");
}

/// A server that stops when the test ends, passed or not.
struct Serving(std::process::Child);

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
