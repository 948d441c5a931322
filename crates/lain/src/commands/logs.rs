use anyhow::Result;
use lain_core::context::Ctx;
use lain_core::ops::logs::{self, LogsOptions};

#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  lain logs            # every pod of the app\n  lain logs web -F     # follow web, including pods started later\n  lain logs migrate    # a job's pod, while it is still there"
)]
pub struct Args {
    /// A proc (deployment, statefulSet, job or cronjob); default: all.
    pub proc_: Option<String>,
    /// Keep printing new lines, and pods that appear later. (`-F`, not `-f`: `-f FILE` is the
    /// global extra values file.)
    #[arg(short = 'F', long)]
    pub follow: bool,
    /// Lines per container to start with; -1 for everything.
    #[arg(long, default_value_t = 200, allow_negative_numbers = true)]
    pub tail: i64,
}

pub fn run(ctx: &Ctx, a: Args) -> Result<()> {
    let tail = if a.tail < 0 { None } else { Some(a.tail) };
    logs::run(ctx, &LogsOptions { proc_: a.proc_, follow: a.follow, tail })?;
    Ok(())
}
