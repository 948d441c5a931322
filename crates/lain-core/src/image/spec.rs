//! The typed form of `values.build` and `values.release`.
//!
//! The input is the merged values of the current cluster (`values.yaml`, then
//! `values-CLUSTER.yaml`, `-f` files and `--set`) as JSON. Parsing is done by hand rather than with `#[derive(Deserialize)]`
//! so every error names the exact key path (`release.copy[1]`) and says how to fix it — a serde
//! error ("invalid type: map, expected a string at line 1 column 80") means nothing to someone
//! who wrote YAML.

use serde_json::{Map, Value};

/// Default working directory inside the image (the seeds' `/lain/app`).
pub const DEFAULT_WORKDIR: &str = "/lain/app";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SpecError {
    #[error(
        "values have no `build` section; lain needs at least `build.base` and `build.script` to render a Dockerfile.\n  fix: add to chart/values.yaml:\n    build:\n      base: IMAGE\n      script:\n        - COMMAND"
    )]
    NoBuild,
    #[error("{path}: missing {key}{}", hint_suffix(.hint))]
    Missing { path: String, key: String, hint: String },
    #[error("{path}: expected {expected}, found {found}{}", hint_suffix(.hint))]
    WrongType { path: String, expected: String, found: String, hint: String },
    #[error("{path}: {reason}")]
    Invalid { path: String, reason: String },
    #[error("{path}: unknown key `{key}`{}", suggestion(.did_you_mean, .known))]
    UnknownKey { path: String, key: String, did_you_mean: Option<String>, known: String },
}

fn hint_suffix(h: &str) -> String {
    if h.is_empty() { String::new() } else { format!("\n  fix: {h}") }
}

fn suggestion(d: &Option<String>, known: &str) -> String {
    match d {
        Some(s) => format!("; did you mean `{s}`?"),
        None => format!(" (known keys: {known})"),
    }
}

/// `build.prepare`: a dependency-cache image, `REGISTRY/APPNAME:prepare`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrepareSpec {
    pub env: Vec<(String, String)>,
    pub script: Vec<String>,
    /// Paths (relative to the workdir, `./` and trailing `/` removed) kept after the script ran;
    /// everything else in the workdir is deleted so the prepare image holds only the cache.
    pub keep: Vec<String>,
}

/// `build`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildSpec {
    pub base: String,
    pub workdir: String,
    /// `None` when absent or explicitly `null` (a cluster override may drop it).
    pub prepare: Option<PrepareSpec>,
    pub script: Vec<String>,
    pub env: Vec<(String, String)>,
    /// Names declared as `ARG` and passed from the user's environment (`--build-arg NAME`).
    pub build_args: Vec<String>,
}

/// One `release.copy` entry, both paths absolute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopySpec {
    pub src: String,
    pub dest: String,
}

/// `release`: a final image `FROM dest_base` holding only what `copy` takes from the build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseSpec {
    pub dest_base: String,
    pub workdir: String,
    pub copy: Vec<CopySpec>,
    pub env: Vec<(String, String)>,
    pub script: Vec<String>,
}

/// Everything the image commands read from values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageSpec {
    pub build: BuildSpec,
    pub release: Option<ReleaseSpec>,
}

const BUILD_KEYS: &[&str] = &["base", "workdir", "prepare", "script", "env", "build_args"];
const PREPARE_KEYS: &[&str] = &["env", "script", "keep"];
const RELEASE_KEYS: &[&str] = &["dest_base", "workdir", "copy", "env", "script"];
const COPY_KEYS: &[&str] = &["src", "dest"];

impl ImageSpec {
    /// Reads `build` and `release` from the merged values.
    pub fn from_values(values: &Value) -> Result<ImageSpec, SpecError> {
        let build = match values.get("build") {
            None | Some(Value::Null) => return Err(SpecError::NoBuild),
            Some(v) => BuildSpec::parse(v, "build")?,
        };
        let release = match values.get("release") {
            None | Some(Value::Null) => None,
            Some(v) => Some(ReleaseSpec::parse(v, "release", &build.workdir)?),
        };
        Ok(ImageSpec { build, release })
    }
}

impl BuildSpec {
    fn parse(v: &Value, path: &str) -> Result<BuildSpec, SpecError> {
        let m = as_map(v, path, "a mapping with `base` and `script`")?;
        check_keys(m, path, BUILD_KEYS)?;
        let base = req_str(m, path, "base", "set the base image, e.g. `base: python:3.9`")?;
        let workdir = opt_str(m, path, "workdir")?.unwrap_or_else(|| DEFAULT_WORKDIR.to_string());
        check_abs(&workdir, &format!("{path}.workdir"))?;
        let prepare = match m.get("prepare") {
            None | Some(Value::Null) => None,
            Some(p) => Some(PrepareSpec::parse(p, &format!("{path}.prepare"))?),
        };
        Ok(BuildSpec { base, workdir, prepare, script: script(m, path)?, env: env_map(m, path)?, build_args: build_args(m, path)? })
    }
}

impl PrepareSpec {
    fn parse(v: &Value, path: &str) -> Result<PrepareSpec, SpecError> {
        let m = as_map(v, path, "a mapping with `script` and `keep` (or null to drop prepare)")?;
        check_keys(m, path, PREPARE_KEYS)?;
        let mut keep = Vec::new();
        for (i, k) in str_list(m, path, "keep")?.into_iter().enumerate() {
            keep.push(normalize_keep(&k, &format!("{path}.keep[{i}]"))?);
        }
        Ok(PrepareSpec { env: env_map(m, path)?, script: script(m, path)?, keep })
    }
}

impl ReleaseSpec {
    fn parse(v: &Value, path: &str, build_workdir: &str) -> Result<ReleaseSpec, SpecError> {
        let m = as_map(v, path, "a mapping with `dest_base` and `copy`")?;
        check_keys(m, path, RELEASE_KEYS)?;
        let dest_base = req_str(m, path, "dest_base", "set the runtime image, e.g. `dest_base: nginx:1.25`")?;
        let workdir = opt_str(m, path, "workdir")?.unwrap_or_else(|| build_workdir.to_string());
        check_abs(&workdir, &format!("{path}.workdir"))?;
        let items = match m.get("copy") {
            None | Some(Value::Null) => {
                return Err(SpecError::Missing {
                    path: path.to_string(),
                    key: "copy".into(),
                    hint: "list what the release image takes from the build, e.g. `copy: [{src: /lain/app/dist, dest: /usr/share/nginx/html}]`".into(),
                });
            }
            Some(Value::Array(a)) => a,
            Some(other) => return Err(wrong(&format!("{path}.copy"), "a list", other, "")),
        };
        let mut copy = Vec::new();
        for (i, item) in items.iter().enumerate() {
            copy.push(CopySpec::parse(item, &format!("{path}.copy[{i}]"), build_workdir)?);
        }
        Ok(ReleaseSpec { dest_base, workdir, copy, env: env_map(m, path)?, script: script(m, path)? })
    }
}

impl CopySpec {
    /// An entry is either a path (`- /lain/app/dist`, copied to the same place) or
    /// `{src, dest}`. A relative `src` is taken from the build workdir, which is what
    /// `copy: [dist]` means to someone who just ran `yarn build` there.
    fn parse(v: &Value, path: &str, build_workdir: &str) -> Result<CopySpec, SpecError> {
        let (src, dest) = match v {
            Value::String(s) => (s.clone(), None),
            Value::Object(m) => {
                check_keys(m, path, COPY_KEYS)?;
                let src = match m.get("src") {
                    None | Some(Value::Null) => {
                        return Err(SpecError::Missing {
                            path: path.to_string(),
                            key: "src".into(),
                            hint: "each copy entry needs the path to take from the build stage, e.g. `{src: /lain/app/dist, dest: /srv}`".into(),
                        });
                    }
                    Some(Value::String(s)) => s.clone(),
                    Some(o) => return Err(wrong(&format!("{path}.src"), "a path", o, "")),
                };
                (src, opt_str(m, path, "dest")?)
            }
            other => return Err(wrong(path, "a path or {src, dest}", other, "")),
        };
        let src = src.trim().to_string();
        if src.is_empty() {
            return Err(SpecError::Invalid { path: format!("{path}.src"), reason: "is empty".into() });
        }
        no_newline(&src, &format!("{path}.src"))?;
        let src = if src.starts_with('/') { src } else { format!("{}/{}", build_workdir.trim_end_matches('/'), src.trim_start_matches("./")) };
        let dest = dest.map(|d| d.trim().to_string()).filter(|d| !d.is_empty()).unwrap_or_else(|| src.clone());
        no_newline(&dest, &format!("{path}.dest"))?;
        Ok(CopySpec { src, dest })
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

fn wrong(path: &str, expected: &str, found: &Value, hint: &str) -> SpecError {
    SpecError::WrongType { path: path.to_string(), expected: expected.to_string(), found: type_name(found).to_string(), hint: hint.to_string() }
}

fn as_map<'a>(v: &'a Value, path: &str, expected: &str) -> Result<&'a Map<String, Value>, SpecError> {
    v.as_object().ok_or_else(|| wrong(path, expected, v, ""))
}

fn check_keys(m: &Map<String, Value>, path: &str, known: &[&str]) -> Result<(), SpecError> {
    for k in m.keys() {
        if !known.contains(&k.as_str()) {
            let did_you_mean =
                known.iter().map(|c| (strsim::jaro_winkler(k, c), *c)).filter(|(s, _)| *s > 0.8).max_by(|a, b| a.0.total_cmp(&b.0)).map(|(_, c)| c.to_string());
            return Err(SpecError::UnknownKey { path: path.to_string(), key: k.clone(), did_you_mean, known: known.join(", ") });
        }
    }
    Ok(())
}

fn req_str(m: &Map<String, Value>, path: &str, key: &str, hint: &str) -> Result<String, SpecError> {
    match opt_str(m, path, key)? {
        Some(s) if !s.trim().is_empty() => Ok(s.trim().to_string()),
        _ => Err(SpecError::Missing { path: path.to_string(), key: key.to_string(), hint: hint.to_string() }),
    }
}

fn opt_str(m: &Map<String, Value>, path: &str, key: &str) -> Result<Option<String>, SpecError> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => {
            no_newline(s, &format!("{path}.{key}"))?;
            Ok(Some(s.clone()))
        }
        Some(o) => Err(wrong(&format!("{path}.{key}"), "a string", o, "")),
    }
}

fn no_newline(s: &str, path: &str) -> Result<(), SpecError> {
    if s.contains('\n') || s.contains('\r') {
        return Err(SpecError::Invalid {
            path: path.to_string(),
            reason: "contains a line break, which a Dockerfile line cannot hold; split it into several list items or join commands with `&&`".into(),
        });
    }
    Ok(())
}

fn check_abs(p: &str, path: &str) -> Result<(), SpecError> {
    if !p.starts_with('/') {
        return Err(SpecError::Invalid { path: path.to_string(), reason: format!("`{p}` must be an absolute path, e.g. /lain/app") });
    }
    Ok(())
}

/// A list of strings; a scalar is an error rather than silently a one-item list, because
/// `script: make` where `script: [make]` was meant is the kind of typo worth catching.
fn str_list(m: &Map<String, Value>, path: &str, key: &str) -> Result<Vec<String>, SpecError> {
    let p = format!("{path}.{key}");
    match m.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => {
            let mut out = Vec::new();
            for (i, it) in items.iter().enumerate() {
                let ip = format!("{p}[{i}]");
                let s = match it {
                    Value::String(s) => s.trim_end().to_string(),
                    Value::Number(n) => n.to_string(),
                    other => return Err(wrong(&ip, "a string", other, "")),
                };
                no_newline(&s, &ip)?;
                out.push(s);
            }
            Ok(out)
        }
        Some(o) => Err(wrong(&p, "a list", o, &format!("write `{key}:` as a YAML list, one item per line starting with `- `"))),
    }
}

fn script(m: &Map<String, Value>, path: &str) -> Result<Vec<String>, SpecError> {
    let lines = str_list(m, path, "script")?;
    for (i, l) in lines.iter().enumerate() {
        // A trailing backslash would continue the RUN onto lain's next Dockerfile line.
        if l.ends_with('\\') {
            return Err(SpecError::Invalid {
                path: format!("{path}.script[{i}]"),
                reason: "ends with a backslash; write the whole command on one item".into(),
            });
        }
    }
    Ok(lines.into_iter().filter(|s| !s.trim().is_empty()).collect())
}

fn valid_env_name(k: &str) -> bool {
    !k.is_empty() && !k.chars().any(|c| c == '=' || c == '$' || c == '"' || c == '\'' || c.is_whitespace())
}

/// `env: {K: V}` in the user's order (Dockerfile ENV lines may refer to earlier ones).
fn env_map(m: &Map<String, Value>, path: &str) -> Result<Vec<(String, String)>, SpecError> {
    let p = format!("{path}.env");
    match m.get("env") {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Object(env)) => {
            let mut out = Vec::new();
            for (k, v) in env {
                let kp = format!("{p}.{k}");
                if !valid_env_name(k) {
                    return Err(SpecError::Invalid { path: kp, reason: "is not a valid environment variable name".into() });
                }
                let s = match v {
                    Value::String(s) => s.clone(),
                    Value::Number(n) => n.to_string(),
                    Value::Bool(b) => b.to_string(),
                    other => return Err(wrong(&kp, "a string", other, "quote the value")),
                };
                no_newline(&s, &kp)?;
                out.push((k.clone(), s));
            }
            Ok(out)
        }
        Some(o) => Err(wrong(&p, "a mapping of NAME: value", o, "")),
    }
}

fn build_args(m: &Map<String, Value>, path: &str) -> Result<Vec<String>, SpecError> {
    let names = str_list(m, path, "build_args")?;
    for (i, n) in names.iter().enumerate() {
        if !is_identifier(n) {
            return Err(SpecError::Invalid {
                path: format!("{path}.build_args[{i}]"),
                reason: format!("`{n}` is not a variable name; list names only (values come from your environment)"),
            });
        }
    }
    Ok(names)
}

pub(crate) fn is_identifier(s: &str) -> bool {
    let mut c = s.chars();
    matches!(c.next(), Some(f) if f.is_ascii_alphabetic() || f == '_') && c.all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
}

/// `./node_modules/` → `node_modules`; absolute paths and `..` are refused because the
/// deletion that follows works relative to the workdir.
fn normalize_keep(k: &str, path: &str) -> Result<String, SpecError> {
    let t = k.trim();
    let t = t.strip_prefix("./").unwrap_or(t).trim_end_matches('/');
    if t.is_empty() || t == "." {
        return Err(SpecError::Invalid { path: path.to_string(), reason: "is empty; list paths inside the workdir to keep, e.g. `node_modules`".into() });
    }
    if t.starts_with('/') || t.split('/').any(|c| c == "..") {
        return Err(SpecError::Invalid { path: path.to_string(), reason: format!("`{k}` must be a path relative to the workdir (no leading `/`, no `..`)") });
    }
    if t.contains('\'') {
        return Err(SpecError::Invalid { path: path.to_string(), reason: "must not contain a single quote".into() });
    }
    Ok(t.to_string())
}

/// Names of variables referenced as `$NAME` or `${NAME}` in a value, in order of first use.
pub fn referenced_vars(s: &str) -> Vec<String> {
    let b = s.as_bytes();
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' {
            i += 2;
            continue;
        }
        if b[i] == b'$' && i + 1 < b.len() {
            let (start, braced) = if b[i + 1] == b'{' { (i + 2, true) } else { (i + 1, false) };
            let mut j = start;
            while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
                j += 1;
            }
            let name = &s[start..j];
            if is_identifier(name) && !out.iter().any(|n| n == name) {
                out.push(name.to_string());
            }
            i = if braced { j + 1 } else { j };
            continue;
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn full_spec_parses_with_defaults() {
        let v = json!({
            "build": {
                "base": "python:3.9",
                "prepare": {"env": {"PATH": "/x:${PATH}"}, "script": ["pip install -r r.txt"], "keep": ["./venv/", "deploy/x.conf"]},
                "script": ["make"],
                "env": {"A": 1, "B": "two"},
                "build_args": ["NPM_TOKEN"]
            },
            "release": {"dest_base": "nginx", "copy": ["/lain/app/dist", {"src": "build", "dest": "/srv"}]}
        });
        let s = ImageSpec::from_values(&v).unwrap();
        assert_eq!(s.build.workdir, "/lain/app");
        let p = s.build.prepare.as_ref().unwrap();
        assert_eq!(p.keep, vec!["venv", "deploy/x.conf"]);
        assert_eq!(s.build.env, vec![("A".into(), "1".into()), ("B".into(), "two".into())]);
        let r = s.release.unwrap();
        assert_eq!(r.workdir, "/lain/app");
        assert_eq!(r.copy[0], CopySpec { src: "/lain/app/dist".into(), dest: "/lain/app/dist".into() });
        assert_eq!(r.copy[1], CopySpec { src: "/lain/app/build".into(), dest: "/srv".into() });
    }

    #[test]
    fn errors_name_the_key_path() {
        let e = ImageSpec::from_values(&json!({"appname": "x"})).unwrap_err();
        assert_eq!(e, SpecError::NoBuild);
        let e = ImageSpec::from_values(&json!({"build": {"script": []}})).unwrap_err();
        assert!(e.to_string().starts_with("build: missing base"), "{e}");
        let v = json!({"build": {"base": "b"}, "release": {"dest_base": "d", "copy": ["/a", {"dest": "/x"}]}});
        let e = ImageSpec::from_values(&v).unwrap_err();
        assert!(e.to_string().starts_with("release.copy[1]: missing src"), "{e}");
        let e = ImageSpec::from_values(&json!({"build": {"base": "b", "script": "make"}})).unwrap_err();
        assert!(e.to_string().starts_with("build.script: expected a list, found a string"), "{e}");
        let e = ImageSpec::from_values(&json!({"build": {"base": "b", "scirpt": ["make"]}})).unwrap_err();
        assert_eq!(e.to_string(), "build: unknown key `scirpt`; did you mean `script`?");
        let e = ImageSpec::from_values(&json!({"build": {"base": "b", "prepare": {"keep": ["../etc"]}}})).unwrap_err();
        assert!(e.to_string().starts_with("build.prepare.keep[0]:"), "{e}");
        let e = ImageSpec::from_values(&json!({"build": {"base": "b", "script": ["a\nb"]}})).unwrap_err();
        assert!(e.to_string().starts_with("build.script[0]: contains a line break"), "{e}");
        let e = ImageSpec::from_values(&json!({"build": {"base": "b", "build_args": ["A-B"]}})).unwrap_err();
        assert!(e.to_string().starts_with("build.build_args[0]:"), "{e}");
    }

    #[test]
    fn null_prepare_is_dropped() {
        let s = ImageSpec::from_values(&json!({"build": {"base": "b", "prepare": null}})).unwrap();
        assert!(s.build.prepare.is_none());
    }

    #[test]
    fn referenced_vars_finds_both_forms() {
        assert_eq!(referenced_vars("/a:${PATH}:$HOME/x:\\$NOT:${PATH}"), vec!["PATH", "HOME"]);
        assert!(referenced_vars("no vars, $ alone, ${}").is_empty());
    }
}
