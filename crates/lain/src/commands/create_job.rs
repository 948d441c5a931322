use std::time::Duration;

use anyhow::Result;
use lain_core::context::Ctx;
use lain_core::ops::create_job::{self, CreateJobOptions};
use lain_core::ops::release::parse_duration;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The cronjob (a key of values.cronjobs).
    pub cronjob: String,
    /// Wait for the job, print its logs, exit with its exit code.
    #[arg(long)]
    pub wait: bool,
    #[arg(long, value_parser = parse_duration, default_value = "1h")]
    pub timeout: Duration,
}

pub fn run(ctx: &Ctx, a: Args) -> Result<()> {
    let created = create_job::run(ctx, &CreateJobOptions { cronjob: a.cronjob, wait: a.wait, timeout: a.timeout })?;
    super::exit_with(created.exit_code.unwrap_or(0))
}
