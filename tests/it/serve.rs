//! The preview server, run as a user runs it: a real `envbook serve` on a free
//! loopback port, edits to its files, and HTTP requests with bounded waits.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use crate::support::Site;

const WAIT: Duration = Duration::from_secs(10);

/// A running `envbook serve`, stopped when dropped.
pub struct Server {
    child: Child,
    pub port: u16,
    /// The path part of the served URL (`/` or `/docs/`).
    pub base: String,
    /// What the server prints, line by line.
    pub stdout: Receiver<String>,
    pub stderr: Receiver<String>,
}

/// Sends each line of `stream` to the returned receiver.
fn lines(stream: impl Read + Send + 'static) -> Receiver<String> {
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

impl Server {
    pub fn start(site: &Site, args: &[&str]) -> Server {
        Server::start_with(site, args, |_| {})
    }

    /// Starts the server with `setup` applied to its command first.
    pub fn start_with(site: &Site, args: &[&str], setup: impl FnOnce(&mut Command)) -> Server {
        let mut command = Command::new(env!("CARGO_BIN_EXE_envbook"));
        command
            .args(["serve", "--port", "0"])
            .args(args)
            .current_dir(&site.dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        setup(&mut command);
        let mut child = command.spawn().expect("envbook serve starts");
        let stdout = lines(child.stdout.take().unwrap());
        let stderr = lines(child.stderr.take().unwrap());
        let first = stdout
            .recv_timeout(WAIT)
            .expect("the server says where it serves");
        let url = first
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .expect("a URL")
            .to_string();
        let rest = url.trim_start_matches("http://127.0.0.1:");
        let (port, base) = rest.split_at(rest.find('/').unwrap());
        Server {
            child,
            port: port.parse().unwrap(),
            base: base.to_string(),
            stdout,
            stderr,
        }
    }

    /// The rebuild lines printed by the time `path` shows `text` and 200 ms
    /// more have passed (a rebuild after the one that served it would show).
    pub fn rebuilds_until(&self, path: &str, text: &str) -> Vec<String> {
        wait_for(text, || self.get(path).body.contains(text));
        std::thread::sleep(Duration::from_millis(200));
        self.stdout.try_iter().collect()
    }

    /// `GET path` with this server's own Host.
    pub fn get(&self, path: &str) -> Response {
        self.request(&format!(
            "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n\r\n",
            self.port
        ))
    }

    /// Sends a raw request and reads the whole response.
    pub fn request(&self, raw: &str) -> Response {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        stream.set_read_timeout(Some(WAIT)).unwrap();
        stream.write_all(raw.as_bytes()).unwrap();
        let mut bytes = Vec::new();
        let _ = stream.read_to_end(&mut bytes);
        Response::parse(&String::from_utf8_lossy(&bytes))
    }

    /// A request for the reload stream, on the page port, as a tab sends it.
    pub fn events_request(&self) -> TcpStream {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        stream.set_read_timeout(Some(WAIT)).unwrap();
        let request = format!(
            "GET {}__envbook/events HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nAccept: text/event-stream\r\n\r\n",
            self.base, self.port
        );
        stream.write_all(request.as_bytes()).unwrap();
        stream
    }

    /// A reload stream, as a tab opens it.
    pub fn events(&self) -> Events {
        Events(BufReader::new(self.events_request()))
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    fn parse(text: &str) -> Response {
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((text, ""));
        let mut lines = head.lines();
        let status = lines
            .next()
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let headers = lines
            .filter_map(|l| l.split_once(": "))
            .map(|(k, v)| (k.to_ascii_lowercase(), v.to_string()))
            .collect();
        Response {
            status,
            headers,
            body: body.to_string(),
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A Server-Sent Events stream.
pub struct Events(BufReader<TcpStream>);

impl Events {
    /// The next `(event, data)`, skipping the response head and comments.
    pub fn next(&mut self) -> (String, String) {
        let (mut event, mut data) = (String::new(), Vec::new());
        loop {
            let mut line = String::new();
            assert!(
                self.0.read_line(&mut line).unwrap() > 0,
                "the stream closed"
            );
            let line = line.trim_end_matches(['\r', '\n']);
            if let Some(e) = line.strip_prefix("event: ") {
                event = e.to_string();
            } else if let Some(d) = line.strip_prefix("data: ") {
                data.push(d.to_string());
            } else if line.is_empty() && !event.is_empty() {
                return (event, data.join("\n"));
            }
        }
    }
}

/// Polls `check` until it holds, for at most `WAIT`.
pub fn wait_for(what: &str, mut check: impl FnMut() -> bool) {
    let start = Instant::now();
    while !check() {
        assert!(start.elapsed() < WAIT, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn an_edited_page_is_served_with_its_new_text() {
    let site = Site::fixture("serve");
    let server = Server::start(&site, &[]);
    let page = server.get("/");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Version one."));
    site.write(
        "content/index.md",
        &site
            .read("content/index.md")
            .replace("Version one.", "Version two."),
    );
    wait_for("the new text", || {
        server.get("/").body.contains("Version two.")
    });
    let line = server.stdout.recv_timeout(WAIT).unwrap();
    assert!(
        line.starts_with("index.md changed: 1 page rendered in "),
        "{line}"
    );
}

#[test]
fn a_data_edit_changes_the_matrix_cell() {
    let site = Site::fixture("serve");
    let server = Server::start(&site, &[]);
    assert!(
        server
            .get("/")
            .body
            .contains("<td class=\"differs\"><code>dev.example.com</code></td>")
    );
    let data = site.read("data/environments.yaml");
    site.write(
        "data/environments.yaml",
        &data.replace("dev: dev.example.com", "dev: dev2.example.com"),
    );
    wait_for("the new cell", || {
        server
            .get("/")
            .body
            .contains("<td class=\"differs\"><code>dev2.example.com</code></td>")
    });
    assert!(
        server
            .get("/environments/dev/")
            .body
            .contains("<code>dev2.example.com</code>")
    );
}

#[test]
fn a_broken_build_shows_its_problems_and_keeps_the_last_good_site() {
    let site = Site::fixture("serve");
    let server = Server::start(&site, &[]);
    let mut events = server.events();
    assert_eq!(events.next(), ("build".into(), "1".into()));
    let good = site.read("data/environments.yaml");
    site.write(
        "data/environments.yaml",
        &format!("{good}  - id: broken\n    settings: [\n"),
    );
    let (event, text) = events.next();
    assert_eq!(event, "problems");
    assert!(text.starts_with("error: invalid YAML: "), "{text}");
    assert!(text.contains("--> data/environments.yaml:"), "{text}");
    // The last good site is still served, and a tab opened now hears the problem at once.
    let page = server.get("/");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Version one."));
    assert_eq!(server.events().next().0, "problems");
    site.write(
        "data/environments.yaml",
        &good.replace("eu-west-1", "eu-central-1"),
    );
    assert_eq!(events.next(), ("build".into(), "2".into()));
    assert!(
        server
            .get("/environments/dev/")
            .body
            .contains("eu-central-1")
    );
}

/// A link to a heading not written yet is a problem of one link, not of
/// the site: the preview serves the pages and names the link in them (as a
/// note in a corner), while `build` still fails on it.
#[test]
fn a_broken_link_is_named_in_the_pages_which_are_still_served() {
    let site = Site::fixture("serve");
    let page = site.read("content/index.md");
    site.write("content/index.md", &format!("{page}\n[Later](#later)\n"));
    assert_eq!(site.run(&["build"]).code, 1);
    let server = Server::start(&site, &[]);
    let home = server.get("/");
    assert_eq!(home.status, 200);
    assert!(home.body.contains("Version one.") && home.body.contains("envbook-note"));
    let mut events = server.events();
    let (event, data) = events.next();
    assert_eq!(event, "build");
    let (number, links) = data.split_once('\n').expect("the broken link");
    assert_eq!(number, "1");
    assert!(
        links.starts_with(
            "warning: broken link [Later]: there is no `#later` on /\n --> content/index.md:"
        ),
        "{links}"
    );
    // Written: the next build has no broken link, and neither has the note.
    site.write(
        "content/index.md",
        &format!("{page}\n[Later](#later)\n\n## Later\n"),
    );
    assert_eq!(events.next(), ("build".into(), "2".into()));
    assert_eq!(site.run(&["check"]).code, 0);
}

/// A rebuild prints the warnings it did not print before, and counts the
/// others: the Rust Reference's 628 broken links scrolled by at every save.
#[test]
fn a_rebuild_prints_only_new_warnings_and_counts_the_rest() {
    let site = Site::fixture("serve");
    let page = site.read("content/index.md");
    site.write("content/index.md", &format!("{page}\n[Later](#later)\n"));
    let server = Server::start(&site, &[]);
    let stderr = |what: &str| -> Vec<String> {
        // The lines printed by now, after a moment for the last to arrive.
        std::thread::sleep(Duration::from_millis(300));
        let lines: Vec<String> = server.stderr.try_iter().collect();
        assert!(!lines.is_empty() || what == "none", "{what}");
        lines
    };
    let first = stderr("the first build's warning");
    assert!(
        first[0].starts_with("warning: broken link [Later]: there is no `#later`"),
        "{first:?}"
    );
    site.write(
        "content/index.md",
        &format!("{page}\n[Later](#later)\n\nMore text.\n"),
    );
    let line = server.stdout.recv_timeout(WAIT).unwrap();
    assert!(
        line.starts_with("index.md changed: 1 page rendered in "),
        "{line}"
    );
    assert!(line.ends_with(" ms (1 warning as before)"), "{line}");
    assert_eq!(stderr("none"), Vec::<String>::new());
    site.write(
        "content/index.md",
        &format!("{page}\n[Later](#later)\n\nMore text.\n\n[Sooner](#sooner)\n"),
    );
    let line = server.stdout.recv_timeout(WAIT).unwrap();
    assert!(line.ends_with(" ms (1 warning as before)"), "{line}");
    let new = stderr("the new warning");
    assert!(
        new[0].starts_with("warning: broken link [Sooner]: there is no `#sooner`"),
        "{new:?}"
    );
    assert!(!new.iter().any(|l| l.contains("[Later]")), "{new:?}");
}

#[test]
fn broken_then_fixed_book_toml_keeps_the_old_config_then_takes_the_new() {
    let site = Site::fixture("serve");
    let server = Server::start(&site, &[]);
    let mut events = server.events();
    events.next();
    site.write("book.toml", "[book]\ntitel = \"Oops\"\n");
    let (event, text) = events.next();
    assert_eq!(event, "problems");
    assert!(text.contains("unknown key `titel` in [book]"), "{text}");
    assert!(server.get("/").body.contains("<title>serve</title>"));
    site.write("book.toml", "[book]\ntitle = \"Renamed\"\n");
    assert_eq!(events.next().0, "build");
    assert!(server.get("/").body.contains("<title>Renamed</title>"));
}

#[test]
fn a_burst_of_saves_ends_with_the_last_one() {
    let site = Site::fixture("serve");
    let server = Server::start(&site, &[]);
    for i in 1..=100 {
        site.write(
            "content/runbooks/restart.md",
            &format!("# Restart\n\nSave number {i}.\n"),
        );
    }
    // Rebuilds were merged, and nothing comes after the last one.
    let rebuilds = server.rebuilds_until("/runbooks/restart/", "Save number 100.");
    assert!(!rebuilds.is_empty() && rebuilds.len() < 100, "{rebuilds:?}");
    assert!(
        server
            .get("/runbooks/restart/")
            .body
            .contains("Save number 100.")
    );
}

#[test]
fn a_save_by_writing_a_temp_file_and_renaming_it_is_picked_up() {
    let site = Site::fixture("serve");
    let server = Server::start(&site, &[]);
    site.write("content/runbooks/.restart.md.swp", "editor state");
    site.write(
        "content/runbooks/restart.md.tmp",
        "# Restart\n\nRenamed into place.\n",
    );
    std::fs::rename(
        site.path("content/runbooks/restart.md.tmp"),
        site.path("content/runbooks/restart.md"),
    )
    .unwrap();
    wait_for("the renamed file", || {
        server
            .get("/runbooks/restart/")
            .body
            .contains("Renamed into place.")
    });
    // A new page, and a removed one.
    site.write("content/runbooks/new.md", "# New page\n");
    wait_for("the new page", || {
        server.get("/runbooks/new/").status == 200
    });
    std::fs::remove_file(site.path("content/runbooks/new.md")).unwrap();
    wait_for("the page to go", || {
        server.get("/runbooks/new/").status == 404
    });
}

#[test]
fn a_save_the_vim_way_is_one_rebuild_of_the_new_text() {
    let site = Site::fixture("serve");
    let server = Server::start(&site, &[]);
    let page = site.path("content/runbooks/restart.md");
    let backup = site.path("content/runbooks/restart.md~");
    // Vim renames the page to its backup, writes the page anew, then
    // deletes the backup: one rebuild, of the new text (that the backup's
    // rename does not end the batch is `serve::watch`'s unit test).
    std::fs::rename(&page, &backup).unwrap();
    std::fs::write(&page, "# Restart\n\nWritten the vim way.\n").unwrap();
    std::fs::remove_file(&backup).unwrap();
    // One rebuild (two if the machine stalled this test for 10 ms between
    // the rename and the write); the backup's coming and going is none.
    let rebuilds = server.rebuilds_until("/runbooks/restart/", "Written the vim way.");
    assert!(matches!(rebuilds.len(), 1 | 2), "{rebuilds:?}");
    let last = rebuilds.last().unwrap();
    assert!(
        last.starts_with("runbooks/restart.md changed"),
        "{rebuilds:?}"
    );
}

#[test]
fn paths_that_escape_the_site_and_foreign_hosts_are_refused() {
    let site = Site::fixture("serve");
    std::fs::write(site.dir.join("secret.txt"), "not part of the site").unwrap();
    std::os::unix::fs::symlink(site.dir.join("secret.txt"), site.path("content/link.txt")).unwrap();
    let server = Server::start(&site, &[]);
    for path in [
        "/../secret.txt",
        "/..%2fsecret.txt",
        "/%2e%2e/secret.txt",
        "/%2E%2E/%2E%2E/etc/passwd",
        "//etc/passwd",
        "/runbooks\\..\\..\\secret.txt",
        "/runbooks%5c..%5c..%5csecret.txt",
        "/index.html%00",
        "/link.txt",
        "/book.toml",
        "/content/index.md",
    ] {
        let response = server.get(path);
        assert_eq!(response.status, 404, "{path}");
        assert!(!response.body.contains("not part of the site"), "{path}");
    }
    let port = server.port;
    for host in [
        "evil.example.com".to_string(),
        "evil.example.com:80".to_string(),
        format!("127.0.0.1.nip.io:{port}"),
        format!("localhost.evil.example.com:{port}"),
    ] {
        let response = server.request(&format!(
            "GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
        ));
        assert_eq!(response.status, 403, "{host}");
        let response = server.request(&format!(
            "GET /__envbook/events HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
        ));
        assert_eq!(response.status, 403, "{host}");
    }
    // A page of another site cannot listen to the reload stream.
    let response = server.request(&format!(
        "GET /__envbook/events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nOrigin: http://evil.example.com\r\nConnection: close\r\n\r\n"
    ));
    assert_eq!(response.status, 403);
    let localhost = server.request(&format!(
        "GET / HTTP/1.1\r\nHost: localhost:{}\r\nConnection: close\r\n\r\n",
        server.port
    ));
    assert_eq!(localhost.status, 200);
}

#[test]
fn responses_have_types_the_site_404_and_no_cors() {
    let site = Site::fixture("serve");
    let server = Server::start(&site, &[]);
    let page = server.get("/");
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert!(page.body.contains("envbook serve: live reload"));
    assert!(
        page.headers
            .iter()
            .all(|(k, _)| !k.starts_with("access-control"))
    );
    let css = server.get("/static/envbook.css");
    assert_eq!(css.header("content-type"), Some("text/css; charset=utf-8"));
    assert!(
        !css.body.contains("live reload"),
        "the script goes into HTML pages only"
    );
    assert_eq!(
        server.get("/environments.json").header("content-type"),
        Some("application/json; charset=utf-8")
    );
    assert_eq!(server.get("/style.txt").body, "body { color: black; }\n");
    let missing = server.get("/no/such/page/");
    assert_eq!(missing.status, 404);
    assert!(missing.body.contains("Page not found"));
    let folder = server.get("/runbooks/restart");
    assert_eq!(
        (folder.status, folder.header("location")),
        (301, Some("/runbooks/restart/"))
    );
}

#[test]
fn under_a_sub_path_base_url() {
    let site = Site::fixture("subpath");
    let server = Server::start(&site, &[]);
    assert_eq!(server.base, "/docs/");
    let page = server.get("/docs/runbooks/db-failover/");
    assert_eq!(page.status, 200);
    assert!(
        page.body
            .contains(r#"new EventSource("/docs/__envbook/events")"#),
        "{}",
        page.body
    );
    assert_eq!(server.get("/runbooks/db-failover/").status, 404);
    let mut events = server.events();
    assert_eq!(events.next().0, "build");
}

#[test]
fn a_port_in_use_is_a_clear_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let site = Site::fixture("serve");
    let run = site.run(&["serve", "--port", &port]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .starts_with(&format!("error: cannot listen on 127.0.0.1:{port}: ")),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("--port 0 for a free one"),
        "{}",
        run.stderr
    );
}

/// Threads and CPU time of a process, from /proc.
fn usage(pid: u32) -> (usize, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let threads = status
        .lines()
        .find_map(|l| l.strip_prefix("Threads:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .unwrap()
        .1
        .split_whitespace()
        .collect();
    let ticks = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    (threads, ticks)
}

#[test]
fn many_idle_and_closing_reload_clients_cost_no_runaway_threads_or_cpu() {
    let site = Site::fixture("serve");
    let server = Server::start(&site, &[]);
    let pid = server.child.id();
    let mut tabs: Vec<Events> = (0..60).map(|_| server.events()).collect();
    for tab in &mut tabs {
        assert_eq!(tab.next().0, "build");
    }
    let (threads, cpu) = usage(pid);
    std::thread::sleep(Duration::from_secs(1));
    let (_, cpu_after) = usage(pid);
    assert!(
        cpu_after - cpu <= 5,
        "idle tabs used {} ticks in a second",
        cpu_after - cpu
    );
    assert!(threads < 30, "{threads} threads for 60 tabs");
    // More than the cap are refused, not kept.
    let mut extra: Vec<BufReader<TcpStream>> = (0..10)
        .map(|_| BufReader::new(server.events_request()))
        .collect();
    let statuses: Vec<String> = extra
        .iter_mut()
        .map(|tab| {
            let mut line = String::new();
            tab.read_line(&mut line).unwrap();
            line.trim_end().to_string()
        })
        .collect();
    let refused = statuses
        .iter()
        .filter(|l| *l == "HTTP/1.1 503 Service Unavailable")
        .count();
    assert_eq!(refused, 6, "{statuses:?}");
    drop(extra);
    drop(tabs);
    // Closed tabs make room again, and the server still answers at once.
    wait_for("room for a new tab", || {
        let mut tab = server.events();
        tab.0
            .get_mut()
            .set_read_timeout(Some(Duration::from_millis(500)))
            .unwrap();
        let mut line = String::new();
        tab.0.read_line(&mut line).is_ok() && line.contains("200")
    });
    assert_eq!(server.get("/").status, 200);
}

/// The rebuild lines printed within `quiet` of now (none expected after it).
fn lines_within(server: &Server, quiet: Duration) -> Vec<String> {
    let mut lines = Vec::new();
    while let Ok(line) = server.stdout.recv_timeout(quiet) {
        lines.push(line);
    }
    lines
}

#[test]
fn each_kind_of_change_rebuilds_what_it_affects() {
    let site = Site::fixture("serve");
    let server = Server::start(&site, &[]);
    site.write(
        "content/runbooks/restart.md",
        "# Restart\n\nSave number 1.\n",
    );
    // The page only: the section page that lists it shows its title, which
    // did not change.
    let line = server.stdout.recv_timeout(WAIT).unwrap();
    assert!(
        line.starts_with("runbooks/restart.md changed: 1 page rendered in "),
        "{line}"
    );
    site.write(
        "data/environments.yaml",
        &site
            .read("data/environments.yaml")
            .replace("prod: example.com", "prod: www.example.com"),
    );
    // The page with directives and prod's environment page: the other
    // environments' pages show none of prod's cells.
    let line = server.stdout.recv_timeout(WAIT).unwrap();
    assert!(
        line.starts_with("data changed: 2 pages rendered in "),
        "{line}"
    );
    // A new theme folder: the site is read again; then a template edit renders every page.
    site.write(
        "theme/templates/page.html",
        "{{ page.title }}|{{ page.content | safe }}",
    );
    let line = server.stdout.recv_timeout(WAIT).unwrap();
    assert!(
        line.starts_with("the site changed: 7 pages rendered in "),
        "{line}"
    );
    wait_for("the new template", || {
        server
            .get("/runbooks/restart/")
            .body
            .starts_with("Restart|")
    });
    site.write(
        "theme/templates/page.html",
        "{{ page.title }}!{{ assets[\"envbook.css\"] }}!{{ page.content | safe }}",
    );
    assert!(
        server
            .stdout
            .recv_timeout(WAIT)
            .unwrap()
            .starts_with("theme changed: 7 pages rendered in ")
    );
    // A static file of the theme: served new, under its new hashed name
    // too (the preview keeps them between rebuilds while the theme is the same).
    site.write("theme/static/envbook.css", "body { color: teal; }\n");
    let line = server.stdout.recv_timeout(WAIT).unwrap();
    assert!(line.starts_with("theme changed: "), "{line}");
    let css = "body { color: teal; }\n";
    wait_for("the new stylesheet", || {
        server.get("/static/envbook.css").body == css
    });
    let page = server.get("/runbooks/restart/").body;
    let linked = page.split('!').nth(1).unwrap();
    assert!(linked.starts_with("/static/envbook."), "{page}");
    assert_eq!(server.get(linked).body, css, "{linked}");
}

#[test]
fn reads_metadata_changes_swap_files_and_the_output_folder_start_no_rebuild() {
    let site = Site::fixture("serve");
    assert_eq!(site.run(&["build"]).code, 0);
    let server = Server::start(&site, &[]);
    let _ = std::fs::read_to_string(site.path("content/index.md")).unwrap();
    let file = std::fs::File::open(site.path("content/index.md")).unwrap();
    file.set_modified(std::time::SystemTime::now()).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(
        site.path("content/index.md"),
        std::fs::Permissions::from_mode(0o600),
    )
    .unwrap();
    site.write("content/.index.md.swp", "vim");
    site.write("content/index.md~", "backup");
    site.write("content/#index.md#", "emacs");
    // A build beside the server writes its own output folder: not a source.
    assert_eq!(site.run(&["build"]).code, 0);
    assert_eq!(
        lines_within(&server, Duration::from_millis(400)),
        Vec::<String>::new()
    );
}

#[test]
fn polling_finds_changes_too() {
    let site = Site::fixture("serve");
    let server = Server::start(&site, &["--poll"]);
    site.write(
        "content/index.md",
        &site
            .read("content/index.md")
            .replace("Version one.", "Polled."),
    );
    wait_for("the polled change", || {
        server.get("/").body.contains("Polled.")
    });
}

#[test]
fn another_address_only_when_asked() {
    let site = Site::fixture("serve");
    /// Stops the server even when an assertion fails.
    struct Kill(Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut child = Kill(
        Command::new(env!("CARGO_BIN_EXE_envbook"))
            .args(["serve", "--port", "0", "--address", "127.0.0.2"])
            .current_dir(&site.dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let first = lines(child.0.stdout.take().unwrap())
        .recv_timeout(WAIT)
        .unwrap();
    let port: u16 = first
        .split("http://127.0.0.2:")
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let get = |host: &str| {
        let mut stream = TcpStream::connect(("127.0.0.2", port)).unwrap();
        stream.set_read_timeout(Some(WAIT)).unwrap();
        write!(
            stream,
            "GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut status = String::new();
        BufReader::new(stream).read_line(&mut status).unwrap();
        status
    };
    assert!(get(&format!("127.0.0.2:{port}")).starts_with("HTTP/1.1 200"));
    assert!(get(&format!("docs.example.com:{port}")).starts_with("HTTP/1.1 403"));
    drop(child);
    // By default, 127.0.0.1 only.
    let server = Server::start(&site, &[]);
    assert!(TcpStream::connect(("127.0.0.2", server.port)).is_err());
}

#[test]
fn a_configuration_file_edit_changes_its_cells_and_only_the_pages_that_show_them() {
    let site = Site::fixture("data-from-files");
    let server = Server::start(&site, &[]);
    let mut events = server.events();
    assert_eq!(events.next(), ("build".into(), "1".into()));
    let prod = site.read("deploy/helm/values-prod.yaml");
    site.write(
        "deploy/helm/values-prod.yaml",
        &prod.replace("size: 20Gi", "size: 40Gi"),
    );
    // The page with the matrix and prod's environment page: not dev's, nor
    // the page without directives.
    let lines = server.rebuilds_until("/", "<td class=\"differs\"><code>40Gi</code>");
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].contains("values-prod.yaml changed: 2 pages rendered in "),
        "{lines:?}"
    );
    assert!(
        server
            .get("/environments/prod/")
            .body
            .contains("<code>40Gi</code>")
    );
    assert_eq!(events.next(), ("build".into(), "2".into()));
    // A broken file: its problem over the page, with the data file's line;
    // the last good site still served.
    site.write("deploy/helm/values-prod.yaml", "postgres: [\n");
    let (event, text) = events.next();
    assert_eq!(event, "problems");
    assert!(text.contains("--> deploy/helm/values-prod.yaml:"), "{text}");
    assert!(text.contains("note: read here"), "{text}");
    assert!(server.get("/").body.contains("<code>40Gi</code>"));
    site.write("deploy/helm/values-prod.yaml", &prod);
    assert_eq!(events.next(), ("build".into(), "3".into()));
    assert!(server.get("/").body.contains("<code>20Gi</code>"));
}
