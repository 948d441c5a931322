//! lain-config: configuration. The cluster's (shipped with lain) and the app's (`chart/values*.yaml`,
//! `-f`, `--set`), merged in that order, validated, and turned into the values helm receives.

pub mod cluster;
pub mod load;
pub mod merge;
pub mod quantity;
pub mod schema;
pub mod set;
pub mod yaml;

use std::fmt;

pub use cluster::{ClusterConfig, Clusters, RegistryType};
pub use load::{AppConfig, LoadOptions, Proc, ProcKind};
pub use yaml::{Node, Origin, Value};

/// One mistake in the values, located where the user wrote it.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub origin: Origin,
    /// Dotted key path, e.g. `deployments.web.resources.limits.memory`.
    pub key: String,
    pub message: String,
    pub fix: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.origin, self.key, self.message)?;
        if !self.fix.is_empty() {
            write!(f, "\n    fix: {}", self.fix)?;
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {file}: {reason}")]
    Read { file: String, reason: String },
    #[error(transparent)]
    Yaml(#[from] yaml::YamlError),
    #[error(transparent)]
    Set(#[from] set::SetError),
    #[error(
        "CLUSTER_VALUES_DIR={dir} cannot be read: {reason}\n    fix: point CLUSTER_VALUES_DIR at a directory of values-[CLUSTER].yaml files, or unset it to use the clusters built into lain"
    )]
    ClusterValuesDir { dir: String, reason: String },
    #[error("unknown cluster \"{name}\"; known clusters ({where_}): {}\n    fix: pick one of those, or ask your SA to add cluster_values/values-{name}.yaml", if .known.is_empty() { "none".to_string() } else { .known.join(", ") })]
    UnknownCluster { name: String, known: Vec<String>, where_: String },
    #[error("{file}{}: invalid cluster configuration: {message}", if *.line > 0 { format!(":{}", .line) } else { String::new() })]
    ClusterFile { file: String, line: u64, message: String },
    #[error("no chart/ directory found in {dir} or any parent directory\n    fix: run lain from your app's repository, or create the chart with `lain init`")]
    NoChart { dir: String },
    #[error("{count} problem{s} in the values:\n{list}", count = .0.len(), s = if .0.len() == 1 { "" } else { "s" }, list = .0.iter().map(|p| format!("  {p}")).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<Problem>),
}
