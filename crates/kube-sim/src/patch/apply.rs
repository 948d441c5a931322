//! Server-side apply, simplified: the applied configuration is merged into the live object with
//! keyed-list semantics, and fields this manager applied last time but omits now are removed.
//! Ownership conflicts between managers are not detected (see README, known gaps).

use serde_json::{Map, Value, json};

use super::merge_key;

/// The object that results from applying `applied` over `live`, given what this manager applied
/// before (`prev`).
pub fn apply(live: &Value, prev: Option<&Value>, applied: &Value) -> Result<Value, String> {
    let mut out = live.clone();
    if let Some(prev) = prev {
        prune(&mut out, prev, applied, &mut Vec::new());
    }
    super::strategic::apply(&out, &strip_server_fields(applied))
}

/// Fields a client may send in an applied config that the server owns.
pub fn strip_server_fields(applied: &Value) -> Value {
    let mut a = applied.clone();
    if let Some(m) = a.get_mut("metadata").and_then(Value::as_object_mut) {
        for f in ["managedFields", "resourceVersion", "uid", "creationTimestamp", "generation", "selfLink"] {
            m.remove(f);
        }
    }
    a
}

fn prune(live: &mut Value, prev: &Value, new: &Value, path: &mut Vec<String>) {
    let (Some(l), Some(p)) = (live.as_object_mut(), prev.as_object()) else {
        return;
    };
    for (k, pv) in p {
        if path.is_empty() && matches!(k.as_str(), "apiVersion" | "kind") {
            continue;
        }
        let Some(nv) = new.get(k) else {
            l.remove(k);
            continue;
        };
        match (pv, nv, l.get_mut(k)) {
            (Value::Object(_), Value::Object(_), Some(lv)) => {
                path.push(k.clone());
                prune(lv, pv, nv, path);
                path.pop();
            }
            (Value::Array(pa), Value::Array(na), Some(Value::Array(la))) => {
                let Some(key) = merge_key(path, k) else { continue };
                path.push(k.clone());
                for pe in pa {
                    let Some(id) = pe.get(key) else { continue };
                    let ne = na.iter().find(|e| e.get(key) == Some(id));
                    match ne {
                        None => la.retain(|e| e.get(key) != Some(id)),
                        Some(ne) => {
                            if let Some(le) = la.iter_mut().find(|e| e.get(key) == Some(id)) {
                                prune(le, pe, ne, path);
                            }
                        }
                    }
                }
                path.pop();
            }
            _ => {}
        }
    }
}

/// A FieldsV1 set (`f:` / `k:` notation) describing the fields present in `obj`.
pub fn fields_v1(obj: &Value) -> Value {
    fn walk(v: &Value, path: &mut Vec<String>) -> Value {
        let mut out = Map::new();
        let Some(m) = v.as_object() else { return json!({}) };
        for (k, child) in m {
            if path.is_empty() && matches!(k.as_str(), "apiVersion" | "kind" | "status") {
                continue;
            }
            if path.len() == 1
                && path[0] == "metadata"
                && matches!(k.as_str(), "managedFields" | "resourceVersion" | "uid" | "creationTimestamp" | "generation" | "name" | "namespace")
            {
                continue;
            }
            let entry = match child {
                Value::Object(_) => {
                    path.push(k.clone());
                    let mut sub = walk(child, path);
                    path.pop();
                    if sub.as_object().is_some_and(|s| s.is_empty()) {
                        sub = json!({});
                    }
                    sub
                }
                Value::Array(items) => match merge_key(path, k) {
                    Some(key) => {
                        path.push(k.clone());
                        let mut lm = Map::new();
                        for item in items {
                            if let Some(id) = item.get(key) {
                                let mut e = walk(item, path);
                                if let Some(em) = e.as_object_mut() {
                                    em.remove(&format!("f:{key}"));
                                    em.insert(".".into(), json!({}));
                                    em.insert(format!("f:{key}"), json!({}));
                                }
                                lm.insert(format!("k:{}", json!({ key: id })), e);
                            }
                        }
                        path.pop();
                        Value::Object(lm)
                    }
                    None => json!({}),
                },
                _ => json!({}),
            };
            out.insert(format!("f:{k}"), entry);
        }
        Value::Object(out)
    }
    walk(obj, &mut Vec::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removes_fields_dropped_from_the_applied_config() {
        let v1 = json!({"metadata": {"labels": {"a": "1", "b": "2"}},
                        "spec": {"template": {"spec": {"containers": [
                            {"name": "web", "image": "x:1", "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]},
                            {"name": "side", "image": "s:1"}]}}}});
        // live has a field set by someone else (replicas by a scaler) and a default.
        let mut live = v1.clone();
        live["spec"]["replicas"] = json!(3);
        live["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] = json!("IfNotPresent");
        let v2 = json!({"metadata": {"labels": {"a": "1"}},
                        "spec": {"template": {"spec": {"containers": [
                            {"name": "web", "image": "x:2", "env": [{"name": "A", "value": "1"}]}]}}}});
        let out = apply(&live, Some(&v1), &v2).unwrap();
        assert_eq!(out["metadata"]["labels"], json!({"a": "1"}));
        assert_eq!(out["spec"]["replicas"], json!(3), "fields not applied by this manager survive");
        let cs = out["spec"]["template"]["spec"]["containers"].as_array().unwrap();
        assert_eq!(cs.len(), 1);
        assert_eq!(cs[0]["image"], "x:2");
        assert_eq!(cs[0]["imagePullPolicy"], "IfNotPresent");
        assert_eq!(cs[0]["env"], json!([{"name": "A", "value": "1"}]));
    }

    #[test]
    fn field_set_notation() {
        let f = fields_v1(&json!({"apiVersion": "v1", "metadata": {"name": "x", "labels": {"a": "1"}},
                                  "spec": {"containers": [{"name": "web", "image": "i"}], "args": ["a"]}}));
        assert_eq!(
            f,
            json!({"f:metadata": {"f:labels": {"f:a": {}}},
                   "f:spec": {"f:containers": {"k:{\"name\":\"web\"}": {"f:image": {}, ".": {}, "f:name": {}}}, "f:args": {}}})
        );
    }
}
