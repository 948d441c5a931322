//! Requests each ingress URL over HTTP(S) and records status code and latency.
//!
//! Host resolution is injectable ([`Prober::new`] takes host → address overrides, like curl's
//! `--resolve`): tests point `dummy.test.example.com` at a server on 127.0.0.1, and users behind
//! split DNS can do the same with `lain status --resolve HOST=IP:PORT`.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::model::Probe;

#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error("invalid --resolve `{value}`: expected HOST=IP:PORT (e.g. app.example.com=127.0.0.1:8080)")]
    BadResolve { value: String },
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
}

/// Parses `HOST=IP:PORT`.
pub fn parse_resolve(s: &str) -> Result<(String, SocketAddr), ProbeError> {
    let bad = || ProbeError::BadResolve { value: s.to_string() };
    let (host, addr) = s.split_once('=').ok_or_else(bad)?;
    let addr: SocketAddr = addr.trim().parse().map_err(|_| bad())?;
    if host.trim().is_empty() {
        return Err(bad());
    }
    Ok((host.trim().to_string(), addr))
}

#[derive(Clone)]
pub struct Prober {
    client: reqwest::Client,
    timeout: Duration,
}

impl Prober {
    pub fn new(overrides: &[(String, SocketAddr)], timeout: Duration) -> Result<Self, ProbeError> {
        crate::install_crypto_provider();
        let mut b = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            // A redirect is an answer: the endpoint works; following it would probe another host.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("lain-status/", env!("CARGO_PKG_VERSION")))
            // One connection per probe: keeps no idle sockets around between rounds.
            .pool_max_idle_per_host(0);
        for (host, addr) in overrides {
            b = b.resolve(host, *addr);
        }
        if !overrides.is_empty() {
            // "Connect to this address" means directly: a proxy from HTTP(S)_PROXY would resolve
            // the host itself and ignore the override.
            b = b.no_proxy();
        }
        let client = b.build().map_err(|e| ProbeError::Client(e.to_string()))?;
        Ok(Prober { client, timeout })
    }

    /// One GET; 5xx and no answer are failures, anything else (2xx, 3xx, 4xx) is "answering".
    pub async fn probe(&self, url: &str) -> Probe {
        let start = Instant::now();
        let res = self.client.get(url).send().await;
        let latency_ms = start.elapsed().as_millis() as u64;
        let at = jiff::Timestamp::now();
        match res {
            Ok(r) => {
                let code = r.status().as_u16();
                Probe::Answered { code, latency_ms, ok: code < 500, at }
            }
            Err(e) => Probe::Error { error: self.describe(&e), latency_ms, at },
        }
    }

    fn describe(&self, e: &reqwest::Error) -> String {
        if e.is_timeout() {
            return format!("no answer within {}s", self.timeout.as_secs());
        }
        // The innermost cause says what happened (connection refused, dns error, certificate).
        let mut src: &dyn std::error::Error = e;
        while let Some(s) = src.source() {
            src = s;
        }
        let s = src.to_string();
        if e.is_connect() && !s.contains("onnect") { format!("cannot connect: {s}") } else { s }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolve_flag() {
        let (h, a) = parse_resolve("app.example.com=127.0.0.1:8080").unwrap();
        assert_eq!(h, "app.example.com");
        assert_eq!(a.port(), 8080);
        assert!(parse_resolve("app.example.com").is_err());
        assert!(parse_resolve("=127.0.0.1:1").is_err());
        assert!(parse_resolve("a=localhost").is_err());
    }
}
