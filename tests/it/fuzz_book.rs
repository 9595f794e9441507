//! Property-based fuzzing of what an mdBook book brings: its book.toml (in
//! either format), its SUMMARY.md, the redirects it asks for, and the print
//! page made from its chapters' HTML. Run longer with
//! `ENVBOOK_FUZZ_SECS=600 cargo test --release --test it fuzz_book -- --nocapture`.

use std::collections::HashMap;
use std::path::Path;

use envbook::config::{Config, Urls};
use envbook::content::{self, Source};
use envbook::nav::{self, SummaryFile};
use envbook::{print, redirects};
use proptest::prelude::*;
use proptest::sample::select;

use crate::fuzz::fuzz;

/// Pieces of a book.toml: tables of both formats, their keys, values of every
/// TOML type (right and wrong for the key), broken syntax.
fn toml_text() -> impl Strategy<Value = String> {
    let table = select(
        &[
            "[book]\n",
            "[build]\n",
            "[output.html]\n",
            "[output.html.redirect]\n",
            "[output.html.code.hidelines]\n",
            "[output.html.search]\n",
            "[preprocessor.x]\n",
            "[rust]\n",
            "[serve]\n",
            "[links]\n",
            "[output.linkcheck]\n",
            "[[book]]\n",
            "[",
        ][..],
    )
    .prop_map(String::from);
    let key = select(
        &[
            "title",
            "src",
            "build-dir",
            "create-missing",
            "extra-watch-dirs",
            "urls",
            "site-url",
            "git-repository-url",
            "edit-url-template",
            "additional-css",
            "additional-js",
            "no-section-label",
            "smart-punctuation",
            "python",
            "\"/a.html\"",
            "\"/a.html#x\"",
            "\"../b.html\"",
            "content",
            "base-url",
            "check",
            "port",
            "edition",
            "language",
            "\"\"",
            "a.b",
        ][..],
    );
    let value = select(
        &[
            "\"x\"",
            "\"/docs/\"",
            "\"//evil/\"",
            "\"html\"",
            "\"pretty\"",
            "\"a.html#b\"",
            "\"../x.css\"",
            "[\"a.css\"]",
            "[1, \"b\"]",
            "true",
            "0",
            "-1",
            "1e400",
            "{ a = 1 }",
            "\"\\u0000\"",
            "'''\n'''",
            "\"{path}\"",
            "[]",
            "\"",
            "1979-05-27",
        ][..],
    );
    let line = prop_oneof![
        3 => (key, value).prop_map(|(k, v)| format!("{k} = {v}\n")),
        1 => table,
        1 => "[ -~]{0,12}\n",
    ];
    prop::collection::vec(line, 0..24).prop_map(|v| v.concat())
}

#[test]
fn book_toml_and_redirects() {
    let pages: HashMap<String, String> = [("a.html", "a.html"), ("index.html", "")]
        .into_iter()
        .map(|(f, u)| (f.to_string(), u.to_string()))
        .collect();
    fuzz(
        "book_toml",
        (toml_text(), any::<bool>()),
        |(text, layout)| {
            let Ok((config, _)) = Config::parse(&text, Path::new("book.toml"), layout) else {
                return;
            };
            config.base_path();
            redirects::resolve(
                &config.html.redirect,
                &redirects::Site {
                    base: &config.base_path(),
                    pages: &pages,
                    config_text: &text,
                    config_file: Path::new("book.toml"),
                },
            );
        },
    );
}

fn summary_text() -> impl Strategy<Value = String> {
    let piece = select(
        &[
            "# Summary\n",
            "# Part\n",
            "---\n",
            "- ",
            "    - ",
            "  * ",
            "1. ",
            "[A](a.md)",
            "[B](b.md#x)",
            "[Draft]()",
            "[C](./c%20d.md)",
            "[`code`](a.md)",
            "[](a.md)",
            "[x](../out.md)",
            "\n",
            "\n\n",
            "[",
            "](",
            ")",
            "<a.md>",
            "\u{a0}",
            "\r\n",
        ][..],
    );
    prop::collection::vec(piece, 0..40).prop_map(|v| v.concat())
}

#[test]
fn summary() {
    let sources: Vec<Source> = ["a.md", "b.md", "c d.md", "README.md"]
        .iter()
        .map(|r| Source {
            rel: r.to_string(),
            text: "# T\n".into(),
            expanded: None,
        })
        .collect();
    let reading = content::Reading {
        dir: Path::new("src"),
        urls: Urls::Html,
        foreign_front_matter: true,
    };
    let (pages, _) = content::pages(&sources, None, &reading);
    let pages: Vec<&content::Page> = pages.iter().collect();
    fuzz(
        "summary",
        (summary_text(), any::<bool>()),
        |(text, missing_is_draft)| {
            let (nav, _) = nav::from_summary(
                &SummaryFile {
                    text: &text,
                    file: Path::new("src/SUMMARY.md"),
                    missing_is_draft,
                },
                &pages,
            );
            let hrefs: Vec<String> = pages.iter().map(|p| format!("/{}", p.url)).collect();
            print::toc(&nav, &hrefs, true);
        },
    );
}

fn chapter_html() -> impl Strategy<Value = String> {
    let piece = select(
        &[
            "<h1 id=\"a\">",
            "</h1>",
            "<h2 id=\"a\">",
            "<h2 id='b'>",
            "<a href=\"/a.html#a\">",
            "<a href=\"/b.html\">",
            "<a href=\"#a\">",
            "<a href=#a>",
            "</a>",
            "<p>",
            "text",
            "<",
            "<h1",
            "id=\"",
            "=\"",
            "\"",
            "'",
            ">",
            "<img src=\"x\" alt='>'>",
            "é",
            "&amp;",
        ][..],
    );
    prop::collection::vec(piece, 0..30).prop_map(|v| v.concat())
}

#[test]
fn print_page() {
    fuzz(
        "print",
        (chapter_html(), chapter_html(), "[ -~]{0,8}"),
        |(one, two, title)| {
            print::print_page(&[
                print::Chapter {
                    href: "/a.html",
                    title: &title,
                    html: &one,
                },
                print::Chapter {
                    href: "/b.html",
                    title: &title,
                    html: &two,
                },
            ]);
        },
    );
}
