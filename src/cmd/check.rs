use std::path::Path;

use anyhow::Context;

use super::{Failure, print, print_warnings};
use crate::cache;
use crate::cli::{CheckArgs, Verbosity};
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::links::{self, Anchors};
use crate::project::Project;
use crate::site::{self, Summary};

pub fn run(args: CheckArgs, verbosity: Verbosity) -> Result<(), Failure> {
    let project = Project::load(&args.site.dir)?;
    let access = match args.cache.no_cache {
        true => cache::Access::Off,
        false => cache::Access::Read,
    };
    let highlighter = cache::highlighter(&project.root, access);
    // Reads the build cache, never writes it: `check` writes nothing.
    let summary = site::build(
        &project,
        &highlighter,
        &site::Discard,
        &mut site::Cache::default().with_store(cache::pages(&project.root, access)),
    )?;
    print_warnings(&summary.warnings, verbosity);
    if let Some(baseline) = &args.baseline {
        compare(baseline, &summary)?;
    }
    if verbosity.quiet {
        return Ok(());
    }
    print(&format!(
        "{}: {}, no problems found\n",
        args.site.dir.display(),
        super::count(summary.pages, "page")
    ))
}

/// Every page and anchor the baseline had that no longer resolves.
fn compare(baseline: &Path, summary: &Summary) -> Result<(), Failure> {
    let text = std::fs::read_to_string(baseline)
        .with_context(|| format!("reading {}", baseline.display()))?;
    let old: Anchors = serde_json::from_str(&text)
        .with_context(|| format!("{} is not an anchors.json", baseline.display()))?;
    let lost = links::lost(&old, &summary.anchors, &summary.aliases);
    if lost.is_empty() {
        return Ok(());
    }
    let problems = lost.into_iter().map(|url| {
        let help = match url.split_once('#') {
            Some((_, id)) => format!(
                "give a heading `{{#{id}}}`, or restore the anchor, so links to it keep working"
            ),
            None => "add the old URL to the `aliases` of the page that replaced it".to_string(),
        };
        Diagnostic::error(baseline, format!("{url} was published and is gone")).with_help(help)
    });
    Err(Diagnostics(problems.collect()).into())
}
