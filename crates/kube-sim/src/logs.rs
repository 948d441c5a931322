//! `pods/log`: per container instance log lines (from steering rules or pushed by a test), with
//! `container`, `tailLines`, `previous`, `timestamps`, `sinceSeconds`, `limitBytes` and `follow`.

use std::sync::Arc;
use std::time::Duration;

use hyper::Response;
use hyper::body::Bytes;
use jiff::Timestamp;
use serde_json::Value;

use crate::Shared;
use crate::server::{Body, Req, Target, error_response, stream_response, text_response};
use crate::status::ApiError;
use crate::steering::LogLine;

/// Restart count of a container in a stored pod (the current instance's number).
fn restart_count(pod: &Value, container: &str) -> Option<(u32, Value)> {
    for list in ["containerStatuses", "initContainerStatuses"] {
        if let Some(cs) = pod.pointer(&format!("/status/{list}")).and_then(Value::as_array)
            && let Some(c) = cs.iter().find(|c| c.get("name").and_then(Value::as_str) == Some(container))
        {
            return Some((c.get("restartCount").and_then(Value::as_u64).unwrap_or(0) as u32, c.clone()));
        }
    }
    None
}

pub fn push(shared: &Shared, ns: &str, pod: &str, container: &str, text: &str, at: Timestamp) {
    let pod_res = crate::resources::id("", "pods");
    let restart = shared.store().get(pod_res, ns, pod).and_then(|p| restart_count(p, container)).map(|(r, _)| r).unwrap_or(0);
    push_instance(shared, ns, pod, container, restart, text, at);
}

pub fn push_instance(shared: &Shared, ns: &str, pod: &str, container: &str, restart: u32, text: &str, at: Timestamp) {
    let mut st = shared.steering();
    let key = (ns.to_string(), pod.to_string(), container.to_string());
    let line = LogLine { at, text: text.to_string() };
    let logs = st.logs.entry(key.clone()).or_default();
    match logs.instances.iter_mut().find(|(r, _)| *r == restart) {
        Some((_, lines)) => lines.push(line.clone()),
        None => logs.instances.push((restart, vec![line.clone()])),
    }
    let _ = st.log_tx.send((key, restart, line));
}

fn format_line(l: &LogLine, timestamps: bool) -> String {
    if timestamps { format!("{} {}\n", l.at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), l.text) } else { format!("{}\n", l.text) }
}

pub async fn serve(shared: Arc<Shared>, req: &Req, t: &Target, name: &str) -> Response<Body> {
    match prepare(&shared, req, t, name) {
        Ok(p) => p.respond(shared).await,
        Err(e) => error_response(&e),
    }
}

struct Prepared {
    key: (String, String, String),
    instance: u32,
    text: String,
    follow: bool,
    timestamps: bool,
}

fn prepare(shared: &Shared, req: &Req, t: &Target, name: &str) -> Result<Prepared, ApiError> {
    let ns = t.ns.clone().unwrap_or_default();
    let pod = shared.store().get(t.res, &ns, name).cloned().ok_or_else(|| ApiError::not_found(crate::resources::def(t.res), name))?;
    let names: Vec<String> = pod
        .pointer("/spec/containers")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|c| c.get("name").and_then(Value::as_str).map(String::from)).collect())
        .unwrap_or_default();
    let container = match req.q("container").filter(|c| !c.is_empty()) {
        Some(c) => c.to_string(),
        None if names.len() == 1 => names[0].clone(),
        None => {
            return Err(ApiError::bad_request(format!("a container name must be specified for pod {name}, choose one of: [{}]", names.join(" "))));
        }
    };
    let Some((restart, status)) = restart_count(&pod, &container) else {
        if names.contains(&container) {
            return Err(ApiError::bad_request(format!("container \"{container}\" in pod \"{name}\" is waiting to start: ContainerCreating")));
        }
        return Err(ApiError::bad_request(format!("container {container} is not valid for pod {name}")));
    };
    let previous = req.flag("previous");
    let instance = if previous {
        if restart == 0 {
            return Err(ApiError::bad_request(format!("previous terminated container \"{container}\" in pod \"{name}\" not found")));
        }
        restart - 1
    } else if let Some(reason) = status.pointer("/state/waiting/reason").and_then(Value::as_str) {
        if restart == 0 {
            return Err(ApiError::bad_request(format!("container \"{container}\" in pod \"{name}\" is waiting to start: {reason}")));
        }
        // Restarting (CrashLoopBackOff): the kubelet serves the last instance that ran.
        restart - 1
    } else {
        restart
    };
    let key = (ns, name.to_string(), container);
    let timestamps = req.flag("timestamps");
    let now = shared.clock.now();
    let since = req.q("sinceSeconds").and_then(|s| s.parse::<i64>().ok()).map(|s| now - jiff::SignedDuration::from_secs(s));
    let since = since.or_else(|| req.q("sinceTime").and_then(|s| s.parse::<Timestamp>().ok()));
    let lines: Vec<LogLine> = shared
        .steering()
        .logs
        .get(&key)
        .and_then(|l| l.instances.iter().find(|(r, _)| *r == instance).map(|(_, v)| v.clone()))
        .unwrap_or_default()
        .into_iter()
        .filter(|l| since.is_none_or(|s| l.at >= s))
        .collect();
    let tail = req.q("tailLines").and_then(|s| s.parse::<usize>().ok());
    let skip = tail.map(|n| lines.len().saturating_sub(n)).unwrap_or(0);
    let mut text: String = lines[skip..].iter().map(|l| format_line(l, timestamps)).collect();
    if let Some(limit) = req.q("limitBytes").and_then(|s| s.parse::<usize>().ok()) {
        let mut cut = limit.min(text.len());
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
    }
    Ok(Prepared { key, instance, text, follow: req.flag("follow") && !previous, timestamps })
}

impl Prepared {
    async fn respond(self, shared: Arc<Shared>) -> Response<Body> {
        if !self.follow {
            return text_response(200, "text/plain", self.text);
        }
        let mut rx = shared.steering().log_tx.subscribe();
        let (tx, resp) = stream_response("text/plain");
        let mut stop = shared.shutdown.subscribe();
        tokio::spawn(async move {
            if !self.text.is_empty() && tx.send(Bytes::from(self.text.clone())).await.is_err() {
                return;
            }
            let pod_res = crate::resources::id("", "pods");
            let mut check = tokio::time::interval(Duration::from_millis(200));
            loop {
                tokio::select! {
                    m = rx.recv() => match m {
                        Ok((k, inst, l)) if k == self.key && inst == self.instance => {
                            if tx.send(Bytes::from(format_line(&l, self.timestamps))).await.is_err() {
                                return;
                            }
                        }
                        Ok(_) => {}
                        Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                        Err(_) => return,
                    },
                    _ = check.tick() => {
                        // The stream ends when the container instance does, as with a real kubelet.
                        let running = shared
                            .store()
                            .get(pod_res, &self.key.0, &self.key.1)
                            .and_then(|p| restart_count(p, &self.key.2))
                            .is_some_and(|(r, s)| r == self.instance && s.pointer("/state/terminated").is_none());
                        if !running || tx.is_closed() {
                            return;
                        }
                    }
                    _ = stop.changed() => return,
                }
            }
        });
        resp
    }
}
