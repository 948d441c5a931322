//! The Docker Registry HTTP API v2 (CNCF distribution and compatibles).
//!
//! Auth follows the spec's challenge flow: try anonymously (or with a token already obtained),
//! and on `401` read `WWW-Authenticate`: `Bearer realm=...,service=...,scope=...` → ask the
//! realm for a token (with basic credentials when lain has some) and retry; `Basic` → retry
//! with basic credentials. Tag lists are paged with the `Link: <...>; rel="next"` header.

use std::sync::Mutex;

use reqwest::header::{ACCEPT, HeaderMap, LINK, WWW_AUTHENTICATE};
use reqwest::{Method, StatusCode, Url};

use super::auth::{Challenge, Credentials, parse_challenge};
use super::{Registry, RegistryAddr, RegistryError, transport_error};

/// Manifest media types lain accepts when checking a tag (single images and multi-arch).
pub const MANIFEST_ACCEPT: &str = "application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json";

/// Tags asked per page. The spec lets a server return fewer (and some ignore `n`).
const PAGE: usize = 1000;

#[derive(Debug, Clone, PartialEq, Eq)]
enum AuthState {
    None,
    Basic,
    Bearer(String),
}

#[derive(Debug)]
pub struct V2Registry {
    client: reqwest::Client,
    addr: RegistryAddr,
    creds: Credentials,
    auth: Mutex<AuthState>,
}

impl V2Registry {
    pub fn new(client: reqwest::Client, addr: RegistryAddr, creds: Credentials) -> V2Registry {
        V2Registry { client, addr, creds, auth: Mutex::new(AuthState::None) }
    }

    pub fn addr(&self) -> &RegistryAddr {
        &self.addr
    }

    fn state(&self) -> AuthState {
        self.auth.lock().map(|s| s.clone()).unwrap_or(AuthState::None)
    }

    fn set_state(&self, s: AuthState) {
        if let Ok(mut g) = self.auth.lock() {
            *g = s;
        }
    }

    fn no_creds_fix(&self) -> String {
        format!(
            "set the variables named by `secrets_env` in the cluster config (e.g. REGISTRY_USER / REGISTRY_PASSWORD), or run `docker login {}`",
            self.addr.host
        )
    }

    fn rejected(&self, url: &str, status: u16, message: String) -> RegistryError {
        if self.creds.basic().is_none() {
            return RegistryError::AuthRequired { url: url.to_string(), fix: self.no_creds_fix() };
        }
        RegistryError::AuthRejected {
            url: url.to_string(),
            source_name: self.creds.source.clone(),
            status,
            message,
            fix: format!(
                "check the user/password (and that this account may read the repository); renew them with `docker login {}` or update the variables named by `secrets_env`",
                self.addr.host
            ),
        }
    }

    /// Sends a request, doing the auth dance once if the registry asks for it.
    async fn send(&self, method: Method, url: &Url, accept: Option<&str>) -> Result<reqwest::Response, RegistryError> {
        let shown = url.as_str();
        for attempt in 0..3 {
            let mut req = self.client.request(method.clone(), url.clone());
            if let Some(a) = accept {
                req = req.header(ACCEPT, a);
            }
            req = match self.state() {
                AuthState::None => req,
                AuthState::Basic => match self.creds.basic() {
                    Some((u, p)) => req.basic_auth(u, Some(p)),
                    None => req,
                },
                AuthState::Bearer(t) => req.bearer_auth(t),
            };
            let resp = req.send().await.map_err(|e| transport_error(shown, e))?;
            if resp.status() != StatusCode::UNAUTHORIZED {
                return Ok(resp);
            }
            let challenge = resp.headers().get(WWW_AUTHENTICATE).and_then(|h| h.to_str().ok()).and_then(parse_challenge);
            let body = error_message(resp).await;
            let tried = self.state();
            match challenge {
                Some(c) if c.scheme == "bearer" && attempt < 2 => {
                    // A token for another scope is refreshed once; a fresh token refused
                    // again means the credentials lack access.
                    if matches!(tried, AuthState::Bearer(_)) && attempt > 0 {
                        return Err(self.rejected(shown, 401, body));
                    }
                    let token = self.fetch_token(&c, shown).await?;
                    self.set_state(AuthState::Bearer(token));
                }
                Some(c) if c.scheme == "basic" && tried != AuthState::Basic && self.creds.basic().is_some() => {
                    self.set_state(AuthState::Basic);
                }
                _ => return Err(self.rejected(shown, 401, body)),
            }
        }
        Err(self.rejected(shown, 401, String::new()))
    }

    /// Gets a bearer token from the challenge's realm.
    async fn fetch_token(&self, c: &Challenge, for_url: &str) -> Result<String, RegistryError> {
        let realm =
            c.param("realm").ok_or_else(|| RegistryError::BadResponse { url: for_url.to_string(), reason: "Bearer challenge without a realm".into() })?;
        let mut url = Url::parse(realm)
            .map_err(|e| RegistryError::BadResponse { url: for_url.to_string(), reason: format!("token realm `{realm}` is not a URL: {e}") })?;
        {
            let mut q = url.query_pairs_mut();
            if let Some(s) = c.param("service") {
                q.append_pair("service", s);
            }
            if let Some(s) = c.param("scope") {
                q.append_pair("scope", s);
            }
        }
        let mut req = self.client.get(url.clone());
        if let Some((u, p)) = self.creds.basic() {
            req = req.basic_auth(u, Some(p));
        }
        let resp = req.send().await.map_err(|e| transport_error(url.as_str(), e))?;
        let status = resp.status();
        if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
            let m = error_message(resp).await;
            return Err(self.rejected(realm, status.as_u16(), m));
        }
        if !status.is_success() {
            let m = error_message(resp).await;
            return Err(RegistryError::Api { url: realm.to_string(), status: status.as_u16(), message: m });
        }
        let v: serde_json::Value = resp.json().await.map_err(|e| RegistryError::BadResponse { url: realm.to_string(), reason: e.to_string() })?;
        v.get("token")
            .or_else(|| v.get("access_token"))
            .and_then(|t| t.as_str())
            .map(str::to_string)
            .ok_or_else(|| RegistryError::BadResponse { url: realm.to_string(), reason: "token response has neither `token` nor `access_token`".into() })
    }

    fn url(&self, path: &str) -> Result<Url, RegistryError> {
        let s = format!("{}{}", self.addr.base_url, path);
        Url::parse(&s).map_err(|e| RegistryError::Config {
            registry: self.addr.registry.clone(),
            reason: format!("`{s}` is not a valid URL: {e}"),
            fix: "check `registry` in the cluster config (HOST[:PORT][/NAMESPACE])".into(),
        })
    }

    async fn manifest_digest(&self, name: &str, tag: &str) -> Result<Option<String>, RegistryError> {
        let url = self.url(&format!("/v2/{name}/manifests/{tag}"))?;
        let resp = self.send(Method::HEAD, &url, Some(MANIFEST_ACCEPT)).await?;
        match resp.status() {
            s if s.is_success() => Ok(Some(resp.headers().get("Docker-Content-Digest").and_then(|d| d.to_str().ok()).unwrap_or_default().to_string())),
            StatusCode::NOT_FOUND => Ok(None),
            s => Err(RegistryError::Api { url: url.to_string(), status: s.as_u16(), message: String::new() }),
        }
    }
}

/// The `errors[].message` of a registry error body, or the raw body (truncated).
pub(crate) async fn error_message(resp: reqwest::Response) -> String {
    let text = resp.text().await.unwrap_or_default();
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(&text)
        && let Some(errs) = v.get("errors").and_then(|e| e.as_array())
    {
        let msgs: Vec<String> = errs
            .iter()
            .map(|e| {
                let code = e.get("code").and_then(|c| c.as_str()).unwrap_or_default();
                let m = e.get("message").and_then(|c| c.as_str()).unwrap_or_default();
                if code.is_empty() { m.to_string() } else { format!("{code}: {m}") }
            })
            .collect();
        return msgs.join("; ");
    }
    text.trim().chars().take(300).collect()
}

/// The `rel="next"` target of a `Link` header, e.g.
/// `</v2/app/tags/list?last=b&n=2>; rel="next"`.
pub fn next_link(headers: &HeaderMap) -> Option<String> {
    for h in headers.get_all(LINK) {
        let Ok(s) = h.to_str() else { continue };
        if let Some(l) = parse_next_link(s) {
            return Some(l);
        }
    }
    None
}

/// Parses one `Link` header value (which may hold several comma-separated links).
pub fn parse_next_link(value: &str) -> Option<String> {
    for part in value.split(',') {
        let part = part.trim();
        let (Some(start), Some(end)) = (part.find('<'), part.find('>')) else { continue };
        if end <= start {
            continue;
        }
        let target = &part[start + 1..end];
        let params = &part[end + 1..];
        let is_next = params.split(';').any(|p| {
            let p = p.trim();
            p.strip_prefix("rel=").map(|v| v.trim_matches('"').split_whitespace().any(|r| r == "next")).unwrap_or(false)
        });
        if is_next {
            return Some(target.to_string());
        }
    }
    None
}

impl Registry for V2Registry {
    fn describe(&self) -> String {
        self.addr.base_url.clone()
    }

    async fn list_tags(&self, repo: &str) -> Result<Vec<String>, RegistryError> {
        let name = self.addr.repo(repo);
        let mut url = self.url(&format!("/v2/{name}/tags/list?n={PAGE}"))?;
        let mut tags = Vec::new();
        // A server that keeps sending the same next link must not loop forever.
        for _ in 0..10_000 {
            let resp = self.send(Method::GET, &url, Some("application/json")).await?;
            let status = resp.status();
            if status == StatusCode::NOT_FOUND {
                return Ok(tags);
            }
            if !status.is_success() {
                let m = error_message(resp).await;
                return Err(RegistryError::Api { url: url.to_string(), status: status.as_u16(), message: m });
            }
            let next = next_link(resp.headers());
            let v: serde_json::Value = resp.json().await.map_err(|e| RegistryError::BadResponse { url: url.to_string(), reason: e.to_string() })?;
            if let Some(arr) = v.get("tags").and_then(|t| t.as_array()) {
                tags.extend(arr.iter().filter_map(|t| t.as_str().map(str::to_string)));
            }
            match next {
                Some(n) => {
                    let joined = url.join(&n).map_err(|e| RegistryError::BadResponse { url: url.to_string(), reason: format!("bad Link `{n}`: {e}") })?;
                    if joined == url {
                        break;
                    }
                    url = joined;
                }
                None => break,
            }
        }
        Ok(tags)
    }

    async fn tag_exists(&self, repo: &str, tag: &str) -> Result<bool, RegistryError> {
        Ok(self.manifest_digest(&self.addr.repo(repo), tag).await?.is_some())
    }

    async fn delete_tag(&self, repo: &str, tag: &str) -> Result<bool, RegistryError> {
        let name = self.addr.repo(repo);
        let Some(digest) = self.manifest_digest(&name, tag).await? else { return Ok(false) };
        let url = self.url(&format!("/v2/{name}/manifests/{digest}"))?;
        let resp = self.send(Method::DELETE, &url, None).await?;
        match resp.status() {
            s if s.is_success() => Ok(true),
            StatusCode::NOT_FOUND => Ok(false),
            StatusCode::METHOD_NOT_ALLOWED => Err(RegistryError::Config {
                registry: self.addr.registry.clone(),
                reason: "the registry has deletes disabled".into(),
                fix: "enable `storage.delete.enabled` in the registry's config".into(),
            }),
            s => {
                let m = error_message(resp).await;
                Err(RegistryError::Api { url: url.to_string(), status: s.as_u16(), message: m })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_header_parsing() {
        assert_eq!(parse_next_link(r#"</v2/app/tags/list?last=b&n=2>; rel="next""#).as_deref(), Some("/v2/app/tags/list?last=b&n=2"));
        assert_eq!(
            parse_next_link(r#"<https://r.example.com/v2/a/tags/list?n=1&last=x>; rel="prev", <https://r.example.com/v2/a/tags/list?n=1&last=y>; rel=next"#)
                .as_deref(),
            Some("https://r.example.com/v2/a/tags/list?n=1&last=y")
        );
        assert_eq!(parse_next_link(r#"</x>; rel="prev""#), None);
        assert_eq!(parse_next_link("garbage"), None);
    }
}
