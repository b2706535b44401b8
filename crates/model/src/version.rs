//! Neo4j versions we deploy, and the `neo4j.conf` dialect each one speaks.

use std::fmt;

/// Which setting names a version understands (ARCHITECTURE §2: discovery v2 names changed in
/// 2025.01, and 5.26 still defaults to discovery v1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ConfigDialect {
    /// 5.26 LTS: `dbms.cluster.discovery.v2.endpoints` and `dbms.cluster.discovery.version`.
    V5_26,
    /// 2025.01 and later: `dbms.cluster.endpoints`; discovery v1 and its selector are gone.
    Calver2025,
}

/// A released Neo4j version. Calendar versions keep their zero-padded month (`2025.01.0`), which
/// is how the image tags are spelled, so the text is kept as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Neo4jVersion {
    text: String,
    major: u32,
    minor: u32,
    patch: u32,
}

impl Neo4jVersion {
    /// Parses `5.26.16` or `2025.10.1`; explains what is accepted otherwise.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let parts: Vec<Option<u32>> = text
            .split('.')
            .map(|p| {
                (!p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
                    .then(|| p.parse().ok())
                    .flatten()
            })
            .collect();
        let [Some(major), Some(minor), Some(patch)] = parts[..] else {
            return Err(format!(
                "{text:?} is not a released Neo4j version; write MAJOR.MINOR.PATCH, e.g. 5.26.16 or 2025.10.1"
            ));
        };
        let version = Self {
            text: text.to_string(),
            major,
            minor,
            patch,
        };
        match (major, minor) {
            (5, 26) => Ok(version),
            (m, n) if m < 5 || (m == 5 && n < 26) => Err(format!(
                "{text} is older than 5.26, the oldest supported line (the discovery v2 settings used here need 5.26 LTS or 2025.01+)"
            )),
            (5, _) => Err(format!(
                "{text}: there is no such release; 5.26 is the last 5.x (LTS) line"
            )),
            (year, month) if year >= 2025 && (1..=12).contains(&month) => Ok(version),
            _ => Err(format!(
                "{text} is not a Neo4j release line; use 5.26.x or a calendar version YYYY.MM.PATCH from 2025.01.0 on"
            )),
        }
    }

    pub fn dialect(&self) -> ConfigDialect {
        if self.major == 5 {
            ConfigDialect::V5_26
        } else {
            ConfigDialect::Calver2025
        }
    }

    /// Whether a member can load renewed certificates without a restart:
    /// `dbms.security.tls_reload_enabled` and `CALL dbms.security.reloadTLS()` are new in 2025.03
    /// (Operations Manual, configuration-settings.adoc and procedures/built-in-procedures.adoc,
    /// "label--new-2025.03"; security/ssl-framework.adoc, "Certificates rotation"). Earlier
    /// versions refuse the setting (strict configuration validation) and read certificates only
    /// when they start.
    pub fn reloads_tls(&self) -> bool {
        (self.major, self.minor) >= (2025, 3)
    }

    /// `(major, minor)`: 5.26 is `(5, 26)`, 2025.07.1 is `(2025, 7)`.
    pub fn major_minor(&self) -> (u32, u32) {
        (self.major, self.minor)
    }

    /// `(major, minor, patch)`, which orders releases: every 5.26 patch comes before 2025.01.0.
    pub fn triple(&self) -> (u32, u32, u32) {
        (self.major, self.minor, self.patch)
    }

    /// The 5.26 LTS line (as opposed to a calendar version).
    pub fn is_lts_5_26(&self) -> bool {
        self.major == 5
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for Neo4jVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_lts_and_calendar_lines() {
        assert_eq!(
            Neo4jVersion::parse("5.26.16").unwrap().dialect(),
            ConfigDialect::V5_26
        );
        assert_eq!(
            Neo4jVersion::parse("2025.10.1").unwrap().dialect(),
            ConfigDialect::Calver2025
        );
        assert!(!Neo4jVersion::parse("5.26.16").unwrap().reloads_tls());
        assert!(!Neo4jVersion::parse("2025.02.0").unwrap().reloads_tls());
        assert!(Neo4jVersion::parse("2025.03.0").unwrap().reloads_tls());
        assert!(Neo4jVersion::parse("2026.06.0").unwrap().reloads_tls());
        let padded = Neo4jVersion::parse("2025.01.0").unwrap();
        assert_eq!(padded.as_str(), "2025.01.0");
        assert_eq!(
            Neo4jVersion::parse("2026.1.0").unwrap().dialect(),
            ConfigDialect::Calver2025
        );
    }

    #[test]
    fn rejects_older_and_invented_versions() {
        for bad in [
            "5.25.1",
            "4.4.30",
            "5.27.0",
            "2024.01.0",
            "2025.13.0",
            "latest",
            "5.26",
            "5.26.16-rc1",
            "",
            "5..1",
        ] {
            assert!(
                Neo4jVersion::parse(bad).is_err(),
                "{bad} should be rejected"
            );
        }
        assert!(
            Neo4jVersion::parse("5.20.0")
                .unwrap_err()
                .contains("older than 5.26")
        );
    }
}
