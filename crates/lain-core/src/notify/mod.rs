//! Notifications to the team's chat: after deploy / redeploy / rollback / update-image /
//! restart, after env or secret edits (key names only), and `lain send-msg`.
//!
//! Webhooks come from the app's values (`webhook: {url, kind?, clusters?}`, or a list of those)
//! and from the cluster configuration (same shape). The kind is taken from `kind` or guessed from
//! the URL's host: Feishu / Lark (interactive card), Slack (blocks), DingTalk (markdown), and
//! anything else gets a generic JSON document.
//!
//! Sending never fails the caller: every webhook has a bounded time ([`DEFAULT_TIMEOUT`] in
//! total) and a failure comes back as a [`NotifyWarning`] to print.

mod event;
pub mod git;
mod payload;

use std::fmt;
use std::time::{Duration, Instant};

use serde_json::Value;

pub use event::{Event, ReleaseInfo, SecretChange, StrategyStep};

/// The longest lain waits for all webhooks of one event together.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum WebhookKind {
    Feishu,
    Slack,
    DingTalk,
    Generic,
}

impl WebhookKind {
    /// From an explicit `kind:`; `lark` is Feishu's international name.
    pub fn parse(s: &str) -> Option<WebhookKind> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "feishu" | "lark" => WebhookKind::Feishu,
            "slack" => WebhookKind::Slack,
            "dingtalk" | "dingding" => WebhookKind::DingTalk,
            "generic" | "json" => WebhookKind::Generic,
            _ => return None,
        })
    }

    /// From the URL's host, for webhooks configured without `kind`.
    pub fn guess(host: &str) -> WebhookKind {
        let h = host.to_ascii_lowercase();
        let under = |d: &str| h == d || h.ends_with(&format!(".{d}"));
        if under("feishu.cn") || under("larksuite.com") || under("larkoffice.com") {
            WebhookKind::Feishu
        } else if under("slack.com") {
            WebhookKind::Slack
        } else if under("dingtalk.com") {
            WebhookKind::DingTalk
        } else {
            WebhookKind::Generic
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Webhook {
    url: reqwest::Url,
    pub kind: WebhookKind,
    /// Send only for these clusters; `None` means all.
    pub clusters: Option<Vec<String>>,
}

#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("{key}: {problem}; fix: {fix}")]
    Config { key: String, problem: String, fix: String },
    #[error("no webhook is configured for cluster {cluster}; add `webhook: {{url: …}}` to chart/values.yaml")]
    NoWebhook { cluster: String },
    #[error("no webhook accepted the message:\n{}", .0.iter().map(|w| format!("  {w}")).collect::<Vec<_>>().join("\n"))]
    NothingDelivered(Vec<NotifyWarning>),
}

impl Webhook {
    pub fn new(url: &str, kind: Option<WebhookKind>, clusters: Option<Vec<String>>) -> Result<Webhook, NotifyError> {
        let bad =
            |problem: String| NotifyError::Config { key: "webhook.url".into(), problem, fix: "write the full https:// URL the chat tool gave you".into() };
        let parsed = reqwest::Url::parse(url.trim()).map_err(|e| bad(format!("not a URL ({e})")))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
            return Err(bad("not an http(s) URL".into()));
        }
        let kind = kind.unwrap_or_else(|| WebhookKind::guess(parsed.host_str().unwrap_or("")));
        Ok(Webhook { url: parsed, kind, clusters })
    }

    /// Webhooks from a `webhook` value (a map or a list of maps); `key` names it in errors
    /// (`webhook` in the values, `webhook` in the cluster configuration).
    pub fn from_value(v: &Value, key: &str) -> Result<Vec<Webhook>, NotifyError> {
        let items: Vec<(String, &Value)> = match v {
            Value::Null => return Ok(Vec::new()),
            Value::Array(a) => a.iter().enumerate().map(|(i, x)| (format!("{key}[{i}]"), x)).collect(),
            other => vec![(key.to_string(), other)],
        };
        let mut out = Vec::new();
        for (k, item) in items {
            let cfg_err = |problem: &str, fix: &str| NotifyError::Config { key: k.clone(), problem: problem.into(), fix: fix.into() };
            let Value::Object(m) = item else {
                return Err(cfg_err("must be a map", "write `webhook: {url: https://…, clusters: [prod]}`"));
            };
            let url = match m.get("url") {
                Some(Value::String(u)) if !u.trim().is_empty() => u,
                Some(Value::Null) | None => continue, // An empty `webhook:` block in a template.
                _ => return Err(cfg_err("url must be a string", "write `url: https://…`")),
            };
            let kind = match m.get("kind") {
                None | Some(Value::Null) => None,
                Some(Value::String(s)) => Some(WebhookKind::parse(s).ok_or_else(|| {
                    cfg_err(&format!("unknown kind `{s}`"), "use feishu, slack, dingtalk or generic (or leave it out to guess from the URL)")
                })?),
                Some(_) => return Err(cfg_err("kind must be a string", "use feishu, slack, dingtalk or generic")),
            };
            let clusters = match m.get("clusters") {
                None | Some(Value::Null) => None,
                Some(Value::Array(a)) => Some(
                    a.iter()
                        .map(|c| c.as_str().map(str::to_string))
                        .collect::<Option<Vec<_>>>()
                        .ok_or_else(|| cfg_err("clusters must be a list of cluster names", "write `clusters: [test, prod]`"))?,
                ),
                Some(Value::String(s)) => Some(vec![s.clone()]),
                Some(_) => return Err(cfg_err("clusters must be a list of cluster names", "write `clusters: [test, prod]`")),
            };
            out.push(Webhook::new(url, kind, clusters).map_err(|e| match e {
                NotifyError::Config { problem, fix, .. } => NotifyError::Config { key: format!("{k}.url"), problem, fix },
                other => other,
            })?);
        }
        Ok(out)
    }

    pub fn applies_to(&self, cluster: &str) -> bool {
        self.clusters.as_ref().is_none_or(|cs| cs.iter().any(|c| c == cluster))
    }

    /// The URL without path and query: chat webhooks carry their token there, and warnings end
    /// up in CI logs.
    pub fn display_url(&self) -> String {
        let port = self.url.port().map(|p| format!(":{p}")).unwrap_or_default();
        format!("{}://{}{port}/…", self.url.scheme(), self.url.host_str().unwrap_or(""))
    }

    pub fn url(&self) -> &str {
        self.url.as_str()
    }
}

/// A webhook that did not take the message. Printed as a warning; never an error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotifyWarning {
    pub webhook: String,
    pub kind: WebhookKind,
    pub reason: String,
}

impl fmt::Display for NotifyWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "notification to {} ({:?}) failed: {}", self.webhook, self.kind, self.reason)
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SendReport {
    /// Webhooks that accepted the message.
    pub delivered: usize,
    pub warnings: Vec<NotifyWarning>,
}

#[derive(Clone, Debug)]
pub struct Notifier {
    hooks: Vec<Webhook>,
    timeout: Duration,
}

impl Notifier {
    /// Webhooks configured twice (app and cluster) are sent to once.
    pub fn new(hooks: Vec<Webhook>) -> Notifier {
        let mut unique: Vec<Webhook> = Vec::new();
        for h in hooks {
            if !unique.iter().any(|u| u.url == h.url) {
                unique.push(h);
            }
        }
        Notifier { hooks: unique, timeout: DEFAULT_TIMEOUT }
    }

    /// From the app's `webhook` value and the cluster configuration's `webhook` value.
    pub fn from_config(app: Option<&Value>, cluster: Option<&Value>) -> Result<Notifier, NotifyError> {
        let mut hooks = Vec::new();
        if let Some(v) = app {
            hooks.extend(Webhook::from_value(v, "webhook")?);
        }
        if let Some(v) = cluster {
            hooks.extend(Webhook::from_value(v, "cluster webhook")?);
        }
        Ok(Notifier::new(hooks))
    }

    /// Bounds the whole send (all webhooks, connection included).
    pub fn with_timeout(mut self, timeout: Duration) -> Notifier {
        self.timeout = timeout;
        self
    }

    pub fn hooks_for<'a>(&'a self, cluster: &'a str) -> impl Iterator<Item = &'a Webhook> + 'a {
        self.hooks.iter().filter(move |h| h.applies_to(cluster))
    }

    /// Sends the event to every webhook that applies to `cluster`, concurrently. Never fails and
    /// never takes longer than the timeout (plus scheduling noise).
    pub async fn send(&self, cluster: &str, event: &Event) -> SendReport {
        let hooks: Vec<&Webhook> = self.hooks_for(cluster).collect();
        if hooks.is_empty() {
            return SendReport::default();
        }
        let warn = |h: &Webhook, reason: String| NotifyWarning { webhook: h.display_url(), kind: h.kind, reason };
        let client = match crate::http::client(self.timeout) {
            Ok(c) => c,
            Err(e) => {
                return SendReport { delivered: 0, warnings: hooks.iter().map(|h| warn(h, crate::http::describe(&e))).collect() };
            }
        };
        let deadline = Instant::now() + self.timeout;
        let sends = hooks.iter().map(|h| {
            let client = &client;
            async move {
                let body = payload::build(h.kind, event, cluster);
                let fut = async {
                    let resp = client.post(h.url.clone()).json(&body).send().await.map_err(|e| crate::http::describe(&e))?;
                    let status = resp.status();
                    let text = resp.text().await.unwrap_or_default();
                    if !status.is_success() {
                        let snippet: String = text.trim().chars().take(200).collect();
                        return Err(format!("HTTP {status}{}", if snippet.is_empty() { String::new() } else { format!(": {snippet}") }));
                    }
                    match payload::refusal(h.kind, &text) {
                        Some(r) => Err(format!("refused ({r})")),
                        None => Ok(()),
                    }
                };
                // reqwest's timeout covers each request; this covers the event as a whole.
                match tokio::time::timeout_at(deadline.into(), fut).await {
                    Ok(r) => r.map_err(|reason| warn(h, reason)),
                    Err(_) => Err(warn(h, format!("timed out after {:?}", self.timeout))),
                }
            }
        });
        let mut report = SendReport::default();
        for r in futures::future::join_all(sends).await {
            match r {
                Ok(()) => report.delivered += 1,
                Err(w) => report.warnings.push(w),
            }
        }
        report
    }
}

impl Notifier {
    /// [`Notifier::send`], then each warning printed (stderr) with a note that the operation
    /// itself succeeded. What deploy / rollback / env edit call after they are done.
    pub async fn send_and_warn(&self, cluster: &str, event: &Event) -> SendReport {
        let report = self.send(cluster, event).await;
        for w in &report.warnings {
            crate::output::warn(&format!("{w} (the {} itself went fine)", event.name().replace('_', " ")));
        }
        report
    }
}

/// The JSON a webhook of `kind` would receive for `event` (for docs, `--dry-run` and tests).
pub fn payload(kind: WebhookKind, event: &Event, cluster: &str) -> Value {
    payload::build(kind, event, cluster)
}
