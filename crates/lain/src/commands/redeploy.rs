use anyhow::Result;
use lain_core::context::Ctx;
use lain_core::ops::announce;
use lain_core::ops::{deploy, redeploy};

/// Same flags as `lain deploy`.
pub type Args = super::deploy::Args;

pub fn run(ctx: &Ctx, a: Args) -> Result<()> {
    lain_core::ops::strategy::refuse_during_blue_green(ctx, "lain redeploy")?;
    let (plan, opts) = redeploy::plan_redeploy(ctx, &a.options())?;
    let mut released: Option<deploy::DeployOutcome> = None;
    let result = deploy::execute(ctx, &plan, &opts, &mut |o| released = Some(o.clone()));
    if let Some(o) = &released {
        announce::release(ctx, plan.app(), announce::Kind::Redeploy, o.old_tag.as_deref(), Some(&o.new_tag), &[]);
    }
    result?;
    Ok(())
}
