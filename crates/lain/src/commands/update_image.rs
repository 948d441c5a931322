use std::time::Duration;

use anyhow::Result;
use lain_core::ops::announce;
use lain_core::context::Ctx;
use lain_core::ops::release::parse_duration;
use lain_core::ops::update_image::{self, UpdateImageOptions};

#[derive(clap::Args, Debug)]
#[command(after_help = "Only the named procs' image changes; everything else keeps the values of the last deploy.\n\nExample:\n  lain update-image web-dev worker-dev")]
pub struct Args {
    /// The procs to update (deployments, statefulSets, jobs or cronjobs in the values).
    #[arg(value_name = "PROC", required = true)]
    pub procs: Vec<String>,
    /// The image tag (default: the current commit's, `%ct-%H`).
    #[arg(long)]
    pub tag: Option<String>,
    #[arg(long, value_parser = parse_duration, default_value = "300s")]
    pub timeout: Duration,
    #[arg(long)]
    pub no_wait: bool,
}

pub fn run(ctx: &Ctx, a: Args) -> Result<()> {
    let app = ctx.load_app(&[])?;
    let procs = a.procs.clone();
    let o = update_image::run(ctx, &UpdateImageOptions { procs: a.procs, tag: a.tag, timeout: a.timeout, no_wait: a.no_wait })?;
    announce::release(ctx, &app, announce::Kind::UpdateImage, o.old_tag.as_deref(), Some(&o.new_tag), &procs);
    Ok(())
}
