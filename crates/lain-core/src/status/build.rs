//! From the cluster's objects to the [`StatusModel`]: pure functions, no I/O, so the same model
//! comes out for the dashboard, `-s`, json and the tests.

use std::collections::{BTreeMap, HashMap};

use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::core::v1::{Event, Pod};
use k8s_openapi::api::networking::v1::Ingress;

use super::health::{self, Verdict};
use super::model::*;
use super::quantity::{cpu_millis, mem_bytes};

/// Which app, where.
#[derive(Debug, Clone, Default)]
pub struct Target {
    pub appname: String,
    pub release: String,
    pub namespace: String,
    pub cluster: String,
    /// The tag every pod should run (a deploy passes the tag it deployed); None: the release's
    /// `imageTag`, else whatever each workload asks for.
    pub expected_tag: Option<String>,
    pub links: Links,
}

/// The objects of one release, as the watches last saw them (borrowed: the live feed builds
/// under its lock instead of copying 500 pods per frame).
#[derive(Debug, Clone, Copy)]
pub struct Snapshot<'a> {
    pub pods: &'a [Pod],
    pub deployments: &'a [Deployment],
    pub statefulsets: &'a [StatefulSet],
    /// Events about the release's objects, already in display form (see [`event_line`]).
    pub events: &'a [EventLine],
    pub ingresses: &'a [Ingress],
    /// false until every watch delivered its first list.
    pub synced: bool,
    /// When this snapshot was taken (grace periods are measured against it).
    pub now: jiff::Timestamp,
}

/// Logs fetched for one container: current and previous instance.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LogTail {
    pub current: Vec<String>,
    pub previous: Vec<String>,
    pub error: Option<String>,
}

/// Usage of one pod's containers, summed: (CPU millicores, memory bytes).
pub type PodUsage = (u64, u64);

/// What comes from elsewhere than the watches: helm, the metrics API, logs, the prober.
#[derive(Debug, Clone, Default)]
pub struct Extras {
    pub release: Option<Result<ReleaseInfo, String>>,
    /// None: no metrics API.
    pub metrics: Option<HashMap<String, PodUsage>>,
    /// By (pod, container).
    pub logs: HashMap<(String, String), LogTail>,
    /// By URL.
    pub probes: HashMap<String, Probe>,
    pub warnings: Vec<String>,
    /// A canary or blue/green deploy in flight, one line each.
    pub strategy: Vec<String>,
}

/// The tag part of an image reference (`reg:5000/app:tag` → `tag`; digest refs keep the digest).
pub fn image_tag(image: &str) -> String {
    if let Some((_, d)) = image.split_once('@') {
        return d.chars().take(19).collect();
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    match last.split_once(':') {
        Some((_, t)) => t.to_string(),
        None => "latest".to_string(),
    }
}

fn label<'a>(meta: &'a k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta, k: &str) -> &'a str {
    meta.labels.as_ref().and_then(|l| l.get(k)).map(String::as_str).unwrap_or("")
}

fn name(meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta) -> String {
    meta.name.clone().unwrap_or_default()
}

fn first_image(spec: Option<&k8s_openapi::api::core::v1::PodSpec>) -> String {
    spec.and_then(|s| s.containers.first()).and_then(|c| c.image.clone()).unwrap_or_default()
}

/// Deployments and StatefulSets as rows.
pub fn workloads(deps: &[Deployment], sts: &[StatefulSet]) -> Vec<WorkloadRow> {
    let mut rows = Vec::new();
    for d in deps {
        let st = d.status.clone().unwrap_or_default();
        let desired = d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
        let updated = st.updated_replicas.unwrap_or(0);
        let ready = st.ready_replicas.unwrap_or(0);
        let total = st.replicas.unwrap_or(0);
        let tpl = d.spec.as_ref().and_then(|s| s.template.spec.as_ref());
        rows.push(WorkloadRow {
            kind: "Deployment".into(),
            name: name(&d.metadata),
            proc_: label(&d.metadata, "lain.io/proc").to_string(),
            desired,
            updated,
            ready,
            available: st.available_replicas.unwrap_or(0),
            image_tag: image_tag(&first_image(tpl)),
            rolling_out: st.observed_generation < d.metadata.generation || updated < desired || ready < desired || total > desired,
        });
    }
    for s in sts {
        let st = s.status.clone().unwrap_or_default();
        let desired = s.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
        let updated = st.updated_replicas.unwrap_or(0);
        let ready = st.ready_replicas.unwrap_or(0);
        let tpl = s.spec.as_ref().and_then(|s| s.template.spec.as_ref());
        rows.push(WorkloadRow {
            kind: "StatefulSet".into(),
            name: name(&s.metadata),
            proc_: label(&s.metadata, "lain.io/proc").to_string(),
            desired,
            updated,
            ready,
            available: st.available_replicas.unwrap_or(0),
            image_tag: image_tag(&first_image(tpl)),
            rolling_out: updated < desired || ready < desired,
        });
    }
    rows.sort_by(|a, b| a.proc_.cmp(&b.proc_).then(a.name.cmp(&b.name)));
    rows
}

fn sum_resources(pod: &Pod, key: &str, parse: fn(&str) -> Option<u64>) -> (Option<u64>, Option<u64>) {
    let Some(spec) = &pod.spec else { return (None, None) };
    let mut req = None;
    let mut lim = None;
    for c in &spec.containers {
        let Some(r) = &c.resources else { continue };
        if let Some(q) = r.requests.as_ref().and_then(|m| m.get(key)).and_then(|q| parse(&q.0)) {
            req = Some(req.unwrap_or(0) + q);
        }
        if let Some(q) = r.limits.as_ref().and_then(|m| m.get(key)).and_then(|q| parse(&q.0)) {
            lim = Some(lim.unwrap_or(0) + q);
        }
    }
    (req, lim)
}

/// The status word kubectl would print in its STATUS column (the waiting/terminated reason
/// beats the phase: `CrashLoopBackOff` says more than `Running`).
pub fn pod_status_word(pod: &Pod) -> String {
    if pod.metadata.deletion_timestamp.is_some() {
        return "Terminating".into();
    }
    let Some(st) = &pod.status else { return "Unknown".into() };
    if let Some(r) = &st.reason {
        return r.clone();
    }
    for cs in st.init_container_statuses.iter().flatten() {
        if let Some(r) = cs.state.as_ref().and_then(|s| s.waiting.as_ref()).and_then(|w| w.reason.as_deref()).filter(|r| *r != "PodInitializing") {
            return format!("Init:{r}");
        }
        if let Some(t) = cs.state.as_ref().and_then(|s| s.terminated.as_ref()).filter(|t| t.exit_code != 0) {
            return format!("Init:{}", t.reason.clone().unwrap_or_else(|| "Error".into()));
        }
    }
    for cs in st.container_statuses.iter().flatten() {
        if let Some(r) = cs.state.as_ref().and_then(|s| s.waiting.as_ref()).and_then(|w| w.reason.as_ref()) {
            return r.clone();
        }
        if let Some(r) = cs.state.as_ref().and_then(|s| s.terminated.as_ref()).and_then(|t| t.reason.as_ref()) {
            return r.clone();
        }
    }
    st.phase.clone().unwrap_or_else(|| "Unknown".into())
}

fn pod_row(pod: &Pod, want_tag: Option<&str>, metrics: Option<&HashMap<String, PodUsage>>, problem: bool) -> PodRow {
    let st = pod.status.as_ref();
    let statuses = st.and_then(|s| s.container_statuses.as_ref());
    let containers = pod.spec.as_ref().map(|s| s.containers.len()).unwrap_or(0) as u32;
    let ready = statuses.map(|cs| cs.iter().filter(|c| c.ready).count()).unwrap_or(0) as u32;
    let restarts = statuses.map(|cs| cs.iter().map(|c| c.restart_count).sum()).unwrap_or(0);
    let tag = image_tag(&first_image(pod.spec.as_ref()));
    let tag_state = match want_tag {
        Some(w) if w == tag => TagState::New,
        Some(_) => TagState::Old,
        None => TagState::Unknown,
    };
    let pname = name(&pod.metadata);
    let usage = metrics.and_then(|m| m.get(&pname)).copied();
    let (cpu_req, cpu_lim) = sum_resources(pod, "cpu", cpu_millis);
    let (mem_req, mem_lim) = sum_resources(pod, "memory", mem_bytes);
    PodRow {
        proc_: label(&pod.metadata, "lain.io/proc").to_string(),
        status: pod_status_word(pod),
        problem,
        ready,
        containers,
        restarts,
        created: pod.metadata.creation_timestamp.as_ref().map(|t| t.0),
        node: pod.spec.as_ref().and_then(|s| s.node_name.clone()),
        image_tag: tag,
        tag_state,
        terminating: pod.metadata.deletion_timestamp.is_some(),
        cpu: Resource { usage: usage.map(|u| u.0), request: cpu_req, limit: cpu_lim },
        memory: Resource { usage: usage.map(|u| u.1), request: mem_req, limit: mem_lim },
        name: pname,
    }
}

/// Events about an object, newest first.
pub fn events_for(events: &[EventLine], kind: &str, obj: &str) -> Vec<EventLine> {
    let want = format!("{kind}/{obj}");
    let mut out: Vec<EventLine> = events.iter().filter(|e| e.object == want).cloned().collect();
    out.sort_by_key(|e| std::cmp::Reverse(e.last_seen));
    out
}

pub fn event_line(e: &Event) -> EventLine {
    let last_seen = e
        .last_timestamp
        .as_ref()
        .map(|t| t.0)
        .or_else(|| e.event_time.as_ref().map(|t| t.0))
        .or_else(|| e.first_timestamp.as_ref().map(|t| t.0))
        .or_else(|| e.metadata.creation_timestamp.as_ref().map(|t| t.0));
    EventLine {
        last_seen,
        type_: e.type_.clone().unwrap_or_else(|| "Normal".into()),
        reason: e.reason.clone().unwrap_or_default(),
        message: e.message.clone().unwrap_or_default().trim().to_string(),
        count: e.count.unwrap_or(1),
        object: format!("{}/{}", e.involved_object.kind.as_deref().unwrap_or("?"), e.involved_object.name.as_deref().unwrap_or("?")),
    }
}

/// The URLs of the release's ingresses: `https://` when the host is listed under `tls`.
pub fn ingress_urls(ingresses: &[Ingress]) -> Vec<(String, String, Option<String>, bool)> {
    let mut out = Vec::new();
    for ing in ingresses {
        let iname = name(&ing.metadata);
        let Some(spec) = &ing.spec else { continue };
        let tls_hosts: Vec<&String> = spec.tls.iter().flatten().flat_map(|t| t.hosts.iter().flatten()).collect();
        // externalIngresses get the external class; lain marks nothing else, so the class is
        // the only way to tell them apart.
        let external = spec.ingress_class_name.as_deref().is_some_and(|c| c.contains("external")) || label(&ing.metadata, "lain.io/external") == "true";
        for rule in spec.rules.iter().flatten() {
            let Some(host) = &rule.host else { continue };
            let scheme = if tls_hosts.contains(&host) { "https" } else { "http" };
            let paths: Vec<_> = rule.http.as_ref().map(|h| h.paths.clone()).unwrap_or_default();
            if paths.is_empty() {
                out.push((format!("{scheme}://{host}/"), iname.clone(), None, external));
            }
            for p in paths {
                let path = p.path.clone().unwrap_or_else(|| "/".into());
                let svc = p.backend.service.as_ref().map(|s| s.name.clone());
                out.push((format!("{scheme}://{host}{path}"), iname.clone(), svc, external));
            }
        }
    }
    out.sort();
    out.dedup_by(|a, b| a.0 == b.0);
    out
}

/// Non-fatal problems younger than this are start-up, not trouble (a pod being scheduled, a
/// readiness probe that has not passed yet during a rollout).
pub const GRACE_SECS: i64 = 30;
/// A container that restarted within this window is listed (with its previous instance's last
/// lines) even when it runs fine now: a crash loop is Running half of the time.
pub const RECENT_RESTART_SECS: i64 = 600;

/// One abnormal container and whether its problem is fatal (red; fails the verdict).
#[derive(Debug, Clone)]
pub struct Abnormal {
    pub problem: health::PodProblem,
    pub fatal: bool,
}

/// What the dashboard lists as abnormal: the health module's problems (fatal ones always,
/// others once they outlast [`GRACE_SECS`]), plus containers that restarted recently.
pub fn abnormal(pods: &[Pod], now: jiff::Timestamp) -> Vec<Abnormal> {
    let mut out = Vec::new();
    for pod in pods.iter().filter(|p| p.metadata.deletion_timestamp.is_none()) {
        let probs = health::pod_problems(pod);
        for p in &probs {
            let fatal = health::is_fatal(pod, p);
            let old_enough = p.since.is_none_or(|t| now.as_second() - t.as_second() >= GRACE_SECS);
            if fatal || old_enough {
                out.push(Abnormal { problem: p.clone(), fatal });
            }
        }
        let statuses = pod.status.as_ref().and_then(|s| s.container_statuses.as_ref());
        for cs in statuses.into_iter().flatten() {
            if cs.restart_count == 0 || probs.iter().any(|p| p.container.as_deref() == Some(cs.name.as_str())) {
                continue;
            }
            let Some(t) = cs.last_state.as_ref().and_then(|s| s.terminated.as_ref()) else { continue };
            let finished = t.finished_at.as_ref().map(|x| x.0);
            if finished.is_some_and(|f| now.as_second() - f.as_second() > RECENT_RESTART_SECS) {
                continue;
            }
            let why = t.reason.as_deref().map(|r| format!(" ({r})")).unwrap_or_default();
            out.push(Abnormal {
                problem: health::PodProblem {
                    pod: name(&pod.metadata),
                    proc_: label(&pod.metadata, "lain.io/proc").to_string(),
                    container: Some(cs.name.clone()),
                    reason: health::ProblemReason::Other("Restarted".into()),
                    message: format!(
                        "restarted {} time{}; last exit code {}{why}",
                        cs.restart_count,
                        if cs.restart_count == 1 { "" } else { "s" },
                        t.exit_code
                    ),
                    restarts: cs.restart_count,
                    since: finished,
                },
                fatal: false,
            });
        }
    }
    out
}

fn container_or_first(pods: &[Pod], p: &health::PodProblem) -> Option<String> {
    p.container.clone().or_else(|| {
        pods.iter()
            .find(|x| x.metadata.name.as_deref() == Some(p.pod.as_str()))
            .and_then(|x| x.spec.as_ref())
            .and_then(|s| s.containers.first())
            .map(|c| c.name.clone())
    })
}

/// The containers whose logs are worth fetching: (pod, container, restarts) of every abnormal
/// container that ever ran (an image that cannot be pulled has no logs).
pub fn log_targets(pods: &[Pod], now: jiff::Timestamp) -> Vec<(String, String, i32)> {
    let mut out = Vec::new();
    for a in abnormal(pods, now) {
        let p = &a.problem;
        if matches!(p.reason, health::ProblemReason::Pending | health::ProblemReason::ImagePullBackOff | health::ProblemReason::ErrImagePull) {
            continue;
        }
        if let Some(c) = container_or_first(pods, p) {
            out.push((p.pod.clone(), c, p.restarts));
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Builds the model. `now` is not needed: the model holds timestamps, renderers compute ages.
pub fn build(target: &Target, snap: &Snapshot<'_>, extras: &Extras) -> StatusModel {
    let release_info = extras.release.as_ref().and_then(|r| r.as_ref().ok()).cloned();
    let release_error = extras.release.as_ref().and_then(|r| r.as_ref().err()).cloned();
    let workloads = workloads(snap.deployments, snap.statefulsets);
    let expected = target.expected_tag.clone().or_else(|| release_info.as_ref().and_then(|r| r.image_tag.clone()));

    // "New" is what each proc's workload asks for now; for pods with no workload (jobs), the
    // expected tag if any.
    let proc_tag: BTreeMap<&str, &str> = workloads.iter().map(|w| (w.proc_.as_str(), w.image_tag.as_str())).collect();
    let abn = abnormal(snap.pods, snap.now);
    let mut pods: Vec<PodRow> = snap
        .pods
        .iter()
        .map(|p| {
            let proc_ = label(&p.metadata, "lain.io/proc");
            let want = proc_tag.get(proc_).copied().or(expected.as_deref());
            let pname = p.metadata.name.as_deref().unwrap_or("");
            let problem = abn.iter().any(|x| x.fatal && x.problem.pod == pname);
            pod_row(p, want, extras.metrics.as_ref(), problem)
        })
        .collect();
    // Broken pods first: in a 500-pod app they are what the user is looking for.
    pods.sort_by(|a, b| b.problem.cmp(&a.problem).then(a.proc_.cmp(&b.proc_)).then(a.name.cmp(&b.name)));

    let abnormal: Vec<AbnormalContainer> = abn
        .iter()
        .map(|a| {
            let p = &a.problem;
            let key = container_or_first(snap.pods, p);
            let tail = key.as_ref().and_then(|c| extras.logs.get(&(p.pod.clone(), c.clone())));
            AbnormalContainer {
                pod: p.pod.clone(),
                proc_: p.proc_.clone(),
                fatal: a.fatal,
                container: p.container.clone(),
                reason: p.reason.to_string(),
                message: p.message.clone(),
                restarts: p.restarts,
                since: p.since,
                logs: tail.map(|t| t.current.clone()).unwrap_or_default(),
                previous_logs: tail.map(|t| t.previous.clone()).unwrap_or_default(),
                logs_error: tail.and_then(|t| t.error.clone()),
                events: events_for(snap.events, "Pod", &p.pod).into_iter().take(8).collect(),
            }
        })
        .collect();

    let endpoints: Vec<EndpointRow> = ingress_urls(snap.ingresses)
        .into_iter()
        .map(|(url, ingress, service, external)| EndpointRow {
            probe: extras.probes.get(&url).cloned().unwrap_or(Probe::Pending),
            url,
            ingress,
            service,
            external,
        })
        .collect();

    let verdict = if !snap.synced {
        VerdictLine { level: Level::Loading, summary: "loading…".into(), details: vec![] }
    } else {
        verdict_line(snap.pods, snap.deployments, snap.statefulsets, expected.as_deref(), &endpoints)
    };

    StatusModel {
        appname: target.appname.clone(),
        release: target.release.clone(),
        namespace: target.namespace.clone(),
        cluster: target.cluster.clone(),
        verdict,
        release_info,
        release_error,
        workloads,
        pods,
        abnormal,
        endpoints,
        links: target.links.clone(),
        metrics_available: extras.metrics.is_some(),
        warnings: extras.warnings.clone(),
        strategy: extras.strategy.clone(),
    }
}

/// The verdict rules: pods (the shared health verdict) first, then endpoints.
/// - Failed: any pod problem (crash loop, image pull, OOM, config error, failed job, eviction)
///   or any endpoint answering 5xx / not answering;
/// - Progressing: a rollout not complete (updated == ready == desired), pods not ready, pods on
///   another tag than expected, endpoints not probed yet;
/// - Green: none of the above, and at least one pod or workload exists.
pub fn verdict_line(pods: &[Pod], deps: &[Deployment], sts: &[StatefulSet], expected_tag: Option<&str>, endpoints: &[EndpointRow]) -> VerdictLine {
    let failing: Vec<&EndpointRow> = endpoints.iter().filter(|e| e.probe.failed()).collect();
    let ep_details: Vec<String> = failing
        .iter()
        .map(|e| match &e.probe {
            Probe::Answered { code, .. } => format!("{} answers {code}", e.url),
            Probe::Error { error, .. } => format!("{} does not answer: {error}", e.url),
            Probe::Pending => String::new(),
        })
        .collect();
    let v = health::verdict(pods, deps, sts, expected_tag);
    match v {
        Verdict::Failed(problems) => {
            let mut details: Vec<String> = problems
                .iter()
                .map(|p| {
                    let c = p.container.as_deref().map(|c| format!(" ({c})")).unwrap_or_default();
                    let r = if p.restarts > 0 { format!(", {} restarts", p.restarts) } else { String::new() };
                    let m = if p.message.is_empty() { String::new() } else { format!(": {}", first_line(&p.message)) };
                    format!("{}{c} {}{r}{m}", p.pod, p.reason)
                })
                .collect();
            let n = problems.iter().map(|p| p.pod.as_str()).collect::<std::collections::BTreeSet<_>>().len();
            let first = &problems[0];
            let mut summary = format!("{n} pod{} failing: {} {}", if n == 1 { "" } else { "s" }, first.pod, first.reason);
            if !ep_details.is_empty() {
                summary.push_str(&format!("; {} endpoint{} failing", ep_details.len(), if ep_details.len() == 1 { "" } else { "s" }));
            }
            details.extend(ep_details);
            VerdictLine { level: Level::Failed, summary, details }
        }
        _ if !ep_details.is_empty() => VerdictLine { level: Level::Failed, summary: format!("endpoint failing: {}", ep_details[0]), details: ep_details },
        Verdict::Progressing { waiting_for } => VerdictLine {
            level: Level::Progressing,
            summary: format!("in progress: {}", waiting_for.first().cloned().unwrap_or_default()),
            details: waiting_for,
        },
        Verdict::Green => {
            let pending = endpoints.iter().filter(|e| e.probe == Probe::Pending).count();
            let live = pods.iter().filter(|p| p.metadata.deletion_timestamp.is_none()).count();
            if live == 0 && deps.is_empty() && sts.is_empty() {
                VerdictLine { level: Level::Progressing, summary: "nothing running: no pods for this release".into(), details: vec![] }
            } else if pending > 0 {
                VerdictLine {
                    level: Level::Progressing,
                    summary: format!("pods healthy; checking {pending} endpoint{}", if pending == 1 { "" } else { "s" }),
                    details: vec![],
                }
            } else {
                // Say what the pods run, not what was expected: procs pinned by `update-image`
                // legitimately run another tag than the release's.
                let mut tags: Vec<&str> = pods
                    .iter()
                    .filter(|p| p.metadata.deletion_timestamp.is_none())
                    .filter_map(|p| p.spec.as_ref()?.containers.first()?.image.as_deref())
                    .filter_map(crate::kube::health::image_tag)
                    .collect();
                tags.sort_unstable();
                tags.dedup();
                let tag = match tags.as_slice() {
                    [one] => format!(" on {one}"),
                    [] => String::new(),
                    many => format!(" on {} tags", many.len()),
                };
                let eps = if endpoints.is_empty() {
                    String::new()
                } else {
                    format!(", {} endpoint{} answering", endpoints.len(), if endpoints.len() == 1 { "" } else { "s" })
                };
                VerdictLine {
                    level: Level::Green,
                    summary: format!("green light: {live} pod{} healthy{tag}{eps}", if live == 1 { "" } else { "s" }),
                    details: vec![],
                }
            }
        }
    }
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}

#[cfg(test)]
#[path = "build_tests.rs"]
mod tests;
