//! `envbook serve`: builds the site into memory, serves it, watches the
//! sources, rebuilds what a change affects and reloads the open tabs. A failed
//! rebuild keeps the last good site served and shows its problems in the tabs.

mod http;
mod reload;
mod watch;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

use anyhow::{Context, anyhow};

use crate::diagnostic::Diagnostics;
use crate::markdown::Highlighter;
use crate::project::{Project, Refresh};
use crate::site::{self, Cache, Sink, Summary};
use http::{Content, Live, Shared};
use reload::{Allowed, HEARTBEAT, Hub, Status};
use watch::{Change, Folders, Watcher};

/// What `envbook serve` was asked.
#[derive(Debug, Clone)]
pub struct Options {
    pub dir: PathBuf,
    pub address: Option<String>,
    pub port: Option<u16>,
    pub open: bool,
    pub poll: bool,
    pub quiet: bool,
}

/// Request handlers working at once; the reload streams hold none of them.
const WORKERS: usize = 4;
/// How long a connection may sit idle before the server closes it.
const IDLE: std::time::Duration = std::time::Duration::from_secs(5);

pub fn run(options: Options) -> Result<(), crate::cmd::Failure> {
    let project = Project::load(&options.dir)?;
    let mut session = Session::new(options.dir.clone(), project);
    let (live, summary) = session
        .build_live(&Live::default())
        .map_err(crate::cmd::Failure::Site)?;
    if !options.quiet {
        eprint!("{}", summary.warnings);
    }
    // Watching starts before the URL is printed: an edit made as soon as the
    // server answers must not be missed.
    let mut folders = session.folders();
    let mut watcher = Watcher::start(&folders, options.poll)?;
    let (shared, url) = listen(&options, &session, live)?;
    shared.hub.publish(Status {
        build: session.build,
        problems: None,
    });
    println!(
        "Serving {} at {url} (Ctrl-C stops)",
        session.project.config.book.title
    );
    if options.open && open::that_detached(&url).is_err() {
        eprintln!("warning: could not open a browser; open {url}");
    }
    while let Some(changes) = watcher.next(&folders) {
        let start = Instant::now();
        let changed = session.read(&changes);
        // A folder may have appeared: watch it before the tabs hear of the
        // build, so that no later edit is missed.
        if changes.contains(&Change::Site) {
            folders = session.folders();
            watcher.watch(&folders)?;
        }
        if changed {
            session.rebuild(&describe(&changes), start, &shared, options.quiet);
        }
    }
    Ok(())
}

/// Opens the page server and the reload streams' listener; returns what
/// their threads share and the site's URL.
fn listen(
    options: &Options,
    session: &Session,
    live: Live,
) -> anyhow::Result<(Arc<Shared>, String)> {
    let config = &session.project.config;
    let address = options
        .address
        .clone()
        .unwrap_or_else(|| config.serve.address.clone());
    let port = options.port.unwrap_or(config.serve.port);
    if !matches!(address.as_str(), "127.0.0.1" | "localhost" | "::1") {
        eprintln!(
            "warning: serving on {address}: anyone who can reach this machine can read the site"
        );
    }
    let listener = TcpListener::bind((address.as_str(), port)).map_err(|e| {
        anyhow!("cannot listen on {address}:{port}: {e} (another program may use the port: choose one with --port, or --port 0 for a free one)")
    })?;
    // Accepted connections inherit both: an idle keep-alive connection gives
    // its tiny_http thread back instead of holding it until the browser closes
    // it; and no Nagle, or a response written in pieces waits for the
    // browser's delayed ACK (~40 ms) on a reused connection.
    let socket = socket2::SockRef::from(&listener);
    socket.set_read_timeout(Some(IDLE))?;
    socket.set_tcp_nodelay(true)?;
    let port = listener.local_addr()?.port();
    let events = TcpListener::bind((address.as_str(), 0))
        .with_context(|| format!("listening on {address} for live reload"))?;
    let hosts = http::allowed_hosts(&address, port);
    let allowed = Allowed {
        origins: hosts.iter().map(|h| format!("http://{h}")).collect(),
        hosts: http::allowed_hosts(&address, events.local_addr()?.port()),
        path: format!("{}{}", config.base_path(), http::EVENTS),
    };
    let shared = Arc::new(Shared {
        hosts,
        live: RwLock::new(Arc::new(live)),
        hub: Hub::default(),
        events_port: events.local_addr()?.port(),
    });
    let server = tiny_http::Server::from_listener(listener, None)
        .map_err(|e| anyhow!("starting the server: {e}"))?;
    spawn_server(server, &shared);
    let reload = shared.clone();
    std::thread::spawn(move || reload::listen(events, &reload.hub, &allowed));
    let shown = if matches!(address.as_str(), "0.0.0.0" | "::") {
        "127.0.0.1"
    } else {
        address.as_str()
    };
    Ok((
        shared,
        format!("http://{shown}:{port}{}", config.base_path()),
    ))
}

/// Request handlers on their threads, and the heartbeat that finds closed tabs.
fn spawn_server(server: tiny_http::Server, shared: &Arc<Shared>) {
    let server = Arc::new(server);
    for _ in 0..WORKERS {
        let (server, shared) = (server.clone(), shared.clone());
        std::thread::spawn(move || {
            while let Ok(request) = server.recv() {
                http::handle(request, &shared);
            }
        });
    }
    let shared = shared.clone();
    std::thread::spawn(move || {
        loop {
            std::thread::sleep(HEARTBEAT);
            shared.hub.heartbeat();
        }
    });
}

/// The site as the server knows it, between rebuilds.
struct Session {
    root: PathBuf,
    project: Project,
    cache: Cache,
    highlighter: Highlighter,
    /// Parts of the site that could not be read since they last changed: the
    /// site does not build until they can (a content path, `data`, `theme`, `site`).
    unreadable: BTreeMap<String, Diagnostics>,
    build: u64,
}

impl Session {
    fn new(root: PathBuf, project: Project) -> Session {
        Session {
            root,
            project,
            cache: Cache::keeping(),
            highlighter: Highlighter::default(),
            unreadable: BTreeMap::new(),
            build: 0,
        }
    }

    fn folders(&self) -> Folders {
        // Real paths, as the watcher reports them; a folder that does not
        // exist yet is named under the real root.
        let real = |p: PathBuf| std::fs::canonicalize(&p).unwrap_or(p);
        let build = &self.project.config.build;
        let root = real(std::path::absolute(&self.root).unwrap_or_else(|_| self.root.clone()));
        Folders {
            config: root.join(crate::config::FILE_NAME),
            content: real(root.join(&build.content)),
            data: real(root.join(&build.data)),
            theme: real(root.join(&build.theme)),
            root,
        }
    }

    /// Rebuilds after `what` changed, and tells the tabs.
    fn rebuild(&mut self, what: &str, start: Instant, shared: &Shared, quiet: bool) {
        let old = shared.live.read().expect("no panic holds the lock").clone();
        match self.build_live(&old) {
            Ok((live, summary)) => {
                *shared.live.write().expect("no panic holds the lock") = Arc::new(live);
                shared.hub.publish(Status {
                    build: self.build,
                    problems: None,
                });
                if !quiet {
                    eprint!("{}", summary.warnings);
                    let n = summary.rendered;
                    println!(
                        "{what}: {n} page{} rendered in {} ms",
                        if n == 1 { "" } else { "s" },
                        start.elapsed().as_millis()
                    );
                }
            }
            Err(problems) => {
                eprint!("{problems}");
                let n = problems.error_count();
                eprintln!(
                    "{what}: the site did not build ({n} problem{}); still serving the last good build",
                    if n == 1 { "" } else { "s" }
                );
                shared.hub.publish(Status {
                    build: self.build,
                    problems: Some(problems.to_string()),
                });
            }
        }
    }

    /// Reads the changed parts of the site again; false when nothing changed.
    fn read(&mut self, changes: &[Change]) -> bool {
        if changes.contains(&Change::Site) {
            self.unreadable.clear();
            match Project::load(&self.root) {
                Ok(project) => {
                    self.project = project;
                    self.cache = Cache::keeping();
                }
                Err(problems) => {
                    self.unreadable.insert("site".into(), problems);
                }
            }
            return true;
        }
        let mut changed = false;
        for change in changes {
            let (key, result) = match change {
                Change::Content(rel) => (rel.clone(), self.project.refresh_content(rel)),
                Change::Data => ("data".into(), self.project.refresh_data()),
                Change::Theme => ("theme".into(), self.project.refresh_theme()),
                Change::Site => unreachable!("handled above"),
            };
            match result {
                Ok(Refresh::Folder) => return self.read(&[Change::Site]),
                Ok(refresh) => {
                    // A part that could not be read and now can is a change.
                    changed |=
                        self.unreadable.remove(&key).is_some() || refresh == Refresh::Changed;
                }
                Err(problems) => {
                    self.unreadable.insert(key, problems);
                    changed = true;
                }
            }
        }
        changed
    }

    /// Builds into memory: the new site is the last one with what changed
    /// replaced and what is gone removed.
    fn build_live(&mut self, old: &Live) -> Result<(Live, Summary), Diagnostics> {
        if !self.unreadable.is_empty() {
            let mut problems = Diagnostics::default();
            self.unreadable
                .values()
                .for_each(|d| problems.extend(d.clone()));
            return Err(problems.sorted());
        }
        let sink = Collect::default();
        let summary = site::build(&self.project, &self.highlighter, &sink, &mut self.cache)?;
        let fresh = sink.files.into_inner().expect("no panic holds the lock");
        let keep: HashSet<&String> = summary.outputs.iter().collect();
        let mut files: HashMap<String, Content> = old
            .files
            .iter()
            .filter(|(k, _)| keep.contains(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        files.extend(fresh);
        self.build += 1;
        Ok((
            Live {
                files,
                base: self.project.config.base_path(),
                build: self.build,
            },
            summary,
        ))
    }
}

/// The rebuild line's first words: what changed.
fn describe(changes: &[Change]) -> String {
    let names: Vec<String> = changes
        .iter()
        .map(|c| match c {
            Change::Content(rel) => rel.clone(),
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

/// Keeps the files a build hands over, as the server holds them.
#[derive(Default)]
struct Collect {
    files: Mutex<HashMap<String, Content>>,
}

impl Sink for Collect {
    fn put(&self, path: &str, bytes: Vec<u8>) -> anyhow::Result<()> {
        self.files
            .lock()
            .expect("no panic holds the lock")
            .insert(path.to_string(), Content::Bytes(bytes.into()));
        Ok(())
    }

    fn copy(&self, path: &str, from: &std::path::Path) -> anyhow::Result<()> {
        self.files
            .lock()
            .expect("no panic holds the lock")
            .insert(path.to_string(), Content::File(from.to_path_buf()));
        Ok(())
    }
}
