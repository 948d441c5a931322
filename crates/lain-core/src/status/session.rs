//! From lain's context (cluster, app, flags) to a running status feed or a one-shot model: the
//! part of `lain status` that the binary's command and `open_dashboard` share.

use std::net::SocketAddr;

use super::build::Target;
use super::links::links;
use super::live::{self, Live, LiveOptions};
use super::model::StatusModel;
use super::probe::ProbeError;
use crate::config::AppConfig;
use crate::context::Ctx;
use crate::kube::{Kube, KubeError};

#[derive(Debug, thiserror::Error)]
pub enum StatusError {
    #[error(transparent)]
    Connect(#[from] KubeError),
    #[error(transparent)]
    Probe(#[from] ProbeError),
    #[error(
        "cannot read the app's objects from cluster \"{cluster}\": {source}\n    fix: check that the cluster is reachable (`kubectl get pods`) and that your kubeconfig is current"
    )]
    Kube {
        cluster: String,
        #[source]
        source: kube::Error,
    },
}

/// What the caller knows beyond the app: the tag just deployed, `--resolve` overrides.
#[derive(Debug, Clone, Default)]
pub struct StatusRequest {
    pub expected_tag: Option<String>,
    pub resolve: Vec<(String, SocketAddr)>,
}

pub fn target(app: &AppConfig, expected_tag: Option<String>) -> Target {
    let ns = app.cluster.namespace.clone();
    Target {
        appname: app.appname.clone(),
        release: app.release_name.clone(),
        cluster: app.cluster.name.clone(),
        links: links(&app.cluster, &ns, &app.appname, &app.release_name),
        namespace: ns,
        expected_tag,
    }
}

pub fn options(ctx: &Ctx, app: &AppConfig, req: &StatusRequest) -> LiveOptions {
    let mut o = LiveOptions::new(target(app, req.expected_tag.clone()));
    o.helm = Some(ctx.helm());
    o.resolve = req.resolve.clone();
    o
}

/// The same client every other command uses ([`Kube::connect`]: `KUBECONFIG`, else the `lain use`
/// cluster's kubeconfig).
pub async fn connect(ctx: &Ctx, app: &AppConfig) -> Result<kube::Client, StatusError> {
    Ok(Kube::connect(ctx, &app.cluster.namespace).await?.client)
}

/// Starts the live feed (watches + background tasks). Inside a tokio runtime.
pub async fn start(ctx: &Ctx, app: &AppConfig, req: &StatusRequest) -> Result<Live, StatusError> {
    let client = connect(ctx, app).await?;
    Ok(live::start(client, options(ctx, app, req))?)
}

/// Lists once and builds the model (`lain status -s`, `--output json`).
pub async fn once(ctx: &Ctx, app: &AppConfig, req: &StatusRequest) -> Result<StatusModel, StatusError> {
    let client = connect(ctx, app).await?;
    live::snapshot_once(client, &options(ctx, app, req)).await.map_err(|source| StatusError::Kube { cluster: app.cluster.name.clone(), source })
}
