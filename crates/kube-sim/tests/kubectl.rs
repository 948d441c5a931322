//! Real kubectl against the simulator.

mod common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::Duration;

use common::{eventually, start};
use kube_sim::{Behavior, Rule};
use serde_json::Value;

const DEPLOY: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web, tier: front}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: reg.local/web:v1
        env:
        - {name: A, value: "1"}
        - {name: B, value: "2"}
        ports:
        - {containerPort: 8080}
        readinessProbe:
          httpGet: {path: /, port: 8080}
          initialDelaySeconds: 3
      - name: side
        image: reg.local/side:v1
"#;

fn containers(d: &Value) -> Vec<Value> {
    d.pointer("/spec/template/spec/containers").and_then(Value::as_array).cloned().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_apply_patch_label_delete() {
    let env = start(20.0).await;
    let f = env.write("deploy.yaml", DEPLOY);
    let f = f.to_str().expect("utf-8");
    env.ok("kubectl", &["apply", "-f", f]).await;
    env.ok("kubectl", &["wait", "--for=condition=Available", "deployment/web", "--timeout=30s"]).await;
    env.ok("kubectl", &["rollout", "status", "deployment/web", "--timeout=30s"]).await;

    let names = env.ok("kubectl", &["get", "pods", "-l", "app=web", "-o", "jsonpath={.items[*].status.phase}"]).await;
    assert_eq!(names.split_whitespace().collect::<Vec<_>>(), vec!["Running", "Running"]);
    assert_eq!(env.ok("kubectl", &["get", "deploy", "-l", "tier in (front,back),app!=db", "-o", "name"]).await.trim(), "deployment.apps/web");
    assert_eq!(env.ok("kubectl", &["get", "deploy", "-l", "tier notin (front)", "-o", "name"]).await.trim(), "");
    let y = env.ok("kubectl", &["get", "deploy", "web", "-o", "yaml"]).await;
    assert!(y.contains("kind: Deployment") && y.contains("readyReplicas: 2") && y.contains("deployment.kubernetes.io/revision"), "{y}");

    // Client-side apply of a changed manifest: a three-way strategic merge computed by kubectl.
    let changed = DEPLOY.replace("reg.local/web:v1", "reg.local/web:v2").replace("        - {name: B, value: \"2\"}\n", "");
    let f2 = env.write("deploy2.yaml", &changed);
    env.ok("kubectl", &["apply", "-f", f2.to_str().expect("utf-8")]).await;
    let d = env.sim.get("apps/v1", "deployments", "default", "web").expect("deployment");
    let cs = containers(&d);
    assert_eq!(cs.len(), 2);
    assert_eq!(cs[0]["image"], "reg.local/web:v2");
    assert_eq!(cs[0]["env"], serde_json::json!([{"name": "A", "value": "1"}]), "env B removed by the 3-way merge");
    assert_eq!(d.pointer("/metadata/generation").and_then(Value::as_i64), Some(2));

    // Strategic merge: containers merge by name, env by name.
    env.ok(
        "kubectl",
        &[
            "patch",
            "deploy",
            "web",
            "--type=strategic",
            "-p",
            r#"{"spec":{"template":{"spec":{"containers":[{"name":"side","env":[{"name":"S","value":"x"}]}]}}}}"#,
        ],
    )
    .await;
    let cs = containers(&env.sim.get("apps/v1", "deployments", "default", "web").expect("deployment"));
    assert_eq!(cs.len(), 2, "strategic merge keeps the other container");
    assert_eq!(cs[1]["env"][0]["name"], "S");
    assert_eq!(cs[0]["image"], "reg.local/web:v2");
    // Merge patch replaces lists wholesale.
    env.ok("kubectl", &["patch", "deploy", "web", "--type=merge", "-p", r#"{"metadata":{"labels":{"tier":null,"patched":"yes"}}}"#]).await;
    // JSON patch.
    env.ok("kubectl", &["patch", "deploy", "web", "--type=json", "-p", r#"[{"op":"replace","path":"/spec/replicas","value":3}]"#]).await;
    let d = env.sim.get("apps/v1", "deployments", "default", "web").expect("deployment");
    assert_eq!(d.pointer("/spec/replicas").and_then(Value::as_i64), Some(3));
    assert_eq!(d.pointer("/metadata/labels/patched").and_then(Value::as_str), Some("yes"));
    assert!(d.pointer("/metadata/labels/tier").is_none());
    let err = env.fails("kubectl", &["patch", "deploy", "web", "--type=json", "-p", r#"[{"op":"test","path":"/spec/replicas","value":9}]"#]).await;
    assert!(err.contains("test"), "{err}");

    env.ok("kubectl", &["rollout", "status", "deployment/web", "--timeout=30s"]).await;
    let pod = env.ok("kubectl", &["get", "pods", "-l", "app=web", "-o", "jsonpath={.items[0].metadata.name}"]).await;
    env.ok("kubectl", &["label", "pod", &pod, "checked=true"]).await;
    assert_eq!(env.ok("kubectl", &["get", "pods", "-l", "checked", "-o", "name"]).await.trim(), format!("pod/{pod}"));
    let err = env.fails("kubectl", &["label", "pod", &pod, "checked=false"]).await;
    assert!(err.contains("already has a value"), "{err}");

    let err = env.fails("kubectl", &["get", "deploy", "nope"]).await;
    assert!(err.contains(r#"Error from server (NotFound): deployments.apps "nope" not found"#), "{err}");

    env.ok("kubectl", &["delete", "deploy", "web"]).await;
    assert!(env.sim.get("apps/v1", "deployments", "default", "web").is_none());
    eventually(Duration::from_secs(10), "pods garbage-collected", || env.sim.list("v1", "pods", Some("default")).is_empty().then_some(())).await;
    env.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_side_apply_and_conflicts() {
    let env = start(20.0).await;
    let f = env.write("d.yaml", DEPLOY);
    env.ok("kubectl", &["apply", "--server-side", "-f", f.to_str().expect("utf-8")]).await;
    let d = env.sim.get("apps/v1", "deployments", "default", "web").expect("created by apply");
    let mf = d.pointer("/metadata/managedFields").and_then(Value::as_array).expect("managedFields");
    assert!(mf.iter().any(|e| e["manager"] == "kubectl" && e["operation"] == "Apply"), "{mf:?}");
    // Re-apply without the side container: this manager's field is pruned.
    let smaller = DEPLOY.replace("      - name: side\n        image: reg.local/side:v1\n", "");
    let f = env.write("d2.yaml", &smaller);
    env.ok("kubectl", &["apply", "--server-side", "-f", f.to_str().expect("utf-8")]).await;
    let d = env.sim.get("apps/v1", "deployments", "default", "web").expect("deployment");
    assert_eq!(containers(&d).len(), 1);

    // Another manager applying a different value for a field kubectl owns: 409 Conflict, which
    // kubectl reports with its own advice.
    let other = smaller.replace("replicas: 2", "replicas: 3").replace("reg.local/web:v1", "reg.local/web:v2");
    let f_other = env.write("other.yaml", &other);
    let f_other = f_other.to_str().expect("utf-8");
    let err = env.fails("kubectl", &["apply", "--server-side", "--field-manager=deployer", "-f", f_other]).await;
    assert!(err.contains("Apply failed with 2 conflicts: conflicts with \"kubectl\":"), "{err}");
    assert!(err.contains("- .spec.replicas") && err.contains("- .spec.template.spec.containers[name=\"web\"].image"), "{err}");
    assert!(err.contains("--force-conflicts"), "kubectl recognised the conflict: {err}");
    let d = env.sim.get("apps/v1", "deployments", "default", "web").expect("deployment");
    assert_eq!(d.pointer("/spec/replicas").and_then(Value::as_i64), Some(2), "a conflicting apply changes nothing");
    // The same values are no conflict: the field becomes shared.
    let f_same = env.write("same.yaml", &smaller);
    env.ok("kubectl", &["apply", "--server-side", "--field-manager=auditor", "-f", f_same.to_str().expect("utf-8")]).await;
    // Forcing takes the fields over.
    env.ok("kubectl", &["apply", "--server-side", "--field-manager=deployer", "--force-conflicts", "-f", f_other]).await;
    let d = env.sim.get("apps/v1", "deployments", "default", "web").expect("deployment");
    assert_eq!(d.pointer("/spec/replicas").and_then(Value::as_i64), Some(3));
    let owners = |d: &Value, path: &str| -> Vec<String> {
        d.pointer("/metadata/managedFields")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter(|e| e.pointer(path).is_some())
            .map(|e| format!("{}/{}", e["manager"].as_str().unwrap_or(""), e["operation"].as_str().unwrap_or("")))
            .collect()
    };
    assert_eq!(owners(&d, "/fieldsV1/f:spec/f:replicas"), ["deployer/Apply"], "{d}");
    // kubectl's config still lists replicas: re-applying it now conflicts with the new owner.
    let err = env.fails("kubectl", &["apply", "--server-side", "-f", f.to_str().expect("utf-8")]).await;
    assert!(err.contains("Apply failed with 2 conflicts: conflicts with \"deployer\":"), "{err}");
    // An update (scale) takes fields without conflict, recorded with its subresource.
    env.ok("kubectl", &["scale", "deploy/web", "--replicas=4"]).await;
    let d = env.sim.get("apps/v1", "deployments", "default", "web").expect("deployment");
    assert_eq!(owners(&d, "/fieldsV1/f:spec/f:replicas"), ["kubectl/Update"], "{d}");
    let err = env.fails("kubectl", &["apply", "--server-side", "--field-manager=deployer", "-f", f_other]).await;
    assert!(err.contains("Apply failed with 1 conflict: conflict with \"kubectl\" with subresource \"scale\" using apps/v1: .spec.replicas"), "{err}");
    // A label set by `kubectl label` is owned by that update.
    env.ok("kubectl", &["label", "deploy/web", "team=a"]).await;
    let d = env.sim.get("apps/v1", "deployments", "default", "web").expect("deployment");
    assert_eq!(owners(&d, "/fieldsV1/f:metadata/f:labels/f:team"), ["kubectl-label/Update"], "{d}");

    // A replace with a stale resourceVersion is a 409 Conflict.
    env.ok("kubectl", &["create", "configmap", "cm", "--from-literal=a=1"]).await;
    let stale = env.ok("kubectl", &["get", "cm", "cm", "-o", "json"]).await;
    env.ok("kubectl", &["patch", "cm", "cm", "-p", r#"{"data":{"a":"2"}}"#]).await;
    let f = env.write("stale.json", &stale);
    let err = env.fails("kubectl", &["replace", "-f", f.to_str().expect("utf-8")]).await;
    assert!(err.contains("the object has been modified"), "{err}");
    let err = env.fails("kubectl", &["create", "configmap", "cm"]).await;
    assert!(err.contains(r#"configmaps "cm" already exists"#), "{err}");
    env.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_logs_top() {
    let env = start(20.0).await;
    env.sim.add_rule(Rule::logs_for_image("reg.local/web:*", &["listening on :8080", "ready"]));
    let mut watch = env
        .cmd("kubectl", &["get", "deploy", "-w", "--output-watch-events", "-o", "jsonpath={.type} {.object.metadata.name}{\"\\n\"}", "--request-timeout=20s"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("kubectl get -w");
    let stdout = watch.stdout.take().expect("piped");
    let reader = std::thread::spawn(move || {
        let mut lines = Vec::new();
        for l in BufReader::new(stdout).lines().map_while(Result::ok) {
            let done = l.contains("DELETED");
            lines.push(l);
            if done {
                break;
            }
        }
        lines
    });
    let f = env.write("deploy.yaml", DEPLOY);
    env.ok("kubectl", &["apply", "-f", f.to_str().expect("utf-8")]).await;
    env.ok("kubectl", &["rollout", "status", "deployment/web", "--timeout=30s"]).await;

    let logs = env.ok("kubectl", &["logs", "deploy/web", "-c", "web"]).await;
    assert_eq!(logs, "listening on :8080\nready\n");
    let tail = env.ok("kubectl", &["logs", "deploy/web", "-c", "web", "--tail=1"]).await;
    assert_eq!(tail, "ready\n");
    let err = env.fails("kubectl", &["logs", "deploy/web", "-c", "web", "--previous"]).await;
    assert!(err.contains("previous terminated container"), "{err}");

    let top = env.ok("kubectl", &["top", "pod", "-l", "app=web"]).await;
    assert!(top.contains("CPU(cores)") && top.lines().count() == 3, "{top}");

    env.ok("kubectl", &["delete", "deploy", "web"]).await;
    let lines = tokio::task::spawn_blocking(move || reader.join().expect("reader")).await.expect("join");
    let _ = watch.kill();
    let _ = watch.wait();
    assert!(lines.first().is_some_and(|l| l.starts_with("ADDED")), "{lines:?}");
    assert!(lines.iter().any(|l| l.starts_with("MODIFIED")), "{lines:?}");
    assert!(lines.last().is_some_and(|l| l.starts_with("DELETED")), "{lines:?}");
    env.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_loop_is_visible_to_kubectl() {
    let env = start(50.0).await;
    env.sim.add_rule(Rule::image("reg.local/web:*", Behavior::CrashLoop { exit_code: 2, run_for: Duration::from_secs(1) }).with_logs(&["boom"]));
    let f = env.write("deploy.yaml", DEPLOY);
    env.ok("kubectl", &["apply", "-f", f.to_str().expect("utf-8")]).await;
    let err = env.fails("kubectl", &["wait", "--for=condition=Available", "deployment/web", "--timeout=2s"]).await;
    assert!(err.contains("timed out"), "{err}");
    let pod = eventually(Duration::from_secs(20), "a restarted crash-looping pod", || {
        env.sim
            .list("v1", "pods", Some("default"))
            .into_iter()
            .find(|p| p.pointer("/status/containerStatuses/0/restartCount").and_then(Value::as_i64).unwrap_or(0) >= 2)
    })
    .await;
    let name = pod["metadata"]["name"].as_str().expect("name").to_string();
    let prev = env.ok("kubectl", &["logs", &name, "-c", "web", "--previous"]).await;
    assert_eq!(prev, "boom\n");
    let st = &pod["status"]["containerStatuses"][0];
    assert_eq!(st.pointer("/lastState/terminated/exitCode").and_then(Value::as_i64), Some(2), "{st}");
    env.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_over_websocket() {
    let env = start(20.0).await;
    env.ok("kubectl", &["run", "p1", "--image=reg.local/x:v1", "--env=FOO=bar"]).await;
    env.ok("kubectl", &["wait", "--for=condition=Ready", "pod/p1", "--timeout=20s"]).await;
    assert_eq!(env.ok("kubectl", &["exec", "p1", "--", "printenv", "FOO"]).await, "bar\n");
    let mut c = env.cmd("kubectl", &["exec", "-i", "p1", "--", "cat"]);
    c.stdin(Stdio::piped()).stdout(Stdio::piped());
    let out = tokio::task::spawn_blocking(move || {
        let mut child = c.spawn().expect("kubectl exec -i");
        use std::io::Write;
        child.stdin.take().expect("stdin").write_all(b"through stdin\n").expect("write");
        child.wait_with_output().expect("output")
    })
    .await
    .expect("join");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "through stdin\n");
    env.sim.set_exec_responder(|r| kube_sim::ExecResponse {
        stdout: format!("ran {:?} in {}/{}\n", r.command, r.pod, r.container).into_bytes(),
        stderr: b"warn\n".to_vec(),
        exit_code: 3,
    });
    let out = env.run("kubectl", &["exec", "p1", "--", "migrate", "--up"]).await;
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "ran [\"migrate\", \"--up\"] in p1/p1\n");
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("warn\n"));
    env.sim.shutdown().await;
}

/// A value of the wrong type fails decoding, whatever --validate says, with the Go decoder's
/// words (a quoted number from a template is the classic); as a patch it is a 422 on `patch`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn values_of_the_wrong_type_are_rejected() {
    let env = start(20.0).await;
    let bad = DEPLOY.replace("  replicas: 2\n", "  replicas: \"2\"\n");
    assert_ne!(bad, DEPLOY);
    let f = env.write("quoted.yaml", &bad);
    let f = f.to_str().expect("utf-8");
    for validate in ["--validate=strict", "--validate=false"] {
        let err = env.fails("kubectl", &["create", validate, "-f", f]).await;
        assert!(
            err.contains(r#"Error from server (BadRequest): error when creating "#)
                && err.contains(r#"Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32"#),
            "{err}"
        );
    }
    assert!(env.sim.get("apps/v1", "deployments", "default", "web").is_none());
    env.ok("kubectl", &["create", "-f", env.write("good.yaml", DEPLOY).to_str().expect("utf-8")]).await;
    let err = env.fails("kubectl", &["patch", "deployment", "web", "--type=merge", "-p", r#"{"spec":{"replicas":"3"}}"#]).await;
    assert!(
        err.contains("patch: Invalid value: ") && err.contains("json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32"),
        "{err}"
    );
    let d = env.sim.get("apps/v1", "deployments", "default", "web").expect("deployment");
    assert_eq!(d["spec"]["replicas"], 2, "unchanged");
    env.sim.shutdown().await;
}

/// Unknown fields: kubectl sends fieldValidation=Strict by default (it finds the parameter in
/// the OpenAPI documents), Warn with --validate=warn, Ignore with --validate=false; server-side
/// apply rejects them whatever the directive.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_fields_follow_field_validation() {
    let env = start(20.0).await;
    let bad = DEPLOY
        .replace("  replicas: 2\n", "  replicas: 2\n  foo: 1\n")
        .replace("        image: reg.local/side:v1\n", "        image: reg.local/side:v1\n        requests: {cpu: 1}\n");
    let f = env.write("bad.yaml", &bad);
    let f = f.to_str().expect("utf-8");
    let err = env.fails("kubectl", &["create", "-f", f]).await;
    assert!(
        err.contains(r#"Error from server (BadRequest): error when creating "#)
            && err.contains(r#"Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.foo", unknown field "spec.template.spec.containers[1].requests""#),
        "{err}"
    );
    let err = env.fails("kubectl", &["apply", "--server-side", "-f", f]).await;
    assert!(
        err.contains("Error from server: failed to create typed patch object (default/web; apps/v1, Kind=Deployment): errors:\n  .spec.foo: field not declared in schema\n  .spec.template.spec.containers[name=\"side\"].requests: field not declared in schema"),
        "{err}"
    );
    assert!(env.sim.get("apps/v1", "deployments", "default", "web").is_none());

    let out = env.run("kubectl", &["apply", "--validate=warn", "-f", f]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("Warning: unknown field \"spec.foo\"\nWarning: unknown field \"spec.template.spec.containers[1].requests\""), "{stderr}");
    let d = env.sim.get("apps/v1", "deployments", "default", "web").expect("created with the unknown fields dropped");
    assert!(d.pointer("/spec/foo").is_none() && d.pointer("/spec/template/spec/containers/1/requests").is_none(), "{d}");

    // On an existing object kubectl sends a strategic merge patch: Strict names the patch.
    let bad2 = bad.replace("reg.local/web:v1", "reg.local/web:v2");
    let f2 = env.write("bad2.yaml", &bad2);
    let err = env.fails("kubectl", &["apply", "-f", f2.to_str().expect("utf-8")]).await;
    assert!(err.contains("The request is invalid: patch: Invalid value: \"map[") && err.contains("strict decoding error: unknown field"), "{err}");
    let out = env.run("kubectl", &["apply", "--validate=false", "-f", f2.to_str().expect("utf-8")]).await;
    assert!(out.status.success() && !String::from_utf8_lossy(&out.stderr).contains("Warning"), "{out:?}");
    let d = env.sim.get("apps/v1", "deployments", "default", "web").expect("deployment");
    assert_eq!(containers(&d)[0]["image"], "reg.local/web:v2");

    // The OpenAPI documents list the same fields the server accepts.
    let ports = env.ok("kubectl", &["explain", "deployment.spec.template.spec.containers.ports"]).await;
    assert!(ports.contains("containerPort\t<integer>") && ports.contains("protocol\t<string>"), "{ports}");
    let err = env.fails("kubectl", &["explain", "deployment.spec.foo"]).await;
    assert!(err.contains(r#"field "foo" does not exist"#), "{err}");
    env.sim.shutdown().await;
}
