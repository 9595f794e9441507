//! Search: the words index and query share ([`tokens`]), the index as files
//! a browser fetches on demand ([`index`]), and the search the browser runs
//! over them, in Rust ([`find`]).

pub mod chunks;
pub mod find;
pub mod index;
pub mod kept;
pub mod site;
pub mod tokens;
pub mod vocabulary;

#[cfg(test)]
mod tests;
