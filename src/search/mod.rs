//! Search (issue 10): what the index and the query share. So far the words:
//! see [`tokens`].

pub mod tokens;
