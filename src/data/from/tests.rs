use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::data::{Cell, Data, Format, Origin, read};
use crate::sources::{Files, SourceFile, Unread};

/// Configuration files in memory, by path.
struct Fake(HashMap<&'static str, &'static str>);

impl Files for Fake {
    fn read(&self, path: &str) -> Result<Arc<SourceFile>, Unread> {
        let Some(text) = self.0.get(path) else {
            let closest = crate::diagnostic::closest(path, self.0.keys().copied());
            return Err(Unread::Missing {
                closest: closest.map(str::to_string),
            });
        };
        let shown = PathBuf::from(path);
        let (documents, problems) = crate::yaml::parse_documents(text, &shown);
        if problems.has_errors() {
            return Err(Unread::Invalid(problems));
        }
        Ok(Arc::new(SourceFile {
            shown,
            link: Some(format!("https://git.example/site/{path}#L{{line}}")),
            text: (*text).into(),
            documents,
        }))
    }
}

const DEV: &str = "\
postgres:
  persistence:
    size: 10Gi
  resources: {cpu: 500m, memory: 1Gi}
replicas: 1
";

const PROD: &str = "\
# production
postgres:
  persistence:
    size: 20Gi
  resources: {cpu: '2', memory: 4Gi}
replicas: 3
ingress:
  hosts: [tomoda.life, www.tomoda.life]
";

const MANIFEST: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  replicas: 2
---
apiVersion: v1
kind: Service
metadata:
  name: api
spec:
  ports: [{port: 80}]
";

fn files() -> Fake {
    Fake(HashMap::from([
        ("deploy/values-dev.yaml", DEV),
        ("deploy/values-prod.yaml", PROD),
        ("k8s/api.yaml", MANIFEST),
        ("infra/dev.yaml", "region: europe-west1\n"),
        ("infra/prod.yaml", "region: europe-west4\n"),
        ("broken.yaml", "a: 1\na: 2\n"),
    ]))
}

const ENVS: &str = "\
environments:
  - id: dev
    sources: { helm: deploy/values-dev.yaml }
  - id: prod
    sources: { helm: deploy/values-prod.yaml }
sections:
  - id: s
    settings:
";

fn data(settings: &str) -> Result<Data, String> {
    let text = format!("{ENVS}{settings}");
    read(&text, Path::new("data/environments.yaml"), &files()).map_err(|e| e.to_string())
}

fn cells(settings: &str) -> (Vec<Cell>, Vec<Option<Origin>>) {
    let data = data(settings).unwrap_or_else(|e| panic!("{e}"));
    let setting = &data.sections[0].settings[0];
    (setting.cells.clone(), setting.origins.clone())
}

fn code(text: &str) -> Cell {
    Cell::Value {
        text: text.into(),
        format: Format::Code,
    }
}

fn origin(file: &str, line: usize) -> Option<Origin> {
    Some(Origin {
        file: file.into(),
        line,
        link: Some(format!("https://git.example/site/{file}#L{line}")),
    })
}

#[test]
fn each_environment_reads_its_own_file_and_knows_the_line() {
    let (cells, origins) = cells(
        "      - { id: size, label: Size, from: { source: helm, path: postgres.persistence.size } }\n",
    );
    assert_eq!(cells, [code("10Gi"), code("20Gi")]);
    assert_eq!(
        origins,
        [
            origin("deploy/values-dev.yaml", 3),
            origin("deploy/values-prod.yaml", 4)
        ]
    );
}

#[test]
fn a_file_named_per_environment_and_a_document_picked_by_kind_and_name() {
    let (regions, origins) =
        cells("      - { id: r, label: R, from: { file: \"infra/{env}.yaml\", path: region } }\n");
    assert_eq!(regions, [code("europe-west1"), code("europe-west4")]);
    assert_eq!(origins[1], origin("infra/prod.yaml", 1));
    let (ports, _) = cells(
        "      - { id: r, label: R, from: { file: k8s/api.yaml, kind: Service, name: api, path: \"spec.ports[0].port\" } }\n",
    );
    assert_eq!(ports, [code("80"), code("80")]);
}

#[test]
fn collections_show_as_inline_yaml_and_values_override_files() {
    let (cells, origins) = cells(
        "      - id: res\n        label: Resources\n        format: text\n        from: { source: helm, path: postgres.resources }\n        values: { dev: { text: shared } }\n",
    );
    let text = |t: &str| Cell::Value {
        text: t.into(),
        format: Format::Text,
    };
    assert_eq!(cells, [text("shared"), code("{cpu: \"2\", memory: 4Gi}")]);
    assert_eq!(origins[0], None);
    assert_eq!(origins[1], origin("deploy/values-prod.yaml", 5));
}

#[test]
fn optional_lets_an_environment_go_without_but_not_every_one() {
    let (cells, _) = cells(
        "      - { id: h, label: H, optional: true, from: { source: helm, path: ingress.hosts } }\n",
    );
    assert_eq!(cells, [Cell::Empty, code("[tomoda.life, www.tomoda.life]")]);
    let e = data(
        "      - { id: h, label: H, optional: true, from: { source: helm, path: ingres.hosts } }\n",
    )
    .unwrap_err();
    assert_eq!(e.matches("error:").count(), 2, "{e}");
}

#[test]
fn a_path_that_finds_nothing_is_shown_in_both_files() {
    let e = data(
        "      - { id: size, label: Size, from: { source: helm, path: postgres.persistence.sise } }\n",
    )
    .unwrap_err();
    assert_eq!(
        e,
        "\
error: `postgres.persistence.sise` is not in deploy/values-dev.yaml (for `dev`)
 --> data/environments.yaml:9:62
  |
9 |       - { id: size, label: Size, from: { source: helm, path: postgres.persistence.sise } }
  |                                                              ^^^^^^^^^^^^^^^^^^^^^^^^^
  = help: did you mean `postgres.persistence.size`?
note: `postgres.persistence` has no key `sise`
 --> deploy/values-dev.yaml:3:5
  |
3 |     size: 10Gi
  |     ^^^^^^^^^^

error: `postgres.persistence.sise` is not in deploy/values-prod.yaml (for `prod`)
 --> data/environments.yaml:9:62
  |
9 |       - { id: size, label: Size, from: { source: helm, path: postgres.persistence.sise } }
  |                                                              ^^^^^^^^^^^^^^^^^^^^^^^^^
  = help: did you mean `postgres.persistence.size`?
note: `postgres.persistence` has no key `sise`
 --> deploy/values-prod.yaml:4:5
  |
4 |     size: 20Gi
  |     ^^^^^^^^^^
"
    );
}

#[test]
fn every_kind_of_problem_is_named_with_its_place() {
    let e = data(concat!(
        "      - { id: a, label: A, from: { source: helm, path: replicas.x } }\n",
        "      - { id: b, label: B, from: { source: hlem, path: replicas } }\n",
        "      - { id: c, label: C, from: { file: deploy/values-stage.yaml, path: replicas } }\n",
        "      - { id: d, label: D, from: { file: k8s/api.yaml, path: spec.replicas } }\n",
        "      - { id: e, label: E, from: { file: k8s/api.yaml, kind: Deploymnet, path: spec } }\n",
        "      - { id: f, label: F, from: { file: broken.yaml, path: a } }\n",
        "      - { id: g, label: G, from: { source: helm, path: \"a..b\" } }\n",
        "      - { id: h, label: H, value: x, from: { source: helm, path: a } }\n",
        "      - { id: i, label: I, from: { source: helm, file: x.yaml, path: a } }\n",
    ))
    .unwrap_err();
    for expected in [
        "error: `replicas.x` is not in deploy/values-dev.yaml (for `dev`)\n --> data/environments.yaml:9:56\n",
        "note: `replicas` is a single value, not a mapping\n --> deploy/values-dev.yaml:5:11\n",
        "error: the environment `dev` has no source `hlem`\n  --> data/environments.yaml:10:44\n",
        "= help: did you mean `helm`?",
        "error: there is no file deploy/values-stage.yaml (for `dev`, `prod`)\n  --> data/environments.yaml:11:42\n",
        "= help: did you mean `deploy/values-dev.yaml`?",
        "error: k8s/api.yaml holds 2 documents: say which with `kind` and `name` (for `dev`, `prod`)\n  --> data/environments.yaml:12:42\n",
        "= help: the documents are: Deployment/api, Service/api",
        "error: no document of k8s/api.yaml is `Deploymnet` (for `dev`, `prod`)",
        "= help: did you mean `Deployment/api`?",
        "error: duplicate key `a`\n --> broken.yaml:2:1\n",
        "note: read here\n  --> data/environments.yaml:14:42\n",
        "error: this path cannot be read: a key is missing here (this): keys with spaces, dots or brackets go in quotes\n  --> data/environments.yaml:15:59\n",
        "error: a setting has `value` (the same everywhere) or `from` (read from files), not both",
        "error: `from` takes `source` (a name each environment's `sources` gives) or `file`, not both",
    ] {
        assert!(e.contains(expected), "{expected}\nnot in:\n{e}");
    }
    assert_eq!(e.matches("\nerror:").count() + 1, 11, "{e}");
}

mod any_input {
    use proptest::prelude::*;

    use super::*;

    fn from_line() -> impl Strategy<Value = String> {
        let place = prop_oneof![
            Just("source: helm".to_string()),
            Just("source: nope".to_string()),
            Just("file: k8s/api.yaml".to_string()),
            Just("file: \"infra/{env}.yaml\"".to_string()),
            Just("file: broken.yaml".to_string()),
            "[a-z/{}.]{0,12}".prop_map(|f| format!("file: {}", serde_json::json!(f))),
        ];
        let path = prop_oneof![
            "[a-z.\\[\\]0-9\"']{0,24}",
            any::<String>(),
            Just("postgres.persistence.size".to_string()),
            Just("spec.ports[0].port".to_string()),
        ];
        let document = prop_oneof![
            Just(String::new()),
            Just(", kind: Service".to_string()),
            Just(", kind: Deployment, name: api".to_string()),
            "[A-Za-z]{0,8}".prop_map(|k| format!(", kind: {}", serde_json::json!(k))),
        ];
        let extra = prop_oneof![
            Just(String::new()),
            Just(", optional: true".to_string()),
            Just(", values: { dev: x }".to_string()),
            Just(", value: x".to_string()),
        ];
        (place, path, document, extra).prop_map(|(place, path, document, extra)| {
            let path = serde_json::json!(path);
            format!("      - {{ id: x, label: X{extra}, from: {{ {place}, path: {path}{document} }} }}\n")
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Any `from:` gives cells or problems, each at a place in a file.
        #[test]
        fn any_from_gives_cells_or_placed_problems(line in from_line()) {
            let text = format!("{ENVS}{line}");
            match read(&text, Path::new("data/environments.yaml"), &files()) {
                Ok(data) => {
                    let setting = &data.sections[0].settings[0];
                    prop_assert_eq!(setting.cells.len(), 2);
                    prop_assert_eq!(setting.origins.len(), 2);
                }
                Err(problems) => {
                    prop_assert!(!problems.0.is_empty());
                    for d in problems.0.iter().chain(problems.0.iter().flat_map(|d| &d.notes)) {
                        prop_assert!(d.pos.is_some(), "{}", d);
                    }
                }
            }
        }
    }
}
