//! [`Desired`] from a validated cluster spec, and consent from the Neo4jCluster's annotations.

use std::collections::BTreeMap;

use neo4j_aks_model::ValidatedCluster;

use super::{CONFIRM_SCALE_DOWN_ANNOTATION, Confirmation, Desired, REPLACE_MEMBER_ANNOTATION};

/// Default lag bound before a member may be taken down (transactions behind the writer).
pub const DEFAULT_MAX_LAG: u64 = 1_000;
/// Default time a member has to come back after a restart, or a server to deallocate.
pub const DEFAULT_STEP_TIMEOUT_SECS: i64 = 15 * 60;

impl Confirmation {
    /// The annotation `neo4j-aks.io/confirm-scale-down`, if present.
    pub fn from_annotations(annotations: &BTreeMap<String, String>) -> Self {
        annotations
            .get(CONFIRM_SCALE_DOWN_ANNOTATION)
            .map_or(Confirmation::None, |v| Confirmation::Annotation(v.clone()))
    }
}

/// The ordinal `neo4j-aks.io/replace-member` names: `Ok(None)` without the annotation, `Err`
/// with the reason when the value is not an ordinal.
pub fn replace_member_from_annotations(
    annotations: &BTreeMap<String, String>,
) -> Result<Option<u32>, String> {
    match annotations.get(REPLACE_MEMBER_ANNOTATION) {
        None => Ok(None),
        Some(value) => value.trim().parse::<u32>().map(Some).map_err(|_| {
            format!(
                "{REPLACE_MEMBER_ANNOTATION}: {value:?} is not a member ordinal (e.g. \"2\" for pod <name>-2)"
            )
        }),
    }
}

impl Desired {
    /// What `cluster` asks for. `revision` is the fingerprint pods carry (config digest +
    /// image); `confirmation` comes from the annotations or the CLI's `--yes`.
    pub fn for_cluster(
        cluster: &ValidatedCluster,
        revision: impl Into<String>,
        confirmation: Confirmation,
    ) -> Self {
        let count = |n: i32| u32::try_from(n).unwrap_or(0);
        let (primaries, secondaries, auto_enable_servers) = match &cluster.clustering {
            Some(c) => (
                count(c.primaries),
                count(c.secondaries),
                c.auto_enable_servers,
            ),
            None => (1, 0, true),
        };
        Desired {
            members: count(cluster.members.asked()),
            default_database: "neo4j".to_owned(),
            primaries,
            secondaries,
            auto_enable_servers,
            revision: revision.into(),
            confirmation,
            max_lag: DEFAULT_MAX_LAG,
            step_timeout_secs: DEFAULT_STEP_TIMEOUT_SECS,
            replace_member: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annotation_is_read_and_must_name_the_target() {
        let mut a = BTreeMap::new();
        assert_eq!(Confirmation::from_annotations(&a), Confirmation::None);
        a.insert(CONFIRM_SCALE_DOWN_ANNOTATION.to_owned(), " 3 ".to_owned());
        let c = Confirmation::from_annotations(&a);
        assert!(c.confirms(3));
        assert!(!c.confirms(4));
        assert!(Confirmation::Cli.confirms(4));
        assert!(!Confirmation::None.confirms(3));
    }

    #[test]
    fn desired_follows_the_validated_spec() {
        let yaml = include_str!("../../../../examples/cluster-5-srv.yaml");
        let cluster = neo4j_aks_model::Neo4jCluster::from_yaml(yaml).expect("parses");
        let cluster = neo4j_aks_model::validate(&cluster).expect("validates");
        let d = Desired::for_cluster(&cluster, "rev", Confirmation::None);
        assert_eq!(d.members, 5);
        let c = cluster.clustering.as_ref().expect("a cluster");
        assert_eq!(d.primaries, u32::try_from(c.primaries).expect("count"));
        assert_eq!(d.secondaries, u32::try_from(c.secondaries).expect("count"));
        assert_eq!(d.auto_enable_servers, c.auto_enable_servers);
    }
}
