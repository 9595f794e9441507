//! The preview server re-renders only what an edit changes: after each kind
//! of edit, every file it serves must equal, byte for byte, what a one-off
//! build of the same sources writes, and it must have rendered only the pages
//! whose template input changed.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use crate::serve::Server;
use crate::support::Site;

const WAIT: Duration = Duration::from_secs(10);

/// What the server adds to each HTML page it serves (see `reload::script`).
const RELOAD_SCRIPT: &str = "<script>/* envbook serve: live reload */";

/// The body of `GET path`, as bytes, without the live-reload script.
fn served(server: &Server, path: &str) -> Vec<u8> {
    let mut stream = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    stream.set_read_timeout(Some(WAIT)).unwrap();
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n\r\n",
        server.port
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut bytes = Vec::new();
    stream.read_to_end(&mut bytes).unwrap();
    let head_end = find(&bytes, b"\r\n\r\n").expect("a response head") + 4;
    assert!(
        bytes.starts_with(b"HTTP/1.1 200 "),
        "GET {path}: {}",
        String::from_utf8_lossy(&bytes[..head_end])
    );
    let mut body = bytes.split_off(head_end);
    if let Some(start) = find(&body, RELOAD_SCRIPT.as_bytes()) {
        let end = start + find(&body[start..], b"</script>").unwrap() + "</script>".len();
        body.drain(start..end);
    }
    body
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Writes `text` at `rel` and waits for the server's rebuild; returns how
/// many pages it rendered.
fn edit(site: &Site, server: &Server, rel: &str, text: &str) -> usize {
    site.write(rel, text);
    let line = server
        .stdout
        .recv_timeout(WAIT)
        .expect("the server rebuilds");
    let rendered = line
        .split_once(" changed: ")
        .and_then(|(_, rest)| rest.split_once(" page"))
        .and_then(|(n, _)| n.parse().ok());
    rendered.unwrap_or_else(|| panic!("not a rebuild line: {line}\n"))
}

/// Builds the site once into `site/` and asserts that the server serves
/// every file of it with the same bytes.
fn assert_serves_the_build(site: &Site, server: &Server, after: &str) {
    assert_serves_the_build_in(site, server, "site", after);
}

/// As [`assert_serves_the_build`], for a site built into `output`.
fn assert_serves_the_build_in(site: &Site, server: &Server, output: &str, after: &str) {
    site.build();
    let built = site.snapshot(output);
    assert!(built.len() > 20, "{built:?}");
    for (path, bytes) in built {
        let path = path.to_string_lossy().replace('\\', "/");
        if path == ".envbook-output" {
            continue; // the output folder's marker, not part of the site
        }
        let got = served(server, &format!("{}{path}", server.base));
        assert!(
            got == bytes,
            "after {after}, /{path} differs from the build's:\n--- served\n{}\n--- built\n{}",
            String::from_utf8_lossy(&got),
            String::from_utf8_lossy(&bytes)
        );
    }
}

#[test]
fn every_edit_serves_what_a_fresh_build_writes_and_renders_only_what_changed() {
    let site = Site::fixture("preview");
    let server = Server::start(&site, &[]);
    assert_serves_the_build(&site, &server, "the first build");

    // A body edit: the page only (its section page lists its title, not its text).
    let deploy = site.read("content/guides/deploy.md");
    let n = edit(
        &site,
        &server,
        "content/guides/deploy.md",
        &deploy.replace("Ship the release.", "Ship the release, then watch it."),
    );
    assert_eq!(n, 1, "a body edit");
    assert_serves_the_build(&site, &server, "a body edit");

    // A title edit: every page that shows the guides' branch of the
    // navigation (the folder's pages and those below), its neighbours'
    // prev/next and its section's list; not the home page, About, the
    // runbooks or the environment pages.
    let deploy = site.read("content/guides/deploy.md");
    let n = edit(
        &site,
        &server,
        "content/guides/deploy.md",
        &deploy.replace("# Deploy\n", "# Deploy safely\n"),
    );
    assert_eq!(n, 7, "a title edit");
    assert_serves_the_build(&site, &server, "a title edit");

    // A weight edit: Rollback moves first, so prev/next and the order change.
    let rollback = site.read("content/guides/rollback.md");
    let n = edit(
        &site,
        &server,
        "content/guides/rollback.md",
        &rollback.replace("weight: 3", "weight: 0"),
    );
    assert_eq!(n, 7, "a weight edit");
    assert_serves_the_build(&site, &server, "a weight edit");

    // A description edit: the page's own <meta> and its section's list.
    let setup = site.read("content/guides/setup.md");
    let n = edit(
        &site,
        &server,
        "content/guides/setup.md",
        &setup.replace("description: Install it", "description: Install it first"),
    );
    assert_eq!(n, 2, "a description edit");
    assert_serves_the_build(&site, &server, "a description edit");

    // A top-level page's title is in every page's navigation.
    let about = site.read("content/about.md");
    let n = edit(
        &site,
        &server,
        "content/about.md",
        &about.replace("title: About", "title: About us"),
    );
    assert_eq!(n, 15, "a top-level title edit");
    assert_serves_the_build(&site, &server, "a top-level title edit");

    // A title back as it was, in a deeper folder: its folder and its neighbours.
    let tuning = site.read("content/guides/advanced/tuning.md");
    let n = edit(
        &site,
        &server,
        "content/guides/advanced/tuning.md",
        &tuning.replace("# Tuning", "# Tuning <the> \"pool\""),
    );
    assert_eq!(n, 4, "a deeper title edit");
    assert_serves_the_build(&site, &server, "a deeper title edit");

    // The home page's title: on every page, and in the search index's
    // records of the matrix rows it shows.
    let home = site.read("content/index.md");
    let n = edit(
        &site,
        &server,
        "content/index.md",
        &home.replace("# Home", "# Welcome home"),
    );
    assert_eq!(n, 15, "the home page's title");
    assert_serves_the_build(&site, &server, "the home page's title");

    // Its matrix gone, the rows are found on the environment pages instead.
    let home = site.read("content/index.md");
    let n = edit(
        &site,
        &server,
        "content/index.md",
        &home.replace("{{ matrix(section=\"app\") }}", "No table."),
    );
    assert_eq!(n, 1, "a matrix removed");
    assert_serves_the_build(&site, &server, "a matrix removed");
}

#[test]
fn an_mdbook_book_s_preview_follows_its_summary_and_chapters() {
    let site = Site::fixture("mdbook-book");
    let server = Server::start(&site, &[]);
    assert_serves_the_build_in(&site, &server, "book/html", "the first build");
    // A chapter named by SUMMARY.md only: every page (and the print page)
    // shows the navigation, whose top level it is in.
    let summary = site.read("src/SUMMARY.md");
    edit(
        &site,
        &server,
        "src/SUMMARY.md",
        &summary.replace("[No heading here]", "[Without a heading]"),
    );
    assert_serves_the_build_in(&site, &server, "book/html", "a title in SUMMARY.md");
    let setup = site.read("src/guide/setup.md");
    edit(
        &site,
        &server,
        "src/guide/setup.md",
        &setup.replace("Run the installer.", "Run the installer twice."),
    );
    assert_serves_the_build_in(&site, &server, "book/html", "a chapter's text");
    edit(
        &site,
        &server,
        "src/guide/setup.md",
        &setup.replace("# Setting up", "# Setting it up"),
    );
    assert_serves_the_build_in(&site, &server, "book/html", "a chapter's title");
}

/// The build event's number, and the broken links it names (see
/// `serve::a_broken_link_is_named_in_the_pages_which_are_still_served`).
fn build_with_links(events: &mut crate::serve::Events) -> (String, String) {
    let (event, data) = events.next();
    assert_eq!(event, "build", "{data}");
    let (number, links) = data.split_once('\n').unwrap_or((&data, ""));
    (number.to_string(), links.to_string())
}

#[test]
fn a_link_broken_by_an_edit_of_the_page_it_leads_to_is_reported() {
    let site = Site::fixture("preview");
    let server = Server::start(&site, &[]);
    let mut events = server.events();
    assert_eq!(events.next(), ("build".into(), "1".into()));
    // setup.md links to deploy.md#ship-it; only deploy.md changes.
    let deploy = site.read("content/guides/deploy.md");
    site.write(
        "content/guides/deploy.md",
        &deploy.replace("## Ship it", "## Ship"),
    );
    let (number, text) = build_with_links(&mut events);
    assert_eq!(number, "2");
    assert!(
        text.contains("there is no `#ship-it` on /guides/deploy/")
            && text.contains("--> content/guides/setup.md:"),
        "{text}"
    );
    site.write("content/guides/deploy.md", &deploy);
    assert_eq!(build_with_links(&mut events), ("3".into(), String::new()));
    // A link written broken is reported too.
    let rollback = site.read("content/guides/rollback.md");
    site.write(
        "content/guides/rollback.md",
        &rollback.replace("(deploy.md)", "(deploy.md#nowhere)"),
    );
    let (number, text) = build_with_links(&mut events);
    assert_eq!(number, "4");
    assert!(
        text.contains("there is no `#nowhere` on /guides/deploy/"),
        "{text}"
    );
}

#[test]
fn a_theme_of_its_own_still_gets_each_page_s_navigation_with_its_page_current() {
    let site = Site::fixture("preview");
    // No `nav_tree` component: the page draws `nav` itself.
    site.write(
        "theme/templates/base.html",
        "{% component tree(items: array) %}{% for item in items %} \
         {% if item.current %}[{% endif %}{{ item.title }}{% if item.current %}]{% endif %}\
         {% if item.children %} ({{ <tree items={item.children}/> }} ){% endif %}\
         {% endfor %}{% endcomponent tree %}\
         <nav>{{ <tree items={nav}/> }}</nav>|{{ nav_html }}|\
         {% block head %}{% endblock head %}{% block content %}{% endblock content %}\
         {% block after_content %}{% endblock after_content %}",
    );
    site.build();
    let nav = |page: &str| {
        let html = site.read(&format!("site/{page}index.html"));
        html[..html.find("</nav>").unwrap()].to_string()
    };
    assert_eq!(nav(""), "<nav> [Home] Guides About Environments Runbooks");
    assert_eq!(
        nav("guides/deploy/"),
        "<nav> Home Guides ( Setup [Deploy] Rollback Advanced ) About Environments Runbooks"
    );
    assert_eq!(
        nav("guides/advanced/"),
        "<nav> Home Guides ( Setup Deploy Rollback [Advanced] ( Scaling Tuning ) ) About Environments Runbooks"
    );
    // Without the component, there is no shared navigation HTML.
    assert!(site.read("site/index.html").contains("</nav>||"));
}
