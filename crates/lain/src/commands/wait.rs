use std::time::Duration;

use anyhow::Result;
use lain_core::context::Ctx;
use lain_core::ops::release::parse_duration;
use lain_core::ops::wait::{self, WaitOptions};

#[derive(clap::Args, Debug)]
#[command(after_help = "Exit codes: 0 green, 4 a pod is broken (crash loop, image pull...), 5 timed out (the message names what is not ready).")]
pub struct Args {
    /// Wait for this release instead of the app in the current directory; no chart needed (CI
    /// jobs, helm test pods). In a pod, the pod's service account is used, and the release
    /// defaults to $LAIN_RELEASE, which the chart gives test pods.
    pub release: Option<String>,
    #[arg(long, value_parser = parse_duration, default_value = "300s")]
    pub timeout: Duration,
}

pub fn run(ctx: &Ctx, a: Args) -> Result<()> {
    wait::run(ctx, &WaitOptions { timeout: a.timeout, release: a.release })?;
    Ok(())
}
