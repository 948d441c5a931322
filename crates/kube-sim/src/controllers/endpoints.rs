//! Service → Endpoints and EndpointSlices, from the pods the selector matches: ready pods are
//! addresses, others not-ready addresses (Endpoints) or endpoints with `ready: false`
//! (slices, which also keep terminating pods). Target ports named after a container port are
//! resolved per pod. Services without a selector are left to whoever manages their endpoints.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde_json::{Value, json};

use super::{controller_ref, is_terminating, pod_phase, pod_ready};
use crate::clock::fmt_time;
use crate::resources::id;
use crate::selectors::LabelSelector;
use crate::store::{Key, Store, meta_str, name_of};

const MANAGED_BY: &str = "endpoints.kubernetes.io/managed-by";
const SLICE_MANAGED_BY: &str = "endpointslice.kubernetes.io/managed-by";
const SERVICE_NAME: &str = "kubernetes.io/service-name";

/// One endpoint port: (name, port, protocol).
type Port = (String, i64, String);

struct Member {
    pod: Value,
    ip: String,
    ready: bool,
    terminating: bool,
}

fn resolve_ports(svc: &Value, pod: &Value) -> Vec<Port> {
    let empty = vec![];
    let containers = pod.pointer("/spec/containers").and_then(Value::as_array).unwrap_or(&empty);
    svc.pointer("/spec/ports")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|p| {
            let name = p.get("name").and_then(Value::as_str).unwrap_or("").to_string();
            let proto = p.get("protocol").and_then(Value::as_str).unwrap_or("TCP").to_string();
            let port = match p.get("targetPort").or_else(|| p.get("port"))? {
                Value::Number(n) => n.as_i64()?,
                Value::String(s) => match s.parse::<i64>() {
                    Ok(n) => n,
                    Err(_) => containers
                        .iter()
                        .flat_map(|c| c.get("ports").and_then(Value::as_array).cloned().unwrap_or_default())
                        .find(|cp| cp.get("name").and_then(Value::as_str) == Some(s.as_str()))?
                        .get("containerPort")?
                        .as_i64()?,
                },
                _ => return None,
            };
            Some((name, port, proto))
        })
        .collect()
}

fn target_ref(pod: &Value) -> Value {
    json!({"kind": "Pod", "namespace": pod["metadata"]["namespace"], "name": pod["metadata"]["name"], "uid": pod["metadata"]["uid"]})
}

fn port_json(p: &Port, slice: bool) -> Value {
    let mut v = json!({"port": p.1, "protocol": p.2});
    if slice || !p.0.is_empty() {
        v["name"] = json!(p.0);
    }
    v
}

pub fn reconcile(store: &mut Store, now: Timestamp) {
    let svc_res = id("", "services");
    let pod_res = id("", "pods");
    let ep_res = id("", "endpoints");
    let services = store.list_cloned(svc_res, None);
    for svc in &services {
        let sel = svc.pointer("/spec/selector").filter(|s| s.as_object().is_some_and(|m| !m.is_empty()));
        let Some(sel) = sel else { continue };
        if is_terminating(svc) || svc.pointer("/spec/type").and_then(Value::as_str) == Some("ExternalName") {
            continue;
        }
        let ns = meta_str(svc, "namespace").to_string();
        let selector = LabelSelector::from_map(sel);
        let publish_not_ready = svc.pointer("/spec/publishNotReadyAddresses").and_then(Value::as_bool) == Some(true);
        let mut groups: BTreeMap<Vec<Port>, Vec<Member>> = BTreeMap::new();
        for pod in store.list(pod_res, Some(&ns)) {
            let ip = pod.pointer("/status/podIP").and_then(Value::as_str).unwrap_or("");
            if !selector.matches(pod) || ip.is_empty() || matches!(pod_phase(pod), "Succeeded" | "Failed") {
                continue;
            }
            let m = Member { pod: pod.clone(), ip: ip.to_string(), ready: pod_ready(pod), terminating: is_terminating(pod) };
            groups.entry(resolve_ports(svc, pod)).or_default().push(m);
        }
        for g in groups.values_mut() {
            g.sort_by(|a, b| a.ip.cmp(&b.ip));
        }
        endpoints(store, now, svc, &groups, publish_not_ready);
        slices(store, now, svc, &groups);
    }
    // Endpoints this controller made for services that are gone.
    let gone: Vec<Key> = store
        .list(ep_res, None)
        .into_iter()
        .filter(|e| e.pointer("/metadata/labels").and_then(|l| l.get(MANAGED_BY)).is_some())
        .filter(|e| store.get(svc_res, meta_str(e, "namespace"), name_of(e)).is_none())
        .map(|e| Key::new(ep_res, meta_str(e, "namespace"), name_of(e)))
        .collect();
    for k in gone {
        store.remove(&k);
    }
}

fn endpoints(store: &mut Store, now: Timestamp, svc: &Value, groups: &BTreeMap<Vec<Port>, Vec<Member>>, publish_not_ready: bool) {
    let ep_res = id("", "endpoints");
    let ns = meta_str(svc, "namespace").to_string();
    let name = name_of(svc).to_string();
    let subsets: Vec<Value> = groups
        .iter()
        .filter(|(ports, _)| !ports.is_empty())
        .filter_map(|(ports, members)| {
            let addr = |m: &Member| json!({"ip": m.ip, "nodeName": m.pod.pointer("/spec/nodeName"), "targetRef": target_ref(&m.pod)});
            let live: Vec<&Member> = members.iter().filter(|m| !m.terminating).collect();
            let ready: Vec<Value> = live.iter().filter(|m| m.ready || publish_not_ready).map(|m| addr(m)).collect();
            let not_ready: Vec<Value> = live.iter().filter(|m| !m.ready && !publish_not_ready).map(|m| addr(m)).collect();
            if ready.is_empty() && not_ready.is_empty() {
                return None;
            }
            let mut s = json!({"ports": ports.iter().map(|p| port_json(p, false)).collect::<Vec<_>>()});
            if !ready.is_empty() {
                s["addresses"] = json!(ready);
            }
            if !not_ready.is_empty() {
                s["notReadyAddresses"] = json!(not_ready);
            }
            Some(s)
        })
        .collect();
    let mut labels = svc.pointer("/metadata/labels").cloned().unwrap_or(json!({}));
    labels[MANAGED_BY] = json!("endpoint-controller");
    let want_subsets = (!subsets.is_empty()).then(|| json!(subsets));
    match store.get(ep_res, &ns, &name).cloned() {
        Some(ep) => {
            if ep.get("subsets") != want_subsets.as_ref() || ep.pointer("/metadata/labels") != Some(&labels) {
                store.modify(ep_res, &ns, &name, |o| {
                    match &want_subsets {
                        Some(s) => o["subsets"] = s.clone(),
                        None => {
                            o.as_object_mut().map(|m| m.remove("subsets"));
                        }
                    }
                    o["metadata"]["labels"] = labels;
                    o["metadata"]["annotations"]["endpoints.kubernetes.io/last-change-trigger-time"] = json!(fmt_time(now));
                });
            }
        }
        None => {
            let mut ep = json!({"metadata": {"name": name, "labels": labels,
                "annotations": {"endpoints.kubernetes.io/last-change-trigger-time": fmt_time(now)}}});
            if let Some(s) = want_subsets {
                ep["subsets"] = s;
            }
            let _ = store.create(ep_res, &ns, ep, now, None, false);
        }
    }
}

fn slices(store: &mut Store, now: Timestamp, svc: &Value, groups: &BTreeMap<Vec<Port>, Vec<Member>>) {
    let res = id("discovery.k8s.io", "endpointslices");
    let ns = meta_str(svc, "namespace").to_string();
    let name = name_of(svc).to_string();
    let mut labels = svc.pointer("/metadata/labels").cloned().unwrap_or(json!({}));
    labels[SERVICE_NAME] = json!(name);
    labels[SLICE_MANAGED_BY] = json!("endpointslice-controller.k8s.io");
    // One slice per set of ports; a service without endpoints keeps one empty placeholder.
    let mut want: Vec<(Value, Value)> = groups
        .iter()
        .map(|(ports, members)| {
            let eps: Vec<Value> = members
                .iter()
                .map(|m| {
                    json!({"addresses": [m.ip],
                           "conditions": {"ready": m.ready && !m.terminating, "serving": m.ready, "terminating": m.terminating},
                           "nodeName": m.pod.pointer("/spec/nodeName"), "targetRef": target_ref(&m.pod)})
                })
                .collect();
            (json!(ports.iter().map(|p| port_json(p, true)).collect::<Vec<_>>()), json!(eps))
        })
        .collect();
    if want.is_empty() {
        want.push((Value::Null, Value::Null));
    }
    let svc_uid = meta_str(svc, "uid").to_string();
    let mut existing: Vec<Value> = store
        .list(res, Some(&ns))
        .into_iter()
        .filter(|s| {
            s.pointer(&format!("/metadata/labels/{}", SERVICE_NAME.replace('/', "~1"))).and_then(Value::as_str) == Some(name.as_str())
                && crate::store::owner_uids(s).contains(&svc_uid)
        })
        .cloned()
        .collect();
    for (ports, eps) in want {
        let set = |o: &mut Value| {
            for (f, v) in [("ports", &ports), ("endpoints", &eps)] {
                if v.is_null() {
                    o.as_object_mut().map(|m| m.remove(f));
                } else {
                    o[f] = v.clone();
                }
            }
            o["metadata"]["labels"] = labels.clone();
        };
        let reuse = existing.iter().position(|s| s.get("ports").unwrap_or(&Value::Null) == &ports).or((!existing.is_empty()).then_some(0));
        match reuse {
            Some(i) => {
                let s = existing.remove(i);
                store.modify(res, &ns, name_of(&s), set);
            }
            None => {
                let mut s = json!({"metadata": {"generateName": format!("{name}-"), "ownerReferences": [controller_ref(svc)]}, "addressType": "IPv4"});
                set(&mut s);
                let _ = store.create(res, &ns, s, now, None, false);
            }
        }
    }
    for s in existing {
        store.remove(&Key::new(res, &ns, name_of(&s)));
    }
}
