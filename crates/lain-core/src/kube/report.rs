//! The failure report: which pod, which container, why, its last log lines or events, and what
//! to try. Written for someone who does not know Kubernetes.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Pod;
use kube::api::LogParams;

use super::Kube;
use super::health::{PodProblem, ProblemReason, pod_problems};
use super::pods::ReleaseObjects;

/// How many log lines of a failing container the report shows.
pub const REPORT_LOG_LINES: i64 = 20;

impl Kube {
    /// The last `tail` lines of a container; `previous` for the instance before the current one
    /// (the one that crashed). Empty when there is nothing to read.
    pub async fn tail_logs(&self, pod: &str, container: Option<&str>, previous: bool, tail: i64) -> Option<String> {
        let lp = LogParams { container: container.map(str::to_string), previous, tail_lines: Some(tail), ..Default::default() };
        self.api::<Pod>().logs(pod, &lp).await.ok().filter(|s| !s.trim().is_empty())
    }
}

fn indent(text: &str, prefix: &str) -> String {
    text.lines().map(|l| format!("{prefix}{l}")).collect::<Vec<_>>().join("\n")
}

/// Groups problems so ten crash-looping replicas read as one problem "and 9 more".
fn group(problems: &[PodProblem]) -> Vec<(PodProblem, usize)> {
    let mut seen: BTreeMap<(String, String, String), (PodProblem, usize)> = BTreeMap::new();
    let mut order = Vec::new();
    for p in problems {
        let key = (p.proc_.clone(), p.container.clone().unwrap_or_default(), p.reason.to_string());
        match seen.get_mut(&key) {
            Some((_, n)) => *n += 1,
            None => {
                order.push(key.clone());
                seen.insert(key, (p.clone(), 0));
            }
        }
    }
    order.into_iter().filter_map(|k| seen.remove(&k)).collect()
}

/// The report for problems found while waiting (fatal ones, or what was left at a timeout).
pub async fn describe(kube: &Kube, problems: &[PodProblem]) -> String {
    let mut out = String::new();
    for (p, more) in group(problems) {
        out.push_str(&format!("  {p}\n"));
        if more > 0 {
            out.push_str(&format!(
                "    (and {more} more pod{} of {} with the same problem)\n",
                if more == 1 { "" } else { "s" },
                if p.proc_.is_empty() { "this proc" } else { &p.proc_ }
            ));
        }
        let wants_logs = matches!(
            p.reason,
            ProblemReason::CrashLoopBackOff | ProblemReason::Error | ProblemReason::OOMKilled | ProblemReason::JobFailed | ProblemReason::Unready
        );
        let mut shown = false;
        if wants_logs {
            // A crash-looping container's current instance is waiting: its story is in the
            // previous one. A finished or running one is read directly.
            let crashed = matches!(p.reason, ProblemReason::CrashLoopBackOff | ProblemReason::OOMKilled) && p.restarts > 0;
            let mut logs = None;
            if crashed {
                logs = kube.tail_logs(&p.pod, p.container.as_deref(), true, REPORT_LOG_LINES).await.map(|l| (l, " (previous container)"));
            }
            if logs.is_none() {
                logs = kube.tail_logs(&p.pod, p.container.as_deref(), false, REPORT_LOG_LINES).await.map(|l| (l, ""));
            }
            if let Some((l, which)) = logs {
                out.push_str(&format!("    last log lines{which}:\n{}\n", indent(l.trim_end(), "      | ")));
                shown = true;
            }
        }
        if !shown && let Ok(events) = kube.events_for(&p.pod).await {
            let warn: Vec<_> = events.iter().filter(|e| e.type_ == "Warning").collect();
            let pick: Vec<_> = if warn.is_empty() { events.iter().rev().take(3).collect() } else { warn.into_iter().rev().take(3).collect() };
            if !pick.is_empty() {
                out.push_str("    events:\n");
                for e in pick.into_iter().rev() {
                    out.push_str(&format!("      {e}\n"));
                }
            }
        }
        let mut advice = p.reason.advice().to_string();
        if !p.proc_.is_empty() {
            advice = advice.replace("lain logs PROC", &format!("lain logs {}", p.proc_)).replace("lain logs JOB", &format!("lain logs {}", p.proc_));
        }
        out.push_str(&format!("    try: {advice}\n"));
    }
    out
}

/// Problems worth naming at a timeout: every pod's, fatal or not.
pub fn all_problems(objects: &ReleaseObjects) -> Vec<PodProblem> {
    objects.pods.iter().filter(|p| p.metadata.deletion_timestamp.is_none()).flat_map(pod_problems).collect()
}
