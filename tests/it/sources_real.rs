//! The configuration-file parsers on files nobody here wrote: every
//! Cargo.toml, JSON and YAML file of the crates cargo fetched for this build
//! (`$CARGO_HOME/registry/src`). Each is read as the reference parser reads
//! it (toml, serde_json, serde-saphyr), with the same keys at the top; a
//! file we refuse must be one the reference refuses too, or hold a
//! duplicate key (which we report and the reference lets the last win).

use std::path::{Path, PathBuf};

use envbook::sources::formats::{Format, parse};
use envbook::yaml::{Kind, Node};

fn registry_files(ext: &[&str], limit: usize) -> Vec<PathBuf> {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cargo")))
        .expect("a cargo home");
    let walk = walkdir::WalkDir::new(home.join("registry/src")).sort_by_file_name();
    walk.into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .filter(|e| {
            ext.iter()
                .any(|x| e.file_name().to_string_lossy().ends_with(x))
        })
        .map(|e| e.into_path())
        .take(limit)
        .collect()
}

/// The top-level keys of our tree's one document.
fn keys(nodes: &[Node]) -> Vec<String> {
    match nodes.first().map(|n| &n.kind) {
        Some(Kind::Map(pairs)) => {
            let mut keys: Vec<String> = pairs
                .iter()
                .filter_map(|(k, _)| k.scalar())
                .map(String::from)
                .collect();
            keys.sort();
            keys
        }
        _ => Vec::new(),
    }
}

fn check(
    format: Format,
    files: &[PathBuf],
    reference: impl Fn(&str) -> Option<Vec<String>>,
) -> usize {
    let mut read = 0;
    for file in files {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        let ours = parse(format, &text, file);
        match (ours, reference(&text)) {
            (Ok(nodes), Some(mut theirs)) => {
                theirs.sort();
                assert_eq!(keys(&nodes), theirs, "{}", file.display());
                read += 1;
            }
            (Ok(_), None) => {}
            (Err(problems), Some(_)) => assert!(
                problems.to_string().contains("duplicate key"),
                "{}: {problems}",
                file.display()
            ),
            (Err(_), None) => {}
        }
    }
    read
}

#[test]
fn real_toml_json_and_yaml_files_read_as_their_reference_parsers_read_them() {
    let toml = registry_files(&["Cargo.toml"], 600);
    assert!(!toml.is_empty(), "no crate sources under the cargo home");
    let read = check(Format::Toml, &toml, |text| {
        let table: toml::Table = toml::from_str(text).ok()?;
        Some(table.keys().cloned().collect())
    });
    assert!(
        read * 10 >= toml.len() * 9,
        "{read} of {} Cargo.toml files",
        toml.len()
    );
    let json = registry_files(&[".json"], 600);
    let j = check(Format::Json, &json, |text| {
        match serde_json::from_str::<serde_json::Value>(text).ok()? {
            serde_json::Value::Object(map) => Some(map.keys().cloned().collect()),
            _ => Some(Vec::new()),
        }
    });
    let yaml = registry_files(&[".yml", ".yaml"], 300);
    let y = check(Format::Yaml, &yaml, |text| {
        // One document only: several are compared by count elsewhere.
        let value: serde_json::Value = serde_saphyr::from_str(text).ok()?;
        match value {
            serde_json::Value::Object(map) => Some(map.keys().cloned().collect()),
            _ => Some(Vec::new()),
        }
    });
    // Most are read alike (on this machine: 563/563, 591/600, 290/292).
    assert!(j * 10 >= json.len() * 9, "{j} of {} JSON files", json.len());
    assert!(y * 10 >= yaml.len() * 9, "{y} of {} YAML files", yaml.len());
}
