//! Enterprise-only responses, parsed from rows whose columns and values are copied from the
//! Neo4j Operations Manual (docs-operations, `modules/ROOT/pages/...`, 5.x and 2025.x). Each
//! test names its page. Community cannot produce these rows (SHOW SERVERS and the cluster
//! statements are refused there; see tests/bolt_real.rs).

use neo4j_aks_model::{Neo4jCluster, validate};
use neo4j_aks_topology::observed::{ObservedTopology, PodObservation, member_identities};
use neo4j_aks_topology::records::{
    DatabaseRecord, DatabaseRole, DatabaseType, Health, MemberStatus, Record, ServerRecord,
    ServerState, StatusCheckRecord,
};
use neo4j_aks_topology::statements::Statement;
use serde_json::{Value, json};

fn record(value: Value) -> Record {
    match value {
        Value::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

/// Rows of a query result table: header + rows, as the manual prints them.
fn table(header: &[&str], rows: Vec<Vec<Value>>) -> Vec<Record> {
    rows.into_iter()
        .map(|row| {
            assert_eq!(row.len(), header.len());
            header
                .iter()
                .map(|h| (h.to_string(), Value::Null))
                .zip(row)
                .map(|((h, _), v)| (h, v))
                .collect()
        })
        .collect()
}

const SERVERS_YIELD_STAR: &[&str] = &[
    "serverId",
    "name",
    "address",
    "httpAddress",
    "httpsAddress",
    "state",
    "health",
    "hosting",
    "requestedHosting",
    "tags",
    "allowedDatabases",
    "deniedDatabases",
    "modeConstraint",
    "version",
];

/// clustering/monitoring/show-servers-monitoring.adoc, "Listing more details about servers in a
/// cluster" (`SHOW SERVERS YIELD *`), the three rows verbatim.
fn manual_servers() -> Vec<ServerRecord> {
    let row = |id: &str, name: &str, port: u16, http: u16, hosting: Value| {
        vec![
            json!(id),
            json!(name),
            json!(format!("localhost:{port}")),
            json!(format!("localhost:{http}")),
            Value::Null,
            json!("Enabled"),
            json!("Available"),
            hosting.clone(),
            hosting,
            json!([]),
            json!([]),
            json!([]),
            json!("NONE"),
            json!("5.0.0-SNAPSHOT"),
        ]
    };
    let rows = table(
        SERVERS_YIELD_STAR,
        vec![
            row(
                "f4ae1895-26f1-4b93-bd31-6f482be80d3d",
                "f4ae1895-26f1-4b93-bd31-6f482be80d3d",
                7681,
                7471,
                json!(["system", "foo", "neo4j"]),
            ),
            row(
                "ffa55a5b-2aca-45fc-be09-2a894067025c",
                "ffa55a5b-2aca-45fc-be09-2a894067025c",
                7682,
                7472,
                json!(["system", "foo", "neo4j"]),
            ),
            row(
                "72bd3d0f-c1d1-4d39-9da7-015f5656e40b",
                "server3",
                7683,
                7473,
                json!(["system", "neo4j"]),
            ),
        ],
    );
    rows.iter()
        .map(|r| ServerRecord::from_record(r).expect("documented row parses"))
        .collect()
}

#[test]
fn show_servers_yield_star_from_the_manual() {
    // clustering/monitoring/show-servers-monitoring.adoc
    let servers = manual_servers();
    assert_eq!(servers.len(), 3);
    assert_eq!(servers[2].name, "server3");
    assert_eq!(servers[2].server_id, "72bd3d0f-c1d1-4d39-9da7-015f5656e40b");
    assert_eq!(servers[2].address.as_deref(), Some("localhost:7683"));
    assert!(
        servers
            .iter()
            .all(|s| s.state == ServerState::Enabled && s.health == Health::Available)
    );
    assert_eq!(servers[0].hosting, ["system", "foo", "neo4j"]);
    assert_eq!(servers[0].mode_constraint.as_deref(), Some("NONE"));
}

#[test]
fn show_servers_default_columns_and_every_documented_state() {
    // clustering/monitoring/show-servers-monitoring.adoc: default columns (name, address,
    // state, health, hosting) and "Possible values of state" / "of health";
    // clustering/servers.adoc: the lifecycle Free → Enabled ↔ Cordoned → Deallocating →
    // Deallocated → Dropped.
    for (state, want) in [
        ("Free", ServerState::Free),
        ("Enabled", ServerState::Enabled),
        ("Cordoned", ServerState::Cordoned),
        ("Deallocating", ServerState::Deallocating),
        ("Deallocated", ServerState::Deallocated),
        ("Dropped", ServerState::Dropped),
    ] {
        let r = record(json!({
            "name": "server3", "address": "localhost:7683", "state": state,
            "health": "Unavailable", "hosting": []
        }));
        let s = ServerRecord::from_record(&r).expect("parses");
        assert_eq!(s.state, want);
        assert_eq!(s.health, Health::Unavailable);
        // Without YIELD * there is no serverId: the name stands in.
        assert_eq!(s.server_id, "server3");
    }
    // `address` "May be null".
    let r = record(
        json!({"name": "s", "address": null, "state": "Free", "health": "Available", "hosting": []}),
    );
    assert_eq!(ServerRecord::from_record(&r).expect("parses").address, None);
    // A missing state is an error, not a default.
    let r = record(json!({"name": "s", "health": "Available"}));
    assert!(ServerRecord::from_record(&r).is_err());
}

const DATABASES_DEFAULT: &[&str] = &[
    "name",
    "type",
    "aliases",
    "access",
    "address",
    "role",
    "writer",
    "requestedStatus",
    "currentStatus",
    "statusMessage",
    "default",
    "home",
    "constituents",
];

/// clustering/monitoring/show-databases-monitoring.adoc, "Listing databases in a cluster",
/// the ten rows verbatim.
fn manual_databases() -> Vec<DatabaseRecord> {
    let row = |name: &str, ty: &str, port: u16, role: &str, writer: bool, default: bool| {
        vec![
            json!(name),
            json!(ty),
            json!([]),
            json!("read-write"),
            json!(format!("localhost:{port}")),
            json!(role),
            json!(writer),
            json!("online"),
            json!("online"),
            json!(""),
            json!(default),
            json!(default),
            json!([]),
        ]
    };
    let rows = table(
        DATABASES_DEFAULT,
        vec![
            row("neo4j", "standard", 7681, "primary", false, true),
            row("neo4j", "standard", 7682, "primary", false, true),
            row("neo4j", "standard", 7683, "primary", true, true),
            row("neo4j", "standard", 7684, "secondary", false, true),
            row("system", "system", 7681, "primary", true, false),
            row("system", "system", 7682, "primary", false, false),
            row("system", "system", 7683, "primary", false, false),
            row("system", "system", 7684, "secondary", false, false),
            row("foo", "standard", 7681, "primary", true, false),
            row("foo", "standard", 7684, "secondary", false, false),
        ],
    );
    rows.iter()
        .map(|r| DatabaseRecord::from_record(r).expect("documented row parses"))
        .collect()
}

#[test]
fn show_databases_cluster_listing_from_the_manual() {
    // clustering/monitoring/show-databases-monitoring.adoc ("Listing databases in a cluster")
    let rows = manual_databases();
    assert_eq!(rows.len(), 10);
    let leader = rows
        .iter()
        .find(|d| d.name == "neo4j" && d.writer)
        .expect("a writer");
    assert_eq!(leader.address.as_deref(), Some("localhost:7683"));
    assert_eq!(rows[3].role, DatabaseRole::Secondary);
    assert_eq!(rows[4].db_type, DatabaseType::System);
    assert!(rows.iter().all(DatabaseRecord::is_online));
    // Columns only YIELD * returns are absent here, and that is fine.
    assert!(rows.iter().all(|d| d.requested_primaries.is_none()));
}

#[test]
fn show_databases_yield_star_example_values() {
    // clustering/monitoring/show-databases-monitoring.adoc, "Listing more details about
    // databases": the "Example value" column of the YIELD * table.
    let r = record(json!({
        "name": "foo", "type": "standard", "aliases": [], "access": "read-write",
        "databaseID": "CC573A1DF4....", "serverID": "server3", "address": "localhost:7683",
        "role": "primary", "writer": true, "requestedStatus": "online",
        "currentStatus": "online", "statusMessage": "", "default": false, "home": true,
        "currentPrimariesCount": 3, "currentSecondariesCount": 0,
        "requestedPrimariesCount": 3, "requestedSecondariesCount": 1,
        "creationTime": "2022-09-09T12:58:21.923000000Z",
        "lastStartTime": "2022-09-09T12:58:21.923000000Z", "lastStopTime": null,
        "store": "record-aligned-1.1", "lastCommittedTxn": 2342, "replicationLag": 1,
        "constituents": []
    }));
    let d = DatabaseRecord::from_record(&r).expect("parses");
    assert_eq!(d.server_id.as_deref(), Some("server3"));
    assert_eq!(
        (
            d.current_primaries,
            d.current_secondaries,
            d.requested_primaries,
            d.requested_secondaries
        ),
        (Some(3), Some(0), Some(3), Some(1))
    );
    assert_eq!(d.last_committed_txn, Some(2342));
    assert_eq!(d.replication_lag, Some(1));
    assert_eq!(d.lag(), 1);
    // Neo4j reports lag as this - writer (negative on a lagging copy): magnitude counts.
    let mut lagging = r.clone();
    lagging.insert("replicationLag".to_owned(), json!(-17));
    assert_eq!(
        DatabaseRecord::from_record(&lagging).expect("parses").lag(),
        17
    );
}

#[test]
fn show_database_with_dirty_copies_and_offline_servers() {
    // clustering/monitoring/show-databases-monitoring.adoc: "SHOW DATABASE foo" with two
    // `dirty` copies (role "unknown"), and the note that databases on offline servers show
    // address NULL, currentStatus `unknown`, statusMessage "Server is unavailable".
    let dirty = record(json!({
        "name": "foo", "type": "standard", "aliases": [], "access": "read-write",
        "address": "localhost:7682", "role": "unknown", "writer": false,
        "requestedStatus": "online", "currentStatus": "dirty",
        "statusMessage": "An error occurred! Unable to start database ...",
        "default": true, "home": true, "constituents": []
    }));
    let d = DatabaseRecord::from_record(&dirty).expect("parses");
    assert_eq!(d.role, DatabaseRole::Unknown);
    assert!(!d.is_online());
    let offline = record(json!({
        "name": "neo4j", "type": "standard", "aliases": [], "access": "read-write",
        "address": null, "role": "unknown", "writer": false, "requestedStatus": "online",
        "currentStatus": "unknown", "statusMessage": "Server is unavailable",
        "default": true, "home": true, "constituents": []
    }));
    let d = DatabaseRecord::from_record(&offline).expect("parses");
    assert_eq!(d.address, None);
    assert_eq!(d.current_status, "unknown");
    assert_eq!(d.status_message, "Server is unavailable");
}

#[test]
fn status_check_example_from_the_manual() {
    // clustering/monitoring/status-check.adoc, "Running the status check", six rows verbatim.
    let header = [
        "database",
        "serverId",
        "serverName",
        "address",
        "replicationSuccessful",
        "memberStatus",
        "recognisedLeader",
        "recognisedLeaderTerm",
        "requester",
        "error",
    ];
    let a = "d3fe2e6a-494d-4ab8-81b1-7de2ce31ce11";
    let b = "565130e8-b8f0-41ad-8f9d-c660bd8d5519";
    let c = "58c70f4b-910d-4d0e-b0f2-3084554079ec";
    let row = |db: &str, id: &str, port: u16, leader: &str, term: i64, requester: bool| {
        vec![
            json!(db),
            json!(id),
            json!(id),
            json!(format!("localhost:{port}")),
            json!(true),
            json!("APPLYING"),
            json!(leader),
            json!(term),
            json!(requester),
            Value::Null,
        ]
    };
    let rows = table(
        &header,
        vec![
            row("neo4j", a, 7682, b, 4, false),
            row("neo4j", b, 7681, b, 4, true),
            row("neo4j", c, 7683, b, 4, false),
            row("system", b, 7681, a, 1, true),
            row("system", c, 7683, a, 1, false),
            row("system", a, 7682, a, 1, false),
        ],
    );
    let parsed: Vec<StatusCheckRecord> = rows
        .iter()
        .map(|r| StatusCheckRecord::from_record(r).expect("parses"))
        .collect();
    assert!(parsed.iter().all(|r| r.replication_successful));
    assert!(
        parsed
            .iter()
            .all(|r| r.member_status == MemberStatus::Applying)
    );
    assert_eq!(parsed.iter().filter(|r| r.requester).count(), 2);
    assert_eq!(parsed[0].recognised_leader.as_deref(), Some(b));
    assert_eq!(parsed[3].recognised_leader_term, Some(1));
    assert_eq!(parsed[0].error, None);
    // UNAVAILABLE and an error message, as the page describes them.
    let mut bad = rows[0].clone();
    bad.insert("memberStatus".to_owned(), json!("UNAVAILABLE"));
    bad.insert("replicationSuccessful".to_owned(), json!(false));
    bad.insert(
        "error".to_owned(),
        json!("database does not exist on the requester"),
    );
    let bad = StatusCheckRecord::from_record(&bad).expect("parses");
    assert_eq!(bad.member_status, MemberStatus::Unavailable);
    assert!(!bad.replication_successful);
    assert!(bad.error.is_some());
}

#[test]
fn admin_statements_follow_the_manual_syntax_with_parameters() {
    // clustering/servers.adoc: `ENABLE SERVER 'serverId'`, `DEALLOCATE DATABASES FROM SERVER
    // 'name'`, `DROP SERVER 'name'`; clustering/databases.adoc: `ALTER DATABASE foo SET
    // TOPOLOGY 2 PRIMARIES 1 SECONDARY`. The literal becomes a parameter (accepted by the
    // parser: tests/bolt_real.rs sends these to a real 5.26 server).
    assert_eq!(Statement::enable_server("s").text, "ENABLE SERVER $server");
    assert_eq!(
        Statement::deallocate_databases_from_server("s").text,
        "DEALLOCATE DATABASES FROM SERVER $server"
    );
    assert_eq!(Statement::drop_server("s").text, "DROP SERVER $server");
    assert_eq!(
        Statement::alter_database_topology("foo", 2, 1).text,
        "ALTER DATABASE $database SET TOPOLOGY 2 PRIMARIES 1 SECONDARY"
    );
}

#[test]
fn manual_cluster_maps_onto_members_with_quorum_per_database() {
    // Both manual examples above (show-servers-monitoring.adoc, show-databases-monitoring.adoc)
    // describe one cluster on localhost:7681..7684. Members are matched by advertised address.
    // Give each member a distinct host, the way pods have distinct FQDNs.
    let identities: Vec<_> = (0..4u32)
        .map(|o| neo4j_aks_topology::observed::MemberIdentity {
            ordinal: o,
            pod: format!("m-{o}"),
            addresses: vec![format!("host-{o}")],
        })
        .collect();
    let rename = |a: &str| {
        let port: u32 = a
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("port");
        format!("host-{}:7687", port - 7681)
    };
    let mut servers = manual_servers();
    for s in &mut servers {
        s.address = s.address.as_deref().map(rename);
    }
    let mut databases = manual_databases();
    for d in &mut databases {
        d.address = d.address.as_deref().map(rename);
    }
    let pods: Vec<_> = (0..4)
        .map(|o| PodObservation {
            ordinal: o,
            ready: true,
            revision: "r1".to_owned(),
            uid: format!("uid-{o}"),
        })
        .collect();
    let observed = ObservedTopology::build(&identities, &pods, &servers, &databases, 4, 0);
    assert!(observed.unmatched_servers.is_empty());
    // The fourth member (7684) has databases but no SHOW SERVERS row in the manual's example.
    assert!(observed.member(3).expect("member 3").server.is_none());
    let neo4j = &observed.databases["neo4j"];
    assert_eq!(
        (
            neo4j.requested_primaries,
            neo4j.primaries_available,
            neo4j.required
        ),
        (3, 3, 2)
    );
    assert_eq!(neo4j.leader, Some(2));
    let foo = &observed.databases["foo"];
    assert_eq!(
        (foo.requested_primaries, foo.required, foo.leader),
        (1, 1, Some(0))
    );
    let system = observed.system().expect("system");
    assert!(system.has_quorum());
    assert_eq!(system.leader, Some(0));
    assert_eq!(observed.member(0).expect("member 0").leads(), 2);
}

#[test]
fn members_match_servers_by_pod_fqdn_or_discovery_service() {
    let cluster = Neo4jCluster::from_yaml(include_str!("../../../examples/cluster-3-k8s.yaml"))
        .expect("example parses");
    let cluster = validate(&cluster).expect("example validates");
    let identities = member_identities(&cluster, 3);
    assert_eq!(
        identities[1].addresses,
        [
            "neo4j-1.neo4j-headless.neo4j.svc.cluster.local",
            "neo4j-1-discovery.neo4j.svc.cluster.local"
        ]
    );
    let server = |name: &str, address: &str| {
        ServerRecord::from_record(&record(json!({
            "serverId": name, "name": name, "address": address, "state": "Enabled",
            "health": "Available", "hosting": ["system"], "requestedHosting": ["system"]
        })))
        .expect("parses")
    };
    let servers = [
        server("a", "neo4j-0.neo4j-headless.neo4j.svc.cluster.local:7687"),
        server("b", "NEO4J-1-DISCOVERY.neo4j.svc.cluster.local.:7687"),
        server("c", "neo4j-2.neo4j-headless.neo4j.svc.cluster.local"),
        server(
            "stranger",
            "other-0.other-headless.neo4j.svc.cluster.local:7687",
        ),
    ];
    let observed = ObservedTopology::build(&identities, &[], &servers, &[], 3, 0);
    let names: Vec<_> = (0..3)
        .map(|o| {
            observed
                .member(o)
                .and_then(|m| m.server.as_ref())
                .map(|s| s.name.clone())
        })
        .collect();
    assert_eq!(
        names,
        [Some("a".into()), Some("b".into()), Some("c".into())]
    );
    assert_eq!(observed.unmatched_servers.len(), 1);
}
