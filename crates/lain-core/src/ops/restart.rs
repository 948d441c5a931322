//! `lain restart [PROC...] [--graceful] [--wait]`: delete pods, their controllers recreate them
//! (the seeds: "虽说是重启, 但其实是删除容器"). `--graceful` deletes one pod at a time and
//! waits for the green light in between, so a proc with several replicas never stops serving;
//! pods that are not Ready (serving nothing) are deleted first, together.

use std::time::Duration;

use crate::context::Ctx;
use crate::error::LainError;
use crate::kube::Kube;
use crate::kube::health::KIND_LABEL;
use crate::kube::pods::{is_ready, pod_proc, release_selector};
use crate::output;

use super::release::{Target, block_on};
use super::wait::{DEFAULT_TIMEOUT, green};

#[derive(Debug, Clone)]
pub struct RestartOptions {
    pub procs: Vec<String>,
    pub graceful: bool,
    pub wait: bool,
    pub timeout: Duration,
}

impl Default for RestartOptions {
    fn default() -> Self {
        RestartOptions { procs: vec![], graceful: false, wait: false, timeout: DEFAULT_TIMEOUT }
    }
}

/// Pods deleted, in order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Restarted {
    pub pods: Vec<String>,
}

/// Checks proc names against the long-running procs of the app.
pub fn check_procs(t: &Target, procs: &[String]) -> Result<(), LainError> {
    let known: Vec<String> = t.app.service_procs().map(|p| p.name.clone()).collect();
    for p in procs {
        if !known.contains(p) {
            return Err(super::release::unknown_name("proc", p, &t.appname, &known));
        }
    }
    Ok(())
}

pub fn run(ctx: &Ctx, opts: &RestartOptions) -> Result<Restarted, LainError> {
    let t = Target::load(ctx, &[])?;
    check_procs(&t, &opts.procs)?;
    block_on(async {
        let kube = t.connect(ctx).await?;
        restart(&kube, &t, opts).await
    })?
}

/// The restart itself, for callers that already have a client (env/secret `--auto-pilot`).
pub async fn restart(kube: &Kube, t: &Target, opts: &RestartOptions) -> Result<Restarted, LainError> {
    let pods: Vec<_> = kube
        .pods(&release_selector(&t.release))
        .await?
        .into_iter()
        .filter(|p| p.metadata.deletion_timestamp.is_none())
        .filter(|p| matches!(p.metadata.labels.as_ref().and_then(|l| l.get(KIND_LABEL)).map(String::as_str), Some("deployment" | "statefulset")))
        .filter(|p| opts.procs.is_empty() || opts.procs.iter().any(|x| x == pod_proc(p)))
        .collect();
    if pods.is_empty() {
        output::info(&format!("{} has no running pods to restart", t.release));
        return Ok(Restarted::default());
    }
    let mut done = Restarted::default();
    let n = pods.len();
    if opts.graceful {
        // Pods that are not Ready serve nothing: they go first, together (waiting for each
        // would fail on the others, e.g. when this restart is what fixes a crash loop). Then
        // the healthy ones, one at a time, each after the green light.
        let (broken, healthy): (Vec<_>, Vec<_>) = pods.iter().partition(|p| !is_ready(p));
        if !broken.is_empty() {
            for p in &broken {
                let name = p.metadata.name.clone().unwrap_or_default();
                kube.delete_pod(&name).await?;
                done.pods.push(name);
            }
            output::info(&format!(
                "deleted {} pod{} that {} not Ready: {}; waiting for the green light",
                broken.len(),
                if broken.len() == 1 { "" } else { "s" },
                if broken.len() == 1 { "was" } else { "were" },
                done.pods.join(", ")
            ));
            green(kube, &t.release, None, opts.timeout, None).await?;
        }
        let first = done.pods.len();
        for (i, p) in healthy.iter().enumerate() {
            let name = p.metadata.name.clone().unwrap_or_default();
            kube.delete_pod(&name).await?;
            output::info(&format!("[{}/{n}] deleted pod {name}; waiting for the green light", first + i + 1));
            done.pods.push(name);
            green(kube, &t.release, None, opts.timeout, None).await?;
        }
        output::success(&format!("restarted {n} pod{} of {} one by one; it is green", if n == 1 { "" } else { "s" }, t.release));
    } else {
        for p in &pods {
            let name = p.metadata.name.clone().unwrap_or_default();
            kube.delete_pod(&name).await?;
            output::info(&format!("deleted pod {name}"));
            done.pods.push(name);
        }
        if opts.wait {
            green(kube, &t.release, None, opts.timeout, None).await?;
            output::success(&format!("restarted {n} pod{} of {}; it is green", if n == 1 { "" } else { "s" }, t.release));
        } else {
            output::success(&format!(
                "deleted {n} pod{} of {}; their controllers recreate them (`lain wait` to wait for them)",
                if n == 1 { "" } else { "s" },
                t.release
            ));
        }
    }
    Ok(done)
}
