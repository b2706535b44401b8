//! Reading the spec: a file, then the flags on top.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use neo4j_aks_model::spec::{DiscoverySpec, StorageSpec};
use neo4j_aks_model::validated::Resolver;
use neo4j_aks_model::{Neo4jCluster, Neo4jClusterSpec};

use crate::Failure;

#[derive(Args, Clone, Debug)]
pub struct SpecArgs {
    /// Neo4jCluster spec file (YAML or JSON); `-` reads standard input.
    #[arg(short = 'f', long = "file")]
    pub file: Option<PathBuf>,
    /// Cluster name (metadata.name); default neo4j without a file.
    #[arg(long)]
    pub name: Option<String>,
    /// Namespace (metadata.namespace); default neo4j.
    #[arg(long)]
    pub namespace: Option<String>,
    /// Members: 1 (standalone) or 3 to 10 (spec.nodeCount).
    #[arg(long = "nodes")]
    pub nodes: Option<i32>,
    /// Discovery resolver (spec.discovery.resolverType).
    #[arg(long, value_enum)]
    pub resolver: Option<ResolverArg>,
    /// Disk per member in GiB (spec.storage.diskSizeGi).
    #[arg(long = "disk-size", value_name = "GB")]
    pub disk_size: Option<i32>,
    /// Neo4j version, e.g. 5.26.16 or 2025.10.1 (spec.neo4jVersion).
    #[arg(long = "neo4j-version")]
    pub neo4j_version: Option<String>,
    /// Licence acceptance: yes or eval (spec.acceptLicenseAgreement).
    #[arg(long = "accept-license", value_name = "yes|eval")]
    pub accept_license: Option<String>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
#[value(rename_all = "UPPER")]
pub enum ResolverArg {
    List,
    Srv,
    K8s,
}

impl SpecArgs {
    pub fn load(&self) -> Result<Neo4jCluster, Failure> {
        let mut cluster = match &self.file {
            Some(path) => {
                let text = if path.as_os_str() == "-" {
                    std::io::read_to_string(std::io::stdin())
                } else {
                    std::fs::read_to_string(path)
                }
                .map_err(|source| Failure::ReadInput {
                    path: path.display().to_string(),
                    source,
                })?;
                Neo4jCluster::from_yaml(&text)?
            }
            None => {
                let mut cluster = Neo4jCluster::new("neo4j", Neo4jClusterSpec::default());
                cluster.metadata.namespace = Some("neo4j".to_string());
                cluster
            }
        };
        self.apply(&mut cluster);
        Ok(cluster)
    }

    fn apply(&self, cluster: &mut Neo4jCluster) {
        if let Some(name) = &self.name {
            cluster.metadata.name = Some(name.clone());
        }
        if let Some(namespace) = &self.namespace {
            cluster.metadata.namespace = Some(namespace.clone());
        }
        let spec = &mut cluster.spec;
        if let Some(nodes) = self.nodes {
            spec.node_count = Some(nodes);
        }
        if let Some(resolver) = self.resolver {
            let resolver = match resolver {
                ResolverArg::List => Resolver::List,
                ResolverArg::Srv => Resolver::Srv,
                ResolverArg::K8s => Resolver::K8s,
            };
            spec.discovery
                .get_or_insert_with(DiscoverySpec::default)
                .resolver_type = Some(resolver.as_setting().to_string());
        }
        if let Some(size) = self.disk_size {
            spec.storage
                .get_or_insert_with(StorageSpec::default)
                .disk_size_gi = Some(size);
        }
        if let Some(version) = &self.neo4j_version {
            spec.neo4j_version = Some(version.clone());
        }
        if let Some(license) = &self.accept_license {
            spec.accept_license_agreement = Some(license.clone());
        }
    }
}
