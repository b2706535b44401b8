//! `bench NAME` without `--bolt`: the Bolt address and the CA to trust, found from the
//! Neo4jCluster through the kube context. Pure: [`address`] decides from the objects read.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Service;
use neo4j_aks_model::ValidatedCluster;
use neo4j_aks_model::validated::TlsScope;
use neo4j_aks_render::ports;

/// Where the bench connects, and the CA bundle to verify the members with (TLS on Bolt).
#[derive(Clone, Debug, PartialEq)]
pub struct Discovered {
    pub uri: String,
    pub ca_pem: Option<String>,
}

/// The client Service's external address (its first load-balancer ingress, IP before host
/// name) and Bolt port; inside a cluster (`in_cluster`), the Service's cluster DNS name, or the
/// headless Service's when there is no client Service. TLS on Bolt gives `neo4j+s` and the CAs
/// of `<name>-tls` (`tls_data`, its data as text).
pub fn address(
    cluster: &ValidatedCluster,
    namespace: &str,
    client_service: Option<&Service>,
    tls_data: Option<&BTreeMap<String, String>>,
    in_cluster: bool,
) -> Result<Discovered, String> {
    let name = &cluster.name;
    let lb_name = cluster.load_balancer_name();
    let bolt_port = |service: &Service| {
        service
            .spec
            .as_ref()
            .and_then(|s| s.ports.as_ref())
            .and_then(|ports| {
                ports
                    .iter()
                    .find(|p| p.name.as_deref() == Some("bolt"))
                    .or_else(|| {
                        ports
                            .iter()
                            .find(|p| p.target_port.is_none() && p.port == ports::BOLT)
                    })
                    .map(|p| p.port)
            })
    };
    let external = client_service.and_then(|service| {
        let ingress = service
            .status
            .as_ref()
            .and_then(|s| s.load_balancer.as_ref())
            .and_then(|lb| lb.ingress.as_ref())
            .and_then(|i| i.first())?;
        let host = ingress.ip.clone().or_else(|| ingress.hostname.clone())?;
        Some((host, bolt_port(service).unwrap_or(ports::BOLT)))
    });
    let (host, port) = match (external, client_service, in_cluster) {
        (Some(found), _, _) => found,
        (None, Some(service), true) => (
            format!("{lb_name}.{namespace}.svc.cluster.local"),
            bolt_port(service).unwrap_or(ports::BOLT),
        ),
        (None, None, true) => (
            format!(
                "{}.{namespace}.svc.cluster.local",
                cluster.headless_service_name()
            ),
            ports::BOLT,
        ),
        (None, Some(_), false) => {
            return Err(format!(
                "Neo4jCluster {name}: Service {lb_name} has no external address yet; wait for it \
                 (kubectl get service {lb_name} -n {namespace}), run the bench in the cluster, or \
                 port-forward and pass --bolt (docs/bench.md)"
            ));
        }
        (None, None, false) => {
            return Err(format!(
                "Neo4jCluster {name}: no client Service {lb_name} (spec.loadBalancer is off), so no \
                 address outside the cluster; run the bench in the cluster, or port-forward and \
                 pass --bolt (docs/bench.md)"
            ));
        }
    };
    let tls = cluster
        .tls
        .as_ref()
        .is_some_and(|t| t.covers(TlsScope::Bolt));
    let ca_pem = if tls {
        let secret = neo4j_aks_render::tls::secret_name(cluster);
        let pem = tls_data
            .and_then(neo4j_aks_render::tls::trusted_cas_pem)
            .ok_or_else(|| {
                format!(
                    "Neo4jCluster {name}: Bolt requires TLS but Secret {secret} holds no CA (yet); pass --bolt and --ca-file"
                )
            })?;
        Some(pem)
    } else {
        None
    };
    let scheme = if tls { "neo4j+s" } else { "neo4j" };
    let host = if host.contains(':') {
        // An IPv6 address in a URI.
        format!("[{host}]")
    } else {
        host
    };
    Ok(Discovered {
        uri: format!("{scheme}://{host}:{port}"),
        ca_pem,
    })
}

#[cfg(test)]
mod tests {
    use k8s_openapi::api::core::v1::{
        LoadBalancerIngress, LoadBalancerStatus, ServicePort, ServiceSpec, ServiceStatus,
    };

    use super::*;
    use crate::day2::fixtures::cluster;

    fn validated(tls: bool) -> ValidatedCluster {
        let mut c = cluster(3);
        if tls {
            c.spec.tls = Some(neo4j_aks_model::spec::TlsSpec {
                enabled: Some(true),
                ..Default::default()
            });
        }
        neo4j_aks_model::validate(&c).expect("valid")
    }

    fn service(ingress: Option<LoadBalancerIngress>, port: i32) -> Service {
        Service {
            spec: Some(ServiceSpec {
                ports: Some(vec![
                    ServicePort {
                        name: Some("http".into()),
                        port: 7474,
                        ..ServicePort::default()
                    },
                    ServicePort {
                        name: Some("bolt".into()),
                        port,
                        ..ServicePort::default()
                    },
                ]),
                ..ServiceSpec::default()
            }),
            status: Some(ServiceStatus {
                load_balancer: Some(LoadBalancerStatus {
                    ingress: ingress.map(|i| vec![i]),
                }),
                ..ServiceStatus::default()
            }),
            ..Service::default()
        }
    }

    fn ip(ip: &str) -> Option<LoadBalancerIngress> {
        Some(LoadBalancerIngress {
            ip: Some(ip.into()),
            ..LoadBalancerIngress::default()
        })
    }

    #[test]
    fn the_load_balancer_address_and_bolt_port_come_first() {
        let lb = service(ip("20.1.2.3"), 17687);
        let found = address(&validated(false), "prod", Some(&lb), None, true).expect("found");
        assert_eq!(found.uri, "neo4j://20.1.2.3:17687");
        assert_eq!(found.ca_pem, None);
        let v6 = service(ip("2001:db8::1"), 7687);
        let found = address(&validated(false), "prod", Some(&v6), None, false).expect("found");
        assert_eq!(found.uri, "neo4j://[2001:db8::1]:7687");
        let host = service(
            Some(LoadBalancerIngress {
                hostname: Some("db.example.com".into()),
                ..LoadBalancerIngress::default()
            }),
            7687,
        );
        let found = address(&validated(false), "prod", Some(&host), None, false).expect("found");
        assert_eq!(found.uri, "neo4j://db.example.com:7687");
    }

    #[test]
    fn inside_the_cluster_the_service_names_do() {
        let pending = service(None, 7687);
        let found = address(&validated(false), "prod", Some(&pending), None, true).expect("found");
        assert_eq!(found.uri, "neo4j://db-lb.prod.svc.cluster.local:7687");
        let found = address(&validated(false), "prod", None, None, true).expect("found");
        assert_eq!(found.uri, "neo4j://db-headless.prod.svc.cluster.local:7687");
    }

    #[test]
    fn outside_without_an_external_address_says_what_to_do() {
        let pending = service(None, 7687);
        let e = address(&validated(false), "prod", Some(&pending), None, false)
            .expect_err("no address");
        assert!(
            e.contains("Service db-lb has no external address yet") && e.contains("--bolt"),
            "{e}"
        );
        let e = address(&validated(false), "prod", None, None, false).expect_err("no service");
        assert!(e.contains("no client Service db-lb"), "{e}");
    }

    #[test]
    fn tls_on_bolt_takes_the_cas_of_the_tls_secret() {
        let lb = service(ip("20.1.2.3"), 7687);
        let data = BTreeMap::from([
            ("ca.crt".to_owned(), "CA-ONE\n".to_owned()),
            ("other-ca.crt".to_owned(), "CA-TWO".to_owned()),
            ("db-0.key".to_owned(), "PRIVATE".to_owned()),
        ]);
        let found =
            address(&validated(true), "prod", Some(&lb), Some(&data), false).expect("found");
        assert_eq!(found.uri, "neo4j+s://20.1.2.3:7687");
        let pem = found.ca_pem.expect("a CA");
        assert!(pem.contains("CA-ONE") && pem.contains("CA-TWO") && !pem.contains("PRIVATE"));
        let e = address(&validated(true), "prod", Some(&lb), None, false).expect_err("no CA");
        assert!(e.contains("Secret db-tls holds no CA"), "{e}");
    }
}
