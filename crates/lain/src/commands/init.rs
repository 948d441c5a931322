use anyhow::Result;
use lain_core::chart::InitOptions;
use lain_core::context::Ctx;
use lain_core::{ops, output};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The app's name (default: the directory's name).
    #[arg(long)]
    pub appname: Option<String>,
    /// Overwrite an existing chart/ (values.yaml included).
    #[arg(long, conflicts_with = "template_only")]
    pub force: bool,
    /// Refresh chart/templates/ and Chart.yaml only, keeping your values*.yaml.
    #[arg(long)]
    pub template_only: bool,
}

pub fn run(ctx: &Ctx, a: Args) -> Result<()> {
    let opts = InitOptions { appname: a.appname, force: a.force, template_only: a.template_only };
    let r = ops::init::run(ctx, &opts)?;
    let rel = |p: &std::path::Path| p.strip_prefix(&ctx.env.cwd).unwrap_or(p).display().to_string();
    for p in &r.written {
        output::info(&format!("wrote {}", rel(p)));
    }
    for p in &r.kept {
        output::info(&format!("kept {}", rel(p)));
    }
    for p in &r.foreign_templates {
        output::warn(&format!("{} is not a lain template; left as it is", rel(p)));
    }
    if a.template_only {
        output::success(&format!("refreshed the templates of {} ({} files changed)", r.appname, r.written.len()));
    } else {
        output::success(&format!("created chart/ for {}: edit chart/values.yaml, then `lain use CLUSTER` and `lain deploy --build`", r.appname));
    }
    Ok(())
}
