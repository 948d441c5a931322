//! Label selectors (query-string syntax and the `LabelSelector` object form) and field selectors.

use serde_json::Value;

#[derive(Debug, Clone, PartialEq)]
pub enum Req {
    Eq(String, String),
    NotEq(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    NotExists(String),
}

/// A conjunction of requirements; the empty selector matches everything.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LabelSelector {
    pub reqs: Vec<Req>,
}

fn valid_key(k: &str) -> bool {
    !k.is_empty() && k.len() <= 317 && k.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
}

fn valid_value(v: &str) -> bool {
    v.len() <= 63 && v.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

impl LabelSelector {
    /// Parses `a=b,c!=d,e in (x,y),!f,g`.
    pub fn parse(s: &str) -> Result<Self, String> {
        let mut reqs = Vec::new();
        // Split on commas that are not inside parentheses.
        let mut parts = Vec::new();
        let mut depth = 0i32;
        let mut cur = String::new();
        for c in s.chars() {
            match c {
                '(' => {
                    depth += 1;
                    cur.push(c)
                }
                ')' => {
                    depth -= 1;
                    cur.push(c)
                }
                ',' if depth == 0 => parts.push(std::mem::take(&mut cur)),
                _ => cur.push(c),
            }
        }
        if depth != 0 {
            return Err(format!("unable to parse requirement: unbalanced parentheses in {s:?}"));
        }
        parts.push(cur);
        for part in parts {
            let p = part.trim();
            if p.is_empty() {
                continue;
            }
            reqs.push(Self::parse_req(p)?);
        }
        Ok(Self { reqs })
    }

    fn parse_req(p: &str) -> Result<Req, String> {
        let bad = || format!("unable to parse requirement: found '{p}', expected: key, '!key', 'key=value', 'key in (...)'");
        if let Some(k) = p.strip_prefix('!') {
            let k = k.trim();
            return if valid_key(k) { Ok(Req::NotExists(k.into())) } else { Err(bad()) };
        }
        for (op, neg) in [(" notin ", true), (" in ", false)] {
            if let Some(i) = p.find(op) {
                let key = p[..i].trim();
                let rest = p[i + op.len()..].trim();
                let inner = rest.strip_prefix('(').and_then(|r| r.strip_suffix(')')).ok_or_else(bad)?;
                let vals: Vec<String> = inner.split(',').map(|v| v.trim().to_string()).collect();
                if !valid_key(key) || vals.iter().any(|v| !valid_value(v)) {
                    return Err(bad());
                }
                return Ok(if neg { Req::NotIn(key.into(), vals) } else { Req::In(key.into(), vals) });
            }
        }
        if let Some(i) = p.find("!=") {
            let (k, v) = (p[..i].trim(), p[i + 2..].trim());
            return if valid_key(k) && valid_value(v) { Ok(Req::NotEq(k.into(), v.into())) } else { Err(bad()) };
        }
        if let Some(i) = p.find('=') {
            let k = p[..i].trim();
            let v = p[i + 1..].trim_start_matches('=').trim();
            return if valid_key(k) && valid_value(v) { Ok(Req::Eq(k.into(), v.into())) } else { Err(bad()) };
        }
        if valid_key(p) { Ok(Req::Exists(p.into())) } else { Err(bad()) }
    }

    /// The `LabelSelector` object form (`matchLabels` + `matchExpressions`).
    pub fn from_object(v: &Value) -> Self {
        let mut reqs = Vec::new();
        if let Some(m) = v.get("matchLabels").and_then(Value::as_object) {
            for (k, val) in m {
                reqs.push(Req::Eq(k.clone(), val.as_str().unwrap_or_default().to_string()));
            }
        }
        if let Some(exprs) = v.get("matchExpressions").and_then(Value::as_array) {
            for e in exprs {
                let key = e.get("key").and_then(Value::as_str).unwrap_or_default().to_string();
                let vals: Vec<String> =
                    e.get("values").and_then(Value::as_array).map(|a| a.iter().filter_map(|x| x.as_str().map(String::from)).collect()).unwrap_or_default();
                match e.get("operator").and_then(Value::as_str).unwrap_or_default() {
                    "In" => reqs.push(Req::In(key, vals)),
                    "NotIn" => reqs.push(Req::NotIn(key, vals)),
                    "Exists" => reqs.push(Req::Exists(key)),
                    "DoesNotExist" => reqs.push(Req::NotExists(key)),
                    _ => {}
                }
            }
        }
        Self { reqs }
    }

    /// A plain `{k: v}` map (Service selectors).
    pub fn from_map(v: &Value) -> Self {
        Self::from_object(&serde_json::json!({ "matchLabels": v }))
    }

    pub fn matches_labels(&self, labels: Option<&Value>) -> bool {
        let get = |k: &str| labels.and_then(|l| l.get(k)).and_then(Value::as_str);
        self.reqs.iter().all(|r| match r {
            Req::Eq(k, v) => get(k) == Some(v.as_str()),
            Req::NotEq(k, v) => get(k) != Some(v.as_str()),
            Req::In(k, vs) => get(k).is_some_and(|x| vs.iter().any(|v| v == x)),
            Req::NotIn(k, vs) => !get(k).is_some_and(|x| vs.iter().any(|v| v == x)),
            Req::Exists(k) => get(k).is_some(),
            Req::NotExists(k) => get(k).is_none(),
        })
    }

    pub fn matches(&self, obj: &Value) -> bool {
        self.matches_labels(obj.pointer("/metadata/labels"))
    }

    pub fn is_empty(&self) -> bool {
        self.reqs.is_empty()
    }
}

/// Field selectors: `metadata.name=x,status.phase!=Running`. Only equality operators exist.
#[derive(Debug, Clone, Default)]
pub struct FieldSelector {
    reqs: Vec<(String, bool, String)>,
}

/// Fields every resource supports, plus the per-kind ones the real server registers.
fn supported(kind: &str, field: &str) -> bool {
    if matches!(field, "metadata.name" | "metadata.namespace") {
        return true;
    }
    match kind {
        "Pod" => matches!(
            field,
            "status.phase"
                | "spec.nodeName"
                | "spec.restartPolicy"
                | "spec.schedulerName"
                | "spec.serviceAccountName"
                | "status.podIP"
                | "status.nominatedNodeName"
                | "spec.hostNetwork"
        ),
        "Event" => field.starts_with("involvedObject.") || matches!(field, "reason" | "source" | "type" | "reportingComponent"),
        "Secret" => field == "type",
        "Namespace" => field == "status.phase",
        "Job" => field == "status.successful",
        "ReplicaSet" | "ReplicationController" => field == "status.replicas",
        _ => false,
    }
}

impl FieldSelector {
    pub fn parse(s: &str, kind: &str) -> Result<Self, String> {
        let mut reqs = Vec::new();
        for part in s.split(',') {
            let p = part.trim();
            if p.is_empty() {
                continue;
            }
            let (k, neg, v) = if let Some(i) = p.find("!=") {
                (&p[..i], true, &p[i + 2..])
            } else if let Some(i) = p.find("==") {
                (&p[..i], false, &p[i + 2..])
            } else if let Some(i) = p.find('=') {
                (&p[..i], false, &p[i + 1..])
            } else {
                return Err(format!("invalid selector: '{p}'; can't understand '{p}'"));
            };
            let k = k.trim();
            if !supported(kind, k) {
                return Err(format!("field label not supported: {k}"));
            }
            reqs.push((k.to_string(), neg, v.trim().to_string()));
        }
        Ok(Self { reqs })
    }

    pub fn matches(&self, obj: &Value) -> bool {
        self.reqs.iter().all(|(k, neg, v)| {
            let mut cur = Some(obj);
            for seg in k.split('.') {
                cur = cur.and_then(|c| c.get(seg));
            }
            let actual = match cur {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Null) | None => String::new(),
                Some(other) => other.to_string(),
            };
            (actual == *v) != *neg
        })
    }

    /// The name an `metadata.name=X` selector pins, used to answer watches cheaply.
    pub fn is_empty(&self) -> bool {
        self.reqs.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(labels: Value) -> Value {
        json!({"metadata": {"name": "a", "namespace": "ns", "labels": labels}, "status": {"phase": "Running"}})
    }

    #[test]
    fn equality_and_sets() {
        let o = obj(json!({"app": "web", "tier": "fe", "owner": "helm"}));
        for (sel, want) in [
            ("app=web", true),
            ("app==web", true),
            ("app!=web", false),
            ("app=web,owner=helm", true),
            ("app=web,owner=other", false),
            ("app in (web, api)", true),
            ("app in (api)", false),
            ("app notin (api,db)", true),
            ("tier notin (fe)", false),
            ("missing notin (x)", true),
            ("tier", true),
            ("!tier", false),
            ("!missing", true),
            ("missing", false),
            ("missing!=x", true),
            ("", true),
            ("app in (web),!missing,tier=fe", true),
        ] {
            let s = LabelSelector::parse(sel).unwrap();
            assert_eq!(s.matches(&o), want, "selector {sel:?}");
        }
    }

    #[test]
    fn rejects_garbage() {
        assert!(LabelSelector::parse("app in (web").is_err());
        assert!(LabelSelector::parse("a b=c").is_err());
        assert!(LabelSelector::parse("app in web").is_err());
    }

    #[test]
    fn object_form() {
        let s = LabelSelector::from_object(&json!({
            "matchLabels": {"app": "web"},
            "matchExpressions": [{"key": "tier", "operator": "In", "values": ["fe", "be"]},
                                 {"key": "gone", "operator": "DoesNotExist"}]
        }));
        assert!(s.matches(&obj(json!({"app": "web", "tier": "be"}))));
        assert!(!s.matches(&obj(json!({"app": "web", "tier": "db"}))));
        assert!(!s.matches(&obj(json!({"app": "web", "tier": "be", "gone": "x"}))));
    }

    #[test]
    fn fields() {
        let o = obj(json!({}));
        let f = FieldSelector::parse("metadata.name=a,status.phase!=Pending", "Pod").unwrap();
        assert!(f.matches(&o));
        let f = FieldSelector::parse("metadata.namespace==other", "Pod").unwrap();
        assert!(!f.matches(&o));
        assert!(FieldSelector::parse("spec.foo=1", "Pod").unwrap_err().contains("field label not supported"));
        assert!(FieldSelector::parse("status.phase=Running", "Deployment").is_err());
    }
}
