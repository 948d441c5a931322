//! Turns a list or an object into the form the client negotiated: as is, a `Table`, or
//! `PartialObjectMetadata(List)`.

use serde_json::{Value, json};

use crate::Shared;
use crate::negotiate::{Output, Target, output};
use crate::resources::ResourceDef;
use crate::server::Req;
use crate::status::{ApiError, ApiResult};
use crate::table::{self, Include};

fn include(req: &Req) -> ApiResult<Include> {
    Include::parse(req.q("includeObject")).map_err(ApiError::bad_request)
}

/// A list response (`items` without apiVersion/kind, as stored lists are served).
pub fn list(shared: &Shared, req: &Req, d: &ResourceDef, list: Value) -> ApiResult<Value> {
    match output(&req.accept, Target::List)? {
        Output::Json => Ok(list),
        Output::Table { version } => {
            let items: Vec<&Value> = list.get("items").and_then(Value::as_array).map(|a| a.iter().collect()).unwrap_or_default();
            let opts = table::Options { version: &version, include: include(req)?, headers: true };
            Ok(table::table(d, &items, list["metadata"].clone(), shared.clock.now(), opts))
        }
        Output::Metadata { version } => {
            let items: Vec<Value> = list.get("items").and_then(Value::as_array).into_iter().flatten().map(|o| table::partial_metadata(o, &version)).collect();
            Ok(json!({"kind": "PartialObjectMetadataList", "apiVersion": format!("meta.k8s.io/{version}"), "metadata": list["metadata"], "items": items}))
        }
    }
}

/// A single object response (GET by name).
pub fn object(shared: &Shared, req: &Req, d: &ResourceDef, obj: Value) -> ApiResult<Value> {
    match output(&req.accept, Target::Object)? {
        Output::Json => Ok(obj),
        Output::Table { version } => {
            let meta = json!({"resourceVersion": obj.pointer("/metadata/resourceVersion").cloned().unwrap_or(json!(""))});
            let opts = table::Options { version: &version, include: include(req)?, headers: true };
            Ok(table::table(d, &[&obj], meta, shared.clock.now(), opts))
        }
        Output::Metadata { version } => Ok(table::partial_metadata(&obj, &version)),
    }
}

/// Per-watch rendering state: a Table watch sends its column definitions with the first event
/// only, as the real server's watch encoder does.
pub struct WatchRender {
    out: Output,
    include: Include,
    headers_sent: bool,
}

impl WatchRender {
    pub fn new(req: &Req) -> ApiResult<Self> {
        Ok(Self { out: output(&req.accept, Target::Watch)?, include: include(req)?, headers_sent: false })
    }

    pub fn event_object(&mut self, shared: &Shared, d: &ResourceDef, obj: &Value) -> Value {
        match &self.out {
            Output::Json => obj.clone(),
            Output::Table { version } => {
                let meta = json!({"resourceVersion": obj.pointer("/metadata/resourceVersion").cloned().unwrap_or(json!(""))});
                let opts = table::Options { version, include: self.include, headers: !self.headers_sent };
                self.headers_sent = true;
                table::table(d, &[obj], meta, shared.clock.now(), opts)
            }
            Output::Metadata { version } => table::partial_metadata(obj, version),
        }
    }
}
