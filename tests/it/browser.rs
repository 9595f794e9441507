//! `envbook serve` in a real browser: headless Chromium (Debian's
//! /usr/bin/chromium) keeps a tab open while the test edits the sources. The tab
//! must reload by itself and keep its scroll position, show a failed build's
//! problems over the last good page, drop them after the fix, and still
//! follow an edit after it sat idle.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use headless_chrome::{Browser, LaunchOptions, Tab};
use serde::Deserialize;

use crate::support::Site;

const CHROMIUM: &str = "/usr/bin/chromium";
/// How long the tab may take to follow an edit (a rebuild is a few ms, plus
/// the watcher's debounce and the reload).
const FOLLOW: Duration = Duration::from_secs(10);
/// Longer than every timeout the server has.
const IDLE: Duration = Duration::from_secs(20);
/// How often a waiting test asks the tab again.
const POLL: Duration = Duration::from_millis(25);

/// What the tab shows, as [`STATE`] asks it.
#[derive(Deserialize)]
struct Seen {
    /// `document.readyState`.
    ready: String,
    /// The page's text (its `<main>`, so not the overlay).
    text: String,
    /// The overlay's text, when there is one.
    overlay: Option<String>,
    /// Whether the overlay is rendered and announced as an alert.
    overlay_shown: bool,
    y: f64,
    /// Whether the page is still the one the test marked (not reloaded since).
    marked: bool,
}

impl Seen {
    fn loaded_with(&self, text: &str) -> bool {
        self.ready == "complete" && self.text.contains(text)
    }

    /// Scrolled to `y`, give or take a few pixels.
    fn at(&self, y: f64) -> bool {
        (self.y - y).abs() <= 5.0
    }
}

/// Failure messages show the start of the page's text, not all of it.
impl std::fmt::Debug for Seen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let head: String = self.text.chars().take(100).collect();
        f.debug_struct("Seen")
            .field("ready", &self.ready)
            .field("text", &format!("{head}…"))
            .field("overlay", &self.overlay)
            .field("overlay_shown", &self.overlay_shown)
            .field("y", &self.y)
            .field("marked", &self.marked)
            .finish()
    }
}

const STATE: &str = r##"JSON.stringify((() => {
  const overlay = document.getElementById("envbook-overlay");
  return {
    ready: document.readyState,
    text: document.getElementById("envbook-main")?.innerText ?? "",
    overlay: overlay && overlay.innerText,
    overlay_shown: !!overlay && overlay.checkVisibility() && overlay.getAttribute("role") === "alert",
    y: window.scrollY,
    marked: window.envbookTestMark === true,
  };
})())"##;

#[test]
fn open_tab_follows_edits_keeps_its_place_and_shows_problems() {
    if !have_chromium() {
        return;
    }
    let site = Site::fixture("browser-live");
    let source = site.read("content/index.md");
    assert!(source.contains("Version one"));
    let mut server = Server::start(&site.dir);
    let profile = tempfile::TempDir::new().unwrap();
    let browser = launch(Some(&profile));
    let tab = browser.new_tab().unwrap();
    if let Err(e) = tab.navigate_to(&server.url) {
        let url = server.url.clone();
        panic!("opening {url}: {e}\n{}", server.report());
    }
    // Not `wait_until_navigated`: it waits for the network to be idle, and
    // the reload stream never is.
    let start = server.wait(&tab, "the page", |s| s.ready == "complete");
    assert!(start.text.contains("Version one"), "{start:?}");
    assert!(start.text.contains("Prod runs 3 replicas."), "{start:?}");
    assert_eq!(start.overlay, None);

    // Scrolled down, the tab follows an edit by itself and stays where it was.
    // Chromium's own scroll restoration is off, so only envbook's script can
    // bring the tab back to its place.
    eval(
        &tab,
        r#"history.scrollRestoration = "manual";
        window.scrollTo({ top: 2000, behavior: "instant" });
        window.envbookTestMark = true"#,
    );
    let scrolled = state(&tab).unwrap();
    assert_eq!(scrolled.y, 2000.0, "the page is long enough to scroll");
    site.write(
        "content/index.md",
        &source.replace("Version one", "Version two"),
    );
    // The restore may animate (the theme scrolls smoothly): wait for its end.
    let reloaded = server.wait(&tab, "the edit, scrolled to 2000", |s| {
        s.loaded_with("Version two") && s.at(2000.0)
    });
    assert!(!reloaded.marked, "the tab reloaded: {reloaded:?}");
    assert!(!reloaded.text.contains("Version one"), "{reloaded:?}");
    assert_eq!(reloaded.overlay, None);

    // A broken page: its problem over the last good build, the tab not reloaded.
    eval(&tab, "window.envbookTestMark = true");
    site.write(
        "content/index.md",
        &format!(
            "---\ntitle: [broken\n---\n{}",
            source.replace("Version one", "Version three")
        ),
    );
    let failed = server.wait(&tab, "the overlay", |s| s.overlay.is_some());
    let overlay = failed.overlay.as_deref().unwrap();
    assert!(
        overlay.contains("error: front matter") && overlay.contains("--> content/index.md:2:8"),
        "{overlay}"
    );
    assert!(failed.overlay_shown, "{failed:?}");
    assert!(failed.marked, "a failed build does not reload: {failed:?}");
    assert!(failed.text.contains("Version two"), "{failed:?}");
    assert!(!failed.text.contains("Version three"), "{failed:?}");

    // Fixed: the overlay goes and the fixed page shows, at the same place.
    site.write(
        "content/index.md",
        &source.replace("Version one", "Version three"),
    );
    let fixed = server.wait(&tab, "the fixed page, scrolled to 2000", |s| {
        s.loaded_with("Version three") && s.at(2000.0)
    });
    assert!(!fixed.marked, "the tab reloaded: {fixed:?}");
    assert_eq!(fixed.overlay, None);

    // A data edit reaches the page through its directive.
    eval(&tab, "window.envbookTestMark = true");
    site.write(
        "data/environments.yaml",
        &site
            .read("data/environments.yaml")
            .replace("prod: 3", "prod: 5"),
    );
    let data = server.wait(&tab, "the new value", |s| {
        s.loaded_with("Prod runs 5 replicas.")
    });
    assert!(!data.marked, "the tab reloaded: {data:?}");
    assert_eq!(data.overlay, None);

    // Left alone past every timeout of the server (idle connections close
    // after 15 s, the reload stream is pinged every 15 s), the tab still
    // follows an edit: the preview never goes away by itself.
    std::thread::sleep(IDLE);
    eval(&tab, "window.envbookTestMark = true");
    site.write(
        "content/index.md",
        &source.replace("Version one", "Version four"),
    );
    let after_idle = server.wait(&tab, "the edit after idling", |s| {
        s.loaded_with("Version four")
    });
    assert!(!after_idle.marked, "the tab reloaded: {after_idle:?}");
}

/// Whether Chromium is there to test with: it must be in CI.
pub fn have_chromium() -> bool {
    if Path::new(CHROMIUM).exists() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "no {CHROMIUM}: CI must install it (.ci/run does)"
    );
    println!("skipped: no {CHROMIUM} (run .ci/run or apt-get install chromium)");
    false
}

/// Headless Chromium, with its own profile when given one (and its
/// back-forward cache on, as a user's browser has it).
pub fn launch(profile: Option<&tempfile::TempDir>) -> Browser {
    let launch = LaunchOptions::default_builder()
        .path(Some(CHROMIUM.into()))
        .headless(true)
        .sandbox(false)
        .window_size(Some((1024, 768)))
        .user_data_dir(profile.map(|p| p.path().to_path_buf()))
        .args(
            [
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                "--disable-sync",
            ]
            .map(OsStr::new)
            .to_vec(),
        )
        .build()
        .unwrap();
    Browser::new(launch).expect("headless chromium starts")
}

#[test]
fn a_tab_walks_through_many_pages_and_back_without_the_preview_stalling() {
    if !have_chromium() {
        return;
    }
    let site = Site::fixture("browser-live");
    for n in 1..=12 {
        site.write(
            &format!("content/walk/p{n}.md"),
            &format!(
                "# Page {n}

On page {n}. [Next](p{}.md)
",
                n + 1
            ),
        );
    }
    site.write(
        "content/walk/p13.md",
        "# Page 13

The end.
",
    );
    let mut server = Server::start(&site.dir);
    let profile = tempfile::TempDir::new().unwrap();
    let browser = launch(Some(&profile));
    let tab = browser.new_tab().unwrap();
    tab.navigate_to(&format!("{}walk/p1/", server.url)).unwrap();
    server.wait(&tab, "page 1", |s| s.loaded_with("On page 1."));
    // Each page left for the next stays in the back-forward cache; before
    // they closed their reload streams, the seventh never loaded.
    for n in 2..=13 {
        eval(
            &tab,
            "document.querySelector('main a[href*=\"/walk/p\"]').click()",
        );
        let text = if n == 13 {
            "The end.".to_string()
        } else {
            format!("On page {n}.")
        };
        server.wait(&tab, &format!("page {n}"), |s| s.loaded_with(&text));
    }
    for n in (10..=12).rev() {
        eval(&tab, "history.back()");
        server.wait(&tab, &format!("page {n} again"), |s| {
            s.loaded_with(&format!("On page {n}."))
        });
    }
    // Back on a page from the cache, the tab follows an edit again.
    site.write(
        "content/walk/p10.md",
        "# Page 10

On page 10, edited. [Next](p11.md)
",
    );
    server.wait(&tab, "the edit", |s| s.loaded_with("On page 10, edited."));
}

#[test]
fn many_open_tabs_of_the_preview_all_load_and_all_follow_an_edit() {
    if !have_chromium() {
        return;
    }
    let site = Site::fixture("browser-live");
    let mut server = Server::start(&site.dir);
    let profile = tempfile::TempDir::new().unwrap();
    let browser = launch(Some(&profile));
    // More tabs than the six connections a browser opens to one host.
    let mut tabs = Vec::new();
    for n in 1..=9 {
        let tab = browser.new_tab().unwrap();
        tab.navigate_to(&server.url).unwrap();
        server.wait(&tab, &format!("tab {n}"), |s| s.loaded_with("Version one"));
        tabs.push(tab);
    }
    let source = site.read("content/index.md");
    site.write(
        "content/index.md",
        &source.replace("Version one", "Version two"),
    );
    for (n, tab) in tabs.iter().enumerate() {
        server.wait(tab, &format!("tab {} to reload", n + 1), |s| {
            s.loaded_with("Version two")
        });
    }
}

/// `envbook serve --port 0` in the site folder, stopped when dropped.
struct Server {
    child: Child,
    url: String,
    /// Everything it printed, for failure messages.
    output: Arc<Mutex<String>>,
}

impl Server {
    fn start(dir: &Path) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_envbook"))
            .args(["serve", "--port", "0"])
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the envbook binary runs");
        let output = Arc::new(Mutex::new(String::new()));
        let (first, url) = mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        let stderr = child.stderr.take().unwrap();
        collect(stdout, output.clone(), Some(first));
        collect(stderr, output.clone(), None);
        let mut server = Server {
            child,
            url: String::new(),
            output,
        };
        let line: String = url
            .recv_timeout(FOLLOW)
            .unwrap_or_else(|_| panic!("no address printed:\n{}", server.printed()));
        server.url = line
            .strip_prefix("Serving Live Fixture at ")
            .and_then(|rest| rest.strip_suffix(" (Ctrl-C stops)"))
            .unwrap_or_else(|| panic!("unexpected first line: {line}"))
            .to_string();
        assert!(server.url.starts_with("http://127.0.0.1:"), "{line}");
        server
    }

    fn printed(&self) -> String {
        self.output.lock().unwrap().clone()
    }

    /// For failure messages: whether the server still runs, and what it printed.
    fn report(&mut self) -> String {
        let status = match self.child.try_wait() {
            Ok(None) => "still running".to_string(),
            Ok(Some(status)) => format!("exited: {status}"),
            Err(e) => format!("unknown: {e}"),
        };
        format!("the server ({status}) printed:\n{}", self.printed())
    }

    /// Polls the tab until `done` holds for its state, for at most [`FOLLOW`].
    fn wait(&mut self, tab: &Tab, what: &str, done: impl Fn(&Seen) -> bool) -> Seen {
        let deadline = Instant::now() + FOLLOW;
        let mut last = None;
        loop {
            // While the tab reloads, its page may not answer.
            if let Some(now) = state(tab) {
                if done(&now) {
                    return now;
                }
                last = Some(now);
            }
            assert!(
                Instant::now() < deadline,
                "waited {FOLLOW:?} for {what}; the tab: {last:?}\n{}",
                self.report()
            );
            std::thread::sleep(POLL);
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads a stream of the server into `output`, sending its first line to `first`.
fn collect(
    stream: impl Read + Send + 'static,
    output: Arc<Mutex<String>>,
    mut first: Option<mpsc::Sender<String>>,
) {
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            if let Some(first) = first.take() {
                let _ = first.send(line.clone());
            }
            let mut output = output.lock().unwrap();
            output.push_str(&line);
            output.push('\n');
        }
    });
}

/// Runs `script` in the tab's page.
fn eval(tab: &Tab, script: &str) {
    tab.evaluate(script, false)
        .unwrap_or_else(|e| panic!("{script}: {e}"));
}

/// The tab's [`STATE`], or None while it has no page to ask.
fn state(tab: &Tab) -> Option<Seen> {
    let answer = tab.evaluate(STATE, false).ok()?;
    serde_json::from_str(answer.value?.as_str()?).ok()
}
