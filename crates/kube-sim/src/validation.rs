//! `fieldValidation`: what a write does with fields the kind does not have, with the real
//! server's messages for each way in (create/update body, JSON/merge/strategic patch, apply).

use serde_json::{Value, json};

use crate::resources::ResourceDef;
use crate::schema::{self, Unknown};
use crate::server::Req;
use crate::status::{ApiError, ApiResult};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Directive {
    Ignore,
    Warn,
    Strict,
}

/// The request's directive; Warn when absent, as since Kubernetes 1.23.
pub fn directive(req: &Req) -> ApiResult<Directive> {
    match req.q("fieldValidation").unwrap_or("") {
        "" | "Warn" => Ok(Directive::Warn),
        "Ignore" => Ok(Directive::Ignore),
        "Strict" => Ok(Directive::Strict),
        other => Err(ApiError::bad_request(format!("fieldValidation: Unsupported value: {other:?}: supported values: \"Ignore\", \"Strict\", \"Warn\""))),
    }
}

fn strict_error(unknown: &[Unknown]) -> String {
    let parts: Vec<String> = unknown.iter().map(|u| format!("unknown field {:?}", u.json_path())).collect();
    format!("strict decoding error: {}", parts.join(", "))
}

/// Applies the directive to `obj`: Strict fails with `fail(message)`, Warn adds one warning per
/// field, and both Warn and Ignore drop the fields, as decoding into the Go types does.
fn enforce(d: &ResourceDef, obj: &mut Value, dir: Directive, warnings: &mut Vec<String>, fail: impl FnOnce(String) -> ApiError) -> ApiResult<()> {
    let unknown = schema::unknown_fields(d.kind, obj);
    if unknown.is_empty() {
        return Ok(());
    }
    match dir {
        Directive::Strict => return Err(fail(strict_error(&unknown))),
        Directive::Warn => warnings.extend(unknown.iter().map(|u| format!("unknown field {:?}", u.json_path()))),
        Directive::Ignore => {}
    }
    schema::drop_unknown(obj, &unknown);
    Ok(())
}

/// A create or update body.
pub fn body(d: &ResourceDef, obj: &mut Value, dir: Directive, warnings: &mut Vec<String>) -> ApiResult<()> {
    let version =
        obj.get("apiVersion").and_then(Value::as_str).map(|av| av.rsplit('/').next().unwrap_or(av).to_string()).unwrap_or_else(|| d.version.to_string());
    let fail = |e: String| ApiError::bad_request(format!("{k} in version {version:?} cannot be handled as a {k}: {e}", k = d.kind));
    // A value of the wrong type fails decoding whatever the directive.
    if let Some(e) = schema::type_error(d.kind, obj) {
        return Err(fail(e));
    }
    enforce(d, obj, dir, warnings, fail)
}

/// The object a JSON, merge or strategic merge patch produced. Strict failures name the patch:
/// the patched object for JSON and merge patches, the patch itself (printed as a Go map) for
/// strategic merge patches.
pub fn patched(d: &ResourceDef, obj: &mut Value, patch_doc: &Value, strategic: bool, dir: Directive, warnings: &mut Vec<String>) -> ApiResult<()> {
    let shown = if strategic { go_value(patch_doc) } else { obj.to_string() };
    let fail = |e: String| {
        let msg = format!("Invalid value: {shown:?}: {e}");
        ApiError {
            code: 422,
            reason: "Invalid",
            message: format!(" \"\" is invalid: patch: {msg}"),
            details: Some(json!({"causes": [{"reason": "FieldValueInvalid", "message": msg, "field": "patch"}]})),
        }
    };
    // The patched object is decoded like a body: a value of the wrong type fails it.
    if let Some(e) = schema::type_error(d.kind, obj) {
        return Err(fail(e));
    }
    enforce(d, obj, dir, warnings, fail)
}

/// A server-side apply configuration: unknown fields fail whatever the directive, because the
/// apply machinery converts the configuration to its schema first. The real server answers 500
/// here (an unwrapped error), and so do we.
pub fn applied(d: &ResourceDef, config: &Value) -> ApiResult<()> {
    let unknown = schema::unknown_fields(d.kind, config);
    if unknown.is_empty() {
        return Ok(());
    }
    let errs: Vec<String> = unknown.iter().map(|u| format!("{}: field not declared in schema", u.apply_path(config))).collect();
    let detail = if let [one] = errs.as_slice() { one.clone() } else { format!("errors:\n  {}", errs.join("\n  ")) };
    let ns = crate::store::meta_str(config, "namespace");
    let name = crate::store::name_of(config);
    let gvk = format!("{}/{}, Kind={}", d.group, d.version, d.kind);
    Err(ApiError::new(500, "", format!("failed to create typed patch object ({ns}/{name}; {gvk}): {detail}")))
}

/// A JSON value as Go's `%+v` prints the decoded `map[string]interface{}`.
fn go_value(v: &Value) -> String {
    match v {
        Value::Null => "<nil>".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        Value::Array(a) => format!("[{}]", a.iter().map(go_value).collect::<Vec<_>>().join(" ")),
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            format!("map[{}]", keys.iter().map(|k| format!("{k}:{}", go_value(&m[*k]))).collect::<Vec<_>>().join(" "))
        }
    }
}

/// `Warning` header values (RFC 7234, code 299 as the apiserver sends them).
pub fn warning_header(text: &str) -> String {
    format!("299 - {text:?}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_maps_print_sorted() {
        assert_eq!(go_value(&json!({"spec": {"foo": 1, "a": [true, null, "x"]}})), "map[spec:map[a:[true <nil> x] foo:1]]");
        assert_eq!(warning_header("unknown field \"spec.foo\""), "299 - \"unknown field \\\"spec.foo\\\"\"");
    }
}
