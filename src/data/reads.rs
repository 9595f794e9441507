//! Which pages a data edit changes: what each page reads of the data (by
//! its directives), and what changed between two reads of the data file,
//! down to the section and environment. A value read from a Helm file for
//! `prod` changes the pages that show `prod`'s cells of its section, not
//! `dev`'s environment page, nor a page without directives.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::{Data, Section};

/// What a page reads of the data.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reads {
    /// All of it (a list of every shared setting; a directive with problems).
    pub all: bool,
    /// Sections, each with the environments whose cells it shows (`None`: every one).
    pub sections: Vec<(String, Option<Vec<String>>)>,
}

impl Reads {
    pub fn any(&self) -> bool {
        self.all || !self.sections.is_empty()
    }
}

/// What differs between two versions of the data.
#[derive(Debug, Default, PartialEq)]
pub struct Changes {
    all: bool,
    /// Section id → the environments whose cells changed (`None`: the
    /// section itself, a label, a setting added…).
    sections: HashMap<String, Option<HashSet<String>>>,
}

impl Changes {
    /// Between `old` and `new` (`None`: no data).
    pub fn between(old: Option<&Data>, new: Option<&Data>) -> Changes {
        let (Some(old), Some(new)) = (old, new) else {
            return Changes {
                all: old != new,
                ..Changes::default()
            };
        };
        if environments(old) != environments(new) {
            return Changes {
                all: true,
                ..Changes::default()
            };
        }
        let ids: HashSet<&str> = (old.sections.iter().chain(&new.sections))
            .map(|s| s.id.as_str())
            .collect();
        let sections = ids
            .into_iter()
            .filter_map(|id| {
                let changed = section_changes(old.section(id), new.section(id), old)?;
                Some((id.to_string(), changed))
            })
            .collect();
        Changes {
            all: false,
            sections,
        }
    }

    pub fn is_empty(&self) -> bool {
        !self.all && self.sections.is_empty()
    }

    /// Whether a page that reads `reads` shows something that changed.
    pub fn touch(&self, reads: &Reads) -> bool {
        if self.all && reads.any() || reads.all && !self.is_empty() {
            return true;
        }
        reads
            .sections
            .iter()
            .any(|(id, envs)| match self.sections.get(id) {
                None => false,
                Some(None) => true,
                Some(Some(changed)) => envs
                    .as_ref()
                    .is_none_or(|envs| envs.iter().any(|e| changed.contains(e))),
            })
    }
}

/// What changed in a section: `None` for nothing, `Some(None)` for all of
/// it, else the environments whose cells (or their places) changed.
fn section_changes(
    old: Option<&Section>,
    new: Option<&Section>,
    data: &Data,
) -> Option<Option<HashSet<String>>> {
    let (old, new) = match (old, new) {
        (Some(a), Some(b)) if a == b => return None,
        (Some(a), Some(b)) => (a, b),
        _ => return Some(None),
    };
    if outline(old) != outline(new) {
        return Some(None);
    }
    let changed = data.environments.iter().enumerate().filter(|&(e, _)| {
        old.settings
            .iter()
            .zip(&new.settings)
            .any(|(a, b)| a.cells.get(e) != b.cells.get(e) || a.origins.get(e) != b.origins.get(e))
    });
    Some(Some(changed.map(|(_, env)| env.id.clone()).collect()))
}

/// The environments as pages show them: ids and titles, in order.
fn environments(data: &Data) -> Vec<(&str, &str)> {
    let envs = data.environments.iter();
    envs.map(|e| (e.id.as_str(), e.title.as_str())).collect()
}

type Outline<'a> = (&'a str, &'a str, Vec<(&'a str, &'a str, Option<&'a str>)>);

/// A section without its cells: titles, and each setting's key, label and note.
fn outline(s: &Section) -> Outline<'_> {
    let settings = s.settings.iter();
    let settings = settings.map(|t| (t.key.as_str(), t.label.as_str(), t.note.as_deref()));
    (&s.title, &s.label_header, settings.collect())
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn data(prod_size: &str, extra: &str) -> Data {
        let text = format!(
            "environments: [{{id: dev}}, {{id: prod}}]\nsections:\n  - id: db\n    settings:\n      - {{ id: size, label: Size, values: {{ dev: 1Gi, prod: {prod_size} }} }}\n  - id: app\n    settings:\n      - {{ id: mode, label: Mode, value: x }}\n{extra}"
        );
        crate::data::parse(&text, Path::new("d.yaml")).unwrap()
    }

    fn reads(sections: &[(&str, Option<&[&str]>)]) -> Reads {
        let sections = sections.iter().map(|(s, envs)| {
            let envs = envs.map(|e| e.iter().map(|e| e.to_string()).collect());
            (s.to_string(), envs)
        });
        Reads {
            all: false,
            sections: sections.collect(),
        }
    }

    #[test]
    fn a_value_changes_the_pages_that_show_its_section_and_environment() {
        let changes = Changes::between(Some(&data("2Gi", "")), Some(&data("4Gi", "")));
        assert!(changes.touch(&reads(&[("db", None)])));
        assert!(changes.touch(&reads(&[("db", Some(&["prod"]))])));
        assert!(!changes.touch(&reads(&[("db", Some(&["dev"]))])));
        assert!(!changes.touch(&reads(&[("app", None)])));
        assert!(!changes.touch(&Reads::default()));
        let all = Reads {
            all: true,
            sections: Vec::new(),
        };
        assert!(changes.touch(&all));
        let same = Changes::between(Some(&data("2Gi", "")), Some(&data("2Gi", "")));
        assert!(same.is_empty() && !same.touch(&all));
    }

    #[test]
    fn a_new_setting_or_section_changes_every_page_that_reads_it() {
        let setting = "      - { id: more, label: More, value: y }\n";
        let changes = Changes::between(Some(&data("2Gi", "")), Some(&data("2Gi", setting)));
        assert!(changes.touch(&reads(&[("app", Some(&["dev"]))])));
        assert!(!changes.touch(&reads(&[("db", None)])));
        let section = "  - id: new\n    settings: []\n";
        let changes = Changes::between(Some(&data("2Gi", "")), Some(&data("2Gi", section)));
        assert!(changes.touch(&reads(&[("new", None)])));
        assert!(!changes.touch(&reads(&[("db", None)])));
        let gone = Changes::between(Some(&data("2Gi", "")), None);
        assert!(gone.touch(&reads(&[("db", Some(&["dev"]))])));
    }
}
