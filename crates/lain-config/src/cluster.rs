//! Cluster configuration: `cluster_values/values-[CLUSTER].yaml`, compiled into the binary, or
//! read from `CLUSTER_VALUES_DIR` at run time (which then replaces the built-in set entirely, so
//! an SA testing a new configuration never mixes it with stale built-in files).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::ConfigError;

include!(concat!(env!("OUT_DIR"), "/embedded_clusters.rs"));

/// The registry API a cluster's registry speaks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RegistryType {
    /// Docker Registry HTTP API v2 (CNCF distribution, and most registries).
    #[default]
    Registry,
    Harbor,
    Aliyun,
    Tencent,
}

impl RegistryType {
    pub fn as_str(&self) -> &'static str {
        match self {
            RegistryType::Registry => "registry",
            RegistryType::Harbor => "harbor",
            RegistryType::Aliyun => "aliyun",
            RegistryType::Tencent => "tencent",
        }
    }
}

fn default_namespace() -> String {
    "default".to_string()
}

/// One cluster's settings. Field names follow the seeds (some camelCase, some snake_case)
/// because SAs already write these files.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ClusterConfig {
    /// The cluster's name (from the file name), not a key in the file.
    #[serde(skip)]
    pub name: String,
    /// Where this configuration was read from, for error messages.
    #[serde(skip)]
    pub source: String,
    pub registry: String,
    #[serde(rename = "internalRegistry", default)]
    pub internal_registry: Option<String>,
    #[serde(default)]
    pub registry_type: RegistryType,
    #[serde(default)]
    pub secrets_env: BTreeMap<String, String>,
    #[serde(default = "default_namespace")]
    pub namespace: String,
    #[serde(rename = "serviceAccountName", default)]
    pub service_account_name: Option<String>,
    #[serde(default)]
    pub domain: String,
    #[serde(rename = "ingressClass", default)]
    pub ingress_class: Option<String>,
    #[serde(rename = "externalIngressClass", default)]
    pub external_ingress_class: Option<String>,
    #[serde(rename = "clusterIssuer", default)]
    pub cluster_issuer: Option<String>,
    #[serde(rename = "clusterHostAliases", default)]
    pub cluster_host_aliases: Vec<serde_json::Value>,
    #[serde(default)]
    pub extra_docs: Option<String>,
    #[serde(default)]
    pub grafana_url: Option<String>,
    #[serde(default)]
    pub kibana: Option<String>,
    #[serde(default)]
    pub prometheus: Option<String>,
    #[serde(default)]
    pub pql_template: Option<String>,
    #[serde(default)]
    pub gitlab: Option<String>,
    #[serde(default)]
    pub remote_docker: Option<String>,
    #[serde(default)]
    pub webhook: Option<serde_json::Value>,
    /// The lain image (Dockerfile.ci) that in-cluster jobs run: `deploy --delete-after`.
    #[serde(default)]
    pub lain_image: Option<String>,
    /// The service account those jobs run as (allowed to uninstall releases).
    #[serde(default)]
    pub lain_service_account: Option<String>,
}

impl ClusterConfig {
    /// The address images are pulled from inside the cluster.
    pub fn pull_registry(&self) -> &str {
        self.internal_registry.as_deref().unwrap_or(&self.registry)
    }
}

/// Where cluster files come from.
#[derive(Debug, Clone)]
pub enum ClusterSource {
    Embedded,
    Dir(PathBuf),
}

/// The set of known clusters (names only; a file is parsed when its cluster is used, so a
/// broken file for one cluster does not break every other).
#[derive(Debug, Clone)]
pub struct Clusters {
    source: ClusterSource,
    files: BTreeMap<String, (String, String)>, // name -> (source label, text)
}

impl Clusters {
    /// `CLUSTER_VALUES_DIR` when given, else the built-in files.
    pub fn load(cluster_values_dir: Option<&Path>) -> Result<Self, ConfigError> {
        match cluster_values_dir {
            Some(dir) => Self::from_dir(dir),
            None => Ok(Self::embedded()),
        }
    }

    pub fn embedded() -> Self {
        let files =
            EMBEDDED_CLUSTERS.iter().map(|(n, t)| (n.to_string(), (format!("cluster_values/values-{n}.yaml (built into lain)"), t.to_string()))).collect();
        Clusters { source: ClusterSource::Embedded, files }
    }

    pub fn from_dir(dir: &Path) -> Result<Self, ConfigError> {
        let rd = std::fs::read_dir(dir).map_err(|e| ConfigError::ClusterValuesDir { dir: dir.display().to_string(), reason: e.to_string() })?;
        let mut files = BTreeMap::new();
        for e in rd.flatten() {
            let p = e.path();
            let Some(name) = p.file_name().and_then(|s| s.to_str()) else { continue };
            let Some(cluster) = name.strip_prefix("values-").and_then(|s| s.strip_suffix(".yaml")) else {
                continue;
            };
            let text = std::fs::read_to_string(&p).map_err(|e| ConfigError::Read { file: p.display().to_string(), reason: e.to_string() })?;
            files.insert(cluster.to_string(), (p.display().to_string(), text));
        }
        Ok(Clusters { source: ClusterSource::Dir(dir.to_path_buf()), files })
    }

    pub fn source(&self) -> &ClusterSource {
        &self.source
    }

    pub fn names(&self) -> Vec<String> {
        self.files.keys().cloned().collect()
    }

    pub fn contains(&self, name: &str) -> bool {
        self.files.contains_key(name)
    }

    pub fn get(&self, name: &str) -> Result<ClusterConfig, ConfigError> {
        let Some((label, text)) = self.files.get(name) else {
            return Err(self.unknown(name));
        };
        parse_cluster(name, label, text)
    }

    pub fn unknown(&self, name: &str) -> ConfigError {
        let where_ = match &self.source {
            ClusterSource::Embedded => "built into lain (cluster_values/)".to_string(),
            ClusterSource::Dir(d) => format!("in CLUSTER_VALUES_DIR={}", d.display()),
        };
        ConfigError::UnknownCluster { name: name.to_string(), known: self.names(), where_ }
    }
}

fn parse_cluster(name: &str, label: &str, text: &str) -> Result<ClusterConfig, ConfigError> {
    let mut c: ClusterConfig = serde_saphyr::from_str(text).map_err(|e| {
        let line = e.location().map(|l| l.line()).unwrap_or(0);
        ConfigError::ClusterFile { file: label.to_string(), line, message: e.without_snippet().to_string().lines().next().unwrap_or_default().to_string() }
    })?;
    if c.registry.trim().is_empty() {
        return Err(ConfigError::ClusterFile {
            file: label.to_string(),
            line: 0,
            message: "`registry` is empty; set it to the registry host[/namespace] apps push to".into(),
        });
    }
    c.name = name.to_string();
    c.source = label.to_string();
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_example_cluster_parses() {
        let cs = Clusters::embedded();
        assert!(cs.names().contains(&"test".to_string()));
        let c = cs.get("test").unwrap();
        assert_eq!(c.name, "test");
        assert_eq!(c.registry, "127.0.0.1:5000");
        assert_eq!(c.namespace, "default");
        assert_eq!(c.registry_type, RegistryType::Registry);
        assert_eq!(c.pull_registry(), "127.0.0.1:5000");
    }

    #[test]
    fn unknown_cluster_lists_the_known_ones() {
        let err = Clusters::embedded().get("prod").unwrap_err().to_string();
        assert!(err.contains("unknown cluster \"prod\""), "{err}");
        assert!(err.contains("test"), "{err}");
    }

    #[test]
    fn dir_replaces_embedded_and_typos_are_errors() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("values-a.yaml"), "registry: r.example.com\ndomain: a.example.com\n").unwrap();
        std::fs::write(d.path().join("values-b.yaml"), "registry: r.example.com\nregisty: x\n").unwrap();
        std::fs::write(d.path().join("notes.txt"), "ignored").unwrap();
        let cs = Clusters::from_dir(d.path()).unwrap();
        assert_eq!(cs.names(), vec!["a".to_string(), "b".to_string()]);
        assert_eq!(cs.get("a").unwrap().domain, "a.example.com");
        let err = cs.get("b").unwrap_err().to_string();
        assert!(err.contains("values-b.yaml:2"), "{err}");
        assert!(err.contains("registy"), "{err}");
        assert!(cs.get("test").is_err());
    }
}
