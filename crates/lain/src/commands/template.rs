use anyhow::Result;
use lain_core::context::Ctx;
use lain_core::{ops, output};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Override values, helm syntax (a.b=c, list[0]=x, a={x,y}); repeatable.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
}

pub fn run(ctx: &Ctx, a: Args) -> Result<()> {
    let manifests = ops::template::run(ctx, &a.set)?;
    output::data(&manifests);
    Ok(())
}
