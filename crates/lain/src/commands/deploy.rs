use std::time::Duration;

use anyhow::Result;
use lain_core::context::Ctx;
use lain_core::ops::announce;
use lain_core::ops::deploy::{self, DeployOptions};
use lain_core::ops::release::parse_duration;

#[derive(clap::Args, Debug)]
#[command(after_help = "Exit codes: 3 helm failed (e.g. a migration hook), 4 the app did not come up (the report names the pod, why, and its last log lines), 5 timed out.\n\nExamples:\n  lain deploy\n  lain deploy --set imageTag=1700000000-0123abcd   # deploy an older image with today's values\n  lain --auto-pilot deploy                          # also recover a release stuck in pending-*")]
pub struct Args {
    /// Override values, helm syntax (a.b=c); repeatable. `--set imageTag=TAG` deploys that image.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// How long to wait for the green light (and for helm hooks): 300, 90s, 10m.
    #[arg(long, value_parser = parse_duration, default_value = "300s")]
    pub timeout: Duration,
    /// Return once helm succeeded, without waiting for the pods.
    #[arg(long)]
    pub no_wait: bool,
    /// Wait for the green light (the default; kept for old scripts).
    #[arg(long, hide = true)]
    pub wait: bool,
    /// Build and push the image first when its tag is not in the registry yet (`--auto-pilot`
    /// does this too).
    #[arg(long)]
    pub build: bool,
}

impl Default for Args {
    fn default() -> Self {
        Args { set: Vec::new(), timeout: Duration::from_secs(300), no_wait: false, wait: false, build: false }
    }
}

impl Args {
    pub fn options(&self) -> DeployOptions {
        DeployOptions { sets: self.set.clone(), timeout: self.timeout, no_wait: self.no_wait }
    }
}

pub fn run(ctx: &Ctx, a: Args) -> Result<()> {
    let build = a.build || ctx.globals.auto_pilot;
    flow(ctx, &a, build)
}

/// lint → (build) → helm → green light; the webhook goes out as soon as helm has succeeded,
/// whatever the rollout does next (the team should know a new version went out).
pub fn flow(ctx: &Ctx, a: &Args, build: bool) -> Result<()> {
    let opts = a.options();
    let app = ctx.load_app(&a.set)?;
    super::before_deploy(ctx, &app, build, &a.set)?;
    let plan = deploy::plan(ctx, &opts)?;
    let mut released: Option<deploy::DeployOutcome> = None;
    let result = deploy::execute(ctx, &plan, &opts, &mut |o| released = Some(o.clone()));
    if let Some(o) = &released {
        announce::release(ctx, plan.app(), announce::Kind::Deploy, o.old_tag.as_deref(), Some(&o.new_tag), &[]);
    }
    let outcome = result?;
    // On a terminal, the dashboard shows what happens next (closed with q); in CI this is a no-op.
    if !opts.no_wait {
        super::status::open_dashboard(ctx, plan.app(), Some(&outcome.new_tag))?;
    }
    Ok(())
}
