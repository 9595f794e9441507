//! Live reload over Server-Sent Events, with no WebSocket library: every open
//! tab keeps one `EventSource` connection to `{base}__envbook/events` on the
//! page port. The hub holds the streams, not a thread each, and tells all of
//! them when a build is done (`build` with its number) or failed (`problems`
//! with the diagnostics). Its writes never wait: a tab that stops reading is
//! dropped once its socket buffer is full, and delays no one.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Mutex;
use std::time::Duration;

/// More tabs than anyone opens; past it, a tab is refused rather than a
/// socket kept for it.
pub const MAX_CLIENTS: usize = 64;
/// Idle streams get a comment this often, which finds the closed ones.
pub const HEARTBEAT: Duration = Duration::from_secs(15);

const HEAD: &str = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n\r\n";

/// Where the site is: the last good build, and the problems of the last one
/// if it failed; the broken links of the last good build (empty: none).
#[derive(Debug, Clone, Default)]
pub struct Status {
    pub build: u64,
    pub problems: Option<String>,
    pub broken_links: String,
}

#[derive(Default)]
pub struct Hub {
    clients: Mutex<Vec<TcpStream>>,
    status: Mutex<Status>,
}

impl Hub {
    /// Starts the stream on a connection whose request was read, and tells it
    /// where the site is.
    pub fn connect(&self, stream: TcpStream) {
        if stream.set_nonblocking(true).is_err() {
            return;
        }
        let mut clients = self.clients.lock().expect("no panic holds the lock");
        if clients.len() >= MAX_CLIENTS {
            // Make room: tabs closed since the last heartbeat go now.
            forget_closed(&mut clients);
        }
        if clients.len() >= MAX_CLIENTS {
            write_now(
                &stream,
                b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            );
            return;
        }
        let hello = format!("{HEAD}retry: 500\n\n{}", events(&self.status()));
        if write_now(&stream, hello.as_bytes()) {
            clients.push(stream);
        }
    }

    pub fn status(&self) -> Status {
        self.status.lock().expect("no panic holds the lock").clone()
    }

    /// Records a finished build (or a failed one) and tells every tab.
    pub fn publish(&self, status: Status) {
        let message = events(&status);
        *self.status.lock().expect("no panic holds the lock") = status;
        self.send(message.as_bytes());
    }

    /// A comment line: keeps proxies from closing idle streams; closed tabs are forgotten.
    pub fn heartbeat(&self) {
        forget_closed(&mut self.clients.lock().expect("no panic holds the lock"));
        self.send(b": ping\n\n");
    }

    #[cfg(test)]
    fn clients(&self) -> usize {
        self.clients.lock().expect("no panic holds the lock").len()
    }

    /// Writes to every tab, dropping those that cannot take it now.
    fn send(&self, message: &[u8]) {
        let mut clients = self.clients.lock().expect("no panic holds the lock");
        clients.retain(|stream| write_now(stream, message));
    }
}

/// Writes all of `bytes` without waiting; false when the stream is closed or
/// full (a half-written event cannot be finished, so the stream is done).
fn write_now(mut stream: &TcpStream, bytes: &[u8]) -> bool {
    matches!(stream.write(bytes), Ok(n) if n == bytes.len())
}

/// Drops the streams whose tab has gone: a tab never sends on its stream,
/// so a read that finds the end (or an error) means it closed.
fn forget_closed(clients: &mut Vec<TcpStream>) {
    clients.retain(|mut stream| {
        let mut scratch = [0; 256];
        match stream.read(&mut scratch) {
            Ok(0) => false,
            Ok(_) => true,
            Err(e) => e.kind() == std::io::ErrorKind::WouldBlock,
        }
    });
}

/// The events that describe `status`: a build's number, then its broken
/// links, in one event (a tab that asks the listening tab where the site is
/// hears the last event only); or the problems of a failed build.
fn events(status: &Status) -> String {
    let data = |text: &str| -> String { text.lines().map(|l| format!("data: {l}\n")).collect() };
    match &status.problems {
        None => format!(
            "event: build\ndata: {}\n{}\n",
            status.build,
            data(&status.broken_links)
        ),
        Some(text) => format!("event: problems\n{}\n", data(text)),
    }
}

/// The script added to every HTML page the server sends: reloads the tab when
/// a newer build is ready (keeping its scroll position), and shows the
/// problems of a failed build over the page until a good one replaces it.
pub fn script(path: &str, build: u64) -> String {
    // A JSON string is a JavaScript string; `</` must not end the script element.
    let path = serde_json::to_string(path)
        .expect("a string serialises")
        .replace("</", "<\\/");
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
  // A box of text over the page: its id, role and look, a heading and the text.
  const panel = (id, role, css, heading, headingCss, text) => {{
    document.getElementById(id)?.remove();
    const box = document.createElement("div");
    box.id = id;
    box.setAttribute("role", role);
    box.style.cssText = css + ";overflow:auto;background:rgba(20,20,24,.93);color:#f5f5f5;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace";
    const title = document.createElement("p");
    title.style.cssText = headingCss + ";font-family:system-ui,sans-serif;font-weight:600";
    title.textContent = heading;
    const pre = document.createElement("pre");
    pre.style.cssText = "margin:0;white-space:pre-wrap";
    pre.textContent = text;
    box.append(title, pre);
    document.body.append(box);
    return box;
  }};
  const hide = () => document.getElementById("envbook-overlay")?.remove();
  const show = (text) => panel("envbook-overlay", "alert",
    "position:fixed;inset:0;z-index:2147483647;padding:2rem;font-size:14px;line-height:1.5",
    "The site did not build. The page shows the last good build until the problem is fixed.",
    "margin:0 0 1rem;font-size:16px;color:#ff8a80", text);
  // The broken links of a build that was served: a note in a corner, not
  // over the page (`envbook build` fails on them; the preview shows them).
  const note = (text) => {{
    document.getElementById("envbook-note")?.remove();
    if (!text) return;
    const box = panel("envbook-note", "status",
      "position:fixed;right:1rem;bottom:1rem;z-index:2147483646;max-width:min(44rem,calc(100vw - 2rem));max-height:40vh;padding:.75rem 1rem;border-radius:6px;font-size:13px;line-height:1.45",
      "Broken links (`envbook check` reports them too):",
      "margin:0 0 .5rem;font-size:14px;color:#ffd180", text);
    const close = document.createElement("button");
    close.type = "button";
    close.textContent = "\u00d7";
    close.setAttribute("aria-label", "Close");
    close.style.cssText = "float:right;margin:0 0 .25rem .75rem;background:none;border:0;color:inherit;font:20px/1 system-ui,sans-serif;cursor:pointer";
    close.onclick = () => box.remove();
    box.prepend(close);
  }};
  const handle = ([type, data]) => {{
    if (type === "problems") return show(data);
    const [number, ...links] = data.split("\n");
    if (Number(number) !== build) {{
      sessionStorage.setItem(key, String(window.scrollY));
      location.reload();
    }} else {{
      hide();
      note(links.join("\n"));
    }}
  }};
  // One stream for all the tabs of this preview: a browser opens at most six
  // connections to a host, so with a stream each the seventh tab would never
  // load. The tab holding the lock listens and tells the others; when it
  // goes, another takes the lock. Without locks (an http address other
  // than localhost is not a secure context) each tab listens for itself.
  const name = "envbook-reload:" + location.host + {path};
  const shared = window.BroadcastChannel && navigator.locks ? new BroadcastChannel(name) : null;
  let source = null, last = null, release = null;
  const listen = () => {{
    source = new EventSource({path});
    for (const type of ["build", "problems"]) {{
      source.addEventListener(type, (e) => {{
        last = [type, e.data];
        shared?.postMessage(last);
        handle(last);
      }});
    }}
  }};
  const lead = () => navigator.locks.request(name, () => new Promise((done) => {{
    release = done;
    listen();
  }}));
  const stop = () => {{
    source?.close();
    source = null;
    release?.();
    release = null;
  }};
  if (shared) {{
    shared.onmessage = (e) => {{
      if (e.data === "where") {{ if (source && last) shared.postMessage(last); }}
      else handle(e.data);
    }};
    lead();
    // A tab that is not the one listening asks where the site is.
    shared.postMessage("where");
  }} else listen();
  // A page kept in the back-forward cache must not keep its stream (nor the
  // lock). Back on the page, it listens or asks again, and a page older than
  // the site reloads.
  addEventListener("pagehide", stop);
  addEventListener("pageshow", (e) => {{
    if (!e.persisted) return;
    if (shared) {{ lead(); shared.postMessage("where"); }} else listen();
  }});
}})();
</script>"#
    )
}

#[cfg(test)]
mod tests {
    use std::io::{BufRead, BufReader};
    use std::net::TcpListener;

    use super::*;

    /// A connected pair: the server's end for the hub, the tab's end to read.
    fn tab(listener: &TcpListener) -> (TcpStream, BufReader<TcpStream>) {
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        client
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        (listener.accept().unwrap().0, BufReader::new(client))
    }

    fn read_until_blank(tab: &mut BufReader<TcpStream>) -> String {
        let mut text = String::new();
        loop {
            let mut line = String::new();
            tab.read_line(&mut line).unwrap();
            text.push_str(&line);
            if line == "\n" || line == "\r\n" || line.is_empty() {
                return text;
            }
        }
    }

    #[test]
    fn tabs_hear_builds_and_problems() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let hub = Hub::default();
        hub.publish(Status {
            build: 1,
            ..Status::default()
        });
        let (server, mut tab) = tab(&listener);
        hub.connect(server);
        let head = read_until_blank(&mut tab);
        assert!(head.starts_with("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"));
        assert!(!head.contains("Access-Control"), "{head}");
        assert_eq!(read_until_blank(&mut tab), "retry: 500\n\n");
        assert_eq!(read_until_blank(&mut tab), "event: build\ndata: 1\n\n");
        hub.publish(Status {
            build: 1,
            problems: Some("error: x\n --> a.md:1:1".into()),
            ..Status::default()
        });
        assert_eq!(
            read_until_blank(&mut tab),
            "event: problems\ndata: error: x\ndata:  --> a.md:1:1\n\n"
        );
        hub.publish(Status {
            build: 2,
            ..Status::default()
        });
        assert_eq!(read_until_blank(&mut tab), "event: build\ndata: 2\n\n");
        // A build with broken links: its number, then them, in one event.
        hub.publish(Status {
            build: 3,
            broken_links: "warning: broken link [x]\n --> a.md:2:1\n".into(),
            ..Status::default()
        });
        assert_eq!(
            read_until_blank(&mut tab),
            "event: build\ndata: 3\ndata: warning: broken link [x]\ndata:  --> a.md:2:1\n\n"
        );
    }

    #[test]
    fn closed_tabs_are_forgotten_and_the_number_is_capped() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let hub = Hub::default();
        let mut open = Vec::new();
        for _ in 0..MAX_CLIENTS + 5 {
            let (server, tab) = tab(&listener);
            hub.connect(server);
            open.push(tab);
        }
        assert_eq!(hub.clients(), MAX_CLIENTS);
        open.truncate(10);
        // The closes reach the server's sockets.
        std::thread::sleep(Duration::from_millis(100));
        hub.heartbeat();
        assert_eq!(hub.clients(), 10);
    }

    #[test]
    fn a_tab_that_stops_reading_is_dropped_without_waiting() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let hub = Hub::default();
        let (server, _stalled) = tab(&listener);
        hub.connect(server);
        let start = std::time::Instant::now();
        let big = "x".repeat(64 * 1024);
        for _ in 0..1000 {
            hub.publish(Status {
                build: 1,
                problems: Some(big.clone()),
                ..Status::default()
            });
        }
        assert_eq!(hub.clients(), 0);
        assert!(start.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn the_script_cannot_be_broken_out_of() {
        let script = script("/a\"</script><b>/__envbook/events", 3);
        assert!(
            script.contains(r#"new EventSource("/a\"<\/script><b>/__envbook/events")"#),
            "{script}"
        );
        assert_eq!(script.matches("</script>").count(), 1);
    }
}
