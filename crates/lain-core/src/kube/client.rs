//! A kube-rs client for the current cluster.
//!
//! Which kubeconfig: `KUBECONFIG` when the user set it (the same file helm and kubectl will use,
//! so lain and the helm it runs never talk to different clusters), else
//! `~/.kube/kubeconfig-CLUSTER` for the current cluster. The namespace is the cluster
//! configuration's, not the kubeconfig context's: lain's cluster files are the source of truth.

use std::path::PathBuf;

use kube::Client;
use kube::config::{KubeConfigOptions, Kubeconfig};

use super::KubeError;
use crate::context::Ctx;

/// A client and the namespace lain works in.
#[derive(Clone)]
pub struct Kube {
    pub client: Client,
    pub namespace: String,
}

impl Kube {
    /// Connects to the current cluster (no request is made until the first call).
    pub async fn connect(ctx: &Ctx, namespace: &str) -> Result<Kube, KubeError> {
        let paths = kubeconfig_paths(ctx).map_err(|e| KubeError::Other(e.to_string()))?;
        Self::from_files(&paths, Some(namespace)).await
    }

    /// Connects where there is no app to say which cluster and namespace (`lain wait RELEASE`
    /// in a helm test pod or a CI job): `KUBECONFIG` or the `lain use` cluster as usual,
    /// else, in a pod, the pod's own service account. The namespace is the lain cluster's,
    /// else the kubeconfig context's, else the pod's.
    pub async fn connect_without_app(ctx: &Ctx) -> Result<Kube, crate::error::LainError> {
        let has_link = ctx.env.kube_dir().current().is_some();
        if ctx.env.kubeconfig_env.is_none()
            && !has_link
            && let Some(ic) = &ctx.env.in_cluster
        {
            return Ok(Kube::in_cluster(ic)?);
        }
        match ctx.current_cluster() {
            Ok(c) => Ok(Kube::connect(ctx, &c.namespace).await?),
            Err(_) if ctx.env.kubeconfig_env.is_some() => {
                let paths = kubeconfig_paths(ctx).map_err(|e| KubeError::Other(e.to_string()))?;
                Ok(Self::from_files(&paths, None).await?)
            }
            Err(e) => Err(e),
        }
    }

    /// A client from kubeconfig files, merged as kubectl merges a `KUBECONFIG` list; in
    /// `namespace`, else the current context's.
    async fn from_files(paths: &[PathBuf], namespace: Option<&str>) -> Result<Kube, KubeError> {
        crate::install_crypto_provider();
        let shown = paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(":");
        let mut merged: Option<Kubeconfig> = None;
        for p in paths {
            if !p.is_file() && paths.len() > 1 {
                // kubectl skips missing entries of a KUBECONFIG list; so do we.
                continue;
            }
            let k = Kubeconfig::read_from(p).map_err(|e| KubeError::Kubeconfig { path: p.display().to_string(), reason: e.to_string() })?;
            merged = Some(match merged {
                None => k,
                Some(m) => m.merge(k).map_err(|e| KubeError::Kubeconfig { path: shown.clone(), reason: e.to_string() })?,
            });
        }
        let kc = merged.ok_or_else(|| KubeError::Kubeconfig { path: shown.clone(), reason: "no such file".into() })?;
        let config = kube::Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default())
            .await
            .map_err(|e| KubeError::Kubeconfig { path: shown.clone(), reason: e.to_string() })?;
        let ns = namespace.map(str::to_string).unwrap_or_else(|| config.default_namespace.clone());
        Self::with_config(config, &ns).map_err(|e| KubeError::Kubeconfig { path: shown, reason: e.to_string() })
    }

    pub(super) fn with_config(config: kube::Config, namespace: &str) -> Result<Kube, KubeError> {
        let url = config.cluster_url.to_string();
        let client = Client::try_from(config).map_err(|e| KubeError::Other(format!("cannot make a client for {url}: {e}")))?;
        Ok(Kube { client, namespace: namespace.to_string() })
    }

    pub fn api<K>(&self) -> kube::Api<K>
    where
        K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope>,
        <K as kube::Resource>::DynamicType: Default,
    {
        kube::Api::namespaced(self.client.clone(), &self.namespace)
    }
}

/// A client from one kubeconfig file (its current context), for tools and tests that hold a
/// kubeconfig rather than a lain context.
pub async fn client_from_kubeconfig(path: &std::path::Path) -> Result<Client, KubeError> {
    Ok(Kube::from_files(&[path.to_path_buf()], None).await?.client)
}

/// The kubeconfig file(s) lain reads.
pub fn kubeconfig_paths(ctx: &Ctx) -> Result<Vec<PathBuf>, crate::error::LainError> {
    if let Some(k) = &ctx.env.kubeconfig_env {
        return Ok(std::env::split_paths(k).filter(|p| !p.as_os_str().is_empty()).collect());
    }
    let cluster = ctx.current_cluster_name()?;
    let path = ctx.env.kube_dir().kubeconfig_for(&cluster);
    if !path.is_file() {
        return Err(
            crate::kubeconfig::KubeconfigError::MissingKubeconfig { cluster: cluster.clone(), path: path.display().to_string(), docs: String::new() }.into()
        );
    }
    Ok(vec![path])
}
