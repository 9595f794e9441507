//! What a built site gives the index: a fragment per page (the page, then
//! its headings with ids) and fragments of matrix rows, each row leading to
//! the first page that shows it. No I/O.

use std::borrow::Cow;

use crate::data::Data;
use crate::markdown::{Rendered, inline_text};

use super::index::{Fragment, Kind, ROWS_PER_FRAGMENT, Record};

/// A page as the index takes it.
pub struct PageEntry<'a> {
    /// From the site's root: `runbooks/db/`.
    pub url: &'a str,
    pub title: &'a str,
    /// The titles above it: `Runbooks › Database`.
    pub section: String,
    pub rendered: &'a Rendered,
}

/// The page's fragment: the page, then each heading with an id; its file
/// only if `file` (a build leaves a file its output holds as it is).
pub fn page_fragment(page: &PageEntry, file: bool) -> Fragment {
    let records = records(page);
    match file {
        true => Fragment::new(&records),
        false => Fragment::terms_of(&records),
    }
}

/// The page's fragment from its terms as the build cache kept them (see
/// [`Fragment::to_text`]), its file only if `file`; `None` when they are
/// not whole.
pub fn kept_fragment(page: &PageEntry, text: String, file: bool) -> Option<Fragment> {
    match file {
        true => Fragment::from_text(text, &records(page)),
        false => Fragment::from_text(text, &[]).map(|mut f| {
            f.json = String::new();
            f
        }),
    }
}

/// The page's records: the page, then each heading with an id.
fn records<'a>(page: &PageEntry<'a>) -> Vec<Record<'a>> {
    let rendered = page.rendered;
    let text = |i: usize| Cow::Borrowed(rendered.sections.get(i).map_or("", String::as_str));
    let mut records = vec![Record {
        kind: Kind::Page,
        url: page.url.to_string(),
        title: page.title.to_string(),
        section: page.section.clone(),
        text: text(0),
        also: String::new(),
    }];
    let here = join(&page.section, page.title);
    for (i, heading) in rendered.headings.iter().enumerate() {
        // The page's `# Title` is the page; so is a heading without an
        // anchor to lead to (mdBook's id-less ones): their words count for
        // the record before them.
        // So is a first heading of any level that repeats the title with
        // nothing before it (the Rust book's `## Using Box<T>…` pages):
        // as a result of its own, it would be the page twice.
        let repeats_title = heading.text == page.title && text(0).trim().is_empty();
        let is_title = i == 0 && (heading.level == 1 || repeats_title);
        if is_title || heading.id.is_empty() {
            let last = records.last_mut().expect("the page is first");
            if is_title && heading.text != page.title {
                last.also = heading.text.clone();
            }
            if !is_title {
                last.text.to_mut().push_str(&format!(" {} ", heading.text));
            }
            match last.text.is_empty() {
                true => last.text = text(i + 1),
                false => last.text.to_mut().push_str(&text(i + 1)),
            }
            continue;
        }
        records.push(Record {
            kind: Kind::Heading,
            url: format!("{}#{}", page.url, heading.id),
            title: heading.text.clone(),
            section: here.clone(),
            text: text(i + 1),
            also: String::new(),
        });
    }
    records
}

/// Fragments of every matrix row shown on a page: `shown_on(key)` gives the
/// URL and title of the first page with the row's anchor.
pub fn row_fragments<'a>(
    data: &Data,
    shown_on: impl Fn(&str) -> Option<(&'a str, &'a str)>,
) -> Vec<Fragment> {
    let mut rows = Vec::new();
    for section in &data.sections {
        for setting in &section.settings {
            let Some((url, title)) = shown_on(&setting.key) else {
                continue;
            };
            let mut text = setting.key.clone();
            for (env, cell) in data.environments.iter().zip(&setting.cells) {
                text.push_str(&format!(" · {}: {}", env.title, cell.text().unwrap_or("—")));
            }
            if let Some(note) = &setting.note {
                text.push_str(" · ");
                text.push_str(&inline_text(note));
            }
            rows.push(Record {
                kind: Kind::Row,
                url: format!("{url}#{}", setting.key),
                title: inline_text(&setting.label),
                section: join(title, &section.title),
                text: text.into(),
                also: setting.key.clone(),
            });
        }
    }
    rows.chunks(ROWS_PER_FRAGMENT).map(Fragment::new).collect()
}

fn join(path: &str, title: &str) -> String {
    match path.is_empty() {
        true => title.to_string(),
        false => format!("{path} › {title}"),
    }
}
