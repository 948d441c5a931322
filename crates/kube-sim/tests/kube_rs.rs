//! kube-rs (typed client, watcher, log stream) against the simulator, and the steering API.

mod common;

use std::time::Duration;

use common::{eventually, start};
use futures::{AsyncBufReadExt, StreamExt, TryStreamExt};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{ConfigMap, Pod};
use kube::api::{Api, AttachParams, DeleteParams, ListParams, LogParams, Patch, PatchParams, PostParams};
use kube::runtime::{WatchStreamExt, watcher};
use kube_sim::{Behavior, Rule};
use serde_json::{Value, json};

fn deployment(name: &str, image: &str) -> Deployment {
    serde_json::from_value(json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": name}},
                 "template": {"metadata": {"labels": {"app": name}},
                              "spec": {"containers": [{"name": "app", "image": image}]}}}
    }))
    .expect("valid deployment")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typed_crud_and_errors() {
    let env = start(20.0).await;
    let client = env.kube_client().await;
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    let cm: ConfigMap = serde_json::from_value(json!({"metadata": {"name": "c1", "labels": {"a": "1"}}, "data": {"k": "v"}})).expect("cm");
    let created = cms.create(&PostParams::default(), &cm).await.expect("create");
    let uid = created.metadata.uid.clone().expect("uid set");
    let rv1: u64 = created.metadata.resource_version.clone().expect("rv").parse().expect("numeric rv");
    assert!(created.metadata.creation_timestamp.is_some());

    let err = cms.create(&PostParams::default(), &cm).await.expect_err("duplicate");
    let kube::Error::Api(ae) = err else { panic!("not an API error: {err:?}") };
    assert_eq!((ae.code, ae.reason.as_str()), (409, "AlreadyExists"));

    let mut got = cms.get("c1").await.expect("get");
    got.data.get_or_insert_default().insert("k".into(), "v2".into());
    let replaced = cms.replace("c1", &PostParams::default(), &got).await.expect("replace");
    let rv2: u64 = replaced.metadata.resource_version.clone().expect("rv").parse().expect("numeric");
    assert!(rv2 > rv1, "resourceVersion is monotonic");
    assert_eq!(replaced.metadata.uid.as_deref(), Some(uid.as_str()));
    // The stale copy conflicts.
    let err = cms.replace("c1", &PostParams::default(), &got).await.expect_err("stale");
    let kube::Error::Api(ae) = err else { panic!("{err:?}") };
    assert_eq!((ae.code, ae.reason.as_str()), (409, "Conflict"));

    let p = cms.patch("c1", &PatchParams::default(), &Patch::Merge(json!({"metadata": {"labels": {"b": "2"}}}))).await.expect("merge patch");
    assert_eq!(p.metadata.labels.as_ref().and_then(|l| l.get("b")).map(String::as_str), Some("2"));
    let applied: ConfigMap =
        serde_json::from_value(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c2"}, "data": {"x": "1"}})).expect("cm");
    cms.patch("c2", &PatchParams::apply("lain-test"), &Patch::Apply(&applied)).await.expect("server-side apply creates");

    let listed = cms.list(&ListParams::default().labels("a=1,b in (2,3)")).await.expect("list");
    assert_eq!(listed.items.iter().map(|c| c.metadata.name.clone().unwrap_or_default()).collect::<Vec<_>>(), vec!["c1"]);
    let page = cms.list(&ListParams::default().limit(1)).await.expect("page 1");
    assert_eq!(page.items.len(), 1);
    let tok = page.metadata.continue_.clone().expect("continue token");
    let page2 = cms.list(&ListParams::default().limit(1).continue_token(&tok)).await.expect("page 2");
    assert_eq!(page2.items.len(), 1);
    assert_ne!(page.items[0].metadata.name, page2.items[0].metadata.name);
    let by_field = cms.list(&ListParams::default().fields("metadata.name=c2")).await.expect("field selector");
    assert_eq!(by_field.items.len(), 1);

    cms.delete("c1", &DeleteParams::default()).await.expect("delete");
    let err = cms.get("c1").await.expect_err("gone");
    let kube::Error::Api(ae) = err else { panic!("{err:?}") };
    assert_eq!((ae.code, ae.reason.as_str()), (404, "NotFound"));
    let missing_ns: Api<ConfigMap> = Api::namespaced(client, "nope");
    let err = missing_ns.create(&PostParams::default(), &cm).await.expect_err("no namespace");
    let kube::Error::Api(ae) = err else { panic!("{err:?}") };
    assert_eq!(ae.code, 404);
    env.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watcher_and_log_stream() {
    let env = start(20.0).await;
    let client = env.kube_client().await;
    let deploys: Api<Deployment> = Api::namespaced(client.clone(), "default");
    let pods: Api<Pod> = Api::namespaced(client.clone(), "default");
    for streaming in [false, true] {
        let cfg = if streaming { watcher::Config::default().streaming_lists() } else { watcher::Config::default() };
        let name = if streaming { "web-stream" } else { "web-list" };
        let cfg = cfg.labels(&format!("app={name}"));
        let stream = watcher(pods.clone(), cfg).applied_objects();
        deploys.create(&PostParams::default(), &deployment(name, "reg.local/web:v1")).await.expect("create deployment");
        let ready = tokio::time::timeout(
            Duration::from_secs(20),
            stream
                .try_filter(|p| {
                    let ready =
                        p.status.as_ref().and_then(|s| s.conditions.as_ref()).is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"));
                    futures::future::ready(ready)
                })
                .boxed()
                .try_next(),
        )
        .await
        .expect("a ready pod within 20s")
        .expect("watch ok")
        .expect("stream not ended");
        assert_eq!(ready.metadata.labels.as_ref().and_then(|l| l.get("app")).map(String::as_str), Some(name));
    }

    let pod = pods.list(&ListParams::default().labels("app=web-list")).await.expect("list").items.remove(0);
    let pname = pod.metadata.name.clone().expect("name");
    let mut lines = pods.log_stream(&pname, &LogParams { follow: true, ..LogParams::default() }).await.expect("log stream").lines();
    let first = lines.next().await.expect("a line").expect("io");
    assert!(first.contains("started"), "{first}");
    env.sim.push_log("default", &pname, "app", "hello from the test");
    let pushed = tokio::time::timeout(Duration::from_secs(5), lines.next()).await.expect("pushed line arrives").expect("line").expect("io");
    assert_eq!(pushed, "hello from the test");

    // exec through kube-rs' websocket client, with a responder.
    env.sim.set_exec_responder(|r| kube_sim::ExecResponse { stdout: format!("{}\n", r.command.join("+")).into_bytes(), ..Default::default() });
    let mut proc = pods.exec(&pname, vec!["a", "b"], &AttachParams::default().stderr(false)).await.expect("exec");
    let mut stdout = proc.stdout().expect("stdout");
    let status = proc.take_status().expect("status");
    let mut out = String::new();
    tokio::io::AsyncReadExt::read_to_string(&mut stdout, &mut out).await.expect("read stdout");
    assert_eq!(out, "a+b\n");
    let st = status.await.expect("status arrives");
    assert_eq!(st.status.as_deref(), Some("Success"));
    env.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn steering_rules() {
    let env = start(1.0).await;
    let registry = ["reg.local/ok:v1"];
    env.sim.add_rule(Rule::image_not_in_registry(move |img| !img.starts_with("reg.local/") || registry.contains(&img)));
    env.sim.add_rule(Rule::image("reg.local/oom:*", Behavior::OomKilled { run_for: Duration::from_secs(2) }));
    env.sim.add_rule(Rule::pod("pending-*", Behavior::Pending));
    env.sim.add_rule(Rule::image("reg.local/slow:*", Behavior::NeverReady));
    env.sim.add_rule(Rule::image("reg.local/job-fail:*", Behavior::Fail { exit_code: 3, run_for: Duration::from_secs(1) }));
    let client = env.kube_client().await;
    let deploys: Api<Deployment> = Api::namespaced(client.clone(), "default");
    for (name, image) in [("missing", "reg.local/missing:v9"), ("oom", "reg.local/oom:v1"), ("slow", "reg.local/slow:v1"), ("good", "reg.local/ok:v1")] {
        deploys.create(&PostParams::default(), &deployment(name, image)).await.expect("create");
    }
    let pending: Pod =
        serde_json::from_value(json!({"metadata": {"name": "pending-1"}, "spec": {"containers": [{"name": "a", "image": "reg.local/ok:v1"}]}})).expect("pod");
    Api::<Pod>::namespaced(client.clone(), "default").create(&PostParams::default(), &pending).await.expect("pod");
    let job: Job = serde_json::from_value(json!({"metadata": {"name": "migrate"}, "spec": {"backoffLimit": 1, "template": {"spec": {
        "restartPolicy": "Never", "containers": [{"name": "m", "image": "reg.local/job-fail:v1"}]}}}}))
    .expect("job");
    Api::<Job>::namespaced(client.clone(), "default").create(&PostParams::default(), &job).await.expect("job");

    // Step simulated time instead of sleeping.
    for _ in 0..12 {
        env.sim.advance(Duration::from_secs(15));
        env.sim.settle().await;
    }
    let pod_of = |app: &str| -> Value {
        env.sim
            .list("v1", "pods", Some("default"))
            .into_iter()
            .find(|p| p.pointer("/metadata/labels/app").and_then(Value::as_str) == Some(app))
            .expect("pod exists")
    };
    let missing = pod_of("missing");
    assert_eq!(missing.pointer("/status/containerStatuses/0/state/waiting/reason").and_then(Value::as_str), Some("ImagePullBackOff"), "{missing}");
    assert_eq!(missing.pointer("/status/phase").and_then(Value::as_str), Some("Pending"));
    let oom = pod_of("oom");
    assert_eq!(oom.pointer("/status/containerStatuses/0/lastState/terminated/reason").and_then(Value::as_str), Some("OOMKilled"), "{oom}");
    assert!(oom.pointer("/status/containerStatuses/0/restartCount").and_then(Value::as_i64).unwrap_or(0) >= 2, "{oom}");
    let slow = pod_of("slow");
    assert_eq!(slow.pointer("/status/phase").and_then(Value::as_str), Some("Running"));
    assert_eq!(slow.pointer("/status/containerStatuses/0/ready"), Some(&json!(false)));
    let good = pod_of("good");
    assert_eq!(good.pointer("/status/containerStatuses/0/ready"), Some(&json!(true)), "{good}");
    let p = env.sim.get("v1", "pods", "default", "pending-1").expect("pod");
    assert!(p.pointer("/spec/nodeName").is_none());
    let sched = p.pointer("/status/conditions/0").expect("condition");
    assert_eq!((sched["type"].as_str(), sched["reason"].as_str()), (Some("PodScheduled"), Some("Unschedulable")));
    let job = env.sim.get("batch/v1", "jobs", "default", "migrate").expect("job");
    let failed =
        job.pointer("/status/conditions").and_then(Value::as_array).and_then(|c| c.iter().find(|c| c["type"] == "Failed").cloned()).expect("Failed condition");
    assert_eq!(failed["reason"], "BackoffLimitExceeded");
    assert_eq!(job.pointer("/status/failed").and_then(Value::as_i64), Some(2));

    // Progress deadline: the never-ready deployment times out after progressDeadlineSeconds.
    env.sim.advance(Duration::from_secs(700));
    env.sim.settle().await;
    let d = env.sim.get("apps/v1", "deployments", "default", "slow").expect("deployment");
    let prog =
        d.pointer("/status/conditions").and_then(Value::as_array).and_then(|c| c.iter().find(|c| c["type"] == "Progressing").cloned()).expect("Progressing");
    assert_eq!(prog["reason"], "ProgressDeadlineExceeded", "{d}");
    let d = env.sim.get("apps/v1", "deployments", "default", "good").expect("deployment");
    let prog =
        d.pointer("/status/conditions").and_then(Value::as_array).and_then(|c| c.iter().find(|c| c["type"] == "Progressing").cloned()).expect("Progressing");
    assert_eq!(prog["reason"], "NewReplicaSetAvailable", "{d}");

    // Fixing the registry lets the pod start without a new rollout.
    env.sim.clear_rules();
    env.sim.advance(Duration::from_secs(5));
    env.sim.settle().await;
    eventually(Duration::from_secs(5), "the image pull to recover", || {
        let p = pod_of("missing");
        (p.pointer("/status/phase").and_then(Value::as_str) == Some("Running")).then_some(())
    })
    .await;
    env.sim.shutdown().await;
}
