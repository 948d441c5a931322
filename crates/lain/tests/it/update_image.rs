use serde_json::Value;

use crate::both_helms;
use crate::support::{VALUES, setup};

async fn only_the_named_proc(helm: &str) {
    let t = setup(helm, VALUES, 20.0).await;
    let first = t.tag();
    t.lain(&["deploy"]).await.ok();
    // A values change in the working tree must not go out with update-image.
    t.write_values(&VALUES.replace("replicaCount: 2", "replicaCount: 5"));
    let second = t.commit("worker fix");
    let out = t.lain(&["update-image", "worker"]).await;
    out.ok();
    assert!(t.image_of("worker").ends_with(&second), "{}", t.image_of("worker"));
    assert!(t.image_of("web").ends_with(&first), "web must keep its image: {}", t.image_of("web"));
    assert_eq!(t.deployment("web").pointer("/spec/replicas").and_then(Value::as_i64), Some(2), "values must not change");
    let v: Value = serde_json::from_str(&t.helm(&["get", "values", "dummy", "-o", "json"]).await).unwrap();
    assert_eq!(v["deployments"]["worker"]["imageTag"], second.as_str());
    assert_eq!(v["user"], "alice");
    assert_eq!(t.history().await.len(), 2);
    t.shutdown().await;
}
both_helms!(only_the_named_proc_, only_the_named_proc);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_proc_names_the_known_ones() {
    let t = setup("helm3", VALUES, 20.0).await;
    let out = t.lain(&["update-image", "wrker"]).await;
    out.code(2);
    assert!(out.stderr.contains("unknown proc \"wrker\""), "{}", out.stderr);
    assert!(out.stderr.contains("web, worker"), "{}", out.stderr);
    t.shutdown().await;
}
