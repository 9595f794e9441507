//! Values read from the configuration files a team deploys with (Helm
//! values, Kubernetes manifests, Terraform variables, JSON, TOML, `.env`):
//! each format read into one tree that knows where each value was written,
//! and a path language to find a value in it. No I/O.

pub mod formats;
pub mod path;

use std::path::PathBuf;
use std::sync::Arc;

use crate::diagnostic::Diagnostics;
use crate::yaml::Node;

/// A configuration file, read and parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceFile {
    /// As named in diagnostics.
    pub shown: PathBuf,
    /// A link to line `{line}` of the file (`[data] source-url`), if any.
    pub link: Option<String>,
    pub text: Arc<str>,
    /// Its documents: a Kubernetes manifest may hold several.
    pub documents: Vec<Node>,
}

/// Why a configuration file could not be read.
#[derive(Debug, Clone)]
pub enum Unread {
    /// There is no such file; the closest name in its folder, if one is close.
    Missing { closest: Option<String> },
    /// Outside the repository, of no known format, not text, …: why.
    Refused(String),
    /// Read, but not valid: every problem, in the file.
    Invalid(Diagnostics),
}

/// The configuration files a data file names, by their path as written
/// (relative to the site folder): how the data layer, which does no I/O,
/// reads them.
pub trait Files {
    fn read(&self, path: &str) -> Result<Arc<SourceFile>, Unread>;
}

/// No files: for data that names none (and tests).
pub struct NoFiles;

impl Files for NoFiles {
    fn read(&self, _: &str) -> Result<Arc<SourceFile>, Unread> {
        Err(Unread::Missing { closest: None })
    }
}
