//! JSON patch (RFC 6902) over JSON pointers (RFC 6901).

use serde_json::Value;

fn unescape(s: &str) -> String {
    s.replace("~1", "/").replace("~0", "~")
}

fn split(path: &str) -> Result<Vec<String>, String> {
    if path.is_empty() {
        return Ok(vec![]);
    }
    let rest = path.strip_prefix('/').ok_or_else(|| format!("invalid JSON pointer {path:?}"))?;
    Ok(rest.split('/').map(unescape).collect())
}

fn index(tok: &str, len: usize, allow_end: bool) -> Result<usize, String> {
    if allow_end && tok == "-" {
        return Ok(len);
    }
    let i: usize = tok.parse().map_err(|_| format!("invalid array index {tok:?}"))?;
    if i > len || (!allow_end && i == len) {
        return Err(format!("array index {i} out of bounds"));
    }
    Ok(i)
}

fn parent<'a>(doc: &'a mut Value, toks: &[String]) -> Result<&'a mut Value, String> {
    let mut cur = doc;
    for t in toks {
        cur = match cur {
            Value::Object(m) => m.get_mut(t).ok_or_else(|| format!("missing path element {t:?}"))?,
            Value::Array(a) => {
                let i = index(t, a.len(), false)?;
                &mut a[i]
            }
            _ => return Err(format!("path element {t:?} is not inside an object or array")),
        };
    }
    Ok(cur)
}

fn get(doc: &Value, path: &str) -> Result<Value, String> {
    let toks = split(path)?;
    let mut cur = doc;
    for t in &toks {
        cur = match cur {
            Value::Object(m) => m.get(t).ok_or_else(|| format!("missing value at {path}"))?,
            Value::Array(a) => a.get(index(t, a.len(), false)?).ok_or_else(|| format!("missing value at {path}"))?,
            _ => return Err(format!("missing value at {path}")),
        };
    }
    Ok(cur.clone())
}

fn add(doc: &mut Value, path: &str, v: Value) -> Result<(), String> {
    let toks = split(path)?;
    let Some((last, init)) = toks.split_last() else {
        *doc = v;
        return Ok(());
    };
    match parent(doc, init)? {
        Value::Object(m) => {
            m.insert(last.clone(), v);
        }
        Value::Array(a) => {
            let i = index(last, a.len(), true)?;
            a.insert(i, v);
        }
        _ => return Err(format!("cannot add at {path}: parent is not a container")),
    }
    Ok(())
}

fn remove(doc: &mut Value, path: &str) -> Result<Value, String> {
    let toks = split(path)?;
    let Some((last, init)) = toks.split_last() else {
        return Err("cannot remove the whole document".into());
    };
    match parent(doc, init)? {
        Value::Object(m) => m.remove(last).ok_or_else(|| format!("unable to remove nonexistent key: {last}: missing value")),
        Value::Array(a) => {
            let i = index(last, a.len(), false)?;
            Ok(a.remove(i))
        }
        _ => Err(format!("cannot remove at {path}")),
    }
}

/// Applies every operation in order; the document is untouched if any fails.
pub fn apply(doc: &Value, patch: &Value) -> Result<Value, String> {
    let ops = patch.as_array().ok_or("a JSON patch must be an array of operations")?;
    let mut out = doc.clone();
    for op in ops {
        let name = op.get("op").and_then(Value::as_str).ok_or("operation without \"op\"")?;
        let path = op.get("path").and_then(Value::as_str).ok_or("operation without \"path\"")?;
        let value = || op.get("value").cloned().ok_or_else(|| format!("{name} operation without \"value\""));
        let from = || op.get("from").and_then(Value::as_str).ok_or_else(|| format!("{name} operation without \"from\""));
        match name {
            "add" => add(&mut out, path, value()?)?,
            "remove" => {
                remove(&mut out, path)?;
            }
            "replace" => {
                get(&out, path).map_err(|_| format!("replace operation does not apply: doc is missing key: {path}: missing value"))?;
                remove(&mut out, path).ok();
                add(&mut out, path, value()?)?;
            }
            "move" => {
                let v = remove(&mut out, from()?)?;
                add(&mut out, path, v)?;
            }
            "copy" => {
                let v = get(&out, from()?)?;
                add(&mut out, path, v)?;
            }
            "test" => {
                if get(&out, path)? != value()? {
                    return Err(format!("testing value {path} failed: test failed"));
                }
            }
            other => return Err(format!("Unexpected kind: {other}")),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn operations() {
        let doc = json!({"metadata": {"labels": {"a": "1"}}, "spec": {"list": [1, 2, 3]}});
        let out = apply(
            &doc,
            &json!([
                {"op": "add", "path": "/metadata/labels/b~1c", "value": "2"},
                {"op": "replace", "path": "/spec/list/0", "value": 9},
                {"op": "add", "path": "/spec/list/-", "value": 4},
                {"op": "remove", "path": "/spec/list/1"},
                {"op": "copy", "from": "/metadata/labels/a", "path": "/spec/copied"},
                {"op": "move", "from": "/spec/copied", "path": "/spec/moved"},
                {"op": "test", "path": "/spec/moved", "value": "1"}
            ]),
        )
        .unwrap();
        assert_eq!(out, json!({"metadata": {"labels": {"a": "1", "b/c": "2"}}, "spec": {"list": [9, 3, 4], "moved": "1"}}));
    }

    #[test]
    fn failures_leave_no_partial_result() {
        let doc = json!({"a": 1});
        assert!(apply(&doc, &json!([{"op": "test", "path": "/a", "value": 2}])).is_err());
        assert!(apply(&doc, &json!([{"op": "remove", "path": "/b"}])).is_err());
        assert!(apply(&doc, &json!([{"op": "replace", "path": "/b", "value": 1}])).is_err());
        assert!(apply(&doc, &json!([{"op": "add", "path": "/x/y", "value": 1}])).is_err());
        assert!(apply(&doc, &json!({"op": "add"})).is_err());
    }
}
