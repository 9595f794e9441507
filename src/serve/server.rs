//! The preview's connections: HTTP/1.1 over blocking sockets, a thread per
//! connection, request heads parsed by httparse.
//!
//! Why not tiny_http, which served the preview before: its accept thread ends
//! on the first accept error (tiny-http/tiny-http#283, still open), which a
//! read timeout on the listener turned into "the preview stops after 5 s
//! idle"; it buffers request lines and headers without limit, gives every
//! connection a thread without a cap, and has no per-connection timeouts.
//! Each of those is a line here: every limit below is a constant.

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// A request line and headers past this are refused (414 or 431), never buffered.
pub const MAX_HEAD: usize = 8 * 1024;
const MAX_HEADERS: usize = 64;
/// A connection with no request for this long is closed (a browser opens a new one).
const IDLE: Duration = Duration::from_secs(15);
/// A request head must arrive whole within this, however slowly it trickles.
const HEAD_TIME: Duration = Duration::from_secs(10);
/// A client that takes no bytes of a response for this long is dropped.
const WRITE_TIME: Duration = Duration::from_secs(10);
/// Connections served at once; past it, new ones get 503 at once. Each costs
/// a small thread, mostly asleep.
pub const MAX_CONNECTIONS: usize = 1024;
const STACK: usize = 256 * 1024;

/// A request head, read and checked.
#[derive(Debug)]
pub struct Request {
    pub method: String,
    /// The request target as sent: `/runbooks/db/?x=1`.
    pub target: String,
    /// Names in lower case.
    pub headers: Vec<(String, String)>,
    /// The client wants the connection closed after the response.
    pub close: bool,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

pub enum Body {
    Empty,
    Bytes(Arc<[u8]>),
    /// An HTML page with `insert` written at byte `at`, without copying the page.
    Page {
        bytes: Arc<[u8]>,
        at: usize,
        insert: String,
    },
    /// Streamed from disk, never read whole.
    File {
        file: File,
        len: u64,
    },
}

impl Body {
    fn len(&self) -> u64 {
        match self {
            Body::Empty => 0,
            Body::Bytes(b) => b.len() as u64,
            Body::Page { bytes, insert, .. } => (bytes.len() + insert.len()) as u64,
            Body::File { len, .. } => *len,
        }
    }
}

pub struct Response {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: Body,
}

impl Response {
    pub fn text(status: u16, text: &str) -> Response {
        Response {
            status,
            headers: vec![("Content-Type", "text/plain; charset=utf-8".into())],
            body: Body::Bytes(text.as_bytes().into()),
        }
    }

    pub fn with_header(mut self, name: &'static str, value: String) -> Response {
        self.headers.push((name, value));
        self
    }
}

pub enum Answer {
    Respond(Response),
    /// The connection becomes a long-lived stream owned by the handler.
    HandOver,
}

/// What the server asks of the site it serves.
pub trait Handler: Send + Sync + 'static {
    fn answer(&self, request: &Request) -> Answer;
    /// Takes a connection that [`Answer::HandOver`] gave up.
    fn take_over(&self, stream: TcpStream);
}

/// Accepts connections until the process ends. An accept error (too many
/// open files, a connection reset while queued) is logged and retried, never
/// fatal: the preview must not go away by itself.
pub fn run(listener: TcpListener, handler: Arc<dyn Handler>) {
    let open = Arc::new(AtomicUsize::new(0));
    let mut last_logged: Option<Instant> = None;
    loop {
        match listener.accept() {
            Ok((stream, _)) => start(stream, &open, &handler),
            Err(e) => {
                if last_logged.is_none_or(|t| t.elapsed() > Duration::from_secs(10)) {
                    eprintln!("warning: accepting a connection failed: {e} (retrying)");
                    last_logged = Some(Instant::now());
                }
                if !matches!(
                    e.kind(),
                    io::ErrorKind::ConnectionAborted
                        | io::ErrorKind::ConnectionReset
                        | io::ErrorKind::Interrupted
                ) {
                    // Out of descriptors or memory: give connections time to close.
                    std::thread::sleep(Duration::from_millis(50));
                }
            }
        }
    }
}

/// Counts a connection while its thread runs.
struct Slot(Arc<AtomicUsize>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

fn start(stream: TcpStream, open: &Arc<AtomicUsize>, handler: &Arc<dyn Handler>) {
    if open.fetch_add(1, Ordering::AcqRel) >= MAX_CONNECTIONS {
        open.fetch_sub(1, Ordering::AcqRel);
        refuse_busy(&stream);
        return;
    }
    let slot = Slot(open.clone());
    let handler = handler.clone();
    let spawned = std::thread::Builder::new()
        .name("envbook-conn".into())
        .stack_size(STACK)
        .spawn(move || {
            let _slot = slot;
            connection(stream, &*handler);
        });
    if let Err(e) = spawned {
        eprintln!("warning: no thread for a connection: {e}");
    }
}

/// Answers 503 without waiting on the client.
fn refuse_busy(stream: &TcpStream) {
    let _ = stream.set_nonblocking(true);
    let _ = (&*stream).write_all(
        b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nRetry-After: 1\r\nConnection: close\r\n\r\n",
    );
}

/// Serves the requests of one connection, in order, until either side closes.
fn connection(mut stream: TcpStream, handler: &dyn Handler) {
    let _ = stream.set_nodelay(true);
    let _ = stream.set_write_timeout(Some(WRITE_TIME));
    let mut buf = Vec::new();
    loop {
        let request = match read_request(&mut stream, &mut buf) {
            Ok(Some(request)) => request,
            Ok(None) => return,
            Err(refusal) => {
                let _ = write_response(&stream, refusal, false, true);
                return;
            }
        };
        let response = match handler.answer(&request) {
            Answer::HandOver => return handler.take_over(stream),
            Answer::Respond(response) => response,
        };
        let head_only = request.method == "HEAD";
        if write_response(&stream, response, head_only, request.close).is_err() || request.close {
            return;
        }
    }
}

/// The next request of the connection; `None` when it closed or sat idle.
/// `buf` keeps bytes read past the head (a pipelined request) and never
/// holds more than [`MAX_HEAD`].
fn read_request(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Result<Option<Request>, Response> {
    // Bytes of a pipelined request are the start of a head: its time runs.
    let mut deadline = (!buf.is_empty()).then(|| Instant::now() + HEAD_TIME);
    loop {
        if !buf.is_empty() {
            if let Some((request, used)) = parse(buf)? {
                buf.drain(..used);
                return Ok(Some(request));
            }
            if buf.len() >= MAX_HEAD {
                return Err(too_large(buf));
            }
        }
        let wait = match deadline {
            // Waiting for a request to start: an idle connection.
            None => IDLE,
            Some(d) => match d.checked_duration_since(Instant::now()) {
                Some(left) if !left.is_zero() => left,
                _ => return Err(Response::text(408, "the request took too long to arrive\n")),
            },
        };
        let _ = stream.set_read_timeout(Some(wait));
        let mut chunk = [0; 2048];
        let room = (MAX_HEAD - buf.len()).min(chunk.len());
        match stream.read(&mut chunk[..room]) {
            Ok(0) => return Ok(None),
            Ok(n) => {
                deadline.get_or_insert_with(|| Instant::now() + HEAD_TIME);
                buf.extend_from_slice(&chunk[..n]);
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            // Idle past IDLE, or the connection failed: close quietly.
            Err(_) if deadline.is_none() => return Ok(None),
            Err(_) => return Err(Response::text(408, "the request took too long to arrive\n")),
        }
    }
}

fn too_large(buf: &[u8]) -> Response {
    if buf.windows(2).any(|w| w == b"\r\n") {
        Response::text(431, "request headers too large\n")
    } else {
        Response::text(414, "request line too long\n")
    }
}

/// Parses a whole head from `buf`: `None` while it is incomplete.
fn parse(buf: &[u8]) -> Result<Option<(Request, usize)>, Response> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut parsed = httparse::Request::new(&mut headers);
    let used = match parsed.parse(buf) {
        Ok(httparse::Status::Complete(used)) => used,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(httparse::Error::TooManyHeaders) => {
            return Err(Response::text(431, "too many request headers\n"));
        }
        Err(e) => return Err(Response::text(400, &format!("bad request: {e}\n"))),
    };
    let request = Request {
        method: parsed.method.unwrap_or_default().to_string(),
        target: parsed.path.unwrap_or_default().to_string(),
        headers: parsed
            .headers
            .iter()
            .map(|h| {
                let value = String::from_utf8_lossy(h.value).trim().to_string();
                (h.name.to_ascii_lowercase(), value)
            })
            .collect(),
        close: false,
    };
    check(request, parsed.version == Some(0)).map(|r| Some((r, used)))
}

/// Refuses what a read-only server must not try to make sense of: bodies
/// (never read, so no length can desynchronise the connection or cost
/// memory), repeated or missing `Host`.
fn check(mut request: Request, http10: bool) -> Result<Request, Response> {
    let count = |name: &str| request.headers.iter().filter(|(n, _)| n == name).count();
    let has_body = count("transfer-encoding") > 0
        || request
            .headers
            .iter()
            .any(|(n, v)| n == "content-length" && v != "0");
    if has_body {
        let status = if matches!(request.method.as_str(), "GET" | "HEAD") {
            400
        } else {
            405
        };
        return Err(Response::text(
            status,
            "the preview server takes no request bodies\n",
        ));
    }
    if count("host") > 1 || (!http10 && count("host") == 0) {
        return Err(Response::text(400, "one Host header is required\n"));
    }
    let tokens = request
        .header("connection")
        .unwrap_or("")
        .to_ascii_lowercase();
    let has = |t: &str| tokens.split(',').any(|x| x.trim() == t);
    request.close = has("close") || (http10 && !has("keep-alive"));
    Ok(request)
}

/// Writes a response; `close` adds `Connection: close`.
fn write_response(
    stream: &TcpStream,
    response: Response,
    head_only: bool,
    close: bool,
) -> io::Result<()> {
    let mut out = BufWriter::with_capacity(64 * 1024, stream);
    write!(
        out,
        "HTTP/1.1 {} {}\r\nContent-Length: {}\r\n",
        response.status,
        reason(response.status),
        response.body.len()
    )?;
    for (name, value) in &response.headers {
        write!(out, "{name}: {value}\r\n")?;
    }
    if close {
        out.write_all(b"Connection: close\r\n")?;
    }
    out.write_all(b"\r\n")?;
    if !head_only {
        write_body(&mut out, response.body)?;
    }
    out.flush()
}

fn write_body(out: &mut impl Write, body: Body) -> io::Result<()> {
    match body {
        Body::Empty => Ok(()),
        Body::Bytes(bytes) => out.write_all(&bytes),
        Body::Page { bytes, at, insert } => {
            out.write_all(&bytes[..at])?;
            out.write_all(insert.as_bytes())?;
            out.write_all(&bytes[at..])
        }
        Body::File { file, len } => {
            let copied = io::copy(&mut file.take(len), out)?;
            if copied < len {
                // The file shrank while it was sent: the length is now a lie.
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            Ok(())
        }
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        301 => "Moved Permanently",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        414 => "URI Too Long",
        431 => "Request Header Fields Too Large",
        503 => "Service Unavailable",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(raw: &str) -> Result<Option<Request>, u16> {
        parse(raw.as_bytes())
            .map(|r| r.map(|(r, _)| r))
            .map_err(|r| r.status)
    }

    #[test]
    fn heads_are_read_with_their_headers() {
        let r = parsed("GET /a/?x=1 HTTP/1.1\r\nHost: localhost:3000\r\nConnection: Close\r\n\r\n")
            .unwrap()
            .unwrap();
        assert_eq!((r.method.as_str(), r.target.as_str()), ("GET", "/a/?x=1"));
        assert_eq!(r.header("host"), Some("localhost:3000"));
        assert!(r.close);
        assert!(parsed("GET / HTTP/1.1\r\nHost: a").unwrap().is_none());
        let r = parsed("GET / HTTP/1.0\r\n\r\n").unwrap().unwrap();
        assert!(r.close, "HTTP/1.0 closes unless asked not to");
    }

    #[test]
    fn bodies_and_odd_heads_are_refused() {
        for (raw, status) in [
            (
                "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999\r\n\r\n",
                400,
            ),
            (
                "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello",
                405,
            ),
            (
                "GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n",
                400,
            ),
            (
                "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\nTransfer-Encoding: chunked\r\n\r\n",
                400,
            ),
            ("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", 400),
            ("GET\x00 / HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        ] {
            assert_eq!(parsed(raw).err(), Some(status), "{raw:?}");
        }
    }

    #[test]
    fn too_large_heads_say_which_part() {
        let line = format!("GET /{} HTTP/1.1", "a".repeat(MAX_HEAD));
        assert_eq!(too_large(&line.as_bytes()[..MAX_HEAD]).status, 414);
        let head = format!("GET / HTTP/1.1\r\nX: {}", "a".repeat(MAX_HEAD));
        assert_eq!(too_large(&head.as_bytes()[..MAX_HEAD]).status, 431);
        let many: String = (0..100).map(|i| format!("X-{i}: 1\r\n")).collect();
        assert_eq!(
            parsed(&format!("GET / HTTP/1.1\r\nHost: a\r\n{many}\r\n")).err(),
            Some(431)
        );
    }
}
