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
    let cli = envbook::cli::Cli::parse();
    if let envbook::cli::Command::Serve(_) = cli.command {
        keep_freed_memory();
    }
    envbook::cmd::run(cli)
}

/// mimalloc gives memory back to the system 10 ms after it is freed, and
/// the preview's next rebuild takes the same pages back, a page fault each:
/// a fifth of a one-page rebuild at 10,000 pages (BENCHMARKS.md). The
/// preview keeps it instead; its resident memory is its first build's
/// either way.
fn keep_freed_memory() {
    use libmimalloc_sys as mi;
    // `mi_option_purge_delay`, which the bindings leave out: the option
    // between these two in mimalloc.h.
    const PURGE_DELAY: mi::mi_option_t = mi::mi_option_eager_commit_delay + 1;
    const _: () = assert!(PURGE_DELAY + 1 == mi::mi_option_use_numa_nodes);
    // SAFETY: sets one option of the allocator; -1 is "never" (mimalloc.h).
    unsafe { mi::mi_option_set(PURGE_DELAY, -1) };
}
