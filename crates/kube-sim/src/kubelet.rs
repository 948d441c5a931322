//! The simulated scheduler + kubelet: binds pods to the one node, then walks every container
//! through the states a real kubelet reports (ContainerCreating → Running → Ready, or
//! ErrImagePull / ImagePullBackOff, CrashLoopBackOff with exponential back-off, OOMKilled,
//! Completed / Error for job pods), driven by the steering rules and simulated time. Also serves
//! the metrics API (`kubectl top pod`).

use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};

use crate::Shared;
use crate::clock::{fmt_time, parse_time};
use crate::controllers::{is_terminating, record_event_at, set_condition};
use crate::resources::id;
use crate::server::{Req, Target};
use crate::status::{ApiError, ApiResult};
use crate::steering::{Behavior, ContainerCtx};
use crate::store::{Store, meta_str, name_of};

pub const NODE: &str = "kube-sim-node";
/// Simulated time an image pull takes.
const PULL: i64 = 1;

fn at(v: &Value, ptr: &str) -> Option<Timestamp> {
    v.pointer(ptr).and_then(Value::as_str).and_then(parse_time)
}

fn plus(t: Timestamp, secs: f64) -> Timestamp {
    t.checked_add(SignedDuration::from_secs_f64(secs)).unwrap_or(t)
}

fn backoff(restarts: i64) -> f64 {
    (10.0 * 2f64.powi(restarts.clamp(0, 10) as i32 - 1).max(1.0)).min(300.0)
}

struct Effects {
    /// (type, reason, message, fieldPath of the container it is about).
    events: Vec<(&'static str, &'static str, String, Option<String>)>,
    /// The container being stepped: its events carry `spec.containers{NAME}`.
    container: Option<String>,
    logs: Vec<(String, u32, Vec<String>)>,
}

impl Effects {
    fn push(&mut self, (typ, reason, msg): (&'static str, &'static str, String)) {
        let path = self.container.as_ref().map(|c| format!("spec.containers{{{c}}}"));
        self.events.push((typ, reason, msg, path));
    }
}

fn ctx(pod: &Value, c: &Value, is_job: bool) -> ContainerCtx {
    ContainerCtx {
        namespace: meta_str(pod, "namespace").to_string(),
        pod: name_of(pod).to_string(),
        container: c.get("name").and_then(Value::as_str).unwrap_or("").to_string(),
        image: c.get("image").and_then(Value::as_str).unwrap_or("").to_string(),
        labels: pod.pointer("/metadata/labels").cloned().unwrap_or(json!({})),
        is_job,
    }
}

fn image_id(image: &str) -> String {
    let h = crate::controllers::template_hash(&json!(image));
    format!("{image}@sha256:{}", h.repeat(7).get(..64).unwrap_or("0"))
}

/// Next status of one container. `prev` is its last reported status.
#[allow(clippy::too_many_arguments)] // one call site; the inputs are the container's whole context
fn step_container(
    pod: &Value,
    spec_c: &Value,
    prev: Option<&Value>,
    b: &Behavior,
    c: &ContainerCtx,
    start_logs: Vec<String>,
    now: Timestamp,
    fx: &mut Effects,
) -> Value {
    let name = c.container.clone();
    let image = c.image.clone();
    let restart_policy = pod.pointer("/spec/restartPolicy").and_then(Value::as_str).unwrap_or("Always");
    let started_pod = at(pod, "/status/startTime").unwrap_or(now);
    let restarts = prev.and_then(|p| p.get("restartCount")).and_then(Value::as_i64).unwrap_or(0);
    let mut cs = prev.cloned().unwrap_or_else(|| {
        json!({"name": name, "image": image, "imageID": "", "ready": false, "started": false, "restartCount": 0,
               "state": {"waiting": {"reason": "ContainerCreating"}}})
    });
    cs["image"] = json!(image);
    let ts = fmt_time(now);
    let state = cs.get("state").cloned().unwrap_or(json!({}));
    let waiting = state.pointer("/waiting/reason").and_then(Value::as_str).unwrap_or("").to_string();
    let run = |cs: &mut Value, restart: i64, fx: &mut Effects, pulled: bool| {
        cs["state"] = json!({"running": {"startedAt": ts}});
        cs["restartCount"] = json!(restart);
        cs["started"] = json!(true);
        cs["imageID"] = json!(image_id(&image));
        cs["containerID"] = json!(format!("sim://{}", crate::controllers::template_hash(&json!([c.pod, name, restart]))));
        if pulled {
            fx.push(("Normal", "Pulling", format!("Pulling image \"{image}\"")));
            fx.push(("Normal", "Pulled", format!("Successfully pulled image \"{image}\" in 1s (1s including waiting). Image size: 1048576 bytes.")));
        } else {
            fx.push(("Normal", "Pulled", format!("Container image \"{image}\" already present on machine")));
        }
        fx.push(("Normal", "Created", format!("Created container: {name}")));
        fx.push(("Normal", "Started", format!("Started container {name}")));
        fx.logs.push((name.clone(), restart as u32, start_logs.clone()));
    };
    if state.get("running").is_some() {
        let s = at(&state, "/running/startedAt").unwrap_or(now);
        let up = now.duration_since(s).as_secs_f64();
        let exit = match b {
            Behavior::CrashLoop { exit_code, run_for } if up >= run_for.as_secs_f64() => Some((*exit_code, "Error")),
            Behavior::OomKilled { run_for } if up >= run_for.as_secs_f64() => Some((137, "OOMKilled")),
            Behavior::Fail { exit_code, run_for } if up >= run_for.as_secs_f64() => Some((*exit_code, "Error")),
            Behavior::Run { job_duration } if c.is_job && up >= job_duration.as_secs_f64() => Some((0, "Completed")),
            _ => None,
        };
        if let Some((code, reason)) = exit {
            cs["state"] = json!({"terminated": {"exitCode": code, "reason": reason, "startedAt": state["running"]["startedAt"], "finishedAt": ts,
                                                "containerID": cs["containerID"]}});
            cs["ready"] = json!(false);
            cs["started"] = json!(false);
            return cs;
        }
        let delay = spec_c.pointer("/readinessProbe/initialDelaySeconds").and_then(Value::as_f64).unwrap_or(0.0);
        let ready = !matches!(b, Behavior::NeverReady) && up >= delay;
        if matches!(b, Behavior::NeverReady) && spec_c.get("readinessProbe").is_some() && up >= delay {
            fx.push(("Warning", "Unhealthy", "Readiness probe failed: HTTP probe failed with statuscode: 503".to_string()));
        }
        cs["ready"] = json!(ready);
        return cs;
    }
    if let Some(term) = state.get("terminated") {
        let code = term.get("exitCode").and_then(Value::as_i64).unwrap_or(0);
        let restart = restart_policy == "Always" || (restart_policy == "OnFailure" && code != 0);
        if !restart {
            return cs;
        }
        let wait = backoff(restarts + 1);
        cs["lastState"] = json!({"terminated": term});
        cs["restartCount"] = json!(restarts + 1);
        cs["state"] = json!({"waiting": {"reason": "CrashLoopBackOff",
            "message": format!("back-off {}s restarting failed container={name} pod={}_{}({})", wait as i64, c.pod, c.namespace, meta_str(pod, "uid"))}});
        fx.push(("Warning", "BackOff", format!("Back-off restarting failed container {name} in pod {}_{}({})", c.pod, c.namespace, meta_str(pod, "uid"))));
        return cs;
    }
    match waiting.as_str() {
        "CrashLoopBackOff" => {
            let f = at(&cs, "/lastState/terminated/finishedAt").unwrap_or(now);
            if now >= plus(f, backoff(restarts)) {
                run(&mut cs, restarts, fx, false);
            }
        }
        "ErrImagePull" | "ImagePullBackOff" => {
            if let Behavior::ImagePullBackOff { message } = b {
                if waiting == "ErrImagePull" {
                    cs["state"] = json!({"waiting": {"reason": "ImagePullBackOff", "message": format!("Back-off pulling image \"{image}\": ErrImagePull: {}", pull_message(&image, message))}});
                    fx.push(("Normal", "BackOff", format!("Back-off pulling image \"{image}\"")));
                    fx.push(("Warning", "Failed", "Error: ImagePullBackOff".to_string()));
                }
            } else {
                run(&mut cs, restarts, fx, true);
            }
        }
        _ => {
            if now < plus(started_pod, PULL as f64) {
                return cs;
            }
            if let Behavior::ImagePullBackOff { message } = b {
                cs["state"] = json!({"waiting": {"reason": "ErrImagePull", "message": pull_message(&image, message)}});
                fx.push(("Normal", "Pulling", format!("Pulling image \"{image}\"")));
                fx.push(("Warning", "Failed", format!("Failed to pull image \"{image}\": {}", pull_message(&image, message))));
                fx.push(("Warning", "Failed", "Error: ErrImagePull".to_string()));
            } else {
                run(&mut cs, restarts, fx, true);
            }
        }
    }
    cs
}

fn pull_message(image: &str, custom: &str) -> String {
    if !custom.is_empty() {
        return custom.to_string();
    }
    let (repo, tag) = image.rsplit_once(':').filter(|(_, t)| !t.contains('/')).unwrap_or((image, "latest"));
    format!("rpc error: code = NotFound desc = failed to pull and unpack image \"{image}\": failed to resolve reference \"{image}\": {repo}:{tag}: not found")
}

fn pod_ip(uid: &str) -> String {
    let h = uid.bytes().fold(7u32, |a, b| a.wrapping_mul(31).wrapping_add(u32::from(b)));
    format!("10.244.{}.{}", (h >> 8) % 250, h % 250 + 2)
}

pub fn reconcile(shared: &Shared, store: &mut Store, now: Timestamp) -> PendingLogs {
    let mut pending = PendingLogs::new();
    let pod_res = id("", "pods");
    let ts = fmt_time(now);
    let pods = store.list_cloned(pod_res, None);
    let steering = shared.steering();
    for pod in pods {
        let ns = meta_str(&pod, "namespace").to_string();
        let name = name_of(&pod).to_string();
        if is_terminating(&pod) {
            let grace = pod.pointer("/metadata/deletionGracePeriodSeconds").and_then(Value::as_i64).unwrap_or(0);
            let requested = at(&pod, "/metadata/deletionTimestamp").map(|t| plus(t, -(grace as f64))).unwrap_or(now);
            if now >= plus(requested, (grace as f64).min(1.0)) {
                store.remove(&crate::store::Key::new(pod_res, &ns, &name));
            }
            continue;
        }
        let phase = pod.pointer("/status/phase").and_then(Value::as_str).unwrap_or("Pending");
        if matches!(phase, "Succeeded" | "Failed") {
            continue;
        }
        let is_job = pod.pointer("/spec/restartPolicy").and_then(Value::as_str) != Some("Always");
        let containers: Vec<Value> = pod.pointer("/spec/containers").and_then(Value::as_array).cloned().unwrap_or_default();
        let ctxs: Vec<ContainerCtx> = containers.iter().map(|c| ctx(&pod, c, is_job)).collect();
        let behaviors: Vec<Behavior> = ctxs.iter().map(|c| steering.behavior(c)).collect();
        let mut fx = Effects { events: vec![], logs: vec![], container: None };
        let mut st = pod.get("status").cloned().unwrap_or(json!({"phase": "Pending"}));
        let mut spec_node = None;
        let scheduled = pod.pointer("/spec/nodeName").and_then(Value::as_str).is_some_and(|n| !n.is_empty());
        if !scheduled {
            if behaviors.contains(&Behavior::Pending) {
                let msg = "0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.";
                set_condition(&mut st, "PodScheduled", "False", "Unschedulable", msg, &ts, false);
                fx.push(("Warning", "FailedScheduling", msg.to_string()));
                apply(store, now, &pod, st, None, fx, &mut pending);
                continue;
            }
            spec_node = Some(NODE.to_string());
            st["startTime"] = json!(ts);
            st["hostIP"] = json!("127.0.0.1");
            st["hostIPs"] = json!([{"ip": "127.0.0.1"}]);
            let ip = pod_ip(meta_str(&pod, "uid"));
            st["podIP"] = json!(ip);
            st["podIPs"] = json!([{"ip": ip}]);
            st["qosClass"] = json!("BestEffort");
            set_condition(&mut st, "PodScheduled", "True", "", "", &ts, false);
            fx.push(("Normal", "Scheduled", format!("Successfully assigned {ns}/{name} to {NODE}")));
            for (k, v) in [("PodReadyToStartContainers", "True"), ("Initialized", "True"), ("Ready", "False"), ("ContainersReady", "False")] {
                set_condition(&mut st, k, v, "", "", &ts, false);
            }
        }
        let mut pod_view = pod.clone();
        pod_view["status"] = st.clone();
        let prev_statuses: Vec<Value> = st.get("containerStatuses").and_then(Value::as_array).cloned().unwrap_or_default();
        let mut statuses = Vec::new();
        for ((c, cx), b) in containers.iter().zip(&ctxs).zip(&behaviors) {
            let prev = prev_statuses.iter().find(|p| p.get("name") == c.get("name"));
            let mut logs = steering.start_logs(cx);
            if logs.is_empty() {
                logs.push(format!("[kube-sim] container {} started (image {})", cx.container, cx.image));
            }
            fx.container = Some(cx.container.clone());
            statuses.push(step_container(&pod_view, c, prev, b, cx, logs, now, &mut fx));
            fx.container = None;
        }
        if let Some(inits) = pod.pointer("/spec/initContainers").and_then(Value::as_array) {
            let s: Vec<Value> = inits
                .iter()
                .map(|c| json!({"name": c["name"], "image": c["image"], "imageID": image_id(c["image"].as_str().unwrap_or("")), "ready": true, "started": false, "restartCount": 0,
                                "state": {"terminated": {"exitCode": 0, "reason": "Completed", "startedAt": st["startTime"], "finishedAt": st["startTime"]}}}))
                .collect();
            st["initContainerStatuses"] = json!(s);
        }
        let all_ready = !statuses.is_empty() && statuses.iter().all(|s| s["ready"] == json!(true));
        let unready: Vec<String> = statuses.iter().filter(|s| s["ready"] != json!(true)).filter_map(|s| s["name"].as_str().map(String::from)).collect();
        let terminated: Vec<i64> = statuses.iter().filter_map(|s| s.pointer("/state/terminated/exitCode").and_then(Value::as_i64)).collect();
        let ever_ran = statuses.iter().any(|s| s.pointer("/state/running").is_some() || s.pointer("/lastState/terminated").is_some());
        let restart_policy = pod.pointer("/spec/restartPolicy").and_then(Value::as_str).unwrap_or("Always");
        let new_phase = if terminated.len() == statuses.len() && !statuses.is_empty() && restart_policy != "Always" {
            if terminated.iter().all(|c| *c == 0) {
                "Succeeded"
            } else if restart_policy == "Never" {
                "Failed"
            } else {
                "Running"
            }
        } else if ever_ran || !terminated.is_empty() {
            "Running"
        } else {
            "Pending"
        };
        st["phase"] = json!(new_phase);
        st["containerStatuses"] = json!(statuses);
        if all_ready {
            set_condition(&mut st, "ContainersReady", "True", "", "", &ts, false);
            set_condition(&mut st, "Ready", "True", "", "", &ts, false);
        } else {
            let (reason, msg) = if matches!(new_phase, "Succeeded" | "Failed") {
                ("PodCompleted", String::new())
            } else {
                ("ContainersNotReady", format!("containers with unready status: [{}]", unready.join(" ")))
            };
            set_condition(&mut st, "ContainersReady", "False", reason, &msg, &ts, false);
            set_condition(&mut st, "Ready", "False", reason, &msg, &ts, false);
        }
        for c in st["conditions"].as_array_mut().into_iter().flatten() {
            if c.get("lastProbeTime").is_none() {
                c["lastProbeTime"] = Value::Null;
            }
            for f in ["reason", "message"] {
                if c.get(f).and_then(Value::as_str) == Some("") {
                    c.as_object_mut().map(|m| m.remove(f));
                }
            }
        }
        apply(store, now, &pod, st, spec_node, fx, &mut pending);
    }
    pending
}

fn apply(store: &mut Store, now: Timestamp, pod: &Value, st: Value, node: Option<String>, fx: Effects, pending: &mut PendingLogs) {
    let pod_res = id("", "pods");
    let ns = meta_str(pod, "namespace").to_string();
    let name = name_of(pod).to_string();
    let updated = store.modify(pod_res, &ns, &name, |o| {
        o["status"] = st;
        if let Some(n) = node {
            o["spec"]["nodeName"] = json!(n);
        }
    });
    let source = updated.unwrap_or_else(|| pod.clone());
    for (typ, reason, msg, path) in fx.events {
        let component = if reason.starts_with("FailedScheduling") || reason == "Scheduled" { "default-scheduler" } else { "kubelet" };
        record_event_at(store, now, &source, path.as_deref(), typ, reason, &msg, component);
    }
    for (container, instance, lines) in fx.logs {
        pending.push(((ns.clone(), name.clone(), container), instance, lines, now));
    }
}

/// Log lines of container instances started during a pass, written once the locks are released.
pub type PendingLogs = Vec<((String, String, String), u32, Vec<String>, Timestamp)>;

pub fn flush_logs(shared: &Shared, pending: PendingLogs) {
    for ((ns, pod, c), instance, lines, at) in pending {
        for l in lines {
            crate::logs::push_instance(shared, &ns, &pod, &c, instance, &l, at);
        }
    }
}

fn quantity_cpu(m: u64) -> String {
    format!("{}n", m * 1_000_000)
}

fn quantity_mem(b: u64) -> String {
    format!("{}Ki", b / 1024)
}

fn usage(shared: &Shared, c: &ContainerCtx) -> (u64, u64) {
    if let Some(f) = shared.steering().metrics.clone() {
        return f(c);
    }
    let h = c.pod.bytes().chain(c.container.bytes()).fold(17u64, |a, b| a.wrapping_mul(31).wrapping_add(u64::from(b)));
    (1 + h % 20, (16 + h % 48) * 1024 * 1024)
}

fn pod_metrics(shared: &Shared, pod: &Value, now: Timestamp) -> Value {
    let containers: Vec<Value> = pod
        .pointer("/spec/containers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|c| {
            let (cpu, mem) = usage(shared, &ctx(pod, c, false));
            json!({"name": c["name"], "usage": {"cpu": quantity_cpu(cpu), "memory": quantity_mem(mem)}})
        })
        .collect();
    json!({
        "kind": "PodMetrics", "apiVersion": "metrics.k8s.io/v1beta1",
        "metadata": {"name": pod["metadata"]["name"], "namespace": pod["metadata"]["namespace"],
                     "creationTimestamp": fmt_time(now), "labels": pod["metadata"]["labels"]},
        "timestamp": fmt_time(now), "window": "30s", "containers": containers,
    })
}

/// `metrics.k8s.io/v1beta1` pods and nodes: usage of Running pods.
pub fn metrics(shared: &Shared, t: &Target, req: &Req) -> ApiResult<Value> {
    let d = crate::resources::def(t.res);
    let now = shared.clock.now();
    let pods: Vec<Value> = {
        let store = shared.store();
        let ns = if d.plural == "pods" { t.ns.as_deref() } else { None };
        store.list_cloned(id("", "pods"), ns).into_iter().filter(|p| p.pointer("/status/phase").and_then(Value::as_str) == Some("Running")).collect()
    };
    if d.plural == "nodes" {
        let (cpu, mem) = pods.iter().fold((0u64, 0u64), |acc, p| {
            p.pointer("/spec/containers").and_then(Value::as_array).into_iter().flatten().fold(acc, |(a, b), c| {
                let (x, y) = usage(shared, &ctx(p, c, false));
                (a + x, b + y)
            })
        });
        let node = json!({"kind": "NodeMetrics", "apiVersion": "metrics.k8s.io/v1beta1",
            "metadata": {"name": NODE, "creationTimestamp": fmt_time(now)}, "timestamp": fmt_time(now), "window": "30s",
            "usage": {"cpu": quantity_cpu(cpu + 100), "memory": quantity_mem(mem + 512 * 1024 * 1024)}});
        return match &t.name {
            Some(n) if n == NODE => Ok(node),
            Some(n) => Err(ApiError::new(404, "NotFound", format!("nodemetrics.metrics.k8s.io \"{n}\" not found"))),
            None => Ok(json!({"kind": "NodeMetricsList", "apiVersion": "metrics.k8s.io/v1beta1", "metadata": {}, "items": [node]})),
        };
    }
    let (ls, _) = crate::handlers::selectors(req, d)?;
    match &t.name {
        Some(n) => pods
            .iter()
            .find(|p| name_of(p) == n)
            .map(|p| pod_metrics(shared, p, now))
            .ok_or_else(|| ApiError::new(404, "NotFound", format!("podmetrics.metrics.k8s.io \"{}/{n}\" not found", t.ns.clone().unwrap_or_default()))),
        None => {
            let items: Vec<Value> = pods.iter().filter(|p| ls.matches(p)).map(|p| pod_metrics(shared, p, now)).collect();
            Ok(json!({"kind": "PodMetricsList", "apiVersion": "metrics.k8s.io/v1beta1", "metadata": {}, "items": items}))
        }
    }
}
