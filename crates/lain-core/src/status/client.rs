//! A kube-rs client for the current cluster: `$KUBECONFIG` when the user set it, else the
//! cluster's `~/.kube/kubeconfig-CLUSTER` (what `~/.kube/config` links to after `lain use`).

use std::path::PathBuf;

use crate::context::Ctx;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("cannot read kubeconfig {path}: {reason}\n    fix: check the file, or run `lain use CLUSTER` again")]
    Read { path: String, reason: String },
    #[error("kubeconfig {path} is not usable: {reason}")]
    Config { path: String, reason: String },
}

pub fn kubeconfig_path(ctx: &Ctx, cluster: &str) -> PathBuf {
    match &ctx.env.kubeconfig_env {
        // KUBECONFIG may list several files; kubectl merges them, we take the first.
        Some(k) => PathBuf::from(k.split(':').next().unwrap_or(k)),
        None => ctx.env.kube_dir().kubeconfig_for(cluster),
    }
}

/// Builds a client from a kubeconfig file (its current context and namespace).
pub async fn from_kubeconfig(path: &std::path::Path) -> Result<kube::Client, ClientError> {
    crate::install_crypto_provider();
    let p = path.display().to_string();
    let kc = kube::config::Kubeconfig::read_from(path).map_err(|e| ClientError::Read { path: p.clone(), reason: e.to_string() })?;
    let cfg = kube::Config::from_custom_kubeconfig(kc, &kube::config::KubeConfigOptions::default())
        .await
        .map_err(|e| ClientError::Config { path: p.clone(), reason: e.to_string() })?;
    kube::Client::try_from(cfg).map_err(|e| ClientError::Config { path: p, reason: e.to_string() })
}
