use std::time::Duration;

use anyhow::Result;
use lain_core::context::Ctx;
use lain_core::ops::announce;
use lain_core::ops::delete_after::{self, DeleteAfter};
use lain_core::ops::deploy::{self, DeployOptions};
use lain_core::ops::release::parse_duration;
use lain_core::ops::{blue_green, canary, strategy};

/// The flags `lain deploy` shares with `lain redeploy`.
#[derive(clap::Args, Debug)]
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
    /// A temporary release: the cluster uninstalls it this long after the deploy (90m, 8h, 2d),
    /// by a CronJob RELEASE-expire running the cluster's lain image; `never` cancels an earlier
    /// one. Needs `lain_image` in the cluster values.
    #[arg(long, value_name = "DURATION", value_parser = delete_after::parse)]
    pub delete_after: Option<DeleteAfter>,
}

impl Default for Args {
    fn default() -> Self {
        Args { set: Vec::new(), timeout: Duration::from_secs(300), no_wait: false, wait: false, build: false, delete_after: None }
    }
}

impl Args {
    pub fn options(&self) -> DeployOptions {
        DeployOptions { sets: self.set.clone(), timeout: self.timeout, no_wait: self.no_wait, delete_after: self.delete_after }
    }
}

/// How to ship (docs/strategies.md); without these flags, a rolling update of the release.
#[derive(clap::Args, Debug)]
pub struct StrategyArgs {
    /// Deploy as a canary: a second release RELEASE-canary whose Ingresses take the traffic of
    /// one group of canaryGroups (ingress-nginx canary annotations); the main release stays.
    #[arg(long, help_heading = "Strategies")]
    pub canary: bool,
    /// With --canary: the group from canaryGroups (default: `default`, or the only group).
    #[arg(long, requires = "canary", value_name = "GROUP", help_heading = "Strategies")]
    pub group: Option<String>,
    /// With --canary: remove the canary release (all traffic back on the main release).
    #[arg(long, requires = "canary", conflicts_with_all = ["final_", "group"], help_heading = "Strategies")]
    pub abort: bool,
    /// With --canary: promote: deploy the canary's tag as the main release, then remove the canary.
    #[arg(long = "final", requires = "canary", conflicts_with = "group", help_heading = "Strategies")]
    pub final_: bool,
    /// Blue/green: start the new version beside the running one with no traffic, wait for its
    /// green light and tests, then switch the Services to it at once (see `lain blue-green`).
    #[arg(long, conflicts_with_all = ["canary", "no_wait"], help_heading = "Strategies")]
    pub blue_green: bool,
}

#[derive(clap::Args, Debug)]
#[command(
    after_help = "Exit codes: 2 refused (bad values, or a canary / blue-green state that does not allow it), 3 helm failed (e.g. a migration hook), 4 the app did not come up (the report names the pod, why, and its last log lines), 5 timed out.\n\nExamples:\n  lain deploy\n  lain deploy --set imageTag=1700000000-0123abcd   # deploy an older image with today's values\n  lain --auto-pilot deploy                          # also recover a release stuck in pending-*\n  lain deploy --canary --group internal             # then: lain set-canary-group small\n  lain deploy --canary --final                      # or: lain deploy --canary --abort\n  lain deploy --blue-green                          # then: lain blue-green finish (or lain rollback --blue-green)\n  lain deploy --delete-after 8h                     # a temporary release, uninstalled by the cluster in 8 hours"
)]
pub struct DeployArgs {
    #[command(flatten)]
    pub common: Args,
    #[command(flatten)]
    pub strategy: StrategyArgs,
}

pub fn run(ctx: &Ctx, a: DeployArgs) -> Result<()> {
    let c = &a.common;
    let s = &a.strategy;
    let build = c.build || ctx.globals.auto_pilot;
    if c.delete_after.is_some() && (s.canary || s.blue_green) {
        // A canary or a color is removed by `--abort` / `blue-green finish`; expiring one of
        // the two releases by itself would leave the other's traffic pointing at nothing.
        return Err(lain_core::error::LainError::bad_input("--delete-after cannot be used with --canary or --blue-green: it deletes a whole release, and those strategies run two (use `lain deploy --canary --abort` or `lain blue-green finish`)").into());
    }
    if s.canary {
        let outcome = if s.abort {
            canary::abort(ctx)?
        } else if s.final_ {
            canary::promote(ctx, &c.set, c.timeout)?
        } else {
            super::before_deploy(ctx, &ctx.load_app(&c.set)?, build, &c.set)?;
            canary::deploy(ctx, &canary::CanaryOptions { sets: c.set.clone(), timeout: c.timeout, group: s.group.clone(), no_wait: c.no_wait })?
        };
        lain_core::output::data(&outcome.summary());
        strategy::notify(ctx, &outcome);
        return Ok(());
    }
    if s.blue_green {
        super::before_deploy(ctx, &ctx.load_app(&c.set)?, build, &c.set)?;
        let outcome = blue_green::deploy(ctx, &blue_green::BlueGreenOptions { sets: c.set.clone(), timeout: c.timeout })?;
        lain_core::output::data(&outcome.summary());
        strategy::notify(ctx, &outcome);
        return Ok(());
    }
    strategy::refuse_during_blue_green(ctx, "lain deploy")?;
    flow(ctx, c, build)
}

/// lint → (build) → helm → green light; the webhook goes out as soon as helm has succeeded,
/// whatever the rollout does next (the team should know a new version went out).
pub fn flow(ctx: &Ctx, a: &Args, build: bool) -> Result<()> {
    let opts = a.options();
    let app = ctx.load_app(&a.set)?;
    if let Some(DeleteAfter::After(_)) = a.delete_after {
        // Before lint and build: a missing cluster setting should not cost a build first.
        delete_after::image(&app.cluster)?;
    }
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
