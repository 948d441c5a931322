//! Simulated controllers driven by stepped simulated time (no real sleeps).

mod common;

use std::time::Duration;

use common::start;
use serde_json::{Value, json};

async fn step(env: &common::Env, secs: u64, times: usize) {
    for _ in 0..times {
        env.sim.advance(Duration::from_secs(secs));
        env.sim.settle().await;
    }
}

fn names(v: &[Value]) -> Vec<String> {
    let mut n: Vec<String> = v.iter().map(|o| o["metadata"]["name"].as_str().unwrap_or("").to_string()).collect();
    n.sort();
    n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statefulset_ordered_pods_pvcs_and_rolling_update() {
    let env = start(1.0).await;
    env.sim
        .create(json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db", "namespace": "default"},
            "spec": {"replicas": 3, "serviceName": "db", "selector": {"matchLabels": {"app": "db"}},
                     "template": {"metadata": {"labels": {"app": "db"}}, "spec": {"containers": [{"name": "db", "image": "reg.local/db:v1"}]}},
                     "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}]}}))
        .expect("create sts");
    env.sim.settle().await;
    // OrderedReady: only db-0 exists until it is ready.
    assert_eq!(names(&env.sim.list("v1", "pods", Some("default"))), vec!["db-0"]);
    step(&env, 2, 10).await;
    assert_eq!(names(&env.sim.list("v1", "pods", Some("default"))), vec!["db-0", "db-1", "db-2"]);
    assert_eq!(names(&env.sim.list("v1", "persistentvolumeclaims", Some("default"))), vec!["data-db-0", "data-db-1", "data-db-2"]);
    let sts = env.sim.get("apps/v1", "statefulsets", "default", "db").expect("sts");
    assert_eq!(sts.pointer("/status/readyReplicas").and_then(Value::as_i64), Some(3), "{sts}");
    let rev1 = sts.pointer("/status/currentRevision").cloned().expect("revision");

    let mut s = sts.clone();
    s["spec"]["template"]["spec"]["containers"][0]["image"] = json!("reg.local/db:v2");
    env.sim
        .shared()
        .store()
        .update(kube_sim::resources::find("apps", "v1", "statefulsets").expect("res"), "default", "db", s, None, env.sim.clock().now(), None, false)
        .expect("update");
    step(&env, 2, 20).await;
    let sts = env.sim.get("apps/v1", "statefulsets", "default", "db").expect("sts");
    assert_eq!(sts.pointer("/status/updatedReplicas").and_then(Value::as_i64), Some(3), "{sts}");
    assert_ne!(sts.pointer("/status/currentRevision"), Some(&rev1));
    assert_eq!(sts.pointer("/status/currentRevision"), sts.pointer("/status/updateRevision"));
    for p in env.sim.list("v1", "pods", Some("default")) {
        assert_eq!(p.pointer("/spec/containers/0/image").and_then(Value::as_str), Some("reg.local/db:v2"));
    }
    env.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cronjob_creates_jobs_and_keeps_history() {
    let env = start(1.0).await;
    // Start 75 s past a 5-minute boundary: the 4th run then completes in the very last step.
    // That phase used to fail one time in ten (3 complete jobs seen): the Job completed in the
    // last controller pass and the CronJob trimmed its history only in the pass after, which
    // `settle` did not wait for. `settle` now waits until a pass changes nothing.
    let phase = env.sim.clock().now().as_second().rem_euclid(300);
    env.sim.advance(Duration::from_secs((75 - phase).rem_euclid(300) as u64));
    env.sim
        .create(json!({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "tick", "namespace": "default"},
            "spec": {"schedule": "*/5 * * * *", "successfulJobsHistoryLimit": 2,
                     "jobTemplate": {"spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "t", "image": "reg.local/t:v1"}]}}}}}}))
        .expect("create cronjob");
    // 20 simulated minutes, in 30 s steps: 4 runs, 2 kept.
    step(&env, 30, 40).await;
    let jobs = env.sim.list("batch/v1", "jobs", Some("default"));
    let complete = |j: &Value| j.pointer("/status/conditions").and_then(Value::as_array).is_some_and(|c| c.iter().any(|c| c["type"] == "Complete"));
    // The last run may still be in progress, depending on where the minute boundaries fell.
    assert_eq!(jobs.iter().filter(|j| complete(j)).count(), 2, "history limit: {:?}", names(&jobs));
    assert!(jobs.len() <= 3, "{:?}", jobs.iter().map(|j| (j["metadata"]["name"].clone(), j["status"].clone())).collect::<Vec<_>>());
    for j in &jobs {
        assert!(j["metadata"]["name"].as_str().unwrap_or("").starts_with("tick-"), "{j}");
    }
    let cj = env.sim.get("batch/v1", "cronjobs", "default", "tick").expect("cronjob");
    assert!(cj.pointer("/status/lastScheduleTime").is_some() && cj.pointer("/status/lastSuccessfulTime").is_some(), "{cj}");
    env.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cascading_delete_and_job_ttl() {
    let env = start(1.0).await;
    env.sim
        .create(json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "once", "namespace": "default"},
            "spec": {"ttlSecondsAfterFinished": 30, "template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "t", "image": "reg.local/t:v1"}]}}}}))
        .expect("job");
    step(&env, 2, 5).await;
    let job = env.sim.get("batch/v1", "jobs", "default", "once").expect("job");
    assert_eq!(job.pointer("/status/succeeded").and_then(Value::as_i64), Some(1), "{job}");
    step(&env, 10, 4).await;
    assert!(env.sim.get("batch/v1", "jobs", "default", "once").is_none(), "ttl deletes the finished job");
    step(&env, 1, 3).await;
    assert!(env.sim.list("v1", "pods", Some("default")).is_empty(), "and its pods");

    // A namespace deletion removes what is inside.
    env.sim.create(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "tmp"}})).expect("ns");
    env.sim.create(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "tmp"}})).expect("cm");
    let now = env.sim.clock().now();
    env.sim
        .shared()
        .store()
        .delete(kube_sim::resources::find("", "v1", "namespaces").expect("res"), "", "tmp", None, None, None, now, false)
        .expect("delete ns");
    env.sim.settle().await;
    assert!(env.sim.get("v1", "namespaces", "", "tmp").is_none());
    assert!(env.sim.get("v1", "configmaps", "tmp", "c").is_none());
    env.sim.shutdown().await;
}
