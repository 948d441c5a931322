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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(set_escape("a,b\\c"), "a\\,b\\\\c");
    }
}
