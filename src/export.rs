//! The environment data as JSON (`environments.json`), for scripts and
//! other tools: one name per setting everywhere (`SECTION.SETTING`).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::data::Data;
use crate::matrix;

#[derive(Serialize)]
struct Export<'a> {
    environments: Vec<Environment<'a>>,
    settings: Vec<Setting<'a>>,
}

#[derive(Serialize)]
struct Environment<'a> {
    id: &'a str,
    title: &'a str,
}

#[derive(Serialize)]
struct Setting<'a> {
    key: &'a str,
    section: &'a str,
    /// Inline markdown, as written.
    label: &'a str,
    note: Option<&'a str>,
    /// The same value in every environment.
    shared: bool,
    /// Environment id → the value as written, or null.
    values: BTreeMap<&'a str, Option<&'a str>>,
    /// Environment id → `file:line` where the value was read, for the
    /// values read from configuration files (`from:`).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    sources: BTreeMap<&'a str, String>,
}

/// `environments.json`, pretty-printed so it diffs well.
pub fn json(data: &Data) -> Vec<u8> {
    let all: Vec<usize> = (0..data.environments.len()).collect();
    let export = Export {
        environments: data
            .environments
            .iter()
            .map(|e| Environment {
                id: &e.id,
                title: &e.title,
            })
            .collect(),
        settings: data
            .sections
            .iter()
            .flat_map(|section| section.settings.iter().map(move |s| (section, s)))
            .map(|(section, s)| Setting {
                key: &s.key,
                section: &section.id,
                label: &s.label,
                note: s.note.as_deref(),
                shared: matrix::is_shared(s, &all),
                values: data
                    .environments
                    .iter()
                    .zip(&s.cells)
                    .map(|(e, c)| (e.id.as_str(), c.text()))
                    .collect(),
                sources: (data.environments.iter().zip(&s.origins))
                    .filter_map(|(e, o)| Some((e.id.as_str(), o.as_ref()?.to_string())))
                    .collect(),
            })
            .collect(),
    };
    let mut json = serde_json::to_vec_pretty(&export).expect("plain data serializes");
    json.push(b'\n');
    json
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    #[test]
    fn every_environment_and_setting_with_its_values() {
        let data = crate::data::parse(
            "environments: [{id: dev, title: Dev}, {id: prod, title: Prod}]\nsections:\n  - id: db\n    settings:\n\
             \x20     - {id: size, label: Size, values: {dev: 10Gi, prod: 20Gi}}\n\
             \x20     - {id: mode, label: Mode, value: '0755', note: Same.}\n\
             \x20     - {id: host, label: Host, values: {dev: ~, prod: x}}\n",
            Path::new("d.yaml"),
        )
        .unwrap();
        insta::assert_snapshot!(String::from_utf8(json(&data)).unwrap(), @r#"
        {
          "environments": [
            {
              "id": "dev",
              "title": "Dev"
            },
            {
              "id": "prod",
              "title": "Prod"
            }
          ],
          "settings": [
            {
              "key": "db.size",
              "section": "db",
              "label": "Size",
              "note": null,
              "shared": false,
              "values": {
                "dev": "10Gi",
                "prod": "20Gi"
              }
            },
            {
              "key": "db.mode",
              "section": "db",
              "label": "Mode",
              "note": "Same.",
              "shared": true,
              "values": {
                "dev": "0755",
                "prod": "0755"
              }
            },
            {
              "key": "db.host",
              "section": "db",
              "label": "Host",
              "note": null,
              "shared": false,
              "values": {
                "dev": null,
                "prod": "x"
              }
            }
          ]
        }
        "#);
    }
}
