//! The command line (clap derive). DESIGN.md's "Command line" is the contract.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "envbook",
    version,
    about = "Documentation sites from markdown pages plus environment data",
    long_about = "Builds a static documentation site from markdown pages (content/) plus \
                  structured environment data (data/), with environment matrices generated \
                  from the data.",
    // Ours, so that `envbook help --help` is help too.
    disable_help_subcommand = true
)]
pub struct Cli {
    /// Print only errors
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Print more about what is done
    #[arg(short, long, global = true)]
    pub verbose: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build the site into its output folder (site/ by default)
    Build(BuildArgs),
    /// Check everything a build checks, writing nothing
    Check(CheckArgs),
    /// Build, serve on 127.0.0.1:3000, rebuild on every change and reload the open tabs
    Serve(ServeArgs),
    /// Print one value: `envbook get prod data-plane.storage-size`
    Get(GetArgs),
    /// Print the settings that differ between two environments
    Diff(DiffArgs),
    /// Search the built site as its search box does: `envbook search "prod storage"`
    Search(SearchArgs),
    /// Write a small working site to start from (into an empty folder)
    Init(InitArgs),
    /// Print the published URL of a matrix row, page or heading: `envbook url data-plane.storage-size`
    Url(UrlArgs),
    /// Print the help of envbook, or of a command: `envbook help build`
    Help(HelpArgs),
}

#[derive(Debug, Args)]
pub struct UrlArgs {
    /// A setting's key (`data-plane.storage-size`), or a page's file in the
    /// content folder, maybe with an anchor (`runbooks/restart.md#rollback`)
    pub target: String,
    /// Print a markdown link, `[label](url)`
    #[arg(long)]
    pub markdown: bool,
    #[command(flatten)]
    pub site: SiteArgs,
}

#[derive(Debug, Args)]
pub struct HelpArgs {
    /// The command (`build`, `serve`, …)
    pub command: Option<String>,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The folder to write the site into (made if missing)
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// Write into a folder that is not empty: add the missing files, keep every file there
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub site: SiteArgs,
    /// The address to listen on (book.toml's [serve] address, 127.0.0.1 by default)
    #[arg(long, value_name = "IP")]
    pub address: Option<String>,
    /// The port (book.toml's [serve] port, 3000 by default); 0 picks a free one
    #[arg(short, long)]
    pub port: Option<u16>,
    /// Also answer requests naming this host (repeatable); localhost and IP addresses always work
    #[arg(long, value_name = "NAME")]
    pub allowed_host: Vec<String>,
    /// Open the site in the default browser
    #[arg(long)]
    pub open: bool,
    /// Poll for changes, for file systems that report none (network and some container mounts)
    #[arg(long)]
    pub poll: bool,
    #[command(flatten)]
    pub cache: CacheArgs,
}

#[derive(Debug, Args)]
pub struct GetArgs {
    /// The environment id (`prod`)
    pub env: String,
    /// The setting, as SECTION.SETTING (`data-plane.storage-size`)
    pub key: String,
    /// Print where the value was read from instead (`deploy/values-prod.yaml:12`);
    /// nothing for a value written in the data file
    #[arg(long)]
    pub source: bool,
    #[command(flatten)]
    pub site: SiteArgs,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The first environment id
    pub a: String,
    /// The second environment id
    pub b: String,
    #[command(flatten)]
    pub site: SiteArgs,
}

#[derive(Debug, Args)]
pub struct SearchArgs {
    /// What to search, as typed in the search box (quotes for a phrase)
    pub query: String,
    #[command(flatten)]
    pub site: SiteArgs,
    /// Print the results and the index files read (what a browser downloads) as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct SiteArgs {
    /// The site folder, holding book.toml and content/
    #[arg(default_value = ".")]
    pub dir: PathBuf,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub site: SiteArgs,
    /// Also fail when a page or anchor of this published anchors.json is gone with no alias to catch it
    #[arg(long, value_name = "ANCHORS_JSON")]
    pub baseline: Option<PathBuf>,
    /// Also check every link into the site (under its full base URL) in the files of these folders: runbooks, alert rules, dashboards
    #[arg(long, value_name = "DIR", num_args = 1..)]
    pub inbound: Vec<PathBuf>,
    #[command(flatten)]
    pub settings: SettingArgs,
    #[command(flatten)]
    pub cache: CacheArgs,
}

#[derive(Debug, Args)]
pub struct BuildArgs {
    #[command(flatten)]
    pub site: SiteArgs,
    /// Write the site here instead of book.toml's `output` (relative to the current folder)
    #[arg(short, long, value_name = "DIR")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub settings: SettingArgs,
    #[command(flatten)]
    pub cache: CacheArgs,
}

/// Settings given for one run instead of book.toml's.
#[derive(Debug, Args)]
pub struct SettingArgs {
    /// Where the site will be hosted, instead of book.toml's `base-url`: a
    /// preview deployment's `/pr-42/` or `https://host/pr-42/`
    #[arg(long, value_name = "URL", env = "ENVBOOK_BASE_URL")]
    pub base_url: Option<String>,
    /// What a broken internal link does, instead of book.toml's `[links] check`:
    /// fails the build, is reported, or is not looked for (an mdBook
    /// book.toml cannot hold `[links]`: mdBook refuses keys it does not know)
    #[arg(long, value_name = "WHAT", value_enum)]
    pub links: Option<Links>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Links {
    Error,
    Warn,
    Off,
}

#[derive(Debug, Args)]
pub struct CacheArgs {
    /// Neither read nor write the build cache (.envbook-cache/ beside book.toml)
    #[arg(long)]
    pub no_cache: bool,
}

/// How much to print.
#[derive(Debug, Clone, Copy)]
pub struct Verbosity {
    pub quiet: bool,
    pub verbose: bool,
}

impl Cli {
    pub fn verbosity(&self) -> Verbosity {
        Verbosity {
            quiet: self.quiet,
            verbose: self.verbose,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }
}
