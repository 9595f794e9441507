use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // clap exits with 2 on bad usage, 0 for --help and --version.
    envbook::cmd::run(envbook::cli::Cli::parse())
}
