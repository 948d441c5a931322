//! `lain wait`, and the green-light wait every changing command ends with: watch the release
//! until every pod is Running and Ready (on the expected tag), fail fast with a report when a
//! pod is broken for good, give up with a report at the timeout.

use std::time::{Duration, Instant, SystemTime};

use crate::context::Ctx;
use crate::error::LainError;
use crate::kube::Kube;
use crate::kube::pods::ReleaseObjects;
use crate::kube::report::{all_problems, describe};
use crate::kube::watch::{Extra, WaitOutcome, WaitSpec, wait};
use crate::output;

use super::release::{Target, block_on};

pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);

/// The release is green.
#[derive(Debug, Clone)]
pub struct Green {
    pub at: SystemTime,
    pub took: Duration,
    /// Pods of long-running procs that are up.
    pub pods: usize,
}

fn running_pods(o: &ReleaseObjects) -> usize {
    o.pods
        .iter()
        .filter(|p| p.metadata.deletion_timestamp.is_none() && crate::kube::pods::is_ready(p))
        .filter(|p| {
            matches!(p.metadata.labels.as_ref().and_then(|l| l.get(crate::kube::health::KIND_LABEL)).map(String::as_str), Some("deployment" | "statefulset"))
        })
        .count()
}

/// Waits for the green light. Errors: [`LainError::RolloutFailed`] (exit 4) with the report,
/// [`LainError::TimedOut`] (exit 5), [`LainError::Interrupted`] on Ctrl-C.
pub async fn green(kube: &Kube, release: &str, expected_tag: Option<&str>, timeout: Duration, extra: Option<Extra<'_>>) -> Result<Green, LainError> {
    green_spec(kube, release, None, expected_tag, timeout, extra).await
}

/// [`green`] for the objects matching `selector` (named `what` in messages) rather than a whole
/// release: one color of a blue/green deploy.
pub async fn green_matching(kube: &Kube, what: &str, selector: &str, expected_tag: Option<&str>, timeout: Duration) -> Result<Green, LainError> {
    green_spec(kube, what, Some(selector.to_string()), expected_tag, timeout, None).await
}

async fn green_spec(
    kube: &Kube,
    release: &str,
    selector: Option<String>,
    expected_tag: Option<&str>,
    timeout: Duration,
    extra: Option<Extra<'_>>,
) -> Result<Green, LainError> {
    let start = Instant::now();
    let spec = WaitSpec { release: release.to_string(), selector, expected_tag: expected_tag.map(str::to_string), timeout, progress: true, extra };
    let outcome = tokio::select! {
        r = wait(kube, spec) => r?,
        _ = tokio::signal::ctrl_c() => {
            return Err(LainError::Interrupted { message: format!("stopped waiting for {release} (Ctrl-C); nothing was undone: check it with `lain status` or `lain wait`") });
        }
    };
    match outcome {
        WaitOutcome::Green { at, objects } => Ok(Green { at, took: start.elapsed(), pods: running_pods(&objects) }),
        WaitOutcome::Failed { problems, .. } => {
            let report = describe(kube, &problems).await;
            Err(LainError::RolloutFailed { message: format!("{release} is not healthy; what went wrong:\n{}", report.trim_end()) })
        }
        WaitOutcome::TimedOut { waiting_for, objects } => {
            let problems = all_problems(&objects);
            let mut msg = format!("timed out after {}s waiting for {release} to be green", timeout.as_secs());
            msg.push_str("\n  still waiting for:");
            for w in &waiting_for {
                msg.push_str(&format!("\n    {w}"));
            }
            if !problems.is_empty() {
                msg.push_str("\n  problems seen:\n");
                msg.push_str(describe(kube, &problems).await.trim_end());
            }
            msg.push_str("\n  fix: see `lain status` and `lain logs`; wait longer with --timeout");
            Err(LainError::TimedOut { message: msg })
        }
    }
}

pub struct WaitOptions {
    pub timeout: Duration,
    /// Wait for this release without reading an app (no chart needed).
    pub release: Option<String>,
}

/// `lain wait`: every container of the app Running and Ready.
///
/// With a release name, or in a pod that has `LAIN_RELEASE` (a helm test pod of a lain
/// chart), no app is read: that is how `values.tests` runs `lain wait` from the lain image,
/// with the pod's service account (see [`crate::kube::in_cluster`]).
pub fn run(ctx: &Ctx, opts: &WaitOptions) -> Result<Green, LainError> {
    let in_pod_release = ctx.env.in_cluster.as_ref().and(ctx.env.lain_release.clone());
    if let Some(release) = opts.release.clone().or(in_pod_release) {
        use crate::config::schema::{MAX_RELEASE_NAME, dns_label_problem};
        if let Some(p) = dns_label_problem(&release, MAX_RELEASE_NAME) {
            return Err(LainError::bad_input(format!("lain wait {release:?}: a release name {p}; give the release as `helm list` shows it")));
        }
        return block_on(async {
            let kube = Kube::connect_without_app(ctx).await?;
            announce_green(&release, green(&kube, &release, None, opts.timeout, None).await?)
        })?;
    }
    let t = Target::load(ctx, &[])?;
    block_on(async {
        let kube = t.connect(ctx).await?;
        announce_green(&t.release, green(&kube, &t.release, None, opts.timeout, None).await?)
    })?
}

fn announce_green(release: &str, g: Green) -> Result<Green, LainError> {
    output::success(&format!("{release} is green: {} pod{} Running and Ready", g.pods, if g.pods == 1 { "" } else { "s" }));
    Ok(g)
}
