use super::Failure;
use crate::cli::{ServeArgs, Verbosity};
use crate::serve::{self, Options};

pub fn run(args: ServeArgs, verbosity: Verbosity) -> Result<(), Failure> {
    serve::run(Options {
        dir: args.site.dir,
        address: args.address,
        port: args.port,
        allowed_hosts: args.allowed_host,
        open: args.open,
        poll: args.poll,
        cache: !args.cache.no_cache,
        quiet: verbosity.quiet,
    })?;
    Ok(())
}
