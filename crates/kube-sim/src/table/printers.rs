//! Per-kind cells, following the real server's printers (same spelling: `1/2`, `3 (5m ago)`,
//! `<none>`, `80:30080/TCP`, ...). The columns they fill are in `columns.rs`.

use jiff::Timestamp;
use serde_json::{Value, json};

use super::format::{
    access_modes, between, containers, human_duration, int_at, int_or_string, is_zero_time, label_selector, labels, list_with_more, or_none, selector, since,
    str_at,
};
use crate::clock::parse_time;

pub fn row_conditions(kind: &str, obj: &Value) -> Option<Value> {
    if kind != "Pod" {
        return None;
    }
    match str_at(obj, "/status/phase") {
        "Succeeded" => Some(json!([{"type": "Completed", "status": "True", "reason": "Succeeded", "message": "The pod has completed successfully."}])),
        "Failed" => Some(json!([{"type": "Completed", "status": "True", "reason": "Failed", "message": "The pod failed."}])),
        _ => None,
    }
}

pub fn cells(kind: &str, o: &Value, now: Timestamp) -> Option<Vec<Value>> {
    let name = json!(str_at(o, "/metadata/name"));
    let age = json!(since(now, o.pointer("/metadata/creationTimestamp")));
    Some(match kind {
        "Pod" => pod(o, now),
        "Deployment" => {
            let (cs, images) = containers(o.pointer("/spec/template/spec"));
            vec![
                name,
                json!(format!("{}/{}", int_at(o, "/status/readyReplicas"), int_at(o, "/spec/replicas"))),
                json!(int_at(o, "/status/updatedReplicas")),
                json!(int_at(o, "/status/availableReplicas")),
                age,
                json!(cs),
                json!(images),
                json!(selector(o.pointer("/spec/selector"))),
            ]
        }
        "ReplicaSet" => {
            let (cs, images) = containers(o.pointer("/spec/template/spec"));
            vec![
                name,
                json!(int_at(o, "/spec/replicas")),
                json!(int_at(o, "/status/replicas")),
                json!(int_at(o, "/status/readyReplicas")),
                age,
                json!(cs),
                json!(images),
                json!(label_selector(o.pointer("/spec/selector"))),
            ]
        }
        "StatefulSet" => {
            let (cs, images) = containers(o.pointer("/spec/template/spec"));
            vec![name, json!(format!("{}/{}", int_at(o, "/status/readyReplicas"), int_at(o, "/spec/replicas"))), age, json!(cs), json!(images)]
        }
        "Job" => job(o, now),
        "CronJob" => {
            let (cs, images) = containers(o.pointer("/spec/jobTemplate/spec/template/spec"));
            let last = if is_zero_time(o.pointer("/status/lastScheduleTime")) { "<none>".into() } else { since(now, o.pointer("/status/lastScheduleTime")) };
            let suspend = match o.pointer("/spec/suspend").and_then(Value::as_bool) {
                Some(true) => "True",
                Some(false) => "False",
                None => "<unset>",
            };
            vec![
                name,
                json!(str_at(o, "/spec/schedule")),
                json!(or_none(str_at(o, "/spec/timeZone"), "<none>")),
                json!(suspend),
                json!(o.pointer("/status/active").and_then(Value::as_array).map_or(0, Vec::len)),
                json!(last),
                age,
                json!(cs),
                json!(images),
                json!(label_selector(o.pointer("/spec/jobTemplate/spec/selector"))),
            ]
        }
        "Service" => service(o, name, age),
        "Ingress" => ingress(o, name, age),
        "Secret" => vec![name, json!(str_at(o, "/type")), json!(o.get("data").and_then(Value::as_object).map_or(0, |m| m.len())), age],
        "ConfigMap" => {
            let n = ["data", "binaryData"].iter().map(|f| o.get(*f).and_then(Value::as_object).map_or(0, |m| m.len())).sum::<usize>();
            vec![name, json!(n), age]
        }
        "ServiceAccount" => vec![name, json!(o.get("secrets").and_then(Value::as_array).map_or(0, Vec::len)), age],
        "Namespace" => vec![name, json!(str_at(o, "/status/phase")), age],
        "Endpoints" => vec![name, json!(endpoints(o)), age],
        "EndpointSlice" => vec![name, json!(str_at(o, "/addressType")), json!(slice_ports(o)), json!(slice_endpoints(o)), age],
        "Node" => node(o, name, age),
        "Event" => event(o, now),
        "PersistentVolumeClaim" => pvc(o, name, age),
        "NetworkPolicy" => vec![name, json!(label_selector(o.pointer("/spec/podSelector"))), age],
        "HorizontalPodAutoscaler" => vec![
            name,
            json!(format!("{}/{}", str_at(o, "/spec/scaleTargetRef/kind"), str_at(o, "/spec/scaleTargetRef/name"))),
            json!(hpa_metrics(o)),
            json!(o.pointer("/spec/minReplicas").and_then(Value::as_i64).map_or("<unset>".to_string(), |n| n.to_string())),
            json!(int_at(o, "/spec/maxReplicas")),
            json!(int_at(o, "/status/currentReplicas")),
            age,
        ],
        "PodDisruptionBudget" => vec![
            name,
            json!(int_or_string(o.pointer("/spec/minAvailable")).unwrap_or_else(|| "N/A".into())),
            json!(int_or_string(o.pointer("/spec/maxUnavailable")).unwrap_or_else(|| "N/A".into())),
            json!(int_at(o, "/status/disruptionsAllowed")),
            age,
        ],
        _ => return None,
    })
}

fn condition_true(o: &Value, typ: &str) -> bool {
    o.pointer("/status/conditions")
        .and_then(Value::as_array)
        .and_then(|cs| cs.iter().find(|c| c.get("type").and_then(Value::as_str) == Some(typ)))
        .is_some_and(|c| c.get("status").and_then(Value::as_str) == Some("True"))
}

fn later(a: Option<Timestamp>, b: Option<&Value>) -> Option<Timestamp> {
    match (a, b.and_then(Value::as_str).and_then(parse_time)) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, y) => x.or(y),
    }
}

/// printPod: READY, STATUS (the most telling container reason), RESTARTS with the last restart.
fn pod(o: &Value, now: Timestamp) -> Vec<Value> {
    let empty = vec![];
    let spec_inits = o.pointer("/spec/initContainers").and_then(Value::as_array).unwrap_or(&empty);
    let restartable = |name: &str| spec_inits.iter().any(|c| str_at(c, "/name") == name && str_at(c, "/restartPolicy") == "Always");
    let mut total = o.pointer("/spec/containers").and_then(Value::as_array).map_or(0, Vec::len);
    total += spec_inits.iter().filter(|c| str_at(c, "/restartPolicy") == "Always").count();
    let mut ready = 0;
    let mut restarts = 0i64;
    let mut sidecar_restarts = 0i64;
    let mut last_restart: Option<Timestamp> = None;
    let mut sidecar_last_restart: Option<Timestamp> = None;
    let phase = str_at(o, "/status/phase");
    let mut reason = or_none(str_at(o, "/status/reason"), phase);
    let conds = o.pointer("/status/conditions").and_then(Value::as_array).cloned().unwrap_or_default();
    if conds.iter().any(|c| str_at(c, "/type") == "PodScheduled" && str_at(c, "/reason") == "SchedulingGated") {
        reason = "SchedulingGated".into();
    }
    let mut initializing = false;
    let inits = o.pointer("/status/initContainerStatuses").and_then(Value::as_array).cloned().unwrap_or_default();
    for (i, c) in inits.iter().enumerate() {
        restarts += int_at(c, "/restartCount");
        last_restart = later(last_restart, c.pointer("/lastState/terminated/finishedAt"));
        let side = restartable(str_at(c, "/name"));
        if side {
            sidecar_restarts += int_at(c, "/restartCount");
            sidecar_last_restart = later(sidecar_last_restart, c.pointer("/lastState/terminated/finishedAt"));
        }
        let term = c.pointer("/state/terminated");
        let waiting = str_at(c, "/state/waiting/reason");
        if term.is_some() && int_at(c, "/state/terminated/exitCode") == 0 {
            continue;
        }
        if side && c.get("started").and_then(Value::as_bool) == Some(true) {
            if c.get("ready").and_then(Value::as_bool) == Some(true) {
                ready += 1;
            }
            continue;
        }
        if let Some(t) = term {
            reason = match str_at(t, "/reason") {
                "" if int_at(t, "/signal") != 0 => format!("Init:Signal:{}", int_at(t, "/signal")),
                "" => format!("Init:ExitCode:{}", int_at(t, "/exitCode")),
                r => format!("Init:{r}"),
            };
        } else if !waiting.is_empty() && waiting != "PodInitializing" {
            reason = format!("Init:{waiting}");
        } else {
            reason = format!("Init:{i}/{}", spec_inits.len());
        }
        initializing = true;
        break;
    }
    if !initializing || condition_true(o, "Initialized") {
        restarts = sidecar_restarts;
        last_restart = sidecar_last_restart;
        let mut has_running = false;
        let statuses = o.pointer("/status/containerStatuses").and_then(Value::as_array).cloned().unwrap_or_default();
        for c in statuses.iter().rev() {
            restarts += int_at(c, "/restartCount");
            last_restart = later(last_restart, c.pointer("/lastState/terminated/finishedAt"));
            let waiting = str_at(c, "/state/waiting/reason");
            let term = c.pointer("/state/terminated");
            if !waiting.is_empty() {
                reason = waiting.to_string();
            } else if let Some(t) = term {
                reason = match str_at(t, "/reason") {
                    "" if int_at(t, "/signal") != 0 => format!("Signal:{}", int_at(t, "/signal")),
                    "" => format!("ExitCode:{}", int_at(t, "/exitCode")),
                    r => r.to_string(),
                };
            } else if c.get("ready").and_then(Value::as_bool) == Some(true) && c.pointer("/state/running").is_some() {
                has_running = true;
                ready += 1;
            }
        }
        if reason == "Completed" && has_running {
            reason = if condition_true(o, "Ready") { "Running".into() } else { "NotReady".into() };
        }
    }
    if o.pointer("/metadata/deletionTimestamp").is_some() {
        if str_at(o, "/status/reason") == "NodeLost" {
            reason = "Unknown".into();
        } else if !matches!(phase, "Succeeded" | "Failed") {
            reason = "Terminating".into();
        }
    }
    let restarts_str = match last_restart {
        Some(t) if restarts != 0 => format!("{restarts} ({} ago)", human_duration(now.duration_since(t).as_secs_f64())),
        _ => restarts.to_string(),
    };
    let ip = o.pointer("/status/podIPs/0/ip").and_then(Value::as_str).unwrap_or("");
    let gates = o.pointer("/spec/readinessGates").and_then(Value::as_array).filter(|g| !g.is_empty()).map(|gates| {
        let ok = gates.iter().filter(|g| condition_true(o, str_at(g, "/conditionType"))).count();
        format!("{ok}/{}", gates.len())
    });
    vec![
        json!(str_at(o, "/metadata/name")),
        json!(format!("{ready}/{total}")),
        json!(reason),
        json!(restarts_str),
        json!(since(now, o.pointer("/metadata/creationTimestamp"))),
        json!(or_none(ip, "<none>")),
        json!(or_none(str_at(o, "/spec/nodeName"), "<none>")),
        json!(or_none(str_at(o, "/status/nominatedNodeName"), "<none>")),
        json!(gates.unwrap_or_else(|| "<none>".into())),
    ]
}

fn job(o: &Value, now: Timestamp) -> Vec<Value> {
    let succeeded = int_at(o, "/status/succeeded");
    let completions = match o.pointer("/spec/completions").and_then(Value::as_i64) {
        Some(c) => format!("{succeeded}/{c}"),
        None => match int_at(o, "/spec/parallelism") {
            p if p > 1 => format!("{succeeded}/1 of {p}"),
            _ => format!("{succeeded}/1"),
        },
    };
    let start = str_at(o, "/status/startTime");
    let done = str_at(o, "/status/completionTime");
    let duration = match (start.is_empty(), done.is_empty()) {
        (true, _) => String::new(),
        (false, true) => since(now, o.pointer("/status/startTime")),
        (false, false) => between(start, done),
    };
    let status = if condition_true(o, "Complete") {
        "Complete"
    } else if condition_true(o, "Failed") {
        "Failed"
    } else if o.pointer("/metadata/deletionTimestamp").is_some() {
        "Terminating"
    } else if condition_true(o, "Suspended") {
        "Suspended"
    } else if condition_true(o, "FailureTarget") {
        "FailureTarget"
    } else {
        "Running"
    };
    let (cs, images) = containers(o.pointer("/spec/template/spec"));
    vec![
        json!(str_at(o, "/metadata/name")),
        json!(status),
        json!(completions),
        json!(duration),
        json!(since(now, o.pointer("/metadata/creationTimestamp"))),
        json!(cs),
        json!(images),
        json!(label_selector(o.pointer("/spec/selector"))),
    ]
}

/// The load balancer's IPs or hostnames, sorted and de-duplicated.
fn lb_ingress(o: &Value) -> String {
    let mut out: Vec<String> = o
        .pointer("/status/loadBalancer/ingress")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|i| {
            let ip = str_at(i, "/ip");
            let host = str_at(i, "/hostname");
            if !ip.is_empty() {
                Some(ip.to_string())
            } else if !host.is_empty() {
                Some(host.to_string())
            } else {
                None
            }
        })
        .collect();
    out.sort();
    out.dedup();
    out.join(",")
}

fn service(o: &Value, name: Value, age: Value) -> Vec<Value> {
    let typ = str_at(o, "/spec/type");
    let cluster_ip = o.pointer("/spec/clusterIPs/0").and_then(Value::as_str).unwrap_or("<none>");
    let external_ips: Vec<&str> = o.pointer("/spec/externalIPs").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).collect();
    let external = match typ {
        "ClusterIP" | "NodePort" => or_none(&external_ips.join(","), "<none>"),
        "LoadBalancer" => {
            let lb = lb_ingress(o);
            let mut all: Vec<String> = if lb.is_empty() { vec![] } else { lb.split(',').map(String::from).collect() };
            all.extend(external_ips.iter().map(|s| s.to_string()));
            or_none(&all.join(","), "<pending>")
        }
        "ExternalName" => str_at(o, "/spec/externalName").to_string(),
        _ => "<unknown>".into(),
    };
    let ports: Vec<String> = o
        .pointer("/spec/ports")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|p| {
            let proto = or_none(str_at(p, "/protocol"), "TCP");
            match int_at(p, "/nodePort") {
                np if np > 0 => format!("{}:{np}/{proto}", int_at(p, "/port")),
                _ => format!("{}/{proto}", int_at(p, "/port")),
            }
        })
        .collect();
    vec![name, json!(typ), json!(cluster_ip), json!(external), json!(or_none(&ports.join(","), "<none>")), age, json!(labels(o.pointer("/spec/selector")))]
}

fn ingress(o: &Value, name: Value, age: Value) -> Vec<Value> {
    let rules = o.pointer("/spec/rules").and_then(Value::as_array).cloned().unwrap_or_default();
    let hosts: Vec<String> = rules.iter().map(|r| str_at(r, "/host").to_string()).filter(|h| !h.is_empty()).collect();
    let hosts = if hosts.is_empty() {
        "*".to_string()
    } else if rules.len() > 3 {
        format!("{} + {} more...", hosts.iter().take(3).cloned().collect::<Vec<_>>().join(","), rules.len() - 3)
    } else {
        hosts.join(",")
    };
    let tls = o.pointer("/spec/tls").and_then(Value::as_array).is_some_and(|t| !t.is_empty());
    vec![
        name,
        json!(or_none(str_at(o, "/spec/ingressClassName"), "<none>")),
        json!(hosts),
        json!(lb_ingress(o)),
        json!(if tls { "80, 443" } else { "80" }),
        age,
    ]
}

/// formatEndpoints: `ip:port` pairs, three at most.
fn endpoints(o: &Value) -> String {
    let subsets = o.get("subsets").and_then(Value::as_array).cloned().unwrap_or_default();
    if subsets.is_empty() {
        return "<none>".into();
    }
    let mut list = Vec::new();
    let mut count = 0;
    for ss in &subsets {
        let addrs: Vec<&str> = ss.get("addresses").and_then(Value::as_array).into_iter().flatten().map(|a| str_at(a, "/ip")).collect();
        let ports = ss.get("ports").and_then(Value::as_array).cloned().unwrap_or_default();
        if ports.is_empty() {
            count += addrs.len();
            list.extend(addrs.iter().map(|a| a.to_string()));
            continue;
        }
        for p in &ports {
            count += addrs.len();
            list.extend(addrs.iter().map(|a| format!("{a}:{}", int_at(p, "/port"))));
        }
    }
    list_with_more(list, count, 3)
}

fn slice_ports(o: &Value) -> String {
    let ports = o.get("ports").and_then(Value::as_array).cloned().unwrap_or_default();
    let list: Vec<String> = ports
        .iter()
        .map(|p| match (p.get("port").and_then(Value::as_i64), p.get("name").and_then(Value::as_str)) {
            (Some(n), _) => n.to_string(),
            (None, Some(name)) => name.to_string(),
            _ => "*".into(),
        })
        .collect();
    let n = list.len();
    or_none(&list_with_more(list, n, 3), "<unset>")
}

fn slice_endpoints(o: &Value) -> String {
    let list: Vec<String> = o
        .get("endpoints")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .flat_map(|e| e.get("addresses").and_then(Value::as_array).cloned().unwrap_or_default())
        .filter_map(|a| a.as_str().map(String::from))
        .collect();
    let n = list.len();
    or_none(&list_with_more(list, n, 3), "<unset>")
}

fn node(o: &Value, name: Value, age: Value) -> Vec<Value> {
    let ready = o.pointer("/status/conditions").and_then(Value::as_array).and_then(|cs| cs.iter().find(|c| str_at(c, "/type") == "Ready"));
    let mut status = vec![match ready {
        Some(c) if str_at(c, "/status") == "True" => "Ready",
        Some(_) => "NotReady",
        None => "Unknown",
    }];
    if o.pointer("/spec/unschedulable").and_then(Value::as_bool) == Some(true) {
        status.push("SchedulingDisabled");
    }
    let mut roles: Vec<String> = o
        .pointer("/metadata/labels")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| match k.strip_prefix("node-role.kubernetes.io/") {
            Some(r) if !r.is_empty() => Some(r.to_string()),
            _ if k == "kubernetes.io/role" => v.as_str().filter(|s| !s.is_empty()).map(String::from),
            _ => None,
        })
        .collect();
    roles.sort();
    roles.dedup();
    let addr = |typ: &str| {
        o.pointer("/status/addresses")
            .and_then(Value::as_array)
            .and_then(|a| a.iter().find(|x| str_at(x, "/type") == typ))
            .map_or("<none>".to_string(), |x| str_at(x, "/address").to_string())
    };
    vec![
        name,
        json!(status.join(",")),
        json!(or_none(&roles.join(","), "<none>")),
        age,
        json!(str_at(o, "/status/nodeInfo/kubeletVersion")),
        json!(addr("InternalIP")),
        json!(addr("ExternalIP")),
        json!(or_none(str_at(o, "/status/nodeInfo/osImage"), "<unknown>")),
        json!(or_none(str_at(o, "/status/nodeInfo/kernelVersion"), "<unknown>")),
        json!(or_none(str_at(o, "/status/nodeInfo/containerRuntimeVersion"), "<unknown>")),
    ]
}

fn event(o: &Value, now: Timestamp) -> Vec<Value> {
    let first = if is_zero_time(o.get("firstTimestamp")) { since(now, o.get("eventTime")) } else { since(now, o.get("firstTimestamp")) };
    let mut last = if is_zero_time(o.get("lastTimestamp")) { first.clone() } else { since(now, o.get("lastTimestamp")) };
    let mut count = int_at(o, "/count");
    if let Some(series) = o.get("series").filter(|s| s.is_object()) {
        last = since(now, series.get("lastObservedTime"));
        count = int_at(series, "/count");
    } else if count == 0 {
        count = 1;
    }
    let kind = str_at(o, "/involvedObject/kind").to_lowercase();
    let target = match str_at(o, "/involvedObject/name") {
        "" => kind,
        n => format!("{kind}/{n}"),
    };
    let component = or_none(str_at(o, "/source/component"), str_at(o, "/reportingComponent"));
    let host = or_none(str_at(o, "/source/host"), str_at(o, "/reportingInstance"));
    let source = if host.is_empty() { component } else { format!("{component}, {host}") };
    vec![
        json!(last),
        json!(str_at(o, "/type")),
        json!(str_at(o, "/reason")),
        json!(target),
        json!(str_at(o, "/involvedObject/fieldPath")),
        json!(source),
        json!(str_at(o, "/message").trim()),
        json!(first),
        json!(count),
        json!(str_at(o, "/metadata/name")),
    ]
}

fn pvc(o: &Value, name: Value, age: Value) -> Vec<Value> {
    let phase = if o.pointer("/metadata/deletionTimestamp").is_some() { "Terminating" } else { str_at(o, "/status/phase") };
    let volume = str_at(o, "/spec/volumeName");
    let (capacity, modes) = if volume.is_empty() {
        (String::new(), String::new())
    } else {
        (str_at(o, "/status/capacity/storage").to_string(), access_modes(o.pointer("/status/accessModes")))
    };
    let class = o
        .pointer("/metadata/annotations/volume.beta.kubernetes.io~1storage-class")
        .and_then(Value::as_str)
        .unwrap_or_else(|| str_at(o, "/spec/storageClassName"));
    vec![
        name,
        json!(phase),
        json!(volume),
        json!(capacity),
        json!(modes),
        json!(class),
        json!(or_none(str_at(o, "/spec/volumeAttributesClassName"), "<unset>")),
        age,
        json!(or_none(str_at(o, "/spec/volumeMode"), "<unset>")),
    ]
}

/// formatHPAMetrics for the metric kinds charts use; current values are `<unknown>` until a
/// status reports them (the simulator runs no HPA controller).
fn hpa_metrics(o: &Value) -> String {
    let specs = o.pointer("/spec/metrics").and_then(Value::as_array).cloned().unwrap_or_default();
    if specs.is_empty() {
        return "<none>".into();
    }
    let statuses = o.pointer("/status/currentMetrics").and_then(Value::as_array).cloned().unwrap_or_default();
    let list: Vec<String> = specs
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let st = statuses.get(i);
            match str_at(s, "/type") {
                t @ ("Resource" | "ContainerResource") => {
                    let key = if t == "Resource" { "resource" } else { "containerResource" };
                    let res = str_at(s, &format!("/{key}/name"));
                    if let Some(avg) = s.pointer(&format!("/{key}/target/averageValue")).and_then(Value::as_str) {
                        let cur = st.and_then(|st| st.pointer(&format!("/{key}/current/averageValue"))).and_then(Value::as_str).unwrap_or("<unknown>");
                        format!("{res}: {cur}/{avg}")
                    } else {
                        let cur = st
                            .and_then(|st| st.pointer(&format!("/{key}/current/averageUtilization")))
                            .and_then(Value::as_i64)
                            .map_or("<unknown>".to_string(), |u| format!("{u}%"));
                        let target =
                            s.pointer(&format!("/{key}/target/averageUtilization")).and_then(Value::as_i64).map_or("<auto>".to_string(), |u| format!("{u}%"));
                        format!("{res}: {cur}/{target}")
                    }
                }
                "Pods" => {
                    let cur = st.and_then(|st| st.pointer("/pods/current/averageValue")).and_then(Value::as_str).unwrap_or("<unknown>");
                    format!("{cur}/{}", str_at(s, "/pods/target/averageValue"))
                }
                t @ ("Object" | "External") => {
                    let key = if t == "Object" { "object" } else { "external" };
                    match s.pointer(&format!("/{key}/target/averageValue")).and_then(Value::as_str) {
                        Some(avg) => {
                            let cur = st.and_then(|st| st.pointer(&format!("/{key}/current/averageValue"))).and_then(Value::as_str).unwrap_or("<unknown>");
                            format!("{cur}/{avg} (avg)")
                        }
                        None => {
                            let cur = st.and_then(|st| st.pointer(&format!("/{key}/current/value"))).and_then(Value::as_str).unwrap_or("<unknown>");
                            format!("{cur}/{}", str_at(s, &format!("/{key}/target/value")))
                        }
                    }
                }
                _ => "<unknown type>".into(),
            }
        })
        .collect();
    let n = list.len();
    if n > 2 { format!("{} + {} more...", list[..2].join(", "), n - 2) } else { list.join(", ") }
}
