//! Deployment → ReplicaSets: one RS per pod template (named by `pod-template-hash`), rolling
//! updates within maxSurge / maxUnavailable or Recreate (new pods only once every old pod is
//! gone, terminating ones included), revision annotations, status and the
//! Available / Progressing conditions with the real reasons.

use jiff::Timestamp;
use serde_json::{Value, json};

use super::{
    controller_ref, equal_ignore_hash, get_condition, int, int_or_percent, is_terminating, owned_by, pod_phase, record_event, set_condition, template_hash,
};
use crate::clock::{fmt_time, secs_since};
use crate::resources::id;
use crate::store::{Store, meta_str, name_of};

const REVISION: &str = "deployment.kubernetes.io/revision";

fn revision(o: &Value) -> i64 {
    o.pointer("/metadata/annotations").and_then(|a| a.get(REVISION)).and_then(Value::as_str).and_then(|s| s.parse().ok()).unwrap_or(0)
}

fn scale_rs(store: &mut Store, now: Timestamp, d: &Value, rs: &Value, to: i64) {
    let from = int(rs, "/spec/replicas", 0);
    if from == to {
        return;
    }
    let rs_res = id("apps", "replicasets");
    let ns = meta_str(rs, "namespace").to_string();
    let want = int(d, "/spec/replicas", 1);
    store.modify(rs_res, &ns, name_of(rs), |o| {
        o["spec"]["replicas"] = json!(to);
        o["metadata"]["annotations"]["deployment.kubernetes.io/desired-replicas"] = json!(want.to_string());
    });
    let verb = if to > from { "up" } else { "down" };
    record_event(
        store,
        now,
        d,
        "Normal",
        "ScalingReplicaSet",
        &format!("Scaled {verb} replica set {} from {from} to {to}", name_of(rs)),
        "deployment-controller",
    );
}

pub fn reconcile(store: &mut Store, now: Timestamp) {
    let d_res = id("apps", "deployments");
    let rs_res = id("apps", "replicasets");
    for d in store.list_cloned(d_res, None) {
        if is_terminating(&d) {
            continue;
        }
        let ns = meta_str(&d, "namespace").to_string();
        let name = name_of(&d).to_string();
        let uid = meta_str(&d, "uid").to_string();
        let want = int(&d, "/spec/replicas", 1);
        let tmpl = d.pointer("/spec/template").cloned().unwrap_or(json!({}));
        let hash = template_hash(&tmpl);
        let mut all = owned_by(store, rs_res, &ns, &uid);
        let max_rev = all.iter().map(revision).max().unwrap_or(0);
        let paused = d.pointer("/spec/paused").and_then(Value::as_bool).unwrap_or(false);
        // The current ReplicaSet is the one whose template equals the Deployment's (a rollback
        // brings an old one back); the hash label only names it.
        let new_idx = all
            .iter()
            .position(|rs| rs.pointer("/spec/template").is_some_and(|t| equal_ignore_hash(t, &tmpl)))
            .or_else(|| all.iter().position(|rs| rs.pointer("/metadata/labels/pod-template-hash").and_then(Value::as_str) == Some(hash.as_str())));
        let mut created_new = false;
        let new_rs = match new_idx {
            Some(i) => {
                let rs = all.remove(i);
                // A rollback to an old template makes that RS the newest revision again.
                if revision(&rs) < max_rev && !paused {
                    store.modify(rs_res, &ns, name_of(&rs), |o| o["metadata"]["annotations"][REVISION] = json!((max_rev + 1).to_string()));
                }
                store.get(rs_res, &ns, name_of(&rs)).cloned()
            }
            None if paused => None,
            None => {
                let mut t = tmpl.clone();
                t["metadata"]["labels"]["pod-template-hash"] = json!(hash);
                let mut sel = d.pointer("/spec/selector").cloned().unwrap_or(json!({}));
                sel["matchLabels"]["pod-template-hash"] = json!(hash);
                let mut labels = tmpl.pointer("/metadata/labels").cloned().unwrap_or(json!({}));
                labels["pod-template-hash"] = json!(hash);
                let rs = json!({
                    "apiVersion": "apps/v1", "kind": "ReplicaSet",
                    "metadata": {
                        "name": format!("{name}-{hash}"), "labels": labels,
                        "annotations": {REVISION: (max_rev + 1).to_string(),
                                        "deployment.kubernetes.io/desired-replicas": want.to_string(),
                                        "deployment.kubernetes.io/max-replicas": want.to_string()},
                        "ownerReferences": [controller_ref(&d)],
                    },
                    "spec": {"replicas": 0, "minReadySeconds": int(&d, "/spec/minReadySeconds", 0), "selector": sel, "template": t},
                });
                created_new = true;
                store.create(rs_res, &ns, rs, now, None, false).ok()
            }
        };
        let old: Vec<Value> = all;
        if let Some(new) = &new_rs
            && !paused
        {
            roll(store, now, &d, new, &old, want);
        }
        status(store, now, &d, new_rs.as_ref().map(name_of).map(String::from), created_new);
        if let Some(new) = &new_rs {
            let rev = store.get(rs_res, &ns, name_of(new)).map(revision).unwrap_or(0);
            store.modify(d_res, &ns, &name, |o| o["metadata"]["annotations"][REVISION] = json!(rev.to_string()));
        }
        cleanup_history(store, &d, new_rs.as_ref());
    }
}

fn roll(store: &mut Store, now: Timestamp, d: &Value, new: &Value, old: &[Value], want: i64) {
    let strategy = d.pointer("/spec/strategy/type").and_then(Value::as_str).unwrap_or("RollingUpdate");
    let rs_res = id("apps", "replicasets");
    let ns = meta_str(d, "namespace").to_string();
    let fresh = |store: &Store, rs: &Value| store.get(rs_res, &ns, name_of(rs)).cloned().unwrap_or_else(|| rs.clone());
    if strategy == "Recreate" {
        // As the real controller (oldPodsRunning): an old pod counts until it is gone or has
        // finished, terminating ones included, so no new pod starts beside an old one.
        let pod_res = id("", "pods");
        let mut old_running = 0;
        for rs in old {
            scale_rs(store, now, d, rs, 0);
            let uid = meta_str(rs, "uid").to_string();
            old_running += owned_by(store, pod_res, &ns, &uid).iter().filter(|p| !matches!(pod_phase(p), "Succeeded" | "Failed")).count();
        }
        if old_running == 0 {
            scale_rs(store, now, d, new, want);
        }
        return;
    }
    let ru = d.pointer("/spec/strategy/rollingUpdate");
    let mut surge = int_or_percent(ru.and_then(|r| r.get("maxSurge")), want, true, "25%");
    let unavail = int_or_percent(ru.and_then(|r| r.get("maxUnavailable")), want, false, "25%");
    if surge == 0 && unavail == 0 {
        surge = 1;
    }
    let new = fresh(store, new);
    let new_spec = int(&new, "/spec/replicas", 0);
    let old_spec: i64 = old.iter().map(|rs| int(rs, "/spec/replicas", 0)).sum();
    // Scale up the new RS within maxSurge.
    if new_spec != want {
        let target = if old_spec == 0 || new_spec > want {
            want
        } else {
            let room = want + surge - (new_spec + old_spec);
            (new_spec + room.max(0)).min(want)
        };
        scale_rs(store, now, d, &new, target);
    }
    // Scale down old RSes as far as maxUnavailable allows.
    let new = fresh(store, &new);
    let new_spec = int(&new, "/spec/replicas", 0);
    let new_avail = int(&new, "/status/availableReplicas", 0);
    let min_available = want - unavail;
    let mut olds: Vec<Value> = old.iter().map(|rs| fresh(store, rs)).filter(|rs| int(rs, "/spec/replicas", 0) > 0).collect();
    olds.sort_by_key(|rs| meta_str(rs, "creationTimestamp").to_string());
    // Unhealthy old pods go first: they count for nothing.
    for rs in &olds {
        let spec = int(rs, "/spec/replicas", 0);
        let avail = int(rs, "/status/availableReplicas", 0);
        let total: i64 = new_spec + olds.iter().map(|r| int(&fresh(store, r), "/spec/replicas", 0)).sum::<i64>();
        let max_cleanup = total - min_available - (new_spec - new_avail);
        let unhealthy = spec - avail;
        let cut = unhealthy.min(max_cleanup).max(0);
        if cut > 0 {
            scale_rs(store, now, d, rs, spec - cut);
        }
    }
    let olds: Vec<Value> = olds.iter().map(|rs| fresh(store, rs)).collect();
    let all_avail: i64 = new_avail + olds.iter().map(|rs| int(rs, "/status/availableReplicas", 0)).sum::<i64>();
    let mut can_remove = all_avail - min_available;
    for rs in &olds {
        if can_remove <= 0 {
            break;
        }
        let spec = int(rs, "/spec/replicas", 0);
        let cut = spec.min(can_remove);
        if cut > 0 {
            scale_rs(store, now, d, rs, spec - cut);
            can_remove -= cut;
        }
    }
}

fn status(store: &mut Store, now: Timestamp, d: &Value, new_name: Option<String>, created_new: bool) {
    let d_res = id("apps", "deployments");
    let rs_res = id("apps", "replicasets");
    let ns = meta_str(d, "namespace").to_string();
    let uid = meta_str(d, "uid").to_string();
    let want = int(d, "/spec/replicas", 1);
    let all = owned_by(store, rs_res, &ns, &uid);
    let sum = |f: &str| all.iter().map(|rs| int(rs, f, 0)).sum::<i64>();
    let replicas = sum("/status/replicas");
    let ready = sum("/status/readyReplicas");
    let available = sum("/status/availableReplicas");
    let new = new_name.as_ref().and_then(|n| all.iter().find(|rs| name_of(rs) == n));
    let updated = new.map(|rs| int(rs, "/status/replicas", 0)).unwrap_or(0);
    let new_avail = new.map(|rs| int(rs, "/status/availableReplicas", 0)).unwrap_or(0);
    let ru = d.pointer("/spec/strategy/rollingUpdate");
    let unavail_allowed = if d.pointer("/spec/strategy/type").and_then(Value::as_str) == Some("Recreate") {
        0
    } else {
        int_or_percent(ru.and_then(|r| r.get("maxUnavailable")), want, false, "25%")
    };
    let ts = fmt_time(now);
    let mut st = d.get("status").cloned().unwrap_or(json!({}));
    let prev_counts = (int(&st, "/replicas", 0), int(&st, "/updatedReplicas", 0), int(&st, "/readyReplicas", 0), int(&st, "/availableReplicas", 0));
    st["observedGeneration"] = json!(int(d, "/metadata/generation", 1));
    st["replicas"] = json!(replicas);
    st["updatedReplicas"] = json!(updated);
    st["readyReplicas"] = json!(ready);
    st["availableReplicas"] = json!(available);
    st["unavailableReplicas"] = json!((replicas.max(want) - available).max(0));
    for f in ["replicas", "updatedReplicas", "readyReplicas", "availableReplicas", "unavailableReplicas"] {
        if st[f] == json!(0) {
            st.as_object_mut().map(|m| m.remove(f));
        }
    }
    if available >= want - unavail_allowed {
        set_condition(&mut st, "Available", "True", "MinimumReplicasAvailable", "Deployment has minimum availability.", &ts, true);
    } else {
        set_condition(&mut st, "Available", "False", "MinimumReplicasUnavailable", "Deployment does not have minimum availability.", &ts, true);
    }
    if let Some(n) = &new_name {
        let complete = updated == want && replicas == want && new_avail == want && available == want;
        let counts = (replicas, updated, ready, available);
        let prog = get_condition(&json!({"status": st.clone()}), "Progressing").cloned();
        let prev_reason = prog.as_ref().and_then(|c| c.get("reason")).and_then(Value::as_str).unwrap_or("").to_string();
        if complete {
            set_condition(&mut st, "Progressing", "True", "NewReplicaSetAvailable", &format!("ReplicaSet \"{n}\" has successfully progressed."), &ts, true);
        } else if created_new {
            set_condition(&mut st, "Progressing", "True", "NewReplicaSetCreated", &format!("Created new replica set \"{n}\""), &ts, true);
        } else if prev_reason == "ProgressDeadlineExceeded" && counts == prev_counts {
            // Stays timed out until something moves again.
        } else {
            let deadline = int(d, "/spec/progressDeadlineSeconds", 600);
            let last = prog.as_ref().and_then(|c| c.get("lastUpdateTime")).and_then(Value::as_str).unwrap_or("").to_string();
            let moved = counts != prev_counts || prev_reason == "NewReplicaSetAvailable";
            if moved || prog.is_none() {
                set_condition(&mut st, "Progressing", "True", "ReplicaSetUpdated", &format!("ReplicaSet \"{n}\" is progressing."), &ts, true);
                if let Some(c) = st["conditions"].as_array_mut().and_then(|a| a.iter_mut().find(|c| c["type"] == "Progressing")) {
                    c["lastUpdateTime"] = json!(ts);
                }
            } else if !last.is_empty() && secs_since(now, &last) > deadline as f64 {
                set_condition(
                    &mut st,
                    "Progressing",
                    "False",
                    "ProgressDeadlineExceeded",
                    &format!("ReplicaSet \"{n}\" has timed out progressing."),
                    &ts,
                    true,
                );
            }
        }
    }
    // Keep Available before Progressing, as the controller writes them.
    if let Some(conds) = st["conditions"].as_array_mut() {
        conds.sort_by_key(|c| if c["type"] == "Available" { 0 } else { 1 });
    }
    store.modify(d_res, &ns, name_of(d), |o| o["status"] = st);
}

/// Old, scaled-down ReplicaSets beyond revisionHistoryLimit are deleted, oldest first.
fn cleanup_history(store: &mut Store, d: &Value, new: Option<&Value>) {
    let rs_res = id("apps", "replicasets");
    let ns = meta_str(d, "namespace").to_string();
    let limit = int(d, "/spec/revisionHistoryLimit", 10).max(0) as usize;
    let new_name = new.map(name_of).unwrap_or("");
    let mut old: Vec<Value> = owned_by(store, rs_res, &ns, meta_str(d, "uid"))
        .into_iter()
        .filter(|rs| name_of(rs) != new_name && int(rs, "/spec/replicas", 0) == 0 && int(rs, "/status/replicas", 0) == 0)
        .collect();
    if old.len() <= limit {
        return;
    }
    old.sort_by_key(revision);
    let n = old.len() - limit;
    for rs in old.iter().take(n) {
        let _ = store.delete(rs_res, &ns, name_of(rs), None, None, None, Timestamp::now(), false);
    }
}
