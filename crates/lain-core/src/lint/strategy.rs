//! Deployment-strategy checks for `lain lint`: the `canaryGroups` that `lain deploy --canary`
//! turns into ingress-nginx canary annotations. Mistakes there are silent: ingress-nginx
//! accepts any annotation and simply sends the canary no traffic (or all of it).
//!
//! Rollout tuning (many replicas on the default 25%/25%, Recreate with several replicas) and
//! migration Jobs (backoffLimit, activeDeadlineSeconds) are checked by the lint module's
//! workload and job checks; this file only adds what is specific to the canary design.
//!
//! Self-contained on purpose (plain JSON in, findings out) so `lint::static_checks` can call
//! [`strategy_checks`] and map each [`StrategyFinding`] onto its own `Finding`.

use serde_json::Value;

const NGINX: &str = "nginx.ingress.kubernetes.io/";
/// The canary annotations ingress-nginx reads (without the prefix).
const RULES: &[&str] = &["canary-by-header", "canary-by-header-value", "canary-by-header-pattern", "canary-by-cookie", "canary-weight"];
const OTHER_CANARY_KEYS: &[&str] = &["canary-weight-total"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StrategySeverity {
    Error,
    Warning,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StrategyFinding {
    pub severity: StrategySeverity,
    /// Stable check id.
    pub check: &'static str,
    /// Values key path, e.g. `canaryGroups.small.nginx.ingress.kubernetes.io/canary-weight`.
    pub path: String,
    pub message: String,
    pub fix: String,
}

fn push(out: &mut Vec<StrategyFinding>, severity: StrategySeverity, check: &'static str, path: String, message: String, fix: &str) {
    out.push(StrategyFinding { severity, check, path, message, fix: fix.to_string() });
}

fn as_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Checks `canaryGroups` in the merged values (a JSON object).
pub fn strategy_checks(values: &Value) -> Vec<StrategyFinding> {
    use StrategySeverity::{Error, Warning};
    let mut out = Vec::new();
    let Some(groups) = values.get("canaryGroups").and_then(Value::as_object) else { return out };
    let has_ingress = ["ingresses", "externalIngresses"].iter().any(|k| values.get(k).and_then(Value::as_array).is_some_and(|a| !a.is_empty()));
    if !groups.is_empty() && !has_ingress {
        push(
            &mut out,
            Warning,
            "canary-without-ingress",
            "canaryGroups".into(),
            "canaryGroups are defined but there are no ingresses: a canary is an ingress-nginx canary Ingress, so `lain deploy --canary` refuses".into(),
            "add `ingresses` (or `externalIngresses`), or use `lain deploy --blue-green`, which switches Services instead",
        );
    }
    for (group, ann) in groups {
        let base = format!("canaryGroups.{group}");
        let Some(ann) = ann.as_object() else {
            push(&mut out, Error, "canary-group-shape", base, "a canary group is a map of ingress-nginx annotations".into(), "write e.g. `small: {nginx.ingress.kubernetes.io/canary-weight: \"10\"}`");
            continue;
        };
        let short = |k: &str| k.strip_prefix(NGINX).map(str::to_string);
        let mut rules = Vec::new();
        for (key, value) in ann {
            let path = format!("{base}.{key}");
            match short(key).as_deref() {
                None => push(
                    &mut out,
                    Warning,
                    "canary-annotation-unknown",
                    path,
                    format!("`{key}` is not an ingress-nginx annotation: the canary Ingress carries it, but nothing reads it"),
                    "use nginx.ingress.kubernetes.io/canary-by-header, -by-header-value, -by-cookie or -weight",
                ),
                Some("canary") => push(
                    &mut out,
                    Warning,
                    "canary-annotation-unknown",
                    path,
                    "`nginx.ingress.kubernetes.io/canary` is set by lain on every canary Ingress".into(),
                    "remove it from the group",
                ),
                Some(k) if RULES.contains(&k) => rules.push(k.to_string()),
                Some(k) if OTHER_CANARY_KEYS.contains(&k) => {}
                Some(k) => push(
                    &mut out,
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
                    _ => push(
                        &mut out,
                        Error,
                        "canary-weight-range",
                        format!("{base}.{key}"),
                        format!("canary-weight must be a whole number from 0 to {total}, found `{value}`"),
                        "write a percentage such as \"10\" (quoted: annotation values are strings)",
                    ),
                }
            }
        }
        if rules.is_empty() {
            push(
                &mut out,
                Warning,
                "canary-group-no-rule",
                base.clone(),
                format!("canary group `{group}` has no canary-by-header, -by-cookie or -weight annotation: ingress-nginx sends such a canary no traffic"),
                "add e.g. nginx.ingress.kubernetes.io/canary-weight: \"10\"",
            );
        }
        let header_only = ["canary-by-header-value", "canary-by-header-pattern"];
        if rules.iter().any(|r| header_only.contains(&r.as_str())) && !rules.iter().any(|r| r == "canary-by-header") {
            push(
                &mut out,
                Warning,
                "canary-header-value-without-header",
                base,
                "canary-by-header-value / -pattern only apply together with canary-by-header (the header's name)".into(),
                "add nginx.ingress.kubernetes.io/canary-by-header: X-Canary",
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn checks(v: Value) -> Vec<(&'static str, String)> {
        strategy_checks(&v).into_iter().map(|f| (f.check, f.path)).collect()
    }

    #[test]
    fn good_groups_pass() {
        let v = json!({"ingresses": [{"host": "a", "deployName": "web"}], "canaryGroups": {
            "internal": {"nginx.ingress.kubernetes.io/canary-by-header": "X-Canary", "nginx.ingress.kubernetes.io/canary-by-header-value": "yes"},
            "small": {"nginx.ingress.kubernetes.io/canary-weight": "10"},
            "half": {"nginx.ingress.kubernetes.io/canary-weight": 500, "nginx.ingress.kubernetes.io/canary-weight-total": "1000"},
        }});
        assert_eq!(checks(v), vec![]);
        assert_eq!(checks(json!({"deployments": {}})), vec![]);
    }

    #[test]
    fn mistakes_are_found() {
        let v = json!({"canaryGroups": {
            "typo": {"nginx.ingress.kubernetes.io/canary-wieght": "10"},
            "big": {"nginx.ingress.kubernetes.io/canary-weight": "150"},
            "value": {"nginx.ingress.kubernetes.io/canary-by-header-value": "yes"},
            "other": {"example.com/canary": "x", "nginx.ingress.kubernetes.io/canary": "true", "nginx.ingress.kubernetes.io/canary-by-cookie": "c"},
        }});
        let got = checks(v);
        let has = |c: &str, p: &str| got.iter().any(|(cc, pp)| *cc == c && pp == p);
        assert!(has("canary-without-ingress", "canaryGroups"), "{got:?}");
        assert!(has("canary-annotation-unknown", "canaryGroups.typo.nginx.ingress.kubernetes.io/canary-wieght"), "{got:?}");
        assert!(has("canary-group-no-rule", "canaryGroups.typo"), "{got:?}");
        assert!(has("canary-weight-range", "canaryGroups.big.nginx.ingress.kubernetes.io/canary-weight"), "{got:?}");
        assert!(has("canary-header-value-without-header", "canaryGroups.value"), "{got:?}");
        assert!(has("canary-annotation-unknown", "canaryGroups.other.example.com/canary"), "{got:?}");
        assert!(has("canary-annotation-unknown", "canaryGroups.other.nginx.ingress.kubernetes.io/canary"), "{got:?}");
        assert!(!has("canary-group-no-rule", "canaryGroups.other"), "by-cookie is a rule: {got:?}");
        assert!(!has("canary-group-no-rule", "canaryGroups.big"), "{got:?}");
    }
}
