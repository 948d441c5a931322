//! The GitLab API v4, for the two MR helpers GitLab CE lacks: picking reviewers
//! ([`Gitlab::assign_mr`]) and gating a pipeline on an approval ([`Gitlab::wait_mr_approval`]).
//!
//! The base URL is the cluster configuration's `gitlab` key (`https://gitlab.example.com`); the
//! token comes from the environment (see [`Token::from_env`]).

mod approval;
mod assign;

use std::fmt;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::Value;

pub use approval::{Approval, DEFAULT_POLL_INTERVAL, DEFAULT_WAIT_TIMEOUT};
pub use assign::{AssignOutcome, User};

/// The variable lain reads first: a personal, project or group access token with the `api`
/// scope (assign-mr edits the MR; wait-mr-approval needs `read_api`).
pub const TOKEN_ENV: &str = "GITLAB_API_TOKEN";
/// GitLab CI's own job token, used when [`TOKEN_ENV`] is unset. GitLab allows it on few API
/// endpoints, so it usually is not enough; errors then say to set [`TOKEN_ENV`].
pub const JOB_TOKEN_ENV: &str = "CI_JOB_TOKEN";
const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);

#[derive(Clone, PartialEq, Eq)]
pub enum Token {
    /// Sent as `PRIVATE-TOKEN`.
    Private(String),
    /// Sent as `JOB-TOKEN`.
    Job(String),
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Token::Private(_) => write!(f, "Token::Private(******)"),
            Token::Job(_) => write!(f, "Token::Job(******)"),
        }
    }
}

impl Token {
    /// `GITLAB_API_TOKEN`, else `CI_JOB_TOKEN`. `get` reads the environment (injected so tests
    /// and the binary's context object decide where it comes from).
    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Result<Token, GitlabError> {
        let non_empty = |k: &str| get(k).filter(|v| !v.trim().is_empty());
        non_empty(TOKEN_ENV).map(Token::Private).or_else(|| non_empty(JOB_TOKEN_ENV).map(Token::Job)).ok_or(GitlabError::NoToken)
    }

    fn header(&self) -> (&'static str, &str) {
        match self {
            Token::Private(t) => ("PRIVATE-TOKEN", t),
            Token::Job(t) => ("JOB-TOKEN", t),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum GitlabError {
    #[error("no GitLab token: set {TOKEN_ENV} to an access token with the api scope (in GitLab CI: a masked CI/CD variable)")]
    NoToken,
    #[error("`{url}` is not a GitLab URL ({reason}); fix the cluster configuration's `gitlab` key (e.g. https://gitlab.example.com)")]
    InvalidUrl { url: String, reason: String },
    #[error("GitLab at {url} is unreachable: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("GitLab rejected the token (401) while {doing}: {hint}")]
    Unauthorized { doing: String, hint: String },
    #[error("GitLab refused (403) while {doing}: {hint}")]
    Forbidden { doing: String, hint: String },
    #[error("GitLab found nothing (404) while {doing}: check the project path (group/name) and the MR number, and that the token's user can see the project")]
    NotFound { doing: String },
    #[error("GitLab answered HTTP {status} while {doing}: {body}")]
    Http { status: u16, doing: String, body: String },
    #[error("GitLab sent an unexpected answer while {doing}: {reason}")]
    Unexpected { doing: String, reason: String },
    #[error("no active contributor of {project} other than the MR's author could be found in GitLab; assign a reviewer by hand")]
    NoCandidates { project: String },
    #[error("{project}!{iid} is {state}; only open merge requests get reviewers")]
    NotOpen { project: String, iid: u64, state: String },
    #[error("{project}!{iid} was closed without approval")]
    Closed { project: String, iid: u64 },
    #[error("{project}!{iid} was merged without approval")]
    MergedWithoutApproval { project: String, iid: u64 },
    #[error("{project}!{iid} was not approved within {waited:?}; ask a reviewer{}", reviewers_hint(.reviewers))]
    Timeout { project: String, iid: u64, waited: Duration, reviewers: Vec<String> },
}

fn reviewers_hint(r: &[String]) -> String {
    if r.is_empty() { String::new() } else { format!(" ({})", r.join(", ")) }
}

/// A project as the API wants it: numeric id as is, a path URL-encoded (`group%2Fname`).
pub fn project_id(project: &str) -> String {
    let p = project.trim().trim_matches('/');
    p.bytes().map(|b| if b.is_ascii_alphanumeric() || b"-_.".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

pub struct Gitlab {
    /// `https://gitlab.example.com/api/v4/` (trailing slash, for joining).
    api: reqwest::Url,
    token: Token,
    client: reqwest::Client,
}

impl Gitlab {
    pub fn new(base_url: &str, token: Token) -> Result<Gitlab, GitlabError> {
        let invalid = |reason: String| GitlabError::InvalidUrl { url: base_url.to_string(), reason };
        let mut base = base_url.trim().trim_end_matches('/').to_string();
        // Accept both the site and its API root.
        if !base.ends_with("/api/v4") {
            base.push_str("/api/v4");
        }
        let api = reqwest::Url::parse(&format!("{base}/")).map_err(|e| invalid(e.to_string()))?;
        if !matches!(api.scheme(), "http" | "https") {
            return Err(invalid("not http(s)".into()));
        }
        let client = crate::http::client(REQUEST_TIMEOUT).map_err(|e| invalid(crate::http::describe(&e)))?;
        Ok(Gitlab { api, token, client })
    }

    fn hint(&self, status: StatusCode) -> String {
        match (&self.token, status) {
            (Token::Job(_), _) => {
                format!("lain used {JOB_TOKEN_ENV}, which GitLab allows on few API endpoints; set {TOKEN_ENV} to an access token with the api scope")
            }
            (_, StatusCode::UNAUTHORIZED) => format!("check that {TOKEN_ENV} is a valid, unexpired access token"),
            _ => format!("the token's user needs at least the Developer role in the project, and the token the api scope ({TOKEN_ENV})"),
        }
    }

    /// One API call; `path` is relative to `/api/v4/` and may carry a query.
    async fn call(&self, method: Method, path: &str, body: Option<&Value>, doing: &str) -> Result<(Value, Option<u32>), GitlabError> {
        let url = self.api.join(path).map_err(|e| GitlabError::InvalidUrl { url: path.to_string(), reason: e.to_string() })?;
        let (h, v) = self.token.header();
        let mut req = self.client.request(method, url).header(h, v);
        if let Some(b) = body {
            req = req.json(b);
        }
        let resp = req
            .send()
            .await
            .map_err(|e| GitlabError::Unreachable { url: self.api.as_str().trim_end_matches('/').to_string(), reason: crate::http::describe(&e) })?;
        let status = resp.status();
        let next_page = resp.headers().get("x-next-page").and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse().ok());
        let text = resp.text().await.unwrap_or_default();
        let doing = doing.to_string();
        match status {
            s if s.is_success() => {
                let v = if text.trim().is_empty() {
                    Value::Null
                } else {
                    serde_json::from_str(&text).map_err(|e| GitlabError::Unexpected { doing, reason: format!("not JSON ({e})") })?
                };
                Ok((v, next_page))
            }
            StatusCode::UNAUTHORIZED => Err(GitlabError::Unauthorized { doing, hint: self.hint(status) }),
            StatusCode::FORBIDDEN => Err(GitlabError::Forbidden { doing, hint: self.hint(status) }),
            StatusCode::NOT_FOUND => Err(GitlabError::NotFound { doing }),
            s => Err(GitlabError::Http { status: s.as_u16(), doing, body: text.trim().chars().take(300).collect() }),
        }
    }

    async fn get(&self, path: &str, doing: &str) -> Result<Value, GitlabError> {
        Ok(self.call(Method::GET, path, None, doing).await?.0)
    }

    /// A list endpoint, following `X-Next-Page` for at most `max_pages` pages of 100.
    async fn get_all(&self, path: &str, max_pages: u32, doing: &str) -> Result<Vec<Value>, GitlabError> {
        let sep = if path.contains('?') { '&' } else { '?' };
        let mut out = Vec::new();
        let mut page = 1;
        for _ in 0..max_pages {
            let (v, next) = self.call(Method::GET, &format!("{path}{sep}per_page=100&page={page}"), None, doing).await?;
            match v {
                Value::Array(items) => out.extend(items),
                _ => return Err(GitlabError::Unexpected { doing: doing.to_string(), reason: "expected a list".into() }),
            }
            match next {
                Some(n) if n > page => page = n,
                _ => break,
            }
        }
        Ok(out)
    }

    async fn put(&self, path: &str, body: &Value, doing: &str) -> Result<Value, GitlabError> {
        Ok(self.call(Method::PUT, path, Some(body), doing).await?.0)
    }

    async fn merge_request(&self, project: &str, iid: u64) -> Result<Value, GitlabError> {
        self.get(&format!("projects/{}/merge_requests/{iid}", project_id(project)), &format!("reading {project}!{iid}")).await
    }
}

/// Percent-encodes a query value.
fn query_value(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn project_paths_are_encoded() {
        assert_eq!(project_id("dev/dummy"), "dev%2Fdummy");
        assert_eq!(project_id("/group/sub/my.app/"), "group%2Fsub%2Fmy.app");
        assert_eq!(project_id("42"), "42");
        assert_eq!(query_value("a b@c.com"), "a%20b%40c.com");
    }

    #[test]
    fn token_from_env_prefers_the_api_token_and_hides_it() {
        let env = |k: &str| match k {
            "GITLAB_API_TOKEN" => Some("glpat-abc".to_string()),
            "CI_JOB_TOKEN" => Some("job".to_string()),
            _ => None,
        };
        assert_eq!(Token::from_env(env).unwrap(), Token::Private("glpat-abc".into()));
        assert_eq!(Token::from_env(|k| (k == "CI_JOB_TOKEN").then(|| "job".to_string())).unwrap(), Token::Job("job".into()));
        assert!(matches!(Token::from_env(|_| Some(" ".into())), Err(GitlabError::NoToken)));
        assert!(!format!("{:?}", Token::Private("glpat-abc".into())).contains("glpat"));
    }
}
