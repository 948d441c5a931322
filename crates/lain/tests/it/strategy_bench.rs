//! Figures for docs/strategies.md (run with `--nocapture` to see the BENCH lines): how long
//! each strategy command takes against kube-sim with real helm, and how soon after green's last
//! pod is Ready the Service switches.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt;
use k8s_openapi::api::core::v1::{Pod, Service};
use kube::runtime::{WatchStreamExt, watcher};

use crate::observe::api;
use crate::support::{T, setup};

const VALUES: &str = r#"appname: dummy
deployments:
  web:
    replicaCount: 2
    containerPort: 8000
    readinessProbe:
      httpGet:
        path: /
        port: 8000
      initialDelaySeconds: 2
      periodSeconds: 1
ingresses:
  - host: dummy
    deployName: web
canaryGroups:
  small:
    nginx.ingress.kubernetes.io/canary-weight: "10"
  internal:
    nginx.ingress.kubernetes.io/canary-by-header: X-Canary
"#;

async fn timed(t: &T, args: &[&str]) -> u128 {
    let start = Instant::now();
    t.lain(args).await.ok();
    start.elapsed().as_millis()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strategy_command_times_and_switch_latency() {
    let t = setup("helm3", VALUES, 10.0).await;
    let plain = timed(&t, &["deploy"]).await;
    t.commit("v2");
    let canary = timed(&t, &["deploy", "--canary", "--group", "small"]).await;
    let group = timed(&t, &["set-canary-group", "internal"]).await;
    let abort = timed(&t, &["deploy", "--canary", "--abort"]).await;
    t.lain(&["deploy", "--canary", "--group", "small"]).await.ok();
    let promote = timed(&t, &["deploy", "--canary", "--final"]).await;
    eprintln!(
        "BENCH canary (helm3, time x10, 2 web pods, readiness 2 s simulated): plain deploy {plain} ms, deploy --canary {canary} ms, set-canary-group {group} ms, --abort {abort} ms, --final {promote} ms"
    );

    // Blue/green: when green's last pod turns Ready, and when the Service's switch arrives.
    t.commit("v3");
    let (pods, svcs) = (api::<Pod>(&t).await, api::<Service>(&t).await);
    let last_ready = Arc::new(Mutex::new(None::<Instant>));
    let switched = Arc::new(Mutex::new(None::<Instant>));
    let (lr, sw) = (last_ready.clone(), switched.clone());
    let w1 = tokio::spawn(async move {
        let mut ready = std::collections::BTreeSet::new();
        let mut s = watcher(pods, watcher::Config::default().labels("lain.io/color=green,lain.io/proc=web")).default_backoff().boxed();
        while let Some(Ok(ev)) = s.next().await {
            if let watcher::Event::Apply(p) = ev {
                let r = p.status.as_ref().and_then(|s| s.conditions.as_ref()).is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"));
                if r && ready.insert(p.metadata.name.clone().unwrap_or_default()) && ready.len() == 2 {
                    *lr.lock().unwrap() = Some(Instant::now());
                }
            }
        }
    });
    let w2 = tokio::spawn(async move {
        let mut s = watcher(svcs, watcher::Config::default().fields("metadata.name=dummy-web")).default_backoff().boxed();
        while let Some(Ok(ev)) = s.next().await {
            if let watcher::Event::Apply(svc) = ev
                && svc.spec.as_ref().and_then(|s| s.selector.as_ref()).is_some_and(|m| m.contains_key("lain.io/color"))
            {
                sw.lock().unwrap().get_or_insert_with(Instant::now);
            }
        }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let bg = timed(&t, &["deploy", "--blue-green"]).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    w1.abort();
    w2.abort();
    let (r, s) = (last_ready.lock().unwrap().expect("green ready seen"), switched.lock().unwrap().expect("switch seen"));
    let latency = s.saturating_duration_since(r).as_millis();
    let rollback = timed(&t, &["rollback", "--blue-green"]).await;
    let drop = timed(&t, &["blue-green", "finish"]).await;
    t.commit("v4");
    t.lain(&["deploy", "--blue-green"]).await.ok();
    let finish = timed(&t, &["blue-green", "finish"]).await;
    eprintln!(
        "BENCH blue/green (same setup): deploy --blue-green {bg} ms; green's last pod Ready → Service switched {latency} ms; rollback --blue-green {rollback} ms; finish with traffic on blue (drop green) {drop} ms; finish with traffic on green (promote) {finish} ms"
    );
    assert!(s >= r, "the switch came after green was Ready");
    assert!(latency < 2000, "switch latency {latency} ms");
    t.shutdown().await;
}
