use std::path::Path;

use super::*;

const GOOD: &str = "\
environments:
  - id: dev
    title: Dev
  - id: prod
    title: Prod
sections:
  - id: kubernetes
    title: Kubernetes
    settings:
      - id: app-namespace
        label: App namespace
        values: { dev: tomoda, prod: prod }
      - id: gin-mode
        label: Backend `GIN_MODE`
        values:
          dev: { text: (default) }
          prod: release
      - id: extra-ingress-host
        label: Extra ingress host
        values: { dev: ~, prod: www.tomoda.life }
  - id: shared
    title: Shared between environments
    label-header: Purpose
    format: text
    settings:
      - id: gke-cluster
        label: GKE cluster
        value: gke-tomoda
        note: The GKE cluster and its node pools.
";

fn ok(text: &str) -> Data {
    parse(text, Path::new("data/environments.yaml")).unwrap_or_else(|e| panic!("{e}"))
}

fn err(text: &str) -> String {
    parse(text, Path::new("data/environments.yaml"))
        .expect_err("a problem")
        .to_string()
}

fn code(text: &str) -> Cell {
    Cell::Value {
        text: text.into(),
        format: Format::Code,
    }
}

#[test]
fn reads_the_documented_format() {
    let data = ok(GOOD);
    assert_eq!(data.env_ids().collect::<Vec<_>>(), ["dev", "prod"]);
    assert_eq!(
        data.keys().collect::<Vec<_>>(),
        [
            "kubernetes.app-namespace",
            "kubernetes.gin-mode",
            "kubernetes.extra-ingress-host",
            "shared.gke-cluster"
        ]
    );
    let gin = data.setting("kubernetes.gin-mode").unwrap();
    assert_eq!(gin.label, "Backend `GIN_MODE`");
    assert_eq!(
        gin.cells,
        [
            Cell::Value {
                text: "(default)".into(),
                format: Format::Text
            },
            code("release")
        ]
    );
    assert_eq!(
        data.setting("kubernetes.extra-ingress-host").unwrap().cells,
        [Cell::Empty, code("www.tomoda.life")]
    );
    let gke = data.setting("shared.gke-cluster").unwrap();
    assert_eq!(
        gke.cells,
        vec![
            Cell::Value {
                text: "gke-tomoda".into(),
                format: Format::Text
            };
            2
        ]
    );
    assert_eq!(
        gke.note.as_deref(),
        Some("The GKE cluster and its node pools.")
    );
    assert_eq!(gke.pos, Pos::new(26, 9));
    assert_eq!(data.section("shared").unwrap().label_header, "Purpose");
}

#[test]
fn values_are_the_text_as_written() {
    let data = ok(
        "environments: [{id: a}]\nsections:\n  - id: s\n    settings:\n      - {id: m, label: M, value: 0755}\n      - {id: v, label: V, value: 1.10}\n      - {id: n, label: N, value: NO}\n      - {id: o, label: O, value: on}\n      - {id: z, label: Z, value: 01234}\n",
    );
    let texts: Vec<_> = data.sections[0]
        .settings
        .iter()
        .map(|s| s.cells[0].text().unwrap().to_string())
        .collect();
    assert_eq!(texts, ["0755", "1.10", "NO", "on", "01234"]);
}

#[test]
fn bom_and_crlf_change_nothing() {
    let crlf = format!("\u{feff}{}", GOOD.replace('\n', "\r\n"));
    assert_eq!(ok(&crlf).sections, ok(GOOD).sections);
}

#[test]
fn optional_settings_show_missing_environments_as_empty() {
    let data = ok(
        "environments: [{id: dev}, {id: prod}]\nsections:\n  - id: s\n    settings:\n      - id: x\n        label: X\n        optional: true\n        values: { prod: 1 }\n",
    );
    assert_eq!(data.sections[0].settings[0].cells, [Cell::Empty, code("1")]);
}

#[test]
fn empty_file() {
    assert_eq!(
        err(""),
        "error: the data file is empty\n --> data/environments.yaml:1:1\n  |\n1 | \n  | ^\n  = help: start with `environments:` (items `- id: dev`) and `sections:` (items with an `id` and `settings`)\n"
    );
    assert!(err("# only a comment\n").starts_with("error: the data file is empty"));
}

#[test]
fn unknown_environment_in_values() {
    let e = err(&GOOD.replace("{ dev: tomoda, prod: prod }", "{ dev: tomoda, prd: prod }"));
    assert!(
        e.contains("error: unknown environment `prd`\n  --> data/environments.yaml:12:32\n"),
        "{e}"
    );
    assert!(e.contains("= help: did you mean `prod`?"), "{e}");
}

#[test]
fn duplicate_ids() {
    let e = err(&GOOD.replace("id: gin-mode", "id: app-namespace"));
    assert!(
        e.contains(
            "error: duplicate setting id `app-namespace`\n  --> data/environments.yaml:13:13\n"
        ),
        "{e}"
    );
    assert!(
        e.contains("= help: the first is on line 10; ids must be unique"),
        "{e}"
    );
    let e = err(&GOOD.replace("id: prod\n    title: Prod", "id: dev\n    title: Prod"));
    assert!(
        e.contains("error: duplicate environment id `dev`\n --> data/environments.yaml:4:9\n"),
        "{e}"
    );
}

#[test]
fn value_and_values_together() {
    let e = err(&GOOD.replace(
        "        values: { dev: tomoda, prod: prod }",
        "        value: x\n        values: { dev: tomoda, prod: prod }",
    ));
    assert!(e.contains("error: a setting has `value` (the same everywhere) or `values` (one per environment), not both\n  --> data/environments.yaml:13:9\n"), "{e}");
}

#[test]
fn missing_environment_without_optional() {
    let e = err(&GOOD.replace("{ dev: tomoda, prod: prod }", "{ dev: tomoda }"));
    assert!(
        e.contains("error: `values` has no value for `prod`\n  --> data/environments.yaml:12:9\n"),
        "{e}"
    );
    assert!(
        e.contains("= help: add it (`~` shows as —), or say `optional: true` on the setting"),
        "{e}"
    );
}

#[test]
fn wrong_types() {
    let e = err(&GOOD.replace("{ dev: tomoda, prod: prod }", "[tomoda, prod]"));
    assert!(e.contains("error: `values` should map environments to values (`{ dev: x, prod: y }`), not a list\n  --> data/environments.yaml:12:17\n"), "{e}");
    let e = err(&GOOD.replace("label: App namespace", "label: [App, namespace]"));
    assert!(
        e.contains("error: `label` of this setting should be a single value, not a list"),
        "{e}"
    );
    let e = err(&GOOD.replace("prod: release", "prod: [a, b]"));
    assert!(
        e.contains("error: a value should be a single value, `~`, or `{ text: … }`, not a list"),
        "{e}"
    );
}

#[test]
fn unknown_keys_suggest_the_closest() {
    let e = err(&GOOD.replace("label: App namespace", "lable: App namespace"));
    assert!(
        e.contains("error: unknown key `lable` in a setting\n  --> data/environments.yaml:11:9\n"),
        "{e}"
    );
    assert!(e.contains("= help: did you mean `label`?"), "{e}");
    // The misspelt key is the one problem: no second error for the missing `label`.
    assert_eq!(e.matches("error:").count(), 1, "{e}");
    let e = err(&GOOD.replace("{ text: (default) }", "{ txt: (default) }"));
    assert!(e.contains("error: unknown key `txt` in a value"), "{e}");
    assert!(e.contains("= help: did you mean `text`?"), "{e}");
}

#[test]
fn duplicate_yaml_keys() {
    let e = err(&GOOD.replace(
        "        label: Extra ingress host\n",
        "        label: Extra ingress host\n        label: Again\n",
    ));
    assert!(
        e.contains("error: duplicate key `label`\n  --> data/environments.yaml:20:9\n"),
        "{e}"
    );
}

#[test]
fn every_problem_at_once() {
    let broken = GOOD
        .replace("label: App namespace", "lable: App namespace")
        .replace("prod: release", "prd: release")
        .replace("id: extra-ingress-host", "id: gin-mode");
    let e = err(&broken);
    assert_eq!(e.matches("error:").count(), 3, "{e}");
}

#[test]
fn a_row_per_setting_in_every_environment_stays_within_the_cell_budget() {
    let envs: String = (0..1001).map(|i| format!("  - id: e{i}\n")).collect();
    let settings: String = (0..1000)
        .map(|i| format!("      - {{ id: s{i}, label: S, value: x }}\n"))
        .collect();
    let text = format!("environments:\n{envs}sections:\n  - id: a\n    settings:\n{settings}");
    assert_eq!(
        err(&text),
        "error: 1000 settings in 1001 environments make more than 1000000 cells\n    \
         --> data/environments.yaml:1004:3\n     |\n\
         1004 |   - id: a\n     |   ^^^^^^^\n"
    );
}

#[test]
fn many_unknown_environments_are_reported_with_short_hints() {
    let envs: String = (0..30).map(|i| format!("  - id: env{i}\n")).collect();
    let values: String = (0..30).map(|i| format!("nope{i}: x, ")).collect();
    let text = format!(
        "environments:\n{envs}sections:\n  - id: a\n    settings:\n      - {{ id: s, label: S, values: {{ {values} }} }}\n"
    );
    let problems = parse(&text, Path::new("d.yaml")).unwrap_err();
    assert_eq!(problems.0.len(), 30);
    assert_eq!(
        problems.0[0].help.as_deref(),
        Some(
            "the environments are: env0, env1, env2, env3, env4, env5, env6, env7, env8, env9, … (30 in all)"
        )
    );
}
