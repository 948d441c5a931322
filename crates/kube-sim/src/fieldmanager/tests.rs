use serde_json::json;

use super::fieldset::{compare, display, of_object, to_fields_v1};
use super::*;

fn at(s: &str) -> Timestamp {
    s.parse().expect("timestamp")
}

#[test]
fn applied_configuration_set_in_fields_v1() {
    let cfg = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "labels": {"app": "web"}},
        "spec": {"replicas": 2, "template": {"spec": {"containers": [{"name": "web", "image": "i:1", "ports": [{"containerPort": 80}], "args": ["a"]}]}}}});
    let set = applied_set(&cfg, None, true);
    assert_eq!(
        to_fields_v1(&set),
        json!({"f:metadata": {"f:labels": {"f:app": {}}},
               "f:spec": {"f:replicas": {}, "f:template": {"f:spec": {"f:containers": {"k:{\"name\":\"web\"}": {
                   ".": {}, "f:args": {}, "f:image": {}, "f:name": {},
                   "f:ports": {"k:{\"containerPort\":80,\"protocol\":\"TCP\"}": {".": {}, "f:containerPort": {}}}}}}}}})
    );
    let p = set.0.iter().find(|p| p.last().is_some_and(|t| t == "f:image")).expect("image path");
    assert_eq!(display(p), ".spec.template.spec.containers[name=\"web\"].image");
}

#[test]
fn update_takes_changed_fields_from_others() {
    let old = json!({"metadata": {"name": "c"}, "data": {"a": "1", "b": "2"}});
    let mut new = json!({"metadata": {"name": "c"}, "data": {"a": "1", "b": "2"}});
    record_update(None, &mut new, "creator", "v1", None, false, at("2025-01-01T00:00:00Z"));
    let created = new.clone();
    assert_eq!(created["metadata"]["managedFields"][0]["fieldsV1"], json!({"f:data": {".": {}, "f:a": {}, "f:b": {}}}));
    let mut edited = created.clone();
    edited["data"]["b"] = json!("3");
    edited["data"]["c"] = json!("4");
    record_update(Some(&created), &mut edited, "editor", "v1", None, false, at("2025-01-01T00:01:00Z"));
    let ms = decode(&edited);
    assert_eq!(ms.len(), 2);
    assert_eq!(to_fields_v1(&ms[0].set), json!({"f:data": {".": {}, "f:a": {}}}), "creator lost b");
    assert_eq!(to_fields_v1(&ms[1].set), json!({"f:data": {"f:b": {}, "f:c": {}}}));
    let _ = old;
}

#[test]
fn apply_conflicts_and_force() {
    let live0 = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}, "spec": {"replicas": 2, "paused": false}});
    let a = Manager {
        name: "alice".into(),
        operation: "Apply".into(),
        api_version: "apps/v1".into(),
        subresource: None,
        time: None,
        set: applied_set(&live0, None, true),
    };
    let mut live = live0.clone();
    encode(&mut live, std::slice::from_ref(&a));
    let cfg = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}, "spec": {"replicas": 3, "paused": false}});
    let b = Manager {
        name: "bob".into(),
        operation: "Apply".into(),
        api_version: "apps/v1".into(),
        subresource: None,
        time: None,
        set: applied_set(&cfg, None, true),
    };
    let merged = crate::patch::strategic::apply(&live, &cfg).expect("merge");
    let err = apply_ownership(&live, &merged, decode(&live), b.clone(), false, true).unwrap_err();
    assert_eq!(err.code, 409);
    assert_eq!(err.message, "Apply failed with 1 conflict: conflict with \"alice\": .spec.replicas");
    assert_eq!(
        err.details.expect("details")["causes"],
        json!([{"reason": "FieldManagerConflict", "message": "conflict with \"alice\"", "field": ".spec.replicas"}])
    );
    let ms = apply_ownership(&live, &merged, decode(&live), b, true, true).expect("forced");
    let alice = ms.iter().find(|m| m.name == "alice").expect("alice keeps paused");
    assert_eq!(to_fields_v1(&alice.set), json!({"f:spec": {"f:paused": {}}}), "same value: shared, not conflicting");
}

#[test]
fn prune_removes_what_nobody_owns() {
    let mut obj = json!({"metadata": {"labels": {"a": "1", "b": "2"}}, "spec": {"template": {"spec": {"containers": [
        {"name": "web", "image": "w"}, {"name": "side", "image": "s"}]}}}});
    let before = of_object(&obj);
    let now_cfg = json!({"metadata": {"labels": {"a": "1"}}, "spec": {"template": {"spec": {"containers": [{"name": "web", "image": "w"}]}}}});
    let me = Manager { name: "m".into(), operation: "Apply".into(), api_version: "v1".into(), subresource: None, time: None, set: of_object(&now_cfg) };
    prune(&mut obj, &before, &[me]);
    assert_eq!(obj, now_cfg);
    let d = compare(&json!({"a": [1]}), &json!({"a": [2], "b": {"c": 1}}), false);
    assert_eq!(d.modified.0.len(), 1);
    assert_eq!(d.added.0.len(), 2, "b.c and, for an update, the new map b itself");
}
