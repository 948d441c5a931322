//! Talking to the cluster from inside a pod, the way every Kubernetes client does: the API
//! server's address from `KUBERNETES_SERVICE_HOST` / `KUBERNETES_SERVICE_PORT`, and the pod's
//! service account (token, CA, namespace) from the files the kubelet mounts.
//!
//! This is what lets `lain wait` run as a helm test pod (the seeds' `values.tests` example):
//! there is no `~/.kube/config` and no chart there, only the pod's own credentials. lain does not
//! use kube-rs' `Config::incluster()` because that reads a fixed directory; the directory here
//! comes from [`crate::context::Env`] so tests can hand lain a service account of their own.

use std::path::{Path, PathBuf};

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

use super::{Kube, KubeError};

/// Where the kubelet mounts a pod's service account.
pub const DEFAULT_DIR: &str = "/var/run/secrets/kubernetes.io/serviceaccount";

/// The in-cluster environment of a pod, as read from the process environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InCluster {
    pub host: String,
    pub port: String,
    /// The service account directory (`token`, `ca.crt`, `namespace`).
    pub dir: PathBuf,
}

impl InCluster {
    /// `Some` when the process looks like it runs in a pod: the service variables are set and
    /// the token is mounted (a pod with `automountServiceAccountToken: false` has no token, and
    /// is told so by [`Kube::in_cluster`]'s caller rather than mistaken for a laptop).
    pub fn detect(host: Option<String>, port: Option<String>, dir: Option<PathBuf>) -> Option<InCluster> {
        Some(InCluster { host: host?, port: port?, dir: dir.unwrap_or_else(|| PathBuf::from(DEFAULT_DIR)) })
    }

    pub fn url(&self) -> String {
        // An IPv6 service address needs brackets in a URL.
        if self.host.contains(':') { format!("https://[{}]:{}", self.host, self.port) } else { format!("https://{}:{}", self.host, self.port) }
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// The pod's namespace.
    pub fn namespace(&self) -> Result<String, KubeError> {
        let path = self.file("namespace");
        let ns = read(&path)?;
        let ns = ns.trim();
        if ns.is_empty() {
            return Err(KubeError::Other(format!("{} is empty: the pod's service account namespace is unknown", path.display())));
        }
        Ok(ns.to_string())
    }
}

fn read(path: &Path) -> Result<String, KubeError> {
    std::fs::read_to_string(path).map_err(|e| {
        KubeError::Other(format!(
            "running in a pod (KUBERNETES_SERVICE_HOST is set) but cannot read {}: {e}\n    fix: mount the service account token (automountServiceAccountToken: true, the default), or give lain a kubeconfig with KUBECONFIG",
            path.display()
        ))
    })
}

impl Kube {
    /// A client with the pod's service account, in the pod's namespace.
    pub fn in_cluster(ic: &InCluster) -> Result<Kube, KubeError> {
        crate::install_crypto_provider();
        let namespace = ic.namespace()?;
        let token_path = ic.file("token");
        read(&token_path)?;
        let ca_path = ic.file("ca.crt");
        let pem = read(&ca_path)?;
        let certs = CertificateDer::pem_slice_iter(pem.as_bytes())
            .map(|c| c.map(|c| c.to_vec()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| KubeError::Other(format!("{}: not a PEM certificate bundle: {e}", ca_path.display())))?;
        if certs.is_empty() {
            return Err(KubeError::Other(format!("{} holds no certificate: lain cannot check the API server's identity", ca_path.display())));
        }
        let url = ic.url();
        let uri: http::Uri = url.parse().map_err(|e| KubeError::Other(format!("KUBERNETES_SERVICE_HOST/PORT make no valid URL ({url}): {e}")))?;
        let mut config = kube::Config::new(uri);
        config.default_namespace = namespace.clone();
        config.root_cert = Some(certs);
        // kube-rs re-reads a token file as it expires: projected service account tokens rotate.
        config.auth_info.token_file = Some(token_path.display().to_string());
        Kube::with_config(config, &namespace)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detect_needs_host_and_port() {
        assert_eq!(InCluster::detect(None, Some("443".into()), None), None);
        assert_eq!(InCluster::detect(Some("10.0.0.1".into()), None, None), None);
        let ic = InCluster::detect(Some("10.0.0.1".into()), Some("443".into()), None).unwrap();
        assert_eq!(ic.dir, PathBuf::from(DEFAULT_DIR));
        assert_eq!(ic.url(), "https://10.0.0.1:443");
    }

    #[test]
    fn ipv6_host_is_bracketed() {
        let ic = InCluster::detect(Some("fd00::1".into()), Some("6443".into()), None).unwrap();
        assert_eq!(ic.url(), "https://[fd00::1]:6443");
    }

    #[test]
    fn missing_token_names_the_file_and_the_fix() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("namespace"), "team-a\n").unwrap();
        std::fs::write(dir.path().join("ca.crt"), "").unwrap();
        let ic = InCluster { host: "127.0.0.1".into(), port: "1".into(), dir: dir.path().to_path_buf() };
        assert_eq!(ic.namespace().unwrap(), "team-a");
        let err = Kube::in_cluster(&ic).err().expect("no token").to_string();
        assert!(err.contains(&dir.path().join("token").display().to_string()), "{err}");
        assert!(err.contains("automountServiceAccountToken"), "{err}");
    }
}
