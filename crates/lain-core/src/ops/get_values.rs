//! `lain get-values`: what the release was deployed with (`helm get values`), the same data
//! `helm get values APP | grep user` reads.

use crate::context::Ctx;
use crate::error::LainError;

use super::release::Target;

#[derive(Debug, Clone, Default)]
pub struct GetValuesOptions {
    pub revision: Option<u32>,
    /// Include the chart's defaults (`--all`).
    pub all: bool,
    /// `-o json` instead of YAML.
    pub json: bool,
}

/// Returns helm's output (YAML or JSON) for stdout.
pub fn run(ctx: &Ctx, opts: &GetValuesOptions) -> Result<String, LainError> {
    let t = Target::load(ctx, &[])?;
    let mut cmd = ctx.helm().cmd().args(["get", "values", &t.release, "--namespace", &t.namespace]);
    if let Some(r) = opts.revision {
        cmd = cmd.arg("--revision").arg(r.to_string());
    }
    if opts.all {
        cmd = cmd.arg("--all");
    }
    cmd = cmd.args(["-o", if opts.json { "json" } else { "yaml" }]);
    Ok(cmd.output()?.stdout)
}
