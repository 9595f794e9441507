//! The only code that writes the site to disk. It builds the new site in a
//! fresh folder beside the output and swaps it in whole, so a reader never
//! sees a half-written site and a failed write leaves the last one intact. It
//! refuses output folders that would put the sources at risk, and never
//! replaces a folder that envbook did not write.

use std::fs;
use std::path::{Path, PathBuf};

use crate::project::Project;
use crate::site::Sink;
use anyhow::{Context, Result, bail};

/// Marks a folder as envbook's output, which it may replace.
const MARKER: &str = ".envbook-output";

/// Checks, before anything is touched, that `out` is a safe output folder for `project`.
pub fn check_target(out: &Path, project: &Project) -> Result<()> {
    let out_abs = absolute(out)?;
    let root = absolute(&project.root)?;
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let refuse = |what: &str| -> Result<()> {
        bail!(
            "refusing to use {} as the output folder: it {what}; set `output` under [build] in book.toml to a folder of its own, such as \"site\"",
            out.display()
        )
    };
    if out_abs.parent().is_none() {
        return refuse("is the file system root");
    }
    if home.as_deref().map(absolute).transpose()?.as_deref() == Some(&out_abs) {
        return refuse("is the home folder");
    }
    if root.starts_with(&out_abs) {
        return refuse("is or holds the site folder");
    }
    let build = &project.config.build;
    for (name, dir) in [
        ("content", &build.content),
        ("data", &build.data),
        ("theme", &build.theme),
    ] {
        let dir = absolute(&project.root.join(dir))?;
        if dir.starts_with(&out_abs) || out_abs.starts_with(&dir) {
            return refuse(&format!("overlaps the {name} folder"));
        }
    }
    if out_abs.exists() && !out_abs.is_dir() {
        return refuse("is a file");
    }
    if out_abs.is_dir()
        && !out_abs.join(MARKER).exists()
        && fs::read_dir(&out_abs)?.next().is_some()
    {
        return refuse("holds files that envbook did not write");
    }
    Ok(())
}

/// A fresh folder beside the output that the build writes into; [`Staging::commit`]
/// swaps it in, and dropping it uncommitted removes it.
pub struct Staging {
    out: PathBuf,
    dir: PathBuf,
    old: PathBuf,
    committed: bool,
}

impl Staging {
    /// Checks `out` (see [`check_target`]) and makes an empty staging folder beside it.
    pub fn create(out: &Path, project: &Project) -> Result<Staging> {
        check_target(out, project)?;
        let out = absolute(out)?;
        let parent = out.parent().context("the output folder has no parent")?;
        let name = out
            .file_name()
            .context("the output folder has no name")?
            .to_string_lossy();
        let staging = Staging {
            dir: parent.join(format!(".{name}.envbook-new")),
            old: parent.join(format!(".{name}.envbook-old")),
            out: out.clone(),
            committed: false,
        };
        // Leftovers of an interrupted run are our own folders, named for this output.
        remove_if_exists(&staging.dir)?;
        remove_if_exists(&staging.old)?;
        fs::create_dir_all(&staging.dir)
            .with_context(|| format!("creating {}", staging.dir.display()))?;
        fs::write(
            staging.dir.join(MARKER),
            "This folder is written by envbook and replaced on every build.\n",
        )
        .with_context(|| format!("writing in {}", staging.dir.display()))?;
        Ok(staging)
    }

    /// Replaces the output folder with the staged site.
    pub fn commit(mut self) -> Result<()> {
        if self.out.exists() {
            fs::rename(&self.out, &self.old)
                .with_context(|| format!("moving the old site aside: {}", self.out.display()))?;
        }
        if let Err(e) = fs::rename(&self.dir, &self.out) {
            // Put the last good site back.
            let _ = fs::rename(&self.old, &self.out);
            return Err(e)
                .with_context(|| format!("moving the new site into {}", self.out.display()));
        }
        self.committed = true;
        remove_if_exists(&self.old)
    }

    fn path(&self, rel: &str) -> Result<PathBuf> {
        let path = self.dir.join(rel);
        let parent = path.parent().context("an output file has no folder")?;
        fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
        Ok(path)
    }
}

impl Sink for Staging {
    fn put(&self, rel: &str, bytes: Vec<u8>) -> Result<()> {
        let path = self.path(rel)?;
        fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))
    }

    fn copy(&self, rel: &str, from: &Path) -> Result<()> {
        let path = self.path(rel)?;
        fs::copy(from, &path)
            .map(drop)
            .with_context(|| format!("copying {} to {}", from.display(), path.display()))
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

fn remove_if_exists(dir: &Path) -> Result<()> {
    match fs::remove_dir_all(dir) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(e).with_context(|| format!("removing {}", dir.display()))
        }
        _ => Ok(()),
    }
}

/// `path` made absolute and normalised, following symlinks where it exists.
fn absolute(path: &Path) -> Result<PathBuf> {
    if let Ok(real) = fs::canonicalize(path) {
        return Ok(real);
    }
    let abs = std::path::absolute(path).with_context(|| format!("resolving {}", path.display()))?;
    // Resolve the part that exists, then append the rest.
    let mut existing = abs.as_path();
    let mut rest = Vec::new();
    while !existing.exists() {
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_owned());
                existing = parent;
            }
            _ => break,
        }
    }
    let mut out = fs::canonicalize(existing).unwrap_or_else(|_| existing.to_path_buf());
    for part in rest.iter().rev() {
        if part == ".." {
            out.pop();
        } else if part != "." {
            out.push(part);
        }
    }
    Ok(out)
}
