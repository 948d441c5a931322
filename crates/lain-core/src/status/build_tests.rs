//! Unit tests of the model builder (hand-made objects; the live states are tested against
//! kube-sim in crates/lain-tui/tests/states.rs).

use super::*;

fn j<T: serde::de::DeserializeOwned>(v: serde_json::Value) -> T {
    serde_json::from_value(v).expect("object")
}

#[test]
fn tags() {
    assert_eq!(image_tag("127.0.0.1:5000/dummy:v1"), "v1");
    assert_eq!(image_tag("registry.example.com/team/dummy"), "latest");
    assert_eq!(image_tag("r:5000/a@sha256:0123456789abcdef0123"), "sha256:0123456789ab");
}

#[test]
fn ingress_urls_use_https_for_tls_hosts() {
    let ing: Ingress = j(serde_json::json!({
        "metadata": {"name": "dummy-web-x"},
        "spec": {
            "tls": [{"hosts": ["secure.example.com"]}],
            "rules": [
                {"host": "secure.example.com", "http": {"paths": [{"path": "/api", "pathType": "Prefix", "backend": {"service": {"name": "dummy-web", "port": {"number": 80}}}}]}},
                {"host": "plain.example.com", "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "dummy-web", "port": {"number": 80}}}}]}}
            ]
        }
    }));
    let urls: Vec<String> = ingress_urls(&[ing]).into_iter().map(|u| u.0).collect();
    assert_eq!(urls, vec!["http://plain.example.com/".to_string(), "https://secure.example.com/api".to_string()]);
}

fn unready_pod(started: &str) -> Pod {
    j(serde_json::json!({
        "metadata": {"name": "dummy-web-1", "labels": {"lain.io/proc": "web", "lain.io/kind": "deployment"}},
        "spec": {"containers": [{"name": "web", "image": "r/dummy:v1"}]},
        "status": {"phase": "Running", "containerStatuses": [{
            "name": "web", "ready": false, "restartCount": 0, "image": "r/dummy:v1", "imageID": "",
            "state": {"running": {"startedAt": started}}
        }]}
    }))
}

#[test]
fn a_readiness_probe_failing_is_abnormal_only_after_the_grace_period() {
    let now: jiff::Timestamp = "2024-05-02T12:00:00Z".parse().expect("ts");
    assert!(abnormal(&[unready_pod("2024-05-02T11:59:50Z")], now).is_empty());
    let a = abnormal(&[unready_pod("2024-05-02T11:58:00Z")], now);
    assert_eq!(a.len(), 1);
    assert!(!a[0].fatal);
    assert_eq!(a[0].problem.reason.to_string(), "Unready");
}

#[test]
fn endpoints_fail_an_otherwise_green_verdict() {
    let now: jiff::Timestamp = "2024-05-02T12:00:00Z".parse().expect("ts");
    let ep = |probe| EndpointRow { url: "http://a.example.com/".into(), ingress: "i".into(), service: None, external: false, probe };
    let v = verdict_line(&[], &[], &[], None, &[ep(Probe::Answered { code: 503, latency_ms: 3, ok: false, at: now })]);
    assert_eq!(v.level, Level::Failed);
    assert_eq!(v.summary, "endpoint failing: http://a.example.com/ answers 503");
    let v = verdict_line(&[], &[], &[], None, &[ep(Probe::Error { error: "connection refused".into(), latency_ms: 1, at: now })]);
    assert_eq!(v.details, vec!["http://a.example.com/ does not answer: connection refused".to_string()]);
}
