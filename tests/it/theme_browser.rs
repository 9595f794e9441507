//! The matrix's marks and the theme switch in a real browser (issue 13):
//! headless Chromium on `envbook serve`'s preview of a three-environment site.

use crate::search_browser::{Serve, chromium, eval, open, value};
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
