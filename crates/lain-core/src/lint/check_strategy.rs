//! Deployment-strategy checks for `lain lint`: the `canaryGroups` that `lain deploy --canary`
//! turns into ingress-nginx canary annotations. Mistakes there are silent: ingress-nginx
//! accepts any annotation and simply sends the canary no traffic (or all of it).
//!
//! Rollout tuning (many replicas on the default 25%/25%, Recreate with several replicas) and
//! migration Jobs (backoffLimit, activeDeadlineSeconds) are checked by the lint module's
//! workload and job checks; this file only adds what is specific to the canary design.
//!
use serde_json::Value;

use super::walk;
use super::{Severity, Sink};

const NGINX: &str = "nginx.ingress.kubernetes.io/";
/// The canary annotations ingress-nginx reads (without the prefix).
const RULES: &[&str] = &["canary-by-header", "canary-by-header-value", "canary-by-header-pattern", "canary-by-cookie", "canary-weight"];
const OTHER_CANARY_KEYS: &[&str] = &["canary-weight-total"];

fn as_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Checks `canaryGroups` in the merged values.
pub(crate) fn run(values: &Value, sink: &mut Sink) {
    use Severity::{Error, Warning};
    let Some(groups) = values.get("canaryGroups").and_then(Value::as_object) else { return };
    let has_ingress = ["ingresses", "externalIngresses"].iter().any(|k| values.get(k).and_then(Value::as_array).is_some_and(|a| !a.is_empty()));
    if !groups.is_empty() && !has_ingress {
        sink.push(
            Warning,
            "canary-without-ingress",
            "canaryGroups",
            "canaryGroups are defined but there are no ingresses: a canary is an ingress-nginx canary Ingress, so `lain deploy --canary` refuses",
            "add `ingresses` (or `externalIngresses`), or use `lain deploy --blue-green`, which switches Services instead",
        );
    }
    for (group, ann) in groups {
        let base = walk::join("canaryGroups", group);
        let Some(ann) = ann.as_object() else {
            sink.push(
                Error,
                "canary-group-shape",
                base,
                "a canary group is a map of ingress-nginx annotations",
                "write e.g. `small: {nginx.ingress.kubernetes.io/canary-weight: \"10\"}`",
            );
            continue;
        };
        let short = |k: &str| k.strip_prefix(NGINX).map(str::to_string);
        let mut rules = Vec::new();
        for (key, value) in ann {
            let path = walk::join(&base, key);
            match short(key).as_deref() {
                None => sink.push(
                    Warning,
                    "canary-annotation-unknown",
                    path,
                    format!("`{key}` is not an ingress-nginx annotation: the canary Ingress carries it, but nothing reads it"),
                    "use nginx.ingress.kubernetes.io/canary-by-header, -by-header-value, -by-cookie or -weight",
                ),
                Some("canary") => sink.push(
                    Warning,
                    "canary-annotation-unknown",
                    path,
                    "`nginx.ingress.kubernetes.io/canary` is set by lain on every canary Ingress",
                    "remove it from the group",
                ),
                Some(k) if RULES.contains(&k) => rules.push(k.to_string()),
                Some(k) if OTHER_CANARY_KEYS.contains(&k) => {}
                Some(k) => sink.push(
                    Warning,
                    "canary-annotation-unknown",
                    path,
                    format!("ingress-nginx ignores `{k}` on a canary Ingress (only the canary-* annotations apply; the main Ingress's settings are used)"),
                    "put it on the main ingress's annotations instead",
                ),
            }
            if short(key).as_deref() == Some("canary-weight") {
                let total = ann.get(&format!("{NGINX}canary-weight-total")).and_then(as_text).and_then(|t| t.parse::<i64>().ok()).unwrap_or(100);
                match as_text(value).and_then(|t| t.parse::<i64>().ok()) {
                    Some(w) if (0..=total).contains(&w) => {}
                    _ => sink.push(
                        Error,
                        "canary-weight-range",
                        walk::join(&base, key),
                        format!("canary-weight must be a whole number from 0 to {total}, found `{value}`"),
                        "write a percentage such as \"10\" (quoted: annotation values are strings)",
                    ),
                }
            }
        }
        if rules.is_empty() {
            sink.push(
                Warning,
                "canary-group-no-rule",
                base.clone(),
                format!("canary group `{group}` has no canary-by-header, -by-cookie or -weight annotation: ingress-nginx sends such a canary no traffic"),
                "add e.g. nginx.ingress.kubernetes.io/canary-weight: \"10\"",
            );
        }
        let header_only = ["canary-by-header-value", "canary-by-header-pattern"];
        if rules.iter().any(|r| header_only.contains(&r.as_str())) && !rules.iter().any(|r| r == "canary-by-header") {
            sink.push(
                Warning,
                "canary-header-value-without-header",
                base,
                "canary-by-header-value / -pattern only apply together with canary-by-header (the header's name)",
                "add nginx.ingress.kubernetes.io/canary-by-header: X-Canary",
            );
        }
    }
}
