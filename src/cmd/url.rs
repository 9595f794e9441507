//! `envbook url KEY` / `envbook url PAGE.md#anchor`: the published URL of a
//! matrix row, a page or a heading, for runbooks, alerts and dashboards.

use anyhow::anyhow;

use super::{Failure, print};
use crate::cache;
use crate::cli::UrlArgs;
use crate::diagnostic::did_you_mean;
use crate::project::Project;
use crate::site::{self, Listed, Summary};

pub fn run(args: UrlArgs) -> Result<(), Failure> {
    let project = Project::load(&args.site.dir)?;
    let highlighter = cache::highlighter(&project.root, cache::Access::Read);
    let store = cache::pages(&project.root, cache::Access::Read);
    let mut kept = site::Cache::default().with_store(store);
    let summary = site::build(&project, &highlighter, &site::Discard, &mut kept)?;
    let setting = project.data.as_ref().and_then(|d| d.setting(&args.target));
    let (url, label) = match setting {
        Some(setting) => {
            let page = row_page(&summary, &setting.key).ok_or_else(|| {
                let section = setting.key.split_once('.').map_or("", |(s, _)| s);
                anyhow!(
                    "no page shows the row `{}`: add {{{{ matrix(section=\"{section}\") }}}} to one",
                    setting.key
                )
            })?;
            let label = crate::markdown::inline_text(&setting.label);
            (format!("{}#{}", page.url, setting.key), label)
        }
        None => page_url(&summary, &args.target, &project)?,
    };
    let published = format!("{}{url}", base(&project.config.build.base_url));
    match args.markdown {
        true => print(&format!(
            "[{}]({published})\n",
            label.replace(['[', ']'], "")
        )),
        false => print(&format!("{published}\n")),
    }
}

/// The page a row leads to: the first, in URL order, that has its id,
/// the environments' own pages last.
fn row_page<'s>(summary: &'s Summary, key: &str) -> Option<&'s Listed> {
    let shows = |p: &&Listed| {
        summary
            .anchors
            .pages
            .get(&p.url)
            .is_some_and(|ids| ids.contains(key))
    };
    let mut pages: Vec<&Listed> = summary.listing.iter().filter(shows).collect();
    pages.sort_by_key(|p| (p.source.is_empty(), p.url.clone()));
    pages.first().copied()
}

/// `PAGE.md` or `PAGE.md#anchor` (content-relative) → its URL and label.
fn page_url(
    summary: &Summary,
    target: &str,
    project: &Project,
) -> anyhow::Result<(String, String)> {
    let (source, anchor) = match target.split_once('#') {
        Some((source, anchor)) => (source, Some(anchor)),
        None => (target, None),
    };
    let source = source.trim_start_matches("./");
    let Some(page) = summary
        .listing
        .iter()
        .find(|p| !p.source.is_empty() && p.source == source)
    else {
        let keys = project.data.iter().flat_map(|d| d.keys());
        let sources = summary
            .listing
            .iter()
            .map(|p| p.source.as_str())
            .filter(|s| !s.is_empty());
        let hint = did_you_mean(target, keys.chain(sources))
            .unwrap_or_else(|| "give a setting's key (`data-plane.storage-size`) or a page's file in the content folder (`runbooks/restart.md#rollback`)".into());
        return Err(anyhow!(
            "`{target}` is no setting, page or heading ({hint})"
        ));
    };
    let Some(anchor) = anchor.filter(|a| !a.is_empty()) else {
        return Ok((page.url.clone(), page.title.clone()));
    };
    let ids = summary.anchors.pages.get(&page.url);
    if !ids.is_some_and(|ids| ids.contains(anchor)) {
        let known = ids
            .into_iter()
            .flat_map(|ids| ids.iter().map(String::as_str));
        let hint = did_you_mean(anchor, known)
            .map(|h| format!(" ({h})"))
            .unwrap_or_default();
        return Err(anyhow!("{source} has no anchor `#{anchor}`{hint}"));
    }
    Ok((
        format!("{}#{anchor}", page.url),
        format!("{}: {anchor}", page.title),
    ))
}

/// `base-url` with its trailing `/`: a full URL stays whole, a path is a path.
fn base(url: &str) -> String {
    format!("{}/", url.trim_end_matches('/'))
}
