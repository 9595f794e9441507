use std::collections::HashMap;

use super::*;

const FILE: &str = "// ANCHOR: all\nfn a() {}\n// ANCHOR: inner\nfn b() {}\n// ANCHOR_END: inner\n// ANCHOR_END: all\nlast\n";

/// Expands `page` (in folder `src`) with `files` as the only readable files.
fn run(page: &str, files: &[(&str, &str)]) -> Option<Expansion> {
    run_as(page, files, false)
}

/// [`run`], in an mdBook book or not.
fn run_as(page: &str, files: &[(&str, &str)], as_mdbook: bool) -> Option<Expansion> {
    let files: HashMap<PathBuf, Arc<str>> = files
        .iter()
        .map(|(p, t)| (PathBuf::from(p), Arc::from(*t)))
        .collect();
    let load = |p: &Path| {
        files.get(p).cloned().ok_or_else(|| Unreadable {
            why: "no such file".to_string(),
            missing: !p.ends_with("refused.rs"),
        })
    };
    expand(&Input {
        file: Path::new("src/page.md"),
        text: page,
        body_start: 0,
        dir: Path::new("src"),
        load: &load,
        as_mdbook,
    })
}

fn text(page: &str, files: &[(&str, &str)]) -> String {
    let e = run(page, files).expect("expanded");
    assert_eq!(e.diagnostics, [], "{page}");
    e.text.to_string()
}

#[test]
fn ranges_and_anchors_take_the_lines_mdbook_takes() {
    let f = &[("src/f.rs", FILE)];
    assert_eq!(text("{{#include f.rs:2}}", f), "fn a() {}");
    assert_eq!(text("{{#include f.rs::2}}", f), "// ANCHOR: all\nfn a() {}");
    assert_eq!(text("{{#include f.rs:6:}}", f), "// ANCHOR_END: all\nlast");
    assert_eq!(
        text("{{#include f.rs:2:4}}", f),
        "fn a() {}\n// ANCHOR: inner\nfn b() {}"
    );
    assert_eq!(text("{{#include f.rs:all}}", f), "fn a() {}\nfn b() {}");
    assert_eq!(text("{{#include f.rs:inner}}", f), "fn b() {}");
    assert_eq!(text("{{#include f.rs:0:0}}", f), "");
    assert_eq!(text("{{#include f.rs:90}}", f), "");
    assert_eq!(
        text("{{#include f.rs}}\nafter", f),
        FILE.trim_end().to_string() + "\nafter"
    );
}

#[test]
fn rustdoc_include_hides_the_other_lines() {
    let f = &[("src/f.rs", FILE)];
    assert_eq!(
        text("{{#rustdoc_include f.rs:inner}}", f),
        "# fn a() {}\nfn b() {}\n# last"
    );
    assert_eq!(
        text("{{#rustdoc_include f.rs:2}}", f),
        "# // ANCHOR: all\nfn a() {}\n# // ANCHOR: inner\n# fn b() {}\n# // ANCHOR_END: inner\n# // ANCHOR_END: all\n# last"
    );
}

#[test]
fn playground_title_and_escapes() {
    let f = &[("src/f.rs", "fn main() {}")];
    assert_eq!(
        text("{{#playground f.rs editable no_run}}\nx", f),
        "```rust,editable,no_run\nfn main() {}\n```\nx"
    );
    let e = run("# A\n{{#title The A page}}\n", f).unwrap();
    assert_eq!(
        (&*e.text, e.title.as_deref()),
        ("# A\n\n", Some("The A page"))
    );
    assert_eq!(
        text("\\{{#include f.rs}} and {{#include f.rs}}", f),
        "{{#include f.rs}} and {{#include f.rs}}"
    );
}

#[test]
fn included_markdown_is_expanded_from_its_own_folder_with_the_line_prefix() {
    let f = &[
        ("src/a/part.md", "one\n{{#include ../b/x.txt}}\n"),
        ("src/a/../b/x.txt", "x1\nx2\n"),
    ];
    assert_eq!(text("- {{#include a/part.md}}\n", f), "- one\n- x1\n- x2\n");
}

#[test]
fn problems_point_at_the_page_and_leave_the_directive() {
    let f = &[("src/f.rs", FILE), ("src/loop.md", "{{#include loop.md}}")];
    let page =
        "x\n{{#include nope.rs}} {{#include f.rs:innr}}\n{{#include loop.md}} {{#foo bar}}\n";
    let e = run(page, f).unwrap();
    let shown: Vec<String> = e.diagnostics.iter().map(|d| d.to_string()).collect();
    assert_eq!(
        shown,
        [
            "error: cannot include `nope.rs`: no such file\n --> src/page.md:2:1\n  |\n2 | {{#include nope.rs}} {{#include f.rs:innr}}\n  | ^^^^^^^^^^^^^^^^^^^^",
            "error: there is no anchor `innr` in `f.rs` (did you mean `inner`?)\n --> src/page.md:2:22\n  |\n2 | {{#include nope.rs}} {{#include f.rs:innr}}\n  |                      ^^^^^^^^^^^^^^^^^^^^^^",
            "error: in src/loop.md: includes nested more than 10 deep: does a file include itself?\n --> src/page.md:3:1\n  |\n3 | {{#include loop.md}} {{#foo bar}}\n  | ^^^^^^^^^^^^^^^^^^^^",
            "warning: `{{#foo …}}` is not a directive envbook knows: left as written\n --> src/page.md:3:22\n  |\n3 | {{#include loop.md}} {{#foo bar}}\n  |                      ^^^^^^^^^^^^\n  = help: envbook expands `{{#include}}`, `{{#rustdoc_include}}`, `{{#playground}}` and `{{#title}}`; another tool's preprocessor is not run (write `\\{{#` for a literal `{{#`)",
        ]
    );
    assert_eq!(
        &*e.text,
        "x\n{{#include nope.rs}} {{#include f.rs:innr}}\n {{#foo bar}}\n"
    );
}

#[test]
fn splices_lead_back_to_the_directive() {
    let page = "ab {{#include f.rs}} cd\n";
    let e = run(page, &[("src/f.rs", "1\n2\n3\n")]).unwrap();
    assert_eq!(&*e.text, "ab 1\nab 2\nab 3 cd\n");
    // Before, inside, and after the included text.
    assert_eq!(e.splices.original(0..2), 0..2);
    assert_eq!(e.splices.original(5..9), 3..20);
    assert_eq!(e.splices.original(14..16), 20..22);
    assert_eq!(e.files, [PathBuf::from("src/f.rs")]);
}

#[test]
fn pages_without_directives_are_left_alone() {
    assert!(run("# A\n{{ matrix() }} {{#toc}}{{/toc}}\n", &[]).is_none());
}

#[test]
fn files_that_include_each_other_many_times_stop_growing() {
    let twice = "{{#include a}}{{#include b}}{{#include a}}{{#include b}}";
    let e = run("{{#include a}}", &[("src/a", twice), ("src/b", twice)]).unwrap();
    let shown: Vec<&str> = e.diagnostics.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(
        shown,
        [
            "in src/a: includes nested more than 10 deep: does a file include itself?",
            "in src/b: includes nested more than 10 deep: does a file include itself?",
            "in src/a: more than 1000 files included into one page: does a file include itself?",
            "in src/b: more than 1000 files included into one page: does a file include itself?",
        ]
    );
    assert!(e.text.len() < 100_000);
}

#[test]
fn a_page_stops_growing_at_its_byte_budget() {
    let big = "x".repeat(5 << 20);
    let five = "{{#include big}}{{#include big}}{{#include big}}{{#include big}}{{#include big}}";
    let e = run(
        "{{#include five}}{{#include five}}",
        &[("src/five", five), ("src/big", &big)],
    )
    .unwrap();
    let shown: Vec<&str> = e.diagnostics.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(
        shown,
        ["in src/five: more than 32 MiB included into one page: does a file include itself?"]
    );
    assert!(e.text.len() <= 32 << 20, "{}", e.text.len());
}

#[test]
fn in_an_mdbook_book_a_missing_file_or_anchor_is_a_warning_and_the_page_mdbook_s() {
    let f = &[("src/f.rs", FILE)];
    let page = "a {{#include nope.rs}} b {{#include f.rs:innr}} c {{#include refused.rs}}";
    let e = run_as(page, f, true).expect("expanded");
    // As mdBook: the missing file's directive stays, the missing anchor's
    // lines are none; a file refused (not missing) is still an error.
    assert_eq!(
        e.text.as_ref(),
        "a {{#include nope.rs}} b  c {{#include refused.rs}}"
    );
    let said: Vec<String> = e.diagnostics.iter().map(|d| d.to_string()).collect();
    assert_eq!(said.len(), 3, "{said:#?}");
    assert!(
        said[0].starts_with("warning: cannot include `nope.rs`: no such file\n"),
        "{}",
        said[0]
    );
    assert!(
        said[0].ends_with(
            "= help: mdBook's build goes on past it, and so does envbook's in an mdBook book"
        ),
        "{}",
        said[0]
    );
    assert!(
        said[1]
            .starts_with("warning: there is no anchor `innr` in `f.rs` (did you mean `inner`?)\n"),
        "{}",
        said[1]
    );
    assert!(
        said[2].starts_with("error: cannot include `refused.rs`: no such file\n"),
        "{}",
        said[2]
    );
    // In envbook's own format, both are errors.
    let e = run_as(page, f, false).expect("expanded");
    assert!(
        e.diagnostics
            .iter()
            .all(|d| d.to_string().starts_with("error:"))
    );
    assert_eq!(e.text.as_ref(), page);
}
