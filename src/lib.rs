//! envbook: documentation sites from markdown pages plus environment data.
//!
//! The pipeline: [`config`] → [`project`] (content, theme) → [`markdown`] →
//! [`render`] → [`output`]. [`site`] runs it; `cmd` glues it to the command line.

pub mod config;
pub mod content;
pub mod diagnostic;
pub mod frontmatter;
pub mod markdown;
pub mod nav;
