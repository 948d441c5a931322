//! `lain lint` (and the check before every deploy): static checks on the merged values, then,
//! when the cluster has Prometheus, resource suggestions. Prometheus being down, empty or
//! misconfigured is a note in the report, never a failure: the static checks stand alone.

use std::io::Write;

use serde_json::Value;

use crate::lint::{self, Finding, LintContext, LintError, Severity, Suggestion};

/// Where resource suggestions come from (the cluster configuration).
pub struct PrometheusSource<'a> {
    /// The cluster's `prometheus` URL.
    pub url: &'a str,
    /// The cluster's `pql_template`; `None` uses [`lint::DEFAULT_PQL_TEMPLATE`].
    pub pql_template: Option<&'a str>,
}

pub struct LintOptions<'a> {
    /// The merged values (values.yaml + values-CLUSTER.yaml + -f + --set + injected).
    pub values: &'a Value,
    pub cluster: &'a str,
    /// The cluster's ingress domain.
    pub domain: Option<&'a str>,
    /// Where a key path was written (`chart/values.yaml:12`); see [`LintContext::locate`].
    pub locate: &'a dyn Fn(&str) -> Option<String>,
    pub appname: &'a str,
    pub namespace: &'a str,
    /// `None` skips suggestions (e.g. the quick check before a deploy, or no Prometheus in
    /// this cluster).
    pub prometheus: Option<PrometheusSource<'a>>,
    /// Overrides the app's `prometheus_query_range` (default 7d).
    pub range: Option<&'a str>,
}

#[derive(Debug, Default)]
pub struct LintReport {
    pub findings: Vec<Finding>,
    pub suggestions: Vec<Suggestion>,
    /// Why suggestions are missing or partial (Prometheus down, no data, procs never seen).
    pub notes: Vec<String>,
}

impl LintReport {
    /// Whether the deploy should stop (unless `--ignore-lint`).
    pub fn has_errors(&self) -> bool {
        lint::has_errors(&self.findings)
    }

    /// The report as people read it.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for f in &self.findings {
            out.push_str(&format!("{f}\n"));
        }
        for n in &self.notes {
            out.push_str(&format!("note: {n}\n"));
        }
        if !self.suggestions.is_empty() {
            out.push_str("resource suggestions (from Prometheus):\n");
            for s in &self.suggestions {
                out.push_str(&format!("  {s}\n"));
            }
            out.push_str("to apply them, write into chart/values.yaml (or values-CLUSTER.yaml):\n");
            for line in self.snippet().lines() {
                out.push_str(&format!("  {line}\n"));
            }
        }
        let count = |s: Severity| self.findings.iter().filter(|f| f.severity == s).count();
        out.push_str(&format!(
            "lint: {} error(s), {} warning(s), {} suggestion(s), {} resource suggestion(s)\n",
            count(Severity::Error),
            count(Severity::Warning),
            count(Severity::Suggestion),
            self.suggestions.len()
        ));
        out
    }

    /// Writes [`LintReport::render`] to stderr (it is for people, like compiler diagnostics).
    pub fn print(&self) {
        let _ = std::io::stderr().lock().write_all(self.render().as_bytes());
    }

    /// The suggested `resources` blocks as YAML, ready to paste.
    pub fn snippet(&self) -> String {
        let mut out = String::new();
        let mut last_section = "";
        let mut procs: Vec<(&str, &str)> = Vec::new();
        for s in &self.suggestions {
            if !procs.contains(&(s.section, s.proc.as_str())) {
                procs.push((s.section, s.proc.as_str()));
            }
        }
        for (section, proc_name) in procs {
            if section != last_section {
                out.push_str(&format!("{section}:\n"));
                last_section = section;
            }
            out.push_str(&format!("  {proc_name}:\n    resources:\n"));
            for field in [lint::ResourceField::Requests, lint::ResourceField::Limits] {
                let items: Vec<String> = [lint::Resource::Cpu, lint::Resource::Memory]
                    .into_iter()
                    .filter_map(|r| {
                        self.suggestions
                            .iter()
                            .find(|s| s.section == section && s.proc == proc_name && s.resource == r && s.field == field)
                            .map(|s| format!("{}: {}", if r == lint::Resource::Cpu { "cpu" } else { "memory" }, s.suggested))
                    })
                    .collect();
                if !items.is_empty() {
                    let name = if field == lint::ResourceField::Requests { "requests" } else { "limits" };
                    out.push_str(&format!("      {name}: {{{}}}\n", items.join(", ")));
                }
            }
        }
        out
    }
}

pub async fn run(opts: &LintOptions<'_>) -> LintReport {
    let ctx = LintContext { cluster: opts.cluster, domain: opts.domain, locate: opts.locate };
    let mut report = LintReport { findings: lint::static_checks(opts.values, &ctx), ..Default::default() };
    let Some(prom) = &opts.prometheus else { return report };
    let range = opts.range.or_else(|| opts.values.get("prometheus_query_range").and_then(Value::as_str)).unwrap_or(lint::DEFAULT_RANGE);
    match lint::query_usage(prom.url, prom.pql_template, Some(range), opts.appname, opts.namespace, opts.values).await {
        Err(e) => report.notes.push(e.to_string()),
        Ok(usage) => {
            let unseen: Vec<&str> = usage.iter().filter(|u| u.memory_p95.is_none() && u.cpu_p95.is_none()).map(|u| u.proc.as_str()).collect();
            if !usage.is_empty() && unseen.len() == usage.len() {
                let release = opts.values.get("releaseName").and_then(Value::as_str).unwrap_or(opts.appname);
                report.notes.push(
                    LintError::PrometheusNoData {
                        url: prom.url.to_string(),
                        release: release.to_string(),
                        namespace: opts.namespace.to_string(),
                        range: range.to_string(),
                    }
                    .to_string(),
                );
            } else if !unseen.is_empty() {
                report.notes.push(format!(
                    "no metrics over the last {range} for {} (not deployed yet, or not running in that time); no suggestion for them",
                    unseen.join(", ")
                ));
            }
            report.suggestions = lint::suggest(&usage, opts.values, range);
        }
    }
    report
}

/// Lints a loaded app on its cluster: the static checks always, the Prometheus suggestions when
/// `with_prometheus` and the cluster has a `prometheus` URL. `lain lint` asks for both; `lain
/// deploy` only for the static checks (it must not wait on a monitoring system).
pub async fn for_app(app: &crate::config::AppConfig, with_prometheus: bool) -> LintReport {
    let values = app.values();
    let locate = lint::locate_in(&app.merged);
    let c = &app.cluster;
    let prometheus = match (&c.prometheus, with_prometheus) {
        (Some(url), true) => Some(PrometheusSource { url, pql_template: c.pql_template.as_deref() }),
        _ => None,
    };
    let opts = LintOptions {
        values: &values,
        cluster: &c.name,
        domain: (!c.domain.is_empty()).then_some(c.domain.as_str()),
        locate: &locate,
        appname: &app.appname,
        namespace: &c.namespace,
        prometheus,
        range: None,
    };
    let mut report = run(&opts).await;
    if with_prometheus && c.prometheus.is_none() {
        report.notes.push(format!("cluster {} has no `prometheus` configured: resource suggestions skipped", c.name));
    }
    report
}
