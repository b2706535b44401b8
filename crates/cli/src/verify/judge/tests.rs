use k8s_openapi::api::networking::v1::{
    NetworkPolicy, NetworkPolicyIngressRule, NetworkPolicyPeer, NetworkPolicyPort,
    NetworkPolicySpec,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use kube::api::ObjectMeta;

use super::*;
use crate::day2::fixtures::{condition, healthy, status};

fn formed(nodes: i32) -> Neo4jCluster {
    let mut c = healthy(nodes);
    status(&mut c)
        .conditions
        .push(condition("ClusterFormed", "True", "Formed", ""));
    c
}

fn failed(outcome: &Outcome) -> &str {
    match outcome {
        Outcome::Fail(d) => d,
        other => panic!("expected a failure, got {other:?}"),
    }
}

#[test]
fn a_healthy_formed_cluster_passes_formation_and_agreement() {
    let c = formed(3);
    assert!(
        matches!(formation(&c), Outcome::Pass(_)),
        "{:?}",
        formation(&c)
    );
    assert!(
        matches!(members_agree(&c), Outcome::Pass(_)),
        "{:?}",
        members_agree(&c)
    );
}

#[test]
fn formation_names_every_problem_at_once() {
    let mut c = healthy(3);
    let s = status(&mut c);
    s.ready_members = Some(2);
    s.members[2].ready = false;
    s.members[2].server_state = Some("Cordoned".into());
    s.databases[0].quorum = false;
    s.databases[0].leader = None;
    let outcome = formation(&c);
    let text = failed(&outcome);
    for wanted in [
        "ClusterFormed is not True",
        "2 of 3 members ready",
        "db-2 is not ready",
        "db-2: server state Cordoned",
        "database neo4j: no quorum",
        "database neo4j: no leader",
    ] {
        assert!(text.contains(wanted), "{wanted:?} not in {text}");
    }
    c.status = None;
    assert!(failed(&formation(&c)).contains("no status"));
}

#[test]
fn two_writers_or_a_leader_that_does_not_write_disagree() {
    let mut c = formed(3);
    status(&mut c).members[1].databases[0].writer = true;
    assert!(failed(&members_agree(&c)).contains("2 members claim the writer (db-0, db-1)"));
    let mut c = formed(3);
    status(&mut c).databases[0].leader = Some("db-2".into());
    assert!(failed(&members_agree(&c)).contains("db-0 writes but the database names"));
    let mut c = formed(3);
    status(&mut c).databases[0].primaries_available = 2;
    assert!(failed(&members_agree(&c)).contains("3 primary copies online on the members, 2"));
}

#[test]
fn a_zone_holding_a_majority_fails_and_one_zone_is_skipped() {
    let c = formed(3);
    assert!(matches!(zones(&c), Outcome::Pass(_)), "{:?}", zones(&c));
    let mut c = formed(3);
    status(&mut c).members[1].zone = Some("eastus-1".into());
    assert!(failed(&zones(&c)).contains("zone eastus-1 holds 2 of 3 members"));
    let mut c = formed(3);
    for m in &mut status(&mut c).members {
        m.zone = Some("eastus-1".into());
    }
    assert!(matches!(zones(&c), Outcome::Skipped(d) if d.contains("not a multi-zone")));
    let mut c = formed(3);
    status(&mut c).members[0].zone = None;
    assert!(
        matches!(zones(&c), Outcome::Skipped(d) if d.contains("no topology.kubernetes.io/zone"))
    );
}

#[test]
fn tls_needs_required_bolt_and_mutual_cluster_tls() {
    let good = "server.bolt.tls_level=REQUIRED\ndbms.ssl.policy.bolt.enabled=true\n\
                dbms.ssl.policy.cluster.enabled=true\ndbms.ssl.policy.cluster.client_auth=REQUIRE\n";
    assert!(matches!(tls_required(good), Outcome::Pass(_)));
    let optional = good.replace("tls_level=REQUIRED", "tls_level=OPTIONAL");
    assert!(
        failed(&tls_required(&optional))
            .contains("server.bolt.tls_level=OPTIONAL (wanted REQUIRED)")
    );
    let outcome = tls_required("# TLS off\nserver.bolt.enabled=true\n");
    let text = failed(&outcome);
    assert_eq!(text.matches("is not set").count(), 4, "{text}");
}

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn policy(name: &str, from: Option<Vec<NetworkPolicyPeer>>, port: Option<i32>) -> NetworkPolicy {
    NetworkPolicy {
        metadata: ObjectMeta {
            name: Some(name.into()),
            ..ObjectMeta::default()
        },
        spec: Some(NetworkPolicySpec {
            pod_selector: Some(LabelSelector {
                match_labels: Some(labels(&[("app", "db")])),
                ..LabelSelector::default()
            }),
            ingress: Some(vec![NetworkPolicyIngressRule {
                from,
                ports: port.map(|p| {
                    vec![NetworkPolicyPort {
                        port: Some(IntOrString::Int(p)),
                        ..NetworkPolicyPort::default()
                    }]
                }),
            }]),
            ..NetworkPolicySpec::default()
        }),
    }
}

fn members_peer() -> NetworkPolicyPeer {
    NetworkPolicyPeer {
        pod_selector: Some(LabelSelector {
            match_labels: Some(labels(&[("app", "db")])),
            ..LabelSelector::default()
        }),
        ..NetworkPolicyPeer::default()
    }
}

#[test]
fn cluster_ports_open_to_anyone_but_members_fail() {
    let members = labels(&[("app", "db")]);
    let good = policy("db-members", Some(vec![members_peer()]), Some(6000));
    let rendered = vec![good];
    assert!(matches!(
        network_policy(&rendered, &rendered, &members, &[5000, 6000]),
        Outcome::Pass(d) if d.contains("ports 6000 open to members only")
    ));
    // Missing, drifted, and another policy opening Raft to the world: all three named.
    let open = policy("allow-all", None, None);
    let other_namespace = policy(
        "db-members",
        Some(vec![NetworkPolicyPeer {
            namespace_selector: Some(LabelSelector::default()),
            ..members_peer()
        }]),
        Some(6000),
    );
    let outcome = network_policy(&rendered, &[open, other_namespace], &members, &[6000]);
    let text = failed(&outcome);
    assert!(
        text.contains("db-members differs from the rendered one"),
        "{text}"
    );
    assert!(
        text.contains("allow-all: port 6000 is open to every source"),
        "{text}"
    );
    assert!(
        text.contains("db-members: port 6000 is open to a non-member peer"),
        "{text}"
    );
    let outcome = network_policy(&rendered, &[], &members, &[6000]);
    assert!(failed(&outcome).contains("NetworkPolicy db-members is missing"));
    assert!(matches!(
        network_policy(&[], &[], &members, &[6000]),
        Outcome::Skipped(_)
    ));
}

#[test]
fn rbac_names_each_unexpected_answer() {
    let review = |verb: &str, resource: &str, allowed, expected| Access {
        verb: verb.into(),
        resource: resource.into(),
        allowed,
        expected,
    };
    let reviews = [
        review("list", "services", true, true),
        review("create", "services", false, false),
    ];
    assert!(matches!(rbac("sa", &reviews), Outcome::Pass(d) if d.contains("1 allowed, 1 denied")));
    let reviews = [
        review("list", "services", false, true),
        review("get", "secrets", true, false),
    ];
    assert_eq!(
        failed(&rbac("sa", &reviews)),
        "sa may not list services; sa may get secrets"
    );
}

fn sample(at: f64, fresh: bool, ready: i32, quorum: bool, leader: &str, replaced: bool) -> Sample {
    Sample {
        at,
        fresh,
        ready_members: ready,
        quorum,
        leaders: BTreeMap::from([("neo4j".to_owned(), Some(leader.to_owned()))]),
        replaced,
    }
}

#[test]
fn failover_counts_a_fresh_new_leader_and_ignores_a_stale_old_one() {
    let samples = [
        sample(0.5, false, 3, true, "db-0", false),
        sample(1.0, true, 2, true, "db-0", false),
        sample(4.0, true, 2, true, "db-1", false),
        sample(9.0, true, 3, true, "db-1", true),
    ];
    let verdict = leader_failover(&samples, "db-0", 3, 30.0);
    assert!(
        matches!(verdict.outcome, Outcome::Pass(ref d) if d.contains("db-1")),
        "{verdict:?}"
    );
    assert_eq!(verdict.measurements[0].name, "failover");
    assert_eq!(verdict.measurements[0].seconds, 4.0);
    assert_eq!(verdict.measurements[1].seconds, 9.0);
    assert_eq!(verdict.timeline.len(), 4);

    // The old leader back on a new pod counts; slower than the limit fails.
    let slow = [sample(31.0, true, 3, true, "db-0", true)];
    let verdict = leader_failover(&slow, "db-0", 3, 30.0);
    assert!(failed(&verdict.outcome).contains("only after 31.0s (limit 30s)"));

    let never = [sample(1.0, true, 2, false, "db-0", false)];
    let verdict = leader_failover(&never, "db-0", 3, 30.0);
    let text = failed(&verdict.outcome);
    assert!(
        text.contains("no leader other than the deleted db-0"),
        "{text}"
    );
    assert!(text.contains("db-0 did not rejoin"), "{text}");
}

#[test]
fn member_failure_fails_on_any_loss_of_quorum() {
    let ok = [
        sample(1.0, true, 2, true, "db-0", false),
        sample(5.0, true, 3, true, "db-0", true),
    ];
    let verdict = member_failure(&ok, "db-2", 3);
    assert!(
        matches!(verdict.outcome, Outcome::Pass(ref d) if !d.contains("did not change")),
        "{verdict:?}"
    );
    assert_eq!(verdict.measurements[0].seconds, 5.0);
    // Back before the operator looked: a pass that says its time is the pod's.
    let unseen = [sample(2.0, false, 3, true, "db-0", true)];
    let verdict = member_failure(&unseen, "db-2", 3);
    assert!(
        matches!(verdict.outcome, Outcome::Pass(ref d) if d.contains("the times are the pod's")),
        "{verdict:?}"
    );
    let lost = [
        sample(1.0, true, 1, false, "db-0", false),
        sample(5.0, true, 3, true, "db-0", true),
    ];
    assert!(failed(&member_failure(&lost, "db-2", 3).outcome).contains("quorum lost 1.0s after"));
    let stuck = [sample(60.0, true, 2, true, "db-0", false)];
    assert!(
        failed(&member_failure(&stuck, "db-2", 3).outcome)
            .contains("db-2 did not rejoin: after 60s 2 of 3 ready")
    );
}

fn route(role: &str, addresses: &[&str]) -> Route {
    Route {
        role: role.into(),
        addresses: addresses.iter().map(|a| a.to_string()).collect(),
    }
}

#[test]
fn routing_wants_one_writer_readers_routers_and_members_only() {
    let members: Vec<String> = (0..3)
        .map(|i| format!("db-{i}.db-headless.prod.svc.cluster.local"))
        .collect();
    let m = |i: usize| format!("{}:7687", members[i]);
    let (m0, m1, m2) = (m(0), m(1), m(2));
    let good = [
        route("WRITE", &[&m0]),
        route("READ", &[&m1, &m2]),
        route("ROUTE", &[&m0, &m1, &m2]),
    ];
    assert!(
        matches!(routing("neo4j", &good, &members), Outcome::Pass(d) if d.contains("2 READ, 3 ROUTE"))
    );
    let bad = [
        route("WRITE", &[&m0, &m1]),
        route("READ", &[]),
        route("ROUTE", &["localhost:7687"]),
    ];
    let outcome = routing("neo4j", &bad, &members);
    let text = failed(&outcome);
    assert!(text.contains("2 WRITE servers"), "{text}");
    assert!(text.contains("no READ server"), "{text}");
    assert!(text.contains("not members: localhost:7687"), "{text}");
}

#[test]
fn plaintext_counts_only_where_tls_answers() {
    let ok = Ok(());
    let refused = Err("connection closed".to_owned());
    assert!(matches!(
        plaintext_rejected("h:1", &ok, &refused),
        Outcome::Pass(_)
    ));
    assert!(failed(&plaintext_rejected("h:1", &ok, &ok)).contains("accepted a plaintext"));
    assert!(matches!(
        plaintext_rejected("h:1", &refused, &refused),
        Outcome::Skipped(d) if d.contains("did not answer over TLS either")
    ));
}

fn run(job: &str, result: &str, message: Option<&str>) -> neo4j_aks_model::BackupRun {
    neo4j_aks_model::BackupRun {
        time: "2026-12-05T02:00:00Z".into(),
        result: result.into(),
        job: job.into(),
        size_bytes: Some(4096),
        duration_seconds: Some(12),
        message: message.map(String::from),
    }
}

#[test]
fn a_backup_and_its_restore_check_both_succeeding_pass() {
    let taken = run("db-backup-manual-1", "Succeeded", Some("2 databases"));
    let checked = run(
        "db-backup-verification-manual-2",
        "Succeeded",
        Some("neo4j: counts match"),
    );
    assert_eq!(
        backup_restore(&taken, Some(&checked)),
        Outcome::Pass(
            "backup Job db-backup-manual-1 (4096 bytes): 2 databases; restored and checked by Job db-backup-verification-manual-2: neo4j: counts match".into()
        )
    );
}

#[test]
fn a_failed_backup_or_a_failed_restore_check_fails_with_its_message() {
    let failed_backup = run(
        "db-backup-manual-1",
        "Failed",
        Some("select-source: no member answered SHOW DATABASES"),
    );
    assert_eq!(
        failed(&backup_restore(&failed_backup, None)),
        "backup Job db-backup-manual-1 Failed: select-source: no member answered SHOW DATABASES"
    );
    let taken = run("db-backup-manual-1", "Succeeded", None);
    assert_eq!(
        failed(&backup_restore(&taken, None)),
        "backup Job db-backup-manual-1 succeeded but nothing restored it"
    );
    let checked = run(
        "db-backup-verification-manual-2",
        "Failed",
        Some("neo4j: 10 nodes restored, 12 counted before the backup"),
    );
    assert_eq!(
        failed(&backup_restore(&taken, Some(&checked))),
        "backup Job db-backup-manual-1 succeeded; its restore-and-check Job db-backup-verification-manual-2 Failed: neo4j: 10 nodes restored, 12 counted before the backup"
    );
}
