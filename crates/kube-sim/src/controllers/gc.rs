//! Garbage collector: deletes objects whose owners are all gone (background cascading delete),
//! finishes foreground deletions once dependents are gone, and empties terminating namespaces.

use std::collections::HashSet;

use jiff::Timestamp;
use serde_json::Value;

use crate::resources::{def, id};
use crate::store::{Key, Propagation, Store, meta_str, name_of, owner_uids};

pub fn reconcile(store: &mut Store, now: Timestamp) {
    let uids: HashSet<String> = store.all().map(|(_, v)| meta_str(v, "uid").to_string()).collect();
    // Orphans of deleted owners.
    let orphans: Vec<Key> = store
        .all()
        .filter(|(_, v)| {
            let owners = owner_uids(v);
            !owners.is_empty() && owners.iter().all(|u| !uids.contains(u)) && v.pointer("/metadata/deletionTimestamp").is_none()
        })
        .map(|(k, _)| k.clone())
        .collect();
    for k in orphans {
        let _ = store.delete(k.res, &k.ns, &k.name, Some(Propagation::Background), None, None, now, false);
    }
    // Foreground deletions: delete dependents, then drop the finalizer.
    let fg: Vec<(Key, String)> = store
        .all()
        .filter(|(_, v)| {
            v.pointer("/metadata/deletionTimestamp").is_some()
                && v.pointer("/metadata/finalizers").and_then(Value::as_array).is_some_and(|f| f.iter().any(|x| x == "foregroundDeletion"))
        })
        .map(|(k, v)| (k.clone(), meta_str(v, "uid").to_string()))
        .collect();
    for (k, uid) in fg {
        let deps = store.dependents(&uid);
        let mut remaining = 0;
        for d in deps {
            let alive = store.get(d.res, &d.ns, &d.name).is_some_and(|o| o.pointer("/metadata/deletionTimestamp").is_none());
            if alive {
                let _ = store.delete(d.res, &d.ns, &d.name, Some(Propagation::Foreground), None, None, now, false);
            }
            if store.get(d.res, &d.ns, &d.name).is_some() {
                remaining += 1;
            }
        }
        if remaining == 0 {
            store.modify(k.res, &k.ns, &k.name, |o| {
                if let Some(f) = o.pointer_mut("/metadata/finalizers").and_then(Value::as_array_mut) {
                    f.retain(|x| x != "foregroundDeletion");
                }
            });
        }
    }
    // Terminating namespaces: remove everything in them, then the namespace.
    let ns_res = id("", "namespaces");
    let terminating: Vec<String> = store
        .list(ns_res, None)
        .into_iter()
        .filter(|n| n.pointer("/status/phase").and_then(Value::as_str) == Some("Terminating"))
        .map(|n| name_of(n).to_string())
        .collect();
    for ns in terminating {
        let inside: Vec<Key> = store.keys().into_iter().filter(|k| def(k.res).namespaced && k.ns == ns).collect();
        for k in inside {
            store.remove(&k);
        }
        store.remove(&Key::new(ns_res, "", &ns));
    }
}
