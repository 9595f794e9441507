use std::time::Instant;

use super::{Failure, print, print_warnings};
use crate::cli::{BuildArgs, Verbosity};
use crate::diagnostic::display_path;
use crate::project::Project;
use crate::{cache, output, site};

pub fn run(args: BuildArgs, verbosity: Verbosity) -> Result<(), Failure> {
    let start = Instant::now();
    let project = Project::load(&args.site.dir)?;
    let out = match args.output {
        Some(dir) => dir,
        None => display_path(&project.root, &project.config.build.output),
    };
    // Refuses a dangerous output folder before spending time on the build.
    let note = |message: &str| {
        if !verbosity.quiet {
            eprintln!("{message}");
        }
    };
    let staging = output::Staging::create(&out, &project, &note)?;
    let loaded = start.elapsed();
    let highlighter =
        cache::highlighter(&project.root, cache::Access::writing(args.cache.no_cache));
    let built = site::build(
        &project,
        &highlighter,
        &staging,
        &mut site::Cache::default(),
    );
    // Blocks highlighted by a build that failed are as good as any.
    highlighter.save_cache();
    let summary = built?;
    let built = start.elapsed();
    print_warnings(&summary.warnings, verbosity);
    staging.commit()?;
    if verbosity.verbose {
        eprintln!(
            "read in {} ms, rendered and written in {} ms, swapped in {} ms",
            loaded.as_millis(),
            (built - loaded).as_millis(),
            (start.elapsed() - built).as_millis()
        );
    }
    if verbosity.quiet {
        return Ok(());
    }
    print(&format!(
        "Built {} pages into {} in {} ms\n",
        summary.pages,
        out.display(),
        start.elapsed().as_millis()
    ))
}
