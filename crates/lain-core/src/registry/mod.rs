//! The team's image registry, behind one trait: which tags exist for an app.
//!
//! - [`v2`]: the Docker Registry HTTP API v2 (CNCF distribution, and anything compatible):
//!   anonymous, basic, and bearer-token auth via the `WWW-Authenticate` challenge; `Link`
//!   pagination. Tested against a real `docker-registry` on 127.0.0.1.
//! - [`harbor`]: Harbor's API v2.0 (projects / repositories / artifacts).
//! - [`aliyun`]: Aliyun ACR's OpenAPI (`GetRepoTags`, ROA signature); [`tencent`]: Tencent TCR's
//!   API 3.0 (`DescribeImagePersonal`, TC3-HMAC-SHA256). Without access keys both fall back to
//!   the v2 API (ACR and TCR serve it too) with the docker credentials.
//!
//! Registries return tags unsorted; ordering is lain's job ([`crate::image::tag::sort_tags`]).
//! Every failure is a [`RegistryError`] naming the registry URL and a fix.

pub mod aliyun;
pub mod auth;
pub mod harbor;
pub(crate) mod sign;
pub mod tencent;
pub mod v2;

use std::time::Duration;

pub use auth::Credentials;

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error(
        "cannot reach the registry at {url}: {reason}\n  fix: check that the registry is up and that `registry` in the cluster config is right (and your network/VPN)"
    )]
    Unreachable { url: String, reason: String },
    #[error("the registry at {url} requires credentials and lain has none\n  fix: {fix}")]
    AuthRequired { url: String, fix: String },
    #[error("the registry at {url} refused the credentials from {source_name} ({status}{})\n  fix: {fix}", msg(.message))]
    AuthRejected { url: String, source_name: String, status: u16, message: String, fix: String },
    #[error("the registry at {url} answered {status}{}", msg(.message))]
    Api { url: String, status: u16, message: String },
    #[error("the registry at {url} sent a response lain cannot read: {reason}")]
    BadResponse { url: String, reason: String },
    #[error("registry {registry}: {reason}\n  fix: {fix}")]
    Config { registry: String, reason: String, fix: String },
    #[error("deleting tags is not supported for {kind} registries")]
    Unsupported { kind: String },
}

fn msg(m: &str) -> String {
    if m.is_empty() { String::new() } else { format!(": {m}") }
}

/// One HTTP client for every registry call. reqwest is built with the provider-less rustls, so
/// the ring provider is installed first (a no-op when something else already did).
pub fn http_client() -> Result<reqwest::Client, RegistryError> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .user_agent(concat!("lain/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(60))
        .build()
        .map_err(|e| RegistryError::Config {
            registry: String::new(),
            reason: format!("cannot build an HTTP client: {e}"),
            fix: "check the system's TLS configuration".into(),
        })
}

/// `host[:port][/namespace...]` split up, with the API base URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryAddr {
    /// As configured (what goes in image references).
    pub registry: String,
    pub host: String,
    /// Path under the host (`team` in `reg.example.com/team`), empty for none.
    pub namespace: String,
    /// `http://host` for loopback registries (docker itself treats 127.0.0.0/8 as insecure and
    /// talks plain HTTP to them), `https://host` otherwise.
    pub base_url: String,
}

impl RegistryAddr {
    pub fn parse(registry: &str) -> RegistryAddr {
        let r = registry.trim().trim_end_matches('/');
        let r = r.strip_prefix("https://").or_else(|| r.strip_prefix("http://")).unwrap_or(r);
        let (host, namespace) = match r.split_once('/') {
            Some((h, ns)) => (h.to_string(), ns.to_string()),
            None => (r.to_string(), String::new()),
        };
        // docker.io is an alias: the API lives at registry-1.docker.io.
        let api_host = if host == "docker.io" || host == "index.docker.io" { "registry-1.docker.io".to_string() } else { host.clone() };
        let scheme = if is_loopback(&host) { "http" } else { "https" };
        RegistryAddr { registry: r.to_string(), host, namespace, base_url: format!("{scheme}://{api_host}") }
    }

    /// The repository path of `appname` (`namespace/appname`).
    pub fn repo(&self, appname: &str) -> String {
        if self.namespace.is_empty() { appname.to_string() } else { format!("{}/{}", self.namespace, appname) }
    }
}

fn is_loopback(host: &str) -> bool {
    let h = match host.rsplit_once(':') {
        Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) && !h.ends_with(':') => h,
        _ => host,
    };
    let h = h.trim_start_matches('[').trim_end_matches(']');
    h == "localhost" || h.starts_with("127.") || h == "::1"
}

/// What lain asks of a registry. `repo` is the app name; the implementation adds its
/// namespace / project.
pub trait Registry {
    /// The registry as the user configured it, for messages.
    fn describe(&self) -> String;
    /// Every tag of the app's repository, in the registry's (unspecified) order; an unknown
    /// repository has no tags.
    fn list_tags(&self, repo: &str) -> impl Future<Output = Result<Vec<String>, RegistryError>> + Send;
    /// Whether `repo:tag` exists (one request where the API allows).
    fn tag_exists(&self, repo: &str, tag: &str) -> impl Future<Output = Result<bool, RegistryError>> + Send;
    /// Deletes `repo:tag`; `Ok(false)` when it was not there.
    fn delete_tag(&self, repo: &str, tag: &str) -> impl Future<Output = Result<bool, RegistryError>> + Send;
}

/// The registry of a cluster, whichever kind it is.
#[derive(Debug)]
pub enum AnyRegistry {
    V2(v2::V2Registry),
    Harbor(harbor::HarborRegistry),
    Aliyun(aliyun::AliyunRegistry),
    Tencent(tencent::TencentRegistry),
}

/// The registry kinds `registry_type` may name.
pub const REGISTRY_TYPES: &[&str] = &["registry", "harbor", "aliyun", "tencent"];

/// Builds the client for a cluster's registry. `creds` come from [`Credentials::resolve`].
pub fn connect(registry: &str, registry_type: &str, creds: Credentials) -> Result<AnyRegistry, RegistryError> {
    let addr = RegistryAddr::parse(registry);
    let client = http_client()?;
    match registry_type.trim().to_ascii_lowercase().as_str() {
        "" | "registry" | "docker" | "v2" | "distribution" => Ok(AnyRegistry::V2(v2::V2Registry::new(client, addr, creds))),
        "harbor" => Ok(AnyRegistry::Harbor(harbor::HarborRegistry::new(client, addr, creds)?)),
        "aliyun" | "acr" => Ok(AnyRegistry::Aliyun(aliyun::AliyunRegistry::new(client, addr, creds)?)),
        "tencent" | "tcr" => Ok(AnyRegistry::Tencent(tencent::TencentRegistry::new(client, addr, creds)?)),
        other => Err(RegistryError::Config {
            registry: registry.to_string(),
            reason: format!("unknown registry_type `{other}`"),
            fix: format!("set `registry_type` in the cluster config to one of: {}", REGISTRY_TYPES.join(", ")),
        }),
    }
}

impl Registry for AnyRegistry {
    fn describe(&self) -> String {
        match self {
            AnyRegistry::V2(r) => r.describe(),
            AnyRegistry::Harbor(r) => r.describe(),
            AnyRegistry::Aliyun(r) => r.describe(),
            AnyRegistry::Tencent(r) => r.describe(),
        }
    }

    async fn list_tags(&self, repo: &str) -> Result<Vec<String>, RegistryError> {
        match self {
            AnyRegistry::V2(r) => r.list_tags(repo).await,
            AnyRegistry::Harbor(r) => r.list_tags(repo).await,
            AnyRegistry::Aliyun(r) => r.list_tags(repo).await,
            AnyRegistry::Tencent(r) => r.list_tags(repo).await,
        }
    }

    async fn tag_exists(&self, repo: &str, tag: &str) -> Result<bool, RegistryError> {
        match self {
            AnyRegistry::V2(r) => r.tag_exists(repo, tag).await,
            AnyRegistry::Harbor(r) => r.tag_exists(repo, tag).await,
            AnyRegistry::Aliyun(r) => r.tag_exists(repo, tag).await,
            AnyRegistry::Tencent(r) => r.tag_exists(repo, tag).await,
        }
    }

    async fn delete_tag(&self, repo: &str, tag: &str) -> Result<bool, RegistryError> {
        match self {
            AnyRegistry::V2(r) => r.delete_tag(repo, tag).await,
            AnyRegistry::Harbor(r) => r.delete_tag(repo, tag).await,
            AnyRegistry::Aliyun(r) => r.delete_tag(repo, tag).await,
            AnyRegistry::Tencent(r) => r.delete_tag(repo, tag).await,
        }
    }
}

/// Maps a transport error to a typed one naming the URL.
pub(crate) fn transport_error(url: &str, e: reqwest::Error) -> RegistryError {
    let mut reason = e.to_string();
    let mut src: Option<&dyn std::error::Error> = std::error::Error::source(&e);
    // reqwest's top-level message is "error sending request"; the cause (connection refused,
    // certificate, DNS) is what helps.
    while let Some(s) = src {
        reason = format!("{reason}: {s}");
        src = s.source();
    }
    if e.is_timeout() {
        reason = format!("timed out ({reason})");
    }
    RegistryError::Unreachable { url: url.to_string(), reason }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addr_parsing() {
        let a = RegistryAddr::parse("127.0.0.1:5000");
        assert_eq!((a.host.as_str(), a.namespace.as_str(), a.base_url.as_str()), ("127.0.0.1:5000", "", "http://127.0.0.1:5000"));
        assert_eq!(a.repo("dummy"), "dummy");
        let a = RegistryAddr::parse("ccr.ccs.tencentyun.com/yashi/");
        assert_eq!((a.host.as_str(), a.namespace.as_str(), a.base_url.as_str()), ("ccr.ccs.tencentyun.com", "yashi", "https://ccr.ccs.tencentyun.com"));
        assert_eq!(a.repo("dummy"), "yashi/dummy");
        assert_eq!(RegistryAddr::parse("docker.io/me").base_url, "https://registry-1.docker.io");
        assert_eq!(RegistryAddr::parse("localhost:5000/x").base_url, "http://localhost:5000");
        assert_eq!(RegistryAddr::parse("[::1]:5000").base_url, "http://[::1]:5000");
    }

    #[test]
    fn unknown_type_is_a_config_error() {
        let e = connect("r.example.com", "quay", Credentials::default()).unwrap_err();
        assert!(e.to_string().contains("unknown registry_type `quay`"), "{e}");
        assert!(e.to_string().contains("harbor"), "{e}");
    }
}
