//! `lain use [CLUSTER]`.

use crate::context::Ctx;
use crate::error::LainError;
use crate::output;

/// One row of `lain use` without an argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterRow {
    pub name: String,
    pub current: bool,
    pub has_kubeconfig: bool,
}

pub fn list(ctx: &Ctx) -> Result<Vec<ClusterRow>, LainError> {
    let kd = ctx.env.kube_dir();
    let current = kd.current();
    Ok(ctx
        .clusters()?
        .names()
        .into_iter()
        .map(|name| ClusterRow { current: current.as_deref() == Some(name.as_str()), has_kubeconfig: kd.kubeconfig_for(&name).is_file(), name })
        .collect())
}

/// Switches to `cluster`: it must be a known cluster and its kubeconfig must exist.
pub fn switch(ctx: &Ctx, cluster: &str) -> Result<(), LainError> {
    let clusters = ctx.clusters()?;
    let cfg = clusters.get(cluster)?;
    let kd = ctx.env.kube_dir();
    kd.switch(cluster, cfg.extra_docs.as_deref())?;
    if let Some(k) = &ctx.env.kubeconfig_env {
        output::warn(&format!("KUBECONFIG={k} is set, so kubectl and helm typed by hand ignore ~/.kube/config; unset it to follow `lain use`"));
    }
    Ok(())
}
