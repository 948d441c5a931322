//! `lain update-image PROC...`: change only those procs' image, nothing else.
//!
//! Done as a helm upgrade with `--reuse-values` plus a per-proc `imageTag` pin
//! (`deployments.PROC.imageTag=TAG`): the release keeps every other value it had (values.yaml
//! edits in the working tree are *not* applied, as the seeds require), the change is a helm
//! revision like any other (`helm history`, `lain rollback` and `helm get values | grep user`
//! keep working), and the next `lain deploy` — which does not reuse values — drops the pin.
//! A direct patch of the Deployment (the old lain's `kubectl set image`) would drift from the
//! release and make helm 4's server-side apply conflict on the next deploy.

use std::time::Duration;

use serde_json::Value as J;

use crate::config::ProcKind;
use crate::context::Ctx;
use crate::error::LainError;
use crate::{git, output};

use super::deploy::{DeployOutcome, recover_pending};
use super::release::{Target, block_on, run_helm};
use super::wait::{DEFAULT_TIMEOUT, green};

#[derive(Debug, Clone)]
pub struct UpdateImageOptions {
    pub procs: Vec<String>,
    /// The tag to deploy; `None`: the current commit's.
    pub tag: Option<String>,
    pub timeout: Duration,
    pub no_wait: bool,
}

impl Default for UpdateImageOptions {
    fn default() -> Self {
        UpdateImageOptions { procs: vec![], tag: None, timeout: DEFAULT_TIMEOUT, no_wait: false }
    }
}

fn section(kind: ProcKind) -> &'static str {
    match kind {
        ProcKind::Deployment => "deployments",
        ProcKind::StatefulSet => "statefulSets",
        ProcKind::Job => "jobs",
        ProcKind::CronJob => "cronjobs",
    }
}

pub fn run(ctx: &Ctx, opts: &UpdateImageOptions) -> Result<DeployOutcome, LainError> {
    let t = Target::load(ctx, &[])?;
    if opts.procs.is_empty() {
        return Err(LainError::bad_input(format!("name at least one proc to update; procs: {}", t.proc_names().join(", "))));
    }
    let mut sets = Vec::new();
    for p in &opts.procs {
        let Some(proc_) = t.app.proc(p) else {
            return Err(super::release::unknown_name("proc", p, &t.appname, &t.proc_names()));
        };
        sets.push((format!("{}.{}.imageTag", section(proc_.kind), p), String::new()));
    }
    let tag = match &opts.tag {
        Some(tag) => tag.clone(),
        None => git::commit_tag(&t.app.repo_dir).map_err(|e| LainError::bad_input(e.to_string()))?,
    };
    for s in &mut sets {
        s.1 = tag.clone();
    }
    sets.push(("user".into(), ctx.env.user.clone()));

    let helm = ctx.helm();
    let history = t
        .history(&helm)?
        .ok_or_else(|| LainError::bad_input(format!("{} is not deployed on cluster {}; deploy it first with `lain deploy`", t.release, t.cluster)))?;
    let values = helm.get_values(&t.release, &t.namespace, None)?;
    let old_tag = opts.procs.first().and_then(|p| {
        let kind = t.app.proc(p).map(|x| x.kind)?;
        values.pointer(&format!("/{}/{p}/imageTag", section(kind))).or_else(|| values.get("imageTag")).and_then(J::as_str).map(str::to_string)
    });
    block_on(async {
        let kube = t.connect(ctx).await?;
        recover_pending(ctx, &t, Some(&history), opts.timeout).await?;
        let run = run_helm(helm.upgrade_reuse_values(&t.app, &sets, opts.timeout)).await?;
        let prev = history.last().map(|r| r.revision).unwrap_or(0);
        let outcome = DeployOutcome {
            release: t.release.clone(),
            revision: crate::helm::revision_from_output(&run.out.stdout).unwrap_or(prev + 1),
            old_tag,
            new_tag: tag.clone(),
            cluster: t.cluster.clone(),
            user: ctx.env.user.clone(),
        };
        output::success(&format!("{}: image of {} set to {tag} (revision {})", t.release, opts.procs.join(", "), outcome.revision));
        if run.interrupted {
            return Err(LainError::Interrupted { message: "interrupted after helm finished; not waiting for the green light".into() });
        }
        if !opts.no_wait {
            let g = green(&kube, &t.release, Some(&tag), opts.timeout, None).await?;
            output::success(&format!("{} is green: {} pod{} Running and Ready", t.release, g.pods, if g.pods == 1 { "" } else { "s" }));
        }
        Ok(outcome)
    })?
}
