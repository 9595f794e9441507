//! Tera: loading the theme's templates, the view structs templates see, and
//! rendering. Templates only ever see these views, never internal types, so
//! the internals can change without breaking a site's own templates.

use std::collections::BTreeMap;

use serde::Serialize;
use tera::value::Key;
use tera::{Context, ErrorKind, Tera, Value};

use crate::diagnostic::{Diagnostic, Diagnostics, Pos};
use crate::markdown::Heading;
use crate::nav::{Nav, NodeId, NodeKind};
use crate::theme::Theme;

#[derive(Debug, Clone, Serialize)]
pub struct SiteView {
    pub title: String,
    pub description: String,
    pub language: String,
    /// The path part of base-url: `/` or `/docs/`.
    pub base_url: String,
    /// base-url as configured, with a trailing `/` (a full URL when given one).
    pub url: String,
    /// The book's repository (mdBook's `git-repository-url`), or empty.
    pub repository_url: String,
    /// Stylesheets and scripts the book adds (mdBook's `additional-css`/`-js`), as hrefs.
    pub css: Vec<String>,
    pub js: Vec<String>,
    /// The search box and its index (`[search] enable`).
    pub search: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct LinkView<'a> {
    pub title: &'a str,
    pub url: &'a str,
}

#[derive(Debug, Clone, Serialize)]
pub struct ChildView<'a> {
    pub title: &'a str,
    pub url: &'a str,
    pub description: &'a str,
}

#[derive(Debug, Clone, Serialize)]
pub struct TocEntry<'a> {
    pub id: &'a str,
    /// Inline HTML.
    pub title: &'a str,
    pub level: u8,
    pub children: Vec<TocEntry<'a>>,
}

#[derive(Debug, Clone, Hash, Serialize)]
pub struct NavItem<'a> {
    pub title: &'a str,
    /// mdBook's section label (`1.2.`), or empty.
    pub number: &'a str,
    /// Empty for a draft chapter, a part title or a separator.
    pub url: &'a str,
    /// `page`, `part` or `separator`.
    pub kind: &'static str,
    pub current: bool,
    /// Its children are shown (it has some, and it is the current page or above it).
    pub open: bool,
    pub has_children: bool,
    /// Only filled for open items: a page's size must not grow with the site.
    pub children: Vec<NavItem<'a>>,
}

/// The views borrow what they show: a page's HTML is not copied for them.
#[derive(Debug, Clone, Serialize)]
pub struct PageView<'a> {
    pub title: &'a str,
    pub description: &'a str,
    /// Absolute href: `/docs/runbooks/db-failover/`.
    pub url: &'a str,
    /// The page body as HTML.
    pub content: &'a str,
    /// The content has no `#` heading of its own, so the template shows the title.
    pub show_title: bool,
    pub toc: Vec<TocEntry<'a>>,
    pub children: Vec<ChildView<'a>>,
    pub is_home: bool,
    /// Content-relative source path, empty for generated pages.
    pub source: &'a str,
    /// "Edit this page" (mdBook's `edit-url-template`), or empty.
    pub edit_url: String,
    /// The whole `<title>`, when the page sets it (`{{#title …}}`), or empty.
    pub html_title: &'a str,
    /// Old `#fragment`s of this page and where they went, as JSON safe in a
    /// `<script>` (mdBook's redirects), or empty.
    pub redirects: String,
    pub extra: &'a serde_json::Map<String, serde_json::Value>,
}

/// Everything `page.html` and `404.html` see.
#[derive(Debug, Clone, Serialize)]
pub struct PageContext<'a> {
    pub site: &'a SiteView,
    pub static_url: &'a str,
    /// Each static file's URL under its content-hashed name
    /// (`envbook.css` → `/static/envbook.3f2a9c1b.css`), cacheable for ever.
    pub assets: &'a BTreeMap<String, String>,
    pub page: PageView<'a>,
    /// The [`NavItem`]s of the page's branch, its own marked current (see
    /// [`BranchNav::items`]).
    #[serde(skip)]
    pub nav: Value,
    /// The theme's `nav_tree` component rendered from `nav` with no item
    /// current, once for all the pages of a branch (see [`Renderer::branch_nav`]).
    pub nav_html: &'a str,
    pub breadcrumbs: Vec<LinkView<'a>>,
    pub prev: Option<LinkView<'a>>,
    pub next: Option<LinkView<'a>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SitemapEntry {
    pub url: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct SitemapContext<'a> {
    pub site: &'a SiteView,
    pub pages: Vec<SitemapEntry>,
}

/// h2 entries with their h3 children.
pub fn toc(headings: &[Heading]) -> Vec<TocEntry<'_>> {
    let mut entries: Vec<TocEntry> = Vec::new();
    for h in headings.iter().filter(|h| h.level == 2 || h.level == 3) {
        let entry = TocEntry {
            id: &h.id,
            title: &h.html,
            level: h.level,
            children: Vec::new(),
        };
        match entries.last_mut() {
            Some(parent) if h.level == 3 => parent.children.push(entry),
            _ => entries.push(entry),
        }
    }
    entries
}

/// What a nav needs to turn pages into links.
pub struct NavLinks<'a> {
    pub nav: &'a Nav,
    /// Absolute href of each page, by page index.
    pub hrefs: &'a [String],
    /// Show mdBook's section labels.
    pub numbers: bool,
}

impl<'a> NavLinks<'a> {
    /// The top level, with `current`'s branch opened (see [`Nav::branch`]).
    pub fn items(&self, current: Option<NodeId>) -> Vec<NavItem<'a>> {
        self.branch_items(current.and_then(|c| self.nav.branch(c)), current)
    }

    /// The top level, with `branch` and the nodes above it opened.
    pub fn branch_items(
        &self,
        branch: Option<NodeId>,
        current: Option<NodeId>,
    ) -> Vec<NavItem<'a>> {
        let open: Vec<NodeId> = branch
            .map(|b| self.nav.ancestors(b).collect())
            .unwrap_or_default();
        self.level(&self.nav.roots, current, &open)
    }

    fn level(&self, ids: &[NodeId], current: Option<NodeId>, open: &[NodeId]) -> Vec<NavItem<'a>> {
        ids.iter()
            .map(|&id| {
                let node = &self.nav.nodes[id];
                let is_open = open.contains(&id);
                NavItem {
                    title: &node.title,
                    number: match &node.number {
                        Some(n) if self.numbers => n,
                        _ => "",
                    },
                    url: node.page.map_or("", |p| &self.hrefs[p]),
                    kind: match node.kind {
                        NodeKind::Chapter => "page",
                        NodeKind::Part => "part",
                        NodeKind::Separator => "separator",
                    },
                    current: current == Some(id),
                    open: is_open,
                    has_children: !node.children.is_empty(),
                    children: if is_open {
                        self.level(&node.children, current, open)
                    } else {
                        Vec::new()
                    },
                }
            })
            .collect()
    }

    /// The home page, then the pages above `page` in the navigation, from the top down.
    pub fn breadcrumbs(
        &self,
        page: usize,
        home: Option<usize>,
        titles: &'a [String],
    ) -> Vec<LinkView<'a>> {
        self.nav
            .above(page, home)
            .into_iter()
            .map(|p| LinkView {
                title: &titles[p],
                url: &self.hrefs[p],
            })
            .collect()
    }
}

/// The component that draws the navigation tree (see [`Renderer::branch_nav`]).
const NAV_TREE: &str = "nav_tree";

/// One branch's navigation, made once for the pages that show it.
#[derive(Debug, Clone)]
pub struct BranchNav {
    /// The [`NavItem`]s, none current.
    items: Value,
    /// The theme's `nav_tree` of them, or empty.
    pub html: String,
}

impl BranchNav {
    /// The items, with the one at `place` (its place among its siblings,
    /// then its parent's…, see [`Nav::place_of`]) marked current. Only the
    /// lists and items on the way to it are copied; the rest is shared.
    pub fn items(&self, place: &[usize]) -> Value {
        mark_current(&self.items, place)
    }
}

/// `list` with the item at `place` (innermost first) marked current.
fn mark_current(list: &Value, place: &[usize]) -> Value {
    let (Some((&at, outer)), Some(items)) = (place.split_last(), list.as_array()) else {
        return list.clone();
    };
    let mut items = items.to_vec();
    if let Some(item) = items.get(at).and_then(Value::as_map) {
        let mut item = item.clone();
        let marked = match outer.is_empty() {
            true => Some(("current", Value::from(true))),
            false => item
                .get(&Key::from("children"))
                .map(|children| ("children", mark_current(children, outer))),
        };
        if let Some((key, value)) = marked {
            item.insert(key.into(), value);
        }
        items[at] = Value::from(item);
    }
    Value::from(items)
}

/// The theme's templates, parsed once per build.
pub struct Renderer {
    tera: Tera,
}

impl Renderer {
    /// Parses every template of `theme`, reporting each one that fails.
    pub fn new(theme: &Theme) -> Result<Renderer, Diagnostics> {
        let templates: Vec<(&str, String)> = theme
            .templates()
            .map(|(name, f)| (name, String::from_utf8_lossy(&f.bytes).into_owned()))
            .collect();
        let mut tera = Tera::new();
        tera.set_escape_fn(escape_html);
        match tera.add_raw_templates(templates.iter().map(|(n, t)| (*n, t.as_str()))) {
            Ok(()) => Ok(Renderer { tera }),
            Err(e) => Err(template_errors(theme, &templates, e)),
        }
    }

    /// A branch's navigation (see [`Nav::branch`]) with no item current:
    /// as the template value its pages share, and as the theme's `nav_tree`
    /// component (if it has one) renders it. Every page of a folder shows
    /// the same navigation but for the item marked current, so it is
    /// rendered once per folder and the template marks the current page's
    /// link in it: rendering it for each page took a tenth of the time
    /// templates took.
    pub fn branch_nav(&self, items: &[NavItem], theme: &Theme) -> Result<BranchNav, Diagnostic> {
        let items = Value::from_serializable(items);
        if !self.tera.contains_component(NAV_TREE) {
            return Ok(BranchNav {
                items,
                html: String::new(),
            });
        }
        let mut context = Context::new();
        context.insert_value("items", items.clone());
        let html = self
            .tera
            .render_component(NAV_TREE, &context, None, true)
            .map_err(|e| tera_error(theme, &e, "base.html"))?;
        Ok(BranchNav { items, html })
    }

    /// Renders a page: as [`Renderer::render`], with the shared navigation.
    pub fn render_page(
        &self,
        template: &str,
        page: &PageContext,
        theme: &Theme,
    ) -> Result<String, Diagnostic> {
        let mut context = Context::from_serialize(page)
            .map_err(|e| Diagnostic::error(theme.display_name(template), e.to_string()))?;
        context.insert_value("nav", page.nav.clone());
        self.tera
            .render(template, &context)
            .map_err(|e| tera_error(theme, &e, template))
    }

    pub fn render(
        &self,
        template: &str,
        context: &impl Serialize,
        theme: &Theme,
    ) -> Result<String, Diagnostic> {
        let context = Context::from_serialize(context)
            .map_err(|e| Diagnostic::error(theme.display_name(template), e.to_string()))?;
        self.tera
            .render(template, &context)
            .map_err(|e| tera_error(theme, &e, template))
    }
}

/// Tera's escaping (`&`, `<`, `>`, `"` and `'`), but writing the runs between
/// them whole: Tera's own writes a byte at a time, and escaping was a tenth
/// of the time templates took.
fn escape_html(input: &str, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let bytes = input.as_bytes();
    let mut done = 0;
    for (i, b) in bytes.iter().enumerate() {
        let entity: &[u8] = match b {
            b'&' => b"&amp;",
            b'<' => b"&lt;",
            b'>' => b"&gt;",
            b'"' => b"&quot;",
            b'\'' => b"&#39;",
            _ => continue,
        };
        out.write_all(&bytes[done..i])?;
        out.write_all(entity)?;
        done = i + 1;
    }
    out.write_all(&bytes[done..])
}

/// Tera stops at the first bad template; parsing each on its own finds them all.
fn template_errors(theme: &Theme, templates: &[(&str, String)], first: tera::Error) -> Diagnostics {
    let mut problems = Diagnostics::default();
    for (name, text) in templates {
        if let Err(e) = Tera::new().add_raw_template(name, text)
            && matches!(e.kind(), ErrorKind::SyntaxError(_))
        {
            problems.0.extend(tera_errors(theme, &e, name));
        }
    }
    if problems.is_empty() {
        problems.0.extend(tera_errors(theme, &first, ""));
    }
    problems
}

/// A Tera error as a diagnostic pointing into the template file.
fn tera_error(theme: &Theme, e: &tera::Error, fallback: &str) -> Diagnostic {
    let mut all = tera_errors(theme, e, fallback);
    all.truncate(1);
    all.pop()
        .unwrap_or_else(|| Diagnostic::error(theme.display_name(fallback), e.to_string()))
}

/// A Tera error as diagnostics pointing into the template files: one, or
/// one per problem Tera found when checking the templates together.
fn tera_errors(theme: &Theme, e: &tera::Error, fallback: &str) -> Vec<Diagnostic> {
    let whole = |name: &str| vec![Diagnostic::error(theme.display_name(name), e.to_string())];
    match e.kind() {
        ErrorKind::SyntaxError(report) | ErrorKind::RenderingError(report) => {
            let name = if report.filename().is_empty() {
                fallback
            } else {
                report.filename()
            };
            let span = report.span();
            let width = if span.end_line == span.start_line {
                span.end_col.saturating_sub(span.start_col)
            } else {
                1
            };
            let pos = Pos::new(span.start_line, span.start_col + 1);
            vec![located(theme, name, report.message(), pos, width)]
        }
        // Unknown filters, tests, functions, components or templates come
        // laid out already, `error: …` and `--> name:line:col` each.
        ErrorKind::Msg(text) if text.starts_with("error: ") => laid_out(theme, text),
        ErrorKind::MissingParent { current, .. } => whole(current),
        ErrorKind::CircularExtend { tpl, .. } | ErrorKind::CircularInclude { tpl, .. } => {
            whole(tpl)
        }
        _ => whole(fallback),
    }
}

/// `message` at `pos` of the template `name`, showing its line.
fn located(theme: &Theme, name: &str, message: &str, pos: Pos, width: usize) -> Diagnostic {
    let text = theme
        .templates()
        .find(|(n, _)| *n == name)
        .map(|(_, f)| String::from_utf8_lossy(&f.bytes).into_owned())
        .unwrap_or_default();
    Diagnostic::error(theme.display_name(name), message).at(&text, pos, width)
}

/// The diagnostics of Tera's laid-out reports.
fn laid_out(theme: &Theme, text: &str) -> Vec<Diagnostic> {
    let lines: Vec<&str> = text.lines().collect();
    let mut found = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some(message) = line.strip_prefix("error: ") else {
            continue;
        };
        let place = lines
            .get(i + 1)
            .and_then(|l| l.trim_start().strip_prefix("--> "))
            .and_then(|at| {
                let mut parts = at.rsplitn(3, ':');
                let col = parts.next()?.parse().ok()?;
                let line = parts.next()?.parse().ok()?;
                Some((parts.next()?, Pos::new(line, col)))
            });
        let width = lines.get(i + 4).map_or(1, |l| l.matches('^').count());
        found.push(match place {
            Some((name, pos)) => located(theme, name, message, pos, width),
            None => Diagnostic::error(theme.display_name(""), message),
        });
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toc_nests_h3_under_h2() {
        let h = |level, id: &str| Heading {
            level,
            id: id.into(),
            html: id.into(),
            text: id.into(),
        };
        let headings = [
            h(1, "t"),
            h(3, "orphan"),
            h(2, "a"),
            h(3, "a1"),
            h(4, "deep"),
            h(2, "b"),
        ];
        let shape: Vec<_> = toc(&headings)
            .iter()
            .map(|e| (e.id, e.children.iter().map(|c| c.id).collect::<Vec<_>>()))
            .collect();
        assert_eq!(
            shape,
            [("orphan", vec![]), ("a", vec!["a1"]), ("b", vec![])]
        );
    }

    #[test]
    fn a_branch_shared_with_its_page_marked_is_the_page_s_own_navigation() {
        use crate::content::{Source, pages};
        let files = [
            "index.md",
            "a.md",
            "b/index.md",
            "b/x.md",
            "b/y.md",
            "b/c/z.md",
            "d.md",
        ];
        let sources: Vec<Source> = files
            .iter()
            .map(|f| Source {
                rel: f.to_string(),
                text: format!("# {f}\n").into(),
                expanded: None,
            })
            .collect();
        let (pages, _) = pages(
            &sources,
            None,
            &crate::content::Reading {
                dir: std::path::Path::new("content"),
                urls: crate::config::Urls::Pretty,
                foreign_front_matter: false,
            },
        );
        let pages: Vec<_> = pages.iter().collect();
        let titles: Vec<String> = pages.iter().map(|p| p.url.clone()).collect();
        let nav = crate::nav::from_folders(&pages, &titles);
        let hrefs: Vec<String> = pages.iter().map(|p| format!("/{}", p.url)).collect();
        let links = NavLinks {
            nav: &nav,
            hrefs: &hrefs,
            numbers: false,
        };
        let renderer = Renderer::new(&Theme::default()).unwrap();
        for node in 0..nav.nodes.len() {
            let branch = nav.branch(node);
            let shared = renderer
                .branch_nav(&links.branch_items(branch, None), &Theme::default())
                .unwrap();
            let own = Value::from_serializable(&links.items(Some(node)));
            assert_eq!(
                shared.items(&nav.place_of(node)),
                own,
                "{}",
                nav.nodes[node].title
            );
        }
    }

    #[test]
    fn escaping_is_teras() {
        for text in ["", "plain", "a & b <c> \"d\" 'e'", "&&<<", "é<€>𝄞'", "end&"] {
            let (mut ours, mut teras) = (Vec::new(), Vec::new());
            escape_html(text, &mut ours).unwrap();
            tera::escape_html(text, &mut teras).unwrap();
            assert_eq!(ours, teras, "{text}");
        }
    }

    #[test]
    fn template_syntax_errors_point_into_the_site_file() {
        let mut theme = Theme::default();
        theme.override_with("templates/page.html".into(), b"{% extends \"base.html\" %}\n{% block content %}{{ page.title }\n{% endblock content %}".to_vec(), "theme/templates/page.html".into());
        let err = Renderer::new(&theme)
            .err()
            .expect("a syntax error")
            .to_string();
        assert!(err.contains("--> theme/templates/page.html:2:"), "{err}");
        assert!(
            err.contains("2 | {% block content %}{{ page.title }"),
            "{err}"
        );
    }
}
