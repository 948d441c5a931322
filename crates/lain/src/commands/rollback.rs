use std::time::Duration;

use anyhow::Result;
use lain_core::context::Ctx;
use lain_core::ops::announce;
use lain_core::ops::release::parse_duration;
use lain_core::ops::rollback::{self, RollbackOptions};
use lain_core::ops::{blue_green, strategy};

#[derive(clap::Args, Debug)]
#[command(
    after_help = "One step back only. env and secret are not rolled back.\nTo go further back: `git checkout` the version you want, then `lain deploy`.\nDuring a blue/green deploy: `lain rollback --blue-green` switches the Services back to blue at once."
)]
pub struct Args {
    #[arg(long, value_parser = parse_duration, default_value = "300s")]
    pub timeout: Duration,
    #[arg(long)]
    pub no_wait: bool,
    /// Switch the traffic of a blue/green deploy back to blue (instant: blue never stopped).
    #[arg(long)]
    pub blue_green: bool,
}

pub fn run(ctx: &Ctx, a: Args) -> Result<()> {
    if a.blue_green {
        let outcome = blue_green::rollback(ctx)?;
        lain_core::output::data(&outcome.summary());
        strategy::notify(ctx, &outcome);
        return Ok(());
    }
    strategy::refuse_during_blue_green(ctx, "lain rollback")?;
    let app = ctx.load_app(&[])?;
    let o = rollback::run(ctx, &RollbackOptions { timeout: a.timeout, no_wait: a.no_wait })?;
    announce::release(ctx, &app, announce::Kind::Rollback, o.old_tag.as_deref(), Some(&o.new_tag), &[]);
    super::status::open_dashboard(ctx, &app, None)?;
    Ok(())
}
