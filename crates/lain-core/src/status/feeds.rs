//! One watch per resource kind (pods, deployments, statefulsets, ingresses, events), each
//! keeping its own store of the release's objects and marking the shared state dirty on change.
//!
//! Memory is the budget that matters with 500 pods: objects are slimmed as they arrive (no
//! managedFields, env, volumes...), events are kept in display form only, and the model is built
//! from the stores' slices without copying them.

use std::collections::HashMap;
use std::sync::Arc;

use futures::StreamExt;
use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::core::v1::{Event, Pod};
use k8s_openapi::api::networking::v1::Ingress;
use kube::runtime::WatchStreamExt;
use kube::runtime::watcher::{self, Event as WEvent};
use kube::{Api, Resource, ResourceExt};
use serde::de::DeserializeOwned;

use super::build::event_line;
use super::live::{Shared, State};
use super::model::EventLine;

/// Objects by name, kept in a Vec so the model is built from a slice without copying.
/// `Init` starts a fresh buffer that replaces the store on `InitDone`, so objects deleted while
/// a watch was reconnecting disappear.
#[derive(Debug)]
pub struct Store<K> {
    items: Vec<K>,
    names: Vec<String>,
    index: HashMap<String, usize>,
    pending: Option<Vec<(String, K)>>,
    pub synced: bool,
}

impl<K> Default for Store<K> {
    fn default() -> Self {
        Store { items: Vec::new(), names: Vec::new(), index: HashMap::new(), pending: None, synced: false }
    }
}

impl<K> Store<K> {
    pub fn items(&self) -> &[K] {
        &self.items
    }

    pub fn get(&self, name: &str) -> Option<&K> {
        self.index.get(name).map(|i| &self.items[*i])
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    fn upsert(&mut self, name: String, o: K) {
        match self.index.get(&name) {
            Some(i) => self.items[*i] = o,
            None => {
                self.index.insert(name.clone(), self.items.len());
                self.items.push(o);
                self.names.push(name);
            }
        }
    }

    fn remove(&mut self, name: &str) -> bool {
        let Some(i) = self.index.remove(name) else { return false };
        self.items.swap_remove(i);
        self.names.swap_remove(i);
        // The last item moved into the hole.
        if let Some(moved) = self.names.get(i) {
            self.index.insert(moved.clone(), i);
        }
        true
    }

    fn replace_all(&mut self, all: Vec<(String, K)>) {
        self.items.clear();
        self.names.clear();
        self.index.clear();
        for (n, o) in all {
            self.upsert(n, o);
        }
    }

    /// Applies one watch event of objects `S` kept as `K` (`conv` returns None to drop one);
    /// returns whether the visible contents changed.
    pub fn apply_with<S>(&mut self, ev: WEvent<S>, name: impl Fn(&S) -> String, conv: impl Fn(S) -> Option<K>) -> bool {
        match ev {
            WEvent::Init => {
                self.pending = Some(Vec::new());
                false
            }
            WEvent::InitApply(o) => {
                let n = name(&o);
                if let (Some(p), Some(k)) = (&mut self.pending, conv(o)) {
                    p.push((n, k));
                }
                false
            }
            WEvent::InitDone => {
                if let Some(p) = self.pending.take() {
                    self.replace_all(p);
                }
                self.synced = true;
                true
            }
            WEvent::Apply(o) => {
                let n = name(&o);
                match conv(o) {
                    Some(k) => {
                        self.upsert(n, k);
                        true
                    }
                    None => self.remove(&n),
                }
            }
            WEvent::Delete(o) => self.remove(&name(&o)),
        }
    }

    /// Keeps the `keep` items `order` ranks highest.
    pub fn truncate_by<T: Ord>(&mut self, keep: usize, order: impl Fn(&K) -> T) {
        if self.items.len() <= keep {
            return;
        }
        let mut all: Vec<(String, K)> = self.names.drain(..).zip(self.items.drain(..)).collect();
        all.sort_by_key(|(_, k)| std::cmp::Reverse(order(k)));
        all.truncate(keep);
        self.replace_all(all);
    }
}

impl<K: Resource> Store<K> {
    pub fn apply(&mut self, ev: WEvent<K>) -> bool {
        self.apply_with(ev, |o| o.name_any(), Some)
    }
}

/// Drops what the dashboard never reads. On a 500-pod app this is most of each object.
fn slim_meta<K: Resource>(o: &mut K) {
    let m = o.meta_mut();
    m.managed_fields = None;
    m.annotations = None;
    m.owner_references = None;
}

fn slim_pod(p: &mut Pod) {
    slim_meta(p);
    if let Some(s) = &mut p.spec {
        s.volumes = None;
        s.tolerations = None;
        s.affinity = None;
        s.host_aliases = None;
        for c in s.containers.iter_mut().chain(s.init_containers.iter_mut().flatten()) {
            c.env = None;
            c.env_from = None;
            c.volume_mounts = None;
            c.liveness_probe = None;
            c.startup_probe = None;
            c.lifecycle = None;
            c.security_context = None;
            c.args = None;
        }
    }
}

fn slim_workload<K: Resource>(o: &mut K) {
    slim_meta(o);
}

/// Runs one watch until the task is aborted, feeding the store `store_of` picks.
async fn run<K, F>(api: Api<K>, cfg: watcher::Config, shared: Arc<Shared>, kind: &'static str, slim: fn(&mut K), store_of: F)
where
    K: Resource + Clone + DeserializeOwned + std::fmt::Debug + Send + Sync + 'static,
    F: Fn(&mut State) -> &mut Store<K>,
{
    let mut stream = watcher::watcher(api, cfg).default_backoff().modify(slim).boxed();
    while let Some(ev) = stream.next().await {
        let mut st = shared.lock();
        let changed = match ev {
            Ok(ev) => {
                st.watch_errors.remove(kind);
                store_of(&mut st).apply(ev)
            }
            Err(e) => {
                st.watch_errors.insert(kind, format!("watching {kind} failed (retrying): {e}"));
                true
            }
        };
        drop(st);
        if changed {
            shared.dirty.notify_one();
        }
    }
}

/// Spawns the five watches.
pub fn spawn(client: kube::Client, ns: &str, release: &str, shared: Arc<Shared>) -> Vec<tokio::task::JoinHandle<()>> {
    let sel = format!("app.kubernetes.io/instance={release}");
    let cfg = || watcher::Config::default().labels(&sel);
    vec![
        tokio::spawn(run(Api::<Pod>::namespaced(client.clone(), ns), cfg(), shared.clone(), "pods", slim_pod, |s| &mut s.pods)),
        tokio::spawn(run(Api::<Deployment>::namespaced(client.clone(), ns), cfg(), shared.clone(), "deployments", slim_workload, |s| &mut s.deployments)),
        tokio::spawn(run(Api::<StatefulSet>::namespaced(client.clone(), ns), cfg(), shared.clone(), "statefulsets", slim_workload, |s| &mut s.statefulsets)),
        tokio::spawn(run(Api::<Ingress>::namespaced(client.clone(), ns), cfg(), shared.clone(), "ingresses", slim_workload, |s| &mut s.ingresses)),
        tokio::spawn(run_events(Api::<Event>::namespaced(client, ns), shared, format!("{release}-"))),
    ]
}

/// The events worth keeping: warnings, and the few Normal ones that say something is off
/// (a 500-pod rollout makes thousands of Normal ones — Scheduled, Pulling, Pulled, Created,
/// Started — that say nothing is wrong; they are dropped as they arrive). The detail view lists
/// all of one pod's events when it opens.
pub fn event_matters(e: &Event) -> bool {
    e.type_.as_deref() == Some("Warning")
        || matches!(e.reason.as_deref(), Some("BackOff" | "Killing" | "Preempting" | "Evicted" | "FailedScheduling" | "Unhealthy"))
}

/// At most this many are kept, newest first.
const MAX_EVENTS: usize = 600;

/// Whether an event concerns the release: every object lain creates is named RELEASE-....
pub fn event_is_ours(e: &Event, prefix: &str) -> bool {
    e.involved_object.name.as_deref().is_some_and(|n| n.starts_with(prefix))
}

async fn run_events(api: Api<Event>, shared: Arc<Shared>, prefix: String) {
    // Events carry no labels: watch the namespace's events and keep those about the release.
    // Pages of 100: the namespace's events can be many, and each page is parsed whole.
    let mut stream = watcher::watcher(api, watcher::Config::default().page_size(100)).default_backoff().boxed();
    while let Some(ev) = stream.next().await {
        let mut st = shared.lock();
        let changed = match ev {
            Ok(ev) => {
                st.watch_errors.remove("events");
                let conv = |e: Event| (event_is_ours(&e, &prefix) && event_matters(&e)).then(|| event_line(&e));
                let changed = st.events.apply_with(ev, |e| e.name_any(), conv);
                if st.events.len() > MAX_EVENTS + MAX_EVENTS / 4 {
                    st.events.truncate_by(MAX_EVENTS, |e: &EventLine| e.last_seen);
                }
                changed
            }
            Err(e) => {
                st.watch_errors.insert("events", format!("watching events failed (retrying): {e}"));
                true
            }
        };
        drop(st);
        if changed {
            shared.dirty.notify_one();
        }
    }
}
