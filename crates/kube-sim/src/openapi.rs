//! OpenAPI v3: the `/openapi/v3` index and one document per served group-version.
//!
//! What clients use it for, and therefore what must be accurate:
//! - kubectl/helm 4 decide whether the server validates fields (`fieldValidation`) by finding a
//!   PATCH operation tagged with the object's `x-kubernetes-group-version-kind` and a
//!   `fieldValidation` query parameter; without it they fall back to client-side validation.
//! - kubectl's client-side apply computes strategic merge patches from the component schemas:
//!   `x-kubernetes-patch-merge-key` / `x-kubernetes-patch-strategy` on containers, env, ports,
//!   volumes, volumeMounts. Field contents are otherwise permissive (preserve-unknown-fields).

use serde_json::{Map, Value, json};

use crate::resources::{RESOURCES, ResourceDef, group_versions};

const META: &str = "io.k8s.apimachinery.pkg.apis.meta.v1";

fn r(name: &str) -> Value {
    json!({"allOf": [{"$ref": format!("#/components/schemas/{name}")}], "default": {}})
}

fn open() -> Value {
    json!({"type": "object", "x-kubernetes-preserve-unknown-fields": true})
}

fn obj(props: Value) -> Value {
    json!({"type": "object", "properties": props, "x-kubernetes-preserve-unknown-fields": true})
}

fn keyed(item: Value, keys: &[&str]) -> Value {
    json!({
        "type": "array",
        "items": item,
        "x-kubernetes-list-type": "map",
        "x-kubernetes-list-map-keys": keys,
        "x-kubernetes-patch-merge-key": keys[0],
        "x-kubernetes-patch-strategy": "merge",
    })
}

fn atomic(item: Value) -> Value {
    json!({"type": "array", "items": item, "x-kubernetes-list-type": "atomic"})
}

fn string_map() -> Value {
    json!({"type": "object", "additionalProperties": {"type": "string", "default": ""}})
}

fn str_() -> Value {
    json!({"type": "string"})
}

/// The Go package a kind's schema is named after.
fn pkg(d: &ResourceDef) -> String {
    match d.group {
        "" => "io.k8s.api.core.v1".into(),
        "metrics.k8s.io" => "io.k8s.metrics.pkg.apis.metrics.v1beta1".into(),
        g => format!("io.k8s.api.{}.{}", g.split('.').next().unwrap_or(g), d.version),
    }
}

fn common_schemas(s: &mut Map<String, Value>) {
    s.insert(
        format!("{META}.ObjectMeta"),
        obj(json!({
            "name": str_(), "generateName": str_(), "namespace": str_(), "uid": str_(), "resourceVersion": str_(),
            "generation": {"type": "integer", "format": "int64"},
            "creationTimestamp": {"type": "string", "format": "date-time"},
            "labels": string_map(), "annotations": string_map(),
            "finalizers": {"type": "array", "items": {"type": "string", "default": ""},
                           "x-kubernetes-list-type": "set", "x-kubernetes-patch-strategy": "merge"},
            "ownerReferences": keyed(r(&format!("{META}.OwnerReference")), &["uid"]),
            "managedFields": atomic(open()),
        })),
    );
    s.insert(format!("{META}.OwnerReference"), obj(json!({"apiVersion": str_(), "kind": str_(), "name": str_(), "uid": str_()})));
    let core = "io.k8s.api.core.v1";
    s.insert(
        format!("{core}.Container"),
        obj(json!({
            "name": str_(), "image": str_(),
            "command": atomic(str_()), "args": atomic(str_()),
            "env": keyed(r(&format!("{core}.EnvVar")), &["name"]),
            "envFrom": atomic(open()),
            "ports": keyed(r(&format!("{core}.ContainerPort")), &["containerPort", "protocol"]),
            "volumeMounts": keyed(r(&format!("{core}.VolumeMount")), &["mountPath"]),
            "resources": open(),
        })),
    );
    s.insert(format!("{core}.EnvVar"), obj(json!({"name": str_(), "value": str_(), "valueFrom": open()})));
    s.insert(format!("{core}.ContainerPort"), obj(json!({"containerPort": {"type": "integer"}, "name": str_(), "protocol": str_()})));
    s.insert(format!("{core}.VolumeMount"), obj(json!({"mountPath": str_(), "name": str_(), "subPath": str_()})));
    s.insert(format!("{core}.Volume"), obj(json!({"name": str_()})));
    s.insert(
        format!("{core}.PodSpec"),
        obj(json!({
            "containers": keyed(r(&format!("{core}.Container")), &["name"]),
            "initContainers": keyed(r(&format!("{core}.Container")), &["name"]),
            "volumes": keyed(r(&format!("{core}.Volume")), &["name"]),
            "imagePullSecrets": keyed(open(), &["name"]),
            "hostAliases": keyed(open(), &["ip"]),
            "tolerations": atomic(open()),
            "affinity": open(),
        })),
    );
    s.insert(format!("{core}.PodTemplateSpec"), obj(json!({"metadata": r(&format!("{META}.ObjectMeta")), "spec": r(&format!("{core}.PodSpec"))})));
    s.insert(
        format!("{core}.ServiceSpec"),
        obj(json!({"ports": keyed(r(&format!("{core}.ServicePort")), &["port", "protocol"]), "selector": string_map(), "type": str_()})),
    );
    s.insert(format!("{core}.ServicePort"), obj(json!({"port": {"type": "integer"}, "name": str_(), "protocol": str_(), "targetPort": open()})));
    s.insert(
        "io.k8s.api.batch.v1.JobSpec".into(),
        obj(json!({"template": r(&format!("{core}.PodTemplateSpec")), "selector": open()})),
    );
    s.insert(
        "io.k8s.api.batch.v1.JobTemplateSpec".into(),
        obj(json!({"metadata": r(&format!("{META}.ObjectMeta")), "spec": r("io.k8s.api.batch.v1.JobSpec")})),
    );
    let strategy = json!({"type": "object", "x-kubernetes-patch-strategy": "retainKeys", "x-kubernetes-preserve-unknown-fields": true});
    for kind in ["Deployment", "ReplicaSet", "StatefulSet"] {
        let mut props = json!({"template": r(&format!("{core}.PodTemplateSpec")), "selector": open(), "replicas": {"type": "integer"}});
        if kind == "Deployment" {
            props["strategy"] = strategy.clone();
        }
        if kind == "StatefulSet" {
            props["volumeClaimTemplates"] = atomic(open());
        }
        s.insert(format!("io.k8s.api.apps.v1.{kind}Spec"), obj(props));
    }
    s.insert("io.k8s.api.batch.v1.CronJobSpec".into(), obj(json!({"jobTemplate": r("io.k8s.api.batch.v1.JobTemplateSpec"), "schedule": str_()})));
}

fn spec_schema(d: &ResourceDef) -> Option<String> {
    Some(match d.kind {
        "Pod" => "io.k8s.api.core.v1.PodSpec".into(),
        "Service" => "io.k8s.api.core.v1.ServiceSpec".into(),
        "Deployment" | "ReplicaSet" | "StatefulSet" => format!("io.k8s.api.apps.v1.{}Spec", d.kind),
        "Job" => "io.k8s.api.batch.v1.JobSpec".into(),
        "CronJob" => "io.k8s.api.batch.v1.CronJobSpec".into(),
        _ => return None,
    })
}

fn params(names: &[&str]) -> Value {
    Value::Array(names.iter().map(|n| json!({"name": n, "in": "query", "schema": {"type": "string", "uniqueItems": true}})).collect())
}

fn op(action: &str, gvk: &Value, query: &[&str], body: bool) -> Value {
    let mut o = json!({
        "operationId": action,
        "parameters": params(query),
        "responses": {"200": {"description": "OK"}},
        "x-kubernetes-action": action,
        "x-kubernetes-group-version-kind": gvk,
    });
    if body {
        let types = if action == "patch" {
            vec!["application/apply-patch+yaml", "application/json-patch+json", "application/merge-patch+json", "application/strategic-merge-patch+json"]
        } else {
            vec!["application/json"]
        };
        let content: Map<String, Value> = types.into_iter().map(|t| (t.to_string(), json!({"schema": {"type": "object"}}))).collect();
        o["requestBody"] = json!({"content": content, "required": true});
    }
    o
}

pub fn document(group: &str, version: &str) -> Option<Value> {
    let defs: Vec<&ResourceDef> = RESOURCES.iter().filter(|r| r.group == group && r.version == version).collect();
    if defs.is_empty() {
        return None;
    }
    let mut schemas = Map::new();
    common_schemas(&mut schemas);
    let mut paths = Map::new();
    let prefix = if group.is_empty() { format!("/api/{version}") } else { format!("/apis/{group}/{version}") };
    for d in defs {
        let gvk = json!({"group": d.group, "version": d.version, "kind": d.kind});
        let name = format!("{}.{}", pkg(d), d.kind);
        let spec = spec_schema(d).map(|s| r(&s)).unwrap_or_else(open);
        schemas.insert(
            name.clone(),
            json!({
                "type": "object",
                "properties": {
                    "apiVersion": str_(), "kind": str_(),
                    "metadata": r(&format!("{META}.ObjectMeta")),
                    "spec": spec, "status": open(),
                },
                "x-kubernetes-preserve-unknown-fields": true,
                "x-kubernetes-group-version-kind": [gvk.clone()],
            }),
        );
        schemas.insert(
            format!("{name}List"),
            json!({"type": "object", "properties": {"items": atomic(r(&name))},
                   "x-kubernetes-group-version-kind": [{"group": d.group, "version": d.version, "kind": format!("{}List", d.kind)}]}),
        );
        let base = if d.namespaced { format!("{prefix}/namespaces/{{namespace}}/{}", d.plural) } else { format!("{prefix}/{}", d.plural) };
        let write = ["dryRun", "fieldManager", "fieldValidation", "pretty"];
        let list_q = ["labelSelector", "fieldSelector", "limit", "continue", "resourceVersion", "resourceVersionMatch",
                      "sendInitialEvents", "timeoutSeconds", "watch", "allowWatchBookmarks"];
        let mut coll = Map::new();
        coll.insert("get".into(), op("list", &gvk, &list_q, false));
        if d.verbs.contains(&"create") {
            coll.insert("post".into(), op("post", &gvk, &write, true));
        }
        if d.verbs.contains(&"deletecollection") {
            coll.insert("delete".into(), op("deletecollection", &gvk, &["dryRun", "propagationPolicy", "labelSelector"], false));
        }
        paths.insert(base.clone(), Value::Object(coll));
        let mut item = Map::new();
        item.insert("get".into(), op("get", &gvk, &["pretty"], false));
        if d.verbs.contains(&"update") {
            item.insert("put".into(), op("put", &gvk, &write, true));
            item.insert("patch".into(), op("patch", &gvk, &["dryRun", "fieldManager", "fieldValidation", "force", "pretty"], true));
            item.insert("delete".into(), op("delete", &gvk, &["dryRun", "gracePeriodSeconds", "propagationPolicy"], false));
        }
        paths.insert(format!("{base}/{{name}}"), Value::Object(item));
        for s in d.subresources.iter().filter(|s| s.verbs.contains(&"patch")) {
            let sgvk = match (s.group, s.version) {
                (Some(g), Some(v)) => json!({"group": g, "version": v, "kind": s.kind}),
                _ => gvk.clone(),
            };
            let mut sub = Map::new();
            sub.insert("get".into(), op("get", &sgvk, &["pretty"], false));
            sub.insert("put".into(), op("put", &sgvk, &write, true));
            sub.insert("patch".into(), op("patch", &sgvk, &["dryRun", "fieldManager", "fieldValidation", "force"], true));
            paths.insert(format!("{base}/{{name}}/{}", s.name), Value::Object(sub));
        }
    }
    Some(json!({
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": format!("v{}.{}.0", crate::discovery::MAJOR, crate::discovery::MINOR)},
        "paths": paths,
        "components": {"schemas": schemas},
    }))
}

fn gv_path(group: &str, version: &str) -> String {
    if group.is_empty() { format!("api/{version}") } else { format!("apis/{group}/{version}") }
}

/// FNV-1a over the serialized document: stable across runs, changes when the document does.
pub fn hash(doc: &Value) -> String {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in doc.to_string().bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x100000001b3);
    }
    format!("{h:016X}{:016X}", h.rotate_left(17) ^ 0x9E3779B97F4A7C15)
}

pub fn index() -> Value {
    let mut paths = Map::new();
    for (g, v) in group_versions() {
        if let Some(doc) = document(g, v) {
            let p = gv_path(g, v);
            paths.insert(p.clone(), json!({"serverRelativeURL": format!("/openapi/v3/{p}?hash={}", hash(&doc))}));
        }
    }
    json!({"paths": paths})
}

/// `/openapi/v3/<rest>` → the group-version document.
pub fn document_for_path(rest: &str) -> Option<Value> {
    let parts: Vec<&str> = rest.trim_matches('/').split('/').collect();
    match parts.as_slice() {
        ["api", v] => document("", v),
        ["apis", g, v] => document(g, v),
        _ => None,
    }
}
