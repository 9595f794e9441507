use std::path::Path;

use super::*;

fn data() -> Data {
    crate::data::parse(
        "environments: [{id: dev, title: Dev}, {id: staging, title: Staging}, {id: prod, title: Prod}]\n\
         sections:\n  - id: k\n    title: Kubernetes\n    label-header: Purpose\n    settings:\n\
         \x20     - {id: replicas, label: Replicas, values: {dev: 1, staging: 2, prod: 2}}\n\
         \x20     - {id: region, label: Region, value: eu, note: One region.}\n\
         \x20     - {id: mode, label: 'Backend `GIN_MODE`', values: {dev: {text: (default)}, staging: release, prod: release}}\n\
         \x20     - {id: host, label: Host, values: {dev: ~, staging: b, prod: {markdown: '`c` (main)'}}}\n",
        Path::new("d.yaml"),
    )
    .unwrap()
}

fn call(s: &str) -> Call {
    let (calls, problems) = find(s);
    assert!(problems.is_empty(), "{problems:?}");
    calls.into_iter().next().expect("a directive")
}

fn expand(s: &str, block: bool) -> Result<String, String> {
    let data = data();
    Expander { data: Some(&data) }.expand(&call(s), block, &mut PageScope::default())
}

#[test]
fn finds_directives_outside_code_only() {
    let body = "A {{ value(key=\"k.region\", env=\"dev\") }} b `{{ x }}`\n\n```yaml\nsha: ${{ github.sha }}\n```\n\n    {{ indented }}\n\n\\{{ literal }}\n";
    let (calls, problems) = find(body);
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].name, "value");
    assert_eq!(
        &body[calls[0].range.clone()],
        "{{ value(key=\"k.region\", env=\"dev\") }}"
    );
}

#[test]
fn only_calls_are_directives() {
    // Handlebars and mdBook's `{{#…}}` are text, as in mdBook.
    let body = "Use {{ language }} or {{ .Values.image }}, {{#include a.rs}}, {{#title T}},\n\
                {{ }} {{}} {{ x y() }} {{ {{ value(key=\"k.region\", env=\"dev\") }}\n";
    let (calls, problems) = find(body);
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].name, "value");
    assert_eq!(call("{{\tshared ( ) }}").name, "shared");
}

#[test]
fn braces_in_inline_html_code_are_text() {
    let body = "A <code>{{ x() }}</code> and <CODE class=\"c\">{{ y() }}</CODE>, \
                <pre>{{ z() }}</pre> <code>{{ open() }}\n\n{{ shared() }}\n";
    let (calls, problems) = find(body);
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(
        calls.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
        ["shared"]
    );
    // Other tags do not hide what they hold.
    assert_eq!(
        find("<em>{{ shared() }}</em> <codex>{{ shared() }}")
            .0
            .len(),
        2
    );
}

#[test]
fn parses_arguments() {
    let c = call("{{ matrix(section=\"k\", all=true, envs=[\"staging\", \"prod\"]) }}");
    assert_eq!(
        c.args,
        [
            ("section".to_string(), Arg::Str("k".into())),
            ("all".to_string(), Arg::Bool(true)),
            (
                "envs".to_string(),
                Arg::List(vec!["staging".into(), "prod".into()])
            ),
        ]
    );
    assert_eq!(call("{{shared()}}").args, []);
    assert_eq!(
        call("{{ value(key=\"a\\\"}}b\", env=\"x\") }}").args[0].1,
        Arg::Str("a\"}}b".into())
    );
}

#[test]
fn malformed_directives_are_reported() {
    let message = |s: &str| {
        find(s)
            .1
            .into_iter()
            .next()
            .map(|m| m.message)
            .unwrap_or_default()
    };
    assert_eq!(
        message("{{ matrix(section=\"k\" }}"),
        "`matrix(` is not closed with `)`"
    );
    assert_eq!(
        message("{{ matrix(section=k) }}"),
        "expected a \"string\", true, false or a [list] for `section`"
    );
    assert_eq!(
        message("see {{ value(key=\"x\""),
        "this `{{` has no `}}` on its line (write `\\{{` for a literal `{{`)"
    );
}

#[test]
fn matrix_html() {
    let html = expand("{{ matrix(section=\"k\") }}", true).unwrap();
    insta::assert_snapshot!(html, @r##"
    <div class="matrix-wrap"><table class="matrix" data-section="k">
    <thead><tr><th scope="col">Purpose</th><th scope="col" data-env="dev">Dev</th><th scope="col" data-env="staging">Staging</th><th scope="col" data-env="prod">Prod</th></tr></thead>
    <tbody>
    <tr id="k.replicas"><th scope="row">Replicas <a class="row-link" href="#k.replicas" title="Link to this row" aria-label="Link to this row">🔗</a></th><td class="differs odd"><code>1</code></td><td class="differs"><code>2</code></td><td class="differs"><code>2</code></td></tr>
    <tr id="k.mode"><th scope="row">Backend <code>GIN_MODE</code> <a class="row-link" href="#k.mode" title="Link to this row" aria-label="Link to this row">🔗</a></th><td class="differs odd">(default)</td><td class="differs"><code>release</code></td><td class="differs"><code>release</code></td></tr>
    <tr id="k.host"><th scope="row">Host <a class="row-link" href="#k.host" title="Link to this row" aria-label="Link to this row">🔗</a></th><td class="missing">—</td><td class="differs"><code>b</code></td><td class="differs"><code>c</code> (main)</td></tr>
    </tbody>
    </table></div>
    <p class="matrix-legend"><span class="odd">Marked</span>: differs from most environments.</p>
    "##);
}

#[test]
fn matrix_subsets_and_all() {
    let rows = |s: &str| expand(s, true).unwrap().matches("<tr id=").count();
    // staging and prod differ only in host: rows where only dev differs are hidden.
    assert_eq!(
        rows("{{ matrix(section=\"k\", envs=[\"staging\", \"prod\"]) }}"),
        1
    );
    assert_eq!(rows("{{ matrix(section=\"k\", all=true) }}"), 4);
    let html = expand(
        "{{ matrix(section=\"k\", envs=[\"prod\", \"dev\"]) }}",
        true,
    )
    .unwrap();
    assert!(
        html.contains("<th scope=\"col\" data-env=\"prod\">Prod</th><th scope=\"col\" data-env=\"dev\">Dev</th>"),
        "{html}"
    );
}

#[test]
fn shared_and_value() {
    assert_eq!(
        expand("{{ shared() }}", true).unwrap(),
        "<ul class=\"shared-list\">\n<li id=\"k.region\">Region: <code>eu</code> — One region. <a class=\"row-link\" href=\"#k.region\" title=\"Link to this row\" aria-label=\"Link to this row\">🔗</a></li>\n</ul>\n"
    );
    assert_eq!(
        expand("{{ value(key=\"k.replicas\", env=\"prod\") }}", false).unwrap(),
        "<code>2</code>"
    );
    assert_eq!(
        expand("{{ value(key=\"k.host\", env=\"dev\") }}", false).unwrap(),
        "—"
    );
}

#[test]
fn errors_name_what_is_wrong() {
    let err = |s: &str| expand(s, true).unwrap_err();
    assert_eq!(
        err("{{ matrix(section=\"kube\") }}"),
        "unknown section `kube` (the sections are: k)"
    );
    assert_eq!(
        err("{{ matrix(sectoin=\"k\") }}"),
        "`matrix()` has no argument `sectoin` (did you mean `section`?)"
    );
    assert_eq!(
        err("{{ matrix(section=\"k\", envs=[\"prd\"]) }}"),
        "unknown environment `prd` (did you mean `prod`?)"
    );
    assert_eq!(
        err("{{ value(key=\"k.replica\", env=\"dev\") }}"),
        "unknown key `k.replica` (did you mean `k.replicas`?)"
    );
    assert_eq!(
        err("{{ matrx(section=\"k\") }}"),
        "unknown directive `matrx` (did you mean `matrix`?); the directives are matrix(), shared() and value()"
    );
    assert_eq!(
        expand("{{ matrix(section=\"k\") }}", false).unwrap_err(),
        "`matrix()` makes a block: put it on a line of its own"
    );
    let no_data = Expander { data: None }
        .expand(&call("{{ shared() }}"), true, &mut PageScope::default())
        .unwrap_err();
    assert_eq!(
        no_data,
        "this site has no environment data (data/environments.yaml)"
    );
}

#[test]
fn an_empty_matrix_says_why() {
    let html = expand("{{ matrix(section=\"k\", envs=[\"staging\"]) }}", true).unwrap();
    assert_eq!(
        html,
        "<p class=\"matrix-empty\">One environment, Staging, differs from nothing here: add <code>all=true</code> to list its settings.</p>\n"
    );
    assert!(is_block("matrix") && is_block("shared") && !is_block("value"));
}

/// The old scan from one `{{` to its `}}`, to check the one-pass version against.
fn naive_closing(s: &str) -> Option<usize> {
    let mut in_string = false;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_string => escaped = true,
            '"' => in_string = !in_string,
            '}' if !in_string && s[i..].starts_with("}}") => return Some(i),
            _ => {}
        }
    }
    None
}

proptest::proptest! {
    #[test]
    fn one_pass_closings_match_a_scan_from_each_brace(
        line in proptest::collection::vec(
            proptest::sample::select(&['{', '}', '"', '\\', 'a', ' ', 'é'][..]),
            0..40,
        )
    ) {
        let line: String = line.into_iter().collect();
        let naive: Vec<(usize, Option<usize>)> = (0..line.len())
            .filter(|&i| line.as_bytes()[i..].starts_with(b"{{"))
            .map(|i| (i + 2, naive_closing(&line[i + 2..]).map(|e| i + 2 + e)))
            .collect();
        proptest::prop_assert_eq!(closings(line.as_bytes(), 0), naive);
    }
}

#[test]
fn many_braces_on_one_line_are_each_closed_or_reported() {
    let (calls, problems) = find("{{ a(\" {{ x() }} {{ y() }} {{ b(");
    assert_eq!(
        calls.iter().map(|c| c.range.clone()).collect::<Vec<_>>(),
        [7..16, 17..26]
    );
    assert_eq!(
        problems.iter().map(|p| p.range.clone()).collect::<Vec<_>>(),
        [0..2, 27..29]
    );
}

#[test]
fn the_legend_comes_once_a_page_and_rows_the_same_everywhere_are_muted() {
    let data = data();
    let expander = Expander { data: Some(&data) };
    let mut page = PageScope::default();
    let mut html = String::new();
    for s in [
        "{{ matrix(section=\"k\", all=true) }}",
        "{{ matrix(section=\"k\") }}",
    ] {
        html += &expander.expand(&call(s), true, &mut page).unwrap();
    }
    assert_eq!(html.matches("class=\"matrix-legend\"").count(), 1);
    assert!(
        html.contains("<tr id=\"k.region\" class=\"shared\">"),
        "{html}"
    );
    // One environment: nothing to compare, nothing muted or marked.
    let one = expand(
        "{{ matrix(section=\"k\", envs=[\"dev\"], all=true) }}",
        true,
    )
    .unwrap();
    assert!(
        !one.contains("class=\"shared\"") && !one.contains(" odd"),
        "{one}"
    );
}
