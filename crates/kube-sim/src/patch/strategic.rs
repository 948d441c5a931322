//! Strategic merge patch: a merge patch whose lists of objects merge by their patch key
//! (containers and env by name, container ports by containerPort, ...), plus the directives
//! kubectl emits: `$patch: delete|replace|merge`, `$retainKeys`, `$setElementOrder/F`,
//! `$deleteFromPrimitiveList/F`.

use serde_json::{Map, Value};

use super::{is_set_list, merge_key};

const ORDER: &str = "$setElementOrder/";
const DEL_PRIM: &str = "$deleteFromPrimitiveList/";

pub fn apply(original: &Value, patch: &Value) -> Result<Value, String> {
    let mut out = original.clone();
    merge_value(&mut out, patch, &mut Vec::new())?;
    Ok(out)
}

fn merge_value(target: &mut Value, patch: &Value, path: &mut Vec<String>) -> Result<(), String> {
    match patch {
        Value::Object(p) => {
            match p.get("$patch").and_then(Value::as_str) {
                Some("replace") => {
                    let mut clean = p.clone();
                    clean.remove("$patch");
                    *target = Value::Object(clean);
                    return Ok(());
                }
                Some("delete") => {
                    *target = Value::Null;
                    return Ok(());
                }
                Some("merge") | None => {}
                Some(other) => return Err(format!("unknown patch type: {other}")),
            }
            if !target.is_object() {
                *target = Value::Object(Map::new());
            }
            merge_map(target.as_object_mut().expect("object"), p, path)
        }
        _ => {
            *target = patch.clone();
            Ok(())
        }
    }
}

fn merge_map(t: &mut Map<String, Value>, p: &Map<String, Value>, path: &mut Vec<String>) -> Result<(), String> {
    if let Some(retain) = p.get("$retainKeys").and_then(Value::as_array) {
        let keep: Vec<&str> = retain.iter().filter_map(Value::as_str).collect();
        t.retain(|k, _| keep.contains(&k.as_str()));
    }
    for (k, v) in p {
        if k == "$patch" || k == "$retainKeys" {
            continue;
        }
        if let Some(field) = k.strip_prefix(DEL_PRIM) {
            let del: Vec<&Value> = v.as_array().map(|a| a.iter().collect()).unwrap_or_default();
            if let Some(list) = t.get_mut(field).and_then(Value::as_array_mut) {
                list.retain(|x| !del.contains(&x));
            }
            continue;
        }
        if k.starts_with(ORDER) {
            continue; // applied after the list itself merged, below
        }
        if v.is_null() {
            t.remove(k);
            continue;
        }
        match (t.get_mut(k), v) {
            (Some(Value::Array(cur)), Value::Array(pl)) => {
                let merged = merge_list(cur, pl, path, k)?;
                *cur = merged;
            }
            (Some(cur @ Value::Object(_)), Value::Object(_)) => {
                path.push(k.clone());
                merge_value(cur, v, path)?;
                path.pop();
                if cur.is_null() {
                    t.remove(k);
                }
            }
            (_, Value::Array(pl)) => {
                // No list yet: directives inside the patch list still must not leak into the object.
                let merged = merge_list(&[], pl, path, k)?;
                t.insert(k.clone(), Value::Array(merged));
            }
            (_, Value::Object(_)) => {
                let mut fresh = Value::Object(Map::new());
                path.push(k.clone());
                merge_value(&mut fresh, v, path)?;
                path.pop();
                if !fresh.is_null() {
                    t.insert(k.clone(), fresh);
                }
            }
            _ => {
                t.insert(k.clone(), v.clone());
            }
        }
    }
    for (k, order) in p {
        if let (Some(field), Some(order)) = (k.strip_prefix(ORDER), order.as_array())
            && let Some(Value::Array(list)) = t.get_mut(field)
        {
            reorder(list, order, merge_key(path, field));
        }
    }
    Ok(())
}

/// `$setElementOrder`: listed elements first, in the listed order; the rest keep their order.
fn reorder(list: &mut [Value], order: &[Value], key: Option<&str>) {
    let id = |v: &Value| -> Value {
        match key {
            Some(k) => v.get(k).cloned().unwrap_or(Value::Null),
            None => v.clone(),
        }
    };
    let pos = |v: &Value| -> usize {
        let want = id(v);
        order
            .iter()
            .position(|o| match key {
                Some(k) => o.get(k) == Some(&want),
                None => *o == want,
            })
            .unwrap_or(usize::MAX)
    };
    list.sort_by_key(pos); // stable: unlisted keep relative order at the end
}

fn merge_list(cur: &[Value], patch: &[Value], path: &mut Vec<String>, field: &str) -> Result<Vec<Value>, String> {
    // A `{"$patch": "replace"}` element replaces the whole list with the other elements.
    if patch.iter().any(|e| e.get("$patch").and_then(Value::as_str) == Some("replace")) {
        return Ok(patch.iter().filter(|e| e.get("$patch").is_none()).cloned().collect());
    }
    if is_set_list(path, field) {
        let mut out = cur.to_vec();
        for e in patch {
            if !out.contains(e) {
                out.push(e.clone());
            }
        }
        return Ok(out);
    }
    let Some(key) = merge_key(path, field) else {
        return Ok(patch.to_vec()); // atomic list: replaced
    };
    if !patch.iter().all(Value::is_object) {
        return Ok(patch.to_vec());
    }
    let mut out = cur.to_vec();
    path.push(field.to_string());
    for e in patch {
        let kv = e.get(key).cloned().unwrap_or(Value::Null);
        let idx = out.iter().position(|o| o.get(key) == Some(&kv) && !kv.is_null());
        let directive = e.get("$patch").and_then(Value::as_str);
        match (idx, directive) {
            (Some(i), Some("delete")) => {
                out.remove(i);
            }
            (None, Some("delete")) => {}
            (Some(i), _) => {
                merge_value(&mut out[i], e, path)?;
            }
            (None, _) => {
                let mut fresh = Value::Object(Map::new());
                merge_value(&mut fresh, e, path)?;
                out.push(fresh);
            }
        }
    }
    path.pop();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn deploy() -> Value {
        json!({"spec": {"template": {"spec": {"containers": [
            {"name": "web", "image": "a:1", "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
             "ports": [{"containerPort": 80, "protocol": "TCP"}]},
            {"name": "side", "image": "s:1"}
        ]}}}})
    }

    #[test]
    fn containers_and_env_merge_by_name() {
        let out = apply(
            &deploy(),
            &json!({"spec": {"template": {"spec": {"containers": [
                {"name": "web", "image": "a:2", "env": [{"name": "B", "value": "3"}, {"name": "C", "value": "4"}]}
            ]}}}}),
        )
        .unwrap();
        let cs = &out["spec"]["template"]["spec"]["containers"];
        assert_eq!(cs.as_array().unwrap().len(), 2, "side container kept");
        assert_eq!(cs[0]["image"], "a:2");
        assert_eq!(cs[0]["env"], json!([{"name": "A", "value": "1"}, {"name": "B", "value": "3"}, {"name": "C", "value": "4"}]));
        assert_eq!(cs[0]["ports"], json!([{"containerPort": 80, "protocol": "TCP"}]));
        assert_eq!(cs[1]["image"], "s:1");
    }

    #[test]
    fn ports_by_container_port_and_delete_directive() {
        let out = apply(
            &deploy(),
            &json!({"spec": {"template": {"spec": {"containers": [
                {"name": "web", "ports": [{"containerPort": 80, "name": "http"}, {"containerPort": 81}],
                 "env": [{"name": "A", "$patch": "delete"}]},
                {"name": "side", "$patch": "delete"}
            ]}}}}),
        )
        .unwrap();
        let cs = out["spec"]["template"]["spec"]["containers"].as_array().unwrap().clone();
        assert_eq!(cs.len(), 1);
        assert_eq!(cs[0]["ports"], json!([{"containerPort": 80, "protocol": "TCP", "name": "http"}, {"containerPort": 81}]));
        assert_eq!(cs[0]["env"], json!([{"name": "B", "value": "2"}]));
    }

    #[test]
    fn service_ports_by_port_and_atomic_lists() {
        let svc = json!({"spec": {"ports": [{"port": 80, "targetPort": 8080}], "selector": {"a": "b"}},
                         "x": {"args": ["1", "2"]}});
        let out = apply(&svc, &json!({"spec": {"ports": [{"port": 80, "name": "http"}]}, "x": {"args": ["3"]}})).unwrap();
        assert_eq!(out["spec"]["ports"], json!([{"port": 80, "targetPort": 8080, "name": "http"}]));
        assert_eq!(out["x"]["args"], json!(["3"]), "lists without a patch key are replaced");
    }

    #[test]
    fn directives() {
        let orig = json!({"metadata": {"finalizers": ["a"], "labels": {"x": "1", "y": "2"}},
                          "spec": {"strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}},
                                   "list": [{"name": "a"}, {"name": "b"}]}});
        let out = apply(
            &orig,
            &json!({"metadata": {"finalizers": ["b"], "labels": {"x": null}},
                    "spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate"},
                             "list": [{"$patch": "replace"}, {"name": "c"}]}}),
        )
        .unwrap();
        assert_eq!(out["metadata"]["finalizers"], json!(["a", "b"]));
        assert_eq!(out["metadata"]["labels"], json!({"y": "2"}));
        assert_eq!(out["spec"]["strategy"], json!({"type": "Recreate"}));
        assert_eq!(out["spec"]["list"], json!([{"name": "c"}]));

        let out = apply(
            &deploy(),
            &json!({"spec": {"template": {"spec": {
                "$setElementOrder/containers": [{"name": "side"}, {"name": "web"}],
                "containers": [{"name": "web", "image": "a:3"}]}}}}),
        )
        .unwrap();
        let cs = &out["spec"]["template"]["spec"]["containers"];
        assert_eq!(cs[0]["name"], "side");
        assert_eq!(cs[1]["image"], "a:3");
        assert!(out["spec"]["template"]["spec"].get("$setElementOrder/containers").is_none());
    }
}
