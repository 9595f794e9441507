//! The theme: templates and static files embedded in the binary, each
//! replaceable by a file of the same name in the site's own `theme/` folder.

use std::collections::BTreeMap;
use std::path::PathBuf;

use include_dir::{Dir, include_dir};

static DEFAULT: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/theme");

/// Where a theme file came from, for diagnostics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    BuiltIn,
    /// The site's file, as named in diagnostics.
    Site(PathBuf),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThemeFile {
    pub bytes: Vec<u8>,
    pub origin: Origin,
}

/// Theme files by path relative to the theme folder (`templates/page.html`,
/// `static/envbook.css`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Theme {
    pub files: BTreeMap<String, ThemeFile>,
}

impl Default for Theme {
    /// The built-in theme alone.
    fn default() -> Self {
        let mut files = BTreeMap::new();
        let mut dirs = vec![&DEFAULT];
        while let Some(dir) = dirs.pop() {
            dirs.extend(dir.dirs());
            for file in dir.files() {
                let name = file.path().to_string_lossy().replace('\\', "/");
                let theme_file = ThemeFile {
                    bytes: file.contents().to_vec(),
                    origin: Origin::BuiltIn,
                };
                files.insert(name, theme_file);
            }
        }
        Theme { files }
    }
}

pub const TEMPLATES: &str = "templates/";
pub const STATIC: &str = "static/";

impl Theme {
    /// Replaces (or adds) a file with the site's own.
    pub fn override_with(&mut self, name: String, bytes: Vec<u8>, file: PathBuf) {
        self.files.insert(
            name,
            ThemeFile {
                bytes,
                origin: Origin::Site(file),
            },
        );
    }

    /// Templates by name (`page.html`).
    pub fn templates(&self) -> impl Iterator<Item = (&str, &ThemeFile)> {
        self.files
            .iter()
            .filter_map(|(name, f)| Some((name.strip_prefix(TEMPLATES)?, f)))
    }

    /// Static files by path under `static/`.
    pub fn statics(&self) -> impl Iterator<Item = (&str, &ThemeFile)> {
        self.files
            .iter()
            .filter_map(|(name, f)| Some((name.strip_prefix(STATIC)?, f)))
    }

    /// How a template is named in diagnostics.
    pub fn display_name(&self, template: &str) -> PathBuf {
        match self
            .files
            .get(&format!("{TEMPLATES}{template}"))
            .map(|f| &f.origin)
        {
            Some(Origin::Site(file)) => file.clone(),
            _ => PathBuf::from(format!("(built-in theme)/{TEMPLATES}{template}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_theme_has_the_templates_and_static_files() {
        let theme = Theme::default();
        let templates: Vec<_> = theme.templates().map(|(n, _)| n).collect();
        for name in ["base.html", "page.html", "404.html", "sitemap.xml"] {
            assert!(
                templates.contains(&name),
                "{name} missing from {templates:?}"
            );
        }
        assert!(theme.statics().any(|(n, _)| n == "envbook.css"));
    }

    #[test]
    fn site_files_override_by_name() {
        let mut theme = Theme::default();
        theme.override_with(
            "templates/page.html".into(),
            b"mine".to_vec(),
            "theme/templates/page.html".into(),
        );
        let page = theme
            .templates()
            .find(|(n, _)| *n == "page.html")
            .unwrap()
            .1;
        assert_eq!(page.bytes, b"mine");
        assert_eq!(
            theme.display_name("page.html"),
            PathBuf::from("theme/templates/page.html")
        );
        assert_eq!(
            theme.display_name("base.html"),
            PathBuf::from("(built-in theme)/templates/base.html")
        );
    }
}
