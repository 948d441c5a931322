use std::time::Duration;

use anyhow::Result;
use lain_core::context::Ctx;
use lain_core::ops::announce;
use lain_core::ops::release::parse_duration;
use lain_core::ops::update_image::{self, UpdateImageOptions};

#[derive(clap::Args, Debug)]
#[command(
    after_help = "Only the named procs' image changes; everything else keeps the values of the last deploy.\n\nExample:\n  lain update-image web-dev worker-dev"
)]
pub struct Args {
    /// The procs to update (deployments, statefulSets, jobs or cronjobs in the values).
    #[arg(value_name = "PROC", required = true)]
    pub procs: Vec<String>,
    /// The image tag (default: the current commit's, `%ct-%H`).
    #[arg(long, conflicts_with = "deduce")]
    pub tag: Option<String>,
    /// Use the newest image in the registry instead of the current commit's (e.g. one built
    /// by CI from another branch).
    #[arg(long)]
    pub deduce: bool,
    #[arg(long, value_parser = parse_duration, default_value = "300s")]
    pub timeout: Duration,
    #[arg(long)]
    pub no_wait: bool,
}

pub fn run(ctx: &Ctx, a: Args) -> Result<()> {
    let app = ctx.load_app(&[])?;
    let procs = a.procs.clone();
    // Names are checked before anything is asked of the cluster or the registry.
    for p in &procs {
        if app.proc(p).is_none() {
            let known: Vec<String> = app.procs.iter().map(|p| p.name.clone()).collect();
            return Err(lain_core::ops::release::unknown_name("proc", p, &app.appname, &known).into());
        }
    }
    lain_core::ops::strategy::refuse_during_blue_green(ctx, "lain update-image")?;
    let tag = if a.deduce {
        let ic = lain_core::ops::image_context(ctx, &app)?;
        let list = super::block_on(lain_core::ops::version::run(&ic, &lain_core::ops::version::VersionOptions { n: Some(1), deployed: None }))
            .map_err(lain_core::error::LainError::from)?;
        let newest = list.versions.first().map(|v| v.tag.clone()).ok_or_else(|| {
            lain_core::error::LainError::bad_input(format!(
                "--deduce: the registry has no image of {} in lain's %ct-%H format\n    fix: `lain build --push` first, or pass --tag TAG",
                app.appname
            ))
        })?;
        lain_core::output::info(&format!("newest image in the registry: {newest}"));
        Some(newest)
    } else {
        a.tag
    };
    let o = update_image::run(ctx, &UpdateImageOptions { procs: a.procs, tag, timeout: a.timeout, no_wait: a.no_wait })?;
    announce::release(ctx, &app, announce::Kind::UpdateImage, o.old_tag.as_deref(), Some(&o.new_tag), &procs);
    Ok(())
}
