//! The README's publishing recipes, run as written (issue 13): each recipe's
//! steps, taken from README.md, on a new site from `envbook init`, with
//! stand-ins for what the CI machine provides (`curl` gives the live site's
//! `anchors.json` or fails as for a first deployment, `aws` and `cargo` only
//! note their arguments). What a recipe publishes is checked; after a page
//! moved without an alias, the recipe stops at `check --baseline`, before
//! anything is built or uploaded; with the alias, it publishes again.
#![cfg(unix)]

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use pulldown_cmark::{CodeBlockKind, Event, Parser, Tag, TagEnd};
use serde_json::Value;
use tempfile::TempDir;

use crate::support::run_in;

/// One recipe: its shell steps in order, the folder it publishes and which
/// of its files the upload leaves out.
struct Recipe {
    steps: Vec<String>,
    published: String,
    left_out: fn(&Path) -> bool,
}

/// The code blocks of README.md, each with the bold words that start the
/// paragraph above it (`**GitHub Pages**`).
fn readme_blocks() -> Vec<(String, String)> {
    let readme = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("reading README.md");
    let mut blocks = Vec::new();
    let (mut title, mut bold, mut code) = (String::new(), None::<String>, None::<String>);
    for event in Parser::new(&readme) {
        match event {
            Event::Start(Tag::Strong) => bold = Some(String::new()),
            Event::End(TagEnd::Strong) => title = bold.take().unwrap_or_default(),
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(_))) => code = Some(String::new()),
            Event::End(TagEnd::CodeBlock) => {
                blocks.push((title.clone(), code.take().unwrap_or_default()))
            }
            Event::Text(text) => {
                if let Some(s) = bold.as_mut().or(code.as_mut()) {
                    s.push_str(&text);
                }
            }
            _ => {}
        }
    }
    blocks
}

fn block(title: &str) -> String {
    let blocks = readme_blocks();
    let found = blocks.iter().find(|(t, _)| t == title);
    found
        .unwrap_or_else(|| panic!("no code block under **{title}** in README.md"))
        .1
        .clone()
}

fn yaml(text: &str) -> Value {
    serde_saphyr::from_str(text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

fn strings(value: &Value) -> Vec<String> {
    let list = value.as_array().expect("a list");
    list.iter()
        .map(|s| s.as_str().expect("a string").to_string())
        .collect()
}

/// The GitHub Actions workflow: its `run` steps; the folder is the `path`
/// given to `upload-pages-artifact`.
fn github_pages() -> Recipe {
    let workflow = yaml(&block("GitHub Pages"));
    let steps = workflow["jobs"]["docs"]["steps"].as_array().expect("steps");
    let upload = steps
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .unwrap_or("")
                .contains("upload-pages-artifact")
        })
        .expect("an upload-pages-artifact step");
    // From v4 the action leaves every hidden file out of the artifact.
    let uses = upload["uses"].as_str().unwrap();
    let version: u32 = uses
        .rsplit_once("@v")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap();
    assert!(version >= 4, "{uses}");
    Recipe {
        steps: steps
            .iter()
            .filter_map(|s| Some(s["run"].as_str()?.to_string()))
            .collect(),
        published: upload["with"]["path"].as_str().expect("a path").into(),
        left_out: |file| file.to_string_lossy().starts_with('.'),
    }
}

/// The GitLab CI job `pages`: its script; the folder is its artifact.
fn gitlab_pages() -> Recipe {
    let ci = yaml(&block("GitLab Pages"));
    let job = &ci["pages"];
    let paths = strings(&job["artifacts"]["paths"]);
    assert_eq!(paths.len(), 1, "{paths:?}");
    assert_eq!(
        strings(&job["artifacts"]["exclude"]),
        [format!("{}/.envbook-output", paths[0])]
    );
    Recipe {
        steps: strings(&job["script"]),
        published: paths[0].clone(),
        left_out: |file| file == Path::new(".envbook-output"),
    }
}

/// The shell lines, continued lines joined; `aws s3 sync` uploads `site/`.
fn s3_cloudfront() -> Recipe {
    let script = block("S3 + CloudFront").replace("\\\n", " ");
    Recipe {
        steps: script
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(str::to_string)
            .collect(),
        published: "site".into(),
        // The `--exclude` of the pages' sync (its arguments are checked below).
        left_out: |file| file == Path::new(".envbook-output"),
    }
}

/// A site from `envbook init`, the stand-in tools and what they noted.
struct Machine {
    _tmp: TempDir,
    site: PathBuf,
    bin: PathBuf,
    log: PathBuf,
    /// What the stand-in `curl` gives as the live site's anchors.json.
    live: PathBuf,
}

const CURL: &str = r#"#!/bin/sh
# curl -fsS URL -o FILE: the live anchors.json, or "404" before the first deployment.
echo "curl $*" >> "$STAND_IN_LOG"
while [ $# -gt 0 ]; do
  if [ "$1" = "-o" ]; then out="$2"; fi
  shift
done
[ -f "$STAND_IN_LIVE" ] || exit 22
cp "$STAND_IN_LIVE" "$out"
"#;

const NOTE: &str = "#!/bin/sh\necho \"$(basename \"$0\") $*\" >> \"$STAND_IN_LOG\"\n";

impl Machine {
    fn new() -> Machine {
        let tmp = TempDir::new().unwrap();
        let init = run_in(tmp.path(), &["init", "docs"]);
        assert_eq!(init.code, 0, "{}", init.stderr);
        let bin = tmp.path().join("bin");
        fs::create_dir(&bin).unwrap();
        for (name, script) in [("curl", CURL), ("aws", NOTE), ("cargo", NOTE)] {
            let path = bin.join(name);
            fs::write(&path, script).unwrap();
            fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
        }
        Machine {
            site: tmp.path().join("docs"),
            bin,
            log: tmp.path().join("stand-ins.log"),
            live: tmp.path().join("live-anchors.json"),
            _tmp: tmp,
        }
    }

    /// Runs the steps in order until one fails: the failing step's index and
    /// its stderr.
    fn run(&self, recipe: &Recipe) -> Option<(usize, String)> {
        let envbook = Path::new(env!("CARGO_BIN_EXE_envbook")).parent().unwrap();
        let path = format!("{}:{}:/usr/bin:/bin", self.bin.display(), envbook.display());
        for (i, step) in recipe.steps.iter().enumerate() {
            let out = Command::new("sh")
                .args(["-ec", step])
                .current_dir(&self.site)
                .env("PATH", &path)
                .env("STAND_IN_LOG", &self.log)
                .env("STAND_IN_LIVE", &self.live)
                .env("CI_PAGES_URL", "https://org.gitlab.io/docs")
                .env_remove("ENVBOOK_BASE_URL")
                .output()
                .unwrap();
            if !out.status.success() {
                return Some((i, String::from_utf8_lossy(&out.stderr).into_owned()));
            }
        }
        None
    }

    fn notes(&self) -> Vec<String> {
        let log = fs::read_to_string(&self.log).unwrap_or_default();
        fs::remove_file(&self.log).ok();
        log.lines().map(str::to_string).collect()
    }

    /// The published folder's file, after the recipe ran.
    fn published(&self, recipe: &Recipe, file: &str) -> PathBuf {
        self.site.join(&recipe.published).join(file)
    }

    /// Whether the upload takes the published folder's file.
    fn uploaded(&self, recipe: &Recipe, file: &str) -> bool {
        self.published(recipe, file).is_file() && !(recipe.left_out)(Path::new(file))
    }

    /// The runbook moves; the links to it follow, so only the baseline
    /// knows the old URL was published.
    fn move_the_runbook(&self) {
        let runbooks = self.site.join("content/runbooks");
        fs::rename(
            runbooks.join("resize-the-database.md"),
            runbooks.join("grow-the-database.md"),
        )
        .unwrap();
        let index = self.site.join("content/index.md");
        let text = fs::read_to_string(&index).unwrap();
        fs::write(
            &index,
            text.replace("resize-the-database.md", "grow-the-database.md"),
        )
        .unwrap();
    }

    fn alias_the_old_url(&self) {
        let page = self.site.join("content/runbooks/grow-the-database.md");
        let text = fs::read_to_string(&page).unwrap();
        fs::write(
            &page,
            format!("---\naliases: [/runbooks/resize-the-database/]\n---\n{text}"),
        )
        .unwrap();
    }
}

/// The life of a recipe: a first deployment, a move the baseline stops, and
/// the alias that lets it through. `first` checks the first deployment.
fn deploy_move_and_alias(recipe: Recipe, first: impl Fn(&Machine, &Recipe, Vec<String>)) {
    let machine = Machine::new();
    assert_eq!(machine.run(&recipe), None, "{:?}", recipe.steps);
    assert!(machine.uploaded(&recipe, "index.html"), "no index.html");
    // envbook's list of the files it wrote stays, and is not uploaded.
    assert!(machine.published(&recipe, ".envbook-output").is_file());
    assert!(!machine.uploaded(&recipe, ".envbook-output"));
    first(&machine, &recipe, machine.notes());
    fs::copy(machine.published(&recipe, "anchors.json"), &machine.live).unwrap();

    machine.move_the_runbook();
    let check = recipe
        .steps
        .iter()
        .position(|s| s.starts_with("envbook check --baseline"))
        .expect("a check --baseline step");
    let built = recipe
        .steps
        .iter()
        .position(|s| s.contains("envbook build"))
        .expect("a build step");
    assert!(check < built, "the check must come before the build");
    let stopped = machine.run(&recipe).expect("the move was let through");
    assert_eq!(stopped.0, check);
    assert!(
        stopped
            .1
            .starts_with("error: /runbooks/resize-the-database/ was published and is gone\n"),
        "{}",
        stopped.1
    );
    assert!(
        !machine.notes().iter().any(|n| n.starts_with("aws")),
        "uploaded after the check failed"
    );

    machine.alias_the_old_url();
    assert_eq!(machine.run(&recipe), None);
    let redirect = machine.published(&recipe, "runbooks/resize-the-database/index.html");
    let redirect = fs::read_to_string(redirect).unwrap();
    assert!(redirect.contains("grow-the-database/"), "{redirect}");
}

#[test]
fn the_github_pages_recipe_publishes_under_the_repository_path() {
    deploy_move_and_alias(github_pages(), |machine, recipe, notes| {
        let index = fs::read_to_string(machine.published(recipe, "index.html")).unwrap();
        assert!(index.contains("href=\"/REPO/environments/\""), "{index}");
        assert_eq!(
            notes,
            [
                "cargo install --locked --git https://github.com/ORG/envbook envbook",
                "curl -fsS https://ORG.github.io/REPO/anchors.json -o published.json",
            ]
        );
    });
}

#[test]
fn the_gitlab_pages_recipe_publishes_public_under_the_pages_url() {
    deploy_move_and_alias(gitlab_pages(), |machine, recipe, notes| {
        assert_eq!(recipe.published, "public");
        let sitemap = fs::read_to_string(machine.published(recipe, "sitemap.xml")).unwrap();
        assert!(
            sitemap.contains("<loc>https://org.gitlab.io/docs/environments/</loc>"),
            "{sitemap}"
        );
        assert_eq!(
            notes[1],
            "curl -fsS https://org.gitlab.io/docs/anchors.json -o published.json"
        );
    });
}

#[test]
fn the_s3_recipe_uploads_hashed_static_files_for_ever_and_pages_revalidated() {
    deploy_move_and_alias(s3_cloudfront(), |machine, recipe, notes| {
        // Every page links to the hashed names under static/, which the
        // first sync uploads with the long cache; the second leaves them out.
        let index = fs::read_to_string(machine.published(recipe, "index.html")).unwrap();
        let css = index
            .split("href=\"/static/")
            .filter_map(|s| s.split('"').next())
            .find(|name| name.starts_with("envbook.") && name.ends_with(".css"))
            .expect("a link to envbook.css");
        assert_ne!(css, "envbook.css");
        assert!(machine.uploaded(recipe, &format!("static/{css}")));
        let aws: Vec<&String> = notes.iter().filter(|n| n.starts_with("aws")).collect();
        assert_eq!(aws.len(), 3, "{notes:?}");
        assert!(
            aws[0].starts_with("aws s3 sync site/static/ s3://BUCKET/static/ --delete")
                && aws[0].contains("max-age=31536000, immutable"),
            "{}",
            aws[0]
        );
        assert!(
            aws[1].contains("--exclude static/* --exclude .envbook-output")
                && aws[1].contains("max-age=0, must-revalidate"),
            "{}",
            aws[1]
        );
        assert!(aws[2].starts_with("aws cloudfront create-invalidation"));
    });
}
