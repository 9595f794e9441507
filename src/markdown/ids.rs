//! Heading ids: GitHub's slug rules, made unique on the page.

use std::collections::HashSet;

/// GitHub's slug: lowercase, punctuation dropped (but `-` and `_`), spaces to `-`.
pub fn slug(text: &str) -> String {
    text.trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            '-' | '_' => Some(c),
            c if c.is_alphanumeric() => Some(c),
            _ => None,
        })
        .collect()
}

/// Hands out ids that are unique on one page. Ids written by the author
/// (`{#custom}`) are reserved up front so that a generated id never takes them.
#[derive(Debug, Default)]
pub struct Ids {
    taken: HashSet<String>,
}

impl Ids {
    pub fn reserve(&mut self, id: &str) -> bool {
        self.taken.insert(id.to_string())
    }

    /// `base`, or `base-1`, `base-2`… for its later occurrences, as GitHub does.
    pub fn unique(&mut self, base: &str) -> String {
        let base = if base.is_empty() { "section" } else { base };
        if self.taken.insert(base.to_string()) {
            return base.to_string();
        }
        (1..)
            .map(|n| format!("{base}-{n}"))
            .find(|id| self.taken.insert(id.clone()))
            .expect("an unused suffix exists")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_slugs() {
        assert_eq!(slug("Promote the replica"), "promote-the-replica");
        assert_eq!(slug("Step 2: Verify"), "step-2-verify");
        assert_eq!(slug("Backend `GIN_MODE`"), "backend-gin_mode");
        assert_eq!(slug("What's new?"), "whats-new");
        assert_eq!(slug("Déjà vu"), "déjà-vu");
        assert_eq!(slug("a -- b"), "a----b");
    }

    #[test]
    fn repeats_get_suffixes() {
        let mut ids = Ids::default();
        assert_eq!(ids.unique("verify"), "verify");
        assert_eq!(ids.unique("verify"), "verify-1");
        assert_eq!(ids.unique("verify"), "verify-2");
        assert_eq!(ids.unique(""), "section");
    }

    #[test]
    fn reserved_ids_are_skipped() {
        let mut ids = Ids::default();
        ids.reserve("verify");
        assert_eq!(ids.unique("verify"), "verify-1");
    }
}
