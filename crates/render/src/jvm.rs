//! The JVM flags Neo4j ships in its default neo4j.conf, rendered back into ours.
//!
//! The official image deletes its own conf directory when `/conf` is mounted (docker-entrypoint.sh,
//! `rm -rf "${NEO4J_HOME}"/conf/*`, neo4j/docker-neo4j-publish 5.26.28 and 2026.06.0), and every
//! `server.jvm.additional` line of the distribution's neo4j.conf goes with it. The list below is
//! the Operations Manual's table "Pre-defined values of server.jvm.additional"
//! (configuration/neo4j-conf.adoc, `default-values-server.jvm.additional`; branch 5.x for 5.26,
//! main for the 2025.04 and 2026.02 additions), in the file's order. The official Helm chart
//! re-adds the same lines (`jvm.useNeo4jDefaultJvmArguments: true`, templates/neo4j-config.yaml).

use neo4j_aks_model::validated::Edition;
use neo4j_aks_model::version::Neo4jVersion;

/// One flag and the first version that ships it.
struct Flag {
    value: &'static str,
    since: Since,
    enterprise_only: bool,
}

#[derive(Clone, Copy)]
enum Since {
    /// In every supported version (5.26 and later).
    Always,
    /// A calendar release `(year, month)`.
    Calver(u32, u32),
}

const fn always(value: &'static str) -> Flag {
    Flag {
        value,
        since: Since::Always,
        enterprise_only: false,
    }
}

const fn since(value: &'static str, year: u32, month: u32) -> Flag {
    Flag {
        value,
        since: Since::Calver(year, month),
        enterprise_only: false,
    }
}

/// In the file's order; the manual marks `--enable-native-access` "Introduced in 5.23" and the
/// log4j string limit "Introduced in 5.26", both present in every version we deploy.
const FLAGS: &[Flag] = &[
    always("-XX:+UseG1GC"),
    always("-XX:-OmitStackTraceInFastThrow"),
    always("-XX:+AlwaysPreTouch"),
    always("-XX:+UnlockExperimentalVMOptions"),
    always("-XX:+TrustFinalNonStaticFields"),
    always("-XX:+DisableExplicitGC"),
    // "Introduced in 5.8", "listed in the Enterprise Edition" (footnote of the manual's table).
    Flag {
        value: "-XX:-RestrictContended",
        since: Since::Always,
        enterprise_only: true,
    },
    always("-Djdk.nio.maxCachedBufferSize=1024"),
    always("-Dio.netty.tryReflectionSetAccessible=true"),
    since("-Dio.netty.leakDetection.level=DISABLED", 2025, 4),
    always("-Djdk.tls.ephemeralDHKeySize=2048"),
    always("-Djdk.tls.rejectClientInitiatedRenegotiation=true"),
    always("-XX:FlightRecorderOptions=stackdepth=256"),
    always("-XX:+UnlockDiagnosticVMOptions"),
    always("-XX:+DebugNonSafepoints"),
    always("--add-opens=java.base/java.nio=ALL-UNNAMED"),
    always("--add-opens=java.base/java.io=ALL-UNNAMED"),
    always("--add-opens=java.base/sun.nio.ch=ALL-UNNAMED"),
    since(
        "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
        2025,
        4,
    ),
    always("--enable-native-access=ALL-UNNAMED"),
    always("-Dlog4j2.disable.jmx=true"),
    always("-Dlog4j.layout.jsonTemplate.maxStringLength=32768"),
    since(
        "-Dorg.neo4j.shaded.lucene9.vectorization.upperJavaFeatureVersion=25",
        2026,
        2,
    ),
];

/// The `server.jvm.additional` values Neo4j `version` ships for `edition`, in file order.
pub fn default_flags(version: &Neo4jVersion, edition: Edition) -> Vec<&'static str> {
    let (major, minor) = version.major_minor();
    FLAGS
        .iter()
        .filter(|f| !f.enterprise_only || edition == Edition::Enterprise)
        .filter(|f| match f.since {
            Since::Always => true,
            Since::Calver(year, month) => major > year || (major == year && minor >= month),
        })
        .map(|f| f.value)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags(version: &str, edition: Edition) -> Vec<&'static str> {
        default_flags(&Neo4jVersion::parse(version).expect("version"), edition)
    }

    #[test]
    fn the_5_26_list_is_the_manuals_nineteen_plus_the_enterprise_flag() {
        let community = flags("5.26.16", Edition::Community);
        assert_eq!(community.len(), 19);
        assert_eq!(community[0], "-XX:+UseG1GC");
        assert_eq!(
            community.last(),
            Some(&"-Dlog4j.layout.jsonTemplate.maxStringLength=32768")
        );
        let enterprise = flags("5.26.16", Edition::Enterprise);
        assert_eq!(enterprise.len(), 20);
        assert!(enterprise.contains(&"-XX:-RestrictContended"));
        assert!(!enterprise.iter().any(|f| f.contains("leakDetection")));
    }

    #[test]
    fn calendar_releases_gain_flags_in_the_month_the_manual_names() {
        let before = flags("2025.03.0", Edition::Enterprise);
        let after = flags("2025.04.0", Edition::Enterprise);
        assert_eq!(after.len(), before.len() + 2);
        assert!(after.contains(&"--add-opens=java.base/java.util.concurrent=ALL-UNNAMED"));
        let lucene = "-Dorg.neo4j.shaded.lucene9.vectorization.upperJavaFeatureVersion=25";
        assert!(!flags("2026.01.0", Edition::Enterprise).contains(&lucene));
        assert!(flags("2026.02.3", Edition::Enterprise).contains(&lucene));
        assert!(flags("2027.01.0", Edition::Enterprise).contains(&lucene));
    }

    #[test]
    fn no_flag_is_listed_twice() {
        let all = flags("2026.02.3", Edition::Enterprise);
        let unique: std::collections::BTreeSet<_> = all.iter().collect();
        assert_eq!(unique.len(), all.len());
    }
}
