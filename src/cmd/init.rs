//! `envbook init [DIR]`: a new site that builds and checks clean at once.

use std::path::Path;

use anyhow::bail;

use super::{Failure, print};
use crate::cli::InitArgs;
use crate::output::new_site;
use crate::starter;

pub fn run(args: InitArgs) -> Result<(), Failure> {
    let dir = &args.dir;
    if !args.force {
        refuse_a_folder_in_use(dir)?;
    }
    let done = new_site::write(dir, &starter::files())?;
    let mut report = String::new();
    let shown = dir.display();
    if !done.written.is_empty() {
        report += &format!("Wrote into {shown}:\n");
        for file in &done.written {
            report += &format!("  {file}\n");
        }
    }
    if !done.kept.is_empty() {
        report += "Kept as they are (already there):\n";
        for file in &done.kept {
            report += &format!("  {file}\n");
        }
    }
    let cd = match dir == Path::new(".") {
        true => String::new(),
        false => format!("cd {shown} && "),
    };
    report +=
        &format!("Next: {cd}envbook serve   (a live preview; `envbook build` writes site/)\n");
    print(&report)
}

/// A folder that holds anything but hidden files (`.git`) is someone's:
/// init writes only into an empty one unless told `--force`.
fn refuse_a_folder_in_use(dir: &Path) -> anyhow::Result<()> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(());
    };
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|name| !name.starts_with('.'))
        .collect();
    names.sort();
    if names.is_empty() {
        return Ok(());
    }
    let what = match names.iter().any(|n| n == crate::config::FILE_NAME) {
        true => "already holds a site (book.toml)".to_string(),
        false => format!(
            "is not empty ({})",
            crate::diagnostic::some_of(names.iter().map(String::as_str))
        ),
    };
    bail!(
        "{} {what}; init writes a new site into an empty folder (hidden files such as .git may be there)\n  \
         = help: `envbook init --force` adds the files that are missing and keeps every file that is there",
        dir.display()
    )
}
