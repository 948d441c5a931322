//! `lain lint`: static checks on the merged values, and resource suggestions from Prometheus.
//!
//! The static checks look for mistakes that Kubernetes accepts silently (or rejects with an
//! unhelpful message) and that the seeds warn about: memory in millibytes, limits below
//! requests, web procs without a readiness probe, rollouts that take everything down at once,
//! cron schedules that do not parse, migration Jobs that retry, passwords committed in `env`…
//! Every [`Finding`] names the values key it is about, where that key was written (when the
//! config layer knows), what is wrong and how to fix it.
//!
//! [`resource_suggestions`] asks Prometheus for the P95 of memory and CPU of every proc and
//! proposes `resources` from it (see `prometheus.rs` for the factors).

mod check_jobs;
mod check_misc;
mod check_resources;
mod check_strategy;
mod check_workload;
pub mod cron;
mod locate;
mod prometheus;
pub mod quantity;
mod walk;

use std::fmt;

pub use locate::{Segment, locate_in, segments};
pub use prometheus::{
    CHANGE_THRESHOLD, CPU_LIMIT_FACTOR, DEFAULT_PQL_TEMPLATE, DEFAULT_RANGE, MEMORY_LIMIT_FACTOR, Resource, ResourceField, Suggestion, Usage, query_usage,
    render_query, resource_suggestions, suggest, suggestion_procs,
};

/// How bad a finding is. `lain deploy` refuses to go on with an [`Severity::Error`] (unless
/// `--ignore-lint`); warnings and suggestions are printed and the deploy continues.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Suggestion,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Suggestion => "suggestion",
        })
    }
}

/// One problem found in the values.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    pub severity: Severity,
    /// Stable identifier of the check (e.g. `memory-millibytes`), listed in the docs.
    pub check: &'static str,
    /// Values key path, dot-separated, list items as `[i]`
    /// (`deployments.web.resources.limits.memory`, `ingresses[0].host`).
    pub path: String,
    /// Where the key (or its nearest written parent) was written, e.g. `chart/values.yaml:12`.
    pub location: Option<String>,
    pub message: String,
    pub fix: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.severity, self.path)?;
        if let Some(loc) = &self.location {
            write!(f, " ({loc})")?;
        }
        write!(f, ": {}\n  fix: {}", self.message, self.fix)
    }
}

/// What the checks need to know besides the values.
pub struct LintContext<'a> {
    /// Cluster name (`lain use NAME`), used in messages.
    pub cluster: &'a str,
    /// The cluster's ingress domain; `None` skips the ingress-domain check.
    pub domain: Option<&'a str>,
    /// Where a key path was written (`chart/values.yaml:12`), or `None` when it was not written
    /// in a file (injected by lain, a default, `--set`). Provided by the config layer.
    pub locate: &'a dyn Fn(&str) -> Option<String>,
}

impl<'a> LintContext<'a> {
    fn location(&self, path: &str) -> Option<String> {
        // A missing key (e.g. an absent readinessProbe) has no location; its proc has.
        let mut p = path;
        loop {
            if let Some(l) = (self.locate)(p) {
                return Some(l);
            }
            match p.rfind(['.', '[']) {
                Some(i) if i > 0 => p = &p[..i],
                _ => return None,
            }
        }
    }
}

/// Collects findings for one run; keeps the check code free of location plumbing.
pub(crate) struct Sink<'c, 'a> {
    ctx: &'c LintContext<'a>,
    pub(crate) findings: Vec<Finding>,
}

impl Sink<'_, '_> {
    pub(crate) fn push(&mut self, severity: Severity, check: &'static str, path: impl Into<String>, message: impl Into<String>, fix: impl Into<String>) {
        let path = path.into();
        let location = self.ctx.location(&path);
        self.findings.push(Finding { severity, check, path, location, message: message.into(), fix: fix.into() });
    }

    pub(crate) fn ctx(&self) -> &LintContext<'_> {
        self.ctx
    }
}

/// Runs every static check on the merged values. Never fails: a value of the wrong shape is a
/// finding, not an error. Findings are sorted errors first, then by key path.
pub fn static_checks(values: &serde_json::Value, ctx: &LintContext) -> Vec<Finding> {
    let mut sink = Sink { ctx, findings: Vec::new() };
    check_resources::run(values, &mut sink);
    check_workload::run(values, &mut sink);
    check_jobs::run(values, &mut sink);
    check_misc::run(values, &mut sink);
    check_strategy::run(values, &mut sink);
    let mut findings = sink.findings;
    findings.sort_by(|a, b| a.severity.cmp(&b.severity).then_with(|| a.path.cmp(&b.path)));
    findings
}

/// Whether any finding should stop a deploy.
pub fn has_errors(findings: &[Finding]) -> bool {
    findings.iter().any(|f| f.severity == Severity::Error)
}

#[derive(Debug, thiserror::Error)]
pub enum LintError {
    #[error("Prometheus at {url} is unreachable ({reason}); resource suggestions skipped, static checks still ran")]
    PrometheusUnreachable { url: String, reason: String },
    #[error("Prometheus at {url} rejected the query `{query}`: {reason}")]
    PrometheusQuery { url: String, query: String, reason: String },
    #[error(
        "Prometheus at {url} has no container metrics for {release} in namespace {namespace} over the last {range}; resource suggestions skipped (is the app deployed, and does the cluster's pql_template match its labels?)"
    )]
    PrometheusNoData { url: String, release: String, namespace: String, range: String },
    #[error("invalid prometheus_query_range `{0}`: write a Prometheus duration such as 7d, 36h or 2w")]
    InvalidRange(String),
    #[error("invalid pql_template: {0}; fix the cluster configuration's `pql_template`")]
    InvalidTemplate(String),
}
