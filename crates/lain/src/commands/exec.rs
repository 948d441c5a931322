use anyhow::Result;
use lain_core::context::Ctx;
use lain_core::ops::exec::{self, ExecOptions};

#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  lain x                      # a shell in a web pod\n  lain x worker -- ps aux\n  lain x -- python manage.py shell\nThe exit code is the command's."
)]
pub struct Args {
    /// The proc whose pod to enter (default: web, else the first).
    pub proc_: Option<String>,
    /// The command (default: bash, else sh).
    #[arg(last = true)]
    pub command: Vec<String>,
}

pub fn run(ctx: &Ctx, a: Args) -> Result<()> {
    let code = exec::run(ctx, &ExecOptions { proc_: a.proc_, command: a.command })?;
    super::exit_with(code)
}
