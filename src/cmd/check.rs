use super::{Failure, print_warnings};
use crate::cli::{SiteArgs, Verbosity};
use crate::markdown::Highlighter;
use crate::project::Project;
use crate::site;

pub fn run(args: SiteArgs, verbosity: Verbosity) -> Result<(), Failure> {
    let project = Project::load(&args.dir)?;
    let summary = site::build(
        &project,
        &Highlighter::default(),
        &site::Discard,
        &mut site::Cache::default(),
    )?;
    print_warnings(&summary.warnings, verbosity);
    if !verbosity.quiet {
        println!(
            "{}: {} pages, no problems found",
            args.dir.display(),
            summary.pages
        );
    }
    Ok(())
}
