//! Integration tests: fixture sites under tests/fixtures, copied to a temp
//! folder and built by the real binary.

mod browser;
mod build;
mod cli;
mod corpus;
mod data;
mod errors;
mod fuzz;
mod highlight;
mod includes;
mod links;
mod output;
mod robust;
mod safety;
mod serve;
mod serve_survives;
mod support;
