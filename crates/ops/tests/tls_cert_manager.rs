//! `spec.tls.source: certManager` against the local control plane with cert-manager's own
//! controllers (testenv/cert-manager.sh builds them from the cert-manager v1.21.2 Go module; they
//! issue for real, with a CA Issuer bootstrapped from a self-signed one, as the cert-manager docs
//! describe). kwok runs no Neo4j: the members' Neo4j is SIMULATED. The operator renders one
//! Certificate per member, holds the StatefulSet until cert-manager has issued all of them,
//! gathers them into `db-tls`, carries a re-issue into `db-tls` with a new renewal time, and
//! gives a member added by a scale-up its files without a renewal.

mod support;

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::Secret;
use kube::api::{DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kube::{Resource, ResourceExt};
use neo4j_aks_model::api::annotations::CERTIFICATES_RENEWED_AT;
use neo4j_aks_ops::certificates::text_data;
use neo4j_aks_render::crd::cert_manager::{
    CaIssuer, Certificate, CertificatePrivateKey, CertificateSpec, ClusterIssuer,
    ClusterIssuerSpec, Issuer, IssuerRef, IssuerSpec, SelfSignedIssuer,
};
use neo4j_aks_testkit::cert_manager::{self, CertManager};
use support::Harness;

const MANAGER: &str = "tls-cert-manager-test";

/// A self-signed Issuer signs the CA certificate `ca` (a Secret cert-manager fills), and the CA
/// Issuer `ca` signs with it: the bootstrap of cert-manager's CA issuer documentation.
async fn ca_issuer(h: &Harness) {
    let params = PatchParams::apply(MANAGER).force();
    let selfsigned = Issuer::new(
        "selfsigned",
        IssuerSpec {
            self_signed: Some(SelfSignedIssuer {}),
            ca: None,
        },
    );
    let root = Certificate::new(
        "ca",
        CertificateSpec {
            secret_name: "ca".into(),
            issuer_ref: IssuerRef {
                name: "selfsigned".into(),
                kind: Some("Issuer".into()),
                group: Some("cert-manager.io".into()),
            },
            common_name: Some("neo4j-aks test CA".into()),
            is_ca: Some(true),
            private_key: Some(CertificatePrivateKey {
                algorithm: Some("ECDSA".into()),
                size: Some(256),
                ..CertificatePrivateKey::default()
            }),
            ..CertificateSpec::default()
        },
    );
    let ca = Issuer::new(
        "ca",
        IssuerSpec {
            ca: Some(CaIssuer {
                secret_name: "ca".into(),
            }),
            self_signed: None,
        },
    );
    h.api::<Issuer>()
        .patch("selfsigned", &params, &Patch::Apply(&selfsigned))
        .await
        .expect("self-signed Issuer");
    h.api::<Certificate>()
        .patch("ca", &params, &Patch::Apply(&root))
        .await
        .expect("CA Certificate");
    h.api::<Issuer>()
        .patch("ca", &params, &Patch::Apply(&ca))
        .await
        .expect("CA Issuer");
}

async fn secret_text(h: &Harness, name: &str) -> BTreeMap<String, String> {
    let secret = h.api::<Secret>().get_opt(name).await.expect("read secret");
    text_data(secret.as_ref())
}

async fn renewed_at(h: &Harness) -> Option<String> {
    h.api::<Secret>()
        .get("db-tls")
        .await
        .expect("db-tls")
        .metadata
        .annotations?
        .remove(CERTIFICATES_RENEWED_AT)
}

/// The test's harness with cert-manager's controllers running and the CA Issuer `ca` ready;
/// `None` (skipped) without the controllers or the testenv.
async fn with_ca_issuer(test: &str) -> Option<(Harness, CertManager)> {
    let binary = cert_manager::binary_from_env(test)?;
    let h = Harness::new(test).await?;
    let controllers = CertManager::start(&binary, h.env.kubeconfig(), h.ns()).await;
    ca_issuer(&h).await;
    Some((h, controllers))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cert_manager_issues_every_member_and_a_reissue_reaches_the_members_secret() {
    let test = "ops_tls_cert_manager";
    let Some((mut h, controllers)) = with_ca_issuer(test).await else {
        return;
    };
    let spec = h.spec(
        "  tls:\n    enabled: true\n    scopes: [bolt, https, cluster]\n    source: certManager\n    certManager:\n      issuerRef: {name: ca, kind: Issuer}\n      duration: 720h\n      renewBefore: 240h\n",
    );
    h.start_operator().await;
    h.clusters()
        .create(&PostParams::default(), &spec)
        .await
        .expect("create");
    h.wait_ready(3).await;

    // The first reconcile created the Certificates and stopped before the StatefulSet.
    let pending = h.events("CertificatesPending").await;
    let message = pending
        .first()
        .and_then(|e| e.note.clone())
        .unwrap_or_else(|| {
            panic!(
                "no CertificatesPending event; cert-manager:\n{}",
                controllers.log_text()
            )
        });
    assert!(
        message.contains("waiting for cert-manager before starting members")
            && message.contains("Certificate db-0-cert"),
        "{message}"
    );

    // One Certificate per member, owned by the Neo4jCluster, issued by the CA Issuer.
    let cluster_uid = h.clusters().get("db").await.expect("cluster").uid();
    let certificates = h
        .api::<Certificate>()
        .list(&ListParams::default().labels("neo4j-aks.io/cluster=db"))
        .await
        .expect("certificates")
        .items;
    let mut names: Vec<String> = certificates.iter().map(ResourceExt::name_any).collect();
    names.sort();
    assert_eq!(names, ["db-0-cert", "db-1-cert", "db-2-cert"]);
    for c in &certificates {
        let owners = c.meta().owner_references.clone().unwrap_or_default();
        assert!(
            owners.iter().any(|o| Some(&o.uid) == cluster_uid.as_ref()),
            "{owners:?}"
        );
    }

    // db-tls holds exactly what cert-manager issued, and the CA that signed it.
    let ca = secret_text(&h, "ca").await;
    let members = secret_text(&h, "db-tls").await;
    for pod in ["db-0", "db-1", "db-2"] {
        let issued = secret_text(&h, &format!("{pod}-cert")).await;
        assert_eq!(members[&format!("{pod}.crt")], issued["tls.crt"], "{pod}");
        assert_eq!(members[&format!("{pod}.key")], issued["tls.key"], "{pod}");
        assert!(
            issued["tls.key"].starts_with("-----BEGIN PRIVATE KEY-----"),
            "{pod}: PKCS #8 as the Certificate asks"
        );
    }
    assert_eq!(members["ca.crt"], ca["tls.crt"]);
    assert!(
        h.api::<Secret>()
            .get_opt("db-tls-ca")
            .await
            .expect("read")
            .is_none(),
        "no CA of the operator's own with source: certManager"
    );
    assert_eq!(renewed_at(&h).await, None, "a first issue is no renewal");
    let sts = h.api::<StatefulSet>().get("db").await.expect("statefulset");
    let text = serde_json::to_string(&sts.spec).expect("json");
    assert!(
        text.contains("\"name\":\"db-tls\""),
        "the members mount db-tls"
    );

    // cert-manager re-issues db-1 when its Secret is gone (its trigger controller): the new
    // certificate reaches db-tls with a renewal time, and (5.26) the pod template with it.
    let before = members["db-1.crt"].clone();
    h.api::<Secret>()
        .delete("db-1-cert", &DeleteParams::default())
        .await
        .expect("delete db-1-cert");
    let renewed =
        neo4j_aks_testkit::wait_until(support::WAIT, "db-1 re-issued into db-tls", || {
            let h = &h;
            let before = before.clone();
            async move {
                let now = secret_text(h, "db-tls").await;
                match (now.get("db-1.crt"), renewed_at(h).await) {
                    (Some(crt), Some(at)) if *crt != before => Ok(at),
                    other => Err(format!(
                        "renewed at {:?}, changed {}",
                        other.1,
                        other.0 != Some(&before)
                    )),
                }
            }
        })
        .await;
    let reissued = secret_text(&h, "db-1-cert").await;
    assert_eq!(
        secret_text(&h, "db-tls").await["db-1.crt"],
        reissued["tls.crt"]
    );
    neo4j_aks_testkit::wait_until(support::WAIT, "the renewal on the pod template", || {
        let h = &h;
        let renewed = renewed.clone();
        async move {
            let at = h
                .api::<StatefulSet>()
                .get("db")
                .await
                .map_err(|e| e.to_string())?
                .spec
                .and_then(|s| s.template.metadata)
                .and_then(|m| m.annotations)
                .and_then(|mut a| a.remove(CERTIFICATES_RENEWED_AT));
            if at.as_ref() == Some(&renewed) {
                Ok(())
            } else {
                Err(format!("{at:?}"))
            }
        }
    })
    .await;

    // Scale-up: the fourth member's Certificate is issued and gathered before it starts; its
    // first certificate is no renewal, so the running members keep their template.
    h.patch_spec(serde_json::json!({"nodeCount": 4})).await;
    h.wait_ready(4).await;
    let members = secret_text(&h, "db-tls").await;
    let issued = secret_text(&h, "db-3-cert").await;
    assert_eq!(members.get("db-3.crt"), issued.get("tls.crt"));
    assert_eq!(members.get("db-3.key"), issued.get("tls.key"));
    assert_eq!(renewed_at(&h).await, Some(renewed.clone()), "no renewal");

    // The Certificates are applied once: cert-manager changes nothing the operator renders.
    let updated: Vec<String> = h
        .events("Updated")
        .await
        .into_iter()
        .filter_map(|e| e.note)
        .filter(|m| m.contains("Certificate "))
        .collect();
    assert!(updated.is_empty(), "{updated:?}");
    drop(controllers);
    h.teardown().await;
}

/// Members issued by a self-signed Issuer each carry their own certificate as `ca.crt`: they
/// could not authenticate each other, so the operator refuses what cert-manager issued (the
/// `Degraded` condition names the Secrets) and never starts a member.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn members_signed_by_different_cas_are_refused_and_never_started() {
    let test = "ops_tls_cert_manager_refused";
    let Some((mut h, controllers)) = with_ca_issuer(test).await else {
        return;
    };
    let spec = h.spec(
        "  tls:\n    enabled: true\n    scopes: [bolt, cluster]\n    source: certManager\n    certManager:\n      issuerRef: {name: selfsigned}\n",
    );
    h.start_operator().await;
    h.clusters()
        .create(&PostParams::default(), &spec)
        .await
        .expect("create");
    let c = h
        .wait_status("Degraded=True CertificatesFailed", |c| {
            let s = c.status.clone().unwrap_or_default();
            match s.conditions.iter().find(|c| c.type_ == "Degraded") {
                Some(d) if d.reason == "CertificatesFailed" => Ok(()),
                other => Err(format!(
                    "{other:?}; cert-manager:\n{}",
                    controllers
                        .log_text()
                        .lines()
                        .rev()
                        .take(5)
                        .collect::<Vec<_>>()
                        .join("\n")
                )),
            }
        })
        .await;
    let status = c.status.unwrap_or_default();
    let degraded = status
        .conditions
        .iter()
        .find(|c| c.type_ == "Degraded")
        .expect("Degraded");
    assert!(
        degraded
            .message
            .contains("the members' Secrets carry different ca.crt")
            && degraded.message.contains("db-0-cert")
            && !degraded.message.contains("PRIVATE KEY"),
        "{}",
        degraded.message
    );
    assert!(
        h.api::<StatefulSet>()
            .get_opt("db")
            .await
            .expect("read")
            .is_none(),
        "no member may start on certificates that cannot serve"
    );
    assert!(
        !secret_text(&h, "db-tls").await.contains_key("db-0.crt"),
        "nothing gathered"
    );
    drop(controllers);
    h.teardown().await;
}

/// A ClusterIssuer (the example's kind): its CA Secret is read from the controllers' cluster
/// resource namespace, here the test's; the members are issued from it and start.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_cluster_issuer_issues_the_members() {
    let test = "ops_tls_cert_manager_cluster_issuer";
    // The bootstrap CA of ca_issuer, in the test namespace; the ClusterIssuer (cluster-wide,
    // so named after the namespace) signs with it.
    let Some((mut h, controllers)) = with_ca_issuer(test).await else {
        return;
    };
    let issuer_name = h.ns().to_string();
    let issuer = ClusterIssuer::new(
        &issuer_name,
        ClusterIssuerSpec {
            issuer: IssuerSpec {
                ca: Some(CaIssuer {
                    secret_name: "ca".into(),
                }),
                self_signed: None,
            },
        },
    );
    let issuers: kube::Api<ClusterIssuer> = kube::Api::all(h.client());
    issuers
        .patch(
            &issuer_name,
            &PatchParams::apply(MANAGER).force(),
            &Patch::Apply(&issuer),
        )
        .await
        .expect("ClusterIssuer");
    let spec = h.spec(&format!(
        "  tls:\n    enabled: true\n    scopes: [bolt, cluster]\n    source: certManager\n    certManager:\n      issuerRef: {{name: {issuer_name}, kind: ClusterIssuer}}\n"
    ));
    h.start_operator().await;
    h.clusters()
        .create(&PostParams::default(), &spec)
        .await
        .expect("create");
    h.wait_ready(3).await;
    let ca = secret_text(&h, "ca").await;
    let members = secret_text(&h, "db-tls").await;
    assert_eq!(members.get("ca.crt"), ca.get("tls.crt"));
    for pod in ["db-0", "db-1", "db-2"] {
        let issued = secret_text(&h, &format!("{pod}-cert")).await;
        assert_eq!(
            members.get(&format!("{pod}.crt")),
            issued.get("tls.crt"),
            "{pod}"
        );
    }
    drop(controllers);
    let _ = issuers.delete(&issuer_name, &DeleteParams::default()).await;
    h.teardown().await;
}
