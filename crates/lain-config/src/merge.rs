//! The recursive override of values files, with helm's rules: maps merge key by key, a key set
//! to null deletes what the lower layer had, anything else (lists included) replaces.
//!
//! lain validates the merged result itself (to point at the file that introduced a mistake),
//! so this must agree with what helm computes from the same files; a golden test renders both.

use super::yaml::{Node, Value};

/// Merges `top` over `base` in place.
pub fn merge(base: &mut Node, top: Node) {
    match (&mut base.value, top.value) {
        (Value::Map(b), Value::Map(t)) => {
            for (k, v) in t {
                if v.is_null() {
                    b.shift_remove(&k);
                    continue;
                }
                match b.get_mut(&k) {
                    Some(existing) if matches!(existing.value, Value::Map(_)) && matches!(v.value, Value::Map(_)) => {
                        merge(existing, v);
                    }
                    _ => {
                        b.insert(k, strip_nulls(v));
                    }
                }
            }
        }
        (_, tv) => {
            *base = strip_nulls(Node::new(tv, top.origin));
        }
    }
}

/// A null inside a newly introduced map means "absent" (there is nothing below to delete).
fn strip_nulls(mut n: Node) -> Node {
    if let Value::Map(m) = &mut n.value {
        m.retain(|_, v| !v.is_null());
        for v in m.values_mut() {
            let taken = std::mem::replace(v, Node::new(Value::Null, v.origin.clone()));
            *v = strip_nulls(taken);
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::parse;

    fn merged(a: &str, b: &str) -> serde_json::Value {
        let mut base = parse(a, "a.yaml").unwrap();
        merge(&mut base, parse(b, "b.yaml").unwrap());
        base.to_json()
    }

    #[test]
    fn maps_merge_recursively() {
        let j = merged("deployments:\n  web:\n    command: [run]\n    replicaCount: 1\n", "deployments:\n  web:\n    command: [run, --debug]\n");
        assert_eq!(j, serde_json::json!({"deployments": {"web": {"command": ["run", "--debug"], "replicaCount": 1}}}));
    }

    #[test]
    fn null_deletes_and_lists_replace() {
        let j =
            merged("build:\n  base: python:3.8\n  prepare:\n    script: [a]\n  script: [x, y]\n", "build:\n  base: python:3.9\n  prepare:\n  script: [z]\n");
        assert_eq!(j, serde_json::json!({"build": {"base": "python:3.9", "script": ["z"]}}));
    }

    #[test]
    fn origin_follows_the_layer_that_set_the_value() {
        let mut base = parse("a:\n  b: 1\n  c: 2\n", "values.yaml").unwrap();
        merge(&mut base, parse("a:\n  c: 3\n", "values-prod.yaml").unwrap());
        assert_eq!(&*base.path("a.b").unwrap().origin.file, "values.yaml");
        assert_eq!(&*base.path("a.c").unwrap().origin.file, "values-prod.yaml");
    }

    #[test]
    fn scalar_replaces_map_and_map_replaces_scalar() {
        assert_eq!(merged("a: {b: 1}\n", "a: 2\n"), serde_json::json!({"a": 2}));
        assert_eq!(merged("a: 2\n", "a: {b: 1, c: null}\n"), serde_json::json!({"a": {"b": 1}}));
    }
}
