//! One thin module per command: arguments → library calls → report.

mod build;
mod check;
mod data;
mod init;
mod search;
mod serve;
mod url;

use std::process::ExitCode;

use crate::cli::{Cli, Command, Links, SettingArgs, Verbosity};
use crate::config::{Config, LinkCheck};
use crate::diagnostic::Diagnostics;

/// Why a command failed: problems in the site, or something else (I/O).
pub enum Failure {
    Site(Diagnostics),
    Other(anyhow::Error),
}

impl From<Diagnostics> for Failure {
    fn from(d: Diagnostics) -> Self {
        Failure::Site(d)
    }
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        Failure::Other(e)
    }
}

pub fn run(cli: Cli) -> ExitCode {
    let verbosity = cli.verbosity();
    let result = match cli.command {
        Command::Build(args) => build::run(args, verbosity),
        Command::Check(args) => check::run(args, verbosity),
        Command::Serve(args) => serve::run(args, verbosity),
        Command::Get(args) => data::get(args),
        Command::Diff(args) => data::diff(args),
        Command::Search(args) => search::run(args),
        Command::Init(args) => init::run(args),
        Command::Url(args) => url::run(args),
        Command::Help(args) => help(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Site(problems)) => {
            eprint!("{problems}");
            let n = problems.error_count();
            eprintln!(
                "\nerror: {n} problem{} found",
                if n == 1 { "" } else { "s" }
            );
            ExitCode::from(1)
        }
        Err(Failure::Other(e)) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}

/// Prints a command's output. A reader that stops early (`| head`) is no
/// error: the rest is not wanted.
fn print(text: &str) -> Result<(), Failure> {
    use std::io::Write;
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(anyhow::Error::from(e).context("writing the output").into())
        }
        _ => Ok(()),
    }
}

/// `envbook help [COMMAND]`: what `envbook [COMMAND] --help` prints.
fn help(args: crate::cli::HelpArgs) -> Result<(), Failure> {
    use clap::CommandFactory;
    let cli = Cli::command();
    if let Some(name) = &args.command
        && cli.find_subcommand(name).is_none()
    {
        let names: Vec<&str> = cli.get_subcommands().map(|c| c.get_name()).collect();
        let help = crate::diagnostic::did_you_mean(name, names.iter().copied())
            .unwrap_or_else(|| format!("the commands are: {}", names.join(", ")));
        return Err(anyhow::anyhow!("unknown command `{name}` ({help})").into());
    }
    let argv = ["envbook"]
        .into_iter()
        .chain(args.command.as_deref())
        .chain(["--help"]);
    match cli.try_get_matches_from(argv) {
        Err(shown) => print(&shown.render().to_string()),
        Ok(_) => unreachable!("--help always ends the parse"),
    }
}

/// The settings given on the command line, over book.toml's.
fn apply(settings: &SettingArgs, config: &mut Config) -> Result<(), Diagnostics> {
    if let Some(url) = &settings.base_url {
        config.set_base_url(url)?;
    }
    if let Some(links) = settings.links {
        config.links.check = match links {
            Links::Error => LinkCheck::Error,
            Links::Warn => LinkCheck::Warn,
            Links::Off => LinkCheck::Off,
        };
    }
    Ok(())
}

/// `1 page`, `2 pages`.
fn count(n: usize, thing: &str) -> String {
    match n {
        1 => format!("1 {thing}"),
        n => format!("{n} {thing}s"),
    }
}

/// Prints warnings that did not stop the run.
fn print_warnings(warnings: &Diagnostics, verbosity: Verbosity) {
    if !verbosity.quiet && !warnings.is_empty() {
        eprint!("{warnings}");
    }
}
