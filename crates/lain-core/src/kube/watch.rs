//! Waiting for the green light with watches, not polling: the release's pods, Deployments and
//! StatefulSets are watched, and the verdict ([`super::health::verdict`]) is recomputed on
//! every event, so green is reported as soon as the API server tells us the last pod is Ready.

use std::collections::BTreeMap;
use std::time::{Duration, Instant, SystemTime};

use futures::{Stream, StreamExt};
use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::core::v1::Pod;
use kube::runtime::{WatchStreamExt, watcher};

use super::health::{self, PodProblem, Verdict};
use super::pods::{ReleaseObjects, release_selector};
use super::{Kube, KubeError};
use crate::output;

/// An extra condition on top of green (e.g. "pod X has been replaced"): `Some(why)` while not
/// yet met.
pub type Extra<'a> = Box<dyn Fn(&ReleaseObjects) -> Option<String> + Send + 'a>;

pub struct WaitSpec<'a> {
    pub release: String,
    /// Watch the objects matching this label selector instead of the release's
    /// (`app.kubernetes.io/instance=RELEASE`): e.g. one color of a blue/green deploy.
    pub selector: Option<String>,
    pub expected_tag: Option<String>,
    pub timeout: Duration,
    /// Say what is being waited for, on stderr, whenever that changes.
    pub progress: bool,
    pub extra: Option<Extra<'a>>,
}

#[derive(Debug)]
pub enum WaitOutcome {
    Green { at: SystemTime, objects: ReleaseObjects },
    Failed { problems: Vec<PodProblem>, objects: ReleaseObjects },
    TimedOut { waiting_for: Vec<String>, objects: ReleaseObjects },
}

enum Ev {
    Pod(watcher::Event<Pod>),
    Dep(watcher::Event<Deployment>),
    Sts(watcher::Event<StatefulSet>),
}

/// A watch-fed copy of one kind of object.
struct Cache<K> {
    items: BTreeMap<String, K>,
    buffer: Option<BTreeMap<String, K>>,
    synced: bool,
}

impl<K: kube::Resource + Clone> Cache<K> {
    fn new() -> Self {
        Cache { items: BTreeMap::new(), buffer: None, synced: false }
    }

    fn apply(&mut self, ev: watcher::Event<K>) {
        let key = |k: &K| k.meta().name.clone().unwrap_or_default();
        match ev {
            watcher::Event::Apply(o) => {
                self.items.insert(key(&o), o);
            }
            watcher::Event::Delete(o) => {
                self.items.remove(&key(&o));
            }
            watcher::Event::Init => self.buffer = Some(BTreeMap::new()),
            watcher::Event::InitApply(o) => {
                self.buffer.get_or_insert_with(BTreeMap::new).insert(key(&o), o);
            }
            watcher::Event::InitDone => {
                if let Some(b) = self.buffer.take() {
                    self.items = b;
                }
                self.synced = true;
            }
        }
    }

    fn values(&self) -> Vec<K> {
        self.items.values().cloned().collect()
    }
}

fn stream<K>(kube: &Kube, selector: &str) -> impl Stream<Item = Result<watcher::Event<K>, watcher::Error>> + Send + use<K>
where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope> + Clone + serde::de::DeserializeOwned + std::fmt::Debug + Send + Sync + 'static,
    <K as kube::Resource>::DynamicType: Default,
{
    watcher(kube.api::<K>(), watcher::Config::default().labels(selector)).default_backoff()
}

/// Waits until the release is green, broken, or the timeout passes.
pub async fn wait(kube: &Kube, spec: WaitSpec<'_>) -> Result<WaitOutcome, KubeError> {
    let sel = spec.selector.clone().unwrap_or_else(|| release_selector(&spec.release));
    let pods = stream::<Pod>(kube, &sel).map(|r| r.map(Ev::Pod)).boxed();
    let deps = stream::<Deployment>(kube, &sel).map(|r| r.map(Ev::Dep)).boxed();
    let sts = stream::<StatefulSet>(kube, &sel).map(|r| r.map(Ev::Sts)).boxed();
    let mut events = futures::stream::select(pods, futures::stream::select(deps, sts));

    let mut p = Cache::<Pod>::new();
    let mut d = Cache::<Deployment>::new();
    let mut s = Cache::<StatefulSet>::new();
    let deadline = tokio::time::Instant::now() + spec.timeout;
    let started = Instant::now();
    let mut last_said: Vec<String> = Vec::new();
    let mut last_said_at = Instant::now();
    let mut waiting_for: Vec<String> = vec!["the first answer from the API server".into()];
    let mut last_error: Option<String> = None;

    loop {
        let next = tokio::select! {
            ev = events.next() => ev,
            _ = tokio::time::sleep_until(deadline) => {
                let objects = ReleaseObjects { pods: p.values(), deployments: d.values(), statefulsets: s.values() };
                if let Some(e) = last_error {
                    waiting_for.push(format!("(the last watch error was: {e})"));
                }
                return Ok(WaitOutcome::TimedOut { waiting_for, objects });
            }
        };
        match next {
            None => return Err(KubeError::Other("the watch ended unexpectedly".into())),
            Some(Err(e)) => {
                let connected = p.synced || d.synced || s.synced;
                let e = match fatal(e, &kube.namespace, connected) {
                    // Retrying cannot fix credentials, permissions or a server never reached:
                    // say so now rather than time out minutes later.
                    Ok(fatal) => return Err(fatal),
                    Err(e) => e,
                };
                // The watcher re-lists with back-off by itself; remember the error in case we
                // time out because of it.
                output::debug(&format!("watch error (retrying): {e}"));
                last_error = Some(e.to_string());
                continue;
            }
            Some(Ok(Ev::Pod(e))) => p.apply(e),
            Some(Ok(Ev::Dep(e))) => d.apply(e),
            Some(Ok(Ev::Sts(e))) => s.apply(e),
        }
        if !(p.synced && d.synced && s.synced) {
            continue;
        }
        let objects = ReleaseObjects { pods: p.values(), deployments: d.values(), statefulsets: s.values() };
        let verdict = health::verdict(&objects.pods, &objects.deployments, &objects.statefulsets, spec.expected_tag.as_deref());
        match verdict {
            Verdict::Failed(problems) => return Ok(WaitOutcome::Failed { problems, objects }),
            Verdict::Progressing { waiting_for: w } => waiting_for = w,
            Verdict::Green => match spec.extra.as_ref().and_then(|f| f(&objects)) {
                Some(why) => waiting_for = vec![why],
                None => {
                    let at = SystemTime::now();
                    output::debug(&format!(
                        "green light at unix_ms={} ({} ms after the wait began)",
                        at.duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or(0),
                        started.elapsed().as_millis()
                    ));
                    return Ok(WaitOutcome::Green { at, objects });
                }
            },
        }
        // Progress: say it when it changes, but at most every 2 s so a big rollout does not
        // flood the terminal.
        if spec.progress && waiting_for != last_said && (last_said.is_empty() || last_said_at.elapsed() >= Duration::from_secs(2)) {
            output::info(&format!("waiting for: {}", summarize(&waiting_for)));
            last_said = waiting_for.clone();
            last_said_at = Instant::now();
        }
    }
}

/// A watch error not worth retrying, as the error to report (`Err` gives the error back to be
/// retried): 401 and 403, and, before anything was ever received, a server that cannot be
/// reached or whose certificate is not trusted. Once the watch has worked, transport errors
/// are a blip in a long rollout, and the watcher re-lists by itself.
fn fatal(e: watcher::Error, namespace: &str, connected: bool) -> Result<KubeError, watcher::Error> {
    let (code, message) = match e {
        watcher::Error::InitialListFailed(kube::Error::Api(ref s)) | watcher::Error::WatchStartFailed(kube::Error::Api(ref s)) => (s.code, s.message.clone()),
        watcher::Error::WatchError(ref s) => (s.code, s.message.clone()),
        watcher::Error::InitialListFailed(k) if !connected => return Ok(KubeError::api("watching the release", k)),
        other => return Err(other),
    };
    let fix = match code {
        401 => "the credentials are expired or revoked (the kubeconfig's token or certificate, or in a pod its service account token): ask your SA for a fresh kubeconfig".to_string(),
        403 => format!(
            "lain needs get, list and watch on pods, deployments and statefulsets (and get on events and pods/log for its reports) in namespace {namespace}; ask your SA for them (docs/cluster-ops.md has a Role to start from)"
        ),
        _ => return Err(e),
    };
    Ok(KubeError::Other(format!("watching the release: the API server answered {code}: {message}\n    fix: {fix}")))
}

/// At most three reasons, then a count: a 20-replica rollout must not print a paragraph.
fn summarize(waiting_for: &[String]) -> String {
    let mut s = waiting_for.iter().take(3).cloned().collect::<Vec<_>>().join("; ");
    if waiting_for.len() > 3 {
        s.push_str(&format!("; and {} more", waiting_for.len() - 3));
    }
    s
}
