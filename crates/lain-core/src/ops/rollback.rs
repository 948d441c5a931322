//! `lain rollback`: one step back with `helm rollback`, then the green light.
//!
//! One step only, on purpose (the seeds: 防呆): rolling back a rollback is refused; going
//! further back is `git checkout` + `lain deploy`, or `helm rollback` by hand. env and secret
//! are not part of a helm release and are not rolled back; lain says so every time.

use std::time::Duration;

use serde_json::Value as J;

use crate::context::Ctx;
use crate::error::LainError;
use crate::helm::Revision;
use crate::output;

use super::deploy::DeployOutcome;
use super::release::{Target, block_on, run_helm};
use super::wait::{DEFAULT_TIMEOUT, green};

#[derive(Debug, Clone)]
pub struct RollbackOptions {
    pub timeout: Duration,
    pub no_wait: bool,
}

impl Default for RollbackOptions {
    fn default() -> Self {
        RollbackOptions { timeout: DEFAULT_TIMEOUT, no_wait: false }
    }
}

/// The revision one step back from the current one: the newest earlier revision that was
/// deployed (a failed or interrupted one is skipped).
pub fn pick_target(history: &[Revision]) -> Result<&Revision, String> {
    let Some(current) = history.last() else { return Err("the release has no history".into()) };
    if current.description.to_ascii_lowercase().starts_with("rollback") {
        return Err(format!(
            "revision {} is already a rollback ({}); lain rolls back one step only\n    fix: to go further back, `git checkout` the version you want and `lain deploy`, or use `helm history` and `helm rollback RELEASE REVISION` by hand",
            current.revision, current.description
        ));
    }
    history
        .iter()
        .rev()
        .find(|r| r.revision < current.revision && r.was_deployed())
        .ok_or_else(|| format!("there is no earlier deployed revision to roll back to (current: revision {}, {})", current.revision, current.status))
}

pub fn run(ctx: &Ctx, opts: &RollbackOptions) -> Result<DeployOutcome, LainError> {
    let t = Target::load(ctx, &[])?;
    let helm = ctx.helm();
    let history =
        t.history(&helm)?.ok_or_else(|| LainError::bad_input(format!("{} is not deployed on cluster {}: nothing to roll back", t.release, t.cluster)))?;
    let to = pick_target(&history).map_err(LainError::bad_input)?.clone();
    let current = history.last().map(|r| r.revision).unwrap_or(0);
    let tag_of =
        |rev: u32| -> Option<String> { helm.get_values(&t.release, &t.namespace, Some(rev)).ok()?.get("imageTag").and_then(J::as_str).map(str::to_string) };
    let old_tag = tag_of(current);
    let new_tag = tag_of(to.revision);
    block_on(async {
        let kube = t.connect(ctx).await?;
        let run = run_helm(helm.rollback(&t.release, &t.namespace, to.revision, opts.timeout)).await?;
        let tag_shown = new_tag.clone().unwrap_or_else(|| "unknown tag".into());
        output::success(&format!("rolled {} back to revision {} (image tag {tag_shown}); the rollback is revision {}", t.release, to.revision, current + 1));
        output::warn(&format!(
            "env and secret ({}, {}) are not rolled back: if you changed them since revision {}, change them back with `lain env edit` / `lain secret edit`",
            t.env_secret(),
            t.file_secret(),
            to.revision
        ));
        let outcome = DeployOutcome {
            release: t.release.clone(),
            revision: current + 1,
            old_tag,
            new_tag: new_tag.clone().unwrap_or_default(),
            cluster: t.cluster.clone(),
            user: ctx.env.user.clone(),
        };
        if run.interrupted {
            return Err(LainError::Interrupted { message: "interrupted after helm rollback finished; not waiting for the green light".into() });
        }
        if !opts.no_wait {
            let g = green(&kube, &t.release, new_tag.as_deref(), opts.timeout, None).await?;
            output::success(&format!("{} is green: {} pod{} Running and Ready", t.release, g.pods, if g.pods == 1 { "" } else { "s" }));
        }
        Ok(outcome)
    })?
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn rev(n: u32, status: &str, desc: &str) -> Revision {
        Revision { revision: n, updated: String::new(), status: status.into(), chart: String::new(), app_version: String::new(), description: desc.into() }
    }

    #[test]
    fn one_step_back_skipping_failures() {
        let h = vec![rev(1, "superseded", "Install complete"), rev(2, "failed", "Upgrade failed"), rev(3, "deployed", "Upgrade complete")];
        assert_eq!(pick_target(&h).map(|r| r.revision), Ok(1));
        let h = vec![rev(1, "superseded", "Install complete"), rev(2, "deployed", "Upgrade complete")];
        assert_eq!(pick_target(&h).map(|r| r.revision), Ok(1));
    }

    #[test]
    fn refuses_a_second_rollback_and_a_lone_install() {
        let h = vec![rev(1, "superseded", "Install complete"), rev(2, "superseded", "Upgrade complete"), rev(3, "deployed", "Rollback to 1")];
        assert!(pick_target(&h).unwrap_err().contains("one step only"));
        let h = vec![rev(1, "deployed", "Install complete")];
        assert!(pick_target(&h).unwrap_err().contains("no earlier deployed revision"));
    }
}
