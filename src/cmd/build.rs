use std::time::Instant;

use super::{Failure, print_warnings};
use crate::cli::{BuildArgs, Verbosity};
use crate::markdown::Highlighter;
use crate::project::Project;
use crate::{output, site};

pub fn run(args: BuildArgs, verbosity: Verbosity) -> Result<(), Failure> {
    let start = Instant::now();
    let project = Project::load(&args.site.dir)?;
    let out = match args.output {
        Some(dir) => dir,
        None => project.path(&project.config.build.output),
    };
    // Refuse a dangerous output folder before spending time on the build.
    output::check_target(&out, &project)?;
    let site = site::build(&project, &Highlighter::default())?;
    print_warnings(&site.warnings, verbosity);
    output::write(&site, &out, &project)?;
    if !verbosity.quiet {
        println!(
            "Built {} pages into {} in {} ms",
            site.pages,
            out.display(),
            start.elapsed().as_millis()
        );
    }
    Ok(())
}
