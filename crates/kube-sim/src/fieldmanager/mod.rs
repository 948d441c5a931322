//! Field ownership (`metadata.managedFields`) as the apiserver's field manager keeps it:
//! - an *update* (create, PUT, non-apply PATCH, `/scale`, `/status`) makes its manager own what
//!   it changed and takes those fields away from every other manager, never conflicting;
//! - an *apply* makes its manager own exactly the fields of the applied configuration; a field
//!   another manager owns whose value the apply would change is a conflict (409) unless
//!   `force=true`, which moves it over; fields this manager applied before and no longer does
//!   are removed from the object unless someone else still owns them.

pub mod fieldset;

use jiff::Timestamp;
use serde_json::{Value, json};

use crate::clock::fmt_time;
use crate::status::ApiError;
use fieldset::{Diff, FieldSet, Path, compare, display, from_fields_v1, of_object, to_fields_v1};

#[derive(Debug, Clone, PartialEq)]
pub struct Manager {
    pub name: String,
    /// "Apply" or "Update".
    pub operation: String,
    pub api_version: String,
    pub subresource: Option<String>,
    pub time: Option<String>,
    pub set: FieldSet,
}

impl Manager {
    /// The identity of a manager, as the apiserver builds it: the entry without time and
    /// fields (and without apiVersion for appliers), JSON-encoded.
    pub fn key(&self) -> String {
        let mut e = json!({"manager": self.name, "operation": self.operation});
        if self.operation != "Apply" {
            e["apiVersion"] = json!(self.api_version);
        }
        if let Some(s) = &self.subresource {
            e["subresource"] = json!(s);
        }
        e.to_string()
    }

    /// How conflict messages name a manager: `"kubectl"`, `"helm" with subresource "scale"`,
    /// `"kubectl-edit" using apps/v1`.
    pub fn describe(&self) -> String {
        let mut s = format!("{:?}", self.name);
        if let Some(sub) = &self.subresource {
            s = format!("{s} with subresource {sub:?}");
        }
        if self.operation == "Update" {
            s = format!("{s} using {}", self.api_version);
        }
        s
    }

    fn same(&self, name: &str, op: &str, sub: Option<&str>) -> bool {
        self.name == name && self.operation == op && self.subresource.as_deref() == sub
    }
}

/// The managers recorded on an object.
pub fn decode(obj: &Value) -> Vec<Manager> {
    obj.pointer("/metadata/managedFields")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|e| {
            let name = e.get("manager").and_then(Value::as_str)?.to_string();
            Some(Manager {
                name,
                operation: e.get("operation").and_then(Value::as_str).unwrap_or("Update").to_string(),
                api_version: e.get("apiVersion").and_then(Value::as_str).unwrap_or("").to_string(),
                subresource: e.get("subresource").and_then(Value::as_str).filter(|s| !s.is_empty()).map(String::from),
                time: e.get("time").and_then(Value::as_str).map(String::from),
                set: e.get("fieldsV1").map(from_fields_v1).unwrap_or_default(),
            })
        })
        .collect()
}

/// Writes the managers back, in the apiserver's order (appliers first, then updaters by time),
/// dropping those that own nothing.
pub fn encode(obj: &mut Value, managers: &[Manager]) {
    let mut ms: Vec<&Manager> = managers.iter().filter(|m| !m.set.is_empty()).collect();
    ms.sort_by(|a, b| (&a.operation, &a.time, &a.name, &a.api_version, &a.subresource).cmp(&(&b.operation, &b.time, &b.name, &b.api_version, &b.subresource)));
    let entries: Vec<Value> = ms
        .into_iter()
        .map(|m| {
            let mut e = json!({"manager": m.name, "operation": m.operation, "apiVersion": m.api_version});
            if let Some(t) = &m.time {
                e["time"] = json!(t);
            }
            e["fieldsType"] = json!("FieldsV1");
            e["fieldsV1"] = to_fields_v1(&m.set);
            if let Some(s) = &m.subresource {
                e["subresource"] = json!(s);
            }
            e
        })
        .collect();
    if !obj.get("metadata").is_some_and(Value::is_object) {
        obj["metadata"] = json!({});
    }
    if entries.is_empty() {
        obj["metadata"].as_object_mut().map(|m| m.remove("managedFields"));
    } else {
        obj["metadata"]["managedFields"] = json!(entries);
    }
}

/// Fields nobody owns: identity and server-maintained metadata, and whatever the operation's
/// endpoint resets (status for the main resource, everything but status for `/status`).
fn scoped(set: FieldSet, sub: Option<&str>, has_status: bool) -> FieldSet {
    let mut out = FieldSet::default();
    for p in set.0 {
        let first = p.first().map(String::as_str).unwrap_or("");
        if matches!(first, "f:apiVersion" | "f:kind" | "") {
            continue;
        }
        if first == "f:metadata"
            && p.get(1).is_some_and(|t| {
                matches!(
                    t.as_str(),
                    "f:name"
                        | "f:namespace"
                        | "f:uid"
                        | "f:resourceVersion"
                        | "f:generation"
                        | "f:creationTimestamp"
                        | "f:selfLink"
                        | "f:managedFields"
                        | "f:deletionTimestamp"
                        | "f:deletionGracePeriodSeconds"
                )
            })
        {
            continue;
        }
        if first == "f:metadata" && p.len() == 1 {
            continue;
        }
        let status = first == "f:status";
        if (sub == Some("status") && !status) || (sub != Some("status") && status && has_status) {
            continue;
        }
        out.insert(p);
    }
    out
}

/// The object without its managedFields (what ownership is computed over).
fn bare(obj: &Value) -> Value {
    let mut o = obj.clone();
    if let Some(m) = o.get_mut("metadata").and_then(Value::as_object_mut) {
        m.remove("managedFields");
    }
    o
}

fn diff(old: Option<&Value>, new: &Value, sub: Option<&str>, has_status: bool) -> Diff {
    let empty = json!({});
    let d = compare(&bare(old.unwrap_or(&empty)), &bare(new), old.is_none());
    Diff { added: scoped(d.added, sub, has_status), modified: scoped(d.modified, sub, has_status), removed: scoped(d.removed, sub, has_status) }
}

/// Records an update by `manager` that turned `old` (None: a creation) into `new`, on `new`.
/// The managers start from those the request carried, when it carried any (that is how a
/// client rewrites managedFields), else from the stored object's.
pub fn record_update(old: Option<&Value>, new: &mut Value, manager: &str, api_version: &str, sub: Option<&str>, has_status: bool, now: Timestamp) {
    let sent = decode(new);
    let mut managers = if sent.is_empty() { old.map(decode).unwrap_or_default() } else { sent };
    let d = diff(old, new, sub, has_status);
    let changed = d.changed();
    for m in managers.iter_mut().filter(|m| !m.same(manager, "Update", sub)) {
        m.set = m.set.difference(&changed).difference(&d.removed);
    }
    let took = !changed.is_empty();
    match managers.iter_mut().find(|m| m.same(manager, "Update", sub)) {
        Some(m) => {
            m.set = m.set.difference(&d.removed).union(&changed);
            if took {
                m.time = Some(fmt_time(now));
                m.api_version = api_version.to_string();
            }
        }
        None if took => managers.push(Manager {
            name: manager.to_string(),
            operation: "Update".into(),
            api_version: api_version.to_string(),
            subresource: sub.map(String::from),
            time: Some(fmt_time(now)),
            set: changed,
        }),
        None => {}
    }
    encode(new, &managers);
}

/// The set an applied configuration claims.
pub fn applied_set(config: &Value, sub: Option<&str>, has_status: bool) -> FieldSet {
    scoped(of_object(config), sub, has_status)
}

/// The object after removing what `manager` stopped applying: paths of its previous set that
/// no manager (the applier's new set included) owns now, or has anything below.
pub fn prune(merged: &mut Value, last: &FieldSet, managers: &[Manager]) {
    let owned = managers.iter().fold(FieldSet::default(), |acc, m| acc.union(&m.set));
    // Shallowest first: a list item goes with its fields; the key fields of an item that stays
    // stay too (they are its identity).
    for p in last.difference(&owned).0.iter() {
        if !owned.has_descendant(p) && !fieldset::is_item_key(p) {
            fieldset::remove(merged, p);
        }
    }
}

/// Applies `manager`'s ownership of `config` to the managers of `live`, given the object the
/// apply produces (`merged`, before defaulting). Conflicts are fields of other managers whose
/// value changes; with `force` they are taken over.
pub fn apply_ownership(
    live: &Value,
    merged: &Value,
    mut managers: Vec<Manager>,
    mgr: Manager,
    force: bool,
    has_status: bool,
) -> Result<Vec<Manager>, ApiError> {
    let sub = mgr.subresource.clone();
    let d = diff(Some(live), merged, sub.as_deref(), has_status);
    let changed = d.changed();
    let key = mgr.key();
    let mut conflicts: Vec<(String, String, Path)> = Vec::new();
    for m in managers.iter().filter(|m| m.key() != key) {
        for p in m.set.intersection(&changed).0 {
            conflicts.push((m.key(), m.describe(), p));
        }
    }
    if !conflicts.is_empty() && !force {
        return Err(conflict_error(conflicts));
    }
    for m in managers.iter_mut().filter(|m| m.key() != key) {
        m.set = m.set.difference(&changed).difference(&d.removed);
    }
    managers.retain(|m| m.key() != key);
    managers.push(mgr);
    Ok(managers)
}

fn conflict_error(mut conflicts: Vec<(String, String, Path)>) -> ApiError {
    conflicts.sort();
    let causes: Vec<Value> =
        conflicts.iter().map(|(_, who, p)| json!({"reason": "FieldManagerConflict", "message": format!("conflict with {who}"), "field": display(p)})).collect();
    let message = if let [(_, who, p)] = conflicts.as_slice() {
        format!("Apply failed with 1 conflict: conflict with {who}: {}", display(p))
    } else {
        let mut lines = Vec::new();
        let mut last = None;
        for (key, who, p) in &conflicts {
            if last != Some(key) {
                lines.push(format!("conflicts with {who}:"));
                last = Some(key);
            }
            lines.push(format!("- {}", display(p)));
        }
        format!("Apply failed with {} conflicts: {}", conflicts.len(), lines.join("\n"))
    };
    ApiError { code: 409, reason: "Conflict", message, details: Some(json!({"causes": causes})) }
}

#[cfg(test)]
mod tests;
