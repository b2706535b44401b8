//! `neo4j-aks plan`: what a render creates, for people (text) and scripts (JSON).

use serde_json::{Value, json};

use neo4j_aks_model::ValidatedCluster;
use neo4j_aks_model::validate::show_bytes;
use neo4j_aks_model::validated::{BackupCredential, BlobLocation, PasswordSource, Resolver};
use neo4j_aks_render::{Rendered, labels, neo4j_conf, ports, tls};

pub struct Summary {
    value: serde_json::Value,
}

fn discovery(cluster: &ValidatedCluster) -> serde_json::Value {
    let Some(c) = &cluster.clustering else {
        return json!({"resolver": null, "description": "standalone: no discovery"});
    };
    let description = match c.resolver {
        Resolver::List => format!(
            "LIST: every member's address on port {} is written into neo4j.conf",
            ports::DISCOVERY
        ),
        Resolver::Srv => format!(
            "SRV: {}:0, an init container waits for {} targets (timeout {}s)",
            cluster.srv_record_name().unwrap_or_default(),
            c.minimum_cluster_size,
            c.srv_wait_timeout_seconds
        ),
        Resolver::K8s => format!(
            "K8S: Services labelled {} (one per member), port {:?}; reads Services as {}",
            labels::discovery_selector(cluster),
            c.port_name,
            cluster.service_account_name()
        ),
    };
    json!({"resolver": c.resolver.as_setting(), "portName": c.port_name, "description": description})
}

impl Summary {
    pub fn of(rendered: &Rendered) -> Self {
        let c = &rendered.cluster;
        let k8s = c.resolver() == Some(Resolver::K8s);
        let member_settings = neo4j_conf::member_settings(c);
        let members: Vec<_> = (0..c.members.rendered())
            .map(|i| {
                // What the member advertises, as the pod's environment spells it out.
                let advertised: serde_json::Map<String, Value> = member_settings
                    .iter()
                    .filter(|(key, _)| key.ends_with("advertised_address"))
                    .map(|(key, value)| {
                        (key.clone(), Value::from(value.replace("$(POD_NAME)", &c.pod_name(i))))
                    })
                    .collect();
                json!({
                    "pod": c.pod_name(i),
                    "address": c.member_fqdn(i),
                    "discoveryAddress": match (c.is_cluster(), k8s) {
                        (false, _) => None,
                        (true, true) => Some(format!("{}:{}", c.discovery_service_fqdn(i), ports::DISCOVERY)),
                        (true, false) => Some(format!("{}:{}", c.member_fqdn(i), ports::DISCOVERY)),
                    },
                    "pvc": c.pvc_name(i),
                    "advertised": advertised,
                })
            })
            .collect();
        let placement = match &c.anti_affinity {
            None => "no anti-affinity".to_string(),
            Some(a) if a.hard => format!(
                "hard: one member per node; zones preferred (weight {})",
                a.zone_weight
            ),
            Some(a) => format!(
                "soft: prefer distinct nodes (weight {}) and zones (weight {})",
                a.node_weight, a.zone_weight
            ),
        };
        let password = match &c.password {
            PasswordSource::Generated { secret, .. } => {
                format!("generated once into Secret {secret} by apply/operator; never printed")
            }
            PasswordSource::Existing { secret, key } => format!("from Secret {secret}, key {key}"),
            PasswordSource::KeyVault { secret, vault, .. } => format!(
                "from Key Vault {}, secret {} (mounted by the Secrets Store CSI driver; synced into Secret {secret} for the operator and backups)",
                vault.name, vault.password_secret
            ),
        };
        let value = json!({
            "name": c.name,
            "namespace": c.namespace,
            "neo4jVersion": c.version.to_string(),
            "image": c.image.reference,
            "mode": if c.is_cluster() { "cluster" } else { "standalone" },
            "members": members,
            "formation": c.clustering.as_ref().map(|k| json!({
                "minimumClusterSize": k.minimum_cluster_size,
                "primaries": k.primaries,
                "secondaries": k.secondaries,
                "autoEnableServers": k.auto_enable_servers,
            })),
            "discovery": discovery(c),
            "storage": {"class": c.storage.class_name, "sku": c.storage.sku, "diskSizeGi": c.storage.disk_size_gi, "createStorageClass": c.storage.create_storage_class},
            "placement": placement,
            "resources": {"cpu": c.resources.cpu, "memory": c.resources.memory, "heap": show_bytes(c.memory.heap_bytes), "pageCache": show_bytes(c.memory.page_cache_bytes)},
            "loadBalancer": c.load_balancer.as_ref().map(|_| c.load_balancer_name()),
            "clientPorts": ports::client_ports(c).iter().map(|(name, port)| format!("{name} {port}")).collect::<Vec<_>>(),
            "tls": c.tls.as_ref().map(|t| {
                let mut v = json!({
                "scopes": t.scopes.iter().map(|s| s.name()).collect::<Vec<_>>(),
                "boltTlsLevel": if t.bolt_required { "REQUIRED" } else { "OPTIONAL" },
                "certificates": match (t.user_secret(), t.cert_manager()) {
                    (Some(secret), _) => format!(
                        "secret: yours, in Secret {secret} (ca.crt, <pod>.crt, <pod>.key per member), checked before every apply; you renew them"
                    ),
                    (None, Some(issuer)) => format!(
                        "certManager: one Certificate per member (<pod>-cert) from {} {} ({}), valid {}, renewed {} before expiry by cert-manager; the operator checks them and copies them into Secret {}",
                        issuer.issuer_kind,
                        issuer.issuer_name,
                        issuer.issuer_group,
                        issuer.duration.as_deref().unwrap_or("2160h (cert-manager's default)"),
                        issuer.renew_before.as_deref().unwrap_or("a third of the duration (cert-manager's default)"),
                        tls::secret_name(c)
                    ),
                    (None, None) => format!(
                        "generated: CA in Secret {} (never mounted), one certificate per member in Secret {}, valid {} days, renewed {} days before expiry",
                        tls::ca_secret_name(c), tls::secret_name(c), t.certificate_days, t.renew_before_days
                    ),
                },
                });
                if t.user_secret().is_some() {
                    // What each certificate in the user's Secret must carry (at least).
                    v["memberNames"] = tls::wanted(c)
                        .into_iter()
                        .map(|(pod, (dns, ips))| {
                            let ips: Vec<String> = ips.iter().map(ToString::to_string).collect();
                            (pod, json!({"dnsNames": dns, "ipAddresses": ips}))
                        })
                        .collect::<serde_json::Map<_, _>>()
                        .into();
                }
                v
            }),
            "password": password,
            "backup": c.backup.as_ref().map(|b| json!({
                "schedule": b.schedule,
                "type": b.backup_type.as_str(),
                "databases": b.databases,
                "target": blob_target(&b.blob),
                "credential": blob_credential(&b.blob),
                "retention": {"daily": b.retention.daily, "weekly": b.retention.weekly, "monthly": b.retention.monthly},
                "verification": b.verification_schedule,
                "suspended": b.suspend,
            })),
            "bootstrap": c.bootstrap.as_ref().map(|b| json!({
                "sourceCluster": b.source_cluster,
                "databases": b.databases,
                "target": blob_target(&b.blob),
                "credential": blob_credential(&b.blob),
                "notAfter": b.not_after,
                "seedSizeGi": b.seed_size_gi,
            })),
            "objects": rendered.objects.iter().map(|o| format!("{}/{}", o.kind(), o.name())).collect::<Vec<_>>(),
            "warnings": rendered.warnings.iter().map(ToString::to_string).collect::<Vec<_>>(),
        });
        Self { value }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(&self.value).unwrap_or_default() + "\n"
    }

    pub fn to_text(&self) -> String {
        let v = &self.value;
        let s = |p: &str| {
            v.pointer(p)
                .and_then(|x| x.as_str())
                .unwrap_or_default()
                .to_string()
        };
        let mut out = format!(
            "Neo4jCluster {}/{}: Neo4j {} ({}), {} with {} member(s)\n",
            s("/namespace"),
            s("/name"),
            s("/neo4jVersion"),
            s("/image"),
            s("/mode"),
            v["members"].as_array().map_or(0, Vec::len)
        );
        if let Some(f) = v["formation"].as_object() {
            out += &format!(
                "Formation:  minimumClusterSize {}; default database {} primaries, {} secondaries; auto-enable free servers: {}\n",
                f["minimumClusterSize"], f["primaries"], f["secondaries"], f["autoEnableServers"]
            );
        }
        out += &format!("Discovery:  {}\n", s("/discovery/description"));
        out += &format!(
            "Storage:    {}Gi {} per member, StorageClass {}{}\n",
            v["storage"]["diskSizeGi"],
            s("/storage/sku"),
            s("/storage/class"),
            if v["storage"]["createStorageClass"] == true {
                " (created)"
            } else {
                " (existing)"
            }
        );
        out += &format!("Placement:  {}\n", s("/placement"));
        out += &format!(
            "Resources:  {} CPU, {} memory per member; heap {}, page cache {}\n",
            s("/resources/cpu"),
            s("/resources/memory"),
            s("/resources/heap"),
            s("/resources/pageCache")
        );
        out += &match v["loadBalancer"].as_str() {
            Some(lb) => format!(
                "Clients:    LoadBalancer {lb} ({}){}\n",
                joined(&v["clientPorts"]),
                if v["mode"] == "cluster" {
                    "; server-side routing sends writes to the leader"
                } else {
                    ""
                }
            ),
            None => "Clients:    no LoadBalancer; use the headless Service inside the cluster\n"
                .to_string(),
        };
        out += &format!("Password:   {}\n", s("/password"));
        out += &match v["tls"].as_object() {
            Some(t) => format!(
                "TLS:        {} (Bolt TLS {}); {}\n",
                joined(&t["scopes"]),
                s("/tls/boltTlsLevel"),
                s("/tls/certificates")
            ),
            None => {
                "TLS:        off (spec.tls.enabled: true encrypts client and cluster traffic)\n"
                    .to_string()
            }
        };
        if let Some(b) = v["backup"].as_object() {
            out += &format!(
                "Backups:    {} {} of {} at \"{}\" UTC to {} ({}); keep {} daily, {} weekly, {} monthly; {}\n",
                if b["suspended"] == true {
                    "SUSPENDED"
                } else {
                    "scheduled"
                },
                b["type"].as_str().unwrap_or_default(),
                joined(&b["databases"]),
                b["schedule"].as_str().unwrap_or_default(),
                b["target"].as_str().unwrap_or_default(),
                b["credential"].as_str().unwrap_or_default(),
                b["retention"]["daily"],
                b["retention"]["weekly"],
                b["retention"]["monthly"],
                match b["verification"].as_str() {
                    Some(schedule) => format!("restore check at \"{schedule}\" UTC"),
                    None => "no restore check".to_string(),
                }
            );
        }
        if let Some(b) = v["bootstrap"].as_object() {
            out += &format!(
                "Bootstrap:  seed {} from the backups of cluster {} in {} ({}), {}; the operator seeds them once the cluster has formed\n",
                joined(&b["databases"]),
                b["sourceCluster"].as_str().unwrap_or_default(),
                b["target"].as_str().unwrap_or_default(),
                b["credential"].as_str().unwrap_or_default(),
                match b["notAfter"].as_str() {
                    Some(t) => format!("newest restore point at or before {t}"),
                    None => "newest restore point".to_string(),
                }
            );
        }
        out += "Members (every advertised address is set explicitly, none left to the image's hostname default):\n";
        for m in v["members"].as_array().into_iter().flatten() {
            out += &format!(
                "  {}  disk {}\n",
                m["pod"].as_str().unwrap_or_default(),
                m["pvc"].as_str().unwrap_or_default()
            );
            for (key, value) in m["advertised"].as_object().into_iter().flatten() {
                out += &format!("    {key:<40} {}\n", value.as_str().unwrap_or_default());
            }
        }
        out += "Objects:\n";
        for o in v["objects"].as_array().into_iter().flatten() {
            out += &format!("  {}\n", o.as_str().unwrap_or_default());
        }
        let warnings = v["warnings"].as_array().cloned().unwrap_or_default();
        if !warnings.is_empty() {
            out += "Warnings:\n";
            for w in warnings {
                out += &format!("  {}\n", w.as_str().unwrap_or_default());
            }
        }
        out
    }
}

/// `account/container[/prefix]`.
fn blob_target(blob: &BlobLocation) -> String {
    let mut target = format!("{}/{}", blob.storage_account, blob.container);
    if !blob.prefix.is_empty() {
        target.push('/');
        target.push_str(&blob.prefix);
    }
    target
}

fn blob_credential(blob: &BlobLocation) -> String {
    match &blob.credential {
        BackupCredential::WorkloadIdentity { .. } => "workload identity".to_string(),
        BackupCredential::AccountKey { secret, key } => {
            format!("account key from Secret {secret}, key {key}")
        }
    }
}

/// A JSON list of strings as `a, b, c`.
fn joined(list: &Value) -> String {
    list.as_array()
        .into_iter()
        .flatten()
        .filter_map(|d| d.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}
