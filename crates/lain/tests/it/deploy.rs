use std::time::Duration;

use kube_sim::{Behavior, Rule};
use serde_json::Value;

use crate::both_helms;
use crate::support::{VALUES, setup};

async fn goes_green(helm: &str) {
    let t = setup(helm, VALUES, 10.0).await;
    let tag = t.tag();
    let out = t.lain(&["deploy"]).await;
    out.ok();
    assert!(out.stderr.contains("upgrade --install dummy ./chart --namespace default"), "the helm command is printed: {}", out.stderr);
    assert!(out.stderr.contains("is green"), "{}", out.stderr);
    assert_eq!(t.image_of("web"), format!("127.0.0.1:5000/dummy:{tag}"));
    let d = t.deployment("web");
    assert_eq!(d.pointer("/status/readyReplicas").and_then(Value::as_i64), Some(2), "green before web was ready: {d}");
    let h = t.history().await;
    assert_eq!(h.len(), 1);
    assert_eq!(h[0].1, "deployed");
    let values = t.helm(&["get", "values", "dummy", "-o", "json"]).await;
    let v: Value = serde_json::from_str(&values).unwrap();
    assert_eq!(v["user"], "alice");
    assert_eq!(v["imageTag"], tag.as_str());
    t.shutdown().await;
}
both_helms!(goes_green_, goes_green);

async fn crash_loop_is_reported(helm: &str) {
    let t = setup(helm, VALUES, 20.0).await;
    t.sim.add_rule(
        Rule::image("*/dummy:*", Behavior::CrashLoop { exit_code: 3, run_for: Duration::from_secs(1) })
            .in_container("web")
            .with_logs(&["starting web", "Traceback: KeyError: 'DATABASE_URL'"]),
    );
    let out = t.lain(&["deploy", "--timeout", "60s"]).await;
    out.code(4);
    let e = &out.stderr;
    assert!(e.contains("CrashLoopBackOff"), "{e}");
    assert!(e.contains("pod dummy-web-"), "names the pod: {e}");
    assert!(e.contains("container web"), "{e}");
    assert!(e.contains("KeyError: 'DATABASE_URL'"), "shows the log: {e}");
    assert!(e.contains("try:"), "says what to try: {e}");
    t.shutdown().await;
}
both_helms!(crash_loop_is_reported_, crash_loop_is_reported);
