use anyhow::Result;
use lain_core::context::Ctx;
use lain_core::ops::get_values::{self, GetValuesOptions};
use lain_core::output;

#[derive(clap::Args, Debug)]
#[command(after_help = "Who deployed: `lain get-values | grep '^user: '`; an older revision: `helm history APP`, then `lain get-values --revision N`.")]
pub struct Args {
    /// A revision from `helm history` (default: the current one).
    #[arg(long)]
    pub revision: Option<u32>,
    /// Include the chart's defaults.
    #[arg(long)]
    pub all: bool,
    /// Print JSON instead of YAML.
    #[arg(long)]
    pub json: bool,
}

pub fn run(ctx: &Ctx, a: Args) -> Result<()> {
    output::data(&get_values::run(ctx, &GetValuesOptions { revision: a.revision, all: a.all, json: a.json })?);
    Ok(())
}
