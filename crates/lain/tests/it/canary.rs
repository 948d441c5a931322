//! Canary deploys: `lain deploy --canary`, `lain set-canary-group`, `--abort`, `--final`, with
//! the Ingresses' ingress-nginx annotations checked at every step, and the refusals.

use std::collections::BTreeMap;
use std::time::Duration;

use kube_sim::{Behavior, Rule};
use serde_json::Value;

use crate::both_helms;
use crate::observe::{strategy_events, webhook};
use crate::support::{REGISTRY, T, setup};

const VALUES: &str = r#"appname: dummy
deployments:
  web:
    replicaCount: 2
    containerPort: 8000
    readinessProbe:
      httpGet:
        path: /
        port: 8000
      initialDelaySeconds: 1
      periodSeconds: 1
ingresses:
  - host: dummy
    deployName: web
canaryGroups:
  internal:
    nginx.ingress.kubernetes.io/canary-by-header: X-Canary
    nginx.ingress.kubernetes.io/canary-by-header-value: "yes"
  small:
    nginx.ingress.kubernetes.io/canary-weight: "10"
"#;

const CANARY: &str = "nginx.ingress.kubernetes.io/canary";

/// The Ingresses of a release: name → annotations.
fn ingresses(t: &T, release: &str) -> BTreeMap<String, BTreeMap<String, String>> {
    t.sim
        .list("networking.k8s.io/v1", "ingresses", Some("default"))
        .into_iter()
        .filter(|i| i["metadata"]["labels"]["app.kubernetes.io/instance"] == release)
        .map(|i| {
            let ann = i["metadata"]["annotations"]
                .as_object()
                .map(|m| m.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string())).collect())
                .unwrap_or_default();
            (i["metadata"]["name"].as_str().unwrap_or("").to_string(), ann)
        })
        .collect()
}

/// The canary annotations (`nginx.ingress.kubernetes.io/canary*`) of the one Ingress of `release`.
fn canary_annotations(t: &T, release: &str) -> BTreeMap<String, String> {
    let ings = ingresses(t, release);
    assert_eq!(ings.len(), 1, "one ingress for {release}: {ings:?}");
    let (_, ann) = ings.into_iter().next().unwrap();
    ann.into_iter().filter(|(k, _)| k.starts_with(CANARY)).map(|(k, v)| (k.trim_start_matches("nginx.ingress.kubernetes.io/").to_string(), v)).collect()
}

fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn image(t: &T, deployment: &str) -> String {
    t.get("apps/v1", "deployments", deployment)
        .and_then(|d| d.pointer("/spec/template/spec/containers/0/image").and_then(Value::as_str).map(str::to_string))
        .unwrap_or_default()
}

async fn canary_lifecycle(helm: &str) {
    let (hook, webhook) = webhook();
    let values = format!("{VALUES}{webhook}");
    let t = setup(helm, &values, 10.0).await;
    // No main release yet: nothing to be a canary of.
    let out = t.lain(&["deploy", "--canary", "--group", "small"]).await;
    out.code(2);
    assert!(out.stderr.contains("not deployed") && out.stderr.contains("lain deploy"), "{}", out.stderr);

    t.lain(&["deploy"]).await.ok();
    let v1 = t.tag();
    assert!(canary_annotations(&t, "dummy").is_empty(), "the main ingress is no canary");
    let v2 = t.commit("v2");

    // Unknown group, and no group with two defined: refused, listing the groups.
    let out = t.lain(&["deploy", "--canary", "--group", "nope"]).await;
    out.code(2);
    assert!(out.stderr.contains("\"nope\"") && out.stderr.contains("internal, small"), "{}", out.stderr);
    let out = t.lain(&["deploy", "--canary"]).await;
    out.code(2);
    assert!(out.stderr.contains("--group") && out.stderr.contains("internal, small"), "{}", out.stderr);

    // The canary: a second release, its Ingress an ingress-nginx canary of group internal.
    let out = t.lain(&["deploy", "--canary", "--group", "internal"]).await;
    out.ok();
    assert!(out.stderr.contains("upgrade --install dummy-canary ./chart"), "{}", out.stderr);
    assert!(out.stderr.contains("--set-string canaryGroup=internal"), "{}", out.stderr);
    assert!(out.stdout.contains(&v1) && out.stdout.contains(&v2), "both versions named: {}", out.stdout);
    assert_eq!(image(&t, "dummy-canary-web"), format!("{REGISTRY}/dummy:{v2}"));
    assert_eq!(image(&t, "dummy-web"), format!("{REGISTRY}/dummy:{v1}"), "the main release is untouched");
    // Whoever looks at the main release sees the canary beside it, and the next step.
    let st = t.lain(&["status", "-s"]).await;
    let want = format!("canary dummy-canary: {v2}, group internal (deployed); next: ");
    assert!(st.stdout.lines().any(|l| l.starts_with(&want) && l.contains("--canary --final")), "{want}\n{}", st.all());
    assert_eq!(canary_annotations(&t, "dummy-canary"), map(&[("canary", "true"), ("canary-by-header", "X-Canary"), ("canary-by-header-value", "yes")]));
    let ings = ingresses(&t, "dummy-canary");
    let host = |i: &Value| i.pointer("/spec/rules/0/host").and_then(Value::as_str).map(str::to_string);
    let all = t.sim.list("networking.k8s.io/v1", "ingresses", Some("default"));
    let hosts: Vec<Option<String>> = all.iter().map(host).collect();
    assert_eq!(hosts.len(), 2);
    assert_eq!(hosts[0], hosts[1], "the canary serves the main ingress's host");
    let backend = all
        .iter()
        .find(|i| ings.contains_key(i["metadata"]["name"].as_str().unwrap_or("")))
        .and_then(|i| i.pointer("/spec/rules/0/http/paths/0/backend/service/name").and_then(Value::as_str).map(str::to_string));
    assert_eq!(backend.as_deref(), Some("dummy-canary-web"), "the canary ingress sends to the canary's Service");
    assert!(canary_annotations(&t, "dummy").is_empty(), "the main ingress is still no canary");
    let ev = strategy_events(&hook);
    assert_eq!(ev.len(), 1, "{ev:?}");
    let last = hook.requests().last().unwrap().json();
    assert_eq!(last["event"], "canary");
    assert_eq!((ev[0]["step"].as_str(), ev[0]["group"].as_str()), (Some("deployed"), Some("internal")));
    assert_eq!((ev[0]["release_tag"].as_str(), ev[0]["other_tag"].as_str()), (Some(v1.as_str()), Some(v2.as_str())), "both versions: {ev:?}");
    assert!(last["title"].as_str().unwrap().contains("alice in test") && last["text"].as_str().unwrap().contains(&v1), "{last}");

    // One canary at a time.
    let out = t.lain(&["deploy", "--canary", "--group", "small"]).await;
    out.code(2);
    assert!(out.stderr.contains("already deployed") && out.stderr.contains("internal"), "{}", out.stderr);

    // Switch the group: only the annotations change (the old group's are gone).
    let canary_rs_before = t.get("apps/v1", "deployments", "dummy-canary-web").unwrap()["metadata"]["generation"].clone();
    let out = t.lain(&["set-canary-group", "small"]).await;
    out.ok();
    assert!(out.stderr.contains("--reuse-values") && out.stderr.contains("canaryGroup=small"), "{}", out.stderr);
    assert_eq!(canary_annotations(&t, "dummy-canary"), map(&[("canary", "true"), ("canary-weight", "10")]));
    assert_eq!(t.get("apps/v1", "deployments", "dummy-canary-web").unwrap()["metadata"]["generation"], canary_rs_before, "the canary's pods were not touched");
    assert_eq!(image(&t, "dummy-canary-web"), format!("{REGISTRY}/dummy:{v2}"), "--reuse-values kept the canary's tag");
    let ev = strategy_events(&hook);
    assert_eq!((ev[1]["step"].as_str(), ev[1]["group"].as_str()), (Some("group_set"), Some("small")), "{ev:?}");
    let out = t.lain(&["set-canary-group", "nope"]).await;
    out.code(2);
    assert!(out.stderr.contains("internal, small"), "{}", out.stderr);

    // Abort: the canary release and its objects are gone; the main release never changed.
    let out = t.lain(&["deploy", "--canary", "--abort"]).await;
    out.ok();
    assert!(out.stderr.contains("uninstall dummy-canary"), "{}", out.stderr);
    assert!(ingresses(&t, "dummy-canary").is_empty());
    assert!(t.get("apps/v1", "deployments", "dummy-canary-web").is_none());
    assert_eq!(image(&t, "dummy-web"), format!("{REGISTRY}/dummy:{v1}"));
    let out = t.lain(&["deploy", "--canary", "--abort"]).await;
    out.code(2);
    assert!(out.stderr.contains("no canary"), "{}", out.stderr);

    // Again, then promote: the main release runs the canary's tag, the canary is removed.
    t.lain(&["deploy", "--canary", "--group", "small"]).await.ok();
    assert_eq!(canary_annotations(&t, "dummy-canary"), map(&[("canary", "true"), ("canary-weight", "10")]));
    let v3 = t.commit("v3: the working tree moved on; --final ships the canary's tag, not this one");
    let out = t.lain(&["deploy", "--canary", "--final"]).await;
    out.ok();
    assert_eq!(image(&t, "dummy-web"), format!("{REGISTRY}/dummy:{v2}"), "promoted the canary's {v2}, not {v3}");
    assert!(t.get("apps/v1", "deployments", "dummy-canary-web").is_none());
    assert!(ingresses(&t, "dummy-canary").is_empty());
    assert!(canary_annotations(&t, "dummy").is_empty());
    let history = t.history().await;
    assert_eq!(history.last().map(|h| h.1.as_str()), Some("deployed"));
    let steps: Vec<String> = strategy_events(&hook).iter().map(|e| e["step"].as_str().unwrap_or("").to_string()).collect();
    assert_eq!(steps, ["deployed", "group_set", "aborted", "deployed", "promoted"], "refusals send nothing");
    let promoted = strategy_events(&hook).pop().unwrap();
    assert_eq!(promoted["release_tag"].as_str(), Some(v2.as_str()), "{promoted}");

    // A canary needs ingresses to split.
    t.write_values(&format!("{}{webhook}", &VALUES[..VALUES.find("ingresses:").unwrap()]));
    t.commit("no ingresses");
    let out = t.lain(&["deploy", "--canary", "--group", "small"]).await;
    out.code(2);
    assert!(out.stderr.contains("no ingresses"), "{}", out.stderr);
    t.shutdown().await;
}
both_helms!(canary_lifecycle_, canary_lifecycle);

async fn failed_canary_leaves_main_alone(helm: &str) {
    let t = setup(helm, VALUES, 20.0).await;
    t.lain(&["deploy"]).await.ok();
    let v1 = t.tag();
    let v2 = t.commit("v2");
    t.sim.add_rule(Rule::image(&format!("*:{v2}"), Behavior::CrashLoop { exit_code: 1, run_for: Duration::from_secs(1) }).with_logs(&["boom: v2 is broken"]));
    let out = t.lain(&["deploy", "--canary", "--group", "small", "--timeout", "60s"]).await;
    out.code(4);
    assert!(out.stderr.contains("CrashLoopBackOff") && out.stderr.contains("boom: v2 is broken"), "{}", out.stderr);
    assert!(out.stderr.contains("--canary --abort"), "says how to remove it: {}", out.stderr);
    assert_eq!(image(&t, "dummy-web"), format!("{REGISTRY}/dummy:{v1}"));
    // A broken canary is not promoted. (Read once the back-off has grown: between two
    // restarts a crash-looping container runs for a moment, when it is only "not ready".)
    crate::support::eventually(Duration::from_secs(30), "the canary pods deep in CrashLoopBackOff", || {
        let pods = t.pods("dummy-canary-web-");
        let looping = |p: &Value| {
            let cs = &p["status"]["containerStatuses"][0];
            cs["restartCount"].as_i64().unwrap_or(0) >= 3 && cs["state"]["waiting"]["reason"] == "CrashLoopBackOff"
        };
        (!pods.is_empty() && pods.iter().all(looping)).then_some(())
    })
    .await;
    let out = t.lain(&["deploy", "--canary", "--final"]).await;
    out.code(2);
    assert!(out.stderr.contains("is broken, not promoting it") && out.stderr.contains("CrashLoopBackOff"), "{}", out.stderr);
    assert!(!out.stderr.contains("upgrade --install dummy "), "main was not deployed: {}", out.stderr);
    assert_eq!(image(&t, "dummy-web"), format!("{REGISTRY}/dummy:{v1}"), "{}", out.stderr);
    t.lain(&["deploy", "--canary", "--abort"]).await.ok();
    t.shutdown().await;
}
both_helms!(failed_canary_leaves_main_alone_, failed_canary_leaves_main_alone);
