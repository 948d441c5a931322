use std::time::Duration;

use anyhow::Result;
use lain_core::context::Ctx;
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
}

impl Args {
    pub fn options(&self) -> DeployOptions {
        DeployOptions { sets: self.set.clone(), timeout: self.timeout, no_wait: self.no_wait }
    }
}

pub fn run(ctx: &Ctx, a: Args) -> Result<()> {
    let opts = a.options();
    let plan = deploy::plan(ctx, &opts)?;
    deploy::execute(ctx, &plan, &opts, &mut |_outcome| {})?;
    Ok(())
}
