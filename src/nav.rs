//! The navigation tree: from the folder tree (ordered by weight, then title),
//! or from an mdBook-style `SUMMARY.md`. Also the reading order for prev/next.
//! No I/O.

use std::collections::HashMap;
use std::path::Path;

use pulldown_cmark::{Event, HeadingLevel, Parser, Tag, TagEnd};

use crate::content::{Page, url_of};
use crate::diagnostic::{Diagnostic, Diagnostics};

pub type NodeId = usize;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    /// A page, or a draft chapter (`[Title]()`) when it has none.
    Chapter,
    /// A part title (`# Part` in SUMMARY.md).
    Part,
    /// `---` in SUMMARY.md.
    Separator,
}

#[derive(Debug, Clone)]
pub struct Node {
    pub kind: NodeKind,
    pub title: String,
    /// Index into the site's pages.
    pub page: Option<usize>,
    pub parent: Option<NodeId>,
    pub children: Vec<NodeId>,
}

#[derive(Debug, Default)]
pub struct Nav {
    pub nodes: Vec<Node>,
    /// The top level, in order.
    pub roots: Vec<NodeId>,
    /// Pages in reading order (prev/next).
    pub order: Vec<usize>,
    node_of_page: HashMap<usize, NodeId>,
    /// Position of each page in `order`.
    place: HashMap<usize, usize>,
}

impl Nav {
    pub fn node_of(&self, page: usize) -> Option<NodeId> {
        self.node_of_page.get(&page).copied()
    }

    /// The node and its ancestors, nearest first.
    pub fn ancestors(&self, node: NodeId) -> impl Iterator<Item = NodeId> + '_ {
        std::iter::successors(Some(node), |&n| self.nodes[n].parent)
    }

    /// The pages before and after `page` in reading order.
    pub fn neighbours(&self, page: usize) -> (Option<usize>, Option<usize>) {
        match self.place.get(&page).copied() {
            Some(i) => (
                i.checked_sub(1).map(|j| self.order[j]),
                self.order.get(i + 1).copied(),
            ),
            None => (None, None),
        }
    }

    fn add(
        &mut self,
        kind: NodeKind,
        title: String,
        page: Option<usize>,
        parent: Option<NodeId>,
    ) -> NodeId {
        let id = self.nodes.len();
        self.nodes.push(Node {
            kind,
            title,
            page,
            parent,
            children: Vec::new(),
        });
        match parent {
            Some(p) => self.nodes[p].children.push(id),
            None => self.roots.push(id),
        }
        if let Some(page) = page {
            self.node_of_page.entry(page).or_insert(id);
        }
        id
    }

    /// Settles the reading order: depth first, each page once.
    fn finish(mut self) -> Self {
        let mut stack: Vec<NodeId> = self.roots.iter().rev().copied().collect();
        while let Some(n) = stack.pop() {
            if let Some(page) = self.nodes[n].page
                && !self.place.contains_key(&page)
            {
                self.place.insert(page, self.order.len());
                self.order.push(page);
            }
            stack.extend(self.nodes[n].children.iter().rev());
        }
        self
    }
}

/// The folder tree: the home page first, then its children; each folder's
/// pages by weight, then title.
pub fn from_folders(pages: &[&Page], titles: &[String]) -> Nav {
    let index: HashMap<&str, usize> = pages
        .iter()
        .enumerate()
        .map(|(i, p)| (p.url.as_str(), i))
        .collect();
    let mut children: HashMap<usize, Vec<usize>> = HashMap::new();
    for (i, page) in pages.iter().enumerate() {
        if let Some(parent) = parent_url(&page.url).and_then(|u| index.get(u.as_str())) {
            children.entry(*parent).or_default().push(i);
        }
    }
    let key = |&i: &usize| {
        let w = pages[i].front.weight;
        (
            w.is_none(),
            w,
            titles[i].to_lowercase(),
            pages[i].url.clone(),
        )
    };
    for list in children.values_mut() {
        list.sort_by_cached_key(key);
    }
    let mut nav = Nav::default();
    let Some(&home) = index.get("") else {
        return nav;
    };
    nav.add(NodeKind::Chapter, titles[home].clone(), Some(home), None);
    let mut stack: Vec<(usize, Option<NodeId>)> = children
        .get(&home)
        .into_iter()
        .flatten()
        .rev()
        .map(|&c| (c, None))
        .collect();
    while let Some((page, parent)) = stack.pop() {
        let node = nav.add(NodeKind::Chapter, titles[page].clone(), Some(page), parent);
        let kids = children.get(&page).into_iter().flatten().rev();
        stack.extend(kids.map(|&c| (c, Some(node))));
    }
    nav.finish()
}

fn parent_url(url: &str) -> Option<String> {
    if url.is_empty() {
        return None;
    }
    let trimmed = url.trim_end_matches('/');
    Some(
        trimmed
            .rsplit_once('/')
            .map_or(String::new(), |(p, _)| format!("{p}/")),
    )
}

/// mdBook's SUMMARY.md: prefix chapters, `# Part` titles, nested lists of
/// `[Title](path.md)` (an empty path is a draft chapter), `---` separators,
/// suffix chapters. Links to files that are not pages are reported.
pub fn from_summary(text: &str, file: &Path, pages: &[&Page]) -> (Nav, Diagnostics) {
    let index: HashMap<String, usize> = pages
        .iter()
        .enumerate()
        .map(|(i, p)| (p.url.clone(), i))
        .collect();
    let mut nav = Nav::default();
    let mut problems = Diagnostics::default();
    let mut parents: Vec<Option<NodeId>> = vec![None]; // one entry per open list
    let mut last: Option<NodeId> = None; // the chapter just added, parent of a nested list
    let mut link: Option<(String, String, usize)> = None; // dest, title, offset
    let mut seen_content = false;
    let mut heading: Option<String> = None;
    for (event, range) in Parser::new(text).into_offset_iter() {
        match event {
            Event::Start(Tag::Heading {
                level: HeadingLevel::H1,
                ..
            }) => heading = Some(String::new()),
            Event::End(TagEnd::Heading(HeadingLevel::H1)) => {
                let title = heading.take().unwrap_or_default();
                // The first `# Summary` heading is the file's own title.
                if seen_content {
                    nav.add(NodeKind::Part, title, None, None);
                }
                seen_content = true;
            }
            Event::Rule => {
                nav.add(NodeKind::Separator, String::new(), None, None);
                seen_content = true;
            }
            Event::Start(Tag::List(_)) => {
                parents.push(if parents.len() == 1 { None } else { last })
            }
            Event::End(TagEnd::List(_)) => {
                parents.pop();
            }
            Event::Start(Tag::Link { dest_url, .. }) => {
                link = Some((dest_url.to_string(), String::new(), range.start))
            }
            Event::Text(t) | Event::Code(t) => {
                if let Some((_, title, _)) = link.as_mut() {
                    title.push_str(&t);
                } else if let Some(h) = heading.as_mut() {
                    h.push_str(&t);
                }
            }
            Event::End(TagEnd::Link) => {
                let Some((dest, title, offset)) = link.take() else {
                    continue;
                };
                seen_content = true;
                let page = if dest.is_empty() {
                    None
                } else {
                    let url = url_of(dest.trim_start_matches("./"));
                    let found = index.get(&url).copied();
                    if found.is_none() {
                        problems.push(
                            Diagnostic::error(file, format!("SUMMARY.md links to `{dest}`, which is not a page"))
                                .at_span(text, offset, range.end)
                                .with_help("create the file, fix the path, or write `[Title]()` for a draft chapter"),
                        );
                    }
                    found
                };
                let parent = *parents.last().unwrap_or(&None);
                last = Some(nav.add(NodeKind::Chapter, title, page, parent));
            }
            _ => {}
        }
    }
    (nav.finish(), problems)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::{Source, pages as load};

    fn site(files: &[(&str, &str)]) -> (Vec<&'static Page>, Vec<String>) {
        let sources: Vec<Source> = files
            .iter()
            .map(|(r, t)| Source {
                rel: r.to_string(),
                text: t.to_string().into(),
                expanded: None,
            })
            .collect();
        let (pages, problems) = load(&sources, None, Path::new("content"));
        assert!(problems.is_empty(), "{problems}");
        let pages: Vec<&'static Page> = pages
            .into_iter()
            .map(|p| &*Box::leak(Box::new(p)))
            .collect();
        let titles = pages
            .iter()
            .map(|p| p.front.title.clone().unwrap_or_else(|| p.fallback_title()))
            .collect();
        (pages, titles)
    }

    fn outline(nav: &Nav) -> Vec<String> {
        fn walk(nav: &Nav, ids: &[NodeId], depth: usize, out: &mut Vec<String>) {
            for &id in ids {
                let n = &nav.nodes[id];
                let mark = match n.kind {
                    NodeKind::Part => "# ",
                    NodeKind::Separator => "---",
                    NodeKind::Chapter if n.page.is_none() => "(draft) ",
                    NodeKind::Chapter => "",
                };
                out.push(format!("{}{mark}{}", "  ".repeat(depth), n.title));
                walk(nav, &n.children, depth + 1, out);
            }
        }
        let mut out = Vec::new();
        walk(nav, &nav.roots, 0, &mut out);
        out
    }

    #[test]
    fn folder_tree_by_weight_then_title() {
        let (pages, titles) = site(&[
            ("index.md", "---\ntitle: Home\n---\n"),
            ("zeta.md", "---\ntitle: Zeta\nweight: 1\n---\n"),
            ("alpha.md", "---\ntitle: Alpha\n---\n"),
            (
                "runbooks/index.md",
                "---\ntitle: Runbooks\nweight: 2\n---\n",
            ),
            ("runbooks/b.md", "---\ntitle: B\n---\n"),
            ("runbooks/a.md", "---\ntitle: A\nweight: 5\n---\n"),
        ]);
        let nav = from_folders(&pages, &titles);
        assert_eq!(
            outline(&nav),
            ["Home", "Zeta", "Runbooks", "  A", "  B", "Alpha"]
        );
        let order: Vec<_> = nav.order.iter().map(|&i| titles[i].as_str()).collect();
        assert_eq!(order, ["Home", "Zeta", "Runbooks", "A", "B", "Alpha"]);
    }

    #[test]
    fn summary_overrides_the_folder_tree() {
        let (pages, titles) = site(&[
            ("README.md", ""),
            ("intro.md", ""),
            ("guide/setup.md", ""),
            ("guide/deep.md", ""),
            ("appendix.md", ""),
        ]);
        let summary = "# Summary\n\n[Intro](intro.md)\n\n# User guide\n\n- [Setup](guide/setup.md)\n    - [Deep](./guide/deep.md)\n- [Later]()\n\n---\n\n[Appendix](appendix.md)\n";
        let (nav, problems) = from_summary(summary, Path::new("content/SUMMARY.md"), &pages);
        assert!(problems.is_empty(), "{problems}");
        assert_eq!(
            outline(&nav),
            [
                "Intro",
                "# User guide",
                "Setup",
                "  Deep",
                "(draft) Later",
                "---",
                "Appendix"
            ]
        );
        let order: Vec<_> = nav
            .order
            .iter()
            .map(|&i| pages[i].source.as_str())
            .collect();
        assert_eq!(
            order,
            ["intro.md", "guide/setup.md", "guide/deep.md", "appendix.md"]
        );
        let _ = titles;
    }

    #[test]
    fn summary_link_to_a_missing_file_is_reported() {
        let (pages, _) = site(&[("a.md", "")]);
        let (_, problems) = from_summary(
            "# Summary\n\n- [A](a.md)\n- [B](b.md)\n",
            Path::new("content/SUMMARY.md"),
            &pages,
        );
        assert_eq!(
            problems.to_string(),
            "error: SUMMARY.md links to `b.md`, which is not a page\n --> content/SUMMARY.md:4:3\n  |\n4 | - [B](b.md)\n  |   ^^^^^^^^^\n  = help: create the file, fix the path, or write `[Title]()` for a draft chapter\n"
        );
    }
}
