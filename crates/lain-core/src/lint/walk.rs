//! Small helpers to walk the values tree without panicking on shapes we did not expect.

use serde_json::Value;

/// Sections whose entries are long-running procs (get probes, rollouts, Prometheus suggestions).
pub(crate) const WORKLOADS: [&str; 2] = ["deployments", "statefulSets"];
/// Every section whose entries run containers.
pub(crate) const ALL_PROCS: [&str; 5] = ["deployments", "statefulSets", "jobs", "cronjobs", "tests"];

/// Entries of a map-valued section (`deployments`, `jobs`, …) in written order.
pub(crate) fn entries<'v>(values: &'v Value, section: &str) -> Vec<(&'v str, &'v Value)> {
    match values.get(section) {
        Some(Value::Object(m)) => m.iter().map(|(k, v)| (k.as_str(), v)).collect(),
        _ => Vec::new(),
    }
}

/// Appends a key to a path; keys that would be ambiguous in dotted form (annotation names such
/// as `prometheus.io/scrape`) are written `["key"]`.
pub(crate) fn join(path: &str, key: &str) -> String {
    let plain = !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    match (path.is_empty(), plain) {
        (true, true) => key.to_string(),
        (false, true) => format!("{path}.{key}"),
        (_, false) => format!("{path}[\"{key}\"]"),
    }
}

/// An integer written as a number or a numeric string (YAML users write both).
pub(crate) fn int(v: Option<&Value>) -> Option<i64> {
    match v? {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A value shown in a message; long strings are cut so a finding stays one line.
pub(crate) fn show(v: &Value) -> String {
    let s = match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if s.chars().count() > 60 { format!("{}…", s.chars().take(60).collect::<String>()) } else { s }
}

/// `truthy` the way YAML users mean it in annotations ("true", true, "1").
pub(crate) fn truthy(v: &Value) -> bool {
    match v {
        Value::Bool(b) => *b,
        Value::String(s) => matches!(s.trim().to_ascii_lowercase().as_str(), "true" | "1" | "yes"),
        Value::Number(n) => n.as_i64() == Some(1),
        _ => false,
    }
}

/// The command and args of an entry as one lowercase string, to recognise what it runs.
pub(crate) fn command_text(entry: &Value) -> String {
    let mut out = String::new();
    for key in ["command", "args"] {
        match entry.get(key) {
            Some(Value::Array(a)) => {
                for x in a {
                    out.push_str(&show_full(x));
                    out.push(' ');
                }
            }
            Some(Value::String(s)) => {
                out.push_str(s);
                out.push(' ');
            }
            _ => {}
        }
    }
    out.to_ascii_lowercase()
}

fn show_full(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn join_quotes_dotted_keys() {
        assert_eq!(join("", "deployments"), "deployments");
        assert_eq!(join("deployments", "web"), "deployments.web");
        assert_eq!(join("podAnnotations", "prometheus.io/scrape"), "podAnnotations[\"prometheus.io/scrape\"]");
    }

    #[test]
    fn int_accepts_strings() {
        assert_eq!(int(Some(&serde_json::json!("3"))), Some(3));
        assert_eq!(int(Some(&serde_json::json!(4))), Some(4));
        assert_eq!(int(Some(&serde_json::json!("x"))), None);
        assert_eq!(int(None), None);
    }
}
