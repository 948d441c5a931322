//! Server-side printing: `Table` responses (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`),
//! which is what `kubectl get` shows. Columns and cells follow the real printers
//! (pkg/printers/internalversion); the server always prints the wide columns and kubectl hides
//! those with priority > 0 unless `-o wide`. Ages are computed here, with the simulated clock,
//! like the real server computes them with its own.

mod columns;
mod docs;
mod format;
mod printers;

use jiff::Timestamp;
use serde_json::{Map, Value, json};

use crate::resources::ResourceDef;

pub use format::human_duration;

/// One column definition (`metav1.TableColumnDefinition`).
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub name: &'static str,
    pub typ: &'static str,
    pub format: &'static str,
    pub description: &'static str,
    pub priority: i32,
}

const fn col(name: &'static str, typ: &'static str, description: &'static str) -> Column {
    Column { name, typ, format: "", description, priority: 0 }
}

const fn wide(name: &'static str, typ: &'static str, description: &'static str) -> Column {
    Column { name, typ, format: "", description, priority: 1 }
}

const NAME: Column = Column { name: "Name", typ: "string", format: "name", description: docs::NAME, priority: 0 };
const AGE: Column = col("Age", "string", docs::CREATED);

/// What each row carries besides its cells (`includeObject`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Include {
    None,
    Metadata,
    Object,
}

impl Include {
    pub fn parse(v: Option<&str>) -> Result<Self, String> {
        match v {
            None | Some("") | Some("Metadata") => Ok(Self::Metadata),
            Some("Object") => Ok(Self::Object),
            Some("None") => Ok(Self::None),
            Some(other) => Err(format!("unrecognized includeObject value: {other:?}")),
        }
    }
}

/// The columns the real server prints for a kind; the default convertor (Name, Created At) for
/// kinds without a printer.
pub fn columns(kind: &str) -> Vec<Column> {
    columns::columns(kind).unwrap_or_else(|| vec![NAME, Column { name: "Created At", typ: "date", format: "", description: docs::CREATED, priority: 0 }])
}

fn cells(kind: &str, obj: &Value, now: Timestamp) -> Vec<Value> {
    printers::cells(kind, obj, now).unwrap_or_else(|| {
        let name = crate::store::name_of(obj).to_string();
        vec![json!(name), json!(crate::store::meta_str(obj, "creationTimestamp"))]
    })
}

/// `metav1.PartialObjectMetadata` of an object, in the given meta.k8s.io version.
pub fn partial_metadata(obj: &Value, version: &str) -> Value {
    json!({"kind": "PartialObjectMetadata", "apiVersion": format!("meta.k8s.io/{version}"),
           "metadata": obj.get("metadata").cloned().unwrap_or(json!({}))})
}

fn row(d: &ResourceDef, obj: &Value, now: Timestamp, include: Include, version: &str) -> Value {
    let mut r = Map::new();
    r.insert("cells".into(), Value::Array(cells(d.kind, obj, now)));
    if let Some(c) = printers::row_conditions(d.kind, obj) {
        r.insert("conditions".into(), c);
    }
    match include {
        Include::None => {}
        Include::Metadata => {
            r.insert("object".into(), partial_metadata(obj, version));
        }
        Include::Object => {
            let mut o = obj.clone();
            o["apiVersion"] = json!(d.api_version());
            o["kind"] = json!(d.kind);
            r.insert("object".into(), o);
        }
    }
    Value::Object(r)
}

/// How a Table is asked for: its meta.k8s.io version, what rows carry, and whether the column
/// definitions are sent (a watch sends them with its first event only).
#[derive(Debug, Clone, Copy)]
pub struct Options<'a> {
    pub version: &'a str,
    pub include: Include,
    pub headers: bool,
}

/// A `Table` of `objs`; `meta` is the ListMeta (resourceVersion, continue, ...).
pub fn table(d: &ResourceDef, objs: &[&Value], meta: Value, now: Timestamp, opts: Options<'_>) -> Value {
    let defs = if opts.headers {
        Value::Array(
            columns(d.kind)
                .iter()
                .map(|c| json!({"name": c.name, "type": c.typ, "format": c.format, "description": c.description, "priority": c.priority}))
                .collect(),
        )
    } else {
        Value::Null
    };
    let rows: Vec<Value> = objs.iter().map(|o| row(d, o, now, opts.include, opts.version)).collect();
    json!({
        "kind": "Table",
        "apiVersion": format!("meta.k8s.io/{}", opts.version),
        "metadata": meta,
        "columnDefinitions": defs,
        "rows": rows,
    })
}

#[cfg(test)]
mod tests;
