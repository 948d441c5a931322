//! Blue/green: the Service selector flips to green only once green's pods are Ready (held
//! unready by a steering rule meanwhile, and ordered by resourceVersion), a failed green never
//! gets traffic, `lain rollback --blue-green` restores blue's selector, `lain blue-green finish`
//! ends both ways.

use std::collections::BTreeMap;
use std::time::Duration;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Endpoints, Pod, Service};
use kube_sim::{Behavior, Rule};
use serde_json::Value;

use crate::both_helms;
use crate::observe::{record, rv, spawn_lain, strategy_events, webhook};
use crate::support::{T, eventually, setup};

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
  worker:
    replicaCount: 1
    command: ["sleep", "infinity"]
tests:
  smoke:
    command: ["sh", "-c", "wget -q -O- http://${LAIN_RELEASE}-web:8000/"]
"#;

fn sel(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn selector_of(s: &Service) -> BTreeMap<String, String> {
    s.spec.as_ref().and_then(|s| s.selector.clone()).unwrap_or_default()
}

fn web_selector(t: &T) -> BTreeMap<String, String> {
    let s = t.get("v1", "services", "dummy-web").expect("service dummy-web");
    s["spec"]["selector"].as_object().map(|m| m.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string())).collect()).unwrap_or_default()
}

fn web_annotation(t: &T, key: &str) -> Option<String> {
    t.get("v1", "services", "dummy-web").and_then(|s| s["metadata"]["annotations"][key].as_str().map(str::to_string))
}

fn alive(t: &T, prefix: &str) -> Vec<Value> {
    t.pods(prefix).into_iter().filter(|p| p["metadata"]["deletionTimestamp"].is_null()).collect()
}

/// The pod-template-hash of blue's (the main release's) web pods.
fn blue_hash(t: &T) -> String {
    let pods = alive(t, "dummy-web-");
    let hashes: std::collections::BTreeSet<String> =
        pods.iter().map(|p| p["metadata"]["labels"]["pod-template-hash"].as_str().unwrap_or("").to_string()).collect();
    assert_eq!(hashes.len(), 1, "blue is steady: {hashes:?}");
    hashes.into_iter().next().unwrap()
}

/// A rule for the containers of green's long-running pods (not its job or test pods).
fn green_rule(b: Behavior) -> Rule {
    Rule::when(|c| c.labels.get("lain.io/color").and_then(Value::as_str) == Some("green") && !c.is_job, b)
}

fn ready(p: &Pod) -> bool {
    p.status.as_ref().and_then(|s| s.conditions.as_ref()).is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

/// The pods behind Service dummy-web in an Endpoints object: (ready, not ready) pod names.
fn endpoint_pods(e: &Endpoints) -> (Vec<String>, Vec<String>) {
    let names = |a: &Option<Vec<k8s_openapi::api::core::v1::EndpointAddress>>| -> Vec<String> {
        a.iter().flatten().filter_map(|x| x.target_ref.as_ref().and_then(|r| r.name.clone())).collect()
    };
    let mut ready = Vec::new();
    let mut not_ready = Vec::new();
    for s in e.subsets.iter().flatten() {
        ready.extend(names(&s.addresses));
        not_ready.extend(names(&s.not_ready_addresses));
    }
    ready.sort();
    not_ready.sort();
    (ready, not_ready)
}

/// Ready pod names behind dummy-web now (from the simulator's store).
fn web_ready_now(t: &T) -> Vec<String> {
    let e: Option<Endpoints> = t.get("v1", "endpoints", "dummy-web").and_then(|v| serde_json::from_value(v).ok());
    e.map(|e| endpoint_pods(&e).0).unwrap_or_default()
}

fn web_endpoints(rec: Vec<Endpoints>) -> Vec<(Vec<String>, Vec<String>)> {
    rec.iter().filter(|e| e.metadata.name.as_deref() == Some("dummy-web")).map(endpoint_pods).collect()
}

const BASE: &[(&str, &str)] = &[("app.kubernetes.io/instance", "dummy"), ("lain.io/proc", "web")];

async fn switch_waits_for_ready_then_rollback_and_finish(helm: &str) {
    let (hook, webhook) = webhook();
    let t = setup(helm, &format!("{VALUES}{webhook}"), 10.0).await;
    let out = t.lain(&["deploy", "--blue-green"]).await;
    out.code(2);
    assert!(out.stderr.contains("not deployed"), "{}", out.stderr);
    t.lain(&["deploy"]).await.ok();
    let v1 = t.tag();
    let v2 = t.commit("v2");
    let hash = blue_hash(&t);
    assert_eq!(web_selector(&t), sel(BASE));

    let services = record::<Service>(&t, "app.kubernetes.io/instance=dummy").await;
    let endpoints = record::<Endpoints>(&t, "app.kubernetes.io/instance=dummy").await;
    let green_pods = record::<Pod>(&t, "app.kubernetes.io/instance=dummy,lain.io/color=green").await;
    // Green's pods start but stay unready until the rule is cleared.
    t.sim.add_rule(green_rule(Behavior::NeverReady));
    let run = spawn_lain(&t, &["deploy", "--blue-green", "--timeout", "120s"]);
    eventually(Duration::from_secs(60), "green's web pods running (and unready)", || {
        let p = alive(&t, "dummy-green-web-");
        (p.len() == 2 && p.iter().all(|p| p["status"]["phase"] == "Running")).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!run.is_finished(), "lain waits for green");
    let mut pinned = sel(BASE);
    pinned.insert("pod-template-hash".into(), hash.clone());
    assert_eq!(web_selector(&t), pinned, "traffic pinned to blue while green is unready");
    assert_eq!(web_annotation(&t, "lain.io/blue-green-live").as_deref(), Some("blue"));
    assert!(
        alive(&t, "dummy-green-web-")
            .iter()
            .all(|p| p["status"]["conditions"].as_array().is_some_and(|c| c.iter().any(|c| c["type"] == "Ready" && c["status"] == "False")))
    );

    t.sim.clear_rules();
    let out = run.await.expect("lain ran");
    out.ok();
    let mut live_green = sel(BASE);
    live_green.insert("lain.io/color".into(), "green".into());
    assert_eq!(web_selector(&t), live_green, "one selector: green");
    assert_eq!(web_annotation(&t, "lain.io/blue-green-live").as_deref(), Some("green"));
    assert_eq!(web_annotation(&t, "lain.io/blue-green-blue-tag"), Some(v1.clone()));
    assert_eq!(web_annotation(&t, "lain.io/blue-green-green-tag"), Some(v2.clone()));
    assert!(out.stdout.contains(&v1) && out.stdout.contains(&v2), "both versions named: {}", out.stdout);
    // `lain status` tells whoever looks that traffic is on green and blue is kept.
    let st = t.lain(&["status", "-s"]).await;
    // Green has web (2) and worker (1).
    let want = format!("blue/green: traffic on green ({v2}, 3/3 Ready); blue {v1} kept for `lain rollback --blue-green`");
    assert!(st.stdout.lines().any(|l| l == want), "{want}\n{}", st.all());

    // The switch came after every green web pod was Ready, in the API server's own order.
    let svc_events = services.stop();
    let switch_rv = svc_events
        .iter()
        .filter(|s| s.metadata.name.as_deref() == Some("dummy-web") && selector_of(s).contains_key("lain.io/color"))
        .map(rv)
        .min()
        .expect("the switch was seen");
    let switches: Vec<BTreeMap<String, String>> = svc_events.iter().filter(|s| s.metadata.name.as_deref() == Some("dummy-web")).map(selector_of).collect();
    assert!(switches.iter().all(|s| s == &sel(BASE) || s == &pinned || s == &live_green), "only these selectors: {switches:?}");
    let mut ready_at: BTreeMap<String, u64> = BTreeMap::new();
    for p in green_pods.stop() {
        let name = p.metadata.name.clone().unwrap_or_default();
        if name.starts_with("dummy-green-web-") && ready(&p) {
            let e = ready_at.entry(name).or_insert(u64::MAX);
            *e = (*e).min(rv(&p));
        }
    }
    assert_eq!(ready_at.len(), 2, "{ready_at:?}");
    assert!(ready_at.values().all(|r| *r < switch_rv), "green pods Ready at {ready_at:?}, switch at {switch_rv}");
    // What the Service really sends to: blue's pods, then green's two Ready pods, never none
    // and never a mix.
    eventually(Duration::from_secs(10), "endpoints follow the switch", || {
        let r = web_ready_now(&t);
        (r.len() == 2 && r.iter().all(|n| n.starts_with("dummy-green-web-"))).then_some(())
    })
    .await;
    // The recorder's watch can trail the API's current state under load: let it catch up to
    // the green endpoints before reading what it saw.
    eventually(Duration::from_secs(10), "the recorder saw the green endpoints", || {
        let eps = web_endpoints(endpoints.snapshot());
        eps.last().filter(|(r, n)| r.len() == 2 && n.is_empty() && r.iter().all(|x| x.starts_with("dummy-green-web-"))).map(|_| ())
    })
    .await;
    let eps = web_endpoints(endpoints.stop());
    let is_green = |n: &String| n.starts_with("dummy-green-web-");
    assert!(eps.iter().all(|(ready, _)| !ready.is_empty()), "the Service always had Ready pods: {eps:?}");
    assert!(
        eps.iter().all(|(ready, not)| ready.iter().chain(not).all(is_green) || ready.iter().chain(not).all(|n| !is_green(n))),
        "never blue and green together: {eps:?}"
    );
    let (last_ready, last_not) = eps.last().cloned().unwrap();
    assert_eq!(last_ready.len(), 2, "{eps:?}");
    assert!(last_ready.iter().all(is_green) && last_not.is_empty(), "{eps:?}");

    // values.tests ran against green, which they can reach as ${LAIN_RELEASE}-web.
    let test_pod = t.get("v1", "pods", "dummy-green-test-smoke").expect("green's test pod");
    assert!(test_pod["spec"]["containers"][0]["env"].as_array().unwrap().iter().any(|e| e["name"] == "LAIN_RELEASE" && e["value"] == "dummy-green"));
    let preview = t.get("v1", "services", "dummy-green-web").expect("preview service");
    assert_eq!(preview["spec"]["selector"]["lain.io/color"], "green");
    // Blue keeps running, untouched.
    let blue = alive(&t, "dummy-web-");
    assert_eq!(blue.len(), 2);
    assert!(blue.iter().all(|p| p["spec"]["containers"][0]["image"].as_str().unwrap().ends_with(&v1)));

    let out = t.lain(&["blue-green", "status"]).await;
    out.ok();
    assert!(
        out.stdout.contains("traffic:  green") && out.stdout.contains(&v1) && out.stdout.contains(&v2) && out.stdout.contains("3/3 pods Ready"),
        "{}",
        out.stdout
    );
    for cmd in [&["deploy"][..], &["deploy", "--blue-green"], &["update-image", "web"], &["rollback"], &["deploy", "--canary"]] {
        let out = t.lain(cmd).await;
        out.code(2);
        assert!(out.stderr.contains("blue/green") || out.stderr.contains("blue-green"), "{cmd:?}: {}", out.stderr);
    }

    // Instant rollback: blue's selector again.
    let out = t.lain(&["rollback", "--blue-green"]).await;
    out.ok();
    assert_eq!(web_selector(&t), pinned);
    assert_eq!(web_annotation(&t, "lain.io/blue-green-live").as_deref(), Some("blue"));
    let out = t.lain(&["rollback", "--blue-green"]).await;
    out.code(2);
    assert!(out.stderr.contains("already on blue"), "{}", out.stderr);

    // Finish with traffic on blue: green goes, then the pin.
    let out = t.lain(&["blue-green", "finish"]).await;
    out.ok();
    assert!(out.stderr.contains("uninstall dummy-green"), "{}", out.stderr);
    assert!(alive(&t, "dummy-green-").is_empty());
    assert_eq!(web_selector(&t), sel(BASE));
    let ann = t.get("v1", "services", "dummy-web").unwrap()["metadata"]["annotations"].clone();
    assert!(ann.as_object().is_none_or(|m| m.keys().all(|k| !k.starts_with("lain.io/blue-green"))), "{ann}");
    assert!(alive(&t, "dummy-web-").iter().all(|p| p["spec"]["containers"][0]["image"].as_str().unwrap().ends_with(&v1)));
    let out = t.lain(&["blue-green", "status"]).await;
    assert!(out.stdout.contains("no blue/green deploy in flight"), "{}", out.stdout);
    let ev = strategy_events(&hook);
    let steps: Vec<&str> = ev.iter().map(|e| e["step"].as_str().unwrap_or("")).collect();
    assert_eq!(steps, ["switched", "rolled_back", "dropped"], "{ev:?}");
    assert_eq!((ev[0]["release_tag"].as_str(), ev[0]["other_tag"].as_str()), (Some(v1.as_str()), Some(v2.as_str())));
    t.lain(&["deploy"]).await.ok();
    t.shutdown().await;
}
both_helms!(switch_waits_for_ready_then_rollback_and_finish_, switch_waits_for_ready_then_rollback_and_finish);

async fn failed_green_never_gets_traffic(helm: &str) {
    let t = setup(helm, VALUES, 20.0).await;
    t.lain(&["deploy"]).await.ok();
    t.commit("v2");
    let hash = blue_hash(&t);
    let services = record::<Service>(&t, "app.kubernetes.io/instance=dummy").await;
    let endpoints = record::<Endpoints>(&t, "app.kubernetes.io/instance=dummy").await;
    t.sim.add_rule(green_rule(Behavior::CrashLoop { exit_code: 1, run_for: Duration::from_secs(1) }).with_logs(&["green: cannot connect to the database"]));
    let out = t.lain(&["deploy", "--blue-green", "--timeout", "60s"]).await;
    out.code(4);
    assert!(out.stderr.contains("CrashLoopBackOff") && out.stderr.contains("cannot connect to the database"), "{}", out.stderr);
    assert!(out.stderr.contains("traffic stays on blue"), "{}", out.stderr);
    let seen: Vec<BTreeMap<String, String>> = services.stop().iter().filter(|s| s.metadata.name.as_deref() == Some("dummy-web")).map(selector_of).collect();
    assert!(!seen.is_empty());
    assert!(seen.iter().all(|s| !s.contains_key("lain.io/color")), "green was never selected: {seen:?}");
    let eps = web_endpoints(endpoints.stop());
    assert!(!eps.is_empty());
    assert!(eps.iter().all(|(r, n)| r.len() == 2 && r.iter().chain(n).all(|p| !p.starts_with("dummy-green-"))), "only blue's pods behind the Service: {eps:?}");
    let mut pinned = sel(BASE);
    pinned.insert("pod-template-hash".into(), hash);
    assert_eq!(web_selector(&t), pinned);
    let out = t.lain(&["rollback", "--blue-green"]).await;
    out.code(2);
    t.lain(&["blue-green", "finish"]).await.ok();
    assert_eq!(web_selector(&t), sel(BASE));
    assert!(alive(&t, "dummy-green-").is_empty());
    t.shutdown().await;
}
both_helms!(failed_green_never_gets_traffic_, failed_green_never_gets_traffic);

async fn finish_promotes_green(helm: &str) {
    let t = setup(helm, VALUES, 10.0).await;
    t.lain(&["deploy"]).await.ok();
    let v2 = t.commit("v2");
    t.lain(&["deploy", "--blue-green"]).await.ok();
    let services = record::<Service>(&t, "app.kubernetes.io/instance=dummy").await;
    let endpoints = record::<Endpoints>(&t, "app.kubernetes.io/instance=dummy").await;
    let deployments = record::<Deployment>(&t, "app.kubernetes.io/instance=dummy").await;
    let out = t.lain(&["blue-green", "finish"]).await;
    out.ok();
    assert!(out.stderr.contains("upgrade --install dummy ./chart") && out.stderr.contains(&format!("imageTag={v2}")), "{}", out.stderr);
    assert!(t.get("apps/v1", "deployments", "dummy-green-web").is_none());
    // Its pods go with the garbage collector (same version as blue's by now).
    eventually(Duration::from_secs(20), "green's pods gone", || alive(&t, "dummy-green-").is_empty().then_some(())).await;
    assert_eq!(web_selector(&t), sel(BASE));
    let blue = alive(&t, "dummy-web-");
    assert_eq!(blue.len(), 2);
    assert!(blue.iter().all(|p| p["spec"]["containers"][0]["image"].as_str().unwrap().ends_with(&v2)));
    // Traffic stayed on green through the main release's upgrade (helm left the color key
    // alone), and the key was dropped only once the main Deployment had rolled out v2.
    let svc: Vec<Service> = services.stop().into_iter().filter(|s| s.metadata.name.as_deref() == Some("dummy-web")).collect();
    let unpin_rv = svc.iter().filter(|s| selector_of(s) == sel(BASE)).map(rv).min().expect("unpinned");
    assert!(
        svc.iter().filter(|s| rv(*s) < unpin_rv).all(|s| selector_of(s).get("lain.io/color").map(String::as_str) == Some("green")),
        "{:?}",
        svc.iter().map(selector_of).collect::<Vec<_>>()
    );
    let rolled_rv = deployments
        .stop()
        .into_iter()
        .filter(|d| d.metadata.name.as_deref() == Some("dummy-web"))
        .filter(|d| {
            let img =
                d.spec.as_ref().and_then(|s| s.template.spec.as_ref()).and_then(|s| s.containers.first()).and_then(|c| c.image.clone()).unwrap_or_default();
            let st = d.status.clone().unwrap_or_default();
            img.ends_with(&v2) && st.updated_replicas == Some(2) && st.available_replicas == Some(2) && st.replicas == Some(2)
        })
        .map(|d| rv(&d))
        .min()
        .expect("the main Deployment rolled out v2");
    assert!(rolled_rv < unpin_rv, "rolled out at {rolled_rv}, unpinned at {unpin_rv}");
    // No moment without a Ready pod behind the Service, from green to the promoted main.
    eventually(Duration::from_secs(20), "only the main release's pods behind the Service", || {
        let r = web_ready_now(&t);
        (r.len() == 2 && r.iter().all(|n| n.starts_with("dummy-web-"))).then_some(())
    })
    .await;
    let eps = web_endpoints(endpoints.stop());
    assert!(eps.iter().all(|(ready, _)| !ready.is_empty()), "{eps:?}");
    t.shutdown().await;
}
both_helms!(finish_promotes_green_, finish_promotes_green);
