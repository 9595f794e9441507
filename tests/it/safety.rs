//! Hostile and odd input: every value escaped, clear errors for files that
//! cannot be used, and nothing ever waits on a file that cannot be read.

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
            // The theme's script, and the redirect of an alias page.
            "script" => {
                !(e.attr("src")
                    .is_some_and(|s| s.ends_with("/static/envbook.js"))
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
