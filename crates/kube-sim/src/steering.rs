//! How a test steers the simulated kubelet: rules picking a behaviour per container (by image,
//! pod name or any predicate), container log lines, an exec responder and metrics.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use serde_json::Value;
use tokio::sync::broadcast;

/// What the kubelet knows about a container when it consults the rules.
#[derive(Debug, Clone)]
pub struct ContainerCtx {
    pub namespace: String,
    pub pod: String,
    pub container: String,
    pub image: String,
    pub labels: Value,
    /// `true` for the containers of a Job's pods (they are expected to exit).
    pub is_job: bool,
}

/// A container's simulated fate.
#[derive(Debug, Clone, PartialEq)]
pub enum Behavior {
    /// Starts, becomes ready after readinessProbe.initialDelaySeconds; job containers exit 0
    /// after `job_duration`.
    Run { job_duration: Duration },
    /// Runs for `run_for`, exits with `exit_code`, restarts with the kubelet's exponential
    /// back-off (10 s doubling, capped at 300 s): waiting reason CrashLoopBackOff.
    CrashLoop { exit_code: i32, run_for: Duration },
    /// Like CrashLoop but terminated with reason OOMKilled, exit code 137.
    OomKilled { run_for: Duration },
    /// Runs but its readiness probe never succeeds.
    NeverReady,
    /// The pod is never scheduled (PodScheduled=False, reason Unschedulable).
    Pending,
    /// The image cannot be pulled: ErrImagePull, then ImagePullBackOff.
    ImagePullBackOff { message: String },
    /// A job container that exits non-zero after `run_for`.
    Fail { exit_code: i32, run_for: Duration },
}

impl Default for Behavior {
    fn default() -> Self {
        Behavior::Run { job_duration: Duration::from_secs(2) }
    }
}

type Pred = Arc<dyn Fn(&ContainerCtx) -> bool + Send + Sync>;

#[derive(Clone)]
pub enum Matcher {
    /// Glob on the image reference (`*` matches any run of characters).
    Image(String),
    /// Glob on the pod name.
    PodName(String),
    /// Anything the test can decide, e.g. "the tag is not in registry X".
    Predicate(Pred),
}

/// A matcher, the behaviour it selects, and log lines each container instance prints at start.
#[derive(Clone)]
pub struct Rule {
    pub matcher: Matcher,
    pub container: Option<String>,
    pub behavior: Option<Behavior>,
    pub logs: Vec<String>,
}

impl Rule {
    pub fn image(glob: &str, behavior: Behavior) -> Self {
        Self { matcher: Matcher::Image(glob.into()), container: None, behavior: Some(behavior), logs: vec![] }
    }
    pub fn pod(glob: &str, behavior: Behavior) -> Self {
        Self { matcher: Matcher::PodName(glob.into()), container: None, behavior: Some(behavior), logs: vec![] }
    }
    pub fn when(pred: impl Fn(&ContainerCtx) -> bool + Send + Sync + 'static, behavior: Behavior) -> Self {
        Self { matcher: Matcher::Predicate(Arc::new(pred)), container: None, behavior: Some(behavior), logs: vec![] }
    }
    /// A rule that only supplies log lines (behaviour comes from other rules or the default).
    pub fn logs_for_image(glob: &str, lines: &[&str]) -> Self {
        Self { matcher: Matcher::Image(glob.into()), container: None, behavior: None, logs: lines.iter().map(|s| s.to_string()).collect() }
    }
    /// Images absent from a registry the test knows (`present(image) == false`) fail to pull.
    pub fn image_not_in_registry(present: impl Fn(&str) -> bool + Send + Sync + 'static) -> Self {
        Self::when(move |c| !present(&c.image), Behavior::ImagePullBackOff { message: String::new() })
    }
    pub fn with_logs(mut self, lines: &[&str]) -> Self {
        self.logs = lines.iter().map(|s| s.to_string()).collect();
        self
    }
    /// Restricts the rule to containers with this name.
    pub fn in_container(mut self, name: &str) -> Self {
        self.container = Some(name.into());
        self
    }

    fn matches(&self, c: &ContainerCtx) -> bool {
        if self.container.as_ref().is_some_and(|n| *n != c.container) {
            return false;
        }
        match &self.matcher {
            Matcher::Image(g) => glob(g, &c.image),
            Matcher::PodName(g) => glob(g, &c.pod),
            Matcher::Predicate(p) => p(c),
        }
    }
}

pub fn glob(pattern: &str, s: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == s;
    }
    let mut rest = s;
    for (i, p) in parts.iter().enumerate() {
        if i == 0 {
            let Some(r) = rest.strip_prefix(p) else { return false };
            rest = r;
        } else if i == parts.len() - 1 {
            return rest.ends_with(p);
        } else {
            let Some(idx) = rest.find(p) else { return false };
            rest = &rest[idx + p.len()..];
        }
    }
    true
}

#[derive(Debug, Clone)]
pub struct ExecRequest {
    pub namespace: String,
    pub pod: String,
    pub container: String,
    pub command: Vec<String>,
    pub stdin: Vec<u8>,
}

#[derive(Debug, Clone, Default)]
pub struct ExecResponse {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub exit_code: i32,
}

pub type ExecFn = Arc<dyn Fn(&ExecRequest) -> ExecResponse + Send + Sync>;
pub type MetricsFn = Arc<dyn Fn(&ContainerCtx) -> (u64, u64) + Send + Sync>;

/// One log line of one container instance.
#[derive(Debug, Clone)]
pub struct LogLine {
    pub at: Timestamp,
    pub text: String,
}

/// Logs of a container, per instance (restart count).
#[derive(Debug, Default, Clone)]
pub struct ContainerLogs {
    pub instances: Vec<(u32, Vec<LogLine>)>,
}

pub type LogKey = (String, String, String);

pub struct Steering {
    pub rules: Vec<Rule>,
    pub exec: Option<ExecFn>,
    /// (millicores, bytes) of a running container for metrics.k8s.io; default derives small
    /// stable numbers from the names.
    pub metrics: Option<MetricsFn>,
    pub logs: HashMap<LogKey, ContainerLogs>,
    pub log_tx: broadcast::Sender<(LogKey, u32, LogLine)>,
}

impl Default for Steering {
    fn default() -> Self {
        let (log_tx, _) = broadcast::channel(4096);
        Self { rules: vec![], exec: None, metrics: None, logs: HashMap::new(), log_tx }
    }
}

impl Steering {
    /// The behaviour of a container: the last matching rule that sets one wins.
    pub fn behavior(&self, c: &ContainerCtx) -> Behavior {
        self.rules.iter().rev().filter(|r| r.behavior.is_some() && r.matches(c)).find_map(|r| r.behavior.clone()).unwrap_or_default()
    }

    /// Log lines a new container instance prints (from every matching rule, in order).
    pub fn start_logs(&self, c: &ContainerCtx) -> Vec<String> {
        self.rules.iter().filter(|r| r.matches(c)).flat_map(|r| r.logs.iter().cloned()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob("reg/app:*", "reg/app:v1"));
        assert!(!glob("reg/app:*", "reg/other:v1"));
        assert!(glob("*bad*", "x/bad:1"));
        assert!(glob("exact", "exact"));
        assert!(!glob("exact", "exactly"));
        assert!(glob("a*c*e", "abcde"));
    }

    #[test]
    fn last_rule_wins() {
        let mut s = Steering::default();
        s.rules.push(Rule::image("*", Behavior::NeverReady));
        s.rules.push(Rule::pod("web-*", Behavior::Pending).in_container("app"));
        s.rules.push(Rule::image_not_in_registry(|img| img.ends_with(":v1")));
        let ctx = |pod: &str, c: &str, img: &str| ContainerCtx {
            namespace: "d".into(),
            pod: pod.into(),
            container: c.into(),
            image: img.into(),
            labels: Value::Null,
            is_job: false,
        };
        assert_eq!(s.behavior(&ctx("web-1", "app", "r/a:v1")), Behavior::Pending);
        assert_eq!(s.behavior(&ctx("web-1", "side", "r/a:v1")), Behavior::NeverReady);
        assert!(matches!(s.behavior(&ctx("api", "app", "r/a:v2")), Behavior::ImagePullBackOff { .. }));
    }
}
