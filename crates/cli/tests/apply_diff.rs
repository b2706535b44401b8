//! `neo4j-aks apply` and `neo4j-aks diff` against the local control plane (testenv): the real
//! binary, the testenv's admin kubeconfig, a namespace of its own.

mod support;

use std::process::Output;

use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::api::storage::v1::StorageClass;
use kube::api::{Api, DeleteParams, PostParams};
use neo4j_aks_testkit::TestEnv;
use support::{SpecFile, run_on, stderr, stdout};

fn run(env: &TestEnv, args: &[&str]) -> Output {
    run_on(env.kubeconfig(), args)
}

fn spec(ns: &str, nodes: i32, resolver: &str) -> String {
    // createStorageClass false: the CLI test leaves no cluster-scoped object behind.
    format!(
        r#"apiVersion: neo4j-aks.io/v1alpha1
kind: Neo4jCluster
metadata:
  name: db
  namespace: {ns}
spec:
  neo4jVersion: "5.26.16"
  acceptLicenseAgreement: "yes"
  nodeCount: {nodes}
  discovery:
    resolverType: {resolver}
  storage:
    className: {ns}-premium
    createStorageClass: false
"#
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_and_diff_converge_report_changes_and_never_print_the_password() {
    let Some(env) = TestEnv::connect("cli_apply_diff").await else {
        return;
    };
    let ns = env.namespace("cli_apply_diff").await;
    let spec_file = SpecFile::new(ns.name());
    let path = spec_file.path.clone();
    let write = |text: String| spec_file.write(text);

    write(spec(ns.name(), 3, "K8S"));
    let diff = run(&env, &["diff", "-f", &path]);
    assert_eq!(diff.status.code(), Some(1), "{}", stderr(&diff));
    assert!(stdout(&diff).contains("+++ desired/StatefulSet db"));

    let applied = run(&env, &["apply", "-f", &path]);
    assert!(applied.status.success(), "{}", stderr(&applied));
    let out = stdout(&applied);
    for line in [
        "created StatefulSet db",
        "created Service db-2-discovery",
        "created Role db-service-reader",
        "generated the admin password in Secret db-secrets",
    ] {
        assert!(out.contains(line), "missing `{line}` in:\n{out}");
    }
    let secret = Api::<Secret>::namespaced(env.client(), ns.name())
        .get("db-secrets")
        .await
        .expect("secret");
    let auth = secret.data.expect("data")["NEO4J_AUTH"].0.clone();
    let password = String::from_utf8(auth).expect("utf-8")["neo4j/".len()..].to_string();
    assert!(!out.contains(&password) && !stderr(&applied).contains(&password));

    // Converged: a second apply changes nothing (and keeps the password), diff is empty.
    let again = run(&env, &["apply", "-f", &path]);
    assert!(stdout(&again).contains("no changes"), "{}", stdout(&again));
    let secret = Api::<Secret>::namespaced(env.client(), ns.name())
        .get("db-secrets")
        .await
        .expect("secret");
    assert!(
        String::from_utf8_lossy(&secret.data.expect("data")["NEO4J_AUTH"].0).ends_with(&password)
    );
    let diff = run(&env, &["diff", "-f", &path]);
    assert_eq!(
        diff.status.code(),
        Some(0),
        "{}{}",
        stdout(&diff),
        stderr(&diff)
    );
    assert!(stdout(&diff).is_empty());

    // Scale up: the diff names the field; apply updates it.
    write(spec(ns.name(), 5, "K8S"));
    let diff = run(&env, &["diff", "-f", &path]);
    assert_eq!(diff.status.code(), Some(1));
    let text = stdout(&diff);
    assert!(
        text.contains("-  replicas: 3") && text.contains("+  replicas: 5"),
        "{text}"
    );
    let applied = run(&env, &["apply", "-f", &path]);
    assert!(
        stdout(&applied).contains("updated StatefulSet db"),
        "{}",
        stdout(&applied)
    );
    assert!(stdout(&applied).contains("created Service db-4-discovery"));

    // Resolver change: the K8S-only objects are deleted.
    write(spec(ns.name(), 5, "SRV"));
    let diff = run(&env, &["diff", "-f", &path]);
    assert!(
        stdout(&diff).contains("Role db-service-reader: would be deleted"),
        "{}",
        stdout(&diff)
    );
    let applied = run(&env, &["apply", "-f", &path]);
    let out = stdout(&applied);
    for line in [
        "deleted Service db-0-discovery",
        "deleted RoleBinding db-service-reader-binding",
        "deleted ServiceAccount db-sa",
    ] {
        assert!(out.contains(line), "missing `{line}` in:\n{out}");
    }
    // The config changed, and with updateStrategy OnDelete only the operator restarts members:
    // apply says which pods still run the old revision.
    let note = stderr(&applied);
    assert!(
        note.contains("db-0")
            && note.contains("older revision")
            && note.contains("apply` does not restart them"),
        "{note}"
    );

    // Invalid: exit 2 for both, nothing applied.
    write(spec(ns.name(), 2, "SRV"));
    assert_eq!(run(&env, &["diff", "-f", &path]).status.code(), Some(2));
    let refused = run(&env, &["apply", "-f", &path]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(stderr(&refused).contains("spec.nodeCount"));
    let _ = std::fs::remove_dir_all(&spec_file.dir);
    ns.cleanup().await;
}

/// diff and apply decide from one change set: a StorageClass that exists with another
/// provisioner (immutable) is reported by both as left alone, never as an update diff promises
/// and apply then refuses.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn diff_and_apply_agree_on_a_storage_class_they_cannot_change() {
    let Some(env) = TestEnv::connect("cli_class_conflict").await else {
        return;
    };
    let ns = env.namespace("cli_class_conflict").await;
    let class_name = format!("{}-taken", ns.name());
    let classes: Api<StorageClass> = Api::all(env.client());
    let taken: StorageClass = serde_json::from_value(serde_json::json!({
        "metadata": {"name": class_name},
        "provisioner": "example.com/someone-else",
        "reclaimPolicy": "Delete",
        "volumeBindingMode": "Immediate",
    }))
    .expect("class");
    classes
        .create(&PostParams::default(), &taken)
        .await
        .expect("create the other StorageClass");
    let spec_file = SpecFile::new(ns.name());
    spec_file.write(spec(ns.name(), 3, "K8S").replace(
        &format!(
            "    className: {}-premium\n    createStorageClass: false\n",
            ns.name()
        ),
        &format!("    className: {class_name}\n"),
    ));
    let path = spec_file.path.clone();
    let diff = run(&env, &["diff", "-f", &path]);
    let text = stdout(&diff);
    let note = format!(
        "StorageClass {class_name}: would be left unchanged: the existing class differs in provisioner"
    );
    assert!(text.contains(&note), "{text}");
    assert!(
        !text.contains(&format!("desired/StorageClass {class_name}")),
        "{text}"
    );
    let applied = run(&env, &["apply", "-f", &path]);
    let out = stdout(&applied);
    assert!(
        out.contains(&format!(
            "left StorageClass {class_name} unchanged: the existing class differs in provisioner"
        )),
        "{out}{}",
        stderr(&applied)
    );
    let kept = classes.get(&class_name).await.expect("class");
    assert_eq!(kept.provisioner, "example.com/someone-else");
    classes
        .delete(&class_name, &DeleteParams::default())
        .await
        .expect("delete the StorageClass");
    let _ = std::fs::remove_dir_all(&spec_file.dir);
    ns.cleanup().await;
}

/// A user's TLS Secret (`source: secret`) for members db-0..db-2, each member's certificate made
/// by `member` from the CA, the pod and the names it must carry.
fn user_tls_data(
    ca: &neo4j_aks_render::certificates::KeyedCertificate,
    wanted: &std::collections::BTreeMap<String, neo4j_aks_render::certificates::Wanted>,
    member: impl Fn(
        &str,
        &neo4j_aks_render::certificates::Wanted,
    ) -> neo4j_aks_render::certificates::KeyedCertificate,
) -> std::collections::BTreeMap<String, k8s_openapi::ByteString> {
    let mut data = std::collections::BTreeMap::from([(
        "ca.crt".to_string(),
        k8s_openapi::ByteString(ca.certificate_pem.clone().into_bytes()),
    )]);
    for (pod, names) in wanted {
        let issued = member(pod, names);
        data.insert(
            format!("{pod}.crt"),
            k8s_openapi::ByteString(issued.certificate_pem.into_bytes()),
        );
        data.insert(
            format!("{pod}.key"),
            k8s_openapi::ByteString(issued.key_pem.into_bytes()),
        );
    }
    data
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_and_diff_check_a_users_tls_secret_first_and_apply_nothing_when_it_is_bad() {
    use neo4j_aks_render::certificates::{Wanted, issue_ca, issue_member};
    use time::OffsetDateTime;
    let Some(env) = TestEnv::connect("cli_tls_secret").await else {
        return;
    };
    let ns = env.namespace("cli_tls_secret").await;
    let spec_file = SpecFile::new(ns.name());
    let path = spec_file.path.clone();
    let text = spec(ns.name(), 3, "K8S")
        + "  tls:\n    enabled: true\n    scopes: [bolt, https, cluster]\n    source: secret\n    secret:\n      name: db-certs\n";
    spec_file.write(text.clone());
    let validated = neo4j_aks_model::validate(
        &neo4j_aks_model::Neo4jCluster::from_yaml(&text).expect("parses"),
    )
    .expect("valid");
    let wanted = neo4j_aks_ops::certificates::wanted(&validated);
    let sts_exists = || async {
        Api::<k8s_openapi::api::apps::v1::StatefulSet>::namespaced(env.client(), ns.name())
            .get_opt("db")
            .await
            .expect("read")
            .is_some()
    };

    // No Secret yet: refused, with the keys it must hold.
    let applied = run(&env, &["apply", "-f", &path]);
    assert_eq!(applied.status.code(), Some(2), "{}", stderr(&applied));
    let err = stderr(&applied);
    assert!(
        err.contains("spec.tls.secret.name: Secret db-certs does not exist")
            && err.contains("create it first")
            && err.contains("db-0, db-1, db-2"),
        "{err}"
    );

    // db-0 signed by another CA, db-2 without its names: both told at once, nothing applied.
    let now = OffsetDateTime::now_utc();
    let ca = issue_ca("db", ns.name(), now, 3650).expect("ca");
    let other = issue_ca("db", ns.name(), now, 3650).expect("ca");
    let narrow = Wanted {
        dns_names: vec!["localhost".into()],
        ip_addresses: Vec::new(),
    };
    let bad = user_tls_data(&ca, &wanted, |pod, names| match pod {
        "db-0" => issue_member(&other, pod, names, now, 90).expect("member"),
        "db-2" => issue_member(&ca, pod, &narrow, now, 90).expect("member"),
        _ => issue_member(&ca, pod, names, now, 90).expect("member"),
    });
    let secrets = Api::<Secret>::namespaced(env.client(), ns.name());
    let secret = |data| Secret {
        metadata: kube::api::ObjectMeta {
            name: Some("db-certs".into()),
            ..Default::default()
        },
        data: Some(data),
        ..Default::default()
    };
    secrets
        .create(&PostParams::default(), &secret(bad))
        .await
        .expect("create the user's Secret");
    for command in ["diff", "apply"] {
        let out = run(&env, &[command, "-f", &path]);
        assert_eq!(out.status.code(), Some(2), "{command}: {}", stderr(&out));
        let err = stderr(&out);
        for line in [
            "error: spec.tls.secret.name: Secret db-certs: db-0.crt: not signed by ca.crt",
            "error: spec.tls.secret.name: Secret db-certs: db-2.crt: lacks DNS names db-2.db-headless",
            "error: spec.tls.secret.name: Secret db-certs: db-2.crt: lacks IP address 127.0.0.1",
        ] {
            assert!(err.contains(line), "{command}: missing `{line}` in:\n{err}");
        }
        assert!(
            !err.contains("db-1") && !err.contains("PRIVATE KEY"),
            "{err}"
        );
    }
    assert!(!sts_exists().await, "nothing may be applied");

    // Fixed: applied on the user's certificates, with no CA of neo4j-aks's own.
    let good = user_tls_data(&ca, &wanted, |pod, names| {
        issue_member(&ca, pod, names, now, 90).expect("member")
    });
    secrets
        .replace("db-certs", &PostParams::default(), &secret(good))
        .await
        .expect("replace the user's Secret");
    let applied = run(&env, &["apply", "-f", &path]);
    assert!(applied.status.success(), "{}", stderr(&applied));
    assert!(stdout(&applied).contains("created StatefulSet db"));
    assert!(sts_exists().await);
    for own in ["db-tls", "db-tls-ca"] {
        assert!(
            secrets.get_opt(own).await.expect("read").is_none(),
            "{own} must not exist"
        );
    }
    let _ = Api::<neo4j_aks_model::Neo4jCluster>::namespaced(env.client(), ns.name())
        .delete("db", &DeleteParams::default())
        .await;
}
