//! Resource suggestions from Prometheus.
//!
//! For every deployment, statefulSet and cronjob, lain asks Prometheus for the P95 (over
//! `prometheus_query_range`, 7 days by default) of the container's memory working set and CPU
//! usage, takes the worst pod, and suggests:
//! - long-running procs: requests = P95, limits = requests × [`MEMORY_LIMIT_FACTOR`] (memory) or
//!   × [`CPU_LIMIT_FACTOR`] (CPU). Memory cannot be throttled, so its limit is only headroom over
//!   the usual peak; CPU is compressible and start-ups burst, so its limit is generous.
//! - CronJobs: requests = limits = P95 × [`MEMORY_LIMIT_FACTOR`] for both, so runs that start
//!   together on a node are never oversold.
//!
//! Values are rounded up to readable steps (see `quantity::round_*_up`). A suggestion is only
//! made when it differs from what is written by more than [`CHANGE_THRESHOLD`].

use std::time::Duration;

use serde_json::Value;

use super::LintError;
use super::quantity;
use super::walk;

pub const DEFAULT_RANGE: &str = "7d";
pub const MEMORY_LIMIT_FACTOR: f64 = 1.5;
pub const CPU_LIMIT_FACTOR: f64 = 4.0;
/// Suggest a change only when the new value is more than 20% away from the written one.
pub const CHANGE_THRESHOLD: f64 = 1.2;
const QUANTILE: &str = "0.95";
// `lain lint` waits at most this long for Prometheus (queries run concurrently).
const QUERY_TIMEOUT: Duration = Duration::from_secs(10);

/// The PromQL lain sends, as a minijinja template. Variables: `resource` (`memory` | `cpu`),
/// `metric` (the cAdvisor metric for it), `selector` (`{namespace="…", pod=~"RELEASE-PROC-.*", …}`,
/// braces included), `quantile`, `range`, `appname`, `release`, `proc`, `namespace`.
/// Clusters whose metrics use other labels override it with `pql_template` in the cluster
/// configuration. It must return one number (lain aggregates pods with `max`).
pub const DEFAULT_PQL_TEMPLATE: &str = concat!(
    r#"{% if resource == "cpu" %}"#,
    r#"max(quantile_over_time({{ quantile }}, rate({{ metric }}{{ selector }}[5m])[{{ range }}:1m]))"#,
    r#"{% else %}"#,
    r#"max(quantile_over_time({{ quantile }}, {{ metric }}{{ selector }}[{{ range }}]))"#,
    r#"{% endif %}"#
);

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Resource {
    Memory,
    Cpu,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ResourceField {
    Requests,
    Limits,
}

/// Measured usage of one proc; `None` where Prometheus had no samples.
#[derive(Clone, Debug, PartialEq)]
pub struct Usage {
    pub section: &'static str,
    pub proc: String,
    /// Bytes.
    pub memory_p95: Option<f64>,
    /// Cores.
    pub cpu_p95: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Suggestion {
    /// `deployments`, `statefulSets` or `cronjobs`.
    pub section: &'static str,
    pub proc: String,
    pub resource: Resource,
    pub field: ResourceField,
    /// What the values say now, as written.
    pub current: Option<String>,
    pub suggested: String,
    /// The measured P95 (bytes or cores) the suggestion comes from.
    pub p95: f64,
    pub range: String,
}

impl Suggestion {
    /// The values key to edit, e.g. `deployments.web.resources.limits.memory`.
    pub fn path(&self) -> String {
        format!("{}.{}.resources.{}.{}", self.section, self.proc, field_name(self.field), resource_name(self.resource))
    }
}

fn field_name(f: ResourceField) -> &'static str {
    match f {
        ResourceField::Requests => "requests",
        ResourceField::Limits => "limits",
    }
}

fn resource_name(r: Resource) -> &'static str {
    match r {
        Resource::Memory => "memory",
        Resource::Cpu => "cpu",
    }
}

impl std::fmt::Display for Suggestion {
    /// `web memory limits: current 256Mi, suggestion 450Mi (P95 over 7d: 298Mi)`
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let p95 = match self.resource {
            Resource::Memory => quantity::format_memory(self.p95),
            Resource::Cpu => quantity::format_cpu(self.p95),
        };
        write!(
            f,
            "{} {} {}: current {}, suggestion {} (P95 over {}: {p95})",
            self.proc,
            resource_name(self.resource),
            field_name(self.field),
            self.current.as_deref().unwrap_or("unset"),
            self.suggested,
            self.range
        )
    }
}

/// The procs lain measures: long-running ones and cronjobs (one-off Jobs run too briefly for a
/// P95 to mean anything).
pub fn suggestion_procs(values: &Value) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    for section in ["deployments", "statefulSets", "cronjobs"] {
        for (name, _) in walk::entries(values, section) {
            out.push((section, name.to_string()));
        }
    }
    out
}

fn valid_range(r: &str) -> bool {
    // Prometheus durations: one or more NUMBER UNIT groups (`7d`, `1d12h`).
    let mut rest = r;
    if rest.is_empty() {
        return false;
    }
    while !rest.is_empty() {
        let n = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
        if n == 0 {
            return false;
        }
        rest = &rest[n..];
        let unit = ["ms", "s", "m", "h", "d", "w", "y"].into_iter().find(|u| rest.starts_with(u));
        match unit {
            Some(u) => rest = &rest[u.len()..],
            None => return false,
        }
    }
    true
}

fn regex_escape(s: &str) -> String {
    s.chars().flat_map(|c| if "\\.+*?()|[]{}^$".contains(c) { vec!['\\', '\\', c] } else { vec![c] }).collect()
}

/// The label selector for a proc's pods. `RELEASE-PROC-.*` also matches the pods of a longer
/// sibling proc (`web` vs `web-dev`), so those are excluded explicitly.
fn selector(namespace: &str, release: &str, proc_name: &str, all_procs: &[(&'static str, String)]) -> String {
    let mut s = format!(r#"{{namespace="{namespace}", pod=~"{}-{}-.*""#, regex_escape(release), regex_escape(proc_name));
    for (_, other) in all_procs {
        if other.len() > proc_name.len() && other.starts_with(&format!("{proc_name}-")) {
            s.push_str(&format!(r#", pod!~"{}-{}-.*""#, regex_escape(release), regex_escape(other)));
        }
    }
    s.push_str(r#", container!="", container!="POD"}"#);
    s
}

/// Renders the PromQL for one proc and resource.
#[allow(clippy::too_many_arguments)]
pub fn render_query(
    template: &str,
    resource: Resource,
    appname: &str,
    release: &str,
    namespace: &str,
    proc_name: &str,
    range: &str,
    all_procs: &[(&'static str, String)],
) -> Result<String, LintError> {
    let metric = match resource {
        Resource::Memory => "container_memory_working_set_bytes",
        Resource::Cpu => "container_cpu_usage_seconds_total",
    };
    let env = minijinja::Environment::new();
    env.render_str(
        template,
        minijinja::context! {
            resource => resource_name(resource),
            metric => metric,
            selector => selector(namespace, release, proc_name, all_procs),
            quantile => QUANTILE,
            range => range,
            appname => appname,
            release => release,
            proc => proc_name,
            namespace => namespace,
        },
    )
    .map(|s| s.trim().to_string())
    .map_err(|e| LintError::InvalidTemplate(e.to_string()))
}

/// One instant query; `Ok(None)` when the result is empty or not a number.
async fn instant(client: &reqwest::Client, url: &str, query: &str) -> Result<Option<f64>, LintError> {
    let endpoint = format!("{}/api/v1/query", url.trim_end_matches('/'));
    let mut endpoint =
        reqwest::Url::parse(&endpoint).map_err(|e| LintError::PrometheusUnreachable { url: url.to_string(), reason: format!("not a URL: {e}") })?;
    endpoint.query_pairs_mut().append_pair("query", query);
    let resp = client.get(endpoint).send().await.map_err(|e| LintError::PrometheusUnreachable { url: url.to_string(), reason: crate::http::describe(&e) })?;
    let status = resp.status();
    let body: Value = match resp.json().await {
        Ok(b) => b,
        Err(e) => {
            let reason = format!("HTTP {status}, not a Prometheus API response ({})", crate::http::describe(&e));
            return Err(if status.is_success() {
                LintError::PrometheusQuery { url: url.to_string(), query: query.to_string(), reason }
            } else {
                LintError::PrometheusUnreachable { url: url.to_string(), reason }
            });
        }
    };
    if body.get("status").and_then(Value::as_str) != Some("success") {
        let reason = body.get("error").and_then(Value::as_str).unwrap_or("unknown error").to_string();
        return Err(LintError::PrometheusQuery { url: url.to_string(), query: query.to_string(), reason });
    }
    let first = body.pointer("/data/result/0/value/1").and_then(Value::as_str);
    Ok(first.and_then(|s| s.parse::<f64>().ok()).filter(|f| f.is_finite()))
}

/// Queries the P95 usage of every proc. Errors: Prometheus unreachable, a rejected query, an
/// invalid range or template. A proc without samples gets `None` values.
pub async fn query_usage(
    prom_url: &str,
    pql_template: Option<&str>,
    range: Option<&str>,
    appname: &str,
    namespace: &str,
    values: &Value,
) -> Result<Vec<Usage>, LintError> {
    let range = range.unwrap_or(DEFAULT_RANGE);
    if !valid_range(range) {
        return Err(LintError::InvalidRange(range.to_string()));
    }
    let template = pql_template.unwrap_or(DEFAULT_PQL_TEMPLATE);
    let release = values.get("releaseName").and_then(Value::as_str).unwrap_or(appname);
    let procs = suggestion_procs(values);
    let client = crate::http::client(QUERY_TIMEOUT).map_err(|e| LintError::PrometheusUnreachable { url: prom_url.to_string(), reason: e.to_string() })?;
    let mut queries = Vec::new();
    for (_, p) in &procs {
        for r in [Resource::Memory, Resource::Cpu] {
            queries.push(render_query(template, r, appname, release, namespace, p, range, &procs)?);
        }
    }
    let results = futures::future::join_all(queries.iter().map(|q| instant(&client, prom_url, q))).await;
    let mut out = Vec::new();
    let mut it = results.into_iter();
    for (section, p) in procs {
        let (Some(m), Some(c)) = (it.next(), it.next()) else { break };
        out.push(Usage { section, proc: p, memory_p95: m?, cpu_p95: c? });
    }
    Ok(out)
}

/// Turns measured usage into suggestions against what the values say (pure; no I/O).
pub fn suggest(usage: &[Usage], values: &Value, range: &str) -> Vec<Suggestion> {
    let mut out = Vec::new();
    for u in usage {
        let entry = values.get(u.section).and_then(|s| s.get(&u.proc));
        let cron = u.section == "cronjobs";
        for (resource, p95) in [(Resource::Memory, u.memory_p95), (Resource::Cpu, u.cpu_p95)] {
            let Some(p95) = p95 else { continue };
            type Rounding = (fn(f64) -> f64, fn(f64) -> String);
            let (round, format): Rounding = match resource {
                Resource::Memory => (quantity::round_memory_up, quantity::format_memory),
                Resource::Cpu => (quantity::round_cpu_up, quantity::format_cpu),
            };
            let (requests, limits) = if cron {
                let v = round(p95 * MEMORY_LIMIT_FACTOR);
                (v, v)
            } else {
                let req = round(p95);
                let factor = if resource == Resource::Memory { MEMORY_LIMIT_FACTOR } else { CPU_LIMIT_FACTOR };
                (req, round(req * factor))
            };
            for (field, value) in [(ResourceField::Requests, requests), (ResourceField::Limits, limits)] {
                let written = entry.and_then(|e| e.get("resources")).and_then(|r| r.get(field_name(field))).and_then(|r| r.get(resource_name(resource)));
                let current = written.and_then(|w| quantity::from_value(w).ok()).map(|q| q.value);
                let worth = match current {
                    Some(c) if c > 0.0 => {
                        let ratio = value / c;
                        !(1.0 / CHANGE_THRESHOLD..=CHANGE_THRESHOLD).contains(&ratio)
                    }
                    _ => true,
                };
                if worth {
                    out.push(Suggestion {
                        section: u.section,
                        proc: u.proc.clone(),
                        resource,
                        field,
                        current: written.map(walk::show),
                        suggested: format(value),
                        p95,
                        range: range.to_string(),
                    });
                }
            }
        }
    }
    out
}

/// Queries Prometheus and suggests `resources` for every proc that has metrics.
/// `Err(PrometheusNoData)` when no proc has any, so the caller can say so.
pub async fn resource_suggestions(
    prom_url: &str,
    pql_template: Option<&str>,
    range: Option<&str>,
    appname: &str,
    namespace: &str,
    values: &Value,
) -> Result<Vec<Suggestion>, LintError> {
    let usage = query_usage(prom_url, pql_template, range, appname, namespace, values).await?;
    let range = range.unwrap_or(DEFAULT_RANGE);
    if usage.iter().all(|u| u.memory_p95.is_none() && u.cpu_p95.is_none()) {
        return Err(LintError::PrometheusNoData {
            url: prom_url.to_string(),
            release: values.get("releaseName").and_then(Value::as_str).unwrap_or(appname).to_string(),
            namespace: namespace.to_string(),
            range: range.to_string(),
        });
    }
    Ok(suggest(&usage, values, range))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ranges() {
        for ok in ["7d", "36h", "1d12h", "2w", "90m", "500ms"] {
            assert!(valid_range(ok), "{ok}");
        }
        for bad in ["", "7", "d", "7days", "7d)", "1.5d", "7d;drop"] {
            assert!(!valid_range(bad), "{bad}");
        }
    }

    #[test]
    fn default_query_shape() {
        let procs = vec![("deployments", "web".to_string()), ("deployments", "web-dev".to_string())];
        let q = render_query(DEFAULT_PQL_TEMPLATE, Resource::Memory, "dummy", "dummy", "default", "web", "7d", &procs).unwrap();
        assert_eq!(
            q,
            r#"max(quantile_over_time(0.95, container_memory_working_set_bytes{namespace="default", pod=~"dummy-web-.*", pod!~"dummy-web-dev-.*", container!="", container!="POD"}[7d]))"#
        );
        let q = render_query(DEFAULT_PQL_TEMPLATE, Resource::Cpu, "dummy", "dummy", "default", "web-dev", "3d", &procs).unwrap();
        assert_eq!(
            q,
            r#"max(quantile_over_time(0.95, rate(container_cpu_usage_seconds_total{namespace="default", pod=~"dummy-web-dev-.*", container!="", container!="POD"}[5m])[3d:1m]))"#
        );
        assert!(matches!(render_query("{% if %}", Resource::Cpu, "a", "a", "n", "p", "7d", &procs), Err(LintError::InvalidTemplate(_))));
    }

    #[test]
    fn suggestions_follow_the_factors() {
        let values = json!({
            "deployments": {"web": {"resources": {
                "requests": {"memory": "300Mi", "cpu": "100m"},
                "limits": {"memory": "256Mi", "cpu": "1"}}}},
            "cronjobs": {"nightly": {}}
        });
        let usage = vec![
            Usage { section: "deployments", proc: "web".into(), memory_p95: Some(297.3 * quantity::MI), cpu_p95: Some(0.0612) },
            Usage { section: "cronjobs", proc: "nightly".into(), memory_p95: Some(100.0 * quantity::MI), cpu_p95: None },
        ];
        let s = suggest(&usage, &values, "7d");
        let find = |p: &str, r, f| s.iter().find(|x| x.proc == p && x.resource == r && x.field == f);
        // requests.memory 300Mi is within 20% of 300Mi (297.3 rounded up): no suggestion.
        assert!(find("web", Resource::Memory, ResourceField::Requests).is_none());
        let lim = find("web", Resource::Memory, ResourceField::Limits).unwrap();
        assert_eq!(lim.suggested, "450Mi"); // 300Mi × 1.5
        assert_eq!(lim.current.as_deref(), Some("256Mi"));
        assert_eq!(lim.to_string(), "web memory limits: current 256Mi, suggestion 450Mi (P95 over 7d: 298Mi)");
        assert_eq!(lim.path(), "deployments.web.resources.limits.memory");
        assert_eq!(find("web", Resource::Cpu, ResourceField::Requests).unwrap().suggested, "65m");
        assert_eq!(find("web", Resource::Cpu, ResourceField::Limits).unwrap().suggested, "260m");
        // CronJob: requests = limits = P95 × 1.5.
        let cr = find("nightly", Resource::Memory, ResourceField::Requests).unwrap();
        let cl = find("nightly", Resource::Memory, ResourceField::Limits).unwrap();
        assert_eq!((cr.suggested.as_str(), cl.suggested.as_str()), ("150Mi", "150Mi"));
        assert!(find("nightly", Resource::Cpu, ResourceField::Requests).is_none());
    }
}
