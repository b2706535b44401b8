//! The `neo4j.conf` setting names each supported Neo4j line knows, taken from the Operations
//! Manual's settings reference (see `catalog/`). A name with a `<placeholder>` segment matches
//! any single segment of letters, digits, `_` or `-` in that place.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use crate::version::ConfigDialect;

pub struct Catalog {
    exact: BTreeSet<&'static str>,
    patterns: Vec<Vec<&'static str>>,
}

static CATALOG_5_26: LazyLock<Catalog> =
    LazyLock::new(|| Catalog::parse(include_str!("../catalog/neo4j-settings-5.26.txt")));
static CATALOG_2025: LazyLock<Catalog> =
    LazyLock::new(|| Catalog::parse(include_str!("../catalog/neo4j-settings-2025.txt")));

impl Catalog {
    fn parse(text: &'static str) -> Self {
        let mut exact = BTreeSet::new();
        let mut patterns = Vec::new();
        for name in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
            if name.contains('<') {
                patterns.push(name.split('.').collect());
            } else {
                exact.insert(name);
            }
        }
        Self { exact, patterns }
    }

    pub fn for_dialect(dialect: ConfigDialect) -> &'static Catalog {
        match dialect {
            ConfigDialect::V5_26 => &CATALOG_5_26,
            ConfigDialect::Calver2025 => &CATALOG_2025,
        }
    }

    pub fn contains(&self, name: &str) -> bool {
        if self.exact.contains(name) {
            return true;
        }
        let segments: Vec<&str> = name.split('.').collect();
        self.patterns.iter().any(|pattern| {
            pattern.len() == segments.len()
                && pattern.iter().zip(&segments).all(|(p, s)| {
                    if p.starts_with('<') {
                        !s.is_empty()
                            && s.chars()
                                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
                    } else {
                        p == s
                    }
                })
        })
    }

    /// The closest known name, for "did you mean" hints.
    pub fn closest(&self, name: &str) -> Option<&'static str> {
        self.exact
            .iter()
            .map(|known| (strsim::levenshtein(known, name), *known))
            .filter(|(distance, _)| *distance <= 4)
            .min()
            .map(|(_, known)| known)
    }

    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.exact.iter().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knows_the_discovery_names_of_each_line() {
        let lts = Catalog::for_dialect(ConfigDialect::V5_26);
        let calver = Catalog::for_dialect(ConfigDialect::Calver2025);
        assert!(lts.contains("dbms.cluster.discovery.v2.endpoints"));
        assert!(!lts.contains("dbms.cluster.endpoints"));
        assert!(calver.contains("dbms.cluster.endpoints"));
        assert!(!calver.contains("dbms.cluster.discovery.version"));
        assert!(!lts.contains("dbms.cluster.new_member.enabled"));
    }

    #[test]
    fn placeholders_match_one_segment() {
        let calver = Catalog::for_dialect(ConfigDialect::Calver2025);
        assert!(calver.contains("dbms.security.oidc.azure-ad.display_name"));
        assert!(!calver.contains("dbms.security.oidc.a.b.display_name"));
        assert!(calver.contains("dbms.ssl.policy.bolt.enabled"));
    }

    #[test]
    fn suggests_near_names() {
        let lts = Catalog::for_dialect(ConfigDialect::V5_26);
        assert_eq!(
            lts.closest("server.bolt.enabeld"),
            Some("server.bolt.enabled")
        );
    }
}
