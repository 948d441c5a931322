//! A YAML tree in which every node remembers the file and line it came from.
//!
//! lain merges several files (values.yaml, values-CLUSTER.yaml, `-f`, `--set`) before it can
//! check anything, and a mistake must still be reported where the user wrote it. So merging
//! works on this tree rather than on plain `serde_json::Value`, and each node keeps the origin of
//! whichever layer last set it.

use std::fmt;
use std::sync::Arc;

use indexmap::IndexMap;
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

/// Where a node was written: a file and a 1-based line (0 when unknown, e.g. `--set`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    pub file: Arc<str>,
    pub line: u64,
}

impl Origin {
    pub fn new(file: impl Into<Arc<str>>, line: u64) -> Self {
        Origin { file: file.into(), line }
    }
    pub fn unknown() -> Self {
        Origin { file: Arc::from(""), line: 0 }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.file.is_empty(), self.line) {
            (true, _) => write!(f, "<unknown>"),
            (false, 0) => write!(f, "{}", self.file),
            (false, l) => write!(f, "{}:{l}", self.file),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(IndexMap<String, Node>),
}

/// A value plus where it was written. `key_line` is the line of the mapping key that holds it
/// (the natural place to point at for "unknown key" or "wrong type" errors on a block value).
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub value: Value,
    pub origin: Origin,
}

impl Node {
    pub fn new(value: Value, origin: Origin) -> Self {
        Node { value, origin }
    }

    pub fn as_map(&self) -> Option<&IndexMap<String, Node>> {
        match &self.value {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }

    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map().and_then(|m| m.get(key))
    }

    /// Follows a dotted path (`deployments.web.resources`).
    pub fn path(&self, dotted: &str) -> Option<&Node> {
        dotted.split('.').try_fold(self, |n, k| n.get(k))
    }

    /// The YAML type name, for "expected a map, found a list" messages.
    pub fn type_name(&self) -> &'static str {
        match self.value {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a map",
        }
    }

    /// Plain JSON, as helm and the templates see it.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => J::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f).map(J::Number).unwrap_or(J::Null),
            Value::Str(s) => J::String(s.clone()),
            Value::Seq(s) => J::Array(s.iter().map(Node::to_json).collect()),
            Value::Map(m) => J::Object(m.iter().map(|(k, v)| (k.clone(), v.to_json())).collect()),
        }
    }

    /// Builds a tree from JSON, every node carrying `origin`.
    pub fn from_json(v: &serde_json::Value, origin: &Origin) -> Node {
        use serde_json::Value as J;
        let value = match v {
            J::Null => Value::Null,
            J::Bool(b) => Value::Bool(*b),
            J::Number(n) => match n.as_i64() {
                Some(i) => Value::Int(i),
                None => Value::Float(n.as_f64().unwrap_or(0.0)),
            },
            J::String(s) => Value::Str(s.clone()),
            J::Array(a) => Value::Seq(a.iter().map(|x| Node::from_json(x, origin)).collect()),
            J::Object(o) => Value::Map(o.iter().map(|(k, x)| (k.clone(), Node::from_json(x, origin))).collect()),
        };
        Node::new(value, origin.clone())
    }

    fn set_file(&mut self, file: &Arc<str>) {
        self.origin.file = file.clone();
        match &mut self.value {
            Value::Seq(s) => s.iter_mut().for_each(|n| n.set_file(file)),
            Value::Map(m) => m.values_mut().for_each(|n| n.set_file(file)),
            _ => {}
        }
    }
}

/// A YAML syntax error, with the file and line.
#[derive(Debug, thiserror::Error)]
#[error("{file}:{line}{}: invalid YAML: {message}", if *.column > 0 { format!(":{}", .column) } else { String::new() })]
pub struct YamlError {
    pub file: String,
    pub line: u64,
    pub column: u64,
    pub message: String,
}

/// Parses one YAML document; an empty document is an empty map (as helm treats it).
pub fn parse(text: &str, file: &str) -> Result<Node, YamlError> {
    let file_arc: Arc<str> = Arc::from(file);
    if text.trim().is_empty() || text.lines().all(|l| l.trim().is_empty() || l.trim_start().starts_with('#') || l.trim() == "---") {
        return Ok(Node::new(Value::Map(IndexMap::new()), Origin::new(file_arc, 1)));
    }
    match serde_saphyr::from_str::<Spanned<Raw>>(text) {
        Ok(sp) => {
            let mut n = sp.value.0;
            n.set_file(&file_arc);
            if n.is_null() {
                n.value = Value::Map(IndexMap::new());
            }
            Ok(n)
        }
        Err(e) => {
            let loc = e.location();
            let line = loc.map(|l| l.line()).unwrap_or(0);
            let column = loc.map(|l| l.column()).unwrap_or(0);
            let message = first_line_of(&e.without_snippet().to_string());
            Err(YamlError { file: file.to_string(), line, column, message })
        }
    }
}

fn first_line_of(s: &str) -> String {
    // serde-saphyr's messages repeat the position ("at line X, column Y") that the error
    // already leads with, and its snippet is noise in a one-line error.
    let first = s.lines().next().unwrap_or(s).trim();
    match first.rfind(" at line ") {
        Some(i) => first[..i].trim_end_matches(',').to_string(),
        None => first.to_string(),
    }
}

/// Deserialization target: a `Node` whose origin lines are filled from spans (the file is
/// set afterwards, since the deserializer does not know it).
struct Raw(Node);

fn spanned_node(sp: Spanned<Raw>) -> Node {
    let mut n = sp.value.0;
    n.origin.line = sp.referenced.line();
    n
}

impl<'de> Deserialize<'de> for Raw {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(RawVisitor)
    }
}

struct RawVisitor;

fn leaf(v: Value) -> Raw {
    Raw(Node::new(v, Origin::unknown()))
}

impl<'de> Visitor<'de> for RawVisitor {
    type Value = Raw;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Raw, E> {
        Ok(leaf(Value::Null))
    }
    fn visit_none<E: de::Error>(self) -> Result<Raw, E> {
        Ok(leaf(Value::Null))
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Raw, D::Error> {
        Raw::deserialize(d)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Raw, E> {
        Ok(leaf(Value::Bool(v)))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Raw, E> {
        Ok(leaf(Value::Int(v)))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Raw, E> {
        Ok(leaf(match i64::try_from(v) {
            Ok(i) => Value::Int(i),
            Err(_) => Value::Float(v as f64),
        }))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Raw, E> {
        Ok(leaf(Value::Float(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Raw, E> {
        Ok(leaf(Value::Str(v.to_string())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Raw, E> {
        Ok(leaf(Value::Str(v)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Raw, A::Error> {
        let mut out = Vec::new();
        while let Some(sp) = a.next_element::<Spanned<Raw>>()? {
            out.push(spanned_node(sp));
        }
        Ok(leaf(Value::Seq(out)))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Raw, A::Error> {
        let mut out = IndexMap::new();
        while let Some(k) = a.next_key::<Spanned<KeyString>>()? {
            let key_line = k.referenced.line();
            let sp = a.next_value::<Spanned<Raw>>()?;
            let mut node = spanned_node(sp);
            // Block values (maps, lists) start on the line after their key; the key's line
            // is where a reader looks.
            if matches!(node.value, Value::Map(_) | Value::Seq(_)) || node.origin.line == 0 {
                node.origin.line = key_line;
            }
            out.insert(k.value.0, node);
        }
        Ok(leaf(Value::Map(out)))
    }
}

/// Mapping keys as strings: YAML allows `1: x` or `true: y`; helm turns those into strings too.
struct KeyString(String);

impl<'de> Deserialize<'de> for KeyString {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = KeyString;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a scalar mapping key")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<KeyString, E> {
                Ok(KeyString(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<KeyString, E> {
                Ok(KeyString(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<KeyString, E> {
                Ok(KeyString(v.to_string()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<KeyString, E> {
                Ok(KeyString(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<KeyString, E> {
                Ok(KeyString(v.to_string()))
            }
            fn visit_unit<E: de::Error>(self) -> Result<KeyString, E> {
                Ok(KeyString("null".into()))
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_recorded_for_scalars_and_blocks() {
        let text = "appname: dummy\ndeployments:\n  web:\n    resources:\n      limits:\n        memory: 80m\n    command: [a, b]\n";
        let n = parse(text, "chart/values.yaml").unwrap();
        assert_eq!(n.get("appname").unwrap().origin.line, 1);
        assert_eq!(n.path("deployments.web").unwrap().origin.line, 3);
        let mem = n.path("deployments.web.resources.limits.memory").unwrap();
        assert_eq!(mem.origin.line, 6);
        assert_eq!(&*mem.origin.file, "chart/values.yaml");
        assert_eq!(mem.as_str(), Some("80m"));
        assert_eq!(n.path("deployments.web.command").unwrap().origin.line, 7);
    }

    #[test]
    fn scalars_are_typed() {
        let n = parse("a: 1\nb: true\nc: 1.5\nd: ~\ne: '1'\n", "f").unwrap();
        assert_eq!(n.get("a").unwrap().value, Value::Int(1));
        assert_eq!(n.get("b").unwrap().value, Value::Bool(true));
        assert_eq!(n.get("c").unwrap().value, Value::Float(1.5));
        assert!(n.get("d").unwrap().is_null());
        assert_eq!(n.get("e").unwrap().value, Value::Str("1".into()));
    }

    #[test]
    fn syntax_error_names_file_and_line() {
        let err = parse("a: 1\nb: [unclosed\nc: 2\n", "chart/values.yaml").unwrap_err();
        assert_eq!(err.file, "chart/values.yaml");
        assert!(err.line >= 2, "{err}");
        assert!(err.to_string().starts_with("chart/values.yaml:"), "{err}");
    }

    #[test]
    fn empty_and_comment_only_documents_are_empty_maps() {
        for t in ["", "# only a comment\n", "---\n"] {
            let n = parse(t, "f").unwrap();
            assert_eq!(n.as_map().map(|m| m.len()), Some(0));
        }
    }

    #[test]
    fn json_round_trip() {
        let n = parse("a: {b: [1, x, null]}\n", "f").unwrap();
        let j = n.to_json();
        assert_eq!(j, serde_json::json!({"a": {"b": [1, "x", null]}}));
        assert_eq!(Node::from_json(&j, &Origin::unknown()).to_json(), j);
    }
}
