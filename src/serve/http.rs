//! What the preview answers: only files of the built site, never a path that
//! escapes it, never to a `Host` that could be a rebinding attack. Pages and
//! the reload stream share one port, so forwarding one port (SSH, a dev
//! container, a reverse proxy) gives both.

use std::net::{Ipv4Addr, Ipv6Addr, TcpStream};
use std::path::Path;
use std::sync::{Arc, RwLock};

use percent_encoding::{AsciiSet, CONTROLS, percent_decode_str, utf8_percent_encode};

use super::reload::{self, Hub};
use super::server::{Answer, Body, Handler, Request, Response};
use crate::search::index::Chunks;
use crate::site::SEARCH_DIR;

/// A file of the built site, as the preview server holds it.
#[derive(Debug, Clone)]
pub enum Content {
    Bytes(Arc<[u8]>),
    /// A content file served as it is (an image): streamed from disk when asked for.
    File(Arc<Path>),
}

/// The site being served; replaced whole after each good build.
#[derive(Debug, Default)]
pub struct Live {
    /// By path: keys shared, not copied, by the next build's site.
    pub files: foldhash::HashMap<Arc<str>, Content>,
    /// The build's [`Summary::outputs_key`](crate::site::Summary::outputs_key),
    /// whose outputs are the keys of `files`.
    pub outputs_key: Option<u64>,
    /// The path part of base-url: `/` or `/docs/`.
    pub base: String,
    /// 0 until a build succeeds.
    pub build: u64,
    /// The search index: its fragments, and its chunks (the last build's
    /// updated once this one is served: see `Chunks::after`).
    pub search: Option<Arc<Chunks>>,
}

/// Everything the request handlers share.
pub struct Shared {
    pub live: RwLock<Arc<Live>>,
    pub hub: Hub,
    pub hosts: Hosts,
}

/// The path of the reload event stream, under the base path.
pub const EVENTS: &str = "__envbook/events";

/// What a request asks for, once checked.
#[derive(Debug, PartialEq, Eq)]
pub enum Route {
    File(String),
    /// A file of the search index (see [`Live::search`]).
    Search(Arc<str>),
    /// `/docs/runbooks` → `/docs/runbooks/` (percent-encoded as sent).
    Redirect(String),
    Events,
    NotFound,
}

/// Maps a request target to a site file; anything that could escape the site is not found.
pub fn route(target: &str, live: &Live) -> Route {
    let raw = target.split(['?', '#']).next().unwrap_or("");
    let Ok(path) = percent_decode_str(raw).decode_utf8() else {
        return Route::NotFound;
    };
    if path.contains(['\\', '\0'])
        || path.contains("//")
        || path.split('/').any(|s| s == ".." || s == ".")
    {
        return Route::NotFound;
    }
    if format!("{path}/") == live.base {
        return Route::Redirect(utf8_percent_encode(&live.base, LOCATION).to_string());
    }
    let Some(rel) = path.strip_prefix(live.base.as_str()) else {
        return Route::NotFound;
    };
    if rel == EVENTS {
        return Route::Events;
    }
    let file = if rel.is_empty() || rel.ends_with('/') {
        format!("{rel}index.html")
    } else {
        rel.to_string()
    };
    if live.files.contains_key(file.as_str()) {
        return Route::File(file);
    }
    let index = |path: &str| live.search.as_ref()?.file(path);
    if let Some(json) = file.strip_prefix(SEARCH_DIR).and_then(index) {
        return Route::Search(json);
    }
    if live
        .files
        .contains_key(format!("{rel}/index.html").as_str())
    {
        // The Location is the path as sent, so a non-ASCII folder stays encoded.
        return Route::Redirect(format!("{}/", utf8_percent_encode(raw, LOCATION)));
    }
    Route::NotFound
}

/// What a `Location` may not carry as it is (the target is ASCII already,
/// unless the client sent raw UTF-8).
const LOCATION: &AsciiSet = &CONTROLS.add(b' ').add(b'"').add(b'<').add(b'>');

impl Handler for Shared {
    fn answer(&self, request: &Request) -> Answer {
        if !request.header("host").is_some_and(|h| self.hosts.allows(h)) {
            return refuse(
                403,
                "this server answers only to localhost, IP addresses and --allowed-host names\n",
            );
        }
        if !matches!(request.method.as_str(), "GET" | "HEAD") {
            return Answer::Respond(
                Response::text(405, "the preview server only reads\n")
                    .with_header("Allow", "GET, HEAD".into()),
            );
        }
        let live = self.live.read().expect("no panic holds the lock").clone();
        match route(&request.target, &live) {
            Route::Events => self.events(request),
            // Until a build succeeds, every page shows the problems.
            _ if live.build == 0 => Answer::Respond(self.not_built(&live)),
            Route::Redirect(to) => Answer::Respond(
                Response {
                    status: 301,
                    headers: Vec::new(),
                    body: Body::Empty,
                }
                .with_header("Location", to),
            ),
            Route::File(file) => Answer::Respond(self.file(&live, &file, 200)),
            Route::Search(json) => Answer::Respond(Response {
                status: 200,
                headers: vec![
                    ("Content-Type", "application/json".into()),
                    ("Cache-Control", "no-cache".into()),
                ],
                body: Body::Bytes(json.as_bytes().into()),
            }),
            Route::NotFound if live.files.contains_key("404.html") => {
                Answer::Respond(self.file(&live, "404.html", 404))
            }
            Route::NotFound => refuse(404, "not found\n"),
        }
    }

    fn take_over(&self, stream: TcpStream) {
        self.hub.connect(stream);
    }
}

impl Shared {
    /// The reload stream, for a page of this server only (no cross-site listener).
    fn events(&self, request: &Request) -> Answer {
        match request.header("origin") {
            Some(origin) if !self.hosts.allows_origin(origin) => {
                refuse(403, "the reload stream is for this server's own pages\n")
            }
            _ => Answer::HandOver,
        }
    }

    fn file(&self, live: &Live, file: &str, status: u16) -> Response {
        let mime = mime_guess::from_path(file).first_or_octet_stream();
        let body = match &live.files[file] {
            Content::Bytes(bytes) if mime.essence_str() == "text/html" => {
                self.with_reload_script(bytes.clone(), live)
            }
            Content::Bytes(bytes) => Body::Bytes(bytes.clone()),
            Content::File(path) => match open(path) {
                Some(body) => body,
                None => return Response::text(404, "not found\n"),
            },
        };
        Response {
            status,
            headers: vec![
                ("Content-Type", content_type(&mime)),
                ("Cache-Control", "no-cache".into()),
                ("X-Content-Type-Options", "nosniff".into()),
            ],
            body,
        }
    }

    /// The page, with the live-reload script before `</body>` (or at the end).
    fn with_reload_script(&self, bytes: Arc<[u8]>, live: &Live) -> Body {
        let at = bytes
            .windows(7)
            .rposition(|w| w == b"</body>")
            .unwrap_or(bytes.len());
        Body::Page {
            insert: self.script(live),
            bytes,
            at,
        }
    }

    fn script(&self, live: &Live) -> String {
        let build = self.hub.status().build.max(live.build);
        reload::script(&format!("{}{EVENTS}", live.base), build)
    }

    /// Before the first good build: a page that shows the problems and
    /// reloads when the site builds.
    fn not_built(&self, live: &Live) -> Response {
        let html = format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>envbook serve</title></head><body><p>The site has not built yet.</p>{}</body></html>",
            self.script(live)
        );
        Response {
            status: 503,
            headers: vec![
                ("Content-Type", "text/html; charset=utf-8".into()),
                ("Cache-Control", "no-cache".into()),
            ],
            body: Body::Bytes(html.into_bytes().into()),
        }
    }
}

/// A content file, if it is still a regular file; a symlink is never followed out.
fn open(path: &Path) -> Option<Body> {
    let meta = std::fs::symlink_metadata(path).ok()?;
    if !meta.is_file() {
        return None;
    }
    let file = std::fs::File::open(path).ok()?;
    let len = file.metadata().ok()?.len();
    Some(Body::File { file, len })
}

fn content_type(mime: &mime_guess::Mime) -> String {
    let essence = mime.essence_str();
    let textual = mime.type_() == mime_guess::mime::TEXT
        || matches!(essence, "application/javascript" | "application/json");
    if textual {
        format!("{essence}; charset=utf-8")
    } else {
        essence.to_string()
    }
}

fn refuse(status: u16, text: &str) -> Answer {
    Answer::Respond(Response::text(status, text))
}

/// The `Host` names the server answers to. DNS rebinding needs a name the
/// attacker controls that resolves to this machine; an IP literal or
/// `localhost` cannot be one, so those are always accepted, on any port (a
/// forwarded port differs from ours). Any other name only when allowed.
#[derive(Debug, Default)]
pub struct Hosts {
    /// `--allowed-host` names, in lower case.
    pub allowed: Vec<String>,
}

impl Hosts {
    pub fn allows(&self, host: &str) -> bool {
        let Some(name) = host_name(host) else {
            return false;
        };
        if let Some(v6) = name.strip_prefix('[').and_then(|n| n.strip_suffix(']')) {
            return v6.parse::<Ipv6Addr>().is_ok();
        }
        let name = name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase();
        name == "localhost" || name.parse::<Ipv4Addr>().is_ok() || self.allowed.contains(&name)
    }

    /// `Origin: http://host:port`, by the same rule.
    fn allows_origin(&self, origin: &str) -> bool {
        origin
            .strip_prefix("http://")
            .or_else(|| origin.strip_prefix("https://"))
            .is_some_and(|host| self.allows(host))
    }
}

/// `name` of `name:port`, `[v6]` of `[v6]:port`; `None` when malformed.
fn host_name(host: &str) -> Option<&str> {
    let (name, port) = if host.starts_with('[') {
        let end = host.find(']')? + 1;
        (&host[..end], host[end..].strip_prefix(':'))
    } else {
        match host.rsplit_once(':') {
            Some((name, port)) => (name, Some(port)),
            None => (host, None),
        }
    };
    let port_ok = port.is_none_or(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    (port_ok && !name.is_empty()).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn live(base: &str) -> Live {
        let files = [
            "index.html",
            "runbooks/index.html",
            "runbooks/db/index.html",
            "café/index.html",
            "static/envbook.css",
            "404.html",
        ]
        .into_iter()
        .map(|f| (Arc::from(f), Content::Bytes(Arc::from(&b""[..]))))
        .collect();
        Live {
            files,
            base: base.into(),
            build: 1,
            search: None,
            outputs_key: None,
        }
    }

    #[test]
    fn pages_and_files() {
        let l = live("/");
        assert_eq!(route("/", &l), Route::File("index.html".into()));
        assert_eq!(
            route("/runbooks/db/", &l),
            Route::File("runbooks/db/index.html".into())
        );
        assert_eq!(
            route("/runbooks/db/?x=1#y", &l),
            Route::File("runbooks/db/index.html".into())
        );
        assert_eq!(
            route("/runbooks/db", &l),
            Route::Redirect("/runbooks/db/".into())
        );
        assert_eq!(
            route("/static/envbook%2Ecss", &l),
            Route::File("static/envbook.css".into())
        );
        assert_eq!(route("/__envbook/events", &l), Route::Events);
        assert_eq!(route("/nope/", &l), Route::NotFound);
    }

    #[test]
    fn non_ascii_folders_redirect_encoded() {
        let l = live("/");
        assert_eq!(
            route("/caf%C3%A9", &l),
            Route::Redirect("/caf%C3%A9/".into())
        );
        assert_eq!(route("/café", &l), Route::Redirect("/caf%C3%A9/".into()));
        assert_eq!(
            route("/caf%C3%A9/", &l),
            Route::File("café/index.html".into())
        );
    }

    #[test]
    fn under_a_sub_path() {
        let l = live("/docs/");
        assert_eq!(route("/docs/", &l), Route::File("index.html".into()));
        assert_eq!(route("/docs", &l), Route::Redirect("/docs/".into()));
        assert_eq!(route("/docs/__envbook/events", &l), Route::Events);
        assert_eq!(route("/__envbook/events", &l), Route::NotFound);
        assert_eq!(route("/", &l), Route::NotFound);
        assert_eq!(route("/runbooks/", &l), Route::NotFound);
    }

    #[test]
    fn escapes_are_not_found() {
        let l = live("/");
        for url in [
            "/../etc/passwd",
            "/runbooks/../index.html",
            "/%2e%2e/etc/passwd",
            "/%2E%2E/%2E%2E/etc/passwd",
            "//etc/passwd",
            "/runbooks//db/",
            "/runbooks\\..\\index.html",
            "/runbooks%5c..%5cindex.html",
            "/index.html%00.css",
            "/./index.html",
            "/%ff",
        ] {
            assert_eq!(route(url, &l), Route::NotFound, "{url}");
        }
    }

    #[test]
    fn hosts_that_cannot_be_rebound_are_accepted() {
        let hosts = Hosts {
            allowed: vec!["docs.internal".into()],
        };
        for ok in [
            "localhost",
            "localhost:3000",
            "LOCALHOST:8080",
            "127.0.0.1:3000",
            "192.168.1.20:3000",
            "10.0.0.5",
            "[::1]:3000",
            "[fe80::1]",
            "docs.internal:3000",
            "Docs.Internal",
        ] {
            assert!(hosts.allows(ok), "{ok}");
        }
        for bad in [
            "evil.example.com",
            "evil.example.com:3000",
            "127.0.0.1.evil.com",
            "localhost.evil.com",
            "",
            ":3000",
            "localhost:",
            "localhost:abc",
            "[::1",
            "[not-v6]:3000",
            "1.2.3.4.5",
        ] {
            assert!(!hosts.allows(bad), "{bad}");
        }
        assert!(hosts.allows_origin("http://localhost:3000"));
        assert!(!hosts.allows_origin("http://evil.example.com"));
        assert!(!hosts.allows_origin("null"));
    }
}
