//! mdBook's hidden code lines: in a rust block, `# line` (and a lone `#`) is
//! hidden and `##` is a literal `#`; other languages hide the lines that
//! start with their `hidelines` prefix. The block is highlighted as shown,
//! then each hidden line is wrapped in `<span class="boring">`, as mdBook
//! marks them; the theme's script hides them behind a button.

/// How a block hides lines: mdBook's rust rule, or a prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule<'a> {
    Rust,
    Prefix(&'a str),
}

/// The code as shown (prefixes removed) and, per line, whether it is hidden.
pub fn apply(code: &str, rule: Rule) -> (String, Vec<bool>) {
    let mut shown = String::with_capacity(code.len());
    let mut hidden = Vec::new();
    for line in code.split_inclusive('\n') {
        let (content, ending) = split_ending(line);
        let (text, is_hidden) = match rule {
            Rule::Rust => rust_line(content),
            Rule::Prefix(prefix) => prefix_line(content, prefix),
        };
        shown.push_str(&text);
        shown.push_str(ending);
        hidden.push(is_hidden);
    }
    (shown, hidden)
}

/// A line and its ending (`\n`, `\r\n` or none), as `str::lines` splits them.
fn split_ending(line: &str) -> (&str, &str) {
    let content = line.strip_suffix('\n').unwrap_or(line);
    let content = content.strip_suffix('\r').unwrap_or(content);
    (content, &line[content.len()..])
}

/// mdBook's `^(\s*)#(.?)(.*)$`: `#` then nothing or a space hides the line
/// (the `#` and that space removed), `##` shows a `#`.
fn rust_line(line: &str) -> (String, bool) {
    let rest = line.trim_start();
    let indent = &line[..line.len() - rest.len()];
    match rest.strip_prefix('#') {
        Some(after) if after.starts_with('#') => (format!("{indent}{after}"), false),
        Some("") => (indent.to_string(), true),
        Some(after) if after.starts_with(' ') => (format!("{indent}{}", &after[1..]), true),
        _ => (line.to_string(), false),
    }
}

/// A line whose text starts with `prefix` is hidden, the prefix removed.
fn prefix_line(line: &str, prefix: &str) -> (String, bool) {
    let rest = line.trim_start();
    let indent = &line[..line.len() - rest.len()];
    match rest.strip_prefix(prefix) {
        Some(after) => (format!("{indent}{after}"), true),
        None => (line.to_string(), false),
    }
}

/// Wraps each hidden line of a block's HTML (highlighted or escaped text) in
/// `<span class="boring">`, newline included. A highlighting span that runs
/// over several lines is closed at each line's end and opened again on the
/// next, so every line's HTML stands alone.
pub fn mark(html: &str, hidden: &[bool]) -> String {
    let mut out = String::with_capacity(html.len() + 64);
    let mut open: Vec<&str> = Vec::new();
    let mut line = 0;
    let mut started = false;
    let mut rest = html;
    while !rest.is_empty() {
        if !started {
            if hidden.get(line) == Some(&true) {
                out.push_str("<span class=\"boring\">");
            }
            out.extend(open.iter().copied());
            started = true;
        }
        let next = rest.find(['<', '\n']).unwrap_or(rest.len());
        out.push_str(&rest[..next]);
        rest = &rest[next..];
        if rest.starts_with('<') {
            let end = rest.find('>').map_or(rest.len(), |e| e + 1);
            let tag = &rest[..end];
            if tag.starts_with("</") {
                open.pop();
            } else {
                open.push(tag);
            }
            out.push_str(tag);
            rest = &rest[end..];
        } else if rest.starts_with('\n') {
            close_line(&mut out, &open, hidden.get(line) == Some(&true), "\n");
            rest = &rest[1..];
            line += 1;
            started = false;
        }
    }
    if started {
        close_line(&mut out, &open, hidden.get(line) == Some(&true), "");
    }
    out
}

fn close_line(out: &mut String, open: &[&str], hidden: bool, newline: &str) {
    for tag in open.iter().rev() {
        let name = tag[1..].split(['>', ' ']).next().unwrap_or_default();
        out.push_str("</");
        out.push_str(name);
        out.push('>');
    }
    out.push_str(newline);
    if hidden {
        out.push_str("</span>");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rust_lines_follow_mdbook() {
        let code = "# use std::io;\n#\nfn main() {\n    # let x = 1;\n    ## not hidden\n#[derive(Debug)]\n#!x\n#\tx\n}\n";
        let (shown, hidden) = apply(code, Rule::Rust);
        assert_eq!(
            shown,
            "use std::io;\n\nfn main() {\n    let x = 1;\n    # not hidden\n#[derive(Debug)]\n#!x\n#\tx\n}\n"
        );
        assert_eq!(
            hidden,
            [true, true, false, true, false, false, false, false, false]
        );
        assert_eq!(
            apply("#\r\nx", Rule::Rust),
            ("\r\nx".into(), vec![true, false])
        );
    }

    #[test]
    fn other_languages_use_their_prefix() {
        let (shown, hidden) = apply("~import os\n  ~x = 1\nprint(x) ~\n", Rule::Prefix("~"));
        assert_eq!(shown, "import os\n  x = 1\nprint(x) ~\n");
        assert_eq!(hidden, [true, true, false]);
    }

    #[test]
    fn hidden_lines_are_wrapped_and_spans_reopened() {
        let html = "<a-k>fn</a-k> a\n<a-c>/* x\ny */</a-c>\nz\n";
        assert_eq!(
            mark(html, &[false, true, false, true]),
            "<a-k>fn</a-k> a\n<span class=\"boring\"><a-c>/* x</a-c>\n</span><a-c>y */</a-c>\n<span class=\"boring\">z\n</span>"
        );
        assert_eq!(
            mark("a\nb", &[false, true]),
            "a\n<span class=\"boring\">b</span>"
        );
    }
}
