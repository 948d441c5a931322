//! Aliyun Container Registry (ACR), through its OpenAPI (product `cr`, version 2016-06-07,
//! ROA style): `GET /repos/{namespace}/{repo}/tags` and `DELETE /repos/{ns}/{repo}/tags/{tag}`
//! on `cr.{region}.aliyuncs.com`, signed `acs AK:base64(HMAC-SHA1(secret, StringToSign))` with
//! the `access_key_id` / `access_key_secret` roles of `secrets_env`.
//!
//! `registry` is `registry[-vpc|-intl].{region}.aliyuncs.com/{namespace}`; the region comes
//! from the host. Without access keys it uses the Docker Registry v2 API of the same host with
//! the docker credentials (ACR serves it). The signing is unit-tested on the documented
//! string-to-sign layout and HMAC known answers; the live API could not be reached from here.

use base64::Engine;
use reqwest::StatusCode;
use serde_json::Value;

use super::sign::hmac_sha1;
use super::v2::V2Registry;
use super::{Credentials, Registry, RegistryAddr, RegistryError, transport_error};

const VERSION: &str = "2016-06-07";
const PAGE_SIZE: u64 = 100;

#[derive(Debug)]
pub struct AliyunRegistry {
    client: reqwest::Client,
    addr: RegistryAddr,
    creds: Credentials,
    region: String,
    endpoint: String,
    fallback: Option<V2Registry>,
}

/// `registry-vpc.cn-hangzhou.aliyuncs.com` → `cn-hangzhou`.
pub fn region_of(host: &str) -> Option<String> {
    let h = host.split(':').next()?;
    let rest = h.strip_suffix(".aliyuncs.com")?;
    let (_, region) = rest.split_once('.')?;
    (!region.is_empty() && !region.contains('.')).then(|| region.to_string())
}

/// The ROA string to sign: method, accept, content-md5, content-type, date, the `x-acs-*`
/// headers (lower-case, sorted, `k:v\n`), then the path and sorted query.
pub fn string_to_sign(method: &str, accept: &str, date: &str, acs_headers: &[(String, String)], path: &str, query: &[(String, String)]) -> String {
    let mut hs: Vec<(String, String)> = acs_headers.iter().map(|(k, v)| (k.to_ascii_lowercase(), v.trim().to_string())).collect();
    hs.sort();
    let mut s = format!("{method}\n{accept}\n\n\n{date}\n");
    for (k, v) in hs {
        s.push_str(&format!("{k}:{v}\n"));
    }
    s.push_str(path);
    if !query.is_empty() {
        let mut q = query.to_vec();
        q.sort();
        s.push('?');
        s.push_str(&q.iter().map(|(k, v)| if v.is_empty() { k.clone() } else { format!("{k}={v}") }).collect::<Vec<_>>().join("&"));
    }
    s
}

pub fn signature(secret: &str, to_sign: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(hmac_sha1(secret.as_bytes(), to_sign.as_bytes()))
}

impl AliyunRegistry {
    pub fn new(client: reqwest::Client, addr: RegistryAddr, creds: Credentials) -> Result<AliyunRegistry, RegistryError> {
        let fallback = if creds.has_access_keys() { None } else { Some(V2Registry::new(client.clone(), addr.clone(), creds.clone())) };
        let region = match region_of(&addr.host) {
            Some(r) => r,
            None if fallback.is_some() => String::new(),
            None => {
                return Err(RegistryError::Config {
                    registry: addr.registry.clone(),
                    reason: "cannot tell the Aliyun region from the registry host".into(),
                    fix: "write `registry: registry.REGION.aliyuncs.com/NAMESPACE` in the cluster config".into(),
                });
            }
        };
        if fallback.is_none() && addr.namespace.is_empty() {
            return Err(RegistryError::Config {
                registry: addr.registry.clone(),
                reason: "an ACR registry needs a namespace".into(),
                fix: "write `registry: registry.REGION.aliyuncs.com/NAMESPACE` in the cluster config".into(),
            });
        }
        let endpoint = format!("https://cr.{region}.aliyuncs.com");
        Ok(AliyunRegistry { client, addr, creds, region, endpoint, fallback })
    }

    pub fn with_endpoint(mut self, endpoint: &str) -> AliyunRegistry {
        self.endpoint = endpoint.trim_end_matches('/').to_string();
        self
    }

    /// Headers (including `Authorization`) for `method path?query` at `date` (RFC 1123) with
    /// `nonce`.
    pub fn signed_headers(&self, method: &str, path: &str, query: &[(String, String)], date: &str, nonce: &str) -> Vec<(String, String)> {
        let accept = "application/json";
        let acs = vec![
            ("x-acs-region-id".to_string(), self.region.clone()),
            ("x-acs-signature-method".to_string(), "HMAC-SHA1".to_string()),
            ("x-acs-signature-nonce".to_string(), nonce.to_string()),
            ("x-acs-signature-version".to_string(), "1.0".to_string()),
            ("x-acs-version".to_string(), VERSION.to_string()),
        ];
        let sts = string_to_sign(method, accept, date, &acs, path, query);
        let sig = signature(self.creds.access_key_secret.as_deref().unwrap_or_default(), &sts);
        let mut h = vec![("Accept".to_string(), accept.to_string()), ("Date".to_string(), date.to_string())];
        h.extend(acs);
        h.push(("Authorization".to_string(), format!("acs {}:{sig}", self.creds.access_key_id.as_deref().unwrap_or_default())));
        h
    }

    async fn call(&self, method: reqwest::Method, path: &str, query: &[(String, String)]) -> Result<Option<Value>, RegistryError> {
        let date = jiff::Timestamp::now().strftime("%a, %d %b %Y %H:%M:%S GMT").to_string();
        let nonce = format!("{:x}", jiff::Timestamp::now().as_nanosecond());
        let headers = self.signed_headers(method.as_str(), path, query, &date, &nonce);
        let qs = query.iter().map(|(k, v)| format!("{k}={}", super::sign::percent_encode(v))).collect::<Vec<_>>().join("&");
        let url = if qs.is_empty() { format!("{}{path}", self.endpoint) } else { format!("{}{path}?{qs}", self.endpoint) };
        let mut req = self.client.request(method, &url);
        for (k, v) in headers {
            req = req.header(k, v);
        }
        let resp = req.send().await.map_err(|e| transport_error(&url, e))?;
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        if status.is_success() {
            return Ok(Some(v));
        }
        let code = v.get("code").or_else(|| v.get("Code")).and_then(Value::as_str).unwrap_or_default().to_string();
        let message = v.get("message").or_else(|| v.get("Message")).and_then(Value::as_str).unwrap_or(&text).to_string();
        if status == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN || code.contains("Signature") || code.contains("AccessKey") {
            return Err(RegistryError::AuthRejected {
                url,
                source_name: self.creds.source.clone(),
                status: status.as_u16(),
                message: format!("{code}: {message}"),
                fix: "check the AccessKey named by `secrets_env` (access_key_id, access_key_secret) and its permission on Container Registry".into(),
            });
        }
        Err(RegistryError::Api { url, status: status.as_u16(), message: format!("{code}: {message}") })
    }
}

impl Registry for AliyunRegistry {
    fn describe(&self) -> String {
        match &self.fallback {
            Some(f) => f.describe(),
            None => format!("{} (Aliyun ACR, namespace {})", self.endpoint, self.addr.namespace),
        }
    }

    async fn list_tags(&self, repo: &str) -> Result<Vec<String>, RegistryError> {
        if let Some(f) = &self.fallback {
            return f.list_tags(repo).await;
        }
        let path = format!("/repos/{}/{}/tags", self.addr.namespace, repo);
        let mut tags = Vec::new();
        for page in 1u64.. {
            let q = vec![("Page".to_string(), page.to_string()), ("PageSize".to_string(), PAGE_SIZE.to_string())];
            let Some(v) = self.call(reqwest::Method::GET, &path, &q).await? else { return Ok(tags) };
            let data = v.get("data").cloned().unwrap_or(Value::Null);
            let got: Vec<String> = data
                .get("tags")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(|t| t.get("tag").and_then(Value::as_str).map(str::to_string)).collect())
                .unwrap_or_default();
            let total = data.get("total").and_then(Value::as_u64).unwrap_or(0);
            let n = got.len() as u64;
            tags.extend(got);
            if n == 0 || (tags.len() as u64) >= total {
                break;
            }
        }
        Ok(tags)
    }

    async fn tag_exists(&self, repo: &str, tag: &str) -> Result<bool, RegistryError> {
        if let Some(f) = &self.fallback {
            return f.tag_exists(repo, tag).await;
        }
        Ok(self.list_tags(repo).await?.iter().any(|t| t == tag))
    }

    async fn delete_tag(&self, repo: &str, tag: &str) -> Result<bool, RegistryError> {
        if let Some(f) = &self.fallback {
            return f.delete_tag(repo, tag).await;
        }
        let path = format!("/repos/{}/{}/tags/{}", self.addr.namespace, repo, tag);
        Ok(self.call(reqwest::Method::DELETE, &path, &[]).await?.is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_from_host() {
        assert_eq!(region_of("registry.cn-hangzhou.aliyuncs.com").as_deref(), Some("cn-hangzhou"));
        assert_eq!(region_of("registry-vpc.cn-beijing.aliyuncs.com").as_deref(), Some("cn-beijing"));
        assert_eq!(region_of("reg.example.com"), None);
    }

    #[test]
    fn roa_string_to_sign_and_headers() {
        let creds = Credentials { access_key_id: Some("testid".into()), access_key_secret: Some("testsecret".into()), ..Default::default() };
        let a = AliyunRegistry::new(super::super::http_client().unwrap(), RegistryAddr::parse("registry.cn-hangzhou.aliyuncs.com/team"), creds).unwrap();
        assert_eq!(a.endpoint, "https://cr.cn-hangzhou.aliyuncs.com");
        let q = vec![("PageSize".to_string(), "100".to_string()), ("Page".to_string(), "1".to_string())];
        let date = "Thu, 22 Feb 2018 07:46:12 GMT";
        let h = a.signed_headers("GET", "/repos/team/dummy/tags", &q, date, "n1");
        let acs: Vec<(String, String)> = h.iter().filter(|(k, _)| k.starts_with("x-acs-")).cloned().collect();
        let sts = string_to_sign("GET", "application/json", date, &acs, "/repos/team/dummy/tags", &q);
        assert_eq!(
            sts,
            "GET\napplication/json\n\n\nThu, 22 Feb 2018 07:46:12 GMT\nx-acs-region-id:cn-hangzhou\nx-acs-signature-method:HMAC-SHA1\nx-acs-signature-nonce:n1\nx-acs-signature-version:1.0\nx-acs-version:2016-06-07\n/repos/team/dummy/tags?Page=1&PageSize=100"
        );
        let auth = &h.iter().find(|(k, _)| k == "Authorization").unwrap().1;
        assert_eq!(auth, &format!("acs testid:{}", signature("testsecret", &sts)));
        // base64 of a 20-byte HMAC-SHA1.
        assert_eq!(signature("testsecret", &sts).len(), 28);
        // No keys and an unknown host: the v2 API, no region needed.
        assert!(AliyunRegistry::new(super::super::http_client().unwrap(), RegistryAddr::parse("r.example.com/x"), Credentials::default()).is_ok());
    }
}
