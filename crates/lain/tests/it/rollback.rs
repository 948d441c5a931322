use serde_json::Value;

use crate::both_helms;
use crate::support::{VALUES, setup};

async fn restores_replicas_and_image(helm: &str) {
    let t = setup(helm, VALUES, 20.0).await;
    t.lain(&["deploy", "--set", "imageTag=v1"]).await.ok();
    t.write_values(&VALUES.replace("replicaCount: 2", "replicaCount: 1"));
    t.commit("one replica");
    t.lain(&["deploy", "--set", "imageTag=v2"]).await.ok();
    assert_eq!(t.deployment("web").pointer("/spec/replicas").and_then(Value::as_i64), Some(1));
    assert!(t.image_of("web").ends_with(":v2"));

    let out = t.lain(&["rollback"]).await;
    out.ok();
    let e = &out.stderr;
    assert!(e.contains("back to revision 1 (image tag v1)"), "{e}");
    assert!(e.contains("not rolled back"), "warns about env/secret: {e}");
    assert!(e.contains("is green"), "{e}");
    assert_eq!(t.deployment("web").pointer("/spec/replicas").and_then(Value::as_i64), Some(2));
    assert!(t.image_of("web").ends_with(":v1"), "{}", t.image_of("web"));
    let h = t.history().await;
    assert_eq!(h.last().map(|r| (r.0, r.1.as_str())), Some((3, "deployed")), "{h:?}");

    // One step only.
    let out = t.lain(&["rollback"]).await;
    out.code(2);
    assert!(out.stderr.contains("one step only"), "{}", out.stderr);
    t.shutdown().await;
}
both_helms!(restores_replicas_and_image_, restores_replicas_and_image);
