//! One build, in memory: pages → markdown → navigation → templates, plus the
//! extra files (404, sitemap, theme static files). Writing is `output`'s job.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::content::{self, Kind, Page};
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::markdown::{self, Highlighter, LinkContext, Rendered};
use crate::nav::{self, Nav};
use crate::project::Project;
use crate::render::{
    self, ChildView, LinkView, NavLinks, PageContext, PageView, Renderer, SiteView, SitemapContext,
    SitemapEntry,
};

/// The built site: output files by path relative to the output folder.
#[derive(Debug, Default)]
pub struct Site {
    pub files: BTreeMap<String, Vec<u8>>,
    /// Files copied as they are (content assets): output path → source.
    pub copies: BTreeMap<String, PathBuf>,
    pub pages: usize,
    /// Problems that did not stop the build.
    pub warnings: Diagnostics,
}

/// A page with its markdown rendered and its title settled.
struct Doc {
    page: Page,
    rendered: Rendered,
    title: String,
    href: String,
}

/// Builds `project`. Every problem found is reported; any error means no site.
pub fn build(project: &Project, highlighter: &Highlighter) -> Result<Site, Diagnostics> {
    let config = &project.config;
    let content_dir = project.display(&config.build.content);
    let (pages, mut problems) = content::pages(project.sources.clone(), &content_dir);
    let base = config.base_path();
    let docs = render_markdown(pages, &base, &project.config.book.title, highlighter);
    for doc in &docs {
        problems.0.extend(doc.rendered.diagnostics.iter().cloned());
    }
    let (nav, nav_problems) = navigation(project, &docs, &content_dir);
    problems.extend(nav_problems);
    let renderer = Renderer::new(&project.theme);
    let renderer = match renderer {
        Ok(r) if !problems.has_errors() => r,
        Ok(_) => return Err(problems.sorted()),
        Err(template_problems) => {
            problems.extend(template_problems);
            return Err(problems.sorted());
        }
    };
    let site_view = SiteView {
        title: config.book.title.clone(),
        description: config.book.description.clone(),
        language: config.book.language.clone(),
        base_url: base.clone(),
        url: config.base_url(),
    };
    let views = Views {
        project,
        hrefs: docs.iter().map(|d| d.href.clone()).collect(),
        titles: docs.iter().map(|d| d.title.clone()).collect(),
        home: docs.iter().position(|d| d.page.url.is_empty()),
        docs: &docs,
        nav: &nav,
        site: &site_view,
        renderer: &renderer,
        static_url: format!("{base}static/"),
    };
    let mut site = Site {
        pages: docs.len(),
        ..Site::default()
    };
    let rendered: Vec<Result<(String, String), Diagnostic>> = (0..docs.len())
        .into_par_iter()
        .map(|i| Ok((output_path(&docs[i].page.url), views.page(i)?)))
        .collect();
    for result in rendered {
        match result {
            Ok((path, html)) => {
                site.files.insert(path, html.into_bytes());
            }
            Err(d) => problems.push(d),
        }
    }
    match views.extras() {
        Ok(files) => site.files.extend(files),
        Err(d) => problems.push(d),
    }
    add_assets(project, &mut site, &mut problems);
    if problems.has_errors() {
        return Err(problems.sorted());
    }
    site.warnings = problems.sorted();
    Ok(site)
}

fn render_markdown(
    pages: Vec<Page>,
    base: &str,
    site_title: &str,
    highlighter: &Highlighter,
) -> Vec<Doc> {
    let urls: HashMap<String, String> = pages
        .iter()
        .filter(|p| p.kind != Kind::GeneratedSection)
        .map(|p| (p.source.clone(), p.url.clone()))
        .collect();
    pages
        .into_par_iter()
        .map(|page| {
            let rendered = markdown::render(&markdown::Input {
                file: &page.file,
                text: &page.text,
                body_start: page.body_start,
                links: LinkContext {
                    base,
                    page_dir: page.dir(),
                    pages: &urls,
                },
                highlighter,
            });
            let title = page
                .front
                .title
                .clone()
                .or_else(|| rendered.title.clone())
                .unwrap_or_else(|| {
                    if page.url.is_empty() {
                        site_title.to_string()
                    } else {
                        page.fallback_title()
                    }
                });
            let href = format!("{base}{}", page.url);
            Doc {
                page,
                rendered,
                title,
                href,
            }
        })
        .collect()
}

fn navigation(project: &Project, docs: &[Doc], content_dir: &Path) -> (Nav, Diagnostics) {
    let titles: Vec<String> = docs.iter().map(|d| d.title.clone()).collect();
    let page_list: Vec<&Page> = docs.iter().map(|d| &d.page).collect();
    match project.sources.iter().find(|s| s.rel == content::SUMMARY) {
        Some(summary) => nav::from_summary(
            &summary.text,
            &content_dir.join(content::SUMMARY),
            &page_list,
        ),
        None => (
            nav::from_folders(&page_list, &titles),
            Diagnostics::default(),
        ),
    }
}

/// `runbooks/db-failover/` → `runbooks/db-failover/index.html`.
fn output_path(url: &str) -> String {
    format!("{url}index.html")
}

/// What every page render shares.
struct Views<'a> {
    project: &'a Project,
    /// Each page's href and title, by page index.
    hrefs: Vec<String>,
    titles: Vec<String>,
    home: Option<usize>,
    docs: &'a [Doc],
    nav: &'a Nav,
    site: &'a SiteView,
    renderer: &'a Renderer,
    static_url: String,
}

impl Views<'_> {
    fn nav_links(&self) -> NavLinks<'_> {
        NavLinks {
            nav: self.nav,
            hrefs: &self.hrefs,
        }
    }

    fn page(&self, i: usize) -> Result<String, Diagnostic> {
        let doc = &self.docs[i];
        let links = self.nav_links();
        let node = self.nav.node_of(i);
        let (prev, next) = self.nav.neighbours(i);
        let link = |p: usize| LinkView {
            title: self.docs[p].title.clone(),
            url: self.docs[p].href.clone(),
        };
        let show_toc = doc.page.front.toc.unwrap_or(true);
        let context = PageContext {
            site: self.site,
            static_url: &self.static_url,
            page: PageView {
                title: doc.title.clone(),
                description: doc.page.front.description.clone().unwrap_or_default(),
                url: doc.href.clone(),
                content: doc.rendered.html.clone(),
                show_title: doc.rendered.title.is_none(),
                toc: if show_toc {
                    render::toc(&doc.rendered.headings)
                } else {
                    Vec::new()
                },
                children: self.children(node),
                is_home: doc.page.url.is_empty(),
                source: if doc.page.kind == Kind::GeneratedSection {
                    String::new()
                } else {
                    doc.page.source.clone()
                },
                extra: doc.page.front.extra.clone(),
            },
            nav: links.items(node),
            breadcrumbs: links.breadcrumbs(i, self.home, &self.titles),
            prev: prev.map(link),
            next: next.map(link),
        };
        self.renderer
            .render("page.html", &context, &self.project.theme)
    }

    fn children(&self, node: Option<usize>) -> Vec<ChildView> {
        let Some(node) = node else { return Vec::new() };
        self.nav.nodes[node]
            .children
            .iter()
            .filter_map(|&c| self.nav.nodes[c].page)
            .map(|p| ChildView {
                title: self.docs[p].title.clone(),
                url: self.docs[p].href.clone(),
                description: self.docs[p]
                    .page
                    .front
                    .description
                    .clone()
                    .unwrap_or_default(),
            })
            .collect()
    }

    /// 404.html, sitemap.xml, the theme's static files and the highlighting stylesheet.
    fn extras(&self) -> Result<BTreeMap<String, Vec<u8>>, Diagnostic> {
        let theme = &self.project.theme;
        let mut files = BTreeMap::new();
        let not_found = PageContext {
            site: self.site,
            static_url: &self.static_url,
            page: PageView {
                title: "Page not found".into(),
                description: String::new(),
                url: format!("{}404.html", self.site.base_url),
                content: String::new(),
                show_title: true,
                toc: Vec::new(),
                children: Vec::new(),
                is_home: false,
                source: String::new(),
                extra: Default::default(),
            },
            nav: self.nav_links().items(None),
            breadcrumbs: Vec::new(),
            prev: None,
            next: None,
        };
        files.insert(
            "404.html".into(),
            self.renderer
                .render("404.html", &not_found, theme)?
                .into_bytes(),
        );
        let sitemap = SitemapContext {
            site: self.site,
            pages: self
                .docs
                .iter()
                .map(|d| SitemapEntry {
                    url: format!("{}{}", self.site.url, d.page.url),
                })
                .collect(),
        };
        files.insert(
            "sitemap.xml".into(),
            self.renderer
                .render("sitemap.xml", &sitemap, theme)?
                .into_bytes(),
        );
        files.insert(
            "static/highlight.css".into(),
            Highlighter::stylesheet().into_bytes(),
        );
        for (name, file) in theme.statics() {
            files.insert(format!("static/{name}"), file.bytes.clone());
        }
        Ok(files)
    }
}

/// Content files that are not markdown are copied beside the pages.
fn add_assets(project: &Project, site: &mut Site, problems: &mut Diagnostics) {
    for asset in &project.assets {
        if site.files.contains_key(&asset.rel) {
            problems.push(Diagnostic::error(
                project
                    .display(&project.config.build.content)
                    .join(&asset.rel),
                format!("this file would overwrite the generated `{}`", asset.rel),
            ));
            continue;
        }
        site.copies.insert(asset.rel.clone(), asset.path.clone());
    }
}
