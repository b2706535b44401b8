//! `neo4j-aks certs status|rotate`: the generated TLS certificates of a running cluster
//! (docs/security/tls.md).
//!
//! `status` reads the Secret `<name>-tls` itself (not the operator's copy in the status), so it
//! shows what the members mount now. `rotate` stamps the Neo4jCluster with
//! `neo4j-aks.io/rotate-certificates-requested-at`; the operator issues every member a new
//! certificate and restarts the members one at a time to load it, and this command follows
//! until the last member runs with its new certificate.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use clap::{Args, Subcommand};
use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, ListParams};
use kube::{Client, ResourceExt};
use neo4j_aks_model::api::annotations::{
    CERTIFICATES_RENEWED_AT, ROTATE_CA_REQUESTED_AT, ROTATE_CERTIFICATES_REQUESTED_AT,
    TRUSTED_CA_ADDED_AT,
};
use neo4j_aks_model::{
    CertificatesStatus, MemberCertificateStatus, Neo4jCluster, ValidatedCluster,
};
use serde::Serialize;
use serde_json::json;

use crate::Failure;
use crate::day2::{Following, StatusFormat, Target};

#[derive(Subcommand)]
pub enum CertsCommand {
    /// Show when the CA, each scope and each member's certificate expire, and when the running
    /// members' certificates were last renewed.
    ///
    /// Reads the Secret <name>-tls through the current kube context. `-o json` prints the
    /// same document the operator keeps in status.certificates.
    Status(CertsStatusArgs),
    /// Issue every member a new certificate now, then restart the members one at a time
    /// (keeping every database's quorum) so that each serves it.
    ///
    /// Sets the annotation neo4j-aks.io/rotate-certificates-requested-at; the operator does the
    /// rest and this command follows. The CA is kept. Exit 0: every member runs with its new
    /// certificate (or requested, with --no-wait); 1: error; 2: refused before anything changed
    /// (TLS off, invalid spec); 3: still in progress (timeout, Ctrl-C).
    Rotate(CertsRotateArgs),
}

#[derive(Args)]
pub struct CertsStatusArgs {
    #[command(flatten)]
    pub target: Target,
    #[arg(short = 'o', long = "output", value_enum, default_value_t = StatusFormat::Table)]
    pub output: StatusFormat,
}

#[derive(Args)]
pub struct CertsRotateArgs {
    #[command(flatten)]
    pub target: Target,
    /// Replace the CA too. Every member is restarted twice, one at a time: first to trust the
    /// new CA beside the current one, then to serve a certificate of the new CA (on 2025.03+
    /// with Bolt TLS the second step reloads instead of restarting). The previous CA stays
    /// trusted until it expires.
    #[arg(long)]
    pub ca: bool,
    #[command(flatten)]
    pub following: Following,
}

pub fn run(command: &CertsCommand) -> Result<(), Failure> {
    match command {
        CertsCommand::Status(args) => status(args),
        CertsCommand::Rotate(args) => rotate(args),
    }
}

fn status(args: &CertsStatusArgs) -> Result<(), Failure> {
    crate::day2::runtime()?.block_on(async {
        let (client, _, api) = crate::day2::client_and_api(&args.target).await?;
        let cluster = crate::day2::fetch(&api, &args.target).await?;
        let validated = tls_cluster(&cluster)?;
        let inventory = inventory(&client, &validated).await?;
        let text = match args.output {
            StatusFormat::Table => table(
                &args.target.name,
                &inventory,
                validated.tls.as_ref().and_then(|t| t.user_secret()),
            ),
            StatusFormat::Json => serde_json::to_string_pretty(&inventory)
                .map(|t| t + "\n")
                .map_err(|e| Failure::output("the certificate status")(e.to_string()))?,
        };
        crate::print(&text)
    })
}

fn rotate(args: &CertsRotateArgs) -> Result<(), Failure> {
    crate::day2::runtime()?.block_on(async {
        let name = &args.target.name;
        let (client, namespace, api) = crate::day2::client_and_api(&args.target).await?;
        let cluster = crate::day2::fetch(&api, &args.target).await?;
        let validated = tls_cluster(&cluster)?;
        if let Some(secret) = validated.tls.as_ref().and_then(|t| t.user_secret()) {
            return Err(Failure::Refused(format!(
                "nothing was changed: Neo4jCluster {name} uses certificates you provide (spec.tls.source: secret); replace the certificates in Secret {secret} and the operator rolls or reloads the members (docs/security/tls.md)"
            )));
        }
        if validated.tls.as_ref().and_then(|t| t.cert_manager()).is_some() {
            let certificates: Vec<String> = (0..validated.members.rendered())
                .map(|i| neo4j_aks_render::cert_manager::certificate_name(&validated.pod_name(i)))
                .collect();
            return Err(Failure::Refused(format!(
                "nothing was changed: Neo4jCluster {name} gets its certificates from cert-manager (spec.tls.source: certManager); have cert-manager renew them (cmctl renew -n {namespace} {}) and the operator rolls or reloads the members (docs/security/tls.md)",
                certificates.join(" ")
            )));
        }
        let at = crate::day2::now();
        let stamp = crate::day2::restart::stamp(at);
        let (annotation, what) = if args.ca {
            (ROTATE_CA_REQUESTED_AT, "CA rotation")
        } else {
            (ROTATE_CERTIFICATES_REQUESTED_AT, "certificate rotation")
        };
        crate::day2::write(
            &api,
            name,
            &json!({"metadata": {"annotations": {annotation: stamp}}}),
        )
        .await?;
        println!("{name}: {what} requested at {stamp}");
        if args.following.no_wait {
            println!(
                "the operator issues new certificates and restarts one member at a time; follow with `neo4j-aks certs status {}`",
                args.target.shown()
            );
            return Ok(());
        }
        let members = Members {
            statefulsets: Api::namespaced(client.clone(), &namespace),
            pods: Api::namespaced(client.clone(), &namespace),
            client,
        };
        follow(
            &members,
            &api,
            &args.target,
            Request { at, ca: args.ca },
            args.following.timeout,
        )
        .await
    })
}

/// The cluster validated, or a refusal when it has no generated TLS to show or rotate.
fn tls_cluster(cluster: &Neo4jCluster) -> Result<ValidatedCluster, Failure> {
    let validated = neo4j_aks_model::validate(cluster).map_err(|invalid| {
        Failure::Refused(format!(
            "nothing was changed: the Neo4jCluster's spec is invalid:\n{invalid}"
        ))
    })?;
    if validated.tls.is_none() {
        return Err(Failure::Refused(format!(
            "nothing was changed: Neo4jCluster {} has no TLS (spec.tls.enabled is not true)",
            cluster.name_any()
        )));
    }
    Ok(validated)
}

async fn inventory(
    client: &Client,
    cluster: &ValidatedCluster,
) -> Result<CertificatesStatus, Failure> {
    neo4j_aks_ops::certificates::read_inventory(client, cluster)
        .await
        .map_err(|e| Failure::Refused(e.to_string()))?
        .ok_or_else(|| Failure::Refused("the cluster has no TLS".to_string()))
}

/// `user_secret`: the Secret the certificates come from with `source: secret` (neo4j-aks
/// renews nothing then).
fn table(name: &str, c: &CertificatesStatus, user_secret: Option<&str>) -> String {
    let or_dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".to_string());
    let origin = match user_secret {
        Some(secret) => format!("members' certificates provided in Secret {secret}"),
        None => format!(
            "members' certificates last renewed {}",
            c.renewed_at.as_deref().unwrap_or("never")
        ),
    };
    let mut out = format!(
        "{name}: CA expires {}, {origin}\n\nSCOPE    EXPIRES\n",
        or_dash(&c.ca_expires_at)
    );
    for s in &c.scopes {
        out.push_str(&format!("{:<8} {}\n", s.scope, or_dash(&s.expires_at)));
    }
    out.push_str("\nMEMBER   ISSUED                 EXPIRES\n");
    for m in &c.members {
        out.push_str(&format!(
            "{:<8} {:<22} {}\n",
            m.pod,
            or_dash(&m.issued_at),
            or_dash(&m.expires_at)
        ));
    }
    out
}

/// A rotation request: when, and whether of the CA too.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Request {
    pub at: Timestamp,
    pub ca: bool,
}

/// How far a rotation requested at `at` has come.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum Progress {
    /// CA rotation, step 1: members not yet restarted to trust the new CA beside the current
    /// one (all of them until the operator has issued it).
    TrustingNewCa {
        pending: Vec<String>,
    },
    /// Some member's certificate predates the request.
    Issuing {
        pending: Vec<String>,
    },
    /// Issued; members still run a pod from before the renewal.
    Restarting {
        pending: Vec<String>,
    },
    /// Issued (2025.03+); members not yet presenting it on Bolt (the operator reloads them).
    Reloading {
        pending: Vec<String>,
    },
    Done,
}

/// How renewed certificates reach the members.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Loading {
    /// A rolling restart (before 2025.03, or Bolt without TLS).
    Restart,
    /// `CALL dbms.security.reloadTLS()` on each member; the operator's status says which
    /// members present the new certificate.
    Reload,
}

/// Pure: the certificates, the StatefulSet and the member pods → where the rotation stands.
/// A member is done when its certificate was issued after `at` and, with [`Loading::Restart`],
/// its pod runs the pod template that carries the renewal and is Ready; with
/// [`Loading::Reload`], the operator saw it present the new certificate (`presented`: pod →
/// `status.certificates.members[].presented`).
pub fn progress(
    request: Request,
    certificates: &CertificatesStatus,
    loading: Loading,
    statefulset: Option<&StatefulSet>,
    pods: &[Pod],
    presented: &BTreeMap<String, String>,
) -> Progress {
    let at = request.at;
    let issued_after = |t: &Option<String>| {
        t.as_deref()
            .and_then(|t| t.parse::<Timestamp>().ok())
            .is_some_and(|t| t >= at)
    };
    let everyone = || certificates.members.iter().map(|m| m.pod.clone()).collect();
    if request.ca && !issued_after(&certificates.ca_issued_at) {
        // Step 1 of the CA rotation: the members restart to trust the new CA (issued after
        // the request) before any of them is given a certificate of it.
        if certificates.next_ca_expires_at.is_none()
            || !issued_after(&certificates.trusted_ca_added_at)
        {
            return Progress::TrustingNewCa {
                pending: everyone(),
            };
        }
        let pending = not_rolled(
            statefulset,
            pods,
            &certificates.members,
            TRUSTED_CA_ADDED_AT,
            certificates.trusted_ca_added_at.as_ref(),
        );
        return Progress::TrustingNewCa {
            pending: if pending.is_empty() {
                // Every member trusts both; the operator switches them next.
                everyone()
            } else {
                pending
            },
        };
    }
    let pending: Vec<String> = certificates
        .members
        .iter()
        .filter(|m| !issued_after(&m.issued_at))
        .map(|m| m.pod.clone())
        .collect();
    if !pending.is_empty() || !issued_after(&certificates.renewed_at) {
        return Progress::Issuing { pending };
    }
    if loading == Loading::Reload {
        let pending: Vec<String> = certificates
            .members
            .iter()
            .filter(|m| presented.get(&m.pod).map(String::as_str) != Some("Current"))
            .map(|m| m.pod.clone())
            .collect();
        return if pending.is_empty() {
            Progress::Done
        } else {
            Progress::Reloading { pending }
        };
    }
    let pending = not_rolled(
        statefulset,
        pods,
        &certificates.members,
        CERTIFICATES_RENEWED_AT,
        certificates.renewed_at.as_ref(),
    );
    if pending.is_empty() {
        Progress::Done
    } else {
        Progress::Restarting { pending }
    }
}

/// Members whose pod does not yet run the pod template that carries `annotation` = `value`,
/// or is not Ready.
fn not_rolled(
    statefulset: Option<&StatefulSet>,
    pods: &[Pod],
    members: &[MemberCertificateStatus],
    annotation: &str,
    value: Option<&String>,
) -> Vec<String> {
    let in_template = statefulset
        .and_then(|s| s.spec.as_ref())
        .and_then(|s| s.template.metadata.as_ref())
        .and_then(|m| m.annotations.as_ref())
        .and_then(|a| a.get(annotation));
    let update_revision = statefulset
        .and_then(|s| s.status.as_ref())
        .and_then(|s| s.update_revision.as_ref());
    let by_name: BTreeMap<String, &Pod> = pods.iter().map(|p| (p.name_any(), p)).collect();
    let rolled = |pod: &str| {
        by_name.get(pod).is_some_and(|p| {
            p.labels().get("controller-revision-hash") == update_revision
                && p.metadata.deletion_timestamp.is_none()
                && p.status
                    .as_ref()
                    .and_then(|s| s.conditions.as_ref())
                    .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
        })
    };
    let in_template = in_template.is_some() && in_template == value;
    members
        .iter()
        .filter(|m| !in_template || !rolled(&m.pod))
        .map(|m| m.pod.clone())
        .collect()
}

/// What `rotate` reads while it follows, besides the Neo4jCluster.
struct Members {
    client: Client,
    statefulsets: Api<StatefulSet>,
    pods: Api<Pod>,
}

async fn follow(
    members: &Members,
    api: &Api<Neo4jCluster>,
    target: &Target,
    request: Request,
    timeout: Duration,
) -> Result<(), Failure> {
    let at = request.at;
    let started = Instant::now();
    let again = format!(
        "the operator carries on; follow with `neo4j-aks certs status {}`",
        target.shown()
    );
    let mut last = None;
    let interrupted = tokio::signal::ctrl_c();
    tokio::pin!(interrupted);
    loop {
        let cluster = crate::day2::fetch(api, target).await?;
        let validated = tls_cluster(&cluster)?;
        let certificates = inventory(&members.client, &validated).await?;
        let statefulset = members
            .statefulsets
            .get_opt(&validated.statefulset_name())
            .await
            .map_err(Failure::kubernetes(
                "cannot read the StatefulSet".to_string(),
            ))?;
        let selector = neo4j_aks_ops::observe::selector_string(&validated);
        let member_pods = members
            .pods
            .list(&ListParams::default().labels(&selector))
            .await
            .map_err(Failure::kubernetes(
                "cannot list the member pods".to_string(),
            ))?
            .items;
        let loading = if neo4j_aks_render::tls::reloads_without_restart(&validated) {
            Loading::Reload
        } else {
            Loading::Restart
        };
        // The operator's last look at the members (it writes the status after it reloaded).
        let presented: BTreeMap<String, String> = cluster
            .status
            .as_ref()
            .and_then(|s| s.certificates.as_ref())
            .map(|c| {
                c.members
                    .iter()
                    .filter_map(|m| Some((m.pod.clone(), m.presented.clone()?)))
                    .collect()
            })
            .unwrap_or_default();
        let now = progress(
            request,
            &certificates,
            loading,
            statefulset.as_ref(),
            &member_pods,
            &presented,
        );
        if last.as_ref() != Some(&now) {
            match &now {
                Progress::TrustingNewCa { pending } => println!(
                    "a new CA: members restart one at a time to trust it beside the current one (waiting for: {})",
                    pending.join(", ")
                ),
                Progress::Issuing { pending } => {
                    println!(
                        "issuing new certificates (waiting for: {})",
                        pending.join(", ")
                    )
                }
                Progress::Restarting { pending } => println!(
                    "restarting members one at a time to load them (waiting for: {})",
                    pending.join(", ")
                ),
                Progress::Reloading { pending } => println!(
                    "members reload them without a restart (waiting for: {})",
                    pending.join(", ")
                ),
                Progress::Done => {
                    println!(
                        "done: every member serves a certificate issued after {} (expires {}) after {:.0}s",
                        crate::day2::restart::stamp(at),
                        certificates.expires_at.as_deref().unwrap_or("-"),
                        started.elapsed().as_secs_f64()
                    );
                    return Ok(());
                }
            }
            last = Some(now);
        }
        if started.elapsed() >= timeout {
            return Err(Failure::Unfinished(format!(
                "still rotating after {}s; {again}",
                timeout.as_secs()
            )));
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(2)) => {}
            _ = &mut interrupted => {
                return Err(Failure::Unfinished(format!("interrupted; {again}")));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::apps::v1::{StatefulSetSpec, StatefulSetStatus};
    use k8s_openapi::api::core::v1::{PodCondition, PodStatus, PodTemplateSpec};
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
    use neo4j_aks_model::MemberCertificateStatus;

    const AT: &str = "2026-12-04T12:00:00Z";
    const AFTER: &str = "2026-12-04T12:00:03Z";
    const BEFORE: &str = "2026-09-01T00:00:00Z";

    fn certificates(issued: &[&str], renewed: Option<&str>) -> CertificatesStatus {
        CertificatesStatus {
            renewed_at: renewed.map(str::to_string),
            members: issued
                .iter()
                .enumerate()
                .map(|(i, t)| MemberCertificateStatus {
                    pod: format!("db-{i}"),
                    issued_at: Some(t.to_string()),
                    expires_at: None,
                    presented: None,
                })
                .collect(),
            ..CertificatesStatus::default()
        }
    }

    fn statefulset(renewed: &str, revision: &str) -> StatefulSet {
        StatefulSet {
            spec: Some(StatefulSetSpec {
                template: PodTemplateSpec {
                    metadata: Some(ObjectMeta {
                        annotations: Some(
                            [(CERTIFICATES_RENEWED_AT.to_string(), renewed.to_string())].into(),
                        ),
                        ..ObjectMeta::default()
                    }),
                    spec: None,
                },
                ..StatefulSetSpec::default()
            }),
            status: Some(StatefulSetStatus {
                update_revision: Some(revision.to_string()),
                ..StatefulSetStatus::default()
            }),
            ..StatefulSet::default()
        }
    }

    fn pod(name: &str, revision: &str, ready: bool) -> Pod {
        Pod {
            metadata: ObjectMeta {
                name: Some(name.to_string()),
                labels: Some(
                    [("controller-revision-hash".to_string(), revision.to_string())].into(),
                ),
                ..ObjectMeta::default()
            },
            status: Some(PodStatus {
                conditions: Some(vec![PodCondition {
                    type_: "Ready".into(),
                    status: if ready { "True" } else { "False" }.into(),
                    ..PodCondition::default()
                }]),
                ..PodStatus::default()
            }),
            ..Pod::default()
        }
    }

    fn at() -> Timestamp {
        AT.parse().expect("time")
    }

    fn request() -> Request {
        Request {
            at: at(),
            ca: false,
        }
    }

    fn none() -> BTreeMap<String, String> {
        BTreeMap::new()
    }

    /// `rotate --ca`: step 1 until every member runs the pod template that trusts the new CA,
    /// then the member rotation's own steps once the new CA signs.
    #[test]
    fn a_ca_rotation_waits_for_every_member_to_trust_the_new_ca_first() {
        let ca = Request { at: at(), ca: true };
        let mut certs = certificates(&[BEFORE, BEFORE, BEFORE], Some(BEFORE));
        certs.ca_issued_at = Some(BEFORE.into());
        let all = || vec!["db-0".to_string(), "db-1".into(), "db-2".into()];
        let progress_of = |certs: &CertificatesStatus, sts: Option<&StatefulSet>, pods: &[Pod]| {
            progress(ca, certs, Loading::Restart, sts, pods, &none())
        };
        // Not introduced yet.
        assert_eq!(
            progress_of(&certs, None, &[]),
            Progress::TrustingNewCa { pending: all() }
        );
        // Introduced: db-0 already runs the template that trusts it.
        certs.next_ca_expires_at = Some("2036-12-01T00:00:00Z".into());
        certs.trusted_ca_added_at = Some(AFTER.into());
        let mut sts = statefulset(BEFORE, "r2");
        if let Some(m) = sts.spec.as_mut().and_then(|s| s.template.metadata.as_mut()) {
            m.annotations = Some([(TRUSTED_CA_ADDED_AT.to_string(), AFTER.to_string())].into());
        }
        let pods = [
            pod("db-0", "r2", true),
            pod("db-1", "r1", true),
            pod("db-2", "r1", true),
        ];
        assert_eq!(
            progress_of(&certs, Some(&sts), &pods),
            Progress::TrustingNewCa {
                pending: vec!["db-1".into(), "db-2".into()]
            }
        );
        // The member rotation's view takes over once the new CA signs.
        certs.ca_issued_at = Some(AFTER.into());
        assert_eq!(
            progress_of(&certs, Some(&sts), &pods),
            Progress::Issuing { pending: all() }
        );
        // A plain rotation ignores the CA.
        assert_eq!(
            progress(
                request(),
                &certs,
                Loading::Restart,
                Some(&sts),
                &pods,
                &none()
            ),
            Progress::Issuing { pending: all() }
        );
    }

    #[test]
    fn with_reload_a_rotation_is_done_when_every_member_presents_the_new_certificate() {
        let issued = certificates(&[AFTER, AFTER, AFTER], Some(AFTER));
        let presented = |states: [&str; 3]| -> BTreeMap<String, String> {
            states
                .iter()
                .enumerate()
                .map(|(i, s)| (format!("db-{i}"), s.to_string()))
                .collect()
        };
        // No pod restarts, no template change: what the members present decides.
        assert_eq!(
            progress(
                request(),
                &issued,
                Loading::Reload,
                None,
                &[],
                &presented(["Current", "Outdated", "Unknown"])
            ),
            Progress::Reloading {
                pending: vec!["db-1".into(), "db-2".into()]
            }
        );
        assert_eq!(
            progress(
                request(),
                &issued,
                Loading::Reload,
                None,
                &[],
                &presented(["Current", "Current", "Current"])
            ),
            Progress::Done
        );
    }

    #[test]
    fn a_rotation_is_done_only_when_every_member_restarted_on_the_renewed_template() {
        let old = certificates(&[BEFORE, BEFORE, BEFORE], Some(BEFORE));
        assert_eq!(
            progress(request(), &old, Loading::Restart, None, &[], &none()),
            Progress::Issuing {
                pending: vec!["db-0".into(), "db-1".into(), "db-2".into()]
            }
        );
        let issued = certificates(&[AFTER, AFTER, AFTER], Some(AFTER));
        // The StatefulSet does not carry the renewal yet: nobody restarted for it.
        let pods = [
            pod("db-0", "r2", true),
            pod("db-1", "r2", true),
            pod("db-2", "r2", true),
        ];
        assert_eq!(
            progress(
                request(),
                &issued,
                Loading::Restart,
                Some(&statefulset(BEFORE, "r2")),
                &pods,
                &none()
            ),
            Progress::Restarting {
                pending: vec!["db-0".into(), "db-1".into(), "db-2".into()]
            }
        );
        // Rolling: db-2 restarted and is Ready, db-1 restarted but not Ready, db-0 old.
        let rolling = [
            pod("db-0", "r2", true),
            pod("db-1", "r3", false),
            pod("db-2", "r3", true),
        ];
        assert_eq!(
            progress(
                request(),
                &issued,
                Loading::Restart,
                Some(&statefulset(AFTER, "r3")),
                &rolling,
                &none()
            ),
            Progress::Restarting {
                pending: vec!["db-0".into(), "db-1".into()]
            }
        );
        let rolled = [
            pod("db-0", "r3", true),
            pod("db-1", "r3", true),
            pod("db-2", "r3", true),
        ];
        assert_eq!(
            progress(
                request(),
                &issued,
                Loading::Restart,
                Some(&statefulset(AFTER, "r3")),
                &rolled,
                &none()
            ),
            Progress::Done
        );
    }

    #[test]
    fn the_table_says_where_the_certificates_come_from() {
        let c = certificates(&[AFTER], Some(AFTER));
        assert!(table("db", &c, None).starts_with(&format!(
            "db: CA expires -, members' certificates last renewed {AFTER}\n"
        )));
        assert!(
            table("db", &c, Some("db-certs")).starts_with(
                "db: CA expires -, members' certificates provided in Secret db-certs\n"
            )
        );
    }

    #[test]
    fn a_member_issued_before_the_request_keeps_the_rotation_issuing() {
        let partly = certificates(&[AFTER, BEFORE, AFTER], Some(AFTER));
        assert_eq!(
            progress(request(), &partly, Loading::Restart, None, &[], &none()),
            Progress::Issuing {
                pending: vec!["db-1".into()]
            }
        );
    }
}
