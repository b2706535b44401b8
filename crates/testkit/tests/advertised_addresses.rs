//! Every address a member advertises, as Neo4j would read it after the official image's
//! entrypoint rewrote neo4j.conf (testkit's SIMULATION of docker-entrypoint.sh), resolves
//! through the testenv's real CoreDNS (kubernetes plugin) to that member: its pod IP through the
//! headless Service, or the cluster IP of its own discovery Service. The examples are applied to
//! the real apiserver; the pods' environment, the ConfigMap and the Services are read back as
//! the apiserver stored them. SIMULATED: kwok runs no container, so no Neo4j reads the file.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::time::Duration;

use k8s_openapi::api::core::v1::{ConfigMap, Pod, Service};
use kube::api::{Api, ListParams};
use neo4j_aks_testkit::image_entrypoint::{
    ImageLine, ImageStart, container_env, image_defaulted_addresses, start,
};
use neo4j_aks_testkit::{dig_a, wait_until};
use support::{Deployed, PODS, find, replicas};

/// Host part of `host:port`.
fn host(address: &str) -> &str {
    address.rsplit_once(':').map_or(address, |(h, _)| h)
}

async fn every_advertised_address_resolves_to_its_member(test: &str, example: &str) {
    let Some(d) = Deployed::new(test, example).await else {
        return;
    };
    let Some(dns) = d.env.dns_address() else {
        let _ = writeln!(
            std::io::stderr(),
            "{test}: skipped: the testenv runs no CoreDNS"
        );
        d.cleanup().await;
        return;
    };
    let _permit = PODS.acquire().await.expect("semaphore");
    d.apply().await;
    let n = replicas(&d.objects, &d.name);
    let pods = d.wait_members(n).await;
    let sts = find(&d.objects, "StatefulSet", &d.name);
    let version = sts["metadata"]["labels"]["app.kubernetes.io/version"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let image = sts["spec"]["template"]["spec"]["containers"][0]["image"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let enterprise = image.ends_with("-enterprise");
    let line = ImageLine::of_version(&version);
    let services: Vec<Service> = Api::<Service>::namespaced(d.env.client(), d.ns())
        .list(&ListParams::default())
        .await
        .expect("list Services")
        .items;
    let conf = Api::<ConfigMap>::namespaced(d.env.client(), d.ns())
        .get(&format!("{}-config", d.name))
        .await
        .expect("the neo4j.conf ConfigMap")
        .data
        .and_then(|d| d.get("neo4j.conf").cloned())
        .expect("neo4j.conf key");
    let cluster_ips: BTreeMap<String, String> = services
        .iter()
        .filter_map(|s| {
            let ip = s.spec.as_ref()?.cluster_ip.clone()?;
            Some((
                format!("{}.{}.svc.cluster.local", s.metadata.name.clone()?, d.ns()),
                ip,
            ))
        })
        .collect();
    for pod in &pods {
        let address_of = |pod: &Pod| {
            pod.status
                .as_ref()
                .and_then(|s| s.pod_ip.clone())
                .expect("kwok gives running pods an IP")
        };
        let name = pod.metadata.name.clone().expect("pod name");
        let spec = pod.spec.as_ref().expect("pod spec");
        let neo4j = spec
            .containers
            .iter()
            .find(|c| c.name == "neo4j")
            .expect("neo4j container");
        let env = container_env(spec, neo4j, &name, d.ns(), &services).expect("pod environment");
        let mounts: BTreeSet<String> = neo4j
            .volume_mounts
            .iter()
            .flatten()
            .map(|m| m.mount_path.clone())
            .collect();
        let started = start(&ImageStart {
            line,
            enterprise,
            hostname: spec.hostname.clone().unwrap_or_else(|| name.clone()),
            env,
            conf_dir: Some(BTreeMap::from([("neo4j.conf".to_string(), conf.clone())])),
            mounts,
        });
        let mut keys = vec!["server.default_advertised_address"];
        if enterprise {
            keys.extend(image_defaulted_addresses(line).iter().map(|(k, _)| *k));
        }
        for key in keys {
            let value = started
                .get(key)
                .unwrap_or_else(|| panic!("{name}: {key} is not set"))
                .to_string();
            let host = host(&value).to_string();
            // Through the headless Service a name resolves to the pod; a discovery Service's
            // name to its cluster IP, which selects this pod alone.
            let expected = vec![
                cluster_ips
                    .get(&host)
                    .filter(|ip| ip.as_str() != "None")
                    .cloned()
                    .unwrap_or_else(|| address_of(pod)),
            ];
            let what = format!("{name}: {key}={value} resolves to {expected:?}");
            wait_until(Duration::from_secs(60), &what, || {
                let dns = dns.clone();
                let host = host.clone();
                let expected = expected.clone();
                async move {
                    let got = tokio::task::spawn_blocking(move || dig_a(&dns, &host))
                        .await
                        .map_err(|e| e.to_string())?
                        .ok_or("dig is not installed (apt-get install dnsutils)")?;
                    if got == expected {
                        Ok(())
                    } else {
                        Err(format!("{got:?}"))
                    }
                }
            })
            .await;
        }
    }
    d.cleanup().await;
}

#[tokio::test]
async fn cluster_3_k8s_addresses_resolve() {
    every_advertised_address_resolves_to_its_member("addr_k8s", "cluster-3-k8s.yaml").await;
}

#[tokio::test]
async fn cluster_5_srv_addresses_resolve() {
    every_advertised_address_resolves_to_its_member("addr_srv", "cluster-5-srv.yaml").await;
}

#[tokio::test]
async fn cluster_3_2025_addresses_resolve() {
    every_advertised_address_resolves_to_its_member("addr_2025", "cluster-3-2025.yaml").await;
}

#[tokio::test]
async fn standalone_addresses_resolve() {
    every_advertised_address_resolves_to_its_member("addr_standalone", "standalone.yaml").await;
}
