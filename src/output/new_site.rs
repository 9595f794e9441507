//! Writes a new site's files (`envbook init`), each only where no file is:
//! an existing file is never replaced, even with `--force`.

use std::fs::{self, OpenOptions};
use std::io::{ErrorKind, Write};
use std::path::Path;

use anyhow::{Context, Result};

/// What became of each file.
#[derive(Debug, Default)]
pub struct Written {
    pub written: Vec<String>,
    /// There already: left as it was.
    pub kept: Vec<String>,
}

/// Writes `files` (path with `/`, bytes) under `dir`, creating folders.
pub fn write(dir: &Path, files: &[(String, &[u8])]) -> Result<Written> {
    let mut done = Written::default();
    for (rel, bytes) in files {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
        }
        // create_new: never over a file that appeared meanwhile either.
        match OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(mut file) => {
                file.write_all(bytes)
                    .with_context(|| format!("writing {}", path.display()))?;
                done.written.push(rel.clone());
            }
            Err(e) if e.kind() == ErrorKind::AlreadyExists => done.kept.push(rel.clone()),
            Err(e) => return Err(e).with_context(|| format!("creating {}", path.display())),
        }
    }
    Ok(done)
}
