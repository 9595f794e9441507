//! Code highlighting finishes on every input: the block that made syntect
//! loop forever, and a block that takes tree-sitter minutes, left plain.

use std::time::Duration;

use crate::support::Site;

/// Far above the few seconds these take, far below a hang.
const LIMIT: Duration = Duration::from_secs(20);

#[test]
fn check_finishes_on_the_javascript_block_that_hung_syntect() {
    let site = Site::fixture("highlight-hang");
    let run = site.run_within(&["check"], LIMIT);
    assert_eq!(
        (run.code, run.stdout.as_str(), run.stderr.as_str()),
        (0, ".: 1 page, no problems found\n", "")
    );
}

#[test]
fn build_highlights_each_language_and_escapes_the_rest() {
    let site = Site::fixture("highlight-hang");
    let run = site.run_within(&["build"], LIMIT);
    assert_eq!((run.code, run.stderr.as_str()), (0, ""));
    let page = site.page("site/index.html");
    assert_eq!(
        page.inner("code.language-javascript"),
        "<span class=\"hl-punctuation\">{</span>\n  <span class=\"hl-property\">a</span>: \
         <span class=\"hl-number\">1</span>\n  <span class=\"hl-comment\">/* c */</span>\n"
    );
    for lang in ["bash", "yaml", "sql", "json", "terraform"] {
        let code = page.inner(&format!("code.language-{lang}"));
        assert!(
            code.contains("<span class=\"hl-string\">"),
            "{lang}: {code}"
        );
    }
    assert_eq!(
        page.inner("code.language-text"),
        "&lt;plain&gt; &amp; text\n"
    );
    assert_eq!(
        page.inner("code.language-no-such-language"),
        "&lt;b&gt;x&lt;/b&gt;\n"
    );
    let css = site.read("site/static/highlight.css");
    assert!(css.contains(".hl-comment {"), "{css}");
    assert!(
        css.contains("@media (prefers-color-scheme: dark) {"),
        "{css}"
    );
}

/// 200,000 `(` as JavaScript: tree-sitter's query takes minutes on it
/// (0.8 s for 20,000, 11.7 s for 80,000), so it runs out of time.
#[test]
fn a_block_that_takes_minutes_to_highlight_is_left_plain() {
    let site = Site::fixture("highlight-hang");
    let parens = "(".repeat(200_000);
    site.write(
        "content/slow.md",
        &format!("# Slow\n\n```javascript\n{parens}\n```\n"),
    );
    let run = site.run_within(&["build"], LIMIT);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.starts_with(
            "warning: code block left plain: highlighting it as javascript took too long\n --> content/slow.md:3:1\n"
        ),
        "{}",
        run.stderr
    );
    assert_eq!(
        site.page("site/slow/index.html")
            .inner("code.language-javascript"),
        format!("{parens}\n")
    );
}

#[test]
fn characters_that_crashed_the_bash_scanner_build() {
    let site = Site::fixture("highlight-hang");
    site.write(
        "content/index.md",
        "# Shell\n\n```sh\necho {\u{E0187} {\u{10FFFF}\n```\n",
    );
    let run = site.run_within(&["build"], LIMIT);
    assert_eq!((run.code, run.stderr.as_str()), (0, ""));
    assert!(
        site.read("site/index.html").contains("\u{E0187}"),
        "the character is kept"
    );
}
