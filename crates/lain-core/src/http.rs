//! The HTTP client lain's own API calls share (Prometheus, webhooks, GitLab).

use std::time::Duration;

/// A client with a total per-request timeout. reqwest is built without a bundled crypto
/// provider (see the workspace Cargo.toml); ring is installed here so library users and tests
/// need not remember to (a second install fails harmlessly when the binary already did it).
pub fn client(timeout: Duration) -> Result<reqwest::Client, reqwest::Error> {
    crate::install_crypto_provider();
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(5)))
        .user_agent(concat!("lain/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// A reqwest error in a few words, without the URL (callers show it already, and it may carry a
/// query string or a token): what failed, and the innermost cause (`Connection refused`).
pub fn describe(e: &reqwest::Error) -> String {
    let head = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else if e.is_decode() {
        "could not read the response"
    } else {
        "request failed"
    };
    let mut last = None;
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        last = Some(s.to_string());
        src = s.source();
    }
    match last {
        Some(cause) if !cause.is_empty() => format!("{head}: {cause}"),
        _ => head.to_string(),
    }
}
