//! Rolling update and Recreate, watched pod by pod through a real `lain deploy`: the simulated
//! Deployment controller must honour maxUnavailable / maxSurge, and Recreate must start no new
//! pod while an old one is still there.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use futures::StreamExt;
use k8s_openapi::api::core::v1::Pod;
use kube::runtime::{WatchStreamExt, watcher};

use crate::both_helms;
use crate::observe::api;
use crate::support::setup;

const VALUES: &str = r#"appname: dummy
deployments:
  web:
    replicaCount: 6
    containerPort: 8000
    readinessProbe:
      httpGet:
        path: /
        port: 8000
      initialDelaySeconds: 2
      periodSeconds: 1
    strategy:
      type: RollingUpdate
      rollingUpdate:
        maxSurge: 2
        maxUnavailable: 1
  worker:
    replicaCount: 3
    command: ["sleep", "infinity"]
    strategy:
      type: Recreate
"#;

#[derive(Debug, Clone)]
struct PodView {
    proc_: String,
    tag: String,
    ready: bool,
    terminating: bool,
}

fn view(p: &Pod) -> PodView {
    let labels = p.metadata.labels.clone().unwrap_or_default();
    let image = p.spec.as_ref().and_then(|s| s.containers.first()).and_then(|c| c.image.clone()).unwrap_or_default();
    PodView {
        proc_: labels.get("lain.io/proc").cloned().unwrap_or_default(),
        tag: image.rsplit(':').next().unwrap_or("").to_string(),
        ready: p.status.as_ref().and_then(|s| s.conditions.as_ref()).is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True")),
        terminating: p.metadata.deletion_timestamp.is_some(),
    }
}

/// What the pod watch saw, checked on every event.
#[derive(Debug, Default)]
struct Seen {
    /// Most web pods unavailable at once (6 desired minus available).
    max_unavailable: i64,
    /// Most web pods alive (not terminating) at once.
    max_alive: i64,
    /// A new worker pod existed while an old one was still there (Recreate broken).
    recreate_overlap: Option<String>,
    events: usize,
}

async fn rolling_update_respects_max_unavailable(helm: &str) {
    let t = setup(helm, VALUES, 10.0).await;
    t.lain(&["deploy"]).await.ok();
    let old_tag = t.tag();
    let new_tag = t.commit("v2");

    let seen = Arc::new(Mutex::new(Seen::default()));
    let rec = seen.clone();
    let pods_api = api::<Pod>(&t).await;
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
    let (old, new) = (old_tag.clone(), new_tag.clone());
    let watch = tokio::spawn(async move {
        let mut ready_tx = Some(ready_tx);
        let mut pods: BTreeMap<String, PodView> = BTreeMap::new();
        // A re-list (the watcher restarts after a watch error) replaces the picture whole:
        // keeping the old map would keep pods deleted meanwhile.
        let mut relist: Option<BTreeMap<String, PodView>> = None;
        let mut synced = false;
        let mut s = watcher(pods_api, watcher::Config::default().labels("app.kubernetes.io/instance=dummy")).default_backoff().boxed();
        while let Some(Ok(ev)) = s.next().await {
            match ev {
                watcher::Event::Apply(p) => {
                    pods.insert(p.metadata.name.clone().unwrap_or_default(), view(&p));
                }
                watcher::Event::Delete(p) => {
                    pods.remove(&p.metadata.name.clone().unwrap_or_default());
                }
                watcher::Event::Init => relist = Some(BTreeMap::new()),
                watcher::Event::InitApply(p) => {
                    relist.get_or_insert_with(BTreeMap::new).insert(p.metadata.name.clone().unwrap_or_default(), view(&p));
                }
                watcher::Event::InitDone => {
                    pods = relist.take().unwrap_or_default();
                    synced = true;
                }
            }
            // The initial list arrives pod by pod: judge from the first complete picture on.
            if !synced {
                continue;
            }
            let web: Vec<&PodView> = pods.values().filter(|p| p.proc_ == "web").collect();
            let available = web.iter().filter(|p| p.ready && !p.terminating).count() as i64;
            let alive = web.iter().filter(|p| !p.terminating).count() as i64;
            let mut s = rec.lock().unwrap();
            s.events += 1;
            s.max_unavailable = s.max_unavailable.max(6 - available);
            s.max_alive = s.max_alive.max(alive);
            let workers: Vec<&PodView> = pods.values().filter(|p| p.proc_ == "worker").collect();
            let has = |tag: &str| workers.iter().any(|w| w.tag == tag);
            if has(&old) && has(&new) && s.recreate_overlap.is_none() {
                s.recreate_overlap = Some(format!("{workers:?}"));
            }
            drop(s);
            if let Some(r) = ready_tx.take() {
                let _ = r.send(());
            }
        }
    });
    ready_rx.await.expect("the watch lists the pods");
    {
        let s = seen.lock().unwrap();
        assert_eq!(s.max_unavailable, 0, "before the deploy every web pod is available: {s:?}");
    }

    t.lain(&["deploy"]).await.ok();
    watch.abort();
    let s = std::mem::take(&mut *seen.lock().unwrap());
    // Every web pod was replaced: the new tag runs, the old one is gone.
    let alive = |prefix: &str| -> Vec<String> {
        t.pods(prefix)
            .iter()
            .filter(|p| p["metadata"]["deletionTimestamp"].is_null())
            .map(|p| p["spec"]["containers"][0]["image"].as_str().unwrap_or("").to_string())
            .collect()
    };
    let web = alive("dummy-web-");
    assert_eq!(web.len(), 6, "{web:?}");
    assert!(web.iter().all(|i| i.ends_with(&new_tag)), "old tag {old_tag} left: {web:?}");
    assert!(s.events > 12, "the watch followed the rollout: {s:?}");
    assert_eq!(s.max_unavailable, 1, "maxUnavailable 1: never more than one web pod unavailable, and the rollout did use it: {s:?}");
    assert!(s.max_alive <= 8, "maxSurge 2: at most 8 web pods alive: {s:?}");
    assert!(s.max_alive > 6, "the rollout surged: {s:?}");
    assert!(s.recreate_overlap.is_none(), "Recreate: no new worker pod while an old one exists: {:?}", s.recreate_overlap);
    let worker = alive("dummy-worker-");
    assert_eq!(worker.len(), 3, "{worker:?}");
    assert!(worker.iter().all(|i| i.ends_with(&new_tag)), "{worker:?}");
    t.shutdown().await;
}
both_helms!(rolling_update_respects_max_unavailable_, rolling_update_respects_max_unavailable);
