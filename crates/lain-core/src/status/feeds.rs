//! One watch per resource kind (pods, deployments, statefulsets, ingresses, events), each
//! keeping its own store of the release's objects and marking the shared state dirty on change.

use std::collections::BTreeMap;
use std::sync::Arc;

use futures::StreamExt;
use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::core::v1::{Event, Pod};
use k8s_openapi::api::networking::v1::Ingress;
use kube::runtime::watcher::{self, Event as WEvent};
use kube::runtime::WatchStreamExt;
use kube::{Api, Resource, ResourceExt};
use serde::de::DeserializeOwned;

use super::live::Shared;

/// A store keyed by name. `Init` starts a fresh buffer that replaces the store on `InitDone`,
/// so objects deleted while a watch was reconnecting disappear.
#[derive(Debug)]
pub struct Store<K> {
    pub items: BTreeMap<String, K>,
    pending: Option<BTreeMap<String, K>>,
    pub synced: bool,
}

impl<K> Default for Store<K> {
    fn default() -> Self {
        Store { items: BTreeMap::new(), pending: None, synced: false }
    }
}

impl<K: Resource> Store<K> {
    /// Applies one watch event; returns whether the visible contents changed.
    pub fn apply(&mut self, ev: WEvent<K>) -> bool {
        match ev {
            WEvent::Init => {
                self.pending = Some(BTreeMap::new());
                false
            }
            WEvent::InitApply(o) => {
                if let Some(p) = &mut self.pending {
                    p.insert(o.name_any(), o);
                }
                false
            }
            WEvent::InitDone => {
                if let Some(p) = self.pending.take() {
                    self.items = p;
                }
                self.synced = true;
                true
            }
            WEvent::Apply(o) => {
                self.items.insert(o.name_any(), o);
                true
            }
            WEvent::Delete(o) => self.items.remove(&o.name_any()).is_some(),
        }
    }
}

/// Drops what the dashboard never reads (managedFields, last-applied annotations): on a
/// 500-pod app this is most of each object's memory.
fn slim<K: Resource>(o: &mut K) {
    let m = o.meta_mut();
    m.managed_fields = None;
    if let Some(a) = &mut m.annotations {
        a.remove("kubectl.kubernetes.io/last-applied-configuration");
    }
}

/// Runs one watch until the task is aborted, feeding `store_of(shared)`.
async fn run<K, F>(api: Api<K>, cfg: watcher::Config, shared: Arc<Shared>, kind: &'static str, store_of: F)
where
    K: Resource + Clone + DeserializeOwned + std::fmt::Debug + Send + Sync + 'static,
    F: Fn(&mut super::live::State) -> &mut Store<K>,
{
    let mut stream = watcher::watcher(api, cfg).default_backoff().modify(slim).boxed();
    while let Some(ev) = stream.next().await {
        let mut st = shared.lock();
        match ev {
            Ok(ev) => {
                st.watch_errors.remove(kind);
                if store_of(&mut st).apply(ev) {
                    drop(st);
                    shared.dirty.notify_one();
                }
            }
            Err(e) => {
                st.watch_errors.insert(kind, format!("watching {kind} failed (retrying): {e}"));
                drop(st);
                shared.dirty.notify_one();
            }
        }
    }
}

/// Spawns the five watches.
pub fn spawn(client: kube::Client, ns: &str, release: &str, shared: Arc<Shared>) -> Vec<tokio::task::JoinHandle<()>> {
    let sel = format!("app.kubernetes.io/instance={release}");
    let cfg = || watcher::Config::default().labels(&sel);
    let mut tasks = Vec::new();
    tasks.push(tokio::spawn(run(Api::<Pod>::namespaced(client.clone(), ns), cfg(), shared.clone(), "pods", |s| &mut s.pods)));
    tasks.push(tokio::spawn(run(
        Api::<Deployment>::namespaced(client.clone(), ns),
        cfg(),
        shared.clone(),
        "deployments",
        |s| &mut s.deployments,
    )));
    tasks.push(tokio::spawn(run(
        Api::<StatefulSet>::namespaced(client.clone(), ns),
        cfg(),
        shared.clone(),
        "statefulsets",
        |s| &mut s.statefulsets,
    )));
    tasks.push(tokio::spawn(run(Api::<Ingress>::namespaced(client.clone(), ns), cfg(), shared.clone(), "ingresses", |s| &mut s.ingresses)));
    // Events carry no labels: watch the namespace's events and keep those about objects named
    // after the release (RELEASE-PROC-...), which every object lain creates is.
    let prefix = format!("{release}-");
    tasks.push(tokio::spawn(run_events(Api::<Event>::namespaced(client, ns), shared, prefix)));
    tasks
}

async fn run_events(api: Api<Event>, shared: Arc<Shared>, prefix: String) {
    let mut stream = watcher::watcher(api, watcher::Config::default()).default_backoff().modify(slim).boxed();
    while let Some(ev) = stream.next().await {
        let mut st = shared.lock();
        match ev {
            Ok(ev) => {
                let keep = match &ev {
                    WEvent::Apply(o) | WEvent::InitApply(o) => o.involved_object.name.as_deref().is_some_and(|n| n.starts_with(&prefix)),
                    _ => true,
                };
                st.watch_errors.remove("events");
                if keep && st.events.apply(ev) {
                    // A namespace can hold many events: keep the newest few hundred.
                    if st.events.items.len() > 1000 {
                        let mut by_time: Vec<(Option<jiff::Timestamp>, String)> = st
                            .events
                            .items
                            .iter()
                            .map(|(k, e)| (super::build::event_line(e).last_seen, k.clone()))
                            .collect();
                        by_time.sort();
                        for (_, k) in by_time.iter().take(by_time.len() - 800) {
                            st.events.items.remove(k);
                        }
                    }
                    drop(st);
                    shared.dirty.notify_one();
                }
            }
            Err(e) => {
                st.watch_errors.insert("events", format!("watching events failed (retrying): {e}"));
                drop(st);
                shared.dirty.notify_one();
            }
        }
    }
}
