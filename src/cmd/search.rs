//! `envbook search`: the built site's search index, searched from the
//! terminal as the search box searches it.

use anyhow::anyhow;

use super::{Failure, print};
use crate::cli::SearchArgs;
use crate::project::read_config;
use crate::search::find::find;
use crate::site::SEARCH_DIR;

pub fn run(args: SearchArgs) -> Result<(), Failure> {
    // Only book.toml: the index is read from the built site.
    let config = &read_config(&args.site.dir)?;
    let output = args.site.dir.join(&config.build.output);
    let folder = output.join(SEARCH_DIR);
    if !folder.join("meta.json").is_file() {
        return Err(anyhow!(
            "{} has no search index: run `envbook build` first{}",
            output.display(),
            if config.search.enable {
                ""
            } else {
                " (and `[search] enable` is false in book.toml)"
            }
        )
        .into());
    }
    let found = find(&args.query, &mut |path| {
        std::fs::read_to_string(folder.join(path)).ok()
    });
    if args.json {
        let json = serde_json::json!({
            "hits": found.hits.iter().map(|h| serde_json::json!({
                "kind": h.kind, "url": h.url, "title": h.title,
                "section": h.section, "score": h.score,
            })).collect::<Vec<_>>(),
            "fetched": found.fetched.iter().map(|(p, n)| serde_json::json!({"file": p, "bytes": n})).collect::<Vec<_>>(),
        });
        return print(&format!("{json:#}\n"));
    }
    let mut out = String::new();
    if found.hits.is_empty() {
        out.push_str(&format!("nothing found for {:?}\n", args.query));
    }
    let base = config.base_path();
    for hit in &found.hits {
        match hit.section.is_empty() {
            true => out.push_str(&format!("{}\n", hit.title)),
            false => out.push_str(&format!("{} — {}\n", hit.title, hit.section)),
        }
        out.push_str(&format!("  {base}{}\n", hit.url));
    }
    print(&out)
}
