//! Hostile input: no panic, no hang, memory and time linear in the input,
//! and ids and links that stay right when a page has problems.
//!
//! The timing bounds are generous (far above the expected fraction of a
//! second) so that a loaded machine never fails them; they catch a hang or a
//! quadratic blow-up, which took from seconds to minutes here.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::support::{Run, Site, wait_within};

fn site() -> Site {
    Site::fixture("robust-site")
}

/// Runs `envbook ARGS` in `site` and fails the test if it takes longer than
/// `limit` (killing it, so a hang cannot stall the suite) or needs more than
/// 1 GiB of address space (so runaway memory fails fast instead of taking
/// the machine down; glibc is held to two malloc arenas so the limit does
/// not depend on the number of cores).
fn run_within(site: &Site, args: &[&str], limit: Duration) -> Run {
    let child = Command::new("sh")
        .arg("-c")
        .arg("ulimit -v 1048576 && exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_envbook"))
        .args(args)
        .current_dir(&site.dir)
        .env("MALLOC_ARENA_MAX", "2")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_within(child, limit)
}

const TEN_SECONDS: Duration = Duration::from_secs(10);

#[test]
fn multibyte_spaces_in_directive_arguments_are_white_space() {
    let site = site();
    site.write(
        "content/index.md",
        "# Home\n\nDev: {{ value(key=\"app.region\",\u{a0}env=\"dev\") }}.\n\n\
         Prod: {{\u{3000}value(key=\"app.host\",\u{3000}env=\"prod\")\u{a0}}}.\n",
    );
    let run = site.run(&["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        site.page("site/index.html").texts("article p"),
        ["Dev: eu-west-1.", "Prod: example.com."]
    );
}

#[test]
fn private_use_characters_cannot_pose_as_directives() {
    let site = site();
    // The old placeholders were U+E000, an index and U+E001.
    site.write(
        "content/index.md",
        "# Home\n\n\u{E000}5\u{E001} {{ value(key=\"app.host\", env=\"dev\") }} \u{E000}0x\u{E001}\n\n\
         {{ shared() }}\n\n\u{E000}0\u{E001}\n",
    );
    let run = site.run(&["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let page = site.page("site/index.html");
    assert_eq!(
        page.texts("article p"),
        [
            "\u{E000}5\u{E001} dev.example.com \u{E000}0x\u{E001}",
            "\u{E000}0\u{E001}"
        ]
    );
    assert_eq!(page.texts("article .shared-list li").len(), 1);
}

/// Nine levels of ten aliases each: a billion values once copied.
fn alias_bomb(indent: &str) -> String {
    let mut yaml = format!("{indent}a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    for (prev, name) in "abcdefgh".chars().zip("bcdefghi".chars()) {
        let items = vec![format!("*{prev}"); 10].join(", ");
        writeln!(yaml, "{indent}{name}: &{name} [{items}]").unwrap();
    }
    yaml
}

#[test]
fn a_yaml_alias_bomb_in_the_data_file_is_refused_at_the_alias() {
    let site = site();
    site.write(
        "data/environments.yaml",
        &format!(
            "environments: [{{ id: dev }}]\nsections: []\nbomb:\n{}",
            alias_bomb("  ")
        ),
    );
    let run = run_within(&site, &["check"], TEN_SECONDS);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        run.stderr,
        "error: this YAML is too large: more than 250000 values once aliases are copied\n \
         --> data/environments.yaml:9:10\n  |\n\
         9 |   f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n  |          ^^\n  \
         = help: an alias (`*name`) copies what its anchor (`&name`) names, so a few nested ones can ask for billions of values\n\n\
         error: 1 problem found\n"
    );
}

#[test]
fn a_yaml_alias_bomb_in_front_matter_is_refused_the_same_way() {
    let site = site();
    site.write(
        "content/index.md",
        &format!("---\nextra:\n{}---\n# Home\n", alias_bomb("  ")),
    );
    let run = run_within(&site, &["check"], TEN_SECONDS);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.starts_with(
            "error: front matter: this YAML is too large: more than 250000 values once aliases are copied\n"
        ),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.ends_with("\nerror: 1 problem found\n"),
        "{}",
        run.stderr
    );
}

#[test]
fn yaml_nested_past_the_budget_is_refused_in_data_and_front_matter() {
    let site = site();
    let deep = format!("{}1{}", "[".repeat(70), "]".repeat(70));
    let data = site.read("data/environments.yaml");
    site.write("data/environments.yaml", &format!("{data}deep: {deep}\n"));
    let run = run_within(&site, &["check"], TEN_SECONDS);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.starts_with(&format!(
            "error: this YAML is nested more than 64 levels deep\n  --> data/environments.yaml:20:70\n   |\n20 | deep: {}",
            "[".repeat(64)
        )),
        "{}",
        run.stderr
    );
    site.write("data/environments.yaml", &data);
    site.write(
        "content/index.md",
        &format!("---\nextra:\n  deep: {deep}\n---\n# Home\n"),
    );
    let run = run_within(&site, &["check"], TEN_SECONDS);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .starts_with("error: front matter: this YAML is nested more than 64 levels deep\n"),
        "{}",
        run.stderr
    );
}

#[test]
fn twenty_thousand_unterminated_directives_are_reported_in_linear_time() {
    let site = site();
    let mut lines = String::from("# Lines\n\n");
    let mut one_line = String::from("# One line\n\n");
    for i in 0..10_000 {
        writeln!(lines, "a {{{{ b( {i}\n").unwrap();
        write!(one_line, "a {{{{ b(\" {i} ").unwrap();
    }
    site.write("content/lines.md", &lines);
    site.write("content/one-line.md", &one_line);
    let run = run_within(&site, &["check"], TEN_SECONDS);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr
            .matches("error: this `{{` has no `}}` on its line (write `\\{{` for a literal `{{`)\n")
            .count(),
        20_000
    );
    assert!(run.stderr.ends_with("\nerror: 20000 problems found\n"));
}

#[test]
fn twenty_thousand_broken_links_are_reported_in_linear_time_and_memory() {
    let site = site();
    let mut one_line = String::from("# One line\n\n");
    let mut lines = String::from("# Lines\n\n");
    for i in 0..10_000 {
        write!(one_line, "[x](#nope-{i}) ").unwrap();
        writeln!(lines, "- [x](nope-{i}.md)").unwrap();
    }
    site.write("content/one-line.md", &one_line);
    site.write("content/lines.md", &lines);
    let run = run_within(&site, &["check"], TEN_SECONDS);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr.matches("error: broken link [x]: ").count(),
        20_000
    );
    assert!(run.stderr.ends_with("\nerror: 20000 problems found\n"));
}

#[test]
fn twenty_thousand_identical_headings_get_their_ids_in_linear_time() {
    let site = site();
    site.write("content/index.md", &"## Same\n\n".repeat(20_000));
    let run = run_within(&site, &["build"], TEN_SECONDS);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let ids = site.page("site/index.html").attrs("article h2", "id");
    assert_eq!(ids.len(), 20_000);
    assert_eq!(
        [&ids[0], &ids[1], &ids[19_999]],
        ["same", "same-1", "same-19999"]
    );
}

#[test]
fn a_bad_directive_does_not_hide_the_anchors_of_its_page() {
    let site = site();
    site.write("content/a.md", "# A\n\n{{ nope() }}\n\n## Target\n");
    site.write(
        "content/index.md",
        "# Home\n\n[the target](a.md#target), [its main column](a.md#envbook-main)\n",
    );
    let run = site.run(&["check"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr,
        "error: unknown directive `nope`; the directives are matrix(), shared() and value()\n \
         --> content/a.md:3:1\n  |\n3 | {{ nope() }}\n  | ^^^^^^^^^^^^\n\nerror: 1 problem found\n"
    );
}

#[test]
fn a_page_never_has_two_elements_with_one_id() {
    let site = site();
    // Rows in three tables, a heading that takes a row's key, footnote names
    // that make the same id, and a heading whose slug is a footnote's id.
    site.write(
        "content/index.md",
        "# Home\n\n{{ matrix(section=\"app\") }}\n\n{{ matrix(section=\"app\", all=true) }}\n\n\
         {{ shared() }}\n\n## Replicas {#app.replicas}\n\n## fn a-b\n\n\
         A note.[^a.b] Another.[^a-b] Again.[^a.b]\n\n[^a.b]: One.\n\n[^a-b]: Two.\n",
    );
    let run = site.run(&["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let page = site.page("site/index.html");
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for id in page.attrs("[id]", "id") {
        *counts.entry(id).or_default() += 1;
    }
    let repeated: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    assert!(repeated.is_empty(), "{repeated:?}");
    // The first table keeps a row's id; later ones link to it.
    assert_eq!(
        page.attrs("article table.matrix tr", "id"),
        ["app.host", "app.region"]
    );
    assert_eq!(
        page.attrs("article table.matrix a.row-link", "href"),
        [
            "#app.replicas",
            "#app.host",
            "#app.replicas",
            "#app.host",
            "#app.region"
        ]
    );
    assert_eq!(page.attrs("article .shared-list li", "id"), [""; 0]);
    assert_eq!(
        page.attrs("article .shared-list a.row-link", "href"),
        ["#app.region"]
    );
    assert_eq!(page.attrs("article h2", "id"), ["app.replicas", "fn-a-b"]);
    // Each footnote reference leads to its own note, and back.
    let refs = page.attrs("article .footnote-ref a", "href");
    let notes = page.attrs("article .footnotes li", "id");
    assert_eq!(refs.len(), 3);
    assert_eq!(notes.len(), 2);
    assert_ne!(notes[0], notes[1]);
    assert_eq!(
        refs,
        [
            format!("#{}", notes[0]),
            format!("#{}", notes[1]),
            format!("#{}", notes[0])
        ]
    );
    let back = page.attrs("article .footnotes a.footnote-backref", "href");
    let ref_ids = page.attrs("article .footnote-ref a", "id");
    assert_eq!(
        back,
        [format!("#{}", ref_ids[0]), format!("#{}", ref_ids[1])]
    );
    let run = site.run(&["check"]);
    assert_eq!((run.code, run.stderr.as_str()), (0, ""));
}

#[test]
fn links_with_an_encoded_or_literal_space_reach_the_page() {
    let site = site();
    site.write("content/my page.md", "# My page\n\n## Part\n");
    site.write(
        "content/index.md",
        "# Home\n\n[a](my%20page.md) [b](<my page.md>) [c](my%20page.md#part) [d](<my page.md#part>)\n",
    );
    let run = site.run(&["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        site.page("site/index.html").attrs("article p a", "href"),
        [
            "/my%20page/",
            "/my%20page/",
            "/my%20page/#part",
            "/my%20page/#part"
        ]
    );
    assert!(site.path("site/my page/index.html").is_file());
}
