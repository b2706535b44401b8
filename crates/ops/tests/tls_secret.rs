//! `spec.tls.source: secret` against the local control plane (testenv; kwok runs no Neo4j, the
//! members' Neo4j is SIMULATED): the operator checks the user's Secret before it applies
//! anything, refuses a bad one with every defect named, and builds the cluster on the user's
//! certificates once the Secret is fixed, with no CA of its own.

mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use k8s_openapi::ByteString;
use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::Secret;
use kube::api::{ObjectMeta, Patch, PatchParams, PostParams};
use neo4j_aks_model::api::annotations::CERTIFICATES_RENEWED_AT;
use neo4j_aks_render::certificates::{self, KeyedCertificate, Wanted};
use support::Harness;
use time::OffsetDateTime;

const USER_SECRET: &str = "db-certs";

fn condition_message(c: &neo4j_aks_model::Neo4jCluster, type_: &str) -> Option<(String, String)> {
    let cond = c
        .status
        .as_ref()?
        .conditions
        .iter()
        .find(|x| x.type_ == type_)?;
    (c.status.as_ref()?.observed_generation == c.metadata.generation)
        .then(|| (cond.status.clone(), cond.message.clone()))
}

/// The user's Secret: the CA's certificate and every member's files, each issued at the time
/// `issued` gives it (days before now) for 90 days.
fn secret_data(
    ca: &KeyedCertificate,
    wanted: &BTreeMap<String, Wanted>,
    issued_days_ago: impl Fn(&str) -> i64,
) -> BTreeMap<String, ByteString> {
    let now = OffsetDateTime::now_utc();
    let mut data = BTreeMap::from([(
        "ca.crt".to_string(),
        ByteString(ca.certificate_pem.clone().into_bytes()),
    )]);
    for (pod, wanted) in wanted {
        let at = now - time::Duration::days(issued_days_ago(pod));
        let member = certificates::issue_member(ca, pod, wanted, at, 90).expect("member");
        data.insert(
            format!("{pod}.crt"),
            ByteString(member.certificate_pem.into_bytes()),
        );
        data.insert(
            format!("{pod}.key"),
            ByteString(member.key_pem.into_bytes()),
        );
    }
    data
}

async fn put_secret(h: &Harness, data: BTreeMap<String, ByteString>) {
    let secret = Secret {
        metadata: ObjectMeta {
            name: Some(USER_SECRET.to_string()),
            namespace: Some(h.ns().to_string()),
            ..ObjectMeta::default()
        },
        data: Some(data),
        ..Secret::default()
    };
    h.api::<Secret>()
        .patch(
            USER_SECRET,
            &PatchParams::apply("tls-secret-test").force(),
            &Patch::Apply(&secret),
        )
        .await
        .expect("write the user's Secret");
}

async fn template_renewal(h: &Harness) -> Option<String> {
    h.api::<StatefulSet>()
        .get("db")
        .await
        .expect("statefulset")
        .spec?
        .template
        .metadata?
        .annotations?
        .remove(CERTIFICATES_RENEWED_AT)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_bad_user_secret_applies_nothing_and_the_fixed_one_runs_the_cluster_on_it() {
    let Some(mut h) = Harness::new("ops_tls_secret").await else {
        return;
    };
    let spec = h.spec(&format!(
        "  tls:\n    enabled: true\n    scopes: [bolt, https, cluster]\n    source: secret\n    secret:\n      name: {USER_SECRET}\n"
    ));
    let validated = neo4j_aks_model::validate(&spec).expect("valid spec");
    let wanted = neo4j_aks_ops::certificates::wanted(&validated);
    let ca = certificates::issue_ca("db", h.ns(), OffsetDateTime::now_utc(), 3650).expect("ca");
    // db-1's certificate expired ten days ago.
    put_secret(
        &h,
        secret_data(&ca, &wanted, |pod| if pod == "db-1" { 100 } else { 0 }),
    )
    .await;
    h.start_operator().await;
    h.clusters()
        .create(&PostParams::default(), &spec)
        .await
        .expect("create");
    let c = h
        .wait_status("SpecValid=False", |c| {
            match condition_message(c, "SpecValid") {
                Some((status, _)) if status == "False" => Ok(()),
                other => Err(format!("{other:?}")),
            }
        })
        .await;
    let (_, message) = condition_message(&c, "SpecValid").expect("SpecValid");
    assert!(
        message.contains("spec.tls.secret.name: Secret db-certs: db-1.crt: expired"),
        "{message}"
    );
    assert!(
        !message.contains("db-0") && !message.contains("db-2"),
        "{message}"
    );
    assert!(!message.contains("PRIVATE KEY"), "{message}");
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(
        h.api::<StatefulSet>()
            .get_opt("db")
            .await
            .expect("read")
            .is_none(),
        "nothing may be applied while the Secret is refused"
    );

    // Fixed (every certificate fresh): the operator looks again by itself and builds the cluster.
    put_secret(&h, secret_data(&ca, &wanted, |_| 0)).await;
    let c = h.wait_ready(3).await;
    let status = c.status.clone().unwrap_or_default();
    let certs = status.certificates.expect("status.certificates");
    let user = h.api::<Secret>().get(USER_SECRET).await.expect("secret");
    let data = neo4j_aks_ops::certificates::text_data(Some(&user));
    let expiry = |key: &str| certificates::expiry(&data[key]).map(certificates::rfc3339);
    assert_eq!(certs.members.len(), 3);
    for member in &certs.members {
        assert_eq!(
            member.expires_at,
            expiry(&format!("{}.crt", member.pod)),
            "{member:?}"
        );
    }
    assert_eq!(certs.ca_expires_at, expiry("ca.crt"));
    for own in ["db-tls", "db-tls-ca"] {
        assert!(
            h.api::<Secret>()
                .get_opt(own)
                .await
                .expect("read")
                .is_none(),
            "{own} must not exist with source: secret"
        );
    }
    let sts = h.api::<StatefulSet>().get("db").await.expect("statefulset");
    let text = serde_json::to_string(&sts.spec).expect("json");
    assert!(
        text.contains("\"name\":\"db-certs\""),
        "the members mount the user's Secret"
    );
    // Neo4j 5.26 loads certificates only at start: the pod template carries their digest.
    let before = template_renewal(&h).await.expect("digest on the template");
    assert!(before.starts_with("sha256:"), "{before}");

    // The user replaces db-0's certificate: a new digest, a new template revision.
    let mut renewed = user.data.clone().unwrap_or_default();
    let fresh = secret_data(&ca, &wanted, |_| 0);
    for key in ["db-0.crt", "db-0.key"] {
        renewed.insert(key.to_string(), fresh[key].clone());
    }
    put_secret(&h, renewed).await;
    neo4j_aks_testkit::wait_until(support::WAIT, "a new digest on the template", || {
        let h = &h;
        let before = before.clone();
        async move {
            match template_renewal(h).await {
                Some(now) if now != before => Ok(()),
                other => Err(format!("{other:?}")),
            }
        }
    })
    .await;
    h.teardown().await;
}
