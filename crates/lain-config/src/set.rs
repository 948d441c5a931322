//! helm's `--set` syntax, so that `lain deploy --set a.b=c` means exactly what
//! `helm upgrade --set a.b=c` would: `a.b=c`, comma-separated pairs, `a[0]=x`, `a[0].b=y`,
//! `a={x,y}`, `\,` and `\.` escapes, and helm's typing (`true`/`false` → bool, `null` → null,
//! integers without a leading zero → int, everything else a string).
//!
//! lain parses `--set` itself (as well as passing it on to helm) so that values given there are
//! validated with the rest, and so `--set appname=...` / `--set releaseName=...` are honoured.

use indexmap::IndexMap;

use super::yaml::{Node, Origin, Value};

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum SetError {
    #[error("--set {expr}: key \"{key}\" has no value; write KEY=VALUE (e.g. --set imageTag=1634199833-f02f668)")]
    MissingValue { expr: String, key: String },
    #[error("--set {expr}: empty key; write KEY=VALUE with a dotted path (e.g. deployments.web.replicaCount=2)")]
    EmptyKey { expr: String },
    #[error("--set {expr}: bad list index in \"{key}\"; write a number in brackets (e.g. args[0]=x)")]
    BadIndex { expr: String, key: String },
    #[error("--set {expr}: list index {index} is too large (at most 65536)")]
    IndexTooLarge { expr: String, index: usize },
    #[error("--set {expr}: unterminated {{...}} list")]
    UnterminatedList { expr: String },
}

const MAX_INDEX: usize = 65536;

/// Parses one `--set` argument into a values tree.
pub fn parse(expr: &str) -> Result<Node, SetError> {
    let origin = Origin::new("--set", 0);
    let mut root = Node::new(Value::Map(IndexMap::new()), origin.clone());
    for pair in split_unescaped(expr, ',', true) {
        if pair.is_empty() {
            continue;
        }
        let Some((key, raw)) = split_key_value(&pair) else {
            return Err(SetError::MissingValue { expr: expr.into(), key: unescape(&pair) });
        };
        if key.is_empty() {
            return Err(SetError::EmptyKey { expr: expr.into() });
        }
        let value = if raw.starts_with('{') {
            if !raw.ends_with('}') {
                return Err(SetError::UnterminatedList { expr: expr.into() });
            }
            let inner = &raw[1..raw.len() - 1];
            let items = if inner.is_empty() { Vec::new() } else { split_unescaped(inner, ',', false) };
            Value::Seq(items.iter().map(|s| Node::new(typed(&unescape(s)), origin.clone())).collect())
        } else {
            typed(&unescape(&raw))
        };
        let segments = parse_key(&key, expr)?;
        set_path(&mut root, &segments, Node::new(value, origin.clone()));
    }
    Ok(root)
}

#[derive(Debug, PartialEq)]
enum Seg {
    Key(String),
    Index(usize),
}

fn parse_key(key: &str, expr: &str) -> Result<Vec<Seg>, SetError> {
    let mut segs = Vec::new();
    for part in split_unescaped(key, '.', false) {
        let mut rest = part.as_str();
        // `a[0][1]`: the name, then indexes.
        let name_end = find_unescaped(rest, '[').unwrap_or(rest.len());
        let name = unescape(&rest[..name_end]);
        if !name.is_empty() {
            segs.push(Seg::Key(name));
        } else if name_end == rest.len() {
            return Err(SetError::EmptyKey { expr: expr.into() });
        }
        rest = &rest[name_end..];
        while let Some(stripped) = rest.strip_prefix('[') {
            let close = stripped.find(']').ok_or_else(|| SetError::BadIndex { expr: expr.into(), key: key.into() })?;
            let idx: usize = stripped[..close].trim().parse().map_err(|_| SetError::BadIndex { expr: expr.into(), key: key.into() })?;
            if idx > MAX_INDEX {
                return Err(SetError::IndexTooLarge { expr: expr.into(), index: idx });
            }
            segs.push(Seg::Index(idx));
            rest = &stripped[close + 1..];
        }
        if !rest.is_empty() {
            return Err(SetError::BadIndex { expr: expr.into(), key: key.into() });
        }
    }
    Ok(segs)
}

fn set_path(node: &mut Node, segs: &[Seg], value: Node) {
    let Some((first, rest)) = segs.split_first() else {
        *node = value;
        return;
    };
    let origin = value.origin.clone();
    match first {
        Seg::Key(k) => {
            if !matches!(node.value, Value::Map(_)) {
                node.value = Value::Map(IndexMap::new());
            }
            if let Value::Map(m) = &mut node.value {
                let child = m.entry(k.clone()).or_insert_with(|| Node::new(Value::Null, origin));
                set_path(child, rest, value);
            }
        }
        Seg::Index(i) => {
            if !matches!(node.value, Value::Seq(_)) {
                node.value = Value::Seq(Vec::new());
            }
            if let Value::Seq(s) = &mut node.value {
                while s.len() <= *i {
                    s.push(Node::new(Value::Null, origin.clone()));
                }
                set_path(&mut s[*i], rest, value);
            }
        }
    }
}

/// helm's typing of `--set` values.
fn typed(s: &str) -> Value {
    match s {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        "null" => Value::Null,
        _ => {
            let leading_zero = s.len() > 1 && (s.starts_with('0') || s.starts_with("-0"));
            match s.parse::<i64>() {
                Ok(i) if !leading_zero => Value::Int(i),
                _ => Value::Str(s.to_string()),
            }
        }
    }
}

fn split_key_value(pair: &str) -> Option<(String, String)> {
    let idx = find_unescaped(pair, '=')?;
    Some((pair[..idx].to_string(), pair[idx + 1..].to_string()))
}

fn find_unescaped(s: &str, c: char) -> Option<usize> {
    let mut escaped = false;
    for (i, ch) in s.char_indices() {
        if escaped {
            escaped = false;
        } else if ch == '\\' {
            escaped = true;
        } else if ch == c {
            return Some(i);
        }
    }
    None
}

/// Splits on `sep` not preceded by a backslash, keeping escapes (unescaped later). With
/// `respect_braces`, separators inside `{...}` do not split (so `a={x,y},b=1` is two pairs).
fn split_unescaped(s: &str, sep: char, respect_braces: bool) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut escaped = false;
    let mut depth = 0usize;
    for ch in s.chars() {
        if escaped {
            cur.push('\\');
            cur.push(ch);
            escaped = false;
            continue;
        }
        match ch {
            '\\' => escaped = true,
            '{' if respect_braces => {
                depth += 1;
                cur.push(ch);
            }
            '}' if respect_braces => {
                depth = depth.saturating_sub(1);
                cur.push(ch);
            }
            c if c == sep && depth == 0 => out.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    if escaped {
        cur.push('\\');
    }
    out.push(cur);
    out
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut escaped = false;
    for ch in s.chars() {
        if escaped {
            out.push(ch);
            escaped = false;
        } else if ch == '\\' {
            escaped = true;
        } else {
            out.push(ch);
        }
    }
    if escaped {
        out.push('\\');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn j(s: &str) -> serde_json::Value {
        parse(s).unwrap().to_json()
    }

    #[test]
    fn dotted_and_multiple() {
        assert_eq!(j("a.b=c,d=e"), json!({"a": {"b": "c"}, "d": "e"}));
    }

    #[test]
    fn helm_typing() {
        assert_eq!(j("a=1,b=true,c=null,d=007,e=1.5,f=,g=-3"), json!({"a": 1, "b": true, "c": null, "d": "007", "e": "1.5", "f": "", "g": -3}));
    }

    #[test]
    fn lists() {
        assert_eq!(j("args={a,b,c}"), json!({"args": ["a", "b", "c"]}));
        assert_eq!(j("args={a,b},x=1"), json!({"args": ["a", "b"], "x": 1}));
        assert_eq!(j("a[1]=x"), json!({"a": [null, "x"]}));
        assert_eq!(j("hosts[0].name=x,hosts[0].port=80"), json!({"hosts": [{"name": "x", "port": 80}]}));
    }

    #[test]
    fn escapes() {
        assert_eq!(j(r"a=x\,y"), json!({"a": "x,y"}));
        assert_eq!(j(r"podAnnotations.prometheus\.io/scrape=true"), json!({"podAnnotations": {"prometheus.io/scrape": true}}));
        assert_eq!(j("url=http://x/?a=b"), json!({"url": "http://x/?a=b"}));
    }

    #[test]
    fn errors() {
        assert!(matches!(parse("novalue"), Err(SetError::MissingValue { .. })));
        assert!(matches!(parse("=x"), Err(SetError::EmptyKey { .. })));
        assert!(matches!(parse("a[x]=1"), Err(SetError::BadIndex { .. })));
        assert!(matches!(parse("a[99999999]=1"), Err(SetError::IndexTooLarge { .. })));
        assert!(matches!(parse("a={x,y"), Err(SetError::UnterminatedList { .. })));
    }
}
