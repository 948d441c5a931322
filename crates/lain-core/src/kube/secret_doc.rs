//! The decoded form of a Secret that `lain env|secret show|edit` print and read back:
//! Kubernetes' own layout (apiVersion, data, kind, metadata, type), with `data` values decoded.
//!
//! Text values are written as YAML strings (block literals `|` for multi-line files, quoted
//! when YAML would misread them); values that are not UTF-8 as `!!binary` base64, the YAML
//! standard tag, which the parser decodes back to the same bytes. Every value is checked to
//! round-trip before the document is handed out, so what the user sees is exactly what is
//! stored. Reading back treats every scalar as text: `PORT: 8000` is "8000", `DEBUG: yes` is
//! "yes", never a number or a boolean.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde::Deserialize;
use serde_saphyr::Tagged;

pub type SecretData = BTreeMap<String, Vec<u8>>;

const BINARY_TAG: &str = "tag:yaml.org,2002:binary";

/// What the document must keep as it is.
#[derive(Debug, Clone)]
pub struct DocIdentity {
    pub name: String,
    pub namespace: String,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DocError {
    #[error("line {line}: {message}")]
    Yaml { line: usize, message: String },
    #[error("{0}")]
    Invalid(String),
}

/// Renders the document (no comments; `header` lines, if any, are prepended as `# ...`).
pub fn render(id: &DocIdentity, data: &SecretData, header: &[String]) -> String {
    let mut out = String::new();
    for h in header {
        if h.is_empty() {
            out.push_str("#\n");
        } else {
            out.push_str(&format!("# {h}\n"));
        }
    }
    out.push_str("apiVersion: v1\n");
    if data.is_empty() {
        out.push_str("data: {}\n");
    } else {
        out.push_str("data:\n");
        for (k, v) in data {
            out.push_str(&render_entry(k, v));
        }
    }
    out.push_str("kind: Secret\nmetadata:\n");
    out.push_str(&format!("  name: {}\n  namespace: {}\n", id.name, id.namespace));
    out.push_str("type: Opaque\n");
    out
}

fn json_quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

fn key_text(k: &str) -> String {
    // Secret keys are [-._a-zA-Z0-9]+; quoting keeps odd ones (a leading '-') valid YAML.
    let plain = !k.is_empty() && !k.starts_with('-') && k.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if plain { k.to_string() } else { json_quote(k) }
}

fn binary(v: &[u8]) -> String {
    let b = B64.encode(v);
    let mut s = String::from("!!binary |\n");
    for chunk in b.as_bytes().chunks(76) {
        s.push_str("    ");
        s.push_str(&String::from_utf8_lossy(chunk));
        s.push('\n');
    }
    s
}

fn literal(text: &str) -> String {
    let trailing = text.len() - text.trim_end_matches('\n').len();
    let chomp = match trailing {
        0 => "-",
        1 => "",
        _ => "+",
    };
    // An explicit indentation indicator when the first line starts with a space, which
    // would otherwise be taken for deeper indentation.
    let indicator = if text.starts_with(' ') { "2" } else { "" };
    let body = text.strip_suffix('\n').unwrap_or(text);
    let mut s = format!("|{indicator}{chomp}\n");
    for line in body.split('\n') {
        if line.is_empty() {
            s.push('\n');
        } else {
            s.push_str("    ");
            s.push_str(line);
            s.push('\n');
        }
    }
    s
}

fn plain_ok(s: &str) -> bool {
    !s.is_empty()
        && s.trim() == s
        && !s.contains(": ")
        && !s.contains(" #")
        && !s.ends_with(':')
        && !s.starts_with(['!', '&', '*', '-', '?', '[', ']', '{', '}', '#', '|', '>', '@', '`', '"', '\'', '%', ','])
        && !matches!(s, "~" | "null" | "Null" | "NULL")
}

/// Candidate renderings of one value, most readable first.
fn candidates(v: &[u8]) -> Vec<String> {
    let Ok(text) = std::str::from_utf8(v) else { return vec![binary(v)] };
    let control = text.chars().any(|c| c.is_control() && c != '\n' && c != '\t');
    let mut c = Vec::new();
    if !control {
        if text.contains('\n') {
            c.push(literal(text));
        } else if plain_ok(text) {
            c.push(format!("{text}\n"));
        }
    }
    c.push(format!("{}\n", json_quote(text)));
    c.push(binary(v));
    c
}

fn render_entry(k: &str, v: &[u8]) -> String {
    let key = key_text(k);
    for cand in candidates(v) {
        let entry = format!("  {key}: {cand}");
        let doc = format!("data:\n{entry}");
        let back: Result<RawDoc, _> = serde_saphyr::from_str_with_options(&doc, options());
        if let Ok(back) = back
            && let Some(Ok(b)) = back.data.as_ref().and_then(|d| d.get(k)).map(decode_value)
            && b == v
        {
            return entry;
        }
    }
    // Binary always round-trips; this is unreachable in practice.
    format!("  {key}: {}", binary(v))
}

fn options() -> serde_saphyr::Options {
    serde_saphyr::options! {
        ignore_binary_tag_for_string: true,
        strict_booleans: true,
        duplicate_keys: serde_saphyr::DuplicateKeyPolicy::Error,
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMeta {
    name: Option<String>,
    namespace: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDoc {
    #[serde(rename = "apiVersion")]
    api_version: Option<String>,
    kind: Option<String>,
    metadata: Option<RawMeta>,
    #[serde(rename = "type")]
    type_: Option<String>,
    data: Option<indexmap::IndexMap<String, Tagged<String>>>,
}

fn decode_value(v: &Tagged<String>) -> Result<Vec<u8>, String> {
    if v.1.as_deref() == Some(BINARY_TAG) {
        let compact: String = v.0.chars().filter(|c| !c.is_whitespace()).collect();
        B64.decode(compact.as_bytes()).map_err(|e| format!("invalid base64 after !!binary: {e}"))
    } else {
        Ok(v.0.clone().into_bytes())
    }
}

/// Whether `k` is a valid Secret key (`[-._a-zA-Z0-9]+`, at most 253 characters).
pub fn valid_key(k: &str) -> bool {
    !k.is_empty() && k.len() <= 253 && k != "." && k != ".." && k.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// Whether `k` can be an environment variable a shell can read (`[A-Za-z_][A-Za-z0-9_]*`).
pub fn shell_env_name(k: &str) -> bool {
    let mut cs = k.chars();
    cs.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_') && cs.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Parses an edited document back into data, checking that only `data` changed.
/// Error messages never contain values (they may be printed to a CI log).
pub fn parse(text: &str, id: &DocIdentity) -> Result<SecretData, DocError> {
    let doc: RawDoc = serde_saphyr::from_str_with_options(text, options()).map_err(|e| {
        let line = e.location().map(|l| l.line() as usize).unwrap_or(0);
        let msg = e.without_snippet().to_string();
        // The first line is the message proper; the rest repeats the source text.
        let msg = msg.lines().next().unwrap_or("invalid YAML").to_string();
        DocError::Yaml { line, message: redact_quoted(&msg) }
    })?;
    if let Some(k) = doc.kind.as_deref().filter(|k| *k != "Secret") {
        return Err(DocError::Invalid(format!("kind must stay Secret (found {k}); lain edits only `data`")));
    }
    if let Some(v) = doc.api_version.as_deref().filter(|v| *v != "v1") {
        return Err(DocError::Invalid(format!("apiVersion must stay v1 (found {v}); lain edits only `data`")));
    }
    if let Some(t) = doc.type_.as_deref().filter(|t| *t != "Opaque") {
        return Err(DocError::Invalid(format!("type must stay Opaque (found {t}); lain edits only `data`")));
    }
    if let Some(m) = &doc.metadata {
        if m.name.as_deref().is_some_and(|n| n != id.name) {
            return Err(DocError::Invalid(format!("metadata.name must stay {}; lain edits only `data`", id.name)));
        }
        if m.namespace.as_deref().is_some_and(|n| n != id.namespace) {
            return Err(DocError::Invalid(format!("metadata.namespace must stay {}; lain edits only `data`", id.namespace)));
        }
    }
    let mut out = SecretData::new();
    for (k, v) in doc.data.unwrap_or_default() {
        if !valid_key(&k) {
            return Err(DocError::Invalid(format!("data key {k:?} is not a valid Secret key: use letters, digits, '-', '_' and '.'")));
        }
        let bytes = decode_value(&v).map_err(|m| DocError::Invalid(format!("data.{k}: {m}")))?;
        out.insert(k, bytes);
    }
    Ok(out)
}

/// YAML errors can quote a scalar (`invalid value "hunter2"`); such a scalar may be a secret.
fn redact_quoted(msg: &str) -> String {
    let mut out = String::new();
    let mut in_quote = false;
    for c in msg.chars() {
        if c == '"' || c == '`' {
            if in_quote {
                out.push('…');
            }
            in_quote = !in_quote;
            out.push(c);
        } else if !in_quote {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
#[path = "secret_doc_tests.rs"]
mod tests;
