//! Shared helpers: fixture copies, running the binary, reading the output.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use scraper::{Html, Selector};
use tempfile::TempDir;

/// A fixture site copied into a temp folder (removed when dropped).
pub struct Site {
    _tmp: TempDir,
    pub dir: PathBuf,
}

impl Site {
    /// Copies `tests/fixtures/NAME`.
    pub fn fixture(name: &str) -> Site {
        let tmp = TempDir::new().unwrap();
        let dir = tmp.path().join(name);
        copy_dir(
            &Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures")
                .join(name),
            &dir,
        );
        Site { _tmp: tmp, dir }
    }

    /// The site moved to a folder `name` beside it.
    pub fn moved_to(self, name: &str) -> Site {
        let dir = self.dir.with_file_name(name);
        std::fs::rename(&self.dir, &dir).unwrap();
        Site { dir, ..self }
    }

    /// Runs `envbook ARGS` inside the site folder.
    pub fn run(&self, args: &[&str]) -> Run {
        run_in(&self.dir, args)
    }

    /// Runs `envbook ARGS` inside the site folder, failing the test past
    /// `limit` instead of hanging (see [`wait_within`]).
    pub fn run_within(&self, args: &[&str], limit: Duration) -> Run {
        wait_within(self.spawn(args), limit)
    }

    /// `envbook ARGS` started in the site folder, its output piped.
    pub fn spawn(&self, args: &[&str]) -> Child {
        envbook(args)
            .current_dir(&self.dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the envbook binary runs")
    }

    /// Runs `envbook ARGS` with `HOME` set to `home`.
    pub fn run_with_home(&self, args: &[&str], home: &Path) -> Run {
        collect(
            Command::new(env!("CARGO_BIN_EXE_envbook"))
                .args(args)
                .current_dir(&self.dir)
                .env("HOME", home),
        )
    }

    /// Builds and asserts success.
    pub fn build(&self) -> Run {
        let run = self.run(&["build"]);
        assert_eq!(run.code, 0, "build failed:\n{}", run.stderr);
        run
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.join(rel)
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap_or_else(|e| panic!("reading {rel}: {e}"))
    }

    pub fn write(&self, rel: &str, text: &str) {
        let path = self.path(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    /// A built page, parsed.
    pub fn page(&self, rel: &str) -> Page {
        Page(Html::parse_document(&self.read(rel)))
    }

    /// Every file under `rel` with its bytes.
    pub fn snapshot(&self, rel: &str) -> BTreeMap<PathBuf, Vec<u8>> {
        snapshot(&self.path(rel))
    }
}

/// Every file under `root` with its bytes.
pub fn snapshot(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    walkdir::WalkDir::new(root)
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            (
                e.path().strip_prefix(root).unwrap().to_path_buf(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub fn run_in(dir: &Path, args: &[&str]) -> Run {
    collect(
        Command::new(env!("CARGO_BIN_EXE_envbook"))
            .args(args)
            .current_dir(dir),
    )
}

/// A command that runs the envbook binary with `args`.
pub fn envbook(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_envbook"));
    command.args(args);
    command
}

/// Waits for `child`, killing it and failing the test past `limit`, so a hang
/// cannot stall the suite. Its output is read meanwhile: a full pipe never
/// holds it up.
pub fn wait_within(mut child: Child, limit: Duration) -> Run {
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            if let Some(mut pipe) = pipe {
                let mut bytes = Vec::new();
                let _ = pipe.read_to_end(&mut bytes);
                text = String::from_utf8_lossy(&bytes).into_owned();
            }
            text
        })
    };
    let stdout = drain(child.stdout.take().map(|p| Box::new(p) as _));
    let stderr = drain(child.stderr.take().map(|p| Box::new(p) as _));
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("envbook was still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Run {
        code: status.code().unwrap_or(-1),
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    }
}

pub fn collect(command: &mut Command) -> Run {
    let Output {
        status,
        stdout,
        stderr,
    } = command.output().expect("the envbook binary runs");
    Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

pub fn copy_dir(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let target = to.join(entry.path().strip_prefix(from).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A parsed HTML page with CSS-selector helpers.
pub struct Page(pub Html);

impl Page {
    /// The text of every element matching `selector`, whitespace collapsed.
    pub fn texts(&self, selector: &str) -> Vec<String> {
        let sel = Selector::parse(selector).unwrap();
        self.0
            .select(&sel)
            .map(|e| {
                e.text()
                    .collect::<String>()
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect()
    }

    /// The `attr` attribute of every element matching `selector`.
    pub fn attrs(&self, selector: &str, attr: &str) -> Vec<String> {
        let sel = Selector::parse(selector).unwrap();
        self.0
            .select(&sel)
            .filter_map(|e| e.value().attr(attr).map(String::from))
            .collect()
    }

    /// The inner HTML of the first element matching `selector`.
    pub fn inner(&self, selector: &str) -> String {
        let sel = Selector::parse(selector).unwrap();
        self.0
            .select(&sel)
            .next()
            .unwrap_or_else(|| panic!("nothing matches {selector}"))
            .inner_html()
    }
}

/// A static file's URL without its content hash: `/static/envbook.3f2a9c1b.css`
/// → `/static/envbook.css` (other URLs as they are).
pub fn unhashed(url: &str) -> String {
    let (dir, name) = url.rsplit_once('/').map_or(("", url), |(d, n)| (d, n));
    let parts: Vec<&str> = name.split('.').collect();
    let hash = |p: &str| p.len() == 8 && p.bytes().all(|b| b.is_ascii_hexdigit());
    match parts.as_slice() {
        [stem, h, ext] if dir.ends_with("static") && hash(h) => format!("{dir}/{stem}.{ext}"),
        _ => url.to_string(),
    }
}

/// [`unhashed`] of each.
pub fn unhashed_all(urls: Vec<String>) -> Vec<String> {
    urls.iter().map(|u| unhashed(u)).collect()
}
