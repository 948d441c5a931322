use anyhow::Result;
use lain_core::context::Ctx;
use lain_core::ops::{deploy, redeploy};

/// Same flags as `lain deploy`.
pub type Args = super::deploy::Args;

pub fn run(ctx: &Ctx, a: Args) -> Result<()> {
    let (plan, opts) = redeploy::plan_redeploy(ctx, &a.options())?;
    deploy::execute(ctx, &plan, &opts, &mut |_outcome| {})?;
    Ok(())
}
