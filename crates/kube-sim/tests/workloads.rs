//! What kubectl shows of the simulated control plane beyond `get`: Service endpoints, rollout
//! history and undo, `describe pod` with its events.

mod common;

use std::time::Duration;

use common::{eventually, parse_table, start};
use kube_sim::{Behavior, Rule};
use serde_json::Value;

const APP: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: reg.local/web:v1
        ports: [{name: http, containerPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: web, labels: {team: a}}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
"#;

fn pod_ips(env: &common::Env, app: &str) -> Vec<String> {
    let mut ips: Vec<String> = env
        .sim
        .list("v1", "pods", Some("default"))
        .iter()
        .filter(|p| p.pointer("/metadata/labels/app").and_then(Value::as_str) == Some(app) && p.pointer("/metadata/deletionTimestamp").is_none())
        .filter_map(|p| p.pointer("/status/podIP").and_then(Value::as_str).map(String::from))
        .collect();
    ips.sort();
    ips
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn service_endpoints_follow_ready_pods() {
    let env = start(20.0).await;
    let f = env.write("app.yaml", APP);
    env.ok("kubectl", &["apply", "-f", f.to_str().expect("utf-8")]).await;
    env.ok("kubectl", &["rollout", "status", "deployment/web", "--timeout=30s"]).await;
    env.sim.settle().await;

    let out = env.run("kubectl", &["get", "endpoints", "web"]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("Warning: v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice"), "{stderr}");
    let (h, rows) = parse_table(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(h, ["NAME", "ENDPOINTS", "AGE"]);
    let want: Vec<String> = pod_ips(&env, "web").iter().map(|ip| format!("{ip}:8080")).collect();
    assert_eq!(rows[0][1], want.join(","), "named target port resolved to the container port");
    let ep = env.sim.get("v1", "endpoints", "default", "web").expect("endpoints");
    assert_eq!(ep.pointer("/subsets/0/ports/0").cloned(), Some(serde_json::json!({"name": "http", "port": 8080, "protocol": "TCP"})));
    assert_eq!(ep.pointer("/metadata/labels/team").and_then(Value::as_str), Some("a"), "service labels are copied");
    assert_eq!(ep.pointer("/subsets/0/addresses/0/targetRef/kind").and_then(Value::as_str), Some("Pod"));

    let (h, rows) = parse_table(&env.ok("kubectl", &["get", "endpointslices", "-l", "kubernetes.io/service-name=web"]).await);
    assert_eq!(h, ["NAME", "ADDRESSTYPE", "PORTS", "ENDPOINTS", "AGE"]);
    assert!(rows[0][0].starts_with("web-"), "{rows:?}");
    assert_eq!(rows[0][1..4], ["IPv4".to_string(), "8080".to_string(), pod_ips(&env, "web").join(",")]);
    let describe = env.ok("kubectl", &["describe", "service", "web"]).await;
    assert!(describe.contains(&format!("Endpoints:                {}", want.join(","))), "{describe}");

    // A pod that never gets ready is listed as not ready.
    env.sim.add_rule(Rule::image("reg.local/web:v2", Behavior::NeverReady));
    let stray = env.write("stray.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: stray, labels: {app: web}}\nspec:\n  containers:\n  - {name: web, image: reg.local/web:v2, ports: [{name: http, containerPort: 8080}]}\n");
    env.ok("kubectl", &["apply", "-f", stray.to_str().expect("utf-8")]).await;
    // A selected pod without the named port has no endpoint for it (nothing to route to).
    env.ok("kubectl", &["run", "portless", "--image=reg.local/web:v1", "--labels=app=web"]).await;
    let ep = eventually(Duration::from_secs(10), "the stray pod in notReadyAddresses", || {
        env.sim
            .get("v1", "endpoints", "default", "web")
            .filter(|e| e.pointer("/subsets/0/notReadyAddresses/0/targetRef/name").and_then(Value::as_str) == Some("stray"))
    })
    .await;
    assert_eq!(ep.pointer("/subsets/0/addresses").and_then(Value::as_array).map(Vec::len), Some(2));
    assert_eq!(ep["subsets"].as_array().map(Vec::len), Some(1), "{ep}");
    assert!(!ep.to_string().contains("portless"), "{ep}");
    let slices = env.sim.list("discovery.k8s.io/v1", "endpointslices", Some("default"));
    let stray = slices
        .iter()
        .flat_map(|s| s["endpoints"].as_array().cloned().unwrap_or_default())
        .find(|e| e.pointer("/targetRef/name").and_then(Value::as_str) == Some("stray"))
        .expect("stray in a slice");
    assert_eq!(stray["conditions"], serde_json::json!({"ready": false, "serving": false, "terminating": false}));

    // Deleting the service removes both.
    env.ok("kubectl", &["delete", "service", "web"]).await;
    eventually(Duration::from_secs(10), "endpoints and slices of a deleted service to go", || {
        let slices = env.sim.list("discovery.k8s.io/v1", "endpointslices", Some("default"));
        (env.sim.get("v1", "endpoints", "default", "web").is_none() && slices.is_empty()).then_some(())
    })
    .await;
    env.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollout_undo_reuses_the_old_replicaset() {
    let env = start(20.0).await;
    let f = env.write("app.yaml", APP);
    env.ok("kubectl", &["apply", "-f", f.to_str().expect("utf-8")]).await;
    env.ok("kubectl", &["rollout", "status", "deployment/web", "--timeout=30s"]).await;
    env.ok("kubectl", &["set", "image", "deployment/web", "web=reg.local/web:v2"]).await;
    env.ok("kubectl", &["rollout", "status", "deployment/web", "--timeout=30s"]).await;
    let revisions = |out: &str| -> Vec<String> { out.lines().skip(2).filter_map(|l| l.split_whitespace().next()).map(String::from).collect() };
    assert_eq!(revisions(&env.ok("kubectl", &["rollout", "history", "deployment/web"]).await), ["1", "2"]);

    assert!(env.ok("kubectl", &["rollout", "undo", "deployment/web"]).await.contains("deployment.apps/web rolled back"));
    env.ok("kubectl", &["rollout", "status", "deployment/web", "--timeout=30s"]).await;
    let d = env.sim.get("apps/v1", "deployments", "default", "web").expect("deployment");
    assert_eq!(d.pointer("/spec/template/spec/containers/0/image").and_then(Value::as_str), Some("reg.local/web:v1"));
    assert_eq!(env.sim.list("apps/v1", "replicasets", Some("default")).len(), 2, "the revision-1 ReplicaSet came back as revision 3");
    assert_eq!(revisions(&env.ok("kubectl", &["rollout", "history", "deployment/web"]).await), ["2", "3"]);
    let detail = env.ok("kubectl", &["rollout", "history", "deployment/web", "--revision=3"]).await;
    assert!(detail.contains("reg.local/web:v1"), "{detail}");
    env.ok("kubectl", &["rollout", "undo", "deployment/web", "--to-revision=2"]).await;
    env.ok("kubectl", &["rollout", "status", "deployment/web", "--timeout=30s"]).await;
    let d = env.sim.get("apps/v1", "deployments", "default", "web").expect("deployment");
    assert_eq!(d.pointer("/spec/template/spec/containers/0/image").and_then(Value::as_str), Some("reg.local/web:v2"));
    assert_eq!(d.pointer("/metadata/annotations/deployment.kubernetes.io~1revision").and_then(Value::as_str), Some("4"));
    env.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn describe_pod_shows_its_events() {
    let env = start(20.0).await;
    env.sim.add_rule(Rule::image("reg.local/gone:*", Behavior::ImagePullBackOff { message: String::new() }));
    env.ok("kubectl", &["run", "ok", "--image=reg.local/x:v1"]).await;
    env.ok("kubectl", &["run", "bad", "--image=reg.local/gone:v9"]).await;
    env.ok("kubectl", &["wait", "--for=condition=Ready", "pod/ok", "--timeout=20s"]).await;
    eventually(Duration::from_secs(10), "the image pull to fail", || {
        env.sim
            .get("v1", "pods", "default", "bad")
            .filter(|p| p.pointer("/status/containerStatuses/0/state/waiting/reason").and_then(Value::as_str) == Some("ImagePullBackOff"))
    })
    .await;
    let ok = env.ok("kubectl", &["describe", "pod", "ok"]).await;
    let events = ok.split("Events:").nth(1).unwrap_or("");
    for reason in ["Scheduled", "Pulling", "Pulled", "Created", "Started"] {
        assert!(events.lines().any(|l| l.split_whitespace().nth(1) == Some(reason)), "{reason} missing from:\n{ok}");
    }
    assert!(!events.contains("bad"), "only this pod's events (field selector on involvedObject): {events}");
    // Container events name their container, as the kubelet's do; names sort in time order.
    let (h, rows) = parse_table(&env.ok("kubectl", &["get", "events", "-o", "wide", "--field-selector", "involvedObject.name=ok"]).await);
    let sub = h.iter().position(|c| c == "SUBOBJECT").expect("SUBOBJECT column");
    let reason = h.iter().position(|c| c == "REASON").expect("REASON column");
    let order: Vec<(&str, &str)> = rows.iter().map(|r| (r[reason].as_str(), r[sub].as_str())).collect();
    assert_eq!(
        order,
        [
            ("Scheduled", ""),
            ("Pulling", "spec.containers{ok}"),
            ("Pulled", "spec.containers{ok}"),
            ("Created", "spec.containers{ok}"),
            ("Started", "spec.containers{ok}")
        ]
    );
    let bad = env.ok("kubectl", &["describe", "pod", "bad"]).await;
    assert!(bad.contains("Reason:       ImagePullBackOff") || bad.contains("ImagePullBackOff"), "{bad}");
    assert!(bad.contains("Failed to pull image \"reg.local/gone:v9\""), "{bad}");
    env.sim.shutdown().await;
}
