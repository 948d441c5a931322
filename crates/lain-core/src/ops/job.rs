//! `lain job [-- CMD]`: a one-off Job with the app's image, env and volumes (copied from the
//! deployed proc, so it sees exactly what the app sees), printing its logs; the exit code is
//! the command's. Without a command: a container that sleeps, a shell in it, then the Job is
//! deleted.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use futures::StreamExt;
use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::batch::v1::{Job, JobSpec};
use k8s_openapi::api::core::v1::{Pod, PodSpec, PodTemplateSpec};
use kube::api::{DeleteParams, ObjectMeta, PostParams, PropagationPolicy};
use kube::runtime::{WatchStreamExt, watcher};

use crate::context::Ctx;
use crate::error::LainError;
use crate::kube::exec::{default_shell, exec};
use crate::kube::health::{KIND_LABEL, PROC_LABEL, pod_problems};
use crate::kube::logs::follow_container;
use crate::kube::report::describe;
use crate::kube::{Kube, KubeError};
use crate::output;

use super::exec::default_proc;
use super::release::{Target, block_on};

#[derive(Debug, Clone)]
pub struct JobOptions {
    pub command: Vec<String>,
    /// Which proc's image, env and volumes to use (default: web, else the first).
    pub proc_: Option<String>,
    /// The Job's deadline (activeDeadlineSeconds), and how long lain waits.
    pub timeout: Duration,
    /// Create it and return (print how to follow it).
    pub detach: bool,
}

impl Default for JobOptions {
    fn default() -> Self {
        JobOptions { command: vec![], proc_: None, timeout: Duration::from_secs(3600), detach: false }
    }
}

/// A DNS-label-safe, unique-enough suffix: base-36 of the current time in ms.
pub fn stamp() -> String {
    let mut n = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0);
    let digits = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut s = Vec::new();
    while n > 0 {
        s.push(digits[(n % 36) as usize]);
        n /= 36;
    }
    s.reverse();
    String::from_utf8(s).unwrap_or_default()
}

/// Trims a name so a Job's pods (name + 6 characters) stay within 63.
pub fn job_name(base: &str, suffix: &str) -> String {
    let keep = 52usize.saturating_sub(suffix.len() + 1);
    let base: String = base.chars().take(keep).collect();
    format!("{}-{suffix}", base.trim_end_matches('-'))
}

/// The pod spec of the deployed proc, reduced to what a one-off command needs.
fn one_off_spec(mut spec: PodSpec, proc_: &str, command: Vec<String>) -> PodSpec {
    let idx = spec.containers.iter().position(|c| c.name == proc_).unwrap_or(0);
    let mut c = spec.containers.swap_remove(idx);
    c.command = Some(command);
    c.args = None;
    c.readiness_probe = None;
    c.liveness_probe = None;
    c.startup_probe = None;
    c.lifecycle = None;
    c.ports = None;
    c.stdin = None;
    c.tty = None;
    spec.containers = vec![c];
    // Init containers prepare the server (wait for a database...), not a one-off command.
    spec.init_containers = None;
    spec.restart_policy = Some("Never".into());
    spec
}

async fn source_spec(kube: &Kube, t: &Target, proc_: &str) -> Result<PodSpec, LainError> {
    let name = format!("{}-{proc_}", t.release);
    let d = kube.api::<Deployment>().get_opt(&name).await.map_err(|e| KubeError::api(format!("reading deployment {name}"), e))?;
    if let Some(s) = d.and_then(|d| d.spec).and_then(|s| s.template.spec) {
        return Ok(s);
    }
    let s = kube.api::<StatefulSet>().get_opt(&name).await.map_err(|e| KubeError::api(format!("reading statefulset {name}"), e))?;
    if let Some(s) = s.and_then(|s| s.spec).and_then(|s| s.template.spec) {
        return Ok(s);
    }
    Err(LainError::bad_input(format!("{name} is not deployed on cluster {}: `lain job` runs with a deployed proc's image and env; deploy first", t.cluster)))
}

/// Waits for the Job's pod to run (or end); fails with a report when it cannot start.
async fn wait_for_pod(kube: &Kube, selector: &str, timeout: Duration) -> Result<Pod, LainError> {
    let mut events = watcher(kube.api::<Pod>(), watcher::Config::default().labels(selector)).default_backoff().boxed();
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let ev = tokio::select! {
            e = events.next() => e,
            _ = tokio::time::sleep_until(deadline) => return Err(LainError::TimedOut { message: format!("the job's pod did not start within {}s", timeout.as_secs()) }),
        };
        let pod = match ev {
            Some(Ok(watcher::Event::Apply(p) | watcher::Event::InitApply(p))) => p,
            Some(_) => continue,
            None => return Err(KubeError::Other("the watch ended unexpectedly".into()).into()),
        };
        let phase = pod.status.as_ref().and_then(|s| s.phase.clone()).unwrap_or_default();
        if matches!(phase.as_str(), "Running" | "Succeeded" | "Failed") {
            return Ok(pod);
        }
        let fatal: Vec<_> = pod_problems(&pod).into_iter().filter(|p| crate::kube::health::is_fatal(&pod, p)).collect();
        if !fatal.is_empty() {
            let report = describe(kube, &fatal).await;
            return Err(LainError::RolloutFailed { message: format!("the job's pod cannot start:\n{}", report.trim_end()) });
        }
    }
}

/// Waits for the pod to end; its main container's exit code.
async fn wait_for_exit(kube: &Kube, selector: &str, container: &str, timeout: Duration) -> Result<i32, LainError> {
    let mut events = watcher(kube.api::<Pod>(), watcher::Config::default().labels(selector)).default_backoff().boxed();
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let ev = tokio::select! {
            e = events.next() => e,
            _ = tokio::time::sleep_until(deadline) => return Err(LainError::TimedOut { message: format!("the job did not finish within {}s", timeout.as_secs()) }),
        };
        let Some(Ok(watcher::Event::Apply(pod) | watcher::Event::InitApply(pod))) = ev else { continue };
        let code = pod
            .status
            .as_ref()
            .and_then(|s| s.container_statuses.as_ref())
            .and_then(|cs| cs.iter().find(|c| c.name == container))
            .and_then(|c| c.state.as_ref())
            .and_then(|s| s.terminated.as_ref())
            .map(|t| t.exit_code);
        if let Some(c) = code {
            return Ok(c);
        }
        match pod.status.as_ref().and_then(|s| s.phase.as_deref()) {
            Some("Succeeded") => return Ok(0),
            Some("Failed") => return Ok(1),
            _ => {}
        }
    }
}

/// Follows a Job's pod: logs to stdout, then its exit code.
pub async fn follow(kube: &Kube, selector: &str, container: &str, timeout: Duration) -> Result<i32, LainError> {
    let pod = wait_for_pod(kube, selector, timeout).await?;
    let name = pod.metadata.name.clone().unwrap_or_default();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    let printer = tokio::spawn(async move {
        while let Some(l) = rx.recv().await {
            output::data(&l);
        }
    });
    follow_container(kube, &name, container, tx).await;
    let _ = printer.await;
    wait_for_exit(kube, selector, container, timeout).await
}

pub fn run(ctx: &Ctx, opts: &JobOptions) -> Result<i32, LainError> {
    let t = Target::load(ctx, &[])?;
    let proc_ = match &opts.proc_ {
        Some(p) => {
            super::restart::check_procs(&t, std::slice::from_ref(p))?;
            p.clone()
        }
        None => default_proc(&t)?,
    };
    let interactive_shell = opts.command.is_empty();
    let command = if interactive_shell { vec!["sleep".to_string(), opts.timeout.as_secs().to_string()] } else { opts.command.clone() };
    let name = job_name(&format!("{}-job", t.release), &stamp());
    block_on(async {
        let kube = t.connect(ctx).await?;
        let spec = one_off_spec(source_spec(&kube, &t, &proc_).await?, &proc_, command);
        let container = spec.containers.first().map(|c| c.name.clone()).unwrap_or_default();
        // Not the chart's `job` kind: the green light must not wait for a one-off job.
        let labels = BTreeMap::from([
            ("app.kubernetes.io/name".to_string(), t.appname.clone()),
            ("app.kubernetes.io/instance".to_string(), t.release.clone()),
            (KIND_LABEL.to_string(), "lain-job".to_string()),
            (PROC_LABEL.to_string(), name.clone()),
        ]);
        let job = Job {
            metadata: ObjectMeta { name: Some(name.clone()), labels: Some(labels.clone()), ..Default::default() },
            spec: Some(JobSpec {
                backoff_limit: Some(0),
                ttl_seconds_after_finished: Some(86400),
                active_deadline_seconds: Some(opts.timeout.as_secs() as i64),
                template: PodTemplateSpec { metadata: Some(ObjectMeta { labels: Some(labels), ..Default::default() }), spec: Some(spec) },
                ..Default::default()
            }),
            ..Default::default()
        };
        kube.api::<Job>().create(&PostParams::default(), &job).await.map_err(|e| KubeError::api(format!("creating job {name}"), e))?;
        output::info(&format!("created job {name} (image and env of {proc_})"));
        let selector = format!("{PROC_LABEL}={name}");
        if opts.detach {
            output::info(&format!("follow it with: kubectl logs -f job/{name} --namespace {}", t.namespace));
            output::data(&name);
            return Ok(0);
        }
        if interactive_shell {
            let pod = wait_for_pod(&kube, &selector, opts.timeout).await?;
            let pod_name = pod.metadata.name.clone().unwrap_or_default();
            let tty = output::interactive();
            let code = exec(&kube, &pod_name, Some(&container), default_shell(), tty).await;
            let dp = DeleteParams { propagation_policy: Some(PropagationPolicy::Background), ..Default::default() };
            let _ = kube.api::<Job>().delete(&name, &dp).await;
            output::info(&format!("deleted job {name}"));
            return Ok(code?);
        }
        let code = follow(&kube, &selector, &container, opts.timeout).await?;
        if code == 0 {
            output::success(&format!("job {name} succeeded"));
        } else {
            output::warn(&format!("job {name} failed with exit code {code}"));
        }
        Ok(code)
    })?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_fit() {
        let n = job_name(&"x".repeat(80), "abcdef1");
        assert!(n.len() <= 52, "{n}");
        assert!(n.ends_with("-abcdef1"));
        assert_eq!(job_name("dummy-job", "k1"), "dummy-job-k1");
        assert!(stamp().chars().all(|c| c.is_ascii_alphanumeric()));
    }
}
