//! Real helm 3 and helm 4 against the simulator: the release lifecycle lain relies on.

mod common;

use std::time::Duration;

use base64::Engine;
use common::{eventually, fixture_chart, start};
use kube_sim::{Behavior, Rule};
use serde_json::Value;

fn image_of(env: &common::Env, deploy: &str) -> String {
    env.sim
        .get("apps/v1", "deployments", "default", deploy)
        .and_then(|d| d.pointer("/spec/template/spec/containers/0/image").and_then(Value::as_str).map(String::from))
        .unwrap_or_default()
}

fn history(out: &str) -> Vec<(String, String)> {
    let v: Value = serde_json::from_str(out).expect("history is JSON");
    v.as_array().expect("array").iter().map(|r| (r["revision"].to_string(), r["status"].as_str().unwrap_or("").to_string())).collect()
}

async fn lifecycle(helm: &str) {
    let env = start(20.0).await;
    let chart = fixture_chart();
    let chart = chart.to_str().expect("utf-8 path");

    env.ok(helm, &["install", "r1", chart, "--wait", "--timeout", "60s"]).await;
    let d = env.sim.get("apps/v1", "deployments", "default", "r1-web").expect("deployment created");
    assert_eq!(d.pointer("/status/readyReplicas").and_then(Value::as_i64), Some(2), "--wait returned before pods were ready: {d}");
    // helm stores the release as a Secret (sent as protobuf) with its labels.
    let rel = env.sim.get("v1", "secrets", "default", "sh.helm.release.v1.r1.v1").expect("release secret");
    assert_eq!(rel.pointer("/metadata/labels/owner").and_then(Value::as_str), Some("helm"));
    assert_eq!(rel.pointer("/type").and_then(Value::as_str), Some("helm.sh/release.v1"));
    assert!(rel.pointer("/data/release").is_some());

    env.ok(helm, &["upgrade", "--install", "r1", chart, "--set", "image=registry.local/web:v2", "--wait", "--timeout", "60s"]).await;
    assert_eq!(image_of(&env, "r1-web"), "registry.local/web:v2");
    let job = env.sim.get("batch/v1", "jobs", "default", "r1-preupgrade").expect("pre-upgrade hook job ran");
    let complete =
        job.pointer("/status/conditions").and_then(Value::as_array).is_some_and(|c| c.iter().any(|c| c["type"] == "Complete" && c["status"] == "True"));
    assert!(complete, "hook job not complete: {job}");
    let d = env.sim.get("apps/v1", "deployments", "default", "r1-web").expect("deployment");
    assert_eq!(d.pointer("/status/updatedReplicas").and_then(Value::as_i64), Some(2), "{d}");

    let h = history(&env.ok(helm, &["history", "r1", "-o", "json"]).await);
    assert_eq!(h, vec![("1".into(), "superseded".into()), ("2".into(), "deployed".into())]);
    let v2 = env.ok(helm, &["get", "values", "r1", "--revision", "2", "-o", "json"]).await;
    assert!(v2.contains("registry.local/web:v2"), "values of revision 2: {v2}");
    let v1 = env.ok(helm, &["get", "values", "r1", "--revision", "1", "-o", "json"]).await;
    assert!(!v1.contains("web:v2"), "values of revision 1: {v1}");

    env.ok(helm, &["rollback", "r1", "1", "--wait", "--timeout", "60s"]).await;
    assert_eq!(image_of(&env, "r1-web"), "registry.local/web:v1");
    let h = history(&env.ok(helm, &["history", "r1", "-o", "json"]).await);
    assert_eq!(h.last(), Some(&("3".into(), "deployed".into())));
    // The deployment rolled back by reusing the first ReplicaSet, as a real controller does.
    let rs = env.sim.list("apps/v1", "replicasets", Some("default"));
    assert_eq!(rs.len(), 2, "one ReplicaSet per template: {rs:?}");

    env.ok(helm, &["uninstall", "r1", "--wait", "--timeout", "60s"]).await;
    assert!(env.sim.get("apps/v1", "deployments", "default", "r1-web").is_none());
    assert!(env.sim.get("v1", "services", "default", "r1-svc").is_none());
    let releases = env.sim.list("v1", "secrets", Some("default"));
    assert!(releases.iter().all(|s| s["type"] != "helm.sh/release.v1"), "release records left: {releases:?}");
    let pods = eventually(Duration::from_secs(10), "pods of the uninstalled release to go", || {
        let p = env.sim.list("v1", "pods", Some("default"));
        p.iter().all(|p| !p["metadata"]["name"].as_str().unwrap_or("").starts_with("r1-web")).then_some(p)
    })
    .await;
    drop(pods);
    env.sim.shutdown().await;
}

/// A helm killed while the pre-upgrade hook runs leaves the release in pending-upgrade.
async fn interrupted_upgrade(helm: &str) {
    let env = start(20.0).await;
    let chart = fixture_chart();
    let chart = chart.to_str().expect("utf-8 path");
    env.ok(helm, &["install", "r1", chart]).await;
    env.sim.add_rule(Rule::image("registry.local/hook:*", Behavior::Run { job_duration: Duration::from_secs(1_000_000) }));
    let mut child = env.cmd(helm, &["upgrade", "r1", chart, "--set", "greeting=bye", "--timeout", "600s"]).spawn().expect("helm starts");
    eventually(Duration::from_secs(30), "the upgrade's hook job", || env.sim.get("batch/v1", "jobs", "default", "r1-preupgrade")).await;
    let rel = env.sim.get("v1", "secrets", "default", "sh.helm.release.v1.r1.v2").expect("revision 2 recorded before hooks");
    assert_eq!(rel.pointer("/metadata/labels/status").and_then(Value::as_str), Some("pending-upgrade"));
    child.kill().expect("kill helm");
    let _ = child.wait();
    let h = history(&env.ok(helm, &["history", "r1", "-o", "json"]).await);
    assert_eq!(h, vec![("1".into(), "deployed".into()), ("2".into(), "pending-upgrade".into())]);
    // The stored release payload is what helm wrote (gzip, base64 inside the Secret's data).
    let raw = rel.pointer("/data/release").and_then(Value::as_str).expect("release data");
    let inner = base64::engine::general_purpose::STANDARD.decode(raw).expect("secret data is base64");
    assert!(!inner.is_empty());
    let err = env.fails(helm, &["upgrade", "r1", chart]).await;
    assert!(err.contains("another operation (install/upgrade/rollback) is in progress"), "{err}");
    env.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn helm3_lifecycle() {
    lifecycle("helm3").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn helm4_lifecycle() {
    lifecycle("helm4").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn helm3_interrupted_upgrade_is_pending() {
    interrupted_upgrade("helm3").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn helm4_interrupted_upgrade_is_pending() {
    interrupted_upgrade("helm4").await;
}

/// helm 4 applies server-side without forcing: a replica count changed by `kubectl scale`
/// makes the next upgrade fail with the apiserver's conflict, as on a real cluster, until
/// `--force-conflicts`. helm 3 (client-side patches) just overwrites it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn helm4_upgrade_conflicts_with_a_scaled_deployment() {
    let env = start(20.0).await;
    let chart = fixture_chart();
    let chart = chart.to_str().expect("utf-8 path");
    env.ok("helm4", &["install", "r1", chart]).await;
    env.ok("kubectl", &["scale", "deploy/r1-web", "--replicas=5"]).await;
    let err = env.fails("helm4", &["upgrade", "r1", chart, "--set", "replicas=3"]).await;
    assert!(err.contains("Apply failed with 1 conflict: conflict with \"kubectl\" with subresource \"scale\" using apps/v1: .spec.replicas"), "{err}");
    env.ok("helm4", &["upgrade", "r1", chart, "--set", "replicas=3", "--force-conflicts"]).await;
    let d = env.sim.get("apps/v1", "deployments", "default", "r1-web").expect("deployment");
    assert_eq!(d.pointer("/spec/replicas").and_then(Value::as_i64), Some(3));

    env.ok("helm3", &["install", "r3", chart]).await;
    env.ok("kubectl", &["scale", "deploy/r3-web", "--replicas=5"]).await;
    env.ok("helm3", &["upgrade", "r3", chart, "--set", "replicas=3"]).await;
    let d = env.sim.get("apps/v1", "deployments", "default", "r3-web").expect("deployment");
    assert_eq!(d.pointer("/spec/replicas").and_then(Value::as_i64), Some(3));
    env.sim.shutdown().await;
}

/// A chart with a field the kind does not have: helm 4 applies server-side and fails, as on a
/// real cluster; helm 3 creates the object (the field dropped) and prints the server's warning.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_chart_fields_fail_helm4_and_warn_helm3() {
    let env = start(20.0).await;
    let chart = env.dir.path().join("badchart");
    std::fs::create_dir_all(chart.join("templates")).expect("chart dir");
    std::fs::write(chart.join("Chart.yaml"), "apiVersion: v2\nname: bad\nversion: 0.1.0\n").expect("Chart.yaml");
    std::fs::write(
        chart.join("templates/deploy.yaml"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\nspec:\n  replicas: 1\n  selector: {matchLabels: {app: x}}\n  template:\n    metadata: {labels: {app: x}}\n    spec:\n      containers:\n      - name: x\n        image: reg.local/x:v1\n        requests: {cpu: 1}\n",
    )
    .expect("template");
    let chart = chart.to_str().expect("utf-8");
    let err = env.fails("helm4", &["install", "b4", chart]).await;
    assert!(err.contains(r#"failed to create typed patch object (default/b4; apps/v1, Kind=Deployment): .spec.template.spec.containers[name="x"].requests: field not declared in schema"#), "{err}");
    let out = env.run("helm3", &["install", "b3", chart]).await;
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains(r#"unknown field "spec.template.spec.containers[0].requests""#), "{out:?}");
    let d = env.sim.get("apps/v1", "deployments", "default", "b3").expect("helm 3 created it");
    assert!(d.pointer("/spec/template/spec/containers/0/requests").is_none());
    env.sim.shutdown().await;
}
