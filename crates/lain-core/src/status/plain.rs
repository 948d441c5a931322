//! `lain status -s`: the dashboard's content as plain text, for CI logs and scripts. Also the
//! small formatting helpers the terminal UI shares (ages, resources, probe results).

use jiff::Timestamp;

use super::model::*;
use super::quantity::{fmt_cpu, fmt_mem};

/// `5s`, `3m`, `2h`, `4d` like kubectl.
pub fn age(now: Timestamp, t: Option<Timestamp>) -> String {
    let Some(t) = t else { return "-".into() };
    let s = now.as_second().saturating_sub(t.as_second()).max(0);
    match s {
        0..120 => format!("{s}s"),
        120..7200 => format!("{}m", s / 60),
        7200..172800 => format!("{}h", s / 3600),
        _ => format!("{}d", s / 86400),
    }
}

/// `120m/500m` (usage / limit, else usage / request, else usage).
pub fn resource(r: &Resource, fmt: fn(u64) -> String) -> String {
    let u = r.usage.map(fmt).unwrap_or_else(|| "-".into());
    match (r.limit, r.request) {
        (Some(l), _) => format!("{u}/{}", fmt(l)),
        (None, Some(q)) => format!("{u}/{}r", fmt(q)),
        _ => u,
    }
}

pub fn cpu(r: &Resource) -> String {
    resource(r, fmt_cpu)
}

pub fn mem(r: &Resource) -> String {
    resource(r, fmt_mem)
}

/// Whether usage is close to the limit (drawn yellow: OOMKilled / throttling ahead).
pub fn near_limit(r: &Resource) -> bool {
    matches!((r.usage, r.limit), (Some(u), Some(l)) if l > 0 && u * 10 >= l * 9)
}

pub fn probe_text(p: &Probe) -> String {
    match p {
        Probe::Pending => "…".into(),
        Probe::Answered { code, latency_ms, .. } => format!("{code} {latency_ms}ms"),
        Probe::Error { error, .. } => format!("ERR {error}"),
    }
}

pub fn level_mark(l: Level) -> &'static str {
    match l {
        Level::Green => "✔",
        Level::Progressing => "…",
        Level::Loading => "…",
        Level::Failed => "✘",
    }
}

pub fn release_line(m: &StatusModel, now: Timestamp) -> String {
    match (&m.release_info, &m.release_error) {
        (Some(r), _) => {
            let rev = r.revision.map(|v| format!("revision {v}")).unwrap_or_else(|| "revision ?".into());
            let tag = r.image_tag.as_deref().unwrap_or("?");
            let who = r.user.as_deref().unwrap_or("?");
            let when = r.deployed_at.map(|t| format!("{} ago ({})", age(now, Some(t)), t.strftime("%Y-%m-%d %H:%M:%S UTC"))).unwrap_or_else(|| "?".into());
            let expires = r
                .expires_at
                .map(|t| format!("; uninstalled in {} ({} UTC, --delete-after)", age(t, Some(now)), t.strftime("%Y-%m-%d %H:%M")))
                .unwrap_or_default();
            format!("release {} {rev} {}, tag {tag}, by {who}, {when}{expires}", r.name, r.status)
        }
        (None, Some(e)) => format!("release {}: {e}", m.release),
        (None, None) => format!("release {}: …", m.release),
    }
}

fn table(rows: &[Vec<String>]) -> String {
    let n = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut w = vec![0usize; n];
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            w[i] = w[i].max(c.chars().count());
        }
    }
    let mut out = String::new();
    for r in rows {
        let mut line = String::new();
        for (i, c) in r.iter().enumerate() {
            if i + 1 == r.len() {
                line.push_str(c);
            } else {
                line.push_str(&format!("{c:<width$}  ", width = w[i]));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// The whole report.
pub fn render(m: &StatusModel, now: Timestamp) -> String {
    let mut out = String::new();
    out.push_str(&format!("{} {}\n", level_mark(m.verdict.level), m.verdict.summary));
    for d in &m.verdict.details {
        out.push_str(&format!("  - {d}\n"));
    }
    out.push_str(&format!("app {} in {}/{}: {}\n", m.appname, m.cluster, m.namespace, release_line(m, now)));
    for s in &m.strategy {
        out.push_str(&format!("{s}\n"));
    }
    for w in &m.warnings {
        out.push_str(&format!("warning: {w}\n"));
    }

    if !m.workloads.is_empty() {
        out.push_str("\nWORKLOADS\n");
        let mut rows = vec![vec!["KIND".into(), "NAME".into(), "READY".into(), "UP-TO-DATE".into(), "AVAILABLE".into(), "TAG".into()]];
        for w in &m.workloads {
            rows.push(vec![
                w.kind.clone(),
                w.name.clone(),
                format!("{}/{}", w.ready, w.desired),
                w.updated.to_string(),
                w.available.to_string(),
                w.image_tag.clone(),
            ]);
        }
        out.push_str(&table(&rows));
    }

    out.push_str(&format!("\nPODS ({})\n", m.pods.len()));
    let mut rows = vec![vec![
        "PROC".into(),
        "NAME".into(),
        "STATUS".into(),
        "READY".into(),
        "RESTARTS".into(),
        "AGE".into(),
        "NODE".into(),
        "TAG".into(),
        "CPU".into(),
        "MEMORY".into(),
    ]];
    for p in &m.pods {
        let tag = match p.tag_state {
            TagState::Old => format!("{} (old)", p.image_tag),
            _ => p.image_tag.clone(),
        };
        rows.push(vec![
            p.proc_.clone(),
            p.name.clone(),
            p.status.clone(),
            format!("{}/{}", p.ready, p.containers),
            p.restarts.to_string(),
            age(now, p.created),
            p.node.clone().unwrap_or_else(|| "-".into()),
            tag,
            cpu(&p.cpu),
            mem(&p.memory),
        ]);
    }
    out.push_str(&table(&rows));

    if !m.endpoints.is_empty() {
        out.push_str("\nENDPOINTS\n");
        let rows: Vec<Vec<String>> =
            m.endpoints.iter().map(|e| vec![if e.probe.failed() { "FAIL".into() } else { "ok".into() }, e.url.clone(), probe_text(&e.probe)]).collect();
        out.push_str(&table(&rows));
    }

    for a in &m.abnormal {
        let c = a.container.as_deref().map(|c| format!(" container {c}")).unwrap_or_default();
        out.push_str(&format!("\nABNORMAL {}{c}: {} (restarts {})", a.pod, a.reason, a.restarts));
        if !a.message.is_empty() {
            out.push_str(&format!("\n  {}", a.message.trim()));
        }
        out.push('\n');
        if !a.previous_logs.is_empty() {
            out.push_str("  previous container's last lines:\n");
            for l in &a.previous_logs {
                out.push_str(&format!("    | {l}\n"));
            }
        }
        if !a.logs.is_empty() {
            out.push_str("  last lines:\n");
            for l in &a.logs {
                out.push_str(&format!("    | {l}\n"));
            }
        }
        if let Some(e) = a.logs_error.as_ref().filter(|_| a.previous_logs.is_empty()) {
            out.push_str(&format!("  no logs: {e}\n"));
        }
        if !a.events.is_empty() {
            out.push_str("  events:\n");
            for e in &a.events {
                let n = if e.count > 1 { format!(" (x{})", e.count) } else { String::new() };
                out.push_str(&format!("    {} {} {}: {}{n}\n", age(now, e.last_seen), e.type_, e.reason, e.message));
            }
        }
    }

    if m.links.kibana.is_some() || m.links.grafana.is_some() {
        out.push('\n');
    }
    if let Some(k) = &m.links.kibana {
        out.push_str(&format!("logs (Kibana): {k}\n"));
    }
    if let Some(g) = &m.links.grafana {
        out.push_str(&format!("metrics (Grafana): {g}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::model::ReleaseInfo;

    #[test]
    fn release_line_says_when_a_temporary_release_goes() {
        let ts = |s: &str| s.parse::<Timestamp>().unwrap();
        let info = ReleaseInfo {
            name: "dummy".into(),
            revision: Some(3),
            status: "deployed".into(),
            deployed_at: Some(ts("2026-11-22T10:00:00Z")),
            ..Default::default()
        };
        let mut m = StatusModel { release: "dummy".into(), release_info: Some(info), ..Default::default() };
        let now = ts("2026-11-22T10:30:00Z");
        assert!(!release_line(&m, now).contains("uninstalled"), "{}", release_line(&m, now));
        m.release_info.as_mut().unwrap().expires_at = Some(ts("2026-11-22T18:31:00Z"));
        let line = release_line(&m, now);
        assert!(line.ends_with("; uninstalled in 8h (2026-11-22 18:31 UTC, --delete-after)"), "{line}");
    }
}
