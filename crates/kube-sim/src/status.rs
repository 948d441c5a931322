//! `Status` error bodies shaped like the real apiserver's (`metav1.Status`): clients branch on
//! `reason` and `code` (helm treats NotFound specially, kubectl prints `message` verbatim).

use serde_json::{Value, json};

use crate::resources::ResourceDef;

#[derive(Debug, Clone)]
pub struct ApiError {
    pub code: u16,
    pub reason: &'static str,
    pub message: String,
    pub details: Option<Value>,
}

pub type ApiResult<T> = Result<T, ApiError>;

fn details(res: &ResourceDef, name: &str) -> Value {
    let mut d = json!({ "name": name });
    if !res.group.is_empty() {
        d["group"] = json!(res.group);
    }
    d["kind"] = json!(res.plural);
    d
}

impl ApiError {
    pub fn new(code: u16, reason: &'static str, message: impl Into<String>) -> Self {
        Self { code, reason, message: message.into(), details: None }
    }

    pub fn not_found(res: &ResourceDef, name: &str) -> Self {
        Self { code: 404, reason: "NotFound", message: format!("{} \"{}\" not found", res.qualified(), name), details: Some(details(res, name)) }
    }

    /// 404 for a URL that names no resource (unknown group, version or plural).
    pub fn no_route() -> Self {
        Self { code: 404, reason: "NotFound", message: "the server could not find the requested resource".into(), details: Some(json!({})) }
    }

    pub fn already_exists(res: &ResourceDef, name: &str) -> Self {
        Self { code: 409, reason: "AlreadyExists", message: format!("{} \"{}\" already exists", res.qualified(), name), details: Some(details(res, name)) }
    }

    pub fn conflict(res: &ResourceDef, name: &str) -> Self {
        Self {
            code: 409,
            reason: "Conflict",
            message: format!(
                "Operation cannot be fulfilled on {} \"{}\": the object has been modified; please apply your changes to the latest version and try again",
                res.qualified(),
                name
            ),
            details: Some(details(res, name)),
        }
    }

    /// 422 with field causes, the way validation failures are reported.
    pub fn invalid(res: &ResourceDef, name: &str, causes: &[(&str, String)]) -> Self {
        let msgs: Vec<String> = causes.iter().map(|(f, m)| format!("{f}: {m}")).collect();
        let message = if msgs.len() == 1 {
            format!("{} \"{}\" is invalid: {}", res.kind, name, msgs[0])
        } else {
            format!("{} \"{}\" is invalid: [{}]", res.kind, name, msgs.join(", "))
        };
        let causes: Vec<Value> = causes.iter().map(|(f, m)| json!({"reason": "FieldValueInvalid", "message": m, "field": f})).collect();
        let mut d = json!({ "name": name });
        if !res.group.is_empty() {
            d["group"] = json!(res.group);
        }
        d["kind"] = json!(res.kind);
        d["causes"] = json!(causes);
        Self { code: 422, reason: "Invalid", message, details: Some(d) }
    }

    pub fn expired(message: impl Into<String>) -> Self {
        Self { code: 410, reason: "Expired", message: message.into(), details: None }
    }

    pub fn method_not_allowed() -> Self {
        Self {
            code: 405,
            reason: "MethodNotAllowed",
            message: "the server does not allow this method on the requested resource".into(),
            details: Some(json!({})),
        }
    }

    pub fn unsupported_media_type(accepted: &[&str]) -> Self {
        Self {
            code: 415,
            reason: "UnsupportedMediaType",
            message: format!("the body of the request was in an unknown format - accepted media types include: {}", accepted.join(", ")),
            details: None,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self { code: 400, reason: "BadRequest", message: message.into(), details: None }
    }

    pub fn namespace_not_found(ns: &str) -> Self {
        Self { code: 404, reason: "NotFound", message: format!("namespaces \"{ns}\" not found"), details: Some(json!({"name": ns, "kind": "namespaces"})) }
    }

    pub fn forbidden_terminating(res: &ResourceDef, name: &str, ns: &str) -> Self {
        Self {
            code: 403,
            reason: "Forbidden",
            message: format!("{} \"{}\" is forbidden: unable to create new content in namespace {} because it is being terminated", res.qualified(), name, ns),
            details: Some(details(res, name)),
        }
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self { code: 500, reason: "InternalError", message: message.into(), details: None }
    }

    pub fn to_status(&self) -> Value {
        let mut v = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
        });
        // An error the server did not classify carries no reason at all.
        if !self.reason.is_empty() {
            v["reason"] = json!(self.reason);
        }
        if let Some(d) = &self.details {
            v["details"] = d.clone();
        }
        v["code"] = json!(self.code);
        v
    }
}

/// The `Status` a DELETE answers with for resources whose registry does not return the object.
pub fn success_status(res: &ResourceDef, name: &str, uid: &str) -> Value {
    let mut d = details(res, name);
    d["uid"] = json!(uid);
    json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Success",
        "details": d,
    })
}
