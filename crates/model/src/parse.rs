//! Reading a Neo4jCluster from a YAML (or JSON) document, reporting every unknown field.

use crate::problems::{Invalid, Problem};
use crate::spec::Neo4jCluster;

pub const API_VERSION: &str = "neo4j-aks.io/v1alpha1";
pub const KIND: &str = "Neo4jCluster";

impl Neo4jCluster {
    /// Parses one document. Unknown fields are errors (a typo must not silently fall back to a
    /// default), all reported together with their paths.
    pub fn from_yaml(text: &str) -> Result<Self, Invalid> {
        let documents: Vec<serde_json::Value> = serde_saphyr::from_multiple(text)
            .map_err(|e| Invalid::single("(file)", format!("not valid YAML: {e}")))?;
        let documents: Vec<_> = documents.into_iter().filter(|d| !d.is_null()).collect();
        let [document] = &documents[..] else {
            return Err(Invalid::single(
                "(file)",
                format!(
                    "expected exactly one Neo4jCluster document, found {}",
                    documents.len()
                ),
            ));
        };
        Self::from_value(document)
    }

    pub fn from_value(document: &serde_json::Value) -> Result<Self, Invalid> {
        let mut problems = Vec::new();
        match document.get("apiVersion").and_then(|v| v.as_str()) {
            Some(API_VERSION) => {}
            other => problems.push(Problem {
                path: "apiVersion".into(),
                message: format!("{other:?} must be {API_VERSION}"),
            }),
        }
        match document.get("kind").and_then(|v| v.as_str()) {
            Some(KIND) => {}
            other => problems.push(Problem {
                path: "kind".into(),
                message: format!("{other:?} must be {KIND}"),
            }),
        }
        let mut unknown = Vec::new();
        let mut record = |path: serde_ignored::Path<'_>| unknown.push(path.to_string());
        let parsed: Result<Neo4jCluster, _> = serde_path_to_error::deserialize(
            serde_ignored::Deserializer::new(document, &mut record),
        );
        for path in unknown
            .into_iter()
            .filter(|p| p != "apiVersion" && p != "kind" && !p.starts_with("status"))
        {
            problems.push(Problem {
                path,
                message: "unknown field; see `neo4j-aks crd` for the schema".into(),
            });
        }
        match parsed {
            Err(e) => {
                let path = e.path().to_string();
                problems.push(Problem {
                    path,
                    message: e.into_inner().to_string(),
                });
                Err(Invalid { problems })
            }
            Ok(_) if !problems.is_empty() => Err(Invalid { problems }),
            Ok(cluster) => Ok(cluster),
        }
    }
}
