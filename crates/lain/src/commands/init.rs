use anyhow::Result;
use lain_core::context::Ctx;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The app's name (default: the directory's name).
    #[arg(long)]
    pub appname: Option<String>,
    /// Overwrite an existing chart/.
    #[arg(long)]
    pub force: bool,
    /// Refresh chart/templates/ only, keeping your values*.yaml.
    #[arg(long)]
    pub template_only: bool,
}

pub fn run(_ctx: &Ctx, _a: Args) -> Result<()> {
    anyhow::bail!("lain init is being wired in")
}
