//! Resource verbs: get, list, create, update, patch, delete, deletecollection, and the scale
//! subresource. Watches, logs and exec live in their own modules.

use std::sync::Arc;

use base64::Engine;
use hyper::{Method, Response};
use serde_json::{Value, json};

use crate::fieldmanager::{self, Manager};
use crate::patch;
use crate::resources::{ResourceDef, def};
use crate::selectors::{FieldSelector, LabelSelector};
use crate::server::{Body, Req, Target, error_response, json_response};
use crate::status::{ApiError, ApiResult, success_status};
use crate::store::{Propagation, meta_str, name_of};
use crate::{Shared, exec, logs, render, validation, watch};

pub async fn resource(shared: &Arc<Shared>, req: Req, t: Target) -> Response<Body> {
    let d = def(t.res);
    let resp = dispatch(shared, req, &t).await;
    if d.kind == "Endpoints" {
        // Kubernetes 1.33 deprecates v1 Endpoints and says so on every request.
        return warned(resp, &["v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice".to_string()]);
    }
    resp
}

async fn dispatch(shared: &Arc<Shared>, req: Req, t: &Target) -> Response<Body> {
    let d = def(t.res);
    let t = Target { res: t.res, ns: t.ns.clone(), name: t.name.clone(), sub: t.sub.clone() };
    if d.virtual_ {
        return match (req.method.clone(), &t.name) {
            (Method::GET, _) => reply(crate::kubelet::metrics(shared, &t, &req)),
            _ => error_response(&ApiError::method_not_allowed()),
        };
    }
    match (&req.method, t.name.as_deref(), t.sub.as_deref()) {
        (&Method::GET, None, None) if req.flag("watch") => watch::serve(shared.clone(), &req, &t),
        (&Method::GET, None, None) => reply(list(shared, &req, &t).and_then(|l| render::list(shared, &req, d, l))),
        (&Method::GET, Some(name), None) => reply(get(shared, &t, name).and_then(|o| render::object(shared, &req, d, o))),
        (&Method::POST, None, None) => {
            let mut w = Vec::new();
            let r = create(shared, &req, &t, &mut w);
            warned(reply_code(r, 201), &w)
        }
        (&Method::DELETE, None, None) => reply(delete_collection(shared, &req, &t)),
        (&Method::GET, Some(name), Some("status")) => reply(get(shared, &t, name)),
        (&Method::GET, Some(name), Some("log")) if d.kind == "Pod" => logs::serve(shared.clone(), &req, &t, name).await,
        (&Method::GET | &Method::POST, Some(name), Some("exec")) if d.kind == "Pod" => exec::serve(shared.clone(), req, &t, name).await,
        (&Method::GET, Some(name), Some("scale")) if d.has_sub("scale") => reply(get(shared, &t, name).map(|o| to_scale(d, &o))),
        (&Method::PUT, Some(name), None | Some("status")) => {
            let mut w = Vec::new();
            let r = update(shared, &req, &t, name, &mut w);
            warned(reply(r), &w)
        }
        (&Method::PUT | &Method::PATCH, Some(name), Some("scale")) if d.has_sub("scale") => reply(scale(shared, &req, &t, name)),
        (&Method::PATCH, Some(name), None | Some("status")) => {
            let mut w = Vec::new();
            let resp = match patch_obj(shared, &req, &t, name, &mut w) {
                Ok((v, created)) => json_response(if created { 201 } else { 200 }, &v),
                Err(e) => error_response(&e),
            };
            warned(resp, &w)
        }
        (&Method::DELETE, Some(name), None) => reply(delete(shared, &req, &t, name)),
        (_, Some(_), Some(sub)) if !d.has_sub(sub) => error_response(&ApiError::no_route()),
        _ => error_response(&ApiError::method_not_allowed()),
    }
}

/// Adds `Warning` headers (unknown fields under fieldValidation=Warn).
fn warned(mut resp: Response<Body>, warnings: &[String]) -> Response<Body> {
    for w in warnings {
        if let Ok(v) = hyper::header::HeaderValue::from_str(&validation::warning_header(w)) {
            resp.headers_mut().append("Warning", v);
        }
    }
    resp
}

fn reply(r: ApiResult<Value>) -> Response<Body> {
    reply_code(r, 200)
}

fn reply_code(r: ApiResult<Value>, code: u16) -> Response<Body> {
    match r {
        Ok(v) => json_response(code, &v),
        Err(e) => error_response(&e),
    }
}

fn ns_of(t: &Target) -> String {
    t.ns.clone().unwrap_or_default()
}

fn get(shared: &Shared, t: &Target, name: &str) -> ApiResult<Value> {
    shared.store().get(t.res, &ns_of(t), name).cloned().ok_or_else(|| ApiError::not_found(def(t.res), name))
}

pub fn selectors(req: &Req, d: &ResourceDef) -> ApiResult<(LabelSelector, FieldSelector)> {
    let ls = LabelSelector::parse(req.q("labelSelector").unwrap_or("")).map_err(ApiError::bad_request)?;
    let fs = FieldSelector::parse(req.q("fieldSelector").unwrap_or(""), d.kind).map_err(ApiError::bad_request)?;
    Ok((ls, fs))
}

fn continue_token(rv: u64, ns: &str, name: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(json!({"v": "meta.k8s.io/v1", "rv": rv, "start": format!("{ns}/{name}\u{0}")}).to_string())
}

fn parse_continue(tok: &str) -> ApiResult<(String, String)> {
    let bad = || ApiError::bad_request("continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)");
    let raw = base64::engine::general_purpose::STANDARD.decode(tok).map_err(|_| bad())?;
    let v: Value = serde_json::from_slice(&raw).map_err(|_| bad())?;
    let start = v.get("start").and_then(Value::as_str).ok_or_else(bad)?.trim_end_matches('\u{0}');
    let (ns, name) = start.split_once('/').ok_or_else(bad)?;
    Ok((ns.to_string(), name.to_string()))
}

/// A list item as the real server encodes it: no apiVersion/kind of its own.
fn list_item(o: &Value) -> Value {
    let mut o = o.clone();
    if let Some(m) = o.as_object_mut() {
        m.remove("apiVersion");
        m.remove("kind");
    }
    o
}

pub fn list(shared: &Shared, req: &Req, t: &Target) -> ApiResult<Value> {
    let d = def(t.res);
    let (ls, fs) = selectors(req, d)?;
    let limit: usize = req.q("limit").and_then(|l| l.parse().ok()).unwrap_or(0);
    let after = req.q("continue").filter(|c| !c.is_empty()).map(parse_continue).transpose()?;
    let store = shared.store();
    let rv = store.rv;
    let mut items = Vec::new();
    let mut next = None;
    let mut remaining = 0usize;
    for o in store.list(t.res, t.ns.as_deref()) {
        if let Some((ans, aname)) = &after
            && (meta_str(o, "namespace"), name_of(o)) <= (ans.as_str(), aname.as_str())
        {
            continue;
        }
        if !ls.matches(o) || !fs.matches(o) {
            continue;
        }
        if limit > 0 && items.len() == limit {
            remaining += 1;
            continue;
        }
        items.push(list_item(o));
        if limit > 0 && items.len() == limit {
            next = Some(continue_token(rv, meta_str(o, "namespace"), name_of(o)));
        }
    }
    let mut meta = json!({"resourceVersion": rv.to_string()});
    if remaining > 0
        && let Some(tok) = next
    {
        meta["continue"] = json!(tok);
        meta["remainingItemCount"] = json!(remaining);
    }
    Ok(json!({"kind": format!("{}List", d.kind), "apiVersion": d.api_version(), "metadata": meta, "items": items}))
}

/// Request body → JSON object: JSON, YAML, or the protobuf envelope helm uses.
pub fn decode_body(req: &Req) -> ApiResult<Value> {
    let ct = req.content_type.split(';').next().unwrap_or("").trim();
    match ct {
        "application/vnd.kubernetes.protobuf" => crate::protobuf::decode(&req.body).map_err(ApiError::bad_request),
        "application/yaml" => serde_saphyr::from_slice::<Value>(&req.body).map_err(|e| ApiError::bad_request(format!("error decoding YAML: {e}"))),
        "" | "application/json" | "*/*" => {
            serde_json::from_slice(&req.body).map_err(|e| ApiError::bad_request(format!("error decoding JSON: {e}")))
        }
        other => Err(ApiError::unsupported_media_type(&[
            "application/json",
            "application/yaml",
            "application/vnd.kubernetes.protobuf",
        ]))
        .map_err(|mut e| {
            e.message = format!("the body of the request was in an unknown format ({other}) - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf");
            e
        }),
    }
}

fn check_kind(d: &ResourceDef, body: &Value) -> ApiResult<()> {
    let kind = body.get("kind").and_then(Value::as_str).unwrap_or(d.kind);
    let av = body.get("apiVersion").and_then(Value::as_str).unwrap_or("");
    if kind != d.kind || (!av.is_empty() && av != d.api_version()) {
        return Err(ApiError::bad_request(format!("the API version in the data ({av}) does not match the expected API version ({})", d.api_version())));
    }
    Ok(())
}

fn create(shared: &Shared, req: &Req, t: &Target, warnings: &mut Vec<String>) -> ApiResult<Value> {
    let d = def(t.res);
    let mut body = decode_body(req)?;
    check_kind(d, &body)?;
    validation::body(d, &mut body, validation::directive(req)?, warnings)?;
    let now = shared.clock.now();
    let ns = ns_of(t);
    let mgr = req.manager();

    shared.store().create(t.res, &ns, body, now, Some(&mgr), req.dry_run())
}

fn update(shared: &Shared, req: &Req, t: &Target, name: &str, warnings: &mut Vec<String>) -> ApiResult<Value> {
    let d = def(t.res);
    let mut body = decode_body(req)?;
    check_kind(d, &body)?;
    validation::body(d, &mut body, validation::directive(req)?, warnings)?;
    let now = shared.clock.now();
    let mgr = req.manager();

    shared.store().update(t.res, &ns_of(t), name, body, t.sub.as_deref(), now, Some(&mgr), req.dry_run())
}

/// propagation, gracePeriodSeconds, precondition resourceVersion, dry run.
type DeleteOpts = (Option<Propagation>, Option<i64>, Option<String>, bool);

fn delete_options(req: &Req) -> ApiResult<DeleteOpts> {
    let opts = if req.body.is_empty() { json!({}) } else { decode_body(req)? };
    let policy = req.q("propagationPolicy").map(String::from).or_else(|| opts.get("propagationPolicy").and_then(Value::as_str).map(String::from));
    let mut prop = match policy.as_deref() {
        Some("Background") => Some(Propagation::Background),
        Some("Foreground") => Some(Propagation::Foreground),
        Some("Orphan") => Some(Propagation::Orphan),
        None => None,
        Some(other) => return Err(ApiError::bad_request(format!("propagationPolicy: Unsupported value: {other:?}"))),
    };
    if prop.is_none() && opts.get("orphanDependents").and_then(Value::as_bool) == Some(true) {
        prop = Some(Propagation::Orphan);
    }
    let grace = req.q("gracePeriodSeconds").and_then(|g| g.parse().ok()).or_else(|| opts.get("gracePeriodSeconds").and_then(Value::as_i64));
    let pre_rv = opts.pointer("/preconditions/resourceVersion").and_then(Value::as_str).map(String::from);
    let dry = req.dry_run() || opts.get("dryRun").and_then(Value::as_array).is_some_and(|a| a.iter().any(|x| x == "All"));
    Ok((prop, grace, pre_rv, dry))
}

fn returns_object(d: &ResourceDef) -> bool {
    matches!(d.kind, "Pod" | "Service" | "Namespace")
}

fn delete(shared: &Shared, req: &Req, t: &Target, name: &str) -> ApiResult<Value> {
    let d = def(t.res);
    let (prop, grace, pre_rv, dry) = delete_options(req)?;
    let now = shared.clock.now();
    let (obj, gone) = shared.store().delete(t.res, &ns_of(t), name, prop, grace, pre_rv.as_deref(), now, dry)?;
    if gone && !returns_object(d) {
        return Ok(success_status(d, name, meta_str(&obj, "uid")));
    }
    Ok(obj)
}

fn delete_collection(shared: &Shared, req: &Req, t: &Target) -> ApiResult<Value> {
    let d = def(t.res);
    let (ls, fs) = selectors(req, d)?;
    let (prop, grace, _, dry) = delete_options(req)?;
    let now = shared.clock.now();
    let mut store = shared.store();
    let names: Vec<(String, String)> = store
        .list(t.res, t.ns.as_deref())
        .into_iter()
        .filter(|o| ls.matches(o) && fs.matches(o))
        .map(|o| (meta_str(o, "namespace").to_string(), name_of(o).to_string()))
        .collect();
    let mut items = Vec::new();
    for (ns, name) in names {
        if let Ok((o, _)) = store.delete(t.res, &ns, &name, prop, grace, None, now, dry) {
            items.push(list_item(&o));
        }
    }
    Ok(json!({"kind": format!("{}List", d.kind), "apiVersion": d.api_version(),
              "metadata": {"resourceVersion": store.rv.to_string()}, "items": items}))
}

fn patch_error(e: String) -> ApiError {
    ApiError { code: 422, reason: "Invalid", message: e, details: None }
}

/// PATCH: returns the object and whether it was created (server-side apply on a missing object).
fn patch_obj(shared: &Shared, req: &Req, t: &Target, name: &str, warnings: &mut Vec<String>) -> ApiResult<(Value, bool)> {
    let d = def(t.res);
    let ct = req.content_type.split(';').next().unwrap_or("").trim().to_string();
    let ns = ns_of(t);
    let now = shared.clock.now();
    let sub = t.sub.as_deref();
    if ct == "application/apply-patch+yaml" {
        return apply(shared, req, t, name);
    }
    let dir = validation::directive(req)?;
    let patch_doc: Value = serde_json::from_slice(&req.body).map_err(|e| ApiError::bad_request(format!("error decoding patch: {e}")))?;
    let mut store = shared.store();
    let current = store.get(t.res, &ns, name).cloned().ok_or_else(|| ApiError::not_found(d, name))?;
    let patched = match ct.as_str() {
        "application/json-patch+json" => patch::json::apply(&current, &patch_doc).map_err(patch_error)?,
        "application/merge-patch+json" => {
            let mut o = current.clone();
            patch::merge::merge(&mut o, &patch_doc);
            o
        }
        "application/strategic-merge-patch+json" => patch::strategic::apply(&current, &patch_doc).map_err(patch_error)?,
        _ => {
            return Err(ApiError::unsupported_media_type(&[
                "application/json-patch+json",
                "application/merge-patch+json",
                "application/apply-patch+yaml",
                "application/strategic-merge-patch+json",
            ]));
        }
    };
    let mut patched = patched;
    validation::patched(d, &mut patched, &patch_doc, ct == "application/strategic-merge-patch+json", dir, warnings)?;
    let mgr = req.manager();
    let out = store.update(t.res, &ns, name, patched, sub, now, Some(&mgr), req.dry_run())?;
    Ok((out, false))
}

fn apply(shared: &Shared, req: &Req, t: &Target, name: &str) -> ApiResult<(Value, bool)> {
    let d = def(t.res);
    let Some(mgr_name) = req.q("fieldManager").map(String::from) else {
        return Err(ApiError::bad_request("PatchType is ApplyPatchType, but fieldManager is not specified"));
    };
    let applied: Value = serde_saphyr::from_slice(&req.body).map_err(|e| ApiError::bad_request(format!("error decoding YAML: {e}")))?;
    if !applied.is_object() {
        return Err(ApiError::bad_request("the applied configuration must be an object"));
    }
    check_kind(d, &applied)?;
    if applied.get("apiVersion").is_none() || applied.get("kind").is_none() {
        return Err(ApiError::bad_request("apiVersion and kind must be set in an applied configuration"));
    }
    if applied.pointer("/metadata/managedFields").is_some_and(|m| !m.is_null()) {
        return Err(ApiError::bad_request("metadata.managedFields must be nil"));
    }
    let body_name = name_of(&applied);
    if !body_name.is_empty() && body_name != name {
        return Err(ApiError::bad_request(format!("the name of the object ({body_name}) does not match the name on the URL ({name})")));
    }
    validation::directive(req)?;
    validation::applied(d, &applied)?;
    let ns = ns_of(t);
    let now = shared.clock.now();
    let dry = req.dry_run();
    let sub = t.sub.as_deref();
    let clean = patch::apply::strip_server_fields(&applied);
    let mgr = Manager {
        name: mgr_name,
        operation: "Apply".into(),
        api_version: d.api_version(),
        subresource: sub.map(String::from),
        time: Some(crate::clock::fmt_time(now)),
        set: fieldmanager::applied_set(&clean, sub, d.has_status()),
    };
    let mut store = shared.store();
    let Some(live) = store.get(t.res, &ns, name).cloned() else {
        if sub.is_some() {
            return Err(ApiError::not_found(d, name));
        }
        let mut obj = clean;
        obj["metadata"]["name"] = json!(name);
        fieldmanager::encode(&mut obj, &[mgr]);
        return Ok((store.create(t.res, &ns, obj, now, None, dry)?, true));
    };
    let managers = fieldmanager::decode(&live);
    let last = managers.iter().find(|m| m.key() == mgr.key()).map(|m| m.set.clone()).unwrap_or_default();
    let mut merged = patch::strategic::apply(&live, &clean).map_err(patch_error)?;
    let mut owners: Vec<Manager> = managers.iter().filter(|m| m.key() != mgr.key()).cloned().collect();
    owners.push(mgr.clone());
    fieldmanager::prune(&mut merged, &last, &owners);
    let managers = fieldmanager::apply_ownership(&live, &merged, managers, mgr, req.flag("force"), d.has_status())?;
    fieldmanager::encode(&mut merged, &managers);
    Ok((store.update(t.res, &ns, name, merged, sub, now, None, dry)?, false))
}

fn to_scale(d: &ResourceDef, o: &Value) -> Value {
    let sel = o.pointer("/spec/selector").map(crate::selectors::LabelSelector::from_object);
    let sel_str = sel
        .map(|s| {
            s.reqs
                .iter()
                .filter_map(|r| match r {
                    crate::selectors::Req::Eq(k, v) => Some(format!("{k}={v}")),
                    _ => None,
                })
                .collect::<Vec<_>>()
                .join(",")
        })
        .unwrap_or_default();
    let m = &o["metadata"];
    let _ = d;
    json!({
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {"name": m["name"], "namespace": m["namespace"], "uid": m["uid"],
                     "resourceVersion": m["resourceVersion"], "creationTimestamp": m["creationTimestamp"]},
        "spec": {"replicas": o.pointer("/spec/replicas").cloned().unwrap_or(json!(0))},
        "status": {"replicas": o.pointer("/status/replicas").cloned().unwrap_or(json!(0)), "selector": sel_str},
    })
}

fn scale(shared: &Shared, req: &Req, t: &Target, name: &str) -> ApiResult<Value> {
    let d = def(t.res);
    let ns = ns_of(t);
    let now = shared.clock.now();
    let mut store = shared.store();
    let current = store.get(t.res, &ns, name).cloned().ok_or_else(|| ApiError::not_found(d, name))?;
    let sc = to_scale(d, &current);
    let body: Value = serde_json::from_slice(&req.body).map_err(|e| ApiError::bad_request(format!("error decoding: {e}")))?;
    let new_scale = if req.method == Method::PUT {
        body
    } else {
        let ct = req.content_type.split(';').next().unwrap_or("");
        match ct {
            "application/json-patch+json" => patch::json::apply(&sc, &body).map_err(patch_error)?,
            _ => {
                let mut o = sc.clone();
                patch::merge::merge(&mut o, &body);
                o
            }
        }
    };
    let replicas = new_scale.pointer("/spec/replicas").and_then(Value::as_i64).ok_or_else(|| ApiError::bad_request("spec.replicas is required"))?;
    let mut obj = current.clone();
    obj["spec"]["replicas"] = json!(replicas);
    let mgr = req.manager();
    let out = store.update(t.res, &ns, name, obj, Some("scale"), now, Some(&mgr), req.dry_run())?;
    Ok(to_scale(d, &out))
}
