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
        (Node::Struct(fields), Value::Object(m)) => {
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
