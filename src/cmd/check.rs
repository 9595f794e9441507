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
    let mut project = Project::load(&args.site.dir)?;
    super::apply(&args.settings, &mut project.config)?;
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
    let mut inbound = String::new();
    if !args.inbound.is_empty() {
        let found = check_inbound(&args.inbound, &project, &summary)?;
        inbound = format!(
            ", {} into it from {}",
            super::count(found, "link"),
            shown(&args.inbound)
        );
    }
    if verbosity.quiet {
        return Ok(());
    }
    print(&format!(
        "{}: {}{inbound}, no problems found\n",
        args.site.dir.display(),
        super::count(summary.pages, "page")
    ))
}

/// Every link into the site in the text files under `dirs` (hidden ones
/// left out): how many there are, or the problems.
fn check_inbound(
    dirs: &[std::path::PathBuf],
    project: &Project,
    summary: &Summary,
) -> Result<usize, Failure> {
    let url = &project.config.build.base_url;
    let Some((_, base)) = url.split_once("://") else {
        return Err(anyhow::anyhow!(
            "`--inbound` looks for links under the site's full URL, and base-url is `{url}`: set base-url = \"https://…/\" in book.toml, or give --base-url"
        )
        .into());
    };
    let base = format!("{}/", base.trim_end_matches('/'));
    let site = crate::inbound::Site {
        base: &base,
        anchors: &summary.anchors,
        aliases: &summary.aliases,
    };
    let (mut found, mut problems) = (0, Diagnostics::default());
    for dir in dirs {
        let walk = walkdir::WalkDir::new(dir).sort_by_file_name().into_iter();
        let visible = walk
            .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
        for entry in visible {
            let entry = entry.with_context(|| format!("reading {}", dir.display()))?;
            // Text files only, and not huge ones: a binary or a dump links nowhere.
            let small = entry
                .metadata()
                .is_ok_and(|m| m.is_file() && m.len() <= 8 << 20);
            let Some(text) = small
                .then(|| std::fs::read(entry.path()).ok())
                .flatten()
                .and_then(|b| String::from_utf8(b).ok())
            else {
                continue;
            };
            let (n, mut broken) = crate::inbound::check(entry.path(), &text, &site);
            found += n;
            problems.0.append(&mut broken);
        }
    }
    match problems.is_empty() {
        true => Ok(found),
        false => Err(problems.into()),
    }
}

fn shown(dirs: &[std::path::PathBuf]) -> String {
    let names: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
    names.join(", ")
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
