//! The preview survives real use (issue 8): it stays up through idle time,
//! load, slow and hostile clients, broken sites, folder moves and edit
//! storms. Each test is named for the defect it guards against.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::serve::{Server, wait_for};
use crate::support::Site;

/// Longer than every timeout the server has: idle connections (15 s), a
/// request head (10 s), a stalled write (10 s), the reload heartbeat (15 s).
const PAST_EVERY_TIMEOUT: Duration = Duration::from_secs(31);
/// How long a request may take while the server is under a test's load:
/// seconds, where the defects made it minutes or forever.
const PROMPT: Duration = Duration::from_secs(5);

/// `GET path` on a fresh connection, within `PROMPT`; the status, or 0.
fn status_of(server: &Server, path: &str) -> u16 {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", server.port)) else {
        return 0;
    };
    stream.set_read_timeout(Some(PROMPT)).unwrap();
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n\r\n",
        server.port
    );
    if stream.write_all(request.as_bytes()).is_err() {
        return 0;
    }
    let mut line = String::new();
    let _ = BufReader::new(stream).read_line(&mut line);
    line.split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

/// Sends `raw` and reads the whole answer (until the server closes).
fn exchange(server: &Server, raw: &[u8]) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    stream.set_read_timeout(Some(PROMPT)).unwrap();
    let _ = stream.write_all(raw);
    let mut bytes = Vec::new();
    let _ = stream.read_to_end(&mut bytes);
    String::from_utf8_lossy(&bytes).into_owned()
}

/// The resident memory of a process, in MiB.
fn rss_mib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap();
    kib / 1024
}

#[test]
fn pages_and_open_tabs_are_answered_after_idling_past_every_timeout() {
    let site = Site::fixture("serve");
    let server = Server::start(&site, &[]);
    let mut tab = server.events();
    assert_eq!(tab.next(), ("build".into(), "1".into()));
    // A kept-alive connection a browser holds, and one that never spoke.
    let mut kept = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    let silent = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    write!(
        kept,
        "GET / HTTP/1.1\r\nHost: localhost:{}\r\n\r\n",
        server.port
    )
    .unwrap();
    std::thread::sleep(PAST_EVERY_TIMEOUT);
    assert_eq!(
        status_of(&server, "/"),
        200,
        "a new connection after idling"
    );
    site.write("content/index.md", "# Live\n\nAfter a quiet half minute.\n");
    assert_eq!(
        tab.next(),
        ("build".into(), "2".into()),
        "the open tab hears the edit"
    );
    wait_for("the edit", || {
        server.get("/").body.contains("After a quiet half minute.")
    });
    drop((kept, silent));
}

#[test]
fn a_page_is_answered_after_a_keep_alive_load_run() {
    let site = Site::fixture("serve");
    let server = Server::start(&site, &[]);
    let port = server.port;
    // Longer than any listener timeout could be without a new connection
    // (the old server stopped accepting 5 s after its last one).
    let until = Instant::now() + Duration::from_secs(6);
    let workers: Vec<_> = (0..4)
        .map(|_| {
            std::thread::spawn(move || {
                let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
                stream.set_read_timeout(Some(PROMPT)).unwrap();
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut answered = 0;
                while Instant::now() < until {
                    write!(stream, "GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n").unwrap();
                    let mut length = 0;
                    loop {
                        let mut line = String::new();
                        reader.read_line(&mut line).unwrap();
                        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                            length = v.trim().parse().unwrap();
                        }
                        if line == "\r\n" {
                            break;
                        }
                    }
                    let mut body = vec![0; length];
                    reader.read_exact(&mut body).unwrap();
                    answered += 1;
                    std::thread::sleep(Duration::from_millis(1));
                }
                answered
            })
        })
        .collect();
    let answered: usize = workers.into_iter().map(|w| w.join().unwrap()).sum();
    assert!(
        answered > 100,
        "{answered} requests answered over kept-alive connections"
    );
    assert_eq!(status_of(&server, "/"), 200);
    assert_eq!(server.events().next().0, "build");
}

#[test]
fn a_page_is_answered_while_and_after_1000_slow_connections_sit_past_the_request_timeout() {
    let site = Site::fixture("serve");
    let server = Server::start(&site, &[]);
    let slow: Vec<TcpStream> = (0..1000)
        .map(|i| {
            let mut stream = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
            // Half start a request and stop; half never say anything.
            if i % 2 == 0 {
                stream.write_all(b"GET / HTTP/1.1\r\nHo").unwrap();
            }
            stream
        })
        .collect();
    assert_eq!(status_of(&server, "/"), 200);
    // Past the time a request head may take, with no new connection meanwhile.
    std::thread::sleep(Duration::from_secs(11));
    assert_eq!(status_of(&server, "/"), 200);
    drop(slow);
    assert_eq!(status_of(&server, "/"), 200);
    assert_eq!(server.events().next().0, "build");
}

#[test]
fn accept_errors_are_logged_and_retried() {
    let site = Site::fixture("serve");
    // So few descriptors that a burst of connections makes accept() fail.
    let server = Server::start_with(&site, &[], |command| {
        use std::os::unix::process::CommandExt;
        // SAFETY: setrlimit is async-signal-safe, as pre_exec requires.
        unsafe {
            command.pre_exec(|| rlimit::setrlimit(rlimit::Resource::NOFILE, 48, 48));
        }
    });
    let burst: Vec<TcpStream> = (0..100)
        .filter_map(|_| TcpStream::connect(("127.0.0.1", server.port)).ok())
        .collect();
    let logged = server
        .stderr
        .recv_timeout(PROMPT)
        .expect("the accept error is logged");
    assert!(
        logged.starts_with("warning: accepting a connection failed: ")
            && logged.ends_with(" (retrying)"),
        "{logged}"
    );
    drop(burst);
    wait_for("the server to answer again", || {
        status_of(&server, "/") == 200
    });
    assert_eq!(server.events().next().0, "build");
}

#[test]
fn the_reload_stream_is_on_the_page_port() {
    let site = Site::fixture("serve");
    let server = Server::start(&site, &[]);
    let page = server.get("/").body;
    assert!(
        page.contains(r#"new EventSource("/__envbook/events")"#),
        "{page}"
    );
    let mut tab = server.events();
    assert_eq!(tab.next(), ("build".into(), "1".into()));
    site.write("content/index.md", "# Live\n\nOne port.\n");
    assert_eq!(tab.next(), ("build".into(), "2".into()));
}

#[test]
fn stalled_tabs_and_slow_clients_delay_no_one() {
    let site = Site::fixture("serve");
    // A big file that a stalled client asks for and never reads.
    let big = std::fs::File::create(site.path("content/big.bin")).unwrap();
    big.set_len(64 * 1024 * 1024).unwrap();
    let server = Server::start(&site, &[]);
    let stalled_tabs: Vec<TcpStream> = (0..10).map(|_| server.events_request()).collect();
    let mut stalled_download = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    write!(
        stalled_download,
        "GET /big.bin HTTP/1.1\r\nHost: 127.0.0.1:{}\r\n\r\n",
        server.port
    )
    .unwrap();
    let half_request = {
        let mut s = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
        s.write_all(b"GET / HTTP/1.1\r\n").unwrap();
        s
    };
    let mut tab = server.events();
    assert_eq!(tab.next().0, "build");
    let edited = Instant::now();
    site.write("content/index.md", "# Live\n\nNobody waits.\n");
    assert_eq!(tab.next().0, "build");
    assert!(
        edited.elapsed() < PROMPT,
        "the live tab heard the build after {:?}",
        edited.elapsed()
    );
    let asked = Instant::now();
    assert_eq!(status_of(&server, "/"), 200);
    assert_eq!(server.events().next().0, "build");
    assert!(asked.elapsed() < PROMPT, "{:?}", asked.elapsed());
    drop((stalled_tabs, stalled_download, half_request));
}

#[test]
fn request_heads_past_8_kib_are_refused_not_buffered() {
    let site = Site::fixture("serve");
    let server = Server::start(&site, &[]);
    let long_line = format!("GET /{} HTTP/1.1\r\n\r\n", "a".repeat(100_000));
    assert!(exchange(&server, long_line.as_bytes()).starts_with("HTTP/1.1 414 "));
    let long_header = format!(
        "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: {}\r\n\r\n",
        "a".repeat(100_000)
    );
    assert!(exchange(&server, long_header.as_bytes()).starts_with("HTTP/1.1 431 "));
    // An endless header: the server answers and stops reading long before
    // the client is done sending; its memory does not grow.
    let before = rss_mib(server.pid());
    let mut stream = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    stream.set_write_timeout(Some(PROMPT)).unwrap();
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Endless: ")
        .unwrap();
    let chunk = vec![b'a'; 64 * 1024];
    let sent: usize = (0..1600)
        .map_while(|_| stream.write(&chunk).ok())
        .take_while(|&n| n > 0)
        .sum();
    assert!(
        sent < 100 * 1024 * 1024,
        "the server took {sent} bytes of one header"
    );
    assert!(rss_mib(server.pid()) < before + 20);
    assert_eq!(status_of(&server, "/"), 200);
}

#[test]
fn bad_requests_cost_nothing() {
    let site = Site::fixture("serve");
    let server = Server::start(&site, &[]);
    let port = server.port;
    let host = format!("Host: 127.0.0.1:{port}");
    for (raw, status) in [
        (
            format!("GET / HTTP/1.1\r\n{host}\r\nContent-Length: 99999999999\r\n\r\n"),
            400,
        ),
        (
            format!("POST / HTTP/1.1\r\n{host}\r\nContent-Length: 99999999999\r\n\r\n"),
            405,
        ),
        (
            format!("GET / HTTP/1.1\r\n{host}\r\nContent-Length: -1\r\n\r\n"),
            400,
        ),
        (
            format!("GET / HTTP/1.1\r\n{host}\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
            400,
        ),
        (
            format!(
                "GET / HTTP/1.1\r\n{host}\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
            ),
            400,
        ),
        (
            format!("GET / HTTP/1.1\r\n{host}\r\nContent-Length: 0\r\nContent-Length: 40\r\n\r\n"),
            400,
        ),
        (
            format!("GET / HTTP/1.1\r\n{host}\r\nTransfer-Encoding : chunked\r\n\r\n"),
            400,
        ),
        (
            format!("GET / HTTP/1.1\r\n{host}\r\nX: a\r\n chunked\r\n\r\n"),
            400,
        ),
        (format!("GET / HTTP/1.1\r\n{host}\r\n{host}\r\n\r\n"), 400),
        ("GET / HTTP/1.1\r\n\r\n".to_string(), 400),
        ("\u{1}\u{2}\u{3}\r\n\r\n".to_string(), 400),
        (format!("DELETE / HTTP/1.1\r\n{host}\r\n\r\n"), 405),
    ] {
        let answer = exchange(&server, raw.as_bytes());
        assert!(
            answer.starts_with(&format!("HTTP/1.1 {status} ")),
            "{raw:?} → {answer}"
        );
        assert_eq!(status_of(&server, "/"), 200, "after {raw:?}");
    }
    // A request smuggled in a body is never read as a request.
    let smuggled = format!(
        "GET / HTTP/1.1\r\n{host}\r\nContent-Length: 41\r\n\r\nGET /runbooks/restart/ HTTP/1.1\r\n{host}\r\n\r\n"
    );
    let answer = exchange(&server, smuggled.as_bytes());
    assert_eq!(answer.matches("HTTP/1.1 ").count(), 1, "{answer}");
    // Pipelined requests without bodies are answered in order.
    let pipelined = format!(
        "GET /style.txt HTTP/1.1\r\n{host}\r\n\r\nGET /nope HTTP/1.1\r\n{host}\r\nConnection: close\r\n\r\n"
    );
    let answer = exchange(&server, pipelined.as_bytes());
    let statuses: Vec<&str> = answer
        .match_indices("HTTP/1.1 ")
        .map(|(i, _)| &answer[i + 9..i + 12])
        .collect();
    assert_eq!(statuses, ["200", "404"], "{answer}");
}

#[test]
fn a_non_ascii_folder_without_its_slash_redirects_every_time() {
    let site = Site::fixture("serve");
    site.write("content/café/index.md", "# Café\n");
    let server = Server::start(&site, &[]);
    for _ in 0..10 {
        let response = server.get("/caf%C3%A9");
        assert_eq!(
            (response.status, response.header("location")),
            (301, Some("/caf%C3%A9/"))
        );
    }
    assert!(server.get("/caf%C3%A9/").body.contains("Café"));
    assert_eq!(status_of(&server, "/"), 200);
}

#[test]
fn assets_are_streamed_from_disk_not_read_whole() {
    let site = Site::fixture("serve");
    // Sparse: 300 MB that take no room on disk.
    let big = std::fs::File::create(site.path("content/big.iso")).unwrap();
    big.set_len(300 * 1024 * 1024).unwrap();
    let server = Server::start(&site, &[]);
    let before = rss_mib(server.pid());
    let port = server.port;
    // Four clients take the start of the file and then read slowly.
    let clients: Vec<TcpStream> = (0..4)
        .map(|_| {
            let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
            write!(
                stream,
                "GET /big.iso HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n"
            )
            .unwrap();
            let mut head = vec![0; 4096];
            stream.read_exact(&mut head).unwrap();
            assert!(
                String::from_utf8_lossy(&head).contains("Content-Length: 314572800\r\n"),
                "{}",
                String::from_utf8_lossy(&head[..200])
            );
            stream
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let during = rss_mib(server.pid());
    assert!(
        during < before + 50,
        "{during} MiB while serving, {before} MiB before"
    );
    drop(clients);
    // A whole download arrives complete.
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        stream,
        "GET /big.iso HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut total = 0;
    let mut buf = vec![0; 1 << 20];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => total += n,
            Err(e) => panic!("{e}"),
        }
    }
    assert!(total > 300 * 1024 * 1024, "{total}");
}

#[test]
fn from_the_lan_ip_addresses_and_localhost_are_answered_other_names_when_allowed() {
    let site = Site::fixture("serve");
    let server = Server::start(
        &site,
        &["--address", "0.0.0.0", "--allowed-host", "Docs.Example.Lan"],
    );
    let ask = |host: &str| {
        let answer = exchange(
            &server,
            format!("GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").as_bytes(),
        );
        answer[9..12].to_string()
    };
    for host in [
        "192.168.1.20:3000",
        "10.1.2.3",
        "[fe80::1]:8080",
        "localhost:8080",
        "docs.example.lan:3000",
        "DOCS.EXAMPLE.LAN",
    ] {
        assert_eq!(ask(host), "200", "{host}");
    }
    for host in [
        "rebind.example.com",
        "docs.example.lan.evil.com:3000",
        "laptop.local",
    ] {
        assert_eq!(ask(host), "403", "{host}");
    }
    let warning = server.stderr.recv_timeout(PROMPT).unwrap();
    assert_eq!(
        warning,
        "warning: serving on 0.0.0.0: anyone who can reach this machine can read the site"
    );
}

#[test]
fn serve_starts_when_the_first_build_fails_and_recovers_on_the_next_good_save() {
    let site = Site::fixture("serve");
    let good = site.read("data/environments.yaml");
    site.write(
        "data/environments.yaml",
        &format!("{good}  - id: broken\n    settings: [\n"),
    );
    let server = Server::start(&site, &[]);
    let page = server.get("/runbooks/restart/");
    assert_eq!(page.status, 503);
    assert!(
        page.body.contains("envbook serve: live reload"),
        "{}",
        page.body
    );
    let mut tab = server.events();
    let (event, problems) = tab.next();
    assert_eq!(event, "problems");
    assert!(
        problems.contains("--> data/environments.yaml:"),
        "{problems}"
    );
    site.write("data/environments.yaml", &good);
    assert_eq!(tab.next(), ("build".into(), "1".into()));
    assert!(server.get("/").body.contains("Version one."));
}

#[test]
fn serve_starts_with_a_broken_book_toml_and_takes_the_fixed_one() {
    let site = Site::fixture("serve");
    site.write("book.toml", "[book]\ntitel = \"Oops\"\n");
    let server = Server::start(&site, &[]);
    let mut tab = server.events();
    let (event, problems) = tab.next();
    assert_eq!(event, "problems");
    assert!(
        problems.contains("unknown key `titel` in [book]"),
        "{problems}"
    );
    site.write("book.toml", "[book]\ntitle = \"Fixed\"\n");
    assert_eq!(tab.next(), ("build".into(), "1".into()));
    assert!(server.get("/").body.contains("<title>Fixed</title>"));
}

/// The page at `path` comes to contain `text`.
fn serves(server: &Server, path: &str, text: &str) {
    wait_for(&format!("{path} to show {text:?}"), || {
        server.get(path).body.contains(text)
    });
}

#[test]
fn a_folder_renamed_under_content_ends_in_a_correct_site() {
    let site = Site::fixture("serve");
    let server = Server::start(&site, &[]);
    std::fs::rename(site.path("content/runbooks"), site.path("content/ops")).unwrap();
    serves(&server, "/ops/restart/", "Restart");
    wait_for("the old folder to go", || {
        server.get("/runbooks/restart/").status == 404
    });
    // Edits inside the moved folder are seen under its new name.
    site.write("content/ops/restart.md", "# Restart\n\nMoved and edited.\n");
    serves(&server, "/ops/restart/", "Moved and edited.");
    site.write("content/ops/deep/new.md", "# New\n\nIn a new folder.\n");
    serves(&server, "/ops/deep/new/", "In a new folder.");
}

#[test]
fn a_folder_moved_in_from_outside_is_built_and_watched() {
    let site = Site::fixture("serve");
    let outside = tempfile::TempDir::new_in(site.dir.parent().unwrap()).unwrap();
    std::fs::create_dir_all(outside.path().join("guides/deep")).unwrap();
    std::fs::write(
        outside.path().join("guides/deep/setup.md"),
        "# Setup\n\nFrom outside.\n",
    )
    .unwrap();
    let server = Server::start(&site, &[]);
    std::fs::rename(outside.path().join("guides"), site.path("content/guides")).unwrap();
    serves(&server, "/guides/deep/setup/", "From outside.");
    site.write(
        "content/guides/deep/setup.md",
        "# Setup\n\nEdited inside.\n",
    );
    serves(&server, "/guides/deep/setup/", "Edited inside.");
}

#[test]
fn moving_the_content_folder_away_and_back_ends_in_a_correct_site() {
    let site = Site::fixture("serve");
    let server = Server::start(&site, &[]);
    std::fs::rename(site.path("content"), site.path("x")).unwrap();
    let said = server.stderr.recv_timeout(PROMPT).unwrap();
    assert!(said.contains("the content folder does not exist"), "{said}");
    std::fs::rename(site.path("x"), site.path("content")).unwrap();
    site.write("content/runbooks/restart.md", "# Restart\n\nBack home.\n");
    serves(&server, "/runbooks/restart/", "Back home.");
    site.write(
        "content/runbooks/restart.md",
        "# Restart\n\nEdited again.\n",
    );
    serves(&server, "/runbooks/restart/", "Edited again.");
}

#[test]
fn an_edit_storm_costs_a_handful_of_rebuilds_and_ends_with_the_last_save() {
    let site = Site::fixture("serve");
    let server = Server::start(&site, &[]);
    for i in 1..=200 {
        site.write(
            "content/runbooks/restart.md",
            &format!("# Restart\n\nSave number {i}.\n"),
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    serves(&server, "/runbooks/restart/", "Save number 200.");
    std::thread::sleep(Duration::from_millis(500));
    let rebuilds: Vec<String> = server.stdout.try_iter().collect();
    assert!(
        (1..=12).contains(&rebuilds.len()),
        "{} rebuilds: {rebuilds:?}",
        rebuilds.len()
    );
    let served = server.get("/runbooks/restart/").body;
    assert!(served.contains("Save number 200."));
    assert!(!served.contains("Save number 199."));
}

#[test]
fn editor_scratch_files_start_no_rebuild() {
    let site = Site::fixture("serve");
    let server = Server::start(&site, &[]);
    // vim's write test, swap and backup files; emacs's lock link and autosave.
    site.write("content/4913", "");
    std::thread::sleep(Duration::from_millis(100));
    std::fs::remove_file(site.path("content/4913")).unwrap();
    site.write("content/runbooks/.restart.md.swp", "vim");
    site.write("content/runbooks/restart.md~", "backup");
    std::os::unix::fs::symlink("user@host.1234:1", site.path("content/.#index.md")).unwrap();
    site.write("content/#index.md#", "emacs");
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        server.stdout.try_iter().collect::<Vec<_>>(),
        Vec::<String>::new()
    );
    // A real save after them is one rebuild.
    site.write("content/index.md", "# Live\n\nSaved.\n");
    let line = server.stdout.recv_timeout(PROMPT).unwrap();
    assert!(line.starts_with("index.md changed: "), "{line}");
}
