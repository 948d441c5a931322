//! TEMPORARY stand-in for `crate::kube::health` (written on branch `ops`), implementing the
//! documented shared API so the dashboard builds before that branch lands. Deleted when `ops`
//! is merged: `status` then imports `crate::kube::health` instead (one line in status/mod.rs).

use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::core::v1::Pod;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProblemReason {
    CrashLoopBackOff,
    ImagePullBackOff,
    ErrImagePull,
    OOMKilled,
    Error,
    Unready,
    Pending,
    CreateContainerConfigError,
    JobFailed,
    Evicted,
    Other(String),
}

impl std::fmt::Display for ProblemReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = match self {
            ProblemReason::CrashLoopBackOff => "CrashLoopBackOff",
            ProblemReason::ImagePullBackOff => "ImagePullBackOff",
            ProblemReason::ErrImagePull => "ErrImagePull",
            ProblemReason::OOMKilled => "OOMKilled",
            ProblemReason::Error => "Error",
            ProblemReason::Unready => "Unready",
            ProblemReason::Pending => "Pending",
            ProblemReason::CreateContainerConfigError => "CreateContainerConfigError",
            ProblemReason::JobFailed => "JobFailed",
            ProblemReason::Evicted => "Evicted",
            ProblemReason::Other(s) => s,
        };
        f.write_str(s)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct PodProblem {
    pub pod: String,
    pub proc_: String,
    pub container: Option<String>,
    pub reason: ProblemReason,
    pub message: String,
    pub restarts: i32,
    pub since: Option<jiff::Timestamp>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    Green,
    Progressing { waiting_for: Vec<String> },
    Failed(Vec<PodProblem>),
}

fn ts(t: &k8s_openapi::apimachinery::pkg::apis::meta::v1::Time) -> Option<jiff::Timestamp> {
    Some(t.0)
}

fn proc_of(pod: &Pod) -> String {
    pod.metadata.labels.as_ref().and_then(|l| l.get("lain.io/proc")).cloned().unwrap_or_default()
}

pub fn pod_problems(pod: &Pod) -> Vec<PodProblem> {
    let name = pod.metadata.name.clone().unwrap_or_default();
    let proc_ = proc_of(pod);
    let mut out = Vec::new();
    let Some(status) = &pod.status else { return out };
    let phase = status.phase.as_deref().unwrap_or("");
    let mk = |container: Option<String>, reason, message: String, restarts, since| PodProblem {
        pod: name.clone(),
        proc_: proc_.clone(),
        container,
        reason,
        message,
        restarts,
        since,
    };
    if status.reason.as_deref() == Some("Evicted") {
        out.push(mk(None, ProblemReason::Evicted, status.message.clone().unwrap_or_default(), 0, None));
        return out;
    }
    let is_job = pod.metadata.labels.as_ref().and_then(|l| l.get("lain.io/kind")).is_some_and(|k| k == "job" || k == "cronjob" || k == "test");
    if phase == "Succeeded" {
        return out;
    }
    if phase == "Failed" && is_job {
        out.push(mk(None, ProblemReason::JobFailed, status.message.clone().unwrap_or_default(), 0, None));
        return out;
    }
    let all = status.init_container_statuses.iter().flatten().chain(status.container_statuses.iter().flatten());
    for cs in all {
        let st = cs.state.as_ref();
        if let Some(w) = st.and_then(|s| s.waiting.as_ref()) {
            let r = w.reason.as_deref().unwrap_or("");
            let last_term = cs.last_state.as_ref().and_then(|s| s.terminated.as_ref());
            let reason = match r {
                "CrashLoopBackOff" if last_term.and_then(|t| t.reason.as_deref()) == Some("OOMKilled") => ProblemReason::OOMKilled,
                "CrashLoopBackOff" => ProblemReason::CrashLoopBackOff,
                "ImagePullBackOff" => ProblemReason::ImagePullBackOff,
                "ErrImagePull" => ProblemReason::ErrImagePull,
                "CreateContainerConfigError" => ProblemReason::CreateContainerConfigError,
                "ContainerCreating" | "PodInitializing" | "" => continue,
                other => ProblemReason::Other(other.to_string()),
            };
            let since = last_term.and_then(|t| t.finished_at.as_ref()).and_then(ts);
            out.push(mk(Some(cs.name.clone()), reason, w.message.clone().unwrap_or_default(), cs.restart_count, since));
        } else if let Some(t) = st.and_then(|s| s.terminated.as_ref()) {
            if t.exit_code != 0 {
                let reason = if t.reason.as_deref() == Some("OOMKilled") { ProblemReason::OOMKilled } else { ProblemReason::Error };
                let msg = t.message.clone().unwrap_or_else(|| format!("exited with code {}", t.exit_code));
                out.push(mk(Some(cs.name.clone()), reason, msg, cs.restart_count, t.finished_at.as_ref().and_then(ts)));
            }
        } else if st.and_then(|s| s.running.as_ref()).is_some() && !cs.ready && phase == "Running" {
            let started = st.and_then(|s| s.running.as_ref()).and_then(|r| r.started_at.as_ref()).and_then(ts);
            out.push(mk(Some(cs.name.clone()), ProblemReason::Unready, "readiness probe failing".into(), cs.restart_count, started));
        }
    }
    if out.is_empty() && phase == "Pending" {
        let unsched = status.conditions.iter().flatten().find(|c| c.type_ == "PodScheduled" && c.status == "False");
        if let Some(c) = unsched {
            out.push(mk(None, ProblemReason::Pending, c.message.clone().unwrap_or_default(), 0, None));
        }
    }
    out
}

fn pod_ready(p: &Pod) -> bool {
    p.status.as_ref().and_then(|s| s.conditions.as_ref()).is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

fn tag_of(image: &str) -> &str {
    let last = image.rsplit('/').next().unwrap_or(image);
    last.split_once(':').map(|(_, t)| t).unwrap_or("latest")
}

pub fn verdict(pods: &[Pod], deployments: &[Deployment], statefulsets: &[StatefulSet], expected_tag: Option<&str>) -> Verdict {
    let problems: Vec<PodProblem> = pods.iter().filter(|p| p.metadata.deletion_timestamp.is_none()).flat_map(pod_problems).collect();
    let hard: Vec<PodProblem> = problems.iter().filter(|p| !matches!(p.reason, ProblemReason::Unready | ProblemReason::Pending)).cloned().collect();
    if !hard.is_empty() {
        return Verdict::Failed(hard);
    }
    let mut waiting = Vec::new();
    for d in deployments {
        let name = d.metadata.name.clone().unwrap_or_default();
        let want = d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
        let st = d.status.clone().unwrap_or_default();
        let (upd, ready, total) = (st.updated_replicas.unwrap_or(0), st.ready_replicas.unwrap_or(0), st.replicas.unwrap_or(0));
        if st.observed_generation < d.metadata.generation || upd < want || ready < want || total > want {
            waiting.push(format!("deployment {name}: {ready}/{want} ready, {upd} updated"));
        }
    }
    for s in statefulsets {
        let name = s.metadata.name.clone().unwrap_or_default();
        let want = s.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
        let st = s.status.clone().unwrap_or_default();
        let (upd, ready) = (st.updated_replicas.unwrap_or(0), st.ready_replicas.unwrap_or(0));
        if upd < want || ready < want {
            waiting.push(format!("statefulset {name}: {ready}/{want} ready, {upd} updated"));
        }
    }
    for p in pods.iter().filter(|p| p.metadata.deletion_timestamp.is_none()) {
        let kind = p.metadata.labels.as_ref().and_then(|l| l.get("lain.io/kind")).map(String::as_str).unwrap_or("");
        if kind != "deployment" && kind != "statefulset" {
            continue;
        }
        let name = p.metadata.name.clone().unwrap_or_default();
        if !pod_ready(p) {
            waiting.push(format!("pod {name} not ready"));
        } else if let Some(want) = expected_tag {
            let img = p.spec.as_ref().and_then(|s| s.containers.first()).and_then(|c| c.image.as_deref()).unwrap_or("");
            if tag_of(img) != want {
                waiting.push(format!("pod {name} runs {} (want {want})", tag_of(img)));
            }
        }
    }
    if waiting.is_empty() { Verdict::Green } else { Verdict::Progressing { waiting_for: waiting } }
}
