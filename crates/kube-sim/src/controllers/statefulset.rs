//! StatefulSet: stable pod names `NAME-i`, per-ordinal PVCs from volumeClaimTemplates,
//! OrderedReady (one at a time, in order) or Parallel management, reverse-ordinal rolling
//! updates honouring `partition`, and revision-tracking status.

use jiff::Timestamp;
use serde_json::{Value, json};

use super::{controller_ref, int, is_terminating, owned_by, pod_from_template, pod_ready, record_event, template_hash};
use crate::resources::id;
use crate::store::{Store, meta_str, name_of};

const REV: &str = "controller-revision-hash";

fn ordinal(sts: &str, pod: &Value) -> Option<i64> {
    name_of(pod).strip_prefix(sts)?.strip_prefix('-')?.parse().ok()
}

fn rev(p: &Value) -> &str {
    p.pointer("/metadata/labels").and_then(|l| l.get(REV)).and_then(Value::as_str).unwrap_or("")
}

pub fn reconcile(store: &mut Store, now: Timestamp) {
    let sts_res = id("apps", "statefulsets");
    let pod_res = id("", "pods");
    let pvc_res = id("", "persistentvolumeclaims");
    for sts in store.list_cloned(sts_res, None) {
        if is_terminating(&sts) {
            continue;
        }
        let ns = meta_str(&sts, "namespace").to_string();
        let name = name_of(&sts).to_string();
        let uid = meta_str(&sts, "uid").to_string();
        let want = int(&sts, "/spec/replicas", 1);
        let ordered = sts.pointer("/spec/podManagementPolicy").and_then(Value::as_str) != Some("Parallel");
        let tmpl = sts.pointer("/spec/template").cloned().unwrap_or(json!({}));
        let update_rev = format!("{name}-{}", template_hash(&tmpl));
        let pods: Vec<Value> = owned_by(store, pod_res, &ns, &uid);
        let live: Vec<&Value> = pods.iter().filter(|p| !is_terminating(p)).collect();
        let by_ord = |i: i64| live.iter().find(|p| ordinal(&name, p) == Some(i)).copied();
        let any_terminating = pods.iter().any(is_terminating);

        // Scale up, in ordinal order.
        for i in 0..want {
            if by_ord(i).is_some() {
                continue;
            }
            if ordered && (any_terminating || (0..i).any(|j| !by_ord(j).is_some_and(pod_ready))) {
                break;
            }
            if pods.iter().any(|p| ordinal(&name, p) == Some(i)) {
                break; // the old instance is still terminating
            }
            let pod_name = format!("{name}-{i}");
            let mut pod = pod_from_template(
                &tmpl,
                Some(&pod_name),
                "",
                &sts,
                &[(REV, update_rev.clone()), ("statefulset.kubernetes.io/pod-name", pod_name.clone()), ("apps.kubernetes.io/pod-index", i.to_string())],
            );
            pod["spec"]["hostname"] = json!(pod_name);
            if let Some(svc) = sts.pointer("/spec/serviceName").and_then(Value::as_str) {
                pod["spec"]["subdomain"] = json!(svc);
            }
            for t in sts.pointer("/spec/volumeClaimTemplates").and_then(Value::as_array).cloned().unwrap_or_default() {
                let tname = t.pointer("/metadata/name").and_then(Value::as_str).unwrap_or("data").to_string();
                let claim = format!("{tname}-{name}-{i}");
                if store.get(pvc_res, &ns, &claim).is_none() {
                    let mut pvc = json!({"metadata": {"name": claim, "labels": tmpl.pointer("/metadata/labels").cloned().unwrap_or(json!({}))},
                                         "spec": t.get("spec").cloned().unwrap_or(json!({}))});
                    pvc["metadata"]["labels"]["app.kubernetes.io/pvc-of"] = json!(name);
                    let _ = store.create(pvc_res, &ns, pvc, now, None, false);
                }
                let vols = pod["spec"]["volumes"].as_array().cloned().unwrap_or_default();
                if !vols.iter().any(|v| v["name"] == json!(tname)) {
                    let mut vols = vols;
                    vols.push(json!({"name": tname, "persistentVolumeClaim": {"claimName": claim}}));
                    pod["spec"]["volumes"] = json!(vols);
                }
            }
            if store.create(pod_res, &ns, pod, now, None, false).is_ok() {
                record_event(
                    store,
                    now,
                    &sts,
                    "Normal",
                    "SuccessfulCreate",
                    &format!("create Pod {pod_name} in StatefulSet {name} successful"),
                    "statefulset-controller",
                );
            }
            if ordered {
                break;
            }
        }
        // Scale down, highest ordinal first.
        let mut extra: Vec<&Value> = live.iter().copied().filter(|p| ordinal(&name, p).is_some_and(|i| i >= want)).collect();
        extra.sort_by_key(|p| std::cmp::Reverse(ordinal(&name, p)));
        for p in extra.iter().take(if ordered { 1 } else { usize::MAX }) {
            if ordered && any_terminating {
                break;
            }
            let pn = name_of(p).to_string();
            if store.delete(pod_res, &ns, &pn, None, None, None, now, false).is_ok() {
                record_event(
                    store,
                    now,
                    &sts,
                    "Normal",
                    "SuccessfulDelete",
                    &format!("delete Pod {pn} in StatefulSet {name} successful"),
                    "statefulset-controller",
                );
            }
        }
        // Rolling update: replace the highest outdated ordinal at/above the partition once all
        // pods are ready.
        let strategy = sts.pointer("/spec/updateStrategy/type").and_then(Value::as_str).unwrap_or("RollingUpdate");
        let partition = int(&sts, "/spec/updateStrategy/rollingUpdate/partition", 0);
        let current: Vec<&Value> = live.iter().copied().filter(|p| ordinal(&name, p).is_some_and(|i| i < want)).collect();
        if strategy == "RollingUpdate" && !any_terminating && current.len() as i64 == want && current.iter().all(|p| pod_ready(p)) {
            let mut outdated: Vec<&Value> =
                current.iter().copied().filter(|p| rev(p) != update_rev && ordinal(&name, p).is_some_and(|i| i >= partition)).collect();
            outdated.sort_by_key(|p| std::cmp::Reverse(ordinal(&name, p)));
            if let Some(p) = outdated.first() {
                let _ = store.delete(pod_res, &ns, name_of(p), None, None, None, now, false);
            }
        }
        // Status.
        let pods: Vec<Value> = owned_by(store, pod_res, &ns, &uid).into_iter().filter(|p| !is_terminating(p)).collect();
        let ready = pods.iter().filter(|p| pod_ready(p)).count();
        let updated = pods.iter().filter(|p| rev(p) == update_rev).count();
        let prev_current = sts.pointer("/status/currentRevision").and_then(Value::as_str).unwrap_or(&update_rev).to_string();
        let current_rev = if updated as i64 == want && ready as i64 == want { update_rev.clone() } else { prev_current };
        let current_n = pods.iter().filter(|p| rev(p) == current_rev).count();
        let st = json!({
            "observedGeneration": int(&sts, "/metadata/generation", 1),
            "replicas": pods.len(), "readyReplicas": ready, "availableReplicas": ready,
            "currentReplicas": current_n, "updatedReplicas": updated,
            "currentRevision": current_rev, "updateRevision": update_rev, "collisionCount": 0,
        });
        store.modify(sts_res, &ns, &name, |o| o["status"] = st);
        let _ = controller_ref;
    }
}
