//! The live feed behind the dashboard: watches (see [`super::feeds`]) plus the things that are
//! not watchable (helm, metrics, logs, HTTP probes), gathered by background tasks that report to
//! the UI by message, gitui-style. The UI never waits on the network.
//!
//! Flow: a watch event marks the state dirty → the builder task (at most every
//! [`LiveOptions::min_interval`]) builds a [`StatusModel`] and sends it only if it differs from
//! the last one sent. So a burst of pod updates during a rollout is one redraw, and a
//! resourceVersion-only change is none.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::core::v1::{Event, Pod};
use k8s_openapi::api::networking::v1::Ingress;
use kube::Api;
use kube::api::{ApiResource, DynamicObject, ListParams, LogParams};
use tokio::sync::{Notify, mpsc};
use tokio::task::JoinHandle;

use super::build::{self, Extras, LogTail, Snapshot, Target};
use super::feeds::{self, Store};
use super::model::{PodDetail, StatusModel};
use super::probe::{ProbeError, Prober};
use super::quantity::{cpu_millis, mem_bytes};
use crate::helm::Helm;

#[derive(Default)]
pub struct State {
    pub pods: Store<Pod>,
    pub deployments: Store<Deployment>,
    pub statefulsets: Store<StatefulSet>,
    pub ingresses: Store<Ingress>,
    pub events: Store<super::model::EventLine>,
    pub watch_errors: BTreeMap<&'static str, String>,
    pub extras: Extras,
}

impl State {
    /// A view of the stores for [`build::build`] (borrowed: no copy of the pods).
    fn snapshot(&self, now: jiff::Timestamp) -> Snapshot<'_> {
        Snapshot {
            pods: self.pods.items(),
            deployments: self.deployments.items(),
            statefulsets: self.statefulsets.items(),
            events: self.events.items(),
            ingresses: self.ingresses.items(),
            synced: self.pods.synced && self.deployments.synced && self.statefulsets.synced && self.ingresses.synced,
            now,
        }
    }
}

pub struct Shared {
    state: Mutex<State>,
    /// Something the model is built from changed.
    pub dirty: Notify,
    release_kick: Notify,
    metrics_kick: Notify,
    probe_kick: Notify,
    logs_kick: Notify,
}

impl Shared {
    pub fn lock(&self) -> MutexGuard<'_, State> {
        // A panicking task must not take the dashboard down with it: the data is still usable.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Where "now" comes from (tests use the simulated cluster's clock).
pub type Clock = Arc<dyn Fn() -> jiff::Timestamp + Send + Sync>;

#[derive(Clone)]
pub struct LiveOptions {
    pub target: Target,
    /// None: no release line (e.g. tests without helm).
    pub helm: Option<Helm>,
    pub probe_every: Duration,
    pub probe_timeout: Duration,
    pub metrics_every: Duration,
    pub logs_every: Duration,
    pub min_interval: Duration,
    /// host → address overrides for the prober (`--resolve`).
    pub resolve: Vec<(String, SocketAddr)>,
    /// Log lines kept per abnormal container in the overview.
    pub log_lines: i64,
    /// Log lines per container in the detail view.
    pub detail_log_lines: i64,
    pub clock: Clock,
}

impl LiveOptions {
    pub fn new(target: Target) -> Self {
        LiveOptions {
            target,
            helm: None,
            probe_every: Duration::from_secs(10),
            probe_timeout: Duration::from_secs(5),
            metrics_every: Duration::from_secs(15),
            logs_every: Duration::from_secs(10),
            min_interval: Duration::from_millis(50),
            resolve: Vec::new(),
            log_lines: 20,
            detail_log_lines: 2000,
            clock: Arc::new(jiff::Timestamp::now),
        }
    }
}

/// What the feed reports.
#[derive(Debug, Clone)]
pub enum Update {
    Model(Arc<StatusModel>),
    Detail(Arc<PodDetail>),
    /// A command lain runs in the background (shown in the footer, since printing it would tear
    /// the full-screen UI).
    Command(String),
}

/// What the UI asks for.
#[derive(Debug, Clone)]
pub enum Request {
    /// Re-run helm, re-probe, re-fetch metrics and logs now.
    Refresh,
    /// Full logs and describe of one pod.
    Detail(String),
}

/// A running feed. Dropping it stops every task.
pub struct Live {
    pub updates: mpsc::UnboundedReceiver<Update>,
    requests: mpsc::UnboundedSender<Request>,
    tasks: Vec<JoinHandle<()>>,
}

impl Live {
    pub fn request(&self, r: Request) {
        let _ = self.requests.send(r);
    }

    /// A sender for requests that outlives borrows of `self` (for the UI loop).
    pub fn requester(&self) -> mpsc::UnboundedSender<Request> {
        self.requests.clone()
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// Starts the watches and background tasks. Must be called inside a tokio runtime.
pub fn start(client: kube::Client, opts: LiveOptions) -> Result<Live, ProbeError> {
    let prober = Prober::new(&opts.resolve, opts.probe_timeout)?;
    let shared = Arc::new(Shared {
        state: Mutex::new(State::default()),
        dirty: Notify::new(),
        release_kick: Notify::new(),
        metrics_kick: Notify::new(),
        probe_kick: Notify::new(),
        logs_kick: Notify::new(),
    });
    let (utx, urx) = mpsc::unbounded_channel();
    let (rtx, rrx) = mpsc::unbounded_channel();
    let ns = opts.target.namespace.clone();
    let release = opts.target.release.clone();
    let mut tasks = feeds::spawn(client.clone(), &ns, &release, shared.clone());
    tasks.push(tokio::spawn(builder(shared.clone(), opts.clone(), utx.clone())));
    if let Some(h) = opts.helm.clone() {
        shared.release_kick.notify_one();
        tasks.push(tokio::spawn(release_task(shared.clone(), client.clone(), h, release.clone(), ns.clone(), utx.clone())));
    }
    tasks.push(tokio::spawn(metrics_task(shared.clone(), client.clone(), ns.clone(), release.clone(), opts.metrics_every)));
    tasks.push(tokio::spawn(probe_task(shared.clone(), prober, opts.probe_every)));
    tasks.push(tokio::spawn(logs_task(shared.clone(), client.clone(), ns.clone(), opts.log_lines, opts.logs_every, opts.clock.clone())));
    tasks.push(tokio::spawn(request_task(shared, client, ns, opts.detail_log_lines, rrx, utx)));
    Ok(Live { updates: urx, requests: rtx, tasks })
}

async fn builder(shared: Arc<Shared>, opts: LiveOptions, out: mpsc::UnboundedSender<Update>) {
    let mut last: Option<Arc<StatusModel>> = None;
    let mut last_tags: BTreeSet<(String, String)> = BTreeSet::new();
    let mut last_urls: Vec<String> = Vec::new();
    let mut last_log_targets = Vec::new();
    // The first model goes out at once (loading screen); later ones are rate-limited.
    loop {
        let (model, synced, targets) = {
            let st = shared.lock();
            let mut extras = st.extras.clone();
            extras.warnings.extend(st.watch_errors.values().cloned());
            let snap = st.snapshot((opts.clock)());
            (build::build(&opts.target, &snap, &extras), snap.synced, build::log_targets(snap.pods, snap.now))
        };

        // Side effects of what changed: a new image tag means a new helm revision; new URLs
        // are probed at once; new abnormal containers get their logs fetched at once.
        let tags: BTreeSet<(String, String)> = model.workloads.iter().map(|w| (w.name.clone(), w.image_tag.clone())).collect();
        if synced && tags != last_tags {
            if !last_tags.is_empty() {
                shared.release_kick.notify_one();
            }
            last_tags = tags;
        }
        let urls: Vec<String> = model.endpoints.iter().map(|e| e.url.clone()).collect();
        if urls != last_urls {
            last_urls = urls;
            shared.probe_kick.notify_one();
        }
        if targets != last_log_targets {
            last_log_targets = targets;
            shared.logs_kick.notify_one();
        }

        if last.as_deref() != Some(&model) {
            let m = Arc::new(model);
            last = Some(m.clone());
            if out.send(Update::Model(m)).is_err() {
                return;
            }
        }
        // At most one build per `min_interval`, but no added delay when things are quiet: the
        // first lists must reach the screen at once.
        let built = tokio::time::Instant::now();
        shared.dirty.notified().await;
        tokio::time::sleep_until(built + opts.min_interval).await;
    }
}

async fn release_task(shared: Arc<Shared>, client: kube::Client, helm: Helm, release: String, ns: String, out: mpsc::UnboundedSender<Update>) {
    loop {
        shared.release_kick.notified().await;
        let _ = out.send(Update::Command(super::release::status_cmd(&helm, &release, &ns).to_string()));
        let (res, strategy) = super::release::gather(&client, Some(&helm), &ns, &release, true).await;
        {
            let mut s = shared.lock();
            s.extras.release = res;
            s.extras.strategy = strategy;
        }
        shared.dirty.notify_one();
    }
}

fn metrics_api(client: kube::Client, ns: &str) -> Api<DynamicObject> {
    let ar = ApiResource {
        group: "metrics.k8s.io".into(),
        version: "v1beta1".into(),
        api_version: "metrics.k8s.io/v1beta1".into(),
        kind: "PodMetrics".into(),
        plural: "pods".into(),
    };
    Api::namespaced_with(client, ns, &ar)
}

/// Sums each pod's container usage from a PodMetrics list.
pub fn parse_pod_metrics(items: &[DynamicObject]) -> HashMap<String, build::PodUsage> {
    let mut out = HashMap::new();
    for m in items {
        let Some(name) = m.metadata.name.clone() else { continue };
        let (mut cpu, mut mem) = (0u64, 0u64);
        for c in m.data.get("containers").and_then(|c| c.as_array()).into_iter().flatten() {
            cpu += c["usage"]["cpu"].as_str().and_then(cpu_millis).unwrap_or(0);
            mem += c["usage"]["memory"].as_str().and_then(mem_bytes).unwrap_or(0);
        }
        out.insert(name, (cpu, mem));
    }
    out
}

async fn metrics_task(shared: Arc<Shared>, client: kube::Client, ns: String, release: String, every: Duration) {
    let api = metrics_api(client, &ns);
    let lp = ListParams::default().labels(&format!("app.kubernetes.io/instance={release}"));
    loop {
        let res = api.list(&lp).await;
        {
            let mut st = shared.lock();
            match res {
                Ok(list) => {
                    st.extras.metrics = Some(parse_pod_metrics(&list.items));
                    st.watch_errors.remove("metrics");
                }
                // No metrics-server: not an error, the columns just stay empty.
                Err(kube::Error::Api(e)) if e.code == 404 || e.code == 503 => st.extras.metrics = None,
                Err(e) => {
                    st.watch_errors.insert("metrics", format!("metrics API: {e}"));
                }
            }
        }
        shared.dirty.notify_one();
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = shared.metrics_kick.notified() => {}
        }
    }
}

async fn probe_task(shared: Arc<Shared>, prober: Prober, every: Duration) {
    loop {
        let urls: Vec<String> = {
            let st = shared.lock();
            build::ingress_urls(st.ingresses.items()).into_iter().map(|u| u.0).collect()
        };
        let results: Vec<(String, super::model::Probe)> = futures::stream::iter(urls.clone())
            .map(|u| {
                let p = prober.clone();
                async move {
                    let r = p.probe(&u).await;
                    (u, r)
                }
            })
            .buffer_unordered(8)
            .collect()
            .await;
        if !results.is_empty() {
            let mut st = shared.lock();
            st.extras.probes.retain(|k, _| urls.contains(k));
            st.extras.probes.extend(results);
            drop(st);
            shared.dirty.notify_one();
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = shared.probe_kick.notified() => {}
        }
    }
}

/// Fetches `tail` lines of one container, and of its previous instance when it restarted.
pub async fn fetch_tail(api: &Api<Pod>, pod: &str, container: &str, restarts: i32, tail: i64) -> LogTail {
    let lp = |previous| LogParams { container: Some(container.to_string()), tail_lines: Some(tail), previous, ..LogParams::default() };
    let mut t = LogTail::default();
    match api.logs(pod, &lp(false)).await {
        Ok(s) => t.current = s.lines().map(str::to_string).collect(),
        Err(e) => t.error = Some(short_kube_error(&e)),
    }
    if restarts > 0
        && let Ok(s) = api.logs(pod, &lp(true)).await
    {
        t.previous = s.lines().map(str::to_string).collect();
    }
    t
}

fn short_kube_error(e: &kube::Error) -> String {
    match e {
        kube::Error::Api(s) => s.message.clone(),
        other => other.to_string(),
    }
}

async fn logs_task(shared: Arc<Shared>, client: kube::Client, ns: String, lines: i64, every: Duration, clock: Clock) {
    let api: Api<Pod> = Api::namespaced(client, &ns);
    loop {
        let targets = {
            let st = shared.lock();
            build::log_targets(st.pods.items(), clock())
        };
        // Bounded: a whole app crash-looping still costs 20 log requests per round, not 500.
        let mut fresh = HashMap::new();
        for (pod, c, restarts) in targets.iter().take(20) {
            fresh.insert((pod.clone(), c.clone()), fetch_tail(&api, pod, c, *restarts, lines).await);
        }
        {
            let mut st = shared.lock();
            if st.extras.logs != fresh {
                st.extras.logs = fresh;
                drop(st);
                shared.dirty.notify_one();
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = shared.logs_kick.notified() => {}
        }
    }
}

async fn request_task(
    shared: Arc<Shared>,
    client: kube::Client,
    ns: String,
    lines: i64,
    mut rx: mpsc::UnboundedReceiver<Request>,
    out: mpsc::UnboundedSender<Update>,
) {
    let api: Api<Pod> = Api::namespaced(client.clone(), &ns);
    let events_api: Api<Event> = Api::namespaced(client, &ns);
    let mut detail: Option<String> = None;
    while let Some(r) = rx.recv().await {
        match r {
            Request::Refresh => {
                shared.release_kick.notify_one();
                shared.metrics_kick.notify_one();
                shared.probe_kick.notify_one();
                shared.logs_kick.notify_one();
                if let Some(p) = detail.clone() {
                    let _ = out.send(Update::Detail(Arc::new(pod_detail(&shared, &api, &events_api, &p, lines).await)));
                }
            }
            Request::Detail(p) => {
                detail = Some(p.clone());
                let _ = out.send(Update::Detail(Arc::new(pod_detail(&shared, &api, &events_api, &p, lines).await)));
            }
        }
    }
}

/// Describe text and full logs (every container; the previous instance too when restarted).
pub async fn pod_detail(shared: &Shared, api: &Api<Pod>, events_api: &Api<Event>, pod: &str, lines: i64) -> PodDetail {
    let obj = shared.lock().pods.get(pod).cloned();
    // All of this pod's events, Normal ones included (the watch keeps only those that matter).
    let events: Vec<super::model::EventLine> = match events_api.list(&ListParams::default().fields(&format!("involvedObject.name={pod}"))).await {
        Ok(l) => l.items.iter().map(build::event_line).collect(),
        Err(_) => shared.lock().events.items().to_vec(),
    };
    let Some(obj) = obj else {
        return PodDetail { pod: pod.to_string(), describe: vec![format!("pod {pod} is gone")], logs: vec![] };
    };
    let mut logs = Vec::new();
    let statuses = obj.status.as_ref().and_then(|s| s.container_statuses.clone()).unwrap_or_default();
    for c in obj.spec.as_ref().map(|s| s.containers.clone()).unwrap_or_default() {
        let restarts = statuses.iter().find(|s| s.name == c.name).map(|s| s.restart_count).unwrap_or(0);
        let t = fetch_tail(api, pod, &c.name, restarts, lines).await;
        if restarts > 0 {
            logs.push((format!("{} (previous instance)", c.name), t.previous));
        }
        let mut cur = t.current;
        if let Some(e) = t.error {
            cur.push(format!("<no logs: {e}>"));
        }
        logs.push((c.name.clone(), cur));
    }
    PodDetail { pod: pod.to_string(), describe: super::describe::describe(&obj, &events), logs }
}

/// One-shot: list everything once (no watches), fetch helm, metrics, logs, probe once.
pub async fn snapshot_once(client: kube::Client, opts: &LiveOptions) -> Result<StatusModel, kube::Error> {
    let ns = &opts.target.namespace;
    let lp = ListParams::default().labels(&format!("app.kubernetes.io/instance={}", opts.target.release));
    let pods = Api::<Pod>::namespaced(client.clone(), ns).list(&lp).await?.items;
    let deployments = Api::<Deployment>::namespaced(client.clone(), ns).list(&lp).await?.items;
    let statefulsets = Api::<StatefulSet>::namespaced(client.clone(), ns).list(&lp).await?.items;
    let ingresses = Api::<Ingress>::namespaced(client.clone(), ns).list(&lp).await?.items;
    let prefix = format!("{}-", opts.target.release);
    let events: Vec<super::model::EventLine> = Api::<Event>::namespaced(client.clone(), ns)
        .list(&ListParams::default())
        .await?
        .items
        .iter()
        .filter(|e| feeds::event_is_ours(e, &prefix) && feeds::event_matters(e))
        .map(build::event_line)
        .collect();
    let snap = Snapshot {
        pods: &pods,
        deployments: &deployments,
        statefulsets: &statefulsets,
        events: &events,
        ingresses: &ingresses,
        synced: true,
        now: (opts.clock)(),
    };

    let mut extras = Extras::default();
    (extras.release, extras.strategy) = super::release::gather(&client, opts.helm.as_ref(), ns, &opts.target.release, false).await;
    extras.metrics = match metrics_api(client.clone(), ns).list(&lp).await {
        Ok(l) => Some(parse_pod_metrics(&l.items)),
        Err(_) => None,
    };
    let api: Api<Pod> = Api::namespaced(client, ns);
    for (pod, c, restarts) in build::log_targets(snap.pods, snap.now).iter().take(20) {
        extras.logs.insert((pod.clone(), c.clone()), fetch_tail(&api, pod, c, *restarts, opts.log_lines).await);
    }
    if let Ok(prober) = Prober::new(&opts.resolve, opts.probe_timeout) {
        let urls = build::ingress_urls(snap.ingresses);
        let results: Vec<_> = futures::stream::iter(urls)
            .map(|u| {
                let p = prober.clone();
                async move { (u.0.clone(), p.probe(&u.0).await) }
            })
            .buffer_unordered(8)
            .collect()
            .await;
        extras.probes.extend(results);
    }
    Ok(build::build(&opts.target, &snap, &extras))
}
