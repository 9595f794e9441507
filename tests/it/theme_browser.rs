//! The matrix's marks and the theme switch in a real browser (issue 13):
//! headless Chromium on `envbook serve`'s preview of a three-environment site.

use crate::search_browser::{Serve, chromium, eval, open, try_value, value, wait};
use crate::support::Site;

const THEME: &str = "JSON.stringify([document.documentElement.dataset.theme || 'auto', \
    getComputedStyle(document.body).backgroundColor, localStorage.getItem('envbook-theme')])";

#[test]
fn the_odd_cell_is_marked_and_a_chosen_theme_outlives_a_reload() {
    let Some(browser) = chromium() else { return };
    let site = Site::fixture("three-envs");
    let serve = Serve::start(&site.dir);
    let tab = browser.new_tab().unwrap();
    open(&tab, &serve.url);
    // Replicas: dev 1, staging 3, prod 3. Dev's cell is marked, by weight
    // (not only colour); the others are not.
    let cells: Vec<String> = value(
        &tab,
        "JSON.stringify([...document.querySelectorAll('tr[id=\"app.replicas\"] td')]\
         .map(td => td.className + ' ' + getComputedStyle(td).fontWeight))",
    );
    assert_eq!(cells, ["differs odd 600", "differs 400", "differs 400"]);
    let legend: String = value(
        &tab,
        "JSON.stringify(document.querySelector('.matrix-legend').innerText)",
    );
    assert_eq!(legend, "Marked: differs from most environments.");
    // The switch: auto (the system's light here), light, dark.
    let theme = |want: [&str; 3]| {
        let seen: Vec<Option<String>> = value(&tab, THEME);
        let want: Vec<Option<String>> = want
            .iter()
            .map(|w| (!w.is_empty()).then(|| w.to_string()))
            .collect();
        assert_eq!(seen, want);
    };
    theme(["auto", "rgb(255, 255, 255)", ""]);
    eval(&tab, "document.getElementById('envbook-theme').click()");
    theme(["light", "rgb(255, 255, 255)", "light"]);
    eval(&tab, "document.getElementById('envbook-theme').click()");
    theme(["dark", "rgb(13, 17, 23)", "dark"]);
    // Kept across a reload, and applied before the page shows.
    open(&tab, &serve.url);
    theme(["dark", "rgb(13, 17, 23)", "dark"]);
    let label: String = value(
        &tab,
        "JSON.stringify(document.getElementById('envbook-theme').getAttribute('aria-label'))",
    );
    assert_eq!(label, "Theme: dark, press for the next");
    // Back to auto: the choice is forgotten.
    eval(&tab, "document.getElementById('envbook-theme').click()");
    open(&tab, &serve.url);
    theme(["auto", "rgb(255, 255, 255)", ""]);
}

/// What the page's matrices show: per table, its visible rows as
/// "Label: class value, …", or "hidden" with the note shown instead.
const TABLES: &str = "JSON.stringify([...document.querySelectorAll('table.matrix')].map(t => \
    t.closest('[hidden]') ? 'hidden: ' + t.closest('[hidden]').nextElementSibling.innerText : \
    [...t.rows].filter(r => !r.hidden).map(r => [...r.cells].filter(c => !c.hidden) \
    .map((c, i) => i ? [c.className, c.innerText].filter(Boolean).join(' ') : \
        (c.firstChild ? c.firstChild.textContent.trim() : '') + (r.classList.contains('shared') ? ' (shared)' : '') + ':') \
    .join(' '))))";

fn click(tab: &headless_chrome::Tab, selector: &str) {
    eval(
        tab,
        &format!("document.querySelector({selector:?}).click()"),
    );
}

#[test]
fn the_controls_show_only_differences_among_the_environments_picked() {
    let Some(browser) = chromium() else { return };
    let site = Site::fixture("three-envs");
    let serve = Serve::start(&site.dir);
    let tab = browser.new_tab().unwrap();
    open(&tab, &serve.url);
    let tables = || -> Vec<Vec<String>> {
        let seen: Vec<serde_json::Value> = value(&tab, TABLES);
        seen.into_iter()
            .map(|t| match t {
                serde_json::Value::String(s) => vec![s],
                rows => serde_json::from_value(rows).unwrap(),
            })
            .collect()
    };
    let full = tables();
    assert_eq!(
        full,
        [
            vec![
                ": Staging Prod",
                "Host: differs staging.example.com differs example.com"
            ],
            vec![
                ": Dev Staging Prod",
                "Replicas: differs odd 1 differs 3 differs 3",
                "Log level: differs odd debug differs info differs info",
                "Host: differs dev.example.com differs staging.example.com differs example.com",
                "Region (shared): same eu-west-1 same eu-west-1 same eu-west-1",
            ],
        ]
    );
    let controls: String = value(
        &tab,
        "JSON.stringify(document.querySelector('.matrix-controls').innerText)",
    );
    assert_eq!(
        controls,
        "Only differences\nEnvironments:\nDev\nStaging\nProd"
    );

    click(&tab, ".matrix-only input");
    assert_eq!(tables()[0], full[0]);
    assert_eq!(tables()[1], full[1][..4]);

    // Without dev, replicas and log level are the same: hidden with the rest.
    click(&tab, ".matrix-envs input[value=dev]");
    let host = vec![
        ": Staging Prod",
        "Host: differs staging.example.com differs example.com",
    ];
    assert_eq!(tables(), [host.clone(), host.clone()]);

    // All settings again, marked among staging and prod.
    click(&tab, ".matrix-only input");
    assert_eq!(
        tables()[1],
        [
            ": Staging Prod",
            "Replicas (shared): same 3 same 3",
            "Log level (shared): same info same info",
            "Host: differs staging.example.com differs example.com",
            "Region (shared): same eu-west-1 same eu-west-1",
        ]
    );

    // Prod alone: the last box cannot be unticked; with only differences,
    // each table says why it is empty.
    click(&tab, ".matrix-envs input[value=staging]");
    let disabled: Vec<bool> = value(
        &tab,
        "JSON.stringify([...document.querySelectorAll('.matrix-envs input')].map(i => i.disabled))",
    );
    assert_eq!(disabled, [false, false, true]);
    click(&tab, ".matrix-only input");
    let empty = vec!["hidden: Only Prod is shown: nothing to compare.".to_string()];
    assert_eq!(tables(), [empty.clone(), empty]);

    // A link to a hidden row shows everything again.
    eval(&tab, "location.hash = '#app.region'");
    wait(&tab, "the full tables", |_| {
        (tables() == full).then_some(())
    });
    let boxes: Vec<bool> = value(
        &tab,
        "JSON.stringify([...document.querySelectorAll('.matrix-controls input')].map(i => i.checked))",
    );
    assert_eq!(boxes, [false, true, true, true]);

    // Every box ticked again gives the server's marks back.
    click(&tab, ".matrix-envs input[value=dev]");
    click(&tab, ".matrix-envs input[value=dev]");
    assert_eq!(tables(), full);

    // An environment's own page has one column per table: nothing to pick,
    // and nothing added.
    open(&tab, &format!("{}environments/dev/", serve.url));
    let added: usize = value(
        &tab,
        "document.querySelectorAll('table.matrix').length && \
         document.querySelectorAll('.matrix-controls, .matrix-empty').length",
    );
    assert_eq!(added, 0);
    let matrices: usize = value(&tab, "document.querySelectorAll('table.matrix').length");
    assert!(matrices > 0);
}

#[test]
fn without_javascript_the_tables_are_whole_and_have_no_controls() {
    let site = Site::fixture("three-envs");
    site.build();
    let html = site.read("site/index.html");
    assert!(!html.contains("matrix-controls"));
    assert!(html.contains("<th scope=\"col\" data-env=\"dev\">Dev</th>"));
}

#[test]
fn a_wide_table_fades_at_the_edge_with_more_table_beyond() {
    let Some(browser) = chromium() else { return };
    let site = Site::fixture("three-envs");
    let row = |cell: &str| format!("| {} |\n", vec![cell; 14].join(" | "));
    site.write(
        "content/wide.md",
        &format!(
            "# Wide\n\n{}{}{}\n| a | b |\n|---|---|\n| 1 | 2 |\n",
            row("a column with a long name"),
            row("---"),
            row("a value")
        ),
    );
    let serve = Serve::start(&site.dir);
    let tab = browser.new_tab().unwrap();
    open(&tab, &format!("{}wide/", serve.url));
    let cues = |want: [&str; 2]| {
        wait(&tab, "the scroll cues", |tab| {
            let seen: Vec<String> = try_value(
                tab,
                "JSON.stringify([...document.querySelectorAll('.content table')]\
                 .map(t => [...t.classList].sort().join(' ') + (getComputedStyle(t).maskImage === 'none' ? '' : ' masked')))",
            )?;
            (seen == want).then_some(())
        })
    };
    // The wide table fades on the right only; the narrow one not at all.
    cues(["scrolls-right masked", ""]);
    eval(
        &tab,
        "document.querySelector('.content table').scrollLeft = 200",
    );
    cues(["scrolls-left scrolls-right masked", ""]);
    eval(
        &tab,
        "document.querySelector('.content table').scrollLeft = 1e6",
    );
    cues(["scrolls-left masked", ""]);
}

/// The preview with a broken link: the page is shown, the link named in a
/// note in a corner (the problems of a failed build cover the page
/// instead), and the note is gone once the link leads somewhere.
#[test]
fn a_broken_link_is_a_note_in_a_corner_until_it_leads_somewhere() {
    let Some(browser) = chromium() else { return };
    let site = Site::fixture("three-envs");
    let page = site.read("content/index.md");
    site.write("content/index.md", &format!("{page}\n[Later](#later)\n"));
    let serve = Serve::start(&site.dir);
    let tab = browser.new_tab().unwrap();
    open(&tab, &serve.url);
    const NOTE: &str = "JSON.stringify([document.getElementById('envbook-note')?.innerText ?? null, \
        !!document.getElementById('later'), !!document.getElementById('envbook-overlay')])";
    type Seen = (Option<String>, bool, bool);
    let note = wait(&tab, "the note", |tab| {
        let (note, _, overlay): Seen = try_value(tab, NOTE)?;
        assert!(!overlay, "the page is covered");
        note
    });
    assert!(
        note.contains("Broken links (`envbook check` reports them too):")
            && note.contains("warning: broken link [Later]: there is no `#later` on /"),
        "{note}"
    );
    site.write(
        "content/index.md",
        &format!("{page}\n[Later](#later)\n\n## Later\n"),
    );
    wait(&tab, "the page reloaded without the note", |tab| {
        let seen: Seen = try_value(tab, NOTE)?;
        (seen == (None, true, false)).then_some(())
    });
}
