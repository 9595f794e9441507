//! The search index a build writes and the preview serves
//! (tests/fixtures/search-index), searched by `envbook search`, which runs
//! the search box's algorithm. The box itself: `search_browser`.

use std::collections::{BTreeMap, BTreeSet};

use envbook::search::find::find;

use crate::serve::{Server, wait_for};
use crate::support::Site;

/// The URLs `envbook search` finds, best first.
fn found(site: &Site, query: &str) -> Vec<String> {
    let run = site.run(&["search", "--json", query]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    json["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["url"].as_str().unwrap().to_string())
        .collect()
}

const ROW: &str = "environments/#data-plane.storage-size";

#[test]
fn pages_headings_and_rows_are_found_ranked_title_heading_row_body() {
    let site = Site::fixture("search-index");
    site.build();
    assert_eq!(found(&site, "stor"), [ROW, "runbooks/restore/"]);
    assert_eq!(found(&site, "20Gi"), [ROW]);
    assert_eq!(found(&site, "data-plane.storage-size"), [ROW]);
    assert_eq!(found(&site, "prod storage size"), [ROW]);
    // A row's note is text: its markdown does not hide its words.
    assert_eq!(found(&site, "orders"), [ROW]);
    assert_eq!(
        found(&site, "promote"),
        ["runbooks/restore/#promote-the-replica", "runbooks/restore/"]
    );
    assert_eq!(
        found(&site, "deploiement"),
        [
            "runbooks/restore/#déploiement-en-production",
            "runbooks/restore/"
        ]
    );
    assert_eq!(found(&site, "本番"), ["runbooks/restore/"]);
    assert_eq!(found(&site, "\"storage class\""), ["runbooks/restore/"]);
    assert_eq!(found(&site, "\"class storage\""), Vec::<String>::new());
    let human = site.run(&["search", "20Gi"]);
    assert_eq!(
        human.stdout,
        "Storage size — Environments › Data plane\n  /environments/#data-plane.storage-size\n"
    );
}

#[test]
fn drafts_pages_left_out_and_redirects_are_not_indexed() {
    let site = Site::fixture("search-index");
    site.build();
    assert_eq!(found(&site, "quetzalcoatl"), Vec::<String>::new());
    assert_eq!(found(&site, "axolotl"), Vec::<String>::new());
    // Every record leads to a page of the site, none to the alias.
    let mut urls = BTreeSet::new();
    for entry in std::fs::read_dir(site.path("site/search/f")).unwrap() {
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap()).unwrap();
        for record in json.as_array().unwrap() {
            let url = record["u"].as_str().unwrap();
            urls.insert(url.split('#').next().unwrap().to_string());
        }
    }
    assert_eq!(
        urls.into_iter().collect::<Vec<_>>(),
        [
            "",
            "environments/",
            "environments/dev/",
            "environments/prod/",
            "runbooks/",
            "runbooks/restore/"
        ]
    );
}

#[test]
fn an_edit_rewrites_its_fragment_and_the_chunks_of_its_words_only() {
    let site = Site::fixture("search-index");
    site.build();
    let before = site.snapshot("site/search");
    site.write(
        "content/runbooks/restore.md",
        &site
            .read("content/runbooks/restore.md")
            .replace("takes hours", "takes zymurgy hours"),
    );
    site.build();
    let after = site.snapshot("site/search");
    let changed: Vec<String> = after
        .iter()
        .filter(|(path, bytes)| before.get(*path) != Some(bytes))
        .map(|(path, _)| path.to_string_lossy().into_owned())
        .collect();
    let chunks = changed.iter().filter(|p| p.starts_with("t/")).count();
    // The page's fragment, meta.json, and the chunk that takes the new word.
    assert!(changed.contains(&"meta.json".to_string()), "{changed:?}");
    assert!(changed.iter().any(|p| p.starts_with("f/")), "{changed:?}");
    assert_eq!(chunks, 1, "{changed:?}");
    assert_eq!(changed.len(), 3, "{changed:?}");
    assert_eq!(found(&site, "zymurgy"), ["runbooks/restore/"]);
}

#[test]
fn search_can_be_turned_off() {
    let site = Site::fixture("search-index");
    site.write(
        "book.toml",
        "[book]\ntitle = \"T\"\n\n[search]\nenable = false\n",
    );
    site.build();
    assert!(!site.path("site/search").exists());
    // Nor the box, nor its script.
    let home = site.read("site/index.html");
    assert!(!home.contains("envbook-search") && !home.contains("/search."));
    let on = Site::fixture("search-index");
    on.build();
    let home = on.read("site/index.html");
    assert!(home.contains("id=\"envbook-search\"") && home.contains("/static/search."));
    let run = site.run(&["search", "storage"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("has no search index: run `envbook build` first (and `[search] enable` is false in book.toml)"),
        "{}",
        run.stderr
    );
}

#[test]
fn the_preview_serves_an_index_that_follows_each_edit() {
    let site = Site::fixture("search-index");
    let server = Server::start(&site, &[]);
    let search = |query: &str| -> Vec<String> {
        let found = find(query, &mut |path| {
            let response = server.get(&format!("/search/{path}"));
            (response.status == 200).then_some(response.body)
        });
        found.hits.into_iter().map(|h| h.url).collect()
    };
    assert_eq!(search("20Gi"), [ROW]);
    assert_eq!(search("zymurgy"), Vec::<String>::new());
    site.write(
        "content/runbooks/restore.md",
        &site
            .read("content/runbooks/restore.md")
            .replace("takes hours", "takes zymurgy hours"),
    );
    wait_for("the new word in the index", || {
        search("zymurgy") == ["runbooks/restore/"]
    });
    let data = site.read("data/environments.yaml");
    site.write("data/environments.yaml", &data.replace("20Gi", "40Gi"));
    wait_for("the new value in the index", || search("40Gi") == [ROW]);
    assert_eq!(search("20Gi"), Vec::<String>::new());
}

/// The index files `server` serves: `meta.json` and every chunk it names.
fn served_chunks(server: &Server) -> BTreeMap<String, String> {
    let meta = server.get("/search/meta.json").body;
    let json: serde_json::Value = serde_json::from_str(&meta).unwrap();
    let mut files = BTreeMap::from([("meta.json".to_string(), meta.clone())]);
    for chunk in json["chunks"].as_array().unwrap() {
        let path = format!("t/{}.json", chunk[1].as_str().unwrap());
        let response = server.get(&format!("/search/{path}"));
        assert_eq!(response.status, 200, "{path}");
        files.insert(path, response.body);
    }
    files
}

#[test]
fn the_preview_updates_its_chunks_to_those_a_build_writes() {
    let site = Site::fixture("search-index");
    // Pages enough for many chunks, sharing their words.
    for n in 0..120u32 {
        let words: Vec<String> = (0..300)
            .map(|i| format!("w{}", (i * 7 + n * 13) % 8000))
            .collect();
        site.write(
            &format!("content/many/p{n}.md"),
            &format!("# Page {n}\n\n{}\n", words.join(" ")),
        );
    }
    let server = Server::start(&site, &[]);
    let has = |path: &str, word: &str| {
        let found = find(word, &mut |p| {
            let response = server.get(&format!("/search/{p}"));
            (response.status == 200).then_some(response.body)
        });
        found.hits.iter().any(|h| h.url == path)
    };
    let chunks = served_chunks(&server).len() - 1;
    assert!(chunks > 10, "{chunks} chunks");
    let edit =
        |rel: &str, from: &str, to: &str| site.write(rel, &site.read(rel).replacen(from, to, 1));
    edit("content/many/p5.md", "w", "zymurgy w");
    wait_for("the edit", || has("many/p5/", "zymurgy"));
    std::fs::remove_file(site.path("content/many/p6.md")).unwrap();
    site.write("content/many/new.md", "# New\n\nquokka w1 w2\n");
    wait_for("the new page", || has("many/new/", "quokka"));
    edit("data/environments.yaml", "20Gi", "40Gi");
    wait_for("the new value", || has(ROW, "40Gi"));
    edit("content/many/p9.md", "w", "axolotl w");
    wait_for("the second edit", || has("many/p9/", "axolotl"));
    let served = served_chunks(&server);
    drop(server);
    let run = site.run(&["build", "--no-cache"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let built: BTreeMap<String, String> = served
        .keys()
        .map(|path| (path.clone(), site.read(&format!("site/search/{path}"))))
        .collect();
    assert_eq!(served, built);
    let written = std::fs::read_dir(site.path("site/search/t"))
        .unwrap()
        .count();
    assert_eq!(written, served.len() - 1);
}

#[test]
fn output_to_a_reader_that_stops_early_is_no_error() {
    let site = Site::fixture("search-index");
    site.build();
    for args in [&["search", "storage"][..], &["diff", "dev", "prod"]] {
        let mut child = crate::support::envbook(args)
            .current_dir(&site.dir)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // The reader is gone before anything is written (`envbook … | head -0`).
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && !stderr.contains("panicked"),
            "{args:?}: {stderr}"
        );
    }
}

#[test]
fn a_page_is_found_by_its_own_title_and_a_key_typed_by_its_parts_in_a_title() {
    // As in Cargo's book: `[cargo install](…)` in SUMMARY.md over
    // `# cargo-install(1)`, and a changelog that names it in passing.
    let site = Site::fixture("mdbook-book");
    site.write(
        "src/install.md",
        "# cargo-install(1)\n\n## NAME\n\ncargo-install --- Build and install a Rust binary\n",
    );
    // A key typed whole: its parts, in a page's title, rank that page
    // above one that names the key more often.
    site.write(
        "src/SUMMARY.md",
        "# Summary\n\n[Changelog](changelog.md)\n\n- [cargo install](install.md)\n- [Cargo Home](home.md)\n",
    );
    site.write("src/home.md", "# Cargo Home\n\nSet `CARGO_HOME`.\n");
    site.write(
        "src/changelog.md",
        "# Changelog\n\n- `cargo-install` learned `--locked`.\n- `cargo-install` got faster.\n- `CARGO_HOME`, `CARGO_HOME`.\n",
    );
    site.build();
    for typed in ["CARGO_HOME", "cargo_ho"] {
        let found = found(&site, typed);
        assert_eq!(found, ["home.html", "changelog.html"], "{typed:?}");
    }
    for typed in ["cargo-install", "cargo-install ", "cargo-inst"] {
        let found = found(&site, typed);
        assert_eq!(
            found.first().map(String::as_str),
            Some("install.html"),
            "{typed:?}: {found:?}"
        );
    }
}

#[test]
fn a_page_opening_with_its_title_as_a_lower_heading_is_one_result() {
    // The Rust book's `## Using `Box<T>` to Point to Data on the Heap`.
    let site = Site::fixture("mdbook-book");
    site.write(
        "src/SUMMARY.md",
        "# Summary\n\n- [Using `Box<T>` on the Heap](box.md)\n",
    );
    site.write(
        "src/box.md",
        "## Using `Box<T>` on the Heap\n\nBoxes hold data.\n\n## Enabling recursive types\n\nA box in a box.\n",
    );
    site.build();
    assert_eq!(found(&site, "heap"), ["box.html"]);
    assert_eq!(
        found(&site, "recursive"),
        ["box.html#enabling-recursive-types", "box.html"]
    );
}
