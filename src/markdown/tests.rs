use std::collections::BTreeMap;
use std::path::Path;
use std::sync::LazyLock;

use super::*;

static HIGHLIGHTER: LazyLock<Highlighter> = LazyLock::new(Highlighter::default);

fn render_md(text: &str) -> Rendered {
    render_flavored(text, Flavor::default())
}

/// An mdBook book with mdBook's defaults and `python = "~"`.
fn render_mdbook(text: &str) -> Rendered {
    static HIDELINES: LazyLock<BTreeMap<String, String>> =
        LazyLock::new(|| [("python".to_string(), "~".to_string())].into());
    render_flavored(
        text,
        Flavor {
            mdbook: true,
            smart_punctuation: true,
            definition_lists: true,
            hidelines: Some(&HIDELINES),
            search: false,
        },
    )
}

fn render_flavored(text: &str, flavor: Flavor) -> Rendered {
    let pages: BTreeMap<String, String> = [
        ("runbooks/db-failover.md", "runbooks/db-failover/"),
        ("guides/on-call.md", "guides/on-call/"),
    ]
    .into_iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    render(&Input {
        file: Path::new("content/guides/page.md"),
        text,
        body_start: 0,
        written: None,
        links: LinkContext {
            base: "/docs/",
            page_dir: "guides",
            pages: &pages,
        },
        highlighter: &HIGHLIGHTER,
        expander: &Expander { data: None },
        flavor,
    })
}

#[test]
fn headings_get_ids_permalinks_and_unique_suffixes() {
    let r = render_md(
        "# Title\n\n## Verify\n\n## Verify\n\n### Step 2: `kubectl` it {#custom .wide}\n",
    );
    assert_eq!(
        r.html,
        "<h1 id=\"title\">Title<a class=\"headerlink\" href=\"#title\" title=\"Link to this heading\">¶</a></h1>\n\
         <h2 id=\"verify\">Verify<a class=\"headerlink\" href=\"#verify\" title=\"Link to this heading\">¶</a></h2>\n\
         <h2 id=\"verify-1\">Verify<a class=\"headerlink\" href=\"#verify-1\" title=\"Link to this heading\">¶</a></h2>\n\
         <h3 id=\"custom\" class=\"wide\">Step 2: <code>kubectl</code> it<a class=\"headerlink\" href=\"#custom\" title=\"Link to this heading\">¶</a></h3>\n"
    );
    assert!(r.has_title);
    assert_eq!(
        title("Intro\n\n## Not this\n\n# The `real` *title*\n\n# Later\n").as_deref(),
        Some("The real title")
    );
    assert_eq!(title("```\n# in code\n```\n"), None);
    let ids: Vec<_> = r
        .headings
        .iter()
        .map(|h| (h.level, h.id.as_str()))
        .collect();
    assert_eq!(
        ids,
        [(1, "title"), (2, "verify"), (2, "verify-1"), (3, "custom")]
    );
    assert_eq!(r.headings[3].html, "Step 2: <code>kubectl</code> it");
}

#[test]
fn custom_ids_are_never_taken_by_generated_ones() {
    let r = render_md("## Rollback\n\n## Other {#rollback}\n");
    let ids: Vec<_> = r.headings.iter().map(|h| h.id.as_str()).collect();
    assert_eq!(ids, ["rollback-1", "rollback"]);
}

#[test]
fn duplicate_custom_ids_are_an_error() {
    let r = render_md("## A {#x}\n\n## B {#x}\n");
    assert_eq!(r.diagnostics.len(), 1);
    assert_eq!(
        r.diagnostics[0].to_string(),
        "error: duplicate heading id `x`\n --> content/guides/page.md:3:1\n  |\n3 | ## B {#x}\n  | ^^^^^^^^^\n  = help: each `{#id}` must be unique on its page"
    );
}

#[test]
fn links_are_rewritten_and_recorded() {
    let r = render_md(
        "See [failover](../runbooks/db-failover.md#promote-the-replica), [below](#x), \
         [ext](https://example.com) and ![diagram](img/d.png).\n",
    );
    assert!(
        r.html
            .contains("<a href=\"/docs/runbooks/db-failover/#promote-the-replica\">failover</a>"),
        "{}",
        r.html
    );
    assert!(r.html.contains("<a href=\"#x\">below</a>"));
    assert!(r.html.contains("<a href=\"https://example.com\">ext</a>"));
    assert!(
        r.html
            .contains("<img src=\"/docs/guides/img/d.png\" alt=\"diagram\" />"),
        "{}",
        r.html
    );
    assert_eq!(r.links.len(), 3);
    assert_eq!(r.links[0].text, "failover");
    assert_eq!(r.links[0].span, 4..62);
    assert_eq!(
        r.links[0].target,
        Target::Page {
            url: "runbooks/db-failover/".into(),
            fragment: Some("promote-the-replica".into())
        }
    );
}

#[test]
fn code_blocks_are_highlighted_at_build_time() {
    let r = render_md("```yaml\nname: tomoda\n```\n\n```\n<plain>\n```\n\n    indented\n");
    assert!(
        r.html.starts_with(
            "<pre class=\"code\" data-lang=\"yaml\"><code class=\"language-yaml\"><span class=\"hl-"
        ),
        "{}",
        r.html
    );
    assert!(
        r.html
            .contains("<pre class=\"code\"><code>&lt;plain&gt;\n</code></pre>"),
        "{}",
        r.html
    );
    assert!(
        r.html
            .contains("<pre class=\"code\"><code>indented\n</code></pre>")
    );
}

#[test]
fn unknown_languages_are_escaped_plain_text() {
    let r = render_md("```nosuchlang\n<b>x</b>\n```\n");
    assert_eq!(
        r.html,
        "<pre class=\"code\" data-lang=\"nosuchlang\"><code class=\"language-nosuchlang\">&lt;b&gt;x&lt;/b&gt;\n</code></pre>\n"
    );
}

#[test]
fn alerts_have_a_visible_title() {
    let r = render_md("> [!WARNING]\n> Check the backups first.\n");
    assert_eq!(
        r.html,
        "<div class=\"markdown-alert markdown-alert-warning\">\n<p class=\"markdown-alert-title\">Warning</p>\n<p>Check the backups first.</p>\n</div>\n"
    );
    let plain = render_md("> Just a quote.\n");
    assert_eq!(
        plain.html,
        "<blockquote>\n<p>Just a quote.</p>\n</blockquote>\n"
    );
}

#[test]
fn footnotes_are_numbered_and_listed_at_the_end() {
    let r = render_md("Second[^b] and first[^a].\n\n[^a]: Note A.\n\n[^b]: Note B.\n\nAfter.\n");
    assert_eq!(
        r.html,
        "<p>Second<sup class=\"footnote-ref\"><a href=\"#fn-b\" id=\"fnref-b\">1</a></sup> and first<sup class=\"footnote-ref\"><a href=\"#fn-a\" id=\"fnref-a\">2</a></sup>.</p>\n\
         <p>After.</p>\n\
         <section class=\"footnotes\">\n<ol>\n\
         <li id=\"fn-b\">\n<p>Note B. <a href=\"#fnref-b\" class=\"footnote-backref\" aria-label=\"Back to reference\">↩</a></p>\n</li>\n\
         <li id=\"fn-a\">\n<p>Note A. <a href=\"#fnref-a\" class=\"footnote-backref\" aria-label=\"Back to reference\">↩</a></p>\n</li>\n\
         </ol>\n</section>\n"
    );
}

#[test]
fn task_lists_tables_and_strikethrough() {
    let r = render_md("- [x] done\n- [ ] todo\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n~~old~~\n");
    assert!(
        r.html
            .contains("<li><input disabled=\"\" type=\"checkbox\" checked=\"\"/>\ndone</li>"),
        "{}",
        r.html
    );
    assert!(
        r.html
            .contains("<li><input disabled=\"\" type=\"checkbox\"/>\ntodo</li>")
    );
    assert!(r.html.contains("<table><thead><tr><th>a</th><th>b</th></tr></thead><tbody>\n<tr><td>1</td><td>2</td></tr>\n</tbody></table>"), "{}", r.html);
    assert!(r.html.contains("<del>old</del>"));
}

#[test]
fn body_offset_maps_to_file_lines() {
    let text = "---\ntitle: T\n---\n## A {#x}\n## B {#x}\n";
    let pages = BTreeMap::new();
    let r = render(&Input {
        file: Path::new("p.md"),
        text,
        body_start: 16,
        written: None,
        links: LinkContext {
            base: "/",
            page_dir: "",
            pages: &pages,
        },
        highlighter: &HIGHLIGHTER,
        expander: &Expander { data: None },
        flavor: Flavor::default(),
    });
    assert!(
        r.diagnostics[0].to_string().contains("--> p.md:5:1"),
        "{}",
        r.diagnostics[0]
    );
}

#[test]
fn titles_leave_directives_out() {
    assert_eq!(
        title("# Storage {{ value(key=\"a.b\", env=\"prod\") }}\n").as_deref(),
        Some("Storage")
    );
}

fn data() -> crate::data::Data {
    crate::data::parse(
        "environments: [{id: dev}, {id: prod}]\nsections:\n  - id: k\n    settings:\n\
         \x20     - {id: host, label: Host, values: {dev: a, prod: b}}\n\
         \x20     - {id: region, label: Region, value: eu}\n",
        Path::new("d.yaml"),
    )
    .unwrap()
}

fn render_with_data(text: &str) -> Rendered {
    let data = data();
    let pages = BTreeMap::new();
    render(&Input {
        file: Path::new("p.md"),
        text,
        body_start: 0,
        written: None,
        links: LinkContext {
            base: "/",
            page_dir: "",
            pages: &pages,
        },
        highlighter: &HIGHLIGHTER,
        expander: &Expander { data: Some(&data) },
        flavor: Flavor::default(),
    })
}

#[test]
fn a_block_directive_alone_replaces_its_paragraph() {
    let r = render_with_data("{{ shared() }}\n\n> {{ shared(section=\"k\") }}\n");
    assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
    assert_eq!(
        r.html.matches("<ul class=\"shared-list\">").count(),
        2,
        "{}",
        r.html
    );
    assert!(
        r.html.starts_with("<ul class=\"shared-list\">"),
        "{}",
        r.html
    );
    assert!(!r.html.contains("<p>"), "{}", r.html);
}

#[test]
fn inline_directives_stay_in_their_text() {
    let r = render_with_data(
        "Host *{{ value(key=\"k.host\", env=\"dev\") }}*, {{value(key=\"k.host\",env=\"prod\")}}.\n\n\
         | a | {{ value(key=\"k.region\", env=\"dev\") }} |\n|---|---|\n\n# Title {{ value(key=\"k.host\", env=\"dev\") }}\n",
    );
    assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
    assert!(
        r.html
            .starts_with("<p>Host <em><code>a</code></em>, <code>b</code>.</p>\n"),
        "{}",
        r.html
    );
    assert!(r.html.contains("<th><code>eu</code></th>"), "{}", r.html);
    assert!(
        r.html.contains("<h1 id=\"title\">Title <code>a</code>"),
        "{}",
        r.html
    );
}

#[test]
fn directives_are_known_by_their_place_never_by_their_text() {
    // Page text that looks like the tokens directives are swapped for, or
    // like the placeholders of before, stays as it is.
    let r = render_with_data(
        "<q><qq> \u{E000}0\u{E001} {{ value(key=\"k.host\", env=\"dev\") }} <q><qqqqqqq>\n\n<q><qq>\n",
    );
    assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
    assert_eq!(
        r.html,
        "<p><q><qq> \u{E000}0\u{E001} <code>a</code> <q><qqqqqqq></p>\n<p><q><qq></p>\n"
    );
}

#[test]
fn directives_are_not_evaluated_in_code_or_after_a_backslash() {
    let r = render_with_data(
        "`{{ value(key=\"k.host\", env=\"dev\") }}` \\{{ value(key=\"k.host\", env=\"dev\") }} \
         \\\\{{ value(key=\"k.host\", env=\"dev\") }}\n\n```\n{{ shared() }}\n```\n\n<div>{{ shared() }}</div>\n",
    );
    assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
    assert_eq!(
        r.html,
        "<p><code>{{ value(key=\"k.host\", env=\"dev\") }}</code> {{ value(key=\"k.host\", env=\"dev\") }} \\<code>a</code></p>\n\
         <pre class=\"code\"><code>{{ shared() }}\n</code></pre>\n<div>{{ shared() }}</div>\n"
    );
}

#[test]
fn a_directive_in_a_link_title_is_an_error() {
    let r = render_with_data("[x](y.md \"{{ value(key=\"k.host\", env=\"dev\") }}\")\n");
    let errors: Vec<String> = r.diagnostics.iter().map(|d| d.to_string()).collect();
    assert_eq!(
        errors,
        [
            "error: a directive works in the page's text, not in a link's title\n \
             --> p.md:1:11\n  |\n1 | [x](y.md \"{{ value(key=\"k.host\", env=\"dev\") }}\")\n  |           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^"
        ]
    );
}

#[test]
fn generated_ids_are_unique_on_the_page() {
    let r = render_with_data(
        "{{ matrix(section=\"k\", all=true) }}\n\n{{ shared() }}\n\n## Region {#k.region}\n\n## fn x\n\nA[^x] b[^x] c[^X].\n\n[^x]: One.\n\n[^X]: Two.\n",
    );
    assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
    let ids: Vec<String> = crate::markdown::html_ids(&r.html).collect();
    let unique: std::collections::BTreeSet<&String> = ids.iter().collect();
    assert_eq!(ids.len(), unique.len(), "{ids:?}");
    assert_eq!(
        ids,
        [
            "k.host",
            "k.region",
            "fn-x",
            "fnref-x",
            "fnref-x-2",
            "fnref-x-1",
            "fn-x-1",
            "fn-x-2"
        ]
    );
}

#[test]
fn an_mdbook_book_gets_mdbooks_heading_ids() {
    let r = render_mdbook(
        "# ?\n\n## ?\n\n## A -- B\n\n## A --- B\n\n## \"Quoted\" 'single'...\n\n\
         ## Über  Café\n\n## An ![alt](x.png) image\n\n## Repeat\n\n## Custom {#repeat-1}\n\n## Repeat\n\n\
         <a id=\"raw\"></a>\n\n## Raw\n\nRaw\n: a term, after the headings\n",
    );
    let ids: Vec<_> = r.headings.iter().map(|h| h.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "",
            "-1",
            "a--b",
            "a--b-1",
            "quoted-single",
            "über--café",
            "an--image",
            "repeat",
            "repeat-1",
            "repeat-1",
            "raw",
        ]
    );
    // mdBook writes `id=""`, no anchor: no id at all.
    assert!(
        r.html
            .starts_with("<h1>?<a class=\"headerlink\" href=\"#\" "),
        "{}",
        r.html
    );
    assert!(
        r.html
            .contains("<dt id=\"raw-1\">Raw<a class=\"headerlink\" href=\"#raw-1\""),
        "{}",
        r.html
    );
    // Smart punctuation shows in the text; envbook's own format is unchanged.
    assert!(r.html.contains("A – B<a"), "{}", r.html);
    let ours = render_md("## A -- B\n\n## ?\n\nTerm\n: def\n");
    let ids: Vec<_> = ours.headings.iter().map(|h| h.id.as_str()).collect();
    assert_eq!(ids, ["a----b", "section"]);
    assert!(ours.html.contains("<p>Term\n: def</p>"), "{}", ours.html);
}

#[test]
fn an_mdbook_book_hides_lines_after_highlighting() {
    let r = render_mdbook(
        "```rust,ignore\n# use std::io;\nfn main() {\n    # let x = \"a\\nb\";\n    ## shown\n}\n```\n\n\
         ```python\n~import os\nprint(1)\n```\n\n```toml\n# kept\n```\n",
    );
    let html = &r.html;
    assert!(
        html.starts_with(
            "<pre class=\"code\" data-lang=\"rust\"><code class=\"language-rust ignore\"><span class=\"boring\"><span class=\"hl-"
        ),
        "{html}"
    );
    assert!(!html.contains("# use") && !html.contains("# let"), "{html}");
    assert!(
        html.contains("# shown") && !html.contains("## shown"),
        "{html}"
    );
    assert_eq!(html.matches("<span class=\"boring\">").count(), 3, "{html}");
    assert!(
        html.contains("<code class=\"language-python\"><span class=\"boring\">"),
        "{html}"
    );
    assert!(html.contains("# kept"), "{html}");
    // Every line's HTML stands alone: the spans balance.
    assert_eq!(
        html.matches("<span").count(),
        html.matches("</span>").count()
    );
    // envbook's own format shows every line as written.
    let ours = render_md("```rust,ignore\n# use std::io;\n```\n");
    assert!(!ours.html.contains("boring"), "{}", ours.html);
    assert!(
        ours.html.contains("<code class=\"language-rust\">"),
        "{}",
        ours.html
    );
}

#[test]
fn email_autolinks_are_mailto_links_never_checked() {
    let r = render_md("Mail <help@crates.io> or [us](mailto:a@b.c).\n");
    assert!(
        r.html
            .contains("<a href=\"mailto:help@crates.io\">help@crates.io</a>"),
        "{}",
        r.html
    );
    assert_eq!(r.links[0].target, Target::External);
}
