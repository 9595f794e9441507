//! Live reload over Server-Sent Events, with no WebSocket library: every open
//! tab keeps one `EventSource` connection. The streams have a listener of
//! their own, on a thread of its own, beside the page server: tiny_http gives
//! each open connection a thread of its pool, and a burst of long-lived
//! streams there leaves new connections queued behind them. The hub holds the
//! streams, not a thread each, and tells all of them when a build is done
//! (`build` with its number) or failed (`problems` with the diagnostics).

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Mutex;
use std::time::Duration;

/// More tabs than anyone opens; past it, a tab is refused rather than a thread
/// or socket kept for it.
pub const MAX_CLIENTS: usize = 64;
/// Idle connections get a comment this often, which finds the closed ones.
pub const HEARTBEAT: Duration = Duration::from_secs(15);

/// Where the site is: the last good build, and the problems of the last one if it failed.
#[derive(Debug, Clone, Default)]
pub struct Status {
    pub build: u64,
    pub problems: Option<String>,
}

#[derive(Default)]
pub struct Hub {
    clients: Mutex<Vec<Box<dyn Write + Send>>>,
    status: Mutex<Status>,
}

impl Hub {
    /// Adds a connection (its response not yet started) and tells it where the site is.
    pub fn connect(&self, mut writer: Box<dyn Write + Send>, origin: Option<&str>) {
        if self.clients() >= MAX_CLIENTS {
            // Make room: tabs closed since the last heartbeat fail this write.
            self.heartbeat();
        }
        let mut clients = self.clients.lock().expect("no panic holds the lock");
        if clients.len() >= MAX_CLIENTS {
            let _ = writer.write_all(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            return;
        }
        // The pages are on the other port: only their own origin may listen.
        let cors = origin
            .map(|o| format!("Access-Control-Allow-Origin: {o}\r\nVary: Origin\r\n"))
            .unwrap_or_default();
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\nConnection: keep-alive\r\nX-Content-Type-Options: nosniff\r\n{cors}\r\n"
        );
        let status = self.status();
        let hello = format!("{head}retry: 500\n\n{}", events(&status));
        if writer
            .write_all(hello.as_bytes())
            .and_then(|_| writer.flush())
            .is_ok()
        {
            clients.push(writer);
        }
    }

    pub fn status(&self) -> Status {
        self.status.lock().expect("no panic holds the lock").clone()
    }

    /// Records a finished build (or a failed one) and tells every tab.
    pub fn publish(&self, status: Status) {
        let message = events(&status);
        *self.status.lock().expect("no panic holds the lock") = status;
        self.send(&message);
    }

    /// A comment line: keeps proxies from closing idle streams, and finds closed tabs.
    pub fn heartbeat(&self) {
        self.send(": ping\n\n");
    }

    fn clients(&self) -> usize {
        self.clients.lock().expect("no panic holds the lock").len()
    }

    /// Writes to every tab, forgetting those that are gone.
    fn send(&self, message: &str) {
        let mut clients = self.clients.lock().expect("no panic holds the lock");
        clients.retain_mut(|w| {
            w.write_all(message.as_bytes())
                .and_then(|_| w.flush())
                .is_ok()
        });
    }
}

/// Who may open the stream: the `Host` values of the events port, and the
/// origins of the pages.
pub struct Allowed {
    pub hosts: Vec<String>,
    pub origins: Vec<String>,
    /// `{base}__envbook/events`.
    pub path: String,
}

/// Answers reload-stream requests on `listener` until the process ends.
pub fn listen(listener: TcpListener, hub: &Hub, allowed: &Allowed) {
    for stream in listener.incoming().flatten() {
        // A client that does not send its request promptly is dropped; one
        // that stops reading cannot hold up the others for long.
        let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
        let _ = stream.set_write_timeout(Some(Duration::from_secs(2)));
        let _ = stream.set_nodelay(true);
        if let Some(origin) = handshake(&stream, allowed) {
            hub.connect(Box::new(stream), origin.as_deref());
        }
    }
}

/// Reads the request; answers and drops what is not a stream this server gives.
/// `Some(origin)` when the stream may start.
fn handshake(stream: &TcpStream, allowed: &Allowed) -> Option<Option<String>> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line).ok()?;
    let (mut host, mut origin) = (None, None);
    for _ in 0..100 {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 || line.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            let value = value.trim().to_string();
            match name.to_ascii_lowercase().as_str() {
                "host" => host = Some(value),
                "origin" => origin = Some(value),
                _ => {}
            }
        }
    }
    let mut parts = request_line.split_whitespace();
    let refuse = |status: &str| {
        let _ = (&*stream).write_all(
            format!("HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        );
        None
    };
    if parts.next() != Some("GET") || parts.next() != Some(allowed.path.as_str()) {
        return refuse("404 Not Found");
    }
    let host_ok = host.is_some_and(|h| allowed.hosts.iter().any(|a| a.eq_ignore_ascii_case(&h)));
    let origin_ok = origin
        .as_ref()
        .is_none_or(|o| allowed.origins.iter().any(|a| a.eq_ignore_ascii_case(o)));
    if !host_ok || !origin_ok {
        return refuse("403 Forbidden");
    }
    Some(origin)
}

/// The events that describe `status`.
fn events(status: &Status) -> String {
    match &status.problems {
        None => format!("event: build\ndata: {}\n\n", status.build),
        Some(text) => {
            let data: String = text.lines().map(|l| format!("data: {l}\n")).collect();
            format!("event: problems\n{data}\n")
        }
    }
}

/// The script added to every HTML page the server sends: reloads the tab when
/// a newer build is ready (keeping its scroll position), and shows the
/// problems of a failed build over the page until a good one replaces it.
pub fn script(port: u16, path: &str, build: u64) -> String {
    format!(
        r#"<script>/* envbook serve: live reload */
(() => {{
  const build = {build};
  const key = "envbook-scroll:" + location.pathname;
  const saved = sessionStorage.getItem(key);
  if (saved !== null) {{
    sessionStorage.removeItem(key);
    // "instant": the theme scrolls smoothly, which would replay the scroll.
    const restore = () => window.scrollTo({{ top: Number(saved), behavior: "instant" }});
    if (document.readyState === "complete") restore(); else addEventListener("load", restore);
  }}
  const hide = () => document.getElementById("envbook-overlay")?.remove();
  const show = (text) => {{
    hide();
    const box = document.createElement("div");
    box.id = "envbook-overlay";
    box.setAttribute("role", "alert");
    box.style.cssText = "position:fixed;inset:0;z-index:2147483647;overflow:auto;background:rgba(20,20,24,.93);color:#f5f5f5;padding:2rem;font:14px/1.5 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace";
    const title = document.createElement("p");
    title.style.cssText = "margin:0 0 1rem;font:600 16px system-ui,sans-serif;color:#ff8a80";
    title.textContent = "The site did not build. The page shows the last good build until the problem is fixed.";
    const pre = document.createElement("pre");
    pre.style.cssText = "margin:0;white-space:pre-wrap";
    pre.textContent = text;
    box.append(title, pre);
    document.body.append(box);
  }};
  const source = new EventSource("http://" + location.hostname + ":{port}{path}");
  source.addEventListener("build", (e) => {{
    if (Number(e.data) !== build) {{
      sessionStorage.setItem(key, String(window.scrollY));
      location.reload();
    }} else hide();
  }});
  source.addEventListener("problems", (e) => show(e.data));
}})();
</script>"#
    )
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    /// A writer whose bytes the test can read, or that fails like a closed socket.
    #[derive(Clone, Default)]
    struct Tab(Arc<Mutex<Vec<u8>>>, bool);

    impl Write for Tab {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if self.1 {
                return Err(std::io::ErrorKind::BrokenPipe.into());
            }
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Tab {
        fn text(&self) -> String {
            String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
        }
    }

    #[test]
    fn tabs_hear_builds_and_problems() {
        let hub = Hub::default();
        hub.publish(Status {
            build: 1,
            problems: None,
        });
        let tab = Tab::default();
        hub.connect(Box::new(tab.clone()), Some("http://127.0.0.1:3000"));
        assert!(
            tab.text()
                .starts_with("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n")
        );
        assert!(tab.text().contains(
            "\r\nAccess-Control-Allow-Origin: http://127.0.0.1:3000\r\nVary: Origin\r\n"
        ));
        assert!(
            tab.text()
                .ends_with("retry: 500\n\nevent: build\ndata: 1\n\n")
        );
        hub.publish(Status {
            build: 1,
            problems: Some("error: x\n --> a.md:1:1".into()),
        });
        assert!(
            tab.text()
                .ends_with("event: problems\ndata: error: x\ndata:  --> a.md:1:1\n\n")
        );
        hub.publish(Status {
            build: 2,
            problems: None,
        });
        assert!(tab.text().ends_with("event: build\ndata: 2\n\n"));
    }

    #[test]
    fn closed_tabs_are_forgotten_and_the_number_is_capped() {
        let hub = Hub::default();
        hub.connect(Box::new(Tab::default()), None);
        let closed = Tab(Arc::default(), false);
        hub.connect(Box::new(closed.clone()), None);
        assert_eq!(hub.clients(), 2);
        hub.connect(Box::new(Tab(Arc::default(), true)), None);
        assert_eq!(
            hub.clients(),
            2,
            "a tab that cannot be written to is not kept"
        );
        for _ in 0..100 {
            hub.connect(Box::new(Tab::default()), None);
        }
        assert_eq!(hub.clients(), MAX_CLIENTS);
    }
}
