#![allow(clippy::unwrap_used)]

use super::*;
use serde_json::{Value, json};

fn pod(name: &str, proc_: &str, kind: &str, image: &str, status: Value) -> Pod {
    serde_json::from_value(json!({
        "metadata": {
            "name": name,
            "creationTimestamp": "2024-01-01T00:00:00Z",
            "labels": {"app.kubernetes.io/instance": "dummy", "lain.io/proc": proc_, "lain.io/kind": kind}
        },
        "spec": {"containers": [{"name": proc_, "image": image}], "restartPolicy": if kind == "job" { "Never" } else { "Always" }},
        "status": status
    }))
    .unwrap()
}

fn running_ready(name: &str) -> Value {
    json!({
        "phase": "Running",
        "conditions": [{"type": "Ready", "status": "True"}, {"type": "PodScheduled", "status": "True"}],
        "containerStatuses": [{"name": name, "image": "x", "imageID": "", "ready": true, "restartCount": 0,
            "state": {"running": {"startedAt": "2024-01-01T00:00:01Z"}}}]
    })
}

fn deployment(proc_: &str, image: &str, replicas: i32, updated: i32, ready: i32, total: i32) -> Deployment {
    serde_json::from_value(json!({
        "metadata": {"name": format!("dummy-{proc_}"), "generation": 2},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"lain.io/proc": proc_}},
            "template": {"metadata": {"labels": {"lain.io/proc": proc_}}, "spec": {"containers": [{"name": proc_, "image": image}]}}
        },
        "status": {"observedGeneration": 2, "replicas": total, "updatedReplicas": updated, "readyReplicas": ready, "availableReplicas": ready}
    }))
    .unwrap()
}

#[test]
fn tags() {
    assert_eq!(image_tag("127.0.0.1:5000/dummy:1-abc"), Some("1-abc"));
    assert_eq!(image_tag("127.0.0.1:5000/dummy"), None);
    assert_eq!(image_tag("reg/dummy:v1@sha256:ff"), Some("v1"));
}

#[test]
fn green_when_all_ready_on_tag() {
    let pods = vec![pod("dummy-web-1", "web", "deployment", "r/dummy:v2", running_ready("web"))];
    let deps = vec![deployment("web", "r/dummy:v2", 1, 1, 1, 1)];
    assert_eq!(verdict(&pods, &deps, &[], Some("v2")), Verdict::Green);
}

#[test]
fn old_pods_and_incomplete_rollout_are_progressing() {
    let pods = vec![
        pod("dummy-web-old", "web", "deployment", "r/dummy:v1", running_ready("web")),
        pod("dummy-web-new", "web", "deployment", "r/dummy:v2", json!({"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "True"}]})),
    ];
    let deps = vec![deployment("web", "r/dummy:v2", 1, 1, 0, 2)];
    match verdict(&pods, &deps, &[], Some("v2")) {
        Verdict::Progressing { waiting_for } => {
            assert!(waiting_for.iter().any(|w| w.contains("old pod")), "{waiting_for:?}");
            assert!(waiting_for.iter().any(|w| w.contains("dummy-web-new")), "{waiting_for:?}");
            assert!(!waiting_for.iter().any(|w| w.contains("dummy-web-old")), "{waiting_for:?}");
        }
        v => panic!("{v:?}"),
    }
}

#[test]
fn crash_loop_is_fatal_and_named() {
    let status = json!({
        "phase": "Running",
        "conditions": [{"type": "Ready", "status": "False"}],
        "containerStatuses": [{"name": "web", "image": "x", "imageID": "", "ready": false, "restartCount": 3,
            "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 40s"}},
            "lastState": {"terminated": {"exitCode": 2, "reason": "Error", "finishedAt": "2024-01-01T00:01:00Z"}}}]
    });
    let p = pod("dummy-web-1", "web", "deployment", "r/dummy:v2", status);
    let probs = pod_problems(&p);
    assert_eq!(probs.len(), 1);
    assert_eq!(probs[0].reason, ProblemReason::CrashLoopBackOff);
    assert_eq!(probs[0].container.as_deref(), Some("web"));
    assert_eq!(probs[0].restarts, 3);
    assert!(probs[0].message.contains("code 2"), "{}", probs[0].message);
    assert!(is_fatal(&p, &probs[0]));
    let deps = vec![deployment("web", "r/dummy:v2", 1, 1, 0, 1)];
    match verdict(&[p], &deps, &[], Some("v2")) {
        Verdict::Failed(ps) => assert_eq!(ps[0].pod, "dummy-web-1"),
        v => panic!("{v:?}"),
    }
}

#[test]
fn oom_in_crash_loop_is_reported_as_oom() {
    let status = json!({
        "phase": "Running",
        "containerStatuses": [{"name": "web", "image": "x", "imageID": "", "ready": false, "restartCount": 1,
            "state": {"waiting": {"reason": "CrashLoopBackOff"}},
            "lastState": {"terminated": {"exitCode": 137, "reason": "OOMKilled"}}}]
    });
    let probs = pod_problems(&pod("p", "web", "deployment", "r/d:v", status));
    assert_eq!(probs[0].reason, ProblemReason::OOMKilled);
}

#[test]
fn image_pull() {
    let mk = |reason: &str| {
        pod(
            "p",
            "web",
            "deployment",
            "r/d:v",
            json!({
                "phase": "Pending",
                "containerStatuses": [{"name": "web", "image": "r/d:v", "imageID": "", "ready": false, "restartCount": 0,
                    "state": {"waiting": {"reason": reason, "message": "manifest unknown"}}}]
            }),
        )
    };
    let deps = vec![deployment("web", "r/d:v", 1, 1, 0, 1)];
    assert!(matches!(verdict(&[mk("ErrImagePull")], &deps, &[], Some("v")), Verdict::Progressing { .. }));
    match verdict(&[mk("ImagePullBackOff")], &deps, &[], Some("v")) {
        Verdict::Failed(ps) => {
            assert_eq!(ps[0].reason, ProblemReason::ImagePullBackOff);
            assert_eq!(ps[0].message, "manifest unknown");
        }
        v => panic!("{v:?}"),
    }
}

#[test]
fn unscheduled_is_pending_not_fatal() {
    let p = pod(
        "p",
        "web",
        "deployment",
        "r/d:v",
        json!({
            "phase": "Pending",
            "conditions": [{"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": "0/3 nodes are available: insufficient memory"}]
        }),
    );
    let probs = pod_problems(&p);
    assert_eq!(probs[0].reason, ProblemReason::Pending);
    assert!(probs[0].message.contains("insufficient memory"));
    assert!(!is_fatal(&p, &probs[0]));
    let deps = vec![deployment("web", "r/d:v", 1, 1, 0, 1)];
    match verdict(&[p], &deps, &[], Some("v")) {
        Verdict::Progressing { waiting_for } => assert!(waiting_for.iter().any(|w| w.contains("insufficient memory")), "{waiting_for:?}"),
        v => panic!("{v:?}"),
    }
}

#[test]
fn unready_running_container() {
    let p = pod(
        "p",
        "web",
        "deployment",
        "r/d:v",
        json!({
            "phase": "Running",
            "conditions": [{"type": "Ready", "status": "False"}],
            "containerStatuses": [{"name": "web", "image": "x", "imageID": "", "ready": false, "restartCount": 0, "started": true,
                "state": {"running": {"startedAt": "2024-01-01T00:00:01Z"}}}]
        }),
    );
    let probs = pod_problems(&p);
    assert_eq!(probs[0].reason, ProblemReason::Unready);
    assert!(probs[0].since.is_some());
}

#[test]
fn jobs_judged_by_newest_pod() {
    let failed = json!({"phase": "Failed", "containerStatuses": [{"name": "migrate", "image": "x", "imageID": "", "ready": false, "restartCount": 0,
        "state": {"terminated": {"exitCode": 1, "reason": "Error"}}}]});
    let mut old = pod("dummy-migrate-a", "migrate", "job", "r/d:v", failed.clone());
    old.metadata.labels.as_mut().unwrap().insert("job-name".into(), "dummy-migrate".into());
    let mut retry = pod("dummy-migrate-b", "migrate", "job", "r/d:v", json!({"phase": "Succeeded"}));
    retry.metadata.labels.as_mut().unwrap().insert("job-name".into(), "dummy-migrate".into());
    retry.metadata.creation_timestamp = Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::Time("2024-01-01T00:05:00Z".parse().unwrap()));
    assert_eq!(verdict(&[old.clone(), retry], &[], &[], Some("v")), Verdict::Green);
    match verdict(&[old.clone()], &[], &[], Some("v")) {
        Verdict::Failed(ps) => {
            assert_eq!(ps[0].reason, ProblemReason::JobFailed);
            assert!(ps[0].message.contains("code 1"), "{}", ps[0].message);
        }
        v => panic!("{v:?}"),
    }
    // A failed job pod from an earlier deploy (other tag) does not block this one.
    assert_eq!(verdict(&[old], &[], &[], Some("v2")), Verdict::Green);
}

#[test]
fn pinned_proc_is_not_held_to_the_tag() {
    let pods = vec![pod("dummy-worker-1", "worker", "deployment", "r/dummy:pinned", running_ready("worker"))];
    let deps = vec![deployment("worker", "r/dummy:pinned", 1, 1, 1, 1)];
    assert_eq!(verdict(&pods, &deps, &[], Some("v2")), Verdict::Green);
}

#[test]
fn evicted_and_terminating_pods_are_ignored() {
    let mut gone = pod("dummy-web-x", "web", "deployment", "r/d:v", json!({"phase": "Failed", "reason": "Evicted", "message": "low memory"}));
    assert_eq!(pod_problems(&gone)[0].reason, ProblemReason::Evicted);
    let ok = pod("dummy-web-1", "web", "deployment", "r/d:v", running_ready("web"));
    let deps = vec![deployment("web", "r/d:v", 1, 1, 1, 1)];
    assert_eq!(verdict(&[gone.clone(), ok.clone()], &deps, &[], Some("v")), Verdict::Green);
    gone.metadata.deletion_timestamp = Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::Time("2024-01-01T00:05:00Z".parse().unwrap()));
    assert_eq!(verdict(&[gone, ok], &deps, &[], Some("v")), Verdict::Green);
}

#[test]
fn controller_lag_is_progressing() {
    let mut d = deployment("web", "r/d:v", 1, 1, 1, 1);
    d.metadata.generation = Some(3);
    assert!(matches!(verdict(&[], &[d], &[], None), Verdict::Progressing { .. }));
}

#[test]
fn stale_workload_status_does_not_make_green() {
    // The controller still says 2 ready, but one pod was just deleted and not yet replaced.
    let mut gone = pod("dummy-web-2", "web", "deployment", "r/d:v", running_ready("web"));
    gone.metadata.deletion_timestamp = Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::Time("2024-01-01T00:05:00Z".parse().unwrap()));
    let ok = pod("dummy-web-1", "web", "deployment", "r/d:v", running_ready("web"));
    let deps = vec![deployment("web", "r/d:v", 2, 2, 2, 2)];
    match verdict(&[ok.clone(), gone], &deps, &[], None) {
        Verdict::Progressing { waiting_for } => assert!(waiting_for.iter().any(|w| w.contains("1 of 2")), "{waiting_for:?}"),
        v => panic!("{v:?}"),
    }
    let ok2 = pod("dummy-web-3", "web", "deployment", "r/d:v", running_ready("web"));
    assert_eq!(verdict(&[ok, ok2], &deps, &[], None), Verdict::Green);
}
