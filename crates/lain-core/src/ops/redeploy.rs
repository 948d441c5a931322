//! `lain redeploy`: deploy the version that runs now again, with the chart and values of the
//! working tree (e.g. after `lain env edit`, or a change under chart/).

use serde_json::Value as J;

use crate::context::Ctx;
use crate::error::LainError;

use super::deploy::{DeployOptions, DeployPlan, plan};
use super::release::Target;

/// A deploy plan pinned to the release's current image tag.
pub fn plan_redeploy(ctx: &Ctx, opts: &DeployOptions) -> Result<(DeployPlan, DeployOptions), LainError> {
    let t = Target::load(ctx, &opts.sets)?;
    let values = ctx
        .helm()
        .get_values(&t.release, &t.namespace, None)
        .map_err(|e| LainError::bad_input(format!("{} does not seem to be deployed on cluster {} ({e}); use `lain deploy`", t.release, t.cluster)))?;
    let tag = values.get("imageTag").and_then(J::as_str).ok_or_else(|| {
        LainError::bad_input(format!("the release {} records no imageTag; use `lain deploy` (or `lain deploy --set imageTag=TAG`)", t.release))
    })?;
    let mut o = opts.clone();
    o.sets.push(format!("imageTag={tag}"));
    Ok((plan(ctx, &o)?, o))
}
