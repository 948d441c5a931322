//! Registry credentials and the `WWW-Authenticate` challenge.
//!
//! Where credentials come from, first match wins:
//! 1. the environment variables the cluster's `secrets_env` names (role → variable), e.g.
//!    `secrets_env: {user: REGISTRY_USER, password: REGISTRY_PASSWORD}` — what CI sets;
//! 2. the docker client's config (`$DOCKER_CONFIG/config.json` or `~/.docker/config.json`):
//!    `auths[HOST].auth` (base64 `user:password`) or `username`/`password`, or a credential
//!    helper (`credHelpers[HOST]` / `credsStore`) asked with `docker-credential-NAME get` —
//!    what `docker login` leaves on a laptop.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use base64::Engine;

use crate::process::Cmd;

/// Credentials for one registry. `Debug` never shows secrets.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Credentials {
    pub username: Option<String>,
    pub password: Option<String>,
    /// Cloud API keys (Aliyun AccessKey, Tencent SecretId/SecretKey).
    pub access_key_id: Option<String>,
    pub access_key_secret: Option<String>,
    /// Where they came from, for error messages ("env REGISTRY_USER/REGISTRY_PASSWORD",
    /// "~/.docker/config.json"); empty when there are none.
    pub source: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| crate::process::REDACTED))
            .field("access_key_id", &self.access_key_id)
            .field("access_key_secret", &self.access_key_secret.as_ref().map(|_| crate::process::REDACTED))
            .field("source", &self.source)
            .finish()
    }
}

const USER_ROLES: &[&str] = &["user", "username"];
const PASSWORD_ROLES: &[&str] = &["password", "token"];

impl Credentials {
    /// Basic credentials, if both parts are known.
    pub fn basic(&self) -> Option<(&str, &str)> {
        Some((self.username.as_deref()?, self.password.as_deref()?))
    }

    pub fn has_access_keys(&self) -> bool {
        self.access_key_id.is_some() && self.access_key_secret.is_some()
    }

    /// Resolves credentials for registry host `host` (`reg.example.com[:port]`).
    /// `env` looks up an environment variable; `docker_config` is the docker config file
    /// (see [`docker_config_path`]).
    pub fn resolve(host: &str, secrets_env: &BTreeMap<String, String>, env: &dyn Fn(&str) -> Option<String>, docker_config: Option<&Path>) -> Credentials {
        let mut c = Credentials::default();
        let mut used = Vec::new();
        let mut pick = |roles: &[&str]| -> Option<String> {
            for r in roles {
                if let Some(var) = secrets_env.get(*r)
                    && let Some(v) = env(var).filter(|v| !v.is_empty())
                {
                    used.push(var.clone());
                    return Some(v);
                }
            }
            None
        };
        c.username = pick(USER_ROLES);
        c.password = pick(PASSWORD_ROLES);
        c.access_key_id = pick(&["access_key_id"]);
        c.access_key_secret = pick(&["access_key_secret"]);
        if !used.is_empty() {
            c.source = format!("env {}", used.join("/"));
        }
        if c.basic().is_none()
            && let Some(path) = docker_config
            && let Some((u, p)) = from_docker_config(path, host)
        {
            c.username = Some(u);
            c.password = Some(p);
            c.source = path.display().to_string();
        }
        c
    }
}

/// `$DOCKER_CONFIG/config.json`, else `$HOME/.docker/config.json`.
pub fn docker_config_path(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    if let Some(d) = env("DOCKER_CONFIG").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(d).join("config.json"));
    }
    env("HOME").map(|h| PathBuf::from(h).join(".docker").join("config.json"))
}

/// The keys of `auths` are written many ways (`https://host/v1/`, `host`, `http://host`).
fn auth_key_host(key: &str) -> &str {
    let k = key.strip_prefix("https://").or_else(|| key.strip_prefix("http://")).unwrap_or(key);
    k.split('/').next().unwrap_or(k)
}

fn from_docker_config(path: &Path, host: &str) -> Option<(String, String)> {
    let text = std::fs::read_to_string(path).ok()?;
    let cfg: serde_json::Value = serde_json::from_str(&text).ok()?;
    let hosts: Vec<&str> =
        if host == "docker.io" || host == "registry-1.docker.io" { vec!["index.docker.io", "docker.io", "registry-1.docker.io"] } else { vec![host] };
    if let Some(auths) = cfg.get("auths").and_then(|a| a.as_object()) {
        for (k, v) in auths {
            if !hosts.contains(&auth_key_host(k)) {
                continue;
            }
            if let Some(a) = v.get("auth").and_then(|a| a.as_str()).filter(|a| !a.is_empty()) {
                let raw = base64::engine::general_purpose::STANDARD.decode(a.trim()).ok()?;
                let s = String::from_utf8(raw).ok()?;
                let (u, p) = s.split_once(':')?;
                return Some((u.to_string(), p.to_string()));
            }
            if let (Some(u), Some(p)) = (v.get("username").and_then(|x| x.as_str()), v.get("password").and_then(|x| x.as_str())) {
                return Some((u.to_string(), p.to_string()));
            }
        }
    }
    let helper = cfg.get("credHelpers").and_then(|h| hosts.iter().find_map(|host| h.get(*host))).or_else(|| cfg.get("credsStore")).and_then(|h| h.as_str())?;
    from_helper(helper, hosts[0])
}

/// Asks `docker-credential-HELPER get` (the protocol docker itself uses).
fn from_helper(helper: &str, host: &str) -> Option<(String, String)> {
    let out = Cmd::new(format!("docker-credential-{helper}")).arg("get").stdin_bytes(host.as_bytes().to_vec()).quiet().output().ok()?;
    let v: serde_json::Value = serde_json::from_str(&out.stdout).ok()?;
    let u = v.get("Username")?.as_str()?.to_string();
    let p = v.get("Secret")?.as_str()?.to_string();
    Some((u, p))
}

/// A parsed `WWW-Authenticate` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// Lower-cased scheme: `bearer`, `basic`.
    pub scheme: String,
    pub params: BTreeMap<String, String>,
}

impl Challenge {
    pub fn param(&self, k: &str) -> Option<&str> {
        self.params.get(k).map(String::as_str)
    }
}

/// Parses `Bearer realm="https://auth.example.com/token",service="registry",scope="repository:a/b:pull"`
/// (quoted values may contain commas and escaped quotes) or `Basic realm="Registry"`.
pub fn parse_challenge(header: &str) -> Option<Challenge> {
    let h = header.trim();
    let (scheme, rest) = match h.find(char::is_whitespace) {
        Some(i) => (&h[..i], h[i..].trim_start()),
        None => (h, ""),
    };
    if scheme.is_empty() {
        return None;
    }
    let mut params = BTreeMap::new();
    let b = rest.as_bytes();
    let mut i = 0;
    while i < b.len() {
        while i < b.len() && (b[i] == b',' || b[i].is_ascii_whitespace()) {
            i += 1;
        }
        let ks = i;
        while i < b.len() && b[i] != b'=' && b[i] != b',' {
            i += 1;
        }
        let key = rest[ks..i].trim().to_ascii_lowercase();
        if i >= b.len() || b[i] != b'=' {
            continue;
        }
        i += 1;
        let mut val = String::new();
        if i < b.len() && b[i] == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                if b[i] == b'\\' && i + 1 < b.len() {
                    i += 1;
                }
                // Push whole UTF-8 characters.
                let ch = rest[i..].chars().next()?;
                val.push(ch);
                i += ch.len_utf8();
            }
            i += 1;
        } else {
            let vs = i;
            while i < b.len() && b[i] != b',' {
                i += 1;
            }
            val = rest[vs..i].trim().to_string();
        }
        if !key.is_empty() {
            params.insert(key, val);
        }
    }
    Some(Challenge { scheme: scheme.to_ascii_lowercase(), params })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_bearer_and_basic_challenges() {
        let c =
            parse_challenge(r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:samalba/my-app:pull,push""#).unwrap();
        assert_eq!(c.scheme, "bearer");
        assert_eq!(c.param("realm"), Some("https://auth.docker.io/token"));
        assert_eq!(c.param("service"), Some("registry.docker.io"));
        assert_eq!(c.param("scope"), Some("repository:samalba/my-app:pull,push"));
        let c = parse_challenge(r#"Basic realm="Registry Realm""#).unwrap();
        assert_eq!((c.scheme.as_str(), c.param("realm")), ("basic", Some("Registry Realm")));
        let c = parse_challenge(r#"Bearer realm="a\"b", error="invalid_token""#).unwrap();
        assert_eq!(c.param("realm"), Some("a\"b"));
        assert_eq!(c.param("error"), Some("invalid_token"));
        assert_eq!(parse_challenge("Basic").unwrap().params.len(), 0);
        assert!(parse_challenge("").is_none());
    }

    #[test]
    fn secrets_env_wins_over_docker_config() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path().join("config.json");
        let auth = base64::engine::general_purpose::STANDARD.encode("cfguser:cfgpass");
        std::fs::write(&cfg, format!(r#"{{"auths":{{"https://reg.example.com/v1/":{{"auth":"{auth}"}}}}}}"#)).unwrap();
        let se: BTreeMap<String, String> = [("user".to_string(), "RU".to_string()), ("password".to_string(), "RP".to_string())].into();
        let env = |k: &str| match k {
            "RU" => Some("envuser".to_string()),
            "RP" => Some("envpass".to_string()),
            _ => None,
        };
        let c = Credentials::resolve("reg.example.com", &se, &env, Some(&cfg));
        assert_eq!(c.basic(), Some(("envuser", "envpass")));
        assert_eq!(c.source, "env RU/RP");
        assert!(!format!("{c:?}").contains("envpass"));
        let none = |_: &str| None;
        let c = Credentials::resolve("reg.example.com", &se, &none, Some(&cfg));
        assert_eq!(c.basic(), Some(("cfguser", "cfgpass")));
        let c = Credentials::resolve("other.example.com", &se, &none, Some(&cfg));
        assert_eq!(c.basic(), None);
        assert_eq!(c.source, "");
    }
}
