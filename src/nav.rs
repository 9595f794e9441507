//! The navigation tree: from the folder tree (ordered by weight, then title),
//! or from an mdBook-style `SUMMARY.md`. Also the reading order for prev/next.
//! No I/O.

use std::path::Path;

use pulldown_cmark::{Event, HeadingLevel, Parser, Tag, TagEnd};

use crate::content::Page;
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
    /// mdBook's section label of a numbered chapter: `1.2.`.
    pub number: Option<String>,
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
    /// By page: its (first) node.
    node_of_page: Vec<Option<NodeId>>,
    /// By page: its position in `order`.
    place: Vec<Option<usize>>,
}

impl Nav {
    pub fn node_of(&self, page: usize) -> Option<NodeId> {
        self.node_of_page.get(page).copied().flatten()
    }

    /// The same navigation once `removed` (ascending page indexes, none of
    /// them in it) are taken out of the pages: each later page's index is
    /// less by the number removed before it. Cheaper than making it again
    /// from SUMMARY.md at every rebuild (see `site::unlisted`).
    pub fn without(mut self, removed: &[usize]) -> Nav {
        let index = |i: usize| i - removed.partition_point(|&r| r < i);
        for node in &mut self.nodes {
            node.page = node.page.map(index);
        }
        self.order.iter_mut().for_each(|p| *p = index(*p));
        let kept = |(i, _): &(usize, _)| removed.binary_search(i).is_err();
        self.node_of_page = self
            .node_of_page
            .into_iter()
            .enumerate()
            .filter(kept)
            .map(|(_, n)| n)
            .collect();
        self.place = self
            .place
            .into_iter()
            .enumerate()
            .filter(kept)
            .map(|(_, p)| p)
            .collect();
        self
    }

    /// The node and its ancestors, nearest first.
    pub fn ancestors(&self, node: NodeId) -> impl Iterator<Item = NodeId> + '_ {
        std::iter::successors(Some(node), |&n| self.nodes[n].parent)
    }

    /// The node whose children `node`'s navigation shows: `node` itself
    /// when it has children, else its parent (`None`: the top level only).
    /// Every page of a folder has the same branch open, so they share their
    /// navigation but for the item marked current.
    pub fn branch(&self, node: NodeId) -> Option<NodeId> {
        match self.nodes[node].children.is_empty() {
            true => self.nodes[node].parent,
            false => Some(node),
        }
    }

    /// Where `node` is among the items of its branch's navigation: its
    /// place among its siblings, then its parent's, up to the top level.
    pub fn place_of(&self, node: NodeId) -> Vec<usize> {
        self.ancestors(node)
            .map(|n| {
                let siblings = match self.nodes[n].parent {
                    Some(p) => &self.nodes[p].children,
                    None => &self.roots,
                };
                siblings.iter().position(|&s| s == n).unwrap_or(0)
            })
            .collect()
    }

    /// The pages listed under `node`: its children that are pages.
    pub fn child_pages(&self, node: NodeId) -> impl Iterator<Item = usize> + '_ {
        self.nodes[node]
            .children
            .iter()
            .filter_map(|&c| self.nodes[c].page)
    }

    /// The pages above `page`, from the top down: the home page first
    /// (unless it is `page`), then the pages of the nodes above `page`'s.
    pub fn above(&self, page: usize, home: Option<usize>) -> Vec<usize> {
        let mut pages: Vec<usize> = match self.node_of(page) {
            Some(node) => self
                .ancestors(node)
                .skip(1)
                .filter_map(|n| self.nodes[n].page)
                .collect(),
            None => Vec::new(),
        };
        if let Some(home) = home.filter(|&h| h != page && !pages.contains(&h)) {
            pages.push(home);
        }
        pages.reverse();
        pages
    }

    /// The pages before and after `page` in reading order.
    pub fn neighbours(&self, page: usize) -> (Option<usize>, Option<usize>) {
        match self.place.get(page).copied().flatten() {
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
            number: None,
            page,
            parent,
            children: Vec::new(),
        });
        match parent {
            Some(p) => self.nodes[p].children.push(id),
            None => self.roots.push(id),
        }
        if let Some(page) = page {
            let first = at(&mut self.node_of_page, page);
            first.get_or_insert(id);
        }
        id
    }

    /// Settles the reading order: depth first, each page once.
    fn finish(mut self) -> Self {
        let mut stack: Vec<NodeId> = self.roots.iter().rev().copied().collect();
        while let Some(n) = stack.pop() {
            if let Some(page) = self.nodes[n].page
                && at(&mut self.place, page).is_none()
            {
                self.place[page] = Some(self.order.len());
                self.order.push(page);
            }
            stack.extend(self.nodes[n].children.iter().rev());
        }
        self
    }
}

/// The entry for `page` of a by-page list, which grows to hold it.
fn at<T>(list: &mut Vec<Option<T>>, page: usize) -> &mut Option<T> {
    if list.len() <= page {
        list.resize_with(page + 1, || None);
    }
    &mut list[page]
}

/// The folder tree: the home page first, then its children; each folder's
/// pages by weight, then title.
pub fn from_folders(pages: &[&Page], titles: &[String]) -> Nav {
    let index: foldhash::HashMap<&str, usize> = pages
        .iter()
        .enumerate()
        .map(|(i, p)| (p.url.as_str(), i))
        .collect();
    let mut children: foldhash::HashMap<usize, Vec<usize>> = Default::default();
    for (i, page) in pages.iter().enumerate() {
        if let Some(parent) = parent_of(&page.url).and_then(|u| index.get(u)) {
            children.entry(*parent).or_default().push(i);
        }
    }
    let lower: Vec<String> = titles.iter().map(|t| t.to_lowercase()).collect();
    let key = |&i: &usize| {
        let w = pages[i].front.weight;
        (w.is_none(), w, &lower[i], &pages[i].url)
    };
    for list in children.values_mut() {
        list.sort_by(|a, b| key(a).cmp(&key(b)));
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

/// The URL of the folder above `url`: `a/b/` and `a/b.html` → `a/`, `a` → ``.
fn parent_of(url: &str) -> Option<&str> {
    if url.is_empty() {
        return None;
    }
    let trimmed = url.trim_end_matches('/');
    Some(
        trimmed
            .rsplit_once('/')
            .map_or("", |(p, _)| &url[..p.len() + 1]),
    )
}

/// How SUMMARY.md is read.
pub struct SummaryFile<'a> {
    pub text: &'a str,
    /// As named in diagnostics.
    pub file: &'a Path,
    /// A chapter whose file is missing is a warning and a draft (mdBook's
    /// `create-missing`: mdBook would create the file; envbook writes nothing
    /// outside its output), not an error.
    pub missing_is_draft: bool,
}

/// mdBook's SUMMARY.md: prefix chapters, `# Part` titles, nested lists of
/// `[Title](path.md)` (an empty path is a draft chapter) numbered `1.2.` as
/// mdBook does, `---` separators, suffix chapters. Links to files that are not
/// pages are reported.
pub fn from_summary(summary: &SummaryFile, pages: &[&Page]) -> (Nav, Diagnostics) {
    let index: foldhash::HashMap<&str, usize> = pages
        .iter()
        .enumerate()
        .filter(|(_, p)| p.is_source())
        .map(|(i, p)| (p.source.as_str(), i))
        .collect();
    let text = summary.text;
    let mut nav = Nav::default();
    let mut problems = Diagnostics::default();
    let mut parents: Vec<Option<NodeId>> = vec![None]; // one entry per open list
    let mut numbers: Vec<u32> = Vec::new(); // chapter counts: the top level's, then each open list's
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
                // The top level's count goes on across parts.
                if parents.len() > 1 || numbers.is_empty() {
                    numbers.push(0);
                }
                parents.push(if parents.len() == 1 { None } else { last });
            }
            Event::End(TagEnd::List(_)) => {
                parents.pop();
                if parents.len() > 1 {
                    numbers.pop();
                }
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
                    let found = index.get(source_of(&dest).as_str()).copied();
                    if found.is_none() {
                        problems.push(missing(summary, &dest, offset..range.end));
                    }
                    found
                };
                let parent = *parents.last().unwrap_or(&None);
                let node = nav.add(NodeKind::Chapter, title, page, parent);
                if parents.len() > 1 {
                    if let Some(n) = numbers.last_mut() {
                        *n += 1;
                    }
                    let label: String = numbers.iter().map(|n| format!("{n}.")).collect();
                    nav.nodes[node].number = Some(label);
                }
                last = Some(node);
            }
            _ => {}
        }
    }
    (nav.finish(), problems)
}

/// A SUMMARY.md link as a content-relative source path: `./a/b%20c.md#x` → `a/b c.md`.
fn source_of(dest: &str) -> String {
    let path = dest.split(['#', '?']).next().unwrap_or("");
    let path = percent_encoding::percent_decode_str(path).decode_utf8_lossy();
    path.trim_start_matches("./").to_string()
}

fn missing(summary: &SummaryFile, dest: &str, span: std::ops::Range<usize>) -> Diagnostic {
    let d = Diagnostic::error(
        summary.file,
        format!("SUMMARY.md links to `{dest}`, which is not a page"),
    )
    .at_span(summary.text, span.start, span.end);
    if summary.missing_is_draft {
        d.with_help("listed as a draft chapter; mdBook would create the file (`create-missing`), envbook does not write into the book")
            .warning()
    } else {
        d.with_help("create the file, fix the path, or write `[Title]()` for a draft chapter")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Urls;
    use crate::content::{Source, pages as load};

    fn summary(text: &str) -> SummaryFile<'_> {
        SummaryFile {
            text,
            file: Path::new("content/SUMMARY.md"),
            missing_is_draft: false,
        }
    }

    fn site(files: &[(&str, &str)]) -> (Vec<&'static Page>, Vec<String>) {
        let sources: Vec<Source> = files
            .iter()
            .map(|(r, t)| Source {
                rel: r.to_string(),
                text: t.to_string().into(),
                expanded: None,
            })
            .collect();
        let (pages, problems) = load(
            &sources,
            None,
            &crate::content::Reading {
                dir: Path::new("content"),
                urls: Urls::Pretty,
                foreign_front_matter: false,
            },
        );
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

    proptest::proptest! {
        /// Taking pages SUMMARY.md does not list out of a navigation gives
        /// the one made anew without them.
        #[test]
        fn a_navigation_without_unlisted_pages_is_the_one_made_without_them(
            listed in proptest::collection::vec(proptest::bool::ANY, 6),
            dropped in proptest::collection::vec(proptest::bool::ANY, 6),
        ) {
            let files = ["a.md", "b.md", "c/d.md", "c/e.md", "f.md", "g/h.md"];
            let (pages, _) = site(&files.map(|f| (f, "")));
            let mut text = String::from("# Summary\n\n");
            for (f, _) in files.iter().zip(&listed).filter(|(_, l)| **l) {
                text.push_str(&format!("- [{f}]({f})\n"));
            }
            let (nav, _) = from_summary(&summary(&text), &pages);
            let removed: Vec<usize> = (0..pages.len())
                .filter(|&i| nav.node_of(i).is_none())
                .filter(|&i| files.iter().position(|f| *f == pages[i].source).is_none_or(|k| dropped[k]))
                .collect();
            let kept: Vec<&Page> = (0..pages.len())
                .filter(|i| !removed.contains(i))
                .map(|i| pages[i])
                .collect();
            let (anew, _) = from_summary(&summary(&text), &kept);
            proptest::prop_assert_eq!(format!("{:?}", nav.without(&removed)), format!("{anew:?}"));
        }
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
        let text = "# Summary\n\n[Intro](intro.md)\n\n# User guide\n\n- [Setup](guide/setup.md)\n    - [Deep](./guide/deep.md)\n- [Later]()\n\n---\n\n[Appendix](appendix.md)\n";
        let (nav, problems) = from_summary(&summary(text), &pages);
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
    fn numbered_chapters_are_labelled_as_mdbook_does() {
        let (pages, _) = site(&[("a.md", ""), ("b.md", ""), ("c.md", ""), ("d.md", "")]);
        let text = "# Summary\n\n[Pre](a.md)\n\n- [A](a.md)\n  - [B](b.md)\n  - [Draft]()\n\n# Part\n\n- [C](c.md)\n\n---\n\n[D](d.md)\n";
        let (nav, problems) = from_summary(&summary(text), &pages);
        assert!(problems.is_empty(), "{problems}");
        let labels: Vec<_> = nav
            .nodes
            .iter()
            .filter(|n| n.kind == NodeKind::Chapter)
            .map(|n| format!("{}{}", n.number.as_deref().unwrap_or(""), n.title))
            .collect();
        assert_eq!(labels, ["Pre", "1.A", "1.1.B", "1.2.Draft", "2.C", "D"]);
    }

    #[test]
    fn summary_link_to_a_missing_file_is_reported() {
        let (pages, _) = site(&[("a.md", "")]);
        let (_, problems) =
            from_summary(&summary("# Summary\n\n- [A](a.md)\n- [B](b.md)\n"), &pages);
        assert_eq!(
            problems.to_string(),
            "error: SUMMARY.md links to `b.md`, which is not a page\n --> content/SUMMARY.md:4:3\n  |\n4 | - [B](b.md)\n  |   ^^^^^^^^^\n  = help: create the file, fix the path, or write `[Title]()` for a draft chapter\n"
        );
    }
}
