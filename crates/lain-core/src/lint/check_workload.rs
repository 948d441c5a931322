//! Long-running procs: health checks and rollout strategy.

use serde_json::Value;

use super::walk::{self, WORKLOADS};
use super::{Severity, Sink};

/// Above this many replicas the seeds ask for a tuned, slow rollout.
pub(crate) const MANY_REPLICAS: i64 = 20;
/// At most this many pods should start at once (seeds: "一次 10 个左右地递增").
pub(crate) const MAX_PODS_AT_ONCE: i64 = 10;

pub(crate) fn run(values: &Value, sink: &mut Sink) {
    for section in WORKLOADS {
        for (name, entry) in walk::entries(values, section) {
            let base = walk::join(&walk::join("", section), name);
            probes(&base, entry, sink);
            if section == "deployments" {
                rollout(&base, entry, sink);
            }
        }
    }
}

fn probes(base: &str, entry: &Value, sink: &mut Sink) {
    let readiness = entry.get("readinessProbe").filter(|v| !v.is_null());
    let liveness = entry.get("livenessProbe").filter(|v| !v.is_null());
    let has_port = entry.get("containerPort").is_some_and(|v| !v.is_null());
    if has_port && readiness.is_none() {
        sink.push(
            Severity::Warning,
            "readiness-probe-missing",
            walk::join(base, "readinessProbe"),
            "this proc serves a port but has no readinessProbe: pods get traffic before the app listens, so every deploy and restart causes errors",
            "add `readinessProbe: {httpGet: {path: /healthcheck, port: PORT}, initialDelaySeconds: 2, periodSeconds: 3, failureThreshold: 1}` (or tcpSocket for non-HTTP servers)",
        );
    }
    let Some(liveness) = liveness else { return };
    let delay = |p: Option<&Value>| p.and_then(|p| walk::int(p.get("initialDelaySeconds"))).unwrap_or(0);
    let (live_delay, ready_delay) = (delay(Some(liveness)), delay(readiness));
    // A startupProbe holds the liveness probe back until the app has started, which is what
    // the delay is for.
    if entry.get("startupProbe").is_none_or(|v| v.is_null()) && live_delay < ready_delay {
        sink.push(
            Severity::Warning,
            "liveness-delay-shorter",
            walk::join(&walk::join(base, "livenessProbe"), "initialDelaySeconds"),
            format!(
                "livenessProbe starts after {live_delay}s but readinessProbe only after {ready_delay}s: a slow start is killed before it is ever ready, and the pod restarts forever"
            ),
            format!(
                "set livenessProbe.initialDelaySeconds well above the warm-up time (at least {ready_delay}, e.g. 60), or add a startupProbe"
            ),
        );
    }
    if walk::int(liveness.get("failureThreshold")) == Some(1) {
        sink.push(
            Severity::Suggestion,
            "liveness-failure-threshold",
            walk::join(&walk::join(base, "livenessProbe"), "failureThreshold"),
            "one failed liveness check restarts the container: under heavy traffic that turns a slow moment into a cascade of restarts",
            "give livenessProbe more chances (failureThreshold: 5 to 10); keep readinessProbe strict instead",
        );
    }
}

/// Resolves an int-or-percent rollout field the way the Deployment controller does.
fn resolve(v: Option<&Value>, replicas: i64, default_pct: i64, round_up: bool) -> i64 {
    let pct = |p: i64| {
        let x = p * replicas;
        if round_up { (x + 99) / 100 } else { x / 100 }
    };
    match v {
        None | Some(Value::Null) => pct(default_pct),
        Some(Value::String(s)) if s.trim().ends_with('%') => s.trim().trim_end_matches('%').trim().parse().map(pct).unwrap_or(pct(default_pct)),
        other => walk::int(other).unwrap_or(pct(default_pct)),
    }
}

fn rollout(base: &str, entry: &Value, sink: &mut Sink) {
    let hpa = entry.get("hpa").filter(|v| v.is_object());
    let replicas = walk::int(entry.get("replicaCount")).unwrap_or(1);
    // With an HPA the replica count moves between these bounds; judge by the bounds.
    let min_replicas = hpa.and_then(|h| walk::int(h.get("minReplicas"))).unwrap_or(replicas);
    let max_replicas = hpa.and_then(|h| walk::int(h.get("maxReplicas"))).unwrap_or(replicas).max(replicas);
    let strategy = entry.get("strategy").filter(|v| v.is_object());
    let kind = strategy.and_then(|s| s.get("type")).and_then(Value::as_str).unwrap_or("RollingUpdate");
    let ru = strategy.and_then(|s| s.get("rollingUpdate")).filter(|v| v.is_object());
    let spath = walk::join(base, "strategy");

    if min_replicas > 1 && kind == "Recreate" {
        sink.push(
            Severity::Warning,
            "rollout-all-at-once",
            walk::join(&spath, "type"),
            format!("strategy Recreate stops all {min_replicas} pods before starting new ones: every deploy is an outage"),
            "use RollingUpdate (remove strategy.type) unless two versions truly cannot run side by side",
        );
        return;
    }
    if kind != "RollingUpdate" {
        return;
    }
    let unavailable = resolve(ru.and_then(|r| r.get("maxUnavailable")), min_replicas, 25, false);
    if min_replicas > 1 && unavailable >= min_replicas {
        sink.push(
            Severity::Warning,
            "rollout-all-at-once",
            walk::join(&walk::join(&spath, "rollingUpdate"), "maxUnavailable"),
            format!("maxUnavailable lets all {min_replicas} pods go down at once during a rollout"),
            "set rollingUpdate.maxUnavailable to 1 (or a small percentage such as 25%)",
        );
    }
    if max_replicas > MANY_REPLICAS {
        let surge = resolve(ru.and_then(|r| r.get("maxSurge")), max_replicas, 25, true);
        let unavail = resolve(ru.and_then(|r| r.get("maxUnavailable")), max_replicas, 25, false);
        let at_once = surge + unavail;
        if ru.is_none() || at_once > MAX_PODS_AT_ONCE {
            sink.push(
                Severity::Warning,
                "rollout-untuned",
                walk::join(&spath, "rollingUpdate"),
                format!(
                    "{max_replicas} replicas with {}: up to {at_once} pods are replaced at once; many containers starting together can saturate node CPU (startup congestion) and spread a bad release fast",
                    if ru.is_none() { "the default rolling update (25%/25%)".to_string() } else { "this rolling update".to_string() }
                ),
                "roll slowly: strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 1, maxUnavailable: 1}} (in values-CLUSTER.yaml for the big cluster)",
            );
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn resolves_like_the_controller() {
        assert_eq!(resolve(None, 10, 25, true), 3);
        assert_eq!(resolve(None, 10, 25, false), 2);
        assert_eq!(resolve(Some(&json!("50%")), 3, 25, false), 1);
        assert_eq!(resolve(Some(&json!("100%")), 3, 25, false), 3);
        assert_eq!(resolve(Some(&json!(2)), 30, 25, true), 2);
    }
}
