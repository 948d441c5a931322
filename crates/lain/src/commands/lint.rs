use anyhow::Result;
use lain_core::context::Ctx;
use lain_core::error::LainError;
use lain_core::ops;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Skip the Prometheus resource suggestions (static checks only).
    #[arg(long)]
    pub no_prometheus: bool,
}

/// Static checks and resource suggestions; exits 2 when a check finds an error.
pub fn run(ctx: &Ctx, a: Args) -> Result<()> {
    let app = ctx.load_app(&[])?;
    let report = super::block_on(ops::lint::for_app(&app, !a.no_prometheus));
    report.print();
    if report.has_errors() {
        return Err(LainError::bad_input("lain lint found errors (listed above); fix them, or deploy with --ignore-lint if you must").into());
    }
    Ok(())
}
