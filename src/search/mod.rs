//! Search (issue 10, being built): the words index and query share
//! ([`tokens`]) and the index as files fetched on demand ([`index`]). Not yet
//! written by `build` nor shown by the theme.

pub mod index;
pub mod tokens;
