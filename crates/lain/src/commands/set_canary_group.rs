use std::time::Duration;

use anyhow::Result;
use lain_core::context::Ctx;
use lain_core::ops::canary;
use lain_core::ops::release::parse_duration;

#[derive(clap::Args, Debug)]
#[command(
    after_help = "Only the canary Ingresses change (helm upgrade RELEASE-canary --reuse-values --set-string canaryGroup=GROUP).\n\nExample:\n  lain set-canary-group small"
)]
pub struct Args {
    /// A group of canaryGroups in the values the canary was deployed with.
    #[arg(value_name = "GROUP")]
    pub group: String,
    #[arg(long, value_parser = parse_duration, default_value = "300s")]
    pub timeout: Duration,
}

pub fn run(ctx: &Ctx, a: Args) -> Result<()> {
    let outcome = canary::set_group(ctx, &a.group, a.timeout)?;
    lain_core::output::data(&outcome.summary());
    lain_core::ops::strategy::notify(ctx, &outcome);
    Ok(())
}
