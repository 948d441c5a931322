use std::time::Duration;

use anyhow::Result;
use lain_core::context::Ctx;
use lain_core::ops::announce;
use lain_core::ops::release::parse_duration;
use lain_core::ops::restart::{self, RestartOptions};

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:\n  lain restart --graceful     # one pod at a time, waiting for the green light in between\n  lain restart web worker")]
pub struct Args {
    /// Only these procs (default: every deployment and statefulSet).
    #[arg(value_name = "PROC")]
    pub procs: Vec<String>,
    /// Delete one pod at a time and wait for all pods to be up before the next.
    #[arg(long)]
    pub graceful: bool,
    /// Wait for the green light at the end.
    #[arg(long)]
    pub wait: bool,
    #[arg(long, value_parser = parse_duration, default_value = "300s")]
    pub timeout: Duration,
}

pub fn run(ctx: &Ctx, a: Args) -> Result<()> {
    // Auto-pilot restarts the safe way.
    let graceful = a.graceful || ctx.globals.auto_pilot;
    let app = ctx.load_app(&[])?;
    let procs = a.procs.clone();
    restart::run(ctx, &RestartOptions { procs: a.procs, graceful, wait: a.wait || graceful, timeout: a.timeout })?;
    announce::release(ctx, &app, announce::Kind::Restart, None, None, &procs);
    super::status::open_dashboard(ctx, &app, None)?;
    Ok(())
}
