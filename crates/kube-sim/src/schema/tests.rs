use serde_json::json;

use super::*;

#[test]
fn every_served_kind_has_a_shape() {
    for r in crate::resources::RESOURCES.iter().filter(|r| !r.virtual_) {
        let Some(Node::Struct(fields)) = shape(r.kind) else { panic!("no shape for {}", r.kind) };
        assert!(fields.iter().any(|(f, _)| *f == "metadata"), "{}: {fields:?}", r.kind);
    }
}

#[test]
fn finds_unknown_fields_where_the_decoder_does() {
    let d = json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "creationTimestamp": null, "labels": {"anything": "goes"}},
        "spec": {"replicas": 1, "foo": 1, "selector": {"matchLabels": {"a": "b"}},
                 "template": {"metadata": {"labels": {"a": "b"}}, "spec": {"containers": [
                     {"name": "web", "image": "i", "resources": {"limits": {"cpu": 1}}, "imagePullPolicy": "Always",
                      "ports": [{"containerPort": 80, "protocl": "TCP"}]},
                     {"name": "side", "image": "s", "requests": {"cpu": "1"}}]}}}});
    let u = unknown_fields("Deployment", &d);
    let paths: Vec<String> = u.iter().map(Unknown::json_path).collect();
    assert_eq!(paths, ["spec.foo", "spec.template.spec.containers[0].ports[0].protocl", "spec.template.spec.containers[1].requests"]);
    assert_eq!(u[2].apply_path(&d), ".spec.template.spec.containers[name=\"side\"].requests");
    assert_eq!(u[1].apply_path(&d), ".spec.template.spec.containers[name=\"web\"].ports[containerPort=80,protocol=\"TCP\"].protocl");
    let mut cleaned = d.clone();
    drop_unknown(&mut cleaned, &u);
    assert!(unknown_fields("Deployment", &cleaned).is_empty());
    assert_eq!(cleaned["spec"]["template"]["spec"]["containers"][0]["ports"][0], json!({"containerPort": 80}));
    let s = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "stringData": {"a": "b"}, "type": "Opaque"});
    assert!(unknown_fields("Secret", &s).is_empty());
}
