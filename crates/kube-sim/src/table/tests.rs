use serde_json::json;

use super::format::{human_duration, label_selector, selector};
use super::printers::cells;

fn ts(s: &str) -> jiff::Timestamp {
    s.parse().expect("timestamp")
}

#[test]
fn human_durations_match_kubectl() {
    for (secs, want) in [
        (-5.0, "<invalid>"),
        (-0.5, "0s"),
        (0.0, "0s"),
        (119.0, "119s"),
        (120.0, "2m"),
        (192.0, "3m12s"),
        (900.0, "15m"),
        (3.0 * 3600.0, "3h"),
        (5.0 * 3600.0 + 180.0, "5h3m"),
        (30.0 * 3600.0, "30h"),
        (3.0 * 86400.0 + 4.0 * 3600.0, "3d4h"),
        (40.0 * 86400.0, "40d"),
        (3.0 * 365.0 * 86400.0, "3y"),
    ] {
        assert_eq!(human_duration(secs), want, "{secs}");
    }
}

#[test]
fn selectors_print_like_labels_selector_string() {
    let sel = json!({"matchLabels": {"tier": "web", "app": "x"}, "matchExpressions": [
        {"key": "env", "operator": "In", "values": ["prod", "dev"]}, {"key": "gone", "operator": "DoesNotExist"}]});
    assert_eq!(selector(Some(&sel)), "app=x,env in (dev,prod),!gone,tier=web");
    assert_eq!(label_selector(Some(&json!({}))), "<none>");
}

#[test]
fn crash_looping_pod_row() {
    let now = ts("2025-01-01T00:10:00Z");
    let pod = json!({
        "metadata": {"name": "web-1", "creationTimestamp": "2025-01-01T00:00:00Z"},
        "spec": {"nodeName": "n1", "containers": [{"name": "a"}, {"name": "b"}]},
        "status": {"phase": "Running", "podIPs": [{"ip": "10.0.0.7"}], "containerStatuses": [
            {"name": "a", "ready": true, "restartCount": 0, "state": {"running": {"startedAt": "2025-01-01T00:00:05Z"}}},
            {"name": "b", "ready": false, "restartCount": 4, "state": {"waiting": {"reason": "CrashLoopBackOff"}},
             "lastState": {"terminated": {"exitCode": 1, "finishedAt": "2025-01-01T00:09:30Z"}}}]}
    });
    let c = cells("Pod", &pod, now).expect("pod printer");
    assert_eq!(
        c,
        vec![
            json!("web-1"),
            json!("1/2"),
            json!("CrashLoopBackOff"),
            json!("4 (30s ago)"),
            json!("10m"),
            json!("10.0.0.7"),
            json!("n1"),
            json!("<none>"),
            json!("<none>")
        ]
    );
}

#[test]
fn pod_status_column_cases() {
    let now = ts("2025-01-01T00:00:10Z");
    let status = |pod: serde_json::Value| cells("Pod", &pod, now).expect("pod printer")[2].clone();
    let base = |st: serde_json::Value| {
        json!({"metadata": {"name": "p", "creationTimestamp": "2025-01-01T00:00:00Z"},
                                                "spec": {"containers": [{"name": "a"}], "initContainers": [{"name": "i"}]}, "status": st})
    };
    assert_eq!(status(base(json!({"phase": "Pending", "initContainerStatuses": [{"name": "i", "state": {"running": {}}}]}))), json!("Init:0/1"));
    assert_eq!(
        status(base(json!({"phase": "Pending", "initContainerStatuses": [{"name": "i", "state": {"terminated": {"exitCode": 2}}}]}))),
        json!("Init:ExitCode:2")
    );
    assert_eq!(
        status(base(json!({"phase": "Succeeded", "initContainerStatuses": [{"name": "i", "state": {"terminated": {"exitCode": 0}}}],
                           "containerStatuses": [{"name": "a", "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}]}))),
        json!("Completed")
    );
    let mut deleting = base(json!({"phase": "Running", "containerStatuses": [{"name": "a", "ready": true, "state": {"running": {}}}]}));
    deleting["metadata"]["deletionTimestamp"] = json!("2025-01-01T00:00:09Z");
    assert_eq!(status(deleting), json!("Terminating"));
    assert_eq!(
        status(base(json!({"phase": "Running", "containerStatuses": [{"name": "a", "state": {"terminated": {"exitCode": 137, "reason": "OOMKilled"}}}]}))),
        json!("OOMKilled")
    );
}

#[test]
fn job_and_service_rows() {
    let now = ts("2025-01-01T00:05:00Z");
    let job = json!({"metadata": {"name": "j", "creationTimestamp": "2025-01-01T00:00:00Z"},
        "spec": {"completions": 1, "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": "u"}}, "template": {"spec": {"containers": [{"name": "m", "image": "i:1"}]}}},
        "status": {"succeeded": 1, "startTime": "2025-01-01T00:00:01Z", "completionTime": "2025-01-01T00:00:04Z",
                   "conditions": [{"type": "Complete", "status": "True"}]}});
    let c = cells("Job", &job, now).expect("job printer");
    assert_eq!(&c[..5], &[json!("j"), json!("Complete"), json!("1/1"), json!("3s"), json!("5m")]);
    let svc = json!({"metadata": {"name": "s", "creationTimestamp": "2025-01-01T00:04:00Z"},
        "spec": {"type": "NodePort", "clusterIPs": ["10.96.0.9"], "selector": {"app": "x"},
                 "ports": [{"port": 80, "nodePort": 30080, "protocol": "TCP"}, {"port": 53, "protocol": "UDP"}]}});
    let c = cells("Service", &svc, now).expect("service printer");
    assert_eq!(c, vec![json!("s"), json!("NodePort"), json!("10.96.0.9"), json!("<none>"), json!("80:30080/TCP,53/UDP"), json!("60s"), json!("app=x")]);
}
