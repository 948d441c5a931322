//! helm, driven as a user would drive it: every command printed, run from the app's repository
//! with `./chart`, so what lain prints can be pasted into a terminal and does the same thing.

use std::path::PathBuf;

use serde_json::{Map, Value as J};

use crate::config::AppConfig;
use crate::process::Cmd;

#[derive(Debug, Clone)]
pub struct Helm {
    pub bin: PathBuf,
}

/// Escapes a string for helm's `--set-string` (commas and backslashes are special there).
fn set_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace(',', "\\,")
}

impl Helm {
    pub fn new(bin: PathBuf) -> Self {
        Helm { bin }
    }

    pub fn cmd(&self) -> Cmd {
        Cmd::new(&self.bin)
    }

    /// `-f` files, then the injected values, then the user's `--set`s.
    ///
    /// helm applies `--set-json`, then `--set`, then `--set-string`, whatever their order on the
    /// command line; so an injected key that the user sets with `--set` (`--set imageTag=...`,
    /// as the seeds recommend for redeploying an old version) is left out, and the user's wins.
    pub fn values_args(app: &AppConfig, injected: &Map<String, J>) -> Vec<String> {
        let user_keys: Vec<String> = app
            .sets
            .iter()
            .filter_map(|s| crate::config::set::parse(s).ok())
            .filter_map(|n| n.as_map().map(|m| m.keys().cloned().collect::<Vec<_>>()))
            .flatten()
            .collect();
        let mut args = Vec::new();
        for f in &app.values_files {
            args.push("-f".to_string());
            args.push(f.strip_prefix(&app.repo_dir).unwrap_or(f).display().to_string());
        }
        // Injected values go through --set-string / --set-json rather than a temporary file,
        // so the printed command is complete and `helm get values` shows them as plain keys.
        for (k, v) in injected.iter().filter(|(k, _)| !user_keys.contains(k)) {
            match v {
                J::String(s) => {
                    args.push("--set-string".into());
                    args.push(format!("{k}={}", set_escape(s)));
                }
                other => {
                    args.push("--set-json".into());
                    args.push(format!("{k}={other}"));
                }
            }
        }
        for s in &app.sets {
            args.push("--set".into());
            args.push(s.clone());
        }
        args
    }

    /// `helm template RELEASE ./chart --namespace NS ...`
    pub fn template(&self, app: &AppConfig, injected: &Map<String, J>) -> Cmd {
        self.cmd()
            .args(["template", &app.release_name, "./chart", "--namespace", &app.cluster.namespace])
            .args(Self::values_args(app, injected))
            .current_dir(&app.repo_dir)
    }
}

/// A release's status as helm records it.
pub type ReleaseStatus = String;

/// One line of `helm history -o json`.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct Revision {
    pub revision: u32,
    #[serde(default)]
    pub updated: String,
    pub status: ReleaseStatus,
    #[serde(default)]
    pub chart: String,
    #[serde(default)]
    pub app_version: String,
    #[serde(default)]
    pub description: String,
}

impl Revision {
    /// `pending-install`, `pending-upgrade` or `pending-rollback`: a helm command is running, or
    /// was killed mid-flight (helm refuses every other operation until this is resolved).
    pub fn is_pending(&self) -> bool {
        self.status.starts_with("pending-")
    }

    /// A revision that was, at some point, the healthy deployed state.
    pub fn was_deployed(&self) -> bool {
        matches!(self.status.as_str(), "deployed" | "superseded")
    }
}

/// The newest revision that was deployed, skipping `skip` (e.g. the current one).
pub fn last_deployed(history: &[Revision], skip: Option<u32>) -> Option<&Revision> {
    history.iter().rev().find(|r| r.was_deployed() && Some(r.revision) != skip)
}

/// Parses the `REVISION: N` line of `helm upgrade` / `helm install` output.
pub fn revision_from_output(stdout: &str) -> Option<u32> {
    stdout.lines().find_map(|l| l.trim().strip_prefix("REVISION:")).and_then(|v| v.trim().parse().ok())
}

#[derive(Debug, thiserror::Error)]
pub enum HelmError {
    #[error("cannot read the output of `{command}`: {reason}")]
    Output { command: String, reason: String },
}

impl Helm {
    /// `helm upgrade --install RELEASE ./chart --namespace NS --timeout T <values>`.
    ///
    /// No `--wait`: lain watches the rollout itself (and reports why it fails); `--timeout`
    /// bounds helm's own waiting, which is for hook Jobs (migrations).
    pub fn upgrade_install(&self, app: &AppConfig, injected: &Map<String, J>, timeout: std::time::Duration) -> Cmd {
        self.cmd()
            .args(["upgrade", "--install", &app.release_name, "./chart", "--namespace", &app.cluster.namespace])
            .arg("--timeout")
            .arg(format!("{}s", timeout.as_secs().max(1)))
            .args(Self::values_args(app, injected))
            .current_dir(&app.repo_dir)
    }

    /// `helm upgrade RELEASE ./chart --namespace NS --reuse-values --set-string K=V...`: the
    /// release's own values, with only the given keys changed.
    pub fn upgrade_reuse_values(&self, app: &AppConfig, sets: &[(String, String)], timeout: std::time::Duration) -> Cmd {
        let mut c = self
            .cmd()
            .args(["upgrade", &app.release_name, "./chart", "--namespace", &app.cluster.namespace, "--reuse-values"])
            .arg("--timeout")
            .arg(format!("{}s", timeout.as_secs().max(1)));
        for (k, v) in sets {
            c = c.arg("--set-string").arg(format!("{k}={}", set_escape(v)));
        }
        c.current_dir(&app.repo_dir)
    }

    /// `helm history RELEASE --namespace NS -o json`; `None` when the release does not exist.
    pub fn history(&self, release: &str, namespace: &str) -> Result<Option<Vec<Revision>>, crate::error::LainError> {
        let cmd = self.cmd().args(["history", release, "--namespace", namespace, "-o", "json", "--max", "256"]).quiet();
        let out = cmd.output_unchecked()?;
        if !out.status.success() {
            if out.stderr.contains("not found") {
                return Ok(None);
            }
            return Err(crate::process::ProcessError::Failed {
                command: cmd.to_string(),
                status: out.status.to_string(),
                code: out.status.code(),
                stderr: out.stderr,
            }
            .into());
        }
        let mut h: Vec<Revision> =
            serde_json::from_str(out.stdout.trim()).map_err(|e| HelmError::Output { command: cmd.to_string(), reason: e.to_string() })?;
        h.sort_by_key(|r| r.revision);
        Ok(Some(h))
    }

    /// `helm get values RELEASE --namespace NS -o json [--revision N]`: the values the release
    /// was given (an empty object when none).
    pub fn get_values(&self, release: &str, namespace: &str, revision: Option<u32>) -> Result<J, crate::error::LainError> {
        let mut cmd = self.cmd().args(["get", "values", release, "--namespace", namespace, "-o", "json"]);
        if let Some(r) = revision {
            cmd = cmd.arg("--revision").arg(r.to_string());
        }
        let cmd = cmd.quiet();
        let out = cmd.output()?;
        let v: J = serde_json::from_str(out.stdout.trim()).map_err(|e| HelmError::Output { command: cmd.to_string(), reason: e.to_string() })?;
        Ok(if v.is_null() { J::Object(Map::new()) } else { v })
    }

    /// `helm rollback RELEASE REVISION --namespace NS --timeout T`.
    pub fn rollback(&self, release: &str, namespace: &str, revision: u32, timeout: std::time::Duration) -> Cmd {
        self.cmd().args(["rollback", release, &revision.to_string(), "--namespace", namespace]).arg("--timeout").arg(format!("{}s", timeout.as_secs().max(1)))
    }

    /// `helm uninstall RELEASE --namespace NS`.
    pub fn uninstall(&self, release: &str, namespace: &str) -> Cmd {
        self.cmd().args(["uninstall", release, "--namespace", namespace])
    }

    /// `helm test RELEASE --namespace NS --logs --timeout T`.
    pub fn test(&self, release: &str, namespace: &str, timeout: std::time::Duration) -> Cmd {
        self.cmd().args(["test", release, "--namespace", namespace, "--logs"]).arg("--timeout").arg(format!("{}s", timeout.as_secs().max(1)))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn revisions() {
        let h: Vec<Revision> = serde_json::from_str(
            r#"[{"revision":1,"updated":"x","status":"superseded","chart":"dummy-0.1.0","app_version":"","description":"Install complete"},
                {"revision":2,"updated":"x","status":"deployed","chart":"dummy-0.1.0","app_version":"","description":"Upgrade complete"},
                {"revision":3,"updated":"x","status":"pending-upgrade","chart":"dummy-0.1.0","app_version":"","description":"Preparing upgrade"}]"#,
        )
        .unwrap();
        assert!(h[2].is_pending());
        assert_eq!(last_deployed(&h, Some(3)).map(|r| r.revision), Some(2));
        assert_eq!(last_deployed(&h, Some(2)).map(|r| r.revision), Some(1));
        assert_eq!(revision_from_output("NAME: dummy\nSTATUS: deployed\nREVISION: 7\n"), Some(7));
    }

    #[test]
    fn escaping() {
        assert_eq!(set_escape("a,b\\c"), "a\\,b\\\\c");
    }
}
