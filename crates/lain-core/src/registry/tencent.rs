//! Tencent Cloud TCR, personal edition (`ccr.ccs.tencentyun.com/NAMESPACE`), through API 3.0:
//! `DescribeImagePersonal` / `DeleteImagePersonal` (service `tcr`, version 2019-09-24), signed
//! with TC3-HMAC-SHA256 using the `access_key_id` / `access_key_secret` roles of `secrets_env`
//! (Tencent's SecretId / SecretKey).
//!
//! Without those keys it uses the Docker Registry v2 API of the same host with the docker
//! credentials (TCR serves it). The signing is unit-tested against the worked example in
//! Tencent's "Signature v3" documentation; the live API could not be reached from here.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::sign::{hex, hmac_sha256, sha256_hex};
use super::v2::V2Registry;
use super::{Credentials, Registry, RegistryAddr, RegistryError, transport_error};

pub const DEFAULT_ENDPOINT: &str = "https://tcr.tencentcloudapi.com";
const SERVICE: &str = "tcr";
const VERSION: &str = "2019-09-24";
const REGION: &str = "ap-guangzhou";
const LIMIT: u64 = 100;

#[derive(Debug)]
pub struct TencentRegistry {
    client: reqwest::Client,
    addr: RegistryAddr,
    creds: Credentials,
    endpoint: String,
    fallback: Option<V2Registry>,
}

/// A signed API 3.0 request, ready to send (kept separate so tests can check it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedRequest {
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

/// Signs a POST of `body` to `host` for `action`, per Tencent's TC3-HMAC-SHA256.
// Each argument is one named input of Tencent's documented algorithm; a struct would only
// rename them.
#[allow(clippy::too_many_arguments)]
pub fn sign_tc3(
    secret_id: &str,
    secret_key: &str,
    host: &str,
    service: &str,
    action: &str,
    version: &str,
    region: &str,
    timestamp: i64,
    body: &str,
) -> SignedRequest {
    let ct = "application/json; charset=utf-8";
    let canonical = format!("POST\n/\n\ncontent-type:{ct}\nhost:{host}\n\ncontent-type;host\n{}", sha256_hex(body.as_bytes()));
    let date = jiff::Timestamp::from_second(timestamp).map(|t| t.strftime("%Y-%m-%d").to_string()).unwrap_or_default();
    let scope = format!("{date}/{service}/tc3_request");
    let to_sign = format!("TC3-HMAC-SHA256\n{timestamp}\n{scope}\n{}", sha256_hex(canonical.as_bytes()));
    let k_date = hmac_sha256(format!("TC3{secret_key}").as_bytes(), date.as_bytes());
    let k_service = hmac_sha256(&k_date, service.as_bytes());
    let k_signing = hmac_sha256(&k_service, b"tc3_request");
    let signature = hex(&hmac_sha256(&k_signing, to_sign.as_bytes()));
    let auth = format!("TC3-HMAC-SHA256 Credential={secret_id}/{scope}, SignedHeaders=content-type;host, Signature={signature}");
    SignedRequest {
        url: format!("https://{host}/"),
        headers: vec![
            ("Authorization".into(), auth),
            ("Content-Type".into(), ct.into()),
            ("Host".into(), host.into()),
            ("X-TC-Action".into(), action.into()),
            ("X-TC-Timestamp".into(), timestamp.to_string()),
            ("X-TC-Version".into(), version.into()),
            ("X-TC-Region".into(), region.into()),
        ],
        body: body.to_string(),
    }
}

impl TencentRegistry {
    pub fn new(client: reqwest::Client, addr: RegistryAddr, creds: Credentials) -> Result<TencentRegistry, RegistryError> {
        let fallback = if creds.has_access_keys() { None } else { Some(V2Registry::new(client.clone(), addr.clone(), creds.clone())) };
        Ok(TencentRegistry { client, addr, creds, endpoint: DEFAULT_ENDPOINT.to_string(), fallback })
    }

    /// Points the API calls elsewhere (tests, private endpoints).
    pub fn with_endpoint(mut self, endpoint: &str) -> TencentRegistry {
        self.endpoint = endpoint.trim_end_matches('/').to_string();
        self
    }

    /// The signed request for `action` with `body` at time `timestamp`.
    pub fn request(&self, action: &str, body: &Value, timestamp: i64) -> SignedRequest {
        let host = self.endpoint.split("://").nth(1).unwrap_or(&self.endpoint).to_string();
        let mut r = sign_tc3(
            self.creds.access_key_id.as_deref().unwrap_or_default(),
            self.creds.access_key_secret.as_deref().unwrap_or_default(),
            &host,
            SERVICE,
            action,
            VERSION,
            REGION,
            timestamp,
            &body.to_string(),
        );
        r.url = format!("{}/", self.endpoint);
        r
    }

    async fn call(&self, action: &str, body: Value) -> Result<Value, RegistryError> {
        let r = self.request(action, &body, jiff::Timestamp::now().as_second());
        let mut req = self.client.post(&r.url).body(r.body.clone());
        for (k, v) in &r.headers {
            if k != "Host" {
                req = req.header(k, v);
            }
        }
        let resp = req.send().await.map_err(|e| transport_error(&r.url, e))?;
        let status = resp.status();
        let v: Value = resp.json().await.map_err(|e| RegistryError::BadResponse { url: r.url.clone(), reason: e.to_string() })?;
        let out = v.get("Response").cloned().unwrap_or(Value::Null);
        if let Some(err) = out.get("Error") {
            let code = err.get("Code").and_then(Value::as_str).unwrap_or_default().to_string();
            let message = err.get("Message").and_then(Value::as_str).unwrap_or_default().to_string();
            if code.starts_with("AuthFailure") || code.starts_with("UnauthorizedOperation") {
                return Err(RegistryError::AuthRejected {
                    url: r.url,
                    source_name: self.creds.source.clone(),
                    status: status.as_u16(),
                    message: format!("{code}: {message}"),
                    fix: "check the SecretId/SecretKey named by `secrets_env` (access_key_id, access_key_secret) and their TCR permissions".into(),
                });
            }
            if code.starts_with("ResourceNotFound") {
                return Ok(Value::Null);
            }
            return Err(RegistryError::Api { url: r.url, status: status.as_u16(), message: format!("{code}: {message}") });
        }
        if status != StatusCode::OK {
            return Err(RegistryError::Api { url: r.url, status: status.as_u16(), message: String::new() });
        }
        Ok(out)
    }
}

impl Registry for TencentRegistry {
    fn describe(&self) -> String {
        match &self.fallback {
            Some(f) => f.describe(),
            None => format!("{} (Tencent TCR, namespace {})", self.endpoint, self.addr.namespace),
        }
    }

    async fn list_tags(&self, repo: &str) -> Result<Vec<String>, RegistryError> {
        if let Some(f) = &self.fallback {
            return f.list_tags(repo).await;
        }
        let name = self.addr.repo(repo);
        let mut tags = Vec::new();
        let mut offset = 0u64;
        loop {
            let out = self.call("DescribeImagePersonal", json!({"RepoName": name, "Offset": offset, "Limit": LIMIT})).await?;
            let data = out.get("Data").cloned().unwrap_or(Value::Null);
            let page: Vec<String> = data
                .get("TagInfo")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(|t| t.get("TagName").and_then(Value::as_str).map(str::to_string)).collect())
                .unwrap_or_default();
            let total = data.get("TagCount").and_then(Value::as_u64).unwrap_or(0);
            let n = page.len() as u64;
            tags.extend(page);
            offset += n;
            if n == 0 || offset >= total {
                return Ok(tags);
            }
        }
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
        if !self.tag_exists(repo, tag).await? {
            return Ok(false);
        }
        self.call("DeleteImagePersonal", json!({"RepoName": self.addr.repo(repo), "Tag": tag})).await?;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The worked example of Tencent Cloud's "Signature v3" page (CVM DescribeInstances).
    #[test]
    fn tc3_matches_the_documented_example() {
        let body = r#"{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}"#;
        let r = sign_tc3(
            "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE",
            "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE",
            "cvm.tencentcloudapi.com",
            "cvm",
            "DescribeInstances",
            "2017-03-12",
            "ap-guangzhou",
            1551113065,
            body,
        );
        assert_eq!(
            r.headers[0].1,
            "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"
        );
    }

    #[test]
    fn builds_describe_image_personal() {
        let creds = Credentials { access_key_id: Some("AKID".into()), access_key_secret: Some("KEY".into()), ..Default::default() };
        let t = TencentRegistry::new(super::super::http_client().unwrap(), RegistryAddr::parse("ccr.ccs.tencentyun.com/yashi"), creds).unwrap();
        assert!(t.fallback.is_none());
        let r = t.request("DescribeImagePersonal", &json!({"RepoName": "yashi/dummy", "Offset": 0, "Limit": 100}), 1551113065);
        assert_eq!(r.url, "https://tcr.tencentcloudapi.com/");
        let h = |k: &str| r.headers.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap();
        assert_eq!(h("X-TC-Action"), "DescribeImagePersonal");
        assert_eq!(h("X-TC-Version"), "2019-09-24");
        assert!(h("Authorization").starts_with("TC3-HMAC-SHA256 Credential=AKID/2019-02-25/tcr/tc3_request, SignedHeaders=content-type;host, Signature="));
        assert!(r.body.contains(r#""RepoName":"yashi/dummy""#), "{}", r.body);
        // Without keys: the v2 API with docker credentials.
        let t =
            TencentRegistry::new(super::super::http_client().unwrap(), RegistryAddr::parse("ccr.ccs.tencentyun.com/yashi"), Credentials::default()).unwrap();
        assert_eq!(t.describe(), "https://ccr.ccs.tencentyun.com");
    }
}
