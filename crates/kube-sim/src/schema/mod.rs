//! Which fields each served kind has, and what the server does with the others
//! (`fieldValidation`): the real apiserver decodes into its Go types, so an unknown field is
//! dropped (Ignore), dropped with a `Warning` header (Warn, the default), or rejected (Strict);
//! server-side apply rejects it always. Shapes come from the k8s-openapi types (see `extract`).

mod extract;

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::fieldmanager::fieldset;
use k8s_openapi::api::{apps, autoscaling, batch, core, discovery, networking, policy};
use serde_json::Value;

pub use extract::{Leaf, Node};

/// The shape of a kind, `None` for kinds served without a schema (metrics).
pub fn shape(kind: &str) -> Option<&'static Node> {
    static SHAPES: OnceLock<HashMap<&'static str, Node>> = OnceLock::new();
    SHAPES.get_or_init(build).get(kind)
}

fn build() -> HashMap<&'static str, Node> {
    macro_rules! kinds {
        ($($kind:literal => $api:literal, $t:ty);* $(;)?) => {{
            let mut m = HashMap::new();
            $(
                // A shape that cannot be read is a bug in this module, caught by its tests;
                // at run time the kind is just served without unknown-field checks.
                if let Ok(n) = extract::shape::<$t>($api, $kind) {
                    m.insert($kind, n);
                }
            )*
            m
        }};
    }
    kinds! {
        "Namespace" => "v1", core::v1::Namespace;
        "Node" => "v1", core::v1::Node;
        "Secret" => "v1", core::v1::Secret;
        "ConfigMap" => "v1", core::v1::ConfigMap;
        "Service" => "v1", core::v1::Service;
        "Pod" => "v1", core::v1::Pod;
        "Event" => "v1", core::v1::Event;
        "ServiceAccount" => "v1", core::v1::ServiceAccount;
        "Endpoints" => "v1", core::v1::Endpoints;
        "PersistentVolumeClaim" => "v1", core::v1::PersistentVolumeClaim;
        "Deployment" => "apps/v1", apps::v1::Deployment;
        "ReplicaSet" => "apps/v1", apps::v1::ReplicaSet;
        "StatefulSet" => "apps/v1", apps::v1::StatefulSet;
        "Job" => "batch/v1", batch::v1::Job;
        "CronJob" => "batch/v1", batch::v1::CronJob;
        "Ingress" => "networking.k8s.io/v1", networking::v1::Ingress;
        "NetworkPolicy" => "networking.k8s.io/v1", networking::v1::NetworkPolicy;
        "HorizontalPodAutoscaler" => "autoscaling/v2", autoscaling::v2::HorizontalPodAutoscaler;
        "PodDisruptionBudget" => "policy/v1", policy::v1::PodDisruptionBudget;
        "EndpointSlice" => "discovery.k8s.io/v1", discovery::v1::EndpointSlice;
    }
}

/// One step into a JSON document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Key(String),
    Index(usize),
}

/// A field the kind does not have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unknown {
    pub at: Vec<Step>,
}

impl Unknown {
    /// As the JSON decoder names it: `spec.template.spec.containers[0].foo`.
    pub fn json_path(&self) -> String {
        let mut s = String::new();
        for st in &self.at {
            match st {
                Step::Key(k) => {
                    if !s.is_empty() {
                        s.push('.');
                    }
                    s.push_str(k);
                }
                Step::Index(i) => s.push_str(&format!("[{i}]")),
            }
        }
        s
    }

    /// As server-side apply's typed conversion names it: `.spec.template.spec.containers[name="web"].foo`.
    pub fn apply_path(&self, obj: &Value) -> String {
        let mut s = String::new();
        let mut cur = Some(obj);
        let mut names: Vec<String> = Vec::new();
        for st in &self.at {
            match st {
                Step::Key(k) => {
                    s.push('.');
                    s.push_str(k);
                    names.push(k.clone());
                    cur = cur.and_then(|c| c.get(k));
                }
                Step::Index(i) => {
                    let item = cur.and_then(|c| c.get(*i));
                    let (parent, field) = names.split_at(names.len().saturating_sub(1));
                    let tok = item.zip(field.first()).and_then(|(item, f)| fieldset::item_token(parent, f, item));
                    match tok {
                        Some(tok) => s.push_str(&fieldset::display(&vec![tok])),
                        None => s.push_str(&format!("[{i}]")),
                    }
                    cur = item;
                }
            }
        }
        s
    }
}

/// The fields of `obj` that its kind does not have, in document order.
pub fn unknown_fields(kind: &str, obj: &Value) -> Vec<Unknown> {
    let mut out = Vec::new();
    if let Some(n) = shape(kind) {
        walk(n, obj, &mut Vec::new(), &mut out);
    }
    out
}

fn walk(n: &Node, v: &Value, at: &mut Vec<Step>, out: &mut Vec<Unknown>) {
    match (n, v) {
        (Node::Struct(_, fields), Value::Object(m)) => {
            for (k, child) in m {
                at.push(Step::Key(k.clone()));
                match fields.iter().find(|(f, _)| f == k) {
                    Some((_, fnode)) => walk(fnode, child, at, out),
                    None => out.push(Unknown { at: at.clone() }),
                }
                at.pop();
            }
        }
        (Node::Map(inner), Value::Object(m)) => {
            for (k, child) in m {
                at.push(Step::Key(k.clone()));
                walk(inner, child, at, out);
                at.pop();
            }
        }
        (Node::Seq(inner), Value::Array(items)) => {
            for (i, child) in items.iter().enumerate() {
                at.push(Step::Index(i));
                walk(inner, child, at, out);
                at.pop();
            }
        }
        _ => {}
    }
}

/// The first value of the wrong JSON type, as the apiserver's JSON decoder words it:
/// `json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type
/// int32` (the innermost Go struct, then the field path without list indices or map keys).
/// `null` is accepted anywhere (it decodes to the zero value), as are numbers and strings for
/// int-or-string and quantity fields.
pub fn type_error(kind: &str, obj: &Value) -> Option<String> {
    let n = shape(kind)?;
    let Node::Struct(name, _) = n else { return None };
    type_walk(n, obj, name, &mut Vec::new())
}

fn type_walk<'a>(n: &'a Node, v: &'a Value, owner: &'a str, path: &mut Vec<&'a str>) -> Option<String> {
    match (n, v) {
        (_, Value::Null) => None,
        (Node::Struct(name, fields), Value::Object(m)) => m.iter().find_map(|(k, child)| {
            let (f, fnode) = fields.iter().find(|(f, _)| f == k)?;
            path.push(f);
            let e = type_walk(fnode, child, name, path);
            path.pop();
            e
        }),
        (Node::Map(inner), Value::Object(m)) => m.values().find_map(|child| type_walk(inner, child, owner, path)),
        (Node::Seq(inner), Value::Array(items)) => items.iter().find_map(|child| type_walk(inner, child, owner, path)),
        (Node::Leaf(l), v) if leaf_accepts(*l, v) => None,
        _ => {
            let found = match v {
                Value::String(_) => "string".to_string(),
                Value::Bool(_) => "bool".to_string(),
                Value::Array(_) => "array".to_string(),
                Value::Object(_) => "object".to_string(),
                // Go names the literal when a number does not fit: `number 1.5`.
                Value::Number(x) if matches!(n, Node::Leaf(Leaf::Int32 | Leaf::Int64)) => format!("number {x}"),
                _ => "number".to_string(),
            };
            Some(format!("json: cannot unmarshal {found} into Go struct field {owner}.{} of type {}", path.join("."), go_type(n)))
        }
    }
}

fn leaf_accepts(l: Leaf, v: &Value) -> bool {
    match l {
        Leaf::String | Leaf::DateTime | Leaf::Bytes => v.is_string(),
        Leaf::Int32 => v.as_i64().is_some_and(|i| i32::try_from(i).is_ok()),
        Leaf::Int64 => v.is_i64(),
        Leaf::Number => v.is_number(),
        Leaf::Boolean => v.is_boolean(),
        Leaf::IntOrString => v.is_string() || v.as_i64().is_some_and(|i| i32::try_from(i).is_ok()),
        Leaf::Quantity => v.is_string() || v.is_number(),
        Leaf::Object => true,
    }
}

/// The Go type of a node as the decoder prints it (`int32`, `[]v1.Container`, `v1.PodSpec`).
fn go_type(n: &Node) -> String {
    match n {
        Node::Struct(name, _) => format!("v1.{name}"),
        Node::Map(inner) => format!("map[string]{}", go_type(inner)),
        Node::Seq(inner) => format!("[]{}", go_type(inner)),
        Node::Leaf(l) => match l {
            Leaf::String => "string",
            Leaf::DateTime => "v1.Time",
            Leaf::Bytes => "[]uint8",
            Leaf::Int32 => "int32",
            Leaf::Int64 => "int64",
            Leaf::Number => "float64",
            Leaf::Boolean => "bool",
            Leaf::IntOrString => "intstr.IntOrString",
            Leaf::Quantity => "resource.Quantity",
            Leaf::Object => "runtime.RawExtension",
        }
        .to_string(),
    }
}

/// Drops unknown fields, as decoding into the Go types does.
pub fn drop_unknown(obj: &mut Value, unknown: &[Unknown]) {
    for u in unknown {
        let Some((Step::Key(last), parent)) = u.at.split_last() else { continue };
        if let Some(m) = node_mut(obj, parent).and_then(Value::as_object_mut) {
            m.remove(last);
        }
    }
}

fn node_mut<'a>(v: &'a mut Value, at: &[Step]) -> Option<&'a mut Value> {
    match at.split_first() {
        None => Some(v),
        Some((Step::Key(k), rest)) => node_mut(v.get_mut(k)?, rest),
        Some((Step::Index(i), rest)) => node_mut(v.get_mut(*i)?, rest),
    }
}

#[cfg(test)]
mod tests;
