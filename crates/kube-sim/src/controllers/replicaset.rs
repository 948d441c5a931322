//! ReplicaSet: keeps `spec.replicas` pods from the template, reports ready / available counts.

use jiff::Timestamp;
use serde_json::{Value, json};

use super::{int, is_terminating, owned_by, pod_available, pod_from_template, pod_phase, pod_ready, record_event};
use crate::resources::id;
use crate::store::{Store, meta_str, name_of};

pub fn reconcile(store: &mut Store, now: Timestamp) {
    let rs_res = id("apps", "replicasets");
    let pod_res = id("", "pods");
    for rs in store.list_cloned(rs_res, None) {
        if is_terminating(&rs) {
            continue;
        }
        let ns = meta_str(&rs, "namespace").to_string();
        let name = name_of(&rs).to_string();
        let uid = meta_str(&rs, "uid").to_string();
        let want = int(&rs, "/spec/replicas", 1);
        let min_ready = int(&rs, "/spec/minReadySeconds", 0);
        let pods: Vec<Value> =
            owned_by(store, pod_res, &ns, &uid).into_iter().filter(|p| !is_terminating(p) && !matches!(pod_phase(p), "Succeeded" | "Failed")).collect();
        let have = pods.len() as i64;
        if have < want {
            let tmpl = rs.pointer("/spec/template").cloned().unwrap_or(json!({}));
            for _ in 0..(want - have) {
                let pod = pod_from_template(&tmpl, None, &format!("{name}-"), &rs, &[]);
                if let Ok(p) = store.create(pod_res, &ns, pod, now, None, false) {
                    record_event(store, now, &rs, "Normal", "SuccessfulCreate", &format!("Created pod: {}", name_of(&p)), "replicaset-controller");
                }
            }
        } else if have > want {
            // Delete the least useful first: not scheduled, not ready, then the newest.
            let mut victims = pods.clone();
            victims.sort_by_key(|p| (p.pointer("/spec/nodeName").is_some(), pod_ready(p), std::cmp::Reverse(meta_str(p, "creationTimestamp").to_string())));
            for p in victims.iter().take((have - want) as usize) {
                let pn = name_of(p).to_string();
                if store.delete(pod_res, &ns, &pn, None, None, None, now, false).is_ok() {
                    record_event(store, now, &rs, "Normal", "SuccessfulDelete", &format!("Deleted pod: {pn}"), "replicaset-controller");
                }
            }
        }
        let pods: Vec<Value> =
            owned_by(store, pod_res, &ns, &uid).into_iter().filter(|p| !is_terminating(p) && !matches!(pod_phase(p), "Succeeded" | "Failed")).collect();
        let ready = pods.iter().filter(|p| pod_ready(p)).count() as i64;
        let available = pods.iter().filter(|p| pod_available(p, min_ready, now)).count() as i64;
        let generation = int(&rs, "/metadata/generation", 1);
        let mut status = json!({"replicas": pods.len(), "fullyLabeledReplicas": pods.len(), "observedGeneration": generation});
        if ready > 0 {
            status["readyReplicas"] = json!(ready);
        }
        if available > 0 {
            status["availableReplicas"] = json!(available);
        }
        if pods.is_empty() {
            status.as_object_mut().map(|m| m.remove("fullyLabeledReplicas"));
        }
        store.modify(rs_res, &ns, &name, |o| o["status"] = status);
    }
}
