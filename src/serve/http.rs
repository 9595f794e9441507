//! The preview's HTTP side (tiny_http): only files of the built site, never a
//! path that escapes it, never to a `Host` that is not the served address.

use std::collections::HashMap;
use std::io::Cursor;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use percent_encoding::percent_decode_str;
use tiny_http::{Header, Method, Request, Response, StatusCode};

use super::reload::{self, Hub};

/// A file of the built site, as the preview server holds it.
#[derive(Debug, Clone)]
pub enum Content {
    Bytes(Arc<[u8]>),
    /// A content file served as it is (an image): read when asked for.
    File(PathBuf),
}

/// The site being served; replaced whole after each good build.
#[derive(Debug, Default)]
pub struct Live {
    pub files: HashMap<String, Content>,
    /// The path part of base-url: `/` or `/docs/`.
    pub base: String,
    pub build: u64,
}

/// Everything the request handlers share.
pub struct Shared {
    pub live: RwLock<Arc<Live>>,
    pub hub: Hub,
    /// `Host` values this server answers to.
    pub hosts: Vec<String>,
    /// The port of the reload streams.
    pub events_port: u16,
}

/// The path of the reload event stream, under the base path.
pub const EVENTS: &str = "__envbook/events";

/// What a request asks for, once checked.
#[derive(Debug, PartialEq, Eq)]
pub enum Route {
    File(String),
    /// `/docs/runbooks` → `/docs/runbooks/`.
    Redirect(String),
    NotFound,
}

/// Maps a request path to a site file; anything that could escape the site is not found.
pub fn route(url: &str, live: &Live) -> Route {
    let path = url.split(['?', '#']).next().unwrap_or("");
    let Ok(path) = percent_decode_str(path).decode_utf8() else {
        return Route::NotFound;
    };
    if path.contains(['\\', '\0'])
        || path.contains("//")
        || path.split('/').any(|s| s == ".." || s == ".")
    {
        return Route::NotFound;
    }
    if format!("{path}/") == live.base {
        return Route::Redirect(live.base.clone());
    }
    let Some(rel) = path.strip_prefix(live.base.as_str()) else {
        return Route::NotFound;
    };
    let file = if rel.is_empty() || rel.ends_with('/') {
        format!("{rel}index.html")
    } else {
        rel.to_string()
    };
    if live.files.contains_key(&file) {
        return Route::File(file);
    }
    if live.files.contains_key(&format!("{rel}/index.html")) {
        return Route::Redirect(format!("{path}/"));
    }
    Route::NotFound
}

/// Answers one request.
pub fn handle(request: Request, shared: &Shared) {
    if !host_allowed(&request, &shared.hosts) {
        let _ = request.respond(text(403, "this server answers only to its own address"));
        return;
    }
    if !matches!(request.method(), Method::Get | Method::Head) {
        let _ = request.respond(text(405, "the preview server only reads"));
        return;
    }
    let live = shared.live.read().expect("no panic holds the lock").clone();
    match route(request.url(), &live) {
        Route::Redirect(to) => {
            let response = text(301, "").with_header(header("Location", &to));
            let _ = request.respond(response);
        }
        Route::File(file) => respond_file(request, &live, &file, 200, shared),
        Route::NotFound if live.files.contains_key("404.html") => {
            respond_file(request, &live, "404.html", 404, shared)
        }
        Route::NotFound => {
            let _ = request.respond(text(404, "not found"));
        }
    }
}

fn respond_file(request: Request, live: &Live, file: &str, status: u16, shared: &Shared) {
    let bytes: Vec<u8> = match &live.files[file] {
        Content::Bytes(b) => b.to_vec(),
        // Content files are read when asked for; a symlink is never followed out.
        Content::File(path) => match std::fs::symlink_metadata(path) {
            Ok(meta) if meta.is_file() => std::fs::read(path).unwrap_or_default(),
            _ => {
                let _ = request.respond(text(404, "not found"));
                return;
            }
        },
    };
    let mime = mime_guess::from_path(file).first_or_octet_stream();
    let is_html = mime.essence_str() == "text/html";
    let bytes = if is_html {
        with_reload_script(bytes, live, shared)
    } else {
        bytes
    };
    let content_type = match mime.type_() {
        mime_guess::mime::TEXT => format!("{}; charset=utf-8", mime.essence_str()),
        _ if mime.essence_str() == "application/javascript"
            || mime.essence_str() == "application/json" =>
        {
            format!("{}; charset=utf-8", mime.essence_str())
        }
        _ => mime.essence_str().to_string(),
    };
    let response = Response::new(
        StatusCode(status),
        Vec::new(),
        Cursor::new(bytes.clone()),
        Some(bytes.len()),
        None,
    )
    .with_header(header("Content-Type", &content_type))
    .with_header(header("Cache-Control", "no-cache"))
    .with_header(header("X-Content-Type-Options", "nosniff"));
    let _ = request.respond(response);
}

/// Adds the live-reload script before `</body>` (or at the end).
fn with_reload_script(bytes: Vec<u8>, live: &Live, shared: &Shared) -> Vec<u8> {
    let Ok(mut html) = String::from_utf8(bytes.clone()) else {
        return bytes;
    };
    let status = shared.hub.status();
    let script = reload::script(
        shared.events_port,
        &format!("{}{EVENTS}", live.base),
        status.build.max(live.build),
    );
    match html.rfind("</body>") {
        Some(i) => html.insert_str(i, &script),
        None => html.push_str(&script),
    }
    html.into_bytes()
}

/// DNS rebinding protection: a page on another site must not reach this
/// server through a name that resolves to 127.0.0.1.
fn host_allowed(request: &Request, hosts: &[String]) -> bool {
    request
        .headers()
        .iter()
        .find(|h| h.field.equiv("Host"))
        .is_some_and(|h| {
            hosts
                .iter()
                .any(|allowed| h.value.as_str().eq_ignore_ascii_case(allowed))
        })
}

/// The `Host` values of a server listening on `address:port`.
pub fn allowed_hosts(address: &str, port: u16) -> Vec<String> {
    let mut names = vec![address.to_string()];
    if matches!(
        address,
        "127.0.0.1" | "::1" | "localhost" | "0.0.0.0" | "::"
    ) {
        names.extend(["localhost", "127.0.0.1", "[::1]"].map(String::from));
    }
    names
        .iter()
        .map(|n| {
            if n.contains(':') && !n.starts_with('[') {
                format!("[{n}]:{port}")
            } else {
                format!("{n}:{port}")
            }
        })
        .collect()
}

fn header(name: &str, value: &str) -> Header {
    Header::from_bytes(name.as_bytes(), value.as_bytes()).expect("valid header")
}

fn text(status: u16, body: &str) -> Response<Cursor<Vec<u8>>> {
    Response::from_string(body)
        .with_status_code(status)
        .with_header(header("Content-Type", "text/plain; charset=utf-8"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn live(base: &str) -> Live {
        let files = [
            "index.html",
            "runbooks/index.html",
            "runbooks/db/index.html",
            "static/envbook.css",
            "404.html",
        ]
        .into_iter()
        .map(|f| (f.to_string(), Content::Bytes(Arc::from(&b""[..]))))
        .collect();
        Live {
            files,
            base: base.into(),
            build: 1,
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
            route("/static/envbook.css", &l),
            Route::File("static/envbook.css".into())
        );
        assert_eq!(
            route("/static/envbook%2Ecss", &l),
            Route::File("static/envbook.css".into())
        );
        assert_eq!(route("/nope/", &l), Route::NotFound);
    }

    #[test]
    fn under_a_sub_path() {
        let l = live("/docs/");
        assert_eq!(route("/docs/", &l), Route::File("index.html".into()));
        assert_eq!(route("/docs", &l), Route::Redirect("/docs/".into()));
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
    fn hosts() {
        assert_eq!(
            allowed_hosts("127.0.0.1", 3000),
            [
                "127.0.0.1:3000",
                "localhost:3000",
                "127.0.0.1:3000",
                "[::1]:3000"
            ]
        );
        assert_eq!(allowed_hosts("192.168.1.5", 80), ["192.168.1.5:80"]);
        assert_eq!(allowed_hosts("::1", 8080)[0], "[::1]:8080");
    }
}
