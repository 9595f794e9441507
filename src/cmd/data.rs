//! `envbook get` and `envbook diff`: the environment data in the terminal.

use anyhow::{Context, anyhow};
use comfy_table::{Table, presets};

use super::{Failure, print};
use crate::cli::{DiffArgs, GetArgs, SiteArgs};
use crate::data::{Cell, Data, Format};
use crate::diagnostic::did_you_mean;
use crate::matrix;
use crate::project::Project;

fn load(site: &SiteArgs) -> Result<Data, Failure> {
    let project = Project::load(&site.dir)?;
    let data = project.data.with_context(|| {
        format!(
            "{} has no environment data ({}/environments.yaml)",
            site.dir.display(),
            project.config.build.data.display()
        )
    })?;
    Ok(data)
}

fn env(data: &Data, id: &str) -> anyhow::Result<usize> {
    data.env_index(id).ok_or_else(|| {
        let help = did_you_mean(id, data.env_ids()).unwrap_or_else(|| {
            format!(
                "the environments are: {}",
                data.env_ids().collect::<Vec<_>>().join(", ")
            )
        });
        anyhow!("unknown environment `{id}` ({help})")
    })
}

/// A value as plain text (`{ markdown: … }` without its marks), `—` for none.
fn shown(cell: &Cell) -> String {
    match cell {
        Cell::Empty => "—".into(),
        Cell::Value {
            text,
            format: Format::Markdown,
        } => crate::markdown::inline_text(text),
        Cell::Value { text, .. } => text.clone(),
    }
}

pub fn get(args: GetArgs) -> Result<(), Failure> {
    let data = load(&args.site)?;
    let env = env(&data, &args.env)?;
    let setting = data.setting(&args.key).ok_or_else(|| {
        let help = did_you_mean(&args.key, data.keys())
            .unwrap_or_else(|| "`envbook diff` lists keys".to_string());
        anyhow!("unknown key `{}` ({help})", args.key)
    })?;
    if args.source {
        let origin = setting.origins.get(env).and_then(Option::as_ref);
        return print(&origin.map(|o| format!("{o}\n")).unwrap_or_default());
    }
    // An empty cell prints nothing, so scripts can test for it.
    print(&format!("{}\n", setting.cells[env].text().unwrap_or("")))
}

pub fn diff(args: DiffArgs) -> Result<(), Failure> {
    let data = load(&args.site)?;
    let (a, b) = (env(&data, &args.a)?, env(&data, &args.b)?);
    let settings = matrix::differences(&data, a, b);
    if settings.is_empty() {
        return print(&format!(
            "{} and {} have the same settings\n",
            data.environments[a].title, data.environments[b].title
        ));
    }
    let mut table = Table::new();
    table.load_style(presets::NOTHING);
    // No left padding: the first column starts at the terminal's edge.
    table.set_header([
        "setting",
        &data.environments[a].id,
        &data.environments[b].id,
    ]);
    for setting in settings {
        table.add_row([
            setting.key.clone(),
            shown(&setting.cells[a]),
            shown(&setting.cells[b]),
        ]);
    }
    for column in table.column_iter_mut() {
        column.set_padding((0, 2));
    }
    print(&format!("{}\n", table.trim_fmt()))
}
