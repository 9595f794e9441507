//! Integration tests: fixture sites under tests/fixtures, copied to a temp
//! folder and built by the real binary.

mod browser;
mod build;
mod build_cache;
mod cli;
mod corpus;
mod data;
mod errors;
mod fuzz;
mod fuzz_book;
mod highlight;
mod inbound;
mod includes;
mod init;
mod links;
mod mdbook;
mod mdbook_markdown;
mod output;
mod preview;
mod recipes;
mod robust;
mod safety;
mod search;
mod search_browser;
mod serve;
mod serve_survives;
mod sources_real;
mod support;
mod theme_browser;
mod url;
