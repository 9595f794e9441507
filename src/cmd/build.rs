use std::time::Instant;

use super::{Failure, print, print_warnings};
use crate::cli::{BuildArgs, Verbosity};
use crate::diagnostic::display_path;
use crate::project::Project;
use crate::{cache, output, site};

pub fn run(args: BuildArgs, verbosity: Verbosity) -> Result<(), Failure> {
    let start = Instant::now();
    let mut project = Project::load(&args.site.dir)?;
    super::apply(&args.settings, &mut project.config)?;
    let (out, named) = match args.output {
        Some(dir) => (dir, output::Named::ByFlag),
        None => (
            display_path(&project.root, &project.config.build.output),
            output::Named::InConfig,
        ),
    };
    // Refuses a dangerous output folder before spending time on the build.
    let note = |message: &str| {
        if !verbosity.quiet {
            eprintln!("{message}");
        }
    };
    let staging = output::Staging::create((&out, named), &project, &note)?;
    let loaded = start.elapsed();
    let access = cache::Access::writing(args.cache.no_cache);
    let highlighter = cache::highlighter(&project.root, access);
    let mut kept = site::Cache::default().with_store(cache::pages(&project.root, access));
    let built = site::build(&project, &highlighter, &staging, &mut kept);
    // What a build that failed made is as good as any.
    highlighter.save_cache();
    kept.save_store();
    let summary = built?;
    kept.collect_store();
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
        "Built {} into {} in {} ms\n",
        super::count(summary.pages, "page"),
        out.display(),
        start.elapsed().as_millis()
    ))
}
