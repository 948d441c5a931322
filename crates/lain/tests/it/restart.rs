//! `lain restart --graceful`: one pod at a time, the green light in between.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::core::v1::Pod;
use kube::runtime::{WatchStreamExt, watcher};

use crate::support::{VALUES, setup};

#[derive(Debug, Clone, PartialEq)]
enum Seen {
    Deleting(String),
    Ready(String),
}

fn ready(p: &Pod) -> bool {
    p.status.as_ref().and_then(|s| s.conditions.as_ref()).is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_restart_goes_one_pod_at_a_time() {
    let t = setup("helm3", &VALUES.replace("replicaCount: 2", "replicaCount: 3"), 10.0).await;
    t.lain(&["deploy"]).await.ok();
    let before: Vec<String> = t.pods("dummy-web-").iter().map(|p| p["metadata"]["name"].as_str().unwrap().to_string()).collect();
    assert_eq!(before.len(), 3);

    // Record, from the API server, when web pods start terminating and when pods become Ready.
    let kc = kube::config::Kubeconfig::read_from(t.home.path().join(".kube/kubeconfig-test")).unwrap();
    let cfg = kube::Config::from_custom_kubeconfig(kc, &Default::default()).await.unwrap();
    let api: kube::Api<Pod> = kube::Api::namespaced(kube::Client::try_from(cfg).unwrap(), "default");
    let seen = Arc::new(Mutex::new(Vec::<Seen>::new()));
    let rec = seen.clone();
    let watch = tokio::spawn(async move {
        let mut known_ready = std::collections::HashSet::new();
        let mut deleting = std::collections::HashSet::new();
        let mut s = watcher(api, watcher::Config::default().labels("lain.io/proc=web")).default_backoff().boxed();
        while let Some(Ok(ev)) = s.next().await {
            let (watcher::Event::Apply(p) | watcher::Event::InitApply(p)) = ev else { continue };
            let name = p.metadata.name.clone().unwrap_or_default();
            if p.metadata.deletion_timestamp.is_some() {
                if deleting.insert(name.clone()) {
                    rec.lock().unwrap().push(Seen::Deleting(name));
                }
            } else if ready(&p) && known_ready.insert(name.clone()) {
                rec.lock().unwrap().push(Seen::Ready(name));
            }
        }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;

    let out = t.lain(&["restart", "--graceful", "web"]).await;
    out.ok();
    for (i, _) in before.iter().enumerate() {
        assert!(out.stderr.contains(&format!("[{}/3] deleted pod dummy-web-", i + 1)), "{}", out.stderr);
    }
    watch.abort();
    let events: Vec<Seen> = seen.lock().unwrap().iter().filter(|e| !matches!(e, Seen::Ready(n) if before.contains(n))).cloned().collect();
    // deleting, a new pod ready, deleting, a new pod ready, deleting, a new pod ready.
    let shape: Vec<&str> = events.iter().map(|e| if matches!(e, Seen::Deleting(_)) { "D" } else { "R" }).collect();
    assert_eq!(shape, ["D", "R", "D", "R", "D", "R"], "{events:?}");
    let deleted: Vec<&String> = events.iter().filter_map(|e| if let Seen::Deleting(n) = e { Some(n) } else { None }).collect();
    let mut sorted = before.clone();
    sorted.sort();
    assert_eq!(deleted, sorted.iter().collect::<Vec<_>>(), "every old pod, in name order");
    t.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_proc_is_refused() {
    let t = setup("helm3", VALUES, 20.0).await;
    let out = t.lain(&["restart", "nope"]).await;
    out.code(2);
    assert!(out.stderr.contains("web, worker"), "{}", out.stderr);
    t.shutdown().await;
}

/// The env change that fixes a crash loop, applied with auto-pilot: the broken pods are
/// replaced at once (not held back by "wait for green" on an app that cannot be green yet).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_pilot_env_fix_heals_a_crash_loop() {
    use kube_sim::{Behavior, Rule};
    let t = setup("helm3", VALUES, 20.0).await;
    // web crashes until DATABASE_URL is set: pods made before the fix keep crashing (their env
    // is fixed at creation), pods made after it run.
    let old_pods: Arc<Mutex<Option<Vec<String>>>> = Arc::new(Mutex::new(None));
    let o = old_pods.clone();
    t.sim.add_rule(Rule::when(
        move |c| c.container == "web" && o.lock().unwrap().as_ref().is_none_or(|old| old.contains(&c.pod)),
        Behavior::CrashLoop { exit_code: 1, run_for: Duration::from_secs(1) },
    ));
    let out = t.lain(&["deploy", "--timeout", "60s"]).await;
    out.code(4);
    *old_pods.lock().unwrap() = Some(t.pods("dummy-web-").iter().map(|p| p["metadata"]["name"].as_str().unwrap().to_string()).collect());
    let out = t.lain(&["--auto-pilot", "env", "add", "DATABASE_URL=postgres://db"]).await;
    out.ok();
    assert!(out.stderr.contains("not Ready"), "{}", out.stderr);
    assert!(out.stderr.contains("it is green"), "{}", out.stderr);
    t.shutdown().await;
}
