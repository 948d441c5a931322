//! lain's library. Every command's logic lives here; the `lain` binary only parses flags,
//! calls into `ops`, and reports errors.
//!
//! Layout (one module per concern):
//! - [`config`]: cluster configuration, app values, the recursive merge, `--set`, validation
//! - [`chart`]: the Helm chart lain writes into an app (`lain init`), embedded in the binary
//! - [`process`]: the one runner for helm / kubectl / docker, which prints every command
//! - [`helm`]: typed wrapper over the helm binary
//! - [`image`]: Dockerfile rendering, image tags, docker engine, compose
//! - [`registry`]: the registries' HTTP APIs behind one trait
//! - [`kube`]: the Kubernetes API (kube-rs)
//! - [`notify`]: webhooks; [`lint`]: `lain lint`; [`gitlab`]: the GitLab API (`assign-mr`, `wait-mr-approval`)
//! - [`http`]: the HTTP client those share
//! - [`ops`]: each command's flow

pub mod chart;
pub use lain_config as config;
pub mod context;
pub mod error;
pub mod git;
pub mod gitlab;
pub mod helm;
pub mod http;
pub mod image;
pub mod kube;
pub mod kubeconfig;
pub mod lint;
pub mod notify;
pub mod ops;
pub mod output;
pub mod process;
pub mod registry;
pub mod status;

/// Installs rustls' ring provider once per process (kube and reqwest share it). Safe to call
/// more than once.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
