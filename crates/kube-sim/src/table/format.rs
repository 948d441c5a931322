//! Formatting helpers shared by the printers, with the real printers' spelling: durations as
//! `duration.HumanDuration` writes them, selectors as `labels.Selector.String()`, ...

use jiff::Timestamp;
use serde_json::Value;

use crate::clock::parse_time;

/// `k8s.io/apimachinery/pkg/util/duration.HumanDuration`: "45s", "3m12s", "14m", "5h3m", "3d4h".
pub fn human_duration(secs: f64) -> String {
    // Up to a second in the future counts as now; more is a clock problem worth showing.
    let seconds = secs.trunc() as i64;
    if seconds < -1 {
        return "<invalid>".into();
    }
    if seconds < 0 {
        return "0s".into();
    }
    if seconds < 60 * 2 {
        return format!("{seconds}s");
    }
    let minutes = seconds / 60;
    if minutes < 10 {
        let s = seconds % 60;
        return if s == 0 { format!("{minutes}m") } else { format!("{minutes}m{s}s") };
    }
    if minutes < 60 * 3 {
        return format!("{minutes}m");
    }
    let hours = minutes / 60;
    if hours < 8 {
        let m = minutes % 60;
        return if m == 0 { format!("{hours}h") } else { format!("{hours}h{m}m") };
    }
    if hours < 48 {
        return format!("{hours}h");
    }
    if hours < 24 * 8 {
        let h = hours % 24;
        return if h == 0 { format!("{}d", hours / 24) } else { format!("{}d{h}h", hours / 24) };
    }
    if hours < 24 * 365 * 2 {
        return format!("{}d", hours / 24);
    }
    if hours < 24 * 365 * 8 {
        let dy = (hours / 24) % 365;
        return if dy == 0 { format!("{}y", hours / 24 / 365) } else { format!("{}y{dy}d", hours / 24 / 365) };
    }
    format!("{}y", hours / 24 / 365)
}

/// `translateTimestampSince`: the age of a timestamp field, `<unknown>` when unset.
pub fn since(now: Timestamp, ts: Option<&Value>) -> String {
    match ts.and_then(Value::as_str).and_then(parse_time) {
        Some(t) => human_duration(now.duration_since(t).as_secs_f64()),
        None => "<unknown>".into(),
    }
}

pub fn between(from: &str, to: &str) -> String {
    match (parse_time(from), parse_time(to)) {
        (Some(a), Some(b)) => human_duration(b.duration_since(a).as_secs_f64()),
        _ => String::new(),
    }
}

pub fn str_at<'a>(o: &'a Value, ptr: &str) -> &'a str {
    o.pointer(ptr).and_then(Value::as_str).unwrap_or("")
}

pub fn int_at(o: &Value, ptr: &str) -> i64 {
    o.pointer(ptr).and_then(Value::as_i64).unwrap_or(0)
}

pub fn or_none(s: &str, none: &str) -> String {
    if s.is_empty() { none.to_string() } else { s.to_string() }
}

/// `labels.FormatLabels`: `a=b,c=d` sorted by key, `<none>` when empty.
pub fn labels(map: Option<&Value>) -> String {
    let mut pairs: Vec<String> =
        map.and_then(Value::as_object).map(|m| m.iter().map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or(""))).collect()).unwrap_or_default();
    pairs.sort();
    if pairs.is_empty() { "<none>".into() } else { pairs.join(",") }
}

/// `metav1.LabelSelectorAsSelector(sel).String()`: requirements sorted by key; empty for an
/// empty or absent selector.
pub fn selector(sel: Option<&Value>) -> String {
    let Some(sel) = sel.filter(|s| s.is_object()) else { return String::new() };
    let mut reqs: Vec<(String, String)> = Vec::new();
    if let Some(m) = sel.get("matchLabels").and_then(Value::as_object) {
        for (k, v) in m {
            reqs.push((k.clone(), format!("{k}={}", v.as_str().unwrap_or(""))));
        }
    }
    for e in sel.get("matchExpressions").and_then(Value::as_array).into_iter().flatten() {
        let key = e.get("key").and_then(Value::as_str).unwrap_or("").to_string();
        let mut vals: Vec<&str> = e.get("values").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).collect();
        vals.sort_unstable();
        vals.dedup();
        let s = match e.get("operator").and_then(Value::as_str).unwrap_or("") {
            "In" => format!("{key} in ({})", vals.join(",")),
            "NotIn" => format!("{key} notin ({})", vals.join(",")),
            "Exists" => key.clone(),
            "DoesNotExist" => format!("!{key}"),
            _ => continue,
        };
        reqs.push((key, s));
    }
    reqs.sort_by(|a, b| a.0.cmp(&b.0));
    reqs.into_iter().map(|(_, s)| s).collect::<Vec<_>>().join(",")
}

/// `metav1.FormatLabelSelector`: like [`selector`] but `<none>` when it selects everything.
pub fn label_selector(sel: Option<&Value>) -> String {
    or_none(&selector(sel), "<none>")
}

/// `layoutContainerCells`: names and images, comma separated.
pub fn containers(spec: Option<&Value>) -> (String, String) {
    let cs: Vec<&Value> = spec.and_then(|s| s.get("containers")).and_then(Value::as_array).map(|a| a.iter().collect()).unwrap_or_default();
    let names: Vec<&str> = cs.iter().map(|c| str_at(c, "/name")).collect();
    let images: Vec<&str> = cs.iter().map(|c| str_at(c, "/image")).collect();
    (names.join(","), images.join(","))
}

/// `helper.GetAccessModesAsString`: RWO,ROX,RWX,RWOP in that order.
pub fn access_modes(modes: Option<&Value>) -> String {
    let have: Vec<&str> = modes.and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).collect();
    [("ReadWriteOnce", "RWO"), ("ReadOnlyMany", "ROX"), ("ReadWriteMany", "RWX"), ("ReadWriteOncePod", "RWOP")]
        .iter()
        .filter(|(m, _)| have.contains(m))
        .map(|(_, s)| *s)
        .collect::<Vec<_>>()
        .join(",")
}

/// An IntOrString as its Go `String()` prints it.
pub fn int_or_string(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => Some(s.clone()),
        _ => None,
    }
}

/// `metav1.Time.IsZero()` for a JSON field.
pub fn is_zero_time(v: Option<&Value>) -> bool {
    v.and_then(Value::as_str).is_none_or(str::is_empty)
}

/// "a,b,c + N more..." as several printers cut long lists.
pub fn list_with_more(list: Vec<String>, total: usize, max: usize) -> String {
    let shown: Vec<String> = list.into_iter().take(max).collect();
    let ret = shown.join(",");
    if total > max { format!("{ret} + {} more...", total - max) } else { ret }
}
