//! Validation findings: every problem names the field it is about and what would be valid.

use std::fmt;

/// One thing wrong with a spec. `path` is the field path (`spec.storage.diskSizeGi`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Problem {
    pub path: String,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// Something allowed but worth a second look (an even member count, say).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Warning {
    pub path: String,
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// A spec that cannot be rendered, with every reason at once.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid Neo4jCluster: {}", .problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
pub struct Invalid {
    pub problems: Vec<Problem>,
}

impl Invalid {
    pub fn single(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            problems: vec![Problem {
                path: path.into(),
                message: message.into(),
            }],
        }
    }
}

/// Collects problems and warnings while a validator walks a spec.
#[derive(Default, Debug)]
pub struct Findings {
    pub problems: Vec<Problem>,
    pub warnings: Vec<Warning>,
}

impl Findings {
    pub fn problem(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Problem {
            path: path.into(),
            message: message.into(),
        });
    }

    pub fn warning(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.warnings.push(Warning {
            path: path.into(),
            message: message.into(),
        });
    }

    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }
}
