//! Which settings are shared and which differ, for any set of environments.
//! Pure: data in, rows out.

use crate::data::{Cell, Data, Section, Setting};

/// How one cell compares with the other environments' cells of its row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Every chosen environment has this value.
    Same,
    /// Some chosen environment has another value.
    Differs,
    /// Differs from the row's most common value (dev and staging `10Gi`,
    /// prod `20Gi`: prod's); no cell is when no value is the most common.
    Odd,
    /// No value here (shown as —).
    Missing,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Row<'a> {
    pub setting: &'a Setting,
    /// The chosen environments' cells, in the order asked for.
    pub cells: Vec<(&'a Cell, State)>,
    pub shared: bool,
}

/// True when every environment in `envs` has the same cell.
pub fn is_shared(setting: &Setting, envs: &[usize]) -> bool {
    let mut cells = envs.iter().map(|&e| &setting.cells[e]);
    match cells.next() {
        Some(first) => cells.all(|c| c == first),
        None => true,
    }
}

/// The rows of `section` for the environments `envs`: only those that differ
/// among them, or every row with `all`.
pub fn rows<'a>(section: &'a Section, envs: &[usize], all: bool) -> Vec<Row<'a>> {
    section
        .settings
        .iter()
        .map(|setting| row(setting, envs))
        .filter(|row| all || !row.shared)
        .collect()
}

fn row<'a>(setting: &'a Setting, envs: &[usize]) -> Row<'a> {
    let shared = is_shared(setting, envs);
    let chosen: Vec<&Cell> = envs.iter().map(|&e| &setting.cells[e]).collect();
    let count = |cell: &Cell| chosen.iter().filter(|c| **c == cell).count();
    let most = chosen
        .iter()
        .filter(|c| ***c != Cell::Empty)
        .map(|c| count(c))
        .max()
        .unwrap_or(0);
    let cells = chosen
        .iter()
        .map(|&cell| {
            let state = match cell {
                Cell::Empty => State::Missing,
                _ if shared => State::Same,
                _ if count(cell) < most => State::Odd,
                _ => State::Differs,
            };
            (cell, state)
        })
        .collect();
    Row {
        setting,
        cells,
        shared,
    }
}

/// Every setting that is the same in all environments, in data order.
pub fn shared(data: &Data) -> Vec<&Setting> {
    let all: Vec<usize> = (0..data.environments.len()).collect();
    data.sections
        .iter()
        .flat_map(|s| &s.settings)
        .filter(|setting| is_shared(setting, &all))
        .collect()
}

/// The settings whose values differ between environments `a` and `b`.
pub fn differences(data: &Data, a: usize, b: usize) -> Vec<&Setting> {
    data.sections
        .iter()
        .flat_map(|s| &s.settings)
        .filter(|setting| !is_shared(setting, &[a, b]))
        .collect()
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn data() -> Data {
        crate::data::parse(
            "environments: [{id: dev}, {id: staging}, {id: prod}]\n\
             sections:\n  - id: k\n    settings:\n\
             \x20     - {id: replicas, label: Replicas, values: {dev: 1, staging: 2, prod: 2}}\n\
             \x20     - {id: region, label: Region, value: eu}\n\
             \x20     - {id: debug, label: Debug, values: {dev: on, staging: ~, prod: ~}}\n\
             \x20     - {id: host, label: Host, values: {dev: a, staging: b, prod: c}}\n",
            Path::new("d.yaml"),
        )
        .unwrap()
    }

    fn keys(rows: &[Row]) -> Vec<String> {
        rows.iter().map(|r| r.setting.id.clone()).collect()
    }

    #[test]
    fn only_differing_rows_unless_all() {
        let data = data();
        let k = &data.sections[0];
        assert_eq!(
            keys(&rows(k, &[0, 1, 2], false)),
            ["replicas", "debug", "host"]
        );
        assert_eq!(
            keys(&rows(k, &[0, 1, 2], true)),
            ["replicas", "region", "debug", "host"]
        );
    }

    #[test]
    fn a_subset_hides_rows_where_only_others_differ() {
        let data = data();
        let k = &data.sections[0];
        // staging and prod agree on replicas and debug: only dev differs there.
        assert_eq!(keys(&rows(k, &[1, 2], false)), ["host"]);
        assert_eq!(
            keys(&rows(k, &[2, 0], false)),
            ["replicas", "debug", "host"]
        );
    }

    #[test]
    fn cell_states() {
        let data = data();
        let all = rows(&data.sections[0], &[0, 1, 2], true);
        let states = |i: usize| all[i].cells.iter().map(|c| c.1).collect::<Vec<_>>();
        assert_eq!(states(1), [State::Same; 3]);
        assert_eq!(states(2), [State::Differs, State::Missing, State::Missing]);
        // dev's 1 against staging's and prod's 2; a, b, c have no majority.
        assert_eq!(states(0), [State::Odd, State::Differs, State::Differs]);
        assert_eq!(states(3), [State::Differs; 3]);
        assert!(all[1].shared && !all[0].shared);
    }

    #[test]
    fn shared_and_differences() {
        let data = data();
        assert_eq!(
            shared(&data)
                .iter()
                .map(|s| s.id.as_str())
                .collect::<Vec<_>>(),
            ["region"]
        );
        assert_eq!(
            differences(&data, 1, 2)
                .iter()
                .map(|s| s.id.as_str())
                .collect::<Vec<_>>(),
            ["host"]
        );
    }
}
