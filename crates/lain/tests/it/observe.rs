//! Watching the simulated cluster from a test, for the strategy tests: every event of a kind
//! (with its resourceVersion, which kube-sim keeps globally monotonic like etcd's revision, so
//! events of different kinds can be ordered), recorded by a background task.

#![allow(dead_code)]

use std::fmt::Debug;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use kube::runtime::{WatchStreamExt, watcher};
use serde::de::DeserializeOwned;

use crate::support::{Out, T};

pub async fn api<K>(t: &T) -> kube::Api<K>
where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope>,
    <K as kube::Resource>::DynamicType: Default,
{
    let kc = kube::config::Kubeconfig::read_from(t.home.path().join(".kube/kubeconfig-test")).expect("kubeconfig");
    let cfg = kube::Config::from_custom_kubeconfig(kc, &Default::default()).await.expect("config");
    kube::Api::namespaced(kube::Client::try_from(cfg).expect("client"), "default")
}

/// Objects as the API server sent them, in order (initial list included).
pub struct Recorder<K> {
    pub seen: Arc<Mutex<Vec<K>>>,
    task: tokio::task::JoinHandle<()>,
}

impl<K: Clone> Recorder<K> {
    pub fn snapshot(&self) -> Vec<K> {
        self.seen.lock().expect("lock").clone()
    }
    pub fn stop(self) -> Vec<K> {
        self.task.abort();
        self.snapshot()
    }
}

/// Records every Apply of objects of kind K matching `labels` from now on.
pub async fn record<K>(t: &T, labels: &str) -> Recorder<K>
where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope> + Clone + DeserializeOwned + Debug + Send + Sync + 'static,
    <K as kube::Resource>::DynamicType: Default,
{
    let api = api::<K>(t).await;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let rec = seen.clone();
    let cfg = watcher::Config::default().labels(labels);
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
    let task = tokio::spawn(async move {
        let mut ready = Some(ready_tx);
        let mut s = watcher(api, cfg).default_backoff().boxed();
        while let Some(ev) = s.next().await {
            match ev {
                Ok(watcher::Event::Apply(o) | watcher::Event::InitApply(o)) => rec.lock().expect("lock").push(o),
                Ok(watcher::Event::InitDone) => {
                    if let Some(r) = ready.take() {
                        let _ = r.send(());
                    }
                }
                _ => {}
            }
        }
    });
    let _ = tokio::time::timeout(Duration::from_secs(10), ready_rx).await;
    Recorder { seen, task }
}

pub fn rv<K: kube::Resource>(o: &K) -> u64 {
    o.meta().resource_version.as_deref().and_then(|s| s.parse().ok()).unwrap_or(0)
}

/// Runs lain in the background (the test observes the cluster meanwhile).
pub fn spawn_lain(t: &T, args: &[&str]) -> tokio::task::JoinHandle<Out> {
    let mut c = t.lain_cmd(args);
    tokio::task::spawn_blocking(move || Out::from(c.output().expect("lain runs")))
}

/// A webhook receiver on 127.0.0.1 that accepts everything, and the `webhook:` values block
/// pointing at it (generic kind).
pub fn webhook() -> (crate::http::Server, String) {
    let server = crate::http::Server::start(|_| crate::http::Reply::Status(200, "ok".into()));
    let values = format!("webhook:\n  url: {}/hook\n  kind: generic\n", server.url);
    (server, values)
}

/// The `strategy` objects of the generic payloads received so far.
pub fn strategy_events(server: &crate::http::Server) -> Vec<serde_json::Value> {
    server.requests().iter().map(|r| r.json()["strategy"].clone()).filter(|s| !s.is_null()).collect()
}
