use serde_json::json;

use super::*;

#[test]
fn every_served_kind_has_a_shape() {
    for r in crate::resources::RESOURCES.iter().filter(|r| !r.virtual_) {
        let Some(Node::Struct(_, fields)) = shape(r.kind) else { panic!("no shape for {}", r.kind) };
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

#[test]
fn values_of_the_wrong_type_are_named_as_the_json_decoder_does() {
    let dep = |spec: serde_json::Value| json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}, "spec": spec});
    let ok = dep(json!({"replicas": 2, "selector": {"matchLabels": {"a": "b"}}, "template": {"spec": {"containers": [
        {"name": "web", "image": "i", "ports": [{"containerPort": 80}], "resources": {"limits": {"cpu": 1, "memory": "1Gi"}},
         "livenessProbe": {"httpGet": {"port": "http", "path": "/"}}, "readinessProbe": {"httpGet": {"port": 8080}}}],
        "terminationGracePeriodSeconds": null}}}));
    assert_eq!(type_error("Deployment", &ok), None, "ints, quantities as numbers, int-or-string both ways, nulls");
    assert_eq!(
        type_error("Deployment", &dep(json!({"replicas": "2"}))).as_deref(),
        Some("json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32")
    );
    let port = dep(json!({"template": {"spec": {"containers": [{"name": "web", "ports": [{"containerPort": "80"}]}]}}}));
    assert_eq!(
        type_error("Deployment", &port).as_deref(),
        Some("json: cannot unmarshal string into Go struct field ContainerPort.spec.template.spec.containers.ports.containerPort of type int32")
    );
    assert_eq!(
        type_error("Deployment", &dep(json!({"replicas": 1.5}))).as_deref(),
        Some("json: cannot unmarshal number 1.5 into Go struct field DeploymentSpec.spec.replicas of type int32")
    );
    assert_eq!(
        type_error("Deployment", &dep(json!("everything"))).as_deref(),
        Some("json: cannot unmarshal string into Go struct field Deployment.spec of type v1.DeploymentSpec")
    );
    let labels = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "labels": {"n": 1}}});
    assert_eq!(
        type_error("ConfigMap", &labels).as_deref(),
        Some("json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type string")
    );
}
