//! OpenAPI v3: the `/openapi/v3` index and one document per served group-version.
//!
//! What clients use it for, and therefore what must be accurate:
//! - kubectl/helm 4 decide whether the server validates fields (`fieldValidation`) by finding a
//!   PATCH operation tagged with the object's `x-kubernetes-group-version-kind` and a
//!   `fieldValidation` query parameter; without it they fall back to client-side validation.
//! - kubectl's client-side apply computes strategic merge patches from the schemas:
//!   `x-kubernetes-patch-merge-key` / `x-kubernetes-patch-strategy` on keyed lists.
//! - `kubectl explain` walks the properties.
//!
//! The schemas are generated from the same shapes (k8s-openapi's types) the server checks
//! unknown fields against, so the documents and the server's validation agree; list keys and
//! patch strategies come from the tables server-side apply and strategic merge patch use.
//! Field descriptions are not included.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde_json::{Map, Value, json};

use crate::fieldmanager::fieldset;
use crate::resources::{RESOURCES, ResourceDef, group_versions};
use crate::schema::{Leaf, Node};

fn leaf(l: Leaf) -> Value {
    match l {
        Leaf::String => json!({"type": "string"}),
        Leaf::DateTime => json!({"type": "string", "format": "date-time"}),
        Leaf::Bytes => json!({"type": "string", "format": "byte"}),
        Leaf::Int32 => json!({"type": "integer", "format": "int32"}),
        Leaf::Int64 => json!({"type": "integer", "format": "int64"}),
        Leaf::Number => json!({"type": "number", "format": "double"}),
        Leaf::Boolean => json!({"type": "boolean"}),
        Leaf::IntOrString => json!({"x-kubernetes-int-or-string": true}),
        Leaf::Quantity => json!({"type": "string"}),
        Leaf::Object => json!({"type": "object", "x-kubernetes-preserve-unknown-fields": true}),
    }
}

/// The schema of a node; `names` are the field names on the way to it (list keys depend on
/// where a list is, e.g. container ports vs service ports).
fn schema_of(n: &Node, names: &mut Vec<String>) -> Value {
    match n {
        Node::Leaf(l) => leaf(*l),
        Node::Map(inner) => json!({"type": "object", "additionalProperties": schema_of(inner, names)}),
        Node::Seq(inner) => json!({"type": "array", "items": schema_of(inner, names)}),
        Node::Struct(_, fields) => {
            let mut props = Map::new();
            for (f, child) in fields {
                let parent = names.clone();
                names.push(f.to_string());
                let mut sch = schema_of(child, names);
                names.pop();
                if sch.get("type").and_then(Value::as_str) == Some("array") {
                    list_meta(&mut sch, &parent, f);
                }
                if *f == "strategy"
                    && parent.last().map(String::as_str) == Some("spec")
                    && sch.get("properties").is_some_and(|p| p.get("rollingUpdate").is_some())
                {
                    sch["x-kubernetes-patch-strategy"] = json!("retainKeys");
                }
                props.insert(f.to_string(), sch);
            }
            json!({"type": "object", "properties": props})
        }
    }
}

fn list_meta(sch: &mut Value, parent: &[String], field: &str) {
    if let Some(keys) = fieldset::list_keys(parent, field) {
        sch["x-kubernetes-list-type"] = json!("map");
        sch["x-kubernetes-list-map-keys"] = json!(keys);
    } else if fieldset::is_set_list(parent, field) {
        sch["x-kubernetes-list-type"] = json!("set");
    } else {
        sch["x-kubernetes-list-type"] = json!("atomic");
    }
    if let Some(key) = crate::patch::merge_key(parent, field) {
        sch["x-kubernetes-patch-merge-key"] = json!(key);
        sch["x-kubernetes-patch-strategy"] = json!("merge");
    } else if crate::patch::is_set_list(parent, field) {
        sch["x-kubernetes-patch-strategy"] = json!("merge");
    }
}

/// The Go package a kind's schema is named after.
fn pkg(d: &ResourceDef) -> String {
    match d.group {
        "" => "io.k8s.api.core.v1".into(),
        "metrics.k8s.io" => "io.k8s.metrics.pkg.apis.metrics.v1beta1".into(),
        g => format!("io.k8s.api.{}.{}", g.split('.').next().unwrap_or(g), d.version),
    }
}

fn kind_schema(d: &ResourceDef) -> Value {
    match crate::schema::shape(d.kind) {
        Some(n) => schema_of(n, &mut Vec::new()),
        None => json!({"type": "object", "x-kubernetes-preserve-unknown-fields": true}),
    }
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

/// The document of a group-version (built once: it is static).
pub fn document(group: &str, version: &str) -> Option<Value> {
    static DOCS: OnceLock<HashMap<(String, String), Value>> = OnceLock::new();
    let docs = DOCS.get_or_init(|| group_versions().into_iter().filter_map(|(g, v)| build(g, v).map(|d| ((g.to_string(), v.to_string()), d))).collect());
    docs.get(&(group.to_string(), version.to_string())).cloned()
}

fn build(group: &str, version: &str) -> Option<Value> {
    let defs: Vec<&ResourceDef> = RESOURCES.iter().filter(|r| r.group == group && r.version == version).collect();
    if defs.is_empty() {
        return None;
    }
    let mut schemas = Map::new();
    let mut paths = Map::new();
    let prefix = if group.is_empty() { format!("/api/{version}") } else { format!("/apis/{group}/{version}") };
    for d in defs {
        let gvk = json!({"group": d.group, "version": d.version, "kind": d.kind});
        let name = format!("{}.{}", pkg(d), d.kind);
        let mut sch = kind_schema(d);
        sch["x-kubernetes-group-version-kind"] = json!([gvk.clone()]);
        schemas.insert(name.clone(), sch);
        schemas.insert(
            format!("{name}List"),
            json!({"type": "object", "properties": {
                       "items": {"type": "array", "items": {"allOf": [{"$ref": format!("#/components/schemas/{name}")}], "default": {}}},
                       "apiVersion": {"type": "string"}, "kind": {"type": "string"}, "metadata": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}},
                   "x-kubernetes-group-version-kind": [{"group": d.group, "version": d.version, "kind": format!("{}List", d.kind)}]}),
        );
        let base = if d.namespaced { format!("{prefix}/namespaces/{{namespace}}/{}", d.plural) } else { format!("{prefix}/{}", d.plural) };
        let write = ["dryRun", "fieldManager", "fieldValidation", "pretty"];
        let list_q = [
            "labelSelector",
            "fieldSelector",
            "limit",
            "continue",
            "resourceVersion",
            "resourceVersionMatch",
            "sendInitialEvents",
            "timeoutSeconds",
            "watch",
            "allowWatchBookmarks",
        ];
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
    static INDEX: OnceLock<Value> = OnceLock::new();
    INDEX.get_or_init(build_index).clone()
}

fn build_index() -> Value {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemas_carry_fields_and_patch_metadata() {
        let doc = document("apps", "v1").expect("apps/v1");
        let d = &doc["components"]["schemas"]["io.k8s.api.apps.v1.Deployment"];
        assert_eq!(d["x-kubernetes-group-version-kind"][0]["kind"], "Deployment");
        let spec = &d["properties"]["spec"];
        assert!(spec.get("x-kubernetes-preserve-unknown-fields").is_none(), "unknown fields are not accepted");
        assert_eq!(spec["properties"]["strategy"]["x-kubernetes-patch-strategy"], "retainKeys");
        let containers = &spec["properties"]["template"]["properties"]["spec"]["properties"]["containers"];
        assert_eq!(containers["x-kubernetes-patch-merge-key"], "name");
        let ports = &containers["items"]["properties"]["ports"];
        assert_eq!(ports["x-kubernetes-list-map-keys"], json!(["containerPort", "protocol"]));
        assert_eq!(ports["x-kubernetes-patch-merge-key"], "containerPort");
        assert_eq!(containers["items"]["properties"]["args"]["x-kubernetes-list-type"], "atomic");
        let meta = &d["properties"]["metadata"]["properties"];
        assert_eq!(meta["creationTimestamp"]["format"], "date-time");
        assert_eq!(meta["finalizers"]["x-kubernetes-list-type"], "set");
        let core = document("", "v1").expect("v1");
        let secret = &core["components"]["schemas"]["io.k8s.api.core.v1.Secret"]["properties"];
        assert_eq!(secret["data"]["additionalProperties"]["format"], "byte");
        let svc_ports = &core["components"]["schemas"]["io.k8s.api.core.v1.Service"]["properties"]["spec"]["properties"]["ports"];
        assert_eq!(svc_ports["x-kubernetes-list-map-keys"], json!(["port", "protocol"]));
        assert_eq!(svc_ports["items"]["properties"]["targetPort"], json!({"x-kubernetes-int-or-string": true}));
    }
}
