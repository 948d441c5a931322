//! Ingresses, images, env that holds secrets, annotations.

use serde_json::Value;

use super::walk::{self, ALL_PROCS};
use super::{Severity, Sink};

pub(crate) fn run(values: &Value, sink: &mut Sink) {
    ingresses(values, sink);
    images(values, sink);
    env_secrets(values, sink);
    annotations(values, sink);
}

fn ingresses(values: &Value, sink: &mut Sink) {
    let domain = sink.ctx().domain.map(|d| d.trim_matches('.').to_ascii_lowercase());
    let cluster = sink.ctx().cluster.to_string();
    let deployments = values.get("deployments").and_then(Value::as_object);
    for section in ["ingresses", "externalIngresses"] {
        let Some(Value::Array(list)) = values.get(section) else { continue };
        for (i, ing) in list.iter().enumerate() {
            let base = format!("{section}[{i}]");
            if let (Some(host), Some(domain), "ingresses") = (ing.get("host").and_then(Value::as_str), domain.as_deref(), section) {
                let h = host.trim_end_matches('.').to_ascii_lowercase();
                if h.contains('.') && h != domain && !h.ends_with(&format!(".{domain}")) {
                    sink.push(
                        Severity::Warning,
                        "ingress-host-outside-domain",
                        walk::join(&base, "host"),
                        format!("host `{host}` is not under the {cluster} cluster's domain `{domain}`: the cluster's DNS and certificates do not cover it"),
                        format!(
                            "write a short host (`{}` becomes `{}.{domain}`), or move this entry to externalIngresses if the name is managed elsewhere",
                            h.split('.').next().unwrap_or("web"),
                            h.split('.').next().unwrap_or("web")
                        ),
                    );
                }
            }
            let Some(proc_name) = ing.get("deployName").and_then(Value::as_str) else { continue };
            let path = walk::join(&base, "deployName");
            match deployments.and_then(|d| d.get(proc_name)) {
                None => sink.push(
                    Severity::Error,
                    "ingress-unknown-proc",
                    path,
                    format!("deployName `{proc_name}` is not a proc under deployments: the ingress would point at a Service that does not exist"),
                    match deployments {
                        Some(d) if !d.is_empty() => format!("use one of: {}", d.keys().map(String::as_str).collect::<Vec<_>>().join(", ")),
                        _ => "declare the proc under deployments".to_string(),
                    },
                ),
                Some(p) if p.get("containerPort").is_none_or(Value::is_null) => sink.push(
                    Severity::Error,
                    "ingress-proc-without-port",
                    path,
                    format!("deployments.{proc_name} has no containerPort, so it has no Service for the ingress to reach"),
                    format!("set deployments.{proc_name}.containerPort to the port the app listens on"),
                ),
                Some(_) => {}
            }
        }
    }
}

fn images(values: &Value, sink: &mut Sink) {
    if let Some(tag) = values.get("imageTag").filter(|v| !v.is_null()) {
        // Only a pin written in a values file is forgotten; `--set imageTag=…` (the seeds' way
        // to redeploy an old version) and lain's own injected tag are not.
        let written = sink.ctx().location("imageTag").is_some_and(|l| l.contains(".yaml") || l.contains(".yml"));
        if written {
            sink.push(
                Severity::Warning,
                "image-tag-pinned",
                "imageTag",
                format!("imageTag `{}` is written in a values file: every proc stays on that image whatever you build", walk::show(tag)),
                "remove imageTag from the values file; to deploy an older version use `lain deploy --set imageTag=TAG`",
            );
        }
    }
    for section in ALL_PROCS {
        for (name, entry) in walk::entries(values, section) {
            let base = walk::join(&walk::join("", section), name);
            if let Some(tag) = entry.get("imageTag").filter(|v| !v.is_null()) {
                sink.push(
                    Severity::Warning,
                    "image-tag-pinned",
                    walk::join(&base, "imageTag"),
                    format!("{name} is pinned to image tag `{}`: `lain deploy` will not update it", walk::show(tag)),
                    "if the pin is intended (a proc updated with `lain update-image`), keep it; otherwise remove imageTag",
                );
            }
            if let Some(image) = entry.get("image").and_then(Value::as_str) {
                let pinned_separately = entry.get("imageTag").is_some_and(|v| !v.is_null());
                latest(&walk::join(&base, "image"), image, pinned_separately, sink);
            }
        }
    }
    for (path, ptr) in [("build.base", "/build/base"), ("release.dest_base", "/release/dest_base")] {
        if let Some(image) = values.pointer(ptr).and_then(Value::as_str) {
            latest(path, image, false, sink);
        }
    }
}

fn latest(path: &str, image: &str, pinned_separately: bool, sink: &mut Sink) {
    let last = image.rsplit('/').next().unwrap_or(image);
    let tag = if image.contains('@') { Some("digest") } else { last.split_once(':').map(|(_, t)| t) };
    let floating = match tag {
        Some("latest") => true,
        None => !pinned_separately,
        Some(_) => false,
    };
    if floating {
        sink.push(
            Severity::Suggestion,
            "image-latest",
            path,
            format!("`{image}` follows the latest tag: a rebuild silently picks up whatever was pushed last"),
            "use a versioned tag (python:3.9, node:16-buster); only base layers built by your own CI should float",
        );
    }
}

const SECRET_WORDS: [&str; 10] = ["PASSWORD", "PASSWD", "PASS", "SECRET", "SECRETS", "TOKEN", "TOKENS", "CREDENTIAL", "CREDENTIALS", "PRIVATE"];
const SECRET_JOINED: [&str; 6] = ["APIKEY", "ACCESSKEY", "SECRETKEY", "PRIVATEKEY", "AUTHTOKEN", "PASSPHRASE"];

/// A last word that makes the variable a setting about a secret, not the secret itself
/// (`TOKEN_TTL`, `PASSWORD_FILE`, `SECRET_HEADER`).
const ABOUT_A_SECRET: [&str; 22] = [
    "TTL",
    "EXPIRE",
    "EXPIRES",
    "EXPIRY",
    "TIMEOUT",
    "SECONDS",
    "LENGTH",
    "LEN",
    "SIZE",
    "FILE",
    "PATH",
    "DIR",
    "URL",
    "HOST",
    "PORT",
    "NAME",
    "HEADER",
    "PREFIX",
    "ENABLED",
    "TYPE",
    "MODE",
    "ALGORITHM",
];

/// Whether an env name looks like it holds a secret. `KEY` counts only as the last word
/// (`API_KEY`, `SECRET_KEY`) so that `CACHE_KEY_PREFIX` does not; public keys are not secrets.
pub fn looks_secret(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    let words: Vec<&str> = upper.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()).collect();
    if words.contains(&"PUBLIC") || words.last().is_some_and(|w| ABOUT_A_SECRET.contains(w)) {
        return false;
    }
    words.iter().any(|w| SECRET_WORDS.contains(w) || SECRET_JOINED.contains(w)) || words.last().is_some_and(|w| *w == "KEY")
}

/// A URL with a password in it (`mysql://user:pw@host/db`).
fn url_with_password(v: &str) -> bool {
    let Some((scheme, rest)) = v.split_once("://") else { return false };
    if scheme.is_empty() || !scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c)) {
        return false;
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    authority.rsplit_once('@').is_some_and(|(userinfo, _)| userinfo.split_once(':').is_some_and(|(_, pw)| !pw.is_empty()))
}

fn env_secrets(values: &Value, sink: &mut Sink) {
    let mut places: Vec<(String, &Value)> = Vec::new();
    if let Some(e) = values.get("env") {
        places.push(("env".to_string(), e));
    }
    for (path, ptr) in [("build.env", "/build/env"), ("build.prepare.env", "/build/prepare/env"), ("release.env", "/release/env")] {
        if let Some(e) = values.pointer(ptr) {
            places.push((path.to_string(), e));
        }
    }
    for section in ALL_PROCS {
        for (name, entry) in walk::entries(values, section) {
            let base = walk::join(&walk::join("", section), name);
            if let Some(e) = entry.get("env") {
                places.push((walk::join(&base, "env"), e));
            }
            if let Some(Value::Array(inits)) = entry.get("initContainers") {
                for (i, c) in inits.iter().enumerate() {
                    if let Some(e) = c.get("env") {
                        places.push((format!("{base}.initContainers[{i}].env"), e));
                    }
                }
            }
        }
    }
    for (path, env) in places {
        for (key, value, item_path) in env_pairs(&path, env) {
            // Never show the value: this output ends up in CI logs.
            let literal = match value {
                Value::String(s) => !s.trim().is_empty() && !s.contains("$(") && !s.contains("{{"),
                // A number can be a PIN; a boolean is a switch, never a secret.
                Value::Number(_) => true,
                _ => false,
            };
            if !literal {
                continue;
            }
            let in_url = value.as_str().is_some_and(url_with_password);
            if looks_secret(key) || in_url {
                sink.push(
                    Severity::Warning,
                    "secret-in-env",
                    item_path,
                    if in_url {
                        format!("{key} holds a URL with a password in it, committed with the code")
                    } else {
                        format!("{key} looks like a secret and is written in the values, i.e. committed with the code")
                    },
                    format!("remove it from the values, rotate it, and store it with `lain env edit` (it reaches the containers as {key} all the same)"),
                );
            }
        }
    }
}

/// `(name, value, path)` from env written as a map or as a Kubernetes `[{name, value}]` list.
fn env_pairs<'v>(path: &str, env: &'v Value) -> Vec<(&'v str, &'v Value, String)> {
    match env {
        Value::Object(m) => m.iter().map(|(k, v)| (k.as_str(), v, walk::join(path, k))).collect(),
        Value::Array(list) => list
            .iter()
            .enumerate()
            .filter_map(|(i, item)| {
                let name = item.get("name")?.as_str()?;
                Some((name, item.get("value")?, format!("{path}[{i}].value")))
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn annotations(values: &Value, sink: &mut Sink) {
    let mut maps: Vec<(String, &Value)> = Vec::new();
    for key in ["podAnnotations", "labels"] {
        if let Some(m) = values.get(key) {
            maps.push((key.to_string(), m));
        }
    }
    for section in ALL_PROCS {
        for (name, entry) in walk::entries(values, section) {
            let base = walk::join(&walk::join("", section), name);
            for key in ["podAnnotations", "annotations", "labels", "serviceAnnotations"] {
                if let Some(m) = entry.get(key) {
                    maps.push((walk::join(&base, key), m));
                }
            }
        }
    }
    for section in ["ingresses", "externalIngresses"] {
        if let Some(Value::Array(list)) = values.get(section) {
            for (i, ing) in list.iter().enumerate() {
                if let Some(m) = ing.get("annotations") {
                    maps.push((format!("{section}[{i}].annotations"), m));
                }
            }
        }
    }
    scrape_port(values, sink);
    for (group, m) in walk::entries(values, "canaryGroups") {
        maps.push((walk::join("canaryGroups", group), m));
    }
    for (path, map) in maps {
        let Value::Object(m) = map else { continue };
        for (k, v) in m {
            if !(v.is_string() || v.is_null()) {
                sink.push(
                    Severity::Warning,
                    "annotation-not-string",
                    walk::join(&path, k),
                    format!("`{}` is a YAML {}, but annotation and label values must be strings", walk::show(v), type_name(v)),
                    format!("quote it: `{k}: \"{}\"`", walk::show(v)),
                );
            }
        }
    }
}

/// Prometheus scrapes a pod annotated `prometheus.io/scrape` on the port named by
/// `prometheus.io/port`; without it, it guesses from the declared ports (often wrongly).
/// Reported once at the level where the scrape annotation was written.
fn scrape_port(values: &Value, sink: &mut Sink) {
    const SCRAPE: &str = "prometheus.io/scrape";
    const PORT: &str = "prometheus.io/port";
    let global = values.get("podAnnotations");
    let has = |m: Option<&Value>, k: &str| m.and_then(|m| m.get(k)).is_some_and(|v| !v.is_null());
    let scrapes = |m: Option<&Value>| m.and_then(|m| m.get(SCRAPE)).is_some_and(walk::truthy);
    let mut global_missing = false;
    for section in walk::WORKLOADS {
        for (name, entry) in walk::entries(values, section) {
            let own = entry.get("podAnnotations");
            if has(own, PORT) || has(global, PORT) {
                continue;
            }
            if scrapes(own) {
                let base = walk::join(&walk::join(section, name), "podAnnotations");
                sink.push(
                    Severity::Warning,
                    "prometheus-scrape-port",
                    walk::join(&base, PORT),
                    "prometheus.io/scrape is on but prometheus.io/port is missing: Prometheus guesses the port and may scrape nothing",
                    "add `prometheus.io/port: \"PORT\"` (the port serving /metrics) next to prometheus.io/scrape",
                );
            } else if scrapes(global) && !has(own, SCRAPE) {
                global_missing = true;
            }
        }
    }
    if global_missing {
        sink.push(
            Severity::Warning,
            "prometheus-scrape-port",
            walk::join("podAnnotations", PORT),
            "prometheus.io/scrape is on but prometheus.io/port is missing: Prometheus guesses the port and may scrape nothing",
            "add `prometheus.io/port: \"PORT\"` (the port serving /metrics) next to prometheus.io/scrape",
        );
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::Array(_) => "list",
        Value::Object(_) => "map",
        _ => "value",
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn secret_names() {
        for yes in [
            "MYSQL_PASSWORD",
            "API_KEY",
            "SECRET_KEY",
            "GITHUB_TOKEN",
            "AWS_SECRET_ACCESS_KEY",
            "db_passwd",
            "APIKEY",
            "SENTRY_AUTH_TOKEN",
            "GOOGLE_CREDENTIALS",
        ] {
            assert!(looks_secret(yes), "{yes}");
        }
        for no in [
            "CACHE_KEY_PREFIX",
            "KEYBOARD",
            "DEBUG",
            "PASSENGER_COUNT",
            "TOKENIZER_MODEL",
            "PWD",
            "MONKEY",
            "TOKEN_TTL",
            "PASSWORD_FILE",
            "JWT_PUBLIC_KEY",
            "SECRET_HEADER",
        ] {
            assert!(!looks_secret(no), "{no}");
        }
    }

    #[test]
    fn urls_with_passwords() {
        assert!(url_with_password("mysql://root:hunter2@db:3306/app"));
        assert!(url_with_password("redis://:hunter2@redis:6379/0"));
        assert!(!url_with_password("redis://redis:6379/0"));
        assert!(!url_with_password("https://user@example.com/a:b@c"));
        assert!(!url_with_password("not a url"));
    }
}
