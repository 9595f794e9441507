//! The site `envbook init` writes: the files of `starter/`, built into the
//! binary. They are a site of their own, which the tests build and check.

use include_dir::{Dir, include_dir};

static STARTER: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/starter");

/// Each file's path (with `/`) and bytes, in order.
pub fn files() -> Vec<(String, &'static [u8])> {
    let mut files = Vec::new();
    let mut dirs = vec![&STARTER];
    while let Some(dir) = dirs.pop() {
        for file in dir.files() {
            let path = file.path().to_string_lossy().replace('\\', "/");
            files.push((path, file.contents()));
        }
        dirs.extend(dir.dirs());
    }
    files.sort();
    files
}
