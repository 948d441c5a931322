//! Watches: newline-delimited JSON events over a chunked response.
//!
//! Start points follow the apiserver: no resourceVersion or "0" → ADDED for every current object
//! first; a resourceVersion → events after it from the bounded history, or an ERROR event with a
//! 410 Expired Status if the history no longer reaches back that far; `sendInitialEvents=true`
//! → ADDED for every object then a BOOKMARK annotated `k8s.io/initial-events-end: "true"`.

use std::sync::Arc;
use std::time::Duration;

use hyper::Response;
use hyper::body::Bytes;
use serde_json::{Value, json};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::mpsc;

use crate::Shared;
use crate::handlers::selectors;
use crate::render::WatchRender;
use crate::resources::{ResId, def};
use crate::selectors::{FieldSelector, LabelSelector};
use crate::server::{Body, Req, Target, error_response, stream_response};
use crate::status::ApiError;
use crate::store::{Event, EventType, meta_str};

struct Filter {
    res: ResId,
    ns: Option<String>,
    ls: LabelSelector,
    fs: FieldSelector,
}

impl Filter {
    fn matches(&self, o: &Value) -> bool {
        self.ls.matches(o) && self.fs.matches(o)
    }

    /// The event this watcher sees for a store event, if any.
    fn translate(&self, e: &Event) -> Option<(&'static str, Value)> {
        if e.res != self.res || self.ns.as_ref().is_some_and(|n| *n != e.ns) {
            return None;
        }
        let now = self.matches(&e.obj);
        match e.typ {
            EventType::Added => now.then(|| ("ADDED", e.obj.clone())),
            EventType::Deleted => now.then(|| ("DELETED", e.obj.clone())),
            EventType::Modified => {
                let before = e.prev.as_ref().is_some_and(|p| self.matches(p));
                match (before, now) {
                    (true, true) => Some(("MODIFIED", e.obj.clone())),
                    (false, true) => Some(("ADDED", e.obj.clone())),
                    (true, false) => Some(("DELETED", e.obj.clone())),
                    (false, false) => None,
                }
            }
        }
    }
}

fn line(typ: &str, obj: &Value) -> Bytes {
    let mut s = json!({"type": typ, "object": obj}).to_string();
    s.push('\n');
    Bytes::from(s)
}

fn bookmark(res: ResId, rv: u64, initial_end: bool) -> Bytes {
    let d = def(res);
    let mut meta = json!({"resourceVersion": rv.to_string(), "creationTimestamp": null});
    if initial_end {
        meta["annotations"] = json!({"k8s.io/initial-events-end": "true"});
    }
    line("BOOKMARK", &json!({"kind": d.kind, "apiVersion": d.api_version(), "metadata": meta}))
}

pub fn serve(shared: Arc<Shared>, req: &Req, t: &Target) -> Response<Body> {
    let d = def(t.res);
    let (ls, fs) = match selectors(req, d) {
        Ok(s) => s,
        Err(e) => return error_response(&e),
    };
    let mut render = match WatchRender::new(req) {
        Ok(r) => r,
        Err(e) => return error_response(&e),
    };
    let send_initial = req.flag("sendInitialEvents");
    let bookmarks = req.flag("allowWatchBookmarks");
    if send_initial && (req.q("resourceVersionMatch") != Some("NotOlderThan") || !bookmarks) {
        return error_response(&ApiError::invalid(
            d,
            "",
            &[("sendInitialEvents", "Forbidden: sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled and resourceVersionMatch is set to NotOlderThan and allowWatchBookmarks is true".into())],
        ));
    }
    let rv_param = req.q("resourceVersion").filter(|s| !s.is_empty()).map(String::from);
    let timeout = req.q("timeoutSeconds").and_then(|s| s.parse::<u64>().ok()).map(Duration::from_secs).unwrap_or(Duration::from_secs(1800));
    let filter = Filter { res: t.res, ns: t.ns.clone(), ls, fs };

    // Subscribe and snapshot under one lock so no event falls between the two.
    let (rx, initial, start_rv, expired) = {
        let store = shared.store();
        let rx = store.tx.subscribe();
        let current = store.rv;
        let mut initial: Vec<Bytes> = Vec::new();
        let mut expired = None;
        let start_rv;
        match (send_initial, rv_param.as_deref()) {
            (false, Some(rv)) if rv != "0" => {
                let n: u64 = match rv.parse() {
                    Ok(n) => n,
                    Err(_) => return error_response(&ApiError::bad_request(format!("invalid resource version: {rv}"))),
                };
                if n + 1 < store.oldest_rv() {
                    expired = Some(format!("too old resource version: {n} ({})", store.oldest_rv() - 1));
                } else {
                    for e in store.history_since(n) {
                        if let Some((typ, obj)) = filter.translate(&e) {
                            initial.push(line(typ, &render.event_object(&shared, d, &obj)));
                        }
                    }
                }
                start_rv = current.max(n);
            }
            _ => {
                for o in store.list(t.res, t.ns.as_deref()) {
                    if filter.matches(o) {
                        initial.push(line("ADDED", &render.event_object(&shared, d, o)));
                    }
                }
                if send_initial {
                    initial.push(bookmark(t.res, current, true));
                }
                start_rv = current;
            }
        }
        (rx, initial, start_rv, expired)
    };

    let (tx, resp) = stream_response("application/json");
    let mut stop = shared.shutdown.subscribe();
    tokio::spawn(async move {
        if let Some(msg) = expired {
            let st = ApiError::expired(msg).to_status();
            let _ = tx.send(line("ERROR", &st)).await;
            return;
        }
        let run = pump(shared.clone(), filter, render, rx, initial, start_rv, bookmarks, tx);
        tokio::select! {
            _ = run => {}
            _ = tokio::time::sleep(timeout) => {}
            _ = stop.changed() => {}
        }
    });
    resp
}

#[allow(clippy::too_many_arguments)] // one call site, the watch's whole state
async fn pump(
    shared: Arc<Shared>,
    filter: Filter,
    mut render: WatchRender,
    mut rx: tokio::sync::broadcast::Receiver<Arc<Event>>,
    initial: Vec<Bytes>,
    start_rv: u64,
    bookmarks: bool,
    tx: mpsc::Sender<Bytes>,
) {
    for b in initial {
        if tx.send(b).await.is_err() {
            return;
        }
    }
    let mut last = start_rv;
    let mut tick = tokio::time::interval(Duration::from_secs(5));
    tick.tick().await;
    loop {
        tokio::select! {
            ev = rx.recv() => match ev {
                Ok(e) => {
                    if e.rv <= last {
                        continue;
                    }
                    last = e.rv;
                    if let Some((typ, obj)) = filter.translate(&e)
                        && tx.send(line(typ, &render.event_object(&shared, def(filter.res), &obj))).await.is_err()
                    {
                        return;
                    }
                }
                // A watcher too slow to keep up is closed; clients re-watch from their last version.
                Err(RecvError::Lagged(_)) | Err(RecvError::Closed) => return,
            },
            _ = tick.tick() => {
                if tx.is_closed() {
                    return;
                }
                if bookmarks {
                    // Only versions already delivered: a client resuming from a bookmark must not
                    // skip events still queued for it.
                    if tx.send(bookmark(filter.res, last, false)).await.is_err() {
                        return;
                    }
                }
            }
        }
    }
}

/// Used by tests of watch semantics without HTTP.
#[allow(dead_code)]
pub fn event_name(e: &Event) -> String {
    format!("{} {}", e.typ.as_str(), meta_str(&e.obj, "name"))
}
