//! Pod health: what is wrong with a pod, and whether a release is "green".
//!
//! Pure functions over k8s-openapi types, shared by `lain deploy` / `lain wait` (which feed them
//! from watches) and the `lain status` dashboard. No I/O here, so every rule below is unit
//! tested with hand-made objects.
//!
//! Green (the seeds' 绿灯) means: every pod of every long-running proc is Running and Ready on
//! the expected image tag, every rollout is complete (updated == ready == desired, no old
//! replicas left), the release's Jobs have succeeded, and nothing is broken.
//!
//! Some problems are *fatal* (waiting longer will not fix them: CrashLoopBackOff, an image that
//! cannot be pulled, OOMKilled, a failed Job) and fail a deploy at once; others (a pod not yet
//! scheduled, a readiness probe not yet passing) only make it wait, and are reported if the wait
//! times out.

use std::collections::BTreeMap;
use std::fmt;

use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::core::v1::{ContainerStatus, Pod, PodSpec};

/// Pod label naming the proc (deployment, statefulset, job, cronjob or test name).
pub const PROC_LABEL: &str = "lain.io/proc";
/// Pod label: deployment | statefulset | job | cronjob | test.
pub const KIND_LABEL: &str = "lain.io/kind";
/// Pod label naming the helm release.
pub const INSTANCE_LABEL: &str = "app.kubernetes.io/instance";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProblemReason {
    CrashLoopBackOff,
    ImagePullBackOff,
    ErrImagePull,
    OOMKilled,
    /// A container terminated with a non-zero exit code.
    Error,
    /// Running, but its readiness probe is failing (or has not passed yet).
    Unready,
    /// Not scheduled, or waiting to start.
    Pending,
    CreateContainerConfigError,
    JobFailed,
    Evicted,
    Other(String),
}

impl fmt::Display for ProblemReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
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

impl ProblemReason {
    /// What a backend developer should try, in one or two sentences.
    pub fn advice(&self) -> &'static str {
        match self {
            ProblemReason::CrashLoopBackOff | ProblemReason::Error => {
                "the program exits: read its log above (`lain logs PROC`), fix and deploy again, or `lain rollback`"
            }
            ProblemReason::ImagePullBackOff | ProblemReason::ErrImagePull => {
                "the image cannot be pulled: was it built and pushed? `lain deploy --build` (or `lain --auto-pilot deploy`) builds it; check the tag with `lain version`"
            }
            ProblemReason::OOMKilled => {
                "the container used more memory than its limit: raise resources.limits.memory in chart/values.yaml (see `lain lint`), or find the leak"
            }
            ProblemReason::Unready => {
                "the readiness probe does not pass: check the probe's path and port in chart/values.yaml and what the app logs; `lain x` gets you a shell inside"
            }
            ProblemReason::Pending => {
                "the pod cannot be scheduled or started: too few resources (lower resources.requests) or a wrong `nodes:` list; ask your SA if it persists"
            }
            ProblemReason::CreateContainerConfigError => {
                "the container's configuration is wrong, often a missing Secret key or ConfigMap referenced by env/volumes"
            }
            ProblemReason::JobFailed => "the job failed: read its log above (`lain logs JOB`), fix and deploy again",
            ProblemReason::Evicted => "the node ran out of resources and evicted the pod; Kubernetes starts a replacement",
            ProblemReason::Other(_) => "see `lain status` and `lain logs` for details",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct PodProblem {
    pub pod: String,
    /// The pod's `lain.io/proc` label (empty when absent).
    pub proc_: String,
    pub container: Option<String>,
    pub reason: ProblemReason,
    pub message: String,
    pub restarts: i32,
    pub since: Option<jiff::Timestamp>,
}

impl fmt::Display for PodProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "pod {}", self.pod)?;
        if let Some(c) = &self.container {
            write!(f, " container {c}")?;
        }
        write!(f, ": {}", self.reason)?;
        if !self.message.is_empty() {
            write!(f, " ({})", self.message)?;
        }
        if self.restarts > 0 {
            write!(f, ", restarted {} time{}", self.restarts, if self.restarts == 1 { "" } else { "s" })?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    Green,
    Progressing { waiting_for: Vec<String> },
    Failed(Vec<PodProblem>),
}

fn label<'a>(pod: &'a Pod, key: &str) -> Option<&'a str> {
    pod.metadata.labels.as_ref()?.get(key).map(String::as_str)
}

fn pod_name(pod: &Pod) -> String {
    pod.metadata.name.clone().unwrap_or_default()
}

/// The tag of an image reference (`reg:5000/app:TAG` → `TAG`), ignoring a digest.
pub fn image_tag(image: &str) -> Option<&str> {
    let no_digest = image.split('@').next().unwrap_or(image);
    let last = no_digest.rsplit('/').next().unwrap_or(no_digest);
    last.split_once(':').map(|(_, t)| t)
}

fn spec_has_tag(spec: Option<&PodSpec>, tag: &str) -> bool {
    spec.is_some_and(|s| s.containers.iter().any(|c| c.image.as_deref().and_then(image_tag) == Some(tag)))
}

fn restart_policy_never(pod: &Pod) -> bool {
    pod.spec.as_ref().and_then(|s| s.restart_policy.as_deref()).is_some_and(|p| p != "Always")
}

/// One problem of one container, and whether it is fatal (waiting will not fix it).
fn container_problem(pod: &Pod, cs: &ContainerStatus, init: bool) -> Option<(PodProblem, bool)> {
    let mk = |reason: ProblemReason, message: String, since: Option<jiff::Timestamp>| PodProblem {
        pod: pod_name(pod),
        proc_: label(pod, PROC_LABEL).unwrap_or_default().to_string(),
        container: Some(cs.name.clone()),
        reason,
        message,
        restarts: cs.restart_count,
        since,
    };
    let state = cs.state.as_ref();
    let last_term = cs.last_state.as_ref().and_then(|s| s.terminated.as_ref());
    if let Some(w) = state.and_then(|s| s.waiting.as_ref()) {
        let reason = w.reason.as_deref().unwrap_or("");
        let msg = w.message.clone().unwrap_or_default();
        let last_finished = last_term.and_then(|t| t.finished_at.as_ref()).map(|t| t.0);
        return match reason {
            "CrashLoopBackOff" => {
                let exit = last_term.map(|t| t.exit_code);
                if last_term.and_then(|t| t.reason.as_deref()) == Some("OOMKilled") {
                    Some((mk(ProblemReason::OOMKilled, "killed for using more memory than its limit; now in CrashLoopBackOff".into(), last_finished), true))
                } else {
                    let m = match exit {
                        Some(code) => format!("exited with code {code}; restarting with back-off"),
                        None => msg,
                    };
                    Some((mk(ProblemReason::CrashLoopBackOff, m, last_finished), true))
                }
            }
            "ImagePullBackOff" => Some((mk(ProblemReason::ImagePullBackOff, msg, None), true)),
            // The first failed pull: kubelet retries once more before backing off, and a
            // registry hiccup can clear, so this alone does not fail a deploy.
            "ErrImagePull" => Some((mk(ProblemReason::ErrImagePull, msg, None), false)),
            "InvalidImageName" => Some((mk(ProblemReason::Other("InvalidImageName".into()), msg, None), true)),
            "CreateContainerConfigError" => Some((mk(ProblemReason::CreateContainerConfigError, msg, None), true)),
            "CreateContainerError" | "RunContainerError" => Some((mk(ProblemReason::Other(reason.into()), msg, None), true)),
            // Normal start-up; the pod-level check reports a pod stuck there as Pending.
            "" | "ContainerCreating" | "PodInitializing" => None,
            other => Some((mk(ProblemReason::Other(other.into()), msg, None), false)),
        };
    }
    if let Some(t) = state.and_then(|s| s.terminated.as_ref()) {
        let finished = t.finished_at.as_ref().map(|x| x.0);
        if t.reason.as_deref() == Some("OOMKilled") {
            return Some((mk(ProblemReason::OOMKilled, "killed for using more memory than its limit".into(), finished), true));
        }
        if t.exit_code != 0 {
            let m = match t.message.as_deref().filter(|m| !m.is_empty()) {
                Some(m) => format!("exited with code {}: {m}", t.exit_code),
                None => format!("exited with code {}", t.exit_code),
            };
            // Under restartPolicy Always the kubelet restarts it; only a pod that will not be
            // restarted has failed for good (its CrashLoopBackOff would be fatal anyway).
            return Some((mk(ProblemReason::Error, m, finished), restart_policy_never(pod)));
        }
        return None;
    }
    if let Some(r) = state.and_then(|s| s.running.as_ref())
        && !cs.ready
        && !init
    {
        let since = r.started_at.as_ref().map(|t| t.0);
        let m = if cs.started == Some(false) { "running, startup probe not passed yet" } else { "running, readiness probe not passing" };
        return Some((mk(ProblemReason::Unready, m.into(), since), false));
    }
    None
}

/// Problems of a pod and whether each is fatal.
fn problems_with_fatality(pod: &Pod) -> Vec<(PodProblem, bool)> {
    let name = pod_name(pod);
    let proc_ = label(pod, PROC_LABEL).unwrap_or_default().to_string();
    let status = pod.status.as_ref();
    let phase = status.and_then(|s| s.phase.as_deref()).unwrap_or("Pending");
    let pod_level = |reason: ProblemReason, message: String, since: Option<jiff::Timestamp>| PodProblem {
        pod: name.clone(),
        proc_: proc_.clone(),
        container: None,
        reason,
        message,
        restarts: 0,
        since,
    };
    if status.and_then(|s| s.reason.as_deref()) == Some("Evicted") {
        let msg = status.and_then(|s| s.message.clone()).unwrap_or_default();
        return vec![(pod_level(ProblemReason::Evicted, msg, None), false)];
    }
    let mut out = Vec::new();
    if let Some(s) = status {
        for cs in s.init_container_statuses.iter().flatten() {
            out.extend(container_problem(pod, cs, true));
        }
        for cs in s.container_statuses.iter().flatten() {
            out.extend(container_problem(pod, cs, false));
        }
    }
    let is_job = matches!(label(pod, KIND_LABEL), Some("job" | "cronjob" | "test"));
    if phase == "Failed" && is_job {
        // Name the failing container's reason when there is one; the job itself failed.
        let detail = out.iter().map(|(p, _)| p.message.clone()).find(|m| !m.is_empty());
        let msg = detail.unwrap_or_else(|| status.and_then(|s| s.message.clone()).unwrap_or_else(|| "pod failed".into()));
        let container = out.first().and_then(|(p, _)| p.container.clone());
        out.retain(|(p, _)| matches!(p.reason, ProblemReason::OOMKilled));
        let mut p = pod_level(ProblemReason::JobFailed, msg, None);
        p.container = container;
        out.insert(0, (p, true));
        return out;
    }
    if phase == "Pending" && out.is_empty() {
        let created = pod.metadata.creation_timestamp.as_ref().map(|t| t.0);
        let sched = status.and_then(|s| s.conditions.as_ref()).and_then(|cs| cs.iter().find(|c| c.type_ == "PodScheduled"));
        match sched {
            Some(c) if c.status == "False" => {
                let m = c.message.clone().or_else(|| c.reason.clone()).unwrap_or_else(|| "not scheduled".into());
                out.push((pod_level(ProblemReason::Pending, format!("not scheduled: {m}"), c.last_transition_time.as_ref().map(|t| t.0).or(created)), false));
            }
            Some(_) => out.push((pod_level(ProblemReason::Pending, "scheduled, containers starting".into(), created), false)),
            None => out.push((pod_level(ProblemReason::Pending, "waiting to be scheduled".into(), created), false)),
        }
    }
    out
}

/// Everything wrong with a pod right now (empty for a healthy or completed pod).
pub fn pod_problems(pod: &Pod) -> Vec<PodProblem> {
    problems_with_fatality(pod).into_iter().map(|(p, _)| p).collect()
}

/// Whether a problem, as found by [`pod_problems`] on `pod`, fails a deploy at once.
pub fn is_fatal(pod: &Pod, problem: &PodProblem) -> bool {
    problems_with_fatality(pod).into_iter().any(|(p, f)| f && p == *problem)
}

fn pod_ready(pod: &Pod) -> bool {
    let s = pod.status.as_ref();
    s.and_then(|s| s.phase.as_deref()) == Some("Running")
        && s.and_then(|s| s.conditions.as_ref()).is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

fn terminating(pod: &Pod) -> bool {
    pod.metadata.deletion_timestamp.is_some()
}

fn pod_has_tag(pod: &Pod, tag: &str) -> bool {
    spec_has_tag(pod.spec.as_ref(), tag)
}

/// The proc a workload runs (its pod template's `lain.io/proc` label, else its name).
fn template_proc(labels: Option<&BTreeMap<String, String>>, name: Option<&String>) -> String {
    labels.and_then(|l| l.get(PROC_LABEL)).cloned().or_else(|| name.cloned()).unwrap_or_default()
}

/// Whether the release is green, still getting there, or broken.
///
/// `pods` are the release's pods (label `app.kubernetes.io/instance=RELEASE`), `deployments`
/// and `statefulsets` its workloads. With `expected_tag`, a proc whose pod template uses that
/// tag only counts pods running it (procs pinned to another `imageTag` are not held to it), and
/// Job pods of other tags (earlier deploys) are ignored.
pub fn verdict(pods: &[Pod], deployments: &[Deployment], statefulsets: &[StatefulSet], expected_tag: Option<&str>) -> Verdict {
    let mut waiting = Vec::new();
    let mut failed = Vec::new();

    // Which procs are held to the expected tag.
    let mut tagged_procs: BTreeMap<String, bool> = BTreeMap::new();
    for d in deployments {
        let t = d.spec.as_ref().and_then(|s| s.template.metadata.as_ref()).and_then(|m| m.labels.as_ref());
        let proc_ = template_proc(t, d.metadata.name.as_ref());
        let has = expected_tag.is_some_and(|tag| spec_has_tag(d.spec.as_ref().and_then(|s| s.template.spec.as_ref()), tag));
        tagged_procs.insert(proc_.clone(), has);
        rollout_deployment(d, &proc_, &mut waiting, &mut failed);
    }
    for s in statefulsets {
        let t = s.spec.as_ref().and_then(|s| s.template.metadata.as_ref()).and_then(|m| m.labels.as_ref());
        let proc_ = template_proc(t, s.metadata.name.as_ref());
        let has = expected_tag.is_some_and(|tag| spec_has_tag(s.spec.as_ref().and_then(|s| s.template.spec.as_ref()), tag));
        tagged_procs.insert(proc_.clone(), has);
        rollout_statefulset(s, &proc_, &mut waiting);
    }

    // Newest pod per job: a failed attempt followed by a retry is judged by the retry.
    let mut job_pods: BTreeMap<String, &Pod> = BTreeMap::new();
    for pod in pods.iter().filter(|p| !terminating(p)) {
        let kind = label(pod, KIND_LABEL).unwrap_or("");
        let proc_ = label(pod, PROC_LABEL).unwrap_or("").to_string();
        match kind {
            "job" => {
                if expected_tag.is_some_and(|t| !pod_has_tag(pod, t)) {
                    continue;
                }
                let key =
                    pod.metadata.labels.as_ref().and_then(|l| l.get("job-name").or_else(|| l.get("batch.kubernetes.io/job-name"))).cloned().unwrap_or(proc_);
                let newer = job_pods.get(&key).is_none_or(|old| old.metadata.creation_timestamp <= pod.metadata.creation_timestamp);
                if newer {
                    job_pods.insert(key, pod);
                }
            }
            // Scheduled runs and helm tests are judged elsewhere (`lain status`, `helm test`).
            "cronjob" | "test" => {}
            _ => {
                // Pods of a proc removed from the values are being garbage-collected.
                let Some(held) = tagged_procs.get(&proc_) else { continue };
                if *held && expected_tag.is_some_and(|t| !pod_has_tag(pod, t)) {
                    // An old pod on its way out; the rollout counts cover it.
                    continue;
                }
                let phase = pod.status.as_ref().and_then(|s| s.phase.as_deref()).unwrap_or("Pending");
                if matches!(phase, "Failed" | "Succeeded") {
                    // Evicted or otherwise finished: its controller replaces it.
                    continue;
                }
                let probs = problems_with_fatality(pod);
                let fatal: Vec<_> = probs.iter().filter(|(_, f)| *f).map(|(p, _)| p.clone()).collect();
                if !fatal.is_empty() {
                    failed.extend(fatal);
                } else if !pod_ready(pod) {
                    let why = probs.first().map(|(p, _)| format!("{}: {}", p.reason, p.message)).unwrap_or_else(|| phase.to_string());
                    waiting.push(format!("pod {} not ready ({why})", pod_name(pod)));
                }
            }
        }
    }
    // Enough Ready pods per workload, counted from the pods themselves: a workload's status
    // can lag behind its pods (a deleted pod still counted as ready until the controller's next
    // pass), and green must never be declared on a stale count.
    for (proc_, desired, name) in workload_sizes(deployments, statefulsets) {
        let held = tagged_procs.get(&proc_).copied().unwrap_or(false);
        let ready = pods
            .iter()
            .filter(|p| !terminating(p) && label(p, PROC_LABEL) == Some(proc_.as_str()) && pod_ready(p))
            .filter(|p| !held || expected_tag.is_none_or(|t| pod_has_tag(p, t)))
            .count();
        if (ready as i32) < desired && !waiting.iter().any(|w| w.contains(&name)) {
            waiting.push(format!("{name}: {ready} of {desired} pods ready"));
        }
    }
    for (job, pod) in job_pods {
        let phase = pod.status.as_ref().and_then(|s| s.phase.as_deref()).unwrap_or("Pending");
        match phase {
            "Succeeded" => {}
            "Failed" => failed.extend(problems_with_fatality(pod).into_iter().filter(|(_, f)| *f).map(|(p, _)| p)),
            _ => {
                let fatal: Vec<_> = problems_with_fatality(pod).into_iter().filter(|(_, f)| *f).map(|(p, _)| p).collect();
                if fatal.is_empty() {
                    waiting.push(format!("job {job} (pod {}) to finish", pod_name(pod)));
                } else {
                    failed.extend(fatal);
                }
            }
        }
    }

    if !failed.is_empty() {
        Verdict::Failed(failed)
    } else if !waiting.is_empty() {
        Verdict::Progressing { waiting_for: waiting }
    } else {
        Verdict::Green
    }
}

/// (proc, desired replicas, "deployment NAME") of every workload.
fn workload_sizes(deployments: &[Deployment], statefulsets: &[StatefulSet]) -> Vec<(String, i32, String)> {
    let mut out = Vec::new();
    for d in deployments {
        let t = d.spec.as_ref().and_then(|s| s.template.metadata.as_ref()).and_then(|m| m.labels.as_ref());
        let desired = d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
        out.push((template_proc(t, d.metadata.name.as_ref()), desired, format!("deployment {}", d.metadata.name.clone().unwrap_or_default())));
    }
    for s in statefulsets {
        let t = s.spec.as_ref().and_then(|s| s.template.metadata.as_ref()).and_then(|m| m.labels.as_ref());
        let desired = s.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
        out.push((template_proc(t, s.metadata.name.as_ref()), desired, format!("statefulset {}", s.metadata.name.clone().unwrap_or_default())));
    }
    out
}

fn rollout_deployment(d: &Deployment, proc_: &str, waiting: &mut Vec<String>, failed: &mut Vec<PodProblem>) {
    let name = d.metadata.name.clone().unwrap_or_default();
    let desired = d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
    let Some(st) = d.status.as_ref() else {
        waiting.push(format!("deployment {name} to be seen by its controller"));
        return;
    };
    if st.observed_generation.unwrap_or(0) < d.metadata.generation.unwrap_or(0) {
        waiting.push(format!("deployment {name}: controller has not seen the new spec yet"));
        return;
    }
    if let Some(c) = st.conditions.iter().flatten().find(|c| c.type_ == "Progressing" && c.reason.as_deref() == Some("ProgressDeadlineExceeded")) {
        failed.push(PodProblem {
            pod: name.clone(),
            proc_: proc_.to_string(),
            container: None,
            reason: ProblemReason::Other("ProgressDeadlineExceeded".into()),
            message: c.message.clone().unwrap_or_else(|| "rollout exceeded its progress deadline".into()),
            restarts: 0,
            since: c.last_update_time.as_ref().map(|t| t.0),
        });
        return;
    }
    let updated = st.updated_replicas.unwrap_or(0);
    let total = st.replicas.unwrap_or(0);
    let available = st.available_replicas.unwrap_or(0);
    let ready = st.ready_replicas.unwrap_or(0);
    if updated < desired {
        waiting.push(format!("deployment {name}: {updated} of {desired} pods updated"));
    } else if total > updated {
        waiting.push(format!("deployment {name}: {} old pod(s) pending termination", total - updated));
    } else if available < updated || ready < desired {
        waiting.push(format!("deployment {name}: {ready} of {desired} pods ready"));
    }
}

fn rollout_statefulset(s: &StatefulSet, _proc: &str, waiting: &mut Vec<String>) {
    let name = s.metadata.name.clone().unwrap_or_default();
    let desired = s.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
    let Some(st) = s.status.as_ref() else {
        waiting.push(format!("statefulset {name} to be seen by its controller"));
        return;
    };
    if st.observed_generation.unwrap_or(0) < s.metadata.generation.unwrap_or(0) {
        waiting.push(format!("statefulset {name}: controller has not seen the new spec yet"));
        return;
    }
    let ready = st.ready_replicas.unwrap_or(0);
    let rolling = s.spec.as_ref().and_then(|s| s.update_strategy.as_ref()).and_then(|u| u.type_.as_deref()) != Some("OnDelete");
    if rolling && st.update_revision.is_some() && st.current_revision != st.update_revision {
        let updated = st.updated_replicas.unwrap_or(0);
        waiting.push(format!("statefulset {name}: {updated} of {desired} pods updated"));
    } else if ready < desired || st.replicas != desired {
        waiting.push(format!("statefulset {name}: {ready} of {desired} pods ready"));
    }
}

#[cfg(test)]
#[path = "health_tests.rs"]
mod tests;
