//! A `kubectl describe pod`-like text, built from the pod object and its events (no kubectl run
//! inside the full-screen dashboard).

use k8s_openapi::api::core::v1::{ContainerState, Pod};

use super::build::events_for;
use super::model::EventLine;

fn state(s: Option<&ContainerState>) -> String {
    let Some(s) = s else { return "unknown".into() };
    if let Some(r) = &s.running {
        return format!("Running (started {})", r.started_at.as_ref().map(|t| t.0.to_string()).unwrap_or_default());
    }
    if let Some(w) = &s.waiting {
        let m = w.message.as_deref().map(|m| format!(": {m}")).unwrap_or_default();
        return format!("Waiting: {}{m}", w.reason.as_deref().unwrap_or(""));
    }
    if let Some(t) = &s.terminated {
        let m = t.message.as_deref().map(|m| format!(": {m}")).unwrap_or_default();
        return format!("Terminated: {} (exit code {}){m}", t.reason.as_deref().unwrap_or(""), t.exit_code);
    }
    "unknown".into()
}

pub fn describe(pod: &Pod, events: &[EventLine]) -> Vec<String> {
    let mut out = Vec::new();
    let m = &pod.metadata;
    let name = m.name.clone().unwrap_or_default();
    out.push(format!("Name:        {name}"));
    out.push(format!("Namespace:   {}", m.namespace.as_deref().unwrap_or("")));
    let spec = pod.spec.as_ref();
    let st = pod.status.as_ref();
    out.push(format!("Node:        {}", spec.and_then(|s| s.node_name.as_deref()).unwrap_or("<none>")));
    out.push(format!("Created:     {}", m.creation_timestamp.as_ref().map(|t| t.0.to_string()).unwrap_or_default()));
    out.push(format!("Status:      {}", super::build::pod_status_word(pod)));
    if let Some(msg) = st.and_then(|s| s.message.as_deref()) {
        out.push(format!("Message:     {msg}"));
    }
    out.push(format!("IP:          {}", st.and_then(|s| s.pod_ip.as_deref()).unwrap_or("<none>")));
    let mut labels: Vec<String> = m.labels.iter().flatten().map(|(k, v)| format!("{k}={v}")).collect();
    labels.sort();
    out.push(format!("Labels:      {}", labels.join(" ")));
    let statuses: Vec<_> = st.and_then(|s| s.container_statuses.clone()).unwrap_or_default();
    let init_statuses: Vec<_> = st.and_then(|s| s.init_container_statuses.clone()).unwrap_or_default();
    for (title, containers, sts) in [
        ("Init Containers:", spec.and_then(|s| s.init_containers.clone()).unwrap_or_default(), &init_statuses),
        ("Containers:", spec.map(|s| s.containers.clone()).unwrap_or_default(), &statuses),
    ] {
        if containers.is_empty() {
            continue;
        }
        out.push(title.to_string());
        for c in containers {
            out.push(format!("  {}:", c.name));
            out.push(format!("    Image:         {}", c.image.as_deref().unwrap_or("")));
            if let Some(cmd) = &c.command {
                out.push(format!("    Command:       {}", cmd.join(" ")));
            }
            let cs = sts.iter().find(|s| s.name == c.name);
            out.push(format!("    State:         {}", state(cs.and_then(|s| s.state.as_ref()))));
            if let Some(ls) = cs.and_then(|s| s.last_state.as_ref()).filter(|l| l.terminated.is_some() || l.waiting.is_some()) {
                out.push(format!("    Last State:    {}", state(Some(ls))));
            }
            out.push(format!("    Ready:         {}", cs.map(|s| s.ready).unwrap_or(false)));
            out.push(format!("    Restart Count: {}", cs.map(|s| s.restart_count).unwrap_or(0)));
            if let Some(r) = &c.resources {
                let fmt = |m: Option<&std::collections::BTreeMap<String, k8s_openapi::apimachinery::pkg::api::resource::Quantity>>| {
                    m.map(|m| m.iter().map(|(k, v)| format!("{k}={}", v.0)).collect::<Vec<_>>().join(", ")).unwrap_or_else(|| "-".into())
                };
                out.push(format!("    Requests:      {}", fmt(r.requests.as_ref())));
                out.push(format!("    Limits:        {}", fmt(r.limits.as_ref())));
            }
            if let Some(p) = &c.readiness_probe {
                let what = p
                    .http_get
                    .as_ref()
                    .map(|h| format!("http-get {}:{:?}", h.path.as_deref().unwrap_or("/"), h.port))
                    .or_else(|| p.tcp_socket.as_ref().map(|t| format!("tcp-socket {:?}", t.port)))
                    .or_else(|| p.exec.as_ref().map(|e| format!("exec {}", e.command.clone().unwrap_or_default().join(" "))))
                    .unwrap_or_default();
                out.push(format!("    Readiness:     {what}"));
            }
        }
    }
    out.push("Conditions:".into());
    for c in st.and_then(|s| s.conditions.clone()).unwrap_or_default() {
        let why = c.reason.map(|r| format!("  ({r}{})", c.message.map(|m| format!(": {m}")).unwrap_or_default())).unwrap_or_default();
        out.push(format!("  {:<16} {}{why}", c.type_, c.status));
    }
    out.push("Events:".into());
    let evs = events_for(events, "Pod", &name);
    if evs.is_empty() {
        out.push("  <none>".into());
    }
    for e in evs.iter().rev() {
        let at = e.last_seen.map(|t| t.to_string()).unwrap_or_default();
        let n = if e.count > 1 { format!(" (x{})", e.count) } else { String::new() };
        out.push(format!("  {at}  {:<7} {:<18} {}{n}", e.type_, e.reason, e.message));
    }
    out
}
