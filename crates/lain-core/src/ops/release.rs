//! What every cluster command starts from: the app, the cluster, the release, a client; and the
//! one way lain runs a helm command that changes a release (protected from Ctrl-C).

use std::time::{Duration, Instant};

use crate::config::AppConfig;
use crate::context::Ctx;
use crate::error::LainError;
use crate::helm::{Helm, Revision};
use crate::kube::Kube;
use crate::output;
use crate::process::{Captured, Cmd, ProcessError};

/// The app as deployed to the current cluster.
pub struct Target {
    pub app: AppConfig,
    pub cluster: String,
    pub namespace: String,
    pub release: String,
    pub appname: String,
}

impl Target {
    pub fn load(ctx: &Ctx, sets: &[String]) -> Result<Target, LainError> {
        let app = ctx.load_app(sets)?;
        Ok(Target {
            cluster: app.cluster.name.clone(),
            namespace: app.cluster.namespace.clone(),
            release: app.release_name.clone(),
            appname: app.appname.clone(),
            app,
        })
    }

    pub fn env_secret(&self) -> String {
        format!("{}-env", self.appname)
    }

    pub fn file_secret(&self) -> String {
        format!("{}-secret", self.appname)
    }

    pub async fn connect(&self, ctx: &Ctx) -> Result<Kube, LainError> {
        Ok(Kube::connect(ctx, &self.namespace).await?)
    }

    pub fn history(&self, helm: &Helm) -> Result<Option<Vec<Revision>>, LainError> {
        helm.history(&self.release, &self.namespace)
    }

    /// Names of the procs the values define, for "unknown proc" messages.
    pub fn proc_names(&self) -> Vec<String> {
        self.app.procs.iter().map(|p| p.name.clone()).collect()
    }
}

/// "unknown proc": names the known ones, and the likely one when it is a typo.
pub fn unknown_name(what: &str, name: &str, appname: &str, known: &[String]) -> LainError {
    let close =
        known.iter().filter(|k| strsim::jaro_winkler(name, k) > 0.85).max_by(|a, b| strsim::jaro_winkler(name, a).total_cmp(&strsim::jaro_winkler(name, b)));
    let hint = close.map(|c| format!(" (did you mean {c}?)")).unwrap_or_default();
    let list = if known.is_empty() { "none".to_string() } else { known.join(", ") };
    LainError::bad_input(format!("unknown {what} {name:?}{hint}; the {what}s of {appname} are: {list}"))
}

/// A helm command that changes a release, and how long it took.
pub struct HelmRun {
    pub out: Captured,
    pub took: Duration,
    /// Ctrl-C was pressed while helm ran (lain waited for helm anyway).
    pub interrupted: bool,
}

/// Runs a helm command that changes a release so that it is never killed half-way.
///
/// helm runs in its own process group, so the terminal's Ctrl-C reaches lain only; lain then
/// says it is waiting, lets helm finish (a killed helm leaves the release in `pending-*`, which
/// blocks every later deploy), and reports the interrupt afterwards. helm's stdout is shown on
/// stderr (it is for people); a failure carries helm's stderr.
pub async fn run_helm(cmd: Cmd) -> Result<HelmRun, LainError> {
    let cmd = cmd.own_process_group();
    let shown = cmd.to_string();
    let start = Instant::now();
    let worker = cmd.clone();
    let mut task = tokio::task::spawn_blocking(move || worker.output_unchecked());
    let mut interrupted = false;
    let out = loop {
        tokio::select! {
            r = &mut task => {
                break r.map_err(|e| ProcessError::Spawn { command: shown.clone(), source: std::io::Error::other(e.to_string()) })??;
            }
            _ = tokio::signal::ctrl_c() => {
                interrupted = true;
                output::warn("helm is still changing the release; lain lets it finish (killing it now would leave the release stuck in pending-*), then stops");
            }
        }
    };
    let took = start.elapsed();
    for line in out.stdout.lines().filter(|l| !l.trim().is_empty()) {
        output::info(&format!("  {line}"));
    }
    if !out.status.success() {
        return Err(ProcessError::Failed { command: shown, status: out.status.to_string(), code: out.status.code(), stderr: out.stderr }.into());
    }
    for line in out.stderr.lines().filter(|l| !l.trim().is_empty()) {
        output::info(&format!("  {line}"));
    }
    Ok(HelmRun { out, took, interrupted })
}

/// Blocks on a future with a fresh runtime (ops are synchronous for the binary).
pub fn block_on<F: std::future::Future>(f: F) -> Result<F::Output, LainError> {
    let rt = crate::kube::runtime()?;
    let out = rt.block_on(f);
    // Not a plain drop: that waits for blocking tasks, and one may be reading a terminal's
    // stdin for `lain x` forever. Everything lain needed is finished by now.
    rt.shutdown_background();
    Ok(out)
}

/// Parses `--timeout` values: `300`, `300s`, `5m`, `1h`.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (num, unit) = match s.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => (&s[..i], &s[i..]),
        None => (s, "s"),
    };
    let bad = || format!("invalid duration {s:?}: use e.g. 300, 90s, 5m, 1h or 2d");
    let n: u64 = num.parse().map_err(|_| bad())?;
    let mult = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86400,
        _ => return Err(bad()),
    };
    Ok(Duration::from_secs(n * mult))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_names_suggest() {
        let known = vec!["web".to_string(), "worker".to_string()];
        let e = unknown_name("proc", "wrker", "dummy", &known).to_string();
        assert!(e.contains("did you mean worker?") && e.contains("web, worker"), "{e}");
        let e = unknown_name("proc", "zzz", "dummy", &known).to_string();
        assert!(!e.contains("did you mean"), "{e}");
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("300"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert!(parse_duration("5 minutes").is_err());
        assert!(parse_duration("").is_err());
    }
}
