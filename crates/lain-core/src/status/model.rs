//! The status view model: everything the dashboard, `lain status -s` and `--output json` show,
//! as plain data. Built by [`super::build`] from the cluster's objects; rendered by lain-tui
//! (terminal) and [`super::plain`] (text). Times are absolute; ages are computed at render time
//! against a clock the renderer is given, so a model can be rendered again a second later.

use jiff::Timestamp;
use serde::Serialize;

/// How the release looks overall, worst first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Something is broken: a pod problem or an endpoint failing.
    Failed,
    /// Not broken, not done: a rollout in progress, pods starting.
    Progressing,
    /// No data yet (the first lists have not arrived).
    #[default]
    Loading,
    /// Safe to walk away.
    Green,
}

/// The one line at the top, plus the reasons behind it.
#[derive(Debug, Clone, Serialize, Default, PartialEq)]
pub struct VerdictLine {
    pub level: Level,
    pub summary: String,
    /// One line per problem or thing waited for.
    pub details: Vec<String>,
}

/// The helm release, from `helm status` and `helm get values`.
#[derive(Debug, Clone, Serialize, Default, PartialEq)]
pub struct ReleaseInfo {
    pub name: String,
    pub revision: Option<u32>,
    /// deployed, failed, pending-upgrade, ...
    pub status: String,
    pub deployed_at: Option<Timestamp>,
    /// `imageTag` of the release's values.
    pub image_tag: Option<String>,
    /// `user` of the release's values (set by lain at deploy time).
    pub user: Option<String>,
    pub chart: Option<String>,
    pub description: Option<String>,
    /// When the cluster uninstalls it (`lain deploy --delete-after`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Timestamp>,
}

/// A Deployment or StatefulSet of the release.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct WorkloadRow {
    pub kind: String,
    pub name: String,
    pub proc_: String,
    pub desired: i32,
    pub updated: i32,
    pub ready: i32,
    pub available: i32,
    /// The image tag the workload's pod template asks for (what "new" means during a rollout).
    pub image_tag: String,
    pub rolling_out: bool,
}

/// Whether a pod runs the tag its workload currently asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TagState {
    /// The workload's current tag.
    New,
    /// A previous tag: this pod is from before the rollout.
    Old,
    /// No workload to compare with (job pods, test pods).
    Unknown,
}

/// Usage against requests and limits. CPU in millicores, memory in bytes.
#[derive(Debug, Clone, Copy, Serialize, Default, PartialEq)]
pub struct Resource {
    pub usage: Option<u64>,
    pub request: Option<u64>,
    pub limit: Option<u64>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PodRow {
    pub proc_: String,
    pub name: String,
    /// Running, Pending, Succeeded, or the reason that matters (CrashLoopBackOff, ...).
    pub status: String,
    /// true when this pod has a problem (drawn red).
    pub problem: bool,
    pub ready: u32,
    pub containers: u32,
    pub restarts: i32,
    pub created: Option<Timestamp>,
    pub node: Option<String>,
    pub image_tag: String,
    pub tag_state: TagState,
    pub terminating: bool,
    pub cpu: Resource,
    pub memory: Resource,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct EventLine {
    pub last_seen: Option<Timestamp>,
    /// Normal or Warning.
    #[serde(rename = "type")]
    pub type_: String,
    pub reason: String,
    pub message: String,
    pub count: i32,
    /// `Pod/NAME`, `Deployment/NAME`...
    pub object: String,
}

/// A container with a problem, with what it said and what happened to it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AbnormalContainer {
    pub pod: String,
    pub proc_: String,
    pub container: Option<String>,
    pub reason: String,
    /// Fatal problems (crash loop, image pull, OOM...) fail the verdict; others (a probe not
    /// passing for a while, a recent restart) are worth a look.
    pub fatal: bool,
    pub message: String,
    pub restarts: i32,
    pub since: Option<Timestamp>,
    /// Last lines of the current container (may be empty: it never started).
    pub logs: Vec<String>,
    /// Last lines of the previous (crashed) container, when it restarted.
    pub previous_logs: Vec<String>,
    /// Why the logs are missing, when they are.
    pub logs_error: Option<String>,
    pub events: Vec<EventLine>,
}

/// The outcome of one HTTP request to an ingress URL.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(tag = "state", rename_all = "lowercase")]
pub enum Probe {
    /// Not requested yet.
    Pending,
    /// An HTTP answer. `ok` is false for 5xx.
    Answered { code: u16, latency_ms: u64, ok: bool, at: Timestamp },
    /// No HTTP answer: DNS, connection, TLS or timeout.
    Error { error: String, latency_ms: u64, at: Timestamp },
}

impl Probe {
    pub fn failed(&self) -> bool {
        matches!(self, Probe::Answered { ok: false, .. } | Probe::Error { .. })
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct EndpointRow {
    pub url: String,
    /// The Ingress object it comes from.
    pub ingress: String,
    /// The Service behind it (`RELEASE-PROC`).
    pub service: Option<String>,
    pub external: bool,
    pub probe: Probe,
}

#[derive(Debug, Clone, Serialize, Default, PartialEq)]
pub struct Links {
    /// Kibana Discover for the release's logs (cluster config `kibana`).
    pub kibana: Option<String>,
    /// Grafana dashboard for the release (cluster config `grafana_url`).
    pub grafana: Option<String>,
}

/// Everything `lain status` shows.
#[derive(Debug, Clone, Serialize, Default, PartialEq)]
pub struct StatusModel {
    pub appname: String,
    pub release: String,
    pub namespace: String,
    pub cluster: String,
    pub verdict: VerdictLine,
    pub release_info: Option<ReleaseInfo>,
    /// Why the release info is missing (helm failed, release not found).
    pub release_error: Option<String>,
    pub workloads: Vec<WorkloadRow>,
    pub pods: Vec<PodRow>,
    pub abnormal: Vec<AbnormalContainer>,
    pub endpoints: Vec<EndpointRow>,
    pub links: Links,
    /// false when the cluster has no metrics API (metrics-server): usage columns are empty.
    pub metrics_available: bool,
    /// Non-fatal trouble gathering data (a watch that keeps failing...).
    pub warnings: Vec<String>,
    /// A canary or blue/green deploy in flight, one line each (with the next step).
    pub strategy: Vec<String>,
}

impl StatusModel {
    pub fn pod(&self, name: &str) -> Option<&PodRow> {
        self.pods.iter().find(|p| p.name == name)
    }
}

/// What the detail view shows for one pod (Enter on a pod).
#[derive(Debug, Clone, Serialize, Default, PartialEq)]
pub struct PodDetail {
    pub pod: String,
    /// `kubectl describe`-like text, built from the pod and its events.
    pub describe: Vec<String>,
    /// Full logs (up to a limit) per container; previous container's too when it restarted.
    pub logs: Vec<(String, Vec<String>)>,
}
