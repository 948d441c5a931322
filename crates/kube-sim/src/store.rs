//! The object store: JSON objects keyed by resource / namespace / name, a global monotonic
//! resourceVersion, a bounded event history for watches, and the write paths (create, update,
//! delete) with the metadata rules the real apiserver enforces.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use jiff::Timestamp;
use serde_json::{Map, Value, json};
use tokio::sync::broadcast;

use crate::clock::fmt_time;
use crate::defaults;
use crate::resources::{ResId, def};
use crate::status::{ApiError, ApiResult};

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    pub res: ResId,
    pub ns: String,
    pub name: String,
}

impl Key {
    pub fn new(res: ResId, ns: &str, name: &str) -> Self {
        Self { res, ns: ns.to_string(), name: name.to_string() }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    Added,
    Modified,
    Deleted,
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Added => "ADDED",
            Self::Modified => "MODIFIED",
            Self::Deleted => "DELETED",
        }
    }
}

#[derive(Debug)]
pub struct Event {
    pub typ: EventType,
    pub res: ResId,
    pub ns: String,
    pub obj: Value,
    /// The object before a modification: watches with selectors need it to turn "left the
    /// selection" into DELETED and "entered" into ADDED, as the real watch cache does.
    pub prev: Option<Value>,
    pub rv: u64,
}

/// How many events are kept for watches that resume from a resourceVersion.
pub const HISTORY: usize = 5000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Propagation {
    Background,
    Foreground,
    Orphan,
}

pub struct Store {
    pub rv: u64,
    objects: BTreeMap<Key, Value>,
    history: VecDeque<Arc<Event>>,
    pub tx: broadcast::Sender<Arc<Event>>,
    rng: u64,
}

pub fn meta_str<'a>(obj: &'a Value, field: &str) -> &'a str {
    obj.get("metadata").and_then(|m| m.get(field)).and_then(Value::as_str).unwrap_or("")
}

pub fn name_of(obj: &Value) -> &str {
    meta_str(obj, "name")
}

fn meta_mut(obj: &mut Value) -> &mut Map<String, Value> {
    if !obj.get("metadata").is_some_and(Value::is_object) {
        obj["metadata"] = json!({});
    }
    obj["metadata"].as_object_mut().expect("metadata was just made an object")
}

fn valid_subdomain(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name
            .split('.')
            .all(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') && !l.starts_with('-') && !l.ends_with('-'))
}

fn valid_label(name: &str) -> bool {
    valid_subdomain(name) && name.len() <= 63 && !name.contains('.')
}

impl Default for Store {
    fn default() -> Self {
        Self::new()
    }
}

impl Store {
    pub fn new() -> Self {
        let (tx, _) = broadcast::channel(8192);
        let seed = Timestamp::now().as_nanosecond() as u64 | 1;
        Self { rv: 100, objects: BTreeMap::new(), history: VecDeque::new(), tx, rng: seed }
    }

    pub(crate) fn rand(&mut self) -> u64 {
        // xorshift64*: uniqueness and a random look are all uids and generateName need.
        let mut x = self.rng;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng = x;
        x.wrapping_mul(0x2545F4914F6CDD1D)
    }

    pub fn new_uid(&mut self) -> String {
        let a = self.rand();
        let b = self.rand();
        format!("{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}", a >> 32, (a >> 16) & 0xffff, a & 0xfff, ((b >> 48) & 0x3fff) | 0x8000, b & 0xffff_ffff_ffff)
    }

    /// The 5-character suffix alphabet of `generateName` (no vowels, no confusable digits).
    pub fn rand_suffix(&mut self, n: usize) -> String {
        const ALPHA: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
        (0..n).map(|_| ALPHA[(self.rand() % ALPHA.len() as u64) as usize] as char).collect()
    }

    pub fn oldest_rv(&self) -> u64 {
        self.history.front().map(|e| e.rv).unwrap_or(self.rv)
    }

    pub fn history_since(&self, rv: u64) -> Vec<Arc<Event>> {
        self.history.iter().filter(|e| e.rv > rv).cloned().collect()
    }

    pub fn get(&self, res: ResId, ns: &str, name: &str) -> Option<&Value> {
        self.objects.get(&Key::new(res, ns, name))
    }

    /// Objects of a resource, sorted by namespace then name (etcd key order); `ns = None` is
    /// every namespace.
    pub fn list(&self, res: ResId, ns: Option<&str>) -> Vec<&Value> {
        let start = Key::new(res, ns.unwrap_or(""), "");
        self.objects.range(start..).take_while(|(k, _)| k.res == res && ns.is_none_or(|n| k.ns == n)).map(|(_, v)| v).collect()
    }

    pub fn list_cloned(&self, res: ResId, ns: Option<&str>) -> Vec<Value> {
        self.list(res, ns).into_iter().cloned().collect()
    }

    pub fn all(&self) -> impl Iterator<Item = (&Key, &Value)> {
        self.objects.iter()
    }

    fn emit(&mut self, typ: EventType, key: &Key, obj: Value, prev: Option<Value>) {
        let ev = Arc::new(Event { typ, res: key.res, ns: key.ns.clone(), obj, prev, rv: self.rv });
        self.history.push_back(ev.clone());
        while self.history.len() > HISTORY {
            self.history.pop_front();
        }
        let _ = self.tx.send(ev);
    }

    fn next_rv(&mut self) -> u64 {
        self.rv += 1;
        self.rv
    }

    fn check_namespace(&self, res: ResId, ns: &str, name: &str) -> ApiResult<()> {
        let d = def(res);
        if !d.namespaced {
            return Ok(());
        }
        let ns_res = crate::resources::id("", "namespaces");
        match self.get(ns_res, "", ns) {
            None => Err(ApiError::namespace_not_found(ns)),
            Some(n) if n.pointer("/status/phase").and_then(Value::as_str) == Some("Terminating") => Err(ApiError::forbidden_terminating(d, name, ns)),
            Some(_) => Ok(()),
        }
    }

    /// POST semantics. `obj` is the request body; `manager` is the field manager to record.
    pub fn create(&mut self, res: ResId, ns: &str, mut obj: Value, now: Timestamp, manager: Option<&str>, dry_run: bool) -> ApiResult<Value> {
        let d = def(res);
        if !obj.is_object() {
            return Err(ApiError::bad_request("the request body must be a JSON object"));
        }
        let body_ns = meta_str(&obj, "namespace").to_string();
        if d.namespaced && !body_ns.is_empty() && body_ns != ns {
            return Err(ApiError::bad_request("the namespace of the provided object does not match the namespace sent on the request"));
        }
        let mut name = name_of(&obj).to_string();
        if name.is_empty() {
            let gen_name = meta_str(&obj, "generateName").to_string();
            if gen_name.is_empty() {
                return Err(ApiError::invalid(d, "", &[("metadata.name", "Required value: name or generateName is required".into())]));
            }
            name = format!("{gen_name}{}", self.rand_suffix(5));
        }
        let name_ok = if matches!(d.kind, "Namespace" | "Service") { valid_label(&name) } else { valid_subdomain(&name) };
        if !name_ok {
            let what = if matches!(d.kind, "Namespace" | "Service") {
                "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
            } else {
                "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
            };
            return Err(ApiError::invalid(d, &name, &[("metadata.name", format!("Invalid value: {name:?}: {what}"))]));
        }
        self.check_namespace(res, ns, &name)?;
        let key = Key::new(res, if d.namespaced { ns } else { "" }, &name);
        if self.objects.contains_key(&key) {
            return Err(ApiError::already_exists(d, &name));
        }
        if let Some(rv) = obj.pointer("/metadata/resourceVersion").and_then(Value::as_str)
            && !rv.is_empty()
        {
            return Err(ApiError::bad_request("resourceVersion should not be set on objects to be created"));
        }
        obj["apiVersion"] = json!(d.api_version());
        obj["kind"] = json!(d.kind);
        let uid = self.new_uid();
        {
            let m = meta_mut(&mut obj);
            m.insert("name".into(), json!(name));
            if d.namespaced {
                m.insert("namespace".into(), json!(ns));
            } else {
                m.remove("namespace");
            }
            m.insert("uid".into(), json!(uid));
            m.insert("creationTimestamp".into(), json!(fmt_time(now)));
            for f in ["deletionTimestamp", "deletionGracePeriodSeconds", "selfLink"] {
                m.remove(f);
            }
            if d.generation {
                m.insert("generation".into(), json!(1));
            } else {
                m.remove("generation");
            }
        }
        defaults::on_create(d, &mut obj, self);
        defaults::apply(d, &mut obj);
        defaults::validate(d, &obj)?;
        if let Some(mgr) = manager {
            crate::fieldmanager::record_update(None, &mut obj, mgr, &d.api_version(), None, d.has_status(), now);
        }
        if dry_run {
            return Ok(obj);
        }
        let rv = self.next_rv();
        meta_mut(&mut obj).insert("resourceVersion".into(), json!(rv.to_string()));
        self.objects.insert(key.clone(), obj.clone());
        self.emit(EventType::Added, &key, obj.clone(), None);
        Ok(obj)
    }

    /// PUT semantics (main resource or `status` subresource).
    #[allow(clippy::too_many_arguments)]
    pub fn update(
        &mut self,
        res: ResId,
        ns: &str,
        name: &str,
        mut obj: Value,
        sub: Option<&str>,
        now: Timestamp,
        manager: Option<&str>,
        dry_run: bool,
    ) -> ApiResult<Value> {
        let d = def(res);
        let key = Key::new(res, if d.namespaced { ns } else { "" }, name);
        let Some(old) = self.objects.get(&key).cloned() else {
            return Err(ApiError::not_found(d, name));
        };
        if !obj.is_object() {
            return Err(ApiError::bad_request("the request body must be a JSON object"));
        }
        let body_name = name_of(&obj);
        if !body_name.is_empty() && body_name != name {
            return Err(ApiError::bad_request("the name of the object (".to_string() + body_name + ") does not match the name on the URL (" + name + ")"));
        }
        if let Some(rv) = obj.pointer("/metadata/resourceVersion").and_then(Value::as_str)
            && !rv.is_empty()
            && rv != meta_str(&old, "resourceVersion")
        {
            return Err(ApiError::conflict(d, name));
        }
        obj["apiVersion"] = json!(d.api_version());
        obj["kind"] = json!(d.kind);
        match sub {
            Some("status") => {
                // The status subresource changes status only.
                let mut merged = old.clone();
                merged["status"] = obj.get("status").cloned().unwrap_or(Value::Null);
                if merged["status"].is_null() {
                    merged.as_object_mut().map(|m| m.remove("status"));
                }
                // Ownership is the one piece of metadata a status write carries.
                if let Some(mf) = obj.pointer("/metadata/managedFields") {
                    merged["metadata"]["managedFields"] = mf.clone();
                }
                obj = merged;
            }
            _ => {
                // Immutable metadata comes from the stored object.
                let m = meta_mut(&mut obj);
                for f in ["uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation"] {
                    match old.get("metadata").and_then(|om| om.get(f)) {
                        Some(v) => {
                            m.insert(f.into(), v.clone());
                        }
                        None => {
                            m.remove(f);
                        }
                    }
                }
                m.insert("name".into(), json!(name));
                if d.namespaced {
                    m.insert("namespace".into(), json!(ns));
                }
                if d.has_status() {
                    match old.get("status") {
                        Some(s) => obj["status"] = s.clone(),
                        None => {
                            obj.as_object_mut().map(|o| o.remove("status"));
                        }
                    }
                }
                defaults::on_update(d, &mut obj, &old);
                defaults::apply(d, &mut obj);
                defaults::validate(d, &obj)?;
                if d.generation && spec_of(&obj) != spec_of(&old) {
                    let g = old.pointer("/metadata/generation").and_then(Value::as_i64).unwrap_or(0);
                    meta_mut(&mut obj).insert("generation".into(), json!(g + 1));
                }
            }
        }
        match manager {
            Some(mgr) => crate::fieldmanager::record_update(Some(&old), &mut obj, mgr, &d.api_version(), sub, d.has_status(), now),
            // A write that says nothing about ownership keeps the recorded owners.
            None if obj.pointer("/metadata/managedFields").is_none() => {
                if let Some(mf) = old.pointer("/metadata/managedFields") {
                    meta_mut(&mut obj).insert("managedFields".into(), mf.clone());
                }
            }
            None => {}
        }
        meta_mut(&mut obj).insert("resourceVersion".into(), old["metadata"]["resourceVersion"].clone());
        if strip_times(&obj) == strip_times(&old) {
            return Ok(old); // a no-op update does not bump resourceVersion
        }
        if dry_run {
            return Ok(obj);
        }
        self.put_existing(&key, obj, old)
    }

    fn put_existing(&mut self, key: &Key, mut obj: Value, old: Value) -> ApiResult<Value> {
        // An object being deleted whose last finalizer went away is removed now.
        let terminating = obj.pointer("/metadata/deletionTimestamp").is_some();
        let finalizers_left = obj.pointer("/metadata/finalizers").and_then(Value::as_array).is_some_and(|f| !f.is_empty());
        let rv = self.next_rv();
        meta_mut(&mut obj).insert("resourceVersion".into(), json!(rv.to_string()));
        if terminating && !finalizers_left && !is_graceful_pod(key, &obj) && def(key.res).kind != "Namespace" {
            self.objects.remove(key);
            self.emit(EventType::Deleted, key, obj.clone(), Some(old));
            return Ok(obj);
        }
        self.objects.insert(key.clone(), obj.clone());
        self.emit(EventType::Modified, key, obj.clone(), Some(old));
        Ok(obj)
    }

    /// Controller-side write: apply `f` to a copy; store (and bump resourceVersion) only if it
    /// changed anything. Returns the stored object when it exists.
    pub fn modify(&mut self, res: ResId, ns: &str, name: &str, f: impl FnOnce(&mut Value)) -> Option<Value> {
        let key = Key::new(res, ns, name);
        let old = self.objects.get(&key)?.clone();
        let mut obj = old.clone();
        f(&mut obj);
        if obj == old {
            return Some(old);
        }
        self.put_existing(&key, obj, old).ok()
    }

    /// Controller-side create: fills metadata like [`Store::create`], never fails on name shape.
    pub fn insert_new(&mut self, res: ResId, ns: &str, obj: Value, now: Timestamp) -> ApiResult<Value> {
        self.create(res, ns, obj, now, None, false)
    }

    /// DELETE semantics. Returns the object as it was at deletion (or still is, when deletion is
    /// pending on finalizers or a pod's grace period) and whether it is gone.
    #[allow(clippy::too_many_arguments)]
    pub fn delete(
        &mut self,
        res: ResId,
        ns: &str,
        name: &str,
        propagation: Option<Propagation>,
        grace: Option<i64>,
        precondition_rv: Option<&str>,
        now: Timestamp,
        dry_run: bool,
    ) -> ApiResult<(Value, bool)> {
        let d = def(res);
        let key = Key::new(res, if d.namespaced { ns } else { "" }, name);
        let Some(old) = self.objects.get(&key).cloned() else {
            return Err(ApiError::not_found(d, name));
        };
        if let Some(rv) = precondition_rv
            && rv != meta_str(&old, "resourceVersion")
        {
            return Err(ApiError::conflict(d, name));
        }
        if dry_run {
            return Ok((old, false));
        }
        let uid = meta_str(&old, "uid").to_string();
        // batch/v1 Jobs keep the historical default of orphaning their pods.
        let propagation = propagation.unwrap_or(if d.kind == "Job" { Propagation::Orphan } else { Propagation::Background });
        let mut obj = old.clone();
        let has_finalizers = old.pointer("/metadata/finalizers").and_then(Value::as_array).is_some_and(|f| !f.is_empty());
        let already = old.pointer("/metadata/deletionTimestamp").is_some();

        if d.kind == "Namespace" {
            obj["status"]["phase"] = json!("Terminating");
            if !already {
                meta_mut(&mut obj).insert("deletionTimestamp".into(), json!(fmt_time(now)));
            }
            let v = self.put_existing(&key, obj, old)?;
            return Ok((v, false)); // the gc controller empties and removes it
        }
        if propagation == Propagation::Orphan {
            self.orphan_dependents(&uid);
        }
        if propagation == Propagation::Foreground && self.has_dependents(&uid) {
            let m = meta_mut(&mut obj);
            let mut f: Vec<Value> = m.get("finalizers").and_then(Value::as_array).cloned().unwrap_or_default();
            if !f.iter().any(|x| x == "foregroundDeletion") {
                f.push(json!("foregroundDeletion"));
            }
            m.insert("finalizers".into(), json!(f));
            if !already {
                m.insert("deletionTimestamp".into(), json!(fmt_time(now)));
                m.insert("deletionGracePeriodSeconds".into(), json!(0));
            }
            let v = self.put_existing(&key, obj, old)?;
            return Ok((v, false));
        }
        if has_finalizers {
            if already {
                return Ok((old, false));
            }
            let m = meta_mut(&mut obj);
            m.insert("deletionTimestamp".into(), json!(fmt_time(now)));
            m.insert("deletionGracePeriodSeconds".into(), json!(0));
            let v = self.put_existing(&key, obj, old)?;
            return Ok((v, false));
        }
        if d.kind == "Pod" && !already {
            let default_grace = old.pointer("/spec/terminationGracePeriodSeconds").and_then(Value::as_i64).unwrap_or(30);
            let grace = grace.unwrap_or(default_grace);
            let scheduled = old.pointer("/spec/nodeName").and_then(Value::as_str).is_some_and(|n| !n.is_empty());
            let finished = matches!(old.pointer("/status/phase").and_then(Value::as_str), Some("Succeeded" | "Failed"));
            if grace > 0 && scheduled && !finished {
                let m = meta_mut(&mut obj);
                let at = now.checked_add(jiff::SignedDuration::from_secs(grace)).unwrap_or(now);
                m.insert("deletionTimestamp".into(), json!(fmt_time(at)));
                m.insert("deletionGracePeriodSeconds".into(), json!(grace));
                let v = self.put_existing(&key, obj, old)?;
                return Ok((v, false)); // the kubelet finishes it
            }
        }
        if d.kind == "Pod" && already && grace != Some(0) {
            return Ok((old, false));
        }
        self.remove(&key);
        Ok((obj, true))
    }

    /// Removes an object outright (final step of every deletion path).
    pub fn remove(&mut self, key: &Key) -> Option<Value> {
        let mut obj = self.objects.remove(key)?;
        let rv = self.next_rv();
        meta_mut(&mut obj).insert("resourceVersion".into(), json!(rv.to_string()));
        self.emit(EventType::Deleted, key, obj.clone(), None);
        Some(obj)
    }

    pub fn dependents(&self, uid: &str) -> Vec<Key> {
        self.objects.iter().filter(|(_, v)| owner_uids(v).iter().any(|u| u == uid)).map(|(k, _)| k.clone()).collect()
    }

    fn has_dependents(&self, uid: &str) -> bool {
        self.objects.values().any(|v| owner_uids(v).iter().any(|u| u == uid))
    }

    fn orphan_dependents(&mut self, uid: &str) {
        for k in self.dependents(uid) {
            let uid = uid.to_string();
            self.modify(k.res, &k.ns, &k.name, |o| {
                if let Some(refs) = o.pointer_mut("/metadata/ownerReferences").and_then(Value::as_array_mut) {
                    refs.retain(|r| r.get("uid").and_then(Value::as_str) != Some(uid.as_str()));
                    if refs.is_empty() {
                        o["metadata"].as_object_mut().map(|m| m.remove("ownerReferences"));
                    }
                }
            });
        }
    }

    pub fn exists_uid(&self, uid: &str) -> bool {
        self.objects.values().any(|v| meta_str(v, "uid") == uid)
    }

    pub fn keys(&self) -> Vec<Key> {
        self.objects.keys().cloned().collect()
    }
}

fn is_graceful_pod(key: &Key, obj: &Value) -> bool {
    def(key.res).kind == "Pod" && obj.pointer("/metadata/deletionGracePeriodSeconds").and_then(Value::as_i64).unwrap_or(0) > 0
}

pub fn owner_uids(obj: &Value) -> Vec<String> {
    obj.pointer("/metadata/ownerReferences")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|r| r.get("uid").and_then(Value::as_str).map(String::from)).collect())
        .unwrap_or_default()
}

/// Everything but metadata and status: what a generation tracks.
fn spec_of(obj: &Value) -> Value {
    let mut o = obj.clone();
    if let Some(m) = o.as_object_mut() {
        m.remove("metadata");
        m.remove("status");
    }
    o
}

/// The object without managedFields timestamps, to detect no-op writes.
fn strip_times(obj: &Value) -> Value {
    let mut o = obj.clone();
    if let Some(mf) = o.pointer_mut("/metadata/managedFields").and_then(Value::as_array_mut) {
        for e in mf {
            e.as_object_mut().map(|m| m.remove("time"));
        }
    }
    o
}
