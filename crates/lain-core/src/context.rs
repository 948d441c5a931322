//! Everything a command needs from the outside world, resolved once: the environment, the
//! global flags, the clusters, the app. Tests drive lain through these same inputs (HOME,
//! CLUSTER_VALUES_DIR, LAIN_HELM...), never through hidden globals.

use std::path::PathBuf;
use std::sync::OnceLock;

use crate::config::{AppConfig, ClusterConfig, Clusters, LoadOptions};
use crate::error::LainError;
use crate::helm::Helm;
use crate::kube::in_cluster::InCluster;
use crate::kubeconfig::KubeDir;

/// The process environment lain reads, in one place.
#[derive(Debug, Clone)]
pub struct Env {
    pub home: PathBuf,
    pub cwd: PathBuf,
    pub cluster_values_dir: Option<PathBuf>,
    /// Who is deploying (recorded in the release's values as `user`).
    pub user: String,
    pub helm: PathBuf,
    pub kubectl: PathBuf,
    pub docker: PathBuf,
    pub editor: Option<String>,
    /// `KUBECONFIG` set by the user overrides ~/.kube/config for kubectl and helm.
    pub kubeconfig_env: Option<String>,
    /// Set when lain runs in a pod (`KUBERNETES_SERVICE_HOST`/`PORT`); the service account
    /// directory is `LAIN_SERVICEACCOUNT_DIR` or the kubelet's standard mount.
    pub in_cluster: Option<InCluster>,
    /// `LAIN_RELEASE`, which the chart gives helm test pods: the release `lain wait` checks there.
    pub lain_release: Option<String>,
}

fn var(k: &str) -> Option<String> {
    std::env::var(k).ok().filter(|v| !v.is_empty())
}

impl Env {
    pub fn from_process() -> Env {
        let home = var("HOME").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("/"));
        Env {
            cwd: std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")),
            cluster_values_dir: var("CLUSTER_VALUES_DIR").map(PathBuf::from),
            user: var("LAIN_USER").or_else(|| var("USER")).or_else(|| var("LOGNAME")).unwrap_or_else(|| "unknown".into()),
            helm: var("LAIN_HELM").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("helm")),
            kubectl: var("LAIN_KUBECTL").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("kubectl")),
            docker: var("LAIN_DOCKER").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("docker")),
            editor: var("VISUAL").or_else(|| var("EDITOR")),
            kubeconfig_env: var("KUBECONFIG"),
            in_cluster: InCluster::detect(var("KUBERNETES_SERVICE_HOST"), var("KUBERNETES_SERVICE_PORT"), var("LAIN_SERVICEACCOUNT_DIR").map(PathBuf::from)),
            lain_release: var("LAIN_RELEASE"),
            home,
        }
    }

    pub fn kube_dir(&self) -> KubeDir {
        KubeDir::new(&self.home)
    }
}

/// Global flags, as given on the command line.
#[derive(Debug, Clone, Default)]
pub struct Globals {
    pub values_files: Vec<PathBuf>,
    pub use_cluster: Option<String>,
    pub auto_pilot: bool,
    pub remote_docker: bool,
    pub ignore_lint: bool,
    pub yes: bool,
}

pub struct Ctx {
    pub env: Env,
    pub globals: Globals,
    clusters: OnceLock<Clusters>,
}

impl Ctx {
    pub fn new(env: Env, globals: Globals) -> Ctx {
        Ctx { env, globals, clusters: OnceLock::new() }
    }

    pub fn clusters(&self) -> Result<&Clusters, LainError> {
        if let Some(c) = self.clusters.get() {
            return Ok(c);
        }
        let c = Clusters::load(self.env.cluster_values_dir.as_deref())?;
        Ok(self.clusters.get_or_init(|| c))
    }

    /// The current cluster's name, from the ~/.kube/config link.
    pub fn current_cluster_name(&self) -> Result<String, LainError> {
        let known = self.clusters()?.names();
        Ok(self.env.kube_dir().require_current(&known)?)
    }

    pub fn current_cluster(&self) -> Result<ClusterConfig, LainError> {
        let name = self.current_cluster_name()?;
        Ok(self.clusters()?.get(&name)?)
    }

    /// Loads the app in the current directory for the current cluster, with `-f` files and
    /// the given `--set` expressions.
    pub fn load_app(&self, sets: &[String]) -> Result<AppConfig, LainError> {
        let cluster = self.current_cluster()?;
        Ok(AppConfig::load(&LoadOptions { start_dir: self.env.cwd.clone(), cluster, extra_values: self.globals.values_files.clone(), sets: sets.to_vec() })?)
    }

    pub fn helm(&self) -> Helm {
        Helm::new(self.env.helm.clone())
    }
}
