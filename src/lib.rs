//! envbook: documentation sites from markdown pages plus environment data.
//!
//! The pipeline: [`config`] → [`project`] (content, theme) → [`markdown`] →
//! [`render`] → [`output`]. [`site`] runs it; `cmd` glues it to the command line.

pub mod cache;
pub mod cli;
pub mod cmd;
pub mod config;
pub mod content;
pub mod data;
pub mod diagnostic;
pub mod directives;
pub mod disk;
pub mod export;
pub mod frontmatter;
pub mod inbound;
pub mod include;
pub mod links;
pub mod markdown;
pub mod matrix;
pub mod nav;
pub mod output;
pub mod print;
pub mod project;
pub mod redirects;
pub mod render;
pub mod search;
pub mod serve;
pub mod site;
pub mod sources;
pub mod starter;
pub mod theme;
pub mod yaml;
