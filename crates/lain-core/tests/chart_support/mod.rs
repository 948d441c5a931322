//! Checks on rendered Kubernetes objects, shared by the chart tests.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

fn through<T: DeserializeOwned + Serialize>(doc: &Value) -> Result<Value, String> {
    let typed: T = serde_json::from_value(doc.clone()).map_err(|e| format!("does not deserialize: {e}"))?;
    serde_json::to_value(&typed).map_err(|e| format!("does not serialize back: {e}"))
}

/// `doc` deserialized into its k8s-openapi type and serialized back. Unknown (misspelt)
/// fields are dropped on the way, which the caller sees by comparing.
pub fn roundtrip(doc: &Value) -> Result<Value, String> {
    use k8s_openapi::api::{apps, autoscaling, batch, core, networking};
    let api = doc["apiVersion"].as_str().unwrap_or_default();
    let kind = doc["kind"].as_str().unwrap_or_default();
    match (api, kind) {
        ("apps/v1", "Deployment") => through::<apps::v1::Deployment>(doc),
        ("apps/v1", "StatefulSet") => through::<apps::v1::StatefulSet>(doc),
        ("v1", "Service") => through::<core::v1::Service>(doc),
        ("v1", "Pod") => through::<core::v1::Pod>(doc),
        ("v1", "PersistentVolumeClaim") => through::<core::v1::PersistentVolumeClaim>(doc),
        ("batch/v1", "Job") => through::<batch::v1::Job>(doc),
        ("batch/v1", "CronJob") => through::<batch::v1::CronJob>(doc),
        ("networking.k8s.io/v1", "Ingress") => through::<networking::v1::Ingress>(doc),
        ("networking.k8s.io/v1", "NetworkPolicy") => through::<networking::v1::NetworkPolicy>(doc),
        ("autoscaling/v2", "HorizontalPodAutoscaler") => through::<autoscaling::v2::HorizontalPodAutoscaler>(doc),
        _ => Err(format!("unexpected object {api} {kind}: add its type to chart_support::roundtrip")),
    }
}

/// Fields of `doc` that `back` (its round trip through k8s-openapi) lost or changed. Fields
/// the type adds (apiVersion and kind of embedded templates) are not losses.
pub fn lost_fields(doc: &Value, back: &Value) -> Vec<String> {
    diff_values(doc, back).into_iter().filter(|d| !d.contains(": unexpected ")).collect()
}

/// Paths where `want` and `got` differ, e.g. `spec.template.spec.containers[0].image: "a" != "b"`.
pub fn diff_values(want: &Value, got: &Value) -> Vec<String> {
    let mut out = Vec::new();
    diff_at("", want, got, &mut out);
    out
}

fn diff_at(path: &str, want: &Value, got: &Value, out: &mut Vec<String>) {
    match (want, got) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, va) in a {
                let p = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                match b.get(k) {
                    Some(vb) => diff_at(&p, va, vb, out),
                    None => out.push(format!("{p}: missing (expected {va})")),
                }
            }
            for (k, vb) in b {
                if !a.contains_key(k) {
                    let p = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                    out.push(format!("{p}: unexpected {vb}"));
                }
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (va, vb)) in a.iter().zip(b).enumerate() {
                diff_at(&format!("{path}[{i}]"), va, vb, out);
            }
        }
        _ if want == got => {}
        _ => out.push(format!("{path}: expected {want}, got {got}")),
    }
}

/// Keys whose value is null, an empty list or an empty map: noise in `lain template` output,
/// and a sign of a template that printed a key it had nothing for. Empty maps are meaningful
/// under a few keys (an emptyDir volume, "all pods" selectors).
pub fn unclean_fields(doc: &Value) -> Vec<String> {
    const EMPTY_MAP_OK: &[&str] = &["emptyDir", "podSelector", "namespaceSelector"];
    let mut out = Vec::new();
    fn walk(path: &str, key: &str, v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Null => out.push(path.to_string()),
            Value::Array(a) if a.is_empty() => out.push(path.to_string()),
            Value::Object(m) if m.is_empty() && !EMPTY_MAP_OK.contains(&key) => out.push(path.to_string()),
            Value::Array(a) => {
                for (i, x) in a.iter().enumerate() {
                    walk(&format!("{path}[{i}]"), key, x, out);
                }
            }
            Value::Object(m) => {
                for (k, x) in m {
                    walk(&if path.is_empty() { k.clone() } else { format!("{path}.{k}") }, k, x, out);
                }
            }
            _ => {}
        }
    }
    walk("", "", doc, &mut out);
    out
}

/// `values.yaml` with its commented-out examples switched on, to check that what the file
/// teaches is valid and renders. An example starts at a comment line `# key:` (any
/// indentation) and goes on over comment lines at that indentation whose text is indented
/// further or is itself a comment (`#   - item`, `#   # note`); `# # note` lines become
/// comments. Prose comments (`# Some words`) stay as they are: prose must not start with
/// `word:`, which the values.yaml.j2 follows.
pub fn uncomment_examples(text: &str) -> String {
    fn starts_with_key(c: &str) -> bool {
        let key_len =
            c.char_indices().take_while(|(i, ch)| if *i == 0 { ch.is_ascii_alphabetic() } else { ch.is_ascii_alphanumeric() || "_.-".contains(*ch) }).count();
        key_len > 0 && (c[key_len..].starts_with(": ") || &c[key_len..] == ":")
    }
    let mut out = String::new();
    let mut block: Option<usize> = None;
    for line in text.lines() {
        let indent = line.len() - line.trim_start().len();
        let rest = &line[indent..];
        let content = rest.strip_prefix("# ");
        let uncomment = match content {
            Some(c) if starts_with_key(c) => {
                block = Some(indent);
                true
            }
            Some(c) if c.starts_with('#') => true,
            Some(c) if block == Some(indent) && c.starts_with("  ") => true,
            _ => {
                block = None;
                false
            }
        };
        match (uncomment, content) {
            (true, Some(c)) => {
                out.push_str(&line[..indent]);
                out.push_str(c);
            }
            _ => out.push_str(line),
        }
        out.push('\n');
    }
    out
}
