//! Simulated control plane: controllers that run, one pass after another, over the store under
//! its lock, using simulated time. Each controller only writes when something changed, so idle
//! passes do not bump resourceVersions.

pub mod cronjob;
pub mod deployment;
pub mod endpoints;
pub mod gc;
pub mod job;
pub mod replicaset;
pub mod statefulset;

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use crate::Shared;
use crate::resources::id;
use crate::store::Store;

/// Objects every cluster has: the standard namespaces and one node.
pub fn bootstrap(shared: &Shared) {
    let now = shared.clock.now();
    let mut store = shared.store();
    for ns in ["default", "kube-system", "kube-public", "kube-node-lease"] {
        let _ = store.create(id("", "namespaces"), "", json!({"metadata": {"name": ns}}), now, None, false);
    }
    let node = json!({
        "metadata": {"name": "kube-sim-node", "labels": {"kubernetes.io/hostname": "kube-sim-node", "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64"}},
        "status": {
            "capacity": {"cpu": "8", "memory": "32Gi", "pods": "250"},
            "allocatable": {"cpu": "8", "memory": "32Gi", "pods": "250"},
            "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady", "message": "kubelet is posting ready status"}],
            "nodeInfo": {"kubeletVersion": "v1.33.0-kube-sim", "osImage": "kube-sim", "containerRuntimeVersion": "sim://1", "architecture": "amd64", "operatingSystem": "linux"},
            "addresses": [{"type": "InternalIP", "address": "127.0.0.1"}, {"type": "Hostname", "address": "kube-sim-node"}]
        }
    });
    let _ = store.create(id("", "nodes"), "", node, now, None, false);
    namespaces(&mut store, now);
}

/// Runs controller passes every `tick` of real time until shutdown.
pub async fn run(shared: Arc<Shared>, tick: Duration) {
    let mut stop = shared.shutdown.subscribe();
    loop {
        // A pause of `tick` after each pass, not a pass every `tick`: a pass holds the store for
        // its whole length (tens of ms with hundreds of pods), and passes back to back would
        // leave API requests waiting on the lock for seconds.
        tokio::select! {
            _ = tokio::time::sleep(tick) => {}
            _ = stop.changed() => return,
        }
        let seq = shared.pass_started.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        let quiet = pass(&shared);
        shared.passes.send_replace(crate::PassDone { seq, quiet });
    }
}

/// One pass of every controller; true when it changed nothing.
pub fn pass(shared: &Shared) -> bool {
    let now = shared.clock.now();
    let mut store = shared.store();
    let rv_before = store.rv;
    namespaces(&mut store, now);
    deployment::reconcile(&mut store, now);
    replicaset::reconcile(&mut store, now);
    statefulset::reconcile(&mut store, now);
    cronjob::reconcile(&mut store, now);
    job::reconcile(&mut store, now);
    let logs = crate::kubelet::reconcile(shared, &mut store, now);
    endpoints::reconcile(&mut store, now);
    gc::reconcile(&mut store, now);
    let quiet = store.rv == rv_before && logs.is_empty();
    drop(store);
    crate::kubelet::flush_logs(shared, logs);
    quiet
}

/// The ServiceAccount controller's `default` account in each namespace.
fn namespaces(store: &mut Store, now: jiff::Timestamp) {
    let ns_res = id("", "namespaces");
    let sa = id("", "serviceaccounts");
    let names: Vec<String> = store
        .list(ns_res, None)
        .into_iter()
        .filter(|n| n.pointer("/status/phase").and_then(Value::as_str) == Some("Active"))
        .map(|n| crate::store::name_of(n).to_string())
        .collect();
    for ns in names {
        if store.get(sa, &ns, "default").is_none() {
            let _ = store.create(sa, &ns, json!({"metadata": {"name": "default"}}), now, None, false);
        }
    }
}

/// An ownerReference to `owner` marking it as the controller.
pub fn controller_ref(owner: &Value) -> Value {
    json!({
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"],
        "controller": true,
        "blockOwnerDeletion": true,
    })
}

/// Objects of `res` in `ns` controlled by the object with this uid.
pub fn owned_by(store: &Store, res: crate::resources::ResId, ns: &str, uid: &str) -> Vec<Value> {
    store
        .list(res, Some(ns))
        .into_iter()
        .filter(|o| {
            o.pointer("/metadata/ownerReferences").and_then(Value::as_array).is_some_and(|refs| {
                refs.iter().any(|r| r.get("uid").and_then(Value::as_str) == Some(uid) && r.get("controller").and_then(Value::as_bool) == Some(true))
            })
        })
        .cloned()
        .collect()
}

/// Sets (or updates) a condition, keeping lastTransitionTime when the status did not change.
pub fn set_condition(status: &mut Value, typ: &str, st: &str, reason: &str, message: &str, now: &str, with_update_time: bool) {
    if !status.get("conditions").is_some_and(Value::is_array) {
        status["conditions"] = json!([]);
    }
    let conds = status["conditions"].as_array_mut().expect("made an array above");
    let existing = conds.iter_mut().find(|c| c.get("type").and_then(Value::as_str) == Some(typ));
    match existing {
        Some(c) => {
            let changed_status = c.get("status").and_then(Value::as_str) != Some(st);
            let changed =
                changed_status || c.get("reason").and_then(Value::as_str) != Some(reason) || c.get("message").and_then(Value::as_str) != Some(message);
            if changed_status {
                c["lastTransitionTime"] = json!(now);
            }
            if changed && with_update_time {
                c["lastUpdateTime"] = json!(now);
            }
            c["status"] = json!(st);
            c["reason"] = json!(reason);
            c["message"] = json!(message);
        }
        None => {
            let mut c = json!({"type": typ, "status": st, "lastTransitionTime": now, "reason": reason, "message": message});
            if with_update_time {
                c["lastUpdateTime"] = json!(now);
            }
            conds.push(c);
        }
    }
}

pub fn get_condition<'a>(obj: &'a Value, typ: &str) -> Option<&'a Value> {
    obj.pointer("/status/conditions")?.as_array()?.iter().find(|c| c.get("type").and_then(Value::as_str) == Some(typ))
}

/// Simulated seconds before an identical event is counted again (the scheduler's retry back-off
/// and the default probe period are both 10 s).
const EVENT_REPEAT_SECS: f64 = 10.0;

/// Records a core/v1 Event about an object, aggregating repeats into `count`.
pub fn record_event(store: &mut Store, now: jiff::Timestamp, obj: &Value, typ: &str, reason: &str, message: &str, component: &str) {
    record_event_at(store, now, obj, None, typ, reason, message, component);
}

/// [`record_event`] about a part of the object (`spec.containers{web}`), as the kubelet
/// reports container events.
#[allow(clippy::too_many_arguments)]
pub fn record_event_at(
    store: &mut Store,
    now: jiff::Timestamp,
    obj: &Value,
    field_path: Option<&str>,
    typ: &str,
    reason: &str,
    message: &str,
    component: &str,
) {
    let ev_res = id("", "events");
    let ns = crate::store::meta_str(obj, "namespace").to_string();
    let ns = if ns.is_empty() { "default".to_string() } else { ns };
    let name = crate::store::name_of(obj).to_string();
    let uid = crate::store::meta_str(obj, "uid").to_string();
    let ts = crate::clock::fmt_time(now);
    // Same object + reason + message: bump the existing event, as the event recorder does.
    let existing = store.list(ev_res, Some(&ns)).into_iter().find(|e| {
        e.pointer("/involvedObject/uid").and_then(Value::as_str) == Some(uid.as_str())
            && e.pointer("/involvedObject/fieldPath").and_then(Value::as_str) == field_path
            && e.get("reason").and_then(Value::as_str) == Some(reason)
            && e.get("message").and_then(Value::as_str) == Some(message)
    });
    // A condition that persists (unschedulable, failing probe) is reported again on every
    // retry or probe, which the real components do every few seconds, not on every pass.
    if existing.and_then(|e| e.get("lastTimestamp")).and_then(Value::as_str).is_some_and(|t| crate::clock::secs_since(now, t) < EVENT_REPEAT_SECS) {
        return;
    }
    let existing = existing.map(|e| crate::store::name_of(e).to_string());
    if let Some(en) = existing {
        store.modify(ev_res, &ns, &en, |e| {
            let c = e.get("count").and_then(Value::as_i64).unwrap_or(1);
            e["count"] = json!(c + 1);
            e["lastTimestamp"] = json!(ts);
        });
        return;
    }
    // The recorder names events NAME.<nanoseconds in hex>, so names sort in time order; several
    // events of one pass share a timestamp here, so the low bits count writes instead.
    let suffix = format!("{:x}", (now.as_nanosecond() as u64 & 0xffff_ffff_0000_0000) | (store.rv & 0xffff_ffff));
    let ev = json!({
        "metadata": {"name": format!("{name}.{suffix}"), "namespace": ns},
        "involvedObject": {"kind": obj["kind"], "namespace": ns, "name": name, "uid": uid,
                           "apiVersion": obj["apiVersion"], "resourceVersion": obj["metadata"]["resourceVersion"]},
        "reason": reason,
        "message": message,
        "source": {"component": component},
        "firstTimestamp": ts,
        "lastTimestamp": ts,
        "count": 1,
        "type": typ,
        "eventTime": null,
        "reportingComponent": component,
        "reportingInstance": "",
    });
    let mut ev = ev;
    if let Some(p) = field_path {
        ev["involvedObject"]["fieldPath"] = json!(p);
    }
    if component == "kubelet" {
        ev["source"]["host"] = json!(crate::kubelet::NODE);
        ev["reportingInstance"] = json!(crate::kubelet::NODE);
    }
    let _ = store.create(ev_res, &ns, ev, now, None, false);
}

/// A stable short hash of a pod template, spelled with the apiserver's "safe" alphabet, as
/// `pod-template-hash` / `controller-revision-hash` values look.
pub fn template_hash(tmpl: &Value) -> String {
    // Over the keys in sorted order: the same template written by different clients (kubectl
    // serialises Go structs, a rollback copies a ReplicaSet's) must hash alike.
    let mut h: u64 = 0xcbf29ce484222325;
    for b in canonical(tmpl).to_string().bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x100000001b3);
    }
    const ALPHA: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let mut s = String::new();
    let mut x = h;
    for _ in 0..10 {
        s.push(ALPHA[(x % ALPHA.len() as u64) as usize] as char);
        x /= ALPHA.len() as u64;
    }
    s
}

/// Keys sorted, null fields gone (decoding into the Go types makes null and absent the same;
/// kubectl sends `creationTimestamp: null` in every template it writes).
fn canonical(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().filter(|k| !m[*k].is_null()).collect();
            keys.sort();
            Value::Object(keys.into_iter().map(|k| (k.clone(), canonical(&m[k]))).collect())
        }
        Value::Array(a) => Value::Array(a.iter().map(canonical).collect()),
        other => other.clone(),
    }
}

/// Whether a ReplicaSet's pod template is the Deployment's, apart from the pod-template-hash
/// label the controller adds (the real controller's `EqualIgnoreHash`).
pub fn equal_ignore_hash(rs_template: &Value, template: &Value) -> bool {
    let strip = |t: &Value| {
        let mut t = t.clone();
        if let Some(l) = t.pointer_mut("/metadata/labels").and_then(Value::as_object_mut) {
            l.remove("pod-template-hash");
            if l.is_empty() {
                t["metadata"].as_object_mut().map(|m| m.remove("labels"));
            }
        }
        t
    };
    canonical(&strip(rs_template)) == canonical(&strip(template))
}

/// A Pod built from a pod template, owned by `owner`.
pub fn pod_from_template(tmpl: &Value, name: Option<&str>, generate_name: &str, owner: &Value, extra_labels: &[(&str, String)]) -> Value {
    let mut labels = tmpl.pointer("/metadata/labels").cloned().unwrap_or(json!({}));
    for (k, v) in extra_labels {
        labels[*k] = json!(v);
    }
    let mut meta = json!({
        "labels": labels,
        "ownerReferences": [controller_ref(owner)],
    });
    match name {
        Some(n) => meta["name"] = json!(n),
        None => meta["generateName"] = json!(generate_name),
    }
    if let Some(a) = tmpl.pointer("/metadata/annotations") {
        meta["annotations"] = a.clone();
    }
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": tmpl.get("spec").cloned().unwrap_or(json!({}))})
}

pub fn is_terminating(o: &Value) -> bool {
    o.pointer("/metadata/deletionTimestamp").is_some()
}

pub fn pod_phase(o: &Value) -> &str {
    o.pointer("/status/phase").and_then(Value::as_str).unwrap_or("Pending")
}

pub fn pod_ready(o: &Value) -> bool {
    get_condition(o, "Ready").and_then(|c| c.get("status")).and_then(Value::as_str) == Some("True")
}

/// Ready for at least `min_ready` seconds (the "available" of Deployments / ReplicaSets).
pub fn pod_available(o: &Value, min_ready: i64, now: jiff::Timestamp) -> bool {
    if !pod_ready(o) || is_terminating(o) {
        return false;
    }
    if min_ready <= 0 {
        return true;
    }
    let since = get_condition(o, "Ready").and_then(|c| c.get("lastTransitionTime")).and_then(Value::as_str).unwrap_or("");
    crate::clock::secs_since(now, since) >= min_ready as f64
}

pub fn int(o: &Value, ptr: &str, default: i64) -> i64 {
    o.pointer(ptr).and_then(Value::as_i64).unwrap_or(default)
}

/// Resolves an int-or-percent (maxSurge / maxUnavailable) against `total`.
pub fn int_or_percent(v: Option<&Value>, total: i64, round_up: bool, default: &str) -> i64 {
    let v = v.cloned().unwrap_or(json!(default));
    match &v {
        Value::Number(n) => n.as_i64().unwrap_or(0),
        Value::String(s) => match s.strip_suffix('%').and_then(|p| p.parse::<f64>().ok()) {
            Some(p) => {
                let x = p * total as f64 / 100.0;
                if round_up { x.ceil() as i64 } else { x.floor() as i64 }
            }
            None => s.parse().unwrap_or(0),
        },
        _ => 0,
    }
}
