//! `envbook serve`: builds the site into memory, serves it, watches the
//! sources, rebuilds what a change affects and reloads the open tabs. A failed
//! build keeps the last good site served and shows its problems in the tabs;
//! the server starts even when the first build fails, since a user often
//! starts the preview precisely to fix a broken site.

mod http;
mod reload;
mod server;
mod session;
mod watch;

use std::collections::HashSet;
use std::net::{IpAddr, TcpListener};
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::Instant;

use anyhow::anyhow;

use crate::diagnostic::{Diagnostic, Diagnostics};

use http::{Hosts, Live, Shared};
use reload::{HEARTBEAT, Status};
use session::{Read, Session};
use watch::{Change, Watcher};

/// What `envbook serve` was asked.
#[derive(Debug, Clone)]
pub struct Options {
    pub dir: PathBuf,
    pub address: Option<String>,
    pub port: Option<u16>,
    /// Host names besides localhost and IP addresses that requests may name.
    pub allowed_hosts: Vec<String>,
    pub open: bool,
    pub poll: bool,
    /// Use the build cache (`--no-cache` turns it off).
    pub cache: bool,
    pub quiet: bool,
}

pub fn run(options: Options) -> anyhow::Result<()> {
    // Many open tabs and slow clients need descriptors; the soft limit is
    // often 1024 where the hard one is far higher.
    let _ = rlimit::increase_nofile_limit(u64::MAX);
    let mut session = Session::new(options.dir.clone(), options.cache);
    // Watching starts before the URL is printed: an edit made as soon as the
    // server answers must not be missed.
    let mut folders = session.folders();
    let mut watcher = Watcher::start(&folders, options.poll)?;
    let initial = Live {
        base: session.config().base_path(),
        ..Live::default()
    };
    let (shared, url) = listen(&options, &session, initial)?;
    let mut terminal = Terminal {
        quiet: options.quiet,
        shown: HashSet::new(),
    };
    let built = rebuild(&mut session, None, &shared, &mut terminal);
    println!(
        "Serving {} at {url} (Ctrl-C stops){}",
        title(&session),
        if built {
            ""
        } else {
            "; the site did not build: fix it and the page reloads"
        }
    );
    if options.open && open::that_detached(&url).is_err() {
        eprintln!("warning: could not open a browser; open {url}");
    }
    let mut watched = session.watch_key();
    while let Some(changes) = watcher.next(&folders) {
        let start = Instant::now();
        let read = session.read(&changes);
        let key = session.watch_key();
        // A page may include a file from a folder not watched yet.
        let now = (read == Read::Reloaded || key != watched).then(|| session.folders());
        if let Some(now) = now.filter(|now| read == Read::Reloaded || *now != folders) {
            // Fresh watches on the folders as they are now; what changed
            // while they were renewed is caught by reading everything again.
            folders = now;
            match Watcher::start(&folders, options.poll) {
                Ok(fresh) => watcher = fresh,
                Err(e) => eprintln!("warning: {e:#}; changes there may go unseen"),
            }
            if read == Read::Reloaded {
                session.reload();
            }
        }
        watched = match read {
            Read::Reloaded => session.watch_key(),
            _ => key,
        };
        if read != Read::Unchanged {
            rebuild(
                &mut session,
                Some((&changes, start)),
                &shared,
                &mut terminal,
            );
        }
    }
    Ok(())
}

fn title(session: &Session) -> String {
    let title = session.config().book.title;
    if title.is_empty() {
        "the site".into()
    } else {
        title
    }
}

/// Opens the port for pages and reload streams; returns what the request
/// threads share and the site's URL.
fn listen(
    options: &Options,
    session: &Session,
    live: Live,
) -> anyhow::Result<(Arc<Shared>, String)> {
    let config = session.config();
    let address = options
        .address
        .clone()
        .unwrap_or_else(|| config.serve.address.clone());
    let port = options.port.unwrap_or(config.serve.port);
    let ip = address.parse::<IpAddr>().ok();
    if !ip.is_some_and(|ip| ip.is_loopback()) && address != "localhost" {
        eprintln!(
            "warning: serving on {address}: anyone who can reach this machine can read the site"
        );
    }
    let listener = TcpListener::bind((address.as_str(), port)).map_err(|e| {
        anyhow!("cannot listen on {address}:{port}: {e} (another program may use the port: choose one with --port, or --port 0 for a free one)")
    })?;
    let port = listener.local_addr()?.port();
    let mut allowed: Vec<String> = options
        .allowed_hosts
        .iter()
        .map(|h| h.to_ascii_lowercase())
        .collect();
    if ip.is_none() {
        // Asked to serve on a name: requests will carry it.
        allowed.push(address.to_ascii_lowercase());
    }
    let base = live.base.clone();
    let shared = Arc::new(Shared {
        live: RwLock::new(Arc::new(live)),
        hub: Default::default(),
        hosts: Hosts { allowed },
    });
    let handler = shared.clone();
    std::thread::spawn(move || server::run(listener, handler));
    let beat = shared.clone();
    std::thread::spawn(move || {
        loop {
            std::thread::sleep(HEARTBEAT);
            beat.hub.heartbeat();
        }
    });
    let shown = match ip {
        Some(ip) if ip.is_unspecified() => "127.0.0.1".to_string(),
        Some(IpAddr::V6(v6)) => format!("[{v6}]"),
        _ => address,
    };
    Ok((shared, format!("http://{shown}:{port}{base}")))
}

/// Builds after `changes` (none: the first build), swaps the new site in and
/// tells the tabs. Returns whether the build succeeded.
/// What the preview prints.
struct Terminal {
    quiet: bool,
    /// The warnings of the last good build, as printed: a rebuild prints
    /// only new ones, and counts the rest (the Rust Reference's 628 broken
    /// links would scroll by at every save).
    shown: HashSet<String>,
}

impl Terminal {
    /// The warnings of a good build not printed after the last one, and how
    /// many were.
    fn fresh(&mut self, warnings: &Diagnostics) -> (Diagnostics, usize) {
        let now: Vec<(String, &Diagnostic)> =
            warnings.0.iter().map(|d| (d.to_string(), d)).collect();
        let new = now.iter().filter(|(text, _)| !self.shown.contains(text));
        let fresh = Diagnostics(new.map(|(_, d)| (*d).clone()).collect());
        let again = now.len() - fresh.0.len();
        self.shown = now.into_iter().map(|(text, _)| text).collect();
        (fresh, again)
    }
}

fn rebuild(
    session: &mut Session,
    changes: Option<(&[Change], Instant)>,
    shared: &Shared,
    terminal: &mut Terminal,
) -> bool {
    let old = shared.live.read().expect("no panic holds the lock").clone();
    let served = match session.build_live(&old) {
        Ok((live, summary)) => {
            *shared.live.write().expect("no panic holds the lock") = Arc::new(live);
            shared.hub.publish(Status {
                build: session.build,
                problems: None,
                broken_links: summary.broken_links.to_string(),
            });
            if !terminal.quiet {
                let (fresh, again) = terminal.fresh(&summary.warnings);
                eprint!("{fresh}");
                if let Some((changes, start)) = changes {
                    let n = summary.rendered;
                    let again = match again {
                        0 => String::new(),
                        1 => " (1 warning as before)".to_string(),
                        n => format!(" ({n} warnings as before)"),
                    };
                    println!(
                        "{}: {n} page{} rendered in {} ms{again}",
                        describe(changes),
                        if n == 1 { "" } else { "s" },
                        start.elapsed().as_millis()
                    );
                }
            }
            // Its chunks, the last build's updated, made before a search
            // waits for them (see `Chunks::after`).
            if let Some(search) = &summary.search {
                search.files();
            }
            true
        }
        Err(problems) => {
            eprint!("{problems}");
            let n = problems.error_count();
            let what = changes.map_or("the first build".into(), |(c, _)| describe(c));
            eprintln!(
                "{what}: the site did not build ({n} problem{}); {}",
                if n == 1 { "" } else { "s" },
                if session.build == 0 {
                    "the pages show the problems until it does"
                } else {
                    "still serving the last good build"
                }
            );
            shared.hub.publish(Status {
                build: session.build,
                problems: Some(problems.to_string()),
                // Not shown while the problems are.
                broken_links: String::new(),
            });
            false
        }
    };
    session.save_caches();
    served
}

/// The rebuild line's first words: what changed.
fn describe(changes: &[Change]) -> String {
    let names: Vec<String> = changes
        .iter()
        .map(|c| match c {
            Change::Content(rel) => rel.clone(),
            Change::Included(path) => path.display().to_string(),
            Change::Data => "data".into(),
            Change::Theme => "theme".into(),
            Change::Site => "the site".into(),
        })
        .collect();
    match names.as_slice() {
        [one] => format!("{one} changed"),
        _ => format!("{} changes", names.len()),
    }
}
