//! Bad input never panics: any text, and any value in the fields that do arithmetic, gives
//! either a validated cluster or a list of problems.

use neo4j_aks_model::{Neo4jCluster, validate};
use proptest::prelude::*;

fn quantity() -> impl Strategy<Value = String> {
    prop_oneof![
        "[0-9]{1,20}(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E|m)?",
        "-[0-9]{1,5}Gi",
        "[0-9]{1,3}\\.[0-9]{1,3}(Gi|e3|e18)?",
        ".{0,12}",
    ]
}

proptest! {
    #[test]
    fn arbitrary_text_is_an_error_not_a_panic(text in ".{0,400}") {
        let _ = Neo4jCluster::from_yaml(&text).map(|c| validate(&c));
    }

    #[test]
    fn arbitrary_sizes_are_an_error_not_a_panic(
        memory in quantity(), heap in quantity(), cache in quantity(), cpu in quantity(),
        nodes in any::<i32>(), disk in any::<i32>(), minimum in any::<i32>(), primaries in any::<i32>(),
    ) {
        let yaml = format!(
            "apiVersion: neo4j-aks.io/v1alpha1\nkind: Neo4jCluster\nmetadata:\n  name: n\nspec:\n  neo4jVersion: \"5.26.16\"\n  acceptLicenseAgreement: eval\n  nodeCount: {nodes}\n  minimumClusterSize: {minimum}\n  topology:\n    primaries: {primaries}\n  storage:\n    diskSizeGi: {disk}\n  resources:\n    cpu: {cpu:?}\n    memory: {memory:?}\n  memory:\n    heap: {heap:?}\n    pageCache: {cache:?}\n"
        );
        if let Ok(cluster) = Neo4jCluster::from_yaml(&yaml)
            && let Ok(valid) = validate(&cluster)
        {
            prop_assert!(valid.memory.heap_bytes + valid.memory.page_cache_bytes < valid.resources.memory_bytes);
        }
    }
}
