//! Inline markdown that comes from data (labels, notes, `{ markdown: … }`
//! cells): rendered without block structure, raw HTML escaped as text, and
//! links that would run script dropped to their text.

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

pub fn inline(text: &str) -> String {
    let mut in_unsafe_link = 0usize;
    let events =
        Parser::new_ext(text, Options::ENABLE_STRIKETHROUGH).filter_map(|event| match event {
            Event::Html(html) | Event::InlineHtml(html) => Some(Event::Text(html)),
            Event::Start(Tag::Link { ref dest_url, .. })
            | Event::Start(Tag::Image { ref dest_url, .. })
                if !is_safe_url(dest_url) =>
            {
                in_unsafe_link += 1;
                None
            }
            Event::End(TagEnd::Link | TagEnd::Image) if in_unsafe_link > 0 => {
                in_unsafe_link -= 1;
                None
            }
            Event::Start(tag) if !is_inline(&tag) => None,
            Event::End(tag) if !is_inline_end(&tag) => None,
            other => Some(other),
        });
    let mut html = String::with_capacity(text.len() + 16);
    pulldown_cmark::html::push_html(&mut html, events);
    html.trim_end().to_string()
}

/// Inline markdown as plain text (for search): its words, without markup.
pub fn inline_text(text: &str) -> String {
    let events: Vec<Event> = Parser::new_ext(text, Options::ENABLE_STRIKETHROUGH).collect();
    super::plain_text(events.iter()).trim().to_string()
}

fn is_inline(tag: &Tag) -> bool {
    matches!(
        tag,
        Tag::Emphasis | Tag::Strong | Tag::Strikethrough | Tag::Link { .. } | Tag::Image { .. }
    )
}

fn is_inline_end(tag: &TagEnd) -> bool {
    matches!(
        tag,
        TagEnd::Emphasis | TagEnd::Strong | TagEnd::Strikethrough | TagEnd::Link | TagEnd::Image
    )
}

/// No `javascript:`, `vbscript:` or `data:` URLs (browsers ignore case,
/// spaces and control characters in the scheme).
fn is_safe_url(url: &str) -> bool {
    let scheme: String = url
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .take_while(|&c| c != ':')
        .collect::<String>()
        .to_ascii_lowercase();
    !url.contains(':') || !matches!(scheme.as_str(), "javascript" | "vbscript" | "data")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_inline_markdown_without_a_paragraph() {
        assert_eq!(
            inline("Backend `GIN_MODE`"),
            "Backend <code>GIN_MODE</code>"
        );
        assert_eq!(
            inline("*a* and [b](https://x.example/)"),
            "<em>a</em> and <a href=\"https://x.example/\">b</a>"
        );
    }

    #[test]
    fn raw_html_is_escaped() {
        assert_eq!(
            inline("<script>alert(1)</script>"),
            "&lt;script&gt;alert(1)&lt;/script&gt;"
        );
        assert_eq!(
            inline("a <b onclick=x>b</b>"),
            "a &lt;b onclick=x&gt;b&lt;/b&gt;"
        );
    }

    #[test]
    fn script_links_lose_their_link() {
        assert_eq!(inline("[click](javascript:alert(1))"), "click");
        assert_eq!(inline("[x](JaVaScRiPt:alert(1))"), "x");
        assert_eq!(inline("[x](<java\tscript:alert(1)>)"), "x");
        assert_eq!(inline("![i](data:text/html,x)"), "i");
        assert_eq!(inline("<javascript:alert(1)>"), "javascript:alert(1)");
    }

    #[test]
    fn block_syntax_stays_inline() {
        assert_eq!(inline("# not a heading"), "not a heading");
        assert_eq!(inline("- item"), "item");
    }
}
