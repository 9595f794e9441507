//! Environment data: generated matrices, environment pages, JSON, get/diff,
//! and every data diagnostic.

use std::path::Path;

use scraper::{ElementRef, Html, Node, Selector};

use crate::support::{Site, copy_dir, run_in};

fn select<'a>(root: ElementRef<'a>, selector: &str) -> Vec<ElementRef<'a>> {
    root.select(&Selector::parse(selector).unwrap()).collect()
}

/// A cell back as the reference writes it: code in backticks, the row link left out.
fn as_markdown(element: ElementRef) -> String {
    let mut out = String::new();
    for child in element.children() {
        match child.value() {
            Node::Text(t) => out.push_str(t),
            Node::Element(e) if e.name() == "code" => {
                let code = ElementRef::wrap(child).unwrap();
                out.push('`');
                out.push_str(&code.text().collect::<String>());
                out.push('`');
            }
            // The row link, and where a value read from a file is written.
            Node::Element(e) if matches!(e.attr("class"), Some("row-link" | "from")) => {}
            Node::Element(_) => out.push_str(&as_markdown(ElementRef::wrap(child).unwrap())),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The tables of a page as rows of markdown cells, header first.
fn generated_tables(html: &str) -> Vec<Vec<Vec<String>>> {
    let doc = Html::parse_document(html);
    select(doc.root_element(), "table.matrix")
        .into_iter()
        .map(|table| {
            select(table, "tr")
                .into_iter()
                .map(|tr| select(tr, "th, td").into_iter().map(as_markdown).collect())
                .collect()
        })
        .collect()
}

/// The reference page's tables, the same way.
fn reference_tables(md: &str) -> Vec<Vec<Vec<String>>> {
    let mut tables: Vec<Vec<Vec<String>>> = Vec::new();
    let mut in_table = false;
    for line in md.lines() {
        if !line.starts_with('|') {
            in_table = false;
            continue;
        }
        if line.starts_with("|---") {
            continue;
        }
        let cells: Vec<String> = line
            .trim_matches('|')
            .split('|')
            .map(|c| c.trim().to_string())
            .collect();
        if !in_table {
            tables.push(Vec::new());
            in_table = true;
        }
        tables.last_mut().unwrap().push(cells);
    }
    tables
}

fn build_example(out: &Path) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let run = run_in(root, &["build", "--output", out.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    std::fs::read_to_string(out.join("environments/index.html")).unwrap()
}

#[test]
fn the_environments_page_reproduces_every_reference_row_from_data() {
    let tmp = tempfile::TempDir::new().unwrap();
    let html = build_example(&tmp.path().join("site"));
    let reference = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference/environments-matrix.md"),
    )
    .unwrap();
    let expected = reference_tables(&reference);
    let actual = generated_tables(&html);
    assert_eq!(expected.len(), 5);
    assert_eq!(actual.len(), expected.len());
    for (want, got) in expected.iter().zip(&actual) {
        assert_eq!(got, want);
    }
}

#[test]
fn the_shared_list_has_every_reference_item() {
    let tmp = tempfile::TempDir::new().unwrap();
    let html = build_example(&tmp.path().join("site"));
    let reference = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference/environments-matrix.md"),
    )
    .unwrap();
    let items: Vec<&str> = reference
        .split("## Shared between environments")
        .nth(1)
        .unwrap()
        .lines()
        .filter_map(|l| l.strip_prefix("- "))
        .collect();
    let doc = Html::parse_document(&html);
    let generated: Vec<String> = select(doc.root_element(), "ul.shared-list > li")
        .into_iter()
        .map(as_markdown)
        .collect();
    assert_eq!(items.len(), 8);
    assert_eq!(generated.len(), items.len(), "{generated:#?}");
    for (want, got) in items.iter().zip(&generated) {
        // Every value the reference shows as code is code in the generated item.
        for code in want.split('`').skip(1).step_by(2) {
            assert!(
                got.contains(&format!("`{code}`")),
                "`{code}` missing from {got:?} (reference: {want:?})"
            );
        }
    }
}

#[test]
fn the_environments_page_has_no_handwritten_table() {
    let page = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("content/environments.md"),
    )
    .unwrap();
    assert!(
        !page.lines().any(|l| l.trim_start().starts_with('|')),
        "a table row in content/environments.md"
    );
    assert_eq!(page.matches("{{ matrix(").count(), 5);
}

#[test]
fn changing_one_value_in_a_deployment_file_changes_exactly_that_cell() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = tempfile::TempDir::new().unwrap();
    let site = tmp.path().join("example");
    for dir in ["content", "data", "examples"] {
        copy_dir(&root.join(dir), &site.join(dir));
    }
    std::fs::copy(root.join("book.toml"), site.join("book.toml")).unwrap();
    assert_eq!(run_in(&site, &["build"]).code, 0);
    let before = generated_tables(
        &std::fs::read_to_string(site.join("site/environments/index.html")).unwrap(),
    );
    // The storage size is read from the CloudNativePG manifest.
    let manifest = site.join("examples/deploy/k8s/prod/postgres.yaml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    assert_eq!(text.matches("20Gi").count(), 1);
    std::fs::write(&manifest, text.replace("20Gi", "25Gi")).unwrap();
    assert_eq!(run_in(&site, &["build"]).code, 0);
    let after = generated_tables(
        &std::fs::read_to_string(site.join("site/environments/index.html")).unwrap(),
    );
    let mut changed = Vec::new();
    for (t, (a, b)) in before.iter().zip(&after).enumerate() {
        for (r, (ra, rb)) in a.iter().zip(b).enumerate() {
            for (c, (ca, cb)) in ra.iter().zip(rb).enumerate() {
                if ca != cb {
                    changed.push((t, r, c, ca.clone(), cb.clone()));
                }
            }
        }
    }
    assert_eq!(
        changed,
        [(1, 5, 2, "`20Gi`".to_string(), "`25Gi`".to_string())]
    );
    assert_eq!(
        run_in(&site, &["get", "prod", "data-plane.storage-size"]).stdout,
        "25Gi\n"
    );
}

#[test]
fn get_prints_one_value() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let run = run_in(root, &["get", "prod", "data-plane.storage-size"]);
    assert_eq!((run.code, run.stdout.as_str()), (0, "20Gi\n"));
    let run = run_in(root, &["get", "dev", "kubernetes.extra-ingress-host"]);
    assert_eq!((run.code, run.stdout.as_str()), (0, "\n"));
    let run = run_in(root, &["get", "prd", "data-plane.storage-size"]);
    assert_eq!(
        (run.code, run.stderr.as_str()),
        (
            1,
            "error: unknown environment `prd` (did you mean `prod`?)\n"
        )
    );
    let run = run_in(root, &["get", "prod", "data-plane.storage"]);
    assert_eq!(
        (run.code, run.stderr.as_str()),
        (
            1,
            "error: unknown key `data-plane.storage` (did you mean `data-plane.storage-size`?)\n"
        )
    );
}

#[test]
fn diff_lists_the_differing_settings_aligned() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let run = run_in(root, &["diff", "dev", "prod"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(
        lines[0].split_whitespace().collect::<Vec<_>>(),
        ["setting", "dev", "prod"]
    );
    let storage = lines
        .iter()
        .find(|l| l.starts_with("data-plane.storage-size "))
        .expect("the storage row");
    assert_eq!(
        storage.split_whitespace().collect::<Vec<_>>(),
        ["data-plane.storage-size", "10Gi", "20Gi"]
    );
    // Columns line up.
    let column = |l: &str| {
        let key_end = l.find(' ').unwrap();
        key_end + l[key_end..].find(|c: char| c != ' ').unwrap()
    };
    assert!(lines.iter().skip(1).all(|l| column(l) == column(lines[1])));
    let data_plane = lines
        .iter()
        .filter(|l| l.starts_with("data-plane."))
        .count();
    assert_eq!(data_plane, 18);
    assert!(!run.stdout.contains("shared."));
}

#[test]
fn a_subset_of_environments_hides_rows_where_only_others_differ() {
    let site = Site::fixture("three-envs");
    site.build();
    let tables = generated_tables(&site.read("site/index.html"));
    let labels = |t: &Vec<Vec<String>>| t.iter().map(|r| r[0].clone()).collect::<Vec<_>>();
    assert_eq!(tables[0][0], ["", "Staging", "Prod"]);
    assert_eq!(labels(&tables[0]), ["", "Host"]);
    assert_eq!(
        labels(&tables[1]),
        ["", "Replicas", "Log level", "Host", "Region"]
    );
    assert_eq!(
        tables[1][4],
        ["Region", "`eu-west-1`", "`eu-west-1`", "`eu-west-1`"]
    );
    let page = site.page("site/index.html");
    assert_eq!(page.texts("ul.shared-list > li"), ["Region: eu-west-1 🔗"]);
    assert_eq!(
        page.inner("article p:last-of-type"),
        "Prod runs <code>3</code> replicas."
    );
}

#[test]
fn each_environment_gets_a_page_with_every_setting() {
    let site = Site::fixture("three-envs");
    site.build();
    let page = site.page("site/environments/staging/index.html");
    insta::assert_snapshot!(page.inner("article.content"));
    assert_eq!(page.texts("title"), ["Staging – three-envs"]);
    let home = site.page("site/index.html");
    assert_eq!(
        home.texts(".sidebar .nav-depth-1 > li > a"),
        ["Environments", "Environments"]
    );
    let env_index = site.page("site/environments/index.html");
    assert_eq!(
        env_index.texts(".sidebar .nav-depth-2 a"),
        ["Dev", "Staging", "Prod"]
    );
}

#[test]
fn environments_json_has_every_setting() {
    let site = Site::fixture("three-envs");
    site.build();
    let json: serde_json::Value =
        serde_json::from_str(&site.read("site/environments.json")).unwrap();
    assert_eq!(json["environments"].as_array().unwrap().len(), 3);
    let settings = json["settings"].as_array().unwrap();
    assert_eq!(settings.len(), 4);
    assert_eq!(settings[0]["key"], "app.replicas");
    assert_eq!(settings[0]["values"]["staging"], "3");
    assert_eq!(settings[0]["shared"], false);
    assert_eq!(settings[3]["shared"], true);
}

#[test]
fn directive_errors_name_the_page_line_and_column() {
    let site = Site::fixture("directive-errors");
    let run = site.run(&["build"]);
    assert_eq!(run.code, 1);
    insta::assert_snapshot!(run.stderr);
}

#[test]
fn directives_are_not_evaluated_in_code_and_escape_with_a_backslash() {
    let site = Site::fixture("three-envs");
    site.write(
        "content/code.md",
        "# Code\n\n`{{ value(key=\"x\") }}`\n\n```yaml\nimage: ${{ github.sha }}\n```\n\n\\{{ literal }}\n",
    );
    site.build();
    let page = site.page("site/code/index.html");
    assert_eq!(page.texts("article p code"), ["{{ value(key=\"x\") }}"]);
    assert_eq!(page.texts("article pre"), ["image: ${{ github.sha }}"]);
    assert_eq!(page.texts("article p:last-of-type"), ["{{ literal }}"]);
}

#[test]
fn values_labels_and_notes_from_data_are_escaped() {
    let site = Site::fixture("escaping");
    site.build();
    let html = site.read("site/index.html");
    let article = html.split("<article").nth(1).unwrap();
    assert!(!article.contains("<script"), "{article}");
    assert!(!article.contains("<img"), "{article}");
    assert!(!article.contains("<b>Dev"), "{article}");
    assert!(!article.contains("javascript:"), "{article}");
    for escaped in [
        "&lt;script&gt;alert('label')&lt;/script&gt;",
        "<code>&lt;script&gt;alert(&#39;value&#39;)&lt;/script&gt;</code>",
        "&lt;img src=x onerror=alert(1)&gt;",
        "&lt;script&gt;alert('note')&lt;/script&gt;",
        "click &lt;script&gt;alert('md')&lt;/script&gt;",
        "&lt;b&gt;Dev&lt;/b&gt;",
        "&lt;i&gt;head&lt;/i&gt;",
    ] {
        assert!(article.contains(escaped), "{escaped} not in {article}");
    }
    let json = site.read("site/environments.json");
    assert!(
        json.contains("\"<script>alert('value')</script>\""),
        "JSON keeps the text as written"
    );
}

#[test]
fn broken_data_files_report_the_exact_place() {
    for name in [
        "data-unknown-env",
        "data-duplicate-env",
        "data-duplicate-section",
        "data-duplicate-setting",
        "data-value-and-values",
        "data-missing-env",
        "data-wrong-type",
        "data-unknown-key",
        "data-duplicate-yaml-key",
        "data-empty",
        "data-from-errors",
    ] {
        let site = Site::fixture(name);
        let run = site.run(&["check"]);
        assert_eq!(run.code, 1, "{name}");
        insta::assert_snapshot!(name, run.stderr);
    }
}

#[test]
fn values_read_from_configuration_files_show_as_written_with_their_place() {
    let site = Site::fixture("data-from-files");
    let run = site.build();
    assert_eq!(run.code, 0, "{}", run.stderr);
    let html = site.read("site/index.html");
    let rows = &generated_tables(&html)[0];
    let expected = [
        ["", "Dev", "Prod"],
        ["Storage size", "`10Gi`", "`20Gi`"],
        [
            "Resources",
            "`{requests: {cpu: 250m, memory: 512Mi}}`",
            "`{requests: {cpu: \"1\", memory: 2Gi}}`",
        ],
        ["Ingress host", "—", "`www.tomoda.life`"],
        ["App label", "`tomoda`", "`tomoda`"],
        ["App label, in brackets", "`tomoda`", "`tomoda`"],
        ["Replicas", "`1`", "`3`"],
        ["Service port", "`8080`", "`8080`"],
        ["Region", "`europe-west1`", "`europe-west4`"],
        ["Node pools", "`e2-standard-2`", "`n2-standard-8`"],
        ["Log level", "`debug`", "`warn`"],
        ["File mode", "`0o755`", "`0o755`"],
        [
            "Feature flags",
            "`[search, exports]`",
            "`[search, exports]`",
        ],
    ];
    assert_eq!(
        rows,
        &expected.map(|r| r.map(String::from).to_vec()).to_vec()
    );
    // Each value read from a file says where, on hover and to a screen
    // reader, and links to the line (book.toml's [data] source-url); the
    // override (`values: { dev: 1 }`) is written in the data file: no mark.
    let page = site.page("site/index.html");
    let titles = page.attrs("#app\\.replicas a.from", "title");
    assert_eq!(titles, ["from deploy/k8s/api.yaml:6"]);
    assert_eq!(
        page.texts("#app\\.region .visually-hidden"),
        [
            "from infra/envs/dev.tfvars:1",
            "from infra/envs/prod.tfvars:2"
        ]
    );
    assert_eq!(
        page.attrs("#app\\.log-level a.from", "href"),
        [
            "https://git.example.com/acme/platform/blob/main/config/dev.env#L1",
            "https://git.example.com/acme/platform/blob/main/config/prod.env#L2"
        ]
    );
    assert!(html.contains("Production stores <code>20Gi</code><a class=\"from\""));
    let json: serde_json::Value =
        serde_json::from_str(&site.read("site/environments.json")).unwrap();
    let replicas = &json["settings"][5];
    assert_eq!(replicas["key"], "app.replicas");
    assert_eq!(
        replicas["values"],
        serde_json::json!({"dev": "1", "prod": "3"})
    );
    assert_eq!(
        replicas["sources"],
        serde_json::json!({"prod": "deploy/k8s/api.yaml:6"})
    );
    let get = |args: &[&str]| site.run(args).stdout;
    assert_eq!(get(&["get", "prod", "app.storage-size"]), "20Gi\n");
    assert_eq!(
        get(&["get", "prod", "app.storage-size", "--source"]),
        "deploy/helm/values-prod.yaml:4\n"
    );
    assert_eq!(get(&["get", "dev", "app.replicas", "--source"]), "");
    let diff = get(&["diff", "dev", "prod"]);
    assert!(diff.contains("app.region"), "{diff}");
    assert!(!diff.contains("app.file-mode"), "{diff}");
}

#[test]
fn a_site_without_a_source_url_marks_the_place_without_a_link() {
    let site = Site::fixture("data-from-files");
    site.write("book.toml", "[book]\ntitle = \"From files\"\n");
    let run = site.build();
    assert_eq!(run.code, 0, "{}", run.stderr);
    let page = site.page("site/index.html");
    assert!(page.attrs("a.from", "href").is_empty());
    assert_eq!(
        page.attrs("#app\\.storage-size span.from", "tabindex"),
        ["0", "0"]
    );
}

#[test]
fn a_file_outside_the_repository_is_never_read() {
    let site = Site::fixture("data-from-files");
    // Beside the site's folder: outside it, and no `.git` above makes the
    // site's folder the repository.
    let outside = site.dir.parent().unwrap().join("secret.yaml");
    std::fs::write(&outside, "postgres: { persistence: { size: 1Ti } }\n").unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(&outside, site.path("deploy/link.yaml")).unwrap();
    let data = site.read("data/environments.yaml");
    site.write(
        "data/environments.yaml",
        &data
            .replace("deploy/helm/values-dev.yaml", "../secret.yaml")
            .replace("deploy/helm/values-prod.yaml", "deploy/link.yaml"),
    );
    let run = site.run(&["check"]);
    assert_eq!(run.code, 1);
    assert!(!run.stderr.contains("1Ti"), "{}", run.stderr);
    for env in ["dev", "prod"] {
        let file = if env == "dev" {
            "../secret.yaml"
        } else {
            "deploy/link.yaml"
        };
        let expected = format!(
            "error: {file} cannot be read (for `{env}`): it is outside the repository that holds the site ("
        );
        assert!(run.stderr.contains(&expected), "{expected}\n{}", run.stderr);
    }
}
