//! mdBook's file directives (`{{#include}}`, `{{#rustdoc_include}}`,
//! `{{#playground}}`, `{{#title}}`) in an mdBook book: what reaches the
//! pages, the errors, and the preview server's reloads.

use std::path::PathBuf;

use crate::serve::{Server, wait_for};
use crate::support::Site;

/// The mdBook book with includes, its folder made a repository.
fn book() -> Site {
    let site = Site::fixture("mdbook-includes");
    std::fs::create_dir(site.path(".git")).unwrap();
    site
}

/// The built HTML file of the output folder that holds `needle`: where a
/// page is written is not this test's business.
fn built_page_with(site: &Site, needle: &str) -> String {
    let found: Vec<(PathBuf, String)> = walkdir::WalkDir::new(site.path("book"))
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.path().extension().is_some_and(|x| x == "html"))
        .map(|e| {
            (
                e.path().to_path_buf(),
                std::fs::read_to_string(e.path()).unwrap(),
            )
        })
        .filter(|(_, html)| html.contains(needle))
        // The print page holds every chapter, the front page a copy of the first.
        .filter(|(path, _)| {
            !path.ends_with("book/print.html") && !path.ends_with("book/index.html")
        })
        .collect();
    match found.as_slice() {
        [(_, html)] => html.clone(),
        _ => panic!(
            "{needle:?} is in {} built pages: {:?}",
            found.len(),
            found.iter().map(|(p, _)| p).collect::<Vec<_>>()
        ),
    }
}

/// The text of each `<pre>` of `html`, tags removed and entities decoded.
fn code_blocks(html: &str) -> Vec<String> {
    let page = scraper::Html::parse_document(html);
    let pre = scraper::Selector::parse("pre").unwrap();
    page.select(&pre)
        .map(|e| e.text().collect::<String>())
        .collect()
}

#[test]
fn ranges_and_anchors_take_the_lines_mdbook_takes() {
    let site = book();
    site.build();
    let html = built_page_with(&site, "Line two only");
    assert_eq!(
        code_blocks(&html),
        [
            "use std::fmt;\n",
            // The last line is empty: mdBook's expansion drops it.
            "// ANCHOR: all\nuse std::fmt;\n",
            "fn tail() {}\n",
            "struct Paddle {\n    hello: f32,\n}\n",
            "struct Paddle {\n    hello: f32,\n}\n",
            "use std::fmt;\n\nstruct Paddle {\n    hello: f32,\n}\n\nimpl System for MySystem {}\n",
        ]
    );
    assert!(
        html.contains("In prose: the answer is 42, as written."),
        "{html}"
    );
    assert!(
        html.contains("Escaped: {{#include ../listings/lib.rs}} stays literal."),
        "{html}"
    );
}

#[test]
fn rustdoc_include_hides_lines_playground_makes_a_block_title_names_the_page() {
    let site = book();
    site.build();
    let html = built_page_with(&site, "Rust, the chapter");
    assert!(html.contains("<title>Rust, the chapter</title>"), "{html}");
    let blocks = code_blocks(&html);
    let hidden_or_not = |block: &str| -> Vec<String> {
        // However hidden lines are shown, each source line is there once.
        block
            .lines()
            .map(|l| l.trim_start_matches("# ").to_string())
            .collect()
    };
    assert_eq!(blocks.len(), 3, "{blocks:?}");
    assert!(blocks[0].contains("let x = add_one(2);"), "{blocks:?}");
    assert_eq!(
        hidden_or_not(&blocks[1]).len(),
        8,
        "every line of lib.rs but its anchor lines: {blocks:?}"
    );
    assert!(
        blocks[2].contains("fn add_one(num: i32) -> i32"),
        "{blocks:?}"
    );
    assert!(
        html.contains("language-rust"),
        "the playground block is rust code: {html}"
    );
}

#[test]
fn included_markdown_is_expanded_from_its_own_folder() {
    let site = book();
    site.build();
    let html = built_page_with(&site, "The nested page.");
    assert_eq!(code_blocks(&html), ["impl System for MySystem {}\n"]);
    // What precedes a directive on its line starts each included line.
    assert!(
        html.contains("<li>first item</li>\n<li>second line of it</li>"),
        "{html}"
    );
}

#[test]
fn the_expanded_text_is_what_mdbook_expands() {
    let site = book();
    site.build();
    // Every directive went: none is left in any page.
    for entry in walkdir::WalkDir::new(site.path("book")) {
        let entry = entry.unwrap();
        if entry.path().extension().is_some_and(|x| x == "html") {
            let html = std::fs::read_to_string(entry.path()).unwrap();
            let left = html.replace("{{#include ../listings/lib.rs}} stays", "");
            assert!(!left.contains("{{#"), "{}", entry.path().display());
        }
    }
}

/// The broken book, with a file outside it and a symlink leading there.
fn broken() -> (Site, String) {
    let site = Site::fixture("mdbook-includes-broken");
    let outside = site.dir.parent().unwrap().join("outside.txt");
    std::fs::write(&outside, "secret\n").unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(&outside, site.path("src/link-out.txt")).unwrap();
    let real = std::fs::canonicalize(site.dir.parent().unwrap()).unwrap();
    (site, real.display().to_string())
}

#[test]
/// An mdBook book: what mdBook's build goes on past (a file or an anchor
/// that is not there) is a warning; a file outside the repository, or a
/// loop, is an error.
fn missing_files_and_anchors_are_warnings_and_files_outside_the_repository_errors() {
    let (site, tmp) = broken();
    let run = site.run(&["check"]);
    assert_eq!(run.code, 1);
    let shown = run.stderr.replace(&tmp, "TMP");
    let expected = r#"warning: cannot include `missing.rs`: there is no file src/missing.rs
 --> src/page.md:8:1
  |
8 | {{#include missing.rs}}
  | ^^^^^^^^^^^^^^^^^^^^^^^
  = help: mdBook's build goes on past it, and so does envbook's in an mdBook book

warning: there is no anchor `compnent` in `code.rs` (did you mean `component`?)
  --> src/page.md:11:1
   |
11 | {{#include code.rs:compnent}} and {{#rustdoc_include code.rs:nothing}}
   | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
   = help: mdBook's build goes on past it, and so does envbook's in an mdBook book

warning: there is no anchor `nothing` in `code.rs` (its anchors: component, system)
  --> src/page.md:11:35
   |
11 | {{#include code.rs:compnent}} and {{#rustdoc_include code.rs:nothing}}
   |                                   ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
   = help: mdBook's build goes on past it, and so does envbook's in an mdBook book

error: cannot include `../../outside.txt`: TMP/outside.txt is outside the repository that holds the book (TMP/mdbook-includes-broken)
  --> src/page.md:13:1
   |
13 | {{#include ../../outside.txt}}
   | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^

error: cannot include `link-out.txt`: TMP/outside.txt is outside the repository that holds the book (TMP/mdbook-includes-broken)
  --> src/page.md:15:1
   |
15 | {{#include link-out.txt}}
   | ^^^^^^^^^^^^^^^^^^^^^^^^^

error: in src/loop.txt: includes nested more than 10 deep: does a file include itself?
  --> src/page.md:17:1
   |
17 | {{#include loop.txt}}
   | ^^^^^^^^^^^^^^^^^^^^^

warning: `{{#unknown …}}` is not a directive envbook knows: left as written
  --> src/page.md:19:1
   |
19 | {{#unknown thing}} stays.
   | ^^^^^^^^^^^^^^^^^^
   = help: envbook expands `{{#include}}`, `{{#rustdoc_include}}`, `{{#playground}}` and `{{#title}}`; another tool's preprocessor is not run (write `\{{#` for a literal `{{#`)

error: broken link [broken link]: `nowhere.md` is not a page of the site
  --> src/page.md:21:19
   |
21 | After all that, a [broken link](nowhere.md).
   |                   ^^^^^^^^^^^^^^^^^^^^^^^^^

"#;
    // After the warning that the symlink is left out of the site.
    let from = shown
        .find("warning: cannot include `missing.rs`")
        .expect("the first problem");
    let to = shown.find("error: 4 problems found").expect("the count");
    assert_eq!(&shown[from..to], expected);
}

#[test]
fn serve_re_renders_the_pages_that_include_a_changed_file() {
    let site = book();
    let server = Server::start(&site, &[]);
    // The page's text, wherever it is served.
    let page = || {
        let body = server.get(&format!("{}ranges.html", server.base)).body;
        let body = match body.contains("Line two only") {
            true => body,
            false => server.get(&format!("{}ranges/", server.base)).body,
        };
        let html = scraper::Html::parse_document(&body);
        html.root_element().text().collect::<String>()
    };
    wait_for("the first build", || page().contains("use std::fmt;"));
    // A file outside the content folder, in the repository.
    site.write(
        "listings/lib.rs",
        &site
            .read("listings/lib.rs")
            .replace("use std::fmt;", "use std::io;"),
    );
    wait_for("the include to be read again", || {
        page().contains("use std::io;")
    });
    // A file beside the page.
    site.write("src/parts/answer.txt", "43\n");
    wait_for("the prose include to be read again", || {
        page().contains("the answer is 43, as written")
    });
    // A file the page did not include before, in a folder not watched yet.
    site.write("other/new.txt", "brand new\n");
    site.write(
        "src/ranges.md",
        &(site.read("src/ranges.md") + "\n{{#include ../other/new.txt}}\n"),
    );
    wait_for("the new include", || page().contains("brand new"));
    site.write("other/new.txt", "changed again\n");
    wait_for("the new include's change", || {
        page().contains("changed again")
    });
}
