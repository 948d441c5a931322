//! Server-side printing: what real kubectl shows for `get` (Table responses), and the
//! timestamps behind AGE columns.

mod common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::Duration;

use common::{eventually, http_get, parse_table, start};
use kube_sim::{Behavior, Rule};
use serde_json::Value;

const OBJECTS: &str = r#"
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
      - {name: web, image: reg.local/web:v1}
      - {name: side, image: reg.local/side:v1}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: crash}
spec:
  replicas: 1
  selector: {matchLabels: {app: crash}}
  template:
    metadata: {labels: {app: crash}}
    spec:
      containers: [{name: c, image: reg.local/crash:v1}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  type: NodePort
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: batch/v1
kind: Job
metadata: {name: migrate}
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{name: m, image: reg.local/m:v1}]
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly}
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          # Not `name: n`: kubectl reads YAML 1.1, where a bare n is false, which the server
          # rejects (a container name must be a string).
          containers: [{name: nightly, image: reg.local/nightly:v1}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec:
  ingressClassName: nginx
  rules:
  - host: web.example.com
    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}
  tls: [{hosts: [web.example.com]}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  replicas: 1
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers: [{name: db, image: reg.local/db:v1}]
---
apiVersion: v1
kind: Secret
metadata: {name: creds}
type: Opaque
stringData: {user: admin, password: hunter2}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: conf}
data: {a: "1", b: "2", c: "3"}
"#;

fn column<'a>(header: &[String], row: &'a [String], name: &str) -> &'a str {
    let i = header.iter().position(|h| h == name).unwrap_or_else(|| panic!("no column {name} in {header:?}"));
    &row[i]
}

/// An AGE cell of something created moments ago (in simulated time): seconds or minutes.
fn assert_recent_age(age: &str) {
    let ok = age.ends_with('s') && age.trim_end_matches('s').chars().all(|c| c.is_ascii_digit() || c == 'm');
    assert!(ok, "AGE {age:?} should be a few (simulated) seconds or minutes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_get_prints_the_real_columns() {
    let env = start(20.0).await;
    env.sim.add_rule(Rule::image("reg.local/crash:*", Behavior::CrashLoop { exit_code: 1, run_for: Duration::from_secs(1) }));
    let f = env.write("objects.yaml", OBJECTS);
    env.ok("kubectl", &["apply", "-f", f.to_str().expect("utf-8")]).await;
    env.ok("kubectl", &["rollout", "status", "deployment/web", "--timeout=30s"]).await;
    env.ok("kubectl", &["wait", "--for=condition=Complete", "job/migrate", "--timeout=30s"]).await;
    eventually(Duration::from_secs(20), "the crash-looping pod to restart", || {
        env.sim.list("v1", "pods", Some("default")).into_iter().find(|p| {
            p.pointer("/metadata/labels/app") == Some(&Value::from("crash"))
                && p.pointer("/status/containerStatuses/0/restartCount").and_then(Value::as_i64).unwrap_or(0) >= 1
                && p.pointer("/status/containerStatuses/0/state/waiting/reason") == Some(&Value::from("CrashLoopBackOff"))
        })
    })
    .await;
    // Freeze simulated time so the crash-looping container stays in its back-off while we look.
    env.sim.set_time_scale(0.0);

    let (h, rows) = parse_table(&env.ok("kubectl", &["get", "pods", "-l", "app in (web,crash)"]).await);
    assert_eq!(h, ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]);
    assert_eq!(rows.len(), 3, "{rows:?}");
    for r in &rows {
        let name = &r[0];
        if name.starts_with("web-") {
            assert_eq!((column(&h, r, "READY"), column(&h, r, "STATUS"), column(&h, r, "RESTARTS")), ("2/2", "Running", "0"), "{r:?}");
        } else {
            assert_eq!((column(&h, r, "READY"), column(&h, r, "STATUS")), ("0/1", "CrashLoopBackOff"), "{r:?}");
            let restarts = column(&h, r, "RESTARTS");
            assert!(restarts.contains(" (") && restarts.ends_with(" ago)"), "restarts with the last restart's age: {restarts}");
        }
        assert_recent_age(column(&h, r, "AGE"));
    }
    let (h, rows) = parse_table(&env.ok("kubectl", &["get", "pods", "-l", "app=web", "-o", "wide"]).await);
    assert_eq!(h, ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE", "NOMINATED NODE", "READINESS GATES"]);
    assert!(column(&h, &rows[0], "IP").starts_with("10.244."), "{rows:?}");
    assert_eq!((column(&h, &rows[0], "NODE"), column(&h, &rows[0], "NOMINATED NODE")), ("kube-sim-node", "<none>"));

    let (h, rows) = parse_table(&env.ok("kubectl", &["get", "deploy", "web"]).await);
    assert_eq!(h, ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]);
    assert_eq!(&rows[0][..4], ["web", "2/2", "2", "2"]);
    let (h, rows) = parse_table(&env.ok("kubectl", &["get", "deploy", "web", "-o", "wide"]).await);
    assert_eq!(h[5..], ["CONTAINERS", "IMAGES", "SELECTOR"]);
    assert_eq!(rows[0][5..], ["web,side", "reg.local/web:v1,reg.local/side:v1", "app=web"]);
    let (h, rows) = parse_table(&env.ok("kubectl", &["get", "rs", "-l", "app=web"]).await);
    assert_eq!(h, ["NAME", "DESIRED", "CURRENT", "READY", "AGE"]);
    assert_eq!(rows[0][1..4], ["2", "2", "2"]);
    let (h, rows) = parse_table(&env.ok("kubectl", &["get", "sts"]).await);
    assert_eq!(h, ["NAME", "READY", "AGE"]);
    assert_eq!(rows[0][0], "db");
    let (h, rows) = parse_table(&env.ok("kubectl", &["get", "jobs"]).await);
    assert_eq!(h, ["NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE"]);
    assert_eq!(rows[0][..3], ["migrate", "Complete", "1/1"]);
    assert!(rows[0][3].ends_with('s'), "duration {:?}", rows[0][3]);
    let (h, rows) = parse_table(&env.ok("kubectl", &["get", "cronjobs"]).await);
    assert_eq!(h, ["NAME", "SCHEDULE", "TIMEZONE", "SUSPEND", "ACTIVE", "LAST SCHEDULE", "AGE"]);
    assert_eq!(rows[0][..6], ["nightly", "0 3 * * *", "<none>", "False", "0", "<none>"]);
    let (h, rows) = parse_table(&env.ok("kubectl", &["get", "svc", "web"]).await);
    assert_eq!(h, ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"]);
    assert_eq!((rows[0][1].as_str(), rows[0][3].as_str()), ("NodePort", "<none>"));
    assert!(rows[0][2].starts_with("10.96.") && rows[0][4].starts_with("80:3") && rows[0][4].ends_with("/TCP"), "{rows:?}");
    let (h, rows) = parse_table(&env.ok("kubectl", &["get", "ingress"]).await);
    assert_eq!(h, ["NAME", "CLASS", "HOSTS", "ADDRESS", "PORTS", "AGE"]);
    assert_eq!(rows[0][..5], ["web", "nginx", "web.example.com", "", "80, 443"]);
    let (h, rows) = parse_table(&env.ok("kubectl", &["get", "secret", "creds"]).await);
    assert_eq!(h, ["NAME", "TYPE", "DATA", "AGE"]);
    assert_eq!(rows[0][..3], ["creds", "Opaque", "2"], "stringData is merged into data");
    let (h, rows) = parse_table(&env.ok("kubectl", &["get", "cm", "conf"]).await);
    assert_eq!(h, ["NAME", "DATA", "AGE"]);
    assert_eq!(rows[0][1], "3");
    let (h, rows) = parse_table(&env.ok("kubectl", &["get", "ns", "default"]).await);
    assert_eq!(h, ["NAME", "STATUS", "AGE"]);
    assert_eq!(rows[0][1], "Active");
    let (h, rows) = parse_table(&env.ok("kubectl", &["get", "events", "--field-selector", "involvedObject.kind=Job"]).await);
    assert_eq!(h, ["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]);
    assert!(rows.iter().any(|r| r[1..4] == ["Normal", "Completed", "job/migrate"]), "{rows:?}");

    // `get all` prefixes names with their resource; sorting asks for whole objects.
    let all = env.ok("kubectl", &["get", "all"]).await;
    assert!(all.contains("deployment.apps/web") && all.contains("service/web") && all.contains("cronjob.batch/nightly"), "{all}");
    let sorted = env.ok("kubectl", &["get", "pods", "--sort-by=.metadata.name", "-o", "name"]).await;
    let names: Vec<&str> = sorted.lines().collect();
    let mut expect = names.clone();
    expect.sort_unstable();
    assert_eq!(names, expect);
    let (_, rows) = parse_table(&env.ok("kubectl", &["get", "pods", "--sort-by=.status.startTime"]).await);
    assert_eq!(rows.len(), 5, "{rows:?}");
    env.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn table_bodies_and_watch() {
    let env = start(20.0).await;
    env.ok("kubectl", &["create", "configmap", "one", "--from-literal=a=1"]).await;
    let table_accept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";
    let (code, body) = http_get(env.sim.addr(), "/api/v1/namespaces/default/configmaps", table_accept).await;
    assert_eq!(code, 200, "{body}");
    let t: Value = serde_json::from_str(&body).expect("json");
    assert_eq!((t["kind"].as_str(), t["apiVersion"].as_str()), (Some("Table"), Some("meta.k8s.io/v1")));
    let defs = t["columnDefinitions"].as_array().expect("columns");
    assert_eq!(defs[0], serde_json::json!({"name": "Name", "type": "string", "format": "name", "priority": 0, "description": defs[0]["description"]}));
    assert!(defs[0]["description"].as_str().is_some_and(|d| d.starts_with("Name must be unique")));
    assert!(t["metadata"]["resourceVersion"].as_str().is_some());
    let row = &t["rows"][0];
    assert_eq!(row["cells"][0], "one");
    assert_eq!(row["object"]["kind"], "PartialObjectMetadata", "includeObject defaults to Metadata");
    assert!(row["object"].get("data").is_none());
    for (param, want) in [("Object", Some("ConfigMap")), ("None", None)] {
        let (_, body) = http_get(env.sim.addr(), &format!("/api/v1/namespaces/default/configmaps/one?includeObject={param}"), table_accept).await;
        let t: Value = serde_json::from_str(&body).expect("json");
        assert_eq!(t["rows"][0]["object"]["kind"].as_str(), want, "{body}");
        if want.is_some() {
            assert_eq!(t["rows"][0]["object"]["data"]["a"], "1");
        }
    }
    let (code, body) = http_get(env.sim.addr(), "/api/v1/namespaces/default/configmaps?includeObject=Everything", table_accept).await;
    assert_eq!(code, 400, "{body}");
    let (code, _) = http_get(env.sim.addr(), "/api/v1/namespaces/default/configmaps", "application/json;as=Widget;v=v1;g=meta.k8s.io").await;
    assert_eq!(code, 406);
    let (_, body) = http_get(env.sim.addr(), "/api/v1/namespaces/default/configmaps", "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io").await;
    let l: Value = serde_json::from_str(&body).expect("json");
    assert_eq!((l["kind"].as_str(), l["items"][0]["kind"].as_str()), (Some("PartialObjectMetadataList"), Some("PartialObjectMetadata")));

    // A table watch: one header, then one row per event.
    let mut w =
        env.cmd("kubectl", &["get", "configmaps", "-w", "--request-timeout=20s"]).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().expect("kubectl get -w");
    let out = w.stdout.take().expect("piped");
    let reader = std::thread::spawn(move || BufReader::new(out).lines().map_while(Result::ok).take(3).collect::<Vec<_>>());
    eventually(Duration::from_secs(10), "the watch to start", || (env.sim.shared().store().tx.receiver_count() > 0).then_some(())).await;
    env.ok("kubectl", &["create", "configmap", "two", "--from-literal=a=1", "--from-literal=b=2"]).await;
    let lines = tokio::task::spawn_blocking(move || reader.join().expect("reader")).await.expect("join");
    let _ = w.kill();
    let _ = w.wait();
    let (h, rows) = parse_table(&lines.join("\n"));
    assert_eq!(h, ["NAME", "DATA", "AGE"], "{lines:?}");
    assert!(rows.iter().any(|r| r[..2] == ["two", "2"]), "{lines:?}");
    assert_eq!(lines.iter().filter(|l| l.starts_with("NAME")).count(), 1, "headers once: {lines:?}");
    env.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timestamps_stay_in_the_hosts_past() {
    // Time runs 50 times faster and is stepped ahead by ten minutes, yet what the server writes
    // must still read as past to a client comparing with its own clock.
    let env = start(50.0).await;
    env.ok("kubectl", &["run", "p", "--image=reg.local/x:v1"]).await;
    env.ok("kubectl", &["wait", "--for=condition=Ready", "pod/p", "--timeout=20s"]).await;
    env.sim.advance(Duration::from_secs(600));
    env.sim.settle().await;
    let pod = env.sim.get("v1", "pods", "default", "p").expect("pod");
    let now = jiff::Timestamp::now();
    for ptr in ["/metadata/creationTimestamp", "/status/startTime", "/status/containerStatuses/0/state/running/startedAt"] {
        let t: jiff::Timestamp = pod.pointer(ptr).and_then(Value::as_str).expect(ptr).parse().expect("timestamp");
        assert!(t <= now, "{ptr} = {t} is in the host's future ({now})");
    }
    let describe = env.ok("kubectl", &["describe", "pod", "p"]).await;
    assert!(describe.contains("Started container p") && !describe.contains("<invalid>"), "{describe}");
    // The server's own AGE is simulated time: ten minutes and more, not the head start.
    let (h, rows) = parse_table(&env.ok("kubectl", &["get", "pod", "p"]).await);
    let age = column(&h, &rows[0], "AGE");
    assert!(age.starts_with("10m") || age.starts_with("11m"), "AGE {age}");
    env.sim.shutdown().await;
}
