//! The Kubernetes API, through kube-rs: a client for the current cluster, and the reads and
//! writes lain's commands need (pods, workloads, secrets, logs, exec, events). Nothing here
//! parses kubectl output.
//!
//! The async work runs on a small tokio runtime made per command ([`runtime`]); the ops that use
//! it stay synchronous for the binary.

pub mod client;
pub mod events;
pub mod exec;
pub mod health;
pub mod in_cluster;
pub mod logs;
pub mod pods;
pub mod report;
pub mod secret_doc;
pub mod secrets;
pub mod services;
pub mod watch;

pub use client::Kube;

use crate::error::exit;

#[derive(Debug, thiserror::Error)]
pub enum KubeError {
    #[error("cannot read the kubeconfig {path}: {reason}\n    fix: check the file (it should come from your SA), or run `lain use CLUSTER` again")]
    Kubeconfig { path: String, reason: String },
    #[error("cannot reach the Kubernetes API at {server}: {reason}\n    fix: check your network / VPN and that ~/.kube/kubeconfig-{cluster} is current")]
    Connect { server: String, cluster: String, reason: String },
    #[error(
        "{action}: cannot reach the Kubernetes API server: {reason}\n    fix: check your network / VPN, and that ~/.kube/config (see `lain use`) points at a live cluster: `kubectl get pods` should answer"
    )]
    Unreachable { action: String, reason: String },
    #[error(
        "{action}: the Kubernetes API server's certificate is not trusted: {reason}\n    fix: the CA lain was given (the kubeconfig's certificate-authority-data, or in a pod its service account's ca.crt) did not sign the server's certificate: ask your SA for a current kubeconfig"
    )]
    Untrusted { action: String, reason: String },
    #[error("{action}: {source}")]
    Api {
        action: String,
        #[source]
        source: Box<kube::Error>,
    },
    #[error("{kind} {name} not found in namespace {namespace}{hint}")]
    NotFound { kind: String, name: String, namespace: String, hint: String },
    #[error("{0}")]
    Other(String),
}

impl KubeError {
    pub fn api(action: impl Into<String>, source: kube::Error) -> Self {
        // Transport failures (refused, timed out, DNS) say nothing useful at the top of kube's
        // error chain; the deepest cause does ("Connection refused (os error 111)").
        if matches!(source, kube::Error::Service(_) | kube::Error::HyperError(_)) {
            let mut reason = source.to_string();
            let mut cur: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(&source);
            while let Some(c) = cur {
                reason = c.to_string();
                cur = c.source();
            }
            // rustls says "invalid peer certificate: ..." whatever the exact problem.
            if reason.contains("certificate") {
                return KubeError::Untrusted { action: action.into(), reason };
            }
            return KubeError::Unreachable { action: action.into(), reason };
        }
        KubeError::Api { action: action.into(), source: Box::new(source) }
    }

    pub fn exit_code(&self) -> i32 {
        match self {
            KubeError::Kubeconfig { .. } | KubeError::NotFound { .. } => exit::BAD_INPUT,
            _ => exit::FAILURE,
        }
    }

    /// The HTTP status of an API error, if that is what this is.
    pub fn status(&self) -> Option<u16> {
        match self {
            KubeError::Api { source, .. } => api_status(source),
            _ => None,
        }
    }
}

pub fn api_status(e: &kube::Error) -> Option<u16> {
    match e {
        kube::Error::Api(s) => Some(s.code),
        _ => None,
    }
}

/// A runtime for one command. Two worker threads: log streams and watches are I/O-bound.
pub fn runtime() -> Result<tokio::runtime::Runtime, KubeError> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| KubeError::Other(format!("cannot start the async runtime: {e}")))
}
