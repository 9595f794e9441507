use std::time::Instant;

use super::{Failure, print_warnings};
use crate::cli::{BuildArgs, Verbosity};
use crate::diagnostic::display_path;
use crate::markdown::Highlighter;
use crate::project::Project;
use crate::{output, site};

pub fn run(args: BuildArgs, verbosity: Verbosity) -> Result<(), Failure> {
    let start = Instant::now();
    let project = Project::load(&args.site.dir)?;
    let out = match args.output {
        Some(dir) => dir,
        None => display_path(&project.root, &project.config.build.output),
    };
    // Refuse a dangerous output folder before spending time on the build.
    output::check_target(&out, &project)?;
    let loaded = start.elapsed();
    let site = site::build(&project, &Highlighter::default())?;
    let built = start.elapsed();
    print_warnings(&site.warnings, verbosity);
    output::write(&site, &out, &project)?;
    if verbosity.verbose {
        eprintln!(
            "read in {} ms, rendered in {} ms, written in {} ms",
            loaded.as_millis(),
            (built - loaded).as_millis(),
            (start.elapsed() - built).as_millis()
        );
    }
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
