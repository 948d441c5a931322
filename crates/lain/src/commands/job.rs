use std::time::Duration;

use anyhow::Result;
use lain_core::context::Ctx;
use lain_core::ops::job::{self, JobOptions};
use lain_core::ops::release::parse_duration;

#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  lain job -- python manage.py migrate    # prints the logs; exit code = the command's\n  lain job                                # a shell in a fresh container, deleted afterwards"
)]
pub struct Args {
    /// Take image, env and volumes from this proc (default: web, else the first).
    #[arg(long = "proc")]
    pub proc_: Option<String>,
    /// The job's deadline, and how long lain waits for it: 3600, 30m, 2h.
    #[arg(long, value_parser = parse_duration, default_value = "1h")]
    pub timeout: Duration,
    /// Create the job and return without waiting.
    #[arg(long, conflicts_with = "wait")]
    pub detach: bool,
    /// Wait for the job and print its logs (the default).
    #[arg(long)]
    pub wait: bool,
    /// The command; without one, an interactive shell.
    #[arg(last = true)]
    pub command: Vec<String>,
}

pub fn run(ctx: &Ctx, a: Args) -> Result<()> {
    let code = job::run(ctx, &JobOptions { command: a.command, proc_: a.proc_, timeout: a.timeout, detach: a.detach })?;
    super::exit_with(code)
}
