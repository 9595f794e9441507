//! The configuration files the data file reads values `from`, read from
//! disk: any file inside the repository that holds the site (as for
//! includes), never one outside it, each parsed once per read of the data.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::diagnostic::{closest, display_path};
use crate::sources::formats::{self, Format};
use crate::sources::{Files, SourceFile, Unread};

use super::{read_file, real_file, repository, utf8};

pub(super) struct ConfigFiles<'a> {
    root: &'a Path,
    /// `[data] source-url`.
    link: &'a str,
    /// The repository, as a real path.
    repo: Option<PathBuf>,
    read: RefCell<HashMap<String, Result<Arc<SourceFile>, Unread>>>,
    /// Every file asked for, as a real path (a missing one too: `serve`
    /// watches for it to appear).
    pub(super) asked: RefCell<BTreeSet<PathBuf>>,
}

impl<'a> ConfigFiles<'a> {
    pub(super) fn new(root: &'a Path, link: &'a str) -> ConfigFiles<'a> {
        ConfigFiles {
            root,
            link,
            repo: repository(root),
            read: RefCell::default(),
            asked: RefCell::default(),
        }
    }

    fn load(&self, written: &str) -> Result<Arc<SourceFile>, Unread> {
        let path = self.root.join(written);
        let shown = display_path(self.root, Path::new(written));
        self.asked.borrow_mut().insert(real_file(&path));
        let real = fs::canonicalize(&path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => Unread::Missing {
                closest: closest_sibling(written, &path),
            },
            _ => Unread::Refused(e.to_string()),
        })?;
        let repo = self.repo.as_deref().unwrap_or(Path::new("/"));
        let Ok(in_repo) = real.strip_prefix(repo) else {
            return Err(Unread::Refused(format!(
                "it is outside the repository that holds the site ({})",
                repo.display()
            )));
        };
        let Some(format) = Format::of(&real) else {
            return Err(Unread::Refused(
                "envbook reads .yaml, .yml, .json, .toml, .tfvars, .hcl and .env files".into(),
            ));
        };
        let bytes = read_file(&real).map_err(|e| Unread::Refused(e.to_string()))?;
        let text = utf8(bytes, &shown).map_err(|d| Unread::Invalid(d.into()))?;
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
        let documents = formats::parse(format, text, &shown).map_err(Unread::Invalid)?;
        let in_repo = in_repo.to_string_lossy().replace('\\', "/");
        Ok(Arc::new(SourceFile {
            shown,
            link: (!self.link.is_empty()).then(|| self.link.replace("{path}", &in_repo)),
            text: text.into(),
            documents,
        }))
    }
}

impl Files for ConfigFiles<'_> {
    fn read(&self, written: &str) -> Result<Arc<SourceFile>, Unread> {
        if let Some(read) = self.read.borrow().get(written) {
            return read.clone();
        }
        let read = self.load(written);
        self.read
            .borrow_mut()
            .insert(written.to_string(), read.clone());
        read
    }
}

/// The path as written with its file name replaced by the closest name in
/// its folder, if one is close.
fn closest_sibling(written: &str, path: &Path) -> Option<String> {
    let name = path.file_name()?.to_str()?;
    let names: Vec<String> = fs::read_dir(path.parent()?)
        .ok()?
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .collect();
    let found = closest(name, names.iter().map(String::as_str))?;
    let folder = written.rfind('/').map_or("", |i| &written[..=i]);
    Some(format!("{folder}{found}"))
}
