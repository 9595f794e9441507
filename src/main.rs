// A build allocates on every core and frees what another core made; glibc's
// allocator then waits on its arenas' locks (two thousand waits in a
// 10,000-page build). mimalloc's heaps are per thread: the standard corpus
// builds a quarter faster at 1,000 pages, an eighth at 10,000 (BENCHMARKS.md).
// Its v2 line holds less memory at a time than v3 here (73 MB against 93 MB).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // clap exits with 2 on bad usage, 0 for --help and --version.
    envbook::cmd::run(envbook::cli::Cli::parse())
}
